"""The capture pipeline on a real database: stage changes, activities, assignment, filters, the board."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from capture import operations as ops
from capture import queries
from capture.models import ActivityKind, CaptureCase, CaptureStage, CaptureStageChange, LeadSource
from capture.rules import InvalidTransition
from passerelle.models import AuditEntry, OrganisationKind
from tests.conftest import login_as
from tests.factories import Factory

TODAY = date.today()


@pytest.fixture
def pipeline(make: Factory):  # type: ignore[no-untyped-def]
    operator = make.organisation(kind=OrganisationKind.AIS, name="AIS Pipeline")
    other = make.organisation(kind=OrganisationKind.AIS, name="Autre AIS")
    alice, bruno = make.staff(operator, full_name="Alice"), make.staff(operator, full_name="Bruno")
    outsider = make.staff(other)
    arras, dainville = make.commune("62041", "Arras"), make.commune("62263", "Dainville")
    session = make.session

    def case(stage=CaptureStage.NEW, **fields):  # type: ignore[no-untyped-def]
        c = ops.open_capture_case(
            session,
            operator=fields.pop("operator", operator),
            source=fields.pop("source", LeadSource.PHONE),
            by=alice,
            commune_insee=fields.pop("commune", arras).insee,
            contact={"name": "X"},
        )
        c.stage = stage
        for key, value in fields.items():
            setattr(c, key, value)
        session.flush()
        return c

    return dict(
        operator=operator,
        other=other,
        alice=alice,
        bruno=bruno,
        outsider=outsider,
        arras=arras,
        dainville=dainville,
        case=case,
    )


def test_change_stage_records_history_and_audit(session: Session, pipeline) -> None:  # type: ignore[no-untyped-def]
    case = pipeline["case"]()
    ops.change_stage(session, case, CaptureStage.CONTACTED, by=pipeline["alice"], today=TODAY)
    ops.change_stage(
        session, case, CaptureStage.PAUSED, by=pipeline["alice"], today=TODAY, paused_until=TODAY + timedelta(days=30)
    )
    assert case.stage is CaptureStage.PAUSED and case.next_action_on == TODAY + timedelta(days=30)
    ops.change_stage(session, case, CaptureStage.CONTACTED, by=pipeline["alice"], today=TODAY)
    assert case.stage is CaptureStage.CONTACTED and case.paused_until is None
    history = session.scalars(
        select(CaptureStageChange.to_stage).where(CaptureStageChange.case_id == case.id).order_by(CaptureStageChange.id)
    ).all()
    assert history == [CaptureStage.NEW, CaptureStage.CONTACTED, CaptureStage.PAUSED, CaptureStage.CONTACTED]
    audits = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "capture_case.change_stage", AuditEntry.object_id == str(case.id))
    )
    assert audits == 3
    with pytest.raises(InvalidTransition):
        ops.change_stage(session, case, CaptureStage.SIGNED, by=pipeline["alice"], today=TODAY)


def test_lost_case_through_the_page(client: FlaskClient, session: Session, pipeline) -> None:  # type: ignore[no-untyped-def]
    case = pipeline["case"](CaptureStage.CONTACTED)
    login_as(client, pipeline["alice"])
    refused = client.post(f"/captation/dossiers/{case.id}/etape", data={"to": "lost"})
    assert refused.status_code == 422
    assert "Indiquez pourquoi le dossier est perdu." in refused.get_data(as_text=True)
    session.refresh(case)
    assert case.stage is CaptureStage.CONTACTED
    done = client.post(f"/captation/dossiers/{case.id}/etape", data={"to": "lost", "lost_reason": "prefers_to_sell"})
    assert done.status_code == 302
    session.refresh(case)
    assert case.stage is CaptureStage.LOST and case.lost_reason == "prefers_to_sell" and case.next_action_on is None


def test_stage_the_machine_forbids_is_not_offered_nor_accepted(client: FlaskClient, session: Session, pipeline) -> None:  # type: ignore[no-untyped-def]
    case = pipeline["case"](CaptureStage.NEW)
    login_as(client, pipeline["alice"])
    page = client.get(f"/captation/dossiers/{case.id}").get_data(as_text=True)
    assert 'value="visited"' not in page and 'value="contacted"' in page
    response = client.post(f"/captation/dossiers/{case.id}/etape", data={"to": "visited"})
    assert response.status_code == 422
    session.refresh(case)
    assert case.stage is CaptureStage.NEW


def test_activity_sets_next_action(client: FlaskClient, session: Session, pipeline) -> None:  # type: ignore[no-untyped-def]
    case = pipeline["case"]()
    login_as(client, pipeline["alice"])
    later = TODAY + timedelta(days=7)
    bad = client.post(
        f"/captation/dossiers/{case.id}/activites",
        data={"kind": "call", "occurred_on": TODAY.isoformat(), "summary": "Appel", "next_action_on": "2000-01-01"},
    )
    assert bad.status_code == 422 and "ne peut pas précéder" in bad.get_data(as_text=True)
    ok = client.post(
        f"/captation/dossiers/{case.id}/activites",
        data={
            "kind": "call",
            "occurred_on": TODAY.isoformat(),
            "summary": "Propriétaire joint, rappeler.",
            "next_action_on": later.isoformat(),
        },
    )
    assert ok.status_code == 302
    session.refresh(case)
    assert case.next_action_on == later
    assert [a.kind for a in queries.case_activities(session, case)] == [ActivityKind.CALL]


def test_assign_only_to_the_operators_staff(session: Session, pipeline) -> None:  # type: ignore[no-untyped-def]
    case = pipeline["case"]()
    ops.assign_case(session, case, pipeline["bruno"], by=pipeline["alice"])
    assert case.owner_id == pipeline["bruno"].id
    with pytest.raises(ops.CaptureError):
        ops.assign_case(session, case, pipeline["outsider"], by=pipeline["alice"])


def test_filters(session: Session, pipeline) -> None:  # type: ignore[no-untyped-def]
    c1 = pipeline["case"](CaptureStage.NEW, next_action_on=TODAY - timedelta(days=3), owner_id=pipeline["alice"].id)
    c2 = pipeline["case"](CaptureStage.CONTACTED, commune=pipeline["dainville"], source=LeadSource.CAMPAIGN)
    c3 = pipeline["case"](CaptureStage.LOST, next_action_on=TODAY - timedelta(days=9), lost_reason="other")
    pipeline["case"](CaptureStage.NEW, operator=pipeline["other"])
    operator_id = pipeline["operator"].id

    def ids(**kwargs):  # type: ignore[no-untyped-def]
        rows, total = queries.pipeline_cases(session, operator_id, queries.PipelineFilters(**kwargs), today=TODAY)
        assert total == len(rows)
        return {row.id for row in rows}

    assert ids() == {c1.id, c2.id, c3.id}
    assert ids(stage=CaptureStage.NEW) == {c1.id}
    assert ids(owner_id=pipeline["alice"].id) == {c1.id}
    assert ids(unassigned=True) == {c2.id, c3.id}
    assert ids(commune_insee="62263") == {c2.id}
    assert ids(source=LeadSource.CAMPAIGN) == {c2.id}
    assert ids(overdue=True) == {c1.id}  # a lost case is never overdue


def test_pages_list_filter_and_board(client: FlaskClient, pipeline) -> None:  # type: ignore[no-untyped-def]
    late = pipeline["case"](CaptureStage.NEW, next_action_on=TODAY - timedelta(days=2))
    pipeline["case"](CaptureStage.VISITED)
    hidden = pipeline["case"](CaptureStage.NEW, operator=pipeline["other"])
    login_as(client, pipeline["alice"])
    page = client.get("/captation/?retard=1").get_data(as_text=True)
    assert f"N° {late.id}" in page and "(en retard)" in page
    assert f"N° {hidden.id}<" not in page
    board = client.get("/captation/tableau").get_data(as_text=True)
    assert "Visite réalisée" in board and f"N° {late.id}" in board and f"N° {hidden.id} " not in board
    assert client.get("/captation/?etape=nimporte&origine=x").status_code == 200  # bad filters are ignored


def test_other_operator_cannot_act(client: FlaskClient, session: Session, pipeline) -> None:  # type: ignore[no-untyped-def]
    case = pipeline["case"](CaptureStage.NEW)
    login_as(client, pipeline["outsider"])
    assert client.post(f"/captation/dossiers/{case.id}/etape", data={"to": "contacted"}).status_code == 404
    assert client.post(f"/captation/dossiers/{case.id}/activites", data={}).status_code == 404
    session.refresh(case)
    assert case.stage is CaptureStage.NEW
    assert session.scalar(select(func.count()).select_from(CaptureCase).where(CaptureCase.id == case.id)) == 1
