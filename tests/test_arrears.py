"""Arrears follow-up on a real database (both engines): the ledger read as the arrears rules see it, the daily
clocks job (cases, tasks, plans), acceptance 4 of issue 7 with every deadline worked out by hand.

Figures are the versioned parameters (passerelle/reference/parameters.toml): reminder 10 days after the first
unpaid due date; Visale constitution at 2 full months unpaid or partial arrears above 1 month (net of the benefit
paid to the operator), formal notice within 15 days and claim within 30 days of it; CAF/MSA constitution at a debt
of at least 2 months net, report within 2 months; FSL from 2 months net, request within 30 days; CCAPEX after 3
months without interruption (or 3 times the rent excluding charges), referral within 15 days; plan proposed within
15 days of the constitution, 10 days of grace per instalment. A threshold reached at the end of a day counts from
the next day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D

import pytest
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from agency_backoffice.arrears_jobs import arrears_clocks
from agency_backoffice.models import (
    ArrearsCase,
    ArrearsTask,
    ArrearsTaskKind,
    BenefitPayer,
    GuaranteeKind,
    PaymentMethod,
    PlanStatus,
    RepaymentPlan,
    VisaleArea,
)
from agency_backoffice.operations import arrears as ops
from agency_backoffice.operations import arrears_letters as letter_ops
from agency_backoffice.operations import ledger as ledger_ops
from agency_backoffice.operations import repayment_plans as plan_ops
from agency_backoffice.queries import arrears as queries
from agency_backoffice.rules.arrears import Call, Credit
from capture.models import IMLMode
from passerelle import storage
from passerelle.models import AuditEntry, OrganisationKind
from tests.factories import Factory
from tests.test_agreements import pdf_text

K = ArrearsTaskKind
M = PaymentMethod


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


@pytest.fixture
def operator(make: Factory):  # type: ignore[no-untyped-def]
    operator = make.organisation(kind=OrganisationKind.ASSOCIATION, name="Association Toit d'abord")
    operator.phone, operator.email = "04 78 00 00 00", "loyers@toit.example"
    return operator


@pytest.fixture
def staff(make: Factory, operator):  # type: ignore[no-untyped-def]
    return make.staff(operator, full_name="Lou Martin", email="lou@toit.example")


def new_lease(make: Factory, operator, staff, starts_on: date, rent: str, charges: str, benefit: str = "0"):  # type: ignore[no-untyped-def]
    lease = make.lease(operator, by=staff, starts_on=starts_on, rent=D(rent), charges=D(charges), mode=IMLMode.SUBLEASE)
    if D(benefit):
        lease.benefit_monthly, lease.benefit_payer = D(benefit), BenefitPayer.CAF
    return lease


def call(session: Session, lease, year: int, month: int):  # type: ignore[no-untyped-def]
    period = date(year, month, 1)
    entry = ledger_ops.issue_rent_call(session, lease, period, on=period)
    assert entry is not None
    return entry


def pay(session: Session, lease, staff, on: date, amount: str, method: M = M.TRANSFER):  # type: ignore[no-untyped-def]
    return ledger_ops.record_payment(session, lease, amount=D(amount), method=method, received_on=on, by=staff)


def case_of(session: Session, lease) -> ArrearsCase | None:  # type: ignore[no-untyped-def]
    return session.scalar(select(ArrearsCase).where(ArrearsCase.lease_id == lease.id, ArrearsCase.closed_on.is_(None)))


def due_dates(case: ArrearsCase) -> dict[ArrearsTaskKind, date]:
    return {task.kind: task.due_on for task in case.tasks}


def snapshot(session: Session) -> list[tuple]:
    """Every arrears row, as the job leaves them."""
    cases = session.execute(
        select(
            ArrearsCase.id,
            ArrearsCase.lease_id,
            ArrearsCase.first_unpaid_on,
            ArrearsCase.constituted_on,
            ArrearsCase.amount,
            ArrearsCase.updated_on,
            ArrearsCase.closed_on,
        ).order_by(ArrearsCase.id)
    ).all()
    tasks = session.execute(
        select(ArrearsTask.id, ArrearsTask.case_id, ArrearsTask.kind, ArrearsTask.due_on, ArrearsTask.done_on).order_by(
            ArrearsTask.id
        )
    ).all()
    plans = session.execute(
        select(RepaymentPlan.id, RepaymentPlan.status, RepaymentPlan.broken_on).order_by(RepaymentPlan.id)
    ).all()
    return [*cases, *tasks, *plans]


# --- the ledger as the rules see it --------------------------------------------------------------------------


def test_the_ledger_becomes_calls_and_credits_of_two_streams(session, make, operator, staff) -> None:  # type: ignore[no-untyped-def]
    lease = new_lease(make, operator, staff, date(2026, 9, 1), "600.00", "50.00", benefit="200.00")
    september = call(session, lease, 2026, 9)
    october = call(session, lease, 2026, 10)
    caf = pay(session, lease, staff, date(2026, 9, 8), "200.00", M.CAF)
    household = pay(session, lease, staff, date(2026, 9, 5), "450.00")
    ledger_ops.record_refund(session, caf, amount=D("200.00"), on=date(2026, 9, 20), by=staff, note="Indu CAF")
    ledger_ops.record_refund(session, household, amount=D("30.00"), on=date(2026, 9, 21), by=staff, note="Trop-perçu")
    debit = ledger_ops.record_correction(
        session, lease, amount=D("35.00"), on=date(2026, 10, 12), note="Régularisation des charges", by=staff
    )
    ledger_ops.record_correction(session, lease, amount=D("-15.00"), on=date(2026, 10, 14), note="Geste", by=staff)
    make.guarantee(
        lease,
        by=staff,
        kind=GuaranteeKind.VISALE,
        visa_number="V2026-0001",
        visa_issued_on=date(2026, 8, 20),
        visale_area=VisaleArea.OTHER,
    )

    facts = queries.lease_facts(session, lease.id, date(2026, 10, 31))
    # Rent calls keep the benefit split out (household share 650 − 200 = 450); the debit correction is owed from
    # the day it was booked, with no benefit.
    assert facts.calls == (
        Call(date(2026, 9, 5), D("650.00"), D("200.00"), entry_id=september.id),
        Call(date(2026, 10, 5), D("650.00"), D("200.00"), entry_id=october.id),
        Call(date(2026, 10, 12), D("35.00"), D("0"), entry_id=debit.id),
    )
    # Payments credit their stream; a refund is a negative credit of the refunded payment's stream.
    assert sorted(facts.credits, key=lambda c: (c.on, c.amount)) == [
        Credit(date(2026, 9, 5), D("450.00")),
        Credit(date(2026, 9, 8), D("200.00"), housing_benefit=True),
        Credit(date(2026, 9, 20), D("-200.00"), housing_benefit=True),
        Credit(date(2026, 9, 21), D("-30.00")),
        Credit(date(2026, 10, 14), D("15.00")),
    ]
    assert (facts.monthly_rent, facts.monthly_charges, facts.monthly_benefit) == (D("600"), D("50"), D("200"))
    assert facts.benefit_payer is BenefitPayer.CAF and facts.visale is True
    # Visale covers the lease from its start: before it, no cover.
    assert queries.lease_facts(session, lease.id, date(2026, 8, 31)).visale is False


def test_many_leases_are_read_in_three_queries(session, make, operator, staff) -> None:  # type: ignore[no-untyped-def]
    leases = [new_lease(make, operator, staff, date(2026, 10, 1), "500.00", "40.00") for _ in range(4)]
    for lease in leases:
        call(session, lease, 2026, 10)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        accounts = queries.lease_accounts(session, [lease.id for lease in leases], date(2026, 10, 31))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 3  # entries, Visale guarantees, leases — not one query per lease
    assert sorted(accounts) == sorted(lease.id for lease in leases)
    assert all(len(account.facts.calls) == 1 for account in accounts.values())


def selects_of_a_run(session: Session, on: date) -> list[str]:
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        with session.begin_nested() as savepoint:
            ops.run_arrears_clocks(session, on)
            savepoint.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def test_the_job_reads_as_many_times_for_six_leases_as_for_two(session, make, operator, staff) -> None:  # type: ignore[no-untyped-def]
    def leases_in_arrears(count: int) -> None:
        for _ in range(count):
            lease = new_lease(make, operator, staff, date(2026, 3, 1), "500.00", "50.00")
            call(session, lease, 2026, 3)
            call(session, lease, 2026, 4)

    leases_in_arrears(2)
    two = selects_of_a_run(session, date(2026, 4, 20))
    leases_in_arrears(4)
    six = selects_of_a_run(session, date(2026, 4, 20))
    assert len(six) == len(two) <= 10, six


# --- acceptance 4: the clocks land where the hand puts them ---------------------------------------------------


@pytest.fixture
def visale_caf_lease(session, make, operator, staff):  # type: ignore[no-untyped-def]
    """Sous-location from 1 February 2026: rent 600 + charges 50, CAF tiers payant 200 → household's share 450 a
    month (one "month" of arrears, net of the benefit). A Visale visa. Calls due on the 5th; the CAF pays its 200 on
    each due date. The household pays 450 in February, then 150 in March and 150 in April, nothing in May."""
    lease = new_lease(make, operator, staff, date(2026, 2, 1), "600.00", "50.00", benefit="200.00")
    make.guarantee(
        lease,
        by=staff,
        kind=GuaranteeKind.VISALE,
        visa_number="V2026-4242",
        visa_issued_on=date(2026, 1, 20),
        visale_area=VisaleArea.OTHER,
    )
    for month, household in ((2, "450.00"), (3, "150.00"), (4, "150.00"), (5, None)):
        call(session, lease, 2026, month)
        pay(session, lease, staff, date(2026, month, 5), "200.00", M.CAF)
        if household:
            pay(session, lease, staff, date(2026, month, 5), household)
    return lease


def test_acceptance_4_visale_caf_and_plan_deadlines(session, make, staff, visale_caf_lease) -> None:  # type: ignore[no-untyped-def]
    lease = visale_caf_lease
    # End of 5 March: shares due 450 × 2 = 900, paid 450 + 150 = 600 → 300 unpaid: the arrears open on the March
    # call (first unpaid due date 5 March). The reminder: 5 March + 10 days = 15 March.
    # End of 5 April: shares 1,350, paid 750 → 600 > 1 month (450): Visale constitution the next day, 6 April
    # (partial arrears above one month; April's call alone is totally unpaid, 1 < 2 full months).
    #   Visale notice: 6 April + 15 days = 21 April; Visale claim: 6 April + 30 days = 6 May.
    #   Plan to propose: 6 April + 15 days = 21 April.
    # End of 5 May: shares 1,800, paid 750 → 1,050 ≥ 2 × 450 = 900: CAF constitution (CCH R.824-1) on 6 May.
    #   CAF report: 6 May + 2 months = 6 July. FSL threshold (2 months net) reached too: request by 6 May + 30 = 5 June.
    # CCAPEX: 3 months from 6 March (the day after the first unpaid due date) = 6 June, later than 20 May: not yet;
    # 1,050 < 3 × 600 = 1,800: the amount threshold is not reached either.
    report = arrears_clocks(session, date(2026, 5, 20))
    case = case_of(session, lease)
    assert case is not None
    assert (case.first_unpaid_on, case.constituted_on, case.amount) == (date(2026, 3, 5), date(2026, 4, 6), D("1050"))
    assert due_dates(case) == {
        K.REMINDER: date(2026, 3, 15),
        K.VISALE_NOTICE: date(2026, 4, 21),
        K.VISALE_CLAIM: date(2026, 5, 6),
        K.REPAYMENT_PLAN: date(2026, 4, 21),
        K.CAF_REPORT: date(2026, 7, 6),
        K.FSL_REQUEST: date(2026, 6, 5),
    }
    assert all(task.legal_basis for task in case.tasks)
    assert report.summary["cases_opened"] == 1 and report.summary["tasks_created"] == 6

    # The plan, agreed on 20 May: the whole debt, 1,050.00, in 9 instalments from 15 June. 1,050 / 9 = 116.666…
    # truncated to 116.66 (never rounded up against the household); the last takes the rest: 1,050 − 8 × 116.66 =
    # 1,050 − 933.28 = 116.72. Due on the 15th of June 2026 … February 2027.
    plan = plan_ops.create_plan(
        session, case, total=D("1050.00"), months=9, first_due_on=date(2026, 6, 15), today=date(2026, 5, 20), by=staff
    )
    assert [(i.due_on, i.amount) for i in plan.instalments] == [
        (date(2026, 6, 15), D("116.66")),
        (date(2026, 7, 15), D("116.66")),
        (date(2026, 8, 15), D("116.66")),
        (date(2026, 9, 15), D("116.66")),
        (date(2026, 10, 15), D("116.66")),
        (date(2026, 11, 15), D("116.66")),
        (date(2026, 12, 15), D("116.66")),
        (date(2027, 1, 15), D("116.66")),
        (date(2027, 2, 15), D("116.72")),
    ]
    assert plan.status is PlanStatus.ACTIVE and plan.document_sha256 is not None
    assert storage.read(plan.document_sha256).startswith(b"%PDF-")
    proposal = next(task for task in case.tasks if task.kind is K.REPAYMENT_PLAN)
    assert proposal.done_on == date(2026, 5, 20) and proposal.done_by_id == staff.id

    # June: the household pays its share and the first instalment on 10 June (450 + 116.66 = 566.66). Check on
    # 15 June + 10 days of grace = 25 June: shares due 5 × 450 = 2,250, paid 750 + 566.66 = 1,316.66 → owes
    # 933.34 ≤ 1,050 − 116.66 = 933.34: kept. The CCAPEX clock started on 6 June: referral by 6 + 15 = 21 June.
    call(session, lease, 2026, 6)
    pay(session, lease, staff, date(2026, 6, 5), "200.00", M.CAF)
    pay(session, lease, staff, date(2026, 6, 10), "566.66")
    arrears_clocks(session, date(2026, 6, 30))
    session.refresh(plan)
    assert plan.status is PlanStatus.ACTIVE
    assert due_dates(case)[K.CCAPEX_REFERRAL] == date(2026, 6, 21)
    assert due_dates(case)[K.CAF_REPORT] == date(2026, 7, 6)  # the same episode: the report date does not move

    # July: only the share (450) on 5 July. Check on 25 July: shares 2,700, paid 1,766.66 → owes 933.34 >
    # 1,050 − 2 × 116.66 = 816.68: the plan is broken on 25 July.
    call(session, lease, 2026, 7)
    pay(session, lease, staff, date(2026, 7, 5), "200.00", M.CAF)
    pay(session, lease, staff, date(2026, 7, 5), "450.00")
    report = arrears_clocks(session, date(2026, 7, 24))
    session.refresh(plan)
    assert plan.status is PlanStatus.ACTIVE and report.summary["plans_broken"] == 0  # still within the grace
    report = arrears_clocks(session, date(2026, 7, 26))
    session.refresh(plan)
    assert (plan.status, plan.broken_on) == (PlanStatus.BROKEN, date(2026, 7, 25))
    assert report.summary["plans_broken"] == 1
    assert proposal.done_on == date(2026, 5, 20)  # a task done is never changed


def test_the_job_twice_the_same_day_changes_nothing(session, visale_caf_lease) -> None:  # type: ignore[no-untyped-def]
    first = arrears_clocks(session, date(2026, 5, 20))
    rows = snapshot(session)
    second = arrears_clocks(session, date(2026, 5, 20))
    assert snapshot(session) == rows
    assert first.summary["cases_opened"] == 1
    changes = {key: value for key, value in second.summary.items() if key not in ("leases", "tasks_due_soon", "emails")}
    assert set(changes.values()) == {0}, changes


def test_the_digest_names_no_household_and_lists_the_steps_due_within_a_week(
    session, make, operator, visale_caf_lease
) -> None:  # type: ignore[no-untyped-def]
    make.staff(operator, email="zoe@toit.example")
    report = arrears_clocks(session, date(2026, 5, 20))
    case = case_of(session, visale_caf_lease)
    assert case is not None
    # Due by 20 May + 7 days = 27 May: the reminder (15 March), notice and plan (21 April), claim (6 May);
    # the FSL request (5 June) and the CAF report (6 July) are not yet in the digest.
    assert report.summary["tasks_due_soon"] == 4
    assert sorted(to for to, _subject, _body in report.mails) == ["lou@toit.example", "zoe@toit.example"]
    body = report.mails[0][2]
    assert f"Dossier d'impayé n° {case.id} (bail n° {visale_caf_lease.id})" in body
    assert "Courrier de relance amiable — échéance le 15/03/2026 (en retard de 66 jours)" in body  # 16 + 30 + 20
    assert "Déclaration de sinistre Visale — échéance le 06/05/2026 (en retard de 14 jours)" in body
    assert "FSL" not in body and "Awa Diallo" not in body and visale_caf_lease.household.siao_reference not in body
    assert f"/agence/impayes/{case.id}" in body


def test_a_case_closes_when_cleared_and_reopens_when_the_payment_is_refunded(session, make, operator, staff) -> None:  # type: ignore[no-untyped-def]
    # Rent 500 + charges 50, no benefit: share 550. March paid on the 5th; April unpaid on the 5th.
    lease = new_lease(make, operator, staff, date(2026, 3, 1), "500.00", "50.00")
    call(session, lease, 2026, 3)
    pay(session, lease, staff, date(2026, 3, 5), "550.00")
    call(session, lease, 2026, 4)
    arrears_clocks(session, date(2026, 4, 20))
    case = case_of(session, lease)
    assert case is not None and case.first_unpaid_on == date(2026, 4, 5) and case.amount == D("550")
    assert due_dates(case) == {K.REMINDER: date(2026, 4, 15)}  # 5 April + 10; one month unpaid: not constituted
    reminder = case.tasks[0]
    ops.complete_task(
        session, reminder, done_on=date(2026, 4, 16), note="Lettre simple", by=staff, today=date(2026, 4, 16)
    )

    # Paid in full on 25 April: the case closes on that day, its done task stays.
    payment = pay(session, lease, staff, date(2026, 4, 25), "550.00")
    report = arrears_clocks(session, date(2026, 4, 30))
    session.refresh(case)
    assert (case.closed_on, case.amount, report.summary["cases_closed"]) == (date(2026, 4, 25), D("0"), 1)
    assert [(t.kind, t.done_on, t.note) for t in case.tasks] == [(K.REMINDER, date(2026, 4, 16), "Lettre simple")]
    assert case_of(session, lease) is None
    assert arrears_clocks(session, date(2026, 4, 30)).summary["cases_closed"] == 0

    # The transfer is rejected on 1 May (a refund of it): April is unpaid again, from the same due date — the
    # same case reopens (one case per lease and first unpaid due date).
    ledger_ops.record_refund(session, payment, amount=D("550.00"), on=date(2026, 5, 1), by=staff, note="Rejet")
    report = arrears_clocks(session, date(2026, 5, 2))
    assert case_of(session, lease) is case and case.closed_on is None and case.amount == D("550")
    assert report.summary["cases_opened"] == 1
    assert [(t.kind, t.done_on) for t in case.tasks] == [(K.REMINDER, date(2026, 4, 16))]


def test_a_plan_is_completed_when_the_debt_is_repaid(session, make, operator, staff) -> None:  # type: ignore[no-untyped-def]
    lease = new_lease(make, operator, staff, date(2026, 3, 1), "500.00", "50.00")
    call(session, lease, 2026, 3)
    call(session, lease, 2026, 4)
    arrears_clocks(session, date(2026, 4, 10))
    case = case_of(session, lease)
    assert case is not None
    # Owed at the end of 10 April: 550 × 2 = 1,100; a plan of 2 instalments of 550 from 20 April.
    plan = plan_ops.create_plan(
        session, case, total=D("1100"), months=2, first_due_on=date(2026, 4, 20), today=date(2026, 4, 10), by=staff
    )
    pay(session, lease, staff, date(2026, 4, 20), "550.00")
    call(session, lease, 2026, 5)
    pay(session, lease, staff, date(2026, 5, 5), "550.00")  # May's share
    pay(session, lease, staff, date(2026, 5, 20), "550.00")  # the second instalment clears everything
    report = arrears_clocks(session, date(2026, 5, 21))
    session.refresh(plan)
    assert plan.status is PlanStatus.COMPLETED and case.closed_on == date(2026, 5, 20)
    assert report.summary["plans_completed"] == 1


def test_plan_and_task_refusals_are_french_and_save_nothing(session, make, operator, staff) -> None:  # type: ignore[no-untyped-def]
    lease = new_lease(make, operator, staff, date(2026, 3, 1), "500.00", "50.00")
    call(session, lease, 2026, 3)
    arrears_clocks(session, date(2026, 3, 20))
    case = case_of(session, lease)
    assert case is not None
    on = date(2026, 3, 20)
    with pytest.raises(ops.ArrearsError) as error:
        plan_ops.create_plan(session, case, total=D("500"), months=2, first_due_on=date(2026, 4, 1), today=on, by=staff)
    assert (error.value.field, str(error.value)) == (
        "total",
        "Le plan reprend toute la dette du ménage au 20 mars 2026 : 550,00\u00a0€, et non 500,00\u00a0€.",
    )
    with pytest.raises(ops.ArrearsError) as error:
        plan_ops.create_plan(
            session, case, total=D("550"), months=37, first_due_on=date(2026, 4, 1), today=on, by=staff
        )
    assert error.value.field == "months" and "de 1 à 36 mensualités" in str(error.value)
    with pytest.raises(ops.ArrearsError) as error:
        plan_ops.create_plan(
            session, case, total=D("550"), months=2, first_due_on=date(2026, 3, 19), today=on, by=staff
        )
    assert error.value.field == "first_due_on"
    (reminder,) = case.tasks
    with pytest.raises(ops.ArrearsError) as error:
        ops.complete_task(session, reminder, done_on=date(2026, 3, 21), note=None, by=staff, today=on)
    assert str(error.value) == "La date ne peut pas être dans le futur."
    assert case.plans == [] and reminder.done_on is None
    assert not session.scalars(select(AuditEntry).where(AuditEntry.action == "repayment_plan.create")).all()


def test_the_letters_of_the_clocks_are_stored_on_their_tasks(session, make, staff, visale_caf_lease) -> None:  # type: ignore[no-untyped-def]
    arrears_clocks(session, date(2026, 5, 20))
    case = case_of(session, visale_caf_lease)
    assert case is not None
    tasks = {task.kind: task for task in case.tasks}
    on = date(2026, 5, 20)
    for kind in (K.REMINDER, K.VISALE_NOTICE, K.CAF_REPORT):
        letter_ops.task_letter(session, tasks[kind], on=on, by=staff)
        sha = tasks[kind].document_sha256
        assert sha is not None and storage.read(sha).startswith(b"%PDF-")
    assert tasks[K.REMINDER].document_filename == f"relance-amiable-dossier-{case.id}-2026-05-20.pdf"
    # Owed on 20 May: March 150 (450 − 300 paid), April 450, May 450 = 1,050.00.
    reminder = pdf_text(tasks[K.REMINDER].document_sha256 or "")
    assert "il reste 1 050,00 € à payer" in reminder and "Chèque à l'ordre de Association Toit d'abord" in reminder
    # The formal notice gives 8 days (« sous huitaine »): 20 May + 8 = 28 May; Visale and the CAF are named.
    notice = pdf_text(tasks[K.VISALE_NOTICE].document_sha256 or "")
    assert "régler la somme de 1 050,00 € au plus tard le 28 mai 2026" in notice
    assert "Visale (Action Logement)" in notice and "signaler l'impayé à la CAF" in notice
    # The CAF report: constituted on 6 May (R.824-1: 1,050 ≥ 2 × 450 at the end of 5 May).
    report = pdf_text(tasks[K.CAF_REPORT].document_sha256 or "")
    assert "constitué le 6 mai 2026 au sens de l'article R.824-1" in report
    assert "200,00 € par mois ; part du ménage : 450,00 €" in report
    # Same data, same day: the same bytes.
    before = tasks[K.VISALE_NOTICE].document_sha256
    letter_ops.task_letter(session, tasks[K.VISALE_NOTICE], on=on, by=staff)
    assert tasks[K.VISALE_NOTICE].document_sha256 == before
    with pytest.raises(ops.ArrearsError):
        letter_ops.task_letter(session, tasks[K.FSL_REQUEST], on=on, by=staff)
