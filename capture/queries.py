"""Reads for the capture pipeline and the metropolis' dashboards (aggregates only)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passerelle.models import Organisation, Territory, territory_communes


@dataclass(frozen=True)
class TerritoryOverview:
    communes: int
    operators: list[Organisation]


def territory_overview(session: Session, territory: Territory) -> TerritoryOverview:
    communes = session.scalar(
        select(func.count())
        .select_from(territory_communes)
        .where(territory_communes.c.territory_id == territory.id)
    )
    return TerritoryOverview(
        communes=communes or 0,
        operators=[org for org in territory.organisations if org.kind.is_operator],
    )
