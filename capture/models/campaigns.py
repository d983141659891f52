"""Campaigns that bring leads, and the activities logged on capture cases."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Integer, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capture.models.enums import ActivityKind, CampaignChannel
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import Commune, Organisation, User, str_enum

campaign_communes = Table(
    "campaign_communes",
    Base.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("commune_insee", ForeignKey("communes.insee"), primary_key=True),
)


class Campaign(Base):
    """A capture campaign (letters, posters, social media…) over a period, on target communes, at a cost."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="period"),
        CheckConstraint("cost >= 0", name="cost_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # who runs it
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[CampaignChannel] = mapped_column(str_enum(CampaignChannel, "channel"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    description: Mapped[str | None] = mapped_column(Text)
    letter_body: Mapped[str | None] = mapped_column(Text)  # mail-merge text of a letters campaign
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    communes: Mapped[list[Commune]] = relationship(secondary=campaign_communes, order_by="Commune.name")


class CaptureActivity(Base):
    """A call, e-mail, letter, visit or note on a capture case."""

    __tablename__ = "capture_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("capture_cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind, "kind"))
    occurred_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship()
