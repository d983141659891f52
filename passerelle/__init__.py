"""Passerelle: capture private rental units for intermédiation locative (Logement d'abord)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

__all__ = ["create_app"]

# Domain packages plugged into the kernel, in dependency order.
DOMAIN_PACKAGES = ("capture", "landlord_portal", "agency_backoffice")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI."""
    from passerelle import admin, api, auth, cli, errors, formatting, health, jobs, log, mail, public, security
    from passerelle.config import load_config
    from passerelle.db import db
    from passerelle.extensions import csrf

    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path, config))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    log.init_app(app)  # first: its before_request starts the request's clock and id before any other
    load_all_models()
    db.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    formatting.init_app(app)
    mail.init_app(app)
    jobs.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    health.init_app(app)

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    api.init_app(app)
    for name in DOMAIN_PACKAGES:
        package = __import__(name)
        package.init_app(app)

    cli.init_app(app)
    if app.config["PASSERELLE_ENV"] == "production":
        security.refuse_demo_accounts(app)
    return app


def load_all_models() -> None:
    """Import every package's models so that ``Base.metadata`` knows all tables."""
    import passerelle.models  # noqa: F401

    for name in DOMAIN_PACKAGES:
        __import__(f"{name}.models")
