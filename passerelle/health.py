"""Health endpoints for load balancers and monitoring, public and cheap, never touching the session.

``/livez``: the process answers (no database, no template) — also the floor of the stack in load tests.
``/healthz``: the database answers, its schema is at the migrations' head, and the active scheduler's heartbeat
is fresh; 200 when all hold, 503 naming each failing check otherwise (short French details, nothing personal).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Request, Response, current_app, jsonify, request
from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin
from sqlalchemy import Engine, inspect, literal_column, select, table, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from passerelle import migrate
from passerelle.config import ConfigurationError, positive_number
from passerelle.db import db, utcnow
from passerelle.extensions import csrf
from passerelle.models import SchedulerHeartbeat

log = logging.getLogger("passerelle.health")

bp = Blueprint("health", __name__)
STATELESS_PATHS = frozenset({"/livez", "/healthz"})
VERSION_TABLE = "alembic_version"
DEFAULT_MAX_AGE_SECONDS = 60.0
# passerelle.scheduler's default beat (not imported: APScheduler is slow to import in a web worker).
SCHEDULER_DEFAULT_HEARTBEAT_SECONDS = 30.0


def init_app(app: Flask) -> None:
    app.extensions["passerelle.health"] = {"max_age": scheduler_max_age(app.config), "scripts": None}
    app.session_interface = StatelessPaths(app.session_interface, STATELESS_PATHS)
    csrf.exempt(bp)
    app.register_blueprint(bp)


def scheduler_max_age(config: Mapping[str, Any]) -> float:
    """HEALTH_SCHEDULER_MAX_AGE_SECONDS, checked against the scheduler's beat: one late beat must not alarm."""
    max_age = positive_number(config, "HEALTH_SCHEDULER_MAX_AGE_SECONDS", DEFAULT_MAX_AGE_SECONDS)
    heartbeat = positive_number(config, "SCHEDULER_HEARTBEAT_SECONDS", SCHEDULER_DEFAULT_HEARTBEAT_SECONDS)
    if heartbeat * 2 > max_age:
        raise ConfigurationError(
            f"HEALTH_SCHEDULER_MAX_AGE_SECONDS={max_age:g} doit valoir au moins le double de "
            f"SCHEDULER_HEARTBEAT_SECONDS={heartbeat:g} : un seul battement en retard suffirait à déclencher l'alerte."
        )
    return max_age


# --- views -----------------------------------------------------------------------------------------------------


@bp.get("/livez")
def livez() -> Response:
    return Response("ok", mimetype="text/plain", headers={"Cache-Control": "no-store"})


@bp.get("/healthz")
def healthz() -> Response:
    state = current_app.extensions["passerelle.health"]
    if state["scripts"] is None:  # the migration scripts only change with a deployment, which restarts the process
        state["scripts"] = MigrationScripts.load(db.engine)
    checks = run_checks(db.session, scripts=state["scripts"], max_age=state["max_age"], now=utcnow())
    healthy = all(check.status == "ok" for check in checks.values())
    body = {"status": "ok" if healthy else "error", "checks": {name: c.as_json() for name, c in checks.items()}}
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


# --- checks ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    status: str  # ok | error | skipped
    detail: str | None = None
    age_seconds: float | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status}
        if self.detail:
            data["detail"] = self.detail
        if self.age_seconds is not None:
            data["age_seconds"] = self.age_seconds
        return data


@dataclass(frozen=True)
class MigrationScripts:
    heads: frozenset[str]
    known: frozenset[str]  # every revision of this version of the code

    @classmethod
    def load(cls, engine: Engine) -> MigrationScripts:
        script = ScriptDirectory.from_config(migrate.alembic_config(engine))
        return cls(frozenset(script.get_heads()), frozenset(rev.revision for rev in script.walk_revisions()))


def run_checks(session: Session, *, scripts: MigrationScripts, max_age: float, now: datetime) -> dict[str, Check]:
    database = _guarded(session, "database", lambda: check_database(session))
    if database.status != "ok":
        skipped = Check("skipped", "Non vérifié : base de données injoignable.")
        return {"database": database, "migrations": skipped, "scheduler": skipped}
    return {
        "database": database,
        "migrations": _guarded(session, "migrations", lambda: check_migrations(session, scripts)),
        "scheduler": _guarded(session, "scheduler", lambda: check_scheduler(session, now=now, max_age=max_age)),
    }


def _guarded(session: Session, name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except SQLAlchemyError as exc:
        # The log gets the error's class only: driver messages may quote the data of the failing statement.
        log.warning("Contrôle de santé « %s » en échec : %s", name, type(exc).__name__)
        session.rollback()
        if name == "database":
            return Check("error", "Base de données injoignable.")
        return Check("error", "Vérification impossible : la base a refusé la requête.")


def check_database(session: Session) -> Check:
    session.execute(text("SELECT 1"))
    return Check("ok")


def check_migrations(session: Session, scripts: MigrationScripts) -> Check:
    # Read alembic's table directly: a MigrationContext would log two lines on every call.
    connection = session.connection()
    current: set[str] = set()
    if inspect(connection).has_table(VERSION_TABLE):
        current = set(connection.scalars(select(literal_column("version_num")).select_from(table(VERSION_TABLE))))
    if current == scripts.heads:
        return Check("ok")
    if not current:
        return Check("error", "Schéma non initialisé : lancez « passerelle db upgrade ».")
    if current - scripts.known:
        return Check("error", "Base plus récente que le code déployé : révision inconnue de cette version.")
    return Check("error", "Migrations en retard : lancez « passerelle db upgrade ».")


def check_scheduler(session: Session, *, now: datetime, max_age: float) -> Check:
    """The beat of the lock holder: a standby beats too, but only the active one runs the jobs."""
    last = session.scalar(
        select(SchedulerHeartbeat.beat_at)
        .where(SchedulerHeartbeat.holds_lock.is_(True))
        .order_by(SchedulerHeartbeat.beat_at.desc())
        .limit(1)
    )
    if last is None:
        return Check("error", "Aucun planificateur actif : lancez « passerelle scheduler ».")
    age = round(max((now - last).total_seconds(), 0.0), 1)
    if age > max_age:
        return Check(
            "error",
            f"Planificateur arrêté ou bloqué : dernier battement il y a {age:.0f} s (maximum {max_age:g} s).",
            age,
        )
    return Check("ok", age_seconds=age)


# --- no session ------------------------------------------------------------------------------------------------


class StatelessPaths(SessionInterface):
    """Give some paths an empty session that is never saved: they neither read nor set the session cookie."""

    def __init__(self, inner: SessionInterface, paths: frozenset[str]) -> None:
        self.inner = inner
        self.paths = paths

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path in self.paths:
            return SecureCookieSession()
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.path in self.paths:
            return
        self.inner.save_session(app, session, response)

    def make_null_session(self, app: Flask) -> Any:
        return self.inner.make_null_session(app)

    def is_null_session(self, obj: object) -> bool:
        return self.inner.is_null_session(obj)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
