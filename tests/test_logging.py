"""Structured logs: a request id on every line of a request and in its response, one access line, nothing personal.

The lines are read from the handler ``passerelle.log.configure`` installs (as create_app does), its stream swapped
for a buffer: the request-id filter and the formatting are the real ones.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from passerelle import log
from passerelle.config import ConfigurationError
from passerelle.models import Role
from tests.conftest import login_as
from tests.factories import PASSWORD, Factory

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
HOUSEHOLD = {  # a referral as the intake form sends it (tests/test_households_views.py has the full story)
    "siao_reference": "SIAO-62-0777",
    "referred_on": date.today().isoformat(),
    "contact_name": "Awa Exemple",
    "situation": "emergency_shelter",
    "members-0-kind": "adult",
    "members-0-birth_year": str(date.today().year - 35),
    "members-1-kind": "child",
    "members-1-birth_year": str(date.today().year - 8),
    "members-1-sex": "F",
    "resource_wages": "1 250,50",
    "support_intensity": "none",
}
Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def lines(app: Flask) -> Iterator[Lines]:
    """The JSON lines written during the test by the handler ``passerelle.log`` installs (its stream swapped)."""
    log.configure("json", logging.INFO)  # as create_app does with LOG_FORMAT=json (another test may have changed it)
    handler = log.installed_handler()
    assert handler is not None, "passerelle.log n'a pas installé son gestionnaire"
    buffer = io.StringIO()
    handler.stream = buffer
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        handler.stream = None
        log.configure(log.log_format(app.config), log.log_level(app.config))


def _raw(lines: Lines) -> str:
    return "\n".join(json.dumps(line, ensure_ascii=False) for line in lines())


def _access(lines: Lines) -> list[dict[str, Any]]:
    return [line for line in lines() if line["logger"] == "passerelle.access"]


def test_each_request_gets_an_id_in_its_response_and_in_its_access_line(client: FlaskClient, lines: Lines) -> None:
    first, second = client.get("/livez"), client.get("/livez")
    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(GENERATED_ID.fullmatch(request_id) for request_id in ids) and ids[0] != ids[1]
    access = _access(lines)
    assert [line["request_id"] for line in access] == ids
    assert access[0] | {"ts": None, "duration_ms": None} == {
        "ts": None,
        "level": "INFO",
        "logger": "passerelle.access",
        "message": access[0]["message"],
        "request_id": ids[0],
        "method": "GET",
        "path": "/livez",
        "endpoint": "health.livez",
        "status": 200,
        "duration_ms": None,
        "user_id": None,
        "role": None,
    }
    assert isinstance(access[0]["duration_ms"], float) and access[0]["duration_ms"] >= 0


def test_a_safe_incoming_id_is_kept_and_an_unsafe_one_replaced(client: FlaskClient, lines: Lines) -> None:
    kept = client.get("/livez", headers={"X-Request-ID": "lb-2026.11_22-abcdef"})
    assert kept.headers["X-Request-ID"] == "lb-2026.11_22-abcdef"
    for unsafe in ("court", "a" * 65, "<script>alert(1)</script>", "deux mots ici", "id;DROP TABLE users", "é" * 10):
        response = client.get("/livez", headers={"X-Request-ID": unsafe})
        assert GENERATED_ID.fullmatch(response.headers["X-Request-ID"]), unsafe
    logged = [line["request_id"] for line in _access(lines)]
    assert logged[0] == "lb-2026.11_22-abcdef"
    assert all(GENERATED_ID.fullmatch(request_id) for request_id in logged[1:])


def test_every_line_of_a_failing_request_carries_its_id_and_the_500_page_shows_it(
    app: Flask, client: FlaskClient, lines: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> str:
        logging.getLogger("capture.example").warning("Étape intermédiaire avant la panne")
        raise RuntimeError("panne simulée")

    monkeypatch.setitem(app.view_functions, "public.terms", broken)
    response = client.get("/conditions-utilisation?source=courriel")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    page = response.get_data(as_text=True)
    assert f"Référence de l&#39;erreur à communiquer au support : {request_id}." in page
    assert "panne simulée" not in page and "Traceback" not in page
    mine = [line for line in lines() if line["request_id"] == request_id]
    assert [line["logger"] for line in mine] == ["capture.example", app.logger.name, "passerelle.access"]
    assert all(line["request_id"] == request_id for line in lines())  # nothing was logged without it
    error = mine[1]
    assert error["level"] == "ERROR" and "RuntimeError: panne simulée" in error["exception"]
    assert mine[2]["status"] == 500 and mine[2]["path"] == "/conditions-utilisation"
    assert "source=courriel" not in _raw(lines)  # never the query string


def test_the_access_line_names_the_user_by_id_and_role_only(client: FlaskClient, make: Factory, lines: Lines) -> None:
    staff = make.staff(email="marie.curie@asso.example", full_name="Marie Curie")
    login_as(client, staff)
    assert client.get("/agence/").status_code == 200
    (access,) = _access(lines)
    assert (access["user_id"], access["role"], access["endpoint"]) == (
        staff.id,
        "agency_staff",
        "agency_backoffice.home",
    )
    assert "marie" not in _raw(lines).lower() and "curie" not in _raw(lines).lower()


def test_secret_tokens_in_paths_are_masked(client: FlaskClient, lines: Lines) -> None:
    token = "Zm9vYmFyLXNlY3JldC10b2tlbi0xMjM0NTY3ODkw"
    client.get(f"/verifier-email/{token}")
    client.get(f"/reinitialiser/{token}")
    assert [line["path"] for line in _access(lines)] == ["/verifier-email/***", "/reinitialiser/***"]
    assert token not in _raw(lines)


def test_a_login_leaves_no_e_mail_nor_password_in_the_logs(
    client: FlaskClient, make: Factory, lines: Lines, csrf_enabled: None
) -> None:
    make.user(Role.LANDLORD, email="awa.diallo@exemple.fr")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    failed = client.post(
        "/login", data={"email": "awa.diallo@exemple.fr", "password": "mauvais-mot-de-passe", "csrf_token": token[1]}
    )
    assert failed.status_code == 200
    succeeded = client.post(
        "/login", data={"email": "awa.diallo@exemple.fr", "password": PASSWORD, "csrf_token": token[1]}
    )
    assert succeeded.status_code == 302
    raw = _raw(lines).lower()
    assert [line["method"] for line in _access(lines)] == ["GET", "POST", "POST"]
    for secret in ("awa", "diallo", "exemple.fr", "mauvais-mot-de-passe", PASSWORD, token[1].lower()):
        assert secret not in raw, secret


def test_registering_a_household_leaves_none_of_its_data_in_the_logs(
    client: FlaskClient, make: Factory, lines: Lines
) -> None:
    operator = make.organisation()
    login_as(client, make.staff(operator))
    response = client.post("/agence/menages/nouveau", data=HOUSEHOLD)
    assert response.status_code == 302
    (access,) = _access(lines)
    assert (access["method"], access["path"], access["status"]) == ("POST", "/agence/menages/nouveau", 302)
    raw = _raw(lines)
    for value in ("Awa", "Exemple", "SIAO-62-0777", "1 250,50", "emergency_shelter"):
        assert value not in raw, value


def test_the_text_format_carries_the_request_id_too(app: Flask, client: FlaskClient) -> None:
    log.configure("text", logging.INFO)  # the default outside production
    handler = log.installed_handler()
    assert handler is not None
    buffer = io.StringIO()
    handler.stream = buffer
    try:
        response = client.get("/livez")
    finally:
        handler.stream = None
    (line,) = buffer.getvalue().splitlines()
    assert f"INFO passerelle.access [{response.headers['X-Request-ID']}] GET /livez 200" in line


def test_log_settings() -> None:
    assert log.log_format({"PASSERELLE_ENV": "production"}) == "json"
    assert log.log_format({"PASSERELLE_ENV": "development"}) == "text"
    assert log.log_format({"PASSERELLE_ENV": "production", "LOG_FORMAT": "text"}) == "text"
    assert log.log_format({"PASSERELLE_ENV": "test", "LOG_FORMAT": "JSON"}) == "json"
    with pytest.raises(ConfigurationError, match="LOG_FORMAT='xml' inconnu"):
        log.log_format({"LOG_FORMAT": "xml"})
    assert log.log_level({"LOG_LEVEL": "warning"}) == logging.WARNING
    with pytest.raises(ConfigurationError, match="LOG_LEVEL='BAVARD' inconnu"):
        log.log_level({"LOG_LEVEL": "bavard"})


def test_a_json_line_is_one_line_whatever_the_message() -> None:
    record = logging.makeLogRecord(
        {"name": "x", "levelname": "INFO", "msg": 'deux\nlignes "citées" é', "request_id": "-", "status": 200}
    )
    line = log.JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert (parsed["message"], parsed["request_id"], parsed["status"]) == ('deux\nlignes "citées" é', None, 200)


def test_database_errors_do_not_quote_their_parameters(app, session) -> None:
    # A failed statement's message is what ends up in the logs: it must not carry the values (personal data).
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    secret = "camille.exemple@example.org"
    try:
        with session.begin_nested():
            session.execute(text("INSERT INTO no_such_table (email) VALUES (:email)"), {"email": secret})
    except DBAPIError as error:
        assert secret not in str(error)
        assert "hidden due to hide_parameters" in str(error)
    else:  # pragma: no cover - the table does not exist
        raise AssertionError("the statement should have failed")
