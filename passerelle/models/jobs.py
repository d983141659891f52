"""One row per (job, business date) that ran to the end: jobs are idempotent functions of (session, date)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from passerelle.db import Base, UTCDateTime, utcnow


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("name", "run_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    run_date: Mapped[date] = mapped_column(Date)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SchedulerHeartbeat(Base):
    """The scheduler processes' last signs of life (``/healthz`` reads the active one's)."""

    __tablename__ = "scheduler_heartbeats"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)  # host:pid
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    holds_lock: Mapped[bool] = mapped_column(Boolean, default=False)
