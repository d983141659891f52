"""« Signaler une difficulté »: the landlord alerts their operator at any time and follows the answer."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from capture import operations as capture_ops
from capture import queries as capture_queries
from capture.models import IncidentKind
from landlord_portal import bp
from landlord_portal.forms import IncidentForm
from passerelle.db import db
from passerelle.mail import absolute_url, send_mail


@bp.route("/logements/<int:unit_id>/signaler", methods=["GET", "POST"])
def incident_new(unit_id: int):
    session = db.session
    unit = capture_queries.get_unit_for_landlord_or_404(session, current_user, unit_id)
    case = capture_queries.case_for_unit(session, unit)
    form = IncidentForm()
    if form.validate_on_submit():
        try:
            incident = capture_ops.raise_incident(
                session,
                unit=unit,
                kind=IncidentKind(form.kind.data),
                description=form.description.data,
                by=current_user,
                today=date.today(),
            )
        except capture_ops.CaptureError as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            emails = capture_queries.staff_emails(session, incident.operator_id)
            session.commit()
            link = absolute_url("agency_backoffice.incident_detail", incident_id=incident.id)
            for email in emails:
                send_mail(
                    email,
                    f"Passerelle — un propriétaire signale : {incident.kind.label.lower()}",
                    f"Un propriétaire a signalé une difficulté. Réponse attendue avant le "
                    f"{incident.response_due_on:%d/%m/%Y}.\n\nSignalement : {link}\n",
                )
            flash(
                f"Votre signalement est transmis à {incident.operator.name}. "
                "Une réponse vous est due avant le "
                f"{incident.response_due_on:%d/%m/%Y} ; vous la verrez ici.",
                "success",
            )
            return redirect(url_for("landlord_portal.incident_detail", incident_id=incident.id))
    return render_template("landlord_portal/incident_new.html", unit=unit, case=case, form=form)


@bp.route("/signalements/<int:incident_id>")
def incident_detail(incident_id: int):
    incident = capture_queries.get_incident_for_landlord_or_404(db.session, current_user, incident_id)
    return render_template("landlord_portal/incident_detail.html", incident=incident)
