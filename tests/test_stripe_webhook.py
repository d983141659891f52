"""Stripe's webhook through the Flask client (both engines): real signature checks, and each payment recorded
exactly once whatever the retries, duplicates and order of events — against PaymentIntents that really exist in
localstripe, since an event that may be stale is checked against the intent's current state."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import (
    BenefitPayer,
    EntryKind,
    LedgerDocument,
    LedgerDocumentKind,
    LedgerEntry,
    PaymentLink,
    PaymentLinkStatus,
    PaymentMethod,
    StripeEvent,
)
from agency_backoffice.operations import ledger as ledger_ops
from agency_backoffice.operations import payment_events
from agency_backoffice.operations import payments as ops
from agency_backoffice.queries.ledger import lease_balance
from agency_backoffice.rules.ledger import month_start
from capture.models import IMLMode
from passerelle.models import OrganisationKind
from passerelle.payments import PaymentUnavailable, StripeGateway, gateway_for
from tests.factories import Factory
from tests.stripe_support import (
    TEST_WEBHOOK_SECRET,
    charge_refunded,
    confirm_test_payment,
    event_payload,
    localstripe_config,
    payment_intent_object,
    payment_intent_payment_failed,
    payment_intent_succeeded,
    sign_payload,
    wait_for_status,
)

START = date(2026, 10, 12)
AMOUNT_CENTS = 86934  # 419.34 € (October 12–31) + 650.00 € (November) − 200.00 € of CAF benefit = 869.34 €
# 21 November 2026 at 23:30 UTC is already the 22nd in Paris (UTC+1): the payment is dated the 22nd.
PAID_AT = int(datetime(2026, 11, 21, 23, 30, tzinfo=UTC).timestamp())
WEBHOOK = "/payments/stripe/webhook"


@pytest.fixture
def stripe_on(app: Flask, localstripe_url: str, monkeypatch: pytest.MonkeyPatch) -> StripeGateway:
    for key, value in localstripe_config(localstripe_url).items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.delitem(app.extensions, "passerelle.stripe", raising=False)
    return gateway_for(app)


@pytest.fixture
def lease(app: Flask, make: Factory, session: Session, parameters: None):  # type: ignore[no-untyped-def]
    operator = make.organisation(kind=OrganisationKind.ASSOCIATION, name="Association Toit d'abord")
    staff = make.staff(operator, full_name="Lou Martin")
    with app.test_request_context():
        lease = make.lease(
            operator, by=staff, starts_on=START, rent=D("600.00"), mode=IMLMode.SUBLEASE, tenants=("Awa Diallo",)
        )
        lease.charges = D("50.00")
        lease.benefit_monthly, lease.benefit_payer = D("200.00"), BenefitPayer.CAF
        ledger_ops.issue_rent_call(session, lease, month_start(START), on=START)
        ledger_ops.issue_rent_call(session, lease, date(2026, 11, 1), on=START)
    lease.staff = staff
    return lease


@pytest.fixture
def link(app: Flask, session: Session, stripe_on: StripeGateway, lease) -> Iterator[PaymentLink]:  # type: ignore[no-untyped-def]
    """A link of 869.34 € whose PaymentIntent exists in localstripe (not paid yet)."""
    with app.test_request_context():
        link, _token = ops.create_payment_link(session, lease, by=lease.staff, now=datetime.now(UTC))
        ops.start_payment(session, link, stripe_on, now=datetime.now(UTC))
    session.commit()  # the test's savepoint: requests see the link
    yield link


def deliver(client: FlaskClient, payload: bytes, *, secret: str = TEST_WEBHOOK_SECRET, at: int | None = None):  # type: ignore[no-untyped-def]
    header = sign_payload(payload, secret, int(time.time()) if at is None else at)
    return client.post(WEBHOOK, data=payload, headers={"Stripe-Signature": header, "Content-Type": "application/json"})


def metadata(link: PaymentLink) -> dict[str, str]:
    return {"payment_link_id": str(link.id), "lease_id": str(link.lease_id), "operator_id": str(link.operator_id)}


def ledger(session: Session, lease) -> list[tuple[str, D, str | None]]:  # type: ignore[no-untyped-def]
    """The lease's entries other than its two calls: (kind, amount, external id)."""
    rows = session.execute(
        select(LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.external_id)
        .where(LedgerEntry.lease_id == lease.id, LedgerEntry.kind != EntryKind.CALL)
        .order_by(LedgerEntry.id)
    ).all()
    return [(kind.value, amount, external) for kind, amount, external in rows]


# --- signatures --------------------------------------------------------------------------------------------


def test_only_deliveries_signed_with_our_secret_recently_and_unaltered_are_accepted(
    client: FlaskClient, session: Session, link: PaymentLink
) -> None:
    payload = payment_intent_succeeded(
        event_id="evt_sig",
        intent_id=str(link.payment_intent_id),
        amount_cents=AMOUNT_CENTS,
        metadata=metadata(link),
        created=PAID_AT,
    )
    assert client.post(WEBHOOK, data=payload).json["error"] == "header"
    assert deliver(client, payload, secret="whsec_someone_else").json["error"] == "signature"
    assert deliver(client, payload, at=int(time.time()) - 301).json["error"] == "timestamp"  # tolerance 300 s
    header = sign_payload(payload, TEST_WEBHOOK_SECRET, int(time.time()))
    altered = payload.replace(b'"amount": 86934', b'"amount": 1')
    assert altered != payload
    response = client.post(WEBHOOK, data=altered, headers={"Stripe-Signature": header})
    assert (response.status_code, response.json["error"]) == (400, "signature")
    assert session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    assert session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.amount < 0)) == 0


# --- exactly once ------------------------------------------------------------------------------------------


def test_the_same_succeeded_event_delivered_three_times_records_one_payment_and_its_receipts(
    client: FlaskClient, session: Session, stripe_on: StripeGateway, link: PaymentLink, lease
) -> None:  # type: ignore[no-untyped-def]
    intent_id = str(link.payment_intent_id)
    confirm_test_payment(stripe_on, intent_id)
    payload = payment_intent_succeeded(
        event_id="evt_triple",
        intent_id=intent_id,
        amount_cents=AMOUNT_CENTS,
        metadata=metadata(link),
        created=PAID_AT,
    )
    outcomes = [deliver(client, payload) for _ in range(3)]
    assert [response.status_code for response in outcomes] == [200, 200, 200]
    assert [response.json["outcome"] for response in outcomes] == [
        "paiement de 869,34\xa0€ enregistré",
        "déjà traité",
        "déjà traité",
    ]
    session.expire_all()
    payment = session.scalar(select(LedgerEntry).where(LedgerEntry.external_id == intent_id))
    assert payment is not None
    assert (payment.amount, payment.method, payment.booked_on) == (
        D("-869.34"),
        PaymentMethod.STRIPE,
        date(2026, 11, 22),
    )
    assert ledger(session, lease) == [("payment", D("-869.34"), intent_id)]
    # 1,069.34 € called − 869.34 € paid = 200.00 €, the CAF's part, still to come.
    assert lease_balance(session, lease.id) == D("200.00")
    assert session.get(PaymentLink, link.id).status is PaymentLinkStatus.PAID  # type: ignore[union-attr]
    # Oldest first: October (419.34 €) fully paid → its quittance; November gets 450.00 of 650.00 € → a reçu.
    documents = session.execute(
        select(LedgerEntry.period, LedgerDocument.kind)
        .join(LedgerDocument, LedgerDocument.entry_id == LedgerEntry.id)
        .where(LedgerDocument.lease_id == lease.id)
        .order_by(LedgerEntry.period)
    ).all()
    assert documents == [
        (date(2026, 10, 1), LedgerDocumentKind.QUITTANCE),
        (date(2026, 11, 1), LedgerDocumentKind.RECU),
    ]
    assert session.scalar(select(func.count()).select_from(StripeEvent)) == 1


def test_two_different_events_for_the_same_intent_record_one_payment(
    client: FlaskClient, session: Session, link: PaymentLink, lease
) -> None:  # type: ignore[no-untyped-def]
    intent_id = str(link.payment_intent_id)
    first, second = (
        payment_intent_succeeded(
            event_id=event_id,
            intent_id=intent_id,
            amount_cents=AMOUNT_CENTS,
            metadata=metadata(link),
            created=PAID_AT,
        )
        for event_id in ("evt_one", "evt_two")
    )
    assert deliver(client, first).json["outcome"] == "paiement de 869,34\xa0€ enregistré"
    assert deliver(client, second).json["outcome"] == "paiement déjà enregistré"
    assert ledger(session, lease) == [("payment", D("-869.34"), intent_id)]
    assert session.scalar(select(func.count()).select_from(StripeEvent)) == 2


def test_an_event_for_a_payment_passerelle_does_not_know_is_acknowledged_and_ignored(
    client: FlaskClient, session: Session, stripe_on
) -> None:  # type: ignore[no-untyped-def]
    payload = payment_intent_succeeded(
        event_id="evt_other_shop",
        intent_id="pi_other_shop",
        amount_cents=1500,
        metadata={"order": "A-1"},
        created=PAID_AT,
    )
    response = deliver(client, payload)
    assert (response.status_code, response.json["outcome"]) == (200, "ignoré : paiement inconnu de Passerelle")
    assert session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.amount < 0)) == 0


# --- out of order --------------------------------------------------------------------------------------------


def _events(link: PaymentLink) -> dict[str, bytes]:
    intent_id, meta = str(link.payment_intent_id), metadata(link)
    charge = f"ch_{intent_id.removeprefix('pi_')}"
    return {
        "processing": event_payload(
            "payment_intent.processing",
            payment_intent_object(intent_id, amount_cents=AMOUNT_CENTS, status="processing", metadata=meta),
            event_id="evt_processing",
            created=PAID_AT - 60,
        ),
        "succeeded": payment_intent_succeeded(
            event_id="evt_succeeded",
            intent_id=intent_id,
            amount_cents=AMOUNT_CENTS,
            metadata=meta,
            created=PAID_AT,
            charge_id=charge,
        ),
        "declined": payment_intent_payment_failed(
            event_id="evt_declined",
            intent_id=intent_id,
            amount_cents=AMOUNT_CENTS,
            metadata=meta,
            created=PAID_AT - 120,
            failure_code="card_declined",
        ),
        "failed": payment_intent_payment_failed(
            event_id="evt_failed",
            intent_id=intent_id,
            amount_cents=AMOUNT_CENTS,
            metadata=meta,
            created=PAID_AT + 60,
            failure_code="insufficient_funds",
            method="sepa_debit",
        ),
        # Stripe reports the total refunded so far on the charge: 100.00 €, then all of it.
        "refund_100": charge_refunded(
            event_id="evt_refund_100",
            charge_id=charge,
            intent_id=intent_id,
            amount_cents=AMOUNT_CENTS,
            amount_refunded_cents=10000,
            metadata={},
            created=PAID_AT + 120,
        ),
        "refund_all": charge_refunded(
            event_id="evt_refund_all",
            charge_id=charge,
            intent_id=intent_id,
            amount_cents=AMOUNT_CENTS,
            amount_refunded_cents=AMOUNT_CENTS,
            metadata={},
            created=PAID_AT + 180,
        ),
    }


def _paid(gateway: StripeGateway, intent_id: str) -> None:
    confirm_test_payment(gateway, intent_id)


def _debit_returned(gateway: StripeGateway, intent_id: str) -> None:
    """A SEPA debit the bank rejects: processing, then back to requires_payment_method."""
    confirm_test_payment(gateway, intent_id, "sepa_debit", succeed=False)
    assert wait_for_status(gateway, intent_id, "requires_payment_method").status == "requires_payment_method"


PAYMENT = ("payment", D("-869.34"))
RETURNED = ("refund", D("869.34"))

SCENARIOS: list[tuple[str, Callable[[StripeGateway, str], None], list[str], list[tuple[str, D]], str, D]] = [
    # (name, what really happened at Stripe, delivery order, other entries, link status, balance)
    # 1,069.34 called; paid 869.34 → 200.00 left (the CAF's part).
    ("card", _paid, ["processing", "succeeded"], [PAYMENT], "paid", D("200.00")),
    # A first card declined, a second one accepted on the same intent: one payment, in both orders.
    ("declined then paid", _paid, ["declined", "succeeded"], [PAYMENT], "paid", D("200.00")),
    ("declined then paid, decline last", _paid, ["succeeded", "declined"], [PAYMENT], "paid", D("200.00")),
    ("card, late processing", _paid, ["succeeded", "processing", "succeeded"], [PAYMENT], "paid", D("200.00")),
    # A debit returned after it succeeded: paid then given back → 1,069.34 still due, whatever the order.
    ("returned", _debit_returned, ["succeeded", "failed"], [PAYMENT, RETURNED], "failed", D("1069.34")),
    (
        "returned, failure first",
        _debit_returned,
        ["failed", "succeeded", "failed"],
        [PAYMENT, RETURNED],
        "failed",
        D("1069.34"),
    ),
    ("debit rejected before any success", _debit_returned, ["processing", "failed"], [], "failed", D("1069.34")),
    ("debit rejected, processing late", _debit_returned, ["failed", "processing"], [], "failed", D("1069.34")),
    # Refunds of 100.00 then of the rest: 869.34 refunded in all → 1,069.34 due again, in any order.
    (
        "refunds",
        _paid,
        ["succeeded", "refund_100", "refund_all"],
        [PAYMENT, ("refund", D("100.00")), ("refund", D("769.34"))],
        "paid",
        D("1069.34"),
    ),
    (
        "refunds, newest first",
        _paid,
        ["succeeded", "refund_all", "refund_100"],
        [PAYMENT, RETURNED],
        "paid",
        D("1069.34"),
    ),
    (
        "refund before the success",
        _paid,
        ["refund_100", "succeeded", "refund_all", "succeeded"],
        [PAYMENT, ("refund", D("100.00")), ("refund", D("769.34"))],
        "paid",
        D("1069.34"),
    ),
]


@pytest.mark.parametrize(
    ("happened", "order", "entries", "status", "balance"),
    [scenario[1:] for scenario in SCENARIOS],
    ids=[scenario[0] for scenario in SCENARIOS],
)
def test_any_order_of_events_ends_in_the_right_ledger(
    client: FlaskClient,
    session: Session,
    stripe_on: StripeGateway,
    link: PaymentLink,
    lease,
    happened,
    order,
    entries,
    status,
    balance,
) -> None:  # type: ignore[no-untyped-def]
    happened(stripe_on, str(link.payment_intent_id))
    events = _events(link)
    for name in order:
        assert deliver(client, events[name]).status_code == 200
    session.expire_all()
    assert [(kind, amount) for kind, amount, _external in ledger(session, lease)] == entries
    assert lease_balance(session, lease.id) == balance
    refreshed = session.get(PaymentLink, link.id)
    assert refreshed is not None and refreshed.status.value == status
    if status == "failed":
        assert refreshed.failure_message == "Provision insuffisante sur le compte."


def test_when_stripe_cannot_be_asked_the_event_is_refused_for_a_later_retry(
    client: FlaskClient, session: Session, stripe_on: StripeGateway, link: PaymentLink, lease, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _paid(stripe_on, str(link.payment_intent_id))
    refund_first = _events(link)["refund_100"]

    def unreachable(intent_id: str):  # type: ignore[no-untyped-def]
        raise PaymentUnavailable("Le service de paiement ne répond pas (APIConnectionError).")

    with monkeypatch.context() as patch:
        patch.setattr(stripe_on, "retrieve_payment_intent", unreachable)
        response = deliver(client, refund_first)
    assert response.status_code == 503  # Stripe delivers it again later
    assert session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    response = deliver(client, refund_first)
    assert response.json["outcome"] == "remboursement de 100,00\xa0€ enregistré"
    assert [(kind, amount) for kind, amount, _ in ledger(session, lease)] == [PAYMENT, ("refund", D("100.00"))]


def test_a_delivery_that_did_not_see_a_concurrent_payment_is_stopped_by_the_database(
    client: FlaskClient, session: Session, link: PaymentLink, lease, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Two events for one intent applied at the same moment: the second read "no payment yet" before the first
    committed; the unique external id refuses its insert, and the delivery is acknowledged without a second payment."""
    intent_id = str(link.payment_intent_id)
    first, second = (
        payment_intent_succeeded(
            event_id=event_id, intent_id=intent_id, amount_cents=AMOUNT_CENTS, metadata=metadata(link), created=PAID_AT
        )
        for event_id in ("evt_race_1", "evt_race_2")
    )
    assert deliver(client, first).status_code == 200
    real_entry, reads = payment_events._entry, []

    def stale_first_read(session_: Session, external_id: str) -> LedgerEntry | None:
        reads.append(external_id)
        return None if len(reads) == 1 else real_entry(session_, external_id)

    monkeypatch.setattr(payment_events, "_entry", stale_first_read)
    response = deliver(client, second)
    assert (response.status_code, response.json["outcome"]) == (200, "paiement déjà enregistré")
    assert reads[:2] == [intent_id, intent_id]  # the stale read, then the read after the refused insert
    assert ledger(session, lease) == [("payment", D("-869.34"), intent_id)]
