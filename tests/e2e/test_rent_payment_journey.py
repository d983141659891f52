"""Issue 7's online payment in a real browser: a rent call → the staff's payment link → the household pays by
card on (localstripe's) Stripe.js form, no account → localstripe posts the signed webhook to the live server →
the payment and the quittance in the staff's view of the account, and the quittance PDF → the owner gives their
IBAN, and once the month's statement is issued (the scheduler's job), downloads it from their space."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import EntryKind, LedgerEntry
from agency_backoffice.operations import ledger as ledger_ops
from agency_backoffice.operations.statements import issue_owner_statements
from agency_backoffice.rules.ledger import month_start, next_month
from capture.models import IMLMode
from passerelle.db import db
from passerelle.formatting import money
from passerelle.models import OrganisationKind, Role
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, Factory
from tests.stripe_support import TEST_CARD, localstripe_config, register_localstripe_webhook

pytestmark = pytest.mark.browser

OPERATOR = "AIS Loyer en Ligne"
TENANT = "Mariam Koné"
OWNER_IBAN = "FR76 3000 6000 0112 3456 7890 189"


@dataclass(frozen=True)
class World:
    lease_id: int
    operator_id: int
    staff_email: str
    owner_email: str
    due: Decimal


def _lease_with_a_rent_call(app: Flask) -> World:
    """Committed in the live server's database: an AIS, its staff member, an owner with an account, a lease under
    mandate that started last month, and its rent calls (last month prorated, this month in full)."""
    today = date.today()
    starts_on = month_start(today) - timedelta(days=10)
    with Session(db.engine_for(app)) as session, app.test_request_context():
        make: Any = Factory(session)
        operator = make.organisation(kind=OrganisationKind.AIS, name=OPERATOR)
        operator.iban, operator.bic = "FR7630004000031234567890143", "BNPAFRPPXXX"
        staff = make.staff(operator, full_name="Inès Moreau")
        owner = make.landlord(make.user(Role.LANDLORD, full_name="Claire Martin"))
        lease = make.lease(
            operator,
            by=staff,
            mode=IMLMode.MANDATE,
            landlord=owner,
            starts_on=starts_on,
            tenants=(TENANT,),
            rent=Decimal("410"),
            address="8 rue du Paiement",
        )
        for period in (month_start(starts_on), month_start(today)):
            ledger_ops.issue_rent_call(session, lease, period, on=starts_on)
        due = sum(
            (call.amount for call in session.scalars(select(LedgerEntry).where(LedgerEntry.lease_id == lease.id))),
            Decimal("0"),
        )
        world = World(lease.id, operator.id, staff.email, owner.email, due)
        session.commit()
        return world


@pytest.fixture
def stripe_live(live_app: Flask, live_server: str, localstripe_url: str) -> Iterator[str]:
    """Online payment switched on for this journey only, localstripe delivering its events to the live server."""
    saved = {key: live_app.config.get(key) for key in localstripe_config(localstripe_url)}
    live_app.config.update(localstripe_config(localstripe_url))
    register_localstripe_webhook(localstripe_url, f"{live_server}/payments/stripe/webhook", hook_id="e2e")
    try:
        yield localstripe_url
    finally:
        register_localstripe_webhook(
            localstripe_url, f"{live_server}/payments/stripe/webhook", hook_id="e2e", events=[]
        )
        live_app.config.update(saved)


def _login(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def _pdf_text(data: bytes) -> str:
    text = " ".join((page.extract_text() or "") for page in PdfReader(BytesIO(data)).pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def test_rent_payment_journey(page, browser, live_app: Flask, live_server: str, stripe_live: str) -> None:  # type: ignore[no-untyped-def]
    world = _lease_with_a_rent_call(live_app)
    amount = money(world.due)

    # 1. The staff member opens the lease's account: two rent calls, not paid.
    _login(page, world.staff_email)
    page.goto(f"/agence/baux/{world.lease_id}/compte")
    expect(page.get_by_role("heading", name=f"Compte du bail n° {world.lease_id}")).to_be_visible()
    expect(page.locator("#solde")).to_contain_text(f"{amount} dus par le ménage")

    # 2. The payment link for everything due, its address shown once.
    page.goto(f"/agence/baux/{world.lease_id}/compte/lien-de-paiement")
    expect(page.get_by_text(f"Reste à payer par le ménage : {amount}")).to_be_visible()
    page.get_by_role("button", name="Créer le lien de paiement").click()
    expect(page.locator("#lien-cree")).to_contain_text("Lien de paiement créé")
    address = page.get_by_label("Adresse du lien").input_value()
    assert re.fullmatch(rf"{re.escape(live_server)}/paiement/[A-Za-z0-9_-]{{43}}", address)
    screenshot(page, "payment-link-created")

    # 3. The household opens the link in its own browser, with no account, and pays by card.
    payer_context = browser.new_context(locale="fr-FR")
    payer = payer_context.new_page()
    errors: list[str] = []
    payer.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    payer.goto(address)
    expect(payer.get_by_role("heading", name="Paiement en ligne")).to_be_visible()
    expect(payer.locator("dl")).to_contain_text(OPERATOR)
    expect(payer.locator("dl")).to_contain_text(amount)
    assert TENANT not in payer.content()
    payer.get_by_role("button", name=f"Payer {amount} par carte bancaire").click()
    expect(payer.get_by_role("heading", name="Paiement par carte bancaire")).to_be_visible()
    card = payer.locator("#carte")
    expect(card.get_by_placeholder("number")).to_be_visible()  # the Stripe.js form, from localstripe
    card.get_by_placeholder("number").fill(TEST_CARD)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("40")
    card.get_by_placeholder("cvc").fill("123")
    screenshot(payer, "payment-card-form")
    payer.get_by_role("button", name=f"Payer {amount}").click()

    # 4. Stripe confirms; the webhook records the payment; the status page updates itself.
    payer.wait_for_url("**/merci")
    expect(payer.get_by_role("heading", name="Paiement reçu, merci")).to_be_visible(timeout=20_000)
    screenshot(payer, "payment-done")
    assert not [error for error in errors if "Content Security Policy" in error], errors
    payer_context.close()

    # 5. The staff's view: the online payment, the account up to date, the quittance of each month.
    page.goto(f"/agence/baux/{world.lease_id}/compte")
    expect(page.locator("#solde")).to_contain_text("Compte à jour")
    expect(page.get_by_role("rowheader", name="Paiement — Paiement en ligne")).to_be_visible()
    quittances = page.get_by_role("link", name=re.compile("^Quittance Q-"))
    expect(quittances).to_have_count(2)
    screenshot(page, "payment-staff-account")
    with page.expect_download() as download:
        quittances.first.click()
    path = download.value.path()
    assert path is not None
    text = _pdf_text(path.read_bytes())
    assert "Paiement en ligne" in text
    assert TENANT in text

    with Session(db.engine_for(live_app)) as session:
        payments = session.scalars(
            select(LedgerEntry).where(LedgerEntry.lease_id == world.lease_id, LedgerEntry.kind == EntryKind.PAYMENT)
        ).all()
        assert [(entry.amount, entry.method.value if entry.method else None) for entry in payments] == [
            (-world.due, "stripe")
        ]

    # 6. The owner gives their IBAN in their space; the statement of the month is issued (the job of the 1st).
    owner = browser.new_context(locale="fr-FR", base_url=live_server).new_page()
    _login(owner, world.owner_email)
    owner.goto("/proprietaire/coordonnees-bancaires")
    owner.get_by_label(re.compile("^Titulaire du compte")).fill("Claire Martin")
    owner.get_by_label(re.compile("^IBAN")).fill(OWNER_IBAN)
    owner.get_by_role("button", name="Enregistrer").click()
    expect(owner.get_by_text("se terminant par 0189")).to_be_visible()
    with Session(db.engine_for(live_app)) as session, live_app.test_request_context():
        run = issue_owner_statements(session, on=next_month(date.today()), operator_ids=[world.operator_id])
        assert len(run.created) == 1
        session.commit()
    owner.reload()
    statement = owner.get_by_role("link", name=re.compile("^Relevé "))
    expect(statement).to_have_count(1)
    screenshot(owner, "owner-statement")
    with owner.expect_download() as download:
        statement.click()
    path = download.value.path()
    assert path is not None
    text = _pdf_text(path.read_bytes())
    # Under mandate: the rent collected online for the owner, and only the end of their IBAN.
    assert "Relevé de gérance" in text and "0189" in text and "3000 6000 0112" not in text
    assert OPERATOR in text
