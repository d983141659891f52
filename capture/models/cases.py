"""Capture cases, their stage history, and the routing of units to operators."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capture.models.enums import CaptureStage, IMLMode, LeadSource
from capture.models.units import Landlord, Unit
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import Commune, Organisation, User, str_enum


class RoutingRule(Base):
    """Which operator receives a territory's units for a mode (and optionally a commune): territory data."""

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("territory_id", "commune_insee", "mode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"))
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("communes.insee"))  # NULL: every commune
    mode: Mapped[IMLMode] = mapped_column(str_enum(IMLMode, "iml_mode"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))

    operator: Mapped[Organisation] = relationship()


class CaptureCase(Base):
    """One unit (or one lead before the unit is known) being captured by an operator."""

    __tablename__ = "capture_cases"
    __table_args__ = (
        Index("ix_capture_cases_operator_stage", "operator_id", "stage"),
        # The dashboard's year filters (bench/bench_dashboard.py at 50,000 cases).
        Index("ix_capture_cases_created_at", "created_at", "operator_id", "source"),
        CheckConstraint("stage <> 'paused' OR paused_until IS NOT NULL", name="paused_until"),
        CheckConstraint("stage <> 'lost' OR lost_reason IS NOT NULL", name="lost_reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), unique=True)
    landlord_id: Mapped[int | None] = mapped_column(ForeignKey("landlords.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # staff member in charge
    stage: Mapped[CaptureStage] = mapped_column(str_enum(CaptureStage, "stage"), default=CaptureStage.NEW)
    stage_before_pause: Mapped[CaptureStage | None] = mapped_column(str_enum(CaptureStage, "stage_before_pause"))
    paused_until: Mapped[date | None] = mapped_column(Date)
    lost_reason: Mapped[str | None] = mapped_column(String(30))
    source: Mapped[LeadSource] = mapped_column(str_enum(LeadSource, "lead_source"))
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("communes.insee"))
    # Contact given by a lead that has no landlord record yet (call-back form, phone, office hours).
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_message: Mapped[str | None] = mapped_column(Text)
    next_action_on: Mapped[date | None] = mapped_column(Date)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # Lead details from an imported vacant-housing list (owner not yet a landlord record).
    owner_address: Mapped[str | None] = mapped_column(String(300))
    unit_address: Mapped[str | None] = mapped_column(String(300))
    vacancy_months: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    operator: Mapped[Organisation] = relationship()
    unit: Mapped[Unit | None] = relationship()
    landlord: Mapped[Landlord | None] = relationship()
    owner: Mapped[User | None] = relationship()
    commune: Mapped[Commune | None] = relationship()
    stage_changes: Mapped[list[CaptureStageChange]] = relationship(
        back_populates="case", order_by="CaptureStageChange.at"
    )


class CaptureStageChange(Base):
    """Every stage change of a case: the landlord's timeline and the funnel's delays come from here."""

    __tablename__ = "capture_stage_changes"
    __table_args__ = (
        # Captures of a period (first change to « signed ») and each case's first arrival at a stage.
        Index("ix_capture_stage_changes_to_stage_at", "to_stage", "at", "case_id", "from_stage"),
        Index("ix_capture_stage_changes_case_id_to_stage_at", "case_id", "to_stage", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("capture_cases.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[CaptureStage | None] = mapped_column(str_enum(CaptureStage, "from_stage"))
    to_stage: Mapped[CaptureStage] = mapped_column(str_enum(CaptureStage, "to_stage"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[CaptureCase] = relationship(back_populates="stage_changes")
