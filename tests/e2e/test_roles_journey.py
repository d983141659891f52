"""Each demo role logs in through the real login form and reaches its home page."""

from __future__ import annotations

import pytest

from passerelle.demo import DEMO_PASSWORD
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser

ROLES = [
    ("proprietaire@demo.passerelle.test", "/proprietaire/", "Mon espace propriétaire"),
    ("agent.ais@demo.passerelle.test", "/agence/", "AIS Artois Logement Solidaire"),
    ("agent.asso@demo.passerelle.test", "/agence/", "Association Toit d'Abord Arras"),
    ("metropole@demo.passerelle.test", "/metropole/", "Communauté urbaine d'Arras"),
    ("admin@demo.passerelle.test", "/admin/", "Administration"),
]


@pytest.mark.parametrize(("email", "home", "text"), ROLES)
def test_demo_role_logs_in_and_reaches_home(page, email: str, home: str, text: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**{home}")
    assert text in page.content()
    screenshot(page, f"home-{email.split('@')[0]}")
    # Logging out brings the visitor back to the public page.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/")
    assert page.get_by_role("link", name="Se connecter").first.is_visible()


def test_wrong_password_shows_a_french_error(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill("proprietaire@demo.passerelle.test")
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    assert "Adresse e-mail ou mot de passe incorrect." in page.content()
    screenshot(page, "login-error")
