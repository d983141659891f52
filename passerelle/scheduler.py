"""``passerelle scheduler``: one active process runs the registered jobs every day; any other one waits on standby.

Only one scheduler is active at a time. On PostgreSQL it holds a session-level advisory lock on a connection of
its own for as long as it lives; on SQLite, an exclusive ``flock`` on a file next to the database. A process that
does not get the lock runs no job, keeps beating (``holds_lock`` false) and retries, so that it takes over when
the active one dies: the server (or the kernel) releases the lock with the dead process.

Each job runs once a day at its time (Europe/Paris) in a session and transaction of its own, for the business
date of that run. On taking the lock, the jobs whose time has already passed today and that have no ``JobRun`` for
today run first (catch-up): a late start still does the day's work, once.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy import URL, Connection, Engine, create_engine, delete, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from passerelle.config import ConfigurationError, positive_number
from passerelle.db import db, utcnow
from passerelle.jobs import Job, JobOutcome, registered_jobs, run_job, send_job_mails
from passerelle.models import SchedulerHeartbeat

log = logging.getLogger("passerelle.scheduler")

DEFAULT_LOCK_NAME = "passerelle-scheduler"
FIRST_DEFAULT_TIME = time(6, 0)
DEFAULT_STAGGER_MINUTES = 5
HEARTBEAT_RETENTION = timedelta(days=7)
HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
EXIT_STANDBY = 3  # ``passerelle scheduler --once`` without the lock: nothing ran


# --- one job, committed ----------------------------------------------------------------------------------------


class JobStatus(StrEnum):
    RAN = "ran"
    ALREADY_DONE = "already_done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"ran": "exécutée", "already_done": "déjà exécutée pour cette date", "failed": "en échec"}[self.value]


def run_job_committed(app: Flask, job: Job, on: date, *, force: bool = False) -> JobOutcome | None:
    """Run one job for a date in a session of its own, commit, then send its e-mails.

    An exception is logged and rolled back and gives ``None``: one failing job never stops the others.
    """
    with app.app_context():
        session = db.session
        try:
            outcome = run_job(session, job, on, force=force)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("Tâche %s du %s en échec : annulée, elle sera relancée au prochain passage.", job.name, on)
            return None
        try:
            send_job_mails(outcome.report)
        except Exception:
            # The work is committed and recorded; only the e-mails are lost, and the log says so.
            log.exception("Tâche %s du %s : exécutée, mais ses courriels n'ont pas pu être envoyés.", job.name, on)
    return outcome


# --- when jobs run ---------------------------------------------------------------------------------------------


def parse_job_times(configured: Mapping[str, str] | str | None) -> dict[str, time]:
    """Read ``SCHEDULER_TIMES``: a mapping name → "HH:MM", or the string "name=HH:MM,name=HH:MM"."""
    if not configured:
        return {}
    if isinstance(configured, str):
        pairs = [item.split("=", 1) for item in configured.replace(";", ",").split(",") if item.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise ConfigurationError(f"SCHEDULER_TIMES={configured!r} : attendu « tâche=HH:MM,tâche=HH:MM ».")
        configured = {name.strip(): value.strip() for name, value in pairs}
    times = {}
    for name, value in configured.items():
        if not isinstance(value, str) or not HH_MM.fullmatch(value):
            raise ConfigurationError(f"SCHEDULER_TIMES : heure « {value} » invalide pour {name} (attendu HH:MM).")
        times[name] = time.fromisoformat(value)
    return times


def job_times(names: Iterable[str], configured: Mapping[str, str] | str | None = None) -> dict[str, time]:
    """Each job's daily time: the configured one, else 06:00 staggered by 5 minutes in registration order."""
    names = list(names)
    times = parse_job_times(configured)
    unknown = sorted(set(times) - set(names))
    if unknown:
        raise ConfigurationError(
            f"SCHEDULER_TIMES : tâche(s) inconnue(s) {', '.join(unknown)}. Tâches : {', '.join(names) or 'aucune'}."
        )
    first = datetime.combine(date(2000, 1, 1), FIRST_DEFAULT_TIME)
    return {
        name: times.get(name, (first + timedelta(minutes=DEFAULT_STAGGER_MINUTES * index)).time())
        for index, name in enumerate(names)
    }


def business_date(local_now: datetime, at: time) -> date:
    """The day of the latest occurrence of ``at`` not after ``local_now``: a run late past midnight keeps its day."""
    return local_now.date() if local_now.time() >= at else local_now.date() - timedelta(days=1)


# --- the lock --------------------------------------------------------------------------------------------------


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key, stable across processes and versions (``hash()`` is salted per process)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class SchedulerLock(Protocol):
    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock, held on a dedicated connection for the life of the process."""

    def __init__(self, url: URL, key: int) -> None:
        # NullPool: closing the connection ends the server session, so the lock can never linger in a pool.
        self._engine = create_engine(url, poolclass=NullPool)
        self.key = key
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        if self._connection is not None:
            return True
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            log.warning("Base injoignable pour prendre le verrou du planificateur : %s", exc)
            return False
        try:
            acquired = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}))
        except SQLAlchemyError as exc:
            log.warning("Verrou du planificateur non obtenu : %s", exc)
            acquired = False
        if acquired:
            self._connection = connection
        else:
            connection.close()
        return acquired

    def still_held(self) -> bool:
        """Whether the lock's connection is alive (a session-level lock lives exactly as long as its session)."""
        if self._connection is None:
            return False
        try:
            self._connection.scalar(text("SELECT 1"))
        except SQLAlchemyError:
            self._connection.invalidate()
            self._connection = None
            return False
        return True

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except SQLAlchemyError as exc:
            log.warning("Déverrouillage explicite impossible (%s) : la fermeture de la connexion le libère.", exc)
        finally:
            connection.close()


class FileLock:
    """An exclusive, non-blocking ``flock`` on a file; the kernel releases it when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for whoever wonders which process holds it
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        # The file stays: unlinking a lock file lets a third process lock a new inode while another waits on the old.
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def scheduler_lock_for(engine: Engine, *, name: str = DEFAULT_LOCK_NAME, instance_path: str | Path) -> SchedulerLock:
    """The lock that elects the active scheduler of this database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine.url, lock_key(name))
    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).resolve()
        return FileLock(path.with_name(path.name + ".scheduler.lock"))
    return FileLock(Path(instance_path) / "scheduler.lock")


def scheduler_lock(app: Flask) -> SchedulerLock:
    return scheduler_lock_for(
        db.engine_for(app),
        name=app.config.get("SCHEDULER_LOCK_NAME") or DEFAULT_LOCK_NAME,
        instance_path=app.instance_path,
    )


# --- heartbeat -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heartbeat:
    name: str
    beat_at: datetime
    pid: int
    host: str
    holds_lock: bool


HeartbeatWriter = Callable[[Heartbeat], None]


def record_heartbeat(app: Flask, beat: Heartbeat) -> None:
    """Upsert this process's ``scheduler_heartbeats`` row in a short transaction; the active one prunes old rows."""
    with app.app_context():
        session = db.session
        row = session.get(SchedulerHeartbeat, beat.name) or SchedulerHeartbeat(name=beat.name)
        session.add(row)
        row.beat_at, row.pid, row.host, row.holds_lock = beat.beat_at, beat.pid, beat.host, beat.holds_lock
        if beat.holds_lock:
            # One row per process (host:pid): rows of processes gone for a week are only noise.
            cutoff = beat.beat_at - HEARTBEAT_RETENTION
            session.execute(delete(SchedulerHeartbeat).where(SchedulerHeartbeat.beat_at < cutoff))
        session.commit()


# --- the scheduler ---------------------------------------------------------------------------------------------


class Scheduler:
    """The process loop: hold (or wait for) the lock, beat, and let APScheduler run the jobs while active."""

    def __init__(
        self,
        app: Flask,
        *,
        jobs: Mapping[str, Job] | None = None,
        lock: SchedulerLock | None = None,
        write_heartbeat: HeartbeatWriter | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        config = app.config
        self.app = app
        self.jobs = dict(registered_jobs(app) if jobs is None else jobs)
        self.times = job_times(self.jobs, config.get("SCHEDULER_TIMES"))
        self.zone = ZoneInfo(config.get("TIMEZONE") or "Europe/Paris")
        self.misfire_grace = timedelta(hours=positive_number(config, "SCHEDULER_MISFIRE_GRACE_HOURS", 12))
        self.heartbeat_seconds = positive_number(config, "SCHEDULER_HEARTBEAT_SECONDS", 30)
        self.retry_seconds = positive_number(config, "SCHEDULER_STANDBY_RETRY_SECONDS", 30)
        self.lock = lock if lock is not None else scheduler_lock(app)
        self.host = socket.gethostname()[:255]
        self.pid = os.getpid()
        self.name = (config.get("SCHEDULER_NAME") or f"{self.host}:{self.pid}")[-60:]
        self.holds_lock = False
        self._write_heartbeat = write_heartbeat or partial(record_heartbeat, app)
        self._now = now
        self._stop = threading.Event()
        self._said_standby = False
        self.background: BackgroundScheduler | None = None

    def local_now(self) -> datetime:
        return self._now().astimezone(self.zone)

    def today(self) -> date:
        """The business date: today in Europe/Paris."""
        return self.local_now().date()

    # lock

    def try_acquire(self) -> bool:
        if not self.holds_lock:
            self.holds_lock = self.lock.try_acquire()
        return self.holds_lock

    def release(self) -> None:
        if self.holds_lock:
            self.lock.release()
            self.holds_lock = False
            log.info("Verrou du planificateur libéré.")

    # jobs

    def run_due_jobs(self, today: date) -> dict[str, JobStatus]:
        """Run every job for ``today``, in time order; those that already ran for that date do nothing."""
        results: dict[str, JobStatus] = {}
        for name, _at in sorted(self.times.items(), key=lambda item: item[1]):
            if self._stop.is_set():
                break
            results[name] = self._run(name, today)
        return results

    def catch_up(self) -> dict[str, JobStatus]:
        """Run each job's latest occurrence that has not run yet (a late, restarted or newly active scheduler)."""
        # Today's once its time has passed; yesterday's only within the misfire grace (down over midnight).
        # APScheduler only knows the occurrences it was running for: a (re)started process looks back itself.
        local = self.local_now()
        due = []
        for name, at in self.times.items():
            on = business_date(local, at)
            planned = datetime.combine(on, at, tzinfo=self.zone)
            if on == local.date() or local - planned <= self.misfire_grace:
                due.append((planned, name, on))
        results: dict[str, JobStatus] = {}
        for _planned, name, on in sorted(due):
            if self._stop.is_set():
                break
            results[name] = self._run(name, on)
        log.info("Rattrapage du %s terminé : %s", local.date(), _describe(results))
        return results

    def _run(self, name: str, on: date) -> JobStatus:
        outcome = run_job_committed(self.app, self.jobs[name], on)
        status = JobStatus.FAILED if outcome is None else JobStatus.RAN if outcome.ran else JobStatus.ALREADY_DONE
        if outcome is not None:
            log.info("Tâche %s du %s : %s — %s", name, on, status.label, outcome.report.summary)
        return status

    def _run_scheduled(self, name: str, at: time) -> None:
        if not self.holds_lock:  # paused as soon as the lock is lost; this only closes the remaining gap
            log.warning("Tâche %s non lancée : ce planificateur n'a plus le verrou.", name)
            return
        self._run(name, business_date(self.local_now(), at))

    # heartbeat

    def beat(self) -> None:
        """Record that this process is alive and whether it is the active one; never let a failure stop the loop."""
        beat = Heartbeat(self.name, self._now(), self.pid, self.host, self.holds_lock)
        try:
            self._write_heartbeat(beat)
        except Exception:
            log.exception("Battement du planificateur non enregistré.")

    # process loop

    def tick(self) -> float:
        """One turn of the loop: keep or take the lock, beat; return the seconds to wait before the next turn."""
        if self.holds_lock and not self.lock.still_held():
            log.error("Verrou du planificateur perdu (connexion coupée ?) : passage en attente.")
            self.holds_lock = False
            if self.background is not None:
                self.background.pause()
        if not self.holds_lock:
            if self.try_acquire():
                log.info("Planificateur actif (%s) : %d tâche(s) planifiée(s).", self.name, len(self.jobs))
                self._said_standby = False
                self._activate()
            elif not self._said_standby:
                log.info(
                    "Planificateur en attente : un autre détient le verrou ; nouvel essai toutes les %g s.",
                    self.retry_seconds,
                )
                self._said_standby = True
        self.beat()
        return self.heartbeat_seconds if self.holds_lock else min(self.retry_seconds, self.heartbeat_seconds)

    def _activate(self) -> None:
        # Plan first (paused), catch up, then resume: a time passed during the catch-up still fires (misfire grace).
        if self.background is None:
            self.background = self._plan()
        self.catch_up()
        self.background.resume()

    def _plan(self) -> BackgroundScheduler:
        background = BackgroundScheduler(
            timezone=self.zone,
            # One job at a time: batch jobs write a lot, and SQLite has a single writer anyway.
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(self.misfire_grace.total_seconds()),
            },
        )
        background.start(paused=True)
        for name, at in self.times.items():
            background.add_job(
                self._run_scheduled,
                CronTrigger(hour=at.hour, minute=at.minute, timezone=self.zone),
                args=[name, at],
                id=name,
                name=self.jobs[name].label,
                replace_existing=True,
            )
        return background

    def start(self) -> None:
        """Run until SIGTERM, SIGINT or ``stop()``; then shut down cleanly and release the lock."""
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():  # signals can only be handled there
            for stop_signal in (signal.SIGTERM, signal.SIGINT):
                previous[stop_signal] = signal.signal(stop_signal, self._on_signal)
        try:
            while not self._stop.is_set():
                self._stop.wait(self.tick())
        finally:
            self.shutdown()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("Signal %s reçu : arrêt du planificateur.", signal.Signals(signum).name)
        self.stop()

    def stop(self) -> None:
        self._stop.set()

    def shutdown(self) -> None:
        """Let a running job finish, stop APScheduler, release the lock and say so in a last beat."""
        if self.background is not None:
            self.background.shutdown(wait=True)
            self.background = None
        self.release()
        self.beat()


def _describe(results: Mapping[str, JobStatus]) -> str:
    return ", ".join(f"{name} {status.label}" for name, status in results.items()) or "rien à rattraper"
