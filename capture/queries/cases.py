"""Reads for capture: permission-aware loaders, the landlord's units, the operator's queues, aggregates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from capture.models import (
    CaptureActivity,
    CaptureCase,
    CaptureStage,
    Incident,
    IncidentStatus,
    Landlord,
    LeadSource,
    Unit,
    UnitDocument,
)
from passerelle.models import Commune, Membership, Organisation, Role, Territory, User, territory_communes


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


# --- the pipeline ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineFilters:
    """What the staff can filter the pipeline by (every field optional)."""

    stage: CaptureStage | None = None
    owner_id: int | None = None
    unassigned: bool = False
    commune_insee: str | None = None
    source: LeadSource | None = None
    overdue: bool = False


def _pipeline_query(operator_id: int, filters: PipelineFilters, today: date) -> Select[CaptureCase]:
    query = select(CaptureCase).where(CaptureCase.operator_id == operator_id)
    if filters.stage is not None:
        query = query.where(CaptureCase.stage == filters.stage)
    if filters.unassigned:
        query = query.where(CaptureCase.owner_id.is_(None))
    elif filters.owner_id is not None:
        query = query.where(CaptureCase.owner_id == filters.owner_id)
    if filters.commune_insee:
        query = query.where(CaptureCase.commune_insee == filters.commune_insee)
    if filters.source is not None:
        query = query.where(CaptureCase.source == filters.source)
    if filters.overdue:
        query = query.where(
            CaptureCase.next_action_on < today,
            CaptureCase.stage.not_in([CaptureStage.SIGNED, CaptureStage.LOST]),
        )
    return query


def pipeline_cases(
    session: Session, operator_id: int, filters: PipelineFilters, *, today: date, limit: int = 50, offset: int = 0
) -> tuple[list[CaptureCase], int]:
    """One page of the operator's cases matching the filters (most urgent next action first) and the total."""
    query = _pipeline_query(operator_id, filters, today)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(selectinload(CaptureCase.commune), selectinload(CaptureCase.owner))
        .order_by(CaptureCase.next_action_on.is_(None), CaptureCase.next_action_on, CaptureCase.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def pipeline_board(session: Session, operator_id: int, *, per_stage: int = 30) -> dict[CaptureStage, list[CaptureCase]]:
    """The kanban: open cases by stage (most urgent first), at most ``per_stage`` per column."""
    board: dict[CaptureStage, list[CaptureCase]] = {}
    for stage in (*PIPELINE_OPEN, CaptureStage.PAUSED):
        board[stage] = list(
            session.scalars(
                select(CaptureCase)
                .options(selectinload(CaptureCase.commune), selectinload(CaptureCase.owner))
                .where(CaptureCase.operator_id == operator_id, CaptureCase.stage == stage)
                .order_by(CaptureCase.next_action_on.is_(None), CaptureCase.next_action_on, CaptureCase.id)
                .limit(per_stage)
            )
        )
    return board


def stage_counts(session: Session, operator_id: int) -> dict[CaptureStage, int]:
    rows = session.execute(
        select(CaptureCase.stage, func.count())
        .where(CaptureCase.operator_id == operator_id)
        .group_by(CaptureCase.stage)
    ).all()
    return {stage: count for stage, count in rows}


def overdue_cases_by_owner(session: Session, *, today: date) -> dict[int | None, list[CaptureCase]]:
    """Open cases whose next action date has passed, grouped by the staff member in charge (None: nobody)."""
    rows = session.scalars(
        select(CaptureCase)
        .where(
            CaptureCase.next_action_on < today,
            CaptureCase.stage.not_in([CaptureStage.SIGNED, CaptureStage.LOST, CaptureStage.PAUSED]),
        )
        .order_by(CaptureCase.operator_id, CaptureCase.next_action_on)
    ).all()
    grouped: dict[int | None, list[CaptureCase]] = {}
    for case in rows:
        grouped.setdefault(case.owner_id, []).append(case)
    return grouped


def operator_staff(session: Session, operator_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == operator_id, User.role == Role.AGENCY_STAFF)
            .order_by(User.full_name)
        )
    )


def case_activities(session: Session, case: CaptureCase) -> list[CaptureActivity]:
    return list(
        session.scalars(
            select(CaptureActivity)
            .where(CaptureActivity.case_id == case.id)
            .order_by(CaptureActivity.occurred_on.desc(), CaptureActivity.id.desc())
        )
    )


PIPELINE_OPEN = (
    CaptureStage.NEW,
    CaptureStage.CONTACTED,
    CaptureStage.VISIT_PLANNED,
    CaptureStage.VISITED,
    CaptureStage.PROPOSAL_SENT,
)


def operator_communes(session: Session, operator_id: int) -> list[tuple[str, str]]:
    """(INSEE, name) of the communes where the operator has cases, by name (the pipeline's commune filter)."""
    with_cases = select(CaptureCase.commune_insee).where(CaptureCase.operator_id == operator_id).distinct()
    rows = session.execute(
        select(Commune.insee, Commune.name).where(Commune.insee.in_(with_cases)).order_by(Commune.name)
    ).all()
    return [(insee, name) for insee, name in rows]
