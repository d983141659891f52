"""Matching at the scale of a metropolis: 10,000 waiting households × 2,000 available units.

``passerelle demo --scale N`` data (``BENCH_MATCHING_SCALE``, default 50,000: 10,000 extra households, and the
capture cases whose signed agreements fill the stock) on a fresh SQLite database. The households and the first
2,000 available units are read once (not timed), then, five times each, the median of:

- constraints (the feasibility matrix), scores and the global assignment with the greedy comparison, housing
  benefit excluded — target under 2 s;
- housing benefit for 10,000 (household, unit) feasible pairs in one OpenFisca simulation, against the
  one-by-one path measured on 100 of the same pairs in the same run — target: vectorised at least 20× faster
  per pair.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from agency_backoffice.housing_benefit import estimate_housing_benefit, estimate_one
from agency_backoffice.models import Household, HouseholdStatus
from agency_backoffice.queries.benefits import Dwelling, benefit_case
from agency_backoffice.queries.matching import household_facts, matching_parameters, stock_facts
from agency_backoffice.rules import assignment, bulk
from bench import Result
from bench.bench_dashboard import prepare
from capture.models import StockEntry, StockStatus, Unit
from passerelle.db import db

UNITS = 2_000
HOUSEHOLDS = 10_000
BENEFIT_PAIRS = 10_000
ONE_BY_ONE = 100
REPEAT = 5


def scale() -> int:
    return int(os.environ.get("BENCH_MATCHING_SCALE", "50000"))


def run() -> list[Result]:
    os.environ.setdefault("BENCH_SCALE", str(scale()))
    with tempfile.TemporaryDirectory(prefix="bench-matching-") as folder:
        app = prepare(f"sqlite:///{Path(folder) / 'bench.db'}", folder)
        with app.app_context():
            return measure(app.config["BENCH_SEED_SECONDS"])


def measure(seed_seconds: float) -> list[Result]:
    session = db.session
    today = date.today()
    name = "rapprochement (SQLite)"
    households = session.scalars(
        # Waiting or not, a file is facts for the rules: 10,000 of them, the demo's waiting ones first.
        select(Household)
        .options(
            selectinload(Household.members), selectinload(Household.resources), selectinload(Household.owner_links)
        )
        .order_by(Household.status != HouseholdStatus.ACTIVE, Household.id)
        .limit(HOUSEHOLDS)
    ).all()
    entries = session.scalars(
        select(StockEntry)
        .where(StockEntry.status == StockStatus.AVAILABLE)
        .options(selectinload(StockEntry.unit).selectinload(Unit.commune))
        .order_by(StockEntry.available_on, StockEntry.id)
        .limit(UNITS)
    ).all()
    params = matching_parameters(session, entries[0].operator_id, today)
    stock = stock_facts(session, list(entries), today)
    facts = [household_facts(h, today) for h in households]
    out = [
        Result(name, f"démo --scale {scale()} : génération", seed_seconds, "s"),
        Result(name, "ménages × logements disponibles", len(facts) * len(stock.facts), "couples",
               target=f"{len(facts)} × {len(stock.facts)}"),
    ]  # fmt: skip

    timings: dict[str, list[float]] = {"encode": [], "feasibility": [], "scores": [], "assignment": [], "total": []}
    for _ in range(REPEAT):
        started = time.perf_counter()
        encoded = bulk.encode(facts, stock.facts, today, params)
        t1 = time.perf_counter()
        feasible = bulk.feasibility(encoded)
        t2 = time.perf_counter()
        scores = bulk.scores(encoded)
        t3 = time.perf_counter()
        comparison = assignment.compare(scores, feasible, list(range(len(stock.facts))))
        t4 = time.perf_counter()
        for key, value in zip(timings, (t1 - started, t2 - t1, t3 - t2, t4 - t3, t4 - started), strict=True):
            timings[key].append(value)
    labels = {
        "encode": "encodage des faits",
        "feasibility": "contraintes (matrice de faisabilité)",
        "scores": "scores",
        "assignment": "affectation globale + glouton",
    }
    for key, label in labels.items():
        out.append(Result(name, label, statistics.median(timings[key]), "s"))
    out.append(Result(name, "contraintes + scores + affectation", statistics.median(timings["total"]), "s",
                      target="< 2 s"))  # fmt: skip
    out.append(Result(name, "couples faisables", int(feasible.sum()), "couples"))
    out += per_operator(name, households, entries, stock, params, today)
    out.append(Result(name, "proposition globale : ménages logés / points", comparison.optimal.housed, "ménages",
                      target=f"{comparison.optimal.total:.0f} points"))  # fmt: skip
    out.append(Result(name, "glouton : ménages logés / points", comparison.greedy.housed, "ménages",
                      target=f"{comparison.greedy.total:.0f} points"))  # fmt: skip

    # Housing benefit: the same feasible pairs, vectorised and one by one.
    pairs = np.argwhere(feasible)
    rng = random.Random(5)
    chosen = [tuple(pairs[i]) for i in rng.sample(range(len(pairs)), min(BENEFIT_PAIRS, len(pairs)))]
    month = today.replace(day=1)
    cases = []
    for u, h in chosen:
        entry = entries[u]
        case = benefit_case(households[h], Dwelling(entry.unit_id, entry.rent, entry.unit.commune_insee), month)
        if case is not None:
            cases.append(case)
    estimate_one(cases[0], month)  # load OpenFisca once, outside the timings
    vector_runs = []
    for _ in range(3):
        started = time.perf_counter()
        vectorised = estimate_housing_benefit(cases, month)
        vector_runs.append(time.perf_counter() - started)
    started = time.perf_counter()
    single = [estimate_one(case, month) for case in cases[:ONE_BY_ONE]]
    one_by_one = (time.perf_counter() - started) / ONE_BY_ONE
    assert single == vectorised[:ONE_BY_ONE], "vectorised and one-by-one estimates differ"
    per_pair = statistics.median(vector_runs) / len(cases)
    out.append(
        Result(name, f"aide au logement : {len(cases)} couples en une simulation", statistics.median(vector_runs), "s")
    )
    out.append(Result(name, "aide au logement : un par un (par couple)", one_by_one * 1000, "ms"))
    out.append(Result(name, "aide au logement : vectorisé (par couple)", per_pair * 1000, "ms",
                      baseline=one_by_one * 1000, target="≥ 20× plus rapide (ratio ≤ 0,05)"))  # fmt: skip
    return out


def per_operator(name, households, entries, stock, params, today):  # type: ignore[no-untyped-def]
    """The same data as the app solves it: one global proposal per operator, on its own households and stock."""
    total = 0.0
    sizes = []
    for operator_id in sorted({e.operator_id for e in entries}):
        units = [f for e, f in zip(entries, stock.facts, strict=True) if e.operator_id == operator_id]
        facts = [household_facts(h, today) for h in households if h.operator_id == operator_id]
        runs = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            encoded = bulk.encode(facts, units, today, params)
            feasible = bulk.feasibility(encoded)
            scores = bulk.scores(encoded)
            assignment.compare(scores, feasible, list(range(len(units))))
            runs.append(time.perf_counter() - started)
        total += statistics.median(runs)
        sizes.append(f"{len(facts)} × {len(units)}")
    return [
        Result(name, "par opérateur (comme l'application) : total", total, "s", target=" + ".join(sizes) + " ; < 2 s")
    ]
