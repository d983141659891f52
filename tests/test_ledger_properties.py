"""Property tests on the rent ledger (hypothesis, on the real database): whatever sequence of rent calls,
payments, refunds and corrections, the ledger keeps its invariants.

- every entry's ``settled`` is the sum of its allocations, between 0 and its amount (no over-allocation);
- the balance is calls − payments + refunds ± corrections, and equals the sum of the entries;
- nothing is left both owed and in advance: open credits and open debits never coexist on a lease;
- a quittance exists exactly for the calls fully paid, a reçu only for a call partly paid.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from agency_backoffice.models import Allocation, BenefitPayer, EntryKind, LedgerEntry, PaymentMethod
from agency_backoffice.operations import ledger as ops
from agency_backoffice.operations import ledger_documents as documents
from agency_backoffice.queries import ledger as queries
from capture.rules.locavantages import add_months

START = date(2026, 1, 20)

money = st.decimals(min_value=D("0.01"), max_value=D("1500"), places=2)
step = st.one_of(
    st.tuples(st.just("call"), st.integers(0, 6)),
    st.tuples(st.just("pay"), money, st.sampled_from([PaymentMethod.TRANSFER, PaymentMethod.CAF, PaymentMethod.CASH])),
    st.tuples(st.just("refund"), st.integers(0, 5), st.integers(1, 100)),
    st.tuples(st.just("correct"), st.decimals(min_value=D("-300"), max_value=D("300"), places=2), st.booleans()),
)


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


@pytest.fixture
def setup(make):  # type: ignore[no-untyped-def]
    operator = make.organisation()
    staff = make.staff(operator)
    lease = make.lease(operator, by=staff, starts_on=START, rent=D("640.00"))
    lease.charges = D("35.50")
    lease.benefit_monthly = D("180.00")
    lease.benefit_payer = BenefitPayer.CAF
    return lease, staff


def apply(session, lease, staff, action) -> None:  # type: ignore[no-untyped-def]
    kind = action[0]
    if kind == "call":
        ops.issue_rent_call(session, lease, add_months(date(2026, 1, 1), action[1]), on=START)
    elif kind == "pay":
        ops.record_payment(session, lease, amount=action[1], method=action[2], received_on=START, by=staff)
    elif kind == "refund":
        payments = session.scalars(
            select(LedgerEntry).where(LedgerEntry.lease_id == lease.id, LedgerEntry.kind == EntryKind.PAYMENT)
        ).all()
        if not payments:
            return
        payment = payments[action[1] % len(payments)]
        left = ops.refundable(session, payment)
        amount = (left * action[2] / 100).quantize(D("0.01"), rounding="ROUND_DOWN")
        if amount > 0:
            ops.record_refund(session, payment, amount=amount, on=START + timedelta(days=3), by=staff)
    elif kind == "correct" and action[1] != 0:
        calls = queries.lease_calls(session, lease.id)
        corrects = calls[0] if action[2] and calls else None
        ops.record_correction(
            session, lease, amount=action[1], on=START, note="régularisation", by=staff, corrects=corrects
        )
    documents.issue_receipts(session, lease_id=lease.id, on=START + timedelta(days=5))


def check_invariants(session, lease) -> None:  # type: ignore[no-untyped-def]
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.lease_id == lease.id)).all()
    allocated: dict[int, D] = {entry.id: D("0") for entry in entries}
    for allocation in session.scalars(
        select(Allocation)
        .join(LedgerEntry, Allocation.debit_id == LedgerEntry.id)
        .where(LedgerEntry.lease_id == lease.id)
    ):
        assert allocation.amount > 0
        assert allocation.debit.amount > 0 > allocation.credit.amount
        allocated[allocation.debit_id] += allocation.amount
        allocated[allocation.credit_id] += allocation.amount
    totals = dict.fromkeys(EntryKind, D("0"))
    for entry in entries:
        assert entry.settled == allocated[entry.id], "settled is the sum of the allocations"
        assert D("0") <= entry.settled <= abs(entry.amount), "never allocated beyond the amount"
        totals[entry.kind] += entry.amount
    balance = (
        totals[EntryKind.CALL] - (-totals[EntryKind.PAYMENT]) + totals[EntryKind.REFUND] + totals[EntryKind.CORRECTION]
    )
    assert queries.lease_balance(session, lease.id) == balance == sum((e.amount for e in entries), D("0"))
    open_debits = [e for e in entries if e.amount > 0 and e.settled < e.amount]
    open_credits = [e for e in entries if e.amount < 0 and e.settled < -e.amount]
    assert not (open_debits and open_credits), "what is paid is always allocated to what is owed"
    issued = queries.receipts_by_call(session, lease.id)
    for entry in entries:
        if entry.kind is not EntryKind.CALL:
            continue
        kinds = issued.get(entry.id, [])
        fully_paid = entry.amount > 0 and entry.settled == entry.amount
        assert ("quittance" in kinds) == fully_paid, "a quittance exactly for the fully paid periods"
        if "recu" in kinds:
            assert entry.settled > 0


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(step, min_size=1, max_size=12))
def test_any_sequence_keeps_the_ledger_invariants(session, setup, actions) -> None:  # type: ignore[no-untyped-def]
    lease, staff = setup
    savepoint = session.begin_nested()
    try:
        for action in actions:
            apply(session, lease, staff, action)
            check_invariants(session, lease)
    finally:
        savepoint.rollback()
