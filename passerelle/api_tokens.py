"""Issue, check and revoke API tokens. The secret is shown once; only its SHA-256 is kept."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from passerelle.audit import audit
from passerelle.db import utcnow
from passerelle.models import ApiToken, Organisation, User

TOKEN_PREFIX = "pas_"  # noqa: S105 - a public marker, not a secret
SCOPES = {
    "indicators:read": "Lire les indicateurs agrégés du territoire (métropole)",
    "households:write": "Enregistrer les ménages orientés par le SIAO (opérateur)",
}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    session: Session,
    *,
    organisation: Organisation,
    name: str,
    scopes: list[str],
    by: User | None,
    valid_days: int | None = 365,
) -> tuple[ApiToken, str]:
    """Create a token; return it with its secret, which is never stored and cannot be shown again."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"Portée inconnue : {', '.join(unknown) or '(aucune)'} ; possibles : {', '.join(SCOPES)}.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organisation=organisation,
        name=name.strip(),
        prefix=secret[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        token_hash=_digest(secret),
        scopes=" ".join(sorted(set(scopes))),
        created_by_id=by.id if by else None,
        expires_at=utcnow() + timedelta(days=valid_days) if valid_days else None,
    )
    session.add(token)
    session.flush()
    audit(
        session,
        actor=by,
        action="api_token.issue",
        object_type="api_token",
        object_id=token.id,
        organisation_id=organisation.id,
        scopes=token.scopes,
    )
    return token, secret


def revoke_token(session: Session, token: ApiToken, *, by: User | None) -> None:
    token.revoked_at = utcnow()
    session.flush()
    audit(session, actor=by, action="api_token.revoke", object_type="api_token", object_id=token.id)


def token_from_header(session: Session, authorization: str | None, *, scope: str, now: datetime) -> ApiToken | None:
    """The live token of an ``Authorization: Bearer …`` header that carries the scope, or None."""
    if not authorization or not authorization.startswith("Bearer "):
        return None
    secret = authorization.removeprefix("Bearer ").strip()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if scope not in token.scopes.split():
        return None
    token.last_used_at = now
    return token
