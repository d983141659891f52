"""Landlord space."""

from __future__ import annotations

from flask import render_template

from landlord_portal import bp


@bp.route("/")
def home():
    return render_template("landlord_portal/home.html")
