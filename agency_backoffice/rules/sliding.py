"""The bail glissant lifecycle (pure rules): a six-monthly review, its decision, and the slide it may lead to.

The household is heard at every review; the slide makes it the owner's direct tenant, so it is decided only
when the tenancy already runs as a direct one would: rent paid regularly, home insured, the unit lived in as a
main residence, and the support goals not left unmet. The messages are French and name what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from agency_backoffice.models.enums import DepositOutcome, GoalProgress, ReviewDecision
from agency_backoffice.rules.leases import last_day
from capture.rules.locavantages import add_months
from contracts.typography import date_in_words


@dataclass(frozen=True)
class ReviewValues:
    """What a review records; ``ends_on`` is the sub-lease's end when the decision is to end it."""

    held_on: date | None
    rent_paid_regularly: bool | None
    insurance_ok: bool | None
    occupancy_ok: bool | None
    support_goals: str | None
    goals_progress: GoalProgress | None
    household_view: str | None
    decision: ReviewDecision | None
    reasons: str | None
    slide_on: date | None = None
    ends_on: date | None = None


_CHECKS = {
    "rent_paid_regularly": "Indiquez si le loyer est payé régulièrement.",
    "insurance_ok": "Indiquez si l'assurance habitation est à jour.",
    "occupancy_ok": "Indiquez si le ménage occupe le logement à titre de résidence principale.",
}


def slide_obstacles(values: ReviewValues) -> list[str]:
    """Why the tenancy cannot slide to the household yet (empty when it can)."""
    obstacles = []
    if values.rent_paid_regularly is not True:
        obstacles.append("le loyer n'est pas payé régulièrement")
    if values.insurance_ok is not True:
        obstacles.append("l'assurance habitation n'est pas à jour")
    if values.occupancy_ok is not True:
        obstacles.append("le ménage n'occupe pas le logement à titre de résidence principale")
    if values.goals_progress is GoalProgress.NOT_MET:
        obstacles.append("les objectifs de l'accompagnement ne sont pas atteints")
    elif values.goals_progress is None:
        obstacles.append("l'atteinte des objectifs de l'accompagnement n'est pas évaluée")
    return obstacles


def check_review(values: ReviewValues, *, starts_on: date, term_last_day: date, today: date) -> dict[str, str]:
    """Problems with a review, by field, in French; empty when it can be recorded.

    ``starts_on`` is the sub-lease's start and ``term_last_day`` the last day of its current term.
    """
    errors: dict[str, str] = {}
    held_on = values.held_on
    if held_on is None:
        errors["held_on"] = "Indiquez la date de la revue."
    elif held_on > today:
        errors["held_on"] = "La revue ne peut pas être datée dans le futur : enregistrez-la une fois tenue."
    elif held_on < starts_on:
        errors["held_on"] = (
            f"La revue ne peut pas précéder la prise d'effet de la sous-location ({date_in_words(starts_on)})."
        )
    for field, message in _CHECKS.items():
        if getattr(values, field) is None:
            errors[field] = message
    if values.support_goals and values.support_goals.strip() and values.goals_progress is None:
        errors["goals_progress"] = "Indiquez où en sont les objectifs de l'accompagnement."
    if not (values.household_view or "").strip():
        errors["household_view"] = "Notez l'avis du ménage : il est entendu à chaque revue."
    if not (values.reasons or "").strip():
        errors["reasons"] = "Motivez la décision."
    decision = values.decision
    if decision is None:
        errors["decision"] = "Choisissez une décision : renouveler, faire glisser le bail ou y mettre fin."
    elif decision is ReviewDecision.SLIDE:
        obstacles = slide_obstacles(values)
        if obstacles:
            errors["decision"] = (
                f"Le bail ne peut pas glisser : {' ; '.join(obstacles)}. Renouvelez la sous-location ou mettez-y fin."
            )
        if values.slide_on is None:
            errors["slide_on"] = "Indiquez la date du glissement."
        elif held_on is not None and values.slide_on < held_on:
            errors["slide_on"] = "Le glissement ne peut pas précéder la revue qui le décide."
        elif values.slide_on <= starts_on:
            errors["slide_on"] = "Le glissement doit suivre la prise d'effet de la sous-location."
    elif decision is ReviewDecision.END:
        if values.ends_on is None:
            errors["ends_on"] = "Indiquez la date de fin de la sous-location."
        elif held_on is not None and values.ends_on < held_on:
            errors["ends_on"] = "La fin de la sous-location ne peut pas précéder la revue qui la décide."
        elif values.ends_on > term_last_day:
            errors["ends_on"] = (
                f"La sous-location court jusqu'au {date_in_words(term_last_day)} : elle ne peut pas prendre fin "
                "plus tard sans être renouvelée."
            )
    return errors


def next_review_on(due_on: date, review_months: int) -> date:
    """The review after one due on ``due_on`` (the schedule keeps its rhythm even when a review is late)."""
    return add_months(due_on, review_months)


def renewed_duration(starts_on: date, duration_months: int, *, next_review: date, sublease_months: int) -> int:
    """The sub-lease's duration, renewed by ``sublease_months`` as often as needed to run until the next review."""
    duration = duration_months
    while last_day(starts_on, duration) < next_review:
        duration += sublease_months
    return duration


def slide_refusal(decision: ReviewDecision | None, slide_on: date | None, *, on: date, today: date) -> str | None:
    """Why the lease cannot slide on ``on`` after the latest review (None when it can)."""
    if decision is not ReviewDecision.SLIDE or slide_on is None:
        return "Le glissement suppose une revue qui l'a décidé : tenez d'abord la revue du bail glissant."
    if on > today:
        return f"Le glissement est prévu le {date_in_words(on)} : il ne peut pas être enregistré avant cette date."
    if on < slide_on:
        return f"La revue a décidé le glissement au {date_in_words(slide_on)} : pas avant."
    return None


def slide_deposit(outcome: DepositOutcome, sublease_deposit: Decimal) -> Decimal:
    """The direct lease's deposit: the same amount, transferred or paid anew; none when the parties say so."""
    return Decimal("0") if outcome is DepositOutcome.NONE else sublease_deposit


def deposit_refusal(outcome: DepositOutcome, sublease_deposit: Decimal) -> str | None:
    """A deposit cannot be transferred or returned when the household paid none to the association."""
    if outcome is not DepositOutcome.NONE and sublease_deposit <= 0:
        return "Le ménage n'a pas versé de dépôt de garantie à l'association : choisissez « Aucun dépôt de garantie »."
    return None
