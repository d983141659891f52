"""The metropolis' dashboard on a territory with 50,000 cases over 5 years, against the bare endpoint.

``passerelle demo --scale N`` data (``BENCH_SCALE``, default 50,000) on a fresh SQLite database, and on a fresh
PostgreSQL schema when ``BENCH_DATABASE_URL`` is set. A metro user is logged in through the test client; after
a warm-up, 200 ``GET /metropole/tableau-de-bord`` (the current year, live) and 200 ``GET /api/v1/ping`` are
timed, interleaved, in the same process. Target: p95 of the dashboard under 200 ms.

Three runs: with the production setting of the inputs cache (``INDICATORS_CACHE_SECONDS``, 600 s), the same with
a stage change written (untimed) before every page, so that each page reads and merges what changed, and with
the cache off: every page reads everything (the first page of the day, or after the cache's delay).
"""

from __future__ import annotations

import gc
import math
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from flask import Flask
from sqlalchemy import func, select, text

from bench import Result
from capture.demo_activity import demo_context, seed_activity
from capture.models import CaptureCase
from capture.queries.indicators import CACHE_EXTENSION, DEFAULT_CACHE_SECONDS
from passerelle import create_app, migrate
from passerelle.auth.sessions import start_session_clock
from passerelle.db import db, make_engine
from passerelle.demo import seed_demo

CALLS = 200
WARM_UP = 20
TARGET_MS = 200.0
DASHBOARD = "/metropole/tableau-de-bord"
METRO_EMAIL = "metropole@demo.passerelle.test"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def scale() -> int:
    return int(os.environ.get("BENCH_SCALE", "50000"))


@contextmanager
def fresh_postgresql(base: str) -> Iterator[str]:
    """A new schema of the given PostgreSQL database, dropped afterwards (as the test suite does)."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def prepare(url: str, folder: str) -> Flask:
    """Migrate and seed the demo at scale; return the app."""
    app = create_app({"PASSERELLE_ENV": "test", "DATABASE_URL": url, "RATELIMIT_ENABLED": False, "SERVER_NAME": None})
    app.instance_path = folder
    migrate.upgrade(db.engine_for(app))
    wanted = scale()
    with app.app_context():
        started = time.perf_counter()
        seed_demo(db.session, scale=wanted, echo=lambda _message: None)
        # The capture part of the demo, in case ``passerelle demo`` does not call it yet (idempotent otherwise).
        seed_activity(demo_context(db.session, scale=wanted, echo=lambda _message: None))
        db.session.commit()
        cases = db.session.scalar(select(func.count()).select_from(CaptureCase)) or 0
        app.config["BENCH_SEED_SECONDS"] = time.perf_counter() - started
    if cases < wanted:
        raise RuntimeError(
            f"{cases} dossiers de captation seulement, {wanted} attendus : la démo n'a pas suivi --scale."
        )
    return app


def write_a_stage_change(app: Flask) -> None:
    """A staff member moves an open case on (or back): the kind of write the cache must follow."""
    from capture.models import CaptureStage, CaptureStageChange
    from passerelle.db import utcnow

    with app.app_context():
        session = db.session
        case = session.scalar(
            select(CaptureCase).where(CaptureCase.stage.in_([CaptureStage.CONTACTED, CaptureStage.VISIT_PLANNED]))
        )
        assert case is not None
        to = CaptureStage.VISIT_PLANNED if case.stage is CaptureStage.CONTACTED else CaptureStage.CONTACTED
        session.add(CaptureStageChange(case_id=case.id, from_stage=case.stage, to_stage=to, at=utcnow()))
        case.stage = to
        session.commit()


def measure(app: Flask, *, cache_seconds: int, writes: bool = False) -> tuple[list[float], list[float]]:
    app.config["INDICATORS_CACHE_SECONDS"] = cache_seconds
    app.extensions.pop(CACHE_EXTENSION, None)
    client = app.test_client()
    with app.app_context():
        from passerelle.models import User

        user = db.session.scalar(select(User).where(User.email == METRO_EMAIL))
        assert user is not None
        session_id = user.get_id()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = session_id
        flask_session["_fresh"] = True
        start_session_clock(flask_session)

    def timed(url: str) -> float:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"{url} : réponse {response.status_code}")
        return elapsed

    gc.collect()  # the seeding's garbage is not the dashboard's
    for _ in range(WARM_UP):
        timed(DASHBOARD)
        timed("/api/v1/ping")
    pages, pings = [], []
    for _ in range(CALLS):  # interleaved, so that both see the same machine load
        if writes:
            write_a_stage_change(app)
        pages.append(timed(DASHBOARD))
        pings.append(timed("/api/v1/ping"))
    return pages, pings


def results(name: str, measure_name: str, pages: list[float], pings: list[float]) -> list[Result]:
    ms = 1000.0
    page50, page95 = percentile(pages, 0.5) * ms, percentile(pages, 0.95) * ms
    ping50, ping95 = percentile(pings, 0.5) * ms, percentile(pings, 0.95) * ms
    return [
        Result(name, f"{measure_name} : ping p95", ping95, "ms", target=f"(ping p50 : {ping50:.2f} ms)"),
        Result(name, f"{measure_name} : p50", page50, "ms", baseline=ping50),
        Result(
            name, f"{measure_name} : p95 ({CALLS})", page95, "ms", baseline=ping95, target=f"p95 < {TARGET_MS:g} ms"
        ),
    ]


def run_on(label: str, url: str, folder: str) -> list[Result]:
    app = prepare(url, folder)
    name = f"tableau de bord ({label})"
    out = [Result(name, f"démo --scale {scale()} : génération", app.config["BENCH_SEED_SECONDS"], "s")]
    out += results(name, "cache (600 s)", *measure(app, cache_seconds=DEFAULT_CACHE_SECONDS))
    out += results(name, "cache + 1 écriture/page", *measure(app, cache_seconds=DEFAULT_CACHE_SECONDS, writes=True))
    out += results(name, "sans cache (tout relu)", *measure(app, cache_seconds=0))
    db.engine_for(app).dispose()
    return out


def run() -> list[Result]:
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        out += run_on("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", folder)
    base = os.environ.get("BENCH_DATABASE_URL")
    if base:
        with tempfile.TemporaryDirectory(prefix="bench-dashboard-pg-") as folder, fresh_postgresql(base) as url:
            out += run_on("PostgreSQL", url, folder)
    return out
