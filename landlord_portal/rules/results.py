"""Describe what a simulation gives back: every option, the recommendation, warnings and figures used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from landlord_portal.rules.facts import CommuneFacts, IncomeCeiling
from landlord_portal.rules.levels import Level, Mode
from landlord_portal.rules.parameters import Sourced


@dataclass(frozen=True)
class Guarantee:
    rent_during_vacancy: bool
    unpaid_rent: bool
    restoration: bool
    description: str


@dataclass(frozen=True)
class PremiumLine:
    name: str
    amount: Decimal
    period: str
    years: int  # payments counted over the commitment (1 for a one-off premium)
    total: Decimal
    source: str


@dataclass(frozen=True)
class Option:
    key: str
    level: Level
    mode: Mode
    label: str
    eligible: bool
    reasons: tuple[str, ...]
    guaranteed: Guarantee
    rent_cap_monthly: Decimal | None
    rent_monthly: Decimal | None = None
    gross_rent_yearly: Decimal | None = None
    operator: str | None = None
    management_fee_rate: Decimal | None = None
    management_fees_yearly: Decimal | None = None
    property_tax_yearly: Decimal | None = None
    insurance_yearly: Decimal | None = None
    taxable_income_yearly: Decimal | None = None
    income_tax_and_levies_yearly: Decimal | None = None
    tax_reduction_rate: Decimal | None = None
    tax_reduction_yearly: Decimal | None = None
    anah_premium: Decimal | None = None
    local_premiums: tuple[PremiumLine, ...] = ()
    net_income_yearly: Decimal | None = None
    net_income_over_commitment: Decimal | None = None
    tenant_income_ceiling: IncomeCeiling | None = None


@dataclass(frozen=True)
class Notice:
    code: str
    message: str


@dataclass(frozen=True)
class Assumptions:
    """The owner-side figures used, and whether each came from the owner or from a default parameter."""

    vacancy_months_per_year: Decimal
    vacancy_from_input: bool
    unpaid_rent_rate: Decimal
    unpaid_from_input: bool
    marginal_tax_rate: Decimal
    marginal_from_input: bool
    charges_monthly: Decimal
    property_tax_yearly: Decimal
    insurance_yearly: Decimal
    vacant_months: int | None


@dataclass(frozen=True)
class SimulationResult:
    on: date
    commune: CommuneFacts
    market_rent_m2: Decimal
    market_rent_source: str
    estimate: bool
    surface_habitable_m2: Decimal
    surface_fiscale_m2: Decimal
    surface_coefficient: Decimal
    commitment_years: int
    options: tuple[Option, ...]
    recommended: str | None
    explanation: str
    warnings: tuple[Notice, ...]
    parameters: tuple[Sourced[Any], ...]
    assumptions: Assumptions

    def option(self, key: str) -> Option:
        return next(option for option in self.options if option.key == key)
