"""Demo rent ledger: the demo leases' rent calls since move-in, housing benefit paid by the CAF, households who
pay on time, one paying in part and one who stopped paying (arrears with their legal clocks), quittances and
reçus, and the owners' statements — all through the operations and jobs staff use. Running it twice adds nothing.

The bank details are fictitious test accounts (valid checksums, no real person's account).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import BenefitPayer, Lease, LeaseStatus, PaymentMethod
from agency_backoffice.operations import ledger as ops
from agency_backoffice.operations.ledger_documents import issue_receipts
from agency_backoffice.rules.ledger import month_start, next_month
from capture.models import IMLMode, Landlord
from passerelle.audit import audit
from passerelle.demo import DemoContext
from passerelle.models import AuditEntry

MARKER = "demo.ledger"
# Test IBANs (valid checksums, fictitious accounts) for the demo operators and owners.
OPERATOR_IBANS = {
    "ais": ("FR7630001007941234567890185", "BDFEFRPPXXX"),
    "association": ("FR7630004000031234567890143", "BNPAFRPPXXX"),
}
OWNER_IBAN = ("FR7630006000011234567890189", "AGRIFRPPXXX")
OTHER_OWNER_IBAN = ("FR7610107001011234567890129", "BREDFRPPXXX")
# Housing benefit the CAF pays to the operator each month for the demo leases (tiers payant), by lease rank.
BENEFITS = (Decimal("186.00"), Decimal("0"), Decimal("0"), Decimal("212.00"), Decimal("168.00"), Decimal("195.00"))


def seed_ledger(context: DemoContext, today: date) -> None:
    session = context.session
    if session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == MARKER, AuditEntry.object_id == str(context.territory.id))
    ):
        return
    context.echo("Loyers : appels, paiements, quittances, impayés et relevés des propriétaires…")
    for key, operator in (("ais", context.ais), ("association", context.association)):
        operator.iban, operator.bic = OPERATOR_IBANS[key]
    for landlord in session.scalars(select(Landlord).where(Landlord.iban.is_(None))):
        demo_owner = landlord.user_id == context.accounts["landlord"].id
        landlord.iban, landlord.bic = OWNER_IBAN if demo_owner else OTHER_OWNER_IBAN
        landlord.account_holder = landlord.name
    leases = session.scalars(
        select(Lease)
        .where(
            Lease.operator_id.in_((context.ais.id, context.association.id)),
            Lease.status.in_((LeaseStatus.ACTIVE, LeaseStatus.ENDED)),
        )
        .order_by(Lease.id)
    ).all()
    late = _late_payer(leases)
    for rank, lease in enumerate(leases):
        benefit = BENEFITS[rank % len(BENEFITS)]
        if benefit and lease.status is LeaseStatus.ACTIVE:
            lease.benefit_monthly, lease.benefit_payer = min(benefit, lease.rent), BenefitPayer.CAF
        _history(session, lease, today, late=lease is late, partial=rank == 2)
    issue_receipts(session, on=today)
    _run_jobs(session, today)
    audit(session, actor=None, action=MARKER, object_type="territory", object_id=context.territory.id)
    session.flush()


def _late_payer(leases: Sequence[Lease]) -> Lease | None:
    """The oldest running sous-location: its household stopped paying its share three months ago."""
    running = [lease for lease in leases if lease.status is LeaseStatus.ACTIVE and lease.mode is IMLMode.SUBLEASE]
    return min(running, key=lambda lease: lease.starts_on, default=None)


def _history(session: Session, lease: Lease, today: date, *, late: bool, partial: bool) -> None:
    """Every month since move-in: the call, the CAF's part on the 5th, the household's share by the 8th."""
    period = month_start(lease.starts_on)
    last = next_month(today) if today.day >= 25 else month_start(today)
    stopped_from = month_start(today) - timedelta(days=80) if late else None
    while period <= last:
        call = ops.issue_rent_call(session, lease, period, on=min(period - timedelta(days=6), today))
        period = next_month(period)
        if call is None or call.due_on > today or call.period is None:
            continue
        if call.benefit > 0:
            ops.record_payment(
                session,
                lease,
                amount=call.benefit,
                method=PaymentMethod.CAF,
                received_on=call.due_on,
                reference=f"CAF {call.period:%m/%Y}",
                by=None,
            )
        share = call.amount - call.benefit
        paid_on = call.due_on + timedelta(days=3)
        if share <= 0 or paid_on > today or (stopped_from is not None and call.period >= stopped_from):
            continue
        if partial and month_start(today) - call.period < timedelta(days=40):
            share = (share / 2).quantize(Decimal("0.01"))
        ops.record_payment(
            session,
            lease,
            amount=share,
            method=PaymentMethod.TRANSFER,
            received_on=paid_on,
            reference=f"VIR LOYER {lease.id} {call.period:%m-%Y}",
            by=None,
        )


def _run_jobs(session: Session, today: date) -> None:
    """The daily jobs as the scheduler would run them today (arrears clocks, statements of last month)."""
    from agency_backoffice.arrears_jobs import arrears_clocks
    from agency_backoffice.statement_jobs import owner_statements

    arrears_clocks(session, today)
    owner_statements(session, month_start(today))
