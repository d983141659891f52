"""Check a simulation request field by field, in French, and prepare its inputs, parameters and commune."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from landlord_portal.rules import simulator as rules
from landlord_portal.simulation.cache import ReferenceCache, cached
from landlord_portal.simulation.reference import commune_facts, load_simulator_parameters
from passerelle.reference.queries import MissingParameter

PARIS = ZoneInfo("Europe/Paris")
INSEE = re.compile(r"\d{5}|2[AB]\d{3}")
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


@dataclass(frozen=True)
class Prepared:
    """A valid request with what it needs: the inputs, the parameters at its date and the commune."""

    inputs: rules.SimulationInput
    params: rules.SimulatorParameters
    commune: rules.CommuneFacts


def today() -> date:
    return datetime.now(PARIS).date()


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
            params = cached(cache, ("parameters", on), lambda: load_simulator_parameters(session, on))
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
        commune = cached(cache, ("commune", insee, on), lambda: commune_facts(session, insee, on))
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
