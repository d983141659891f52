"""The metropolis sees aggregates only: no name, e-mail, phone or address of a landlord or a contact anywhere.

Every GET route of the metro blueprint (new pages are checked automatically), the exports and the API are
fetched as the metro user, for this year and the last, and searched for the fixture's personal data.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from capture.models import (
    Agreement,
    Campaign,
    CampaignChannel,
    CaptureCase,
    CaptureStage,
    CaptureStageChange,
    ConventionLevel,
    IMLMode,
    LeadSource,
    SignatureMethod,
)
from capture.operations.targets import set_targets
from passerelle.models import OrganisationKind, Role
from tests.conftest import login_as
from tests.factories import Factory

LANDLORD_NAME = "Zéphirine Quatrebarbes"
LANDLORD_EMAIL = "zephirine.quatrebarbes@exemple-unique.test"
LANDLORD_PHONE = "06 39 98 47 11"
LANDLORD_ADDRESS = "17 impasse des Hirondelles-Bleues"
UNIT_ADDRESS = "4 cour du Héron-Cendré"
CONTACT_NAME = "Anatole Vercingétorix"
CONTACT_EMAIL = "anatole.vercingetorix@exemple-unique.test"
CONTACT_PHONE = "06 39 98 53 27"
OWNER_ADDRESS = "99 quai de l'Improbable, 59000 Lille"
LEAD_UNIT_ADDRESS = "3 ruelle Introuvable"
SIGNATORY = "Hildegarde Quatrebarbes"
STAFF_NAME = "Gontran Dossierdupont"
PERSONAL = [
    LANDLORD_NAME,
    LANDLORD_EMAIL,
    LANDLORD_PHONE,
    LANDLORD_ADDRESS,
    UNIT_ADDRESS,
    CONTACT_NAME,
    CONTACT_EMAIL,
    CONTACT_PHONE,
    OWNER_ADDRESS,
    LEAD_UNIT_ADDRESS,
    SIGNATORY,
    STAFF_NAME,
    "Quatrebarbes",
    "Vercingétorix",
    "Improbable",
]
EPCI = "200000077"
PARIS = ZoneInfo("Europe/Paris")


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), UTC)


@pytest.fixture
def setup(make: Factory, session: Session, parameters: None) -> dict[str, object]:
    today = datetime.now(PARIS).date()
    commune = make.commune()
    territory = make.territory(epci_code=EPCI, communes=[commune])
    operator = make.organisation(kind=OrganisationKind.AIS, territory=territory, name="Opérateur sans nom")
    metro = make.metro_user(make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory))
    staff = make.staff(operator, full_name=STAFF_NAME)
    owner = make.user(Role.LANDLORD, full_name=LANDLORD_NAME, email=LANDLORD_EMAIL)
    landlord = make.landlord(owner, phone=LANDLORD_PHONE, address=LANDLORD_ADDRESS, city="Arras")
    unit = make.unit(landlord, commune=commune, address=UNIT_ADDRESS, vacant_since=today - timedelta(days=400))
    campaign = Campaign(
        territory_id=territory.id,
        organisation_id=operator.id,
        name="Courriers de printemps",
        channel=CampaignChannel.LETTERS,
        starts_on=today - timedelta(days=60),
        ends_on=today,
        cost=Decimal("900.00"),
    )
    session.add(campaign)
    session.flush()
    day = max(today - timedelta(days=3), date(today.year, 1, 1))
    signed = CaptureCase(
        operator_id=operator.id,
        unit_id=unit.id,
        landlord_id=landlord.id,
        owner_id=staff.id,
        source=LeadSource.PORTAL,
        stage=CaptureStage.SIGNED,
        commune_insee=commune.insee,
        contact_name=CONTACT_NAME,
        contact_email=CONTACT_EMAIL,
        contact_phone=CONTACT_PHONE,
        created_at=at(day - timedelta(days=40)),
    )
    lead = CaptureCase(
        operator_id=operator.id,
        owner_id=staff.id,
        source=LeadSource.CAMPAIGN,
        stage=CaptureStage.LOST,
        lost_reason="no_answer",
        campaign_id=campaign.id,
        commune_insee=commune.insee,
        contact_name=CONTACT_NAME,
        owner_address=OWNER_ADDRESS,
        unit_address=LEAD_UNIT_ADDRESS,
        vacancy_months=30,
        created_at=at(day - timedelta(days=20)),
    )
    session.add_all([signed, lead])
    session.flush()
    session.add_all(
        [
            CaptureStageChange(case_id=signed.id, from_stage=None, to_stage=CaptureStage.NEW, at=signed.created_at),
            CaptureStageChange(
                case_id=signed.id, from_stage=CaptureStage.NEW, to_stage=CaptureStage.SIGNED, at=at(day)
            ),
            CaptureStageChange(case_id=lead.id, from_stage=None, to_stage=CaptureStage.NEW, at=lead.created_at),
            CaptureStageChange(case_id=lead.id, from_stage=CaptureStage.NEW, to_stage=CaptureStage.LOST, at=at(day)),
            Agreement(
                case_id=signed.id,
                unit_id=unit.id,
                operator_id=operator.id,
                landlord_id=landlord.id,
                mode=IMLMode.MANDATE,
                level=ConventionLevel.LOC2,
                rent=Decimal("480.00"),
                duration_months=36,
                starts_on=day,
                status="signed",
                signed_on=day,
                signatory_name=SIGNATORY,
                signature_method=SignatureMethod.PAPER,
            ),
        ]
    )
    set_targets(
        session,
        territory,
        today.year,
        total=5,
        by_mode={},
        by_level={},
        by_operator={operator.id: 5},
        mandate_share=Decimal("0.5"),
        by=metro,
    )
    session.flush()
    return {"metro": metro, "staff": staff, "case": signed.id, "year": today.year}


def _texts(response: Any) -> str:
    """Everything a response carries, an XLSX workbook unzipped."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    return response.data.decode("utf-8")


def _leaks(text: str) -> list[str]:
    return [value for value in PERSONAL if value in text or value.replace("'", "&#39;") in text]


def _metro_urls(app: Flask, year: int) -> list[str]:
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not (rule.endpoint.startswith("metro.") and "GET" in (rule.methods or set())):
                continue
            assert not rule.arguments, f"{rule.endpoint} prend des paramètres : étendre ce test"
            base = url_for(rule.endpoint)
            urls += [base, f"{base}?annee={year}", f"{base}?annee={year - 1}"]
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("capture_api."):
                base = url_for(rule.endpoint)
                urls += [f"{base}?territory={EPCI}&year={year}", f"{base}?territory={EPCI}&year={year - 1}"]
    return urls


def test_every_metro_page_export_and_api_answer_is_free_of_personal_data(
    app: Flask, client: FlaskClient, setup: dict[str, object]
) -> None:
    login_as(client, setup["metro"])  # type: ignore[arg-type]
    year = int(setup["year"])  # type: ignore[call-overload]
    urls = _metro_urls(app, year)
    endpoints = {url.split("?")[0] for url in urls}
    # The pages this test must cover, at least: new metro pages are added to the list automatically.
    assert {
        "/metropole/",
        "/metropole/tableau-de-bord",
        "/metropole/objectifs",
        "/metropole/indicateurs.csv",
        "/metropole/indicateurs.xlsx",
        "/api/v1/indicators",
    } <= endpoints
    failures = []
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            failures.append(f"{url}: {response.status_code}")
            continue
        leaks = _leaks(_texts(response))
        if leaks:
            failures.append(f"{url}: {leaks}")
    # A refused form is displayed again: still nothing personal.
    refused = client.post("/metropole/objectifs", data={"annee": str(year), "total": "-3"})
    assert refused.status_code == 200
    if _leaks(_texts(refused)):
        failures.append(f"POST /metropole/objectifs: {_leaks(_texts(refused))}")
    assert not failures, "\n".join(failures)


def test_the_search_finds_personal_data_where_it_is_shown(client: FlaskClient, setup: dict[str, object]) -> None:
    """The check can fail: the staff's case page shows the same landlord, and the search finds them there."""
    login_as(client, setup["staff"])  # type: ignore[arg-type]
    response = client.get(f"/captation/dossiers/{setup['case']}")
    assert response.status_code == 200
    assert LANDLORD_NAME in _leaks(_texts(response))


def test_the_dashboard_counts_the_fixture(client: FlaskClient, setup: dict[str, object]) -> None:
    """The pages searched above really carry the fixture's figures (one capture, one lost lead)."""
    login_as(client, setup["metro"])  # type: ignore[arg-type]
    data = client.get(f"/api/v1/indicators?territory={EPCI}&year={setup['year']}").get_json()
    assert data is not None
    assert data["captured"]["total"] == 1
    assert {line["reason"]: line["cases"] for line in data["lost"]}["no_answer"] == 1
    assert data["campaigns"][0]["name"] == "Courriers de printemps"
