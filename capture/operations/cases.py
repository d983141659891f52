"""Capture writes: landlords, leads and capture cases, incidents. Add and flush, never commit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from capture.models import (
    ActivityKind,
    CaptureActivity,
    CaptureCase,
    CaptureStage,
    CaptureStageChange,
    DeclarationStatus,
    IMLMode,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentUpdate,
    Landlord,
    LandlordKind,
    LeadSource,
    RoutingRule,
    Simulation,
    Unit,
    UnitDocument,
)
from capture.rules import pipeline as rules
from passerelle.audit import audit
from passerelle.db import utcnow
from passerelle.models import Organisation, Role, Territory, User, territory_communes
from passerelle.reference.queries import parameter_at
from passerelle.storage import StoredFile


class CaptureError(ValueError):
    """A French message explaining why a capture operation was refused."""


def territory_of_commune(session: Session, commune_insee: str) -> Territory | None:
    return session.scalar(
        select(Territory)
        .join(territory_communes, territory_communes.c.territory_id == Territory.id)
        .where(territory_communes.c.commune_insee == commune_insee)
        .limit(1)
    )


def route_operator(session: Session, *, commune_insee: str, mode: IMLMode) -> Organisation | None:
    """The operator that receives units of this commune under this mode (routing is territory data)."""
    territory = territory_of_commune(session, commune_insee)
    if territory is None:
        return None
    rows = session.scalars(select(RoutingRule).where(RoutingRule.territory_id == territory.id)).all()
    routes = [rules.Route(row.commune_insee, row.mode, row.operator_id) for row in rows]
    operator_id = rules.pick_operator(routes, commune_insee=commune_insee, mode=mode)
    return session.get(Organisation, operator_id) if operator_id else None


def landlord_for_user(session: Session, user: User) -> Landlord | None:
    return session.scalar(select(Landlord).where(Landlord.user_id == user.id))


def save_landlord_profile(session: Session, user: User, *, by: User, **fields: object) -> Landlord:
    """Create or update the landlord record behind a portal account."""
    landlord = landlord_for_user(session, user)
    if landlord is None:
        landlord = Landlord(user=user, kind=LandlordKind.PERSON, name=user.full_name, email=user.email)
        session.add(landlord)
    allowed = {
        "kind",
        "name",
        "company_siren",
        "representative",
        "phone",
        "address",
        "postal_code",
        "city",
        "preferred_contact",
    }
    for key, value in fields.items():
        if key not in allowed:
            raise TypeError(f"unexpected landlord field {key}")
        setattr(landlord, key, value.strip() if isinstance(value, str) else value)
    landlord.email = user.email
    session.flush()
    audit(session, actor=by, action="landlord.save_profile", object_type="landlord", object_id=landlord.id)
    return landlord


def open_capture_case(
    session: Session,
    *,
    operator: Organisation,
    source: LeadSource,
    by: User | None,
    unit: Unit | None = None,
    landlord: Landlord | None = None,
    commune_insee: str | None = None,
    contact: dict[str, str | None] | None = None,
) -> CaptureCase:
    """Open a case at stage « nouveau », with its first stage change, due for a first call today."""
    case = CaptureCase(
        operator=operator,
        unit=unit,
        landlord=landlord,
        source=source,
        stage=CaptureStage.NEW,
        commune_insee=commune_insee or (unit.commune_insee if unit else None),
        next_action_on=date.today(),
        **{f"contact_{key}": value for key, value in (contact or {}).items()},
    )
    session.add(case)
    session.flush()
    session.add(CaptureStageChange(case=case, from_stage=None, to_stage=CaptureStage.NEW, by_id=by.id if by else None))
    audit(
        session,
        actor=by,
        action="capture_case.open",
        object_type="capture_case",
        object_id=case.id,
        source=source.value,
        operator_id=operator.id,
    )
    return case


def create_callback_lead(
    session: Session,
    *,
    name: str,
    phone: str,
    email: str | None,
    commune_insee: str,
    message: str | None,
    mode: IMLMode | None,
) -> CaptureCase:
    """Turn a « be called back » request into a lead of the operator serving the commune."""
    operator = route_operator(session, commune_insee=commune_insee, mode=mode or IMLMode.MANDATE)
    if operator is None and mode is None:
        for other in (IMLMode.SUBLEASE, IMLMode.BAIL_GLISSANT):
            operator = route_operator(session, commune_insee=commune_insee, mode=other)
            if operator:
                break
    if operator is None:
        raise CaptureError(
            "Aucun opérateur partenaire n'intervient encore dans cette commune pour cette formule. "
            "Choisissez « Je ne sais pas encore » pour être orienté vers l'opérateur de la commune, "
            "ou contactez l'ADIL de votre département."
            if mode is not None
            else "Aucun opérateur partenaire n'intervient encore dans cette commune. "
            "Contactez l'ADIL de votre département pour être orienté."
        )
    return open_capture_case(
        session,
        operator=operator,
        source=LeadSource.CALLBACK,
        by=None,
        commune_insee=commune_insee,
        contact={
            "name": name.strip(),
            "phone": phone.strip(),
            "email": (email or "").strip() or None,
            "message": (message or "").strip() or None,
        },
    )


def submit_unit(session: Session, unit: Unit, *, by: User) -> CaptureCase:
    """Submit a complete declaration: route it and open the operator's capture case."""
    if unit.status is not DeclarationStatus.DRAFT:
        raise CaptureError("Ce logement a déjà été transmis.")
    if unit.commune_insee is None or unit.desired_mode is None:
        raise CaptureError("Indiquez la commune du logement et la formule choisie avant de le transmettre.")
    operator = route_operator(session, commune_insee=unit.commune_insee, mode=unit.desired_mode)
    if operator is None:
        raise CaptureError(
            "Aucun opérateur partenaire n'intervient encore dans cette commune pour la formule choisie : "
            "choisissez une autre formule ou contactez l'ADIL de votre département."
        )
    unit.status = DeclarationStatus.SUBMITTED
    unit.submitted_at = utcnow()
    case = open_capture_case(
        session, operator=operator, source=LeadSource.PORTAL, by=by, unit=unit, landlord=unit.landlord
    )
    audit(session, actor=by, action="unit.submit", object_type="unit", object_id=unit.id, case_id=case.id)
    return case


def raise_incident(
    session: Session, *, unit: Unit, kind: IncidentKind, description: str, by: User, today: date
) -> Incident:
    """A landlord's alert: it goes to the operator handling the unit, with a response due date."""
    case = session.scalar(select(CaptureCase).where(CaptureCase.unit_id == unit.id))
    if case is None:
        raise CaptureError("Ce logement n'est encore suivi par aucun opérateur : transmettez d'abord sa déclaration.")
    days = parameter_at(session, "incidents.response_working_days", today).value
    assert isinstance(days, int)
    incident = Incident(
        unit=unit,
        landlord=unit.landlord,
        operator_id=case.operator_id,
        kind=kind,
        description=description.strip(),
        response_due_on=rules.add_working_days(today, days),
        created_by_id=by.id,
    )
    session.add(incident)
    session.flush()
    audit(
        session,
        actor=by,
        action="incident.raise",
        object_type="incident",
        object_id=incident.id,
        kind=kind.value,
        unit_id=unit.id,
    )
    return incident


def answer_incident(
    session: Session, incident: Incident, *, message: str, status: IncidentStatus, by: User
) -> IncidentUpdate:
    """Staff follow-up on an incident, visible to the landlord."""
    update = IncidentUpdate(incident=incident, message=message.strip(), status=status, author_id=by.id)
    session.add(update)
    incident.status = status
    incident.resolved_at = utcnow() if status is IncidentStatus.RESOLVED else None
    session.flush()
    audit(
        session,
        actor=by,
        action="incident.answer",
        object_type="incident",
        object_id=incident.id,
        status=status.value,
    )
    return update


UNIT_FIELDS = {
    "address",
    "address_complement",
    "postal_code",
    "commune_insee",
    "surface_m2",
    "annexes_m2",
    "rooms",
    "floor",
    "has_lift",
    "step_free",
    "heating",
    "dpe_class",
    "dpe_energy_kwh_m2",
    "dpe_ghg_kg_m2",
    "furnished",
    "vacant_since",
    "available_from",
    "visit_availability",
    "asked_rent",
    "charges",
    "desired_mode",
    "desired_level",
}


def start_unit_draft(
    session: Session,
    landlord: Landlord,
    *,
    by: User,
    simulation: Simulation | None = None,
    option: str | None = None,
) -> Unit:
    """Create a draft declaration, pre-filled from a simulation and the option chosen there, if any."""
    unit = Unit(landlord=landlord, status=DeclarationStatus.DRAFT, annexes_m2=Decimal("0"))
    if simulation is not None:
        unit.simulation = simulation
        for key, value in rules.prefill_from_simulation(simulation.inputs, option).items():
            setattr(unit, key, value)
        if option:
            simulation.chosen_option = option
    session.add(unit)
    session.flush()
    audit(
        session,
        actor=by,
        action="unit.start_draft",
        object_type="unit",
        object_id=unit.id,
        simulation_id=simulation.id if simulation else None,
    )
    return unit


def update_unit_draft(session: Session, unit: Unit, *, by: User, **fields: object) -> Unit:
    """Save part of a draft declaration (each step saves its own fields)."""
    if unit.status is not DeclarationStatus.DRAFT:
        raise CaptureError("Ce logement a déjà été transmis : contactez l'opérateur pour toute modification.")
    for key, value in fields.items():
        if key not in UNIT_FIELDS:
            raise TypeError(f"unexpected unit field {key}")
        setattr(unit, key, value.strip() or None if isinstance(value, str) else value)
    if unit.annexes_m2 is None:
        unit.annexes_m2 = Decimal("0")
    session.flush()
    audit(
        session,
        actor=by,
        action="unit.save_draft",
        object_type="unit",
        object_id=unit.id,
        fields=sorted(fields),
    )
    return unit


def add_unit_document(
    session: Session, unit: Unit, *, kind: str, stored: StoredFile, by: User, max_photos: int
) -> UnitDocument:
    """Attach an uploaded photo or DPE report to a unit."""
    if kind == "photo" and sum(1 for doc in unit.documents if doc.kind == "photo") >= max_photos:
        raise CaptureError(f"Vous avez déjà déposé {max_photos} photos, le maximum pour un logement.")
    if kind == "dpe":
        for previous in [doc for doc in unit.documents if doc.kind == "dpe"]:
            unit.documents.remove(previous)
            session.delete(previous)
    document = UnitDocument(
        unit=unit,
        kind=kind,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by_id=by.id,
    )
    session.add(document)
    session.flush()
    audit(
        session,
        actor=by,
        action="unit.add_document",
        object_type="unit",
        object_id=unit.id,
        document_id=document.id,
        kind=kind,
    )
    return document


def remove_unit_document(session: Session, document: UnitDocument, *, by: User) -> None:
    if document.unit.status is not DeclarationStatus.DRAFT:
        raise CaptureError("Les documents d'un logement transmis ne peuvent plus être retirés ici.")
    audit(
        session,
        actor=by,
        action="unit.remove_document",
        object_type="unit",
        object_id=document.unit_id,
        document_id=document.id,
    )
    session.delete(document)
    session.flush()


def change_stage(
    session: Session,
    case: CaptureCase,
    to: CaptureStage,
    *,
    by: User,
    today: date,
    lost_reason: str | None = None,
    paused_until: date | None = None,
) -> CaptureStageChange:
    """Move a case through the state machine; record the change and audit it (InvalidTransition if refused)."""
    before = rules.CaseState(
        stage=case.stage,
        stage_before_pause=case.stage_before_pause,
        paused_until=case.paused_until,
        lost_reason=case.lost_reason,
    )
    after = rules.advance(before, to, today=today, lost_reason=lost_reason, paused_until=paused_until)
    case.stage = after.stage
    case.stage_before_pause = after.stage_before_pause
    case.paused_until = after.paused_until
    case.lost_reason = after.lost_reason
    if after.stage is CaptureStage.PAUSED:
        case.next_action_on = after.paused_until
    elif after.stage in (CaptureStage.LOST, CaptureStage.SIGNED):
        case.next_action_on = None
    change = CaptureStageChange(case=case, from_stage=before.stage, to_stage=after.stage, by_id=by.id)
    session.add(change)
    session.flush()
    audit(
        session,
        actor=by,
        action="capture_case.change_stage",
        object_type="capture_case",
        object_id=case.id,
        from_stage=before.stage.value,
        to_stage=after.stage.value,
        lost_reason=lost_reason,
        paused_until=paused_until,
    )
    return change


def log_activity(
    session: Session,
    case: CaptureCase,
    *,
    kind: ActivityKind,
    occurred_on: date,
    summary: str,
    next_action_on: date | None,
    by: User,
) -> CaptureActivity:
    """Log a call, e-mail, letter, visit or note, and set the case's next action date."""
    activity = CaptureActivity(
        case_id=case.id, kind=kind, occurred_on=occurred_on, summary=summary.strip(), author_id=by.id
    )
    session.add(activity)
    if case.stage not in (CaptureStage.LOST, CaptureStage.SIGNED):
        case.next_action_on = next_action_on
    session.flush()
    audit(
        session,
        actor=by,
        action="capture_case.log_activity",
        object_type="capture_case",
        object_id=case.id,
        kind=kind.value,
        next_action_on=next_action_on,
    )
    return activity


def assign_case(session: Session, case: CaptureCase, owner: User | None, *, by: User) -> None:
    """Give the case to a staff member of its operator (or to nobody)."""
    if owner is not None and (owner.role is not Role.AGENCY_STAFF or owner.organisation_id != case.operator_id):
        raise CaptureError("Ce dossier ne peut être confié qu'à un membre de l'équipe de l'opérateur.")
    case.owner_id = owner.id if owner else None
    session.flush()
    audit(
        session,
        actor=by,
        action="capture_case.assign",
        object_type="capture_case",
        object_id=case.id,
        owner_id=case.owner_id,
    )
