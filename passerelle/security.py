"""Permissions in three places: a role guard per blueprint, object checks, and one load-or-404 helper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, request, url_for
from flask_login import current_user
from sqlalchemy import inspect, or_, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from passerelle.config import ConfigurationError
from passerelle.db import db
from passerelle.extensions import login_manager
from passerelle.models import Role, User

T = TypeVar("T")

ROLE_HOME = {
    Role.LANDLORD: "landlord_portal.home",
    Role.AGENCY_STAFF: "agency_backoffice.home",
    Role.METRO: "metro.home",
    Role.ADMIN: "admin.home",
}

DEMO_EMAIL_DOMAIN = "@demo.passerelle.test"


def init_app(app: Flask) -> None:
    app.after_request(_security_headers)


def _security_headers(response: Any) -> Any:
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def home_url_for(user: User) -> str:
    return url_for(ROLE_HOME[user.role])


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view of a guarded blueprint as open to anyone (public pages of the landlord portal)."""
    view._passerelle_public = True  # type: ignore[attr-defined]
    return view


def guard_blueprint(bp: Blueprint, *roles: Role) -> None:
    """Answer every request of the blueprint with login or 403 unless the user has one of the roles."""

    @bp.before_request
    def _role_guard() -> Any:
        view = bp_view(bp)
        if view is not None and getattr(view, "_passerelle_public", False):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role not in roles:
            abort(403)
        return None


def bp_view(bp: Blueprint) -> Callable[..., Any] | None:
    from flask import current_app

    endpoint = request.endpoint
    return current_app.view_functions.get(endpoint) if endpoint else None


def get_or_404(model: type[T], ident: Any, *, user: User, can_view: Callable[[User, T], bool]) -> T:
    """Load a record the user may see, or answer 404 (someone else's record does not exist for them)."""
    record = db.session.get(model, ident)
    if record is None or not can_view(user, record):
        abort(404)
    return record


def is_safe_next(target: str | None) -> bool:
    """Allow only relative paths on this site as a post-login redirect (no scheme, host or //)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def refuse_demo_accounts(app: Flask) -> None:
    """In production, refuse to start while demo accounts exist in the database."""
    with app.app_context():
        engine = db.engine_for(app)
        try:
            if not inspect(engine).has_table("users"):
                return
            count = len(
                db.session.scalars(
                    select(User.id).where(or_(User.is_demo.is_(True), User.email.like(f"%{DEMO_EMAIL_DOMAIN}")))
                ).all()
            )
        except (OperationalError, ProgrammingError) as exc:
            engine.dispose()
            raise ConfigurationError(f"Base de données inaccessible au démarrage : {exc}") from exc
    if count:
        engine.dispose()
        raise ConfigurationError(
            f"{count} compte(s) de démonstration présent(s) dans la base "
            "alors que PASSERELLE_ENV=production : "
            "refus de démarrer. Supprimez-les (ou utilisez une base neuve) avant de servir la plateforme."
        )
