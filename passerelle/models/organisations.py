"""Territories (EPCI), organisations (operators, metropolis) and who works for which."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Integer, Numeric, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passerelle.db import Base
from passerelle.models.types import str_enum

if TYPE_CHECKING:
    from passerelle.models.reference import Commune
    from passerelle.models.users import User


class OrganisationKind(StrEnum):
    AIS = "ais"  # agence immobilière sociale: works under management mandate
    ASSOCIATION = "association"  # association agréée (CCH L.365-4): sous-location, bail glissant
    METROPOLIS = "metropolis"  # EPCI: sets targets, sees aggregates
    PLATFORM = "platform"  # the platform's own administrators

    @property
    def label(self) -> str:
        return ORGANISATION_KIND_LABELS[self]

    @property
    def is_operator(self) -> bool:
        return self in (OrganisationKind.AIS, OrganisationKind.ASSOCIATION)


ORGANISATION_KIND_LABELS = {
    OrganisationKind.AIS: "Agence immobilière sociale",
    OrganisationKind.ASSOCIATION: "Association agréée",
    OrganisationKind.METROPOLIS: "Métropole / EPCI",
    OrganisationKind.PLATFORM: "Administration de la plateforme",
}

territory_communes = Table(
    "territory_communes",
    Base.metadata,
    Column("territory_id", ForeignKey("territories.id", ondelete="CASCADE"), primary_key=True),
    Column("commune_insee", ForeignKey("communes.insee"), primary_key=True),
)


class Territory(Base):
    """An EPCI running a Logement d'abord policy; one or more operators work on it."""

    __tablename__ = "territories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epci_code: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200))

    communes: Mapped[list[Commune]] = relationship(secondary=territory_communes, order_by="Commune.name")
    organisations: Mapped[list[Organisation]] = relationship(back_populates="territory")

    def __repr__(self) -> str:
        return f"<Territory {self.epci_code} {self.name}>"


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        UniqueConstraint("territory_id", "name"),
        CheckConstraint("rent_call_day BETWEEN 1 AND 28", name="rent_call_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind, "kind"))
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id"))
    siret: Mapped[str | None] = mapped_column(String(14))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(300))
    # Operator setting: fees on rent collected under a management mandate (e.g. 0.07 for 7 %).
    management_fee_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    # Operator setting: guarantee kinds under which the household pays no deposit (e.g. ["operator_fund"]).
    deposit_waived_with: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Operators: the day of the month rent calls are issued, and the account owners are paid from (SEPA).
    rent_call_day: Mapped[int] = mapped_column(Integer, default=25, server_default="25")
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))

    territory: Mapped[Territory | None] = relationship(back_populates="organisations")
    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships", lazy="joined")
