"""Unit assessments (field visits), agreements with owners, and the Anah follow-ups they create."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capture.models.enums import (
    AssessmentOutcome,
    ConventionLevel,
    FollowUpKind,
    IMLMode,
    SignatureMethod,
    StockStatus,
)
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import Organisation, User, str_enum

if TYPE_CHECKING:
    from capture.models.units import Unit


class UnitAssessment(Base):
    """The field visit: décence checklist, measured surfaces, DPE, works, outcome with reasons."""

    __tablename__ = "unit_assessments"
    __table_args__ = (
        CheckConstraint("surface_m2 > 0", name="surface_positive"),
        CheckConstraint("annexes_m2 >= 0", name="annexes_non_negative"),
        CheckConstraint("dpe_class IS NULL OR dpe_class IN ('A','B','C','D','E','F','G')", name="dpe_class"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("capture_cases.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # item key -> true/false/null
    surface_m2: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    annexes_m2: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=Decimal("0"))
    rooms: Mapped[int | None] = mapped_column(Integer)
    main_room_m2: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    ceiling_height_m: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    dpe_class: Mapped[str | None] = mapped_column(String(1))
    dpe_energy_kwh_m2: Mapped[int | None] = mapped_column(Integer)
    dpe_ghg_kg_m2: Mapped[int | None] = mapped_column(Integer)
    works: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{description, cost}]
    outcome: Mapped[AssessmentOutcome] = mapped_column(str_enum(AssessmentOutcome, "outcome"))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assessor: Mapped[User | None] = relationship()


class Agreement(Base):
    """The signed commitment of an owner: a management mandate, or a lease to the association."""

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("rent > 0", name="rent_positive"),
        CheckConstraint("charges >= 0", name="charges_non_negative"),
        CheckConstraint("duration_months > 0", name="duration_positive"),
        CheckConstraint("fee_rate IS NULL OR (fee_rate >= 0 AND fee_rate < 1)", name="fee_rate"),
        CheckConstraint("status IN ('draft', 'signed')", name="status"),
        CheckConstraint(
            "status <> 'signed' OR (signed_on IS NOT NULL AND signature_method IS NOT NULL)",
            name="signed_fields",
        ),
        CheckConstraint("end_reason IS NULL OR ended_on IS NOT NULL", name="ended_fields"),
        Index("ix_agreements_operator_status", "operator_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("capture_cases.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlords.id"))
    mode: Mapped[IMLMode] = mapped_column(str_enum(IMLMode, "mode"))
    level: Mapped[ConventionLevel] = mapped_column(str_enum(ConventionLevel, "level"))
    rent: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    rent_cap: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # at the signature date, when conventioned
    charges: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    duration_months: Mapped[int] = mapped_column(Integer)
    fee_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))  # mandate only
    starts_on: Mapped[date] = mapped_column(Date)
    sliding_clause: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_filename: Mapped[str | None] = mapped_column(String(200))
    signed_on: Mapped[date | None] = mapped_column(Date)
    signatory_name: Mapped[str | None] = mapped_column(String(200))
    signature_method: Mapped[SignatureMethod | None] = mapped_column(str_enum(SignatureMethod, "signature_method"))
    signature_ip: Mapped[str | None] = mapped_column(String(45))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The lease to the association ends for this unit when its bail glissant slides to the household.
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(20))  # slide | other
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    operator: Mapped[Organisation] = relationship()
    follow_ups: Mapped[list[AnahFollowUp]] = relationship(
        back_populates="agreement", order_by="AnahFollowUp.due_on", cascade="all, delete-orphan"
    )


class StockEntry(Base):
    """A captured unit in an operator's stock: available to be let, then let, or withdrawn."""

    __tablename__ = "stock_entries"
    __table_args__ = (Index("ix_stock_entries_operator_status", "operator_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), unique=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    mode: Mapped[IMLMode] = mapped_column(str_enum(IMLMode, "mode"))
    level: Mapped[ConventionLevel] = mapped_column(str_enum(ConventionLevel, "level"))
    rent: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    charges: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    available_on: Mapped[date] = mapped_column(Date)
    status: Mapped[StockStatus] = mapped_column(str_enum(StockStatus, "status"), default=StockStatus.AVAILABLE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agreement: Mapped[Agreement] = relationship()
    unit: Mapped[Unit] = relationship()


class AnahFollowUp(Base):
    """A dated Anah step created by a signature: convention request, IML premium claim, end of commitment."""

    __tablename__ = "anah_follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FollowUpKind] = mapped_column(str_enum(FollowUpKind, "kind"))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)

    agreement: Mapped[Agreement] = relationship(back_populates="follow_ups")
