"""The rent ledger on a real database (both engines): rent calls once per lease and month whatever the runs,
payments allocated oldest-due first, refunds and corrections as new entries, the database's own guards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agency_backoffice.models import Allocation, BenefitPayer, EntryKind, LedgerEntry, PaymentMethod
from agency_backoffice.operations import ledger as ops
from agency_backoffice.queries import ledger as queries
from capture.models import IMLMode
from passerelle.models import OrganisationKind

START = date(2026, 10, 12)


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


@pytest.fixture
def operator(make):  # type: ignore[no-untyped-def]
    return make.organisation(kind=OrganisationKind.ASSOCIATION)


@pytest.fixture
def staff(make, operator):  # type: ignore[no-untyped-def]
    return make.staff(operator)


@pytest.fixture
def lease(make, operator, staff):  # type: ignore[no-untyped-def]
    lease = make.lease(operator, by=staff, starts_on=START, rent=D("600.00"), mode=IMLMode.SUBLEASE)
    lease.charges = D("50.00")
    lease.benefit_monthly = D("200.00")
    lease.benefit_payer = BenefitPayer.CAF
    return lease


def calls(session, lease_ids=None) -> list[tuple]:  # type: ignore[no-untyped-def]
    query = select(
        LedgerEntry.lease_id, LedgerEntry.period, LedgerEntry.amount, LedgerEntry.benefit, LedgerEntry.due_on
    ).where(LedgerEntry.kind == EntryKind.CALL)
    if lease_ids is not None:
        query = query.where(LedgerEntry.lease_id.in_(lease_ids))
    return sorted(session.execute(query).all())


def test_rent_call_job_issues_prorated_then_full_months_once(session, operator, lease) -> None:  # type: ignore[no-untyped-def]
    operator.rent_call_day = 25
    # On 1 November: October (catch-up, prorated from the 12th) and November.
    first = ops.issue_rent_calls(session, date(2026, 11, 1), operator_ids=[operator.id])
    assert first.created == 2
    # On 25 November the December call goes out too; a second run the same day creates nothing.
    assert ops.issue_rent_calls(session, date(2026, 11, 25), operator_ids=[operator.id]).created == 1
    assert ops.issue_rent_calls(session, date(2026, 11, 25), operator_ids=[operator.id]).created == 0
    rows = calls(session, [lease.id])
    # October: 12 to 31 = 20 days of 31; 650 × 20 / 31 = 419.354… → rent 600×20/31=387.09, charges 50×20/31=32.25
    assert rows == [
        (lease.id, date(2026, 10, 1), D("419.34"), D("0.00"), date(2026, 10, 12)),
        (lease.id, date(2026, 11, 1), D("650.00"), D("200.00"), date(2026, 11, 5)),
        (lease.id, date(2026, 12, 1), D("650.00"), D("200.00"), date(2026, 12, 5)),
    ]


def test_the_database_refuses_a_second_call_for_the_same_month(session, operator, lease) -> None:  # type: ignore[no-untyped-def]
    ops.issue_rent_calls(session, date(2026, 11, 1), operator_ids=[operator.id])
    duplicate = LedgerEntry(
        operator_id=operator.id,
        lease_id=lease.id,
        household_id=lease.household_id,
        kind=EntryKind.CALL,
        amount=D("650.00"),
        booked_on=date(2026, 11, 1),
        due_on=date(2026, 11, 5),
        period=date(2026, 11, 1),
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        rent=D("600.00"),
        charges=D("50.00"),
    )
    with session.begin_nested():
        session.add(duplicate)
        with pytest.raises(IntegrityError):
            session.flush()


def test_a_crash_half_way_then_a_rerun_gives_the_clean_run_ledger(session, make, staff, operator, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    other = make.organisation()
    other_staff = make.staff(other)
    leases = [make.lease(operator, by=staff, starts_on=START) for _ in range(3)]
    leases += [make.lease(other, by=other_staff, starts_on=date(2026, 11, 3)) for _ in range(2)]
    ids = [lease.id for lease in leases]
    on, operators = date(2026, 11, 26), [operator.id, other.id]

    clean = session.begin_nested()
    ops.issue_rent_calls(session, on, operator_ids=operators)
    expected = calls(session, ids)
    clean.rollback()
    assert len(expected) == 3 * 3 + 2 * 2  # Oct, Nov, Dec for the first three; Nov, Dec for the other two

    inserted = 0
    real_insert = ops._insert_ignoring_duplicates

    def crashing_insert(session_, rows):  # type: ignore[no-untyped-def]
        nonlocal inserted
        if inserted == 4:
            raise RuntimeError("panne simulée")
        real_insert(session_, rows)
        inserted += 1

    monkeypatch.setattr(ops, "CALL_BATCH", 1)
    monkeypatch.setattr(ops, "_insert_ignoring_duplicates", crashing_insert)
    with pytest.raises(RuntimeError):
        ops.issue_rent_calls(session, on, operator_ids=operators)
    assert 0 < len(calls(session, ids)) < len(expected)
    monkeypatch.undo()
    ops.issue_rent_calls(session, on, operator_ids=operators)
    assert calls(session, ids) == expected


def test_payments_go_to_the_oldest_call_and_an_advance_waits_for_the_next(session, operator, staff, lease) -> None:  # type: ignore[no-untyped-def]
    ops.issue_rent_calls(session, date(2026, 11, 1), operator_ids=[operator.id])
    october, november = session.scalars(
        select(LedgerEntry).where(LedgerEntry.lease_id == lease.id).order_by(LedgerEntry.period)
    ).all()
    payment = ops.record_payment(
        session, lease, amount=D("1000.00"), method=PaymentMethod.TRANSFER, received_on=date(2026, 11, 6), by=staff
    )
    # 419.34 to October, 580.66 to November (of 650.00): November still owes 69.34.
    assert (october.settled, november.settled, payment.settled) == (D("419.34"), D("580.66"), D("1000.00"))
    assert queries.lease_balance(session, lease.id) == D("69.34")
    extra = ops.record_payment(
        session, lease, amount=D("100.00"), method=PaymentMethod.CHEQUE, received_on=date(2026, 11, 20), by=staff
    )
    assert november.settled == D("650.00") and extra.settled == D("69.34")
    assert queries.lease_balance(session, lease.id) == D("-30.66")  # in advance
    ops.issue_rent_calls(session, date(2026, 11, 25), operator_ids=[operator.id])
    december = session.scalar(
        select(LedgerEntry).where(LedgerEntry.lease_id == lease.id, LedgerEntry.period == date(2026, 12, 1))
    )
    assert december is not None and december.settled == D("30.66") and extra.settled == D("100.00")


def test_refund_of_an_overpayment_and_a_correction_are_new_entries(session, operator, staff, lease) -> None:  # type: ignore[no-untyped-def]
    ops.issue_rent_calls(session, date(2026, 11, 1), operator_ids=[operator.id])
    payment = ops.record_payment(
        session, lease, amount=D("1169.34"), method=PaymentMethod.TRANSFER, received_on=date(2026, 11, 6), by=staff
    )
    assert queries.lease_balance(session, lease.id) == D("-100.00")
    refund = ops.record_refund(session, payment, amount=D("100.00"), on=date(2026, 11, 10), by=staff, note="trop-perçu")
    # The refund is settled by what was left of the payment it refunds.
    assert refund.settled == D("100.00") and payment.settled == D("1169.34")
    assert queries.lease_balance(session, lease.id) == D("0.00")
    with pytest.raises(ops.LedgerError, match="dépasse"):
        ops.record_refund(session, payment, amount=D("1069.35"), on=date(2026, 11, 10), by=staff)
    correction = ops.record_correction(
        session, lease, amount=D("-25.00"), on=date(2026, 11, 12), note="Régularisation des charges 2026", by=staff
    )
    assert correction.kind is EntryKind.CORRECTION and correction.settled == D("0")
    assert queries.lease_balance(session, lease.id) == D("-25.00")
    for bad in (D("0"), D("1.234")):
        with pytest.raises(ops.LedgerError):
            ops.record_correction(session, lease, amount=bad, on=date(2026, 11, 12), note="x", by=staff)


def test_the_database_refuses_settling_beyond_an_amount(session, operator, staff, lease) -> None:  # type: ignore[no-untyped-def]
    ops.issue_rent_calls(session, date(2026, 11, 1), operator_ids=[operator.id])
    call = session.scalar(select(LedgerEntry).where(LedgerEntry.lease_id == lease.id).order_by(LedgerEntry.id))
    with session.begin_nested():
        call.settled = call.amount + D("0.01")
        with pytest.raises(IntegrityError):
            session.flush()
    session.expire(call)
    with session.begin_nested():
        session.add(
            LedgerEntry(
                operator_id=operator.id,
                lease_id=lease.id,
                household_id=lease.household_id,
                kind=EntryKind.PAYMENT,
                amount=D("10.00"),
                booked_on=START,
                due_on=START,
                method="cash",
            )
        )
        with pytest.raises(IntegrityError):
            session.flush()
    assert session.scalar(select(Allocation).limit(1)) is None
