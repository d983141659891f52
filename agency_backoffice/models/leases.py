"""Leases to households (loi 89 lease or sub-lease), their guarantees, documents and bail glissant reviews.

The database holds what protects the owner, the household and public money whatever the code does: one lease
in force per unit and per household, a deposit of at most one month's rent excluding charges (loi 89-462
art. 22), a rent within the Loc'Avantages cap recorded at signature, a start not before the unit is available.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
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

from agency_backoffice.models.enums import (
    IN_FORCE_LEASE_STATUSES,
    ChargesMethod,
    DepositOutcome,
    GoalProgress,
    GuaranteeKind,
    LeaseDocumentKind,
    LeaseEndReason,
    LeaseKind,
    LeaseSignatureMethod,
    LeaseStatus,
    ReviewDecision,
    VisaleArea,
)
from agency_backoffice.models.households import Household
from agency_backoffice.models.ledger_enums import BenefitPayer
from agency_backoffice.models.matching import Proposal
from capture.models import Agreement, ConventionLevel, IMLMode, Landlord, StockEntry, Unit
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import Organisation, User, str_enum

_IN_FORCE = "status IN ({})".format(", ".join(f"'{status}'" for status in IN_FORCE_LEASE_STATUSES))


class Lease(Base):
    """A household's lease: from the owner (mandate, or after a slide) or from the association (sub-lease)."""

    __tablename__ = "leases"
    __table_args__ = (
        # One lease in force per unit and per household, on both engines (two concurrent activations: one wins).
        Index(
            "uq_leases_in_force_unit",
            "unit_id",
            unique=True,
            sqlite_where=text(_IN_FORCE),
            postgresql_where=text(_IN_FORCE),
        ),
        Index(
            "uq_leases_in_force_household",
            "household_id",
            unique=True,
            sqlite_where=text(_IN_FORCE),
            postgresql_where=text(_IN_FORCE),
        ),
        Index("ix_leases_operator_status", "operator_id", "status"),
        CheckConstraint("rent > 0", name="rent_positive"),
        CheckConstraint("charges >= 0", name="charges_non_negative"),
        CheckConstraint("deposit >= 0", name="deposit_non_negative"),
        # loi 89-462 art. 22: an unfurnished unit's deposit is at most one month's rent excluding charges, the
        # rent at signature: the deposit is never revised during the lease, so a later IRL decrease keeps it.
        CheckConstraint("deposit <= coalesce(initial_rent, rent)", name="deposit_at_most_one_month"),
        CheckConstraint("rent_cap IS NULL OR rent <= rent_cap", name="rent_within_cap"),
        CheckConstraint("level = 'none' OR status = 'draft' OR rent_cap IS NOT NULL", name="conventioned_has_cap"),
        CheckConstraint("starts_on >= available_on", name="starts_when_available"),
        CheckConstraint("duration_months > 0", name="duration_positive"),
        CheckConstraint("payment_day BETWEEN 1 AND 28", name="payment_day"),
        CheckConstraint("irl_quarter BETWEEN 1 AND 4", name="irl_quarter"),
        CheckConstraint("kind = 'direct' OR mode <> 'mandate'", name="mandate_is_direct"),
        CheckConstraint(
            "status = 'draft' OR (signed_on IS NOT NULL AND signatories IS NOT NULL AND signature_method IS NOT NULL)",
            name="signed_fields",
        ),
        CheckConstraint(
            "status NOT IN ('active', 'ended') OR activated_on IS NOT NULL OR end_reason = 'cancelled'",
            name="activated_fields",
        ),
        CheckConstraint("status <> 'ended' OR (ended_on IS NOT NULL AND end_reason IS NOT NULL)", name="ended_fields"),
        CheckConstraint("slid_from_id IS NULL OR deposit_outcome IS NOT NULL", name="slide_records_deposit"),
        CheckConstraint("benefit_monthly >= 0", name="benefit_non_negative"),
        CheckConstraint("benefit_monthly = 0 OR benefit_payer IS NOT NULL", name="benefit_has_payer"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    stock_entry_id: Mapped[int] = mapped_column(ForeignKey("stock_entries.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlords.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), unique=True)
    slid_from_id: Mapped[int | None] = mapped_column(ForeignKey("leases.id"), unique=True)
    kind: Mapped[LeaseKind] = mapped_column(str_enum(LeaseKind, "kind"))
    mode: Mapped[IMLMode] = mapped_column(str_enum(IMLMode, "mode"))
    status: Mapped[LeaseStatus] = mapped_column(str_enum(LeaseStatus, "status"), default=LeaseStatus.DRAFT)
    tenants: Mapped[list[str]] = mapped_column(JSON, default=list)  # names of the adults who sign
    rent: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # monthly, charges excluded (revised yearly: IRL)
    initial_rent: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # the rent at signature
    charges: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    charges_method: Mapped[ChargesMethod] = mapped_column(
        str_enum(ChargesMethod, "charges_method"), default=ChargesMethod.PROVISION
    )
    deposit: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    payment_day: Mapped[int] = mapped_column(Integer, default=5)
    starts_on: Mapped[date] = mapped_column(Date)
    duration_months: Mapped[int] = mapped_column(Integer)
    available_on: Mapped[date] = mapped_column(Date)  # the unit's availability, recorded from the stock entry
    irl_quarter: Mapped[int] = mapped_column(Integer)  # revision clause: the IRL of this quarter
    irl_base_year: Mapped[int] = mapped_column(Integer)  # year of the last index published at signature
    level: Mapped[ConventionLevel] = mapped_column(str_enum(ConventionLevel, "level"))
    rent_cap: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # Loc'Avantages cap at the signature date
    dpe_class: Mapped[str | None] = mapped_column(String(1))
    previous_rent: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    previous_tenant_left_on: Mapped[date | None] = mapped_column(Date)
    works: Mapped[str | None] = mapped_column(Text)  # works since the last lease (nature, amount)
    equipment: Mapped[str | None] = mapped_column(Text)
    private_parts: Mapped[str | None] = mapped_column(Text)  # cave, parking… for the tenant's sole use
    common_parts: Mapped[str | None] = mapped_column(Text)
    annexes: Mapped[list[str]] = mapped_column(JSON, default=list)  # LeaseAnnex values
    support_clause: Mapped[str | None] = mapped_column(Text)  # sub-lease: the support the household receives
    review_months: Mapped[int | None] = mapped_column(Integer)  # bail glissant: months between reviews
    # Rent ledger: the housing benefit paid to the operator each month (tiers payant), from the CAF/MSA notice.
    benefit_monthly: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), server_default="0")
    benefit_payer: Mapped[BenefitPayer | None] = mapped_column(str_enum(BenefitPayer, "benefit_payer"))
    revision_on: Mapped[date | None] = mapped_column(Date)  # first IRL revision date stated in the lease, if any
    signed_on: Mapped[date | None] = mapped_column(Date)
    signatories: Mapped[str | None] = mapped_column(String(400))
    signature_method: Mapped[LeaseSignatureMethod | None] = mapped_column(
        str_enum(LeaseSignatureMethod, "signature_method")
    )
    activated_on: Mapped[date | None] = mapped_column(Date)
    notice_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)  # the household's exit date
    end_reason: Mapped[LeaseEndReason | None] = mapped_column(str_enum(LeaseEndReason, "end_reason"))
    end_note: Mapped[str | None] = mapped_column(Text)
    deposit_outcome: Mapped[DepositOutcome | None] = mapped_column(str_enum(DepositOutcome, "deposit_outcome"))
    deposit_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    operator: Mapped[Organisation] = relationship()
    unit: Mapped[Unit] = relationship()
    stock_entry: Mapped[StockEntry] = relationship()
    agreement: Mapped[Agreement] = relationship()
    landlord: Mapped[Landlord] = relationship()
    household: Mapped[Household] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    slid_from: Mapped[Lease | None] = relationship(remote_side="Lease.id")
    guarantees: Mapped[list[Guarantee]] = relationship(back_populates="lease", order_by="Guarantee.id")
    documents: Mapped[list[LeaseDocument]] = relationship(back_populates="lease", order_by="LeaseDocument.id")
    reviews: Mapped[list[SlidingReview]] = relationship(back_populates="lease", order_by="SlidingReview.due_on")


class Guarantee(Base):
    """A guarantee covering a lease: Visale, FSL, the operator's own fund, GLI or a personal guarantor."""

    __tablename__ = "lease_guarantees"
    __table_args__ = (
        Index(
            "uq_lease_guarantees_single_kind",
            "lease_id",
            "kind",
            unique=True,
            sqlite_where=text("kind IN ('visale', 'operator_fund', 'gli')"),
            postgresql_where=text("kind IN ('visale', 'operator_fund', 'gli')"),
        ),
        CheckConstraint("amount IS NULL OR amount >= 0", name="amount_non_negative"),
        CheckConstraint("kind <> 'visale' OR visa_number IS NOT NULL", name="visale_has_visa"),
        CheckConstraint(
            "kind <> 'fsl' OR (fsl_decision_reference IS NOT NULL AND fsl_decision_on IS NOT NULL)",
            name="fsl_has_decision",
        ),
        CheckConstraint(
            "kind <> 'operator_fund' OR (covered_months > 0 AND amount > 0 AND expires_on IS NOT NULL)",
            name="fund_has_cover",
        ),
        CheckConstraint("kind <> 'gli' OR insurer IS NOT NULL", name="gli_has_insurer"),
        CheckConstraint("kind <> 'personal_guarantor' OR guarantor_name IS NOT NULL", name="guarantor_named"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[GuaranteeKind] = mapped_column(str_enum(GuaranteeKind, "kind"))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # FSL amount, fund ceiling, GLI ceiling
    starts_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)  # fund expiry; Visale: end of the covered years
    # Visale
    visa_number: Mapped[str | None] = mapped_column(String(40))
    visa_issued_on: Mapped[date | None] = mapped_column(Date)
    visale_area: Mapped[VisaleArea | None] = mapped_column(str_enum(VisaleArea, "visale_area"))
    visale_cap: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # the cap checked, charges included
    # FSL
    fsl_departement: Mapped[str | None] = mapped_column(String(3))
    fsl_decision_reference: Mapped[str | None] = mapped_column(String(60))
    fsl_decision_on: Mapped[date | None] = mapped_column(Date)
    # Operator fund
    covered_months: Mapped[int | None] = mapped_column(Integer)
    # GLI / personal guarantor
    insurer: Mapped[str | None] = mapped_column(String(200))
    policy_number: Mapped[str | None] = mapped_column(String(60))
    guarantor_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lease: Mapped[Lease] = relationship(back_populates="guarantees")


class LeaseDocument(Base):
    """A generated document (lease, sub-lease, tripartite agreement, guarantee papers), stored by its SHA-256."""

    __tablename__ = "lease_documents"
    __table_args__ = (Index("ix_lease_documents_lease_kind", "lease_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id", ondelete="CASCADE"))
    guarantee_id: Mapped[int | None] = mapped_column(ForeignKey("lease_guarantees.id", ondelete="SET NULL"))
    kind: Mapped[LeaseDocumentKind] = mapped_column(str_enum(LeaseDocumentKind, "kind"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lease: Mapped[Lease] = relationship(back_populates="documents")
    created_by: Mapped[User | None] = relationship()


class SlidingReview(Base):
    """A six-monthly bail glissant review: what was checked, what the household says, and the decision."""

    __tablename__ = "sliding_reviews"
    __table_args__ = (
        UniqueConstraint("lease_id", "due_on"),
        CheckConstraint(
            "decision IS NULL OR (held_on IS NOT NULL AND reasons IS NOT NULL)", name="decision_has_reasons"
        ),
        Index("ix_sliding_reviews_due", "held_on", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lease_id: Mapped[int] = mapped_column(ForeignKey("leases.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    held_on: Mapped[date | None] = mapped_column(Date)
    rent_paid_regularly: Mapped[bool | None] = mapped_column()
    insurance_ok: Mapped[bool | None] = mapped_column()
    occupancy_ok: Mapped[bool | None] = mapped_column()
    support_goals: Mapped[str | None] = mapped_column(Text)
    goals_progress: Mapped[GoalProgress | None] = mapped_column(str_enum(GoalProgress, "goals_progress"))
    household_view: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[ReviewDecision | None] = mapped_column(str_enum(ReviewDecision, "decision"))
    reasons: Mapped[str | None] = mapped_column(Text)
    slide_on: Mapped[date | None] = mapped_column(Date)  # decided slide date
    reminded_on: Mapped[date | None] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    lease: Mapped[Lease] = relationship(back_populates="reviews")
    decided_by: Mapped[User | None] = relationship()
