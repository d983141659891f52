"""The score of a household for a unit: a weighted sum of terms, each worth 0 to 1 and explained in French.

Terms and default weights (points out of 100, operator settings ``matching.weight.*``):
- effort_rate (30): (rent + charges − housing benefit) / monthly resources; 1 at or below the comfortable rate
  (20 %), falling linearly to 0 at the operator's threshold (30 %), 0 above. Sustaining the rent is the first
  condition of a lasting tenancy, hence the largest weight.
- reste_a_vivre (15): what is left per consumption unit, against the operator's reference (1 at or above it);
  it corrects the effort rate for large households.
- priority (20): priority flags (DALO counts fully, each other flag half, capped at 1).
- waiting (10): months since the SIAO referral, 1 from the saturation (12 months).
- commune (10): 1 in a wished commune, 0.5 in the commune of a place that matters (work, school, care), 0.5
  (neutral) when the household wished nothing, else 0.
- size_fit (10): exact size 1, one room over 0.5, two or more over (under-occupation) 0.
- floor (5): only for households preferring a low floor: ground or first floor or a lift 1, then 0.25 less per
  floor climbed; unknown floor 0.5. Households without that preference get 1 (the term does not separate them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from agency_backoffice.models.enums import PriorityFlag
from agency_backoffice.rules.composition import consumption_units, room_need, rooms_text
from agency_backoffice.rules.constraints import floor_text
from agency_backoffice.rules.facts import HouseholdFacts, UnitFacts
from agency_backoffice.rules.parameters import MatchingParameters
from passerelle.formatting import money, number, percent

LABELS = {
    "effort_rate": "Taux d'effort net",
    "reste_a_vivre": "Reste à vivre par unité de consommation",
    "priority": "Priorité",
    "waiting": "Ancienneté de l'orientation",
    "commune": "Commune souhaitée",
    "size_fit": "Taille du logement",
    "floor": "Étage",
}


@dataclass(frozen=True)
class ScoreTerm:
    key: str
    label: str
    value: float  # 0..1
    weight: int
    contribution: float  # weight × value, in points
    explanation: str


@dataclass(frozen=True)
class Score:
    total: float
    terms: tuple[ScoreTerm, ...]


def net_cost(unit: UnitFacts, benefit: Decimal | None) -> Decimal:
    """Monthly rent and charges left to the household after housing benefit (never below zero)."""
    return max(unit.cost - (benefit or Decimal(0)), Decimal(0))


def _cost_text(unit: UnitFacts, benefit: Decimal | None, net: Decimal) -> str:
    aid = f"aide au logement {money(benefit)}" if benefit is not None else "aide au logement non estimée, comptée 0 €"
    return f"loyer {money(unit.rent)} + charges {money(unit.charges)} − {aid} = {money(net)} par mois"


def effort_term(
    household: HouseholdFacts, unit: UnitFacts, benefit: Decimal | None, params: MatchingParameters
) -> tuple[float, str]:
    net = net_cost(unit, benefit)
    cost = _cost_text(unit, benefit, net)
    resources = household.monthly_resources
    if resources <= 0:
        if net == 0:
            return 1.0, f"Aucune ressource, mais rien à payer ({cost})"
        return 0.0, f"Aucune ressource déclarée : taux d'effort incalculable ({cost})"
    rate = net / resources
    low, high = params.effort_comfortable, params.effort_threshold
    shown = f"Taux d'effort net de {percent(rate, 1)} ({cost}, pour {money(resources)} de ressources)"
    if rate <= low:
        return 1.0, f"{shown} : sous le taux confortable de {percent(low)}"
    if rate > high:
        return 0.0, f"{shown} : au-dessus du seuil de {percent(high)}"
    if rate == high:
        return 0.0, f"{shown} : au seuil de {percent(high)}"
    value = float((high - rate) / (high - low))
    return value, f"{shown} : entre le taux confortable de {percent(low)} et le seuil de {percent(high)}"


def reste_a_vivre_term(
    household: HouseholdFacts, unit: UnitFacts, benefit: Decimal | None, params: MatchingParameters
) -> tuple[float, str]:
    left = household.monthly_resources - net_cost(unit, benefit)
    units = consumption_units(household.members, params)
    per_unit = left / units
    value = min(max(float(per_unit / params.reste_a_vivre_reference), 0.0), 1.0)
    text = (
        f"Reste à vivre de {money(left)} par mois pour {number(units)} UC, soit {money(per_unit)} par UC "
        f"(référence {money(params.reste_a_vivre_reference)})"
    )
    if benefit is None:
        text += " ; aide au logement non estimée"
    return value, text


def priority_value(household: HouseholdFacts, params: MatchingParameters) -> float:
    total = sum(
        params.priority_dalo_value if flag is PriorityFlag.DALO else params.priority_flag_value
        for flag in household.priority_flags
    )
    return min(float(total), 1.0)


def priority_term(household: HouseholdFacts, params: MatchingParameters) -> tuple[float, str]:
    if not household.priority_flags:
        return 0.0, "Aucun critère de priorité"
    flags = sorted(household.priority_flags, key=list(PriorityFlag).index)
    return priority_value(household, params), "Critères de priorité : " + ", ".join(f.label for f in flags)


def months_waiting(referred_on: date, on: date) -> int:
    """Whole months from the referral to the date (0 if the referral is later)."""
    months = (on.year - referred_on.year) * 12 + on.month - referred_on.month - (on.day < referred_on.day)
    return max(months, 0)


def waiting_term(household: HouseholdFacts, on: date, params: MatchingParameters) -> tuple[float, str]:
    months = months_waiting(household.referred_on, on)
    value = min(months / params.waiting_saturation_months, 1.0)
    return value, f"Orienté il y a {months} mois (maximum à {params.waiting_saturation_months} mois)"


def commune_term(household: HouseholdFacts, unit: UnitFacts, params: MatchingParameters) -> tuple[float, str]:
    name = unit.commune_name
    if unit.commune_insee in household.wished_communes:
        return 1.0, f"{name} : commune souhaitée"
    if unit.commune_insee in household.place_communes:
        return float(params.commune_place_value), f"{name} : commune d'un lieu important pour le ménage"
    if not household.wished_communes:
        return float(params.commune_no_wish_value), "Aucune commune souhaitée exprimée (valeur neutre)"
    return 0.0, f"{name} ne fait pas partie des communes souhaitées"


def rooms_over(household: HouseholdFacts, unit: UnitFacts, params: MatchingParameters) -> int:
    """Rooms above the norm; a studio a single person may live in counts as the right size."""
    if household.persons == 1 and unit.rooms == 1 and unit.surface_m2 >= params.studio_single_min_m2:
        return 0
    return unit.rooms - room_need(household.members, household.couple, params).total


def size_term(household: HouseholdFacts, unit: UnitFacts, params: MatchingParameters) -> tuple[float, str]:
    over = rooms_over(household, unit, params)
    needed = unit.rooms - over
    shown = f"{rooms_text(unit.rooms)} pour {rooms_text(needed)} nécessaire{'s' if needed > 1 else ''}"
    if over < 0:
        return 0.0, f"Logement trop petit : {shown}"
    if over == 0:
        return 1.0, f"Taille adaptée : {shown}"
    if over == 1:
        return float(params.size_one_over_value), f"Une pièce de plus que la norme : {shown}"
    return 0.0, f"Sous-occupation : {shown}"


def floor_value(floor: int | None, has_lift: bool | None, params: MatchingParameters) -> float:
    """Value for a household preferring a low floor."""
    if has_lift is True or (floor is not None and floor <= 1):
        return 1.0
    if floor is None:
        return float(params.floor_unknown_value)
    return max(0.0, 1.0 - float(params.floor_value_lost_per_floor) * (floor - 1))


def floor_term(household: HouseholdFacts, unit: UnitFacts, params: MatchingParameters) -> tuple[float, str]:
    if not household.prefers_low_floor:
        return 1.0, "Pas de préférence d'étage"
    value = floor_value(unit.floor, unit.has_lift, params)
    if unit.has_lift is True:
        return value, "Immeuble avec ascenseur"
    if unit.floor is None:
        return value, "Étage non renseigné"
    lift = " sans ascenseur" if unit.floor > 1 else ""
    return value, f"Logement au {floor_text(unit.floor)}{lift}"


def score_pair(
    household: HouseholdFacts, unit: UnitFacts, benefit: Decimal | None, on: date, params: MatchingParameters
) -> Score:
    """Score a household for a unit (``benefit``: monthly housing benefit estimate, None if not estimated)."""
    values = {
        "effort_rate": effort_term(household, unit, benefit, params),
        "reste_a_vivre": reste_a_vivre_term(household, unit, benefit, params),
        "priority": priority_term(household, params),
        "waiting": waiting_term(household, on, params),
        "commune": commune_term(household, unit, params),
        "size_fit": size_term(household, unit, params),
        "floor": floor_term(household, unit, params),
    }
    weights = params.weights
    terms = tuple(
        ScoreTerm(key, LABELS[key], value, weights[key], weights[key] * value, text)
        for key, (value, text) in values.items()
    )
    return Score(sum(term.contribution for term in terms), terms)
