"""Operator staff's home."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from agency_backoffice import bp
from passerelle.db import db
from passerelle.models import Membership, User


@bp.route("/")
def home():
    organisation = current_user.organisation
    team = db.session.scalars(
        select(User)
        .join(Membership)
        .where(Membership.organisation_id == current_user.organisation_id)
        .order_by(User.full_name)
    ).all()
    return render_template("agency_backoffice/home.html", organisation=organisation, team=team)
