"""Operator matching settings, cached housing benefit estimates, and proposals of units to households."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency_backoffice.models.enums import OPEN_PROPOSAL_STATUSES, DeclineReason, ProposalStatus
from agency_backoffice.models.households import Household
from capture.models import StockEntry, Unit
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import Organisation, User, str_enum

_OPEN = "status IN ({})".format(", ".join(f"'{status}'" for status in OPEN_PROPOSAL_STATUSES))


class MatchingSettings(Base):
    """An operator's own thresholds and weights; keys absent from ``values`` use the reference defaults."""

    __tablename__ = "matching_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    values: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # parameter key -> value as text
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class HousingBenefitEstimate(Base):
    """OpenFisca's monthly housing benefit for a household in a unit, cached per month and input fingerprint."""

    __tablename__ = "housing_benefit_estimates"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_non_negative"),)

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # hash of the inputs: a change recomputes
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Proposal(Base):
    """A unit proposed to a household by staff: the engine only ranks, a person decides (GDPR art. 22)."""

    __tablename__ = "proposals"
    __table_args__ = (
        # One open proposal per unit and per household, enforced by the database on both engines.
        Index(
            "uq_proposals_open_stock_entry",
            "stock_entry_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
        Index(
            "uq_proposals_open_household",
            "household_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
        CheckConstraint("status <> 'declined' OR decline_reason IS NOT NULL", name="declined_has_reason"),
        Index("ix_proposals_operator_status", "operator_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    stock_entry_id: Mapped[int] = mapped_column(ForeignKey("stock_entries.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus, "status"), default=ProposalStatus.PROPOSED)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # score and data at proposal time
    decline_reason: Mapped[DeclineReason | None] = mapped_column(str_enum(DeclineReason, "decline_reason"))
    decline_note: Mapped[str | None] = mapped_column(Text)
    status_changed_on: Mapped[date] = mapped_column(Date)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    operator: Mapped[Organisation] = relationship()
    household: Mapped[Household] = relationship()
    stock_entry: Mapped[StockEntry] = relationship()
    unit: Mapped[Unit] = relationship()
    proposed_by: Mapped[User | None] = relationship()
    events: Mapped[list[ProposalEvent]] = relationship(
        back_populates="proposal", order_by="ProposalEvent.id", cascade="all, delete-orphan"
    )


class ProposalEvent(Base):
    __tablename__ = "proposal_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    proposal: Mapped[Proposal] = relationship(back_populates="events")
    by: Mapped[User | None] = relationship()
