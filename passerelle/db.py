"""Database wiring: declarative base with a naming convention, engine and one session per request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timestamps in UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets real transactions (savepoints) and enforced foreign keys."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # Database errors quote their statement's parameters (e-mails, names, amounts) unless told not to: they reach
    # the logs. SQL_ECHO (development) shows them on purpose.
    engine = create_engine(url, echo=echo, future=True, hide_parameters=not echo)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself
    # (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


class Database:
    """Flask extension: one engine per app, one session per application context."""

    def __init__(self) -> None:
        self.Session: sessionmaker[Session] | None = None

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"], echo=app.config.get("SQL_ECHO", False))
        app.extensions["passerelle.db"] = {
            "engine": engine,
            "sessionmaker": sessionmaker(bind=engine, expire_on_commit=False),
        }
        app.teardown_appcontext(self._remove_session)

    @staticmethod
    def _state(app: Flask | None = None) -> dict[str, Any]:
        return (app or current_app).extensions["passerelle.db"]

    def engine_for(self, app: Flask | None = None) -> Engine:
        return self._state(app)["engine"]

    def sessionmaker_for(self, app: Flask | None = None) -> sessionmaker[Session]:
        return self._state(app)["sessionmaker"]

    @property
    def engine(self) -> Engine:
        return self.engine_for()

    @property
    def session(self) -> Session:
        """The session of the current application context (request, CLI command or job)."""
        if "db_session" not in g:
            g.db_session = self.sessionmaker_for()()
        return g.db_session

    @staticmethod
    def _remove_session(_exc: BaseException | None = None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            # Anything not committed explicitly by the view, command or job is discarded.
            session.rollback()
            session.close()


db = Database()
