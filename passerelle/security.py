"""Permissions in three places: a role guard per blueprint, object checks, and one load-or-404 helper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, request, session, url_for
from flask_login import current_user
from sqlalchemy import inspect, or_, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.middleware.proxy_fix import ProxyFix

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


# No inline script or style anywhere (tests/test_security_headers.py scans every template for them).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Browser features the site never uses.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)
HSTS = "max-age=31536000; includeSubDomains"
PROXY_FIX_KEYS = {
    "x_for": "PROXY_FIX_X_FOR",
    "x_proto": "PROXY_FIX_X_PROTO",
    "x_host": "PROXY_FIX_X_HOST",
    "x_port": "PROXY_FIX_X_PORT",
    "x_prefix": "PROXY_FIX_X_PREFIX",
}


def init_app(app: Flask) -> None:
    trusted = {argument: int(app.config.get(key) or 0) for argument, key in PROXY_FIX_KEYS.items()}
    if any(trusted.values()):
        # Only the configured number of proxies is believed: a client cannot claim another address or HTTPS.
        app.wsgi_app = ProxyFix(app.wsgi_app, **trusted)  # type: ignore[method-assign]
    app.after_request(_security_headers)


def _security_headers(response: Any) -> Any:
    """Add the security headers to every answer; a view may set a stricter or wider CSP of its own."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    if request.is_secure:
        # Only over HTTPS (RFC 6797 §7.2): behind a proxy, request.is_secure needs PROXY_FIX_X_PROTO.
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static" and "_user_id" in session and "Cache-Control" not in headers:
        # Pages of a logged-in user hold personal data: never kept by a browser or a shared cache (ASVS 8.2.1).
        headers["Cache-Control"] = "no-store"
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
