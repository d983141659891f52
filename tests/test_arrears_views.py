"""Arrears pages through the Flask client: the operator's dashboard and ageing, a case with its clocks, a step done,
a letter generated and downloaded, a repayment plan; refusals in French (422, nothing saved), operator isolation,
roles, CSRF, audit entries, and the household page showing its arrears.

The pages' day is fixed at 20 November 2026. Fixture: sous-location from 1 August 2026, rent 500 + charges 50, CAF
tiers payant 150 → household's share 400 a month (one "month" of arrears), calls due on the 5th, the CAF paying
its 150 on each due date. The household pays 400 in August, nothing in September, 100 in October, nothing in
November: 1,600 of shares due, 500 paid → 1,100 owed on 20 November.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice import arrears_views
from agency_backoffice.models import (
    ArrearsCase,
    ArrearsTask,
    ArrearsTaskKind,
    BenefitPayer,
    PaymentMethod,
    RepaymentPlan,
)
from agency_backoffice.operations import arrears as ops
from agency_backoffice.operations import ledger as ledger_ops
from capture.models import IMLMode
from passerelle.models import AuditEntry, OrganisationKind, User
from tests.conftest import login_as
from tests.factories import Factory

K = ArrearsTaskKind
DAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrears_views, "_today", lambda: DAY)


@dataclass
class World:
    staff: User
    other_staff: User
    case: ArrearsCase
    other_case: ArrearsCase
    household_id: int

    def task(self, kind: ArrearsTaskKind) -> ArrearsTask:
        return next(task for task in self.case.tasks if task.kind is kind)


def _lease_in_arrears(session: Session, make: Factory, operator, staff, *, benefit: bool):  # type: ignore[no-untyped-def]
    lease = make.lease(
        operator, by=staff, starts_on=date(2026, 8, 1), rent=D("500.00"), charges=D("50.00"), mode=IMLMode.SUBLEASE
    )
    if benefit:
        lease.benefit_monthly, lease.benefit_payer = D("150.00"), BenefitPayer.CAF
    for month, paid in ((8, "400.00"), (9, None), (10, "100.00"), (11, None)):
        period = date(2026, month, 1)
        ledger_ops.issue_rent_call(session, lease, period, on=period)
        due = date(2026, month, 5)
        if benefit:
            ledger_ops.record_payment(
                session, lease, amount=D("150.00"), method=PaymentMethod.CAF, received_on=due, by=staff
            )
        if paid:
            ledger_ops.record_payment(
                session, lease, amount=D(paid), method=PaymentMethod.TRANSFER, received_on=due, by=staff
            )
    return lease


@pytest.fixture
def world(app: Flask, session: Session, make: Factory, parameters: None) -> Iterator[World]:
    with app.test_request_context():
        operator = make.organisation(kind=OrganisationKind.ASSOCIATION, name="Association Toit d'abord")
        staff = make.staff(operator, full_name="Lou Martin")
        other = make.organisation(kind=OrganisationKind.ASSOCIATION)
        other_staff = make.staff(other)
        lease = _lease_in_arrears(session, make, operator, staff, benefit=True)
        _lease_in_arrears(session, make, other, other_staff, benefit=False)
        ops.run_arrears_clocks(session, DAY)
        case = session.scalars(select(ArrearsCase).where(ArrearsCase.lease_id == lease.id)).one()
        other_case = session.scalars(select(ArrearsCase).where(ArrearsCase.operator_id == other.id)).one()
        household_id = lease.household_id
    yield World(staff, other_staff, case, other_case, household_id)


def text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text without tags, entities decoded, every run of spaces (French ones too) read as one space."""
    page = response.get_data(as_text=True)
    return re.sub(r"[\s\u00a0\u202f]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def audits(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def plans(session: Session) -> int:
    return session.scalar(select(func.count(RepaymentPlan.id))) or 0


def case_url(world: World, suffix: str = "") -> str:
    return f"/agence/impayes/{world.case.id}{suffix}"


def test_the_dashboard_lists_the_operator_s_cases_with_their_ageing(client: FlaskClient, session, world) -> None:  # type: ignore[no-untyped-def]
    login_as(client, world.staff)
    response = client.get("/agence/impayes")
    assert response.status_code == 200
    page = text(response)
    reference = world.case.lease.household.siao_reference
    assert f"Dossier n° {world.case.id}" in page and reference in page
    assert f"Dossier n° {world.other_case.id}" not in page
    # Ageing on 20 November: September 300 (400 − the 100 paid in October) is 76 days late (25 + 31 + 20), October
    # 400 is 46 days late (26 + 20), November 400 is 15 days late → 0–30: 400, 31–60: 400, 61–90: 300, over 90: 0.
    assert "Balance âgée de votre structure au 20 novembre 2026 : 1 dossier ouvert" in page
    assert (
        "0 à 30 jours de retard 31 à 60 jours de retard 61 à 90 jours de retard plus de 90 jours de retard Total "
        "400,00 € 400,00 € 300,00 € 0,00 € 1 100,00 €"
    ) in page
    assert f"{reference} bail n° {world.case.lease_id} 1 100,00 € 400,00 € 400,00 € 300,00 € —" in page
    # Constituted (Visale sense: 700 > one month of 400 at the end of 5 October) on 6 October; the reminder was
    # due on 5 September + 10 days = 15 September: overdue, highlighted.
    assert "06/10/2026" in page
    assert "Courrier de relance amiable en retard depuis le 15/09/2026" in page
    assert '<span class="overdue">en retard depuis le 15/09/2026</span>' in response.get_data(as_text=True)
    assert audits(session, "household.list")[-1].details == {"shown": 1}


def test_the_case_page_shows_the_clocks_and_records_the_view(client: FlaskClient, session, world) -> None:  # type: ignore[no-untyped-def]
    login_as(client, world.staff)
    response = client.get(case_url(world))
    assert response.status_code == 200
    page = text(response)
    assert "Dû par le ménage au 20 novembre 2026 1 100,00 €" in page
    # CAF constitution: 1,100 ≥ 2 × 400 at the end of 5 November → 6 November; report within 2 months: 6 January.
    assert "Signaler l'impayé à la CAF" in page and "À faire au plus tard le 6 janvier 2027" in page
    # FSL: the same threshold, request within 30 days: 6 November + 30 = 6 December.
    assert "Demande d'aide au FSL" in page and "À faire au plus tard le 6 décembre 2026" in page
    # Plan to propose: constitution (6 October) + 15 days = 21 October, 30 days late on 20 November.
    assert "En retard : à faire au plus tard le 21 octobre 2026 (30 jours de retard)" in page
    assert "CCH art. L.824-1 et R.824-4" in page  # the legal basis of each step
    (view,) = audits(session, "arrears_case.view")
    assert (view.actor_id, view.object_id) == (world.staff.id, str(world.case.id))


def test_a_step_is_marked_done_with_its_date_and_note(client: FlaskClient, session, world) -> None:  # type: ignore[no-untyped-def]
    reminder = world.task(K.REMINDER)
    login_as(client, world.staff)
    prefix = f"etape{reminder.id}-"
    response = client.post(
        case_url(world, f"/etapes/{reminder.id}/faite"),
        data={prefix + "done_on": "2026-09-14", prefix + "note": "Lettre simple postée"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(case_url(world, "#titre-etapes"))
    session.refresh(reminder)
    assert (reminder.done_on, reminder.note, reminder.done_by_id) == (
        date(2026, 9, 14),
        "Lettre simple postée",
        world.staff.id,
    )
    assert audits(session, "arrears_task.done")[0].details["kind"] == "reminder"
    assert "Faite le 14 septembre 2026" in text(client.get(case_url(world)))


@pytest.mark.parametrize(
    ("done_on", "message"),
    [
        ("", "Indiquez la date à laquelle l'étape a été faite."),
        ("2026-11-21", "La date ne peut pas être dans le futur."),
        ("2026-09-04", "La date ne peut pas précéder la première échéance impayée (5 septembre 2026)."),
    ],
)
def test_a_bad_date_is_refused_in_french_and_nothing_is_saved(client, session, world, done_on, message) -> None:  # type: ignore[no-untyped-def]
    reminder = world.task(K.REMINDER)
    login_as(client, world.staff)
    response = client.post(
        case_url(world, f"/etapes/{reminder.id}/faite"), data={f"etape{reminder.id}-done_on": done_on}
    )
    assert response.status_code == 422
    page = text(response)
    assert message in page and "Le formulaire contient des erreurs" in page
    session.refresh(reminder)
    assert reminder.done_on is None and audits(session, "arrears_task.done") == []


def test_a_letter_is_generated_stored_and_downloaded(client: FlaskClient, session, world) -> None:  # type: ignore[no-untyped-def]
    report = world.task(K.CAF_REPORT)
    login_as(client, world.staff)
    url = case_url(world, f"/etapes/{report.id}/courrier")
    assert client.get(url).status_code == 404  # nothing generated yet
    response = client.post(url)
    assert response.status_code == 302
    session.refresh(report)
    assert report.document_filename == f"signalement-impaye-dossier-{world.case.id}-2026-11-20.pdf"
    download = client.get(url)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF-") and hashlib.sha256(download.data).hexdigest() == report.document_sha256
    assert "attachment" in download.headers["Content-Disposition"]
    assert [a.details["kind"] for a in audits(session, "arrears_task.letter")] == ["caf_report"]
    assert len(audits(session, "arrears_task.download")) == 1
    # No letter for the FSL request (the FSL's own form): 404.
    assert client.post(case_url(world, f"/etapes/{world.task(K.FSL_REQUEST).id}/courrier")).status_code == 404


def test_a_repayment_plan_is_created_with_its_schedule_and_agreement(client: FlaskClient, session, world) -> None:  # type: ignore[no-untyped-def]
    login_as(client, world.staff)
    form = text(client.get(case_url(world)))
    assert "Convenir d'un plan d'apurement" in form
    response = client.post(
        case_url(world, "/plan"),
        data={"plan-total": "1 100,00 €", "plan-months": "4", "plan-first_due_on": "2026-12-10"},
    )
    assert response.status_code == 302
    plan = session.scalars(select(RepaymentPlan)).one()
    # 1,100 / 4 = 275.00 exactly, on the 10th of December, January, February and March.
    assert [(i.due_on, i.amount) for i in plan.instalments] == [
        (date(2026, 12, 10), D("275.00")),
        (date(2027, 1, 10), D("275.00")),
        (date(2027, 2, 10), D("275.00")),
        (date(2027, 3, 10), D("275.00")),
    ]
    assert (plan.total, plan.agreed_on, plan.created_by_id) == (D("1100.00"), DAY, world.staff.id)
    document = client.get(case_url(world, f"/plans/{plan.id}/document"))
    assert document.status_code == 200 and document.data.startswith(b"%PDF-")
    page = text(client.get(case_url(world)))
    assert f"Plan n° {plan.id} du 20 novembre 2026 — En cours" in page
    assert "Convenir d'un plan d'apurement" not in page  # one running plan at a time
    # The step « propose a plan » is done by the plan itself.
    proposal = world.task(K.REPAYMENT_PLAN)
    session.refresh(proposal)
    assert proposal.done_on == DAY
    assert len(audits(session, "repayment_plan.create")) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"plan-total": "1000", "plan-months": "4", "plan-first_due_on": "2026-12-10"},
            "Le plan reprend toute la dette du ménage au 20 novembre 2026 : 1 100,00 €, et non 1 000,00 €.",
        ),
        (
            {"plan-total": "1100", "plan-months": "", "plan-first_due_on": "2026-12-10"},
            "Indiquez le nombre de mensualités.",
        ),
        (
            {"plan-total": "1100", "plan-months": "37", "plan-first_due_on": "2026-12-10"},
            "Un plan d'apurement compte de 1 à 36 mensualités.",
        ),
        (
            {"plan-total": "1100", "plan-months": "4", "plan-first_due_on": "2026-11-19"},
            "La première mensualité ne peut pas précéder la date du plan.",
        ),
        ({"plan-total": "mille", "plan-months": "4", "plan-first_due_on": "2026-12-10"}, "Saisissez un nombre"),
    ],
)
def test_a_bad_plan_is_refused_in_french_and_nothing_is_saved(client, session, world, data, message) -> None:  # type: ignore[no-untyped-def]
    login_as(client, world.staff)
    response = client.post(case_url(world, "/plan"), data=data)
    assert response.status_code == 422
    page = text(response)
    assert message in page and "Le formulaire contient des erreurs" in page
    assert plans(session) == 0 and audits(session, "repayment_plan.create") == []
    assert world.task(K.REPAYMENT_PLAN).done_on is None


def test_another_operator_s_case_does_not_exist(client: FlaskClient, session, world) -> None:  # type: ignore[no-untyped-def]
    login_as(client, world.other_staff)
    reminder = world.task(K.REMINDER)
    assert client.get(case_url(world)).status_code == 404
    assert client.post(case_url(world, f"/etapes/{reminder.id}/faite"), data={}).status_code == 404
    assert client.post(case_url(world, f"/etapes/{reminder.id}/courrier")).status_code == 404
    assert client.get(case_url(world, f"/etapes/{reminder.id}/courrier")).status_code == 404
    assert client.post(case_url(world, "/plan"), data={}).status_code == 404
    assert client.get(case_url(world, "/plans/1/document")).status_code == 404
    # A task of another case, reached through one's own case: 404 too.
    own = world.other_case
    assert client.post(f"/agence/impayes/{own.id}/etapes/{reminder.id}/faite", data={}).status_code == 404
    session.refresh(reminder)
    assert reminder.done_on is None and reminder.document_sha256 is None


def test_metro_and_landlords_are_refused(client: FlaskClient, make: Factory, world) -> None:  # type: ignore[no-untyped-def]
    for user in (make.metro_user(), make.user()):
        login_as(client, user)
        assert client.get("/agence/impayes").status_code == 403
        assert client.get(case_url(world)).status_code == 403
        assert client.post(case_url(world, "/plan"), data={}).status_code == 403
    client.get("/deconnexion")


def test_every_form_of_the_case_page_carries_a_csrf_token(client: FlaskClient, session, world, csrf_enabled) -> None:  # type: ignore[no-untyped-def]
    login_as(client, world.staff)
    page = client.get(case_url(world)).get_data(as_text=True)
    forms = re.findall(r'<form[^>]*method="post".*?</form>', page, re.S)
    assert len(forms) >= 4 and all("csrf_token" in form for form in forms)
    reminder = world.task(K.REMINDER)
    refused = client.post(
        case_url(world, f"/etapes/{reminder.id}/faite"), data={f"etape{reminder.id}-done_on": "2026-11-01"}
    )
    assert refused.status_code == 400
    assert client.post(case_url(world, f"/etapes/{reminder.id}/courrier")).status_code == 400
    session.refresh(reminder)
    assert reminder.done_on is None and reminder.document_sha256 is None


def test_the_household_page_shows_its_arrears_to_the_referent(client: FlaskClient, world) -> None:  # type: ignore[no-untyped-def]
    login_as(client, world.staff)
    page = text(client.get(f"/agence/menages/{world.household_id}"))
    assert "Loyers et impayés" in page
    assert f"Compte du bail n° {world.case.lease_id} : 1 100,00 € impayés sur la part du ménage" in page
    assert f"Dossier d'impayé n° {world.case.id} , ouvert depuis l'échéance du 5 septembre 2026" in page
    assert "impayé constitué le 6 octobre 2026" in page
    assert "Courrier de relance amiable : en retard depuis le 15 septembre 2026" in page
