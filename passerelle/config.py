"""Configuration read from the environment, with safe defaults for development and tests only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "test", "production")


class ConfigurationError(RuntimeError):
    """The application refuses to start with an unsafe or incomplete configuration."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def positive_number(config: Mapping[str, Any], key: str, default: float) -> float:
    """A setting that must be a number above zero (seconds, hours…); ``default`` when unset."""
    value = config.get(key)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1
    if number <= 0:
        raise ConfigurationError(f"{key}={value!r} : un nombre strictement positif est attendu.")
    return number


def load_config(instance_path: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the configuration: defaults, then environment variables, then explicit overrides."""
    env = os.environ
    overrides = dict(overrides or {})
    environment = overrides.get("PASSERELLE_ENV") or env.get("PASSERELLE_ENV", "development")
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(
            f"PASSERELLE_ENV={environment!r} inconnu : valeurs possibles {', '.join(ENVIRONMENTS)}."
        )
    default_db = "sqlite:///" + str(Path(instance_path) / "passerelle.db")
    config: dict[str, Any] = {
        "PASSERELLE_ENV": environment,
        "SECRET_KEY": env.get("SECRET_KEY"),
        "DATABASE_URL": env.get("DATABASE_URL", default_db),
        "SQL_ECHO": _bool(env.get("SQL_ECHO")),
        # Mail: in development and tests messages are written to the log and the outbox folder.
        "MAIL_SERVER": env.get("MAIL_SERVER"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS"), True),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "Passerelle <ne-pas-repondre@passerelle.local>"),
        # Where visitors report an accessibility problem (the accessibility statement, /accessibilite).
        "ACCESSIBILITY_CONTACT": env.get("ACCESSIBILITY_CONTACT", "accessibilite@passerelle.example"),
        # Stripe: the online payment feature stays hidden unless both the secret key and the webhook
        # secret are set (passerelle.payments.payments_enabled).
        # Server-side API key (sk_live_… / sk_test_…): creates and reads PaymentIntents.
        "STRIPE_SECRET_KEY": env.get("STRIPE_SECRET_KEY"),
        # Browser-side key (pk_…) given to Stripe.js on the payment page.
        "STRIPE_PUBLISHABLE_KEY": env.get("STRIPE_PUBLISHABLE_KEY"),
        # Signing secret of the webhook endpoint (whsec_…), checks /payments/stripe/webhook deliveries.
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET"),
        # Other API address, e.g. a local `localstripe` (http://127.0.0.1:8420) in tests and demos.
        "STRIPE_API_BASE": env.get("STRIPE_API_BASE"),
        # Webhook deliveries signed longer ago (or further ahead) than this many seconds are refused (replays).
        "STRIPE_WEBHOOK_TOLERANCE": int(env.get("STRIPE_WEBHOOK_TOLERANCE", "300")),
        # Where the payment page loads Stripe.js from: https://js.stripe.com/v3/ by default, or
        # <STRIPE_API_BASE>/js.stripe.com/v3/ under localstripe.
        "STRIPE_JS_URL": env.get("STRIPE_JS_URL"),
        # Validity of an online payment link, in days (an operational choice, not a legal figure).
        "PAYMENT_LINK_DAYS": int(env.get("PAYMENT_LINK_DAYS", "30")),
        # Public base URL used in e-mailed links.
        "BASE_URL": env.get("BASE_URL", "http://127.0.0.1:5000"),
        # Login throttling: failures counted over a sliding window, per account and per address.
        "LOGIN_WINDOW_SECONDS": int(env.get("LOGIN_WINDOW_SECONDS", "900")),
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": int(env.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")),
        "LOGIN_MAX_FAILURES_PER_IP": int(env.get("LOGIN_MAX_FAILURES_PER_IP", "30")),
        "TOKEN_MAX_AGE_SECONDS": int(env.get("TOKEN_MAX_AGE_SECONDS", str(24 * 3600))),
        # Session timeouts (ASVS 3.3): logged out after this idle time, and this long after logging in whatever.
        "SESSION_IDLE_MINUTES": int(env.get("SESSION_IDLE_MINUTES", "30")),
        "SESSION_ABSOLUTE_HOURS": int(env.get("SESSION_ABSOLUTE_HOURS", "12")),
        # Behind a reverse proxy (nginx…): how many proxies set each X-Forwarded-* header (werkzeug ProxyFix).
        # 0 (the default) trusts none; set PROXY_FIX_X_FOR=1 and PROXY_FIX_X_PROTO=1 behind one nginx so that
        # client addresses (login throttling, rate limits, audit) and HTTPS (HSTS, secure cookies) are right.
        "PROXY_FIX_X_FOR": int(env.get("PROXY_FIX_X_FOR", "0")),
        "PROXY_FIX_X_PROTO": int(env.get("PROXY_FIX_X_PROTO", "0")),
        "PROXY_FIX_X_HOST": int(env.get("PROXY_FIX_X_HOST", "0")),
        "PROXY_FIX_X_PORT": int(env.get("PROXY_FIX_X_PORT", "0")),
        "PROXY_FIX_X_PREFIX": int(env.get("PROXY_FIX_X_PREFIX", "0")),
        "PASSWORD_MIN_LENGTH": 12,
        "WTF_CSRF_ENABLED": True,
        # Use WTForms' own French messages (Meta.locales), not Flask-Babel's.
        "WTF_I18N_ENABLED": False,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # Uploaded files live outside the web root (default: instance/uploads).
        "UPLOAD_FOLDER": env.get("UPLOAD_FOLDER"),
        "PHOTO_MAX_BYTES": 8 * 1024 * 1024,
        "DOCUMENT_MAX_BYTES": 10 * 1024 * 1024,
        "MAX_PHOTOS_PER_UNIT": 12,
        # Rate limits of the public API. Use a shared store (e.g. redis://) with several web processes.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "PUBLIC_API_RATE_LIMIT": env.get("PUBLIC_API_RATE_LIMIT", "60 per minute;1000 per day"),
        "CALLBACK_RATE_LIMIT": env.get("CALLBACK_RATE_LIMIT", "5 per hour;20 per day"),
        # Closed household files are anonymised this many months after closing (`passerelle gdpr purge`).
        "HOUSEHOLD_RETENTION_MONTHS": int(env.get("HOUSEHOLD_RETENTION_MONTHS", "24")),
        "BABEL_LOCALE": "fr_FR",
        "TIMEZONE": "Europe/Paris",
        # Scheduler (`passerelle scheduler`): daily time of each job in Europe/Paris, "name=HH:MM,name=HH:MM".
        "SCHEDULER_TIMES": env.get("SCHEDULER_TIMES", ""),
        "SCHEDULER_MISFIRE_GRACE_HOURS": env.get("SCHEDULER_MISFIRE_GRACE_HOURS"),
        "SCHEDULER_HEARTBEAT_SECONDS": env.get("SCHEDULER_HEARTBEAT_SECONDS"),
        "SCHEDULER_STANDBY_RETRY_SECONDS": env.get("SCHEDULER_STANDBY_RETRY_SECONDS"),
        "SCHEDULER_LOCK_NAME": env.get("SCHEDULER_LOCK_NAME", "passerelle-scheduler"),
        "SCHEDULER_NAME": env.get("SCHEDULER_NAME"),
        # /healthz fails when the active scheduler's last heartbeat is older than this (at least 2 heartbeats).
        "HEALTH_SCHEDULER_MAX_AGE_SECONDS": env.get("HEALTH_SCHEDULER_MAX_AGE_SECONDS", "60"),
        # Logs: "json" (one object per line) or "text"; default json in production, text otherwise.
        "LOG_FORMAT": env.get("LOG_FORMAT"),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO"),
    }
    config.update(overrides)
    environment = config["PASSERELLE_ENV"]
    if environment == "production":
        if not config.get("SECRET_KEY"):
            raise ConfigurationError(
                "SECRET_KEY est obligatoire en production (PASSERELLE_ENV=production) : "
                "définissez une valeur longue et aléatoire, par exemple "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
            )
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
        # ASVS 3.4.4: a __Host- cookie is only accepted over HTTPS, for this exact host and path /.
        config.setdefault("SESSION_COOKIE_NAME", "__Host-passerelle")
        config["PREFERRED_URL_SCHEME"] = "https"
    elif not config.get("SECRET_KEY"):
        # Development and tests only: a fixed, clearly non-secret key.
        config["SECRET_KEY"] = f"passerelle-{environment}-key-not-secret"
    config["TESTING"] = config.get("TESTING", environment == "test")
    return config
