"""Household reads for staff: the operator's list, one file with its object check, form options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from agency_backoffice.models import Household, HouseholdStatus, Proposal
from capture.models import Landlord, StockEntry, Unit
from passerelle.models import Commune, Organisation, Role, User, territory_communes

PAGE_SIZE = 50


def get_household_for_staff_or_404(session: Session, user: User, household_id: int) -> Household:
    """The household if it belongs to the staff member's operator; 404 otherwise (never 403: no leak)."""
    household = session.get(Household, household_id)
    if household is None or user.role is not Role.AGENCY_STAFF or household.operator_id != user.organisation_id:
        abort(404)
    return household


@dataclass(frozen=True)
class HouseholdPage:
    rows: list[Household]
    total: int
    page: int
    pages: int
    counts: dict[str, int]


def household_list(
    session: Session, operator_id: int, *, status: str, search: str, page: int, today: date
) -> HouseholdPage:
    """One page of the operator's households, most recently referred first, filtered by status and text."""
    query = select(Household).where(Household.operator_id == operator_id)
    if status == "parked":
        query = query.where(Household.status == HouseholdStatus.ACTIVE, Household.parked_until >= today)
    elif status in {s.value for s in HouseholdStatus}:
        query = query.where(Household.status == status)
    if search := search.strip():
        pattern = f"%{search}%"
        query = query.where(or_(Household.siao_reference.ilike(pattern), Household.contact_name.ilike(pattern)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = list(
        session.scalars(
            query.options(selectinload(Household.members), selectinload(Household.resources))
            .order_by(Household.referred_on.desc(), Household.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    counts: dict[str, int] = {
        str(key): value
        for key, value in session.execute(
            select(Household.status, func.count())
            .where(Household.operator_id == operator_id)
            .group_by(Household.status)
        ).all()
    }
    counts["all"] = sum(counts.values())
    counts["parked"] = (
        session.scalar(
            select(func.count()).where(
                Household.operator_id == operator_id,
                Household.status == HouseholdStatus.ACTIVE,
                Household.parked_until >= today,
            )
        )
        or 0
    )
    return HouseholdPage(rows=rows, total=total, page=page, pages=pages, counts=counts)


def territory_commune_choices(session: Session, operator: Organisation) -> list[tuple[str, str]]:
    if operator.territory_id is None:
        return []
    rows = session.execute(
        select(Commune.insee, Commune.name)
        .join(territory_communes, territory_communes.c.commune_insee == Commune.insee)
        .where(territory_communes.c.territory_id == operator.territory_id)
        .order_by(Commune.name)
    ).all()
    return [(insee, name) for insee, name in rows]


def stock_landlord_choices(session: Session, operator_id: int) -> list[tuple[str, str]]:
    """Owners of the units in the operator's stock, for declaring a family tie."""
    rows = session.execute(
        select(Landlord.id, Landlord.name)
        .join(Unit, Unit.landlord_id == Landlord.id)
        .join(StockEntry, StockEntry.unit_id == Unit.id)
        .where(StockEntry.operator_id == operator_id)
        .distinct()
        .order_by(Landlord.name)
    ).all()
    return [(str(landlord_id), name) for landlord_id, name in rows]


def household_proposals(session: Session, household_id: int) -> list[Proposal]:
    return list(
        session.scalars(
            select(Proposal)
            .where(Proposal.household_id == household_id)
            .options(selectinload(Proposal.unit), selectinload(Proposal.events))
            .order_by(Proposal.id.desc())
        )
    )


def commune_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(session.execute(select(Commune.insee, Commune.name).where(Commune.insee.in_(codes))).all())
