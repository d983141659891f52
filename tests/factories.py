"""Factories for test records: believable defaults, every field overridable."""

from __future__ import annotations

import itertools
from functools import cache

from sqlalchemy.orm import Session

from passerelle.auth.passwords import hash_password
from passerelle.db import utcnow
from passerelle.models import (
    Commune,
    CommuneZone,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    Territory,
    User,
)

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


@cache
def _password_hash() -> str:
    # Hashing costs ~20 ms on purpose (argon2id): hash the shared test password once.
    return hash_password(PASSWORD)


class Factory:
    def __init__(self, session: Session) -> None:
        self.session = session

    def commune(
        self,
        insee: str | None = None,
        name: str | None = None,
        *,
        epci: str | None = "200033579",
        zone: str | None = "B1",
        **fields,
    ) -> Commune:  # type: ignore[no-untyped-def]
        n = next(_counter)
        insee = insee or f"9{n:04d}"[-5:]
        existing = self.session.get(Commune, insee)
        if existing is not None:
            return existing
        commune = Commune(
            insee=insee, name=name or f"Commune {n}", departement=insee[:2], epci=epci, **fields
        )
        self.session.add(commune)
        if zone:
            from datetime import date

            commune.zones.append(CommuneZone(zone=zone, valid_from=date(2024, 7, 5), source="test"))
        self.session.flush()
        return commune

    def territory(self, *, epci_code: str | None = None, name: str | None = None, communes=()) -> Territory:  # type: ignore[no-untyped-def]
        n = next(_counter)
        territory = Territory(epci_code=epci_code or f"2{n:08d}"[-9:], name=name or f"Territoire {n}")
        territory.communes.extend(communes)
        self.session.add(territory)
        self.session.flush()
        return territory

    def organisation(
        self,
        *,
        kind: OrganisationKind = OrganisationKind.AIS,
        territory: Territory | None = None,
        name: str | None = None,
    ) -> Organisation:
        n = next(_counter)
        organisation = Organisation(
            name=name or f"{kind.label} {n}", kind=kind, territory=territory or self.territory()
        )
        self.session.add(organisation)
        self.session.flush()
        return organisation

    def user(
        self,
        role: Role = Role.LANDLORD,
        *,
        email: str | None = None,
        organisation: Organisation | None = None,
        verified: bool = True,
        full_name: str | None = None,
        **fields,
    ) -> User:  # type: ignore[no-untyped-def]
        n = next(_counter)
        user = User(
            email=email or f"{role.value}.{n}@exemple.fr",
            password_hash=_password_hash(),
            role=role,
            full_name=full_name or f"Personne {n}",
            email_verified_at=utcnow() if verified else None,
            **fields,
        )
        if organisation is not None:
            user.memberships.append(Membership(organisation=organisation))
        self.session.add(user)
        self.session.flush()
        return user

    def staff(self, organisation: Organisation | None = None, **fields) -> User:  # type: ignore[no-untyped-def]
        return self.user(Role.AGENCY_STAFF, organisation=organisation or self.organisation(), **fields)

    def metro_user(self, organisation: Organisation | None = None, **fields) -> User:  # type: ignore[no-untyped-def]
        organisation = organisation or self.organisation(kind=OrganisationKind.METROPOLIS)
        return self.user(Role.METRO, organisation=organisation, **fields)
