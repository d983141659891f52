"""Record a lease's guarantees, end them, and set the guarantees under which the operator takes no deposit.

The checks are the pure rules of ``agency_backoffice.rules.guarantees``; one Visale, one fund and one GLI per
lease is the database's (a partial unique index). After each change on a signed or running lease the owner's
summary is issued again; the operator's fund gets its attestation de garantie.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agency_backoffice.models import Guarantee, GuaranteeKind, Lease, LeaseDocument, LeaseStatus, VisaleArea
from agency_backoffice.operations import lease_documents
from agency_backoffice.rules import guarantees as rules
from contracts.typography import date_in_words
from passerelle.audit import audit
from passerelle.models import Organisation, User
from passerelle.reference.queries import MissingParameter, parameter_at

K = GuaranteeKind
SINGLE_KINDS = (K.VISALE, K.OPERATOR_FUND, K.GLI)  # uq_lease_guarantees_single_kind


class GuaranteeError(ValueError):
    """Why a guarantee operation was refused: French messages by field ("" for the whole form)."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors = {"": errors} if isinstance(errors, str) else dict(errors)
        super().__init__(" ".join(self.errors.values()))


def visale_caps(session: Session, on: date) -> rules.VisaleCaps:
    """Visale's caps and years of cover on ``on`` (raises MissingParameter)."""
    caps: dict[VisaleArea, Decimal] = {}
    for area in VisaleArea:
        value = parameter_at(session, f"visale.rent_cap.{area.value}", on).value
        assert isinstance(value, Decimal)
        caps[area] = value
    try:
        years = parameter_at(session, "visale.cover.lease_years", on).value
    except MissingParameter:
        years = None  # before 6 January 2026 Visale covered the whole lease
    assert years is None or isinstance(years, int)
    return rules.VisaleCaps(on=on, caps=caps, cover_years=years)


def lease_area(lease: Lease) -> VisaleArea | None:
    """The Visale area the unit's commune decides (None: staff say whether it is a large agglomeration)."""
    unit = lease.unit
    commune = unit.commune
    departement = commune.departement if commune is not None else (unit.postal_code or "")[:2]
    return rules.fixed_visale_area(departement, commune.region if commune is not None else None)


def lease_departement(lease: Lease) -> str | None:
    commune = lease.unit.commune
    return commune.departement if commune is not None else None


def lease_facts(lease: Lease, operator: Organisation, *, today: date) -> rules.LeaseFacts:
    return rules.LeaseFacts(
        status=lease.status,
        rent=lease.rent,
        charges=lease.charges,
        deposit=lease.deposit,
        starts_on=lease.starts_on,
        signed_on=lease.signed_on,
        fixed_area=lease_area(lease),
        kinds_in_force=tuple(g.kind for g in lease.guarantees if rules.in_force(g.expires_on, today)),
        deposit_waived_with=waived_kinds(operator),
    )


def waived_kinds(operator: Organisation) -> tuple[GuaranteeKind, ...]:
    chosen = set(operator.deposit_waived_with or ())
    return tuple(kind for kind in GuaranteeKind if kind.value in chosen)


def add_guarantee(
    session: Session, lease: Lease, kind: GuaranteeKind, values: rules.GuaranteeInput, *, by: User, today: date
) -> Guarantee:
    """Record a guarantee on a draft, signed or running lease; the fund gets its attestation."""
    operator = lease.operator
    facts = lease_facts(lease, operator, today=today)
    caps = None
    if kind is K.VISALE:
        try:
            # The visa is issued for a lease starting on its start date: the caps and cover of that date apply.
            caps = visale_caps(session, lease.starts_on)
        except MissingParameter as error:
            raise GuaranteeError(f"Paramètre de référence manquant : {error}") from error
    errors = rules.check_guarantee(kind, values, facts, today=today, visale=caps)
    if errors:
        raise GuaranteeError(errors)
    guarantee = Guarantee(lease_id=lease.id, kind=kind, created_by_id=by.id, **_fields(kind, values, facts, caps))
    try:
        with session.begin_nested():
            session.add(guarantee)
            session.flush()
    except IntegrityError as error:
        if kind not in SINGLE_KINDS:
            raise
        raise GuaranteeError(_duplicate_message(session, lease, kind, today)) from error
    session.expire(lease, ["guarantees"])
    if kind is K.OPERATOR_FUND:
        lease_documents.issue_guarantee_attestation(
            session,
            guarantee,
            issued_on=today,
            by=by,
            claim_contact=claim_contact(operator),
            # The attestation reads « Je soussigné(e), <name>, agissant pour <operator> » and signs « Pour
            # <operator> »: the operator's name is already there.
            signatory=by.full_name or by.email,
        )
    _summary(session, lease, by=by, today=today)
    audit(
        session,
        actor=by,
        action="guarantee.add",
        object_type="lease",
        object_id=lease.id,
        guarantee=guarantee.id,
        kind=kind.value,
    )
    return guarantee


def remove_guarantee(session: Session, guarantee: Guarantee, *, by: User, today: date) -> None:
    """A draft's guarantee is deleted (it never covered anything); otherwise it ends today and stays on record."""
    lease = guarantee.lease
    if lease.status is LeaseStatus.ENDED:
        raise GuaranteeError("Le bail est terminé : ses garanties ne peuvent plus être modifiées.")
    kind, guarantee_id = guarantee.kind, guarantee.id
    if lease.status is LeaseStatus.DRAFT:
        # Its attestation was never valid either (the documents of a draft are working copies).
        session.execute(delete(LeaseDocument).where(LeaseDocument.guarantee_id == guarantee_id))
        session.delete(guarantee)
        session.flush()
        session.expire(lease, ["guarantees", "documents"])
        action = "guarantee.delete"
    else:
        if not rules.in_force(guarantee.expires_on, today):
            assert guarantee.expires_on is not None
            raise GuaranteeError(f"Cette garantie a déjà pris fin le {date_in_words(guarantee.expires_on)}.")
        guarantee.expires_on = today
        session.flush()
        _summary(session, lease, by=by, today=today)
        action = "guarantee.end"
    audit(
        session,
        actor=by,
        action=action,
        object_type="lease",
        object_id=lease.id,
        guarantee=guarantee_id,
        kind=kind.value,
        on=today,
    )


def set_deposit_waivers(session: Session, operator: Organisation, kinds: Iterable[GuaranteeKind], *, by: User) -> None:
    """The guarantees under which the operator asks no deposit (drafts must then carry a deposit of 0 €)."""
    chosen = set(kinds)
    previous = list(operator.deposit_waived_with or ())
    operator.deposit_waived_with = [kind.value for kind in GuaranteeKind if kind in chosen]
    session.flush()
    audit(
        session,
        actor=by,
        action="operator.deposit_waivers",
        object_type="organisation",
        object_id=operator.id,
        previous=previous,
        kinds=operator.deposit_waived_with,
    )


def claim_contact(operator: Organisation) -> str:
    """Where the owner sends a claim on the operator's fund: its name and its address, e-mail and phone."""
    parts = [part.strip() for part in (operator.address, operator.email, operator.phone) if part and part.strip()]
    return f"{operator.name} ({' ; '.join(parts)})" if parts else operator.name


# --- helpers -----------------------------------------------------------------------------------------------------


def _fields(
    kind: GuaranteeKind, values: rules.GuaranteeInput, facts: rules.LeaseFacts, caps: rules.VisaleCaps | None
) -> dict[str, Any]:
    def text(value: str | None) -> str | None:
        return (value or "").strip() or None

    note = text(values.note)
    if kind in (K.GLI, K.PERSONAL_GUARANTOR) and values.student:
        note = f"{rules.STUDENT_NOTE}\n{note}" if note else rules.STUDENT_NOTE
    fields: dict[str, Any] = {"note": note}
    if kind is K.VISALE:
        assert caps is not None
        area = facts.fixed_area or values.visale_area
        assert area is not None
        fields |= {
            "visa_number": text(values.visa_number),
            "visa_issued_on": values.visa_issued_on,
            "visale_area": area,
            "visale_cap": caps.cap(area),
            "starts_on": facts.starts_on,
            "expires_on": rules.visale_cover_end(facts.starts_on, caps.cover_years),
        }
    elif kind is K.FSL:
        fields |= {
            "fsl_departement": (values.fsl_departement or "").strip().upper(),
            "fsl_decision_reference": text(values.fsl_decision_reference),
            "fsl_decision_on": values.fsl_decision_on,
            "amount": values.amount,
        }
    elif kind is K.OPERATOR_FUND:
        fields |= {
            "covered_months": values.covered_months,
            "amount": values.amount,
            "starts_on": values.starts_on,
            "expires_on": values.expires_on,
        }
    elif kind is K.GLI:
        fields |= {
            "insurer": text(values.insurer),
            "policy_number": text(values.policy_number),
            "amount": values.amount,
        }
    else:
        fields |= {"guarantor_name": text(values.guarantor_name)}
    return fields


def _duplicate_message(session: Session, lease: Lease, kind: GuaranteeKind, today: date) -> str:
    session.expire(lease, ["guarantees"])
    ended = [g.expires_on for g in lease.guarantees if g.kind is kind and g.expires_on and g.expires_on <= today]
    message = f"Ce bail a déjà une garantie « {kind.label} » : une seule par bail."
    if ended:
        message += f" Celle qui a pris fin le {date_in_words(ended[0])} reste enregistrée dans l'historique du bail."
    return message


def _summary(session: Session, lease: Lease, *, by: User, today: date) -> None:
    """The owner's summary follows every change once the lease is signed (a draft's has not been issued yet)."""
    if lease.status.in_force:
        lease_documents.issue_guarantee_summary(session, lease, issued_on=today, by=by)
