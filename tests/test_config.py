"""Configuration safety: production refuses to start without a secret or with demo accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from passerelle import create_app, migrate
from passerelle.config import ConfigurationError, load_config
from passerelle.db import db, make_engine
from passerelle.models import Role
from tests.conftest import fresh_database_url
from tests.factories import Factory


def test_production_without_secret_key_refuses_to_start(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY est obligatoire"):
        create_app({"PASSERELLE_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})


def test_unknown_environment_is_refused(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="PASSERELLE_ENV"):
        load_config(str(tmp_path), {"PASSERELLE_ENV": "prod"})


def test_production_gets_secure_cookies(tmp_path) -> None:
    config = load_config(str(tmp_path), {"PASSERELLE_ENV": "production", "SECRET_KEY": "x" * 48})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_has_a_non_secret_default_key_only_outside_production(tmp_path) -> None:
    config = load_config(str(tmp_path), {"PASSERELLE_ENV": "development"})
    assert config["SECRET_KEY"] and "not-secret" in config["SECRET_KEY"]
    assert not config.get("SESSION_COOKIE_SECURE")


@pytest.fixture
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A separate, migrated database whose rows are really committed."""
    for url in fresh_database_url(tmp_path_factory, "prod"):
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


def _add_user(url: str, email: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        Factory(session).user(Role.LANDLORD, email=email)
        session.commit()
    engine.dispose()


def test_production_with_demo_accounts_refuses_to_start(migrated_url: str) -> None:
    _add_user(migrated_url, "proprietaire@demo.passerelle.test")
    with pytest.raises(ConfigurationError, match="démonstration"):
        create_app({"PASSERELLE_ENV": "production", "SECRET_KEY": "s" * 48, "DATABASE_URL": migrated_url})


def test_production_without_demo_accounts_starts(migrated_url: str) -> None:
    _add_user(migrated_url, "vraie.personne@exemple.fr")
    app = create_app({"PASSERELLE_ENV": "production", "SECRET_KEY": "s" * 48, "DATABASE_URL": migrated_url})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    db.engine_for(app).dispose()


def test_demo_command_refuses_production(migrated_url: str) -> None:
    app = create_app({"PASSERELLE_ENV": "production", "SECRET_KEY": "s" * 48, "DATABASE_URL": migrated_url})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0
    assert "production" in result.output
    db.engine_for(app).dispose()
