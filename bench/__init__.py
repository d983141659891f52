"""Benchmarks: each ``bench/bench_*.py`` exposes ``run() -> list[Result]``; ``make bench`` prints one table.

Every benchmark measures the app's bare endpoint in the same run and reports ratios against it, so that the
numbers mean something on whatever machine runs them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    benchmark: str
    measure: str
    value: float
    unit: str
    baseline: float | None = None  # the bare endpoint's figure, same unit, same run
    target: str = ""

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None
