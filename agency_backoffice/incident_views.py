"""The operator's queue of difficulties signalled by landlords, and the answers."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from agency_backoffice import bp
from agency_backoffice.forms import IncidentAnswerForm
from capture import operations as capture_ops
from capture import queries as capture_queries
from capture.models import IncidentStatus
from passerelle.audit import audit
from passerelle.db import db


@bp.route("/signalements")
def incidents():
    rows = capture_queries.operator_incidents(db.session, current_user.organisation_id)
    return render_template("agency_backoffice/incidents.html", incidents=rows, today=date.today())


@bp.route("/signalements/<int:incident_id>", methods=["GET", "POST"])
def incident_detail(incident_id: int):
    session = db.session
    incident = capture_queries.get_incident_for_staff_or_404(session, current_user, incident_id)
    form = IncidentAnswerForm(status=incident.status.value)
    if form.validate_on_submit():
        capture_ops.answer_incident(
            session,
            incident,
            message=form.message.data,
            status=IncidentStatus(form.status.data),
            by=current_user,
        )
        session.commit()
        flash("Réponse enregistrée ; le propriétaire la voit dans son espace.", "success")
        return redirect(url_for("agency_backoffice.incident_detail", incident_id=incident.id))
    audit(session, actor=current_user, action="incident.view", object_type="incident", object_id=incident.id)
    session.commit()
    return render_template("agency_backoffice/incident_detail.html", incident=incident, form=form, today=date.today())
