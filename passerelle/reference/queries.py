"""Read reference data at a date: parameters, IRL, zones, market rents, income ceilings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from passerelle.models import Commune, CommuneZone, IncomeCeiling, IrlIndex, Parameter, RentReference
from passerelle.models.reference import search_key


class MissingParameter(LookupError):
    """No value of a parameter is valid at the requested date."""

    def __init__(self, key: str, on: date) -> None:
        super().__init__(f"Paramètre « {key} » sans valeur en vigueur le {on:%d/%m/%Y}.")
        self.key = key
        self.on = on


@dataclass(frozen=True)
class ParameterValue:
    key: str
    value: Decimal | int | date | str
    valid_from: date
    valid_to: date | None
    unit: str | None
    label: str
    source: str
    verified: bool


def convert(kind: str, raw: str) -> Decimal | int | date | str:
    if kind == "decimal":
        return Decimal(raw)
    if kind == "integer":
        return int(raw)
    if kind == "date":
        return date.fromisoformat(raw)
    return raw


def parameter_at(session: Session, key: str, on: date) -> ParameterValue:
    """Return the value of a parameter valid on a date (the latest period that started by then)."""
    row = session.scalar(
        select(Parameter)
        .where(
            Parameter.key == key,
            Parameter.valid_from <= on,
            or_(Parameter.valid_to.is_(None), Parameter.valid_to >= on),
        )
        .order_by(Parameter.valid_from.desc())
        .limit(1)
    )
    if row is None:
        raise MissingParameter(key, on)
    return _value(row)


def _value(row: Parameter) -> ParameterValue:
    return ParameterValue(
        key=row.key,
        value=convert(row.kind, row.value),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        unit=row.unit,
        label=row.label,
        source=row.source,
        verified=row.verified,
    )


def parameter_values_at(session: Session, keys: Iterable[str], on: date) -> dict[str, ParameterValue]:
    """``parameter_at`` for many keys in one query; a key without a value on that date is left out."""
    return {key: _value(row) for key, row in parameter_rows_at(session, keys, on).items()}


def parameter_rows_at(session: Session, keys: Iterable[str], on: date) -> dict[str, Parameter]:
    """The row of each parameter valid on a date, in one query (keys without a valid period are left out)."""
    rows = session.scalars(
        select(Parameter)
        .where(
            Parameter.key.in_(list(keys)),
            Parameter.valid_from <= on,
            or_(Parameter.valid_to.is_(None), Parameter.valid_to >= on),
        )
        .order_by(Parameter.valid_from)
    ).all()
    return {row.key: row for row in rows}  # the latest period wins


def parameters_at(session: Session, prefix: str, on: date) -> dict[str, ParameterValue]:
    """Every parameter whose key starts with a prefix, at a date."""
    keys = session.scalars(select(Parameter.key).where(Parameter.key.startswith(prefix)).distinct()).all()
    found = parameter_values_at(session, keys, on)
    return {key: found[key] for key in sorted(found)}


def all_parameters(session: Session) -> list[Parameter]:
    return list(session.scalars(select(Parameter).order_by(Parameter.key, Parameter.valid_from)))


def zone_at(session: Session, insee: str, on: date) -> str | None:
    return session.scalar(
        select(CommuneZone.zone)
        .where(CommuneZone.commune_insee == insee, CommuneZone.valid_from <= on)
        .order_by(CommuneZone.valid_from.desc())
        .limit(1)
    )


def latest_rent_reference(session: Session, insee: str, *, housing_type: str = "appartement") -> RentReference | None:
    return session.scalar(
        select(RentReference)
        .where(RentReference.commune_insee == insee, RentReference.housing_type == housing_type)
        .order_by(RentReference.edition.desc())
        .limit(1)
    )


def irl_value(session: Session, year: int, quarter: int) -> IrlIndex | None:
    return session.scalar(select(IrlIndex).where(IrlIndex.year == year, IrlIndex.quarter == quarter))


def irl_series(session: Session) -> list[IrlIndex]:
    return list(session.scalars(select(IrlIndex).order_by(IrlIndex.year.desc(), IrlIndex.quarter.desc())))


def income_ceiling(session: Session, *, grid: str, year: int, area: str, category: str) -> IncomeCeiling | None:
    return session.scalar(
        select(IncomeCeiling).where(
            IncomeCeiling.grid == grid,
            IncomeCeiling.year == year,
            IncomeCeiling.area == area,
            IncomeCeiling.household_category == category,
        )
    )


def search_communes(session: Session, text: str, *, limit: int = 10) -> list[Commune]:
    """Communes whose name starts with the text (or INSEE/postal-like code prefix), shortest names first."""
    text = text.strip()
    if not text:
        return []
    if text.isdigit() or (len(text) >= 2 and text[:2].upper() in ("2A", "2B") and text[2:].isdigit()):
        condition = Commune.insee.startswith(text.upper())
    else:
        condition = Commune.search_name.startswith(search_key(text), autoescape=True)
    return list(
        session.scalars(select(Commune).where(condition).order_by(func.length(Commune.name), Commune.name).limit(limit))
    )


@dataclass(frozen=True)
class CommuneMatch:
    """The result of resolving what a person typed: one commune, several candidates, or nothing."""

    commune: Commune | None
    candidates: list[Commune]


def resolve_commune(session: Session, text: str) -> CommuneMatch:
    """Resolve ``Arras``, ``Arras (62)`` or ``62041`` to one commune, or list the candidates."""
    text = " ".join(text.split())
    if not text:
        return CommuneMatch(None, [])
    if len(text) == 5 and (text.isdigit() or text[:2].upper() in ("2A", "2B")):
        commune = session.get(Commune, text.upper())
        return CommuneMatch(commune, [commune] if commune else [])
    name, departement = text, None
    if text.endswith(")") and "(" in text:
        name, _, rest = text.rpartition("(")
        name, departement = name.strip(), rest.rstrip(")").strip()
    query = select(Commune).where(Commune.search_name == search_key(name))
    if departement:
        query = query.where(Commune.departement == departement)
    exact = list(session.scalars(query.order_by(Commune.departement)))
    if len(exact) == 1:
        return CommuneMatch(exact[0], exact)
    if exact:
        return CommuneMatch(None, exact)
    return CommuneMatch(None, search_communes(session, name, limit=8))


@dataclass(frozen=True)
class ReferenceStatus:
    communes: int
    zoned_communes: int
    rent_editions: list[tuple[int, str, int]]
    irl_count: int
    irl_latest: IrlIndex | None
    ceiling_years: list[tuple[str, int, int]]
    parameters: int


def reference_status(session: Session) -> ReferenceStatus:
    """Counts shown to administrators so they know what is loaded."""
    rent_editions = session.execute(
        select(RentReference.edition, RentReference.housing_type, func.count())
        .group_by(RentReference.edition, RentReference.housing_type)
        .order_by(RentReference.edition.desc())
    ).all()
    ceiling_years = session.execute(
        select(IncomeCeiling.grid, IncomeCeiling.year, func.count())
        .group_by(IncomeCeiling.grid, IncomeCeiling.year)
        .order_by(IncomeCeiling.year.desc(), IncomeCeiling.grid)
    ).all()
    latest = session.scalar(select(IrlIndex).order_by(IrlIndex.year.desc(), IrlIndex.quarter.desc()).limit(1))
    return ReferenceStatus(
        communes=session.scalar(select(func.count()).select_from(Commune)) or 0,
        zoned_communes=session.scalar(select(func.count(func.distinct(CommuneZone.commune_insee)))) or 0,
        rent_editions=[(row[0], row[1], row[2]) for row in rent_editions],
        irl_count=session.scalar(select(func.count()).select_from(IrlIndex)) or 0,
        irl_latest=latest,
        ceiling_years=[(row[0], row[1], row[2]) for row in ceiling_years],
        parameters=session.scalar(select(func.count()).select_from(Parameter)) or 0,
    )
