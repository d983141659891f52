"""Turn a lease and its guarantees into their documents (contracts/ builders) and store each PDF with its SHA-256.

Reading the records and the parameters happens here; rendering is pure (``contracts``); a new version of a
document is a new row (the latest of each kind is the one shown), so what was signed is never overwritten.
Storing needs an application context (the upload folder is the app's).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import (
    DepositOutcome,
    Guarantee,
    GuaranteeKind,
    Lease,
    LeaseAnnex,
    LeaseDocument,
    LeaseDocumentKind,
    LeaseKind,
)
from agency_backoffice.rules import leases as rules
from capture.models import CaptureCase, IMLMode, Landlord, Unit
from capture.operations.agreement_documents import operator_party, owner_party, unit_address, unit_description
from capture.queries.agreements import latest_assessment
from contracts.agreement_layout import Convention
from contracts.guarantees import (
    AssociationCommitment,
    GuaranteeAttestationDocument,
    GuaranteeLine,
    GuaranteeSummaryDocument,
    render_guarantee_attestation,
    render_guarantee_summary,
)
from contracts.residential_lease import (
    QUARTERS,
    LeaseSignature,
    ResidentialLeaseDocument,
    SlideMention,
    render_residential_lease,
)
from contracts.sublease import MainLeaseMention, SubleaseDocument, SupportMention, render_sublease
from contracts.tripartite import TripartiteDocument, render_tripartite
from contracts.typography import date_in_words, money, number
from passerelle import storage
from passerelle.models import IrlIndex, Organisation, User
from passerelle.reference.queries import MissingParameter, parameter_at

REVIEWS_LISTED = 4


def _value(session: Session, key: str, on: date) -> Any:
    return parameter_at(session, key, on).value


def _store(
    session: Session,
    lease: Lease,
    kind: LeaseDocumentKind,
    pdf: bytes,
    filename: str,
    *,
    issued_on: date,
    by: User | None,
    guarantee: Guarantee | None = None,
) -> LeaseDocument:
    stored = storage.save(storage.check(pdf, filename=filename, allowed={"application/pdf"}, max_bytes=len(pdf)))
    document = LeaseDocument(
        lease_id=lease.id,
        guarantee_id=guarantee.id if guarantee is not None else None,
        kind=kind,
        sha256=stored.sha256,
        filename=stored.filename,
        size=stored.size,
        issued_on=issued_on,
        created_by_id=by.id if by is not None else None,
    )
    session.add(document)
    session.flush()
    session.expire(lease, ["documents"])
    return document


def _parties(session: Session, lease: Lease) -> tuple[Landlord, Organisation, Unit]:
    landlord = session.get(Landlord, lease.landlord_id)
    operator = session.get(Organisation, lease.operator_id)
    unit = session.get(Unit, lease.unit_id)
    assert landlord is not None and operator is not None and unit is not None
    return landlord, operator, unit


def _place(unit: Unit) -> str:
    return unit.commune.name if unit.commune else "—"


def _signature(lease: Lease) -> LeaseSignature | None:
    if lease.signed_on is None or lease.signature_method is None:
        return None
    return LeaseSignature(lease.signed_on, lease.signature_method.label, lease.signatories or "")


def _convention(session: Session, lease: Lease) -> Convention | None:
    if lease.level.value == "none" or lease.rent_cap is None:
        return None
    on = lease.signed_on or lease.starts_on
    return Convention(
        level_label=lease.level.label,
        rent_cap=lease.rent_cap,
        cap_on=on,
        years=_value(session, "locavantages.convention_years.standard", on),
        request_deadline_months=_value(session, "locavantages.convention_request_deadline_months", on),
    )


def _irl_reference(session: Session, lease: Lease) -> str | None:
    index = session.scalar(
        select(IrlIndex).where(IrlIndex.year == lease.irl_base_year, IrlIndex.quarter == lease.irl_quarter)
    )
    if index is None:
        return None
    return f"{QUARTERS[lease.irl_quarter - 1]} {lease.irl_base_year} : {number(index.value)}"


def _main_lease_last_day(lease: Lease) -> date:
    """The current term of the lease to the association that covers the sub-lease's start (it renews tacitly)."""
    agreement = lease.agreement
    return rules.term_end_covering(agreement.starts_on, agreement.duration_months, lease.starts_on)


def deposit_outcome_text(outcome: DepositOutcome | None, amount: Decimal) -> str:
    if outcome is DepositOutcome.TRANSFERRED:
        return (
            f"Le dépôt de garantie de {money(amount)} versé à l'association est transféré au propriétaire et "
            "devient le dépôt de garantie du bail direct ; le ménage n'a rien à verser de plus."
        )
    if outcome is DepositOutcome.RETURNED:
        return (
            "L'association restitue au ménage le dépôt de garantie qu'il lui avait versé, après l'état des lieux ; "
            f"le ménage verse au propriétaire le dépôt de garantie du bail direct ({money(amount)})."
        )
    if outcome is DepositOutcome.NONE:
        return "Aucun dépôt de garantie n'a été versé ni n'est demandé."
    return (
        "Au glissement, le dépôt de garantie versé à l'association est, au choix des parties, transféré au "
        "propriétaire comme dépôt du bail direct ou restitué au ménage ; le choix est consigné lors de la revue."
    )


def _annex_labels(lease: Lease) -> tuple[str, ...]:
    return tuple(LeaseAnnex(value).label for value in lease.annexes or ())


# --- contracts -----------------------------------------------------------------------------------------------


def issue_contract(session: Session, lease: Lease, *, issued_on: date, by: User | None) -> list[LeaseDocument]:
    """The household's contract (loi 89 lease or sub-lease), and for a bail glissant the tripartite agreement."""
    if lease.kind is LeaseKind.DIRECT:
        pdf = render_residential_lease(residential_lease_document(session, lease, issued_on=issued_on))
        return [
            _store(session, lease, LeaseDocumentKind.LEASE, pdf, f"bail-{lease.id}.pdf", issued_on=issued_on, by=by)
        ]
    documents = [
        _store(
            session,
            lease,
            LeaseDocumentKind.SUBLEASE,
            render_sublease(sublease_document(session, lease, issued_on=issued_on)),
            f"sous-location-{lease.id}.pdf",
            issued_on=issued_on,
            by=by,
        )
    ]
    if lease.mode is IMLMode.BAIL_GLISSANT:
        documents.append(
            _store(
                session,
                lease,
                LeaseDocumentKind.TRIPARTITE,
                render_tripartite(tripartite_document(session, lease, issued_on=issued_on)),
                f"convention-tripartite-{lease.id}.pdf",
                issued_on=issued_on,
                by=by,
            )
        )
    return documents


def residential_lease_document(session: Session, lease: Lease, *, issued_on: date) -> ResidentialLeaseDocument:
    landlord, operator, unit = _parties(session, lease)
    case = session.get(CaptureCase, lease.agreement.case_id)
    assessment = latest_assessment(session, case) if case is not None else None
    under_mandate = lease.mode is IMLMode.MANDATE
    slide = None
    if lease.slid_from is not None:
        sublease = lease.slid_from
        slide = SlideMention(
            sublease_reference=f"Sous-location n° {sublease.id}",
            occupied_since=sublease.activated_on or sublease.starts_on,
            tripartite_reference=f"Convention tripartite n° {sublease.id}",
            deposit_outcome=deposit_outcome_text(lease.deposit_outcome, lease.deposit),
        )
    return ResidentialLeaseDocument(
        reference=f"Bail n° {lease.id}",
        landlord=owner_party(landlord),
        agent=operator_party(operator) if under_mandate else None,
        agent_mandate=(
            f"mandat de gestion n° {lease.agreement_id} du {date_in_words(lease.agreement.starts_on)}"
            if under_mandate
            else None
        ),
        landlord_is_legal_person=landlord.kind.is_legal_person,
        tenants=tuple(lease.tenants),
        unit=unit_description(unit, assessment),
        private_parts=lease.private_parts,
        common_parts=lease.common_parts,
        equipment=lease.equipment,
        starts_on=lease.starts_on,
        duration_months=lease.duration_months,
        last_day=rules.last_day(lease.starts_on, lease.duration_months),
        rent=lease.rent,
        charges=lease.charges,
        charges_method=lease.charges_method.label,
        deposit=lease.deposit,
        payment_day=lease.payment_day,
        irl_quarter=lease.irl_quarter,
        irl_reference=_irl_reference(session, lease),
        previous_rent=lease.previous_rent,
        previous_tenant_left_on=lease.previous_tenant_left_on,
        works=lease.works,
        annexes=_annex_labels(lease),
        convention=_convention(session, lease),
        slide=slide,
        housing_benefit_to_agent=under_mandate,
        place=_place(unit),
        issued_on=issued_on,
        signature=_signature(lease),
    )


def _support(lease: Lease) -> SupportMention:
    household = lease.household
    referent = " — ".join(part for part in (household.referent_organisation, household.referent_name) if part)
    return SupportMention(
        kind=lease.support_clause or household.support_kind,
        intensity=household.support_intensity.label.lower(),
        referent=referent or None,
        consent_on=household.consent_on,
    )


def sublease_document(session: Session, lease: Lease, *, issued_on: date) -> SubleaseDocument:
    landlord, operator, unit = _parties(session, lease)
    case = session.get(CaptureCase, lease.agreement.case_id)
    assessment = latest_assessment(session, case) if case is not None else None
    agreement = lease.agreement
    return SubleaseDocument(
        reference=f"Sous-location n° {lease.id}",
        association=operator_party(operator),
        occupants=tuple(lease.tenants),
        owner_name=landlord.name,
        main_lease=MainLeaseMention(
            reference=f"Bail à l'association n° {agreement.id}",
            starts_on=agreement.starts_on,
            last_day=_main_lease_last_day(lease),
            rent=agreement.rent,
            charges=agreement.charges,
        ),
        unit=unit_description(unit, assessment),
        starts_on=lease.starts_on,
        duration_months=lease.duration_months,
        last_day=rules.last_day(lease.starts_on, lease.duration_months),
        rent=lease.rent,
        charges=lease.charges,
        charges_method=lease.charges_method.label,
        deposit=lease.deposit,
        payment_day=lease.payment_day,
        support=_support(lease),
        sliding=lease.mode is IMLMode.BAIL_GLISSANT,
        review_months=lease.review_months,
        convention=_convention(session, lease),
        irl_quarter=lease.irl_quarter,
        place=_place(unit),
        issued_on=issued_on,
        signature=_signature(lease),
        annexes=_annex_labels(lease),
    )


def tripartite_document(session: Session, lease: Lease, *, issued_on: date) -> TripartiteDocument:
    landlord, operator, unit = _parties(session, lease)
    on = lease.signed_on or issued_on
    review_months = lease.review_months or _value(session, "bail_glissant.review_months", on)
    return TripartiteDocument(
        reference=f"Convention tripartite n° {lease.id}",
        owner=owner_party(landlord),
        association=operator_party(operator),
        household=tuple(lease.tenants),
        unit_address=unit_address(unit),
        main_lease_reference=f"Bail à l'association n° {lease.agreement_id}",
        sublease_reference=f"Sous-location n° {lease.id}",
        sublease_starts_on=lease.starts_on,
        sublease_last_day=rules.last_day(lease.starts_on, lease.duration_months),
        review_months=review_months,
        review_dates=rules.review_dates(lease.starts_on, review_months, REVIEWS_LISTED),
        support_max_months=_value(session, "bail_glissant.support_max_months", on),
        slide_target_months=_value(session, "bail_glissant.slide_target_months", on),
        rent=lease.rent,
        charges=lease.charges,
        deposit=lease.deposit,
        deposit_outcome=deposit_outcome_text(None, lease.deposit),
        place=_place(unit),
        issued_on=issued_on,
        signature=_signature(lease),
    )


# --- guarantees ----------------------------------------------------------------------------------------------


def issue_guarantee_attestation(
    session: Session, guarantee: Guarantee, *, issued_on: date, by: User | None, claim_contact: str, signatory: str
) -> LeaseDocument:
    """The operator's attestation that its own fund covers the lease (only for the operator's fund)."""
    assert guarantee.kind is GuaranteeKind.OPERATOR_FUND
    assert guarantee.covered_months and guarantee.amount and guarantee.expires_on
    lease = guarantee.lease
    landlord, operator, unit = _parties(session, lease)
    beneficiary = owner_party(landlord) if lease.kind is LeaseKind.DIRECT else operator_party(operator)
    pdf = render_guarantee_attestation(
        GuaranteeAttestationDocument(
            reference=f"Attestation n° {guarantee.id}",
            operator=operator_party(operator),
            beneficiary=beneficiary,
            tenants=tuple(lease.tenants),
            unit_address=unit_address(unit),
            lease_reference=_lease_reference(lease),
            lease_starts_on=lease.starts_on,
            monthly_rent=lease.rent,
            monthly_charges=lease.charges,
            covered_months=guarantee.covered_months,
            amount=guarantee.amount,
            starts_on=guarantee.starts_on or lease.starts_on,
            expires_on=guarantee.expires_on,
            claim_contact=claim_contact,
            place=_place(unit),
            issued_on=issued_on,
            signatory=signatory,
            beneficiary_role="propriétaire bailleur" if lease.kind is LeaseKind.DIRECT else "bailleur",
        )
    )
    return _store(
        session,
        lease,
        LeaseDocumentKind.GUARANTEE_ATTESTATION,
        pdf,
        f"attestation-garantie-{guarantee.id}.pdf",
        issued_on=issued_on,
        by=by,
        guarantee=guarantee,
    )


def _lease_reference(lease: Lease) -> str:
    return f"{'Bail' if lease.kind is LeaseKind.DIRECT else 'Sous-location'} n° {lease.id}"


def guarantee_lines(session: Session, lease: Lease, *, for_owner: bool) -> tuple[GuaranteeLine, ...]:
    """Each guarantee in a few French lines; under sous-location the owner's copy names nobody."""
    lines = []
    for guarantee in lease.guarantees:
        details: list[str] = []
        kind = guarantee.kind
        if kind is GuaranteeKind.VISALE:
            details.append(f"Visa n° {guarantee.visa_number}")
            if guarantee.visale_cap is not None:
                details.append(f"Loyer garanti jusqu'à {money(guarantee.visale_cap)} par mois, charges comprises")
            try:
                months = _value(session, "visale.cover.unpaid_rent_max_months", lease.starts_on)
                details.append(f"Loyers et charges impayés couverts jusqu'à {months} mois")
            except MissingParameter:
                pass
            if guarantee.expires_on is not None:
                details.append(f"Couverture jusqu'au {date_in_words(guarantee.expires_on)}")
        elif kind is GuaranteeKind.FSL:
            details.append(
                f"Décision n° {guarantee.fsl_decision_reference} du {date_in_words(guarantee.fsl_decision_on)}"
                if guarantee.fsl_decision_on
                else f"Décision n° {guarantee.fsl_decision_reference}"
            )
            if guarantee.fsl_departement:
                details.append(f"Département {guarantee.fsl_departement}")
            if guarantee.amount is not None:
                details.append(f"Montant : {money(guarantee.amount)}")
        elif kind is GuaranteeKind.OPERATOR_FUND:
            details.append(
                f"Impayés couverts : {guarantee.covered_months} mois, au plus {money(guarantee.amount or Decimal('0'))}"
            )
            if guarantee.expires_on is not None:
                details.append(f"Jusqu'au {date_in_words(guarantee.expires_on)}")
        elif kind is GuaranteeKind.GLI:
            details.append(
                f"Assureur : {guarantee.insurer}"
                + (f", contrat n° {guarantee.policy_number}" if guarantee.policy_number else "")
            )
            if guarantee.amount is not None:
                details.append(f"Plafond : {money(guarantee.amount)}")
        elif kind is GuaranteeKind.PERSONAL_GUARANTOR and not (for_owner and lease.kind is LeaseKind.SUBLEASE):
            details.append(f"Caution : {guarantee.guarantor_name}")
        lines.append(GuaranteeLine(kind.label, tuple(details)))
    return tuple(lines)


def issue_guarantee_summary(session: Session, lease: Lease, *, issued_on: date, by: User | None) -> LeaseDocument:
    """The owner's summary of what protects them: the guarantees, and under sous-location the association."""
    landlord, operator, unit = _parties(session, lease)
    session.expire(lease, ["guarantees"])
    commitment = None
    if lease.kind is LeaseKind.SUBLEASE:
        agreement = lease.agreement
        commitment = AssociationCommitment(
            main_lease_reference=f"Bail à l'association n° {agreement.id}",
            monthly_rent=agreement.rent,
            monthly_charges=agreement.charges,
            until=_main_lease_last_day(lease),
        )
        label = f"Bail à l'association n° {agreement.id} du {date_in_words(agreement.starts_on)}"
    else:
        label = f"Bail d'habitation n° {lease.id} du {date_in_words(lease.starts_on)}"
    pdf = render_guarantee_summary(
        GuaranteeSummaryDocument(
            reference=f"Récapitulatif n° {lease.id}",
            owner=owner_party(landlord),
            operator=operator_party(operator),
            unit_address=unit_address(unit),
            lease_label=label,
            mode_label=lease.mode.label,
            lines=guarantee_lines(session, lease, for_owner=True),
            association_commitment=commitment,
            issued_on=issued_on,
        )
    )
    return _store(
        session,
        lease,
        LeaseDocumentKind.GUARANTEE_SUMMARY,
        pdf,
        f"garanties-{lease.id}.pdf",
        issued_on=issued_on,
        by=by,
    )
