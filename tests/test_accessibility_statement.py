"""The accessibility statement (/accessibilite): public, honest about its state, linked from every page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from passerelle.models import Role
from passerelle.public import AXE_CORE_VERSION, CHECKED_PAGES
from tests.conftest import login_as
from tests.e2e.test_accessibility import TARGETS, VIEWPORTS
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = [
    "État de conformité",
    "Résultats des tests",
    "Contenus non accessibles",
    "Établissement de cette déclaration",
    "Retour d'information et contact",
    "Voies de recours",
]


def _text(html: str) -> str:
    """The page's words without tags or entities that split them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.replace("&nbsp;", " ").replace("&#39;", "'")))


@pytest.mark.parametrize("role", [None, Role.LANDLORD, Role.AGENCY_STAFF, Role.METRO, Role.ADMIN])
def test_the_statement_is_public_for_everyone(client: FlaskClient, make: Factory, role: Role | None) -> None:
    if role is Role.LANDLORD:
        login_as(client, make.landlord().user)
    elif role is Role.AGENCY_STAFF:
        login_as(client, make.staff())
    elif role is Role.METRO:
        login_as(client, make.metro_user())
    elif role is not None:
        login_as(client, make.user(role))
    response = client.get("/accessibilite")
    assert response.status_code == 200
    assert "<h1>Déclaration d'accessibilité</h1>" in response.get_data(as_text=True)


def test_the_statement_follows_the_rgaa_model(client: FlaskClient) -> None:
    text = _text(client.get("/accessibilite").get_data(as_text=True))
    headings = [s for s in SECTIONS if s in text]
    assert headings == SECTIONS
    # No audit: the only honest state is « non conforme » (RGAA: no valid audit → non-conformity).
    assert "Passerelle est non conforme" in text
    assert "partiellement conforme" not in text and "totalement conforme" not in text
    assert "article 47 de la loi n° 2005-102 du 11 février 2005" in text
    assert "établie le 22 novembre 2026" in text
    for technology in ("HTML", "CSS", "JavaScript"):
        assert technology in text
    assert "Défenseur des droits Libre réponse 71120 75342 Paris CEDEX 07" in text
    assert "accessibilite@passerelle.example" in text  # the operator's address, set by ACCESSIBILITY_CONTACT


def test_the_contact_address_is_the_operators(app, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    app.config["ACCESSIBILITY_CONTACT"] = "a11y@metropole.example"
    try:
        html = client.get("/accessibilite").get_data(as_text=True)
    finally:
        app.config["ACCESSIBILITY_CONTACT"] = "accessibilite@passerelle.example"
    assert 'href="mailto:a11y@metropole.example"' in html


def test_the_statement_tells_what_the_tests_check() -> None:
    """Its numbers are those of tests/e2e/test_accessibility.py and of the axe-core the lock file installs."""
    assert sum(len(pages) for _space, pages in CHECKED_PAGES) == len(TARGETS)
    assert len(VIEWPORTS) == 2
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/axe-core"]["version"] == AXE_CORE_VERSION


def test_the_statement_shows_the_counts(client: FlaskClient) -> None:
    text = _text(client.get("/accessibilite").get_data(as_text=True))
    count = len(TARGETS)
    assert f"{count} pages et états de page" in text
    assert f"soit {count * 2} contrôles" in text
    assert f"axe-core {AXE_CORE_VERSION}" in text
    assert "1280 × 800" in text and "390 × 844" in text


@pytest.mark.parametrize("path", ["/", "/login", "/accessibilite", "/proprietaire/simulateur", "/page-inconnue"])
def test_every_page_links_to_the_statement_with_its_state(client: FlaskClient, path: str) -> None:
    html = client.get(path).get_data(as_text=True)
    assert re.search(r'<a href="/accessibilite"[^>]*>Accessibilité&nbsp;: non conforme</a>', html)


def test_a_signed_in_page_links_to_the_statement(client: FlaskClient, make: Factory) -> None:
    login_as(client, make.staff())
    html = client.get("/agence/").get_data(as_text=True)
    assert 'href="/accessibilite"' in html
