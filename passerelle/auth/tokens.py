"""Signed, expiring tokens for e-mailed links (password reset, e-mail verification)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from passerelle.models import User

RESET_SALT = "passerelle.password-reset"
VERIFY_SALT = "passerelle.email-verification"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    # Binding the token to the current hash makes it single-use: it dies when the password changes.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps({"uid": user.id, "pw": _password_fingerprint(user)})


def read_reset_token(token: str, load_user: Callable[[object], User | None]) -> User | None:
    """Return the user a valid reset token is for, or None (expired, tampered, or already used)."""
    data = _load(RESET_SALT, token)
    if data is None:
        return None
    user = load_user(data.get("uid"))
    if user is None or data.get("pw") != _password_fingerprint(user):
        return None
    return user


def make_verification_token(user: User) -> str:
    return _serializer(VERIFY_SALT).dumps({"uid": user.id, "email": user.email})


def read_verification_token(token: str, load_user: Callable[[object], User | None]) -> User | None:
    data = _load(VERIFY_SALT, token)
    if data is None:
        return None
    user = load_user(data.get("uid"))
    if user is None or user.email != data.get("email"):
        return None
    return user


def _load(salt: str, token: str) -> dict[str, Any] | None:
    try:
        data = _serializer(salt).loads(token, max_age=current_app.config["TOKEN_MAX_AGE_SECONDS"])
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None
