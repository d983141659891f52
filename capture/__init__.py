"""Capture: landlords, units, capture cases, campaigns, assessments, agreements, targets and indicators."""

from __future__ import annotations

from flask import Blueprint, Flask

from passerelle.models import Role
from passerelle.security import guard_blueprint

# Operators' staff work the capture pipeline.
bp = Blueprint("capture", __name__, url_prefix="/captation", template_folder="templates")
guard_blueprint(bp, Role.AGENCY_STAFF)

# The metropolis watches targets and indicators: aggregates only.
metro_bp = Blueprint("metro", __name__, url_prefix="/metropole", template_folder="templates")
guard_blueprint(metro_bp, Role.METRO)


def init_app(app: Flask) -> None:
    from capture import api, views  # noqa: F401
    from capture.jobs import anah_deadlines, capture_reminders, indicator_snapshots
    from passerelle.jobs import register_job

    app.register_blueprint(bp)
    app.register_blueprint(metro_bp)
    api.init_api(app)
    register_job(app, "capture-reminders", "Relances de captation en retard (courriel quotidien)", capture_reminders)
    register_job(
        app, "anah-deadlines", "Échéances des démarches Anah (convention, prime, fin d'engagement)", anah_deadlines
    )
    register_job(
        app, "indicator-snapshots", "Photographie quotidienne des indicateurs du territoire", indicator_snapshots
    )
