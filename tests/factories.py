"""Factories for test records: believable defaults, every field overridable."""

from __future__ import annotations

import itertools
from datetime import date
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
# Départements for made-up communes: none in Île-de-France, Corsica or overseas (rules depend on those: Visale's
# areas, Loc'Avantages grids), none whose real communes the tests create (62, 69, 75, 80…). 24,000 codes, then the
# cycle restarts (a test that made 24,000 communes would get a commune back).
_MADE_UP_DEPARTEMENTS = (
    "90", "89", "88", "87", "86", "85", "84", "83", "82", "81", "79", "76",
    "74", "73", "72", "71", "70", "68", "67", "66", "65", "64", "61", "60",
)  # fmt: skip


def _made_up_insee(n: int) -> str:
    departement = _MADE_UP_DEPARTEMENTS[(n // 1000) % len(_MADE_UP_DEPARTEMENTS)]
    return f"{departement}{n % 1000:03d}"


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
        insee = insee or _made_up_insee(n)
        existing = self.session.get(Commune, insee)
        if existing is not None:
            return existing
        commune = Commune(insee=insee, name=name or f"Commune {n}", departement=insee[:2], epci=epci, **fields)
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

    # --- capture ---------------------------------------------------------------------------------------

    def landlord(self, user: User | None = None, **fields):  # type: ignore[no-untyped-def]
        from capture.models import Landlord, LandlordKind

        user = user or self.user(Role.LANDLORD)
        landlord = Landlord(
            user=user,
            kind=fields.pop("kind", LandlordKind.PERSON),
            name=user.full_name,
            email=user.email,
            phone=fields.pop("phone", "06 11 22 33 44"),
            **fields,
        )
        self.session.add(landlord)
        self.session.flush()
        return landlord

    def unit(self, landlord=None, **fields):  # type: ignore[no-untyped-def]
        from decimal import Decimal

        from capture.models import ConventionLevel, DeclarationStatus, Heating, IMLMode, Unit

        commune = fields.pop("commune", None) or self.commune()
        values = dict(
            landlord=landlord or self.landlord(),
            status=DeclarationStatus.DRAFT,
            address="1 rue de l'Exemple",
            postal_code="62000",
            commune_insee=commune.insee,
            surface_m2=Decimal("45"),
            annexes_m2=Decimal("0"),
            rooms=2,
            floor=1,
            heating=Heating.INDIVIDUAL_GAS,
            dpe_class="D",
            furnished=False,
            available_from=date.today(),
            desired_mode=IMLMode.MANDATE,
            desired_level=ConventionLevel.LOC2,
        )
        values.update(fields)
        unit = Unit(**values)
        self.session.add(unit)
        self.session.flush()
        return unit

    def captured_unit_with_incident(self, landlord_user: User, operator: Organisation):  # type: ignore[no-untyped-def]
        """A submitted unit of a landlord, its case at the operator, a stored photo and an open incident.

        Needs an application context (the photo is written to the upload folder).
        """
        from capture import operations as capture_ops
        from capture.models import DeclarationStatus, Incident, IncidentKind, LeadSource
        from passerelle.storage import store

        landlord = self.landlord(landlord_user)
        unit = self.unit(landlord, status=DeclarationStatus.SUBMITTED, submitted_at=utcnow())
        case = capture_ops.open_capture_case(
            self.session,
            operator=operator,
            source=LeadSource.PORTAL,
            by=landlord_user,
            unit=unit,
            landlord=landlord,
        )
        stored = store(PNG_1PX, filename="facade.png", allowed={"image/png"}, max_bytes=1024 * 1024)
        document = capture_ops.add_unit_document(
            self.session, unit, kind="photo", stored=stored, by=landlord_user, max_photos=12
        )
        incident = Incident(
            unit=unit,
            landlord=landlord,
            operator_id=operator.id,
            kind=IncidentKind.DAMAGE,
            description="Dégât des eaux signalé par le voisin du dessous.",
            response_due_on=date.today(),
            created_by_id=landlord_user.id,
        )
        self.session.add(incident)
        self.session.flush()
        return unit, case, document, incident


# The smallest valid PNG (1×1 transparent pixel).
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4a30000000049454e44ae426082"
)


def _campaign(self: Factory, operator: Organisation, *, by: User, leads: int = 1, **fields):  # type: ignore[no-untyped-def]
    """A letters campaign of an operator on one commune of its territory, with ``leads`` imported leads."""
    from decimal import Decimal

    from capture.models import CampaignChannel
    from capture.operations.campaigns import create_campaign, import_leads
    from capture.rules import lead_import

    commune = self.commune()
    territory = operator.territory
    if commune not in territory.communes:
        territory.communes.append(commune)
    self.session.flush()
    values = dict(
        name="Courriers aux propriétaires de logements vacants",
        channel=CampaignChannel.LETTERS,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        cost=Decimal("1000"),
        communes=[commune.insee],
        letter_body="Madame, Monsieur {nom},\n\nVotre logement du {adresse_logement} à {commune} est vide…",
    )
    values.update(fields)
    campaign = create_campaign(self.session, territory=territory, organisation=operator, by=by, **values)
    if leads:
        header = ";".join((*lead_import.REQUIRED_COLUMNS, lead_import.VACANCY_MONTHS))
        rows = [
            f"Propriétaire {n};{n} rue des Lilas;62000;Arras;{n} rue du Logement;{commune.insee};{12 * n}"
            for n in range(1, leads + 1)
        ]
        data = ("\n".join([header, *rows]) + "\n").encode()
        report = import_leads(
            self.session,
            operator=operator,
            file=lead_import.read_lead_file(data, "liste.csv"),
            campaign=campaign,
            by=by,
            today=date.today(),
        )
        assert report.imported, report.rejected
    return campaign


Factory.campaign = _campaign  # type: ignore[attr-defined]


def _agreement(self: Factory, case, **fields):  # type: ignore[no-untyped-def]
    """A draft mandate on a case, with a stored PDF (needs an application context)."""
    from decimal import Decimal

    from capture.models import Agreement, ConventionLevel, IMLMode
    from passerelle.storage import store

    values = dict(
        case_id=case.id,
        unit_id=case.unit_id,
        operator_id=case.operator_id,
        landlord_id=case.landlord_id,
        mode=IMLMode.MANDATE,
        level=ConventionLevel.NONE,
        rent=Decimal("500"),
        charges=Decimal("0"),
        duration_months=36,
        fee_rate=Decimal("0.07"),
        starts_on=date.today(),
    )
    values.update(fields)
    agreement = Agreement(**values)
    self.session.add(agreement)
    self.session.flush()
    stored = store(b"%PDF-1.4\n% test\n", filename="mandat.pdf", allowed={"application/pdf"}, max_bytes=1024)
    agreement.document_sha256, agreement.document_filename = stored.sha256, stored.filename
    self.session.flush()
    return agreement


Factory.agreement = _agreement  # type: ignore[attr-defined]


def _household(self: Factory, operator: Organisation, *, by: User | None = None, **fields):  # type: ignore[no-untyped-def]
    """An active household referred to an operator: one adult of 40 with 900 € of wages unless told otherwise."""
    from decimal import Decimal

    from agency_backoffice.household_input import HouseholdInput, MemberInput
    from agency_backoffice.models import ResourceKind, Situation
    from agency_backoffice.operations.households import register_household

    today = date.today()
    values = dict(
        siao_reference=f"SIAO-{next(_counter):06d}",
        referred_on=today,
        situation=Situation.EMERGENCY_SHELTER,
        members=(MemberInput(adult=True, birth_year=today.year - 40),),
        resources=((ResourceKind.WAGES, Decimal("900")),),
        contact_name="Camille Exemple",
        tax_income=Decimal("9000"),
        tax_income_year=today.year - 2,
    )
    values.update(fields)
    return register_household(self.session, operator, HouseholdInput(**values), by=by, today=today, source="test")


Factory.household = _household  # type: ignore[attr-defined]


def _available_unit(self: Factory, operator: Organisation, **fields):  # type: ignore[no-untyped-def]
    """A unit captured by an operator under a signed agreement and available in its stock (a StockEntry)."""
    from decimal import Decimal

    from capture.models import (
        Agreement,
        CaptureCase,
        CaptureStage,
        ConventionLevel,
        DeclarationStatus,
        IMLMode,
        LeadSource,
        SignatureMethod,
        StockEntry,
    )

    mode = fields.pop("mode", IMLMode.SUBLEASE)
    level = fields.pop("level", ConventionLevel.LOC2)
    rent = fields.pop("rent", Decimal("420"))
    charges = fields.pop("charges", Decimal("60"))
    available_on = fields.pop("available_on", date.today())
    landlord = fields.pop("landlord", None) or self.landlord()
    unit = self.unit(landlord, status=DeclarationStatus.SUBMITTED, submitted_at=utcnow(), **fields)
    case = CaptureCase(
        operator_id=operator.id,
        unit_id=unit.id,
        landlord_id=landlord.id,
        stage=CaptureStage.SIGNED,
        source=LeadSource.PORTAL,
        commune_insee=unit.commune_insee,
    )
    self.session.add(case)
    self.session.flush()
    agreement = Agreement(
        case_id=case.id,
        unit_id=unit.id,
        operator_id=operator.id,
        landlord_id=landlord.id,
        mode=mode,
        level=level,
        rent=rent,
        charges=charges,
        duration_months=36,
        fee_rate=Decimal("0.07") if mode is IMLMode.MANDATE else None,
        starts_on=available_on,
        status="signed",
        signed_on=available_on,
        signature_method=SignatureMethod.PAPER,
    )
    self.session.add(agreement)
    self.session.flush()
    entry = StockEntry(
        unit_id=unit.id,
        agreement_id=agreement.id,
        operator_id=operator.id,
        mode=mode,
        level=level,
        rent=rent,
        charges=charges,
        available_on=available_on,
    )
    self.session.add(entry)
    self.session.flush()
    return entry


Factory.available_unit = _available_unit  # type: ignore[attr-defined]


def _proposal(self: Factory, entry, household, *, by: User, **fields):  # type: ignore[no-untyped-def]
    """A proposal of a stock unit to a household, as staff would make it (constraints assumed met)."""
    from agency_backoffice.operations.proposals import propose_unit

    return propose_unit(
        self.session, entry, household, failures=[], score=None, snapshot={}, by=by, today=date.today(), **fields
    )


Factory.proposal = _proposal  # type: ignore[attr-defined]


def _ready_proposal(self: Factory, operator: Organisation, *, by: User, household=None, **unit_fields):  # type: ignore[no-untyped-def]
    """A proposal of a new stock unit to a household, taken through every step to « ready for lease »."""
    from agency_backoffice.models import ProposalStatus as S
    from agency_backoffice.operations.proposals import advance_proposal
    from agency_backoffice.rules.proposals import next_steps

    entry = self.available_unit(operator, **unit_fields)
    household = household or self.household(operator, by=by)
    proposal = self.proposal(entry, household, by=by)
    while proposal.status is not S.READY_FOR_LEASE:
        (step,) = next_steps(proposal.status, entry.mode)[-1:]
        advance_proposal(self.session, proposal, step, by=by, today=date.today())
    return proposal


Factory.ready_proposal = _ready_proposal  # type: ignore[attr-defined]


def _irl(self: Factory, year: int = 2025, quarter: int = 3, value: str = "145.77"):  # type: ignore[no-untyped-def]
    """An IRL index (INSEE, 3rd quarter 2025 by default), published before today."""
    from decimal import Decimal

    from sqlalchemy import select

    from passerelle.models import IrlIndex

    existing = self.session.scalar(select(IrlIndex).where(IrlIndex.year == year, IrlIndex.quarter == quarter))
    if existing is not None:
        return existing
    index = IrlIndex(
        year=year, quarter=quarter, value=Decimal(value), published_on=date(year, 10, 15), source="INSEE (essai)"
    )
    self.session.add(index)
    self.session.flush()
    return index


Factory.irl = _irl  # type: ignore[attr-defined]


def _lease(self: Factory, operator: Organisation, *, by: User, status: str = "active", **fields):  # type: ignore[no-untyped-def]
    """A lease drafted from a ready proposal (needs the parameters and an app context), then signed and started.

    ``fields`` go to the unit (``mode``, ``level``, ``rent``…); ``tenants``, ``deposit``, ``starts_on`` to the lease.
    """
    from datetime import timedelta
    from decimal import Decimal

    from agency_backoffice.models import ChargesMethod, LeaseSignatureMethod
    from agency_backoffice.operations import leases as ops
    from capture.models import ConventionLevel

    self.irl()
    today = date.today()
    starts_on = fields.pop("starts_on", today - timedelta(days=30))
    deposit = fields.pop("deposit", None)
    tenants = fields.pop("tenants", ("Awa Diallo",))
    fields.setdefault("level", ConventionLevel.NONE)
    fields.setdefault("available_on", starts_on)
    fields.setdefault("surface_m2", Decimal("40"))
    proposal = self.ready_proposal(operator, by=by, household=fields.pop("household", None), **fields)
    entry = proposal.stock_entry
    lease = ops.draft_lease(
        self.session,
        proposal,
        ops.LeaseInput(
            tenants=tenants,
            rent=entry.rent,
            charges=entry.charges,
            charges_method=ChargesMethod.PROVISION,
            deposit=entry.rent if deposit is None else deposit,
            payment_day=5,
            starts_on=starts_on,
            duration_months=36 if entry.mode.value == "mandate" else 12,
        ),
        by=by,
        today=min(today, starts_on),
    )
    if status in ("signed", "active"):
        ops.sign_lease(
            self.session,
            lease,
            signed_on=min(today, starts_on),
            signatories=" ; ".join([*tenants, "pour l'opérateur, Lou Martin"]),
            method=LeaseSignatureMethod.PAPER,
            by=by,
            today=today,
        )
    if status == "active":
        ops.activate_lease(self.session, lease, on=starts_on, by=by, today=today)
    return lease


Factory.lease = _lease  # type: ignore[attr-defined]


def _guarantee(self: Factory, lease, *, by: User, **fields):  # type: ignore[no-untyped-def]
    """A personal guarantor on a lease (any kind through ``kind`` and the GuaranteeInput fields)."""
    from agency_backoffice.models import GuaranteeKind
    from agency_backoffice.operations.guarantees import add_guarantee
    from agency_backoffice.rules.guarantees import GuaranteeInput

    kind = fields.pop("kind", GuaranteeKind.PERSONAL_GUARANTOR)
    fields.setdefault("guarantor_name", "Mariam Diallo") if kind is GuaranteeKind.PERSONAL_GUARANTOR else None
    return add_guarantee(self.session, lease, kind, GuaranteeInput(**fields), by=by, today=date.today())


Factory.guarantee = _guarantee  # type: ignore[attr-defined]
