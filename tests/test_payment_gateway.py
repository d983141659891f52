"""Stripe gateway against localstripe, and webhook signature checks on signed payloads; no database."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe
from flask import Flask

from passerelle.config import load_config
from passerelle.payments import (
    InvalidPaymentRequest,
    PaymentsDisabled,
    StripeGateway,
    WebhookRejected,
    from_cents,
    gateway_for,
    payments_enabled,
    to_cents,
)
from tests.stripe_support import (
    TEST_WEBHOOK_SECRET,
    charge_refunded,
    confirm_test_payment,
    localstripe_config,
    localstripe_settings,
    payment_intent_payment_failed,
    payment_intent_succeeded,
    register_localstripe_webhook,
    sign_payload,
    wait_for_status,
)

# Idempotent with tests/conftest.py loading the same plugin: pytest registers a plugin module once.
pytest_plugins = ["tests.stripe_support"]

METADATA = {"lease_id": "42", "period": "2026-11-01", "payment_link": "lnk_7f3a"}


@pytest.fixture
def gateway(localstripe_url: str) -> StripeGateway:
    return StripeGateway(localstripe_settings(localstripe_url))


@pytest.fixture
def offline_gateway() -> StripeGateway:
    """A gateway whose API address refuses connections: only checks made before any request can pass."""
    return StripeGateway(localstripe_settings("http://127.0.0.1:9"))


# --- configuration -------------------------------------------------------------------------------------------


def _app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    return app


def test_payments_are_disabled_without_both_secrets() -> None:
    assert payments_enabled(_app()) is False
    assert payments_enabled(_app(STRIPE_SECRET_KEY="sk_test_x")) is False
    assert payments_enabled(_app(STRIPE_WEBHOOK_SECRET="whsec_x")) is False
    assert payments_enabled(_app(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="")) is False
    assert payments_enabled(_app(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_x")) is True
    with pytest.raises(PaymentsDisabled, match="clés Stripe absentes"):
        gateway_for(_app(STRIPE_SECRET_KEY="sk_test_x"))


def test_default_configuration_has_payments_off_and_a_five_minute_tolerance(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_TOLERANCE"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(str(tmp_path), {"PASSERELLE_ENV": "test"})
    assert config["STRIPE_WEBHOOK_TOLERANCE"] == 300  # 5 min × 60 s, Stripe's own default
    assert payments_enabled(_app(**config)) is False
    monkeypatch.setenv("STRIPE_WEBHOOK_TOLERANCE", "120")
    assert load_config(str(tmp_path), {"PASSERELLE_ENV": "test"})["STRIPE_WEBHOOK_TOLERANCE"] == 120


def test_gateway_for_builds_one_gateway_from_the_app_config(localstripe_url: str) -> None:
    app = _app(**localstripe_config(localstripe_url))
    gateway = gateway_for(app)
    assert gateway is gateway_for(app)
    assert gateway.settings.api_base == localstripe_url
    assert gateway.settings.webhook_tolerance == 300


def test_a_zero_tolerance_is_refused_because_stripe_would_read_it_as_no_limit(localstripe_url: str) -> None:
    with pytest.raises(InvalidPaymentRequest, match="STRIPE_WEBHOOK_TOLERANCE"):
        StripeGateway(localstripe_settings(localstripe_url, webhook_tolerance=0))


# --- amounts -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        (Decimal("612.34"), 61234),  # 612.34 × 100
        (Decimal("0.50"), 50),
        (Decimal("450"), 45000),  # 450 × 100
        (Decimal("1E+3"), 100000),  # 1000 × 100
        (Decimal("12.300"), 1230),  # trailing zero below the cent: still a whole number of cents
    ],
)
def test_amounts_convert_to_cents_exactly(amount: Decimal, cents: int) -> None:
    assert to_cents(amount) == cents
    assert from_cents(cents) == amount


def test_from_cents_keeps_two_places() -> None:
    assert str(from_cents(61234)) == "612.34"
    assert str(from_cents(5)) == "0.05"


@pytest.mark.parametrize("amount", [Decimal("10.005"), Decimal("0.001"), Decimal("NaN"), Decimal("Infinity"), 10.5])
def test_amounts_that_are_not_whole_cents_are_refused(amount: Any) -> None:
    with pytest.raises(InvalidPaymentRequest, match="Montant invalide"):
        to_cents(amount)


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-12.00"), Decimal("0.49"), Decimal("1000000.00")])
def test_amounts_outside_stripe_limits_are_refused_before_any_request(
    offline_gateway: StripeGateway, amount: Decimal
) -> None:
    # The offline gateway would raise PaymentUnavailable if a request were made.
    with pytest.raises(InvalidPaymentRequest, match="impossible à payer en ligne"):
        offline_gateway.create_payment_intent(amount, metadata=METADATA, idempotency_key="k1")


def test_bad_requests_are_refused_before_any_request(offline_gateway: StripeGateway) -> None:
    create = offline_gateway.create_payment_intent
    with pytest.raises(InvalidPaymentRequest, match="non pris en charge : paypal"):
        create(Decimal("10.00"), methods=("card", "paypal"), metadata=METADATA, idempotency_key="k1")
    with pytest.raises(InvalidPaymentRequest, match="qu'en euros"):
        create(Decimal("10.00"), currency="usd", metadata=METADATA, idempotency_key="k1")
    with pytest.raises(InvalidPaymentRequest, match="textes"):
        create(Decimal("10.00"), metadata={"lease_id": 42}, idempotency_key="k1")  # type: ignore[dict-item]
    with pytest.raises(InvalidPaymentRequest, match="Clé de métadonnée"):
        create(Decimal("10.00"), metadata={"x" * 41: "v"}, idempotency_key="k1")
    with pytest.raises(InvalidPaymentRequest, match="idempotence"):
        create(Decimal("10.00"), metadata=METADATA, idempotency_key="")


# --- PaymentIntents against localstripe ----------------------------------------------------------------------


def test_card_payment_intent_is_created_and_paid(gateway: StripeGateway) -> None:
    created = gateway.create_payment_intent(Decimal("612.34"), metadata=METADATA, idempotency_key="rent-42-2026-11")
    assert created.id.startswith("pi_")
    assert created.client_secret.startswith(created.id + "_secret_")
    assert created.status == "requires_payment_method"
    assert created.amount == Decimal("612.34")
    assert created.currency == "eur"
    # What Stripe itself stores: integer cents, 612.34 € × 100 = 61234.
    raw = gateway.client.v1.payment_intents.retrieve(created.id)
    assert raw["amount"] == 61234

    paid = confirm_test_payment(gateway, created.id, "card")
    assert paid.status == "succeeded"
    assert paid.amount == Decimal("612.34")

    again = gateway.retrieve_payment_intent(created.id)
    assert again.status == "succeeded"
    assert dict(again.metadata) == METADATA


def test_sepa_debit_payment_intent_is_created_and_paid(gateway: StripeGateway) -> None:
    created = gateway.create_payment_intent(
        Decimal("450.00"), methods=("sepa_debit",), metadata=METADATA, idempotency_key="rent-42-2026-12"
    )
    assert created.status == "requires_payment_method"
    assert gateway.client.v1.payment_intents.retrieve(created.id)["amount"] == 45000  # 450.00 × 100
    confirmed = confirm_test_payment(gateway, created.id, "sepa_debit")
    # Real Stripe keeps a SEPA debit "processing" for days; localstripe settles a debit that will succeed at
    # once. The ledger must record the payment on payment_intent.succeeded, never on confirmation.
    assert confirmed.status == "succeeded"
    again = gateway.retrieve_payment_intent(created.id)
    assert (again.status, again.amount, dict(again.metadata)) == ("succeeded", Decimal("450.00"), METADATA)


def test_a_failing_sepa_debit_is_processing_then_back_to_requires_payment_method(gateway: StripeGateway) -> None:
    created = gateway.create_payment_intent(Decimal("80.00"), metadata=METADATA, idempotency_key="rent-43-2026-12")
    # localstripe fails the debit about 0.5 s after confirmation, as a bank rejects it days later.
    assert confirm_test_payment(gateway, created.id, "sepa_debit", succeed=False).status == "processing"
    assert wait_for_status(gateway, created.id, "requires_payment_method").status == "requires_payment_method"


def test_a_declined_card_raises_a_card_error(gateway: StripeGateway) -> None:
    created = gateway.create_payment_intent(Decimal("80.00"), metadata=METADATA, idempotency_key="rent-44-2026-12")
    with pytest.raises(stripe.CardError):
        confirm_test_payment(gateway, created.id, "card", succeed=False)
    assert gateway.retrieve_payment_intent(created.id).status == "requires_payment_method"


class _RecordingStripe(BaseHTTPRequestHandler):
    """Answers POST /v1/payment_intents like Stripe and records the request headers."""

    seen: list[dict[str, str]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append(dict(self.headers))  # type: ignore[attr-defined]
        body = json.dumps(
            {
                "id": "pi_recorded",
                "object": "payment_intent",
                "amount": 1000,
                "currency": "eur",
                "client_secret": "pi_recorded_secret_x",
                "status": "requires_payment_method",
                "metadata": {},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def recording_stripe() -> Iterator[tuple[str, list[dict[str, str]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingStripe)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_idempotency_key_is_sent_as_stripe_expects(recording_stripe: tuple[str, list[dict[str, str]]]) -> None:
    # localstripe ignores Idempotency-Key (it has no idempotency support), so check what reaches the API instead;
    # real Stripe returns the first PaymentIntent for a repeated key.
    base_url, seen = recording_stripe
    gateway = StripeGateway(localstripe_settings(base_url))
    gateway.create_payment_intent(Decimal("10.00"), metadata={}, idempotency_key="rent-42-2026-11")
    assert [headers.get("Idempotency-Key") for headers in seen] == ["rent-42-2026-11"]


# --- webhooks ------------------------------------------------------------------------------------------------


def _succeeded(created: int, *, amount_cents: int = 61234) -> bytes:
    return payment_intent_succeeded(
        event_id="evt_1", intent_id="pi_1", amount_cents=amount_cents, metadata=METADATA, created=created
    )


def test_sign_payload_matches_stripes_own_signature_helper() -> None:
    payload = _succeeded(1_790_000_000)
    expected = stripe.WebhookSignature.generate_signature_header(payload.decode(), "whsec_abc", 1_790_000_000)
    assert sign_payload(payload, "whsec_abc", 1_790_000_000) == expected
    assert expected.startswith("t=1790000000,v1=")


def test_a_correctly_signed_delivery_is_accepted(offline_gateway: StripeGateway) -> None:
    now = int(time.time())
    payload = _succeeded(now)
    event = offline_gateway.parse_webhook(payload, sign_payload(payload, TEST_WEBHOOK_SECRET, now))
    assert event["id"] == "evt_1"
    assert event["type"] == "payment_intent.succeeded"
    intent = event["data"]["object"]
    assert intent["id"] == "pi_1"
    assert intent["amount"] == 61234
    assert intent["metadata"].to_dict() == METADATA  # stripe 16 objects are not dicts: to_dict() for a copy


@pytest.mark.parametrize(
    ("payload", "event_type", "object_id"),
    [
        (_succeeded(0), "payment_intent.succeeded", "pi_1"),
        (
            payment_intent_payment_failed(
                event_id="evt_2", intent_id="pi_2", amount_cents=45000, metadata=METADATA, created=0
            ),
            "payment_intent.payment_failed",
            "pi_2",
        ),
        (
            charge_refunded(
                event_id="evt_3",
                charge_id="ch_3",
                intent_id="pi_3",
                amount_cents=61234,
                amount_refunded_cents=10000,
                metadata=METADATA,
                created=0,
            ),
            "charge.refunded",
            "ch_3",
        ),
    ],
    ids=["succeeded", "payment_failed", "refunded"],
)
def test_every_built_event_kind_verifies(
    offline_gateway: StripeGateway, payload: bytes, event_type: str, object_id: str
) -> None:
    now = int(time.time())
    event = offline_gateway.parse_webhook(payload, sign_payload(payload, TEST_WEBHOOK_SECRET, now))
    assert (event["type"], event["data"]["object"]["id"]) == (event_type, object_id)


def test_the_refund_event_carries_the_refunded_total() -> None:
    payload = charge_refunded(
        event_id="evt_3",
        charge_id="ch_3",
        intent_id="pi_3",
        amount_cents=61234,
        amount_refunded_cents=61234,
        metadata=METADATA,
        created=0,
    )
    charge = json.loads(payload)["data"]["object"]
    assert (charge["payment_intent"], charge["amount_refunded"], charge["refunded"]) == ("pi_3", 61234, True)


def _rejection(gateway: StripeGateway, payload: bytes, header: str | None) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as caught:
        gateway.parse_webhook(payload, header)
    return caught.value


def test_a_delivery_signed_with_another_secret_is_rejected(offline_gateway: StripeGateway) -> None:
    now = int(time.time())
    payload = _succeeded(now)
    rejected = _rejection(offline_gateway, payload, sign_payload(payload, "whsec_someone_else", now))
    assert rejected.reason == "signature"
    assert "Signature Stripe invalide" in str(rejected)


def test_a_tampered_body_is_rejected(offline_gateway: StripeGateway) -> None:
    now = int(time.time())
    header = sign_payload(_succeeded(now), TEST_WEBHOOK_SECRET, now)
    tampered = _succeeded(now, amount_cents=1)  # same event, amount changed after signing
    assert _rejection(offline_gateway, tampered, header).reason == "signature"


def test_a_delivery_signed_before_the_tolerance_window_is_rejected(offline_gateway: StripeGateway) -> None:
    # Tolerance 300 s: signed 360 s ago is a replay; signed 240 s ago is still fine (60 s margin each side).
    now = int(time.time())
    old = now - 360
    payload = _succeeded(old)
    rejected = _rejection(offline_gateway, payload, sign_payload(payload, TEST_WEBHOOK_SECRET, old))
    assert rejected.reason == "timestamp"
    assert "trop ancienne" in str(rejected)
    recent = now - 240
    payload = _succeeded(recent)
    assert offline_gateway.parse_webhook(payload, sign_payload(payload, TEST_WEBHOOK_SECRET, recent))["id"] == "evt_1"


def test_a_delivery_signed_in_the_future_is_rejected(offline_gateway: StripeGateway) -> None:
    future = int(time.time()) + 360  # beyond the 300 s tolerance
    payload = _succeeded(future)
    assert _rejection(offline_gateway, payload, sign_payload(payload, TEST_WEBHOOK_SECRET, future)).reason == (
        "timestamp"
    )


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=soon,v1=abc"])
def test_a_missing_or_unreadable_signature_header_is_rejected(offline_gateway: StripeGateway, header: str) -> None:
    assert _rejection(offline_gateway, _succeeded(0), header).reason == "header"


@pytest.mark.parametrize(
    "payload",
    [b"not json at all", b"\xff\xfe", b"[1, 2]", b'{"object": "event"}'],
    ids=["text", "not-utf8", "array", "no-id-no-type"],
)
def test_a_correctly_signed_body_that_is_not_an_event_is_rejected(
    offline_gateway: StripeGateway, payload: bytes
) -> None:
    now = int(time.time())
    rejected = _rejection(offline_gateway, payload, sign_payload(payload, TEST_WEBHOOK_SECRET, now))
    assert rejected.reason == "payload"
    assert "illisible" in str(rejected)


class _RecordingWebhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.deliveries.append((body, self.headers["Stripe-Signature"]))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_delivery_signed_by_localstripe_is_accepted(gateway: StripeGateway, localstripe_url: str) -> None:
    # localstripe signs its deliveries itself (t = event creation time): an independent check of our verification.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingWebhook)
    deliveries: list[tuple[bytes, str]] = []
    server.deliveries = deliveries  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/payments/stripe/webhook"
    try:
        register_localstripe_webhook(
            localstripe_url, hook_url, hook_id="gateway-test", events=["payment_intent.succeeded"]
        )
        created = gateway.create_payment_intent(Decimal("75.10"), metadata=METADATA, idempotency_key="hook-1")
        confirm_test_payment(gateway, created.id, "card")
        # Earlier tests' events may arrive too (localstripe sends them ~1 s late): wait for this intent's.
        ours = created.id.encode()
        deadline = time.monotonic() + 20
        while not any(ours in body for body, _ in deliveries) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        # An empty event list switches the hook off for the rest of the session.
        register_localstripe_webhook(localstripe_url, hook_url, hook_id="gateway-test", events=[])
        server.shutdown()
        server.server_close()
        thread.join()
    matching = [(body, signature) for body, signature in deliveries if ours in body]
    assert len(matching) == 1, "localstripe delivered no (or more than one) event for this payment"
    body, signature = matching[0]
    event = gateway.parse_webhook(body, signature)
    assert event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"]["id"] == created.id
    assert event["data"]["object"]["amount"] == 7510  # 75.10 × 100
    assert _rejection(gateway, body.replace(b"7510", b"7511"), signature).reason == "signature"
