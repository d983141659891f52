"""Online rent payment: the public page of a payment link, Stripe's webhook, and the staff's payment links.

Everything answers 404 while Stripe is not configured (``passerelle.payments.payments_enabled``): the feature is
hidden, not broken. The payer needs no account: the link's token is the only key, and the page shows only what
the payer needs (operator, lease reference, what is paid, amount, expiry), never the household's details.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from agency_backoffice import bp as staff_bp
from agency_backoffice.models import EntryKind, LeaseStatus, LedgerEntry, PaymentLink, PaymentLinkStatus
from agency_backoffice.operations import payments as ops
from agency_backoffice.operations.ledger_documents import lease_reference
from agency_backoffice.operations.payment_events import apply_stripe_event
from agency_backoffice.queries.leases import get_lease_for_staff_or_404
from agency_backoffice.queries.ledger import lease_calls
from passerelle.api import public_rate_limit
from passerelle.audit import audit
from passerelle.db import db, utcnow
from passerelle.extensions import csrf, limiter
from passerelle.formatting import month_year
from passerelle.forms import Between, Form, FrenchDecimalField, choices
from passerelle.mail import absolute_url
from passerelle.payments import (
    MAXIMUM_AMOUNT,
    MINIMUM_AMOUNT,
    PaymentIntentRef,
    PaymentUnavailable,
    WebhookRejected,
    gateway_for,
    payments_enabled,
)

bp = Blueprint("payments", __name__)

DEFAULT_STRIPE_JS_URL = "https://js.stripe.com/v3/"
DEFAULT_STRIPE_API = "https://api.stripe.com"
# While the webhook has not recorded a payment yet, the status page reloads itself (no script needed).
REFRESH_SECONDS = 3


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["online_payment_enabled"] = lambda: payments_enabled(current_app)


class PayForm(Form):
    """Only the CSRF token: the payer confirms the amount shown."""


class CardForm(Form):
    card_token = HiddenField(
        validators=[
            DataRequired("Saisissez les données de la carte."),
            Length(max=200),
            # A Stripe.js card token; anything else is refused here rather than sent to Stripe.
            Regexp(
                r"^tok_[A-Za-z0-9]+$",
                message="Carte non reconnue : vérifiez le numéro, la date d'expiration et le CVC.",
            ),
        ]
    )


class PaymentLinkForm(Form):
    call_id = SelectField("Ce qui est payé", choices=[], validate_choice=False)
    amount = FrenchDecimalField(
        "Montant (€)",
        description="Laissez vide pour demander tout ce qui est dû par le ménage.",
        validators=[
            Optional(),
            Between(
                float(MINIMUM_AMOUNT),
                float(MAXIMUM_AMOUNT),
                "Un paiement en ligne va de 0,50 € à 999 999,99 €.",
            ),
        ],
    )


# --- public pages --------------------------------------------------------------------------------------------


@bp.before_request
def _only_when_configured() -> None:
    if not payments_enabled(current_app):
        abort(404)


@bp.after_request
def _never_cached(response: BaseResponse) -> BaseResponse:
    # The pages carry a payment's secret and state: never kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _stripe_js_url() -> str:
    configured = current_app.config.get("STRIPE_JS_URL")
    if configured:
        return str(configured)
    api_base = current_app.config.get("STRIPE_API_BASE")
    # localstripe serves its Stripe.js stand-in at <api>/js.stripe.com/v3/.
    return f"{api_base.rstrip('/')}/js.stripe.com/v3/" if api_base else DEFAULT_STRIPE_JS_URL


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _payment_csp() -> str:
    """The site's policy opened to Stripe.js, its frames and its API (docs.stripe.com/security/guide, CSP)."""
    script = _origin(_stripe_js_url())
    api = _origin(current_app.config.get("STRIPE_API_BASE") or DEFAULT_STRIPE_API)
    connect = " ".join(dict.fromkeys(("'self'", api, script)))
    return (
        "default-src 'self'; img-src 'self' data: https://*.stripe.com; style-src 'self'; "
        f"script-src 'self' {script}; connect-src {connect}; frame-src {script} https://hooks.stripe.com; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def _closed(message: str, status: int, link: PaymentLink | None = None) -> tuple[str, int]:
    return render_template("agency_backoffice/payment_closed.html", message=message, link=link), status


def _summary(link: PaymentLink) -> dict[str, Any]:
    return {
        "link": link,
        "operator": link.lease.operator.name,
        "reference": lease_reference(link.lease),
    }


def _load(token: str) -> PaymentLink:
    link = ops.link_for_token(db.session, token)
    if link is None:
        message = "Ce lien de paiement n'existe pas. Vérifiez l'adresse reçue, ou contactez votre association."
        abort(make_response(_closed(message, 404)))
    return link


def _card_page(link: PaymentLink, form: CardForm, *, status: int = 200, **extra: Any) -> BaseResponse:
    response = current_app.make_response(
        (
            render_template(
                "agency_backoffice/payment_card.html",
                form=form,
                stripe_js_url=_stripe_js_url(),
                publishable_key=current_app.config.get("STRIPE_PUBLISHABLE_KEY") or "",
                token=request.view_args["token"] if request.view_args else "",
                **_summary(link),
                **extra,
            ),
            status,
        )
    )
    response.headers["Content-Security-Policy"] = _payment_csp()
    return response


def _done(token: str) -> BaseResponse:
    return redirect(url_for("payments.pay_done", token=token))


@bp.get("/paiement/<token>")
def pay(token: str):
    session, now = db.session, utcnow()
    link = _load(token)
    if link.status is PaymentLinkStatus.PROCESSING:
        return _done(token)
    reason = ops.closed_reason(session, link, now)
    if reason is not None:
        # 410: the link existed and will never work again (paid, expired, cancelled, nothing left to pay).
        return _closed(reason, 410, link)
    return render_template("agency_backoffice/payment_link.html", form=PayForm(), token=token, **_summary(link))


@bp.post("/paiement/<token>")
@limiter.limit(public_rate_limit)  # each POST may create a PaymentIntent at Stripe: no flooding
def pay_start(token: str):
    session, now = db.session, utcnow()
    link = _load(token)
    form = PayForm()
    if not form.validate_on_submit():
        return render_template("agency_backoffice/payment_link.html", form=form, token=token, **_summary(link)), 422
    try:
        intent = ops.start_payment(session, link, gateway_for(current_app), now=now)
    except ops.PaymentLinkError as error:
        session.rollback()
        return _closed(str(error), 410, link)
    except PaymentUnavailable as error:
        session.rollback()
        link = _load(token)
        return render_template(
            "agency_backoffice/payment_link.html", form=form, token=token, error=str(error), **_summary(link)
        ), 503
    session.commit()
    if intent.status in ("succeeded", "processing"):
        return _done(token)
    return _card_page(link, CardForm(formdata=None))


@bp.post("/paiement/<token>/carte")
@limiter.limit(public_rate_limit)
def pay_card(token: str):
    session, now = db.session, utcnow()
    link = _load(token)
    form = CardForm()
    if not form.validate_on_submit():
        return _card_page(link, form, status=422)
    try:
        intent = ops.confirm_card_payment(
            session, link, gateway_for(current_app), card_token=form.card_token.data, now=now
        )
    except ops.PaymentLinkError as error:
        session.rollback()
        link = _load(token)
        if ops.closed_reason(session, link, now) is not None:
            return _closed(str(error), 410, link)
        form.card_token.errors = [str(error)]
        return _card_page(link, form, status=422)
    except PaymentUnavailable as error:
        session.rollback()
        link = _load(token)
        form.card_token.errors = [str(error)]
        return _card_page(link, form, status=503)
    session.commit()
    if intent.status == "requires_action":
        # 3-D Secure: Stripe.js finishes the authentication in the browser, then comes back to the status page.
        return _card_page(link, CardForm(formdata=None), client_secret=intent.client_secret)
    return _done(token)


def _intent_status(link: PaymentLink) -> str | None:
    """What Stripe says of the payment while the webhook has not been applied yet (display only)."""
    if link.payment_intent_id is None or link.status is not PaymentLinkStatus.OPEN:
        return None
    try:
        intent: PaymentIntentRef = gateway_for(current_app).retrieve_payment_intent(link.payment_intent_id)
    except PaymentUnavailable:
        return "unknown"
    return intent.status


@bp.get("/paiement/<token>/merci")
def pay_done(token: str):
    link = _load(token)
    stripe_status = _intent_status(link)
    pending = link.status is PaymentLinkStatus.PROCESSING or stripe_status in ("succeeded", "processing", "unknown")
    payable = ops.closed_reason(db.session, link, utcnow()) is None
    response = current_app.make_response(
        render_template(
            "agency_backoffice/payment_done.html",
            token=token,
            stripe_status=stripe_status,
            pending=pending,
            payable=payable,
            **_summary(link),
        )
    )
    if pending:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


@bp.post("/payments/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    """Stripe's signed notifications: verified on the raw body, each event applied once, in its own transaction."""
    session = db.session
    gateway = gateway_for(current_app)
    try:
        event = gateway.parse_webhook(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except WebhookRejected as error:
        current_app.logger.warning("Notification Stripe refusée (%s) : %s", error.reason, error)
        return {"error": error.reason, "message": str(error)}, 400
    try:
        outcome = apply_stripe_event(session, event.to_dict(), gateway=gateway, now=utcnow())
        session.commit()
    except PaymentUnavailable as error:
        # Stripe could not be asked about the payment: answer an error so that Stripe delivers the event again.
        session.rollback()
        current_app.logger.warning("Notification Stripe %s à rejouer : %s", event.id, error)
        return {"error": "unavailable", "message": str(error)}, 503
    except Exception:
        session.rollback()
        raise
    return {"event": event.id, "outcome": outcome}, 200


# --- staff: payment links of a lease -------------------------------------------------------------------------


def _call_choices(calls: list[LedgerEntry], due: dict[int, Decimal]) -> list[Any]:
    pairs = [("", "Tout ce qui est dû sur le compte")]
    pairs += [(str(call.id), f"Loyer de {month_year(call.period)} — reste {due[call.id]} €") for call in calls]
    return choices(pairs)


def _links_page(lease_id: int, form: PaymentLinkForm | None = None, *, status: int = 200, **extra: Any):
    session = db.session
    if not payments_enabled(current_app):
        abort(404)
    lease = get_lease_for_staff_or_404(session, current_user, lease_id)
    calls = list(lease_calls(session, lease.id))
    due = {call.id: ops.call_household_due(session, call) for call in calls}
    open_calls = [call for call in calls if due[call.id] > 0]
    form = form or PaymentLinkForm(formdata=None)
    form.call_id.choices = _call_choices(open_calls, due)
    links = session.scalars(
        select(PaymentLink).where(PaymentLink.lease_id == lease.id).order_by(PaymentLink.id.desc())
    ).all()
    audit(session, actor=current_user, action="payment_links.view", object_type="lease", object_id=lease.id)
    session.commit()
    return (
        render_template(
            "agency_backoffice/payment_links.html",
            lease=lease,
            form=form,
            links=links,
            lease_due=ops.lease_household_due(session, lease),
            writable=lease.status is not LeaseStatus.DRAFT,
            now=utcnow(),
            **extra,
        ),
        status,
    )


@staff_bp.get("/baux/<int:lease_id>/compte/lien-de-paiement")
def payment_links(lease_id: int):
    return _links_page(lease_id)


@staff_bp.post("/baux/<int:lease_id>/compte/lien-de-paiement")
def payment_link_create(lease_id: int):
    session = db.session
    if not payments_enabled(current_app):
        abort(404)
    lease = get_lease_for_staff_or_404(session, current_user, lease_id)
    form = PaymentLinkForm()
    if not form.validate_on_submit():
        return _links_page(lease_id, form, status=422)
    call = None
    if form.call_id.data:
        call = session.get(LedgerEntry, int(form.call_id.data)) if form.call_id.data.isdigit() else None
        if call is None or call.lease_id != lease.id or call.kind is not EntryKind.CALL:
            abort(404)
    try:
        link, token = ops.create_payment_link(
            session, lease, by=current_user, now=utcnow(), amount=form.amount.data, call=call
        )
    except ops.PaymentLinkError as error:
        session.rollback()
        form.amount.errors = [*form.amount.errors, str(error)]
        return _links_page(lease_id, form, status=422)
    session.commit()
    # The full address exists only now: the database keeps its hash.
    return _links_page(
        lease_id, created=link, created_url=absolute_url("payments.pay", token=token), expires=link.expires_at
    )
