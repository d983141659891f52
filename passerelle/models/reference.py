"""Versioned reference data: communes, zoning, market rents, IRL, income ceilings, parameters."""

from __future__ import annotations

import unicodedata
from datetime import date
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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from passerelle.db import Base

ZONES_ABC = ("A bis", "A", "B1", "B2", "C")


def search_key(text: str) -> str:
    """Fold a name for searching: « Évry-Courcouronnes » → « evry courcouronnes ».

    Searching on this key works the same on SQLite (whose lower() ignores accented letters) and PostgreSQL.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    for separator in "-'’":
        bare = bare.replace(separator, " ")
    return " ".join(bare.split())


class Commune(Base):
    """A French commune (INSEE code kept as text: leading zeros, Corsica 2A/2B)."""

    __tablename__ = "communes"
    __table_args__ = (
        Index("ix_communes_name", "name"),
        Index("ix_communes_epci", "epci"),
        Index("ix_communes_search_name", "search_name"),
    )

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    departement: Mapped[str] = mapped_column(String(3))
    region: Mapped[str | None] = mapped_column(String(3))
    epci: Mapped[str | None] = mapped_column(String(9))

    zones: Mapped[list[CommuneZone]] = relationship(
        back_populates="commune", order_by="CommuneZone.valid_from", lazy="selectin"
    )

    @validates("name")
    def _set_search_name(self, _key: str, name: str) -> str:
        self.search_name = search_key(name)
        return name

    def zone_at(self, on: date) -> str | None:
        """Return the A/B/C zone in force on a date, or None when the commune was not yet zoned."""
        current = None
        for zone in self.zones:
            if zone.valid_from <= on:
                current = zone.zone
        return current

    def __repr__(self) -> str:
        return f"<Commune {self.insee} {self.name}>"


class CommuneZone(Base):
    """The A bis/A/B1/B2/C zone of a commune from a date (zonage ABC revisions)."""

    __tablename__ = "commune_zones"
    __table_args__ = (
        UniqueConstraint("commune_insee", "valid_from"),
        CheckConstraint("zone IN ('A bis', 'A', 'B1', 'B2', 'C')", name="zone"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee", ondelete="CASCADE"))
    zone: Mapped[str] = mapped_column(String(5))
    valid_from: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))

    commune: Mapped[Commune] = relationship(back_populates="zones")


class RentReference(Base):
    """Market rent per m² (charges included) for a commune, from one edition of the carte des loyers."""

    __tablename__ = "rent_references"
    __table_args__ = (
        UniqueConstraint("commune_insee", "edition", "housing_type"),
        CheckConstraint("rent_m2 > 0", name="rent_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee", ondelete="CASCADE"))
    edition: Mapped[int] = mapped_column(Integer)
    housing_type: Mapped[str] = mapped_column(String(20))  # appartement | maison | appartement_t1t2 | ...
    rent_m2: Mapped[Decimal] = mapped_column(Numeric(12, 6))
    lower_m2: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    upper_m2: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    prediction_level: Mapped[str] = mapped_column(String(10))  # commune | maille | EPCI
    zone_id: Mapped[str | None] = mapped_column(String(20))
    observations_commune: Mapped[int | None] = mapped_column(Integer)
    observations_zone: Mapped[int | None] = mapped_column(Integer)
    r2_adjusted: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    source: Mapped[str] = mapped_column(String(300))


class IrlIndex(Base):
    """Indice de référence des loyers (INSEE, quarterly, base 100 = Q4 1998)."""

    __tablename__ = "irl_indices"
    __table_args__ = (
        UniqueConstraint("year", "quarter"),
        CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter"),
        CheckConstraint("value > 0", name="value_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    published_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(300))

    @property
    def label(self) -> str:
        return f"{self.year}-T{self.quarter}"


class IncomeCeiling(Base):
    """A yearly income ceiling (revenu fiscal de référence N-2) of a grid, area and household category.

    ``amount`` is NULL when the figure is unknown: rules must then say "ceiling unknown", never guess.
    """

    __tablename__ = "income_ceilings"
    __table_args__ = (UniqueConstraint("grid", "year", "area", "household_category"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid: Mapped[str] = mapped_column(String(20))  # PLUS | PLAI | INTERMEDIAIRE
    year: Mapped[int] = mapped_column(Integer)
    area: Mapped[str] = mapped_column(String(30))
    household_category: Mapped[str] = mapped_column(String(20))  # 1..6 | extra_person
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    source: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)


class LocalPremium(Base):
    """A premium a territory adds on top of Anah's (e.g. Strasbourg "Mieux relouer"): territory data.

    Conditions are optional filters: levels and modes as comma-separated lists (loc1,loc2 / mandate,sublease,
    bail_glissant), surface bounds, a minimum vacancy before capture. ``period`` is one_off or yearly;
    a yearly premium is paid at most ``max_years`` years.
    """

    __tablename__ = "local_premiums"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("period IN ('one_off', 'yearly')", name="period"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territories.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    period: Mapped[str] = mapped_column(String(10))
    max_years: Mapped[int | None] = mapped_column(Integer)
    levels: Mapped[str | None] = mapped_column(String(40))
    modes: Mapped[str | None] = mapped_column(String(60))
    min_surface_m2: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    max_surface_m2: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    min_vacancy_months: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)


class Parameter(Base):
    """One value of a rule parameter (rate, premium, cap, calendar date) over a validity period."""

    __tablename__ = "parameters"
    __table_args__ = (
        UniqueConstraint("key", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
        CheckConstraint("kind IN ('decimal', 'integer', 'date', 'text')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str | None] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(default=True)
