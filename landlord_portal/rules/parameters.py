"""Hold every figure the simulator reads, each with its parameter key, source and validity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Generic, TypeVar

from landlord_portal.rules.levels import CONVENTIONED, Level

T = TypeVar("T")


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A parameter value with its key, source and validity, for the ``parameters`` part of the result."""

    key: str
    value: T
    label: str = ""
    source: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    unit: str | None = None
    verified: bool = True


class MissingValue(LookupError):
    """A parameter the simulator needs has no value in the data given."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _per_level(prefix: str) -> dict[Level, str]:
    return {level: f"{prefix}.{level}" for level in CONVENTIONED}


# Field of SimulatorParameters -> parameter key (or one key per level / DPE class).
SCALAR_KEYS = {
    "coefficient_base": "locavantages.surface_coefficient.base",
    "coefficient_numerator": "locavantages.surface_coefficient.numerator",
    "coefficient_cap": "locavantages.surface_coefficient.cap",
    "coefficient_places": "locavantages.surface_coefficient.rounding_places",
    "annex_share": "locavantages.fiscal_surface.annex_share",
    "annex_max_m2": "locavantages.fiscal_surface.annex_max_m2",
    "charges_deduction_rate": "locavantages.market_rent_charges_deduction_rate",
    "commitment_years": "locavantages.convention_years.standard",
    "requests_start": "locavantages.requests.start",
    "requests_end": "locavantages.requests.end",
    "dpe_min_class": "locavantages.dpe_min_class",
    "income_year_offset": "locavantages.income_reference_year_offset",
    "min_surface_m2": "decence.min_room_surface_m2",
    "anah_levels": "anah.iml_premium.levels",
    "anah_mandate": "anah.iml_premium.mandate",
    "anah_sublease": "anah.iml_premium.sublease",
    "anah_small_bonus": "anah.iml_premium.small_unit_bonus",
    "anah_small_max_m2": "anah.iml_premium.small_unit_max_m2",
    "anah_min_commitment_years": "anah.iml_premium.min_commitment_years",
    "niches_cap": "tax.niches_global_cap",
    "social_levies_rate": "tax.social_levies_rate",
    "vacancy_months": "simulator.market.vacancy_months_per_year",
    "unpaid_rent_rate": "simulator.market.unpaid_rent_rate",
    "default_fee_rate": "simulator.mandate.default_management_fee_rate",
    "marginal_rates": "simulator.marginal_tax_rates",
    "default_marginal_rate": "simulator.default_marginal_tax_rate",
    "mandate_margin": "simulator.mandate_mention_margin",
}
OPTIONAL_KEYS = {
    "mandate_share_target": "targets.iml_mandate_share",
    "visale_cap_idf": "visale.rent_cap.idf",
    "visale_cap_other": "visale.rent_cap.other",
    "visale_unpaid_months": "visale.cover.unpaid_rent_max_months",
    "visale_damage_months": "visale.cover.damage_max_months",
    "visale_cover_years": "visale.cover.lease_years",
}
LEVEL_KEYS = {
    "discount": _per_level("locavantages.discount"),
    "tax_reduction_direct": _per_level("locavantages.tax_reduction.direct"),
    "tax_reduction_iml": _per_level("locavantages.tax_reduction.iml"),
    "income_grid": _per_level("locavantages.income_grid"),
}
BAN_KEYS = {
    "dpe_ban": {dpe: f"decence.dpe_ban.{dpe}" for dpe in ("E", "F", "G")},
    "dpe_ban_overseas": {dpe: f"decence.dpe_ban_overseas.{dpe}" for dpe in ("E", "F", "G")},
}


def parameter_keys() -> tuple[str, ...]:
    """Every parameter key the simulator may read (the glue loads them in one query)."""
    keys = [*SCALAR_KEYS.values(), *OPTIONAL_KEYS.values()]
    for by_level in LEVEL_KEYS.values():
        keys.extend(by_level.values())
    for by_class in BAN_KEYS.values():
        keys.extend(by_class.values())
    return tuple(sorted(set(keys)))


@dataclass(frozen=True)
class SimulatorParameters:
    """Every figure the rules need, each with its key, source and validity."""

    discount: Mapping[Level, Sourced[Decimal]]
    tax_reduction_direct: Mapping[Level, Sourced[Decimal | None]]  # None: not allowed (text "none")
    tax_reduction_iml: Mapping[Level, Sourced[Decimal | None]]
    income_grid: Mapping[Level, Sourced[str]]
    dpe_ban: Mapping[str, Sourced[date]]  # class -> first day a new lease is refused (metropolitan)
    dpe_ban_overseas: Mapping[str, Sourced[date]]
    coefficient_base: Sourced[Decimal]
    coefficient_numerator: Sourced[Decimal]
    coefficient_cap: Sourced[Decimal]
    coefficient_places: Sourced[int]
    annex_share: Sourced[Decimal]
    annex_max_m2: Sourced[Decimal]
    charges_deduction_rate: Sourced[Decimal]
    commitment_years: Sourced[int]
    requests_start: Sourced[date]
    requests_end: Sourced[date]
    dpe_min_class: Sourced[str]
    income_year_offset: Sourced[int]
    min_surface_m2: Sourced[Decimal]
    anah_levels: Sourced[frozenset[Level]]
    anah_mandate: Sourced[Decimal]
    anah_sublease: Sourced[Decimal]
    anah_small_bonus: Sourced[Decimal]
    anah_small_max_m2: Sourced[Decimal]
    anah_min_commitment_years: Sourced[int]
    niches_cap: Sourced[Decimal]
    social_levies_rate: Sourced[Decimal]
    vacancy_months: Sourced[Decimal]
    unpaid_rent_rate: Sourced[Decimal]
    default_fee_rate: Sourced[Decimal]
    marginal_rates: Sourced[tuple[Decimal, ...]]
    default_marginal_rate: Sourced[Decimal]
    mandate_margin: Sourced[Decimal]
    mandate_share_target: Sourced[Decimal] | None = None
    visale_cap_idf: Sourced[Decimal] | None = None
    visale_cap_other: Sourced[Decimal] | None = None
    visale_unpaid_months: Sourced[int] | None = None
    visale_damage_months: Sourced[int] | None = None
    visale_cover_years: Sourced[int] | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, Sourced[Any]]) -> SimulatorParameters:
        """Build from parameter values keyed by parameter key; raise MissingValue for a required one."""

        def need(key: str) -> Sourced[Any]:
            if key not in values:
                raise MissingValue(key)
            return values[key]

        fields: dict[str, Any] = {name: need(key) for name, key in SCALAR_KEYS.items()}
        fields.update({name: values.get(key) for name, key in OPTIONAL_KEYS.items()})
        for name, keys in LEVEL_KEYS.items():
            fields[name] = {level: need(key) for level, key in keys.items()}
        for name, by_class in BAN_KEYS.items():
            fields[name] = {dpe: values[key] for dpe, key in by_class.items() if key in values}
        for name in ("tax_reduction_direct", "tax_reduction_iml"):
            fields[name] = {level: _rate_or_none(s) for level, s in fields[name].items()}
        levels = fields["anah_levels"]
        fields["anah_levels"] = _replace(
            levels, frozenset(Level(part.strip()) for part in str(levels.value).split(",") if part.strip())
        )
        rates = fields["marginal_rates"]
        fields["marginal_rates"] = _replace(
            rates, tuple(Decimal(part.strip()) for part in str(rates.value).split(",") if part.strip())
        )
        return cls(**fields)


def _replace(sourced: Sourced[Any], value: Any) -> Sourced[Any]:
    return Sourced(
        sourced.key,
        value,
        sourced.label,
        sourced.source,
        sourced.valid_from,
        sourced.valid_to,
        sourced.unit,
        sourced.verified,
    )


def _rate_or_none(sourced: Sourced[Any]) -> Sourced[Decimal | None]:
    # parameters.toml: kind "text" with value "none" is a refusal, never a zero rate.
    value = sourced.value
    return _replace(sourced, None if isinstance(value, str) and value.strip() == "none" else Decimal(value))
