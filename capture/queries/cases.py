"""Reads for capture: permission-aware loaders, the landlord's units, the operator's queues, aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from capture.models import (
    CaptureCase,
    CaptureStage,
    Incident,
    IncidentStatus,
    Landlord,
    Unit,
    UnitDocument,
)
from passerelle.models import Membership, Organisation, Role, Territory, User, territory_communes


@dataclass(frozen=True)
class TerritoryOverview:
    communes: int
    operators: list[Organisation]


def territory_overview(session: Session, territory: Territory) -> TerritoryOverview:
    communes = session.scalar(
        select(func.count()).select_from(territory_communes).where(territory_communes.c.territory_id == territory.id)
    )
    return TerritoryOverview(
        communes=communes or 0,
        operators=[org for org in territory.organisations if org.kind.is_operator],
    )


# --- loaders: a record the user may see, or 404 ---------------------------------------------------------


def get_unit_for_landlord_or_404(session: Session, user: User, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or unit.landlord.user_id != user.id:
        abort(404)
    return unit


def get_document_for_landlord_or_404(session: Session, user: User, unit_id: int, document_id: int) -> UnitDocument:
    unit = get_unit_for_landlord_or_404(session, user, unit_id)
    document = session.get(UnitDocument, document_id)
    if document is None or document.unit_id != unit.id:
        abort(404)
    return document


def get_case_for_staff_or_404(session: Session, user: User, case_id: int) -> CaptureCase:
    case = session.get(CaptureCase, case_id)
    if case is None or user.role is not Role.AGENCY_STAFF or case.operator_id != user.organisation_id:
        abort(404)
    return case


def get_case_document_for_staff_or_404(session: Session, user: User, case_id: int, document_id: int) -> UnitDocument:
    case = get_case_for_staff_or_404(session, user, case_id)
    document = session.get(UnitDocument, document_id)
    if document is None or case.unit_id is None or document.unit_id != case.unit_id:
        abort(404)
    return document


def get_incident_for_landlord_or_404(session: Session, user: User, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None or incident.landlord.user_id != user.id:
        abort(404)
    return incident


def get_incident_for_staff_or_404(session: Session, user: User, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None or user.role is not Role.AGENCY_STAFF or incident.operator_id != user.organisation_id:
        abort(404)
    return incident


# --- landlord space --------------------------------------------------------------------------------------


def landlord_units(session: Session, landlord: Landlord) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.landlord_id == landlord.id).order_by(Unit.id.desc())))


def case_for_unit(session: Session, unit: Unit) -> CaptureCase | None:
    return session.scalar(select(CaptureCase).where(CaptureCase.unit_id == unit.id))


def stages_reached(case: CaptureCase) -> dict[CaptureStage, date]:
    """The first date each stage was reached, from the case's history."""
    reached: dict[CaptureStage, date] = {}
    for change in case.stage_changes:
        reached.setdefault(change.to_stage, change.at.date())
    return reached


def landlord_incidents(session: Session, landlord: Landlord) -> list[Incident]:
    return list(
        session.scalars(select(Incident).where(Incident.landlord_id == landlord.id).order_by(Incident.id.desc()))
    )


# --- operator queues -------------------------------------------------------------------------------------


def operator_cases(session: Session, operator_id: int, *, limit: int = 200) -> list[CaptureCase]:
    return list(
        session.scalars(
            select(CaptureCase)
            .where(CaptureCase.operator_id == operator_id)
            .order_by(CaptureCase.next_action_on.is_(None), CaptureCase.next_action_on, CaptureCase.id.desc())
            .limit(limit)
        )
    )


def operator_incidents(session: Session, operator_id: int) -> list[Incident]:
    """Open incidents first, the most urgent due date first."""
    return list(
        session.scalars(
            select(Incident)
            .where(Incident.operator_id == operator_id)
            .order_by(Incident.status == IncidentStatus.RESOLVED, Incident.response_due_on, Incident.id)
        )
    )


def staff_emails(session: Session, operator_id: int) -> list[str]:
    """Addresses of an operator's active staff, for notices (which carry no personal data)."""
    return list(
        session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organisation_id == operator_id,
                User.role == Role.AGENCY_STAFF,
                User.is_active_account.is_(True),
            )
            .order_by(User.email)
        )
    )
