"""A household's data on request (GDPR art. 15 and 20): the staff download of the JSON export."""

from __future__ import annotations

from flask import current_app
from flask.typing import ResponseReturnValue
from flask_login import current_user

from agency_backoffice import bp
from agency_backoffice.gdpr import export_text
from agency_backoffice.operations.households import export_household
from agency_backoffice.queries.households import get_household_for_staff_or_404
from passerelle.db import db


@bp.route("/menages/<int:household_id>/export")
def household_export(household_id: int) -> ResponseReturnValue:
    session = db.session
    household = get_household_for_staff_or_404(session, current_user, household_id)
    text = export_text(export_household(session, household, by=current_user))  # writes the audit entry
    session.commit()
    response = current_app.response_class(text, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="menage-{household.id}.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
