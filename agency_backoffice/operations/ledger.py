"""Writes to the rent ledger: rent calls (set-based, idempotent), payments, refunds, corrections, allocation.

Every change is a new entry; what moves is only an entry's ``settled`` amount, as allocations are made, and the
database refuses settling an entry beyond its amount. After each new entry the lease's open credits are
allocated to its open debits oldest-due first (``settle_lease``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum

from sqlalchemy import bindparam, func, or_, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from agency_backoffice.models import (
    Allocation,
    EntryKind,
    Lease,
    LeaseEndReason,
    LeaseStatus,
    LedgerEntry,
    PaymentMethod,
)
from agency_backoffice.rules import ledger as rules
from passerelle.audit import audit
from passerelle.db import utcnow
from passerelle.formatting import money
from passerelle.models import Organisation, OrganisationKind, User

CALL_BATCH = 5_000
# Months before the current one whose missing calls the job still issues (a lease recorded after its start, a
# scheduler down for a few days). Older months are not invented: they were settled before Passerelle.
CATCH_UP_MONTHS = 3


class LedgerError(ValueError):
    """A ledger write refused, in French."""


def lease_terms(lease: Lease) -> rules.LeaseTerms:
    return rules.LeaseTerms(
        rent=lease.rent,
        charges=lease.charges,
        benefit=lease.benefit_monthly,
        starts_on=lease.starts_on,
        ends_on=lease.ended_on if lease.status is LeaseStatus.ENDED else None,
        payment_day=lease.payment_day,
    )


# --- rent calls ----------------------------------------------------------------------------------------------


def _billable(period: date) -> tuple[ColumnElement[bool], ...]:
    """Leases that owe rent for some day of ``period``: signed or active, or ended during or after it."""
    return (
        Lease.starts_on <= rules.month_end(period),
        or_(
            Lease.status.in_((LeaseStatus.SIGNED, LeaseStatus.ACTIVE)),
            (Lease.status == LeaseStatus.ENDED)
            & (Lease.ended_on >= period)
            & (Lease.end_reason != LeaseEndReason.CANCELLED),
        ),
    )


@dataclass(frozen=True)
class CallRun:
    periods: tuple[date, ...]
    created: int


def _stored(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, object]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on the one-call-per-lease-and-month index (both engines).

    On PostgreSQL the batch is one statement whose columns arrive as arrays (``unnest``): 100,000 single-row
    statements cost the server more than the rows themselves (bench/bench_ledger.py).
    """
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        session.execute(
            sqlite.insert(LedgerEntry).on_conflict_do_nothing(
                index_elements=["lease_id", "period"], index_where=text("kind = 'call'")
            ),
            rows,
        )
        return
    table = LedgerEntry.__table__
    names = list(rows[0])
    arrays = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(dialect=dialect)}[])" for name in names)
    statement = text(
        f"INSERT INTO ledger_entries ({', '.join(names)}, created_at) "  # noqa: S608 - column names are ours
        f"SELECT *, :created_at FROM unnest({arrays}) "
        "ON CONFLICT (lease_id, period) WHERE kind = 'call' DO NOTHING"
    ).bindparams(bindparam("created_at", type_=table.c.created_at.type))
    # psycopg writes a Python Enum by its name: the arrays carry the stored values.
    values = {name: [_stored(row[name]) for row in rows] for name in names}
    session.execute(statement, {**values, "created_at": utcnow()})


def issue_rent_calls(session: Session, on: date, *, operator_ids: Sequence[int] | None = None) -> CallRun:
    """Create the missing rent calls due on ``on`` for every operator (or those given), set-based.

    Each operator chooses the day its calls go out (``rent_call_day``): from that day the next month's calls
    exist; the current month's missing calls are created whatever the day (catch-up). A second run, or a run
    after a crash half-way, creates only what is missing: the database holds one call per lease and month.
    """
    operators = select(Organisation.id, Organisation.rent_call_day).where(
        Organisation.kind.in_((OrganisationKind.AIS, OrganisationKind.ASSOCIATION))
    )
    if operator_ids is not None:
        operators = operators.where(Organisation.id.in_(operator_ids))
    created = 0
    all_periods: set[date] = set()
    for operator_id, call_day in session.execute(operators).all():
        for period in rules.call_periods(on, call_day, CATCH_UP_MONTHS):
            all_periods.add(period)
            created += _issue_for_period(session, operator_id, period, on)
    session.flush()
    _settle_advances(session, operator_ids)
    return CallRun(periods=tuple(sorted(all_periods)), created=created)


def _issue_for_period(session: Session, operator_id: int, period: date, on: date) -> int:
    existing = select(LedgerEntry.lease_id).where(LedgerEntry.kind == EntryKind.CALL, LedgerEntry.period == period)
    leases = session.execute(
        select(
            Lease.id,
            Lease.household_id,
            Lease.rent,
            Lease.charges,
            Lease.benefit_monthly,
            Lease.starts_on,
            Lease.status,
            Lease.ended_on,
            Lease.payment_day,
        )
        .where(Lease.operator_id == operator_id, *_billable(period), Lease.id.not_in(existing))
        .order_by(Lease.id)
    ).all()
    rows: list[dict[str, object]] = []
    count = 0
    for lease in leases:
        call = rules.rent_call(
            rules.LeaseTerms(
                rent=lease.rent,
                charges=lease.charges,
                benefit=lease.benefit_monthly,
                starts_on=lease.starts_on,
                ends_on=lease.ended_on if lease.status is LeaseStatus.ENDED else None,
                payment_day=lease.payment_day,
            ),
            period,
        )
        if call is None:
            continue
        rows.append(_call_row(operator_id, lease.id, lease.household_id, call, on))
        if len(rows) >= CALL_BATCH:
            _insert_ignoring_duplicates(session, rows)
            count += len(rows)
            rows = []
    if rows:
        _insert_ignoring_duplicates(session, rows)
        count += len(rows)
    return count


def _call_row(operator_id: int, lease_id: int, household_id: int, call: rules.CallAmounts, on: date) -> dict:
    return {
        "operator_id": operator_id,
        "lease_id": lease_id,
        "household_id": household_id,
        "kind": EntryKind.CALL,
        "amount": call.amount,
        "settled": Decimal("0"),
        "booked_on": min(on, call.due_on),
        "due_on": call.due_on,
        "period": call.period,
        "period_start": call.period_start,
        "period_end": call.period_end,
        "rent": call.rent,
        "charges": call.charges,
        "benefit": call.benefit,
    }


def issue_rent_call(session: Session, lease: Lease, period: date, *, on: date) -> LedgerEntry | None:
    """One lease's call for one month (row by row: for a single lease, and as the benchmark's baseline)."""
    existing = session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.lease_id == lease.id, LedgerEntry.kind == EntryKind.CALL, LedgerEntry.period == period
        )
    )
    if existing is not None:
        return existing
    call = rules.rent_call(lease_terms(lease), period)
    if call is None:
        return None
    entry = LedgerEntry(**_call_row(lease.operator_id, lease.id, lease.household_id, call, on))
    session.add(entry)
    session.flush()
    settle_lease(session, lease.id)
    return entry


def _settle_advances(session: Session, operator_ids: Sequence[int] | None) -> None:
    """Apply credits paid in advance to the calls just created (only leases with an open credit)."""
    query = select(LedgerEntry.lease_id).where(LedgerEntry.amount < 0, LedgerEntry.settled < -LedgerEntry.amount)
    if operator_ids is not None:
        query = query.where(LedgerEntry.operator_id.in_(operator_ids))
    for lease_id in session.scalars(query.distinct()).all():
        settle_lease(session, lease_id)


# --- allocation ----------------------------------------------------------------------------------------------


def _open_entries(session: Session, lease_id: int) -> tuple[list[LedgerEntry], list[LedgerEntry]]:
    entries = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.lease_id == lease_id, LedgerEntry.settled < func.abs(LedgerEntry.amount))
        .order_by(LedgerEntry.due_on, LedgerEntry.id)
    ).all()
    debits = [entry for entry in entries if entry.amount > 0]
    credits = [entry for entry in entries if entry.amount < 0]
    return debits, credits


def settle_lease(session: Session, lease_id: int) -> list[Allocation]:
    """Allocate the lease's open credits to its open debits, oldest due first.

    A refund is settled first by what is left of the payment it refunds (an overpayment given back); a credit
    correction goes first to the entry it corrects.
    """
    debits, credits = _open_entries(session, lease_id)
    made: list[Allocation] = []
    if not debits or not credits:
        return made
    for credit in credits:
        preferred = credit.reverses_id
        for debit in debits:
            if debit.kind is EntryKind.REFUND and debit.reverses_id == credit.id:
                preferred = debit.id
        items = [rules.OpenItem(id=d.id, due_on=d.due_on, open=d.open_amount) for d in debits if d.open_amount > 0]
        by_id = {debit.id: debit for debit in debits}
        for debit_id, share in rules.allocate(credit.open_amount, items, first=preferred):
            made.append(_allocate(session, by_id[debit_id], credit, share))
    session.flush()
    return made


def _allocate(session: Session, debit: LedgerEntry, credit: LedgerEntry, amount: Decimal) -> Allocation:
    existing = session.scalar(
        select(Allocation).where(Allocation.debit_id == debit.id, Allocation.credit_id == credit.id)
    )
    debit.settled += amount
    credit.settled += amount
    if existing is not None:
        existing.amount += amount
        return existing
    allocation = Allocation(debit_id=debit.id, credit_id=credit.id, amount=amount)
    session.add(allocation)
    return allocation


# --- payments, refunds, corrections ----------------------------------------------------------------------


def _money(amount: Decimal) -> Decimal:
    if amount != amount.quantize(rules.CENT):
        raise LedgerError("Le montant doit être en euros et centimes (deux décimales au plus).")
    return amount


def record_payment(
    session: Session,
    lease: Lease,
    *,
    amount: Decimal,
    method: PaymentMethod,
    received_on: date,
    by: User | None,
    reference: str | None = None,
    external_id: str | None = None,
    note: str | None = None,
) -> LedgerEntry:
    """Record money received for a lease and allocate it to the oldest amounts due."""
    amount = _money(amount)
    if amount <= 0:
        raise LedgerError("Le montant d'un paiement doit être positif.")
    if lease.status is LeaseStatus.DRAFT:
        raise LedgerError("Ce bail n'est pas encore signé : aucun paiement ne peut y être enregistré.")
    entry = LedgerEntry(
        operator_id=lease.operator_id,
        lease_id=lease.id,
        household_id=lease.household_id,
        kind=EntryKind.PAYMENT,
        amount=-amount,
        booked_on=received_on,
        due_on=received_on,
        method=method,
        reference=reference,
        external_id=external_id,
        note=note,
        created_by_id=by.id if by else None,
    )
    return _post(session, entry, by, "ledger.payment", amount=amount, method=method.value)


def refundable(session: Session, payment: LedgerEntry) -> Decimal:
    """What is left to refund of a payment (its amount less the refunds already made)."""
    refunded = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.kind == EntryKind.REFUND, LedgerEntry.reverses_id == payment.id
        )
    )
    return -payment.amount - Decimal(refunded or 0)


def record_refund(
    session: Session,
    payment: LedgerEntry,
    *,
    amount: Decimal,
    on: date,
    by: User | None,
    note: str | None = None,
    external_id: str | None = None,
) -> LedgerEntry:
    """Give money back on a payment (an overpayment returned, a card refund, a failed debit): a new debit."""
    amount = _money(amount)
    if payment.kind is not EntryKind.PAYMENT:
        raise LedgerError("Seul un paiement peut être remboursé.")
    if amount <= 0:
        raise LedgerError("Le montant du remboursement doit être positif.")
    left = refundable(session, payment)
    if amount > left:
        raise LedgerError(f"Le remboursement dépasse ce qui reste du paiement ({money(left)}).")
    entry = LedgerEntry(
        operator_id=payment.operator_id,
        lease_id=payment.lease_id,
        household_id=payment.household_id,
        kind=EntryKind.REFUND,
        amount=amount,
        booked_on=on,
        due_on=on,
        reverses_id=payment.id,
        external_id=external_id,
        note=note,
        created_by_id=by.id if by else None,
    )
    return _post(session, entry, by, "ledger.refund", amount=amount, payment=payment.id)


def record_correction(
    session: Session,
    lease: Lease,
    *,
    amount: Decimal,
    on: date,
    note: str,
    by: User | None,
    corrects: LedgerEntry | None = None,
) -> LedgerEntry:
    """A régularisation: > 0 adds to what is owed (charges adjustment), < 0 credits the household."""
    amount = _money(amount)
    if amount == 0:
        raise LedgerError("Une régularisation de 0 € ne change rien.")
    if not note.strip():
        raise LedgerError("Indiquez le motif de la régularisation.")
    if corrects is not None and corrects.lease_id != lease.id:
        raise LedgerError("L'écriture corrigée appartient à un autre bail.")
    entry = LedgerEntry(
        operator_id=lease.operator_id,
        lease_id=lease.id,
        household_id=lease.household_id,
        kind=EntryKind.CORRECTION,
        amount=amount,
        booked_on=on,
        due_on=corrects.due_on if corrects is not None and amount > 0 else on,
        reverses_id=corrects.id if corrects is not None else None,
        note=note.strip(),
        created_by_id=by.id if by else None,
    )
    return _post(session, entry, by, "ledger.correction", amount=amount)


def _post(session: Session, entry: LedgerEntry, by: User | None, action: str, **details: object) -> LedgerEntry:
    """Add a new entry, allocate the lease's open credits to its open debits, and log who did it."""
    session.add(entry)
    session.flush()
    settle_lease(session, entry.lease_id)
    audit(
        session,
        actor=by,
        action=action,
        object_type="ledger_entry",
        object_id=entry.id,
        lease=entry.lease_id,
        **details,
    )
    return entry
