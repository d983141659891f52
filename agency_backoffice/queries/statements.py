"""Reads behind owner statements and payouts: money collected for owners, rents the association guarantees,
statements and batches, and the object checks for staff and owners."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import abort
from sqlalchemy import func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, selectinload
from sqlalchemy.sql.elements import ColumnElement

from agency_backoffice.models import (
    Allocation,
    EntryKind,
    Lease,
    LeaseKind,
    LeaseStatus,
    LedgerEntry,
    OwnerStatement,
    PaymentMethod,
    PayoutBatch,
)
from agency_backoffice.rules.ledger import month_end
from capture.models import Agreement, IMLMode, Landlord, Unit
from passerelle.models import Organisation, Role, User

CHUNK = 5_000  # ids per IN (…) list: well under SQLite's limit on bound parameters


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    values = sorted(set(ids))
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _not_issued(operator_id: int, period: date, landlord_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """The owner has no statement with this operator for this month yet."""
    return ~(
        select(OwnerStatement.id)
        .where(
            OwnerStatement.operator_id == operator_id,
            OwnerStatement.period == period,
            OwnerStatement.landlord_id == landlord_id,
        )
        .exists()
    )


# --- what a statement is computed from ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Collected:
    """A payment's allocation to a rent call of a lease the owner lets directly (mandate, or after a slide)."""

    allocation_id: int
    amount: Decimal
    call_id: int
    call_period: date
    lease_id: int
    landlord_id: int
    method: PaymentMethod


def collected(session: Session, operator_id: int, period: date, since: date) -> list[Collected]:
    """Payments allocated to the calls of the operator's direct leases, collected from ``since`` to the end of
    ``period`` (the money is the owner's from the later of the payment's date and the call's), for owners without
    a statement for ``period`` yet."""
    call, credit = aliased(LedgerEntry), aliased(LedgerEntry)
    end = month_end(period)
    rows = session.execute(
        select(
            Allocation.id,
            Allocation.amount,
            call.id,
            call.period,
            call.lease_id,
            Lease.landlord_id,
            credit.method,
        )
        .join(call, call.id == Allocation.debit_id)
        .join(credit, credit.id == Allocation.credit_id)
        .join(Lease, Lease.id == call.lease_id)
        .where(
            call.kind == EntryKind.CALL,
            credit.kind == EntryKind.PAYMENT,
            call.operator_id == operator_id,
            Lease.kind == LeaseKind.DIRECT,
            call.booked_on <= end,
            credit.booked_on <= end,
            or_(call.booked_on >= since, credit.booked_on >= since),
            _not_issued(operator_id, period, Lease.landlord_id),
        )
        .order_by(Allocation.id)
    ).all()
    result = []
    for allocation_id, amount, call_id, call_period, lease_id, landlord_id, method in rows:
        assert call_period is not None and method is not None  # a call has a period, a payment a method (CHECKs)
        result.append(
            Collected(
                allocation_id=allocation_id,
                amount=amount,
                call_id=call_id,
                call_period=call_period,
                lease_id=lease_id,
                landlord_id=landlord_id,
                method=method,
            )
        )
    return result


@dataclass(frozen=True)
class CallShare:
    """What a call is made of, and every allocation that settled it in the order they were made."""

    rent: Decimal
    charges: Decimal
    allocations: tuple[tuple[int, Decimal], ...]  # (allocation id, amount)


def call_shares(session: Session, call_ids: Iterable[int]) -> dict[int, CallShare]:
    calls: dict[int, tuple[Decimal, Decimal]] = {}
    allocations: dict[int, list[tuple[int, Decimal]]] = {}
    for chunk in _chunks(call_ids):
        for call_id, rent, charges in session.execute(
            select(LedgerEntry.id, LedgerEntry.rent, LedgerEntry.charges).where(LedgerEntry.id.in_(chunk))
        ).all():
            calls[call_id] = (rent or Decimal("0"), charges or Decimal("0"))
        for call_id, allocation_id, amount in session.execute(
            select(Allocation.debit_id, Allocation.id, Allocation.amount)
            .where(Allocation.debit_id.in_(chunk))
            .order_by(Allocation.id)
        ).all():
            allocations.setdefault(call_id, []).append((allocation_id, amount))
    return {
        call_id: CallShare(rent=rent, charges=charges, allocations=tuple(allocations.get(call_id, ())))
        for call_id, (rent, charges) in calls.items()
    }


def called_leases(session: Session, operator_id: int, period: date) -> list[int]:
    """The operator's direct leases with a rent call for ``period`` (a line on the statement, paid or not), for
    owners without a statement for ``period`` yet."""
    return list(
        session.scalars(
            select(Lease.id)
            .join(LedgerEntry, LedgerEntry.lease_id == Lease.id)
            .where(
                LedgerEntry.kind == EntryKind.CALL,
                LedgerEntry.period == period,
                LedgerEntry.operator_id == operator_id,
                Lease.kind == LeaseKind.DIRECT,
                _not_issued(operator_id, period, Lease.landlord_id),
            )
        ).all()
    )


def leases_by_id(session: Session, lease_ids: Iterable[int]) -> dict[int, Lease]:
    leases: dict[int, Lease] = {}
    for chunk in _chunks(lease_ids):
        for lease in session.scalars(
            select(Lease)
            .where(Lease.id.in_(chunk))
            .options(selectinload(Lease.unit).selectinload(Unit.commune), selectinload(Lease.agreement))
        ):
            leases[lease.id] = lease
    return leases


def guaranteed_agreements(session: Session, operator_id: int, period: date, since: date) -> list[Agreement]:
    """Signed leases to the association (sous-location, bail glissant before its slide) running some day from
    ``since`` to the end of ``period``, for owners without a statement for ``period`` yet."""
    return list(
        session.scalars(
            select(Agreement)
            .where(
                Agreement.operator_id == operator_id,
                Agreement.status == "signed",
                Agreement.mode.in_((IMLMode.SUBLEASE, IMLMode.BAIL_GLISSANT)),
                Agreement.starts_on <= month_end(period),
                or_(Agreement.ended_on.is_(None), Agreement.ended_on >= since),
                _not_issued(operator_id, period, Agreement.landlord_id),
            )
            .order_by(Agreement.id)
        ).all()
    )


def occupied_agreements(session: Session, agreement_ids: Iterable[int], period: date) -> set[int]:
    """Those of the agreements whose unit a household sub-let for at least one day of ``period``."""
    occupied: set[int] = set()
    for chunk in _chunks(agreement_ids):
        occupied.update(
            session.scalars(
                select(Lease.agreement_id).where(
                    Lease.agreement_id.in_(chunk),
                    Lease.kind == LeaseKind.SUBLEASE,
                    Lease.starts_on <= month_end(period),
                    or_(
                        Lease.status.in_((LeaseStatus.SIGNED, LeaseStatus.ACTIVE)),
                        (Lease.status == LeaseStatus.ENDED) & (Lease.ended_on >= period),
                    ),
                )
            ).all()
        )
    return occupied


@dataclass
class Reported:
    """What an owner's statements already counted: allocations (mandate) and months of rent (sous-location)."""

    allocations: set[int]
    months: set[tuple[int, date]]  # (agreement id, month)


def reported(session: Session, operator_id: int, since: date) -> dict[int, Reported]:
    """Per owner, what this operator's statements from ``since`` on already counted."""
    result: dict[int, Reported] = {}
    for landlord_id, lines in session.execute(
        select(OwnerStatement.landlord_id, OwnerStatement.lines).where(
            OwnerStatement.operator_id == operator_id, OwnerStatement.period >= since
        )
    ).all():
        counted = result.setdefault(landlord_id, Reported(set(), set()))
        for line in lines or ():
            counted.allocations.update(int(allocation) for allocation in line.get("allocations", ()))
            if line.get("guaranteed") and line.get("month"):
                counted.months.add((int(line["agreement_id"]), date.fromisoformat(line["month"])))
    return result


def first_statement_period(session: Session, operator_id: int) -> date | None:
    """The month of the operator's first statement: from then on, all it collected or owes is on a statement."""
    return session.scalar(select(func.min(OwnerStatement.period)).where(OwnerStatement.operator_id == operator_id))


def carried_balances(session: Session, operator_id: int, before: date) -> dict[int, Decimal]:
    """Per owner, the balance carried over from this operator's statements before ``before`` (≤ 0: what the
    owner owes; a positive balance is always paid out). Each statement carries what it owed and did not pay."""
    rows = session.execute(
        select(
            OwnerStatement.landlord_id,
            func.sum(
                OwnerStatement.collected - OwnerStatement.fees - OwnerStatement.deductions - OwnerStatement.payout
            ),
        )
        .where(OwnerStatement.operator_id == operator_id, OwnerStatement.period < before)
        .group_by(OwnerStatement.landlord_id)
    ).all()
    return {landlord_id: Decimal(total or 0).quantize(Decimal("0.01")) for landlord_id, total in rows}


def units_by_id(session: Session, unit_ids: Iterable[int]) -> dict[int, Unit]:
    units: dict[int, Unit] = {}
    for chunk in _chunks(unit_ids):
        for unit in session.scalars(select(Unit).where(Unit.id.in_(chunk)).options(selectinload(Unit.commune))):
            units[unit.id] = unit
    return units


def landlords_by_id(session: Session, landlord_ids: Iterable[int]) -> dict[int, Landlord]:
    landlords: dict[int, Landlord] = {}
    for chunk in _chunks(landlord_ids):
        for landlord in session.scalars(select(Landlord).where(Landlord.id.in_(chunk))):
            landlords[landlord.id] = landlord
    return landlords


# --- statements and batches --------------------------------------------------------------------------------------


def statement_months(session: Session, operator_id: int) -> list[date]:
    """Months with statements of this operator, latest first."""
    return list(
        session.scalars(
            select(OwnerStatement.period)
            .where(OwnerStatement.operator_id == operator_id)
            .distinct()
            .order_by(OwnerStatement.period.desc())
        ).all()
    )


def operator_statements(session: Session, operator_id: int, period: date) -> Sequence[OwnerStatement]:
    return session.scalars(
        select(OwnerStatement)
        .join(Landlord, Landlord.id == OwnerStatement.landlord_id)
        .where(OwnerStatement.operator_id == operator_id, OwnerStatement.period == period)
        .options(selectinload(OwnerStatement.landlord), selectinload(OwnerStatement.batch))
        .order_by(Landlord.name, OwnerStatement.id)
    ).all()


def unbatched_statements(session: Session, operator_id: int, period: date) -> Sequence[OwnerStatement]:
    """The month's statements with something to pay that no batch has taken yet."""
    return session.scalars(
        select(OwnerStatement)
        .join(Landlord, Landlord.id == OwnerStatement.landlord_id)
        .where(
            OwnerStatement.operator_id == operator_id,
            OwnerStatement.period == period,
            OwnerStatement.batch_id.is_(None),
            OwnerStatement.payout > 0,
        )
        .options(selectinload(OwnerStatement.landlord))
        .order_by(Landlord.name, OwnerStatement.id)
    ).all()


def operator_batches(session: Session, operator_id: int, period: date) -> Sequence[PayoutBatch]:
    return session.scalars(
        select(PayoutBatch)
        .where(PayoutBatch.operator_id == operator_id, PayoutBatch.period == period)
        .order_by(PayoutBatch.id)
    ).all()


def batch_count(session: Session, operator_id: int, period: date) -> int:
    return (
        session.scalar(
            select(func.count(PayoutBatch.id)).where(
                PayoutBatch.operator_id == operator_id, PayoutBatch.period == period
            )
        )
        or 0
    )


def landlord_statements(session: Session, user: User, *, limit: int = 36) -> list[tuple[OwnerStatement, str]]:
    """The statements of the owner behind a portal account with the name of the operator who issued each,
    latest first."""
    rows = session.execute(
        select(OwnerStatement, Organisation.name)
        .join(Landlord, Landlord.id == OwnerStatement.landlord_id)
        .join(Organisation, Organisation.id == OwnerStatement.operator_id)
        .where(Landlord.user_id == user.id)
        .options(selectinload(OwnerStatement.batch))
        .order_by(OwnerStatement.period.desc(), OwnerStatement.id.desc())
        .limit(limit)
    ).all()
    return [(statement, name) for statement, name in rows]


def get_statement_for_staff_or_404(session: Session, user: User, statement_id: int) -> OwnerStatement:
    """A statement of the staff member's operator; 404 otherwise (never 403: no leak)."""
    statement = session.get(OwnerStatement, statement_id)
    if statement is None or user.role is not Role.AGENCY_STAFF or statement.operator_id != user.organisation_id:
        abort(404)
    return statement


def get_statement_for_landlord_or_404(session: Session, user: User, statement_id: int) -> OwnerStatement:
    """One of the owner's own statements; anyone else's does not exist for them."""
    statement = session.get(OwnerStatement, statement_id)
    if statement is None or user.role is not Role.LANDLORD or statement.landlord.user_id != user.id:
        abort(404)
    return statement


def get_batch_for_staff_or_404(session: Session, user: User, batch_id: int) -> PayoutBatch:
    batch = session.get(PayoutBatch, batch_id)
    if batch is None or user.role is not Role.AGENCY_STAFF or batch.operator_id != user.organisation_id:
        abort(404)
    return batch
