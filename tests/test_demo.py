"""The demo: a believable territory with one account per role, and idempotent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passerelle.auth.passwords import verify_password
from passerelle.demo import DEMO_PASSWORD, seed_demo
from passerelle.models import (
    Commune,
    CommuneZone,
    Organisation,
    OrganisationKind,
    Parameter,
    RentReference,
    Role,
    Territory,
    User,
)
from passerelle.models.audit import AuditEntry

TABLES = (User, Organisation, Territory, Commune, CommuneZone, RentReference, Parameter)


@pytest.fixture(autouse=True)
def app_context(app: Flask) -> Iterator[None]:
    """The demo leases store their PDFs in the app's upload folder."""
    with app.app_context():
        yield


def _counts(session: Session) -> dict[str, int]:
    return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0 for model in TABLES}


def test_demo_creates_the_arras_territory_and_one_account_per_role(session: Session) -> None:
    accounts = seed_demo(session, echo=lambda _message: None)
    emails = {user.email: user for user in accounts}
    assert set(emails) == {
        "proprietaire@demo.passerelle.test",
        "agent.ais@demo.passerelle.test",
        "agent.asso@demo.passerelle.test",
        "metropole@demo.passerelle.test",
        "admin@demo.passerelle.test",
    }
    assert {user.role for user in accounts} == set(Role)
    assert all(verify_password(user.password_hash, DEMO_PASSWORD) for user in accounts)
    assert all(user.is_demo and user.email_verified_at for user in accounts)

    territory = session.scalar(select(Territory).where(Territory.epci_code == "200033579"))
    assert territory is not None and territory.name == "Communauté urbaine d'Arras"
    insee = {commune.insee for commune in territory.communes}
    assert "62041" in insee and len(insee) >= 10
    kinds = sorted(org.kind for org in territory.organisations)
    assert kinds == sorted([OrganisationKind.AIS, OrganisationKind.ASSOCIATION, OrganisationKind.METROPOLIS])
    assert emails["agent.ais@demo.passerelle.test"].organisation.kind is OrganisationKind.AIS
    assert emails["agent.asso@demo.passerelle.test"].organisation.kind is OrganisationKind.ASSOCIATION

    arras = session.get(Commune, "62041")
    assert arras is not None and arras.name == "Arras"
    from datetime import date

    assert arras.zone_at(date(2026, 11, 22)) == "B1"  # zonage ABC of July 2024, shipped with openfisca-france


def test_demo_is_idempotent(session: Session) -> None:
    seed_demo(session, echo=lambda _message: None)
    before = _counts(session)
    audit_before = session.scalar(select(func.count()).select_from(AuditEntry))
    seed_demo(session, echo=lambda _message: None)
    assert _counts(session) == before
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_demo_scale_adds_volume(session: Session) -> None:
    seed_demo(session, scale=3, echo=lambda _message: None)
    landlords = session.scalar(select(func.count()).select_from(User).where(User.role == Role.LANDLORD))
    assert landlords == 4
