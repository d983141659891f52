"""Lease pages through the Flask client: the draft from a proposal, its PDF, refusals in French, the lifecycle,
the list and operator isolation."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import Lease, LeaseEndReason, LeaseStatus, ProposalStatus
from capture.models import ConventionLevel, IMLMode, StockStatus
from passerelle.models import AuditEntry, OrganisationKind
from tests.conftest import login_as
from tests.factories import Factory

TODAY = date.today()


@pytest.fixture
def operator(make, parameters: None):
    make.irl()
    return make.organisation(name="Association Toit d'abord")


@pytest.fixture
def staff(make: Factory, operator):
    return make.staff(operator, full_name="Lou Martin")


@pytest.fixture
def new_lease(app: Flask, make, operator, staff):
    """``make.lease`` for the operator, in a request context of its own (the operation stores the PDF)."""

    def create(**fields):
        with app.test_request_context():
            return make.lease(operator, by=staff, **fields)

    return create


def lease_count(session: Session) -> int:
    return session.scalar(select(func.count(Lease.id))) or 0


def value_of(page: str, name: str) -> str | None:
    """The value an input of the page shows (attributes in any order)."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    found = re.search(r'\bvalue="([^"]*)"', tag.group(0)) if tag else None
    return found.group(1) if found else None


def checked(page: str, value: str) -> bool:
    tag = re.search(rf'<input[^>]*\bvalue="{value}"[^>]*>', page)
    return tag is not None and " checked" in tag.group(0)


def terms(**changes: str) -> dict[str, str | list[str]]:
    """A valid draft for a unit let 420 € + 60 € from today (the factory's defaults)."""
    data: dict[str, str | list[str]] = {
        "tenants": "Awa Diallo\nMoussa Diallo",
        "rent": "420",
        "charges": "60,00",
        "charges_method": "provision",
        "deposit": "420",
        "payment_day": "5",
        "starts_on": TODAY.isoformat(),
        "duration_months": "12",
        "annexes": ["inventory", "notice", "dpe"],
        "equipment": "Cuisine équipée",
        "support_clause": "Accompagnement IML hebdomadaire",
    }
    data.update(changes)
    return data


def test_the_draft_form_is_prefilled_with_the_unit_and_household(client: FlaskClient, make, operator, staff):
    proposal = make.ready_proposal(operator, by=staff, level=ConventionLevel.NONE, mode=IMLMode.BAIL_GLISSANT)
    login_as(client, staff)
    response = client.get(f"/agence/propositions/{proposal.id}/bail")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Camille Exemple</textarea>" in page  # the household's reference person as first tenant
    assert (value_of(page, "rent"), value_of(page, "charges"), value_of(page, "deposit")) == ("420", "60", "420")
    assert value_of(page, "starts_on") == max(TODAY, proposal.stock_entry.available_on).isoformat()
    assert value_of(page, "duration_months") == "12"  # bail glissant: the sub-lease is renewed yearly
    assert "convention tripartite de bail glissant" in page and "Accompagnement du ménage" in page
    assert checked(page, "inventory") and not checked(page, "lead")
    assert "moins de 18 mois" in page  # the previous-tenant rule is explained


def test_a_mandate_draft_names_the_agent_and_the_legal_minimum(client: FlaskClient, make, staff):
    ais = make.organisation(kind=OrganisationKind.AIS)
    agent = make.staff(ais)
    proposal = make.ready_proposal(ais, by=agent, level=ConventionLevel.NONE, mode=IMLMode.MANDATE)
    login_as(client, agent)
    page = client.get(f"/agence/propositions/{proposal.id}/bail").get_data(as_text=True)
    assert "signé par l&#39;opérateur en qualité de mandataire" in page
    assert value_of(page, "duration_months") == "36" and "36 mois (loi du 6 juillet 1989" in page
    assert "support_clause" not in page


def test_posting_the_draft_creates_a_lease_whose_pdf_downloads(client: FlaskClient, make, session, operator, staff):
    proposal = make.ready_proposal(operator, by=staff, level=ConventionLevel.NONE)
    login_as(client, staff)
    response = client.post(f"/agence/propositions/{proposal.id}/bail", data=terms())
    lease = session.scalars(select(Lease).where(Lease.proposal_id == proposal.id)).one()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/agence/baux/{lease.id}")
    assert lease.status is LeaseStatus.DRAFT and lease.tenants == ["Awa Diallo", "Moussa Diallo"]
    assert lease.charges == Decimal("60") and lease.annexes == ["inventory", "notice", "dpe"]

    detail = client.get(f"/agence/baux/{lease.id}").get_data(as_text=True)
    assert f"Bail n° {lease.id} préparé en brouillon" in detail
    assert "Contrat de sous-location" in detail and "Enregistrer la signature" in detail
    (document,) = lease.documents
    link = f"/agence/baux/{lease.id}/documents/{document.id}"
    assert link in detail
    pdf = client.get(link)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    actions = set(
        session.scalars(select(AuditEntry.action).where(AuditEntry.object_id.in_([str(lease.id), str(document.id)])))
    )
    assert {"lease.draft", "lease.view", "lease_document.download"} <= actions
    # The proposal now leads to its lease instead of a second draft.
    again = client.get(f"/agence/propositions/{proposal.id}/bail")
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/agence/baux/{lease.id}")


def test_the_proposal_page_offers_to_prepare_the_lease(client: FlaskClient, make, operator, staff):
    proposal = make.ready_proposal(operator, by=staff, level=ConventionLevel.NONE)
    login_as(client, staff)
    page = client.get(f"/agence/propositions/{proposal.id}").get_data(as_text=True)
    assert f'href="/agence/propositions/{proposal.id}/bail">Préparer le bail</a>' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"deposit": "420,01"}, "Le dépôt de garantie (420,01\u00a0€) dépasse un mois de loyer hors charges"),
        ({"starts_on": TODAY.isoformat()}, "Le logement n&#39;est disponible qu&#39;à partir du"),
        ({"tenants": " \n "}, "Ce champ est obligatoire."),
        ({"rent": "quatre cents"}, "Saisissez un nombre, par exemple 45,5."),
    ],
    ids=["deposit-above-one-month", "start-before-availability", "no-tenant", "rent-not-a-number"],
)
def test_bad_terms_are_refused_in_french_and_nothing_is_saved(
    client: FlaskClient, make, session, operator, staff, changes, message
):
    available = TODAY + timedelta(days=10)
    proposal = make.ready_proposal(operator, by=staff, level=ConventionLevel.NONE, available_on=available)
    login_as(client, staff)
    data = terms(starts_on=available.isoformat())
    data.update(changes)
    response = client.post(f"/agence/propositions/{proposal.id}/bail", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "Le formulaire contient des erreurs" in page
    assert lease_count(session) == 0
    session.expire_all()
    assert proposal.status is ProposalStatus.READY_FOR_LEASE


def test_a_draft_is_edited_and_its_document_issued_again(
    new_lease, client: FlaskClient, make, session, operator, staff
):
    lease = new_lease(status="draft")
    login_as(client, staff)
    form = client.get(f"/agence/baux/{lease.id}/modifier").get_data(as_text=True)
    assert "Awa Diallo</textarea>" in form
    refused = client.post(
        f"/agence/baux/{lease.id}/modifier", data=terms(deposit="9999", starts_on=lease.starts_on.isoformat())
    )
    assert refused.status_code == 422 and "dépasse un mois de loyer" in refused.get_data(as_text=True)
    session.expire_all()
    assert lease.deposit == Decimal("420") and len(lease.documents) == 1
    done = client.post(
        f"/agence/baux/{lease.id}/modifier", data=terms(deposit="300", starts_on=lease.starts_on.isoformat())
    )
    assert done.status_code == 302
    session.expire_all()
    assert lease.deposit == Decimal("300") and len(lease.documents) == 2


def test_sign_then_move_in_then_end_through_the_pages(new_lease, client: FlaskClient, make, session, operator, staff):
    lease = new_lease(status="draft", starts_on=TODAY - timedelta(days=20))
    login_as(client, staff)
    url = f"/agence/baux/{lease.id}"
    # A signature in the future is refused by the operation, with its message on the field.
    future = client.post(
        f"{url}/signer",
        data={"signed_on": (TODAY + timedelta(days=1)).isoformat(), "signatories": "Awa Diallo", "method": "paper"},
    )
    assert future.status_code == 422 and "ne peut pas être dans le futur" in future.get_data(as_text=True)
    session.expire_all()
    assert lease.status is LeaseStatus.DRAFT

    signed_on = TODAY - timedelta(days=25)
    response = client.post(
        f"{url}/signer",
        data={
            "signed_on": signed_on.isoformat(),
            "signatories": "Awa Diallo ; pour l'association, Lou Martin",
            "method": "electronic",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert lease.status is LeaseStatus.SIGNED and lease.signed_on == signed_on
    assert lease.stock_entry.status is StockStatus.LET
    page = client.get(url).get_data(as_text=True)
    assert "Signature enregistrée" in page and "signature électronique" in page
    assert "Entrée dans les lieux" in page and "Annuler le bail" in page and "Modifier</a>" not in page

    early = client.post(f"{url}/entree", data={"activated_on": (TODAY - timedelta(days=21)).isoformat()})
    assert early.status_code == 422 and "ne peut pas précéder la prise d&#39;effet" in early.get_data(as_text=True)
    assert client.post(f"{url}/entree", data={"activated_on": lease.starts_on.isoformat()}).status_code == 302
    session.expire_all()
    assert lease.status is LeaseStatus.ACTIVE and lease.activated_on == lease.starts_on
    page = client.get(url).get_data(as_text=True)
    assert "Mettre fin au bail" in page
    assert 'value="slide"' not in page and 'value="cancelled"' not in page

    assert client.post(f"{url}/fin", data={"ended_on": TODAY.isoformat()}).status_code == 422  # no reason
    response = client.post(
        f"{url}/fin",
        data={
            "reason": "tenant_notice",
            "notice_on": (TODAY - timedelta(days=5)).isoformat(),
            "ended_on": TODAY.isoformat(),
            "note": "Départ en logement social",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert lease.status is LeaseStatus.ENDED and lease.end_reason is LeaseEndReason.TENANT_NOTICE
    assert lease.stock_entry.status is StockStatus.AVAILABLE
    page = client.get(url).get_data(as_text=True)
    assert "Congé donné par le ménage" in page and "Départ en logement social" in page
    assert 'action="/agence/baux/' not in page  # no more steps


def test_a_signed_lease_is_cancelled_before_move_in(new_lease, client: FlaskClient, make, session, operator, staff):
    lease = new_lease(status="signed", starts_on=TODAY)
    login_as(client, staff)
    response = client.post(
        f"/agence/baux/{lease.id}/fin", data={"ended_on": TODAY.isoformat(), "note": "Le ménage a renoncé"}
    )
    assert response.status_code == 302
    session.expire_all()
    assert lease.status is LeaseStatus.ENDED and lease.end_reason is LeaseEndReason.CANCELLED
    assert "Annulé le" in client.get(f"/agence/baux/{lease.id}").get_data(as_text=True)


def test_the_list_filters_by_status(new_lease, client: FlaskClient, make, operator, staff):
    draft = new_lease(status="draft", tenants=("Inès Brouillon",))
    active = new_lease(status="active", tenants=("Jo Encours",))
    login_as(client, staff)
    everything = client.get("/agence/baux").get_data(as_text=True)
    assert "Inès Brouillon" in everything and "Jo Encours" in everything and "2 baux" in everything
    drafts = client.get("/agence/baux?statut=draft").get_data(as_text=True)
    assert "Inès Brouillon" in drafts and "Jo Encours" not in drafts
    assert f"/agence/baux/{draft.id}" in drafts and f"/agence/baux/{active.id}" not in drafts
    assert "Aucun bail à ce statut" in client.get("/agence/baux?statut=ended").get_data(as_text=True)
    assert "Baux</a>" in everything  # the staff navigation


def test_staff_of_another_operator_get_404_on_every_lease_url(
    new_lease, client: FlaskClient, make, session, operator, staff
):
    lease = new_lease(status="draft")
    ready = make.ready_proposal(operator, by=staff, level=ConventionLevel.NONE)
    (document,) = lease.documents
    stranger = make.staff(make.organisation())
    login_as(client, stranger)
    base = f"/agence/baux/{lease.id}"
    for url in (base, f"{base}/modifier", f"{base}/documents/{document.id}", f"/agence/propositions/{ready.id}/bail"):
        assert client.get(url).status_code == 404, url
    for url in (
        f"{base}/modifier",
        f"{base}/signer",
        f"{base}/entree",
        f"{base}/fin",
        f"/agence/propositions/{ready.id}/bail",
    ):
        assert client.post(url, data=terms()).status_code == 404, url
    assert "Awa Diallo" not in client.get("/agence/baux").get_data(as_text=True)
    session.expire_all()
    assert lease.status is LeaseStatus.DRAFT and lease_count(session) == 1


def test_a_document_of_another_lease_is_not_served_under_this_one(
    new_lease, client: FlaskClient, make, operator, staff
):
    first = new_lease(status="draft")
    second = new_lease(status="draft")
    login_as(client, staff)
    assert client.get(f"/agence/baux/{first.id}/documents/{second.documents[0].id}").status_code == 404


def test_every_lease_form_carries_a_csrf_token(new_lease, client: FlaskClient, make, operator, staff, csrf_enabled):
    draft = new_lease(status="draft")
    signed = new_lease(status="signed", starts_on=TODAY)
    proposal = make.ready_proposal(operator, by=staff, level=ConventionLevel.NONE)
    login_as(client, staff)
    urls = (
        f"/agence/baux/{draft.id}",
        f"/agence/baux/{signed.id}",
        f"/agence/baux/{draft.id}/modifier",
        f"/agence/propositions/{proposal.id}/bail",
    )
    for url in urls:
        forms = re.findall(r'<form[^>]*method="post".*?</form>', client.get(url).get_data(as_text=True), re.S)
        assert forms and all('name="csrf_token"' in form for form in forms), url
    assert client.post(f"/agence/baux/{draft.id}/signer", data={"signed_on": TODAY.isoformat()}).status_code == 400
