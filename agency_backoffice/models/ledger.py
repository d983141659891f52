"""The rent ledger: an append-only journal per lease, allocations of credits to debits, and its documents.

The database holds what protects the money whatever the code does:
- one rent call per lease and month (the rent-call job can run twice, or crash and run again);
- one payment per Stripe PaymentIntent and one row per Stripe event (a webhook delivered three times counts once);
- amounts have the sign of their kind, and an entry is never settled beyond its amount;
- one quittance and one notice per call.
Entries are never edited: a refund or a correction is a new entry that refers to the one it corrects.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency_backoffice.models.leases import Lease
from agency_backoffice.models.ledger_enums import EntryKind, LedgerDocumentKind, PaymentLinkStatus, PaymentMethod
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import str_enum


class LedgerEntry(Base):
    """One line of a lease's account; ``amount`` > 0 is owed by the household, < 0 is paid or credited."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        # One rent call per lease and month, on both engines (rent-call job re-run, crash then re-run, race).
        Index(
            "uq_ledger_entries_call_period",
            "lease_id",
            "period",
            unique=True,
            sqlite_where=text("kind = 'call'"),
            postgresql_where=text("kind = 'call'"),
        ),
        # One payment per Stripe PaymentIntent (and per imported bank line): a payment is recorded exactly once.
        Index(
            "uq_ledger_entries_external",
            "external_id",
            unique=True,
            sqlite_where=text("external_id IS NOT NULL"),
            postgresql_where=text("external_id IS NOT NULL"),
        ),
        Index("ix_ledger_entries_lease_due", "lease_id", "due_on"),
        Index("ix_ledger_entries_operator_kind_period", "operator_id", "kind", "period"),
        CheckConstraint(
            "(kind = 'call' AND amount >= 0) OR (kind = 'payment' AND amount < 0) "
            "OR (kind = 'refund' AND amount > 0) OR (kind = 'correction' AND amount <> 0)",
            name="amount_sign",
        ),
        CheckConstraint("settled >= 0 AND settled <= abs(amount)", name="settled_within_amount"),
        CheckConstraint(
            "kind <> 'call' OR (period IS NOT NULL AND period_start IS NOT NULL AND period_end IS NOT NULL "
            "AND rent IS NOT NULL AND charges IS NOT NULL AND abs(rent + charges - amount) < 0.005)",
            name="call_breakdown",
        ),
        CheckConstraint("benefit >= 0 AND benefit <= abs(amount)", name="benefit_within_amount"),
        CheckConstraint("kind <> 'payment' OR method IS NOT NULL", name="payment_method"),
        CheckConstraint("kind <> 'refund' OR reverses_id IS NOT NULL", name="refund_reverses"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    kind: Mapped[EntryKind] = mapped_column(str_enum(EntryKind, "kind"))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    settled: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), server_default="0")
    booked_on: Mapped[date] = mapped_column(Date)  # call: issue date; payment: date received
    due_on: Mapped[date] = mapped_column(Date)  # allocation order (oldest due first); = booked_on but for calls
    # Calls: the month (first day), the days it covers (prorated first and last months) and its breakdown.
    period: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    rent: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    charges: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Housing benefit paid to the operator for this call (tiers payant); the household's share is the rest.
    benefit: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), server_default="0")
    method: Mapped[PaymentMethod | None] = mapped_column(str_enum(PaymentMethod, "method"))
    reference: Mapped[str | None] = mapped_column(String(140))  # cheque number, transfer label…
    external_id: Mapped[str | None] = mapped_column(String(120))  # Stripe PaymentIntent id
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lease: Mapped[Lease] = relationship()
    reverses: Mapped[LedgerEntry | None] = relationship(remote_side="LedgerEntry.id")

    @property
    def is_debit(self) -> bool:
        return self.amount > 0

    @property
    def open_amount(self) -> Decimal:
        return abs(self.amount) - self.settled

    @property
    def household_share(self) -> Decimal:
        return self.amount - self.benefit


class Allocation(Base):
    """``amount`` of a credit (payment, credit correction) settles that much of a debit (call, refund…)."""

    __tablename__ = "ledger_allocations"
    __table_args__ = (
        UniqueConstraint("debit_id", "credit_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_id <> credit_id", name="distinct_entries"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    debit_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    credit_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    debit: Mapped[LedgerEntry] = relationship(foreign_keys=[debit_id])
    credit: Mapped[LedgerEntry] = relationship(foreign_keys=[credit_id])


class LedgerDocument(Base):
    """A rent call notice, quittance or reçu issued for a call (stored file, its hash)."""

    __tablename__ = "ledger_documents"
    __table_args__ = (
        Index(
            "uq_ledger_documents_quittance",
            "entry_id",
            unique=True,
            sqlite_where=text("kind = 'quittance'"),
            postgresql_where=text("kind = 'quittance'"),
        ),
        Index(
            "uq_ledger_documents_notice",
            "entry_id",
            unique=True,
            sqlite_where=text("kind = 'notice'"),
            postgresql_where=text("kind = 'notice'"),
        ),
        # A reçu per partial payment of a call.
        Index(
            "uq_ledger_documents_recu",
            "entry_id",
            "credit_id",
            unique=True,
            sqlite_where=text("kind = 'recu'"),
            postgresql_where=text("kind = 'recu'"),
        ),
        CheckConstraint("kind <> 'recu' OR credit_id IS NOT NULL", name="recu_has_payment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)  # the call
    credit_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))  # reçu: the payment
    kind: Mapped[LedgerDocumentKind] = mapped_column(str_enum(LedgerDocumentKind, "kind"))
    number: Mapped[str] = mapped_column(String(40))  # « Q-2026-000123 »
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entry: Mapped[LedgerEntry] = relationship(foreign_keys=[entry_id])


class PaymentLink(Base):
    """A tokenised link to pay a due amount online, no account needed; only the token's hash is stored."""

    __tablename__ = "payment_links"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))  # the call it pays, if one
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    label: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[PaymentLinkStatus] = mapped_column(
        str_enum(PaymentLinkStatus, "status"), default=PaymentLinkStatus.OPEN
    )
    payment_intent_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    failure_message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lease: Mapped[Lease] = relationship()


class StripeEvent(Base):
    """Each Stripe event id is applied once: a retry or duplicate finds its row and does nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    payment_intent_id: Mapped[str | None] = mapped_column(String(120), index=True)
    outcome: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
