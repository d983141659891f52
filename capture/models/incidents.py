"""Difficulties signalled by landlords and the operator's answers."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from capture.models.units import Landlord, Unit
from passerelle.db import Base, UTCDateTime, utcnow
from passerelle.models import Organisation, str_enum


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
    updates: Mapped[list[IncidentUpdate]] = relationship(back_populates="incident", order_by="IncidentUpdate.at")


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
