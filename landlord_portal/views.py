"""Landlord space: home (my units, my alerts) and profile."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from agency_backoffice.queries.leases import landlord_documents
from capture import operations as capture_ops
from capture import queries as capture_queries
from capture.models import LandlordKind
from capture.queries.agreements import landlord_agreements
from landlord_portal import bp
from landlord_portal.forms import LandlordProfileForm
from passerelle.db import db
from passerelle.security import is_safe_next


@bp.route("/")
def home():
    session = db.session
    landlord = capture_ops.landlord_for_user(session, current_user)
    units = capture_queries.landlord_units(session, landlord) if landlord else []
    cases = {unit.id: capture_queries.case_for_unit(session, unit) for unit in units}
    incidents = capture_queries.landlord_incidents(session, landlord) if landlord else []
    agreements = landlord_agreements(session, current_user)
    leases = landlord_documents(session, current_user)
    return render_template(
        "landlord_portal/home.html",
        landlord=landlord,
        units=units,
        cases=cases,
        incidents=incidents,
        agreements=agreements,
        leases=leases,
    )


@bp.route("/profil", methods=["GET", "POST"])
def profile():
    session = db.session
    landlord = capture_ops.landlord_for_user(session, current_user)
    form = LandlordProfileForm(obj=landlord)
    if request.method == "GET" and landlord is None:
        form.name.data = current_user.full_name
    if form.validate_on_submit():
        data = {key: value for key, value in form.data.items() if key != "csrf_token"}
        data["kind"] = LandlordKind(data["kind"])
        if data["kind"] in (LandlordKind.SCI, LandlordKind.FAMILY_SCI) and not data.get("company_siren"):
            form.company_siren.errors = [*form.company_siren.errors, "Indiquez le SIREN de la société."]
        else:
            data["company_siren"] = data.get("company_siren") or None
            data["representative"] = data.get("representative") or None
            capture_ops.save_landlord_profile(session, current_user, by=current_user, **data)
            session.commit()
            flash("Votre profil est enregistré.", "success")
            next_url = request.args.get("next")
            return redirect(next_url if next_url and is_safe_next(next_url) else url_for("landlord_portal.home"))
    return render_template("landlord_portal/profile.html", form=form, landlord=landlord)
