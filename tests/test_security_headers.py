"""Security headers on every kind of page (ASVS 14.4), HSTS only over HTTPS, and templates free of inline script."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from passerelle import create_app
from passerelle.db import db
from passerelle.models import OrganisationKind, Role
from tests.conftest import login_as
from tests.factories import Factory

ROOT = Path(__file__).resolve().parents[1]

PAGES = {
    "anonymous": ["/", "/login", "/inscription", "/proprietaire/simulateur", "/api/v1/ping", "/page-inexistante"],
    "landlord": ["/proprietaire/", "/compte", "/proprietaire/profil"],
    "staff": ["/agence/", "/captation/", "/agence/menages", "/captation/campagnes"],
    "metro": ["/metropole/", "/metropole/tableau-de-bord"],
    "admin": ["/admin/", "/admin/utilisateurs"],
}


def _login(client: FlaskClient, make: Factory, actor: str) -> None:
    if actor == "anonymous":
        return
    territory = make.territory()
    user = {
        "landlord": lambda: make.user(Role.LANDLORD),
        "staff": lambda: make.staff(make.organisation(territory=territory)),
        "metro": lambda: make.metro_user(make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory)),
        "admin": lambda: make.user(Role.ADMIN),
    }[actor]()
    login_as(client, user)


def _directives(csp: str) -> dict[str, list[str]]:
    directives = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("actor", list(PAGES))
def test_every_page_carries_the_security_headers(
    client: FlaskClient, make: Factory, parameters: None, actor: str
) -> None:
    _login(client, make, actor)
    for path in PAGES[actor]:
        response = client.get(path)
        assert response.status_code in (200, 404), f"{path}: {response.status_code}"
        headers = response.headers
        csp = _directives(headers["Content-Security-Policy"])
        assert csp["script-src"] == ["'self'"], path  # no 'unsafe-inline', no 'unsafe-eval', no other host
        assert csp["style-src"] == ["'self'"], path
        assert csp["frame-ancestors"] == ["'none'"], path
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'self'"], path
        assert csp["form-action"] == ["'self'"], path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin", path
        assert "camera=()" in headers["Permissions-Policy"] and "geolocation=()" in headers["Permissions-Policy"]
        # Plain HTTP (the test client): no HSTS, a browser would ignore it anyway (RFC 6797 §7.2).
        assert "Strict-Transport-Security" not in headers, path
        if actor != "anonymous":
            assert headers["Cache-Control"] == "no-store", f"{path}: a logged-in page must not be cached"


def test_static_files_stay_cacheable_and_carry_nosniff(client: FlaskClient, make: Factory) -> None:
    login_as(client, make.user(Role.LANDLORD))
    response = client.get("/static/css/passerelle.css")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_hsts_only_over_https(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://passerelle.example")
    hsts = secure.headers["Strict-Transport-Security"]
    assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts)
    assert int(hsts.split("=")[1].split(";")[0]) >= 31536000  # one year


def test_forwarded_proto_is_ignored_without_a_trusted_proxy(client: FlaskClient) -> None:
    """Without PROXY_FIX_*, anyone could claim HTTPS or another address: the headers are not believed."""
    response = client.get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"})
    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def proxied_app(database_url: str) -> Iterator[Flask]:
    """The application as configured behind one nginx that sets X-Forwarded-For and X-Forwarded-Proto."""
    app = create_app(
        {
            "PASSERELLE_ENV": "test",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "PROXY_FIX_X_FOR": 1,
            "PROXY_FIX_X_PROTO": 1,
        }
    )
    yield app
    db.engine_for(app).dispose()


def test_behind_a_trusted_proxy_https_and_client_address_are_taken_from_it(proxied_app: Flask) -> None:
    seen: dict[str, object] = {}

    @proxied_app.get("/__essai_proxy")
    def _probe():  # type: ignore[no-untyped-def]
        from flask import request

        seen.update(secure=request.is_secure, address=request.remote_addr)
        return "ok"

    client = proxied_app.test_client()
    response = client.get(
        "/__essai_proxy",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 200
    assert seen == {"secure": True, "address": "198.51.100.7"}
    assert "Strict-Transport-Security" in response.headers
    # Only one proxy is trusted: an address the client itself put in front of nginx's is not believed.
    client.get(
        "/__essai_proxy",
        headers={"X-Forwarded-For": "10.6.6.6, 198.51.100.8", "X-Forwarded-Proto": "http"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert seen == {"secure": False, "address": "198.51.100.8"}


def test_production_cookies_are_secure_and_host_prefixed(tmp_path: Path) -> None:
    from passerelle.config import load_config

    config = load_config(str(tmp_path), {"PASSERELLE_ENV": "production", "SECRET_KEY": "x" * 48})
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert config["REMEMBER_COOKIE_SECURE"] and config["REMEMBER_COOKIE_HTTPONLY"]


# --- templates: nothing the CSP would block, nothing that would tempt anyone to loosen it ---------------------

TEMPLATE_DIRS = sorted(ROOT.glob("*/templates"))
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=", re.IGNORECASE | re.DOTALL)
JAVASCRIPT_URL = re.compile(r"javascript\s*:", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


def inline_code_problems(text: str, name: str) -> list[str]:
    """Each inline script, event handler, javascript: URL or inline style of a template, as ``file:line: what``."""
    problems = []
    for pattern, what in (
        (INLINE_SCRIPT, "script en ligne (sans src)"),
        (EVENT_HANDLER, "gestionnaire d'événement en ligne"),
        (JAVASCRIPT_URL, "URL javascript:"),
        (INLINE_STYLE, "style en ligne"),
    ):
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            problems.append(f"{name}:{line}: {what} : {match.group(0)[:60]!r}")
    return problems


def test_templates_are_found() -> None:
    names = {path.parent.name for path in TEMPLATE_DIRS}
    assert {"passerelle", "capture", "landlord_portal", "agency_backoffice"} <= names
    assert sum(1 for folder in TEMPLATE_DIRS for _ in folder.rglob("*.html")) > 50


def test_no_template_has_inline_script_handler_or_style() -> None:
    problems = []
    for folder in TEMPLATE_DIRS:
        for path in sorted(folder.rglob("*.html")):
            problems += inline_code_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not problems, "Code en ligne interdit par la CSP :\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "snippet",
    [
        "<p>ok</p>\n<script>alert(1)</script>",
        '<script type="module">import x from "./x.js"</script>',
        '<button type="button" onclick="go()">Go</button>',
        '<body\n  onload="init()">',
        '<a href="javascript:void(0)">x</a>',
        '<a href="JavaScript : alert(1)">x</a>',
        '<p style="color: red">x</p>',
        "<style>p { color: red }</style>",
    ],
)
def test_the_scan_finds_inline_code(snippet: str) -> None:
    problems = inline_code_problems(snippet, "essai.html")
    assert problems and problems[0].startswith("essai.html:")


def test_the_scan_reports_the_line_and_lets_safe_markup_through() -> None:
    text = '<p>1</p>\n<p>2</p>\n<img src="x.png" alt="" onerror="steal()">'
    assert inline_code_problems(text, "t.html")[0].startswith("t.html:3:")
    safe = (
        '<script src="/static/js/app.js" defer></script>\n'
        "<script defer src=\"{{ url_for('static', filename='js/x.js') }}\"></script>\n"
        '<a href="/aide" data-online="1">Aide en ligne</a> <p>Montant : onze euros</p>'
    )
    assert inline_code_problems(safe, "t.html") == []
