"""The simulator through HTTP: the JSON contract, French errors per field (never a 500), the OpenAPI
document, rate limiting, and the page that saves each run and shows the recommendation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from capture.models import IMLMode, RoutingRule, Simulation
from passerelle.extensions import limiter
from passerelle.models import (
    Commune,
    IncomeCeiling,
    LocalPremium,
    OrganisationKind,
    RentReference,
    Role,
    Territory,
)
from passerelle.reference import importers
from tests.conftest import login_as
from tests.factories import Factory

URL = "/api/v1/simulations"
OPTION_KEYS = [
    "market",
    "loc1_direct",
    "loc1_mandate",
    "loc1_sublease",
    "loc2_direct",
    "loc2_mandate",
    "loc2_sublease",
    "loc3_direct",
    "loc3_mandate",
    "loc3_sublease",
]
OPTION_FIELDS = {
    "key",
    "level",
    "mode",
    "eligible",
    "reasons",
    "rent_cap_monthly",
    "rent_monthly",
    "gross_rent_yearly",
    "tax_reduction_rate",
    "tax_reduction_yearly",
    "anah_premium",
    "local_premiums",
    "management_fees_yearly",
    "guaranteed",
    "income_tax_and_levies_yearly",
    "net_income_yearly",
    "net_income_over_commitment",
    "tenant_income_ceiling",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def territory(session: Session, make: Factory) -> Territory:
    """Demo-like data: Arras with its rent map value, a territory, its two operators and a premium."""
    importers.import_parameters(session, importers.DEFAULT_PARAMETERS_FILE)
    arras = make.commune("62041", "Arras", zone="B1", region="32")
    make.commune("62999", "Sans-Loyer-sur-Test", zone="C")  # no rent map value
    session.add(
        RentReference(
            commune_insee="62041",
            edition=2024,
            housing_type="appartement",
            rent_m2=D("12.301219"),
            prediction_level="commune",
            source="Carte des loyers 2024 (test)",
        )
    )
    territory = make.territory(name="CU test", communes=[arras])
    ais = make.organisation(kind=OrganisationKind.AIS, territory=territory, name="AIS test")
    ais.management_fee_rate = D("0.08")
    association = make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory, name="Asso test")
    for mode, operator in ((IMLMode.MANDATE, ais), (IMLMode.SUBLEASE, association)):
        session.add(RoutingRule(territory_id=territory.id, commune_insee=None, mode=mode, operator_id=operator.id))
    session.add(
        LocalPremium(
            territory_id=territory.id,
            name="Prime test à la captation",
            amount=D("1500"),
            period="one_off",
            levels="loc2,loc3",
            valid_from=date(2024, 1, 1),
            source="test",
        )
    )
    session.add(
        IncomeCeiling(
            grid="PLUS",
            year=2026,
            area="other_regions",
            household_category="1",
            amount=D("23500"),
            source="t",
        )
    )
    session.flush()
    return territory


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "commune_insee": "62041",
        "surface_habitable_m2": 45,
        "annexes_m2": 6,
        "dpe_class": "D",
        "charges_monthly": 40,
        "marginal_tax_rate": 0.30,
        "property_tax_yearly": 600,
        "insurance_yearly": 150,
        "vacancy_months_per_year": 1,
        "unpaid_rent_rate": 0.05,
        "date": "2026-11-22",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def test_contract_on_demo_like_data(client: FlaskClient, territory: Territory, session: Session) -> None:
    response = client.post(URL, json=body())
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    commune = data["commune"]
    assert commune["insee"] == "62041" and commune["name"] == "Arras" and commune["zone_abc"] == "B1"
    # rent map 12.301219 €/m² charges included, minus 0 % of charges (unverified), to the cent
    assert commune["market_rent_m2"] == 12.30 and commune["estimate"] is True
    assert "carte des loyers 2024" in commune["market_rent_source"]
    assert data["surface_fiscale_m2"] == 48 and data["surface_coefficient"] == 1.10
    assert [option["key"] for option in data["options"]] == OPTION_KEYS
    for option in data["options"]:
        assert set(option) >= OPTION_FIELDS
        assert set(option["guaranteed"]) == {
            "rent_during_vacancy",
            "unpaid_rent",
            "restoration",
            "description",
        }
    options = {option["key"]: option for option in data["options"]}
    # Loc2 cap by hand: 12.30 × (1 − 30 %) × 48 × 1.10 = 454.608 → 454.61 (a JSON number, not a string)
    assert options["loc2_mandate"]["rent_cap_monthly"] == 454.61
    assert isinstance(options["loc2_mandate"]["net_income_yearly"], float)
    # the AIS's own fee rate (8 %) applies under mandate; the association charges the owner nothing
    assert options["loc2_mandate"]["management_fee_rate"] == 0.08
    assert options["loc2_mandate"]["operator"] == "AIS test"
    assert options["loc2_sublease"]["management_fees_yearly"] == 0
    assert options["loc2_mandate"]["anah_premium"] == 2000
    assert options["loc2_sublease"]["local_premiums"] == [
        {
            "name": "Prime test à la captation",
            "amount": 1500.0,
            "period": "one_off",
            "years": 1,
            "total": 1500.0,
            "source": "test",
        }
    ]
    assert options["loc1_sublease"]["local_premiums"] == []
    assert options["loc2_mandate"]["tenant_income_ceiling"]["amount"] == 23500
    assert options["loc2_mandate"]["tenant_income_ceiling"]["grid"] == "PLUS"
    assert options["loc3_mandate"]["tenant_income_ceiling"] is None  # PLAI 2026 not loaded: unknown
    assert options["loc3_direct"]["eligible"] is False and options["loc3_direct"]["reasons"]
    assert data["recommended"] in {key for key, option in options.items() if option["eligible"]}
    assert isinstance(data["explanation"], str) and data["explanation"]
    codes = {warning["code"] for warning in data["warnings"]}
    assert {"estimate", "charges_deduction_unverified", "income_ceiling_unknown"} <= codes
    parameters = {p["key"]: p for p in data["parameters"]}
    assert parameters["locavantages.discount.loc2"]["value"] == 0.30
    assert parameters["locavantages.discount.loc2"]["valid_from"] == "2022-03-01"
    assert parameters["locavantages.discount.loc2"]["source"]
    assert parameters["locavantages.market_rent_charges_deduction_rate"]["verified"] is False
    # the API stores nothing (the page does)
    assert session.scalar(select(func.count()).select_from(Simulation)) == 0


def test_given_market_rent_is_not_an_estimate(client: FlaskClient, territory: Territory) -> None:
    data = client.post(URL, json=body(market_rent_m2="12,00", unknown_field="ignored")).get_json()
    assert data["commune"]["market_rent_m2"] == 12.0 and data["commune"]["estimate"] is False
    loc2 = next(o for o in data["options"] if o["key"] == "loc2_sublease")
    assert loc2["rent_cap_monthly"] == 443.52  # 12 × 0.70 × 48 × 1.10
    assert "estimate" not in {w["code"] for w in data["warnings"]}


def test_g_unit_answers_with_reasons(client: FlaskClient, territory: Territory) -> None:
    data = client.post(URL, json=body(dpe_class="g")).get_json()
    assert data["recommended"] is None
    assert all(not option["eligible"] for option in data["options"])
    assert "2025" in " ".join(data["options"][0]["reasons"])


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"commune_insee": None}, "commune_insee", "Indiquez"),
        ({"commune_insee": "99999"}, "commune_insee", "Commune inconnue"),
        ({"commune_insee": "620"}, "commune_insee", "5 caractères"),
        ({"surface_habitable_m2": None}, "surface_habitable_m2", "Indiquez"),
        ({"surface_habitable_m2": -12}, "surface_habitable_m2", "supérieur"),
        ({"surface_habitable_m2": 0}, "surface_habitable_m2", "supérieur"),
        ({"surface_habitable_m2": 5000}, "surface_habitable_m2", "improbable"),
        ({"surface_habitable_m2": "beaucoup"}, "surface_habitable_m2", "nombre"),
        ({"surface_habitable_m2": True}, "surface_habitable_m2", "nombre"),
        ({"annexes_m2": -1}, "annexes_m2", "négati"),
        ({"annexes_m2": 900}, "annexes_m2", "improbable"),
        ({"dpe_class": "H"}, "dpe_class", "de A à G"),
        ({"dpe_class": None}, "dpe_class", "Indiquez"),
        ({"dpe_class": 3}, "dpe_class", "de A à G"),
        ({"marginal_tax_rate": 0.25}, "marginal_tax_rate", "parmi"),
        ({"marginal_tax_rate": "trente"}, "marginal_tax_rate", "nombre"),
        ({"property_tax_yearly": -5}, "property_tax_yearly", "négati"),
        ({"insurance_yearly": [1]}, "insurance_yearly", "nombre"),
        ({"asked_rent_monthly": 0}, "asked_rent_monthly", "supérieur"),
        ({"unpaid_rent_rate": 2}, "unpaid_rent_rate", "improbable"),
        ({"vacancy_months_per_year": 13}, "vacancy_months_per_year", "improbable"),
        ({"vacant_months": 2.5}, "vacant_months", "mois entiers"),
        ({"date": "22/11/2026"}, "date", "AAAA-MM-JJ"),
        ({"date": "2019-05-01"}, "date", "paramètres"),
        ({"commune_insee": "62999"}, "market_rent_m2", "loyer de marché"),
    ],
)
def test_bad_fields_get_422_with_french_messages(
    client: FlaskClient, territory: Territory, payload: dict[str, Any], field: str, words: str
) -> None:
    response = client.post(URL, json=body(**payload))  # a None value leaves the field out
    assert response.status_code == 422, response.get_data(as_text=True)
    data = response.get_json()
    assert data["error"] == "Données invalides : corrigez les champs signalés."
    assert field in data["errors"], data["errors"]
    assert any(words in message for message in data["errors"][field]), data["errors"][field]


def test_missing_fields_are_all_reported(client: FlaskClient, territory: Territory) -> None:
    response = client.post(URL, json={})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"commune_insee", "surface_habitable_m2", "dpe_class"}


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("pas du json", "application/json"),
        ("[1, 2]", "application/json"),
        ("", "application/json"),
        ("surface=45", "application/x-www-form-urlencoded"),
        ('{"commune_insee": "62041",', "application/json"),
    ],
)
def test_body_that_is_not_a_json_object_gets_400(
    client: FlaskClient, territory: Territory, data: str, content_type: str
) -> None:
    response = client.post(URL, data=data, content_type=content_type)
    assert response.status_code == 400
    assert "objet JSON" in response.get_json()["error"]


def test_non_finite_numbers_are_refused(client: FlaskClient, territory: Territory) -> None:
    raw = json.dumps(body()).replace('"surface_habitable_m2": 45', '"surface_habitable_m2": NaN')
    response = client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 422
    assert "surface_habitable_m2" in response.get_json()["errors"]


def test_rate_limited_in_french(app: Flask, client: FlaskClient, territory: Territory) -> None:
    previous = app.config["PUBLIC_API_RATE_LIMIT"]
    app.config["PUBLIC_API_RATE_LIMIT"] = "2 per minute"
    try:
        answers = [client.post(URL, json=body()).status_code for _ in range(3)]
    finally:
        app.config["PUBLIC_API_RATE_LIMIT"] = previous
    assert answers == [200, 200, 429]


def test_openapi_describes_the_endpoint(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/simulations"]["post"]
    request_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert request_schema == {"$ref": "#/components/schemas/SimulationRequest"}
    assert {"200", "400", "422", "429"} <= set(operation["responses"])
    schemas = document["components"]["schemas"]
    assert set(schemas["SimulationRequest"]["required"]) == {
        "commune_insee",
        "surface_habitable_m2",
        "dpe_class",
    }
    assert "marginal_tax_rate" in schemas["SimulationRequest"]["properties"]
    assert set(schemas["SimulationOption"]["properties"]) >= OPTION_FIELDS
    assert schemas["SimulationOption"]["properties"]["key"]["enum"] == OPTION_KEYS
    assert {"commune", "options", "recommended", "warnings", "parameters"} <= set(
        schemas["SimulationResponse"]["properties"]
    )
    for name in (
        "SimulationGuarantee",
        "SimulationLocalPremium",
        "SimulationIncomeCeiling",
        "SimulationParameter",
    ):
        assert name in schemas


# --- The page ---------------------------------------------------------------------------------------------

FORM = {
    "commune": "Arras",
    "surface_habitable_m2": "45",
    "annexes_m2": "6",
    "dpe_class": "D",
    "charges_monthly": "40",
    "marginal_tax_rate": "0.30",
    "property_tax_yearly": "600",
    "insurance_yearly": "150",
}


def test_page_shows_the_form(client: FlaskClient, territory: Territory) -> None:
    response = client.get("/proprietaire/simulateur")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Simuler mes avantages" in page and 'name="surface_habitable_m2"' in page
    assert "foyer non imposable" in page


def test_page_runs_saves_and_shows_the_recommendation(
    app: Flask, client: FlaskClient, territory: Territory, session: Session
) -> None:
    response = client.post("/proprietaire/simulateur", data=FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    record = session.scalars(select(Simulation)).one()
    assert response.headers["Location"] == f"/proprietaire/simulateur/{record.id}"
    assert record.user_id is None and record.commune_insee == "62041"
    assert record.inputs["surface_habitable_m2"] == 45 and record.inputs["dpe_class"] == "D"
    with client.session_transaction() as flask_session:
        assert flask_session["simulation_id"] == record.id

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    recommended = next(o for o in record.result["options"] if o["key"] == record.result["recommended"])
    assert "Notre recommandation" in page and recommended["label"] in page
    assert "Comparaison des options" in page and "<svg" in page
    assert "Sources et paramètres utilisés" in page and "Estimation" in page
    assert "Impossible" in page  # Loc3 without intermediation, with its reason
    if "landlord_portal.unit_new" in app.view_functions:
        assert f"/proprietaire/logements/nouveau?simulation={record.id}&amp;option=" in page

    # someone else (another browser) cannot see it
    other = app.test_client()
    assert other.get(f"/proprietaire/simulateur/{record.id}").status_code == 404
    # « modifier » pre-fills the form from the saved inputs
    again = client.get(f"/proprietaire/simulateur?simulation={record.id}").get_data(as_text=True)
    assert 'value="45"' in again and "Arras (62)" in again


def test_logged_in_landlord_owns_the_run(
    app: Flask, client: FlaskClient, territory: Territory, make: Factory, session: Session
) -> None:
    landlord = make.user(Role.LANDLORD)
    login_as(client, landlord)
    response = client.post("/proprietaire/simulateur", data=FORM)
    assert response.status_code == 302
    record = session.scalars(select(Simulation)).one()
    assert record.user_id == landlord.id
    with client.session_transaction() as flask_session:
        flask_session.pop("simulation_id")
        flask_session.pop("simulation_ids")
    assert client.get(f"/proprietaire/simulateur/{record.id}").status_code == 200
    if "landlord_portal.unit_new" in app.view_functions:  # « Continuer avec cette option »
        page = client.get(f"/proprietaire/logements/nouveau?simulation={record.id}&option=loc2_mandate")
        assert page.status_code == 200
    intruder = make.user(Role.LANDLORD)
    login_as(client, intruder)
    assert client.get(f"/proprietaire/simulateur/{record.id}").status_code == 404


def test_page_errors_are_french_and_tied_to_fields(client: FlaskClient, territory: Territory) -> None:
    response = client.post(
        "/proprietaire/simulateur", data=FORM | {"surface_habitable_m2": "5000", "commune": "Nulle-Part"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Le formulaire contient des erreurs" in page
    assert "Nous ne trouvons pas de commune" in page
    assert "Valeur improbable pour la surface habitable" in page  # every problem shown at once
    response = client.post("/proprietaire/simulateur", data=FORM | {"surface_habitable_m2": "5000"})
    assert "Valeur improbable pour la surface habitable" in response.get_data(as_text=True)
    response = client.post("/proprietaire/simulateur", data=FORM | {"surface_habitable_m2": "quarante"})
    assert "Saisissez un nombre" in response.get_data(as_text=True)


def test_page_lets_the_visitor_pick_among_homonyms(
    client: FlaskClient, territory: Territory, make: Factory, session: Session
) -> None:
    for insee in ("14999", "76999"):
        make.commune(insee, "Saint-Simulé", zone="C")
    response = client.post("/proprietaire/simulateur", data=FORM | {"commune": "Saint-Simulé", "market_rent_m2": "9"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Plusieurs communes correspondent" in page
    assert 'value="14999"' in page and 'value="76999"' in page
    response = client.post(
        "/proprietaire/simulateur",
        data=FORM | {"commune": "Saint-Simulé", "commune_choice": "76999", "market_rent_m2": "9"},
    )
    assert response.status_code == 302
    assert session.scalars(select(Simulation)).one().commune_insee == "76999"


def test_demo_premiums_are_seeded_once(session: Session, make: Factory) -> None:
    from landlord_portal.demo import DEMO_PREMIUMS, seed_local_premiums
    from passerelle.demo import DemoContext

    territory = make.territory()
    context = DemoContext(
        session=session,
        scale=0,
        territory=territory,
        ais=make.organisation(territory=territory),
        association=make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory),
        metropolis=make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory),
    )
    seed_local_premiums(context)
    seed_local_premiums(context)
    rows = session.scalars(select(LocalPremium).where(LocalPremium.territory_id == territory.id)).all()
    assert len(rows) == len(DEMO_PREMIUMS) == 3
    assert all("démonstration" in row.source for row in rows)
    assert {row.period for row in rows} == {"one_off", "yearly"}
    assert any(row.min_vacancy_months for row in rows)


def test_commune_without_zone_still_simulates(client: FlaskClient, territory: Territory, session: Session) -> None:
    session.add(Commune(insee="62998", name="Sans-Zone", departement="62"))
    session.flush()
    response = client.post(URL, json=body(commune_insee="62998", market_rent_m2=10))
    assert response.status_code == 200
    assert response.get_json()["commune"]["zone_abc"] is None


# --- Speed without staleness surprises ------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [{}, {"dpe_class": "G"}, {"dpe_class": "F", "vacant_months": 20}, {"commune_insee": "62999", "market_rent_m2": 9}],
)
def test_api_text_is_the_stored_document(session: Session, territory: Territory, changes: dict[str, Any]) -> None:
    """The API's fast JSON writer and the stored document (dicts of floats) say exactly the same."""
    from landlord_portal import simulation

    session.add(
        LocalPremium(
            territory_id=territory.id,
            name='Prime « spéciale » "test" \\ 10 € — ok',
            amount=D("250"),
            period="yearly",
            max_years=4,
            modes="mandate",
            valid_from=date(2024, 1, 1),
            source="ligne 1\nligne 2\t€",
        )
    )
    session.flush()
    prepared, errors = simulation.prepare(session, body(**changes))
    assert prepared is not None, errors
    result = simulation.compute(session, prepared)
    assert json.loads(simulation.result_to_text(result)) == simulation.result_to_json(result)


def test_reference_cache_expires_and_stays_bounded() -> None:
    from landlord_portal.simulation import ReferenceCache

    now = [0.0]
    cache = ReferenceCache(60, max_entries=2, clock=lambda: now[0])
    loads: list[str] = []

    def load(value: str):  # type: ignore[no-untyped-def]
        loads.append(value)
        return value

    assert cache.get("a", lambda: load("a1")) == "a1"
    assert cache.get("a", lambda: load("a2")) == "a1"  # fresh: not read again
    now[0] = 61
    assert cache.get("a", lambda: load("a3")) == "a3"  # expired: read again
    cache.get("b", lambda: load("b"))
    cache.get("c", lambda: load("c"))  # a third key evicts the least recently used
    assert cache.get("a", lambda: load("a4")) == "a4"
    cache.clear()
    assert cache.get("c", lambda: load("c2")) == "c2"
    assert loads == ["a1", "a3", "b", "c", "a4", "c2"]


def test_cached_reference_data_spares_the_database(
    app: Flask, client: FlaskClient, territory: Territory, session: Session
) -> None:
    from sqlalchemy import event

    from landlord_portal.api import simulator_cache

    assert simulator_cache(app) is None  # off under tests: each test reads its own rows
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = session.get_bind().engine
    app.config["SIMULATOR_CACHE_SECONDS"] = 60
    event.listen(engine, "before_cursor_execute", count)
    try:
        first = client.post(URL, json=body())
        queries_first = len(statements)
        second = client.post(URL, json=body(surface_habitable_m2=46))
    finally:
        event.remove(engine, "before_cursor_execute", count)
        app.config.pop("SIMULATOR_CACHE_SECONDS")
        app.extensions.pop("landlord_portal.simulator_cache", None)
    assert first.status_code == second.status_code == 200
    assert queries_first >= 5
    assert len(statements) == queries_first  # the second call read nothing from the database


FIELDS = [
    "commune_insee",
    "surface_habitable_m2",
    "annexes_m2",
    "dpe_class",
    "market_rent_m2",
    "asked_rent_monthly",
    "charges_monthly",
    "marginal_tax_rate",
    "property_tax_yearly",
    "insurance_yearly",
    "vacancy_months_per_year",
    "unpaid_rent_rate",
    "vacant_months",
    "date",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["62041", "A", "g", "0.30", "45,5", "2026-11-22", "1e9", "-0", "NaN"])
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(FIELDS), scalars | st.lists(scalars, max_size=2), max_size=6))
def test_any_json_object_gets_200_or_422_never_500(
    client: FlaskClient, territory: Territory, changes: dict[str, Any]
) -> None:
    limiter.reset()
    payload = {**body(), **changes}
    response = client.post(URL, data=json.dumps(payload), content_type="application/json")
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        errors = response.get_json()["errors"]
        assert errors and all(isinstance(m, str) and m for ms in errors.values() for m in ms)
