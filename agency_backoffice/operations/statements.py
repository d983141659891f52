"""Owner statements (relevé de gérance) for a month: the drafts of what each owner is owed, and their issue.

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
The arithmetic and the content of a statement are pure rules (agency_backoffice/rules/statements.py); the SEPA
credit transfer batches that pay the statements are in agency_backoffice/operations/payouts.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import Lease, OwnerStatement, PaymentMethod
from agency_backoffice.operations.ledger_documents import lease_reference
from agency_backoffice.queries import statements as queries
from agency_backoffice.rules.ledger import ZERO, month_start, periods_between
from agency_backoffice.rules.statements import (
    GuaranteedMonth,
    StatementDraft,
    UnitLine,
    guaranteed_month,
    management_fees,
    of_month,
    rent_first,
    statement_number,
    transfer_day,
)
from capture.models import Agreement, Landlord, Unit
from capture.operations.agreement_documents import operator_party, owner_party, unit_address
from capture.rules.indicators import SLIDE_END_REASON
from capture.rules.locavantages import add_months
from contracts import owner_statement as document
from contracts.ledger_layout import period_text
from contracts.typography import date_in_words, money
from passerelle import storage
from passerelle.models import Organisation, OrganisationKind

# A payment recorded with a date more than a year back is not swept onto a statement (nor looked for).
LATE_WINDOW_MONTHS = 12


# --- the month's drafts ----------------------------------------------------------------------------------------


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
