"""Yearly capture targets a metropolis sets for its territory."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from passerelle.db import Base


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
