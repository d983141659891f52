"""Yearly IRL revisions of a lease's rent (loi 89-462 art. 17-1), reviewed by staff before they apply."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency_backoffice.models.leases import Lease
from agency_backoffice.models.ledger_enums import RevisionStatus
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import str_enum


class RentRevision(Base):
    __tablename__ = "rent_revisions"
    __table_args__ = (
        UniqueConstraint("lease_id", "due_on"),
        CheckConstraint("old_rent > 0", name="old_rent_positive"),
        CheckConstraint("new_rent IS NULL OR new_rent > 0", name="new_rent_positive"),
        CheckConstraint("status NOT IN ('proposed', 'applied') OR new_rent IS NOT NULL", name="computed"),
        CheckConstraint("status <> 'applied' OR applied_on IS NOT NULL", name="applied_fields"),
        # Not retroactive: the revised rent applies from a due date on or after the revision date.
        CheckConstraint("effective_from IS NULL OR effective_from >= due_on", name="not_retroactive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)  # the revision date (anniversary or the date in the lease)
    quarter_year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    irl_new: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    irl_old: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    old_rent: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    new_rent: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    frozen: Mapped[bool] = mapped_column(default=False)
    capped: Mapped[bool] = mapped_column(default=False)
    explanation: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RevisionStatus] = mapped_column(str_enum(RevisionStatus, "status"))
    effective_from: Mapped[date | None] = mapped_column(Date)  # first period at the new rent
    applied_on: Mapped[date | None] = mapped_column(Date)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_filename: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lease: Mapped[Lease] = relationship()
