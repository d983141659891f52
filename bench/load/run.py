"""``make load``: seed a large metropolis, serve it with gunicorn, load it with locust at growing concurrency.

Steps (environment variables, with their defaults):

1. PostgreSQL database ``LOAD_DATABASE_URL`` (``…/passerelle_load``, created if missing), migrated, and filled by
   ``passerelle demo --scale LOAD_SCALE`` (20,000: 20,000 extra landlord accounts and capture cases, 4,000 extra
   households; idempotent, so a second run only checks).
2. gunicorn with ``LOAD_WORKERS`` sync workers (default 2 × cores + 1, gunicorn's own advice) on a free port.
3. For each concurrency of ``LOAD_STEPS`` (``4,8,16,32,64``): locust, headless, that many clients for
   ``LOAD_STEP_SECONDS`` (45) after they have logged in, statistics reset once all are spawned; CPU and memory of
   gunicorn, PostgreSQL and locust sampled every second.
4. The tables (throughput, p50/p95/p99 per page, errors, CPU, memory, and the ratio of each page's p95 to the bare
   endpoint's p95 in the same step) are printed and written into ``bench/REPORT.md`` between the load markers;
   the raw figures go to ``bench/load/results/last-run.json``.
"""

from __future__ import annotations

import csv
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REPORT = ROOT / "bench" / "REPORT.md"
RESULTS = ROOT / "bench" / "load" / "results"
BEGIN, END = "<!-- load:begin -->", "<!-- load:end -->"
BARE = "bare: GET /api/v1/ping"
DEMO_PASSWORD = "demo-passerelle-2026"  # noqa: S105 — the demo accounts' published password
WEBHOOK_SECRET = "whsec_load_test_only"  # noqa: S105
GOAL_CLIENTS = 32
# Staff work a handful of units at a time: the units whose matching page the load opens (their housing benefit
# estimates are computed once, before the measures, as they are in use: cached per household, unit and month).
STOCK_PER_OPERATOR = 12


def env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@dataclass
class Step:
    clients: int
    seconds: float
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    pages: list[dict[str, Any]] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    memory_mb: dict[str, float] = field(default_factory=dict)


# --- database ------------------------------------------------------------------------------------------------------


def prepare_database(url: str, scale: int) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    environ = {**os.environ, "DATABASE_URL": url, "PASSERELLE_ENV": "development"}
    subprocess.run([str(BIN / "passerelle"), "db", "upgrade"], check=True, env=environ)  # noqa: S603
    started = time.perf_counter()
    subprocess.run([str(BIN / "passerelle"), "demo", "--scale", str(scale)], check=True, env=environ)  # noqa: S603
    print(f"Démo --scale {scale} : {time.perf_counter() - started:.0f} s", file=sys.stderr)


def database_sizes(url: str) -> dict[str, int]:
    engine = create_engine(url)
    tables = [
        "users",
        "landlords",
        "units",
        "capture_cases",
        "stock_entries",
        "households",
        "proposals",
        "leases",
        "ledger_entries",
        "audit_log",
    ]
    sizes = {}
    with engine.connect() as connection:
        for table in tables:
            try:
                sizes[table] = int(connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608
            except Exception:  # a renamed table only drops a line of the report
                connection.rollback()
        sizes["_bytes"] = int(connection.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    engine.dispose()
    return sizes


def world(url: str) -> dict[str, Any]:
    """The ids each kind of visitor may open: staff see their operator's records, landlords their units."""
    engine = create_engine(url)
    with engine.connect() as connection:

        def ids(sql: str, **params: Any) -> list[int]:
            return [int(row[0]) for row in connection.execute(text(sql), params)]

        staff = []
        for email, organisation in connection.execute(
            text(
                "SELECT u.email, m.organisation_id FROM users u JOIN memberships m ON m.user_id = u.id "
                "WHERE u.role = 'agency_staff' AND u.is_active_account ORDER BY u.id"
            )
        ):
            org = {"o": organisation}
            staff.append(
                {
                    "email": email,
                    "cases": ids(
                        "SELECT id FROM capture_cases WHERE operator_id = :o ORDER BY random() LIMIT 500", **org
                    ),
                    "households": ids(
                        "SELECT id FROM households WHERE operator_id = :o AND anonymised_at IS NULL "
                        "ORDER BY random() LIMIT 500",
                        **org,
                    ),
                    "stock": ids(
                        "SELECT id FROM stock_entries WHERE operator_id = :o AND status = 'available' "
                        "ORDER BY available_on, id LIMIT :n",
                        n=STOCK_PER_OPERATOR,
                        **org,
                    ),
                    "leases": ids("SELECT id FROM leases WHERE operator_id = :o LIMIT 200", **org),
                }
            )
        landlords = [
            {"email": email, "units": ids("SELECT u.id FROM units u WHERE u.landlord_id = :l", l=landlord)}
            for email, landlord in connection.execute(
                text(
                    "SELECT u.email, l.id FROM users u JOIN landlords l ON l.user_id = u.id "
                    "WHERE u.role = 'landlord' AND EXISTS (SELECT 1 FROM units WHERE units.landlord_id = l.id) "
                    "ORDER BY u.id LIMIT 200"
                )
            )
        ]
        metro = connection.scalar(text("SELECT email FROM users WHERE role = 'metro' ORDER BY id LIMIT 1"))
        communes = [
            str(code)
            for code in connection.scalars(
                text("SELECT DISTINCT commune_insee FROM units WHERE commune_insee IS NOT NULL LIMIT 50")
            )
        ]
    engine.dispose()
    if not staff or not landlords or not metro or not communes:
        raise SystemExit("Données de démonstration incomplètes : relancez `passerelle demo`.")
    return {
        "password": DEMO_PASSWORD,
        "staff": [s for s in staff if s["cases"]],
        "landlords": landlords,
        "metro": metro,
        "communes": communes,
        "webhook_secret": WEBHOOK_SECRET,
    }


# --- processes -----------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    environ = {
        **os.environ,
        "DATABASE_URL": url,
        "PASSERELLE_ENV": "development",
        "SECRET_KEY": "load-test-secret-key-not-for-production",
        # One address sends every request here: the public rate limits would answer 429 to the load itself.
        "RATELIMIT_ENABLED": "0",
        "STRIPE_SECRET_KEY": "sk_test_load_only",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_load_only",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": "http://127.0.0.1:9",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "passerelle:create_app()",
        ],
        env=environ,
        cwd=ROOT,
    )
    # Workers import the app (OpenFisca included) after the master has bound the port: wait for every one.
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn n'a pas démarré.")
        if len(psutil.Process(process.pid).children()) >= workers and _answers(port):
            return process
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("gunicorn ne répond pas après 300 s.")


def warm_matching(port: int, world_data: dict[str, Any]) -> None:
    """Open every matching page of the load once, as its staff, so that housing benefit estimates are cached."""
    for staff in world_data["staff"]:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        base = f"http://127.0.0.1:{port}"
        page = opener.open(f"{base}/login", timeout=60).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise SystemExit("Pas de jeton CSRF sur /login.")
        form = urllib.parse.urlencode(
            {"csrf_token": token.group(1), "email": staff["email"], "password": world_data["password"]}
        ).encode()
        opener.open(f"{base}/login", data=form, timeout=60).read()
        for entry in staff["stock"]:
            started = time.perf_counter()
            opener.open(f"{base}/agence/logements-disponibles/{entry}", timeout=600).read()
            print(f"   rapprochement {entry} : {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/ping", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class Sampler(threading.Thread):
    """CPU (in % of one core) and resident memory of gunicorn, PostgreSQL and locust, once a second."""

    def __init__(self, gunicorn_pid: int) -> None:
        super().__init__(daemon=True)
        self.gunicorn_pid = gunicorn_pid
        self.samples: list[dict[str, tuple[float, float]]] = []
        self.stop_event = threading.Event()
        self.cached: dict[int, psutil.Process] = {}

    def groups(self) -> dict[str, list[psutil.Process]]:
        found: dict[str, list[psutil.Process]] = {"gunicorn": [], "postgresql": [], "locust": []}
        try:
            master = psutil.Process(self.gunicorn_pid)
            found["gunicorn"] = [master, *master.children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
        for process in psutil.process_iter(["name", "cmdline"]):
            name = process.info["name"] or ""
            cmdline = " ".join(process.info["cmdline"] or [])
            if name.startswith("postgres"):
                found["postgresql"].append(process)
            elif "locust" in cmdline and process.pid != os.getpid():
                found["locust"].append(process)
        return found

    def run(self) -> None:
        while not self.stop_event.is_set():
            sample: dict[str, tuple[float, float]] = {}
            for group, processes in self.groups().items():
                cpu = memory = 0.0
                for process in processes:
                    cached = self.cached.setdefault(process.pid, process)
                    try:
                        cpu += cached.cpu_percent(None)
                        memory += cached.memory_info().rss / 2**20
                    except psutil.Error:
                        continue
                sample[group] = (cpu, memory)
            self.samples.append(sample)
            self.stop_event.wait(1.0)

    def summary(self, skip: int = 2) -> tuple[dict[str, float], dict[str, float]]:
        usable = self.samples[skip:] or self.samples
        groups = ("gunicorn", "postgresql", "locust")
        cpu = {g: sum(s.get(g, (0, 0))[0] for s in usable) / max(len(usable), 1) for g in groups}
        memory = {g: max((s.get(g, (0, 0))[1] for s in usable), default=0.0) for g in groups}
        return cpu, memory


def run_step(host: str, clients: int, seconds: int, world_file: Path, out: Path, gunicorn_pid: int) -> Step:
    prefix = out / f"step-{clients}"
    environ = {**os.environ, "LOAD_WORLD": str(world_file)}
    sampler = Sampler(gunicorn_pid)
    command = [
        str(BIN / "locust"),
        "--locustfile",
        str(ROOT / "bench" / "load" / "locustfile.py"),
        "--headless",
        "--host",
        host,
        "--users",
        str(clients),
        "--spawn-rate",
        str(clients),
        "--run-time",
        f"{seconds}s",
        "--reset-stats",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "10",
    ]
    sampler.start()
    started = time.perf_counter()
    result = subprocess.run(command, env=environ, capture_output=True, text=True)  # noqa: S603
    elapsed = time.perf_counter() - started
    sampler.stop_event.set()
    sampler.join()
    if result.returncode not in (0, 1):  # locust exits 1 when some requests failed: reported, not fatal
        print(result.stdout[-3000:], result.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"locust a échoué ({result.returncode}) à {clients} clients.")
    step = Step(clients=clients, seconds=elapsed)
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        for row in csv.DictReader(stats):
            if row["Name"] == "Aggregated" or row["Name"].startswith("[setup]"):
                continue
            page = {
                "name": row["Name"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
                "mean": float(row["Average Response Time"]),
            }
            step.pages.append(page)
    step.requests = sum(p["requests"] for p in step.pages)
    step.failures = sum(p["failures"] for p in step.pages)
    step.rps = sum(p["rps"] for p in step.pages)
    step.cpu, step.memory_mb = sampler.summary()
    for suffix in ("failures", "exceptions"):
        report = Path(f"{prefix}_{suffix}.csv")
        if report.exists() and len(report.read_text(encoding="utf-8").splitlines()) > 1:
            print(report.read_text(encoding="utf-8")[:3000], file=sys.stderr)
    return step


# --- report --------------------------------------------------------------------------------------------------------


def bare(step: Step) -> dict[str, Any]:
    return next(p for p in step.pages if p["name"] == BARE)


def render(steps: list[Step], meta: dict[str, Any]) -> str:
    lines = [
        f"Run of {meta['date']} on {meta['machine']}; gunicorn {meta['workers']} sync workers; "
        f"PostgreSQL {meta['postgresql']}; `demo --scale {meta['scale']}` "
        f"({', '.join(f'{k} {v:,}' for k, v in meta['sizes'].items() if not k.startswith('_'))}; "
        f"database {meta['sizes'].get('_bytes', 0) / 2**20:,.0f} MiB); think time {meta['think']} s; "
        f"{meta['step_seconds']} s per step.",
        "",
        "### Throughput, errors and resources per concurrency",
        "",
        "| clients | req/s | requests | errors | bare p50 / p95 / p99 (ms) | all pages p95 (ms) | CPU gunicorn / "
        "PostgreSQL / locust (% of a core) | memory gunicorn / PostgreSQL (MiB) |",
        "|---:|---:|---:|---:|---|---:|---|---|",
    ]
    for step in steps:
        b = bare(step)
        worst = max(p["p95"] for p in step.pages if p["name"] != BARE)
        lines.append(
            f"| {step.clients} | {step.rps:,.0f} | {step.requests:,} | {step.failures} | "
            f"{b['p50']:.0f} / {b['p95']:.0f} / {b['p99']:.0f} | {worst:.0f} (worst page) | "
            f"{step.cpu['gunicorn']:.0f} / {step.cpu['postgresql']:.0f} / {step.cpu['locust']:.0f} | "
            f"{step.memory_mb['gunicorn']:,.0f} / {step.memory_mb['postgresql']:,.0f} |"
        )
    goal = next((s for s in steps if s.clients == GOAL_CLIENTS), steps[-1])
    b = bare(goal)
    lines += [
        "",
        f"### The ten busiest pages at {goal.clients} concurrent clients (goal: p95 within 3× the bare endpoint's)",
        "",
        f"Bare endpoint in the same step: p50 {b['p50']:.0f} ms, p95 {b['p95']:.0f} ms, p99 {b['p99']:.0f} ms.",
        "",
        "| page | req/s | p50 (ms) | p95 (ms) | p99 (ms) | errors | p95 / bare p95 | goal |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for page in busiest(goal):
        ratio = page["p95"] / b["p95"] if b["p95"] else float("inf")
        lines.append(
            f"| `{page['name']}` | {page['rps']:.1f} | {page['p50']:.0f} | {page['p95']:.0f} | {page['p99']:.0f} | "
            f"{page['failures']} | {ratio:.2f} | {'✓' if ratio <= 3 else '✗'} |"
        )
    lines += ["", "### Every page, every step (p50 / p95 / p99 in ms, errors)", ""]
    names = sorted({p["name"] for s in steps for p in s.pages})
    lines.append("| page | " + " | ".join(f"{s.clients} clients" for s in steps) + " |")
    lines.append("|---|" + "---|" * len(steps))
    for name in names:
        cells = []
        for step in steps:
            found = [p for p in step.pages if p["name"] == name]
            cells.append(
                f"{found[0]['p50']:.0f} / {found[0]['p95']:.0f} / {found[0]['p99']:.0f}, {found[0]['failures']}"
                if found
                else "—"
            )
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(section: str) -> None:
    current = REPORT.read_text(encoding="utf-8") if REPORT.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in current:
        current += f"\n{BEGIN}\n{END}\n"
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    REPORT.write_text(f"{head}{BEGIN}\n{section}\n{END}{tail}", encoding="utf-8")


def measure(steps: list[int], seconds: int) -> tuple[list[Step], dict[str, Any]]:
    """Seed (unless ``LOAD_SKIP_SEED``), serve, warm up, then one locust run per concurrency of ``steps``."""
    url = env("LOAD_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/passerelle_load")
    scale = int(env("LOAD_SCALE", "20000"))
    cores = os.cpu_count() or 1
    workers = int(env("LOAD_WORKERS", str(2 * cores + 1)))
    if not url.startswith("postgresql"):
        raise SystemExit("LOAD_DATABASE_URL doit désigner PostgreSQL.")
    if not env("LOAD_SKIP_SEED", ""):
        prepare_database(url, scale)
    sizes = database_sizes(url)
    out = Path(tempfile.mkdtemp(prefix="passerelle-load-"))
    world_file = out / "world.json"
    world_data = world(url)
    world_file.write_text(json.dumps(world_data), encoding="utf-8")
    port = free_port()
    gunicorn = start_gunicorn(url, port, workers)
    results: list[Step] = []
    try:
        print("… estimations d'aide au logement des pages de rapprochement (non mesuré)", file=sys.stderr)
        warm_matching(port, world_data)
        warm = int(env("LOAD_WARMUP_SECONDS", "30"))
        print(f"… mise en température ({warm} s, non mesurée)", file=sys.stderr)
        run_step(f"http://127.0.0.1:{port}", max(steps), warm, world_file, out, gunicorn.pid)
        for clients in steps:
            print(f"… {clients} clients, {seconds} s", file=sys.stderr)
            step = run_step(f"http://127.0.0.1:{port}", clients, seconds, world_file, out, gunicorn.pid)
            b = bare(step)
            print(
                f"   {step.rps:,.0f} req/s, {step.failures} erreurs, bare p95 {b['p95']:.0f} ms, "
                f"pire p95 {max(p['p95'] for p in step.pages):.0f} ms",
                file=sys.stderr,
            )
            results.append(step)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
        shutil.rmtree(out, ignore_errors=True)
    with create_engine(url).connect() as connection:
        postgresql = str(connection.scalar(text("SHOW server_version")))
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {cores} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}",
        "workers": workers,
        "postgresql": postgresql,
        "scale": scale,
        "sizes": sizes,
        "think": float(env("LOAD_THINK_SECONDS", "0")),
        "step_seconds": seconds,
    }
    return results, meta


def busiest(step: Step, count: int = 10) -> list[dict[str, Any]]:
    return sorted((p for p in step.pages if p["name"] != BARE), key=lambda p: -p["requests"])[:count]


def main() -> int:
    steps = [int(n) for n in env("LOAD_STEPS", "4,8,16,32,64").split(",")]
    results, meta = measure(steps, int(env("LOAD_STEP_SECONDS", "45")))
    section = render(results, meta)
    print(section)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "last-run.json").write_text(
        json.dumps({"meta": meta, "steps": [asdict(s) for s in results]}, indent=1), encoding="utf-8"
    )
    write_report(section)
    print(f"\nRapport : {REPORT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
