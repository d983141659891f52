"""Work out what each option brings the owner: rent, fees, tax, guarantees and premiums (domain.md §2, §4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from capture.rules import locavantages
from landlord_portal.rules.facts import CommuneFacts, IncomeCeiling, LocalPremiumRule, Operator, SimulationInput
from landlord_portal.rules.french import euros, number, pct
from landlord_portal.rules.levels import LEVEL_LABELS, MODE_LABELS, MONTHS_PER_YEAR, ZERO, Level, Mode, money
from landlord_portal.rules.parameters import MissingValue, SimulatorParameters, Sourced
from landlord_portal.rules.results import Assumptions, Guarantee, Notice, Option, PremiumLine

T = TypeVar("T")


class Reader:
    """Reads parameter values and remembers which ones the result depended on."""

    def __init__(self) -> None:
        self.used: dict[str, Sourced[Any]] = {}

    def __call__(self, sourced: Sourced[T]) -> T:
        self.used[sourced.key] = sourced
        return sourced.value

    def record(self, *sourced: Sourced[Any]) -> None:
        for item in sourced:
            self.used[item.key] = item


def market_reference(
    inputs: SimulationInput,
    params: SimulatorParameters,
    commune: CommuneFacts,
    use: Reader,
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
            f"{number(money(commune.rent_map_m2))} €/m² charges comprises, soit {number(market)} €/m² "
            f"hors charges après déduction de {pct(deduction)} de charges. Les plafonds de loyer sont des "
            "estimations tant que le tableau officiel des plafonds par commune n'est pas importé.",
        )
    )
    if not params.charges_deduction_rate.verified:
        notices.append(
            Notice(
                "charges_deduction_unverified",
                f"La part des charges retirée du loyer de la carte des loyers ({pct(deduction)}) n'est pas "
                "sourcée : le loyer hors charges et les plafonds sont probablement surestimés.",
            )
        )
    source = f"{commune.rent_map_label}, charges comprises, moins {pct(deduction)} de charges"
    if commune.rent_map_source:
        source += f" — {commune.rent_map_source}"
    return market, source, True


def owner_assumptions(inputs: SimulationInput, params: SimulatorParameters, use: Reader) -> Assumptions:
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
class Context:
    """What one simulation knows, shared by the option, eligibility and notice rules."""

    inputs: SimulationInput
    params: SimulatorParameters
    commune: CommuneFacts
    use: Reader
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
                f"{MANDATE_INTRO} Loyer charges comprises ({euros(total, cents=True)}) au-dessus du plafond "
                f"Visale ({euros(cap)}) : impayés couverts seulement si le fonds de garantie de l'agence le "
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


def _local_premiums(ctx: Context, level: Level, mode: Mode) -> tuple[PremiumLine, ...]:
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
