"""Payment links (both engines): what a link asks, its token kept only as a hash, its expiry; the public pages
(no account) and the card payment against localstripe; the staff's page; the feature hidden without Stripe keys."""

from __future__ import annotations

import hashlib
import html
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import BenefitPayer, LedgerEntry, PaymentLink, PaymentLinkStatus, PaymentMethod
from agency_backoffice.operations import ledger as ledger_ops
from agency_backoffice.operations import payments as ops
from agency_backoffice.rules.ledger import month_start
from capture.models import IMLMode
from passerelle.models import AuditEntry, OrganisationKind
from passerelle.payments import StripeGateway, gateway_for
from tests.conftest import login_as
from tests.factories import Factory
from tests.stripe_support import DECLINED_CARD, TEST_CARD, TEST_PUBLISHABLE_KEY, localstripe_config

START = date(2026, 10, 12)
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
THREE_D_SECURE_CARD = "4000002500003155"  # Stripe's test card that always asks for authentication


@pytest.fixture
def stripe_on(app: Flask, localstripe_url: str, monkeypatch: pytest.MonkeyPatch) -> StripeGateway:
    """Stripe keys for this test only (the app is shared by the session); the gateway is rebuilt from them."""
    for key, value in localstripe_config(localstripe_url).items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.delitem(app.extensions, "passerelle.stripe", raising=False)
    return gateway_for(app)


@pytest.fixture
def context(app: Flask) -> Iterator[None]:
    with app.test_request_context():
        yield


@pytest.fixture
def operator(make: Factory, parameters: None):  # type: ignore[no-untyped-def]
    return make.organisation(kind=OrganisationKind.ASSOCIATION, name="Association Toit d'abord")


@pytest.fixture
def staff(make: Factory, operator):  # type: ignore[no-untyped-def]
    return make.staff(operator, full_name="Lou Martin")


@pytest.fixture
def lease(app: Flask, make: Factory, session: Session, operator, staff):  # type: ignore[no-untyped-def]
    """600 € + 50 € from 12 October 2026, 200 € of housing benefit paid by the CAF to the association."""
    with app.test_request_context():
        lease = make.lease(
            operator, by=staff, starts_on=START, rent=D("600.00"), mode=IMLMode.SUBLEASE, tenants=("Awa Diallo",)
        )
        lease.charges = D("50.00")
        lease.benefit_monthly, lease.benefit_payer = D("200.00"), BenefitPayer.CAF
        ledger_ops.issue_rent_call(session, lease, month_start(START), on=START)
        ledger_ops.issue_rent_call(session, lease, date(2026, 11, 1), on=START)
    return lease


def calls(session: Session, lease) -> list[LedgerEntry]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.lease_id == lease.id).order_by(LedgerEntry.id)))


def text(response) -> str:  # type: ignore[no-untyped-def]
    page = html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
    return re.sub(r"[\s\u00a0\u202f]+", " ", page)


# --- what a link asks, and how it is kept --------------------------------------------------------------------


def test_a_lease_link_asks_the_household_share_and_keeps_only_the_token_hash(
    session: Session, stripe_on, context, staff, lease
) -> None:  # type: ignore[no-untyped-def]
    link, token = ops.create_payment_link(session, lease, by=staff, now=NOW)
    # October 12–31 prorated: 419.34 € (no benefit on a partial month); November 650.00 € of which the CAF pays
    # 200.00 €: the household owes 419.34 + 650.00 − 200.00 = 869.34 €.
    assert link.amount == D("869.34")
    assert link.label == "Solde du compte au 22 novembre 2026"
    assert len(token) >= 43  # 32 random bytes, base64url
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = session.execute(select(PaymentLink.__table__)).mappings().all()
    assert not any(token in str(value) for row in stored for value in row.values())
    assert link.expires_at == NOW + timedelta(days=30)
    assert link.status is PaymentLinkStatus.OPEN
    assert ops.link_for_token(session, token) is link
    assert ops.link_for_token(session, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "payment_link.create")
    )


def test_a_call_link_asks_what_is_left_of_that_month_and_the_benefit_is_not_asked_twice(
    session: Session, stripe_on, context, staff, lease
) -> None:  # type: ignore[no-untyped-def]
    _october, november = calls(session, lease)
    link, _ = ops.create_payment_link(session, lease, by=staff, now=NOW, call=november)
    assert (link.amount, link.label, link.entry_id) == (D("450.00"), "Loyer et charges de novembre 2026", november.id)
    # The CAF pays its 200 €, the household 300 € by transfer (both go to October first, oldest due):
    # the household still owes 869.34 − 300.00 = 569.34 €, the benefit being received.
    for amount, method in ((D("200.00"), PaymentMethod.CAF), (D("300.00"), PaymentMethod.TRANSFER)):
        ledger_ops.record_payment(session, lease, amount=amount, method=method, received_on=date(2026, 11, 6), by=staff)
    assert ops.lease_household_due(session, lease) == D("569.34")
    link, _ = ops.create_payment_link(session, lease, by=staff, now=NOW, amount=D("100.00"))
    assert link.amount == D("100.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (D("869.35"), "dépasse ce qui est dû par le ménage (869,34 €)"),
        (D("0.49"), "Un paiement en ligne va de 0,50 €"),
        (D("10.001"), "deux décimales au plus"),
    ],
)
def test_refusals_are_french(session, stripe_on, context, staff, lease, amount, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ops.PaymentLinkError) as refused:
        ops.create_payment_link(session, lease, by=staff, now=NOW, amount=amount)
    assert message in re.sub(r"[\s\u00a0\u202f]+", " ", str(refused.value))


def test_nothing_due_a_draft_lease_or_no_stripe_keys_give_no_link(
    app, session, stripe_on, context, make, operator, staff, lease, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # The household pays its 869.34 €: only the CAF's 200 € stays on the account, nothing for the household.
    ledger_ops.record_payment(
        session, lease, amount=D("869.34"), method=PaymentMethod.TRANSFER, received_on=date(2026, 11, 6), by=staff
    )
    with pytest.raises(ops.PaymentLinkError, match="Rien n'est dû par le ménage"):
        ops.create_payment_link(session, lease, by=staff, now=NOW)
    draft = make.lease(operator, by=staff, status="draft")
    with pytest.raises(ops.PaymentLinkError, match="pas encore signé"):
        ops.create_payment_link(session, draft, by=staff, now=NOW)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", None)
    with pytest.raises(ops.PaymentLinkError, match="pas configuré"):
        ops.create_payment_link(session, lease, by=staff, now=NOW, amount=D("10.00"))


def test_the_link_lifetime_is_a_setting(app, session, stripe_on, context, staff, lease, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "PAYMENT_LINK_DAYS", 7)
    link, _ = ops.create_payment_link(session, lease, by=staff, now=NOW)
    assert link.expires_at == datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
    assert ops.closed_reason(session, link, NOW + timedelta(days=7) - timedelta(seconds=1)) is None
    assert "a expiré" in (ops.closed_reason(session, link, NOW + timedelta(days=7)) or "")


# --- the public pages ------------------------------------------------------------------------------------------


@pytest.fixture
def open_link(app: Flask, session: Session, stripe_on, staff, lease):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        link, token = ops.create_payment_link(session, lease, by=staff, now=datetime.now(UTC))
    return link, token


def test_the_payment_page_needs_no_account_and_shows_only_what_the_payer_needs(client: FlaskClient, open_link) -> None:  # type: ignore[no-untyped-def]
    link, token = open_link
    response = client.get(f"/paiement/{token}")
    assert response.status_code == 200
    page = text(response)
    assert "Association Toit d'abord" in page
    assert f"Contrat de sous-location n° {link.lease_id}" in page
    assert "869,34 €" in page
    assert "Awa Diallo" not in page  # no household details on a page reachable by anyone holding the link
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_expired_and_paid_links_get_a_clear_page(client, session, open_link) -> None:  # type: ignore[no-untyped-def]
    link, token = open_link
    response = client.get("/paiement/inconnu-0123456789")
    assert response.status_code == 404
    assert "Ce lien de paiement n'existe pas" in text(response)
    link.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    session.flush()
    response = client.get(f"/paiement/{token}")
    assert response.status_code == 410
    assert "Ce lien de paiement a expiré" in text(response)
    link.status = PaymentLinkStatus.PAID
    session.flush()
    response = client.get(f"/paiement/{token}")
    assert response.status_code == 410
    assert "Ce paiement a déjà été reçu" in text(response)


def _card_token(localstripe_url: str, number: str = TEST_CARD) -> str:
    """What Stripe.js does in the payer's browser: the card goes to Stripe, a token comes back."""
    body = urllib.parse.urlencode(
        {
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2040",
            "card[cvc]": "123",
            "key": TEST_PUBLISHABLE_KEY,
        }
    ).encode()
    with urllib.request.urlopen(f"{localstripe_url}/v1/tokens", data=body, timeout=10) as response:  # noqa: S310
        return str(json.load(response)["id"])


def test_paying_by_card_opens_one_intent_with_ids_only_and_confirms_it(
    client: FlaskClient, session: Session, stripe_on: StripeGateway, localstripe_url: str, open_link
) -> None:  # type: ignore[no-untyped-def]
    link, token = open_link
    response = client.post(f"/paiement/{token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'src="{localstripe_url}/js.stripe.com/v3/"' in page
    assert "<script>" not in page  # no inline script: the strict CSP stays
    csp = response.headers["Content-Security-Policy"]
    assert f"script-src 'self' {localstripe_url};" in csp and f"connect-src 'self' {localstripe_url};" in csp
    session.refresh(link)  # written by the request's own session
    intent_id = link.payment_intent_id
    assert intent_id is not None
    intent = stripe_on.retrieve_payment_intent(intent_id)
    # 869.34 € in cents; metadata: ids only, nothing about the household.
    assert intent.amount == D("869.34")
    assert dict(intent.metadata) == {
        "payment_link_id": str(link.id),
        "lease_id": str(link.lease_id),
        "operator_id": str(link.operator_id),
    }
    # A second visit reuses the same PaymentIntent (the idempotency key is the link).
    client.post(f"/paiement/{token}")
    session.refresh(link)
    assert link.payment_intent_id == intent_id

    response = client.post(f"/paiement/{token}/carte", data={"card_token": _card_token(localstripe_url)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/paiement/{token}/merci")
    assert stripe_on.retrieve_payment_intent(intent_id).status == "succeeded"
    # The ledger waits for the webhook: the status page says the payment is being recorded, and reloads itself.
    assert (
        session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.external_id == intent_id)) == 0
    )
    response = client.get(f"/paiement/{token}/merci")
    assert "Paiement accepté" in text(response)
    assert response.headers["Refresh"] == "3"


def test_a_declined_card_is_said_in_french_and_nothing_is_recorded(
    client: FlaskClient, session: Session, stripe_on, localstripe_url: str, open_link
) -> None:  # type: ignore[no-untyped-def]
    _link, token = open_link
    client.post(f"/paiement/{token}")
    response = client.post(f"/paiement/{token}/carte", data={"card_token": "tok_inconnu"})
    assert response.status_code == 422
    assert "Carte non reconnue" in text(response)
    response = client.post(f"/paiement/{token}/carte", data={"card_token": _card_token(localstripe_url, DECLINED_CARD)})
    assert response.status_code == 422
    assert "La carte a été refusée par la banque." in text(response)
    assert session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.amount < 0)) == 0


def test_a_card_that_asks_3d_secure_goes_back_to_the_browser_with_the_client_secret(
    client: FlaskClient, session: Session, stripe_on: StripeGateway, localstripe_url: str, open_link
) -> None:  # type: ignore[no-untyped-def]
    link, token = open_link
    client.post(f"/paiement/{token}")
    response = client.post(
        f"/paiement/{token}/carte", data={"card_token": _card_token(localstripe_url, THREE_D_SECURE_CARD)}
    )
    assert response.status_code == 200
    assert "Votre banque demande de confirmer ce paiement (3-D Secure)" in text(response)
    session.refresh(link)
    intent = stripe_on.retrieve_payment_intent(str(link.payment_intent_id))
    assert intent.status == "requires_action"
    assert f'data-client-secret="{intent.client_secret}"' in response.get_data(as_text=True)


# --- staff ----------------------------------------------------------------------------------------------------


def test_staff_create_a_link_and_see_its_address_once(
    client: FlaskClient, session: Session, stripe_on, staff, lease
) -> None:  # type: ignore[no-untyped-def]
    login_as(client, staff)
    page = client.get(f"/agence/baux/{lease.id}/compte/lien-de-paiement")
    assert page.status_code == 200
    assert "Reste à payer par le ménage : 869,34 €" in text(page)
    november = calls(session, lease)[1]
    response = client.post(f"/agence/baux/{lease.id}/compte/lien-de-paiement", data={"call_id": str(november.id)})
    assert response.status_code == 200
    found = re.search(r'value="(http://[^"]+/paiement/([A-Za-z0-9_-]+))"', response.get_data(as_text=True))
    assert found is not None
    link = session.scalar(select(PaymentLink).where(PaymentLink.lease_id == lease.id))
    assert link is not None and link.amount == D("450.00")
    assert link.token_hash == hashlib.sha256(found.group(2).encode()).hexdigest()
    # Shown once: the list of links never shows an address again.
    again = client.get(f"/agence/baux/{lease.id}/compte/lien-de-paiement").get_data(as_text=True)
    assert found.group(2) not in again
    assert "Loyer et charges de novembre 2026" in again


def test_a_refused_link_is_explained_and_another_operator_gets_404(
    client: FlaskClient, session: Session, make: Factory, stripe_on, operator, lease
) -> None:  # type: ignore[no-untyped-def]
    other = make.staff(make.organisation(kind=OrganisationKind.ASSOCIATION))
    login_as(client, other)
    assert client.get(f"/agence/baux/{lease.id}/compte/lien-de-paiement").status_code == 404
    assert client.post(f"/agence/baux/{lease.id}/compte/lien-de-paiement", data={}).status_code == 404
    login_as(client, make.staff(operator))
    response = client.post(f"/agence/baux/{lease.id}/compte/lien-de-paiement", data={"amount": "900"})
    assert response.status_code == 422
    assert "Le montant dépasse ce qui est dû par le ménage (869,34 €)" in text(response)
    assert session.scalar(select(func.count()).select_from(PaymentLink)) == 0


# --- hidden without keys ----------------------------------------------------------------------------------


def test_without_stripe_keys_every_payment_route_is_404_and_no_button(
    app: Flask, client: FlaskClient, session: Session, staff, lease, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    for key in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.setitem(app.config, key, None)
    assert client.get("/paiement/nimporte-quoi").status_code == 404
    assert client.post("/paiement/nimporte-quoi").status_code == 404
    assert client.get("/paiement/nimporte-quoi/merci").status_code == 404
    assert client.post("/payments/stripe/webhook", data=b"{}").status_code == 404
    login_as(client, staff)
    assert client.get(f"/agence/baux/{lease.id}/compte/lien-de-paiement").status_code == 404
    assert client.post(f"/agence/baux/{lease.id}/compte/lien-de-paiement").status_code == 404
    with app.test_request_context():
        assert app.jinja_env.globals["online_payment_enabled"]() is False
