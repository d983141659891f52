"""Online payment gateway: Stripe PaymentIntents (card, SEPA debit) and signed webhooks; no ledger logic here.

The ledger decides what an event means; this module only talks to Stripe (or a local `localstripe`) and checks
that a webhook delivery really comes from Stripe, recently. Without keys the feature is hidden, not broken:
views ask `payments_enabled(app)` before showing a payment link.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import stripe
from flask import Flask

from passerelle.formatting import money

SUPPORTED_METHODS = ("card", "sepa_debit")
# Stripe's minimum charge in euros (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts); a smaller
# balance cannot be paid online and is left to the other means of payment.
MINIMUM_AMOUNT = Decimal("0.50")
# Stripe's amount field holds at most eight digits of cents.
MAXIMUM_AMOUNT = Decimal("999999.99")
# Stripe's limits on metadata (docs.stripe.com/metadata).
_METADATA_MAX_KEYS = 50
_METADATA_MAX_KEY_LENGTH = 40
_METADATA_MAX_VALUE_LENGTH = 500
_IDEMPOTENCY_KEY_MAX_LENGTH = 255
# A web request should not wait 80 s (Stripe's default) for the API: fail fast, the payer can try again.
_HTTP_TIMEOUT_SECONDS = 20
_NETWORK_RETRIES = 2  # safe: every write carries an idempotency key
_EXTENSION_KEY = "passerelle.stripe"


class PaymentError(RuntimeError):
    """A French message explaining why an online payment operation could not be done."""


class PaymentsDisabled(PaymentError):
    """Stripe keys are not configured: the online payment feature is off."""


class InvalidPaymentRequest(PaymentError, ValueError):
    """The request itself is wrong (amount, currency, methods, metadata, idempotency key)."""


class PaymentUnavailable(PaymentError):
    """Stripe refused the request or could not be reached; the original error is chained."""


class WebhookRejected(PaymentError):
    """A webhook delivery that must not be processed (answer 400 and record nothing).

    `reason` is one of "header" (Stripe-Signature missing or unreadable), "signature" (not signed with our
    endpoint secret, or the body was altered), "timestamp" (signed outside the tolerance window: a replay)
    and "payload" (not a Stripe event).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def to_cents(amount: Decimal) -> int:
    """Convert euros to integer cents exactly; refuse amounts that are not a whole number of cents."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise InvalidPaymentRequest(f"Montant invalide : {amount!r} (un montant décimal en euros est attendu).")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise InvalidPaymentRequest(f"Montant invalide : {_plain(amount)} € n'est pas un nombre entier de centimes.")
    return int(cents)


def _plain(amount: Decimal) -> str:
    """The amount as given, with a French decimal comma (never rounded: it is what was refused)."""
    return str(amount).replace(".", ",")


def from_cents(cents: int) -> Decimal:
    """Convert integer cents (as Stripe reports them) to euros, exactly."""
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True)
class PaymentIntentRef:
    """What the application keeps of a PaymentIntent; `amount` in euros."""

    id: str
    client_secret: str
    status: str
    amount: Decimal
    currency: str = "eur"
    metadata: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_stripe(cls, intent: stripe.StripeObject | Mapping[str, Any]) -> PaymentIntentRef:
        """From a PaymentIntent as the API returns it (or as a webhook's `data.object` holds it)."""
        # stripe 16 objects are not dicts (no .get/.items): work on a plain copy.
        data = intent.to_dict() if isinstance(intent, stripe.StripeObject) else dict(intent)
        return cls(
            id=data["id"],
            client_secret=data["client_secret"],
            status=data["status"],
            amount=from_cents(int(data["amount"])),
            currency=data["currency"],
            metadata={str(key): str(value) for key, value in (data.get("metadata") or {}).items()},
        )


@dataclass(frozen=True)
class StripeSettings:
    secret_key: str
    webhook_secret: str
    publishable_key: str | None = None
    api_base: str | None = None
    webhook_tolerance: int = 300

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeSettings | None:
        """Read the STRIPE_* keys (see passerelle.config); None when the feature is off."""
        secret_key = config.get("STRIPE_SECRET_KEY")
        webhook_secret = config.get("STRIPE_WEBHOOK_SECRET")
        if not secret_key or not webhook_secret:
            return None
        return cls(
            secret_key=secret_key,
            webhook_secret=webhook_secret,
            publishable_key=config.get("STRIPE_PUBLISHABLE_KEY") or None,
            api_base=config.get("STRIPE_API_BASE") or None,
            webhook_tolerance=int(config.get("STRIPE_WEBHOOK_TOLERANCE", 300)),
        )


def payments_enabled(app: Flask) -> bool:
    """Whether online payment is offered: only with both the secret key and the webhook secret."""
    return StripeSettings.from_config(app.config) is not None


def gateway_for(app: Flask) -> StripeGateway:
    """The application's gateway, built on first use from its configuration (nothing happens at app start)."""
    settings = StripeSettings.from_config(app.config)
    if settings is None:
        raise PaymentsDisabled("Le paiement en ligne n'est pas configuré (clés Stripe absentes).")
    cached = app.extensions.get(_EXTENSION_KEY)
    if cached is None or cached.settings != settings:
        cached = StripeGateway(settings)
        app.extensions[_EXTENSION_KEY] = cached
    return cached


class StripeGateway:
    """PaymentIntents and webhook verification through one `stripe.StripeClient`."""

    def __init__(self, settings: StripeSettings) -> None:
        if settings.webhook_tolerance <= 0:
            # stripe.Webhook treats 0 as "no limit": refuse it rather than accept replays forever.
            raise InvalidPaymentRequest("STRIPE_WEBHOOK_TOLERANCE doit être un nombre de secondes positif.")
        self.settings = settings
        self.client = stripe.StripeClient(
            settings.secret_key,
            base_addresses={"api": settings.api_base} if settings.api_base else None,
            http_client=stripe.RequestsClient(timeout=_HTTP_TIMEOUT_SECONDS),
            max_network_retries=_NETWORK_RETRIES,
        )

    def create_payment_intent(
        self,
        amount: Decimal,
        *,
        currency: str = "eur",
        methods: Iterable[str] = SUPPORTED_METHODS,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> PaymentIntentRef:
        """Open a PaymentIntent for `amount` euros; the same idempotency key never opens a second one."""
        cents = to_cents(amount)
        if not MINIMUM_AMOUNT <= amount <= MAXIMUM_AMOUNT:
            raise InvalidPaymentRequest(
                f"Montant de {money(amount)} impossible à payer en ligne "
                f"(entre {money(MINIMUM_AMOUNT)} et {money(MAXIMUM_AMOUNT)})."
            )
        method_list = list(dict.fromkeys(methods))
        unknown = [method for method in method_list if method not in SUPPORTED_METHODS]
        if not method_list or unknown:
            raise InvalidPaymentRequest(f"Moyens de paiement non pris en charge : {', '.join(unknown) or 'aucun'}.")
        currency = currency.lower()
        if "sepa_debit" in method_list and currency != "eur":
            raise InvalidPaymentRequest("Le prélèvement SEPA n'est possible qu'en euros.")
        _check_metadata(metadata)
        if not idempotency_key or len(idempotency_key) > _IDEMPOTENCY_KEY_MAX_LENGTH:
            raise InvalidPaymentRequest("Clé d'idempotence absente ou trop longue (255 caractères au plus).")
        intent = self._call(
            self.client.v1.payment_intents.create,
            {
                "amount": cents,
                "currency": currency,
                "payment_method_types": method_list,
                "metadata": dict(metadata),
            },
            {"idempotency_key": idempotency_key},
        )
        return PaymentIntentRef.from_stripe(intent)

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentRef:
        """Read a PaymentIntent's current state from Stripe."""
        return PaymentIntentRef.from_stripe(self._call(self.client.v1.payment_intents.retrieve, intent_id))

    def parse_webhook(self, raw_body: bytes, signature_header: str | None) -> stripe.Event:
        """Verify a delivery (signature, tolerance window) on the raw body and return its event."""
        tolerance = self.settings.webhook_tolerance
        timestamp = _signature_timestamp(signature_header)
        now = time.time()
        outside_window = abs(now - timestamp) > tolerance
        if timestamp > now + tolerance:
            # Stripe only refuses old signatures; one dated in the future is as suspicious.
            raise WebhookRejected("timestamp", "Notification Stripe datée hors de la fenêtre de tolérance : refusée.")
        try:
            event = stripe.Webhook.construct_event(
                raw_body, signature_header, self.settings.webhook_secret, tolerance, api_key=self.settings.secret_key
            )
        except stripe.SignatureVerificationError as error:
            if outside_window:
                raise WebhookRejected(
                    "timestamp", "Notification Stripe trop ancienne (hors fenêtre de tolérance) : rejeu refusé."
                ) from error
            raise WebhookRejected("signature", "Signature Stripe invalide : notification refusée.") from error
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            # Correctly signed but not JSON (json.JSONDecodeError, UnicodeDecodeError are ValueErrors) or not
            # an object stripe can build an event from.
            raise WebhookRejected("payload", "Notification Stripe illisible (un objet JSON est attendu).") from error
        body = event.to_dict()
        if not isinstance(body.get("id"), str) or not isinstance(body.get("type"), str) or "data" not in body:
            raise WebhookRejected("payload", "Notification Stripe illisible (identifiant, type ou données absents).")
        return event

    def _call(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except stripe.StripeError as error:
            raise PaymentUnavailable(
                f"Le service de paiement a refusé la demande ou ne répond pas ({type(error).__name__})."
            ) from error


def _signature_timestamp(header: str | None) -> int:
    """The `t=` part of a Stripe-Signature header (`t=1700000000,v1=…`)."""
    if not header:
        raise WebhookRejected("header", "En-tête Stripe-Signature absent : notification refusée.")
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            return int(value)
    raise WebhookRejected("header", "En-tête Stripe-Signature illisible : notification refusée.")


def _check_metadata(metadata: Mapping[str, str]) -> None:
    if len(metadata) > _METADATA_MAX_KEYS:
        raise InvalidPaymentRequest(f"Trop de métadonnées ({_METADATA_MAX_KEYS} au plus).")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidPaymentRequest("Les métadonnées doivent être des textes.")
        if not key or len(key) > _METADATA_MAX_KEY_LENGTH or "[" in key or "]" in key:
            raise InvalidPaymentRequest(f"Clé de métadonnée invalide : « {key} ».")
        if len(value) > _METADATA_MAX_VALUE_LENGTH:
            raise InvalidPaymentRequest(f"Métadonnée « {key} » trop longue ({_METADATA_MAX_VALUE_LENGTH} au plus).")
