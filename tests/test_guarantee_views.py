"""Guarantee pages through the Flask client: each kind added, refusals in French (422, nothing saved), removal,
the guarantees on the lease page, the operator's deposit-waiver setting and operator isolation."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import Guarantee, GuaranteeKind, LeaseDocumentKind
from capture.models import IMLMode
from passerelle.models import AuditEntry
from tests.conftest import login_as
from tests.factories import Factory

K = GuaranteeKind
TODAY = date.today()
SIGNED_ON = TODAY - timedelta(days=30)  # the factory signs on the start date


@pytest.fixture
def operator(make: Factory, parameters: None):  # type: ignore[no-untyped-def]
    make.irl()
    operator = make.organisation(name="Association Toit d'abord")
    operator.email = "garanties@toit.example"
    return operator


@pytest.fixture
def staff(make: Factory, operator):  # type: ignore[no-untyped-def]
    return make.staff(operator, full_name="Lou Martin")


@pytest.fixture
def new_lease(app: Flask, make: Factory, operator, staff):  # type: ignore[no-untyped-def]
    """``make.lease`` for the operator, in a request context of its own (the operation stores the PDF)."""

    def create(**fields):  # type: ignore[no-untyped-def]
        with app.test_request_context():
            return make.lease(operator, by=staff, **fields)

    return create


def markup(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text without tags, entities decoded, every run of spaces (French ones too) read as one space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", html.unescape(re.sub(r"<[^>]+>", "", markup(response))))


def count(session: Session) -> int:
    return session.scalar(select(func.count(Guarantee.id))) or 0


def new_url(lease, kind: GuaranteeKind | None = None) -> str:  # type: ignore[no-untyped-def]
    return f"/agence/baux/{lease.id}/garanties/nouvelle" + (f"?type={kind.value}" if kind else "")


VALID = {
    K.VISALE: {
        "visa_number": "V202611",
        "visa_issued_on": (SIGNED_ON - timedelta(days=5)).isoformat(),
        "visale_area": "other",
    },
    K.FSL: {
        "fsl_departement": "69",
        "fsl_decision_reference": "FSL-2026-118",
        "fsl_decision_on": (TODAY - timedelta(days=3)).isoformat(),
        "amount": "850,00",
    },
    K.OPERATOR_FUND: {
        "covered_months": "6",
        "amount": "3 000",
        "starts_on": SIGNED_ON.isoformat(),
        "expires_on": (SIGNED_ON + timedelta(days=3 * 365)).isoformat(),
    },
    K.GLI: {"insurer": "Assurances Exemple", "policy_number": "GLI-42", "amount": ""},
    K.PERSONAL_GUARANTOR: {"guarantor_name": "Marie Diallo", "note": "Sa tante"},
}


@pytest.mark.parametrize("kind", list(GuaranteeKind))
def test_staff_add_each_kind_of_guarantee(client: FlaskClient, session, staff, new_lease, kind):
    lease = new_lease(status="active")
    login_as(client, staff)
    form = client.get(new_url(lease, kind))
    assert form.status_code == 200 and kind.label in text(form)
    response = client.post(new_url(lease, kind), data=VALID[kind])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/agence/baux/{lease.id}#titre-garanties")
    (guarantee,) = session.scalars(select(Guarantee).where(Guarantee.lease_id == lease.id)).all()
    assert guarantee.kind is kind and guarantee.created_by_id == staff.id
    page = text(client.get(f"/agence/baux/{lease.id}"))
    assert f"Garantie enregistrée : {kind.label}." in page


def test_the_visale_form_shows_the_caps_for_the_lease_s_area_and_date(client, make, staff, new_lease):
    paris = make.commune("75056", "Paris", region="11")
    lease = new_lease(status="signed", commune=paris, starts_on=date(2026, 1, 6))
    login_as(client, staff)
    response = client.get(new_url(lease, K.VISALE))
    page = text(response)
    assert "Plafond Visale pour un bail prenant effet le 6 janvier 2026" in page
    assert "Île-de-France : 1 940,00 € par mois" in page and "480,00 €, dans le plafond." in page
    assert "les 3 premières années du bail : jusqu'au 5 janvier 2029" in page
    assert 'name="visale_area"' not in markup(response)  # the commune decides

    elsewhere = new_lease(status="signed", starts_on=date(2025, 12, 1))
    response = client.get(new_url(elsewhere, K.VISALE))
    page = text(response)
    assert "Agglomération de plus de 100 000 habitants, Corse ou outre-mer : 1 300,00 €" in page
    assert "Ailleurs : 1 300,00 €" in page and "n'est pas limitée dans le temps" in page
    assert 'name="visale_area"' in markup(response) and "Passerelle ne connaît pas la population" in page


def test_without_a_kind_the_page_offers_each_kind(client, staff, new_lease):
    lease = new_lease(status="draft")
    login_as(client, staff)
    page = markup(client.get(new_url(lease)))
    for kind in GuaranteeKind:
        assert f'href="/agence/baux/{lease.id}/garanties/nouvelle?type={kind.value}"' in page
    assert client.post(new_url(lease), data={}).status_code == 422


def test_bad_input_gets_french_messages_a_422_and_nothing_saved(client, session, staff, new_lease):
    lease = new_lease(status="active")
    login_as(client, staff)
    before = count(session)

    response = client.post(new_url(lease, K.VISALE), data={"visa_number": "", "visa_issued_on": ""})
    assert response.status_code == 422
    page = text(response)
    assert "Indiquez le numéro du visa." in page and "Indiquez la date de délivrance du visa." in page
    assert "Indiquez si la commune fait partie d'une grande agglomération." in page

    late = dict(VALID[K.VISALE], visa_issued_on=TODAY.isoformat())
    response = client.post(new_url(lease, K.VISALE), data=late)
    assert response.status_code == 422 and "Le visa doit exister avant la signature du bail" in text(response)

    fund = dict(VALID[K.OPERATOR_FUND], expires_on=SIGNED_ON.isoformat())
    response = client.post(new_url(lease, K.OPERATOR_FUND), data=fund)
    assert response.status_code == 422 and "La fin de la garantie doit suivre son début" in text(response)

    response = client.post(new_url(lease, K.FSL), data=dict(VALID[K.FSL], amount="douze"))
    assert response.status_code == 422 and "Saisissez un nombre" in text(response)

    assert count(session) == before
    session.expire_all()
    assert not [d for d in lease.documents if d.kind is LeaseDocumentKind.GUARANTEE_ATTESTATION]


def test_a_second_gli_and_a_gli_next_to_a_guarantor_are_refused(client, session, staff, new_lease):
    lease = new_lease(status="active")
    login_as(client, staff)
    client.post(new_url(lease, K.PERSONAL_GUARANTOR), data=VALID[K.PERSONAL_GUARANTOR])
    response = client.post(new_url(lease, K.GLI), data=VALID[K.GLI])
    assert response.status_code == 422 and "ne peut pas se cumuler avec une caution personnelle" in text(response)
    response = client.post(new_url(lease, K.GLI), data=dict(VALID[K.GLI], student="y"))
    assert response.status_code == 302
    response = client.post(new_url(lease, K.GLI), data=dict(VALID[K.GLI], student="y"))
    assert response.status_code == 422 and "une seule par bail" in text(response)
    assert count(session) == 2


def test_the_lease_page_lists_the_guarantees_with_the_attestation_and_removes_one(client, session, staff, new_lease):
    lease = new_lease(status="active")
    login_as(client, staff)
    client.post(new_url(lease, K.OPERATOR_FUND), data=VALID[K.OPERATOR_FUND])
    client.post(new_url(lease, K.VISALE), data=VALID[K.VISALE])
    fund, visale = session.scalars(select(Guarantee).where(Guarantee.lease_id == lease.id).order_by(Guarantee.id))
    session.expire_all()
    (attestation,) = [d for d in lease.documents if d.kind is LeaseDocumentKind.GUARANTEE_ATTESTATION]

    response = client.get(f"/agence/baux/{lease.id}")
    page, source = text(response), markup(response)
    assert "Impayés couverts : 6 mois, au plus 3 000,00 €" in page
    assert f'href="/agence/baux/{lease.id}/documents/{attestation.id}"' in source
    assert "Télécharger l'attestation de garantie" in page
    assert "Loyer charges comprises : 480,00 € — dans le plafond de 1 365,00 € : éligible à Visale" in page
    assert f'action="/agence/baux/{lease.id}/garanties/{visale.id}/retirer"' in source
    assert f'href="/agence/baux/{lease.id}/garanties/nouvelle"' in source and "Ajouter une garantie" in page
    download = client.get(f"/agence/baux/{lease.id}/documents/{attestation.id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")

    response = client.post(f"/agence/baux/{lease.id}/garanties/{visale.id}/retirer")
    assert response.status_code == 302
    session.refresh(visale)
    assert visale.expires_on == TODAY
    response = client.get(f"/agence/baux/{lease.id}")
    page, source = text(response), markup(response)
    assert "Elle reste dans l'historique du bail." in page and "Terminée le" in page
    assert f'action="/agence/baux/{lease.id}/garanties/{visale.id}/retirer"' not in source
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "guarantee.end")) is not None
    assert fund.expires_on is not None and fund.expires_on > TODAY


def test_a_sublease_shows_the_association_s_commitment_above_the_household_s_guarantees(client, staff, new_lease):
    lease = new_lease(status="signed", mode=IMLMode.SUBLEASE, rent=Decimal("420"), charges=Decimal("60"))
    login_as(client, staff)
    page = text(client.get(f"/agence/baux/{lease.id}"))
    commitment = page.index("La garantie du propriétaire : l'engagement de l'association")
    assert commitment < page.index("Garanties du ménage")
    assert "soit 480,00 € chaque mois, même si le logement est vacant et même si l'occupant ne paie pas" in page
    assert "remis en état, sans aucun frais pour lui" in page


def test_another_operator_s_staff_get_404(client, make, session, new_lease):
    lease = new_lease(status="active")
    with_guarantee = new_lease(status="active")
    login_as(client, make.staff(make.organisation()))
    assert client.get(new_url(lease, K.GLI)).status_code == 404
    assert client.post(new_url(lease, K.GLI), data=VALID[K.GLI]).status_code == 404
    assert count(session) == 0
    guarantee = Guarantee(lease_id=with_guarantee.id, kind=K.PERSONAL_GUARANTOR, guarantor_name="Marie Diallo")
    session.add(guarantee)
    session.flush()
    assert client.post(f"/agence/baux/{with_guarantee.id}/garanties/{guarantee.id}/retirer").status_code == 404


def test_a_guarantee_is_removed_only_through_its_own_lease(client, session, staff, new_lease):
    lease, other = new_lease(status="active"), new_lease(status="active")
    guarantee = Guarantee(lease_id=other.id, kind=K.PERSONAL_GUARANTOR, guarantor_name="Marie Diallo")
    session.add(guarantee)
    session.flush()
    login_as(client, staff)
    assert client.post(f"/agence/baux/{lease.id}/garanties/{guarantee.id}/retirer").status_code == 404
    assert guarantee.expires_on is None


def test_the_settings_page_saves_the_deposit_waivers(client, session, operator, staff, new_lease):
    login_as(client, staff)
    page = text(client.get("/agence/reglages/baux"))
    assert "Réglages des baux" in page and "au plus un mois de loyer hors charges" in page
    response = client.post("/agence/reglages/baux", data={"kinds": ["operator_fund"]})
    assert response.status_code == 302
    session.refresh(operator)
    assert operator.deposit_waived_with == ["operator_fund"]
    boxes = re.findall(r"<input[^>]*checkbox[^>]*>", markup(client.get("/agence/reglages/baux")))
    assert [box for box in boxes if " checked" in box] == [b for b in boxes if 'value="operator_fund"' in b]

    # A draft asking a deposit cannot take the fund now: the form says so before and after posting.
    draft = new_lease(status="draft")
    assert "ramenez d'abord le dépôt de garantie du bail à 0 €" in text(client.get(new_url(draft, K.OPERATOR_FUND)))
    response = client.post(new_url(draft, K.OPERATOR_FUND), data=VALID[K.OPERATOR_FUND])
    assert response.status_code == 422 and count(session) == 0

    response = client.post("/agence/reglages/baux", data={"kinds": ["deposit"]})
    assert response.status_code == 422
    session.refresh(operator)
    assert operator.deposit_waived_with == ["operator_fund"]
    assert client.post("/agence/reglages/baux", data={}).status_code == 302
    session.refresh(operator)
    assert operator.deposit_waived_with == []


def test_a_landlord_cannot_reach_the_settings(client, make):
    login_as(client, make.user())
    assert client.get("/agence/reglages/baux").status_code == 403


def test_removal_needs_the_csrf_token_the_lease_page_carries(client, session, staff, new_lease, csrf_enabled):
    lease = new_lease(status="active")
    guarantee = Guarantee(lease_id=lease.id, kind=K.PERSONAL_GUARANTOR, guarantor_name="Marie Diallo")
    session.add(guarantee)
    session.flush()
    login_as(client, staff)
    action = f"/agence/baux/{lease.id}/garanties/{guarantee.id}/retirer"
    form = re.search(rf'<form[^>]*action="{action}".*?</form>', markup(client.get(f"/agence/baux/{lease.id}")), re.S)
    assert form is not None
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(0))
    assert token is not None

    assert client.post(action).status_code == 400  # CSRFProtect, before the view
    session.refresh(guarantee)
    assert guarantee.expires_on is None
    assert client.post(action, data={"csrf_token": token.group(1)}).status_code == 302
    session.refresh(guarantee)
    assert guarantee.expires_on == TODAY
