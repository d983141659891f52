"""Hard constraints between a household and a unit, each failure with its reason in French.

Mode compatibility, as staff apply it:
- a household under intensive support goes to a sous-location or a bail glissant, where the association stays
  the landlord while the support lasts — not to a management mandate (direct lease with the owner);
- a bail glissant needs a support in place that the household has agreed to: the slide depends on its goals;
- a plain sous-location or a mandate suits any other household.
Availability: the unit must be free by the household's date (``needed_by``, or today if that date has passed);
without a date, within the operator's horizon (``matching.availability_horizon_days``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from agency_backoffice.models.enums import Need, SupportIntensity
from agency_backoffice.rules.composition import (
    caf_min_surface,
    ceiling_category,
    room_need,
    rooms_text,
)
from agency_backoffice.rules.facts import CeilingGrid, HouseholdFacts, UnitFacts
from agency_backoffice.rules.parameters import MatchingParameters
from capture.models.enums import ConventionLevel, IMLMode
from passerelle.formatting import money, number, short_date

__all__ = [
    "CeilingGrid",
    "Failure",
    "HouseholdFacts",
    "Notice",
    "PairCheck",
    "UnitFacts",
    "assess_pair",
    "check_pair",
    "deadline",
    "floor_text",
    "is_parked",
]


@dataclass(frozen=True)
class Failure:
    """A hard constraint the pair does not meet: the unit cannot be proposed to the household."""

    code: str
    message: str


@dataclass(frozen=True)
class Notice:
    """Something staff must see before proposing, which does not block (unknown ceiling, pets…)."""

    code: str
    message: str


@dataclass(frozen=True)
class PairCheck:
    failures: tuple[Failure, ...]
    notices: tuple[Notice, ...]

    @property
    def eligible(self) -> bool:
        return not self.failures


def floor_text(floor: int) -> str:
    """« rez-de-chaussée », « 1er étage », « 3e étage »."""
    if floor == 0:
        return "rez-de-chaussée"
    if floor < 0:
        return "sous-sol"
    return f"{floor}{'er' if floor == 1 else 'e'} étage"


def m2(value: Decimal) -> str:
    return f"{number(value)} m²"


def deadline(household: HouseholdFacts, on: date, params: MatchingParameters) -> date:
    """Latest date the unit must be free by: the household's date (not before today), else the horizon."""
    if household.needed_by is not None:
        return max(household.needed_by, on)
    return on + timedelta(days=params.availability_horizon_days)


def is_parked(household: HouseholdFacts, on: date) -> bool:
    return household.parked_until is not None and household.parked_until >= on


def _size(household: HouseholdFacts, unit: UnitFacts, params: MatchingParameters) -> list[Failure]:
    failures = []
    persons = household.persons
    if persons == 1 and unit.rooms == 1:
        if unit.surface_m2 < params.studio_single_min_m2:
            failures.append(
                Failure(
                    "rooms",
                    f"Studio de {m2(unit.surface_m2)} : une personne seule n'y est en norme de peuplement qu'à "
                    f"partir de {m2(params.studio_single_min_m2)} (sinon 2 pièces : un séjour et une chambre)",
                )
            )
    else:
        need = room_need(household.members, household.couple, params)
        if unit.rooms < need.total:
            failures.append(
                Failure(
                    "rooms",
                    f"{rooms_text(unit.rooms)} pour {rooms_text(need.total)} nécessaires ({need.explanation()})",
                )
            )
    minimum = caf_min_surface(persons, params)
    if unit.surface_m2 < minimum:
        failures.append(
            Failure(
                "surface",
                f"{m2(unit.surface_m2)} pour {persons} personne{'s' if persons > 1 else ''} : la CAF exige au moins "
                f"{m2(minimum)} pour verser l'aide au logement",
            )
        )
    return failures


def _income(
    household: HouseholdFacts, unit: UnitFacts, params: MatchingParameters
) -> tuple[list[Failure], list[Notice]]:
    if unit.level is ConventionLevel.NONE:
        return [], []
    label = unit.level.label
    if unit.ceiling is None:
        return [], [Notice("ceiling_unknown", f"Plafond de ressources {label} inconnu pour ce logement : à vérifier")]
    category = ceiling_category(household.members, household.couple, household.disability_card, params)
    amount = unit.ceiling.amount(category)
    where = unit.ceiling.describe(category)
    if amount is None:
        return [], [Notice("ceiling_unknown", f"Plafond inconnu ({where}) : ressources à vérifier pour le {label}")]
    if household.tax_income is None:
        message = f"Revenu fiscal de référence non renseigné : plafond {label} de {money(amount)} ({where}) non vérifié"
        return [], [Notice("tax_income_missing", message)]
    if household.tax_income > amount:
        message = (
            f"Revenu fiscal de référence de {money(household.tax_income)} au-dessus du plafond {label} "
            f"de {money(amount)} ({where})"
        )
        return [Failure("income_ceiling", message)], []
    return [], []


def _accessibility(household: HouseholdFacts, unit: UnitFacts) -> list[Failure]:
    failures = []
    if Need.STEP_FREE in household.needs and unit.step_free is not True:
        if unit.step_free is None:
            message = "Accessibilité non renseignée pour ce logement : le ménage a besoin d'un accès de plain-pied"
        else:
            message = "Logement sans accès de plain-pied : le ménage a besoin d'un accès sans marche"
        failures.append(Failure("step_free", message))
    if Need.GROUND_FLOOR_OR_LIFT in household.needs and unit.floor != 0 and unit.has_lift is not True:
        need = "le ménage a besoin d'un rez-de-chaussée ou d'un ascenseur"
        if unit.floor is None:
            message = f"Étage non renseigné pour ce logement : {need}"
        elif unit.has_lift is None:
            message = f"Logement au {floor_text(unit.floor)}, ascenseur non renseigné : {need}"
        else:
            message = f"Logement au {floor_text(unit.floor)} sans ascenseur : {need}"
        failures.append(Failure("ground_floor_or_lift", message))
    return failures


def _mode(household: HouseholdFacts, unit: UnitFacts) -> list[Failure]:
    if unit.mode is IMLMode.MANDATE and household.support_intensity is SupportIntensity.INTENSIVE:
        message = (
            "Accompagnement renforcé : un mandat de gestion (bail direct avec le propriétaire) ne convient pas, "
            "il faut une sous-location ou un bail glissant"
        )
        return [Failure("mode", message)]
    if unit.mode is IMLMode.BAIL_GLISSANT and not household.support_in_place:
        why = (
            "aucun accompagnement en place"
            if household.support_intensity is SupportIntensity.NONE
            else "accompagnement non accepté par le ménage"
        )
        message = f"Bail glissant : le glissement suppose un accompagnement accepté par le ménage ({why})"
        return [Failure("mode", message)]
    return []


def _timing(household: HouseholdFacts, unit: UnitFacts, on: date, params: MatchingParameters) -> list[Failure]:
    failures = []
    latest = deadline(household, on, params)
    if unit.available_on > latest:
        if household.needed_by is not None:
            limit = f"la date du ménage ({short_date(latest)})"
        else:
            limit = f"l'horizon de {params.availability_horizon_days} jours ({short_date(latest)})"
        failures.append(
            Failure("availability", f"Logement disponible le {short_date(unit.available_on)}, après {limit}")
        )
    if is_parked(household, on):
        assert household.parked_until is not None
        failures.append(Failure("parked", f"Ménage mis en attente jusqu'au {short_date(household.parked_until)}"))
    return failures


def assess_pair(household: HouseholdFacts, unit: UnitFacts, on: date, params: MatchingParameters) -> PairCheck:
    """Every failed constraint and every notice for proposing this unit to this household on a date."""
    failures = _size(household, unit, params)
    income_failures, notices = _income(household, unit, params)
    failures += income_failures
    failures += _accessibility(household, unit)
    failures += _mode(household, unit)
    failures += _timing(household, unit, on, params)
    if unit.landlord_id in household.related_landlord_ids:
        message = (
            "Lien déclaré avec le propriétaire : le locataire ne peut être ni le propriétaire, ni un membre de son "
            "foyer fiscal, ni un ascendant ou descendant"
        )
        failures.append(Failure("related_landlord", message))
    if Need.PETS in household.needs:
        # Loi n° 70-598 du 9 juillet 1970, art. 10: a clause forbidding an ordinary pet is void — never a failure.
        message = (
            "Animal de compagnie : à signaler au propriétaire ; une clause l'interdisant serait réputée non écrite "
            "(loi n° 70-598 du 9 juillet 1970, art. 10)"
        )
        notices.append(Notice("pets", message))
    return PairCheck(tuple(failures), tuple(notices))


def check_pair(household: HouseholdFacts, unit: UnitFacts, on: date, params: MatchingParameters) -> list[Failure]:
    """The hard constraints the pair fails (empty: the unit may be proposed)."""
    return list(assess_pair(household, unit, on, params).failures)
