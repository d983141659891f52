"""Landlord portal: public pages, incentives simulator, sign-up, unit declaration, landlord space."""

from __future__ import annotations

from flask import Blueprint, Flask

from passerelle.models import Role
from passerelle.security import guard_blueprint

bp = Blueprint("landlord_portal", __name__, url_prefix="/proprietaire", template_folder="templates")
guard_blueprint(bp, Role.LANDLORD)


def init_app(app: Flask) -> None:
    from landlord_portal import (  # noqa: F401
        agreement_views,
        api,
        bank_views,
        declaration_views,
        incident_views,
        lease_views,
        public_views,
        revision_api,
        revision_views,
        simulator_views,
        statement_views,
        views,
    )

    app.register_blueprint(bp)
    api.init_api(app)
    revision_api.init_api(app)
