"""Turn an agreement into its contract document (mandate or lease to an association) and store the PDF.

Building reads the records and the parameters at the issue date and renders through ``contracts``; storing
writes the file and records its SHA-256 and name on the agreement. Storing needs an application context (the
upload folder is the app's).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from capture.models import Agreement, IMLMode, Landlord, Unit, UnitAssessment
from capture.queries import agreements as queries
from capture.rules import agreement as rules
from contracts.agreement_layout import Convention, Party, SignatureRecord, UnitDescription
from contracts.lease_to_association import LeaseToAssociationDocument, render_lease_to_association
from contracts.mandate import MandateDocument, render_mandate
from passerelle import storage
from passerelle.models import Organisation
from passerelle.reference.queries import parameter_at


def _value(session: Session, key: str, on: date) -> Any:
    return parameter_at(session, key, on).value


def _address_lines(*parts: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in parts if part and part.strip())


def owner_party(landlord: Landlord) -> Party:
    return Party(
        name=landlord.name,
        address_lines=_address_lines(
            landlord.address, " ".join(_address_lines(landlord.postal_code, landlord.city)) or None
        ),
        status=landlord.kind.label.lower() if landlord.kind.value == "person" else landlord.kind.label,
        represented_by=landlord.representative,
        identifier=f"SIREN {landlord.company_siren}" if landlord.company_siren else None,
    )


def operator_party(operator: Organisation) -> Party:
    return Party(
        name=operator.name,
        address_lines=_address_lines(operator.address),
        status=operator.kind.label,
        identifier=f"SIRET {operator.siret}" if operator.siret else None,
    )


def unit_address(unit: Unit) -> tuple[str, ...]:
    commune = unit.commune.name if unit.commune else ""
    return _address_lines(
        unit.address, unit.address_complement, " ".join(_address_lines(unit.postal_code, commune)) or None
    )


def unit_description(unit: Unit, assessment: UnitAssessment | None) -> UnitDescription:
    """The unit as the contracts describe it: surfaces and rooms measured at the visit when there was one."""
    surfaces = queries.surfaces_of(unit, assessment)
    return UnitDescription(
        address_lines=unit_address(unit),
        surface_m2=surfaces.surface_m2 or Decimal("0"),
        annexes_m2=surfaces.annexes_m2,
        rooms=(assessment.rooms if assessment and assessment.rooms else unit.rooms),
        dpe_class=(assessment.dpe_class if assessment and assessment.dpe_class else unit.dpe_class),
    )


def build_document(
    session: Session,
    agreement: Agreement,
    unit: Unit,
    assessment: UnitAssessment | None,
    *,
    issued_on: date,
    signature: SignatureRecord | None,
) -> tuple[bytes, str]:
    """The agreement's PDF and its file name, from the records (no storage)."""
    landlord = session.get(Landlord, agreement.landlord_id)
    operator = session.get(Organisation, agreement.operator_id)
    assert landlord is not None and operator is not None
    commune = unit.commune.name if unit.commune else ""
    description = unit_description(unit, assessment)
    convention = None
    if rules.is_conventioned(agreement.level) and agreement.rent_cap is not None:
        convention = Convention(
            level_label=agreement.level.label,
            rent_cap=agreement.rent_cap,
            cap_on=issued_on,
            years=_value(session, "locavantages.convention_years.standard", issued_on),
            request_deadline_months=_value(session, "locavantages.convention_request_deadline_months", issued_on),
        )
    reference = f"Accord n° {agreement.id}"
    last_day = rules.end_on(agreement.starts_on, agreement.duration_months) - timedelta(days=1)
    place = commune or "—"
    if agreement.mode is IMLMode.MANDATE:
        assert agreement.fee_rate is not None
        pdf = render_mandate(
            MandateDocument(
                reference=reference,
                owner=owner_party(landlord),
                operator=operator_party(operator),
                unit=description,
                rent=agreement.rent,
                charges=agreement.charges,
                fee_rate=agreement.fee_rate,
                duration_months=agreement.duration_months,
                starts_on=agreement.starts_on,
                last_day=last_day,
                place=place,
                issued_on=issued_on,
                convention=convention,
                signature=signature,
            )
        )
        return pdf, f"mandat-de-gestion-accord-{agreement.id}.pdf"
    pdf = render_lease_to_association(
        LeaseToAssociationDocument(
            reference=reference,
            owner=owner_party(landlord),
            association=operator_party(operator),
            unit=description,
            rent=agreement.rent,
            charges=agreement.charges,
            duration_months=agreement.duration_months,
            starts_on=agreement.starts_on,
            last_day=last_day,
            place=place,
            issued_on=issued_on,
            sliding_clause=agreement.sliding_clause,
            review_months=(
                _value(session, "bail_glissant.review_months", issued_on) if agreement.sliding_clause else None
            ),
            convention=convention,
            signature=signature,
        )
    )
    return pdf, f"bail-association-accord-{agreement.id}.pdf"


def store_document(
    session: Session,
    agreement: Agreement,
    unit: Unit,
    assessment: UnitAssessment | None,
    *,
    issued_on: date,
    signature: SignatureRecord | None,
) -> None:
    """Build the agreement's PDF, store it, and record its SHA-256 and file name on the agreement."""
    pdf, filename = build_document(session, agreement, unit, assessment, issued_on=issued_on, signature=signature)
    stored = storage.save(storage.check(pdf, filename=filename, allowed={"application/pdf"}, max_bytes=len(pdf)))
    agreement.document_sha256 = stored.sha256
    agreement.document_filename = stored.filename
    session.flush()
