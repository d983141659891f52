"""Read the reference data a simulation needs at its date: parameters, commune, premiums, operators, ceilings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from capture import rules as capture_rules
from capture.models import IMLMode, RoutingRule
from landlord_portal.rules import simulator as rules
from landlord_portal.rules.simulator import Level, Mode, Sourced
from passerelle.models import (
    Commune,
    CommuneZone,
    IncomeCeiling,
    LocalPremium,
    Organisation,
    Parameter,
    RentReference,
    territory_communes,
)
from passerelle.reference.ceiling_areas import ceiling_areas, is_ile_de_france
from passerelle.reference.queries import MissingParameter, convert

# Carte des loyers: the level its estimate was made at (TYPPRED), for a landlord.
PREDICTION_SCOPES = {
    "commune": "propre à la commune",
    "maille": "commune à un groupe de communes voisines",
    "EPCI": "commune à l'intercommunalité",
}


def load_simulator_parameters(session: Session, on: date) -> rules.SimulatorParameters:
    """Every parameter the simulator reads, valid on a date, in one query; MissingParameter if one lacks."""
    rows = session.execute(
        select(
            Parameter.key,
            Parameter.kind,
            Parameter.value,
            Parameter.label,
            Parameter.source,
            Parameter.valid_from,
            Parameter.valid_to,
            Parameter.unit,
            Parameter.verified,
        )
        .where(
            Parameter.key.in_(rules.parameter_keys()),
            Parameter.valid_from <= on,
            or_(Parameter.valid_to.is_(None), Parameter.valid_to >= on),
        )
        .order_by(Parameter.valid_from)  # the latest period that started by then wins
    ).all()
    values = {
        row.key: Sourced(
            key=row.key,
            value=convert(row.kind, row.value),
            label=row.label,
            source=row.source,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            unit=row.unit,
            verified=row.verified,
        )
        for row in rows
    }
    try:
        return rules.SimulatorParameters.from_values(values)
    except rules.MissingValue as exc:
        raise MissingParameter(exc.key, on) from exc


def local_premiums_for(session: Session, commune_insee: str, on: date) -> tuple[rules.LocalPremiumRule, ...]:
    """The premiums of the commune's territory valid on a date, as rule data."""
    rows = session.scalars(
        select(LocalPremium)
        .join(territory_communes, territory_communes.c.territory_id == LocalPremium.territory_id)
        .where(
            territory_communes.c.commune_insee == commune_insee,
            LocalPremium.valid_from <= on,
            or_(LocalPremium.valid_to.is_(None), LocalPremium.valid_to >= on),
        )
        .order_by(LocalPremium.id)
    ).all()
    return tuple(
        rules.LocalPremiumRule(
            name=row.name,
            amount=row.amount,
            period=row.period,
            source=row.source,
            max_years=row.max_years,
            levels=_csv(row.levels),
            modes=_csv(row.modes),
            min_surface_m2=row.min_surface_m2,
            max_surface_m2=row.max_surface_m2,
            min_vacancy_months=row.min_vacancy_months,
        )
        for row in rows
    )


def _csv(text: str | None) -> frozenset[str] | None:
    if not text:
        return None
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def operators_for(session: Session, commune_insee: str) -> dict[Mode, rules.Operator | None]:
    """The operator each IML mode is routed to in the commune (territory routing rules), with its fees."""
    rows = session.execute(
        select(RoutingRule.commune_insee, RoutingRule.mode, Organisation.id, Organisation.name)
        .add_columns(Organisation.management_fee_rate)
        .join(territory_communes, territory_communes.c.territory_id == RoutingRule.territory_id)
        .join(Organisation, Organisation.id == RoutingRule.operator_id)
        .where(territory_communes.c.commune_insee == commune_insee)
    ).all()
    routes = [capture_rules.Route(row.commune_insee, row.mode, row.id) for row in rows]
    operators = {row.id: rules.Operator(row.name, row.management_fee_rate) for row in rows}
    result: dict[Mode, rules.Operator | None] = {}
    for mode, iml in ((Mode.MANDATE, IMLMode.MANDATE), (Mode.SUBLEASE, IMLMode.SUBLEASE)):
        operator_id = capture_rules.pick_operator(routes, commune_insee=commune_insee, mode=iml)
        result[mode] = operators.get(operator_id) if operator_id is not None else None
    return result


def commune_facts(session: Session, insee: str, on: date) -> rules.CommuneFacts | None:
    """Name, zone at the date, latest rent map value and geography of a commune, or None if unknown."""
    zone = (
        select(CommuneZone.zone)
        .where(CommuneZone.commune_insee == Commune.insee, CommuneZone.valid_from <= on)
        .order_by(CommuneZone.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )
    row = session.execute(
        select(Commune.name, Commune.departement, Commune.region, zone.label("zone")).where(Commune.insee == insee)
    ).first()
    if row is None:
        return None
    rent = session.execute(
        select(RentReference.rent_m2, RentReference.edition, RentReference.prediction_level, RentReference.source)
        .where(RentReference.commune_insee == insee, RentReference.housing_type == "appartement")
        .order_by(RentReference.edition.desc())
        .limit(1)
    ).first()
    label = source = ""
    if rent is not None:
        scope = PREDICTION_SCOPES.get(rent.prediction_level, f"au niveau « {rent.prediction_level} »")
        label = f"carte des loyers {rent.edition} (loyers d'annonce des appartements, estimation {scope})"
        source = rent.source
    return rules.CommuneFacts(
        insee=insee,
        name=row.name,
        zone_abc=row.zone,
        rent_map_m2=rent.rent_m2 if rent is not None else None,
        rent_map_source=source,
        rent_map_label=label,
        ile_de_france=is_ile_de_france(row.departement, row.region),
        overseas=row.departement.startswith("97"),
    )


def income_ceilings_for(
    session: Session, params: rules.SimulatorParameters, commune: rules.CommuneFacts, on: date
) -> dict[Level, rules.IncomeCeiling]:
    """Single-person tenant income ceiling of each level for leases signed in the date's year."""
    grids = {level: str(params.income_grid[level].value) for level in rules.CONVENTIONED}
    rows = session.scalars(
        select(IncomeCeiling).where(
            IncomeCeiling.grid.in_(set(grids.values())),
            IncomeCeiling.household_category == "1",
            IncomeCeiling.year <= on.year,
        )
    ).all()
    amounts: dict[tuple[str, int, str], tuple[Decimal | None, str]] = {
        (row.grid, row.year, row.area): (row.amount, row.source) for row in rows
    }

    def known(grid: str, year: int, areas: tuple[str, ...]) -> tuple[Decimal | None, str]:
        found = [amounts.get((grid, year, area), (None, "")) for area in areas]
        values = {amount for amount, _ in found}
        if not found or len(values) != 1 or None in values:
            return None, ""
        return found[0]

    offset = int(params.income_year_offset.value)
    result = {}
    for level, grid in grids.items():
        areas = ceiling_areas(grid, insee=commune.insee, zone_abc=commune.zone_abc, ile_de_france=commune.ile_de_france)
        amount, source = known(grid, on.year, areas)
        latest_year, latest_amount = None, None
        if amount is None:
            earlier = {year for (g, year, _) in amounts if g == grid and year < on.year}
            for year in sorted(earlier, reverse=True):
                previous, _ = known(grid, year, areas)
                if previous is not None:
                    latest_year, latest_amount = year, previous
                    break
        result[level] = rules.IncomeCeiling(
            grid=grid,
            area=" ou ".join(areas) or "inconnue",
            year=on.year,
            income_reference_year=on.year - offset,
            amount=amount,
            source=source,
            latest_known_year=latest_year,
            latest_known_amount=latest_amount,
        )
    return result
