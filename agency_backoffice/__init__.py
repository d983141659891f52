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
        arrears_jobs,
        arrears_views,
        gdpr,
        gdpr_views,
        guarantee_views,
        household_views,
        import_views,
        incident_views,
        lease_views,
        ledger_jobs,
        ledger_views,
        matching_views,
        payment_views,
        proposal_views,
        review_views,
        revision_jobs,
        revision_views,
        statement_jobs,
        statement_views,
        views,
    )
    from agency_backoffice.jobs import proposal_reminders, sliding_review_reminders
    from passerelle.jobs import register_job

    app.register_blueprint(bp)
    register_job(app, "proposal-reminders", "Relances des propositions de logement sans suite", proposal_reminders)
    register_job(app, "sliding-reviews", "Relances des revues de bail glissant", sliding_review_reminders)
    register_job(app, "rent-calls", "Appels de loyer (au jour choisi par chaque opérateur)", ledger_jobs.rent_calls)
    register_job(app, "receipts", "Quittances et reçus des paiements enregistrés", ledger_jobs.receipts)
    register_job(app, "arrears", "Impayés : échéances légales et plans d'apurement", arrears_jobs.arrears_clocks)
    register_job(app, "irl-revisions", "Révisions annuelles des loyers (IRL)", revision_jobs.irl_revisions)
    register_job(app, "owner-statements", "Relevés de gérance des propriétaires", statement_jobs.owner_statements)
    payment_views.init_app(app)
    api.init_api(app)
    app.cli.add_command(gdpr.gdpr_group)
