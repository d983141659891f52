"""Pure capture rules: routing, incident due dates, the landlord's unit timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from capture.models import CaptureStage, IMLMode

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
