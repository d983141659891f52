"""What matching reads from the database: the operator's available units, its waiting households, the open
proposals that hold some of them, the income ceilings of each unit's Loc'Avantages level, and the settings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from agency_backoffice.models import (
    OPEN_PROPOSAL_STATUSES,
    Household,
    HouseholdStatus,
    MatchingSettings,
    Proposal,
)
from capture.models import ConventionLevel, StockEntry, StockStatus, Unit
from passerelle.models import CommuneZone, IncomeCeiling
from passerelle.reference.queries import parameters_at


def count_available(session: Session, operator_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(StockEntry)
            .where(StockEntry.operator_id == operator_id, StockEntry.status == StockStatus.AVAILABLE)
        )
        or 0
    )


def available_entries(
    session: Session,
    operator_id: int,
    *,
    ids: set[int] | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[StockEntry]:
    """The operator's available units, soonest available first (one page of them with ``offset``/``limit``)."""
    query = (
        select(StockEntry)
        .where(StockEntry.operator_id == operator_id, StockEntry.status == StockStatus.AVAILABLE)
        .options(
            selectinload(StockEntry.unit).selectinload(Unit.commune),
            selectinload(StockEntry.unit).selectinload(Unit.landlord),
        )
        .order_by(StockEntry.available_on, StockEntry.id)
    )
    if ids is not None:
        query = query.where(StockEntry.id.in_(ids))
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return list(session.scalars(query))


def waiting_households(session: Session, operator_id: int, *, ids: set[int] | None = None) -> list[Household]:
    query = (
        select(Household)
        .where(Household.operator_id == operator_id, Household.status == HouseholdStatus.ACTIVE)
        .options(
            selectinload(Household.members),
            selectinload(Household.resources),
            selectinload(Household.owner_links),
        )
        .order_by(Household.referred_on, Household.id)
    )
    if ids is not None:
        query = query.where(Household.id.in_(ids))
    return list(session.scalars(query))


@dataclass(frozen=True)
class OpenProposals:
    by_entry: dict[int, Proposal]
    by_household: dict[int, Proposal]


def open_proposals(session: Session, operator_id: int) -> OpenProposals:
    rows = session.scalars(
        select(Proposal).where(Proposal.operator_id == operator_id, Proposal.status.in_(OPEN_PROPOSAL_STATUSES))
    ).all()
    return OpenProposals(by_entry={p.stock_entry_id: p for p in rows}, by_household={p.household_id: p for p in rows})


@dataclass(frozen=True)
class CeilingTable:
    """One grid's annual ceilings for an area, by household category ('1'..'6', 'extra_person')."""

    grid: str
    area: str
    year: int
    amounts: dict[str, Decimal | None]
    requested_year: int


def level_grids(session: Session, on: date) -> dict[ConventionLevel, str]:
    values = parameters_at(session, "locavantages.income_grid.", on)
    return {
        level: str(values[f"locavantages.income_grid.{level.value}"].value)
        for level in (ConventionLevel.LOC1, ConventionLevel.LOC2, ConventionLevel.LOC3)
        if f"locavantages.income_grid.{level.value}" in values
    }


def zones_abc(session: Session, codes: set[str], on: date) -> dict[str, str]:
    rows = session.execute(
        select(CommuneZone.commune_insee, CommuneZone.zone, CommuneZone.valid_from)
        .where(CommuneZone.commune_insee.in_(codes), CommuneZone.valid_from <= on)
        .order_by(CommuneZone.valid_from)
    ).all()
    return {insee: zone for insee, zone, _ in rows}  # the latest period wins


def ceiling_tables(session: Session, on: date) -> dict[tuple[str, str], CeilingTable]:
    """For each (grid, area), the ceilings of the signature year, else of the latest earlier year known."""
    rows = session.scalars(select(IncomeCeiling).where(IncomeCeiling.year <= on.year)).all()
    by_key: dict[tuple[str, str], dict[int, dict[str, Decimal | None]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        by_key[(row.grid, row.area)][row.year][row.household_category] = row.amount
    tables = {}
    for (grid, area), years in by_key.items():
        year = max(years)
        tables[(grid, area)] = CeilingTable(grid, area, year, dict(years[year]), on.year)
    return tables


def operator_settings(session: Session, operator_id: int) -> dict[str, str]:
    row = session.scalar(select(MatchingSettings).where(MatchingSettings.operator_id == operator_id))
    return dict(row.values) if row is not None else {}
