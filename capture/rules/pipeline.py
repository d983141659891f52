"""Pure capture rules: routing, incident due dates, the landlord's unit timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from capture.models import CaptureStage, ConventionLevel, IMLMode

# Stages in the order a case normally goes through them (lost and paused are off the line).
PIPELINE = (
    CaptureStage.NEW,
    CaptureStage.CONTACTED,
    CaptureStage.VISIT_PLANNED,
    CaptureStage.VISITED,
    CaptureStage.PROPOSAL_SENT,
    CaptureStage.SIGNED,
)


@dataclass(frozen=True)
class Route:
    """One routing rule, as data: a territory's operator for a mode, in one commune or in all of them."""

    commune_insee: str | None
    mode: IMLMode
    operator_id: int


def pick_operator(routes: Sequence[Route], *, commune_insee: str, mode: IMLMode) -> int | None:
    """The operator serving a commune and mode: a commune-specific rule wins over a territory-wide one."""
    specific = [r for r in routes if r.mode == mode and r.commune_insee == commune_insee]
    if specific:
        return specific[0].operator_id
    general = [r for r in routes if r.mode == mode and r.commune_insee is None]
    return general[0].operator_id if general else None


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days (Monday–Friday) after ``start``; public holidays are not skipped."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


@dataclass(frozen=True)
class TimelineStep:
    label: str
    done: bool
    current: bool
    on: date | None = None


LANDLORD_TIMELINE = (
    ("Déclaration reçue", CaptureStage.NEW),
    ("Premier contact", CaptureStage.CONTACTED),
    ("Visite planifiée", CaptureStage.VISIT_PLANNED),
    ("Logement visité", CaptureStage.VISITED),
    ("Proposition à signer", CaptureStage.PROPOSAL_SENT),
    ("Logement confié (accord signé)", CaptureStage.SIGNED),
)


def landlord_timeline(stage: CaptureStage | None, reached: dict[CaptureStage, date]) -> list[TimelineStep]:
    """The steps a landlord sees for their unit, marking those reached and the current one."""
    if stage is None:
        return [TimelineStep(label, False, False) for label, _ in LANDLORD_TIMELINE]
    position = PIPELINE.index(stage) if stage in PIPELINE else _last_reached(reached)
    steps = []
    for index, (label, step_stage) in enumerate(LANDLORD_TIMELINE):
        steps.append(
            TimelineStep(
                label=label,
                done=index <= position,
                current=index == position and stage in PIPELINE,
                on=reached.get(step_stage),
            )
        )
    return steps


def _last_reached(reached: dict[CaptureStage, date]) -> int:
    indices = [PIPELINE.index(stage) for stage in reached if stage in PIPELINE]
    return max(indices) if indices else 0


OPTION_MODES = {"mandate": IMLMode.MANDATE, "sublease": IMLMode.SUBLEASE}


def prefill_from_simulation(inputs: dict[str, object], option: str | None) -> dict[str, object]:
    """Declaration fields taken from a simulation's inputs and the option chosen (e.g. ``loc2_mandate``)."""
    fields: dict[str, object] = {}
    if inputs.get("commune_insee"):
        fields["commune_insee"] = str(inputs["commune_insee"])
    for source, target in (
        ("surface_habitable_m2", "surface_m2"),
        ("annexes_m2", "annexes_m2"),
        ("asked_rent_monthly", "asked_rent"),
        ("charges_monthly", "charges"),
    ):
        value = inputs.get(source)
        if value not in (None, ""):
            fields[target] = Decimal(str(value))
    if inputs.get("dpe_class"):
        fields["dpe_class"] = str(inputs["dpe_class"]).upper()
    if option and "_" in option:
        level, _, mode = option.partition("_")
        if level in {"loc1", "loc2", "loc3"}:
            fields["desired_level"] = ConventionLevel(level)
        if mode in OPTION_MODES:
            fields["desired_mode"] = OPTION_MODES[mode]
    return fields


REQUIRED_FOR_SUBMISSION = (
    ("address", "l'adresse du logement"),
    ("postal_code", "le code postal"),
    ("commune_insee", "la commune"),
    ("surface_m2", "la surface habitable"),
    ("rooms", "le nombre de pièces"),
    ("heating", "le mode de chauffage"),
    ("dpe_class", "la classe énergie (DPE)"),
    ("furnished", "si le logement est meublé ou non"),
    ("available_from", "la date de disponibilité"),
    ("desired_mode", "la formule choisie"),
    ("desired_level", "le niveau de loyer (convention)"),
)


def missing_for_submission(unit: object, *, landlord_phone: str | None) -> list[str]:
    """What a declaration still lacks before it can be sent, in French (a submission is validated whole)."""
    missing = [f"Indiquez {label}." for field, label in REQUIRED_FOR_SUBMISSION if getattr(unit, field) is None]
    if not landlord_phone:
        missing.append("Indiquez un numéro de téléphone dans votre profil, pour que l'opérateur puisse vous appeler.")
    surface = getattr(unit, "surface_m2", None)
    if surface is not None and surface < Decimal("9"):
        missing.append("Un logement de moins de 9 m² n'est pas décent (décret 2002-120) : il ne peut pas être loué.")
    return missing


def declaration_warnings(unit: object) -> list[str]:
    """Points the landlord should know before sending, without blocking the submission."""
    warnings = []
    if getattr(unit, "furnished", None) is True:
        warnings.append(
            "Les conventions Loc'Avantages portent sur des logements loués vides : l'opérateur verra avec "
            "vous si le logement peut être loué non meublé."
        )
    return warnings


# --- the capture state machine ----------------------------------------------------------------------------

LOST_REASONS = {
    "rent_level": "Refuse le niveau de loyer",
    "prefers_to_sell": "Préfère vendre",
    "works_too_costly": "Travaux trop coûteux",
    "not_decent": "Logement non décent",
    "no_answer": "Sans réponse",
    "other": "Autre",
}

OPEN_STAGES = frozenset(PIPELINE[:-1])  # every stage a case can still move from (paused is apart)

# Moves along the pipeline: forward (a call can plan the visit at once) or one step back (a visit cancelled).
# « Accord signé » is reached only by signing an agreement; lost and paused are possible from any open stage.
FORWARD = {
    CaptureStage.NEW: {CaptureStage.CONTACTED, CaptureStage.VISIT_PLANNED},
    CaptureStage.CONTACTED: {CaptureStage.VISIT_PLANNED},
    CaptureStage.VISIT_PLANNED: {CaptureStage.VISITED, CaptureStage.CONTACTED},
    CaptureStage.VISITED: {CaptureStage.PROPOSAL_SENT, CaptureStage.VISIT_PLANNED},
    CaptureStage.PROPOSAL_SENT: {CaptureStage.SIGNED, CaptureStage.VISITED},
}


class InvalidTransition(ValueError):
    """A stage change the capture process does not allow, with a French explanation."""


@dataclass(frozen=True)
class CaseState:
    stage: CaptureStage
    stage_before_pause: CaptureStage | None = None
    paused_until: date | None = None
    lost_reason: str | None = None


def allowed_moves(state: CaseState) -> set[CaptureStage]:
    """Every stage the case may go to next."""
    if state.stage is CaptureStage.PAUSED:
        return {state.stage_before_pause or CaptureStage.NEW, CaptureStage.LOST}
    if state.stage in OPEN_STAGES:
        return FORWARD[state.stage] | {CaptureStage.LOST, CaptureStage.PAUSED}
    return set()


def advance(
    state: CaseState,
    to: CaptureStage,
    *,
    today: date,
    lost_reason: str | None = None,
    paused_until: date | None = None,
) -> CaseState:
    """Return the state after moving to ``to``, or raise InvalidTransition saying why not."""
    if state.stage in (CaptureStage.SIGNED, CaptureStage.LOST):
        raise InvalidTransition(f"Le dossier est clos ({state.stage.label.lower()}) : il ne change plus d'étape.")
    if to not in allowed_moves(state):
        raise InvalidTransition(
            f"Passage impossible de « {state.stage.label} » à « {to.label} »."
            + (" Un accord se signe depuis l'étape « Proposition envoyée »." if to is CaptureStage.SIGNED else "")
        )
    if to is CaptureStage.LOST:
        if lost_reason not in LOST_REASONS:
            raise InvalidTransition("Indiquez pourquoi le dossier est perdu.")
        return CaseState(stage=to, lost_reason=lost_reason)
    if to is CaptureStage.PAUSED:
        if paused_until is None or paused_until <= today:
            raise InvalidTransition("Indiquez jusqu'à quand le dossier est en pause (une date future).")
        return CaseState(stage=to, stage_before_pause=state.stage, paused_until=paused_until)
    return CaseState(stage=to)
