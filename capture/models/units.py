"""Landlords, their units and documents, and the simulations they ran."""

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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capture.models.enums import ConventionLevel, DeclarationStatus, Heating, IMLMode, LandlordKind
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import Commune, User, str_enum


class Landlord(Base):
    """An owner: a person, a company or an indivision; may have a portal account or come from a lead."""

    __tablename__ = "landlords"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    kind: Mapped[LandlordKind] = mapped_column(str_enum(LandlordKind, "landlord_kind"))
    name: Mapped[str] = mapped_column(String(200))  # person's full name or company / indivision name
    company_siren: Mapped[str | None] = mapped_column(String(9))
    representative: Mapped[str | None] = mapped_column(String(200))  # for a company or an indivision
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    city: Mapped[str | None] = mapped_column(String(120))
    preferred_contact: Mapped[str] = mapped_column(String(10), default="email")
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the operator pays the rent collected (mandate) or due (sous-location): SEPA credit transfer.
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    account_holder: Mapped[str | None] = mapped_column(String(70))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()
    units: Mapped[list[Unit]] = relationship(back_populates="landlord", order_by="Unit.id")


class Unit(Base):
    """A dwelling declared by its owner (or found by a campaign), from draft to captured and let."""

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint("surface_m2 IS NULL OR surface_m2 > 0", name="surface_positive"),
        CheckConstraint("annexes_m2 >= 0", name="annexes_non_negative"),
        CheckConstraint("dpe_class IS NULL OR dpe_class IN ('A','B','C','D','E','F','G')", name="dpe_class"),
        Index("ix_units_landlord_id", "landlord_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlords.id"))
    status: Mapped[DeclarationStatus] = mapped_column(
        str_enum(DeclarationStatus, "declaration_status"), default=DeclarationStatus.DRAFT
    )
    address: Mapped[str | None] = mapped_column(String(300))
    address_complement: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("communes.insee"))
    surface_m2: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    annexes_m2: Mapped[Decimal] = mapped_column(Numeric(7, 2), default=Decimal("0"))
    rooms: Mapped[int | None] = mapped_column(Integer)
    floor: Mapped[int | None] = mapped_column(Integer)
    has_lift: Mapped[bool | None] = mapped_column(Boolean)
    step_free: Mapped[bool | None] = mapped_column(Boolean)
    heating: Mapped[Heating | None] = mapped_column(str_enum(Heating, "heating"))
    dpe_class: Mapped[str | None] = mapped_column(String(1))
    dpe_energy_kwh_m2: Mapped[int | None] = mapped_column(Integer)
    dpe_ghg_kg_m2: Mapped[int | None] = mapped_column(Integer)
    furnished: Mapped[bool | None] = mapped_column(Boolean)
    vacant_since: Mapped[date | None] = mapped_column(Date)
    available_from: Mapped[date | None] = mapped_column(Date)
    visit_availability: Mapped[str | None] = mapped_column(Text)
    asked_rent: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    charges: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    desired_mode: Mapped[IMLMode | None] = mapped_column(str_enum(IMLMode, "iml_mode"))
    desired_level: Mapped[ConventionLevel | None] = mapped_column(str_enum(ConventionLevel, "convention_level"))
    simulation_id: Mapped[int | None] = mapped_column(ForeignKey("simulations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    landlord: Mapped[Landlord] = relationship(back_populates="units")
    commune: Mapped[Commune | None] = relationship()
    documents: Mapped[list[UnitDocument]] = relationship(back_populates="unit", order_by="UnitDocument.id")
    simulation: Mapped[Simulation | None] = relationship()


class UnitDocument(Base):
    """An uploaded file (photo, DPE report): stored outside the web root, named by its SHA-256."""

    __tablename__ = "unit_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # photo | dpe
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit: Mapped[Unit] = relationship(back_populates="documents")


class Simulation(Base):
    """A run of the incentives simulator: its input and the result shown, kept as shown."""

    __tablename__ = "simulations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    commune_insee: Mapped[str] = mapped_column(String(5))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    chosen_option: Mapped[str | None] = mapped_column(String(20))
