"""Bail glissant: record a six-monthly review and act on its decision; slide the lease to the household.

Renewing schedules the next review (and renews the sub-lease when its term would come first); ending ends the
sub-lease at the decided date; sliding is a separate step, taken once the decided date has come: the sub-lease
and the lease to the association end the day before, and the owner's direct loi 89 lease to the household
starts, checked like any new lease on that date (Loc'Avantages cap, DPE).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agency_backoffice.models import (
    DepositOutcome,
    Lease,
    LeaseEndReason,
    LeaseKind,
    LeaseSignatureMethod,
    LeaseStatus,
    ReviewDecision,
    SlidingReview,
)
from agency_backoffice.operations import lease_documents
from agency_backoffice.operations.leases import (
    LeaseError,
    check_terms,
    close_lease,
    end_lease,
    reference_irl,
    schedule_review,
)
from agency_backoffice.queries.leases import minimum_months
from agency_backoffice.rules import leases as lease_rules
from agency_backoffice.rules import sliding as rules
from capture.models import ConventionLevel, IMLMode, Landlord, StockStatus
from capture.rules.indicators import SLIDE_END_REASON
from contracts.typography import date_in_words
from passerelle.audit import audit
from passerelle.models import User
from passerelle.reference.queries import MissingParameter, parameter_at


def _integer(session: Session, key: str, on: date) -> int:
    try:
        value = parameter_at(session, key, on).value
    except MissingParameter as error:
        raise LeaseError(f"Paramètre de référence manquant : {error}") from error
    assert isinstance(value, int), key
    return value


def _minimum_months(session: Session, landlord: Landlord, on: date) -> int:
    try:
        return minimum_months(session, LeaseKind.DIRECT, landlord, on)
    except MissingParameter as error:
        raise LeaseError(f"Paramètre de référence manquant : {error}") from error


def latest_held_review(lease: Lease) -> SlidingReview | None:
    """The last review held on the lease: its decision is the one in force."""
    held = [review for review in lease.reviews if review.held_on is not None]
    return max(held, key=lambda review: (review.held_on, review.due_on, review.id), default=None)


def _check_running_sublease(lease: Lease) -> None:
    if lease.kind is not LeaseKind.SUBLEASE or lease.mode is not IMLMode.BAIL_GLISSANT:
        raise LeaseError("Seule une sous-location en bail glissant a des revues et peut glisser au ménage.")
    if lease.status is not LeaseStatus.ACTIVE:
        raise LeaseError(f"La sous-location est au statut « {lease.status.label} » : elle n'est plus suivie.")


def record_review(
    session: Session, review: SlidingReview, values: rules.ReviewValues, *, by: User, today: date
) -> None:
    """Record a review held with the household and act on its decision (renew or end; a slide comes later)."""
    lease = review.lease
    _check_running_sublease(lease)
    if review.held_on is not None:
        raise LeaseError(
            f"Cette revue a déjà été tenue le {date_in_words(review.held_on)} : sa décision est consignée."
        )
    errors = rules.check_review(
        values,
        starts_on=lease.starts_on,
        term_last_day=lease_rules.last_day(lease.starts_on, lease.duration_months),
        today=today,
    )
    if errors:
        raise LeaseError(errors)
    decision = values.decision
    assert decision is not None and values.held_on is not None
    review.held_on = values.held_on
    review.rent_paid_regularly = values.rent_paid_regularly
    review.insurance_ok = values.insurance_ok
    review.occupancy_ok = values.occupancy_ok
    review.support_goals = (values.support_goals or "").strip() or None
    review.goals_progress = values.goals_progress
    review.household_view = (values.household_view or "").strip()
    review.decision = decision
    review.reasons = (values.reasons or "").strip()
    review.slide_on = values.slide_on if decision is ReviewDecision.SLIDE else None
    review.decided_by_id = by.id
    session.flush()
    audit(
        session,
        actor=by,
        action="sliding_review.record",
        object_type="sliding_review",
        object_id=review.id,
        lease=lease.id,
        decision=decision.value,
    )
    if decision is ReviewDecision.RENEW:
        _renew(session, lease, review, by=by, today=today)
    elif decision is ReviewDecision.END:
        assert values.ends_on is not None
        try:
            end_lease(
                session,
                lease,
                ended_on=values.ends_on,
                reason=LeaseEndReason.SUBLEASE_TERM,
                notice_on=values.held_on,
                note=values.reasons,
                by=by,
                today=today,
            )
        except LeaseError as error:
            raise LeaseError(
                {("ends_on" if key == "ended_on" else key): m for key, m in error.errors.items()}
            ) from error


def _renew(session: Session, lease: Lease, review: SlidingReview, *, by: User, today: date) -> None:
    """Schedule the next review; renew the sub-lease first when its term would come before that review."""
    months = lease.review_months or _integer(session, "bail_glissant.review_months", review.due_on)
    next_review = rules.next_review_on(review.due_on, months)
    duration = rules.renewed_duration(
        lease.starts_on,
        lease.duration_months,
        next_review=next_review,
        sublease_months=_integer(session, "bail_glissant.sublease_months", today),
    )
    if duration != lease.duration_months:
        lease.duration_months = duration
        session.flush()
        lease_documents.issue_contract(session, lease, issued_on=today, by=by)
        audit(
            session,
            actor=by,
            action="lease.renew",
            object_type="lease",
            object_id=lease.id,
            duration_months=duration,
            last_day=lease_rules.last_day(lease.starts_on, duration),
        )
    scheduled = session.scalar(
        select(SlidingReview.id).where(SlidingReview.lease_id == lease.id, SlidingReview.due_on == next_review)
    )
    if scheduled is None:
        schedule_review(session, lease, due_on=next_review)
        session.expire(lease, ["reviews"])


def slide_lease(
    session: Session,
    sublease: Lease,
    *,
    on: date,
    deposit_outcome: DepositOutcome,
    deposit_note: str | None,
    signatories: str,
    method: LeaseSignatureMethod,
    by: User,
    today: date,
) -> Lease:
    """Slide a bail glissant: the household becomes the owner's direct tenant from ``on`` (one operation)."""
    _check_running_sublease(sublease)
    review = latest_held_review(sublease)
    refusal = rules.slide_refusal(
        review.decision if review else None, review.slide_on if review else None, on=on, today=today
    )
    if refusal:
        raise LeaseError(refusal)
    errors: dict[str, str] = {}
    if on <= (sublease.activated_on or sublease.starts_on):
        errors[""] = "Le glissement doit suivre l'entrée du ménage dans les lieux."
    if not signatories.strip():
        errors["signatories"] = "Indiquez qui a signé le nouveau bail (locataires, propriétaire)."
    deposit_problem = rules.deposit_refusal(deposit_outcome, sublease.deposit)
    if deposit_problem:
        errors["deposit_outcome"] = deposit_problem
    if errors:
        raise LeaseError(errors)
    agreement = sublease.agreement
    entry = sublease.stock_entry
    landlord = session.get(Landlord, agreement.landlord_id)
    assert landlord is not None
    irl = reference_irl(session, on)
    lease = Lease(
        operator_id=sublease.operator_id,
        unit_id=sublease.unit_id,
        stock_entry_id=sublease.stock_entry_id,
        agreement_id=sublease.agreement_id,
        landlord_id=agreement.landlord_id,
        household_id=sublease.household_id,
        proposal_id=None,
        slid_from_id=sublease.id,
        kind=LeaseKind.DIRECT,
        mode=IMLMode.BAIL_GLISSANT,
        status=LeaseStatus.ACTIVE,
        tenants=list(sublease.tenants),
        rent=sublease.rent,
        initial_rent=sublease.rent,
        charges=sublease.charges,
        charges_method=sublease.charges_method,
        deposit=rules.slide_deposit(deposit_outcome, sublease.deposit),
        payment_day=sublease.payment_day,
        starts_on=on,
        # loi 89-462 art. 10: a new lease of the owner's, for the minimum term of a natural or legal person.
        duration_months=_minimum_months(session, landlord, on),
        available_on=on,
        irl_quarter=irl.quarter,
        irl_base_year=irl.year,
        level=sublease.level,
        dpe_class=sublease.dpe_class,
        equipment=sublease.equipment,
        private_parts=sublease.private_parts,
        common_parts=sublease.common_parts,
        annexes=list(sublease.annexes or ()),
        signed_on=on,
        signatories=signatories.strip(),
        signature_method=method,
        activated_on=on,
        deposit_outcome=deposit_outcome,
        deposit_note=(deposit_note or "").strip() or None,
        created_by_id=by.id,
    )
    # The same rent must still be lawful for a new lease on the slide date: within the cap, DPE not banned.
    limits = check_terms(session, lease, on=on)
    lease.rent_cap = limits.rent_cap if lease.level is not ConventionLevel.NONE else None
    lease.dpe_class = lease.dpe_class or limits.dpe_class

    ended_on = on - timedelta(days=1)
    close_lease(session, sublease, ended_on=ended_on, reason=LeaseEndReason.SLIDE)
    agreement.ended_on = ended_on
    agreement.end_reason = SLIDE_END_REASON
    entry.status = StockStatus.WITHDRAWN
    session.flush()  # the sub-lease is no longer in force: the database now accepts the direct lease
    try:
        with session.begin_nested():
            session.add(lease)
            session.flush()
    except IntegrityError as error:
        raise LeaseError(
            "Le bail direct n'a pas pu être enregistré : ce logement ou ce ménage a déjà un autre bail signé ou en "
            "cours."
        ) from error
    sublease.end_note = f"Glissement : bail d'habitation n° {lease.id} à compter du {date_in_words(on)}."
    lease_documents.issue_contract(session, lease, issued_on=on, by=by)
    lease_documents.issue_guarantee_summary(session, lease, issued_on=on, by=by)
    audit(
        session,
        actor=by,
        action="lease.slide",
        object_type="lease",
        object_id=sublease.id,
        on=on,
        new_lease=lease.id,
        deposit_outcome=deposit_outcome.value,
    )
    audit(
        session,
        actor=by,
        action="agreement.end",
        object_type="agreement",
        object_id=agreement.id,
        reason=SLIDE_END_REASON,
    )
    audit(session, actor=by, action="lease.create", object_type="lease", object_id=lease.id, slid_from=sublease.id)
    return lease


def slid_to(session: Session, lease: Lease) -> Lease | None:
    """The direct lease a sub-lease slid to, if it did."""
    return session.scalar(select(Lease).where(Lease.slid_from_id == lease.id))
