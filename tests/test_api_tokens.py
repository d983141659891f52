"""API tokens: hashed at rest, scoped, revocable, expiring; the indicators API accepts a metropolis' token."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from passerelle.api_tokens import issue_token, revoke_token
from passerelle.db import utcnow
from passerelle.models import ApiToken, OrganisationKind
from tests.factories import Factory


def _setup(make: Factory):  # type: ignore[no-untyped-def]
    territory = make.territory(epci_code="200033579", name="CU d'Arras")
    metropolis = make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory)
    operator = make.organisation(kind=OrganisationKind.AIS, territory=territory)
    return territory, metropolis, operator


def _get(client: FlaskClient, secret: str | None, territory: str = "200033579"):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.get(f"/api/v1/indicators?territory={territory}&year=2026", headers=headers)


def test_token_is_hashed_and_opens_the_indicators(
    client: FlaskClient, session: Session, make: Factory, parameters: None
) -> None:
    _territory, metropolis, _operator = _setup(make)
    token, secret = issue_token(session, organisation=metropolis, name="SIG", scopes=["indicators:read"], by=None)
    stored = session.scalar(select(ApiToken).where(ApiToken.id == token.id))
    assert secret not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64
    response = _get(client, secret)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["captured"]["total"] == 0
    session.refresh(stored)
    assert stored.last_used_at is not None
    assert _get(client, secret, territory="200000000").status_code == 403  # not its territory


def test_bad_revoked_expired_or_foreign_tokens_are_refused(
    client: FlaskClient, session: Session, make: Factory
) -> None:
    _territory, metropolis, operator = _setup(make)
    assert _get(client, "pas_nimporte").status_code == 401
    token, secret = issue_token(session, organisation=metropolis, name="SIG", scopes=["indicators:read"], by=None)
    revoke_token(session, token, by=None)
    assert _get(client, secret).status_code == 401
    old, old_secret = issue_token(session, organisation=metropolis, name="Vieux", scopes=["indicators:read"], by=None)
    old.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert _get(client, old_secret).status_code == 401
    _token, operator_secret = issue_token(
        session, organisation=operator, name="AIS", scopes=["indicators:read"], by=None
    )
    response = _get(client, operator_secret)
    assert response.status_code == 403 and "métropole" in response.get_json()["error"]


def test_cli_creates_and_revokes(app: Flask, session: Session, make: Factory) -> None:
    _territory, metropolis, _operator = _setup(make)
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "api-token",
            "create",
            "--organisation-id",
            str(metropolis.id),
            "--name",
            "SIG",
            "--scope",
            "indicators:read",
        ]
    )
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("pas_")
    token = session.scalar(select(ApiToken).where(ApiToken.organisation_id == metropolis.id))
    assert runner.invoke(args=["api-token", "revoke", str(token.id)]).exit_code == 0
    session.refresh(token)
    assert token.revoked_at is not None
    bad = runner.invoke(
        args=["api-token", "create", "--organisation-id", str(metropolis.id), "--name", "X", "--scope", "tout:faire"]
    )
    assert bad.exit_code != 0 and "Portée inconnue" in bad.output
