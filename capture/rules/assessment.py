"""The field visit's décence check (décret 2002-120) and its outcome, with French reasons (pure rules).

Staff answer each checklist item yes / no / unknown; the main room and the energy class are judged from the
measures and the DPE. A failure that works can fix (everything but the main room's size) makes the unit
« éligible après travaux » when a work is listed against it; without one, or with a main room too small, the
unit is « non éligible ». Thresholds and ban dates are parameters handed in by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from capture.models import AssessmentOutcome
from capture.rules.locavantages import add_years, banned_during, dpe_ban_date, is_banned
from contracts.typography import date_in_words, money
from contracts.typography import number as french_number


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str  # what the visitor checks, as a statement that is true of a decent unit
    group: str
    reference: str
    fixable: bool = True  # can works bring it to standard?


SAFETY, EQUIPMENT, SIZE, ENERGY = (
    "Sécurité et santé",
    "Équipements",
    "Pièce principale",
    "Performance énergétique",
)

# Answered on site (yes / no / unknown), in the order a visit goes through the unit.
CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "gros_oeuvre",
        "Gros œuvre, toiture et menuiseries extérieures assurent le clos et le couvert, sans infiltration d'eau",
        SAFETY,
        "décret 2002-120, art. 2, 1°",
    ),
    ChecklistItem(
        "garde_corps",
        "Garde-corps des fenêtres, escaliers, loggias et balcons en bon état",
        SAFETY,
        "décret 2002-120, art. 2, 2°",
    ),
    ChecklistItem(
        "materiaux",
        "Matériaux, canalisations et revêtements sans risque manifeste pour la santé (plomb, amiante)",
        SAFETY,
        "décret 2002-120, art. 2, 3°",
    ),
    ChecklistItem(
        "electricite",
        "Installation électrique sûre, éclairant toutes les pièces et permettant les appareils ménagers courants",
        SAFETY,
        "décret 2002-120, art. 2, 4° et art. 3, 6°",
    ),
    ChecklistItem(
        "gaz",
        "Installation de gaz conforme et en bon état (ou pas de gaz dans le logement)",
        SAFETY,
        "décret 2002-120, art. 2, 4°",
    ),
    ChecklistItem(
        "chauffage",
        "Chauffage normal de toutes les pièces, avec alimentation en énergie et évacuation des fumées",
        EQUIPMENT,
        "décret 2002-120, art. 3, 1°",
    ),
    ChecklistItem(
        "eau_potable",
        "Eau potable à l'intérieur du logement, avec une pression et un débit suffisants",
        EQUIPMENT,
        "décret 2002-120, art. 3, 2°",
    ),
    ChecklistItem(
        "evacuation",
        "Évacuation des eaux usées avec siphons, sans refoulement d'odeurs",
        EQUIPMENT,
        "décret 2002-120, art. 3, 3°",
    ),
    ChecklistItem(
        "cuisine",
        "Cuisine ou coin cuisine pouvant recevoir un appareil de cuisson, évier avec eau chaude et froide",
        EQUIPMENT,
        "décret 2002-120, art. 3, 4°",
    ),
    ChecklistItem(
        "wc",
        "WC intérieur, séparé de la cuisine et de la pièce des repas",
        EQUIPMENT,
        "décret 2002-120, art. 3, 5°",
    ),
    ChecklistItem(
        "toilette",
        "Douche ou baignoire avec eau chaude et froide, à l'abri des regards",
        EQUIPMENT,
        "décret 2002-120, art. 3, 5°",
    ),
    ChecklistItem(
        "aeration",
        "Aération suffisante : ouvertures et ventilation renouvelant l'air de chaque pièce",
        SAFETY,
        "décret 2002-120, art. 2, 5°",
    ),
    ChecklistItem(
        "eclairement",
        "Éclairement naturel suffisant des pièces principales, avec une fenêtre donnant à l'air libre",
        SAFETY,
        "décret 2002-120, art. 2, 6°",
    ),
    ChecklistItem(
        "nuisibles",
        "Aucune infestation d'espèces nuisibles ou de parasites (rongeurs, punaises de lit, cafards…)",
        SAFETY,
        "loi 89-462, art. 6 ; décret 2002-120, art. 2",
    ),
)
# Judged from the measures and the DPE, not answered.
MAIN_ROOM = ChecklistItem(
    "piece_principale",
    "Pièce principale assez grande : surface et hauteur sous plafond, ou volume, aux minimums du décret",
    SIZE,
    "décret 2002-120, art. 4",
    fixable=False,
)
ENERGY_ITEM = ChecklistItem(
    "energie",
    "Performance énergétique décente : classe DPE non interdite à la location",
    ENERGY,
    "décret 2002-120, art. 3 bis ; loi Climat et résilience (calendrier de décence énergétique)",
)
ITEMS = {item.key: item for item in (*CHECKLIST, MAIN_ROOM, ENERGY_ITEM)}
WORKABLE_ITEMS = tuple(item for item in ITEMS.values() if item.fixable)  # works may be listed against these


@dataclass(frozen=True)
class Thresholds:
    """Décence figures at the visit date (parameters ``decence.*``)."""

    min_room_m2: Decimal
    min_height_m: Decimal
    min_volume_m3: Decimal
    energy_max_kwh_m2: int | None = None


@dataclass(frozen=True)
class Work:
    description: str
    cost: Decimal | None = None
    item: str | None = None  # the checklist item it brings to standard, if any


@dataclass(frozen=True)
class VisitFindings:
    answers: Mapping[str, bool | None]  # checklist key -> True (conforme), False (non conforme), None (à vérifier)
    main_room_m2: Decimal | None = None
    ceiling_height_m: Decimal | None = None
    dpe_class: str | None = None
    dpe_energy_kwh_m2: int | None = None
    works: Sequence[Work] = ()


@dataclass(frozen=True)
class Assessment:
    outcome: AssessmentOutcome
    reasons: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()  # keys of the items not up to standard
    works_cost: Decimal = Decimal("0")
    works_cost_known: bool = True
    ban_on: date | None = None
    banned_in_commitment: bool = False


@dataclass
class _Verdicts:
    failures: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)  # item key -> sentence explaining the failure


def assess(
    findings: VisitFindings,
    *,
    on: date,
    thresholds: Thresholds,
    bans: Mapping[str, date],
    commitment_years: int,
    commitment_start: date | None = None,
) -> Assessment:
    """The outcome of a visit and its reasons, in French."""
    verdicts = _Verdicts()
    for item in CHECKLIST:
        answer = findings.answers.get(item.key)
        if answer is False:
            verdicts.failures.append(item.key)
        elif answer is None:
            verdicts.unknown.append(item.key)
    _judge_main_room(findings, thresholds, verdicts)
    ban = dpe_ban_date(findings.dpe_class, bans)
    _judge_energy(findings, thresholds, ban, on, verdicts)

    covered = {work.item for work in findings.works if work.item}
    blocking = [key for key in verdicts.failures if not ITEMS[key].fixable or key not in covered]
    reasons: list[str] = []
    if blocking:
        outcome = AssessmentOutcome.NOT_ELIGIBLE
        for key in blocking:
            reasons.append(_blocking_reason(key, verdicts))
    elif verdicts.failures:
        outcome = AssessmentOutcome.ELIGIBLE_AFTER_WORKS
        for key in verdicts.failures:
            listed = "; ".join(_work_text(work) for work in findings.works if work.item == key)
            reasons.append(f"{_short(key)} : {verdicts.details.get(key, 'non conforme')} — travaux prévus : {listed}.")
    else:
        outcome = AssessmentOutcome.ELIGIBLE
        reasons.append("Tous les points de décence vérifiés sont conformes.")

    costs = [work.cost for work in findings.works if work.cost is not None]
    total = sum(costs, Decimal("0"))
    cost_known = len(costs) == len(findings.works)
    if findings.works and outcome is not AssessmentOutcome.NOT_ELIGIBLE:
        text = f"Coût estimé des travaux : {money(total)}"
        reasons.append(text + (" (certains postes restent à chiffrer)." if not cost_known else "."))

    warnings = [f"À vérifier : {_short(key)} ({ITEMS[key].reference})." for key in verdicts.unknown]
    start = commitment_start or on
    future_ban = ban is not None and not is_banned(ban, on) and banned_during(ban, start, commitment_years)
    if future_ban and ban is not None:
        end = add_years(start, commitment_years)
        warnings.append(
            f"Logement classé {findings.dpe_class} au DPE : il ne pourra plus être loué sous un bail nouveau ou "
            f"renouvelé à partir du {date_in_words(ban)}, pendant l'engagement de {commitment_years} ans (jusqu'au "
            f"{date_in_words(end)}). Prévoyez une rénovation énergétique ; l'Anah et MaPrimeRénov' peuvent la "
            "financer."
        )
    return Assessment(
        outcome=outcome,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        failures=tuple(verdicts.failures),
        works_cost=total,
        works_cost_known=cost_known,
        ban_on=ban,
        banned_in_commitment=future_ban or is_banned(ban, on),
    )


def _judge_main_room(findings: VisitFindings, thresholds: Thresholds, verdicts: _Verdicts) -> None:
    surface, height = findings.main_room_m2, findings.ceiling_height_m
    if surface is None or height is None:
        verdicts.unknown.append(MAIN_ROOM.key)
        return
    volume = surface * height
    if (surface >= thresholds.min_room_m2 and height >= thresholds.min_height_m) or volume >= thresholds.min_volume_m3:
        return
    verdicts.failures.append(MAIN_ROOM.key)
    verdicts.details[MAIN_ROOM.key] = (
        f"{french_number(surface)} m² sous {french_number(height)} m, soit {french_number(volume)} m³ ; il faut au "
        f"moins {french_number(thresholds.min_room_m2, 0)} m² sous {french_number(thresholds.min_height_m)} m, ou "
        f"{french_number(thresholds.min_volume_m3, 0)} m³"
    )


def _judge_energy(
    findings: VisitFindings, thresholds: Thresholds, ban: date | None, on: date, verdicts: _Verdicts
) -> None:
    if findings.dpe_class is None:
        verdicts.unknown.append(ENERGY_ITEM.key)
        return
    if is_banned(ban, on) and ban is not None:
        verdicts.failures.append(ENERGY_ITEM.key)
        verdicts.details[ENERGY_ITEM.key] = (
            f"classé {findings.dpe_class.upper()} au DPE, il n'est plus décent pour un bail nouveau ou renouvelé "
            f"depuis le {date_in_words(ban)}"
        )
        return
    limit = thresholds.energy_max_kwh_m2
    if limit is not None and findings.dpe_energy_kwh_m2 is not None and findings.dpe_energy_kwh_m2 > limit:
        verdicts.failures.append(ENERGY_ITEM.key)
        verdicts.details[ENERGY_ITEM.key] = (
            f"{findings.dpe_energy_kwh_m2} kWh/m²/an d'énergie finale, au-dessus du maximum de {limit} kWh/m²/an"
        )


def _short(key: str) -> str:
    return SHORT_LABELS[key]


SHORT_LABELS = {
    "gros_oeuvre": "Clos et couvert",
    "garde_corps": "Garde-corps",
    "materiaux": "Matériaux (plomb, amiante)",
    "electricite": "Installation électrique",
    "gaz": "Installation de gaz",
    "chauffage": "Chauffage",
    "eau_potable": "Eau potable",
    "evacuation": "Évacuation des eaux",
    "cuisine": "Cuisine",
    "wc": "WC",
    "toilette": "Douche ou baignoire",
    "aeration": "Aération",
    "eclairement": "Éclairement naturel",
    "nuisibles": "Nuisibles",
    "piece_principale": "Pièce principale",
    "energie": "Performance énergétique",
}


def _blocking_reason(key: str, verdicts: _Verdicts) -> str:
    item = ITEMS[key]
    detail = verdicts.details.get(key, "non conforme")
    if not item.fixable:
        return f"{_short(key)} : {detail} ({item.reference}). Des travaux ne peuvent pas y remédier."
    if key == ENERGY_ITEM.key:
        return f"{_short(key)} : {detail}, et aucune rénovation énergétique n'est prévue."
    return f"{_short(key)} : {detail} ({item.reference}), et aucuns travaux ne sont prévus pour y remédier."


def _work_text(work: Work) -> str:
    return work.description + (f" ({money(work.cost)})" if work.cost is not None else " (à chiffrer)")
