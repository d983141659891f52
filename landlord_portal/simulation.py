"""Simulator glue (no Flask): validate a request, read the reference data at its date, run the pure rules,
shape the JSON answer. The API and the simulator page both go through ``prepare`` and ``compute``."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

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
from passerelle.reference.queries import MissingParameter, convert

PARIS = ZoneInfo("Europe/Paris")
INSEE = re.compile(r"\d{5}|2[AB]\d{3}")
ILE_DE_FRANCE = {"75", "77", "78", "91", "92", "93", "94", "95"}
# Carte des loyers: the level its estimate was made at (TYPPRED), for a landlord.
PREDICTION_SCOPES = {
    "commune": "propre à la commune",
    "maille": "commune à un groupe de communes voisines",
    "EPCI": "commune à l'intercommunalité",
}
# Sanity bounds of what a person may type (not rules: a rule never reads them).
BOUNDS = {
    "surface_habitable_m2": (Decimal("1000"), "1 000 m²"),
    "annexes_m2": (Decimal("500"), "500 m²"),
    "market_rent_m2": (Decimal("100"), "100 € par m²"),
    "asked_rent_monthly": (Decimal("20000"), "20 000 €"),
    "charges_monthly": (Decimal("5000"), "5 000 €"),
    "property_tax_yearly": (Decimal("50000"), "50 000 €"),
    "insurance_yearly": (Decimal("10000"), "10 000 €"),
    "vacancy_months_per_year": (Decimal("12"), "12 mois"),
    "unpaid_rent_rate": (Decimal("1"), "1 (100 %)"),
    "vacant_months": (Decimal("600"), "600 mois"),
}
INVALID = "Données invalides : corrigez les champs signalés."
T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """A valid request with what it needs: the inputs, the parameters at its date and the commune."""

    inputs: rules.SimulationInput
    params: rules.SimulatorParameters
    commune: rules.CommuneFacts


def today() -> date:
    return datetime.now(PARIS).date()


class ReferenceCache:
    """Reference data the simulator reads, kept in process for ``ttl`` seconds (bounded, thread-safe).

    Parameters, communes, rent map values, premiums, routing and income ceilings change only through
    administrators' imports and settings: a change reaches the simulator at most ``ttl`` seconds later (call
    ``clear`` after an import to see it at once). Cached values are immutable and shared between requests.
    """

    def __init__(self, ttl: float, *, max_entries: int = 4096, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(key)
                return entry[1]
        value = load()  # outside the lock: a slow query must not block other requests
        with self._lock:
            self._entries[key] = (now + self.ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _cached(cache: ReferenceCache | None, key: Hashable, load: Callable[[], T]) -> T:
    return load() if cache is None else cache.get(key, load)


# --- Reference data at a date -----------------------------------------------------------------------


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
        ile_de_france=row.region == "11" or row.departement in ILE_DE_FRANCE,
        overseas=row.departement.startswith("97"),
    )


# Areas of the income ceiling grids (passerelle.reference.importers.CEILING_AREAS).
INTERMEDIATE_AREAS = {
    "A bis": "zone_Abis",
    "A": "zone_A",
    "B1": "zone_B1",
    "B2": "zone_B2_C",
    "C": "zone_B2_C",
}


def _ceiling_areas(grid: str, commune: rules.CommuneFacts) -> tuple[str, ...]:
    if grid == "INTERMEDIAIRE":
        area = INTERMEDIATE_AREAS.get(commune.zone_abc or "")
        return (area,) if area else ()
    if commune.insee.startswith("75"):
        return ("paris_adjacent",)
    if commune.ile_de_france:
        # Whether the commune borders Paris is not in the reference data: both areas, used when they agree.
        return ("paris_adjacent", "idf_other")
    return ("other_regions",)


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
        areas = _ceiling_areas(grid, commune)
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


# --- Validation ---------------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a JSON number or a numeric text (« 45,5 » accepted), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        number = Decimal(str(value))
    elif isinstance(value, str) and value.strip():
        try:
            number = Decimal(value.strip().replace("\u202f", "").replace(" ", "").replace(",", "."))
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


class _Checker:
    """Reads the request's fields, collecting French messages per field."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        self.payload = payload
        self.errors: dict[str, list[str]] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def given(self, name: str) -> bool:
        value = self.payload.get(name)
        return value is not None and not (isinstance(value, str) and not value.strip())

    def number(self, name: str, what: str, *, required: bool = False, positive: bool = False) -> Decimal | None:
        if not self.given(name):
            if required:
                self.fail(name, f"Indiquez {what}.")
            return None
        value = _decimal(self.payload[name])
        if value is None:
            self.fail(name, f"{what[0].upper()}{what[1:]} doit être un nombre (par exemple 45 ou 45.5).")
            return None
        maximum, shown = BOUNDS[name]
        if positive and value <= 0:
            self.fail(name, f"Indiquez une valeur supérieure à 0 pour {what}.")
        elif value < 0:
            self.fail(name, f"Valeur négative impossible pour {what}.")
        elif value > maximum:
            self.fail(name, f"Valeur improbable pour {what} : {shown} au plus.")
        else:
            return value
        return None


def prepare(
    session: Session, payload: Any, cache: ReferenceCache | None = None
) -> tuple[Prepared | None, dict[str, list[str]]]:
    """Check a request (JSON object or form data); French messages per field; unknown fields ignored."""
    if not isinstance(payload, Mapping):
        return None, {"body": ["Le corps de la requête doit être un objet JSON."]}
    check = _Checker(payload)
    insee = _commune_code(check)
    surface = check.number("surface_habitable_m2", "la surface habitable (m²)", required=True, positive=True)
    annexes = check.number("annexes_m2", "la surface des annexes (m²)")
    dpe = _dpe(check)
    market = check.number("market_rent_m2", "le loyer de marché (€/m² par mois)", positive=True)
    asked = check.number("asked_rent_monthly", "le loyer demandé (€ par mois)", positive=True)
    charges = check.number("charges_monthly", "le montant des charges (€ par mois)")
    property_tax = check.number("property_tax_yearly", "la taxe foncière (€ par an)")
    insurance = check.number("insurance_yearly", "l'assurance (€ par an)")
    vacancy = check.number("vacancy_months_per_year", "la vacance (mois par an)")
    unpaid = check.number("unpaid_rent_rate", "le taux d'impayés (entre 0 et 1)")
    vacant = check.number("vacant_months", "la durée de vacance actuelle (mois)")
    if vacant is not None and vacant != vacant.to_integral_value():
        check.fail("vacant_months", "La durée de vacance actuelle se compte en mois entiers.")
        vacant = None
    marginal = None
    if check.given("marginal_tax_rate"):
        marginal = _decimal(payload["marginal_tax_rate"])
        if marginal is None:
            check.fail("marginal_tax_rate", "Le taux marginal d'imposition doit être un nombre, par exemple 0.30.")
    on = _date(check)

    params = commune = None
    if on is not None:
        try:
            params = _cached(cache, ("parameters", on), lambda: load_simulator_parameters(session, on))
        except MissingParameter as exc:
            check.fail(
                "date",
                f"Le simulateur n'a pas de paramètres en vigueur le {on:%d/%m/%Y} (« {exc.key} ») : "
                "choisissez une date plus récente.",
            )
    if params is not None and marginal is not None and marginal not in params.marginal_rates.value:
        allowed = ", ".join(f"{rate:f}" for rate in params.marginal_rates.value)
        check.fail("marginal_tax_rate", f"Taux marginal d'imposition attendu parmi : {allowed}.")
    if insee is not None and on is not None:
        commune = _cached(cache, ("commune", insee, on), lambda: commune_facts(session, insee, on))
        if commune is None:
            check.fail(
                "commune_insee",
                f"Commune inconnue : aucun code INSEE « {insee} » dans le référentiel (le code INSEE "
                "n'est pas le code postal).",
            )
        elif commune.rent_map_m2 is None and market is None and "market_rent_m2" not in check.errors:
            check.fail(
                "market_rent_m2",
                "Aucun loyer de référence n'est connu pour cette commune : indiquez le loyer de marché "
                "(€/m² par mois, hors charges).",
            )
    if check.errors or params is None or commune is None or on is None:
        return None, check.errors
    # Amounts in euros are taken to the cent, so that every amount of the answer is in cents.
    asked, charges, property_tax, insurance = (
        rules.money(value) if value is not None else None for value in (asked, charges, property_tax, insurance)
    )
    assert surface is not None and dpe is not None and insee is not None
    inputs = rules.SimulationInput(
        commune_insee=insee,
        surface_habitable_m2=surface,
        dpe_class=dpe,
        on=on,
        annexes_m2=annexes or rules.ZERO,
        market_rent_m2=market,
        asked_rent_monthly=asked,
        charges_monthly=charges or rules.ZERO,
        marginal_tax_rate=marginal,
        property_tax_yearly=property_tax or rules.ZERO,
        insurance_yearly=insurance or rules.ZERO,
        vacancy_months_per_year=vacancy,
        unpaid_rent_rate=unpaid,
        vacant_months=int(vacant) if vacant is not None else None,
    )
    return Prepared(inputs, params, commune), {}


def _commune_code(check: _Checker) -> str | None:
    if not check.given("commune_insee"):
        check.fail("commune_insee", "Indiquez le code INSEE de la commune (5 caractères, par exemple 62041).")
        return None
    value = check.payload["commune_insee"]
    code = str(value).strip().upper() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not INSEE.fullmatch(code):
        check.fail("commune_insee", "Code INSEE attendu : 5 caractères, par exemple 62041 (Arras) ou 2A004.")
        return None
    return code


def _dpe(check: _Checker) -> str | None:
    if not check.given("dpe_class"):
        check.fail("dpe_class", "Indiquez la classe énergie du DPE (une lettre de A à G).")
        return None
    value = check.payload["dpe_class"]
    letter = value.strip().upper() if isinstance(value, str) else ""
    if letter not in rules.DPE_CLASSES:
        check.fail("dpe_class", "Classe énergie du DPE attendue : une lettre de A à G.")
        return None
    return letter


def _date(check: _Checker) -> date | None:
    if not check.given("date"):
        return today()
    value = check.payload["date"]
    if isinstance(value, date) and not isinstance(value, datetime):
        parsed: date | None = value
    else:
        try:
            parsed = date.fromisoformat(value.strip()) if isinstance(value, str) else None
        except ValueError:
            parsed = None
    if parsed is None:
        check.fail("date", "Date attendue au format AAAA-MM-JJ, par exemple 2026-11-22.")
        return None
    if not 2000 <= parsed.year <= 2100:
        check.fail("date", "Date hors des limites du simulateur (années 2000 à 2100).")
        return None
    return parsed


# --- Running and shaping --------------------------------------------------------------------------------


def compute(session: Session, prepared: Prepared, cache: ReferenceCache | None = None) -> rules.SimulationResult:
    """Read the territory's data for the commune and run the rules."""
    inputs, params, commune = prepared.inputs, prepared.params, prepared.commune
    insee, on = commune.insee, inputs.on
    return rules.simulate(
        inputs,
        params,
        commune,
        premiums=_cached(cache, ("premiums", insee, on), lambda: local_premiums_for(session, insee, on)),
        operators=_cached(cache, ("operators", insee), lambda: operators_for(session, insee)),
        ceilings=_cached(cache, ("ceilings", insee, on), lambda: income_ceilings_for(session, params, commune, on)),
    )


def run_simulation(
    session: Session, payload: Any, cache: ReferenceCache | None = None
) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Validate and simulate: the JSON result, or None and the French messages per field."""
    prepared, errors = prepare(session, payload, cache)
    if prepared is None:
        return None, errors
    return result_to_json(compute(session, prepared, cache)), {}


def _money(value: Decimal | None) -> float | None:
    # A JSON number, not a string. The rules already round every amount to the cent (tested).
    return None if value is None else float(value)


def _rate(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_value(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(str(item) for item in value)
    return value


def inputs_to_json(inputs: rules.SimulationInput) -> dict[str, Any]:
    """The inputs as the API names them (stored with a Simulation, read back to pre-fill a declaration)."""
    return {
        "commune_insee": inputs.commune_insee,
        "surface_habitable_m2": _rate(inputs.surface_habitable_m2),
        "annexes_m2": _rate(inputs.annexes_m2),
        "dpe_class": inputs.dpe_class,
        "market_rent_m2": _rate(inputs.market_rent_m2),
        "asked_rent_monthly": _money(inputs.asked_rent_monthly),
        "charges_monthly": _money(inputs.charges_monthly),
        "marginal_tax_rate": _rate(inputs.marginal_tax_rate),
        "property_tax_yearly": _money(inputs.property_tax_yearly),
        "insurance_yearly": _money(inputs.insurance_yearly),
        "vacancy_months_per_year": _rate(inputs.vacancy_months_per_year),
        "unpaid_rent_rate": _rate(inputs.unpaid_rent_rate),
        "vacant_months": inputs.vacant_months,
        "date": inputs.on.isoformat(),
    }


def _ceiling(ceiling: rules.IncomeCeiling | None) -> dict[str, Any] | None:
    if ceiling is None or ceiling.amount is None:
        return None
    return {
        "amount": _money(ceiling.amount),
        "grid": ceiling.grid,
        "area": ceiling.area,
        "year": ceiling.year,
        "income_reference_year": ceiling.income_reference_year,
        "household": "personne seule",
        "source": ceiling.source,
    }


def _option(option: rules.Option) -> dict[str, Any]:
    guarantee = option.guaranteed
    return {
        "key": option.key,
        "level": option.level.value,
        "mode": option.mode.value,
        "label": option.label,
        "eligible": option.eligible,
        "reasons": list(option.reasons),
        "rent_cap_monthly": _money(option.rent_cap_monthly),
        "rent_monthly": _money(option.rent_monthly),
        "gross_rent_yearly": _money(option.gross_rent_yearly),
        "tax_reduction_rate": _rate(option.tax_reduction_rate),
        "tax_reduction_yearly": _money(option.tax_reduction_yearly),
        "anah_premium": _money(option.anah_premium),
        "local_premiums": [
            {
                "name": line.name,
                "amount": _money(line.amount),
                "period": line.period,
                "years": line.years,
                "total": _money(line.total),
                "source": line.source,
            }
            for line in option.local_premiums
        ],
        "operator": option.operator,
        "management_fee_rate": _rate(option.management_fee_rate),
        "management_fees_yearly": _money(option.management_fees_yearly),
        "guaranteed": {
            "rent_during_vacancy": guarantee.rent_during_vacancy,
            "unpaid_rent": guarantee.unpaid_rent,
            "restoration": guarantee.restoration,
            "description": guarantee.description,
        },
        "property_tax_yearly": _money(option.property_tax_yearly),
        "insurance_yearly": _money(option.insurance_yearly),
        "taxable_income_yearly": _money(option.taxable_income_yearly),
        "income_tax_and_levies_yearly": _money(option.income_tax_and_levies_yearly),
        "net_income_yearly": _money(option.net_income_yearly),
        "net_income_over_commitment": _money(option.net_income_over_commitment),
        "tenant_income_ceiling": _ceiling(option.tenant_income_ceiling),
    }


def result_to_json(result: rules.SimulationResult, *, options: bool = True, parameters: bool = True) -> dict[str, Any]:
    """The API answer: Decimals as JSON numbers (money to the cent), dates in ISO format."""
    a = result.assumptions
    data = {
        "date": result.on.isoformat(),
        "commune": {
            "insee": result.commune.insee,
            "name": result.commune.name,
            "zone_abc": result.commune.zone_abc,
            "market_rent_m2": _money(result.market_rent_m2),
            "market_rent_source": result.market_rent_source,
            "estimate": result.estimate,
        },
        "surface_habitable_m2": _money(result.surface_habitable_m2),
        "surface_fiscale_m2": _money(result.surface_fiscale_m2),
        "surface_coefficient": _money(result.surface_coefficient),
        "commitment_years": result.commitment_years,
        "recommended": result.recommended,
        "explanation": result.explanation,
        "warnings": [{"code": notice.code, "message": notice.message} for notice in result.warnings],
        "assumptions": {
            "vacancy_months_per_year": _rate(a.vacancy_months_per_year),
            "vacancy_source": "input" if a.vacancy_from_input else "parameter",
            "unpaid_rent_rate": _rate(a.unpaid_rent_rate),
            "unpaid_rent_source": "input" if a.unpaid_from_input else "parameter",
            "marginal_tax_rate": _rate(a.marginal_tax_rate),
            "marginal_tax_rate_source": "input" if a.marginal_from_input else "parameter",
            "charges_monthly": _money(a.charges_monthly),
            "property_tax_yearly": _money(a.property_tax_yearly),
            "insurance_yearly": _money(a.insurance_yearly),
            "vacant_months": a.vacant_months,
        },
    }
    if options:
        data["options"] = [_option(option) for option in result.options]
    if parameters:
        data["parameters"] = [_parameter(p) for p in result.parameters]
    return data


def _parameter(p: Sourced[Any]) -> dict[str, Any]:
    return {
        "key": p.key,
        "label": p.label,
        "value": _value(p.value),
        "unit": p.unit,
        "valid_from": p.valid_from.isoformat() if p.valid_from else None,
        "valid_to": p.valid_to.isoformat() if p.valid_to else None,
        "source": p.source,
        "verified": p.verified,
    }


def _dumps(data: Any) -> str:
    # Compact; non-ASCII escaped as jsonify does (faster here than writing UTF-8, then encoding it).
    return json.dumps(data, separators=(",", ":"))


@lru_cache(maxsize=2048)
def _parameter_text(p: Sourced[Any]) -> str:
    # Keyed by the whole value (key, value, source, validity): never stale, whatever the data becomes.
    return _dumps(_parameter(p))


def result_to_text(result: rules.SimulationResult) -> str:
    """``result_to_json`` as compact JSON text: what the API answers, written the fast way.

    The ~40 parameters, with their long sources, are the same from one call to the next: each is serialised
    once per process. The ten options are written directly, their Decimals as their own text (``552.02``),
    three times faster than dicts of floats through ``json.dumps``. ``test_api_text_is_the_stored_document``
    keeps the text and ``result_to_json`` equal.
    """
    data = result_to_json(result, options=False, parameters=False)
    options = ",".join(_option_text(option) for option in result.options)
    parameters = ",".join(_parameter_text(p) for p in result.parameters)
    return f'{_dumps(data)[:-1]},"options":[{options}],"parameters":[{parameters}]}}'


_text = encode_basestring_ascii  # free text as a JSON string, escaped as json.dumps does


def _num(value: Decimal | None) -> str:
    # str() of a finite Decimal is always a valid JSON number (an exponent is allowed there).
    return "null" if value is None else str(value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _option_text(o: rules.Option) -> str:
    """One option as JSON, keys and values as ``_option`` gives them (keys, levels, modes are identifiers)."""
    g = o.guaranteed
    premiums = ",".join(
        f'{{"name":{_text(line.name)},"amount":{_num(line.amount)},"period":{_text(line.period)},'
        f'"years":{line.years},"total":{_num(line.total)},"source":{_text(line.source)}}}'
        for line in o.local_premiums
    )
    ceiling = _ceiling(o.tenant_income_ceiling)
    return (
        f'{{"key":"{o.key}","level":"{o.level.value}","mode":"{o.mode.value}","label":{_text(o.label)},'
        f'"eligible":{_bool(o.eligible)},"reasons":[{",".join(map(_text, o.reasons))}],'
        f'"rent_cap_monthly":{_num(o.rent_cap_monthly)},"rent_monthly":{_num(o.rent_monthly)},'
        f'"gross_rent_yearly":{_num(o.gross_rent_yearly)},"tax_reduction_rate":{_num(o.tax_reduction_rate)},'
        f'"tax_reduction_yearly":{_num(o.tax_reduction_yearly)},"anah_premium":{_num(o.anah_premium)},'
        f'"local_premiums":[{premiums}],"operator":{"null" if o.operator is None else _text(o.operator)},'
        f'"management_fee_rate":{_num(o.management_fee_rate)},'
        f'"management_fees_yearly":{_num(o.management_fees_yearly)},'
        f'"guaranteed":{{"rent_during_vacancy":{_bool(g.rent_during_vacancy)},"unpaid_rent":{_bool(g.unpaid_rent)},'
        f'"restoration":{_bool(g.restoration)},"description":{_text(g.description)}}},'
        f'"property_tax_yearly":{_num(o.property_tax_yearly)},"insurance_yearly":{_num(o.insurance_yearly)},'
        f'"taxable_income_yearly":{_num(o.taxable_income_yearly)},'
        f'"income_tax_and_levies_yearly":{_num(o.income_tax_and_levies_yearly)},'
        f'"net_income_yearly":{_num(o.net_income_yearly)},'
        f'"net_income_over_commitment":{_num(o.net_income_over_commitment)},'
        f'"tenant_income_ceiling":{"null" if ceiling is None else _dumps(ceiling)}}}'
    )


__all__ = [
    "INVALID",
    "Prepared",
    "ReferenceCache",
    "compute",
    "inputs_to_json",
    "load_simulator_parameters",
    "local_premiums_for",
    "prepare",
    "result_to_json",
    "result_to_text",
    "run_simulation",
]
