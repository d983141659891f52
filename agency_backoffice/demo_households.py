"""Demo households: believable SIAO referrals drawn at random, and where each one stands today.

Everything is invented: names are drawn from short lists of common first and last names, phone numbers from the
range ARCEP keeps for fiction (06 39 98 xx xx), e-mails end in ``.test``. Compositions follow the sans-domicile
population (many single adults, many single mothers, fewer couples and large families, a few older people).
Amounts are demo figures of the right order for 2026 (RSA about 650 € for one person, AAH about 1,030 €), not
rules: the rules read their figures from the reference data, never from here.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from agency_backoffice.household_input import HouseholdInput, MemberInput, PlaceInput
from agency_backoffice.models import (
    HouseholdStatus,
    Need,
    PriorityFlag,
    ResourceKind,
    Sex,
    Situation,
    SupportIntensity,
)
from capture.demo_activity import LAST_NAMES, PARIS

CENT = Decimal("0.01")

WOMEN = (
    "Marie", "Nathalie", "Sandrine", "Céline", "Aurélie", "Fatima", "Aïcha", "Laetitia", "Jessica", "Mélanie",
    "Émilie", "Samira", "Nadia", "Sabrina", "Vanessa", "Amandine", "Julie", "Océane", "Fatou", "Mariama",
    "Élodie", "Christelle", "Karima", "Leïla", "Manon", "Sarah", "Inès", "Yasmina", "Brigitte", "Sylvie",
)  # fmt: skip
MEN = (
    "Kevin", "Mickaël", "Jérôme", "Sébastien", "David", "Mohamed", "Karim", "Rachid", "Thomas", "Nicolas",
    "Anthony", "Dylan", "Jordan", "Mamadou", "Ibrahim", "Youssef", "Franck", "Pascal", "Patrick", "Christophe",
    "Ludovic", "Grégory", "Cédric", "Stéphane", "Bruno", "Alain", "Mehdi", "Florian", "Jonathan", "Moussa",
)  # fmt: skip
# kind -> weight: single adults dominate the homeless population; single mothers are most of the families.
COMPOSITIONS = {
    "single_man": 33, "single_woman": 13, "single_mother": 22, "single_father": 3, "couple": 7,
    "couple_children": 12, "large_family": 4, "older_single": 6,
}  # fmt: skip
SITUATIONS_SINGLE = {
    Situation.EMERGENCY_SHELTER: 26, Situation.CHRS: 18, Situation.STREET: 14, Situation.HOSTED: 14,
    Situation.INSTITUTION: 8, Situation.SQUAT: 6, Situation.HOTEL: 4, Situation.UNFIT_HOUSING: 6, Situation.OTHER: 2,
}  # fmt: skip
SITUATIONS_FAMILY = {
    Situation.HOTEL: 26, Situation.EMERGENCY_SHELTER: 24, Situation.CHRS: 16, Situation.HOSTED: 18,
    Situation.UNFIT_HOUSING: 10, Situation.STREET: 3, Situation.SQUAT: 2, Situation.OTHER: 1,
}  # fmt: skip
# Demo monthly amounts (orders of magnitude, not rules).
RSA_ONE_PERSON = Decimal("646.52")
AAH_FULL = Decimal("1033.32")
ASF_PER_CHILD = Decimal("199.19")  # allocation de soutien familial, single parents
SUPPORT_KINDS = {"Accompagnement IML": 45, "ASLL": 25, "AVDL": 20, None: 10}
INTENSITIES = {SupportIntensity.LIGHT: 30, SupportIntensity.MEDIUM: 50, SupportIntensity.INTENSIVE: 20}
CONCLUSIONS = (
    "Ménage autonome au quotidien ; un appui est utile pour l'ouverture des droits et l'installation.",
    "Budget tenu avec rigueur ; l'accompagnement porte sur l'accès au logement et l'appropriation du lieu de vie.",
    "Dettes anciennes en cours de traitement ; un accompagnement budgétaire est souhaité par le ménage.",
    "Première expérience de locataire : accompagnement sur les droits et devoirs du locataire.",
    "Démarches administratives à reprendre (CAF, impôts) ; le ménage souhaite un accompagnement régulier.",
    "Situation professionnelle stable ; un accompagnement léger suffit jusqu'à l'entrée dans les lieux.",
    "Long parcours d'hébergement ; accompagnement renforcé pour préparer l'installation et le lien au quartier.",
)
REFERENT_ORGANISATIONS = (
    "CCAS d'Arras", "SIAO du Pas-de-Calais", "Maison du Département Solidarité de l'Arrageois",
    "CHRS Les Tilleuls (démonstration)", "Accueil de jour Le Phare (démonstration)", "Mission locale de l'Arrageois",
)  # fmt: skip
CONSENT_SCOPE = "Partage avec l'opérateur et le référent des informations utiles au relogement et à l'accompagnement."
PLACES = {
    "school": "École des enfants",
    "work": "Lieu de travail",
    "care": "Lieu de soins régulier",
    "family": "Famille proche",
}
PARK_REASONS = (
    "Le ménage a demandé une pause : formation qualifiante hors de l'arrondissement.",
    "Hospitalisation en cours : reprise des propositions à la sortie.",
    "Attente de l'ouverture des droits CAF avant toute proposition.",
)
CLOSE_REASONS = (
    "Relogé dans le parc social.",
    "Ménage parti hors du département.",
    "Ménage injoignable depuis plus de trois mois.",
    "Orientation vers une pension de famille.",
    "Fin de la prise en charge à la demande du ménage.",
)


@dataclass(frozen=True)
class Pool:
    """What households are drawn from: the territory's communes (Arras weighs most) and today."""

    communes: list[str]
    weights: list[int]
    today: date


@dataclass(frozen=True)
class Fate:
    """Where a referral stands today: waiting (maybe parked), housed, or closed."""

    status: HouseholdStatus
    parked_until: date | None = None
    parked_reason: str | None = None
    closed_on: date | None = None
    closed_reason: str | None = None


def moment(day: date, hour: int = 10) -> datetime:
    """A working-hours moment in Arras on that day, as stored (UTC)."""
    return datetime.combine(day, time(hour), PARIS).astimezone(UTC)


def pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def fictional_person(rng: random.Random, sex: Sex, domain: str) -> tuple[str, str, str]:
    """A name, a ``.test`` e-mail and a phone number in the ARCEP fiction range."""
    first, last = rng.choice(WOMEN if sex is Sex.FEMALE else MEN), rng.choice(LAST_NAMES)
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode().lower()
    phone = f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
    return f"{first} {last}", f"{ascii_name}{rng.randint(1, 99)}@{domain}", phone


def draw_household(rng: random.Random, pool: Pool, reference: str, referred_on: date) -> HouseholdInput:
    """One referral as the SIAO would send it: composition, resources, situation, wishes and support."""
    kind = pick(rng, COMPOSITIONS)
    year = referred_on.year
    woman_first = kind in ("single_woman", "single_mother") or (
        kind in ("older_single", "couple", "couple_children", "large_family") and rng.random() < 0.45
    )
    low, mode, high = {"older_single": (60, 66, 79), "single_mother": (19, 31, 46)}.get(kind, (18, 34, 62))
    age = int(rng.triangular(low, high, mode))
    adults = [MemberInput(adult=True, birth_year=year - age)]
    couple = kind in ("couple", "couple_children", "large_family")
    if couple:
        adults.append(MemberInput(adult=True, birth_year=year - max(18, age + rng.randint(-6, 6))))
    children = tuple(
        MemberInput(
            adult=False,
            birth_year=year - rng.randint(0, min(17, max(0, age - 18))),
            birth_month=rng.randint(1, 12),
            sex=rng.choice((Sex.FEMALE, Sex.MALE)),
        )
        for _ in range(_children_count(rng, kind))
    )
    resources, taxable, disability = _resources(rng, kind, len(adults), len(children))
    family = bool(children)
    situation = pick(rng, SITUATIONS_FAMILY if family else SITUATIONS_SINGLE)
    flags = _flags(rng, kind, age, situation, family)
    if flags & {PriorityFlag.CHILD_WELFARE_LEAVER, PriorityFlag.PRISON_LEAVER, PriorityFlag.HOSPITAL_LEAVER}:
        situation = Situation.INSTITUTION
    needs: set[Need] = set()
    if rng.random() < (0.4 if kind == "older_single" else 0.15 if disability else 0.04):
        needs.add(Need.GROUND_FLOOR_OR_LIFT)
    if rng.random() < (0.15 if kind == "older_single" or disability else 0.02):
        needs.add(Need.STEP_FREE)
    if rng.random() < (0.15 if situation is Situation.STREET else 0.06):
        needs.add(Need.PETS)
    wished = _wished(rng, pool)
    chances = (("school", 0.7) if family else ("care", 0.15), ("work", 0.5 if ResourceKind.WAGES in taxable else 0.0))
    places = tuple(
        PlaceInput(kind=place, label=PLACES[place], commune=rng.choices(pool.communes, weights=pool.weights)[0])
        for place, chance in (*chances, ("family", 0.15))
        if rng.random() < chance
    )
    support = pick(rng, SUPPORT_KINDS)
    intensity = pick(rng, INTENSITIES) if support else SupportIntensity.NONE
    consent = min(pool.today, referred_on + timedelta(days=rng.randint(0, 20))) if support else None
    name, email, phone = fictional_person(rng, Sex.FEMALE if woman_first else Sex.MALE, "menages.demo.passerelle.test")
    referent, referent_email, referent_phone = fictional_person(
        rng, rng.choice((Sex.FEMALE, Sex.FEMALE, Sex.MALE)), "referents.demo.passerelle.test"
    )
    return HouseholdInput(
        siao_reference=reference,
        referred_on=referred_on,
        situation=situation,
        members=(*adults, *children),
        couple=couple,
        resources=resources,
        contact_name=name,
        contact_phone=phone,
        contact_email=email if rng.random() < 0.4 else None,
        situation_since=referred_on - timedelta(days=rng.randint(15, 900 if situation is Situation.STREET else 500)),
        priority_flags=frozenset(flags),
        needs=frozenset(needs),
        prefers_low_floor=family and rng.random() < 0.15,
        wished_communes=wished,
        places=places,
        tax_income=_tax_income(rng, taxable) if rng.random() < 0.88 else None,
        tax_income_year=max(referred_on.year - 2, pool.today.year - 5),
        disability_card=disability,
        needed_by=referred_on + timedelta(days=rng.randint(60, 300)) if rng.random() < 0.2 else None,
        diagnostic_conclusion=rng.choice(CONCLUSIONS) if support else None,
        support_kind=support,
        support_intensity=intensity,
        referent_name=referent if support else None,
        referent_organisation=rng.choice(REFERENT_ORGANISATIONS) if support else None,
        referent_email=referent_email if support and rng.random() < 0.7 else None,
        referent_phone=referent_phone if support else None,
        consent_on=consent,
        consent_scope=CONSENT_SCOPE if support else None,
    )


def _children_count(rng: random.Random, kind: str) -> int:
    if kind == "single_mother":
        return int(pick(rng, {1: 45, 2: 35, 3: 20}))
    if kind == "single_father":
        return rng.randint(1, 2)
    if kind == "couple_children":
        return rng.randint(1, 3)
    return rng.randint(4, 6) if kind == "large_family" else 0


def _resources(
    rng: random.Random, kind: str, adults: int, children: int
) -> tuple[tuple[tuple[ResourceKind, Decimal], ...], dict[ResourceKind, Decimal], bool]:
    """Monthly resources by type, the taxable part, and whether an adult holds a disability card (AAH)."""
    amounts: dict[ResourceKind, Decimal] = {}

    def add(kind_: ResourceKind, amount: Decimal) -> None:
        amounts[kind_] = (amounts.get(kind_, Decimal(0)) + amount).quantize(CENT)

    rsa = disability = False
    for _ in range(adults):
        if kind == "older_single":
            add(ResourceKind.PENSION, Decimal(rng.randint(780, 1250)) + Decimal(rng.randint(0, 99)) / 100)
            continue
        source = pick(rng, {"rsa": 42, "wages": 20, "unemployment": 13, "aah": 9, "none": 10, "other": 6})
        if source == "rsa":
            rsa = True
        elif source == "wages":
            add(ResourceKind.WAGES, Decimal(rng.randint(450, 1450)))
            add(ResourceKind.ACTIVITY_BONUS, Decimal(rng.randint(80, 250)))
        elif source == "unemployment":
            add(ResourceKind.UNEMPLOYMENT, Decimal(rng.randint(700, 1350)))
        elif source == "aah":
            disability = True
            add(ResourceKind.AAH, AAH_FULL)
        elif source == "other":  # e.g. allocation of the contrat d'engagement jeune, sick pay
            add(ResourceKind.OTHER, Decimal(rng.randint(300, 560)))
    persons = adults + children
    if rsa:  # differential: a household scale, less 62 % of earned income (order of magnitude)
        extra = Decimal("1.8") + (persons - 3) * Decimal("0.4")
        scale = {1: Decimal("1"), 2: Decimal("1.5")}.get(persons, extra)
        earned = amounts.get(ResourceKind.WAGES, Decimal(0)) + amounts.get(ResourceKind.UNEMPLOYMENT, Decimal(0))
        due = RSA_ONE_PERSON * scale - earned * Decimal("0.62")
        if due > 50:
            add(ResourceKind.RSA, due)
    if children:
        family = Decimal(0) if children < 2 else Decimal(151 + 194 * (children - 2))  # allocations familiales
        if kind in ("single_mother", "single_father"):
            family += ASF_PER_CHILD * children
            if rng.random() < 0.12:
                add(ResourceKind.ALIMONY, Decimal(rng.randint(100, 250)))
        if family:
            add(ResourceKind.FAMILY_BENEFITS, family)
    taxable_kinds = (ResourceKind.WAGES, ResourceKind.UNEMPLOYMENT, ResourceKind.PENSION, ResourceKind.ALIMONY)
    taxable = {k: v for k, v in amounts.items() if k in taxable_kinds}
    return tuple(amounts.items()), taxable, disability


def _tax_income(rng: random.Random, taxable: dict[ResourceKind, Decimal]) -> Decimal:
    """Revenu fiscal de référence N-2: the taxable part over a year, less the 10 % deduction, as it was then."""
    monthly = sum(taxable.values(), Decimal(0))
    then = Decimal(str(round(rng.uniform(0.6, 1.3), 2)))  # two years earlier the situation differed
    return (monthly * 12 * Decimal("0.9") * then).quantize(Decimal("1"))


def _flags(rng: random.Random, kind: str, age: int, situation: Situation, family: bool) -> set[PriorityFlag]:
    flags = set()
    sheltered = situation in (Situation.HOTEL, Situation.EMERGENCY_SHELTER, Situation.STREET, Situation.SQUAT)
    if family and sheltered and rng.random() < 0.5:
        flags.add(PriorityFlag.CHILDREN_IN_SHELTER)
    if kind in ("single_mother", "single_woman") and rng.random() < 0.18:
        flags.add(PriorityFlag.DOMESTIC_VIOLENCE)
    if age <= 21 and rng.random() < 0.6:
        flags.add(PriorityFlag.CHILD_WELFARE_LEAVER)
    elif kind == "single_man" and rng.random() < 0.05:
        flags.add(PriorityFlag.PRISON_LEAVER)
    elif rng.random() < 0.02:
        flags.add(PriorityFlag.HOSPITAL_LEAVER)
    if rng.random() < 0.07:
        flags.add(PriorityFlag.DALO)
    return flags


def _wished(rng: random.Random, pool: Pool) -> tuple[str, ...]:
    if rng.random() < 0.12:
        return ()  # anywhere in the territory
    count = pick(rng, {1: 45, 2: 35, 3: 20})
    return tuple(dict.fromkeys(rng.choices(pool.communes, weights=pool.weights, k=count)))


def draw_fate(rng: random.Random, referred_on: date, today: date) -> Fate:
    """Older referrals are more often housed or closed, yet most wait (the queue is long); a few are parked."""
    age = (today - referred_on).days
    housed = min(0.3, 0.2 * age / 365)
    closed = min(0.15, 0.04 + 0.04 * age / 365)
    draw = rng.random()
    if draw < housed:
        return Fate(HouseholdStatus.HOUSED)
    if draw < housed + closed and age > 60:
        closed_on = referred_on + timedelta(days=rng.randint(45, max(46, min(age - 1, 500))))
        return Fate(HouseholdStatus.CLOSED, closed_on=closed_on, closed_reason=rng.choice(CLOSE_REASONS))
    if rng.random() < 0.04:
        until = today + timedelta(days=rng.randint(20, 120))
        return Fate(HouseholdStatus.ACTIVE, parked_until=until, parked_reason=rng.choice(PARK_REASONS))
    return Fate(HouseholdStatus.ACTIVE)
