"""A short load run for ``make bench``: 32 concurrent clients of every role for ``BENCH_LOAD_SECONDS`` (30).

The same mix, server and data as ``make load`` (``bench/load/run.py``, PostgreSQL at ``LOAD_DATABASE_URL``), one
concurrency only: the p95 of the ten busiest pages against the p95 of the bare endpoint in the same run. Target:
within 3×. ``make load`` runs every concurrency and writes ``bench/REPORT.md``.
"""

from __future__ import annotations

import os

from bench import Result
from bench.load.run import GOAL_CLIENTS, bare, busiest, measure


def run() -> list[Result]:
    steps, _meta = measure([GOAL_CLIENTS], int(os.environ.get("BENCH_LOAD_SECONDS", "30")))
    step = steps[0]
    floor = bare(step)["p95"]
    results = [
        Result("load (32 clients)", "débit total", step.rps, "/s", target="—"),
        Result("load (32 clients)", "erreurs", float(step.failures), "", target="0"),
    ]
    results += [
        Result("load (32 clients)", f"p95 {page['name']}"[:36], page["p95"], "ms", baseline=floor, target="≤ 3×")
        for page in busiest(step)
    ]
    return results
