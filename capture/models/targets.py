"""Yearly capture targets a metropolis sets for its territory, and the daily snapshots of its indicators."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from passerelle.db import Base, UTCDateTime, utcnow


class CapturePlan(Base):
    """A territory's plan for a year: the target share of captures under mandate (national aim: 50 %)."""

    __tablename__ = "capture_plans"
    __table_args__ = (
        UniqueConstraint("territory_id", "year"),
        CheckConstraint(
            "mandate_share_target IS NULL OR (mandate_share_target >= 0 AND mandate_share_target <= 1)",
            name="share",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"))
    year: Mapped[int] = mapped_column(Integer)
    mandate_share_target: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))


class CaptureTarget(Base):
    """Units to capture in a year: in total, or for one mode, one level or one operator."""

    __tablename__ = "capture_targets"
    __table_args__ = (
        UniqueConstraint("plan_id", "dimension", "key"),
        CheckConstraint("dimension IN ('total', 'mode', 'level', 'operator')", name="dimension"),
        CheckConstraint("units >= 0", name="units_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("capture_plans.id", ondelete="CASCADE"), index=True)
    dimension: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(20), default="")  # mode value, level value, operator id; '' for total
    units: Mapped[int] = mapped_column(Integer)


class IndicatorSnapshot(Base):
    """A territory's indicators as they stood on a date (aggregates only), kept to draw trends."""

    __tablename__ = "indicator_snapshots"
    __table_args__ = (UniqueConstraint("territory_id", "taken_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"))
    taken_on: Mapped[date] = mapped_column(Date)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
