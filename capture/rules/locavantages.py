"""Loc'Avantages rent cap and the DPE ban calendar (domain.md §3 and §6): pure formulas, figures as data.

The single source of truth for the cap: the agreement check and the simulator both call ``rent_cap`` (or its
parts). Every figure (annex share, coefficient terms, discounts, charges deduction, ban dates) comes from the
versioned parameters, read by the caller at the relevant date; nothing here touches Flask or the database.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
DPE_CLASSES = ("A", "B", "C", "D", "E", "F", "G")
BANNABLE_CLASSES = ("E", "F", "G")  # the classes the décence calendar gives a date to


def to_cent(value: Decimal) -> Decimal:
    """Round an amount to the cent, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CapRules:
    """The figures of the surface part of the cap formula, read from the parameters at one date."""

    annex_share: Decimal
    annex_max_m2: Decimal
    coefficient_base: Decimal
    coefficient_numerator: Decimal
    coefficient_cap: Decimal
    coefficient_places: int

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> CapRules:
        """Build from parameter values keyed by parameter key (see ``CAP_RULE_KEYS``)."""
        return cls(**{name: values[key] for name, key in CAP_RULE_KEYS.items()})


CAP_RULE_KEYS = {
    "annex_share": "locavantages.fiscal_surface.annex_share",
    "annex_max_m2": "locavantages.fiscal_surface.annex_max_m2",
    "coefficient_base": "locavantages.surface_coefficient.base",
    "coefficient_numerator": "locavantages.surface_coefficient.numerator",
    "coefficient_cap": "locavantages.surface_coefficient.cap",
    "coefficient_places": "locavantages.surface_coefficient.rounding_places",
}
CHARGES_DEDUCTION_KEY = "locavantages.market_rent_charges_deduction_rate"
DISCOUNT_KEYS = {level: f"locavantages.discount.{level}" for level in ("loc1", "loc2", "loc3")}
BAN_KEYS = {dpe: f"decence.dpe_ban.{dpe}" for dpe in BANNABLE_CLASSES}
OVERSEAS_BAN_KEYS = {dpe: f"decence.dpe_ban_overseas.{dpe}" for dpe in BANNABLE_CLASSES}


def fiscal_surface(surface_m2: Decimal, annexes_m2: Decimal, rules: CapRules) -> Decimal:
    """Surface habitable + half of the annexes for the tenant's sole use, the half counted up to 8 m²."""
    return surface_m2 + min(annexes_m2 * rules.annex_share, rules.annex_max_m2)


def surface_coefficient(fiscal_m2: Decimal, rules: CapRules) -> Decimal:
    """min(1.2, round(0.7 + 19 / S, 2)), S the surface fiscale (the Pinel coefficient)."""
    places = Decimal(1).scaleb(-rules.coefficient_places)
    raw = rules.coefficient_base + rules.coefficient_numerator / fiscal_m2
    return min(rules.coefficient_cap, raw.quantize(places, rounding=ROUND_HALF_UP))


def market_rent_excluding_charges(market_m2: Decimal, charges_deduction: Decimal) -> Decimal:
    """The carte des loyers figure is charges included; the Anah cap is charges excluded (to the cent)."""
    return to_cent(market_m2 * (1 - charges_deduction))


def cap_for(
    market_excluding_charges_m2: Decimal, discount: Decimal, fiscal_m2: Decimal, coefficient: Decimal
) -> Decimal:
    """Monthly cap, charges excluded: market €/m² × (1 − discount) × S × coefficient, to the cent."""
    return to_cent(market_excluding_charges_m2 * (1 - discount) * fiscal_m2 * coefficient)


def rent_cap(
    market_m2: Decimal,
    discount: Decimal,
    charges_deduction: Decimal,
    surface_m2: Decimal,
    annexes_m2: Decimal,
    rules: CapRules,
) -> Decimal:
    """The Loc'Avantages monthly rent cap of a unit from the market rent €/m² **charges included**."""
    fiscal = fiscal_surface(surface_m2, annexes_m2, rules)
    return cap_for(
        market_rent_excluding_charges(market_m2, charges_deduction),
        discount,
        fiscal,
        surface_coefficient(fiscal, rules),
    )


# --- DPE ban calendar (décence énergétique) ------------------------------------------------------------------


def dpe_ban_date(dpe_class: str | None, bans: Mapping[str, date]) -> date | None:
    """First day a unit of this class can no longer be let under a new or renewed lease, if any."""
    if not dpe_class:
        return None
    return bans.get(dpe_class.upper())


def add_years(value: date, years: int) -> date:
    """The same day ``years`` later (28 February for a 29 February)."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)


def add_months(value: date, months: int) -> date:
    """The same day ``months`` later, or the last day of a shorter month (31 December + 2 → 28 February)."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    return date(year, month, min(value.day, calendar.monthrange(year, month)[1]))


def is_banned(ban: date | None, on: date) -> bool:
    """True when the class is already banned on that date."""
    return ban is not None and ban <= on


def banned_during(ban: date | None, start: date, years: int) -> bool:
    """True when the ban falls after ``start`` and by the end of a commitment of ``years`` years.

    The end counts (``start + years``): a lease renewed on that day is already refused, as the simulator says.
    """
    return ban is not None and start < ban <= add_years(start, years)
