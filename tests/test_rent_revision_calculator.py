"""The public rent revision calculator over HTTP (``POST /api/v1/rent-revisions`` and its page), on the IRL
series imported with the real importer from ../shared/data/irl.csv: the same four worked examples as the rules,
freeze, cap, an index not imported (422 naming it), bad input (French messages per field, nothing stored), the
OpenAPI document and rate limiting."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from passerelle.db import Base
from passerelle.extensions import limiter
from passerelle.reference import importers

URL = "/api/v1/rent-revisions"
PAGE = "/proprietaire/revision-du-loyer"
NBSP = "\u00a0"

# (rent, quarter, irl_new, irl_old, new rent) — the arithmetic is in tests/test_rent_revision_rules.py:
# 500 × 129.38 / 127.22 = 508.489… → 508.48 (ANIL); 650 × 140.59 / 135.84 = 672.728… → 672.72;
# 720.50 × 144.51 / 141.03 = 738.278… → 738.27; 812.37 × 145.77 / 144.51 = 819.453… → 819.45.
CASES = [
    ("500", "2019-Q1", 129.38, 127.22, 508.48),
    ("650.00", "2023-T2", 140.59, 135.84, 672.72),
    ("720,50", "2024-Q3", 144.51, 141.03, 738.27),
    ("812.37", "2025-T3", 145.77, 144.51, 819.45),
]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def irl(session: Session, shared_data: Path) -> None:
    """The shared INSEE series, through the real importer (no publication dates, as in production)."""
    report = importers.import_irl(session, shared_data / "irl.csv")
    assert report.imported and report.created == 31, report.summary()
    session.flush()


@pytest.fixture
def reference(irl: None, parameters: None) -> None:
    """The IRL series and the versioned parameters (the DPE freeze among them)."""


def rows(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def page_text(response: TestResponse) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.get_data(as_text=True))).replace(NBSP, " ").replace("\u202f", " ")


# --- the API ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rent", "quarter", "irl_new", "irl_old", "expected"), CASES)
def test_api_reproduces_the_worked_examples(
    client: FlaskClient, reference: None, rent: str, quarter: str, irl_new: float, irl_old: float, expected: float
) -> None:
    response = client.post(URL, json={"rent": rent, "irl_quarter": quarter})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    year, number = int(quarter[:4]), quarter[-1]
    assert body["new_rent"] == expected
    assert (body["irl_new"], body["irl_old"]) == (irl_new, irl_old)
    assert (body["quarter_new"], body["quarter_old"]) == (f"{year}-Q{number}", f"{year - 1}-Q{number}")
    assert body["frozen"] is False and body["capped"] is False
    assert "(tronqué au centime)" in body["explanation"]


def test_api_anil_example_in_detail(client: FlaskClient, reference: None) -> None:
    body = client.post(URL, json={"rent": 500, "irl_quarter": "2019-T1"}).get_json()
    assert body["rent"] == 500 and body["new_rent"] == 508.48 and body["increase"] == 8.48
    assert f"500,00{NBSP}€ × 129,38 / 127,22 = 508,48{NBSP}€ (tronqué au centime)" in body["explanation"]
    # A JSON number with decimals is read as written (never through a binary float).
    assert client.post(URL, json={"rent": 720.5, "irl_quarter": "2024-Q3"}).get_json()["new_rent"] == 738.27


@pytest.mark.parametrize("dpe", ["F", "G"])
def test_api_freezes_f_and_g(client: FlaskClient, reference: None, dpe: str) -> None:
    body = client.post(URL, json={"rent": "500", "irl_quarter": "2019-Q1", "dpe_class": dpe.lower()}).get_json()
    assert body["frozen"] is True and body["new_rent"] == 500 and body["increase"] == 0
    assert body["indexed_rent"] == 508.48 and body["dpe_class"] == dpe
    assert "gelé" in body["explanation"]
    # D is revised; and a revision dated before the freeze (24/08/2022, read from the parameters) is not frozen.
    assert (
        client.post(URL, json={"rent": "500", "irl_quarter": "2019-Q1", "dpe_class": "D"}).get_json()["frozen"] is False
    )
    before = client.post(
        URL, json={"rent": "500", "irl_quarter": "2019-Q1", "dpe_class": dpe, "revision_date": "2019-05-01"}
    ).get_json()
    assert before["frozen"] is False and before["new_rent"] == 508.48


def test_api_respects_the_cap(client: FlaskClient, reference: None) -> None:
    body = client.post(URL, json={"rent": "500", "irl_quarter": "2019-Q1", "cap_monthly": "505,00"}).get_json()
    assert body["capped"] is True and body["new_rent"] == 505 and body["cap_monthly"] == 505
    above = client.post(URL, json={"rent": "520", "irl_quarter": "2019-Q1", "cap_monthly": 510}).get_json()
    assert above["capped"] is True and above["new_rent"] == 510 and above["increase"] == -10
    under = client.post(URL, json={"rent": "500", "irl_quarter": "2019-Q1", "cap_monthly": 600}).get_json()
    assert under["capped"] is False and under["new_rent"] == 508.48


@pytest.mark.parametrize(
    ("quarter", "missing"),
    [
        ("2026-Q1", "1er trimestre 2026 (2026-T1)"),  # not published in the shared series
        ("2018-Q2", "2e trimestre 2017 (2017-T2)"),  # the index a year earlier is not imported
    ],
)
def test_api_names_the_index_that_is_not_imported(
    client: FlaskClient, reference: None, quarter: str, missing: str
) -> None:
    response = client.post(URL, json={"rent": "500", "irl_quarter": quarter})
    assert response.status_code == 422
    body = response.get_json()
    assert missing in body["error"] and "aucune valeur n'est devinée" in body["error"]
    assert any(missing in message for message in body["errors"]["irl_quarter"])
    assert "new_rent" not in body


def test_api_without_any_index_says_so(client: FlaskClient, parameters: None) -> None:
    response = client.post(URL, json={"rent": "500", "irl_quarter": "2019-Q1"})
    assert response.status_code == 422
    messages = response.get_json()["errors"]["irl_quarter"]
    assert len(messages) == 2 and "2019-T1" in messages[0] and "2018-T1" in messages[1]


def test_api_refuses_to_guess_the_freeze_without_parameters(client: FlaskClient, irl: None) -> None:
    # No parameter imported: with a DPE class the answer would be a guess (503); without one it needs none.
    response = client.post(URL, json={"rent": "500", "irl_quarter": "2019-Q1", "dpe_class": "G"})
    assert response.status_code == 503 and "paramètres réglementaires" in response.get_json()["error"]
    assert client.post(URL, json={"rent": "500", "irl_quarter": "2019-Q1"}).get_json()["new_rent"] == 508.48


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"irl_quarter": "2019-Q1"}, "rent", "Indiquez le loyer actuel"),
        ({"rent": "cinq cents", "irl_quarter": "2019-Q1"}, "rent", "doit être un montant en euros"),
        ({"rent": "-500", "irl_quarter": "2019-Q1"}, "rent", "supérieur à 0"),
        ({"rent": "500.123", "irl_quarter": "2019-Q1"}, "rent", "2 décimales au plus"),
        ({"rent": True, "irl_quarter": "2019-Q1"}, "rent", "doit être un montant"),
        ({"rent": "25000", "irl_quarter": "2019-Q1"}, "rent", "Valeur improbable"),
        ({"rent": "500"}, "irl_quarter", "Indiquez le trimestre"),
        ({"rent": "500", "irl_quarter": "2019-Q5"}, "irl_quarter", "Trimestre « 5 » impossible"),
        ({"rent": "500", "irl_quarter": "premier trimestre"}, "irl_quarter", "Trimestre illisible"),
        ({"rent": "500", "irl_quarter": 2019}, "irl_quarter", "est un texte"),
        ({"rent": "500", "irl_quarter": "2019-Q1", "dpe_class": "H"}, "dpe_class", "de A à G"),
        ({"rent": "500", "irl_quarter": "2019-Q1", "cap_monthly": "0"}, "cap_monthly", "supérieur à 0"),
        ({"rent": "500", "irl_quarter": "2019-Q1", "revision_date": "01/05/2019"}, "revision_date", "AAAA-MM-JJ"),
    ],
)
def test_api_bad_input_gets_french_field_errors_and_changes_nothing(
    client: FlaskClient, session: Session, reference: None, payload: dict, field: str, message: str
) -> None:
    before = rows(session)
    response = client.post(URL, json=payload)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "Données invalides : corrigez les champs signalés."
    assert list(body["errors"]) == [field]
    assert message in body["errors"][field][0]
    assert rows(session) == before


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]", '"500"'])
def test_api_body_that_is_not_a_json_object_is_a_400(client: FlaskClient, reference: None, raw: str) -> None:
    response = client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert "objet JSON" in response.get_json()["error"]


def test_api_stores_nothing(client: FlaskClient, session: Session, reference: None) -> None:
    before = rows(session)
    assert client.post(URL, json={"rent": "500", "irl_quarter": "2019-Q1"}).status_code == 200
    assert rows(session) == before


def test_api_is_rate_limited(app: Flask, client: FlaskClient, reference: None) -> None:
    previous = app.config["PUBLIC_API_RATE_LIMIT"]
    app.config["PUBLIC_API_RATE_LIMIT"] = "2 per minute"
    try:
        answers = [client.post(URL, json={"rent": "500", "irl_quarter": "2019-Q1"}).status_code for _ in range(3)]
    finally:
        app.config["PUBLIC_API_RATE_LIMIT"] = previous
    assert answers == [200, 200, 429]


def test_openapi_describes_the_endpoint(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/rent-revisions"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RentRevisionRequest"
    }
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RentRevisionResponse"
    }
    assert {"200", "400", "422", "429"} <= set(operation["responses"])
    schemas = document["components"]["schemas"]
    request_schema, response_schema = schemas["RentRevisionRequest"], schemas["RentRevisionResponse"]
    assert set(request_schema["required"]) == {"rent", "irl_quarter"}
    assert {"rent", "irl_quarter", "dpe_class", "cap_monthly"} <= set(request_schema["properties"])
    assert set(response_schema["required"]) == {
        "new_rent",
        "irl_new",
        "irl_old",
        "quarter_new",
        "quarter_old",
        "frozen",
        "capped",
        "explanation",
    }
    assert set(response_schema["required"]) <= set(response_schema["properties"])


# --- the page -----------------------------------------------------------------------------------------------


def test_page_lists_the_quarters_that_can_be_applied(client: FlaskClient, reference: None) -> None:
    response = client.get(PAGE)
    assert response.status_code == 200
    page = page_text(response)
    assert "Calculer la révision annuelle du loyer" in page and 'name="rent"' in page
    assert '<option value="2025-T3">3e trimestre 2025 — IRL 145,77, comparé à 144,51 un an plus tôt</option>' in page
    # 2018 quarters cannot be applied: the shared series has no 2017 index to compare them with.
    assert 'value="2019-T1"' in page and 'value="2018-T4"' not in page
    assert "Réviser un loyer" in page  # the public sub-navigation links here


def test_page_without_any_index_says_so(client: FlaskClient) -> None:
    page = page_text(client.get(PAGE))
    assert "Aucun indice disponible" in page


@pytest.mark.parametrize(("rent", "quarter", "irl_new", "irl_old", "expected"), CASES)
def test_page_reproduces_the_worked_examples(
    client: FlaskClient,
    session: Session,
    reference: None,
    rent: str,
    quarter: str,
    irl_new: float,
    irl_old: float,
    expected: float,
) -> None:
    before = rows(session)
    response = client.post(PAGE, data={"rent": rent, "irl_quarter": quarter.replace("Q", "T")})
    assert response.status_code == 200
    page = page_text(response)
    shown = f"{expected:.2f}".replace(".", ",")
    assert f"Loyer révisé : {shown} € hors charges" in page
    assert f"× {irl_new:.2f} / {irl_old:.2f} = {shown} € (tronqué au centime)".replace(".", ",") in page
    assert "Le formulaire contient des erreurs" not in page
    assert rows(session) == before  # nothing stored


def test_page_freeze_and_cap(client: FlaskClient, reference: None) -> None:
    frozen = page_text(client.post(PAGE, data={"rent": "500", "irl_quarter": "2019-T1", "dpe_class": "G"}))
    assert "Loyer gelé" in frozen and "Loyer révisé : 500,00 € hors charges" in frozen
    capped = page_text(client.post(PAGE, data={"rent": "500", "irl_quarter": "2019-T1", "cap_monthly": "505"}))
    assert "Plafond de la convention" in capped and "Loyer révisé : 505,00 € hors charges" in capped


def test_page_names_a_missing_index(client: FlaskClient, reference: None) -> None:
    page = page_text(client.post(PAGE, data={"rent": "500", "irl_quarter": "2018-T2"}))
    assert "Le formulaire contient des erreurs" in page
    assert "L'IRL du 2e trimestre 2017 (2017-T2) n'est pas disponible dans Passerelle" in page
    assert "Loyer révisé :" not in page


def test_page_bad_input_shows_every_error_in_french(client: FlaskClient, session: Session, reference: None) -> None:
    before = rows(session)
    response = client.post(PAGE, data={"rent": "abc", "irl_quarter": "", "dpe_class": "Z", "cap_monthly": "-3"})
    assert response.status_code == 200
    page = page_text(response)
    assert "Le formulaire contient des erreurs" in page
    assert 'href="#rent"' in page and 'href="#irl_quarter"' in page and 'href="#cap_monthly"' in page
    assert "Saisissez un nombre, par exemple 45,5." in page  # the field's own message, not a second one
    assert "Ce champ est obligatoire." in page
    assert "Indiquez un montant supérieur à 0 pour le plafond de loyer de la convention." in page
    assert 'aria-invalid="true"' in page
    assert "Loyer révisé :" not in page
    assert rows(session) == before


def test_page_is_rate_limited_on_post(app: Flask, client: FlaskClient, reference: None) -> None:
    previous = app.config["PUBLIC_API_RATE_LIMIT"]
    app.config["PUBLIC_API_RATE_LIMIT"] = "2 per minute"
    try:
        answers = [client.post(PAGE, data={"rent": "500", "irl_quarter": "2019-T1"}).status_code for _ in range(3)]
        assert client.get(PAGE).status_code == 200  # reading the page is not counted
    finally:
        app.config["PUBLIC_API_RATE_LIMIT"] = previous
    assert answers == [200, 200, 429]
