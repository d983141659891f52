"""Accounts through the Flask client: login, throttling, logout, sign-up, verification, password reset."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from passerelle.auth.passwords import hash_password, verify_password
from passerelle.mail import outbox
from passerelle.models import AuditEntry, LoginAttempt, Role, User
from tests.conftest import login_as
from tests.factories import PASSWORD, Factory


def _login(client: FlaskClient, email: str, password: str, **extra: str):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_login_success_goes_to_the_role_home_and_is_audited(
    client: FlaskClient, make: Factory, session: Session
) -> None:
    staff = make.staff(email="agent@exemple.fr")
    response = _login(client, "Agent@Exemple.fr ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/agence/"
    assert client.get("/agence/").status_code == 200
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == staff.id)).all()
    assert "user.login" in actions


def test_same_message_for_unknown_user_and_bad_password(client: FlaskClient, make: Factory) -> None:
    make.user(email="connu@exemple.fr")
    unknown = _login(client, "inconnu@exemple.fr", PASSWORD).get_data(as_text=True)
    wrong = _login(client, "connu@exemple.fr", "mauvais-mot-de-passe").get_data(as_text=True)
    message = "Adresse e-mail ou mot de passe incorrect."
    assert message in unknown and message in wrong
    # Nothing else on the page betrays whether the account exists.
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731
    assert strip(unknown) == strip(wrong)


def test_login_is_throttled_per_account(app: Flask, client: FlaskClient, make: Factory) -> None:
    make.user(email="cible@exemple.fr")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert _login(client, "cible@exemple.fr", "mauvais").status_code == 200
    blocked = _login(client, "cible@exemple.fr", PASSWORD)
    assert blocked.status_code == 429
    assert "Trop de tentatives" in blocked.get_data(as_text=True)
    # Another account from the same address is not blocked by this account's failures.
    make.user(email="autre@exemple.fr")
    assert _login(client, "autre@exemple.fr", PASSWORD).status_code == 302


def test_login_is_throttled_per_address(app: Flask, client: FlaskClient, make: Factory, session: Session) -> None:
    make.user(email="victime@exemple.fr")
    limit = app.config["LOGIN_MAX_FAILURES_PER_IP"]
    for n in range(limit):
        _login(client, f"essai{n}@exemple.fr", "mauvais")
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == limit
    assert _login(client, "victime@exemple.fr", PASSWORD).status_code == 429


def test_safe_next_redirect(client: FlaskClient, make: Factory) -> None:
    make.user(Role.LANDLORD, email="p@exemple.fr")
    response = _login(client, "p@exemple.fr", PASSWORD, next="/compte")
    assert response.headers["Location"] == "/compte"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_unsafe_next_is_ignored(client: FlaskClient, make: Factory, target: str) -> None:
    make.user(Role.LANDLORD, email="p@exemple.fr")
    response = _login(client, "p@exemple.fr", PASSWORD, next=target)
    assert response.headers["Location"] == "/proprietaire/"


def test_anonymous_is_sent_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/proprietaire/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_is_post_only(client: FlaskClient, make: Factory) -> None:
    user = make.user()
    login_as(client, user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/proprietaire/").status_code == 302


def test_forms_require_csrf_token(client: FlaskClient, make: Factory, csrf_enabled: None) -> None:
    make.user(email="p@exemple.fr")
    response = _login(client, "p@exemple.fr", PASSWORD)
    assert response.status_code == 400
    assert "Formulaire expiré" in response.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert token, "the login form must carry a CSRF token"
    assert _login(client, "p@exemple.fr", PASSWORD, csrf_token=token.group(1)).status_code == 302


def test_signup_verification_then_login(client: FlaskClient, session: Session, app: Flask) -> None:
    response = client.post(
        "/inscription",
        data={
            "full_name": "Jeanne Durand",
            "email": "jeanne.durand@exemple.fr",
            "password": "une phrase de passe solide",
            "confirm": "une phrase de passe solide",
            "accept_terms": "y",
        },
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "jeanne.durand@exemple.fr"))
    assert user is not None and user.role == Role.LANDLORD and user.email_verified_at is None
    # Unverified: the right password does not open the account, and the link is sent again.
    refused = _login(client, "jeanne.durand@exemple.fr", "une phrase de passe solide")
    assert "pas encore confirmée" in refused.get_data(as_text=True)
    mails = outbox(app)
    assert len(mails) == 2 and all(mail.to == "jeanne.durand@exemple.fr" for mail in mails)
    path = re.search(r"(/verifier-email/\S+)", mails[0].body).group(1)
    assert client.get(path).status_code == 302
    session.refresh(user)
    assert user.email_verified_at is not None
    assert _login(client, "jeanne.durand@exemple.fr", "une phrase de passe solide").status_code == 302


def test_signup_refuses_weak_password_and_missing_consent(client: FlaskClient, session: Session) -> None:
    response = client.post(
        "/inscription",
        data={"full_name": "X", "email": "x@exemple.fr", "password": "court", "confirm": "court"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "au moins 12 caractères" in html or "accepter les conditions" in html
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_signup_with_existing_email_reveals_nothing(
    client: FlaskClient, make: Factory, app: Flask, session: Session
) -> None:
    make.user(email="deja@exemple.fr")
    response = client.post(
        "/inscription",
        data={
            "full_name": "Y",
            "email": "deja@exemple.fr",
            "password": "une phrase de passe solide",
            "confirm": "une phrase de passe solide",
            "accept_terms": "y",
        },
    )
    assert response.headers["Location"] == "/inscription/envoyee"
    assert session.scalar(select(func.count()).select_from(User)) == 1
    assert "déjà" in outbox(app)[-1].body


def test_password_reset_is_single_use_and_logs_out_other_sessions(
    client: FlaskClient, make: Factory, app: Flask, session: Session
) -> None:
    user = make.user(email="oubli@exemple.fr")
    other_device = app.test_client()
    login_as(other_device, user)
    assert other_device.get("/compte").status_code == 200

    unknown = client.post("/mot-de-passe-oublie", data={"email": "personne@exemple.fr"})
    known = client.post("/mot-de-passe-oublie", data={"email": "oubli@exemple.fr"})
    assert unknown.headers["Location"] == known.headers["Location"] == "/login"
    assert len(outbox(app)) == 1
    path = re.search(r"(/reinitialiser/\S+)", outbox(app)[0].body).group(1)

    new = "nouvelle phrase de passe"
    assert client.post(path, data={"password": new, "confirm": new}).status_code == 302
    session.refresh(user)
    assert verify_password(user.password_hash, new)
    # The link cannot be used twice, and the other device's session has ended.
    again = client.post(path, data={"password": "encore une autre phrase", "confirm": "encore une autre phrase"})
    assert again.headers["Location"] == "/mot-de-passe-oublie"
    assert other_device.get("/compte").status_code == 302


def test_account_profile_and_password_change(client: FlaskClient, make: Factory, session: Session) -> None:
    user = make.user()
    login_as(client, user)
    assert client.post("/compte", data={"full_name": "  Nom Modifié ", "phone": "06 00 00 00 00"}).status_code == 302
    session.refresh(user)
    assert user.full_name == "Nom Modifié"
    wrong = client.post(
        "/compte/mot-de-passe",
        data={"current": "faux", "password": "autre phrase secrète", "confirm": "autre phrase secrète"},
    )
    assert "actuel est incorrect" in wrong.get_data(as_text=True)
    ok = client.post(
        "/compte/mot-de-passe",
        data={"current": PASSWORD, "password": "autre phrase secrète", "confirm": "autre phrase secrète"},
    )
    assert ok.status_code == 302
    assert client.get("/compte").status_code == 200  # this session survives the change


def test_password_hash_is_argon2id_at_owasp_cost() -> None:
    encoded = hash_password("une phrase de passe")
    assert encoded.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in encoded


def test_next_is_kept_across_sign_up_and_verification(client: FlaskClient, make: Factory) -> None:
    """A visitor sent to log in from a page, who signs up first, lands back on that page afterwards."""
    client.get("/login?next=/proprietaire/profil")
    make.user(Role.LANDLORD, email="revenu@exemple.fr")
    response = _login(client, "revenu@exemple.fr", PASSWORD)
    assert response.headers["Location"] == "/proprietaire/profil"


def test_unsafe_next_is_not_kept(client: FlaskClient, make: Factory) -> None:
    client.get("/login?next=https://evil.example/")
    make.user(Role.LANDLORD, email="p2@exemple.fr")
    assert _login(client, "p2@exemple.fr", PASSWORD).headers["Location"] == "/proprietaire/"
