"""Demo leases: every kind of contract and guarantee, a bail glissant due for review and one already slid.

Everything goes through the operations staff use (draft, sign, move in, guarantees, reviews, the slide), dated in
the past, so each record passed the same checks and carries its PDFs. The demo owner (Claire Martin) gets two
captured units: one let under mandate (her loi 89 lease in her space) and one under sous-location (her lease to
the association and the guarantee summary). Running it twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import (
    ChargesMethod,
    DepositOutcome,
    GoalProgress,
    GuaranteeKind,
    HouseholdStatus,
    Lease,
    LeaseSignatureMethod,
    ProposalStatus,
    ReviewDecision,
    VisaleArea,
)
from agency_backoffice.operations import guarantees as guarantee_ops
from agency_backoffice.operations import leases as ops
from agency_backoffice.operations import sliding as sliding_ops
from agency_backoffice.operations.proposals import advance_proposal, propose_unit
from agency_backoffice.queries.matching import rank_households
from agency_backoffice.rules.guarantees import GuaranteeInput
from agency_backoffice.rules.proposals import next_steps
from agency_backoffice.rules.sliding import ReviewValues
from capture.models import (
    Agreement,
    CaptureCase,
    CaptureStage,
    ConventionLevel,
    DeclarationStatus,
    Heating,
    IMLMode,
    Landlord,
    LandlordKind,
    LeadSource,
    SignatureMethod,
    StockEntry,
    Unit,
)
from capture.operations.agreement_documents import store_document
from contracts.agreement_layout import SignatureRecord
from passerelle.audit import audit
from passerelle.db import utcnow
from passerelle.demo import DemoContext
from passerelle.models import AuditEntry, Organisation, User

MARKER = "demo.leases"


@dataclass(frozen=True)
class LeasePlan:
    """One lease of the demo: its mode, how long ago the household moved in, its guarantees, what happened since."""

    mode: IMLMode
    days_ago: int  # move-in, days before today (negative: signed, moving in later)
    unit: tuple[str, str, int, str]  # address, surface, rooms, rent (the owner's agreement)
    guarantees: tuple[GuaranteeKind, ...] = ()
    demo_owner: bool = False  # a unit of the demo owner's account (otherwise another owner of the territory)
    slide: bool = False


PLANS = (
    LeasePlan(IMLMode.MANDATE, 120, ("7 rue Ernestale", "38", 2, "455"), (GuaranteeKind.VISALE,), demo_owner=True),
    LeasePlan(IMLMode.MANDATE, 300, ("15 rue Gambetta", "52", 3, "560"), (GuaranteeKind.GLI,)),
    LeasePlan(IMLMode.MANDATE, -12, ("4 rue des Trois-Visages", "29", 1, "380"), (GuaranteeKind.PERSONAL_GUARANTOR,)),
    LeasePlan(
        IMLMode.SUBLEASE,
        240,
        ("21 rue de la Taillerie", "31", 1, "390"),
        (GuaranteeKind.OPERATOR_FUND,),
        demo_owner=True,
    ),
    LeasePlan(IMLMode.SUBLEASE, 400, ("9 avenue Michonneau", "64", 3, "590"), (GuaranteeKind.FSL,)),
    # First review due within a week.
    LeasePlan(IMLMode.BAIL_GLISSANT, 176, ("33 rue Saint-Michel", "44", 2, "470"), (GuaranteeKind.OPERATOR_FUND,)),
    # Reviewed twice, slid a week ago: the household is now the owner's tenant.
    LeasePlan(
        IMLMode.BAIL_GLISSANT, 395, ("2 rue du Marché-au-Filé", "47", 2, "495"), (GuaranteeKind.FSL,), slide=True
    ),
)


def seed_leases(context: DemoContext, today: date) -> None:
    session = context.session
    if _done(session, context):
        return
    context.echo("Baux, garanties et bail glissant…")
    made = 0
    owners = _owners(session, context)
    for number, plan in enumerate(PLANS):
        operator, staff = _desk(context, plan.mode)
        owner = owners[0] if plan.demo_owner else owners[1 + number % (len(owners) - 1)]
        entry = _captured_entry(context, operator, owner, plan, today)
        lease = _let(session, entry, plan, staff, today, number)
        if lease is None:
            context.echo(f"Baux ({operator.name}) : aucun ménage en attente pour « {plan.mode.label} ».")
            continue
        for kind in plan.guarantees:
            _guarantee(session, lease, kind, staff, today)
        if plan.slide:
            _review_and_slide(session, lease, staff, today)
        made += 1
    audit(session, actor=None, action=MARKER, object_type="territory", object_id=context.territory.id, leases=made)
    session.flush()


def _done(session: Session, context: DemoContext) -> bool:
    found = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == MARKER, AuditEntry.object_id == str(context.territory.id))
    )
    return bool(found)


def _desk(context: DemoContext, mode: IMLMode) -> tuple[Organisation, User]:
    if mode is IMLMode.MANDATE:
        return context.ais, context.accounts["staff_ais"]
    return context.association, context.accounts["staff_asso"]


def _owners(session: Session, context: DemoContext) -> list[Landlord]:
    """The demo owner's account first, then a few owners of the territory who are people (3-year leases)."""
    demo = session.scalar(select(Landlord).where(Landlord.user_id == context.accounts["landlord"].id))
    assert demo is not None
    others = session.scalars(
        select(Landlord)
        .where(Landlord.id != demo.id, Landlord.kind == LandlordKind.PERSON)
        .order_by(Landlord.id)
        .limit(5)
    ).all()
    return [demo, *others]


def _captured_entry(
    context: DemoContext, operator: Organisation, owner: Landlord, plan: LeasePlan, today: date
) -> StockEntry:
    """A unit of the owner, captured by the operator long enough ago for the lease, with its signed agreement PDF."""
    session = context.session
    captured_on = today - timedelta(days=max(plan.days_ago, 0) + 45)
    address, surface, rooms, rent = plan.unit
    unit = Unit(
        landlord_id=owner.id,
        status=DeclarationStatus.SUBMITTED,
        address=address,
        postal_code="62000",
        commune_insee="62041",
        surface_m2=Decimal(surface),
        annexes_m2=Decimal("0"),
        rooms=rooms,
        floor=1,
        has_lift=False,
        step_free=False,
        heating=Heating.INDIVIDUAL_GAS,
        dpe_class="D",
        furnished=False,
        available_from=captured_on + timedelta(days=15),
        asked_rent=Decimal(rent),
        charges=Decimal("35.00"),
        desired_mode=plan.mode,
        desired_level=ConventionLevel.NONE,
        submitted_at=utcnow() - timedelta(days=max(plan.days_ago, 0) + 90),
    )
    session.add(unit)
    session.flush()
    case = CaptureCase(
        operator_id=operator.id,
        unit_id=unit.id,
        landlord_id=owner.id,
        stage=CaptureStage.SIGNED,
        source=LeadSource.PORTAL,
        commune_insee=unit.commune_insee,
    )
    session.add(case)
    session.flush()
    mandate = plan.mode is IMLMode.MANDATE
    agreement = Agreement(
        case_id=case.id,
        unit_id=unit.id,
        operator_id=operator.id,
        landlord_id=owner.id,
        mode=plan.mode,
        level=ConventionLevel.NONE,
        rent=Decimal(rent),
        charges=Decimal("35.00"),
        duration_months=36,
        fee_rate=operator.management_fee_rate if mandate else None,
        starts_on=captured_on + timedelta(days=15),
        sliding_clause=plan.mode is IMLMode.BAIL_GLISSANT,
        status="signed",
        signed_on=captured_on,
        signatory_name=owner.name,
        signature_method=SignatureMethod.PAPER,
        recorded_by_id=_desk(context, plan.mode)[1].id,
    )
    session.add(agreement)
    session.flush()
    signature = SignatureRecord(SignatureMethod.PAPER.label, captured_on, owner.name)
    store_document(session, agreement, unit, None, issued_on=captured_on, signature=signature)
    entry = StockEntry(
        unit_id=unit.id,
        agreement_id=agreement.id,
        operator_id=operator.id,
        mode=plan.mode,
        level=ConventionLevel.NONE,
        rent=agreement.rent,
        charges=agreement.charges,
        available_on=agreement.starts_on,
    )
    session.add(entry)
    session.flush()
    return entry


def _let(session: Session, entry: StockEntry, plan: LeasePlan, staff: User, today: date, number: int) -> Lease | None:
    """Propose the unit to the best-ranked waiting household, take it to the lease, sign it, move in."""
    move_in = today - timedelta(days=plan.days_ago)
    start = max(move_in, entry.available_on)
    proposed_on = min(start, today) - timedelta(days=30)
    ranked = rank_households(session, entry, proposed_on).ranked
    candidate = next(
        (
            c
            for c in ranked
            if c.household.status is HouseholdStatus.ACTIVE and c.household.referred_on <= proposed_on - timedelta(7)
        ),
        None,
    )
    if candidate is None or candidate.score is None:
        return None
    household = candidate.household
    score = Decimal(str(round(candidate.score.total, 2)))
    proposal = propose_unit(
        session, entry, household, failures=[], score=score, snapshot=candidate.snapshot, by=staff, today=proposed_on
    )
    day = proposed_on
    while proposal.status is not ProposalStatus.READY_FOR_LEASE:
        day += timedelta(days=4)
        advance_proposal(session, proposal, next_steps(proposal.status, entry.mode)[-1], by=staff, today=day)
    drafted_on = day + timedelta(days=2)
    defaults = ops.lease_defaults(session, proposal, today=drafted_on)
    tenants = (household.contact_name or f"Ménage {household.siao_reference}",)
    signed_on = drafted_on + timedelta(days=3)
    lease = ops.draft_lease(
        session,
        proposal,
        ops.LeaseInput(
            tenants=tenants,
            rent=entry.rent,
            charges=entry.charges,
            charges_method=ChargesMethod.PROVISION,
            deposit=Decimal("0") if GuaranteeKind.OPERATOR_FUND in plan.guarantees else entry.rent,
            payment_day=5,
            starts_on=start,
            duration_months=defaults["duration_months"],
            equipment="Cuisine équipée (plaques, hotte, évier), chauffage individuel au gaz, interphone.",
            common_parts="Hall, escalier, local vélos, local poubelles.",
            support_clause=defaults["support_clause"],
        ),
        by=staff,
        today=drafted_on,
    )
    signatories = f"{tenants[0]} ; pour {entry.agreement.operator.name}, {staff.full_name}"
    ops.sign_lease(
        session,
        lease,
        signed_on=signed_on,
        signatories=signatories,
        method=LeaseSignatureMethod.PAPER if number % 2 else LeaseSignatureMethod.ELECTRONIC,
        by=staff,
        today=signed_on,
    )
    if start <= today:
        ops.activate_lease(session, lease, on=start, by=staff, today=start)
    return lease


def _guarantee(session: Session, lease: Lease, kind: GuaranteeKind, staff: User, today: date) -> None:
    start = lease.starts_on
    values = {
        GuaranteeKind.VISALE: GuaranteeInput(
            visa_number=f"V{lease.id:09d}",
            visa_issued_on=(lease.signed_on or start) - timedelta(days=5),
            visale_area=VisaleArea.OTHER,
        ),
        GuaranteeKind.FSL: GuaranteeInput(
            fsl_departement="62",
            fsl_decision_reference=f"FSL-62-{lease.id:05d}",
            fsl_decision_on=(lease.signed_on or start) - timedelta(days=10),
            amount=lease.rent,
            note="Prise en charge du dépôt de garantie et garantie des loyers pendant 18 mois.",
        ),
        GuaranteeKind.OPERATOR_FUND: GuaranteeInput(
            covered_months=6,
            amount=(lease.rent + lease.charges) * 6,
            starts_on=start,
            expires_on=start + timedelta(days=3 * 365),
        ),
        GuaranteeKind.GLI: GuaranteeInput(
            insurer="Mutuelle Solidaire Assurances", policy_number=f"GLI-{lease.id:06d}", amount=Decimal("90000")
        ),
        GuaranteeKind.PERSONAL_GUARANTOR: GuaranteeInput(guarantor_name="Mariam Diallo (sœur de la locataire)"),
    }[kind]
    guarantee_ops.add_guarantee(session, lease, kind, values, by=staff, today=min(today, lease.signed_on or today))


def _review_and_slide(session: Session, lease: Lease, staff: User, today: date) -> None:
    """Two six-monthly reviews (renew, then slide) and the slide a week ago: the household is now the tenant."""
    session.refresh(lease, ["reviews"])
    first = lease.reviews[0]
    sliding_ops.record_review(
        session,
        first,
        ReviewValues(
            held_on=first.due_on,
            rent_paid_regularly=True,
            insurance_ok=True,
            occupancy_ok=True,
            support_goals="Ouvrir les droits (APL, complémentaire santé), tenir le budget, lien avec le bailleur.",
            goals_progress=GoalProgress.PARTLY,
            household_view="Se sent bien dans le logement ; souhaite rester et devenir locataire en titre.",
            decision=ReviewDecision.RENEW,
            reasons="Droits ouverts, budget encore fragile : on refait le point dans six mois.",
        ),
        by=staff,
        today=first.due_on,
    )
    session.refresh(lease, ["reviews"])
    second = next(review for review in lease.reviews if review.held_on is None)
    held_on = min(second.due_on, today - timedelta(days=14))
    slide_on = today - timedelta(days=7)
    sliding_ops.record_review(
        session,
        second,
        ReviewValues(
            held_on=held_on,
            rent_paid_regularly=True,
            insurance_ok=True,
            occupancy_ok=True,
            support_goals="Budget tenu depuis un an, relations de voisinage apaisées.",
            goals_progress=GoalProgress.MET,
            household_view="Prête à signer le bail à son nom.",
            decision=ReviewDecision.SLIDE,
            reasons="Loyers payés sans incident depuis douze mois ; objectifs de l'accompagnement atteints.",
            slide_on=slide_on,
        ),
        by=staff,
        today=held_on,
    )
    sliding_ops.slide_lease(
        session,
        lease,
        on=slide_on,
        deposit_outcome=DepositOutcome.TRANSFERRED,
        deposit_note="Dépôt transféré au propriétaire par virement de l'association.",
        signatories=f"{lease.tenants[0]} et {lease.landlord.name}",
        method=LeaseSignatureMethod.PAPER,
        by=staff,
        today=slide_on,
    )
