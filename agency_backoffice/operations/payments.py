"""Online rent payment: tokenised payment links, their Stripe PaymentIntent, and Stripe events applied exactly once.

Only the SHA-256 of a link's token is stored: the full address is shown once to the staff member who sends it.
The webhook is the only writer of online payments. Exactly once, whatever the retries, duplicates or order:
- each Stripe event id is recorded first (``stripe_events.event_id`` is unique): a redelivery does nothing;
- a payment's ``external_id`` is its PaymentIntent id (unique in the ledger): a second "succeeded" is a no-op;
- refunds carry ``<intent>:refund:<total refunded in cents>`` and a rejected debit ``<intent>:failed``;
- where an event may be older than what is already recorded (a failure after a success, a refund before the
  success), the PaymentIntent's current state is read from Stripe, as Stripe advises for out-of-order events.
Stripe metadata holds ids only, never personal data.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import stripe
from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from stripe.params import PaymentIntentUpdateParams

from agency_backoffice.models import (
    Allocation,
    EntryKind,
    Lease,
    LeaseStatus,
    LedgerEntry,
    PaymentLink,
    PaymentLinkStatus,
    PaymentMethod,
    StripeEvent,
)
from agency_backoffice.operations.ledger import record_payment, record_refund, refundable
from agency_backoffice.operations.ledger_documents import issue_receipts
from agency_backoffice.queries.ledger import lease_balance
from passerelle.audit import audit
from passerelle.formatting import PARIS, long_date, money, month_year
from passerelle.models import User
from passerelle.payments import (
    MAXIMUM_AMOUNT,
    MINIMUM_AMOUNT,
    PaymentIntentRef,
    PaymentUnavailable,
    StripeGateway,
    from_cents,
    payments_enabled,
)

# How long a link stays valid unless PAYMENT_LINK_DAYS says otherwise: an operational choice (a month to pay a
# month's rent), not a legal figure.
DEFAULT_LINK_DAYS = 30
TOKEN_BYTES = 32
ALREADY_APPLIED = "déjà traité"
PAYABLE = (PaymentLinkStatus.OPEN, PaymentLinkStatus.FAILED)

# French reasons for Stripe's decline and debit failure codes (docs.stripe.com/declines/codes, error-codes).
FAILURE_MESSAGES = {
    "card_declined": "La carte a été refusée par la banque.",
    "insufficient_funds": "Provision insuffisante sur le compte.",
    "expired_card": "La carte est expirée.",
    "incorrect_cvc": "Le cryptogramme visuel (CVC) est incorrect.",
    "incorrect_number": "Le numéro de carte est incorrect.",
    "invalid_number": "Le numéro de carte est incorrect.",
    "processing_error": "La banque n'a pas pu traiter le paiement : réessayez dans quelques minutes.",
    "payment_intent_authentication_failure": "L'authentification 3-D Secure a échoué ou a été annulée.",
    "authentication_required": "La banque demande une authentification 3-D Secure qui n'a pas abouti.",
    "account_closed": "Le compte bancaire est clôturé : le prélèvement a été rejeté.",
    "debit_not_authorized": "La banque n'a pas autorisé le prélèvement.",
    "bank_account_restricted": "Le compte bancaire n'accepte pas ce prélèvement.",
    "no_account": "Le compte bancaire est introuvable : le prélèvement a été rejeté.",
}


class PaymentLinkError(ValueError):
    """An online payment step refused, in French."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def failure_message(error: Mapping[str, Any] | None) -> str:
    """The French reason of a Stripe ``last_payment_error`` (never Stripe's own English message)."""
    code = str((error or {}).get("decline_code") or (error or {}).get("code") or "")
    if code in FAILURE_MESSAGES:
        return FAILURE_MESSAGES[code]
    return f"Le paiement a été refusé (code {code})." if code else "Le paiement a été refusé."


def _paris_date(moment: datetime | int) -> date:
    if isinstance(moment, int):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(PARIS).date()


# --- what the household owes ----------------------------------------------------------------------------------


HOUSING_BENEFIT = (PaymentMethod.CAF, PaymentMethod.MSA)


def benefit_still_expected(session: Session, lease_id: int) -> Decimal:
    """Housing benefit called on the lease (tiers payant) not yet received from the CAF/MSA: not the household's."""
    called = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.benefit), 0)).where(
            LedgerEntry.lease_id == lease_id, LedgerEntry.kind == EntryKind.CALL
        )
    )
    received = session.scalar(
        select(func.coalesce(func.sum(-LedgerEntry.amount), 0)).where(
            LedgerEntry.lease_id == lease_id,
            LedgerEntry.kind == EntryKind.PAYMENT,
            LedgerEntry.method.in_(HOUSING_BENEFIT),
        )
    )
    paid = aliased(LedgerEntry)
    returned = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(paid, paid.id == LedgerEntry.reverses_id)
        .where(
            LedgerEntry.lease_id == lease_id,
            LedgerEntry.kind == EntryKind.REFUND,
            paid.method.in_(HOUSING_BENEFIT),
        )
    )
    return max(Decimal("0"), Decimal(called or 0) - Decimal(received or 0) + Decimal(returned or 0))


def lease_household_due(session: Session, lease: Lease) -> Decimal:
    """What the household owes now on the lease: the balance less the housing benefit still expected."""
    return max(Decimal("0"), lease_balance(session, lease.id) - benefit_still_expected(session, lease.id))


def call_household_due(session: Session, call: LedgerEntry) -> Decimal:
    """What is left of the household's share of a call (its amount less the benefit), within its open amount."""
    credit = aliased(LedgerEntry)
    paid = session.scalar(
        select(func.coalesce(func.sum(Allocation.amount), 0))
        .join(credit, credit.id == Allocation.credit_id)
        .where(
            Allocation.debit_id == call.id,
            or_(credit.method.is_(None), credit.method.not_in(HOUSING_BENEFIT)),
        )
    )
    share_left = call.household_share - Decimal(paid or 0)
    return max(Decimal("0"), min(call.amount - call.settled, share_left))


# --- links ----------------------------------------------------------------------------------------------------


def link_days() -> int:
    days = int(current_app.config.get("PAYMENT_LINK_DAYS") or DEFAULT_LINK_DAYS)
    if days <= 0:
        raise PaymentLinkError("PAYMENT_LINK_DAYS doit être un nombre de jours positif.")
    return days


def create_payment_link(
    session: Session,
    lease: Lease,
    *,
    by: User,
    now: datetime,
    amount: Decimal | None = None,
    call: LedgerEntry | None = None,
) -> tuple[PaymentLink, str]:
    """Open a link to pay what is due (the lease's balance, or a call's open household share); return the token.

    The token is returned once and never stored: only its SHA-256 is kept.
    """
    if not payments_enabled(current_app):
        raise PaymentLinkError("Le paiement en ligne n'est pas configuré (clés Stripe absentes).")
    if lease.status is LeaseStatus.DRAFT:
        raise PaymentLinkError("Ce bail n'est pas encore signé : aucun paiement ne peut être demandé.")
    if call is not None and (call.lease_id != lease.id or call.kind is not EntryKind.CALL):
        raise PaymentLinkError("Cet appel de loyer n'appartient pas à ce bail.")
    if call is not None:
        due = min(call_household_due(session, call), lease_household_due(session, lease))
        label = f"Loyer et charges de {month_year(call.period)}"
    else:
        due, label = lease_household_due(session, lease), f"Solde du compte au {long_date(_paris_date(now))}"
    if due <= 0:
        raise PaymentLinkError("Rien n'est dû par le ménage pour l'instant : aucun lien de paiement à envoyer.")
    amount = due if amount is None else amount
    if amount != amount.quantize(Decimal("0.01")):
        raise PaymentLinkError("Le montant doit être en euros et centimes (deux décimales au plus).")
    if amount > due:
        raise PaymentLinkError(f"Le montant dépasse ce qui est dû par le ménage ({money(due)}).")
    if not MINIMUM_AMOUNT <= amount <= MAXIMUM_AMOUNT:
        raise PaymentLinkError(
            f"Un paiement en ligne va de {money(MINIMUM_AMOUNT)} à {money(MAXIMUM_AMOUNT)} : "
            f"{money(amount)} se règle par un autre moyen."
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = PaymentLink(
        operator_id=lease.operator_id,
        lease_id=lease.id,
        entry_id=call.id if call is not None else None,
        token_hash=hash_token(token),
        amount=amount,
        label=label,
        expires_at=now + timedelta(days=link_days()),
        status=PaymentLinkStatus.OPEN,
        created_by_id=by.id,
    )
    session.add(link)
    session.flush()
    audit(
        session,
        actor=by,
        action="payment_link.create",
        object_type="payment_link",
        object_id=link.id,
        lease=lease.id,
        amount=amount,
    )
    return link, token


def link_for_token(session: Session, token: str) -> PaymentLink | None:
    if not token or len(token) > 200:
        return None
    return session.scalar(select(PaymentLink).where(PaymentLink.token_hash == hash_token(token)))


def is_expired(link: PaymentLink, now: datetime) -> bool:
    return now >= link.expires_at


def closed_reason(session: Session, link: PaymentLink, now: datetime) -> str | None:
    """Why the link can no longer start a payment (French), or None when it can."""
    if link.status is PaymentLinkStatus.PAID:
        return "Ce paiement a déjà été reçu : merci, il n'y a plus rien à régler avec ce lien."
    if link.status is PaymentLinkStatus.CANCELLED:
        return "Ce lien de paiement a été annulé. Contactez votre association pour en recevoir un nouveau."
    if link.status is PaymentLinkStatus.PROCESSING:
        return "Un paiement est déjà en cours avec ce lien : attendez sa confirmation."
    if is_expired(link, now):
        return "Ce lien de paiement a expiré. Contactez votre association pour en recevoir un nouveau."
    if lease_household_due(session, link.lease) <= 0:
        return "Le compte est à jour : il n'y a plus rien à régler avec ce lien."
    return None


def _metadata(link: PaymentLink) -> dict[str, str]:
    # Ids only: Stripe must never hold a household's name, address or situation.
    return {
        "payment_link_id": str(link.id),
        "lease_id": str(link.lease_id),
        "operator_id": str(link.operator_id),
    }


def start_payment(session: Session, link: PaymentLink, gateway: StripeGateway, *, now: datetime) -> PaymentIntentRef:
    """The link's PaymentIntent: created once (idempotency key = the link), then reused at each visit."""
    existing = gateway.retrieve_payment_intent(link.payment_intent_id) if link.payment_intent_id else None
    if existing is not None and existing.status in ("succeeded", "processing"):
        return existing
    reason = closed_reason(session, link, now)
    if reason is not None:
        raise PaymentLinkError(reason)
    if existing is not None:
        if existing.status == "canceled":
            raise PaymentLinkError("Ce paiement a été annulé. Contactez votre association pour un nouveau lien.")
        return existing
    intent = gateway.create_payment_intent(
        link.amount, metadata=_metadata(link), idempotency_key=f"passerelle-payment-link-{link.id}"
    )
    link.payment_intent_id = intent.id
    session.flush()
    audit(session, actor=None, action="payment_link.start", object_type="payment_link", object_id=link.id)
    return intent


def confirm_card_payment(
    session: Session, link: PaymentLink, gateway: StripeGateway, *, card_token: str, now: datetime
) -> PaymentIntentRef:
    """Pay the link's PaymentIntent with the card Stripe.js tokenised in the payer's browser (server confirmation).

    The card number never reaches Passerelle: only Stripe's token. The result is "succeeded", "processing" or
    "requires_action" (3-D Secure, finished in the browser); the ledger is written by the webhook only.
    """
    intent = start_payment(session, link, gateway, now=now)
    if intent.status in ("succeeded", "processing"):
        return intent
    intents = gateway.client.v1.payment_intents
    try:
        card = gateway.client.v1.tokens.retrieve(card_token).card
        if card is None:
            raise PaymentLinkError("Carte non reconnue : vérifiez le numéro, la date d'expiration et le CVC.")
        intents.update(intent.id, PaymentIntentUpdateParams(payment_method=card.id))
        confirmed = intents.confirm(intent.id)
    except stripe.CardError as error:
        raise PaymentLinkError(failure_message({"code": error.code})) from error
    except stripe.InvalidRequestError as error:
        raise PaymentLinkError("Carte non reconnue : vérifiez le numéro, la date d'expiration et le CVC.") from error
    except stripe.StripeError as error:
        raise PaymentUnavailable(
            f"Le service de paiement ne répond pas ({type(error).__name__}) : réessayez dans quelques minutes."
        ) from error
    result = PaymentIntentRef.from_stripe(confirmed)
    if result.status == "processing" and link.status in PAYABLE:
        link.status, link.failure_message = PaymentLinkStatus.PROCESSING, None
    return result


# --- Stripe events ------------------------------------------------------------------------------------------


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
        self.on = _paris_date(created)


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
    issue_receipts(ctx.session, on=_paris_date(ctx.now), lease_id=link.lease_id)
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
        paid_on = _paris_date(int(data["created"])) if data.get("created") else ctx.on
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
