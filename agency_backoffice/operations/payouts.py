"""SEPA credit transfer batches (pain.001) that pay the owner statements of a month.

A batch pays every statement of the month issued and not yet in a batch, to an account the bank will accept; what
it leaves out comes with the French reason (no IBAN, an IBAN or BIC refused, the operator's own account missing).
A statement is never in two batches. The statements themselves are issued by
agency_backoffice/operations/statements.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from agency_backoffice.models import OwnerStatement, PayoutBatch
from agency_backoffice.operations.statements import can_issue, statement_drafts
from agency_backoffice.queries import statements as queries
from agency_backoffice.rules.ledger import CENT, ZERO
from agency_backoffice.rules.statements import StatementDraft, of_month, transfer_day
from capture.models import Landlord
from contracts.sepa_transfer import Debtor, SepaTransferError, Transfer, build_credit_transfer
from contracts.typography import MONTHS
from passerelle import storage
from passerelle.audit import audit
from passerelle.formatting import PARIS
from passerelle.models import Organisation, User


class PayoutError(ValueError):
    """A payout batch refused, in French."""


def remittance(period: date, operator: Organisation) -> str:
    """The text the owner reads on their bank statement (≤ 140 characters: the operator's name is shortened)."""
    return f"Relevé de gérance {MONTHS[period.month - 1]} {period.year} — {operator.name[:90]}"


def payout_transfer(statement: OwnerStatement, operator: Organisation) -> Transfer:
    landlord = statement.landlord
    assert landlord.iban is not None
    return Transfer(
        creditor_name=(landlord.account_holder or "").strip() or landlord.name,
        iban=landlord.iban,
        bic=(landlord.bic or "").strip() or None,
        amount=statement.payout,
        reference=f"PASS-{statement.id}",
        remittance=remittance(statement.period, operator),
    )


@dataclass(frozen=True)
class PayoutLine:
    statement: OwnerStatement
    transfer: Transfer | None
    problem: str | None  # French: why it is left out of the batch

    @property
    def account(self) -> str | None:
        """The owner's account as staff see it on screen: its last four characters."""
        iban = "".join((self.statement.landlord.iban or "").split()).upper()
        return f"IBAN •••• {iban[-4:]}" if iban else None


@dataclass(frozen=True)
class PayoutPlan:
    period: date
    debtor: Debtor | None
    debtor_problem: str | None
    lines: tuple[PayoutLine, ...]  # the month's statements to pay, not yet in a batch
    waiting: tuple[tuple[Landlord, StatementDraft], ...]  # owed something, no statement for want of an IBAN

    @property
    def ready(self) -> tuple[PayoutLine, ...]:
        return tuple(line for line in self.lines if line.transfer is not None and line.problem is None)

    @property
    def total(self) -> Decimal:
        return sum((line.statement.payout for line in self.ready), ZERO)


def _debtor(operator: Organisation, on: date) -> tuple[Debtor | None, str | None]:
    if not (operator.iban or "").strip() or not (operator.bic or "").strip():
        return (
            None,
            f"Le compte bancaire de {operator.name} (IBAN et BIC) n'est pas renseigné : aucun virement possible.",
        )
    debtor = Debtor(name=operator.name, iban=operator.iban or "", bic=operator.bic or "")
    probe = Transfer(operator.name, debtor.iban, debtor.bic, CENT, "CONTROLE", "Controle")
    try:
        # A file never stored, paying the operator one cent: checks the operator's own account details.
        build_credit_transfer(debtor, [probe], message_id="CONTROLE", execution_date=on, created_at=_midnight(on))
    except SepaTransferError as error:
        return None, f"Le compte bancaire de {operator.name} ne permet pas d'émettre les virements : {error}"
    return debtor, None


def _midnight(on: date) -> datetime:
    return datetime.combine(on, time())


def payout_plan(session: Session, operator: Organisation, period: date, *, on: date) -> PayoutPlan:
    """What a batch for ``period`` would pay, and what it must leave out (with the French reason)."""
    debtor, debtor_problem = _debtor(operator, on)
    lines: list[PayoutLine] = []
    for statement in queries.unbatched_statements(session, operator.id, period):
        if not can_issue(statement.landlord):
            problem = f"IBAN manquant pour {statement.landlord.name} : demandez-lui un RIB."
            lines.append(PayoutLine(statement, None, problem))
        else:
            lines.append(PayoutLine(statement, payout_transfer(statement, operator), None))
    if debtor is not None and lines:
        lines = _check_transfers(debtor, lines, on)
    drafts = statement_drafts(session, operator, period)
    landlords = queries.landlords_by_id(session, {draft.landlord_id for draft in drafts})
    waiting = [(landlords[d.landlord_id], d) for d in drafts if not can_issue(landlords[d.landlord_id])]
    return PayoutPlan(period, debtor, debtor_problem, tuple(lines), tuple(waiting))


def _check_transfers(debtor: Debtor, lines: list[PayoutLine], on: date) -> list[PayoutLine]:
    """Mark the transfers the bank would refuse (invalid IBAN or BIC…): one file first, one by one if it fails."""
    transfers = [line.transfer for line in lines if line.transfer is not None]
    try:
        if transfers:
            build_credit_transfer(debtor, transfers, message_id="CONTROLE", execution_date=on, created_at=_midnight(on))
        return lines
    except SepaTransferError:
        pass
    checked = []
    for line in lines:
        if line.transfer is not None:
            try:
                build_credit_transfer(
                    debtor, [line.transfer], message_id="CONTROLE", execution_date=on, created_at=_midnight(on)
                )
            except SepaTransferError as error:
                line = PayoutLine(line.statement, line.transfer, str(error))
        checked.append(line)
    return checked


def default_execution_date(period: date, today: date) -> date:
    return max(today, transfer_day(period))


def create_payout_batch(
    session: Session,
    operator: Organisation,
    period: date,
    *,
    execution_date: date,
    by: User,
    now: datetime,
) -> PayoutBatch:
    """One SEPA credit transfer file paying every statement of the month not yet paid and payable; a statement
    is never in two batches (the update below takes only statements still without a batch)."""
    today = now.astimezone(PARIS).date()
    if execution_date < today:
        raise PayoutError("La date d'exécution ne peut pas être passée.")
    plan = payout_plan(session, operator, period, on=execution_date)
    if plan.debtor is None:
        raise PayoutError(plan.debtor_problem or "Compte bancaire de l'opérateur manquant.")
    ready = plan.ready
    if not ready:
        raise PayoutError(f"Aucun relevé {of_month(period)} à payer : rien à mettre dans un lot de virements.")
    sequence = queries.batch_count(session, operator.id, period) + 1
    message_id = f"PASS-{operator.id}-{period:%Y%m}-{sequence}"
    transfers = [line.transfer for line in ready if line.transfer is not None]
    try:
        xml = build_credit_transfer(
            plan.debtor,
            transfers,
            message_id=message_id,
            execution_date=execution_date,
            created_at=now.astimezone(PARIS).replace(tzinfo=None, microsecond=0),
        )
    except SepaTransferError as error:
        raise PayoutError(str(error)) from error
    filename = f"virements-{period:%Y-%m}-{sequence}.xml"
    stored = storage.save(storage.CheckedFile(data=xml, content_type="application/xml", filename=filename))
    batch = PayoutBatch(
        operator_id=operator.id,
        period=period,
        execution_date=execution_date,
        message_id=message_id,
        count=len(transfers),
        total=sum((transfer.amount for transfer in transfers), ZERO),
        sha256=stored.sha256,
        filename=stored.filename,
        size=stored.size,
        created_by_id=by.id,
    )
    session.add(batch)
    session.flush()
    ids = [line.statement.id for line in ready]
    result = cast(
        CursorResult[Any],
        session.execute(
            update(OwnerStatement)
            .where(OwnerStatement.id.in_(ids), OwnerStatement.batch_id.is_(None))
            .values(batch_id=batch.id)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != len(ids):
        # Another batch took some of these statements meanwhile: the caller rolls back, nothing is paid twice.
        raise PayoutError("Un autre lot vient de prendre certains de ces relevés : rechargez la page.")
    for line in ready:
        session.expire(line.statement, ["batch_id", "batch"])
    audit(
        session,
        actor=by,
        action="payout_batch.create",
        object_type="payout_batch",
        object_id=batch.id,
        period=f"{period:%Y-%m}",
        count=batch.count,
        total=batch.total,
        statements=ids,
    )
    return batch
