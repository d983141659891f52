"""``passerelle demo``: a believable territory, its operators and one account per role. Idempotent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from passerelle import DOMAIN_PACKAGES, demo_data
from passerelle.auth.passwords import hash_password
from passerelle.db import utcnow
from passerelle.models import (
    AuditEntry,
    Commune,
    IncomeCeiling,
    IrlIndex,
    Membership,
    Organisation,
    OrganisationKind,
    RentReference,
    Role,
    Territory,
    User,
)
from passerelle.reference import importers

DEMO_PASSWORD = "demo-passerelle-2026"  # noqa: S105 - documented demo credential, refused in production


@dataclass
class DemoContext:
    """What the kernel seeded, handed to each domain package's demo step."""

    session: Session
    scale: int
    territory: Territory
    ais: Organisation
    association: Organisation
    metropolis: Organisation
    accounts: dict[str, User] = field(default_factory=dict)
    echo: Callable[[str], None] = print


def seed_demo(session: Session, *, scale: int = 0, echo: Callable[[str], None] = print) -> list[User]:
    """Create or complete the demo data; running it twice changes nothing."""
    echo("Paramètres réglementaires…")
    importers.import_parameters(session, importers.DEFAULT_PARAMETERS_FILE)
    echo("Communes et zonage A/B/C (fichier livré avec openfisca-france)…")
    importers.import_zonage(session, importers.openfisca_zonage_path())
    echo("Loyers de marché, IRL et plafonds de ressources de la démonstration…")
    _seed_reference_facts(session)
    territory = _territory(session)
    organisations = _organisations(session, territory)
    context = DemoContext(
        session=session,
        scale=scale,
        territory=territory,
        ais=organisations["ais"],
        association=organisations["association"],
        metropolis=organisations["metropolis"],
        echo=echo,
    )
    _accounts(session, context)
    if scale:
        echo(f"Volume : {scale} comptes propriétaires supplémentaires…")
        _scaled_landlords(session, scale)
    for name in DOMAIN_PACKAGES:
        try:
            module = __import__(f"{name}.demo", fromlist=["seed"])
        except ModuleNotFoundError as exc:
            if exc.name != f"{name}.demo":
                raise
            continue
        module.seed(context)
    session.flush()
    return list(context.accounts.values())


def _seed_reference_facts(session: Session) -> None:
    for insee, name, rent, lower, upper, level, observations in demo_data.CUA_RENTS:
        commune = session.get(Commune, insee)
        if commune is None:
            commune = Commune(insee=insee, name=name, departement=insee[:2], region="32")
            session.add(commune)
        commune.epci = demo_data.CUA_EPCI
        exists = session.scalar(
            select(RentReference.id).where(
                RentReference.commune_insee == insee,
                RentReference.edition == demo_data.RENT_MAP_EDITION,
                RentReference.housing_type == "appartement",
            )
        )
        if exists is None:
            session.add(
                RentReference(
                    commune_insee=insee,
                    edition=demo_data.RENT_MAP_EDITION,
                    housing_type="appartement",
                    rent_m2=rent,
                    lower_m2=lower,
                    upper_m2=upper,
                    prediction_level=level,
                    zone_id=demo_data.CUA_RENT_ZONE,
                    observations_commune=observations,
                    source=demo_data.RENT_MAP_SOURCE,
                )
            )
    for year, quarter, value in demo_data.IRL:
        if session.scalar(select(IrlIndex.id).where(IrlIndex.year == year, IrlIndex.quarter == quarter)) is None:
            session.add(IrlIndex(year=year, quarter=quarter, value=value, source=demo_data.IRL_SOURCE))
    for grid, year, area, category, amount in demo_data.CEILINGS:
        exists = session.scalar(
            select(IncomeCeiling.id).where(
                IncomeCeiling.grid == grid,
                IncomeCeiling.year == year,
                IncomeCeiling.area == area,
                IncomeCeiling.household_category == category,
            )
        )
        if exists is None:
            session.add(
                IncomeCeiling(
                    grid=grid,
                    year=year,
                    area=area,
                    household_category=category,
                    amount=amount,
                    source=demo_data.CEILINGS_SOURCE,
                )
            )
    session.flush()


def _territory(session: Session) -> Territory:
    territory = session.scalar(select(Territory).where(Territory.epci_code == demo_data.CUA_EPCI))
    if territory is None:
        territory = Territory(epci_code=demo_data.CUA_EPCI, name=demo_data.CUA_NAME)
        session.add(territory)
    members = session.scalars(select(Commune).where(Commune.epci == demo_data.CUA_EPCI)).all()
    known = {commune.insee for commune in territory.communes}
    territory.communes.extend(commune for commune in members if commune.insee not in known)
    session.flush()
    return territory


ORGANISATIONS = {
    "ais": dict(
        name="AIS Artois Logement Solidaire",
        kind=OrganisationKind.AIS,
        email="contact@ais-artois.demo.passerelle.test",
        phone="03 21 00 00 01",
        address="12 rue de la Demo, 62000 Arras",
    ),
    "association": dict(
        name="Association Toit d'Abord Arras",
        kind=OrganisationKind.ASSOCIATION,
        email="contact@toit-dabord.demo.passerelle.test",
        phone="03 21 00 00 02",
        address="8 place de la Demo, 62000 Arras",
    ),
    "metropolis": dict(
        name=demo_data.CUA_NAME,
        kind=OrganisationKind.METROPOLIS,
        email="logement@cua.demo.passerelle.test",
        phone="03 21 00 00 03",
        address="Hôtel communautaire, 62000 Arras",
    ),
}


def _organisations(session: Session, territory: Territory) -> dict[str, Organisation]:
    result = {}
    for key, fields in ORGANISATIONS.items():
        organisation = session.scalar(
            select(Organisation).where(Organisation.territory_id == territory.id, Organisation.name == fields["name"])
        )
        if organisation is None:
            organisation = Organisation(territory=territory, **fields)
            session.add(organisation)
        result[key] = organisation
    session.flush()
    return result


DEMO_ACCOUNTS = [
    ("landlord", "proprietaire@demo.passerelle.test", Role.LANDLORD, "Claire Martin", None),
    ("staff_ais", "agent.ais@demo.passerelle.test", Role.AGENCY_STAFF, "Karim Benali", "ais"),
    ("staff_asso", "agent.asso@demo.passerelle.test", Role.AGENCY_STAFF, "Sophie Lefebvre", "association"),
    ("metro", "metropole@demo.passerelle.test", Role.METRO, "Julien Dubois", "metropolis"),
    ("admin", "admin@demo.passerelle.test", Role.ADMIN, "Administration Passerelle", None),
]


def _accounts(session: Session, context: DemoContext) -> None:
    password_hash = None
    for key, email, role, name, organisation_key in DEMO_ACCOUNTS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = User(
                email=email,
                password_hash=password_hash,
                role=role,
                full_name=name,
                email_verified_at=utcnow(),
                is_demo=True,
            )
            if organisation_key:
                user.memberships.append(Membership(organisation=getattr(context, organisation_key)))
            session.add(user)
        context.accounts[key] = user
    session.flush()


def _scaled_landlords(session: Session, scale: int) -> None:
    existing = set(
        session.scalars(select(User.email).where(User.email.like("proprietaire.%@scale.demo.passerelle.test")))
    )
    password_hash = hash_password(DEMO_PASSWORD)
    for n in range(1, scale + 1):
        email = f"proprietaire.{n:06d}@scale.demo.passerelle.test"
        if email not in existing:
            session.add(
                User(
                    email=email,
                    password_hash=password_hash,
                    role=Role.LANDLORD,
                    full_name=f"Propriétaire {n}",
                    email_verified_at=utcnow(),
                    is_demo=True,
                )
            )
    session.flush()


__all__ = ["DEMO_PASSWORD", "DemoContext", "seed_demo"]


def bulk_insert(session: Session, model: Any, rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """Insert rows in one executemany; with ``ids``, number them after the table's highest id and return them.

    Numbering here rather than asking the database back for each id (RETURNING) keeps 50,000 demo records to a
    few statements; PostgreSQL's sequence is then moved past the ids used.
    """
    if not rows:
        return []
    new_ids: list[int] = []
    if ids:
        first = (session.scalar(select(func.max(model.id))) or 0) + 1
        new_ids = list(range(first, first + len(rows)))
        for row_id, row in zip(new_ids, rows, strict=True):
            row["id"] = row_id
    session.execute(insert(model.__table__), rows)
    if ids and session.get_bind().dialect.name == "postgresql":
        table = model.__tablename__  # one of our own tables, never user input
        sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
        session.execute(text(sql))
    return new_ids


def scale_done(session: Session, territory: Territory, marker: str, counted: str) -> int:
    """How many records ``--scale`` runs already added (their markers in the audit log), so reruns add the rest."""
    details = session.scalars(
        select(AuditEntry.details).where(
            AuditEntry.action == marker,
            AuditEntry.object_type == "territory",
            AuditEntry.object_id == str(territory.id),
        )
    ).all()
    return sum(int(detail.get(counted, 0)) for detail in details)
