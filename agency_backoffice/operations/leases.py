"""Draft a household's lease from a proposal ready for it, sign it, start it, end it.

The mode of the owner's agreement decides the contract: under mandate a loi 89 lease from the owner (the operator
signs as agent), under sous-location and bail glissant a sub-lease from the association. The checks run on the
drafting date and again on the signature date; the database refuses what they would miss (one lease in force per
unit and per household, the deposit, the cap).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agency_backoffice.models import (
    ChargesMethod,
    HouseholdStatus,
    Lease,
    LeaseAnnex,
    LeaseEndReason,
    LeaseKind,
    LeaseSignatureMethod,
    LeaseStatus,
    Proposal,
    ProposalStatus,
    SlidingReview,
)
from agency_backoffice.operations import lease_documents
from agency_backoffice.operations.proposals import close_as_leased
from agency_backoffice.queries.leases import latest_irl, lease_limits, minimum_months
from agency_backoffice.rules import leases as rules
from capture.models import IMLMode, Landlord, StockStatus
from capture.rules.locavantages import add_months
from passerelle.audit import audit
from passerelle.models import IrlIndex, Organisation, User
from passerelle.reference.queries import MissingParameter, parameter_at

DEFAULT_ANNEXES = (LeaseAnnex.INVENTORY, LeaseAnnex.NOTICE, LeaseAnnex.DPE, LeaseAnnex.ERP)


class LeaseError(ValueError):
    """Why a lease operation was refused: a French message, and the faulty fields when there are some."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__(" ".join(self.errors.values()))


@dataclass(frozen=True)
class LeaseInput:
    tenants: tuple[str, ...]
    rent: Decimal
    charges: Decimal
    charges_method: ChargesMethod
    deposit: Decimal
    payment_day: int
    starts_on: date
    duration_months: int
    annexes: tuple[LeaseAnnex, ...] = DEFAULT_ANNEXES
    previous_rent: Decimal | None = None
    previous_tenant_left_on: date | None = None
    works: str | None = None
    equipment: str | None = None
    private_parts: str | None = None
    common_parts: str | None = None
    support_clause: str | None = None


def _integer(session: Session, key: str, on: date) -> int:
    value = parameter_at(session, key, on).value
    assert isinstance(value, int), key
    return value


def lease_defaults(session: Session, proposal: Proposal, *, today: date) -> dict[str, Any]:
    """What the draft form starts from: the stock entry's rent and charges, the usual duration for the mode."""
    entry = proposal.stock_entry
    landlord = session.get(Landlord, entry.agreement.landlord_id)
    assert landlord is not None
    kind = rules.kind_for(entry.mode)
    starts_on = max(today, entry.available_on)
    if kind is LeaseKind.DIRECT:
        duration = minimum_months(session, kind, landlord, starts_on)
    elif entry.mode is IMLMode.BAIL_GLISSANT:
        duration = _integer(session, "bail_glissant.sublease_months", starts_on)
    else:
        duration = _integer(session, "sous_location.default_duration_months", starts_on)
    household = proposal.household
    support = None
    if kind is LeaseKind.SUBLEASE:
        parts = [household.support_kind, household.referent_organisation]
        support = " — ".join(part for part in parts if part) or None
    return {
        "tenants": household.contact_name or "",
        "rent": entry.rent,
        "charges": entry.charges,
        "charges_method": ChargesMethod.PROVISION.value,
        "deposit": entry.rent,
        "payment_day": 5,
        "starts_on": starts_on,
        "duration_months": duration,
        "annexes": [annex.value for annex in DEFAULT_ANNEXES],
        "support_clause": support,
    }


def draft_lease(session: Session, proposal: Proposal, data: LeaseInput, *, by: User, today: date) -> Lease:
    """A draft lease for the household and unit of a proposal ready for lease, checked on ``today``."""
    if proposal.status is not ProposalStatus.READY_FOR_LEASE:
        raise LeaseError("La proposition doit être « prête pour le bail » (accords du ménage et du propriétaire).")
    entry = proposal.stock_entry
    agreement = entry.agreement
    if entry.status is not StockStatus.AVAILABLE:
        raise LeaseError("Ce logement n'est plus disponible dans le stock de l'opérateur.")
    kind = rules.kind_for(entry.mode)
    irl = reference_irl(session, today)
    lease = Lease(
        operator_id=proposal.operator_id,
        unit_id=entry.unit_id,
        stock_entry_id=entry.id,
        agreement_id=agreement.id,
        landlord_id=agreement.landlord_id,
        household_id=proposal.household_id,
        proposal_id=proposal.id,
        kind=kind,
        mode=entry.mode,
        level=entry.level,
        available_on=entry.available_on,
        irl_quarter=irl.quarter,
        irl_base_year=irl.year,
        review_months=(
            _integer(session, "bail_glissant.review_months", today) if entry.mode is IMLMode.BAIL_GLISSANT else None
        ),
        created_by_id=by.id,
        **_fields(data),
    )
    check_terms(session, lease, on=today)
    session.add(lease)
    session.flush()
    lease_documents.issue_contract(session, lease, issued_on=today, by=by)
    audit(session, actor=by, action="lease.draft", object_type="lease", object_id=lease.id, proposal=proposal.id)
    return lease


def update_draft(session: Session, lease: Lease, data: LeaseInput, *, by: User, today: date) -> None:
    if lease.status is not LeaseStatus.DRAFT:
        raise LeaseError("Seul un bail en brouillon peut être modifié.")
    previous = {key: getattr(lease, key) for key in _fields(data)}
    for key, value in _fields(data).items():
        setattr(lease, key, value)
    try:
        with session.no_autoflush:  # the queries of the check must not write the terms before they are checked
            check_terms(session, lease, on=today)
    except LeaseError:
        for key, value in previous.items():
            setattr(lease, key, value)
        raise
    session.flush()
    lease_documents.issue_contract(session, lease, issued_on=today, by=by)
    audit(session, actor=by, action="lease.update", object_type="lease", object_id=lease.id)


def sign_lease(
    session: Session,
    lease: Lease,
    *,
    signed_on: date,
    signatories: str,
    method: LeaseSignatureMethod,
    by: User,
    today: date,
) -> None:
    """Record the signatures: checked again on the signature date; the unit leaves the available stock."""
    _transition(lease, LeaseStatus.SIGNED)
    errors: dict[str, str] = {}
    if signed_on > today:
        errors["signed_on"] = "La date de signature ne peut pas être dans le futur."
    if not signatories.strip():
        errors["signatories"] = "Indiquez qui a signé (locataires, bailleur ou mandataire, association)."
    if errors:
        raise LeaseError(errors)
    irl = reference_irl(session, signed_on)
    limits = check_terms(session, lease, on=signed_on)
    _put_in_force(
        session,
        lease,
        rent_cap=limits.rent_cap if lease.level.value != "none" else None,
        irl_quarter=irl.quarter,
        irl_base_year=irl.year,
        status=LeaseStatus.SIGNED,
        initial_rent=lease.rent,
        signed_on=signed_on,
        signatories=signatories.strip(),
        signature_method=method,
    )
    lease.stock_entry.status = StockStatus.LET
    if lease.proposal is not None:
        close_as_leased(session, lease.proposal, by=by, today=today)
    session.flush()
    lease_documents.issue_contract(session, lease, issued_on=signed_on, by=by)
    lease_documents.issue_guarantee_summary(session, lease, issued_on=signed_on, by=by)
    audit(session, actor=by, action="lease.sign", object_type="lease", object_id=lease.id, signed_on=signed_on)


def activate_lease(session: Session, lease: Lease, *, on: date, by: User, today: date) -> None:
    """The household has moved in: the lease runs; a bail glissant gets its first review."""
    _transition(lease, LeaseStatus.ACTIVE)
    if on > today:
        raise LeaseError({"activated_on": "L'entrée dans les lieux ne peut pas être datée dans le futur."})
    if on < lease.starts_on:
        raise LeaseError({"activated_on": "L'entrée dans les lieux ne peut pas précéder la prise d'effet du bail."})
    _put_in_force(session, lease, status=LeaseStatus.ACTIVE, activated_on=on)
    lease.household.status = HouseholdStatus.HOUSED
    if lease.kind is LeaseKind.SUBLEASE and lease.mode is IMLMode.BAIL_GLISSANT and lease.review_months:
        schedule_review(session, lease, due_on=add_months(lease.starts_on, lease.review_months))
    session.flush()
    audit(session, actor=by, action="lease.activate", object_type="lease", object_id=lease.id, on=on)


def end_lease(
    session: Session,
    lease: Lease,
    *,
    ended_on: date,
    reason: LeaseEndReason,
    notice_on: date | None,
    note: str | None,
    by: User,
    today: date,
) -> None:
    """End a lease (or cancel a signed one): the unit returns to the operator's available stock the next day."""
    _transition(lease, LeaseStatus.ENDED)
    refusal = rules.end_reason_allowed(lease.status, reason)
    if refusal:
        raise LeaseError({"reason": refusal})
    errors = {}
    if notice_on is not None and notice_on > ended_on:
        errors["notice_on"] = "Le congé ne peut pas être daté après la sortie."
    if lease.activated_on is not None and ended_on < lease.activated_on:
        errors["ended_on"] = "La sortie ne peut pas précéder l'entrée dans les lieux."
    if ended_on > today + timedelta(days=5 * 366):  # a typing error (9999), and the stock date would overflow
        errors["ended_on"] = "Date improbable : plus de cinq ans après aujourd'hui."
    if errors:
        raise LeaseError(errors)
    close_lease(session, lease, ended_on=ended_on, reason=reason, notice_on=notice_on, note=note)
    entry = lease.stock_entry
    if lease.agreement.ended_on is None and entry.status is StockStatus.LET:
        entry.status = StockStatus.AVAILABLE
        entry.available_on = max(entry.available_on, ended_on + timedelta(days=1))
    if reason is LeaseEndReason.CANCELLED:
        lease.household.status = HouseholdStatus.ACTIVE
    session.flush()
    audit(session, actor=by, action="lease.end", object_type="lease", object_id=lease.id, reason=reason.value)


def close_lease(
    session: Session,
    lease: Lease,
    *,
    ended_on: date,
    reason: LeaseEndReason,
    notice_on: date | None = None,
    note: str | None = None,
) -> None:
    """Mark a lease ended and drop its reviews not held yet (shared by the end of a lease and the slide)."""
    lease.status = LeaseStatus.ENDED
    lease.ended_on = ended_on
    lease.end_reason = reason
    lease.notice_on = notice_on
    lease.end_note = (note or "").strip() or None
    session.execute(delete(SlidingReview).where(SlidingReview.lease_id == lease.id, SlidingReview.held_on.is_(None)))
    session.flush()
    session.expire(lease, ["reviews"])


def schedule_review(session: Session, lease: Lease, *, due_on: date) -> SlidingReview:
    review = SlidingReview(lease_id=lease.id, due_on=due_on)
    session.add(review)
    session.flush()
    return review


# --- helpers -----------------------------------------------------------------------------------------------------


def _fields(data: LeaseInput) -> dict[str, Any]:
    def text(value: str | None) -> str | None:
        return (value or "").strip() or None

    return {
        "tenants": [name.strip() for name in data.tenants if name.strip()],
        "rent": data.rent,
        "charges": data.charges,
        "charges_method": data.charges_method,
        "deposit": data.deposit,
        "payment_day": data.payment_day,
        "starts_on": data.starts_on,
        "duration_months": data.duration_months,
        "annexes": [annex.value for annex in data.annexes],
        "previous_rent": data.previous_rent,
        "previous_tenant_left_on": data.previous_tenant_left_on if data.previous_rent is not None else None,
        "works": text(data.works),
        "equipment": text(data.equipment),
        "private_parts": text(data.private_parts),
        "common_parts": text(data.common_parts),
        "support_clause": text(data.support_clause),
    }


def _transition(lease: Lease, target: LeaseStatus) -> None:
    try:
        rules.check_transition(lease.status, target)
    except rules.InvalidTransition as error:
        raise LeaseError(str(error)) from error


def reference_irl(session: Session, on: date) -> IrlIndex:
    """The index the revision clause refers to: the last one published by ``on`` (LeaseError when none is)."""
    irl = latest_irl(session, on)
    if irl is None:
        raise LeaseError(
            "Aucun indice de référence des loyers (IRL) n'est importé : la clause de révision ne peut pas être "
            "rédigée. Importez la série de l'INSEE (passerelle import irl)."
        )
    return irl


def check_terms(session: Session, lease: Lease, *, on: date) -> rules.LeaseLimits:
    """Check the lease's terms with the rules in force on ``on``; raise LeaseError with the faulty fields."""
    entry = lease.stock_entry if lease.stock_entry is not None else None
    if entry is None:
        from capture.models import StockEntry

        entry = session.get(StockEntry, lease.stock_entry_id)
    assert entry is not None
    landlord = session.get(Landlord, lease.landlord_id)
    operator = session.get(Organisation, lease.operator_id)
    assert landlord is not None and operator is not None
    try:
        limits = lease_limits(
            session,
            kind=lease.kind,
            entry=entry,
            agreement=entry.agreement,
            landlord=landlord,
            operator=operator,
            guarantee_kinds=(
                tuple(g.kind for g in lease.guarantees if g.expires_on is None or g.expires_on > on) if lease.id else ()
            ),
            on=on,
            starts_on=lease.starts_on,
        )
    except MissingParameter as error:
        raise LeaseError(f"Paramètre de référence manquant : {error}") from error
    terms = rules.LeaseTerms(
        kind=lease.kind,
        mode=lease.mode,
        level=lease.level,
        rent=lease.rent,
        charges=lease.charges,
        deposit=lease.deposit,
        starts_on=lease.starts_on,
        duration_months=lease.duration_months,
        payment_day=lease.payment_day,
        tenants=tuple(lease.tenants or ()),
    )
    errors = rules.check_lease(terms, limits)
    if errors:
        raise LeaseError(errors)
    return limits


def _put_in_force(session: Session, lease: Lease, **changes: Any) -> None:
    """Write the changes that put a lease in force inside a savepoint: the database refuses a second lease in force
    on the unit or for the household (a concurrent transaction may just have signed one), and then nothing changes.
    """
    session.flush()  # the savepoint must hold only these changes
    savepoint = session.begin_nested()
    try:
        for key, value in changes.items():
            setattr(lease, key, value)
        session.flush()
    except IntegrityError as error:
        savepoint.rollback()
        raise LeaseError(
            "Ce logement ou ce ménage a déjà un bail signé ou en cours : un seul bail à la fois "
            "(l'autre a pu être signé à l'instant)."
        ) from error
    savepoint.commit()
