"""The shape of a household referral, whatever it came from (form, CSV line, API), and its checks.

Pure: no Flask, no database. ``check_household`` returns French messages, each naming the field, so the form,
the CSV import (with line numbers) and the API (422 with the list) explain the same problems the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from agency_backoffice.models.enums import Need, PriorityFlag, ResourceKind, Sex, Situation, SupportIntensity

MAX_MEMBERS = 15
MAX_MONTHLY_AMOUNT = Decimal("100000")
OLDEST_BIRTH_YEAR = 1900
ADULT_MIN_AGE = 16  # an adult member younger than this is a typing error (emancipated minors exist from 16)
CHILD_MAX_AGE = 25  # dependent children: up to 25 for housing benefit purposes


@dataclass(frozen=True)
class MemberInput:
    adult: bool
    birth_year: int
    birth_month: int | None = None
    sex: Sex | None = None


@dataclass(frozen=True)
class PlaceInput:
    """A place that matters to the household: work, school, care, family."""

    kind: str
    label: str
    commune: str  # INSEE code


PLACE_KINDS = {"work": "Travail", "school": "École", "care": "Soins", "family": "Famille", "other": "Autre"}


@dataclass(frozen=True)
class HouseholdInput:
    siao_reference: str
    referred_on: date
    situation: Situation
    members: tuple[MemberInput, ...]
    couple: bool = False
    resources: tuple[tuple[ResourceKind, Decimal], ...] = ()
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    situation_since: date | None = None
    priority_flags: frozenset[PriorityFlag] = frozenset()
    needs: frozenset[Need] = frozenset()
    prefers_low_floor: bool = False
    wished_communes: tuple[str, ...] = ()
    places: tuple[PlaceInput, ...] = ()
    tax_income: Decimal | None = None
    tax_income_year: int | None = None
    disability_card: bool = False
    needed_by: date | None = None
    diagnostic_conclusion: str | None = None
    support_kind: str | None = None
    support_intensity: SupportIntensity = SupportIntensity.NONE
    referent_name: str | None = None
    referent_organisation: str | None = None
    referent_email: str | None = None
    referent_phone: str | None = None
    consent_on: date | None = None
    consent_scope: str | None = None
    related_landlord_ids: tuple[int, ...] = field(default=())


def check_household(data: HouseholdInput, *, today: date, known_communes: set[str] | None = None) -> list[str]:
    """Every problem of a referral, in French; an empty list means it can be saved."""
    problems: list[str] = []
    reference = data.siao_reference.strip()
    if not reference:
        problems.append("Référence SIAO : obligatoire.")
    elif len(reference) > 40:
        problems.append("Référence SIAO : 40 caractères au plus.")
    if data.referred_on > today:
        problems.append("Date d'orientation : elle ne peut pas être dans le futur.")
    if data.situation_since is not None and data.situation_since > today:
        problems.append("Situation actuelle depuis : la date ne peut pas être dans le futur.")
    problems.extend(_check_members(data, today))
    for kind, amount in data.resources:
        if amount < 0 or amount > MAX_MONTHLY_AMOUNT:
            problems.append(f"Ressources ({kind.label}) : montant mensuel entre 0 et 100 000 €.")
    if len({kind for kind, _ in data.resources}) != len(data.resources):
        problems.append("Ressources : chaque type de ressource une seule fois (additionnez les montants).")
    if data.tax_income is not None and data.tax_income < 0:
        problems.append("Revenu fiscal de référence : il ne peut pas être négatif.")
    if data.tax_income_year is not None and not (today.year - 5 <= data.tax_income_year <= today.year):
        problems.append(f"Année du revenu fiscal : entre {today.year - 5} et {today.year}.")
    if data.consent_on is not None and data.consent_on > today:
        problems.append("Date du consentement : elle ne peut pas être dans le futur.")
    if data.support_intensity is not SupportIntensity.NONE and data.consent_on is None:
        problems.append(
            "Accompagnement : l'accompagnement repose sur l'adhésion libre du ménage ; "
            "indiquez la date de son consentement."
        )
    if known_communes is not None:
        unknown = [
            code for code in (*data.wished_communes, *(p.commune for p in data.places)) if code not in known_communes
        ]
        if unknown:
            problems.append(f"Communes : code(s) INSEE inconnu(s) : {', '.join(sorted(set(unknown)))}.")
    for place in data.places:
        if place.kind not in PLACE_KINDS:
            problems.append(f"Lieux importants : type « {place.kind} » inconnu.")
    return problems


def _check_members(data: HouseholdInput, today: date) -> list[str]:
    problems = []
    adults = [member for member in data.members if member.adult]
    if not adults:
        problems.append("Composition : au moins un adulte.")
    if len(data.members) > MAX_MEMBERS:
        problems.append(f"Composition : {MAX_MEMBERS} personnes au plus.")
    if data.couple and len(adults) < 2:
        problems.append("Composition : un couple compte au moins deux adultes.")
    for number, member in enumerate(data.members, start=1):
        label = f"Personne {number}"
        if not OLDEST_BIRTH_YEAR <= member.birth_year <= today.year:
            problems.append(f"{label} : année de naissance entre {OLDEST_BIRTH_YEAR} et {today.year}.")
            continue
        if member.birth_month is not None and not 1 <= member.birth_month <= 12:
            problems.append(f"{label} : mois de naissance entre 1 et 12.")
        age = today.year - member.birth_year
        if member.adult and age < ADULT_MIN_AGE:
            problems.append(f"{label} : un adulte a au moins {ADULT_MIN_AGE} ans.")
        if not member.adult:
            if age > CHILD_MAX_AGE:
                problems.append(f"{label} : un enfant à charge a au plus {CHILD_MAX_AGE} ans.")
            if member.sex is None:
                problems.append(f"{label} : le sexe de l'enfant est nécessaire pour la norme d'occupation.")
    return problems
