"""Session timeouts (ASVS 3.3.1, 3.3.2): 30 minutes idle, 12 hours absolute, no way around them."""

from __future__ import annotations

import html
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login.utils import encode_cookie

from passerelle.auth import sessions
from passerelle.models import OrganisationKind, Role, User
from tests.factories import PASSWORD, Factory

MINUTE = 60.0
HOUR = 3600.0
T0 = 1_800_000_000.0  # any fixed instant: the clock is ours


class Clock:
    """The time source of the session checks, moved by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, *, minutes: float = 0, hours: float = 0) -> None:
        self.now += minutes * MINUTE + hours * HOUR


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr(sessions, "_now", clock)
    yield clock


def _log_in(client: FlaskClient, user: User) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def _is_in(client: FlaskClient, path: str = "/compte") -> bool:
    response = client.get(path)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def _expired_redirect(client: FlaskClient, path: str) -> str:
    """Request a page after expiry: the redirect goes to the login page with ``next``; return the page's text."""
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]
    return html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def test_defaults_are_30_minutes_idle_and_12_hours_absolute(app: Flask) -> None:
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    assert app.config["SESSION_ABSOLUTE_HOURS"] == 12


def test_idle_29_minutes_still_in_31_minutes_out(client: FlaskClient, make: Factory, clock: Clock) -> None:
    user = make.user(Role.LANDLORD)
    _log_in(client, user)
    clock.advance(minutes=29)
    assert _is_in(client)
    clock.advance(minutes=31)  # 31 minutes after the last request
    page = _expired_redirect(client, "/compte")
    assert "Votre session a expiré" in page and "reconnectez-vous." in page
    assert "30 minutes d'inactivité" in page
    # Logged out for good: the next request is anonymous, the session holds no user any more.
    assert client.get("/compte").headers["Location"].startswith("/login")
    with client.session_transaction() as flask_session:
        assert "_user_id" not in flask_session


def test_activity_keeps_the_session_until_the_absolute_limit(client: FlaskClient, make: Factory, clock: Clock) -> None:
    user = make.staff()
    _log_in(client, user)
    # A request every 25 minutes: never idle, for 11 h 40.
    for _ in range(28):
        clock.advance(minutes=25)
        assert _is_in(client, "/agence/"), f"logged out after {(clock.now - T0) / HOUR:.2f} h"
    clock.advance(minutes=19)  # 11 h 59 after logging in
    assert _is_in(client, "/agence/")
    clock.advance(minutes=2)  # 12 h 01
    page = _expired_redirect(client, "/agence/")
    assert "Votre session a expiré" in page and "12 heures" in page and "reconnectez-vous." in page


def test_the_next_page_after_expiry_is_the_one_asked_for(client: FlaskClient, make: Factory, clock: Clock) -> None:
    user = make.user(Role.LANDLORD)
    _log_in(client, user)
    clock.advance(minutes=45)
    _expired_redirect(client, "/proprietaire/profil")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/proprietaire/profil"
    assert _is_in(client, "/proprietaire/profil")


def test_a_post_after_expiry_changes_nothing(client: FlaskClient, make: Factory, clock: Clock, session) -> None:  # type: ignore[no-untyped-def]
    user = make.user(Role.LANDLORD, full_name="Avant Expiration")
    _log_in(client, user)
    clock.advance(hours=1)
    response = client.post("/compte", data={"full_name": "Après Expiration", "phone": ""})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    session.refresh(user)
    assert user.full_name == "Avant Expiration"


def test_the_json_api_answers_401_in_french(client: FlaskClient, make: Factory, clock: Clock) -> None:
    territory = make.territory(epci_code="200033579")
    metro = make.metro_user(make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory))
    _log_in(client, metro)
    clock.advance(minutes=31)
    response = client.get("/api/v1/indicators?territory=200033579&year=2026")
    assert response.status_code == 401
    assert "Votre session a expiré" in response.get_json()["error"]


def test_a_session_without_login_time_is_ended(client: FlaskClient, make: Factory, clock: Clock) -> None:
    """A session that names a user but has no login time (forged before the check, or restored) is refused."""
    user = make.user(Role.LANDLORD)
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = user.get_id()
        flask_session["_fresh"] = True
    response = client.get("/compte")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_remember_me_cookie_cannot_bypass_the_limits(
    app: Flask, client: FlaskClient, make: Factory, clock: Clock
) -> None:
    user = make.user(Role.LANDLORD)
    # The login form offers no "remember me": asking for it sets no long-lived cookie.
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    cookie_name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    assert client.get_cookie(cookie_name) is None
    clock.advance(hours=13)
    assert not _is_in(client)
    # Even a valid remember cookie (signed with the app's key, as Flask-Login would make one) opens nothing.
    with app.test_request_context():
        value = encode_cookie(user.get_id())
    other = app.test_client()
    other.set_cookie(cookie_name, value)
    response = other.get("/compte")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert not _is_in(other)


def test_logging_in_again_starts_a_new_session(client: FlaskClient, make: Factory, clock: Clock) -> None:
    user = make.user(Role.LANDLORD)
    _log_in(client, user)
    clock.advance(hours=11, minutes=50)
    assert not _is_in(client)  # idle for hours: out
    _log_in(client, user)
    clock.advance(minutes=20)
    assert _is_in(client)


def test_logout_clears_the_whole_session(client: FlaskClient, make: Factory, clock: Clock) -> None:
    user = make.user(Role.LANDLORD)
    _log_in(client, user)
    with client.session_transaction() as flask_session:
        flask_session["simulation_id"] = 42
    client.post("/logout")
    with client.session_transaction() as flask_session:
        assert "simulation_id" not in flask_session and "_user_id" not in flask_session
        assert sessions.LOGIN_AT not in flask_session


@pytest.mark.parametrize(
    ("login_ago", "seen_ago", "alive"),
    [
        (0, 0, True),
        (29 * MINUTE, 29 * MINUTE, True),
        (30 * MINUTE, 30 * MINUTE, True),
        (31 * MINUTE, 31 * MINUTE, False),
        (11 * HOUR, 1 * MINUTE, True),
        (12 * HOUR + 1, 1 * MINUTE, False),
    ],
)
def test_expiry_rule(login_ago: float, seen_ago: float, alive: bool) -> None:
    stamps = {sessions.LOGIN_AT: T0 - login_ago, sessions.SEEN_AT: T0 - seen_ago}
    reason = sessions.expiry_reason(stamps, now=T0, idle=30 * MINUTE, absolute=12 * HOUR)
    assert (reason is None) is alive
    if not alive:
        assert reason.startswith("Votre session a expiré") and reason.endswith("reconnectez-vous.")
