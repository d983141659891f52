"""API tokens at rest (ASVS 2.10, 3.5): the database never holds a usable secret; a revoked token fails at once."""

from __future__ import annotations

import hashlib

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from passerelle.api_tokens import TOKEN_PREFIX, issue_token, revoke_token
from passerelle.models import ApiToken, AuditEntry, OrganisationKind
from tests.factories import Factory

INDICATORS = "/api/v1/indicators?territory=200033579&year=2026"


def _metropolis(make: Factory):  # type: ignore[no-untyped-def]
    territory = make.territory(epci_code="200033579")
    return make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory)


def test_no_column_of_the_row_nor_the_audit_log_holds_the_secret(
    session: Session, make: Factory, parameters: None
) -> None:
    token, secret = issue_token(
        session, organisation=_metropolis(make), name="SIG", scopes=["indicators:read"], by=None
    )
    random_part = secret.removeprefix(TOKEN_PREFIX)
    assert secret.startswith(TOKEN_PREFIX) and len(random_part) >= 40  # 256 bits from secrets.token_urlsafe
    # The raw row, every column, as the database returns it: no secret, nor any long piece of it.
    row = session.execute(text("SELECT * FROM api_tokens WHERE id = :id"), {"id": token.id}).mappings().one()
    for column, value in row.items():
        shown = str(value)
        assert secret not in shown and random_part[8:] not in shown, column
    assert row["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert len(row["prefix"]) <= 8  # what the operator sees in a list to tell tokens apart
    for entry in session.scalars(select(AuditEntry)):
        assert random_part[8:] not in f"{entry.action} {entry.details}"


def test_a_revoked_token_is_refused_at_once(
    client: FlaskClient, session: Session, make: Factory, parameters: None
) -> None:
    token, secret = issue_token(
        session, organisation=_metropolis(make), name="SIG", scopes=["indicators:read"], by=None
    )
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(INDICATORS, headers=headers).status_code == 200
    revoke_token(session, token, by=None)
    response = client.get(INDICATORS, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]  # a French message, no detail on why
    # A second token of the same organisation keeps working: revoking is per token.
    _other, other_secret = issue_token(
        session, organisation=token.organisation, name="Tableur", scopes=["indicators:read"], by=None
    )
    assert client.get(INDICATORS, headers={"Authorization": f"Bearer {other_secret}"}).status_code == 200


def test_revoking_through_the_cli_takes_effect_on_the_next_request(
    app: Flask, client: FlaskClient, session: Session, make: Factory, parameters: None
) -> None:
    token, secret = issue_token(
        session, organisation=_metropolis(make), name="SIG", scopes=["indicators:read"], by=None
    )
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(INDICATORS, headers=headers).status_code == 200
    result = app.test_cli_runner().invoke(args=["api-token", "revoke", str(token.id)])
    assert result.exit_code == 0, result.output
    assert client.get(INDICATORS, headers=headers).status_code == 401


def test_the_hash_alone_does_not_open_the_api(client: FlaskClient, session: Session, make: Factory) -> None:
    """Someone who reads the table (a backup, a leak) gets hashes: presented as tokens, they are refused."""
    token, _secret = issue_token(
        session, organisation=_metropolis(make), name="SIG", scopes=["indicators:read"], by=None
    )
    stored = session.get(ApiToken, token.id)
    for leaked in (stored.token_hash, TOKEN_PREFIX + stored.token_hash, TOKEN_PREFIX + stored.prefix):
        assert client.get(INDICATORS, headers={"Authorization": f"Bearer {leaked}"}).status_code == 401
