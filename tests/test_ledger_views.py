"""Rent ledger pages through the Flask client: the account of a lease, a payment recorded and its quittance,
refusals in French that change nothing, a régularisation, a refund, the tiers-payant setting, the notice PDF,
the debtors' list, and another operator's staff kept out."""

from __future__ import annotations

import html
import io
import re
from datetime import date
from decimal import Decimal as D

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import BenefitPayer, EntryKind, LedgerDocument, LedgerEntry
from agency_backoffice.operations import ledger as ops
from agency_backoffice.rules.ledger import month_start
from capture.models import IMLMode
from passerelle.models import AuditEntry, OrganisationKind
from tests.conftest import login_as
from tests.factories import Factory

START = date(2026, 10, 12)


@pytest.fixture
def operator(make: Factory, parameters: None):  # type: ignore[no-untyped-def]
    return make.organisation(kind=OrganisationKind.ASSOCIATION, name="Association Toit d'abord")


@pytest.fixture
def staff(make: Factory, operator):  # type: ignore[no-untyped-def]
    return make.staff(operator, full_name="Lou Martin")


@pytest.fixture
def lease(app: Flask, make: Factory, session: Session, operator, staff):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        lease = make.lease(
            operator, by=staff, starts_on=START, rent=D("600.00"), mode=IMLMode.SUBLEASE, tenants=("Awa Diallo",)
        )
        lease.charges = D("50.00")
        ops.issue_rent_call(session, lease, month_start(START), on=START)
        ops.issue_rent_call(session, lease, date(2026, 11, 1), on=START)
    return lease


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def text(response) -> str:  # type: ignore[no-untyped-def]
    page = html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
    return re.sub(r"[\s\u00a0\u202f]+", " ", page)


def entries(session: Session, lease) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.lease_id == lease.id))


def test_account_shows_calls_and_balance_and_logs_the_view(client: FlaskClient, session, staff, lease) -> None:  # type: ignore[no-untyped-def]
    login_as(client, staff)
    response = client.get(f"/agence/baux/{lease.id}/compte")
    assert response.status_code == 200
    page = text(response)
    # October 12–31 (20 days of 31): rent 600 × 20 / 31 = 387.09, charges 50 × 20 / 31 = 32.25 (truncated);
    # November 650.00: 419.34 + 650.00 = 1,069.34 due.
    assert "387,09 €" in page and "32,25 €" in page and "600,00 €" in page
    assert "Solde : 1 069,34 € dus par le ménage" in page
    assert "Awa Diallo" in page
    assert session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "ledger.view", AuditEntry.object_id == str(lease.id))
    )


def test_a_payment_settles_the_oldest_month_and_issues_its_quittance(client, session, staff, lease) -> None:  # type: ignore[no-untyped-def]
    login_as(client, staff)
    response = client.post(
        f"/agence/baux/{lease.id}/compte/paiement",
        data={
            "paiement-amount": "500,00",
            "paiement-method": "transfer",
            "paiement-received_on": "2026-11-06",
            "paiement-reference": "VIR 123",
        },
    )
    assert response.status_code == 302
    page = text(client.get(f"/agence/baux/{lease.id}/compte"))
    # 500.00 − 419.34 (October) = 80.66 on November: 1,069.34 − 500.00 = 569.34 left.
    assert "Solde : 569,34 € dus par le ménage" in page
    documents = session.scalars(select(LedgerDocument).where(LedgerDocument.lease_id == lease.id)).all()
    assert sorted(d.kind.value for d in documents) == ["quittance", "recu"]
    quittance = next(d for d in documents if d.kind.value == "quittance")
    assert f"Quittance {quittance.number}" in page
    pdf = client.get(f"/agence/loyers/documents/{quittance.id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    body = pdf_text(pdf.data)
    assert "387,09" in body and "32,25" in body and "Awa Diallo" in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"paiement-amount": "", "paiement-method": "transfer", "paiement-received_on": "2026-11-06"},
            "Indiquez le montant reçu.",
        ),
        (
            {"paiement-amount": "-5", "paiement-method": "transfer", "paiement-received_on": "2026-11-06"},
            "compris entre 0,01 €",
        ),
        (
            {"paiement-amount": "12,345", "paiement-method": "transfer", "paiement-received_on": "2026-11-06"},
            "deux décimales",
        ),
        (
            {"paiement-amount": "abc", "paiement-method": "transfer", "paiement-received_on": "2026-11-06"},
            "Saisissez un nombre",
        ),
        (
            {"paiement-amount": "10", "paiement-method": "stripe", "paiement-received_on": "2026-11-06"},
            "pas un choix valide",
        ),
        ({"paiement-amount": "10", "paiement-method": "transfer", "paiement-received_on": "06/11/2026x"}, "date"),
    ],
)
def test_bad_payments_are_refused_in_french_and_change_nothing(client, session, staff, lease, data, message) -> None:  # type: ignore[no-untyped-def]
    login_as(client, staff)
    before = entries(session, lease)
    response = client.post(f"/agence/baux/{lease.id}/compte/paiement", data=data)
    assert response.status_code == 422
    assert message.lower() in text(response).lower()
    assert entries(session, lease) == before


def test_correction_refund_and_benefit(client, session, staff, lease) -> None:  # type: ignore[no-untyped-def]
    login_as(client, staff)
    client.post(
        f"/agence/baux/{lease.id}/compte/paiement",
        data={"paiement-amount": "1 169,34", "paiement-method": "cheque", "paiement-received_on": "2026-11-06"},
    )
    payment = session.scalar(select(LedgerEntry).where(LedgerEntry.kind == EntryKind.PAYMENT))
    # 1,169.34 paid for 1,069.34 due: 100.00 in advance, 60.00 of it given back.
    response = client.post(
        f"/agence/baux/{lease.id}/compte/remboursement",
        data={
            "remboursement-payment_id": str(payment.id),
            "remboursement-amount": "60",
            "remboursement-refunded_on": "2026-11-10",
            "remboursement-note": "Trop-perçu rendu",
        },
    )
    assert response.status_code == 302
    assert "40,00 € d'avance" in text(client.get(f"/agence/baux/{lease.id}/compte"))
    too_much = client.post(
        f"/agence/baux/{lease.id}/compte/remboursement",
        data={
            "remboursement-payment_id": str(payment.id),
            "remboursement-amount": "2000",
            "remboursement-refunded_on": "2026-11-10",
            "remboursement-note": "x",
        },
    )
    assert too_much.status_code == 422 and "dépasse" in text(too_much)
    response = client.post(
        f"/agence/baux/{lease.id}/compte/regularisation",
        data={
            "regularisation-direction": "debit",
            "regularisation-amount": "52,30",
            "regularisation-corrected_on": "2026-11-15",
            "regularisation-note": "Régularisation des charges 2026",
        },
    )
    assert response.status_code == 302
    # 40.00 in advance settle 40.00 of the 52.30 added: 12.30 due.
    assert "Solde : 12,30 € dus par le ménage" in text(client.get(f"/agence/baux/{lease.id}/compte"))
    missing_payer = client.post(
        f"/agence/baux/{lease.id}/compte/aide", data={"aide-benefit_monthly": "210", "aide-benefit_payer": ""}
    )
    assert missing_payer.status_code == 422 and "CAF ou MSA" in text(missing_payer)
    response = client.post(
        f"/agence/baux/{lease.id}/compte/aide", data={"aide-benefit_monthly": "210,50", "aide-benefit_payer": "caf"}
    )
    assert response.status_code == 302
    session.refresh(lease)
    assert (lease.benefit_monthly, lease.benefit_payer) == (D("210.50"), BenefitPayer.CAF)


def test_notice_pdf_and_debtors_list(client, session, staff, lease) -> None:  # type: ignore[no-untyped-def]
    login_as(client, staff)
    november = session.scalar(
        select(LedgerEntry).where(LedgerEntry.lease_id == lease.id, LedgerEntry.period == date(2026, 11, 1))
    )
    notice = client.get(f"/agence/loyers/appels/{november.id}/avis")
    assert notice.status_code == 200
    body = re.sub(r"\s+", " ", pdf_text(notice.data))
    # The notice carries October's unpaid 419.34 over: 650.00 + 419.34 = 1,069.34 to pay.
    assert "419,34" in body and "069,34" in body
    listing = text(client.get("/agence/loyers"))
    assert f"Compte du bail n° {lease.id}" in listing and "1 069,34 € dus" in listing


def test_another_operator_sees_nothing(client, make, session, lease) -> None:  # type: ignore[no-untyped-def]
    other = make.staff(make.organisation())
    login_as(client, other)
    call = session.scalar(select(LedgerEntry).where(LedgerEntry.lease_id == lease.id))
    assert client.get(f"/agence/baux/{lease.id}/compte").status_code == 404
    assert client.get(f"/agence/loyers/appels/{call.id}/avis").status_code == 404
    response = client.post(
        f"/agence/baux/{lease.id}/compte/paiement",
        data={"paiement-amount": "10", "paiement-method": "cash", "paiement-received_on": "2026-11-06"},
    )
    assert response.status_code == 404
    assert f"Compte du bail n° {lease.id}" not in text(client.get("/agence/loyers"))


def test_operator_rent_settings(client, session, staff, operator) -> None:  # type: ignore[no-untyped-def]
    login_as(client, staff)
    assert client.get("/agence/reglages/loyers").status_code == 200
    refused = client.post(
        "/agence/reglages/loyers", data={"rent_call_day": "31", "iban": "FR7630004000031234567890144", "bic": ""}
    )
    assert refused.status_code == 422
    page = text(refused)
    assert "entre 1 et 28" in page and "Cet IBAN n'est pas valide" in page
    session.refresh(operator)
    assert (operator.rent_call_day, operator.iban) == (25, None)
    response = client.post(
        "/agence/reglages/loyers",
        data={"rent_call_day": "20", "iban": "FR76 3000 4000 0312 3456 7890 143", "bic": "BNPAFRPPXXX"},
    )
    assert response.status_code == 302
    session.refresh(operator)
    assert (operator.rent_call_day, operator.iban, operator.bic) == (20, "FR7630004000031234567890143", "BNPAFRPPXXX")
