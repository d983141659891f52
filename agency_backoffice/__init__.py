"""Agency back office: households, matching, leases, guarantees, rent ledger, bail glissant reviews."""

from __future__ import annotations

from flask import Blueprint, Flask

from passerelle.models import Role
from passerelle.security import guard_blueprint

bp = Blueprint("agency_backoffice", __name__, url_prefix="/agence", template_folder="templates")
guard_blueprint(bp, Role.AGENCY_STAFF)


def init_app(app: Flask) -> None:
    from agency_backoffice import (  # noqa: F401
        api,
        gdpr,
        gdpr_views,
        guarantee_views,
        household_views,
        import_views,
        incident_views,
        lease_views,
        matching_views,
        proposal_views,
        review_views,
        views,
    )
    from agency_backoffice.jobs import proposal_reminders, sliding_review_reminders
    from passerelle.jobs import register_job

    app.register_blueprint(bp)
    register_job(app, "proposal-reminders", "Relances des propositions de logement sans suite", proposal_reminders)
    register_job(app, "sliding-reviews", "Relances des revues de bail glissant", sliding_review_reminders)
    api.init_api(app)
    app.cli.add_command(gdpr.gdpr_group)
