"""Households referred by the SIAO: composition, resources, situation, needs, wishes and support."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agency_backoffice.models.enums import HouseholdStatus, ResourceKind, Sex, Situation, SupportIntensity
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import Organisation, User, str_enum


class Household(Base):
    """One SIAO referral to one operator: only what matching, the lease and the support need (GDPR art. 5)."""

    __tablename__ = "households"
    __table_args__ = (
        UniqueConstraint("operator_id", "siao_reference"),
        CheckConstraint("tax_income IS NULL OR tax_income >= 0", name="tax_income_non_negative"),
        CheckConstraint("status <> 'closed' OR closed_on IS NOT NULL", name="closed_on_when_closed"),
        Index("ix_households_operator_status", "operator_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    siao_reference: Mapped[str] = mapped_column(String(40))
    status: Mapped[HouseholdStatus] = mapped_column(str_enum(HouseholdStatus, "status"), default=HouseholdStatus.ACTIVE)
    referred_on: Mapped[date] = mapped_column(Date)
    # Contact of the reference person (the file is worthless if staff cannot reach them).
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    couple: Mapped[bool] = mapped_column(Boolean, default=False)
    situation: Mapped[Situation] = mapped_column(str_enum(Situation, "situation"))
    situation_since: Mapped[date | None] = mapped_column(Date)
    priority_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    prefers_low_floor: Mapped[bool] = mapped_column(Boolean, default=False)
    wished_communes: Mapped[list[str]] = mapped_column(JSON, default=list)  # INSEE codes
    places: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{kind, label, commune}]
    # Revenu fiscal de référence (year N-2) for the Loc'Avantages ceilings; a disability card moves the category.
    tax_income: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    tax_income_year: Mapped[int | None] = mapped_column(Integer)
    disability_card: Mapped[bool] = mapped_column(Boolean, default=False)
    needed_by: Mapped[date | None] = mapped_column(Date)
    parked_until: Mapped[date | None] = mapped_column(Date)
    parked_reason: Mapped[str | None] = mapped_column(String(300))
    # Support (accompagnement): based on a diagnostic, with the household's free consent.
    diagnostic_conclusion: Mapped[str | None] = mapped_column(Text)
    support_kind: Mapped[str | None] = mapped_column(String(120))
    support_intensity: Mapped[SupportIntensity] = mapped_column(
        str_enum(SupportIntensity, "support_intensity"), default=SupportIntensity.NONE
    )
    referent_name: Mapped[str | None] = mapped_column(String(200))
    referent_organisation: Mapped[str | None] = mapped_column(String(200))
    referent_email: Mapped[str | None] = mapped_column(String(254))
    referent_phone: Mapped[str | None] = mapped_column(String(30))
    consent_on: Mapped[date | None] = mapped_column(Date)
    consent_scope: Mapped[str | None] = mapped_column(String(500))
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(String(300))
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Aggregates kept after anonymisation, for statistics.
    persons_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    operator: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
    members: Mapped[list[HouseholdMember]] = relationship(
        back_populates="household", order_by="HouseholdMember.position", cascade="all, delete-orphan"
    )
    resources: Mapped[list[HouseholdResource]] = relationship(
        back_populates="household", order_by="HouseholdResource.id", cascade="all, delete-orphan"
    )
    owner_links: Mapped[list[HouseholdOwnerLink]] = relationship(
        back_populates="household", cascade="all, delete-orphan"
    )

    @property
    def consented(self) -> bool:
        return self.consent_on is not None

    def is_parked(self, on: date) -> bool:
        return self.parked_until is not None and self.parked_until >= on

    @property
    def monthly_resources(self) -> Decimal:
        return sum((resource.monthly_amount for resource in self.resources), Decimal("0"))


def age_on(birth_year: int, birth_month: int | None, on: date) -> int:
    """Age in whole years; without a birth month, the birthday is taken as passed at mid-year."""
    age = on.year - birth_year
    month = birth_month or 7
    return max(0, age - 1 if on.month < month else age)  # a baby born later this year counts as 0


class HouseholdMember(Base):
    """A person of the household: adult or child, birth year (and month for children), sex for children."""

    __tablename__ = "household_members"
    __table_args__ = (
        CheckConstraint("birth_year >= 1900", name="birth_year"),
        CheckConstraint("birth_month IS NULL OR (birth_month BETWEEN 1 AND 12)", name="birth_month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    adult: Mapped[bool] = mapped_column(Boolean)
    birth_year: Mapped[int] = mapped_column(Integer)
    birth_month: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[Sex | None] = mapped_column(str_enum(Sex, "sex"))

    household: Mapped[Household] = relationship(back_populates="members")

    def age_on(self, on: date) -> int:
        return age_on(self.birth_year, self.birth_month, on)


class HouseholdResource(Base):
    __tablename__ = "household_resources"
    __table_args__ = (CheckConstraint("monthly_amount >= 0", name="amount_non_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ResourceKind] = mapped_column(str_enum(ResourceKind, "kind"))
    monthly_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    household: Mapped[Household] = relationship(back_populates="resources")


class HouseholdOwnerLink(Base):
    """A declared family or tax-household tie between the household and an owner (Loc'Avantages forbids it)."""

    __tablename__ = "household_owner_links"
    __table_args__ = (UniqueConstraint("household_id", "landlord_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlords.id"))
    note: Mapped[str | None] = mapped_column(String(300))

    household: Mapped[Household] = relationship(back_populates="owner_links")
