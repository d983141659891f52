"""Capture pipeline (staff) and the metropolis' pages."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from capture import bp, metro_bp, queries
from passerelle.audit import audit
from passerelle.db import db
from passerelle.storage import send_stored


@bp.route("/")
def home():
    cases = queries.operator_cases(db.session, current_user.organisation_id)
    return render_template("capture/home.html", organisation=current_user.organisation, cases=cases)


@bp.route("/dossiers/<int:case_id>")
def case_detail(case_id: int):
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    # A capture case shows a landlord's personal data: every view is logged.
    audit(session, actor=current_user, action="capture_case.view", object_type="capture_case", object_id=case.id)
    session.commit()
    return render_template("capture/case_detail.html", case=case, unit=case.unit, landlord=case.landlord)


@bp.route("/dossiers/<int:case_id>/documents/<int:document_id>")
def case_document(case_id: int, document_id: int):
    session = db.session
    document = queries.get_case_document_for_staff_or_404(session, current_user, case_id, document_id)
    audit(
        session,
        actor=current_user,
        action="unit_document.view",
        object_type="unit_document",
        object_id=document.id,
        case_id=case_id,
    )
    session.commit()
    return send_stored(document.sha256, content_type=document.content_type, filename=document.filename)


@metro_bp.route("/", endpoint="home")
def metro_home():
    organisation = current_user.organisation
    territory = organisation.territory if organisation else None
    return render_template(
        "capture/metro_home.html",
        organisation=organisation,
        territory=territory,
        overview=queries.territory_overview(db.session, territory) if territory else None,
    )
