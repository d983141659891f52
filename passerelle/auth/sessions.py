"""Session timeouts (ASVS 3.3): logged out after an idle time and after an absolute time since logging in.

The login time and the last activity are kept in the signed session cookie. A session that carries a user but
no login time (one restored from a "remember me" cookie, or forged before this check existed) is ended at once:
no path around the absolute limit.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from flask import Flask, current_app, flash, jsonify, redirect, request, session, url_for
from flask_login import current_user, logout_user, user_logged_in

LOGIN_AT = "_login_at"
SEEN_AT = "_seen_at"
# The last-seen stamp is rewritten at most this often: fewer new cookies, idle limit exact to the minute.
SEEN_RESOLUTION_SECONDS = 60

IDLE_MESSAGE = "Votre session a expiré après {minutes} minutes d'inactivité. Pour votre sécurité, reconnectez-vous."
ABSOLUTE_MESSAGE = (
    "Votre session a expiré : une connexion dure au plus {hours} heures. Pour votre sécurité, reconnectez-vous."
)
UNKNOWN_MESSAGE = "Votre session a expiré. Pour votre sécurité, reconnectez-vous."


def _now() -> float:
    """The clock of the timeouts (tests replace it)."""
    return time.time()


def init_app(app: Flask) -> None:
    user_logged_in.connect(_on_login, app)
    app.before_request(check_session_age)


def start_session_clock(flask_session: MutableMapping[str, Any]) -> None:
    """Stamp a session as just logged in (called at every login; tests call it to log a client in)."""
    now = _now()
    flask_session[LOGIN_AT] = now
    flask_session[SEEN_AT] = now


def _on_login(sender: Flask, user: Any, **extra: Any) -> None:
    start_session_clock(session)


def expiry_reason(flask_session: MutableMapping[str, Any], *, now: float, idle: float, absolute: float) -> str | None:
    """Why a logged-in session is over (the French message), or None while it is still alive."""
    login_at, seen_at = flask_session.get(LOGIN_AT), flask_session.get(SEEN_AT)
    if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
        return UNKNOWN_MESSAGE
    if now - login_at > absolute:
        return ABSOLUTE_MESSAGE.format(hours=_number(absolute / 3600))
    if now - seen_at > idle:
        return IDLE_MESSAGE.format(minutes=_number(idle / 60))
    return None


def check_session_age(*_args: Any) -> Any:
    """Before each request of a logged-in user: end a session past either limit, else note the activity."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    config = current_app.config
    now = _now()
    reason = expiry_reason(
        session,
        now=now,
        idle=config["SESSION_IDLE_MINUTES"] * 60,
        absolute=config["SESSION_ABSOLUTE_HOURS"] * 3600,
    )
    if reason is None:
        if now - session[SEEN_AT] >= SEEN_RESOLUTION_SECONDS:
            session[SEEN_AT] = now
        return None
    return _end_session(reason)


def _end_session(reason: str) -> Any:
    # Nothing of the old session survives (simulations, pending redirects): the next person starts afresh.
    session.clear()
    logout_user()  # also clears a "remember me" cookie, if one was ever set
    if request.path.startswith("/api/"):
        response = jsonify(error=reason)
        response.status_code = 401
        return response
    flash(reason, "info")
    next_url = None
    if request.method == "GET":
        query = request.query_string.decode("utf-8", "replace")
        next_url = request.path + (f"?{query}" if query else "")
    return redirect(url_for("auth.login", next=next_url))


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}".replace(".", ",")
