"""Incentives simulator: market letting against each Loc'Avantages level and mode (pure rules).

Every amount, rate and date arrives as data (``SimulatorParameters``, read from the versioned parameters by
``landlord_portal.simulation``); the formulas of domain.md §2–§7 live in the modules beside this one, by
concern, and ``simulate`` here runs them. Money is Decimal, rounded half-up to the cent wherever an amount is
shown; nothing here touches Flask or the database. Import the simulator's names from this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from landlord_portal.rules.eligibility import convention_reasons, indecency_reasons
from landlord_portal.rules.facts import CommuneFacts, IncomeCeiling, LocalPremiumRule, Operator, SimulationInput
from landlord_portal.rules.formulas import ban_date, cap_rules, fiscal_surface, rent_cap, surface_coefficient
from landlord_portal.rules.french import MONTHS_FR, euros
from landlord_portal.rules.incomes import (
    DIRECT_GUARANTEE,
    MANDATE_INTRO,
    SUBLEASE_GUARANTEE,
    Context,
    Reader,
    market_reference,
    owner_assumptions,
)
from landlord_portal.rules.levels import (
    CENT,
    CONVENTIONED,
    DPE_CLASSES,
    LEVEL_LABELS,
    MODE_LABELS,
    MONTHS_PER_YEAR,
    OPTION_KEYS,
    ZERO,
    Level,
    Mode,
    money,
)
from landlord_portal.rules.parameters import (
    BAN_KEYS,
    LEVEL_KEYS,
    OPTIONAL_KEYS,
    SCALAR_KEYS,
    MissingValue,
    SimulatorParameters,
    Sourced,
    parameter_keys,
)
from landlord_portal.rules.recommendation import (
    ceiling_notices,
    dpe_notices,
    operator_notices,
    recommend,
    tax_notices,
)
from landlord_portal.rules.results import (
    Assumptions,
    Guarantee,
    Notice,
    Option,
    PremiumLine,
    SimulationResult,
)


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
    use = Reader()
    operators = operators or {}
    ceilings = ceilings or {}
    notices: list[Notice] = []
    on = inputs.on
    years = use(params.commitment_years)
    surface = inputs.surface_habitable_m2

    market_m2, market_source, estimate = market_reference(inputs, params, commune, use, notices)
    fiscal = fiscal_surface(surface, inputs.annexes_m2, params)
    coefficient = surface_coefficient(fiscal, params)
    use.record(params.annex_share, params.annex_max_m2, params.coefficient_base)
    use.record(params.coefficient_numerator, params.coefficient_cap, params.coefficient_places)
    caps = {level: rent_cap(market_m2, use(params.discount[level]), fiscal, coefficient) for level in CONVENTIONED}

    assumptions = owner_assumptions(inputs, params, use)
    ctx = Context(inputs, params, commune, use, assumptions, market_m2, caps, operators, ceilings, premiums, notices)
    everywhere = indecency_reasons(ctx)
    conventioned = convention_reasons(ctx)
    options = tuple(
        ctx.option(key, level, mode, [*everywhere, *(conventioned if level is not Level.NONE else [])])
        for key, level, mode in OPTION_KEYS
    )

    dpe_notices(ctx, notices)
    tax_notices(ctx, options, notices)
    operator_notices(ctx, options, notices)
    ceiling_notices(ctx, options, notices)
    for option in options:
        if option.eligible and option.net_income_yearly is not None and option.net_income_yearly < 0:
            notices.append(
                Notice(
                    "negative_net",
                    f"« {option.label} » : la taxe foncière et l'assurance dépassent les loyers perçus après "
                    f"impôt ({euros(option.net_income_yearly)} par an).",
                )
            )
    recommended, explanation = recommend(options, params, use, years)
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


__all__ = [
    "BAN_KEYS",
    "CENT",
    "CONVENTIONED",
    "DIRECT_GUARANTEE",
    "DPE_CLASSES",
    "LEVEL_KEYS",
    "LEVEL_LABELS",
    "MANDATE_INTRO",
    "MODE_LABELS",
    "MONTHS_FR",
    "MONTHS_PER_YEAR",
    "OPTIONAL_KEYS",
    "OPTION_KEYS",
    "SCALAR_KEYS",
    "SUBLEASE_GUARANTEE",
    "ZERO",
    "Assumptions",
    "CommuneFacts",
    "Guarantee",
    "IncomeCeiling",
    "Level",
    "LocalPremiumRule",
    "MissingValue",
    "Mode",
    "Notice",
    "Operator",
    "Option",
    "PremiumLine",
    "SimulationInput",
    "SimulationResult",
    "SimulatorParameters",
    "Sourced",
    "ban_date",
    "cap_rules",
    "fiscal_surface",
    "money",
    "parameter_keys",
    "rent_cap",
    "simulate",
    "surface_coefficient",
]
