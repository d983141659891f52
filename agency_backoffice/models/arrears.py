"""Arrears follow-up: a case per episode of unpaid rent on a lease, its clocks as tasks, and repayment plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency_backoffice.models.leases import Lease
from agency_backoffice.models.ledger_enums import ArrearsTaskKind, PlanStatus
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import str_enum


class ArrearsCase(Base):
    """From the first unpaid due date until the arrears are cleared; at most one open case per lease."""

    __tablename__ = "arrears_cases"
    __table_args__ = (
        Index(
            "uq_arrears_cases_open",
            "lease_id",
            unique=True,
            sqlite_where=text("closed_on IS NULL"),
            postgresql_where=text("closed_on IS NULL"),
        ),
        UniqueConstraint("lease_id", "first_unpaid_on"),
        CheckConstraint("closed_on IS NULL OR closed_on >= first_unpaid_on", name="closed_after_opened"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    first_unpaid_on: Mapped[date] = mapped_column(Date)  # the due date the clocks start from
    constituted_on: Mapped[date | None] = mapped_column(Date)  # Visale sense: 2 full months, or > 1 month partial
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))  # unpaid at the last update
    updated_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lease: Mapped[Lease] = relationship()
    tasks: Mapped[list[ArrearsTask]] = relationship(back_populates="case", order_by="ArrearsTask.due_on")
    plans: Mapped[list[RepaymentPlan]] = relationship(back_populates="case", order_by="RepaymentPlan.id")


class ArrearsTask(Base):
    """One clock of a case: what to do, by when; done by whom, when, with which letter."""

    __tablename__ = "arrears_tasks"
    __table_args__ = (UniqueConstraint("case_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("arrears_cases.id", ondelete="CASCADE"))
    kind: Mapped[ArrearsTaskKind] = mapped_column(str_enum(ArrearsTaskKind, "kind"))
    due_on: Mapped[date] = mapped_column(Date)
    legal_basis: Mapped[str | None] = mapped_column(String(300))
    done_on: Mapped[date | None] = mapped_column(Date)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_filename: Mapped[str | None] = mapped_column(String(200))

    case: Mapped[ArrearsCase] = relationship(back_populates="tasks")


class RepaymentPlan(Base):
    """A plan d'apurement: the arrears at agreement, repaid in instalments on top of the current rent."""

    __tablename__ = "repayment_plans"
    __table_args__ = (
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("months > 0", name="months_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("arrears_cases.id", ondelete="CASCADE"), index=True)
    agreed_on: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    months: Mapped[int] = mapped_column(Integer)
    first_due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, "status"), default=PlanStatus.ACTIVE)
    broken_on: Mapped[date | None] = mapped_column(Date)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_filename: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[ArrearsCase] = relationship(back_populates="plans")
    instalments: Mapped[list[RepaymentInstalment]] = relationship(
        back_populates="plan", order_by="RepaymentInstalment.due_on", cascade="all, delete-orphan"
    )


class RepaymentInstalment(Base):
    __tablename__ = "repayment_instalments"
    __table_args__ = (UniqueConstraint("plan_id", "due_on"), CheckConstraint("amount > 0", name="amount_positive"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("repayment_plans.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    plan: Mapped[RepaymentPlan] = relationship(back_populates="instalments")
