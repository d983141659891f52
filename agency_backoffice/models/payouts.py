"""What the operator owes owners each month (relevé de gérance) and the SEPA payout batches that pay them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capture.models import Landlord
from passerelle.db import Base, UTCDateTime, utcnow


class PayoutBatch(Base):
    """A SEPA credit transfer file (pain.001) for the bank, paying a month's statements."""

    __tablename__ = "payout_batches"
    __table_args__ = (
        UniqueConstraint("message_id"),
        CheckConstraint("total >= 0", name="total_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    period: Mapped[date] = mapped_column(Date)
    execution_date: Mapped[date] = mapped_column(Date)
    message_id: Mapped[str] = mapped_column(String(35))
    count: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    statements: Mapped[list[OwnerStatement]] = relationship(back_populates="batch")


class OwnerStatement(Base):
    """One owner's month with one operator: collected, benefit, fees, deductions, paid out (one per month)."""

    __tablename__ = "owner_statements"
    __table_args__ = (
        UniqueConstraint("operator_id", "landlord_id", "period"),
        CheckConstraint("payout >= 0", name="payout_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlords.id"), index=True)
    period: Mapped[date] = mapped_column(Date)  # first day of the month
    collected: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # rent and charges received for the owner
    benefit: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # part of it paid by the CAF / MSA
    fees: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    deductions: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    payout: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # per unit, for the PDF
    issued_on: Mapped[date] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payout_batches.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    landlord: Mapped[Landlord] = relationship()
    batch: Mapped[PayoutBatch | None] = relationship(back_populates="statements")
