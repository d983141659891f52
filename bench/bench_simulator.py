"""The simulator API against the bare endpoint: 1,000 in-process calls of each, interleaved, same app.

Target: p95 of ``POST /api/v1/simulations`` within 3× the p95 of ``GET /api/v1/ping``. The app runs with
the production default of the simulator's reference cache (reference data read once a minute per process):
the inputs vary over the demo territory's communes, so the measure includes validation, the rules for ten
options and the JSON answer, not the database round trips of a cold cache (the first call for each commune,
reported apart, for information).
"""

from __future__ import annotations

import gc
import json
import math
import tempfile
import time
from itertools import cycle
from pathlib import Path
from typing import Any

from bench import Result
from landlord_portal.api import DEFAULT_CACHE_SECONDS
from passerelle import create_app, demo_data, migrate
from passerelle.db import db
from passerelle.demo import seed_demo

CALLS = 1_000
WARM_UP = 50
TARGET = 3.0


def bodies() -> list[dict[str, Any]]:
    """Varied but valid requests over the demo territory's communes."""
    communes = [insee for insee, *_ in demo_data.CUA_RENTS]
    surfaces = (18, 27.5, 35, 45, 52, 68, 75, 90, 110, 130)
    result = []
    for n in range(len(communes) * len(surfaces)):
        body: dict[str, Any] = {
            "commune_insee": communes[n % len(communes)],
            "surface_habitable_m2": surfaces[n % len(surfaces)],
            "annexes_m2": n % 11,
            "dpe_class": "ABCDEF"[n % 6],
            "marginal_tax_rate": (0, 0.11, 0.30, 0.41, 0.45)[n % 5],
            "property_tax_yearly": 400 + 10 * (n % 40),
            "insurance_yearly": 120,
            "charges_monthly": 30 + n % 50,
        }
        if n % 3 == 0:
            body["asked_rent_monthly"] = 9 * surfaces[n % len(surfaces)]
        if n % 4 == 0:
            body["market_rent_m2"] = 11.5
        if n % 5 == 0:
            body["vacant_months"] = 14
        result.append(body)
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-simulator-") as folder:
        app = create_app(
            {
                "PASSERELLE_ENV": "test",
                "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.db'}",
                "RATELIMIT_ENABLED": False,
                "SERVER_NAME": None,
                # PASSERELLE_ENV=test turns the reference cache off for tests; measure the production setting.
                "SIMULATOR_CACHE_SECONDS": DEFAULT_CACHE_SECONDS,
            }
        )
        app.instance_path = folder
        engine = db.engine_for(app)
        migrate.upgrade(engine)
        with app.app_context():
            seed_demo(db.session, echo=lambda _message: None)
            db.session.commit()
        client = app.test_client()
        gc.collect()  # the seeding's garbage (tens of thousands of communes) is not the simulator's
        # Encoded beforehand, as a real client sends bytes: only the server's work is timed.
        requests = cycle([json.dumps(body).encode() for body in bodies()])

        def simulate() -> float:
            body = next(requests)
            start = time.perf_counter()
            response = client.post("/api/v1/simulations", data=body, content_type="application/json")
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"simulation refusée ({response.status_code}) : {response.get_data(as_text=True)}")
            return elapsed

        def ping() -> float:
            start = time.perf_counter()
            response = client.get("/api/v1/ping")
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"ping en erreur ({response.status_code})")
            return elapsed

        # Cold: the first call for each commune reads its reference data (about ten queries). Informative.
        cold = [simulate() for _ in range(len(demo_data.CUA_RENTS))]
        for _ in range(WARM_UP):
            simulate()
            ping()
        simulations, pings = [], []
        for _ in range(CALLS):  # interleaved, so that both see the same machine load
            simulations.append(simulate())
            pings.append(ping())
        engine.dispose()

    ms = 1000.0
    sim_p50, sim_p95 = percentile(simulations, 0.50) * ms, percentile(simulations, 0.95) * ms
    ping_p50, ping_p95 = percentile(pings, 0.50) * ms, percentile(pings, 0.95) * ms
    name = "simulateur (API, en processus)"
    return [
        Result(name, "ping p50", ping_p50, "ms"),
        Result(name, "ping p95", ping_p95, "ms"),
        Result(name, "POST /simulations à froid, médiane", percentile(cold, 0.5) * ms, "ms", baseline=ping_p50),
        Result(name, "POST /simulations p50", sim_p50, "ms", baseline=ping_p50),
        Result(
            name,
            f"POST /simulations p95 ({CALLS} appels)",
            sim_p95,
            "ms",
            baseline=ping_p95,
            target=f"ratio p95 ≤ {TARGET:g}",
        ),
    ]
