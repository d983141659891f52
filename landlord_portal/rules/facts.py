"""Describe the facts the glue hands the simulator: the owner's answers and the territory's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from landlord_portal.rules.levels import ZERO


@dataclass(frozen=True)
class SimulationInput:
    """What the owner tells us; None means « use the default parameter »."""

    commune_insee: str
    surface_habitable_m2: Decimal
    dpe_class: str
    on: date
    annexes_m2: Decimal = ZERO
    market_rent_m2: Decimal | None = None  # €/m²/month, charges excluded
    asked_rent_monthly: Decimal | None = None
    charges_monthly: Decimal = ZERO
    marginal_tax_rate: Decimal | None = None
    property_tax_yearly: Decimal = ZERO
    insurance_yearly: Decimal = ZERO
    vacancy_months_per_year: Decimal | None = None
    unpaid_rent_rate: Decimal | None = None
    vacant_months: int | None = None  # how long the unit has been empty (premium conditions)


@dataclass(frozen=True)
class CommuneFacts:
    insee: str
    name: str
    zone_abc: str | None = None
    rent_map_m2: Decimal | None = None  # carte des loyers, €/m²/month, charges INCLUDED
    rent_map_source: str = ""  # where the figure comes from, in full
    rent_map_label: str = "carte des loyers"  # the same in a few words, for sentences
    ile_de_france: bool = False
    overseas: bool = False


@dataclass(frozen=True)
class Operator:
    """The operator a mode is routed to in the commune, with its management fee setting."""

    name: str
    management_fee_rate: Decimal | None = None


@dataclass(frozen=True)
class IncomeCeiling:
    """Tenant income ceiling of a level for a single person; ``amount`` None when unknown."""

    grid: str
    area: str
    year: int
    income_reference_year: int
    amount: Decimal | None
    source: str = ""
    latest_known_year: int | None = None
    latest_known_amount: Decimal | None = None


@dataclass(frozen=True)
class LocalPremiumRule:
    """A territory's premium (reference data): conditions are optional filters.

    ``levels`` None means every Loc'Avantages level; the market option only gets a premium whose levels list
    « none » explicitly. ``modes`` among direct, mandate, sublease, bail_glissant.
    """

    name: str
    amount: Decimal
    period: str  # one_off | yearly
    source: str = ""
    max_years: int | None = None
    levels: frozenset[str] | None = None
    modes: frozenset[str] | None = None
    min_surface_m2: Decimal | None = None
    max_surface_m2: Decimal | None = None
    min_vacancy_months: int | None = None
