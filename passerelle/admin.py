"""Platform administration: organisations, users, territories, reference data."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from passerelle.db import db
from passerelle.models import Organisation, Role, Territory, User
from passerelle.reference import queries as reference
from passerelle.security import guard_blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, Role.ADMIN)


@bp.route("/")
def home():
    session = db.session
    users_by_role = dict(session.execute(select(User.role, func.count()).group_by(User.role)).all())
    territories = session.scalars(select(Territory).order_by(Territory.name)).all()
    return render_template(
        "admin/home.html",
        users_by_role=users_by_role,
        roles=list(Role),
        territories=territories,
        reference=reference.reference_status(session),
    )


@bp.route("/utilisateurs")
def users():
    users = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    return render_template("admin/users.html", users=users)


@bp.route("/organisations")
def organisations():
    organisations = db.session.scalars(
        select(Organisation).order_by(Organisation.territory_id, Organisation.name)
    ).all()
    return render_template("admin/organisations.html", organisations=organisations)


@bp.route("/referentiel")
def reference_data():
    session = db.session
    return render_template(
        "admin/reference.html",
        reference=reference.reference_status(session),
        parameters=reference.all_parameters(session),
        irl=reference.irl_series(session),
    )
