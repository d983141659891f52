"""Capture pipeline (staff) and the metropolis' pages."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from capture import bp, metro_bp, queries
from passerelle.db import db


@bp.route("/")
def home():
    return render_template("capture/home.html", organisation=current_user.organisation)


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
