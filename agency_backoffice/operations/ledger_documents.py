"""Rent call notices, quittances and reçus: built from the ledger (contracts/ builders), stored with their hash.

- a **quittance** for every call fully paid (loi 89-462 art. 21), once;
- a **reçu** for a call partly paid, one per payment allocated to it while the call is still not fully paid;
- the **avis d'échéance** of a call, rendered on request (same input, same bytes).
Storing needs an application context (the upload folder is the app's).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased, selectinload

from agency_backoffice.models import (
    Allocation,
    EntryKind,
    Lease,
    LedgerDocument,
    LedgerDocumentKind,
    LedgerEntry,
    PaymentMethod,
)
from agency_backoffice.operations.receipt_rendering import render_receipts
from agency_backoffice.queries import ledger as queries
from capture.models import IMLMode, Unit
from capture.operations.agreement_documents import operator_party, owner_party, unit_address
from contracts.rent_documents import (
    BankDetails,
    ReceiptKind,
    ReceivedPayment,
    RentCallNotice,
    RentReceipt,
    render_rent_call_notice,
)
from passerelle import storage

RECEIPT_BATCH = 500


@dataclass(frozen=True)
class ReceiptRun:
    documents: list[LedgerDocument]

    @property
    def quittances(self) -> int:
        return sum(1 for document in self.documents if document.kind is LedgerDocumentKind.QUITTANCE)

    @property
    def recus(self) -> int:
        return sum(1 for document in self.documents if document.kind is LedgerDocumentKind.RECU)


def lease_reference(lease: Lease) -> str:
    return f"Bail n° {lease.id}" if lease.kind.value == "direct" else f"Contrat de sous-location n° {lease.id}"


def _payment_line(credit: LedgerEntry, amount: Decimal) -> ReceivedPayment:
    if credit.kind is EntryKind.PAYMENT and credit.method is not None:
        label = credit.method.label + (f" n° {credit.reference}" if credit.reference else "")
        return ReceivedPayment(
            paid_on=credit.booked_on,
            amount=amount,
            method_label=label,
            housing_benefit=credit.method.is_housing_benefit,
        )
    return ReceivedPayment(paid_on=credit.booked_on, amount=amount, method_label="Régularisation en votre faveur")


def _payments_of(session: Session, call_ids: Sequence[int]) -> dict[int, tuple[ReceivedPayment, ...]]:
    """What settled each call, in one query: the credits allocated to it, oldest first."""
    rows = session.execute(
        select(Allocation.debit_id, LedgerEntry, Allocation.amount)
        .join(Allocation, Allocation.credit_id == LedgerEntry.id)
        .where(Allocation.debit_id.in_(call_ids))
        .order_by(Allocation.debit_id, LedgerEntry.booked_on, LedgerEntry.id)
    ).all()
    payments: dict[int, list[ReceivedPayment]] = {}
    for debit_id, credit, amount in rows:
        payments.setdefault(debit_id, []).append(_payment_line(credit, amount))
    return {call_id: tuple(lines) for call_id, lines in payments.items()}


def _receipt(
    call: LedgerEntry, payments: tuple[ReceivedPayment, ...], kind: ReceiptKind, number: str, on: date
) -> RentReceipt:
    lease = call.lease
    under_mandate = lease.mode is IMLMode.MANDATE or lease.kind.value == "direct"
    landlord = owner_party(lease.landlord) if under_mandate else operator_party(lease.operator)
    assert call.period_start is not None and call.period_end is not None
    return RentReceipt(
        kind=kind,
        number=number,
        landlord=landlord,
        agent=operator_party(lease.operator) if under_mandate else None,
        tenants=tuple(lease.tenants),
        unit_address=unit_address(lease.unit),
        lease_reference=lease_reference(lease),
        period_start=call.period_start,
        period_end=call.period_end,
        rent=call.rent or Decimal("0"),
        charges=call.charges or Decimal("0"),
        payments=payments,
        benefit_payer=lease.benefit_payer.label if lease.benefit_payer else "CAF",
        issued_on=on,
    )


def _store(
    session: Session,
    call: LedgerEntry,
    kind: LedgerDocumentKind,
    number: str,
    pdf: bytes,
    on: date,
    credit_id: int | None = None,
) -> LedgerDocument:
    filename = f"{kind.label} {number}.pdf".replace("'", "")
    stored = storage.save(storage.check(pdf, filename=filename, allowed={"application/pdf"}, max_bytes=len(pdf)))
    document = LedgerDocument(
        operator_id=call.operator_id,
        lease_id=call.lease_id,
        entry_id=call.id,
        credit_id=credit_id,
        kind=kind,
        number=number,
        sha256=stored.sha256,
        filename=stored.filename,
        size=stored.size,
        issued_on=on,
    )
    session.add(document)
    return document


def _quittances_due(session: Session, lease_id: int | None, operator_ids: Sequence[int] | None) -> list[int]:
    has_quittance = exists().where(
        LedgerDocument.entry_id == LedgerEntry.id, LedgerDocument.kind == LedgerDocumentKind.QUITTANCE
    )
    query = select(LedgerEntry.id).where(
        LedgerEntry.kind == EntryKind.CALL,
        LedgerEntry.amount > 0,
        LedgerEntry.settled >= LedgerEntry.amount,
        ~has_quittance,
    )
    if lease_id is not None:
        query = query.where(LedgerEntry.lease_id == lease_id)
    if operator_ids is not None:
        query = query.where(LedgerEntry.operator_id.in_(operator_ids))
    return list(session.scalars(query.order_by(LedgerEntry.id)).all())


def _recus_due(session: Session, lease_id: int | None, operator_ids: Sequence[int] | None) -> list[tuple[int, int]]:
    call = aliased(LedgerEntry)
    has_recu = exists().where(
        LedgerDocument.entry_id == Allocation.debit_id,
        LedgerDocument.credit_id == Allocation.credit_id,
        LedgerDocument.kind == LedgerDocumentKind.RECU,
    )
    query = (
        select(Allocation.debit_id, Allocation.credit_id)
        .join(call, and_(call.id == Allocation.debit_id, call.kind == EntryKind.CALL))
        .where(call.settled < call.amount, ~has_recu)
    )
    if lease_id is not None:
        query = query.where(call.lease_id == lease_id)
    if operator_ids is not None:
        query = query.where(call.operator_id.in_(operator_ids))
    return [(row[0], row[1]) for row in session.execute(query.order_by(Allocation.id)).all()]


def issue_receipts(
    session: Session, *, on: date, lease_id: int | None = None, operator_ids: Sequence[int] | None = None
) -> ReceiptRun:
    """Issue the quittances and reçus that are due and not issued yet (idempotent).

    The calls and what settled them are read in batches (a few queries per batch, not per call); the PDFs are
    rendered by a pool of worker processes when there are many (receipt_rendering), in order, while this
    process reads the next batch and stores the files.
    """
    jobs: list[tuple[int, ReceiptKind, int | None]] = [
        (call_id, ReceiptKind.QUITTANCE, None) for call_id in _quittances_due(session, lease_id, operator_ids)
    ]
    jobs += [
        (call_id, ReceiptKind.RECU, credit_id) for call_id, credit_id in _recus_due(session, lease_id, operator_ids)
    ]
    made: list[tuple[LedgerEntry, ReceiptKind, str, int | None]] = []

    def documents() -> Iterator[RentReceipt]:
        for start in range(0, len(jobs), RECEIPT_BATCH):
            batch = jobs[start : start + RECEIPT_BATCH]
            calls = _calls(session, [call_id for call_id, _, _ in batch])
            payments = _payments_of(session, list(calls))
            for call_id, kind, credit_id in batch:
                call = calls[call_id]
                number = (
                    f"Q-{call.period:%Y}-{call.id:06d}"
                    if kind is ReceiptKind.QUITTANCE
                    else f"R-{call.period:%Y}-{call.id:06d}-{credit_id}"
                )
                made.append((call, kind, number, credit_id))
                yield _receipt(call, payments.get(call_id, ()), kind, number, on)

    issued: list[LedgerDocument] = []
    for index, pdf in enumerate(render_receipts(documents(), expected=len(jobs))):
        call, kind, number, credit_id = made[index]
        document_kind = LedgerDocumentKind.QUITTANCE if kind is ReceiptKind.QUITTANCE else LedgerDocumentKind.RECU
        issued.append(_store(session, call, document_kind, number, pdf, on, credit_id=credit_id))
    session.flush()
    return ReceiptRun(issued)


def _calls(session: Session, call_ids: Sequence[int]) -> dict[int, LedgerEntry]:
    """Calls with their lease and everything a receipt names (owner, operator, unit, commune), in a few queries."""
    return {
        call.id: call
        for call in session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.id.in_(call_ids))
            .options(
                selectinload(LedgerEntry.lease).options(
                    selectinload(Lease.landlord),
                    selectinload(Lease.operator),
                    selectinload(Lease.unit).selectinload(Unit.commune),
                )
            )
        )
    }


def rent_call_notice(session: Session, call: LedgerEntry, *, on: date, payment_url: str | None = None) -> bytes:
    """The avis d'échéance of a call: what is due, the housing benefit deducted, the balance before it."""
    lease = call.lease
    operator = lease.operator
    under_mandate = lease.kind.value == "direct"
    before = queries.balance_before(session, call)
    assert call.period_start is not None and call.period_end is not None
    return render_rent_call_notice(
        RentCallNotice(
            number=f"AE-{call.period:%Y-%m}-{call.id:06d}",
            issuer=operator_party(operator),
            landlord_name=lease.landlord.name if under_mandate else None,
            tenants=tuple(lease.tenants),
            unit_address=unit_address(lease.unit),
            lease_reference=lease_reference(lease),
            period_start=call.period_start,
            period_end=call.period_end,
            due_on=call.due_on,
            rent=call.rent or Decimal("0"),
            charges=call.charges or Decimal("0"),
            housing_benefit=call.benefit,
            benefit_payer=lease.benefit_payer.label if lease.benefit_payer else "CAF",
            previous_balance=before,
            bank=BankDetails(holder=operator.name, iban=operator.iban, bic=operator.bic) if operator.iban else None,
            transfer_reference=f"LOYER {lease.id} {call.period:%m-%Y}",
            payment_url=payment_url,
            other_payment_methods=(
                f"Chèque à l'ordre de {operator.name}",
                f"{PaymentMethod.CASH.label} : à l'accueil de {operator.name}, contre reçu",
            ),
            contact=" — ".join(part for part in (operator.phone, operator.email) if part) or None,
            issued_on=on,
        )
    )
