"""Online rent payment: what the household owes, tokenised payment links and their Stripe PaymentIntent.

Only the SHA-256 of a link's token is stored: the full address is shown once to the staff member who sends it.
The ledger is written by the Stripe webhook only, each event applied exactly once
(agency_backoffice/operations/payment_events.py). Stripe metadata holds ids only, never personal data.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import stripe
from flask import current_app
from sqlalchemy import func, or_, select
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
)
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
    payments_enabled,
)

# How long a link stays valid unless PAYMENT_LINK_DAYS says otherwise: an operational choice (a month to pay a
# month's rent), not a legal figure.
DEFAULT_LINK_DAYS = 30
TOKEN_BYTES = 32
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


def paris_date(moment: datetime | int) -> date:
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
        due, label = lease_household_due(session, lease), f"Solde du compte au {long_date(paris_date(now))}"
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
