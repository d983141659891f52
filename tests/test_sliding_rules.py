"""Bail glissant rules without a database: what a review must record, when a slide is refused, the schedule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from agency_backoffice.models import DepositOutcome, GoalProgress, ReviewDecision
from agency_backoffice.rules import sliding as rules

STARTS_ON = date(2026, 1, 1)
TERM = date(2026, 12, 31)
TODAY = date(2026, 7, 10)

SLIDE = rules.ReviewValues(
    held_on=date(2026, 7, 2),
    rent_paid_regularly=True,
    insurance_ok=True,
    occupancy_ok=True,
    support_goals="Gérer le budget, ouvrir les droits à l'APL.",
    goals_progress=GoalProgress.MET,
    household_view="Nous voulons rester ici et signer avec la propriétaire.",
    decision=ReviewDecision.SLIDE,
    reasons="Loyer payé sans retard depuis six mois, budget tenu.",
    slide_on=date(2026, 8, 1),
)


def check(values: rules.ReviewValues) -> dict[str, str]:
    return rules.check_review(values, starts_on=STARTS_ON, term_last_day=TERM, today=TODAY)


def test_a_complete_slide_review_is_accepted():
    assert check(SLIDE) == {}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"rent_paid_regularly": False}, "le loyer n'est pas payé régulièrement"),
        ({"insurance_ok": False}, "l'assurance habitation n'est pas à jour"),
        ({"occupancy_ok": False}, "n'occupe pas le logement à titre de résidence principale"),
        ({"goals_progress": GoalProgress.NOT_MET}, "les objectifs de l'accompagnement ne sont pas atteints"),
        ({"goals_progress": None, "support_goals": None}, "n'est pas évaluée"),
    ],
)
def test_a_slide_is_refused_with_its_reason(change, reason):
    errors = check(replace(SLIDE, **change))
    assert errors["decision"].startswith("Le bail ne peut pas glisser : ")
    assert reason in errors["decision"]


def test_goals_partly_met_do_not_prevent_a_slide():
    assert check(replace(SLIDE, goals_progress=GoalProgress.PARTLY)) == {}


def test_every_obstacle_is_named_at_once():
    values = replace(SLIDE, rent_paid_regularly=False, insurance_ok=False)
    assert rules.slide_obstacles(values) == [
        "le loyer n'est pas payé régulièrement",
        "l'assurance habitation n'est pas à jour",
    ]


def test_the_same_facts_allow_renewing_or_ending():
    unpaid = replace(SLIDE, rent_paid_regularly=False, goals_progress=GoalProgress.NOT_MET, slide_on=None)
    assert check(replace(unpaid, decision=ReviewDecision.RENEW)) == {}
    assert check(replace(unpaid, decision=ReviewDecision.END, ends_on=TERM)) == {}


@pytest.mark.parametrize(
    ("held_on", "message"),
    [
        (None, "Indiquez la date de la revue."),
        (date(2026, 7, 11), "La revue ne peut pas être datée dans le futur"),
        (date(2025, 12, 31), "La revue ne peut pas précéder la prise d'effet de la sous-location (1er janvier 2026)"),
    ],
)
def test_the_review_date(held_on, message):
    assert check(replace(SLIDE, held_on=held_on))["held_on"].startswith(message)


def test_the_review_date_may_be_today_or_the_start():
    assert check(replace(SLIDE, held_on=TODAY)) == {}
    assert check(replace(SLIDE, held_on=STARTS_ON, slide_on=date(2026, 2, 1))) == {}


def test_the_household_is_heard_and_the_decision_reasoned():
    errors = check(replace(SLIDE, household_view="  ", reasons="", decision=None))
    assert errors["household_view"] == "Notez l'avis du ménage : il est entendu à chaque revue."
    assert errors["reasons"] == "Motivez la décision."
    assert errors["decision"].startswith("Choisissez une décision")


def test_each_check_must_be_answered():
    errors = check(replace(SLIDE, decision=ReviewDecision.RENEW, insurance_ok=None, occupancy_ok=None))
    assert set(errors) == {"insurance_ok", "occupancy_ok"}


def test_goals_stated_need_their_progress():
    errors = check(replace(SLIDE, decision=ReviewDecision.RENEW, goals_progress=None))
    assert errors == {"goals_progress": "Indiquez où en sont les objectifs de l'accompagnement."}


@pytest.mark.parametrize(
    ("slide_on", "message"),
    [
        (None, "Indiquez la date du glissement."),
        (date(2026, 7, 1), "Le glissement ne peut pas précéder la revue qui le décide."),
    ],
)
def test_the_slide_date(slide_on, message):
    assert check(replace(SLIDE, slide_on=slide_on)) == {"slide_on": message}


def test_the_slide_may_be_dated_on_the_review_day():
    assert check(replace(SLIDE, slide_on=SLIDE.held_on)) == {}


@pytest.mark.parametrize(
    ("ends_on", "message"),
    [
        (None, "Indiquez la date de fin de la sous-location."),
        (date(2026, 7, 1), "La fin de la sous-location ne peut pas précéder la revue qui la décide."),
        (date(2027, 1, 1), "La sous-location court jusqu'au 31 décembre 2026 : elle ne peut pas prendre fin plus tard"),
    ],
)
def test_the_end_date(ends_on, message):
    values = replace(SLIDE, decision=ReviewDecision.END, slide_on=None, ends_on=ends_on)
    assert check(values)["ends_on"].startswith(message)


def test_reviews_keep_their_rhythm_and_the_sublease_is_renewed_before_its_term():
    assert rules.next_review_on(date(2026, 7, 1), 6) == date(2027, 1, 1)
    assert rules.next_review_on(date(2026, 8, 31), 6) == date(2027, 2, 28)
    # A 12-month sub-lease from 1 January 2026 ends on 31 December: the review of 1 January 2027 comes after.
    assert rules.renewed_duration(STARTS_ON, 12, next_review=date(2027, 1, 1), sublease_months=12) == 24
    assert rules.renewed_duration(STARTS_ON, 12, next_review=date(2026, 12, 31), sublease_months=12) == 12
    assert rules.renewed_duration(STARTS_ON, 12, next_review=date(2028, 3, 1), sublease_months=12) == 36


def test_a_slide_needs_the_decision_and_its_date():
    assert (
        rules.slide_refusal(ReviewDecision.SLIDE, date(2026, 8, 1), on=date(2026, 8, 1), today=date(2026, 8, 1)) is None
    )
    assert (
        rules.slide_refusal(ReviewDecision.SLIDE, date(2026, 8, 1), on=date(2026, 8, 3), today=date(2026, 8, 5)) is None
    )
    assert "tenez d'abord la revue" in rules.slide_refusal(None, None, on=TODAY, today=TODAY)
    assert "tenez d'abord la revue" in rules.slide_refusal(ReviewDecision.RENEW, None, on=TODAY, today=TODAY)
    too_early = rules.slide_refusal(ReviewDecision.SLIDE, date(2026, 8, 1), on=date(2026, 8, 1), today=TODAY)
    assert too_early == ("Le glissement est prévu le 1er août 2026 : il ne peut pas être enregistré avant cette date.")
    before = rules.slide_refusal(ReviewDecision.SLIDE, date(2026, 8, 1), on=date(2026, 7, 31), today=date(2026, 8, 5))
    assert before == "La revue a décidé le glissement au 1er août 2026 : pas avant."


def test_the_deposit_at_the_slide():
    assert rules.slide_deposit(DepositOutcome.TRANSFERRED, D("420")) == D("420")
    assert rules.slide_deposit(DepositOutcome.RETURNED, D("420")) == D("420")
    assert rules.slide_deposit(DepositOutcome.NONE, D("420")) == D("0")
    assert rules.deposit_refusal(DepositOutcome.TRANSFERRED, D("0")) is not None
    assert rules.deposit_refusal(DepositOutcome.NONE, D("0")) is None
    assert rules.deposit_refusal(DepositOutcome.RETURNED, D("420")) is None
