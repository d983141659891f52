"""Indicator rules on small fixed examples; every expected value is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from capture.models import CaptureStage
from capture.rules import indicators as rules
from capture.rules.indicators import Capture

S = CaptureStage


def capture(on: date, **fields: object) -> Capture:
    values: dict[str, object] = {
        "captured_on": on,
        "opened_on": on - timedelta(days=30),
        "operator_id": 1,
        "mode": "mandate",
        "level": "loc2",
        "commune_insee": "62041",
        "source": "portal",
    }
    values.update(fields)
    return Capture(**values)  # type: ignore[arg-type]


def test_counts_months_and_cumulative() -> None:
    captures = [
        capture(date(2025, 1, 15), operator_id=1),
        capture(date(2025, 1, 31), operator_id=2),
        capture(date(2025, 3, 1), operator_id=1),
        capture(date(2024, 12, 31), operator_id=1),  # another year: not in the months of 2025
    ]
    assert rules.count_by(captures, lambda c: c.operator_id) == {1: 3, 2: 1}
    months = rules.monthly_counts((c.captured_on for c in captures), 2025)
    assert months == [2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert rules.cumulative(months) == [2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]


def test_target_pace_shares_and_costs() -> None:
    assert rules.target_by_month(120) == [Decimal(10 * month) for month in range(1, 13)]
    assert rules.target_by_month(None) is None
    assert rules.share(1, 4) == Decimal("0.25")
    assert rules.share(3, 0) is None
    # 4,200 € / 7 units = 600 €; 1,850 € / 3 = 616.666… → 616.67 €; nothing captured: no cost per unit.
    assert rules.cost_per_capture(Decimal("4200.00"), 7) == Decimal("600.00")
    assert rules.cost_per_capture(Decimal("1850.00"), 3) == Decimal("616.67")
    assert rules.cost_per_capture(Decimal("2400.00"), 0) is None


def test_median_and_mean() -> None:
    assert rules.median([7, 1, 3]) == 3
    assert rules.median([4, 1, 3, 10]) == 3.5  # (3 + 4) / 2
    assert rules.median([]) is None
    assert rules.mean([1, 2, 4]) == 2.3  # 7 / 3 = 2.333… → 2.3
    assert rules.mean([]) is None


def days(*dates: date | None) -> tuple[float | None, ...]:
    return tuple(None if d is None else rules.day_number(d) for d in dates)


def test_funnel_counts_reached_stages_conversions_and_median_delays() -> None:
    d0 = date(2025, 3, 3)

    def on(offset: int) -> date:
        return d0 + timedelta(days=offset)

    cases = [
        # new, contacted, visit planned, visited, proposal sent, signed
        days(on(0), on(2), on(5), on(10), on(20), on(30)),  # A: signed
        days(on(0), on(4), on(8), None, None, None),  # B: stopped at « visite planifiée »
        days(on(0), None, on(3), on(7), None, None),  # C: the visit fixed at the first call, then visited
        days(on(0), None, None, None, None, None),  # D: still new
        days(on(0), on(6), None, None, None, None),  # E: contacted
    ]
    steps = rules.funnel(cases)
    assert [s.stage for s in steps] == list(rules.PIPELINE)
    # Reached a stage = reached it or a later one: C counts as contacted although it skipped that stage.
    assert [s.reached for s in steps] == [5, 4, 3, 2, 1, 1]
    assert [s.conversion_to_next for s in steps] == [
        Decimal(4) / 5,
        Decimal(3) / 4,
        Decimal(2) / 3,
        Decimal(1) / 2,
        Decimal(1),
        None,
    ]
    # new → contacted: A 2, B 4, E 6 → 4; contacted → visit: A 3, B 4 → 3.5; visit → visited: A 5, C 4 → 4.5;
    # visited → proposal: A 10; proposal → signed: A 10.
    assert [s.median_days_to_next for s in steps] == [4, 3.5, 4.5, 10, 10, None]


def test_funnel_ignores_a_stage_reached_again_out_of_order() -> None:
    # Visit planned on day 2 (from « nouveau »), back to « contacté » on day 5: contacted → visit is not -3 days.
    steps = rules.funnel([days(date(2025, 1, 1), date(2025, 1, 6), date(2025, 1, 3), None, None, None)])
    assert steps[0].median_days_to_next == 5
    assert steps[1].median_days_to_next is None
    assert [s.reached for s in steps] == [1, 1, 1, 0, 0, 0]


DEFAULTS = {
    S.NEW: Decimal("0.15"),
    S.CONTACTED: Decimal("0.25"),
    S.VISIT_PLANNED: Decimal("0.40"),
    S.VISITED: Decimal("0.55"),
    S.PROPOSAL_SENT: Decimal("0.75"),
}
# Closed in the 12 months: 40 signed; lost: 10 at « proposition envoyée » (4), 15 after the visit (3),
# 25 once contacted (1), 30 as new leads (0).
CLOSED = [(5, True, 40), (4, False, 10), (3, False, 15), (1, False, 25), (0, False, 30)]


def test_signed_probabilities_from_history() -> None:
    p = rules.signed_probabilities(CLOSED, defaults=DEFAULTS, min_cases=30)
    # new: 40 / 120; contacted: 40 / (40+10+15+25) = 40/90; visit planned and visited: 40 / 65; proposal: 40/50.
    assert {stage: (prob.value, prob.closed_cases, prob.from_history) for stage, prob in p.items()} == {
        S.NEW: (Decimal(40) / 120, 120, True),
        S.CONTACTED: (Decimal(40) / 90, 90, True),
        S.VISIT_PLANNED: (Decimal(40) / 65, 65, True),
        S.VISITED: (Decimal(40) / 65, 65, True),
        S.PROPOSAL_SENT: (Decimal("0.8"), 50, True),
    }


def test_signed_probabilities_fall_back_to_the_default_below_the_minimum() -> None:
    p = rules.signed_probabilities(CLOSED, defaults=DEFAULTS, min_cases=60)
    assert p[S.VISITED].from_history and p[S.VISITED].value == Decimal(40) / 65  # 65 ≥ 60
    assert not p[S.PROPOSAL_SENT].from_history  # 50 < 60
    assert p[S.PROPOSAL_SENT].value == Decimal("0.75")
    assert p[S.PROPOSAL_SENT].closed_cases == 50 and p[S.PROPOSAL_SENT].signed_cases == 40
    empty = rules.signed_probabilities([], defaults=DEFAULTS, min_cases=0)
    assert all(not prob.from_history and prob.value == DEFAULTS[stage] for stage, prob in empty.items())


def test_projection_formula() -> None:
    # 2025: 10 April is day 100 (31 + 28 + 31 + 10), 265 days remain. 20 captured → 0.2 a day → 0.2 × 265 = 53.
    # Open cases: 4 new × 0.15 + 2 proposals × 0.75 = 0.6 + 1.5 = 2.1. Projection: 20 + 53 + 2.1 = 75.1.
    p = rules.project_year_end(
        year=2025,
        as_of=date(2025, 4, 10),
        captured=20,
        open_by_stage={S.NEW: 4, S.PROPOSAL_SENT: 2},
        probabilities=DEFAULTS,
    )
    assert (p.elapsed_days, p.remaining_days) == (100, 265)
    assert p.run_rate_per_day == Decimal("0.2")
    assert p.run_rate_part == Decimal("53")
    assert p.pipeline_part == Decimal("2.1")
    assert p.value == Decimal("75.1")
    assert [(line.stage, line.open_cases, line.expected) for line in p.pipeline] == [
        (S.NEW, 4, Decimal("0.60")),
        (S.CONTACTED, 0, Decimal(0)),
        (S.VISIT_PLANNED, 0, Decimal(0)),
        (S.VISITED, 0, Decimal(0)),
        (S.PROPOSAL_SENT, 2, Decimal("1.50")),
    ]
    assert not p.closed_year


def test_projection_in_a_leap_year_and_on_the_last_day() -> None:
    # 2024 has 366 days; on 31 December none remains: 3 captured + 1 open proposal × 0.75.
    p = rules.project_year_end(
        year=2024, as_of=date(2024, 12, 31), captured=3, open_by_stage={S.PROPOSAL_SENT: 1}, probabilities=DEFAULTS
    )
    assert (p.elapsed_days, p.remaining_days) == (366, 0)
    assert p.value == Decimal("3.75")
    # 7 captured by 1 March 2024 (day 61): 7/61 a day × 305 days = 35 → 42 (exactly: 7 × 305 / 61 = 35).
    p = rules.project_year_end(year=2024, as_of=date(2024, 3, 1), captured=7, open_by_stage={}, probabilities=DEFAULTS)
    assert Fraction(str(p.run_rate_part)).limit_denominator(1000) == 35
    assert p.value.quantize(Decimal("0.0001")) == Decimal("42.0000")


def test_a_past_year_projects_what_it_captured_and_a_future_year_has_no_projection() -> None:
    p = rules.project_year_end(
        year=2024, as_of=date(2025, 2, 1), captured=12, open_by_stage={S.NEW: 50}, probabilities=DEFAULTS
    )
    assert p.closed_year and p.value == 12 and p.pipeline_part == 0 and p.remaining_days == 0
    with pytest.raises(ValueError, match="n'a pas commencé"):
        rules.project_year_end(
            year=2026, as_of=date(2025, 12, 31), captured=0, open_by_stage={}, probabilities=DEFAULTS
        )


def test_vacancy_before_capture() -> None:
    june_30 = date(2025, 6, 30)
    captures = [
        capture(june_30, vacant_since=date(2025, 1, 1)),  # 180 days: 31 + 28 + 31 + 30 + 31 + 29
        capture(june_30, vacant_since=date(2024, 6, 30)),  # 365 days
        # From an imported list: 12 months × 30.4375 = 365.25 days, plus 60 days from opening (1 May) to capture.
        capture(june_30, opened_on=date(2025, 5, 1), vacancy_months=12),
        capture(june_30),  # unknown
        capture(june_30, vacant_since=date(2025, 7, 15)),  # vacant after the capture: unusable, unknown
    ]
    stats = rules.vacancy_before_capture(captures)
    assert (stats.captured, stats.known, stats.from_vacant_since, stats.from_vacancy_months) == (5, 3, 2, 1)
    assert rules.vacancy_days(captures[0]) == 180
    assert rules.vacancy_days(captures[2]) == Decimal("425.25")
    assert stats.median_days == 365
    assert stats.mean_days == 323.4  # (180 + 365 + 425.25) / 3 = 323.416…
