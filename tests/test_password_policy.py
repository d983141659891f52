"""Password rules (ASVS 2.1) and login throttling (ASVS 2.2) as a visitor meets them, in French."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passerelle.auth.common_passwords import COMMON_PASSWORDS
from passerelle.auth.passwords import hash_password, password_problems, verify_password
from passerelle.mail import outbox
from passerelle.models import User
from tests.conftest import login_as
from tests.factories import PASSWORD, Factory

EMAIL = "jeanne.durand@exemple.fr"


def _signup(client: FlaskClient, password: str, *, email: str = EMAIL, name: str = "Jeanne Durand"):  # type: ignore[no-untyped-def]
    return client.post(
        "/inscription",
        data={"full_name": name, "email": email, "password": password, "confirm": password, "accept_terms": "y"},
    )


def _users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def test_a_long_passphrase_is_accepted_whole_and_never_truncated(client: FlaskClient, session: Session) -> None:
    passphrase = "le petit chat gris dort au soleil sur le rebord de la fenêtre ouverte du salon " * 1
    passphrase = passphrase.strip()
    assert 64 <= len(passphrase) <= 128
    assert _signup(client, passphrase).status_code == 302
    user = session.scalar(select(User).where(User.email == EMAIL))
    assert user is not None and verify_password(user.password_hash, passphrase)
    # Every character counts: the same passphrase with its last character changed, or cut, does not open it.
    assert not verify_password(user.password_hash, passphrase[:-1] + "X")
    assert not verify_password(user.password_hash, passphrase[:72])
    assert not verify_password(user.password_hash, passphrase[:64])


def test_128_characters_at_most(client: FlaskClient, session: Session) -> None:
    assert password_problems("a la claire fontaine m'en allant promener " * 3)[:1] == []
    too_long = "x" + "une phrase de passe vraiment très longue " * 4
    assert len(too_long) > 128
    response = _signup(client, too_long)
    assert response.status_code == 200 and _users(session) == 0
    assert "128 caractères" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "password",
    [
        "jeanne.durand@exemple.fr",
        "jeanne.durand@exemple.fr!",
        "moi:jeanne.durand2026",
        "JEANNEDURAND-1990",
        "Jeanne Durand 1990",
    ],
)
def test_a_password_containing_the_email_or_name_is_refused(client: FlaskClient, session: Session, password) -> None:  # type: ignore[no-untyped-def]
    response = _signup(client, password)
    assert response.status_code == 200 and _users(session) == 0
    assert "ne doit contenir ni votre adresse e-mail ni votre nom" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "password",
    [
        "motdepasse123",
        "azertyuiop12",
        "123456789012",
        "Password1234",
        "Motdepasse2026!",
        "2026 AZERTY !!",
        "bienvenue2026",
        "passerelle2026",
        "aaaaaaaaaaaaaaaa",
        "abababababab",
    ],
)
def test_a_very_common_or_trivial_password_is_refused(client: FlaskClient, session: Session, password: str) -> None:
    response = _signup(client, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _users(session) == 0
    assert "trop courant ou trop simple" in html


def test_the_shipped_list_is_lower_case_and_long_enough_to_matter() -> None:
    assert len(COMMON_PASSWORDS) >= 100
    assert all(len(p) >= 12 and p == p.lower() for p in COMMON_PASSWORDS)
    assert {"motdepasse123", "azertyuiop12", "123456789012"} <= COMMON_PASSWORDS


@pytest.mark.parametrize(
    "password",
    ["une phrase de passe solide", "Cheval-Agrafe-Batterie-42", "ma grand-mère cultivait des dahlias"],
)
def test_ordinary_passphrases_pass(password: str) -> None:
    assert password_problems(password, email=EMAIL, full_name="Jeanne Durand") == []


def test_the_minimum_is_12_characters(client: FlaskClient, session: Session) -> None:
    response = _signup(client, "onze carac.")
    assert "au moins 12 caractères" in response.get_data(as_text=True) and _users(session) == 0
    assert password_problems("douze carac.") == []


def test_the_same_rules_apply_to_a_password_change(client: FlaskClient, make: Factory, session: Session) -> None:
    user = make.user(email="paul.martin@exemple.fr", full_name="Paul Martin")
    login_as(client, user)
    before = user.password_hash
    for weak in ("motdepasse123", "paul.martin-2026", "court"):
        response = client.post("/compte/mot-de-passe", data={"current": PASSWORD, "password": weak, "confirm": weak})
        assert response.status_code == 200, weak
        session.refresh(user)
        assert user.password_hash == before, weak


def test_the_same_rules_apply_to_a_reset(client: FlaskClient, make: Factory, app: Flask, session: Session) -> None:
    user = make.user(email="oubli@exemple.fr")
    client.post("/mot-de-passe-oublie", data={"email": "oubli@exemple.fr"})
    path = re.search(r"(/reinitialiser/\S+)", outbox(app)[-1].body).group(1)
    response = client.post(path, data={"password": "azertyuiop123", "confirm": "azertyuiop123"})
    assert response.status_code == 200 and "trop courant" in response.get_data(as_text=True)
    session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)


def test_accents_are_the_same_password_whatever_the_keyboard() -> None:
    composed = "les fenêtres de l'été"  # é as one character (NFC)
    decomposed = "les fene\u0302tres de l'e\u0301te\u0301"  # e + combining accents (NFD, macOS)
    assert composed != decomposed
    assert verify_password(hash_password(composed), decomposed)
    assert verify_password(hash_password(decomposed), composed)


# --- login: one message for every failure, throttling in French ------------------------------------------------


def _login(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": email, "password": password})


def _page_without_values(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))


def test_unknown_account_wrong_password_and_disabled_account_look_the_same(client: FlaskClient, make: Factory) -> None:
    make.user(email="actif@exemple.fr")
    make.user(email="ferme@exemple.fr", is_active_account=False)
    pages = [
        _page_without_values(_login(client, email, password))
        for email, password in (
            ("personne@exemple.fr", PASSWORD),
            ("actif@exemple.fr", "mauvais mot de passe"),
            ("ferme@exemple.fr", PASSWORD),
        )
    ]
    assert "Adresse e-mail ou mot de passe incorrect." in pages[0]
    assert pages[0] == pages[1] == pages[2]


def test_password_reset_answers_the_same_for_unknown_addresses(client: FlaskClient, make: Factory) -> None:
    make.user(email="connu@exemple.fr")
    known = client.post("/mot-de-passe-oublie", data={"email": "connu@exemple.fr"}, follow_redirects=True)
    unknown = client.post("/mot-de-passe-oublie", data={"email": "inconnu@exemple.fr"}, follow_redirects=True)
    assert _page_without_values(known) == _page_without_values(unknown)


def test_throttling_per_account_is_in_french_and_same_for_unknown_accounts(
    app: Flask, client: FlaskClient, make: Factory
) -> None:
    make.user(email="cible@exemple.fr")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for email in ("cible@exemple.fr", "fantome@exemple.fr"):
        for _ in range(limit):
            assert _login(client, email, "mauvais").status_code == 200
    known = _login(client, "cible@exemple.fr", PASSWORD)  # even the right password waits
    unknown = _login(client, "fantome@exemple.fr", PASSWORD)
    assert known.status_code == unknown.status_code == 429
    assert "Trop de tentatives de connexion" in known.get_data(as_text=True)
    assert "patientez quelques minutes" in known.get_data(as_text=True)
    assert _page_without_values(known) == _page_without_values(unknown)


def test_throttling_per_address_covers_many_accounts(app: Flask, client: FlaskClient, make: Factory) -> None:
    """Password spraying: one try on each of many accounts from one address is stopped too."""
    make.user(email="derniere@exemple.fr")
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_IP"]):
        _login(client, f"compte{n}@exemple.fr", "motdepasse123")
    blocked = _login(client, "derniere@exemple.fr", PASSWORD)
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.get_data(as_text=True)
    # Another address is not blocked by it.
    other = app.test_client()
    response = other.post(
        "/login",
        data={"email": "derniere@exemple.fr", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.50"},
    )
    assert response.status_code == 302
