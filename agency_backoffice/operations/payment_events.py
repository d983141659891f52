"""Stripe events applied to the ledger exactly once: a PaymentIntent succeeded, processing, failed, or refunded.

The webhook is the only writer of online payments. Exactly once, whatever the retries, duplicates or order:
- each Stripe event id is recorded first (``stripe_events.event_id`` is unique): a redelivery does nothing;
- a payment's ``external_id`` is its PaymentIntent id (unique in the ledger): a second "succeeded" is a no-op;
- refunds carry ``<intent>:refund:<total refunded in cents>`` and a rejected debit ``<intent>:failed``;
- where an event may be older than what is already recorded (a failure after a success, a refund before the
  success), the PaymentIntent's current state is read from Stripe, as Stripe advises for out-of-order events.
The links those payments come from are in agency_backoffice/operations/payments.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agency_backoffice.models import EntryKind, LedgerEntry, PaymentLink, PaymentLinkStatus, PaymentMethod, StripeEvent
from agency_backoffice.operations.ledger import record_payment, record_refund, refundable
from agency_backoffice.operations.ledger_documents import issue_receipts
from agency_backoffice.operations.payments import PAYABLE, failure_message, paris_date
from passerelle.formatting import money
from passerelle.payments import StripeGateway, from_cents

ALREADY_APPLIED = "déjà traité"


def apply_stripe_event(session: Session, event: Mapping[str, Any], *, gateway: StripeGateway, now: datetime) -> str:
    """Apply one verified Stripe event exactly once; return what was done (French, kept with the event)."""
    event_id, kind = str(event["id"]), str(event["type"])
    data = event["data"]["object"]
    intent_id = data.get("id") if kind.startswith("payment_intent.") else data.get("payment_intent")
    if session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event_id)) is not None:
        return ALREADY_APPLIED
    row = StripeEvent(event_id=event_id, type=kind[:80], payment_intent_id=intent_id, outcome="en cours")
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return ALREADY_APPLIED  # the same event, delivered twice at once: the other delivery applies it
    handler = _HANDLERS.get(kind)
    if handler is None or not intent_id:
        outcome = "ignoré : événement sans effet sur les loyers"
    else:
        outcome = handler(_Context(session, gateway, now, event_id, int(event["created"])), str(intent_id), data)
    row.outcome = outcome[:200]
    session.flush()
    return outcome


class _Context:
    def __init__(self, session: Session, gateway: StripeGateway, now: datetime, event_id: str, created: int) -> None:
        self.session, self.gateway, self.now, self.event_id = session, gateway, now, event_id
        self.on = paris_date(created)


def _find_link(session: Session, intent_id: str, metadata: Mapping[str, Any] | None) -> PaymentLink | None:
    link = session.scalar(select(PaymentLink).where(PaymentLink.payment_intent_id == intent_id))
    if link is not None:
        return link
    raw = str((metadata or {}).get("payment_link_id") or "")
    candidate = session.get(PaymentLink, int(raw)) if raw.isdigit() else None
    if (
        candidate is None
        or candidate.payment_intent_id is not None
        or str(candidate.lease_id) != str((metadata or {}).get("lease_id"))
    ):
        return None
    candidate.payment_intent_id = intent_id
    return candidate


def _entry(session: Session, external_id: str) -> LedgerEntry | None:
    return session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == external_id))


def _record_intent_payment(
    ctx: _Context, link: PaymentLink, intent_id: str, amount: Decimal, received_on: date
) -> tuple[LedgerEntry, bool]:
    """The payment of a PaymentIntent, recorded once (the unique external id settles concurrent deliveries)."""
    existing = _entry(ctx.session, intent_id)
    if existing is not None:
        return existing, False
    try:
        with ctx.session.begin_nested():
            payment = record_payment(
                ctx.session,
                link.lease,
                amount=amount,
                method=PaymentMethod.STRIPE,
                received_on=received_on,
                by=None,
                external_id=intent_id,
                note=f"Lien de paiement n° {link.id}",
            )
    except IntegrityError:
        existing = _entry(ctx.session, intent_id)
        if existing is None:
            raise
        return existing, False
    issue_receipts(ctx.session, on=paris_date(ctx.now), lease_id=link.lease_id)
    return payment, True


def _record_rejection(ctx: _Context, payment: LedgerEntry, intent_id: str, message: str) -> bool:
    """Give back a payment whose debit was rejected after it had succeeded (a SEPA debit returned by the bank)."""
    external_id = f"{intent_id}:failed"
    amount = refundable(ctx.session, payment)
    if _entry(ctx.session, external_id) is not None or amount <= 0:
        return False
    try:
        with ctx.session.begin_nested():
            record_refund(
                ctx.session, payment, amount=amount, on=ctx.on, by=None, note=message, external_id=external_id
            )
    except IntegrityError:
        return False
    return True


def _failure_seen(ctx: _Context, intent_id: str) -> bool:
    return (
        ctx.session.scalar(
            select(StripeEvent.id).where(
                StripeEvent.payment_intent_id == intent_id,
                StripeEvent.type == "payment_intent.payment_failed",
                StripeEvent.event_id != ctx.event_id,
            )
        )
        is not None
    )


def _on_succeeded(ctx: _Context, intent_id: str, data: Mapping[str, Any]) -> str:
    link = _find_link(ctx.session, intent_id, data.get("metadata"))
    if link is None:
        return "ignoré : paiement inconnu de Passerelle"
    amount = from_cents(int(data.get("amount_received") or data["amount"]))
    payment, created = _record_intent_payment(ctx, link, intent_id, amount, ctx.on)
    outcome = f"paiement de {money(-payment.amount)} enregistré" if created else "paiement déjà enregistré"
    rejected = _entry(ctx.session, f"{intent_id}:failed") is not None
    # A failure applied before: an earlier attempt (the intent is still succeeded) or a debit rejected afterwards.
    if (
        not rejected
        and _failure_seen(ctx, intent_id)
        and ctx.gateway.retrieve_payment_intent(intent_id).status != "succeeded"
    ):
        rejected = _record_rejection(ctx, payment, intent_id, f"Paiement rejeté : {link.failure_message or ''}")
        outcome += " puis rejeté : remboursement enregistré"
    link.status = PaymentLinkStatus.FAILED if rejected else PaymentLinkStatus.PAID
    if not rejected:
        link.failure_message = None
    return outcome


def _on_processing(ctx: _Context, intent_id: str, data: Mapping[str, Any]) -> str:
    link = _find_link(ctx.session, intent_id, data.get("metadata"))
    if link is None:
        return "ignoré : paiement inconnu de Passerelle"
    if (
        link.status is PaymentLinkStatus.FAILED
        and ctx.gateway.retrieve_payment_intent(intent_id).status != "processing"
    ):
        return "ignoré : événement antérieur à l'échec déjà enregistré"
    if link.status in PAYABLE:
        link.status, link.failure_message = PaymentLinkStatus.PROCESSING, None
        return "paiement en cours"
    return "ignoré : paiement déjà abouti"


def _on_failed(ctx: _Context, intent_id: str, data: Mapping[str, Any]) -> str:
    link = _find_link(ctx.session, intent_id, data.get("metadata"))
    if link is None:
        return "ignoré : paiement inconnu de Passerelle"
    message = failure_message(data.get("last_payment_error"))
    payment = _entry(ctx.session, intent_id)
    if payment is None and link.status is not PaymentLinkStatus.PROCESSING:
        link.status, link.failure_message = PaymentLinkStatus.FAILED, message
        return f"échec enregistré : {message}"
    # A payment is recorded or in progress: is this failure an earlier attempt, or the current state?
    status = ctx.gateway.retrieve_payment_intent(intent_id).status
    if status in ("succeeded", "processing"):
        return "ignoré : échec d'une tentative antérieure"
    link.status, link.failure_message = PaymentLinkStatus.FAILED, message
    if payment is not None and _record_rejection(ctx, payment, intent_id, f"Paiement rejeté : {message}"):
        return f"paiement rejeté après coup : remboursement enregistré ({message})"
    return f"échec enregistré : {message}"


def _on_refunded(ctx: _Context, intent_id: str, data: Mapping[str, Any]) -> str:
    payment = _entry(ctx.session, intent_id)
    if payment is None:
        # The refund came before the success: read the intent from Stripe and record its payment first.
        link = _find_link(ctx.session, intent_id, None)
        if link is None:
            return "ignoré : paiement inconnu de Passerelle"
        intent = ctx.gateway.retrieve_payment_intent(intent_id)
        if intent.status != "succeeded":
            return "ignoré : remboursement d'un paiement non abouti"
        paid_on = paris_date(int(data["created"])) if data.get("created") else ctx.on
        payment, _created = _record_intent_payment(ctx, link, intent_id, intent.amount, paid_on)
        link.status, link.failure_message = PaymentLinkStatus.PAID, None
    total_cents = int(data.get("amount_refunded") or 0)
    already = ctx.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.kind == EntryKind.REFUND,
            LedgerEntry.reverses_id == payment.id,
            LedgerEntry.external_id.like(f"{intent_id}:refund:%"),
        )
    )
    # Stripe reports the total refunded so far: record only what is new (events may come in any order).
    amount = min(from_cents(total_cents) - Decimal(already or 0), refundable(ctx.session, payment))
    if amount <= 0:
        return "remboursement déjà enregistré"
    try:
        with ctx.session.begin_nested():
            record_refund(
                ctx.session,
                payment,
                amount=amount,
                on=ctx.on,
                by=None,
                note="Remboursement du paiement en ligne",
                external_id=f"{intent_id}:refund:{total_cents}",
            )
    except IntegrityError:
        return "remboursement déjà enregistré"
    return f"remboursement de {money(amount)} enregistré"


_HANDLERS: dict[str, Callable[[_Context, str, Mapping[str, Any]], str]] = {
    "payment_intent.succeeded": _on_succeeded,
    "payment_intent.processing": _on_processing,
    "payment_intent.payment_failed": _on_failed,
    "charge.refunded": _on_refunded,
}
