"""Pure indicator rules: captures against targets, the year-end projection, the funnel, vacancy before capture.

Definitions (the dashboard shows them under « Méthode »):

- A unit is **captured** on the day (Paris time) its case first reached « accord signé » (its first stage
  change to SIGNED). Its mode and level are those of the case's signed agreement, else the unit's desired
  mode and level.
- **Projection** of the year's captures = captured so far + run rate × days left in the year + Σ over open
  cases of P(stage → signed). Run rate = captures so far / days elapsed (1 January to the date, inclusive).
  P(stage → signed) is measured on the cases closed (signed or lost) during the 12 months before the date:
  among those closed at that stage or a later one, the share that was signed (a signed case passed every
  stage; a lost case counts at the stage it was lost from, or paused at). Below a minimum number of such cases
  the default of ``parameters.toml`` is used (``indicators.projection.*``). An open case counts at its stage,
  a paused one at the stage it was paused at. A past year projects its captures; a future year has none.
- **Funnel** of a year: the cases opened that year. A case has reached a stage when it reached it or any later
  stage of the pipeline (a call can plan the visit at once). Conversion = reached(next) / reached(stage).
  Days between two consecutive stages: median over the cases that reached both, in that order, of the days
  between the first time each was reached.
- **Vacancy before capture**: capture date − date the unit became vacant when known; otherwise the vacancy
  declared in an imported list (months × 365.25 / 12 days) plus the days from opening the case to capture.
- **Funnel delays** are elapsed days between the two stage changes (timestamps), not calendar dates.
- **Cost per captured unit** of a campaign: its cost / units captured from the leads attributed to it
  (none when no unit was captured).
- **Baux glissés** (slides completed): bail glissant sub-leases that slid to the household in the year, counted
  on the date the lease to the association ended for the unit (the day before the direct lease starts), per
  operator; the end is recorded on the agreement with the reason « slide ».
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, TypeVar

from capture.models import CaptureStage
from capture.rules.pipeline import PIPELINE

K = TypeVar("K", bound=Hashable)

OPEN_PIPELINE = PIPELINE[:-1]  # the stages a case can be projected from: nouveau … proposition envoyée
DAYS_PER_MONTH = Decimal("365.25") / 12  # calendar arithmetic (average month), not a regulatory figure
CENT = Decimal("0.01")
SLIDE_END_REASON = "slide"  # Agreement.end_reason when the lease to the association ends with a slide


class Capture(NamedTuple):
    """One captured unit as the queries read it: plain values, no ORM object (a tuple: thousands are cheap)."""

    captured_on: date
    opened_on: date
    operator_id: int
    mode: str | None
    level: str | None
    commune_insee: str | None
    source: str
    campaign_id: int | None = None
    vacant_since: date | None = None
    vacancy_months: int | None = None


# --- counts, shares, medians -------------------------------------------------------------------------------


def count_by(captures: Iterable[Capture], key: Callable[[Capture], K]) -> dict[K, int]:
    """Number of captures per value of ``key``."""
    return dict(Counter(key(capture) for capture in captures))


def monthly_counts(dates: Iterable[date], year: int) -> list[int]:
    """Captures in each month (January first) of the year; dates of other years are ignored."""
    months = [0] * 12
    for day in dates:
        if day.year == year:
            months[day.month - 1] += 1
    return months


def cumulative(values: Iterable[int]) -> list[int]:
    total, result = 0, []
    for value in values:
        total += value
        result.append(total)
    return result


def target_by_month(target: int | None) -> list[Decimal] | None:
    """The yearly target spread evenly over the 12 months, cumulated (the pace to keep)."""
    if target is None:
        return None
    return [Decimal(target) * month / 12 for month in range(1, 13)]


def share(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """part / whole, or None when there is nothing to divide by."""
    if not whole:
        return None
    return Decimal(part) / Decimal(whole)


def median(values: Sequence[float | int]) -> float | None:
    """The median, rounded to 0.1 (None for no value)."""
    if not values:
        return None
    return round(float(statistics.median(values)), 1)


def mean(values: Sequence[float | int]) -> float | None:
    if not values:
        return None
    return round(float(statistics.fmean(values)), 1)


def cost_per_capture(cost: Decimal, captured: int) -> Decimal | None:
    """A campaign's cost per unit captured from its leads, to the cent (None when none was captured)."""
    if captured <= 0:
        return None
    return (cost / captured).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the funnel -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    stage: CaptureStage
    reached: int
    conversion_to_next: Decimal | None  # reached(next) / reached(stage); None for « accord signé » or none reached
    median_days_to_next: float | None  # None when no case reached both stages


def day_number(day: date) -> float:
    """A date as a number of days, so that differences are days (the queries give the same from timestamps)."""
    return float(day.toordinal())


def furthest_position(days: Sequence[float | None]) -> int | None:
    """Index in PIPELINE of the furthest stage a case reached (None if it reached none)."""
    for index in range(len(days) - 1, -1, -1):
        if days[index] is not None:
            return index
    return None


def funnel(cases: Iterable[Sequence[float | None]]) -> list[FunnelStep]:
    """The funnel of a cohort of cases.

    Each case is given as the day number at which it first reached each stage of PIPELINE (None: never).
    """
    rows = list(cases)
    last = len(PIPELINE) - 1
    furthest: Counter[int] = Counter()
    for days in rows:
        position = furthest_position(days)
        if position is not None:
            furthest[position] += 1
    reached = [sum(n for position, n in furthest.items() if position >= index) for index in range(len(PIPELINE))]
    steps = []
    for index, stage in enumerate(PIPELINE):
        if index == last:
            steps.append(FunnelStep(stage, reached[index], None, None))
            continue
        delays = [
            end - start
            for start, end in ((days[index], days[index + 1]) for days in rows)
            if start is not None and end is not None and end >= start
        ]
        steps.append(FunnelStep(stage, reached[index], share(reached[index + 1], reached[index]), median(delays)))
    return steps


# --- the year-end projection --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probability:
    """P(stage → signed) used by the projection, and where it comes from."""

    stage: CaptureStage
    value: Decimal
    from_history: bool
    closed_cases: int  # cases closed in the 12 months that had reached the stage
    signed_cases: int  # … of which signed


def signed_probabilities(
    closed: Iterable[tuple[int, bool, int]],
    *,
    defaults: Mapping[CaptureStage, Decimal],
    min_cases: int,
) -> dict[CaptureStage, Probability]:
    """P(stage → signed) for each open stage, from the cases closed in the window.

    ``closed`` gives, per group of closed cases: the PIPELINE position they were closed at (a signed case:
    « accord signé », past every stage), whether they were signed, and how many cases. A stage's rate is
    signed / closed among the cases closed at that position or a later one; below ``min_cases`` of them, the
    stage's default is used.
    """
    groups = list(closed)
    result = {}
    for index, stage in enumerate(OPEN_PIPELINE):
        total = sum(n for position, _signed, n in groups if position >= index)
        signed = sum(n for position, was_signed, n in groups if position >= index and was_signed)
        if total >= min_cases and total > 0:
            result[stage] = Probability(stage, Decimal(signed) / Decimal(total), True, total, signed)
        else:
            result[stage] = Probability(stage, defaults[stage], False, total, signed)
    return result


@dataclass(frozen=True)
class PipelineLine:
    stage: CaptureStage
    open_cases: int
    probability: Decimal
    expected: Decimal  # open_cases × probability


@dataclass(frozen=True)
class Projection:
    year: int
    as_of: date
    captured: int
    elapsed_days: int
    remaining_days: int
    run_rate_per_day: Decimal
    run_rate_part: Decimal  # run rate × remaining days
    pipeline: tuple[PipelineLine, ...]
    pipeline_part: Decimal  # Σ open cases × P(stage → signed)
    value: Decimal  # captured + run_rate_part + pipeline_part
    closed_year: bool  # the year is over: the projection is what was captured


def days_in_year(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def project_year_end(
    *,
    year: int,
    as_of: date,
    captured: int,
    open_by_stage: Mapping[CaptureStage, int],
    probabilities: Mapping[CaptureStage, Decimal],
) -> Projection:
    """Captures expected by 31 December: captured + run rate × days left + stage-weighted open pipeline."""
    if as_of < date(year, 1, 1):
        raise ValueError(f"L'année {year} n'a pas commencé au {as_of:%d/%m/%Y} : pas de projection.")
    total_days = days_in_year(year)
    if as_of > date(year, 12, 31):
        rate = share(captured, total_days) or Decimal(0)
        return Projection(
            year, as_of, captured, total_days, 0, rate, Decimal(0), (), Decimal(0), Decimal(captured), True
        )
    elapsed = (as_of - date(year, 1, 1)).days + 1
    remaining = total_days - elapsed
    rate = Decimal(captured) / Decimal(elapsed)
    run_rate_part = rate * remaining
    lines = tuple(
        PipelineLine(
            stage, open_by_stage.get(stage, 0), probabilities[stage], open_by_stage.get(stage, 0) * probabilities[stage]
        )
        for stage in OPEN_PIPELINE
    )
    pipeline_part = sum((line.expected for line in lines), Decimal(0))
    return Projection(
        year=year,
        as_of=as_of,
        captured=captured,
        elapsed_days=elapsed,
        remaining_days=remaining,
        run_rate_per_day=rate,
        run_rate_part=run_rate_part,
        pipeline=lines,
        pipeline_part=pipeline_part,
        value=captured + run_rate_part + pipeline_part,
        closed_year=False,
    )


# --- vacancy before capture ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VacancyStats:
    captured: int  # captures considered
    known: int  # … whose vacancy is known
    from_vacant_since: int
    from_vacancy_months: int
    median_days: float | None
    mean_days: float | None


def vacancy_days(capture: Capture) -> Decimal | None:
    """Days the unit had been vacant when captured, or None when unknown."""
    if capture.vacant_since is not None and capture.vacant_since <= capture.captured_on:
        return Decimal((capture.captured_on - capture.vacant_since).days)
    if capture.vacancy_months is not None and capture.vacancy_months >= 0:
        since_opening = max((capture.captured_on - capture.opened_on).days, 0)
        return capture.vacancy_months * DAYS_PER_MONTH + since_opening
    return None


def vacancy_before_capture(captures: Iterable[Capture]) -> VacancyStats:
    values: list[float] = []
    counted = from_date = from_months = 0
    for capture in captures:
        counted += 1
        days = vacancy_days(capture)
        if days is None:
            continue
        values.append(float(days))
        if capture.vacant_since is not None and capture.vacant_since <= capture.captured_on:
            from_date += 1
        else:
            from_months += 1
    return VacancyStats(counted, len(values), from_date, from_months, median(values), mean(values))
