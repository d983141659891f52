"""Landlord portal: public pages, incentives simulator, sign-up, unit declaration, landlord space."""

from __future__ import annotations

from flask import Blueprint, Flask

from passerelle.models import Role
from passerelle.security import guard_blueprint

bp = Blueprint("landlord_portal", __name__, url_prefix="/proprietaire", template_folder="templates")
guard_blueprint(bp, Role.LANDLORD)


def init_app(app: Flask) -> None:
    from landlord_portal import declaration_views, incident_views, public_views, views  # noqa: F401

    app.register_blueprint(bp)
