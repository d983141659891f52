"""Owner statements and payouts through the Flask client: the staff's list and PDFs, the payout page with its
French refusals, the batch file, the owner's own statements in the landlord space — and everyone else kept out.

Dates follow the clock: the statements are those of last month, as the staff's button and the daily job issue them.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal as D

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import OwnerStatement, PayoutBatch
from agency_backoffice.rules.ledger import month_start
from agency_backoffice.rules.statements import of_month
from capture.rules.locavantages import add_months
from passerelle import storage
from passerelle.formatting import PARIS
from passerelle.models import AuditEntry, OrganisationKind, Role, User
from tests.conftest import login_as
from tests.factories import Factory

OWNER_IBAN = "FR1420041010050500013M02606"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
TODAY = datetime.now(PARIS).date()
LAST_MONTH = add_months(month_start(TODAY), -1)
MOIS = f"{LAST_MONTH:%Y-%m}"


def text(response) -> str:  # type: ignore[no-untyped-def]
    page = html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))
    return re.sub(r"[\s\u00a0\u202f]+", " ", page)


def audited(session: Session, action: str, object_id: int | None = None) -> int:
    query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == str(object_id))
    return session.scalar(query) or 0


@dataclass
class World:
    staff: User
    other_staff: User
    owner: User  # landlord A: a unit let to the association, with an IBAN
    stranger: User  # landlord B: no statement
    waiting_name: str  # an owner of the association without an IBAN


@pytest.fixture
def world(app: Flask, make: Factory, parameters: None) -> World:
    association = make.organisation(kind=OrganisationKind.ASSOCIATION, name="Toit d'abord")
    association.iban, association.bic = "FR7630004000031234567890143", "BNPAFRPPXXX"
    staff = make.staff(association)
    owner = make.user(Role.LANDLORD, full_name="Hélène Dupré")
    starts = add_months(LAST_MONTH, -2)
    with app.test_request_context():
        landlord = make.landlord(owner, iban=OWNER_IBAN)
        make.available_unit(association, landlord=landlord, rent=D("480.00"), charges=D("40.00"), available_on=starts)
        waiting = make.available_unit(association, rent=D("300.00"), charges=D("0.00"), available_on=starts)
    return World(
        staff=staff,
        other_staff=make.staff(make.organisation(kind=OrganisationKind.AIS)),
        owner=owner,
        stranger=make.user(Role.LANDLORD),
        waiting_name=waiting.unit.landlord.name,
    )


def issue(client: FlaskClient, session: Session, world: World) -> OwnerStatement:
    login_as(client, world.staff)
    response = client.post("/agence/proprietaires/releves")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"?mois={MOIS}")
    (statement,) = session.scalars(select(OwnerStatement)).all()
    return statement


def test_staff_issue_list_and_download_statements(
    app: Flask, client: FlaskClient, session: Session, world: World
) -> None:
    statement = issue(client, session, world)
    # Last month, a whole month of the lease to the association: 480.00 + 40.00 = 520.00, no fees.
    assert (statement.period, statement.collected, statement.fees, statement.payout) == (
        LAST_MONTH,
        D("520.00"),
        D("0.00"),
        D("520.00"),
    )
    assert audited(session, "owner_statement.issue") == 1
    page = text(client.get(f"/agence/proprietaires/releves?mois={MOIS}"))
    assert "Hélène Dupré" in page and "520,00 €" in page and "loyer garanti" in page and "À payer" in page
    assert world.waiting_name not in page  # no IBAN: no statement yet
    assert audited(session, "owner_statement.list") == 1
    response = client.get(f"/agence/proprietaires/releves/{statement.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    with app.app_context():
        assert response.data == storage.read(statement.sha256)
    assert audited(session, "owner_statement.download", statement.id) == 1
    # A second click issues nothing new.
    client.post("/agence/proprietaires/releves")
    assert session.scalar(select(func.count(OwnerStatement.id))) == 1


def test_payout_page_batch_and_file(client: FlaskClient, session: Session, world: World) -> None:
    statement = issue(client, session, world)
    page = text(client.get(f"/agence/proprietaires/virements?mois={MOIS}"))
    assert "IBAN •••• 2606" in page and "Prêt" in page
    assert f"IBAN manquant pour {world.waiting_name} — 300,00 € à verser" in page
    assert "Créer le lot et le fichier SEPA" in page

    refused = client.post("/agence/proprietaires/virements", data={"month": MOIS, "execution_date": ""})
    assert refused.status_code == 422 and "Indiquez la date d'exécution des virements." in text(refused)

    response = client.post("/agence/proprietaires/virements", data={"month": MOIS, "execution_date": TODAY.isoformat()})
    assert response.status_code == 302
    batch = session.scalars(select(PayoutBatch)).one()
    assert (batch.count, batch.total, batch.period) == (1, D("520.00"), LAST_MONTH)
    session.refresh(statement)
    assert statement.batch_id == batch.id
    download = client.get(f"/agence/proprietaires/virements/{batch.id}/fichier")
    assert download.status_code == 200 and download.mimetype == "application/xml"
    assert "attachment" in download.headers["Content-Disposition"]
    document = ET.fromstring(download.data)  # noqa: S314 (our own file)
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "520.00"
    assert document.findtext(".//p:EndToEndId", namespaces=NS) == f"PASS-{statement.id}"
    assert audited(session, "payout_batch.create", batch.id) == 1
    assert audited(session, "payout_batch.download", batch.id) == 1

    # Nothing left to pay: the statement is never taken again.
    again = client.post("/agence/proprietaires/virements", data={"month": MOIS, "execution_date": TODAY.isoformat()})
    assert again.status_code == 422 and "à payer : rien à mettre dans un lot de virements" in text(again)
    assert session.scalar(select(func.count(PayoutBatch.id))) == 1
    page = text(client.get(f"/agence/proprietaires/virements?mois={MOIS}"))
    assert batch.message_id in page and "ne reste à payer" in page
    login_as(client, world.owner)
    assert "virement de 520,00 € le" in text(client.get("/proprietaire/"))


def test_other_operators_staff_metro_and_landlords_are_kept_out(
    client: FlaskClient, session: Session, make: Factory, world: World
) -> None:
    statement = issue(client, session, world)
    client.post("/agence/proprietaires/virements", data={"month": MOIS, "execution_date": TODAY.isoformat()})
    batch = session.scalars(select(PayoutBatch)).one()
    login_as(client, world.other_staff)
    assert client.get(f"/agence/proprietaires/releves/{statement.id}").status_code == 404
    assert client.get(f"/agence/proprietaires/virements/{batch.id}/fichier").status_code == 404
    assert "Hélène Dupré" not in text(client.get(f"/agence/proprietaires/releves?mois={MOIS}"))
    login_as(client, make.metro_user())
    for url in (
        "/agence/proprietaires/releves",
        "/agence/proprietaires/virements",
        f"/proprietaire/releves/{statement.id}",
    ):
        assert client.get(url).status_code == 403
    login_as(client, world.owner)
    assert client.get("/agence/proprietaires/releves").status_code == 403
    assert client.get(f"/agence/proprietaires/releves/{statement.id}").status_code == 403


def test_owner_sees_and_downloads_only_their_statements(client: FlaskClient, session: Session, world: World) -> None:
    statement = issue(client, session, world)
    login_as(client, world.owner)
    home = text(client.get("/proprietaire/"))
    assert "Mes relevés" in home and f"Relevé {of_month(LAST_MONTH)} — Toit d'abord — à vous verser : 520,00 €" in home
    response = client.get(f"/proprietaire/releves/{statement.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert audited(session, "owner_statement.download", statement.id) == 1
    login_as(client, world.stranger)
    assert client.get(f"/proprietaire/releves/{statement.id}").status_code == 404
    assert client.get("/proprietaire/releves/999999").status_code == 404
    assert "Mes relevés" not in text(client.get("/proprietaire/"))
    with client.session_transaction() as flask_session:
        flask_session.clear()
    assert client.get(f"/proprietaire/releves/{statement.id}").status_code == 302  # to the login page


def test_no_statement_month_and_operator_without_account(client: FlaskClient, session: Session, world: World) -> None:
    login_as(client, world.staff)
    assert "Aucun relevé pour" in text(client.get(f"/agence/proprietaires/releves?mois={MOIS}"))
    issue(client, session, world)
    world.staff.organisation.iban = None
    session.flush()
    page = text(client.get(f"/agence/proprietaires/virements?mois={MOIS}"))
    assert "Le compte bancaire de Toit d'abord (IBAN et BIC) n'est pas renseigné" in page
    assert "Créer le lot et le fichier SEPA" not in page
    response = client.post("/agence/proprietaires/virements", data={"month": MOIS, "execution_date": TODAY.isoformat()})
    assert response.status_code == 422
    assert session.scalar(select(func.count(PayoutBatch.id))) == 0
