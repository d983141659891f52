"""Incentives simulator: market letting against each Loc'Avantages level and mode (pure rules).

Every amount, rate and date arrives as data (``SimulatorParameters``, read from the versioned parameters by
``landlord_portal.simulation``); this module only holds the formulas of domain.md §2–§7. Money is Decimal,
rounded half-up to the cent wherever an amount is shown; nothing here touches Flask or the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Generic, TypeVar

from capture.rules import locavantages

T = TypeVar("T")
ZERO = Decimal("0")
CENT = Decimal("0.01")
MONTHS_PER_YEAR = Decimal("12")  # calendar fact, not a rule parameter
DPE_CLASSES = locavantages.DPE_CLASSES


money = locavantages.to_cent  # round an amount to the cent, half up


class Level(StrEnum):
    NONE = "none"
    LOC1 = "loc1"
    LOC2 = "loc2"
    LOC3 = "loc3"


class Mode(StrEnum):
    DIRECT = "direct"  # the owner lets and manages the unit themself
    MANDATE = "mandate"  # mandat de gestion: an AIS manages for the owner
    SUBLEASE = "sublease"  # location / sous-location to an association; bail glissant starts this way


CONVENTIONED = (Level.LOC1, Level.LOC2, Level.LOC3)
LEVEL_LABELS = {
    Level.NONE: "Location au prix du marché",
    Level.LOC1: "Loc1 (intermédiaire)",
    Level.LOC2: "Loc2 (social)",
    Level.LOC3: "Loc3 (très social)",
}
MODE_LABELS = {
    Mode.DIRECT: "vous gérez vous-même",
    Mode.MANDATE: "mandat de gestion",
    Mode.SUBLEASE: "location / sous-location ou bail glissant",
}
# Every combination, feasible or not, in the order the API lists them.
OPTION_KEYS: tuple[tuple[str, Level, Mode], ...] = (
    ("market", Level.NONE, Mode.DIRECT),
    *((f"{level}_{mode}", level, mode) for level in CONVENTIONED for mode in Mode),
)


# --- Parameters -------------------------------------------------------------------------------------------


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


# --- Facts handed in by the glue ----------------------------------------------------------------------------


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


# --- Result -------------------------------------------------------------------------------------------------


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


# --- Formulas -----------------------------------------------------------------------------------------------


# The cap formula and the décence calendar have one home, shared with the agreement checks of capture:
# ``capture.rules.locavantages``. These wrappers feed it the simulator's parameters.


def cap_rules(params: SimulatorParameters) -> locavantages.CapRules:
    return locavantages.CapRules(
        annex_share=params.annex_share.value,
        annex_max_m2=params.annex_max_m2.value,
        coefficient_base=params.coefficient_base.value,
        coefficient_numerator=params.coefficient_numerator.value,
        coefficient_cap=params.coefficient_cap.value,
        coefficient_places=params.coefficient_places.value,
    )


def fiscal_surface(surface_m2: Decimal, annexes_m2: Decimal, params: SimulatorParameters) -> Decimal:
    """Surface habitable + half of the annexes for the tenant's sole use, the half counted up to 8 m²."""
    return locavantages.fiscal_surface(surface_m2, annexes_m2, cap_rules(params))


def surface_coefficient(fiscal_m2: Decimal, params: SimulatorParameters) -> Decimal:
    """min(1.2, round(0.7 + 19 / S, 2)), S the surface fiscale (domain.md §3; the Pinel coefficient)."""
    return locavantages.surface_coefficient(fiscal_m2, cap_rules(params))


def rent_cap(market_m2: Decimal, discount: Decimal, fiscal_m2: Decimal, coefficient: Decimal) -> Decimal:
    """Monthly rent cap, charges excluded: market €/m² × (1 − discount) × S × coefficient, to the cent."""
    return locavantages.cap_for(market_m2, discount, fiscal_m2, coefficient)


def ban_date(dpe_class: str, params: SimulatorParameters, *, overseas: bool = False) -> date | None:
    """First day a unit of this energy class can no longer be let under a new lease (décence calendar)."""
    calendar = params.dpe_ban_overseas if overseas else params.dpe_ban
    return locavantages.dpe_ban_date(dpe_class, {dpe: sourced.value for dpe, sourced in calendar.items()})


# --- The simulation -----------------------------------------------------------------------------------------


class _Reader:
    """Reads parameter values and remembers which ones the result depended on."""

    def __init__(self) -> None:
        self.used: dict[str, Sourced[Any]] = {}

    def __call__(self, sourced: Sourced[T]) -> T:
        self.used[sourced.key] = sourced
        return sourced.value

    def record(self, *sourced: Sourced[Any]) -> None:
        for item in sourced:
            self.used[item.key] = item


def simulate(
    inputs: SimulationInput,
    params: SimulatorParameters,
    commune: CommuneFacts,
    *,
    premiums: Sequence[LocalPremiumRule] = (),
    operators: Mapping[Mode, Operator | None] | None = None,
    ceilings: Mapping[Level, IncomeCeiling] | None = None,
) -> SimulationResult:
    """Compare every option over the commitment and recommend the best eligible one."""
    use = _Reader()
    operators = operators or {}
    ceilings = ceilings or {}
    notices: list[Notice] = []
    on = inputs.on
    years = use(params.commitment_years)
    surface = inputs.surface_habitable_m2

    market_m2, market_source, estimate = _market_reference(inputs, params, commune, use, notices)
    fiscal = fiscal_surface(surface, inputs.annexes_m2, params)
    coefficient = surface_coefficient(fiscal, params)
    use.record(params.annex_share, params.annex_max_m2, params.coefficient_base)
    use.record(params.coefficient_numerator, params.coefficient_cap, params.coefficient_places)
    caps = {level: rent_cap(market_m2, use(params.discount[level]), fiscal, coefficient) for level in CONVENTIONED}

    assumptions = _assumptions(inputs, params, use)
    ctx = _Context(inputs, params, commune, use, assumptions, market_m2, caps, operators, ceilings, premiums, notices)
    everywhere = _indecency_reasons(ctx)
    conventioned = _convention_reasons(ctx)
    options = tuple(
        ctx.option(key, level, mode, [*everywhere, *(conventioned if level is not Level.NONE else [])])
        for key, level, mode in OPTION_KEYS
    )

    _dpe_notices(ctx, notices)
    _tax_notices(ctx, options, notices)
    _operator_notices(ctx, options, notices)
    _ceiling_notices(ctx, options, notices)
    for option in options:
        if option.eligible and option.net_income_yearly is not None and option.net_income_yearly < 0:
            notices.append(
                Notice(
                    "negative_net",
                    f"« {option.label} » : la taxe foncière et l'assurance dépassent les loyers perçus après "
                    f"impôt ({_euros(option.net_income_yearly)} par an).",
                )
            )
    recommended, explanation = _recommend(options, params, use, years)
    unverified = sorted({s.label or s.key for s in use.used.values() if not s.verified})
    if unverified:
        notices.append(
            Notice(
                "unverified_parameters",
                "Chiffres utilisés dans ce calcul et encore à confirmer : " + " ; ".join(unverified) + ".",
            )
        )
    return SimulationResult(
        on=on,
        commune=commune,
        market_rent_m2=market_m2,
        market_rent_source=market_source,
        estimate=estimate,
        surface_habitable_m2=surface,
        surface_fiscale_m2=fiscal,
        surface_coefficient=coefficient,
        commitment_years=years,
        options=options,
        recommended=recommended,
        explanation=explanation,
        warnings=tuple(notices),
        parameters=tuple(sorted(use.used.values(), key=lambda s: s.key)),
        assumptions=assumptions,
    )


def _market_reference(
    inputs: SimulationInput,
    params: SimulatorParameters,
    commune: CommuneFacts,
    use: _Reader,
    notices: list[Notice],
) -> tuple[Decimal, str, bool]:
    """The market €/m² charges excluded: the owner's figure, else the rent map minus the charges share."""
    if inputs.market_rent_m2 is not None:
        return inputs.market_rent_m2, "Loyer de marché indiqué (hors charges)", False
    if commune.rent_map_m2 is None:
        raise MissingValue(f"rent_map.{commune.insee}")
    deduction = use(params.charges_deduction_rate)
    market = locavantages.market_rent_excluding_charges(commune.rent_map_m2, deduction)
    notices.append(
        Notice(
            "estimate",
            f"Loyer de marché estimé d'après la {commune.rent_map_label} : "
            f"{_decimal(money(commune.rent_map_m2))} €/m² charges comprises, soit {_decimal(market)} €/m² "
            f"hors charges après déduction de {_pct(deduction)} de charges. Les plafonds de loyer sont des "
            "estimations tant que le tableau officiel des plafonds par commune n'est pas importé.",
        )
    )
    if not params.charges_deduction_rate.verified:
        notices.append(
            Notice(
                "charges_deduction_unverified",
                f"La part des charges retirée du loyer de la carte des loyers ({_pct(deduction)}) n'est pas "
                "sourcée : le loyer hors charges et les plafonds sont probablement surestimés.",
            )
        )
    source = f"{commune.rent_map_label}, charges comprises, moins {_pct(deduction)} de charges"
    if commune.rent_map_source:
        source += f" — {commune.rent_map_source}"
    return market, source, True


def _assumptions(inputs: SimulationInput, params: SimulatorParameters, use: _Reader) -> Assumptions:
    def pick(given: Decimal | None, default: Sourced[Decimal]) -> tuple[Decimal, bool]:
        return (given, True) if given is not None else (use(default), False)

    vacancy, vacancy_given = pick(inputs.vacancy_months_per_year, params.vacancy_months)
    unpaid, unpaid_given = pick(inputs.unpaid_rent_rate, params.unpaid_rent_rate)
    marginal, marginal_given = pick(inputs.marginal_tax_rate, params.default_marginal_rate)
    return Assumptions(
        vacancy_months_per_year=vacancy,
        vacancy_from_input=vacancy_given,
        unpaid_rent_rate=unpaid,
        unpaid_from_input=unpaid_given,
        marginal_tax_rate=marginal,
        marginal_from_input=marginal_given,
        charges_monthly=inputs.charges_monthly,
        property_tax_yearly=inputs.property_tax_yearly,
        insurance_yearly=inputs.insurance_yearly,
        vacant_months=inputs.vacant_months,
    )


@dataclass
class _Context:
    inputs: SimulationInput
    params: SimulatorParameters
    commune: CommuneFacts
    use: _Reader
    assumptions: Assumptions
    market_m2: Decimal
    caps: Mapping[Level, Decimal]
    operators: Mapping[Mode, Operator | None]
    ceilings: Mapping[Level, IncomeCeiling]
    premiums: Sequence[LocalPremiumRule]
    notices: list[Notice]
    vacancy_asked: set[str] = field(default_factory=set)  # premiums whose vacancy condition was asked about

    def option(self, key: str, level: Level, mode: Mode, reasons: list[str]) -> Option:
        """One option: why it is refused, or what it brings in a year."""
        params, use, inputs = self.params, self.use, self.inputs
        label = LEVEL_LABELS[level] if level is Level.NONE else f"{LEVEL_LABELS[level]} — {MODE_LABELS[mode]}"
        cap = self.caps.get(level)
        reduction_rate: Decimal | None = None
        if level is not Level.NONE:
            table = params.tax_reduction_direct if mode is Mode.DIRECT else params.tax_reduction_iml
            reduction_rate = use(table[level])
            if reduction_rate is None:
                reasons = [
                    *reasons,
                    f"En {LEVEL_LABELS[level]}, l'intermédiation locative est obligatoire : sans agence "
                    "ni association, la convention n'ouvre droit à aucune réduction d'impôt. Choisissez "
                    "le mandat de gestion ou la location / sous-location.",
                ]
        asked = inputs.asked_rent_monthly
        if level is Level.NONE:
            rent = asked if asked is not None else money(self.market_m2 * inputs.surface_habitable_m2)
        else:
            assert cap is not None
            rent = min(cap, asked) if asked is not None else cap
        guarantee, unpaid_covered = self.guarantee(mode, rent)
        if reasons:
            return Option(key, level, mode, label, False, tuple(reasons), guarantee, cap)

        vacancy = self.assumptions.vacancy_months_per_year
        unpaid = self.assumptions.unpaid_rent_rate
        if mode is Mode.SUBLEASE:  # the association pays every month, vacant or unpaid (domain.md §2)
            gross = money(rent * MONTHS_PER_YEAR)
        else:
            loss = ZERO if unpaid_covered else unpaid
            gross = money(rent * (MONTHS_PER_YEAR - vacancy) * (1 - loss))
        operator = self.operators.get(mode) if mode is not Mode.DIRECT else None
        fee_rate: Decimal | None = None
        fees = ZERO
        if mode is Mode.MANDATE:  # only the mandate costs the owner fees; the association's are its own
            fee_rate = operator.management_fee_rate if operator is not None else None
            if fee_rate is None:
                fee_rate = use(params.default_fee_rate)
            fees = money(gross * fee_rate)
        costs = inputs.property_tax_yearly + inputs.insurance_yearly
        # Régime réel: fees, property tax and insurance are deductible; a deficit is not modelled (floor 0).
        taxable = max(ZERO, gross - fees - costs)
        marginal = self.assumptions.marginal_tax_rate
        income_tax = money(taxable * (marginal + use(params.social_levies_rate)))
        reduction = ZERO
        # A réduction d'impôt is never refunded: worth nothing to a non-taxable household.
        if reduction_rate and marginal > 0:
            reduction = min(money(gross * reduction_rate), use(params.niches_cap))
        net = gross - fees - costs - income_tax + reduction
        anah = self.anah_premium(level, mode)
        ceiling = self.ceilings.get(level) if level is not Level.NONE else None
        if ceiling is not None:
            use(params.income_grid[level]), use(params.income_year_offset)
        years = params.commitment_years.value
        lines = _local_premiums(self, level, mode)
        local_total = sum((line.total for line in lines), ZERO)
        return Option(
            key,
            level,
            mode,
            label,
            True,
            (),
            guarantee,
            cap,
            rent_monthly=rent,
            gross_rent_yearly=gross,
            operator=operator.name if operator else None,
            management_fee_rate=fee_rate,
            management_fees_yearly=fees,
            property_tax_yearly=inputs.property_tax_yearly,
            insurance_yearly=inputs.insurance_yearly,
            taxable_income_yearly=taxable,
            income_tax_and_levies_yearly=income_tax,
            tax_reduction_rate=reduction_rate,
            tax_reduction_yearly=reduction,
            anah_premium=anah,
            local_premiums=lines,
            net_income_yearly=net,
            net_income_over_commitment=net * years + anah + local_total,
            tenant_income_ceiling=ceiling if ceiling is not None and ceiling.amount is not None else None,
        )

    def anah_premium(self, level: Level, mode: Mode) -> Decimal:
        """Anah IML premium, one-off: Loc2/Loc3 under IML, more for a mandate, more again for a small unit."""
        params, use = self.params, self.use
        if mode is Mode.DIRECT or level not in use(params.anah_levels):
            return ZERO
        use(params.anah_min_commitment_years)
        amount = use(params.anah_mandate) if mode is Mode.MANDATE else use(params.anah_sublease)
        if self.inputs.surface_habitable_m2 <= use(params.anah_small_max_m2):
            amount += use(params.anah_small_bonus)
        return amount

    def guarantee(self, mode: Mode, rent: Decimal) -> tuple[Guarantee, bool]:
        """What the owner is guaranteed under a mode, in words and as booleans (domain.md §2 and §4)."""
        if mode is Mode.SUBLEASE:
            return SUBLEASE_GUARANTEE, True
        if mode is Mode.DIRECT:
            return DIRECT_GUARANTEE, False
        params, use = self.params, self.use
        cap_param = params.visale_cap_idf if self.commune.ile_de_france else params.visale_cap_other
        if cap_param is None or params.visale_unpaid_months is None:
            text = f"{MANDATE_INTRO} Impayés : selon le fonds de garantie de l'agence."
            return Guarantee(False, False, False, text), False
        cap = use(cap_param)
        total = rent + self.inputs.charges_monthly
        if total > cap:
            text = (
                f"{MANDATE_INTRO} Loyer charges comprises ({_euros(total, cents=True)}) au-dessus du plafond "
                f"Visale ({_euros(cap)}) : impayés couverts seulement si le fonds de garantie de l'agence le "
                "prévoit."
            )
            return Guarantee(False, False, False, text), False
        limit = ""
        if params.visale_cover_years is not None:
            limit = f", les {use(params.visale_cover_years)} premières années du bail"
        damage = ""
        if params.visale_damage_months is not None:
            months = use(params.visale_damage_months)
            damage = f" ; dégradations couvertes dans la limite de {months} mois de loyer"
        text = (
            f"{MANDATE_INTRO} Impayés couverts par la garantie Visale, gratuite, que l'agence met en place "
            f"(jusqu'à {use(params.visale_unpaid_months)} mois{limit}), ou par son fonds de garantie{damage}."
        )
        return Guarantee(False, True, False, text), True


MANDATE_INTRO = (
    "Vous restez le bailleur : l'agence trouve le ménage, gère et vous reverse le loyer, frais déduits. "
    "La vacance n'est pas garantie."
)
SUBLEASE_GUARANTEE = Guarantee(
    True,
    True,
    True,
    "L'association, votre locataire, vous paie loyer et charges chaque mois, même si le logement est vide ou "
    "le loyer impayé, et vous le rend remis en état à ses frais (hors usure normale). En bail glissant, de "
    "même jusqu'à ce que le bail passe au nom du ménage.",
)
DIRECT_GUARANTEE = Guarantee(
    False,
    False,
    False,
    "Aucune garantie : vacance, impayés et remise en état restent à votre charge (sauf assurance loyers "
    "impayés à vos frais, ou Visale si votre locataire y a droit).",
)


def _indecency_reasons(ctx: _Context) -> list[str]:
    """Reasons no option at all is possible, market letting included (décence, domain.md §6)."""
    inputs, params, use = ctx.inputs, ctx.params, ctx.use
    reasons = []
    minimum = use(params.min_surface_m2)
    if inputs.surface_habitable_m2 < minimum:
        reasons.append(
            f"Avec {_decimal(inputs.surface_habitable_m2)} m² de surface habitable, sous le minimum de "
            f"{_decimal(minimum)} m², le logement n'est pas décent : il ne peut pas être loué comme "
            "résidence principale (décret 2002-120)."
        )
    banned = _ban(ctx)
    if banned is not None and locavantages.is_banned(banned.value, inputs.on):
        use(banned)
        reasons.append(
            f"Un logement classé {inputs.dpe_class} n'est plus décent pour un bail nouveau ou renouvelé "
            f"depuis le {_long_date(banned.value)} (calendrier de décence énergétique) : il ne peut pas "
            "être loué, même au prix du marché, avant des travaux de rénovation énergétique."
        )
    return reasons


def _ban(ctx: _Context) -> Sourced[date] | None:
    calendar = ctx.params.dpe_ban_overseas if ctx.commune.overseas else ctx.params.dpe_ban
    return calendar.get(ctx.inputs.dpe_class)


def _convention_reasons(ctx: _Context) -> list[str]:
    """Reasons a Loc'Avantages convention is not possible at the date."""
    inputs, params, use = ctx.inputs, ctx.params, ctx.use
    reasons = []
    start, end = use(params.requests_start), use(params.requests_end)
    if not start <= inputs.on <= end:
        reasons.append(
            f"Les demandes de convention Loc'Avantages sont enregistrées du {_long_date(start)} au "
            f"{_long_date(end)} : pas de convention possible le {_long_date(inputs.on)}."
        )
    minimum = use(params.dpe_min_class)
    if DPE_CLASSES.index(inputs.dpe_class) > DPE_CLASSES.index(minimum):
        reasons.append(
            f"Loc'Avantages demande un logement classé au moins {minimum} au DPE ; le vôtre est classé "
            f"{inputs.dpe_class}."
        )
    return reasons


def _local_premiums(ctx: _Context, level: Level, mode: Mode) -> tuple[PremiumLine, ...]:
    """The territory's premiums an eligible option qualifies for, counted over the commitment."""
    years = ctx.params.commitment_years.value
    lines = []
    for rule in ctx.premiums:
        verdict = _premium_applies(rule, level, mode, ctx.inputs)
        if verdict == "unknown_vacancy":
            message = (
                f"La prime « {rule.name} » demande un logement vide depuis au moins "
                f"{rule.min_vacancy_months} mois : indiquez depuis combien de mois le logement est vide "
                "pour qu'elle soit comptée."
            )
            if rule.name not in ctx.vacancy_asked:
                ctx.vacancy_asked.add(rule.name)
                ctx.notices.append(Notice("premium_needs_vacancy", message))
        elif verdict == "yes":
            paid = 1 if rule.period == "one_off" else min(rule.max_years or years, years)
            lines.append(PremiumLine(rule.name, rule.amount, rule.period, paid, rule.amount * paid, rule.source))
    return tuple(lines)


def _premium_applies(rule: LocalPremiumRule, level: Level, mode: Mode, inputs: SimulationInput) -> str:
    if rule.levels is None:
        if level is Level.NONE:
            return "no"
    elif level.value not in rule.levels:
        return "no"
    # A bail-glissant-only premium is not promised to a sublease: it needs "sublease" itself.
    if rule.modes is not None and mode.value not in rule.modes:
        return "no"
    surface = inputs.surface_habitable_m2
    if rule.min_surface_m2 is not None and surface < rule.min_surface_m2:
        return "no"
    if rule.max_surface_m2 is not None and surface > rule.max_surface_m2:
        return "no"
    if rule.min_vacancy_months:
        if inputs.vacant_months is None:
            return "unknown_vacancy"
        if inputs.vacant_months < rule.min_vacancy_months:
            return "no"
    return "yes"


# --- Notices and recommendation -------------------------------------------------------------------------


def _dpe_notices(ctx: _Context, notices: list[Notice]) -> None:
    banned = _ban(ctx)
    years = ctx.params.commitment_years.value
    end = locavantages.add_years(ctx.inputs.on, years)
    if banned is not None and locavantages.banned_during(banned.value, ctx.inputs.on, years):
        ctx.use(banned)
        notices.append(
            Notice(
                "dpe_future_ban",
                f"Logement classé {ctx.inputs.dpe_class} : il ne pourra plus être loué sous un bail "
                f"nouveau ou renouvelé à partir du {_long_date(banned.value)} (calendrier de décence "
                f"énergétique), avant la fin de l'engagement de {years} ans ({_long_date(end)}). Prévoyez "
                "des travaux de rénovation énergétique ; l'Anah et MaPrimeRénov' peuvent les financer.",
            )
        )


def _tax_notices(ctx: _Context, options: Sequence[Option], notices: list[Notice]) -> None:
    with_rate = [o for o in options if o.eligible and o.tax_reduction_rate]
    if not with_rate:
        return
    if ctx.assumptions.marginal_tax_rate == 0:
        notices.append(
            Notice(
                "non_taxable",
                "Foyer non imposable : la réduction d'impôt Loc'Avantages ne vous rapporterait rien "
                "(elle n'est pas remboursable) ; elle est comptée à 0 €.",
            )
        )
        return
    cap = ctx.params.niches_cap.value
    capped = [o.label for o in with_rate if o.tax_reduction_yearly == cap]
    if capped:
        notices.append(
            Notice(
                "niches_cap",
                f"Réduction d'impôt limitée au plafond global des avantages fiscaux ({_euros(cap)} par "
                "an) pour : " + ", ".join(capped) + ".",
            )
        )
    notices.append(
        Notice(
            "tax_reduction_limits",
            "La réduction d'impôt ne peut pas dépasser l'impôt dû par votre foyer et entre, avec vos autres "
            f"avantages fiscaux, dans le plafond global de {_euros(cap)} par an. Loc'Avantages impose de "
            "déclarer les loyers au régime réel ; les montants sont calculés ainsi, sans déficit foncier.",
        )
    )


def _operator_notices(ctx: _Context, options: Sequence[Option], notices: list[Notice]) -> None:
    for mode in (Mode.MANDATE, Mode.SUBLEASE):
        if not any(o.eligible and o.mode is mode for o in options):
            continue
        operator = ctx.operators.get(mode)
        if operator is None:
            text = f"Aucun opérateur de Passerelle ne couvre encore cette commune en {MODE_LABELS[mode]}"
            if mode is Mode.MANDATE:
                text += f" : frais de gestion supposés de {_pct(ctx.params.default_fee_rate.value)}"
            notices.append(Notice("no_operator", text + "."))
        elif mode is Mode.MANDATE and operator.management_fee_rate is None:
            notices.append(
                Notice(
                    "operator_fee_unknown",
                    f"{operator.name} n'a pas encore indiqué ses frais de gestion : "
                    f"{_pct(ctx.params.default_fee_rate.value)} supposés.",
                )
            )


def _ceiling_notices(ctx: _Context, options: Sequence[Option], notices: list[Notice]) -> None:
    missing = []
    for level in CONVENTIONED:
        ceiling = ctx.ceilings.get(level)
        if (ceiling is not None and ceiling.amount is not None) or not any(
            o.eligible and o.level is level for o in options
        ):
            continue
        text = f"{LEVEL_LABELS[level]}, grille {ctx.use(ctx.params.income_grid[level])}"
        if ceiling and ceiling.latest_known_amount is not None:
            known = _euros(ceiling.latest_known_amount)
            text += f" (pour information, {ceiling.latest_known_year} : {known})"
        missing.append(text)
    if missing:
        notices.append(
            Notice(
                "income_ceiling_unknown",
                f"Plafond de ressources des locataires {ctx.inputs.on.year} (personne seule) inconnu pour : "
                + " ; ".join(missing)
                + ". L'opérateur le vérifiera avant de vous proposer un ménage.",
            )
        )


def _recommend(
    options: Sequence[Option], params: SimulatorParameters, use: _Reader, years: int
) -> tuple[str | None, str]:
    """The eligible option with the highest net over the commitment, and why, in French."""
    eligible = [o for o in options if o.eligible and o.net_income_over_commitment is not None]
    if not eligible:
        # The reasons every option shares (décence, convention window…) say it best; else all of them.
        common = [r for r in options[0].reasons if all(r in option.reasons for option in options)]
        reasons = common or list(dict.fromkeys(r for option in options for r in option.reasons))
        return None, "Aucune option n'est possible pour ce logement. " + " ".join(reasons)
    # Ties go to the mandate, then to the sublease: national policy favours them (domain.md §2).
    preference = {Mode.MANDATE: 0, Mode.SUBLEASE: 1, Mode.DIRECT: 2}
    best = max(eligible, key=lambda o: (o.net_income_over_commitment, -preference[o.mode]))
    best_total = _net(best)
    text = (
        f"« {best.label} » est l'option qui vous rapporte le plus sur les {years} ans de l'engagement : "
        f"{_euros(best_total)} nets, primes comprises (soit "
        f"{_euros(best.net_income_yearly or ZERO)} nets par an hors primes)."
    )
    market = next((o for o in eligible if o.level is Level.NONE), None)
    if market is not None and market is not best:
        text += f" C'est {_euros(best_total - _net(market))} de plus que la location au prix du marché."
    if best.mode is Mode.SUBLEASE:
        text += (
            " L'association vous paie le loyer chaque mois, même si le logement est vide ou le loyer "
            "impayé, et vous le rend remis en état."
        )
    elif best.mode is Mode.MANDATE:
        text += " Vous restez le bailleur ; l'agence gère pour vous"
        text += " et les impayés sont couverts (Visale ou fonds de l'agence)." if best.guaranteed.unpaid_rent else "."
    elif best.level is Level.NONE:
        text += " Mais vous n'avez alors aucune garantie contre la vacance ni les impayés."
    if best.mode is not Mode.MANDATE:
        mandates = [o for o in eligible if o.mode is Mode.MANDATE]
        if mandates:
            mandate = max(mandates, key=_net)
            margin = use(params.mandate_margin)
            gap = best_total - _net(mandate)
            if best_total > 0 and gap <= best_total * margin:
                text += (
                    f" « {mandate.label} » rapporte presque autant ({_euros(_net(mandate))}, "
                    f"{_pct(gap / best_total, places=1)} de moins) : vous restez le bailleur et une agence "
                    "gère pour vous. C'est la formule que la politique du Logement d'abord cherche à "
                    "développer"
                )
                if params.mandate_share_target is not None:
                    text += (
                        f" (objectif national : {_pct(use(params.mandate_share_target))} des nouvelles "
                        "places d'intermédiation locative en mandat de gestion)"
                    )
                text += "."
    return best.key, text


def _net(option: Option) -> Decimal:
    return option.net_income_over_commitment or ZERO


# --- French formatting (kept here so the rules stay free of Flask and Babel) --------------------------------

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _long_date(value: date) -> str:
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS_FR[value.month - 1]} {value.year}"


def _group(digits: str) -> str:
    parts: list[str] = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return "\u202f".join(parts)


def _euros(amount: Decimal, *, cents: bool = False) -> str:
    """``28 258 €`` (or ``1 234,56 €``), as fr-FR writes amounts."""
    sign = "−" if amount < 0 else ""
    value = abs(amount).quantize(CENT if cents else Decimal(1), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{value:f}".partition(".")
    return f"{sign}{_group(whole)}{',' + fraction if fraction else ''}\u00a0€"


def _decimal(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    return text.replace(".", ",")


def _pct(rate: Decimal, *, places: int = 0) -> str:
    value = (rate * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{_decimal(value)}\u00a0%"
