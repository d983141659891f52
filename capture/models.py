"""Capture tables: landlords, units and their documents, simulations, capture cases, incidents, routing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
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

from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import Commune, Organisation, User, str_enum


class LandlordKind(StrEnum):
    PERSON = "person"
    FAMILY_SCI = "family_sci"
    SCI = "sci"
    INDIVISION = "indivision"

    @property
    def label(self) -> str:
        return {
            "person": "Personne physique",
            "family_sci": "SCI familiale",
            "sci": "Société (SCI ou autre personne morale)",
            "indivision": "Indivision",
        }[self.value]

    @property
    def is_legal_person(self) -> bool:
        """Loi 89-462 art. 10: 6-year leases for legal persons; a family SCI counts as a natural person."""
        return self is LandlordKind.SCI


class IMLMode(StrEnum):
    MANDATE = "mandate"
    SUBLEASE = "sublease"
    BAIL_GLISSANT = "bail_glissant"

    @property
    def label(self) -> str:
        return {
            "mandate": "Mandat de gestion",
            "sublease": "Location / sous-location",
            "bail_glissant": "Bail glissant",
        }[self.value]

    @property
    def is_sublease(self) -> bool:
        """A bail glissant starts as a sous-location."""
        return self is not IMLMode.MANDATE


class ConventionLevel(StrEnum):
    NONE = "none"
    LOC1 = "loc1"
    LOC2 = "loc2"
    LOC3 = "loc3"

    @property
    def label(self) -> str:
        return {
            "none": "Sans convention",
            "loc1": "Loc1 (intermédiaire)",
            "loc2": "Loc2 (social)",
            "loc3": "Loc3 (très social)",
        }[self.value]


class DeclarationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Heating(StrEnum):
    INDIVIDUAL_GAS = "individual_gas"
    INDIVIDUAL_ELECTRIC = "individual_electric"
    HEAT_PUMP = "heat_pump"
    COLLECTIVE = "collective"
    WOOD = "wood"
    FUEL_OIL = "fuel_oil"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "individual_gas": "Individuel au gaz",
            "individual_electric": "Individuel électrique",
            "heat_pump": "Pompe à chaleur",
            "collective": "Collectif",
            "wood": "Bois / granulés",
            "fuel_oil": "Fioul",
            "other": "Autre",
        }[self.value]


class CaptureStage(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    VISIT_PLANNED = "visit_planned"
    VISITED = "visited"
    PROPOSAL_SENT = "proposal_sent"
    SIGNED = "signed"
    LOST = "lost"
    PAUSED = "paused"

    @property
    def label(self) -> str:
        return {
            "new": "Nouveau",
            "contacted": "Contacté",
            "visit_planned": "Visite planifiée",
            "visited": "Visite réalisée",
            "proposal_sent": "Proposition envoyée",
            "signed": "Accord signé (capté)",
            "lost": "Perdu",
            "paused": "En pause",
        }[self.value]


class LeadSource(StrEnum):
    PORTAL = "portal"
    CALLBACK = "callback"
    PHONE = "phone"
    OFFICE_HOURS = "office_hours"
    PARTNER = "partner"
    CAMPAIGN = "campaign"

    @property
    def label(self) -> str:
        return {
            "portal": "Portail propriétaires",
            "callback": "Demande de rappel",
            "phone": "Numéro unique",
            "office_hours": "Permanence",
            "partner": "Orientation d'un partenaire",
            "campaign": "Campagne",
        }[self.value]


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
    desired_level: Mapped[ConventionLevel | None] = mapped_column(
        str_enum(ConventionLevel, "convention_level")
    )
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


class RoutingRule(Base):
    """Which operator receives a territory's units for a mode (and optionally a commune): territory data."""

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("territory_id", "commune_insee", "mode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id"))
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("communes.insee"))  # NULL: every commune
    mode: Mapped[IMLMode] = mapped_column(str_enum(IMLMode, "iml_mode"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))

    operator: Mapped[Organisation] = relationship()


class CaptureCase(Base):
    """One unit (or one lead before the unit is known) being captured by an operator."""

    __tablename__ = "capture_cases"
    __table_args__ = (
        Index("ix_capture_cases_operator_stage", "operator_id", "stage"),
        CheckConstraint("stage <> 'paused' OR paused_until IS NOT NULL", name="paused_until"),
        CheckConstraint("stage <> 'lost' OR lost_reason IS NOT NULL", name="lost_reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), unique=True)
    landlord_id: Mapped[int | None] = mapped_column(ForeignKey("landlords.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # staff member in charge
    stage: Mapped[CaptureStage] = mapped_column(str_enum(CaptureStage, "stage"), default=CaptureStage.NEW)
    stage_before_pause: Mapped[CaptureStage | None] = mapped_column(
        str_enum(CaptureStage, "stage_before_pause")
    )
    paused_until: Mapped[date | None] = mapped_column(Date)
    lost_reason: Mapped[str | None] = mapped_column(String(30))
    source: Mapped[LeadSource] = mapped_column(str_enum(LeadSource, "lead_source"))
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("communes.insee"))
    # Contact given by a lead that has no landlord record yet (call-back form, phone, office hours).
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_message: Mapped[str | None] = mapped_column(Text)
    next_action_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    operator: Mapped[Organisation] = relationship()
    unit: Mapped[Unit | None] = relationship()
    landlord: Mapped[Landlord | None] = relationship()
    owner: Mapped[User | None] = relationship()
    commune: Mapped[Commune | None] = relationship()
    stage_changes: Mapped[list[CaptureStageChange]] = relationship(
        back_populates="case", order_by="CaptureStageChange.at"
    )


class CaptureStageChange(Base):
    """Every stage change of a case: the landlord's timeline and the funnel's delays come from here."""

    __tablename__ = "capture_stage_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("capture_cases.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[CaptureStage | None] = mapped_column(str_enum(CaptureStage, "from_stage"))
    to_stage: Mapped[CaptureStage] = mapped_column(str_enum(CaptureStage, "to_stage"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[CaptureCase] = relationship(back_populates="stage_changes")


class IncidentKind(StrEnum):
    UNPAID_RENT = "unpaid_rent"
    NEIGHBOURS = "neighbours"
    DAMAGE = "damage"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "unpaid_rent": "Loyer impayé",
            "neighbours": "Trouble de voisinage",
            "damage": "Dégradation",
            "other": "Autre difficulté",
        }[self.value]


class IncidentStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return {"open": "Reçu", "in_progress": "En cours de traitement", "resolved": "Résolu"}[self.value]


class Incident(Base):
    """A difficulty a landlord signals about their unit; lands in the operator's queue with a due date."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_operator_status", "operator_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlords.id"))
    operator_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[IncidentKind] = mapped_column(str_enum(IncidentKind, "incident_kind"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[IncidentStatus] = mapped_column(
        str_enum(IncidentStatus, "incident_status"), default=IncidentStatus.OPEN
    )
    response_due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship()
    landlord: Mapped[Landlord] = relationship()
    operator: Mapped[Organisation] = relationship()
    updates: Mapped[list[IncidentUpdate]] = relationship(
        back_populates="incident", order_by="IncidentUpdate.at"
    )


class IncidentUpdate(Base):
    """A follow-up message on an incident, shown to the landlord."""

    __tablename__ = "incident_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[IncidentStatus | None] = mapped_column(str_enum(IncidentStatus, "incident_status"))

    incident: Mapped[Incident] = relationship(back_populates="updates")
