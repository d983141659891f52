"""Accounts: login, logout, sign-up with e-mail verification, password reset, profile."""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Flask

from passerelle.auth import sessions
from passerelle.db import db
from passerelle.extensions import login_manager
from passerelle.models import User

bp = Blueprint("auth", __name__, template_folder="../templates")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_session)
    sessions.init_app(app)


def session_id_for(user: User) -> str:
    """The id kept in the session: it changes with the password, which logs out other sessions."""
    return f"{user.id}.{_password_stamp(user)}"


def _password_stamp(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def load_user_from_session(session_id: str) -> User | None:
    user_id, _, stamp = session_id.partition(".")
    if not user_id.isdigit() or not stamp:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(_password_stamp(user), stamp):
        return None
    return user


# Flask-Login reads get_id() to fill the session.
def _get_id(self: User) -> str:
    return session_id_for(self)


User.get_id = _get_id


from passerelle.auth import views  # noqa: E402,F401
