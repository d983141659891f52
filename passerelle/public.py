"""Public pages of the platform (the landing page)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.route("/")
def index():
    return render_template("public/index.html")


@bp.route("/conditions-utilisation")
def terms():
    return render_template("public/terms.html")


@bp.route("/donnees-personnelles")
def privacy():
    return render_template("public/privacy.html")
