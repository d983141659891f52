"""Field visits, agreements with owners, their signature, the stock entry and the Anah follow-ups.

Add and flush, never commit. Every change is audited. The PDF of an agreement is stored (SHA-256 and file
name on the agreement) when it is drafted, and stored again with the signature once signed: building and
storing it is ``capture.operations.agreement_documents``. Storing needs an application context (the upload
folder is the app's).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from capture.models import (
    ActivityKind,
    Agreement,
    AnahFollowUp,
    AssessmentOutcome,
    CaptureCase,
    CaptureStage,
    ConventionLevel,
    IMLMode,
    SignatureMethod,
    StockEntry,
    StockStatus,
    Unit,
    UnitAssessment,
)
from capture.operations.agreement_documents import build_document as build_document  # re-exported
from capture.operations.agreement_documents import store_document
from capture.operations.cases import CaptureError, change_stage, log_activity
from capture.queries import agreements as queries
from capture.rules import agreement as rules
from capture.rules import assessment as assessment_rules
from contracts.agreement_layout import SignatureRecord
from passerelle.audit import audit
from passerelle.models import User
from passerelle.reference.queries import MissingParameter, parameter_at

PARIS = ZoneInfo("Europe/Paris")
# Stage by stage up to « visite réalisée » (the state machine allows no jump over « visite planifiée »).
TO_VISITED = {
    CaptureStage.NEW: (CaptureStage.VISIT_PLANNED, CaptureStage.VISITED),
    CaptureStage.CONTACTED: (CaptureStage.VISIT_PLANNED, CaptureStage.VISITED),
    CaptureStage.VISIT_PLANNED: (CaptureStage.VISITED,),
    CaptureStage.VISITED: (),
    CaptureStage.PROPOSAL_SENT: (),  # a second visit before signing keeps the proposal
}
ASSESSMENT_FIELDS = {
    "visited_on",
    "answers",
    "surface_m2",
    "annexes_m2",
    "rooms",
    "main_room_m2",
    "ceiling_height_m",
    "dpe_class",
    "dpe_energy_kwh_m2",
    "dpe_ghg_kg_m2",
    "works",
    "notes",
}
TERM_FIELDS = {"mode", "level", "rent", "charges", "duration_months", "fee_rate", "starts_on"}


class TermsRefused(CaptureError):
    """Terms that break a rule: the French message of each problem, by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def _value(session: Session, key: str, on: date) -> Any:
    return parameter_at(session, key, on).value


# --- the field visit -----------------------------------------------------------------------------------------


def record_assessment(
    session: Session, case: CaptureCase, *, data: Mapping[str, Any], by: User, today: date
) -> UnitAssessment:
    """Record a visit's findings and outcome; the case reaches « visite réalisée »."""
    unknown = set(data) - ASSESSMENT_FIELDS
    if unknown:
        raise TypeError(f"unexpected assessment fields {sorted(unknown)}")
    unit = case.unit
    if unit is None:
        raise CaptureError(
            "Ce dossier n'a pas encore de logement enregistré : le propriétaire doit d'abord le déclarer."
        )
    if case.stage not in TO_VISITED:
        raise CaptureError(f"Le dossier est à l'étape « {case.stage.label} » : la visite ne peut plus être saisie.")
    visited_on: date = data["visited_on"]
    if visited_on > today:
        raise CaptureError("La date de visite ne peut pas être dans le futur.")
    answers = dict(data.get("answers") or {})
    if set(answers) - {item.key for item in assessment_rules.CHECKLIST} or any(
        value not in (True, False, None) for value in answers.values()
    ):
        raise TypeError("unexpected checklist answers")
    works = [
        assessment_rules.Work(
            description=str(work["description"]).strip(),
            cost=work.get("cost"),
            item=work.get("item") or None,
        )
        for work in data.get("works") or []
        if str(work.get("description") or "").strip()
    ]
    workable = {item.key for item in assessment_rules.WORKABLE_ITEMS}
    if any(work.item is not None and work.item not in workable for work in works):
        raise TypeError("works must point to a checklist item that works can fix")

    energy_max: int | None
    try:
        energy_max = _value(session, "decence.energy_max_kwh_m2", visited_on)
    except MissingParameter:
        energy_max = None  # before 2023 no such ceiling applied
    thresholds = assessment_rules.Thresholds(
        min_room_m2=_value(session, "decence.min_room_surface_m2", visited_on),
        min_height_m=_value(session, "decence.min_ceiling_height_m", visited_on),
        min_volume_m3=_value(session, "decence.min_room_volume_m3", visited_on),
        energy_max_kwh_m2=energy_max,
    )
    dpe_class = (data.get("dpe_class") or "").upper() or None
    findings = assessment_rules.VisitFindings(
        answers=answers,
        main_room_m2=data.get("main_room_m2"),
        ceiling_height_m=data.get("ceiling_height_m"),
        dpe_class=dpe_class,
        dpe_energy_kwh_m2=data.get("dpe_energy_kwh_m2"),
        works=tuple(works),
    )
    # The commitment would start when the unit is free, at the earliest.
    start = max(visited_on, unit.available_from) if unit.available_from else visited_on
    result = assessment_rules.assess(
        findings,
        on=visited_on,
        thresholds=thresholds,
        bans=queries.ban_calendar(session, unit, visited_on),
        commitment_years=_value(session, "locavantages.convention_years.standard", visited_on),
        commitment_start=start,
    )
    assessment = UnitAssessment(
        case_id=case.id,
        unit_id=unit.id,
        visited_on=visited_on,
        assessor_id=by.id,
        checklist={key: answers.get(key) for key in (item.key for item in assessment_rules.CHECKLIST)},
        surface_m2=data["surface_m2"],
        annexes_m2=data.get("annexes_m2") or Decimal("0"),
        rooms=data.get("rooms"),
        main_room_m2=data.get("main_room_m2"),
        ceiling_height_m=data.get("ceiling_height_m"),
        dpe_class=dpe_class,
        dpe_energy_kwh_m2=data.get("dpe_energy_kwh_m2"),
        dpe_ghg_kg_m2=data.get("dpe_ghg_kg_m2"),
        works=[
            {
                "description": work.description,
                "cost": None if work.cost is None else str(work.cost),
                "item": work.item,
            }
            for work in works
        ],
        outcome=result.outcome,
        reasons=[*result.reasons, *result.warnings],
        notes=(data.get("notes") or "").strip() or None,
    )
    session.add(assessment)
    session.flush()
    for stage in TO_VISITED[case.stage]:
        change_stage(session, case, stage, by=by, today=today)
    log_activity(
        session,
        case,
        kind=ActivityKind.VISIT,
        occurred_on=visited_on,
        summary=f"Visite du logement : {result.outcome.label.lower()}.",
        next_action_on=case.next_action_on,
        by=by,
    )
    audit(
        session,
        actor=by,
        action="unit_assessment.record",
        object_type="unit_assessment",
        object_id=assessment.id,
        case_id=case.id,
        outcome=result.outcome.value,
        failures=list(result.failures),
    )
    return assessment


# --- the agreement -------------------------------------------------------------------------------------------


def _terms(values: Mapping[str, Any]) -> rules.Terms:
    unknown = set(values) - TERM_FIELDS
    if unknown:
        raise TypeError(f"unexpected agreement terms {sorted(unknown)}")
    mode = IMLMode(values["mode"])
    return rules.Terms(
        mode=mode,
        level=ConventionLevel(values["level"]),
        rent=values["rent"],
        charges=values.get("charges") or Decimal("0"),
        duration_months=values["duration_months"],
        starts_on=values["starts_on"],
        fee_rate=values.get("fee_rate"),
    )


def _check(session: Session, unit: Unit, assessment: UnitAssessment, terms: rules.Terms, on: date) -> Decimal | None:
    """The cap at ``on`` when the terms pass; TermsRefused otherwise (a missing parameter is refused too)."""
    try:
        limits, estimate = queries.limits_at(session, unit, assessment, mode=terms.mode, level=terms.level, on=on)
    except MissingParameter as exc:
        raise TermsRefused({"level": str(exc)}) from exc
    errors = rules.check_terms(terms, limits)
    if errors:
        raise TermsRefused(errors)
    return estimate.cap if rules.is_conventioned(terms.level) else None


def draft_agreement(
    session: Session, case: CaptureCase, *, terms: Mapping[str, Any], by: User, today: date
) -> Agreement:
    """Check the terms against the rules at today's date, build and store the PDF, send the proposal."""
    if case.stage not in (CaptureStage.VISITED, CaptureStage.PROPOSAL_SENT):
        raise CaptureError("Enregistrez d'abord la visite du logement : la proposition vient après.")
    unit = case.unit
    assessment = queries.latest_assessment(session, case)
    if unit is None or assessment is None:
        raise CaptureError("Enregistrez d'abord la visite du logement : la proposition vient après.")
    if assessment.outcome is AssessmentOutcome.NOT_ELIGIBLE:
        raise CaptureError(
            "Le logement a été jugé non éligible à la visite : enregistrez une nouvelle visite (par exemple "
            "après travaux) avant de proposer un accord."
        )
    existing = queries.agreement_for_case(session, case)
    if existing is not None and existing.status == "signed":
        raise CaptureError("L'accord de ce dossier est déjà signé.")
    checked = _terms(terms)
    cap = _check(session, unit, assessment, checked, today)

    agreement = existing or Agreement(
        case_id=case.id, unit_id=unit.id, operator_id=case.operator_id, landlord_id=unit.landlord_id
    )
    agreement.mode = checked.mode
    agreement.level = checked.level
    agreement.rent = checked.rent
    agreement.charges = checked.charges
    agreement.duration_months = checked.duration_months
    agreement.fee_rate = checked.fee_rate if checked.mode is IMLMode.MANDATE else None
    agreement.starts_on = checked.starts_on
    agreement.sliding_clause = rules.has_sliding_clause(checked.mode)
    agreement.rent_cap = cap
    agreement.status = "draft"
    session.add(agreement)
    session.flush()
    store_document(session, agreement, unit, assessment, issued_on=today, signature=None)
    if case.stage is CaptureStage.VISITED:
        change_stage(session, case, CaptureStage.PROPOSAL_SENT, by=by, today=today)
    audit(
        session,
        actor=by,
        action="agreement.draft" if existing is None else "agreement.redraft",
        object_type="agreement",
        object_id=agreement.id,
        case_id=case.id,
        mode=checked.mode.value,
        level=checked.level.value,
        rent=checked.rent,
        rent_cap=cap,
        document_sha256=agreement.document_sha256,
    )
    return agreement


def sign_agreement(
    session: Session,
    agreement: Agreement,
    *,
    signatory_name: str,
    method: SignatureMethod,
    signed_on: date,
    ip: str | None,
    by: User,
    now: datetime,
) -> StockEntry:
    """Record the owner's signature; the unit enters the operator's stock and the Anah steps are scheduled."""
    if agreement.status == "signed":
        raise CaptureError("Cet accord est déjà signé.")
    case = session.get(CaptureCase, agreement.case_id)
    unit = session.get(Unit, agreement.unit_id)
    assert case is not None and unit is not None
    if case.stage is not CaptureStage.PROPOSAL_SENT:
        raise CaptureError(f"Le dossier est à l'étape « {case.stage.label} » : l'accord ne peut pas être signé.")
    today = now.astimezone(PARIS).date()
    if signed_on > today:
        raise TermsRefused({"signed_on": "La date de signature ne peut pas être dans le futur."})
    signatory = " ".join(signatory_name.split())
    if not signatory:
        raise TermsRefused({"signatory_name": "Indiquez le nom de la personne qui a signé."})
    assessment = queries.latest_assessment(session, case)
    assert assessment is not None  # a proposal is only drafted after a visit
    if assessment.outcome is AssessmentOutcome.NOT_ELIGIBLE:
        raise CaptureError("La dernière visite a jugé le logement non éligible : l'accord ne peut pas être signé.")
    terms = rules.Terms(
        mode=agreement.mode,
        level=agreement.level,
        rent=agreement.rent,
        charges=agreement.charges,
        duration_months=agreement.duration_months,
        starts_on=agreement.starts_on,
        fee_rate=agreement.fee_rate,
    )
    # The cap that binds is the one in force on the signature date (domain.md §3: figures change every year).
    cap = _check(session, unit, assessment, terms, signed_on)

    agreement.status = "signed"
    agreement.signed_on = signed_on
    agreement.signatory_name = signatory
    agreement.signature_method = method
    agreement.signature_ip = ip if method is SignatureMethod.CLICK else None
    agreement.signed_at = now
    agreement.recorded_by_id = by.id
    agreement.rent_cap = cap
    record = SignatureRecord(
        method_label=method.label,
        signed_on=signed_on,
        signatory=signatory,
        accepted_at=now.astimezone(PARIS).replace(tzinfo=None) if method is SignatureMethod.CLICK else None,
        ip=agreement.signature_ip,
    )
    store_document(session, agreement, unit, assessment, issued_on=signed_on, signature=record)
    change_stage(session, case, CaptureStage.SIGNED, by=by, today=today)

    entry = StockEntry(
        unit_id=unit.id,
        agreement_id=agreement.id,
        operator_id=agreement.operator_id,
        mode=agreement.mode,
        level=agreement.level,
        rent=agreement.rent,
        charges=agreement.charges,
        available_on=rules.available_on(agreement.starts_on, unit.available_from),
        status=StockStatus.AVAILABLE,
    )
    session.add(entry)
    for step in _follow_ups(session, agreement, first_lease_on=entry.available_on, on=signed_on):
        session.add(AnahFollowUp(agreement=agreement, kind=step.kind, due_on=step.due_on, note=step.note))
    session.flush()
    audit(
        session,
        actor=by,
        action="agreement.sign",
        object_type="agreement",
        object_id=agreement.id,
        case_id=case.id,
        method=method.value,
        signed_on=signed_on,
        signatory=signatory,
        ip=agreement.signature_ip,
        rent_cap=cap,
        stock_entry_id=entry.id,
        document_sha256=agreement.document_sha256,
    )
    return entry


def _follow_ups(
    session: Session, agreement: Agreement, *, first_lease_on: date, on: date
) -> tuple[rules.FollowUp, ...]:
    if not rules.is_conventioned(agreement.level):
        return ()
    premium_levels = {part.strip() for part in str(_value(session, "anah.iml_premium.levels", on)).split(",")}
    return rules.anah_follow_ups(
        agreement.level,
        # A mandate's first lease (owner → household) comes later; the earliest is the unit's availability.
        first_lease_on=first_lease_on,
        request_deadline_months=_value(session, "locavantages.convention_request_deadline_months", on),
        convention_years=_value(session, "locavantages.convention_years.standard", on),
        premium_claim_months=(
            _value(session, "anah.iml_premium.claim_deadline_months", on)
            if agreement.level.value in premium_levels
            else None
        ),
    )
