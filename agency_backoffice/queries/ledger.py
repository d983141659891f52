"""Reads of the rent ledger: balances per lease and household, a lease's statement of account, open items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import abort
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from agency_backoffice.models import Allocation, EntryKind, Lease, LedgerDocument, LedgerEntry
from capture.models import Unit
from passerelle.models import Role, User


def lease_balance(session: Session, lease_id: int) -> Decimal:
    """What the household owes on this lease (> 0), or has paid in advance (< 0)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.lease_id == lease_id)
    )
    return Decimal(total or 0).quantize(Decimal("0.01"))


def household_balance(session: Session, household_id: int) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.household_id == household_id)
    )
    return Decimal(total or 0).quantize(Decimal("0.01"))


def lease_entries(session: Session, lease_id: int) -> Sequence[LedgerEntry]:
    return session.scalars(
        select(LedgerEntry).where(LedgerEntry.lease_id == lease_id).order_by(LedgerEntry.due_on, LedgerEntry.id)
    ).all()


def lease_calls(session: Session, lease_id: int) -> Sequence[LedgerEntry]:
    return session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.lease_id == lease_id, LedgerEntry.kind == EntryKind.CALL)
        .order_by(LedgerEntry.period.desc())
    ).all()


def allocations_of(session: Session, entry_id: int) -> Sequence[Allocation]:
    return session.scalars(
        select(Allocation)
        .where((Allocation.debit_id == entry_id) | (Allocation.credit_id == entry_id))
        .order_by(Allocation.id)
    ).all()


def balance_before(session: Session, call: LedgerEntry) -> Decimal:
    """The lease's account just before a call: arrears (> 0) or credit (< 0) the notice carries over."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.lease_id == call.lease_id,
            LedgerEntry.id != call.id,
            (LedgerEntry.due_on < call.due_on) | ((LedgerEntry.due_on == call.due_on) & (LedgerEntry.id < call.id)),
        )
    )
    return Decimal(total or 0).quantize(Decimal("0.01"))


def receipts_by_call(session: Session, lease_id: int) -> dict[int, list[str]]:
    """Kinds of the documents issued for each call of a lease (``{call id: ["quittance", …]}``)."""
    result: dict[int, list[str]] = {}
    for entry_id, kind in session.execute(
        select(LedgerDocument.entry_id, LedgerDocument.kind).where(LedgerDocument.lease_id == lease_id)
    ).all():
        result.setdefault(entry_id, []).append(kind.value)
    return result


PAGE_SIZE = 50


@dataclass(frozen=True)
class AccountRow:
    lease: Lease
    balance: Decimal
    unpaid_since: date | None  # due date of the oldest call not fully paid


@dataclass(frozen=True)
class AccountPage:
    rows: list[AccountRow]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def operator_accounts(session: Session, operator_id: int, *, owing_only: bool, page: int = 1) -> AccountPage:
    """The operator's leases with an account: what each household owes, largest debts first."""
    balance = func.coalesce(func.sum(LedgerEntry.amount), 0)
    unpaid = func.min(case((LedgerEntry.settled < LedgerEntry.amount, LedgerEntry.due_on), else_=None))
    query = (
        select(LedgerEntry.lease_id, balance.label("balance"), unpaid.label("unpaid_since"))
        .where(LedgerEntry.operator_id == operator_id)
        .group_by(LedgerEntry.lease_id)
    )
    if owing_only:
        query = query.having(balance > 0)
    rows = session.execute(query).all()
    rows = sorted(rows, key=lambda row: (-Decimal(row.balance or 0), row.lease_id))
    total = len(rows)
    window = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    leases = {
        lease.id: lease
        for lease in session.scalars(
            select(Lease)
            .where(Lease.id.in_([row.lease_id for row in window]))
            .options(selectinload(Lease.unit).selectinload(Unit.commune), selectinload(Lease.household))
        )
    }
    return AccountPage(
        [
            AccountRow(
                leases[row.lease_id],
                Decimal(row.balance or 0).quantize(Decimal("0.01")),
                row.unpaid_since,
            )
            for row in window
        ],
        total,
        page,
    )


def get_entry_for_staff_or_404(session: Session, user: User, entry_id: int) -> LedgerEntry:
    entry = session.get(LedgerEntry, entry_id)
    if entry is None or user.role is not Role.AGENCY_STAFF or entry.operator_id != user.organisation_id:
        abort(404)
    return entry


def get_ledger_document_for_staff_or_404(session: Session, user: User, document_id: int) -> LedgerDocument:
    document = session.get(LedgerDocument, document_id)
    if document is None or user.role is not Role.AGENCY_STAFF or document.operator_id != user.organisation_id:
        abort(404)
    return document


def documents_by_call(session: Session, lease_id: int) -> dict[int, list[LedgerDocument]]:
    result: dict[int, list[LedgerDocument]] = {}
    for document in session.scalars(
        select(LedgerDocument).where(LedgerDocument.lease_id == lease_id).order_by(LedgerDocument.id)
    ):
        result.setdefault(document.entry_id, []).append(document)
    return result
