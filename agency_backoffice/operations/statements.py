"""Owner statements (relevé de gérance) for a month, and the SEPA credit transfer batches that pay them.

What an operator owes an owner for month M:
- a unit the owner lets directly (mandate, or a bail glissant after its slide): the money collected for them —
  payments of the household and of the CAF/MSA (tiers payant) allocated to the lease's rent calls — less the
  management fees on the rent part. An allocation counts in the month the money became the owner's, the later
  of the payment's date and the call's (a payment in advance counts once its month is called), and on exactly
  one statement: the ids are kept in the statement's lines, so a payment recorded late, with a date in a month
  already stated, goes on the next statement instead of being lost;
- a unit let to the association (sous-location, bail glissant before its slide): the rent and charges of the
  main lease for every day of M the agreement runs, whatever the occupancy and whatever the household paid
  (domain.md §2: « même si le logement est vide ou si l'occupant ne paie pas »); each month once, and a month
  with no statement (the owner's IBAN was missing) goes on the next one.
Nothing from before the operator's first statement is swept up: statements start with the operator's first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_DOWN, Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from agency_backoffice.models import Lease, OwnerStatement, PaymentMethod, PayoutBatch
from agency_backoffice.operations.ledger_documents import lease_reference
from agency_backoffice.queries import statements as queries
from agency_backoffice.rules.ledger import CENT, ZERO, month_end, month_start, next_month, periods_between, prorate
from capture.models import Agreement, Landlord, Unit
from capture.operations.agreement_documents import operator_party, owner_party, unit_address
from capture.rules.indicators import SLIDE_END_REASON
from capture.rules.locavantages import add_months
from contracts import owner_statement as document
from contracts.ledger_layout import period_text
from contracts.sepa_transfer import Debtor, SepaTransferError, Transfer, build_credit_transfer
from contracts.typography import MONTHS, date_in_words, money
from passerelle import storage
from passerelle.audit import audit
from passerelle.formatting import PARIS
from passerelle.models import Organisation, OrganisationKind, User

# A payment recorded with a date more than a year back is not swept onto a statement (nor looked for).
LATE_WINDOW_MONTHS = 12
# Statements go out on the 1st for the month before; the transfer is announced for the 5th.
PAYOUT_DAY = 5


class PayoutError(ValueError):
    """A payout batch refused, in French."""


# --- arithmetic (pure) -------------------------------------------------------------------------------------------


def management_fees(rent_collected: Decimal, rate: Decimal | None) -> Decimal:
    """Fees on the rent collected, charges excluded (the mandate's article 5: « des loyers hors charges
    effectivement encaissés », contracts/mandate.py), truncated to the cent: a fraction of a cent is never taken
    from the owner (as the ledger never rounds up against the household: rules/ledger.py prorate)."""
    if rate is None or rent_collected <= 0:
        return ZERO
    return (rent_collected * rate).quantize(CENT, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class GuaranteedMonth:
    rent: Decimal
    charges: Decimal
    start: date
    end: date

    @property
    def whole(self) -> bool:
        return self.start.day == 1 and self.end == month_end(self.start)


def guaranteed_month(
    rent: Decimal, charges: Decimal, starts_on: date, ended_on: date | None, period: date
) -> GuaranteedMonth | None:
    """The main lease's rent for the days of ``period`` the agreement runs (first and last months prorated by days,
    truncated to the cent as every prorated rent), or None outside the agreement."""
    first, last = month_start(period), month_end(period)
    start = max(first, starts_on)
    end = last if ended_on is None else min(last, ended_on)
    if end < start:
        return None
    days, days_in_month = (end - start).days + 1, last.day
    return GuaranteedMonth(
        rent=prorate(rent, days, days_in_month), charges=prorate(charges, days, days_in_month), start=start, end=end
    )


def rent_first(rent: Decimal, allocations: Iterable[tuple[int, Decimal]]) -> dict[int, tuple[Decimal, Decimal]]:
    """Split each allocation of a call into (rent, charges), in the order they settled it: rent first, then the
    charges provision. No rule decides how a partial payment divides; a fixed order counts each cent once."""
    split: dict[int, tuple[Decimal, Decimal]] = {}
    settled = ZERO
    for allocation_id, amount in allocations:
        rent_part = max(ZERO, min(rent, settled + amount) - min(rent, settled))
        split[allocation_id] = (rent_part, amount - rent_part)
        settled += amount
    return split


def of_month(period: date) -> str:
    """« d'octobre 2026 », « de novembre 2026 »."""
    name = MONTHS[period.month - 1]
    return f"{'d’' if name[0] in 'aeiou' else 'de '}{name} {period.year}"


# --- what a statement says -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UnitLine:
    """One unit on a statement; stored as JSON in ``OwnerStatement.lines`` (amounts as strings)."""

    guaranteed: bool
    unit_id: int
    agreement_id: int
    lease_id: int | None
    month: date | None = None  # sous-location: the month of rent this line pays
    unit_address: tuple[str, ...]
    lease_reference: str
    tenants: tuple[str, ...] = ()
    rent: Decimal
    charges: Decimal
    housing_benefit: Decimal = ZERO
    benefit_payer: str = "CAF"
    fee_rate: Decimal | None = None
    fees: Decimal = ZERO
    notes: tuple[str, ...] = ()
    allocations: tuple[int, ...] = ()

    @property
    def collected(self) -> Decimal:
        return self.rent + self.charges

    @property
    def net(self) -> Decimal:
        return self.collected - self.fees

    def statement_unit(self) -> document.StatementUnit:
        return document.StatementUnit(
            unit_address=self.unit_address,
            lease_reference=self.lease_reference,
            tenants=self.tenants,
            guaranteed_rent=self.guaranteed,
            rent=self.rent,
            charges=self.charges,
            housing_benefit=self.housing_benefit,
            benefit_payer=self.benefit_payer,
            fee_rate=self.fee_rate,
            fees=self.fees,
            notes=self.notes,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "guaranteed": self.guaranteed,
            "unit_id": self.unit_id,
            "agreement_id": self.agreement_id,
            "lease_id": self.lease_id,
            "month": None if self.month is None else self.month.isoformat(),
            "unit_address": list(self.unit_address),
            "lease_reference": self.lease_reference,
            "tenants": list(self.tenants),
            "rent": str(self.rent),
            "charges": str(self.charges),
            "housing_benefit": str(self.housing_benefit),
            "benefit_payer": self.benefit_payer,
            "fee_rate": None if self.fee_rate is None else str(self.fee_rate),
            "fees": str(self.fees),
            "notes": list(self.notes),
            "allocations": list(self.allocations),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UnitLine:
        return cls(
            guaranteed=bool(data["guaranteed"]),
            unit_id=int(data["unit_id"]),
            agreement_id=int(data["agreement_id"]),
            lease_id=None if data.get("lease_id") is None else int(data["lease_id"]),
            month=date.fromisoformat(data["month"]) if data.get("month") else None,
            unit_address=tuple(data["unit_address"]),
            lease_reference=data["lease_reference"],
            tenants=tuple(data.get("tenants", ())),
            rent=Decimal(data["rent"]),
            charges=Decimal(data["charges"]),
            housing_benefit=Decimal(data.get("housing_benefit", "0")),
            benefit_payer=data.get("benefit_payer", "CAF"),
            fee_rate=None if data.get("fee_rate") is None else Decimal(data["fee_rate"]),
            fees=Decimal(data.get("fees", "0")),
            notes=tuple(data.get("notes", ())),
            allocations=tuple(int(i) for i in data.get("allocations", ())),
        )


@dataclass(frozen=True)
class StatementDraft:
    """An owner's month with an operator, computed and not yet issued."""

    operator_id: int
    landlord_id: int
    period: date
    units: tuple[UnitLine, ...]
    previous_balance: Decimal  # carried from earlier statements (≤ 0: what the owner still owes)

    @property
    def collected(self) -> Decimal:
        return sum((unit.collected for unit in self.units), ZERO)

    @property
    def benefit(self) -> Decimal:
        return sum((unit.housing_benefit for unit in self.units), ZERO)

    @property
    def fees(self) -> Decimal:
        return sum((unit.fees for unit in self.units), ZERO)

    @property
    def deductions(self) -> Decimal:
        return ZERO  # none is automatic for now (a repair invoice would be one)

    @property
    def balance(self) -> Decimal:
        return self.collected - self.fees - self.deductions + self.previous_balance

    @property
    def payout(self) -> Decimal:
        """What is paid out: the balance when it is in the owner's favour; a negative one is carried forward."""
        return max(self.balance, ZERO)


def _managed_line(
    lease: Lease,
    rows: Sequence[queries.Collected],
    splits: dict[int, tuple[Decimal, Decimal]],
    operator: Organisation,
    period: date,
) -> UnitLine:
    rent = charges = benefit = ZERO
    other_months: dict[date, Decimal] = defaultdict(lambda: ZERO)
    payers: set[PaymentMethod] = set()
    for row in rows:
        rent_part, charges_part = splits[row.allocation_id]
        rent, charges = rent + rent_part, charges + charges_part
        if row.method.is_housing_benefit:
            benefit += row.amount
            payers.add(row.method)
        if row.call_period != period:
            other_months[row.call_period] += row.amount
    if lease.benefit_payer is not None:
        payer = lease.benefit_payer.label
    else:
        payer = "MSA" if payers == {PaymentMethod.MSA} else "CAF"
    rate = lease.agreement.fee_rate if lease.agreement.fee_rate is not None else operator.management_fee_rate
    notes = [
        f"Dont {money(amount)} au titre du loyer {of_month(month)} "
        f"({'arriéré encaissé ce mois-ci' if month < period else 'payé d’avance'})."
        for month, amount in sorted(other_months.items())
    ]
    if not rows:
        notes.append("Aucun encaissement ce mois-ci pour ce logement.")
    return UnitLine(
        guaranteed=False,
        unit_id=lease.unit_id,
        agreement_id=lease.agreement_id,
        lease_id=lease.id,
        unit_address=unit_address(lease.unit),
        lease_reference=lease_reference(lease),
        tenants=tuple(lease.tenants or ()),
        rent=rent,
        charges=charges,
        housing_benefit=benefit,
        benefit_payer=payer,
        fee_rate=rate,
        fees=management_fees(rent, rate),
        notes=tuple(notes),
        allocations=tuple(row.allocation_id for row in rows),
    )


def _guaranteed_line(
    agreement: Agreement, unit: Unit, month: GuaranteedMonth, period: date, *, occupied: bool
) -> UnitLine:
    reference = f"Bail à l'association n° {agreement.id}"
    notes = []
    if month.start < period:
        reference += f" — loyer {of_month(month.start)}"
        notes.append(f"Loyer {of_month(month.start)} pas encore versé : il l'est avec ce relevé.")
    if not month.whole:
        notes.append(f"Loyer dû {period_text(month.start, month.end)}.")
    if agreement.ended_on is not None and agreement.ended_on <= month.end:
        ended = f"Bail à l'association terminé le {date_in_words(agreement.ended_on)}"
        if agreement.end_reason == SLIDE_END_REASON:
            ended += " : le bail a glissé, l'occupant est désormais votre locataire en titre"
        notes.append(ended + ".")
    if not occupied:
        notes.append("Logement inoccupé ce mois-ci : le loyer vous est dû comme chaque mois.")
    return UnitLine(
        guaranteed=True,
        unit_id=agreement.unit_id,
        agreement_id=agreement.id,
        lease_id=None,
        month=month_start(month.start),
        unit_address=unit_address(unit),
        lease_reference=reference,
        rent=month.rent,
        charges=month.charges,
        notes=tuple(notes),
    )


def statement_drafts(session: Session, operator: Organisation, period: date) -> list[StatementDraft]:
    """The month's statements of the operator's owners who have none yet for ``period``."""
    first = queries.first_statement_period(session, operator.id)
    # What was collected or owed since the operator's statements began (a year at most) and is on none of them.
    since = max(add_months(period, -LATE_WINDOW_MONTHS), min(first or period, period))
    counted = queries.reported(session, operator.id, since)
    nothing = queries.Reported(set(), set())
    rows = [
        row
        for row in queries.collected(session, operator.id, period, since)
        if row.allocation_id not in counted.get(row.landlord_id, nothing).allocations
    ]
    splits: dict[int, tuple[Decimal, Decimal]] = {}
    for share in queries.call_shares(session, {row.call_id for row in rows}).values():
        splits.update(rent_first(share.rent, share.allocations))
    by_lease: dict[int, list[queries.Collected]] = defaultdict(list)
    for row in rows:
        by_lease[row.lease_id].append(row)
    lines: dict[int, list[UnitLine]] = defaultdict(list)
    lease_ids = set(by_lease) | set(queries.called_leases(session, operator.id, period))
    for lease_id, lease in sorted(queries.leases_by_id(session, lease_ids).items()):
        lines[lease.landlord_id].append(_managed_line(lease, by_lease.get(lease_id, ()), splits, operator, period))

    agreements = queries.guaranteed_agreements(session, operator.id, period, since)
    units = queries.units_by_id(session, {agreement.unit_id for agreement in agreements})
    occupied = queries.occupied_agreements(session, {agreement.id for agreement in agreements}, period)
    for agreement in agreements:
        months = counted.get(agreement.landlord_id, nothing).months
        for month_period in periods_between(max(since, month_start(agreement.starts_on)), period):
            if (agreement.id, month_period) in months:
                continue
            month = guaranteed_month(
                agreement.rent, agreement.charges, agreement.starts_on, agreement.ended_on, month_period
            )
            if month is not None:
                # Occupancy is told for the statement's own month; an earlier month is owed all the same.
                line = _guaranteed_line(
                    agreement,
                    units[agreement.unit_id],
                    month,
                    period,
                    occupied=month_period < period or agreement.id in occupied,
                )
                lines[agreement.landlord_id].append(line)

    carried = queries.carried_balances(session, operator.id, period)
    return [
        StatementDraft(
            operator_id=operator.id,
            landlord_id=landlord_id,
            period=period,
            units=tuple(sorted(units_, key=lambda line: (line.unit_id, line.month or period, not line.guaranteed))),
            previous_balance=carried.get(landlord_id, ZERO),
        )
        for landlord_id, units_ in sorted(lines.items())
    ]


# --- issuing ----------------------------------------------------------------------------------------------------


def transfer_day(period: date) -> date:
    return next_month(period).replace(day=PAYOUT_DAY)


def statement_number(period: date, landlord_id: int) -> str:
    """« RG-2026-11-00042 »: one statement per owner, operator and month."""
    return f"RG-{period:%Y-%m}-{landlord_id:05d}"


def can_issue(landlord: Landlord) -> bool:
    """The statement says which account the payout goes to: it waits for the owner's IBAN."""
    return bool((landlord.iban or "").strip())


def _contact(operator: Organisation) -> str | None:
    return " — ".join(part for part in (operator.phone, operator.email) if part) or None


def render_statement(
    draft: StatementDraft, operator: Organisation, landlord: Landlord, *, issued_on: date
) -> tuple[str, bytes]:
    """The statement's number and PDF."""
    number = statement_number(draft.period, landlord.id)
    assert landlord.iban is not None
    pdf = document.render_owner_statement(
        document.OwnerStatement(
            number=number,
            operator=operator_party(operator),
            owner=owner_party(landlord),
            period=draft.period,
            units=tuple(unit.statement_unit() for unit in draft.units),
            previous_balance=draft.previous_balance,
            paid_out=draft.payout,
            transfer_on=max(issued_on, transfer_day(draft.period)),
            owner_iban=landlord.iban,
            contact=_contact(operator),
            issued_on=issued_on,
        )
    )
    return number, pdf


def issue_statement(
    session: Session, draft: StatementDraft, operator: Organisation, landlord: Landlord, *, on: date
) -> OwnerStatement:
    number, pdf = render_statement(draft, operator, landlord, issued_on=on)
    stored = storage.save(
        storage.check(pdf, filename=f"Releve {number}.pdf", allowed={"application/pdf"}, max_bytes=len(pdf))
    )
    statement = OwnerStatement(
        operator_id=operator.id,
        landlord=landlord,
        period=draft.period,
        collected=draft.collected,
        benefit=draft.benefit,
        fees=draft.fees,
        deductions=draft.deductions,
        payout=draft.payout,
        lines=[unit.to_json() for unit in draft.units],
        issued_on=on,
        sha256=stored.sha256,
        filename=stored.filename,
        size=stored.size,
    )
    session.add(statement)
    return statement


@dataclass(frozen=True)
class StatementRun:
    period: date
    created: list[OwnerStatement]
    waiting: list[tuple[Landlord, StatementDraft]]  # no IBAN yet: issued on a later run, once it is known

    @property
    def payout(self) -> Decimal:
        return sum((statement.payout for statement in self.created), ZERO)


def issue_owner_statements(session: Session, *, on: date, operator_ids: Sequence[int] | None = None) -> StatementRun:
    """Issue the statements of the month before ``on`` that do not exist yet (idempotent: one per operator, owner
    and month, a database constraint); a re-run issues only those still missing (an IBAN given since)."""
    period = add_months(month_start(on), -1)
    query = select(Organisation).where(Organisation.kind.in_((OrganisationKind.AIS, OrganisationKind.ASSOCIATION)))
    if operator_ids is not None:
        query = query.where(Organisation.id.in_(operator_ids))
    created: list[OwnerStatement] = []
    waiting: list[tuple[Landlord, StatementDraft]] = []
    for operator in session.scalars(query.order_by(Organisation.id)).all():
        drafts = statement_drafts(session, operator, period)
        landlords = queries.landlords_by_id(session, {draft.landlord_id for draft in drafts})
        for draft in drafts:
            landlord = landlords[draft.landlord_id]
            if can_issue(landlord):
                created.append(issue_statement(session, draft, operator, landlord, on=on))
            else:
                waiting.append((landlord, draft))
        session.flush()
    return StatementRun(period=period, created=created, waiting=waiting)


# --- payouts ----------------------------------------------------------------------------------------------------


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
