"""Stripe offline: a `localstripe` server per test session, Stripe-style signatures and webhook event payloads.

Load it as a plugin from tests/conftest.py (`pytest_plugins = ["tests.stripe_support"]`). Under pytest-xdist
each worker is its own session, so each worker starts its own localstripe on its own free port.
The module has no assertions, so it opts out of assertion rewriting (PYTEST_DONT_REWRITE): a test module may
then both import these helpers and list the plugin in its own `pytest_plugins` without a pytest warning.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from passerelle.payments import PaymentIntentRef, StripeGateway, StripeSettings

TEST_SECRET_KEY = "sk_test_passerelle"
TEST_PUBLISHABLE_KEY = "pk_test_passerelle"
TEST_WEBHOOK_SECRET = "whsec_passerelle_test"

# Stripe's documented test numbers (docs.stripe.com/testing); localstripe accepts raw numbers, real Stripe does not.
TEST_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000341"  # localstripe: the charge is declined at confirmation (HTTP 402)
TEST_IBAN = "FR1420041010050500013M02606"  # Stripe's French test IBAN: the debit succeeds
FAILING_IBAN = "DE62370400440532013001"  # localstripe: the debit fails a moment after confirmation

_STARTUP_SECONDS = 30
_STARTUP_ATTEMPTS = 3


def _localstripe_command() -> list[str]:
    script = Path(sys.executable).with_name("localstripe")
    if script.exists():
        return [str(script)]
    found = shutil.which("localstripe")
    if found:
        return [found]
    return [sys.executable, "-m", "localstripe"]


def _free_port() -> int:
    # localstripe listens on "::" (IPv6 and IPv4): ask the same family for a free port.
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
        probe.bind(("::", 0))
        return int(probe.getsockname()[1])


def _answers(base_url: str) -> bool:
    # The Stripe.js stand-in needs no API key: a cheap "is it up" probe.
    try:
        with urllib.request.urlopen(f"{base_url}/js.stripe.com/v3/", timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _start(log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start localstripe on a free port and wait until it answers; retry if the port was taken meanwhile."""
    failures = []
    for _attempt in range(_STARTUP_ATTEMPTS):
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        with log_path.open("ab") as log:
            # --from-scratch: never load the state another run left in /tmp/localstripe.pickle.
            process = subprocess.Popen(
                [*_localstripe_command(), "--port", str(port), "--from-scratch"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + _STARTUP_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(base_url):
                return process, base_url
            time.sleep(0.1)
        _stop(process)
        failures.append(f"port {port}: exit code {process.returncode}")
    tail = log_path.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"localstripe did not start ({'; '.join(failures)}). Log:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a localstripe started for this session (this xdist worker), stopped at the end."""
    pickle_path = Path("/tmp/localstripe.pickle")  # noqa: S108 (localstripe's own hard-coded path)
    if pickle_path.exists() and not os.access(pickle_path, os.W_OK):
        pytest.fail(f"localstripe writes its state to {pickle_path}, which belongs to another user: remove it.")
    process, base_url = _start(tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    try:
        yield base_url
    finally:
        _stop(process)


def localstripe_settings(base_url: str, **overrides: Any) -> StripeSettings:
    """Gateway settings pointing at localstripe, with the test keys."""
    values: dict[str, Any] = {
        "secret_key": TEST_SECRET_KEY,
        "webhook_secret": TEST_WEBHOOK_SECRET,
        "publishable_key": TEST_PUBLISHABLE_KEY,
        "api_base": base_url,
        "webhook_tolerance": 300,
    }
    values.update(overrides)
    return StripeSettings(**values)


def localstripe_config(base_url: str) -> dict[str, Any]:
    """Application config keys enabling payments against localstripe (merge into create_app's config)."""
    return {
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": TEST_PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "STRIPE_API_BASE": base_url,
        "STRIPE_WEBHOOK_TOLERANCE": 300,
    }


def confirm_test_payment(
    gateway: StripeGateway, intent_id: str, method: str = "card", *, succeed: bool = True
) -> PaymentIntentRef:
    """Pay an open PaymentIntent as a payer would, against localstripe only (raw test card number or IBAN).

    In localstripe a card payment or a SEPA debit that will succeed is `succeeded` at once (real Stripe keeps a
    debit `processing` for days); a declined card raises stripe.CardError; a failing debit is `processing`,
    then back to `requires_payment_method` about 0.5 s later (with a payment_intent.payment_failed event).
    """
    payment_methods = gateway.client.v1.payment_methods
    if method == "card":
        payment_method = payment_methods.create(
            {
                "type": "card",
                "card": {
                    "number": TEST_CARD if succeed else DECLINED_CARD,
                    "exp_month": 12,
                    "exp_year": 2040,
                    "cvc": "123",
                },
            }
        )
    elif method == "sepa_debit":
        payment_method = payment_methods.create(
            {
                "type": "sepa_debit",
                "sepa_debit": {"iban": TEST_IBAN if succeed else FAILING_IBAN},
                "billing_details": {"name": "Camille Martin", "email": "camille.martin@example.org"},
            }
        )
    else:
        raise ValueError(f"unknown test payment method {method!r}")
    intents = gateway.client.v1.payment_intents
    intents.update(intent_id, {"payment_method": payment_method.id})
    return PaymentIntentRef.from_stripe(intents.confirm(intent_id))


def wait_for_status(
    gateway: StripeGateway, intent_id: str, expected: str, *, within_seconds: float = 15
) -> PaymentIntentRef:
    """Poll a PaymentIntent until it reaches `expected` (SEPA debits settle asynchronously in localstripe)."""
    deadline = time.monotonic() + within_seconds
    while True:
        intent = gateway.retrieve_payment_intent(intent_id)
        if intent.status == expected or time.monotonic() > deadline:
            return intent
        time.sleep(0.1)


def register_localstripe_webhook(
    base_url: str,
    url: str,
    *,
    secret: str = TEST_WEBHOOK_SECRET,
    hook_id: str = "passerelle",
    events: list[str] | None = None,
) -> None:
    """Ask localstripe to deliver its events, signed with `secret`, to `url` (e.g. a live test server).

    localstripe keeps hooks for its whole life (the session): registering `hook_id` again replaces it, and an
    empty `events` list switches it off. Deliveries leave about 1 s after the event.
    """
    fields: dict[str, Any] = {"url": url, "secret": secret}
    if events is not None:
        fields["events"] = events
    body = json.dumps(fields).encode()
    request = urllib.request.Request(  # noqa: S310 (local test server)
        f"{base_url}/_config/webhooks/{hook_id}",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


def sign_payload(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header Stripe sends: `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    signed = str(timestamp).encode() + b"." + payload
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def event_payload(event_type: str, data_object: Mapping[str, Any], *, event_id: str, created: int) -> bytes:
    """The raw body of a webhook delivery, shaped as Stripe's event object."""
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": created,
        "data": {"object": dict(data_object)},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    return json.dumps(event, indent=2, sort_keys=True).encode()


def payment_intent_object(
    intent_id: str,
    *,
    amount_cents: int,
    status: str,
    metadata: Mapping[str, str],
    method: str = "card",
    charge_id: str | None = None,
    created: int = 1_790_000_000,
    failure_code: str | None = None,
) -> dict[str, Any]:
    """A PaymentIntent as Stripe puts it in `data.object`."""
    failed = failure_code is not None
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount_cents,
        "amount_received": amount_cents if status == "succeeded" else 0,
        "currency": "eur",
        "client_secret": f"{intent_id}_secret_test",
        "created": created,
        "latest_charge": charge_id,
        "livemode": False,
        "metadata": dict(metadata),
        "payment_method": f"pm_{intent_id.removeprefix('pi_')}",
        "payment_method_types": [method],
        "status": status,
        "last_payment_error": (
            {
                "code": failure_code,
                "message": "Le paiement a été refusé.",
                "type": "card_error" if method == "card" else "invalid_request_error",
            }
            if failed
            else None
        ),
    }


def payment_intent_succeeded(
    *, event_id: str, intent_id: str, amount_cents: int, metadata: Mapping[str, str], created: int, **extra: Any
) -> bytes:
    """A `payment_intent.succeeded` delivery."""
    data = payment_intent_object(intent_id, amount_cents=amount_cents, status="succeeded", metadata=metadata, **extra)
    return event_payload("payment_intent.succeeded", data, event_id=event_id, created=created)


def payment_intent_payment_failed(
    *,
    event_id: str,
    intent_id: str,
    amount_cents: int,
    metadata: Mapping[str, str],
    created: int,
    failure_code: str = "insufficient_funds",
    **extra: Any,
) -> bytes:
    """A `payment_intent.payment_failed` delivery (a declined card, or a SEPA debit rejected by the bank)."""
    data = payment_intent_object(
        intent_id,
        amount_cents=amount_cents,
        status="requires_payment_method",
        metadata=metadata,
        failure_code=failure_code,
        **extra,
    )
    return event_payload("payment_intent.payment_failed", data, event_id=event_id, created=created)


def charge_refunded(
    *,
    event_id: str,
    charge_id: str,
    intent_id: str,
    amount_cents: int,
    amount_refunded_cents: int,
    metadata: Mapping[str, str],
    created: int,
) -> bytes:
    """A `charge.refunded` delivery; `amount_refunded_cents` is the total refunded so far on the charge."""
    data = {
        "id": charge_id,
        "object": "charge",
        "amount": amount_cents,
        "amount_captured": amount_cents,
        "amount_refunded": amount_refunded_cents,
        "currency": "eur",
        "created": created,
        "livemode": False,
        "metadata": dict(metadata),
        "paid": True,
        "payment_intent": intent_id,
        "refunded": amount_refunded_cents == amount_cents,
        "status": "succeeded",
    }
    return event_payload("charge.refunded", data, event_id=event_id, created=created)
