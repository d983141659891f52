"""A live server with the demo data, and Playwright driving Debian's chromium (never a downloaded one)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from passerelle import create_app, migrate
from passerelle.db import db
from passerelle.demo import seed_demo
from tests.conftest import IN_CI, fresh_database_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app behind the live server, with committed demo data (its outbox holds the sent e-mails)."""
    for url in fresh_database_url(tmp_path_factory, "e2e"):
        app = create_app({"PASSERELLE_ENV": "test", "DATABASE_URL": url, "WTF_CSRF_ENABLED": True})
        app.instance_path = str(tmp_path_factory.mktemp("e2e-instance"))
        migrate.upgrade(db.engine_for(app))
        with Session(db.engine_for(app)) as session, app.app_context():
            seed_demo(session, echo=lambda _message: None)
            session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield app
        finally:
            server.shutdown()
            thread.join(timeout=5)
            db.engine_for(app).dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> str:
    return live_app.config["BASE_URL"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} introuvable : lancez `make browser` (chromium de Debian)."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Keep a screenshot as a test artefact (test-artifacts/, ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
