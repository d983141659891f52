"""The landlord's declaration and space through the Flask client, on a real database."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from capture.models import (
    CaptureCase,
    CaptureStage,
    DeclarationStatus,
    IMLMode,
    Incident,
    IncidentStatus,
    Landlord,
    LeadSource,
    RoutingRule,
    Unit,
    UnitDocument,
)
from passerelle.mail import outbox
from passerelle.models import AuditEntry, OrganisationKind, Role
from tests.conftest import login_as
from tests.factories import PNG_1PX, Factory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def territory_setup(make: Factory, parameters: None):  # type: ignore[no-untyped-def]
    arras = make.commune("62041", "Arras")
    make.commune("62263", "Dainville")
    territory = make.territory(communes=[arras])
    ais = make.organisation(kind=OrganisationKind.AIS, territory=territory, name="AIS Test")
    association = make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory, name="Asso Test")
    session = make.session
    session.add_all(
        [
            RoutingRule(territory_id=territory.id, commune_insee=None, mode=IMLMode.MANDATE, operator_id=ais.id),
            RoutingRule(
                territory_id=territory.id,
                commune_insee=None,
                mode=IMLMode.SUBLEASE,
                operator_id=association.id,
            ),
        ]
    )
    session.flush()
    staff = make.staff(ais, email="agent@ais.test")
    return {"ais": ais, "association": association, "staff": staff, "arras": arras}


def _post_profile(client: FlaskClient) -> None:
    response = client.post(
        "/proprietaire/profil",
        data={
            "kind": "person",
            "name": "Claire Martin",
            "phone": "06 12 34 56 78",
            "address": "3 rue des Capucins",
            "postal_code": "62000",
            "city": "Arras",
            "preferred_contact": "phone",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def _new_draft(client: FlaskClient) -> int:
    response = client.post("/proprietaire/logements/nouveau")
    assert response.status_code == 302
    return int(re.search(r"/logements/(\d+)/etape/adresse", response.headers["Location"]).group(1))


def _fill_all_steps(client: FlaskClient, unit_id: int) -> None:
    base = f"/proprietaire/logements/{unit_id}/etape"
    steps = {
        "adresse": {"address": "14 rue Saint-Aubert", "postal_code": "62000", "commune": "Arras"},
        "logement": {
            "surface_m2": "45,5",
            "annexes_m2": "6",
            "rooms": "2",
            "floor": "2",
            "has_lift": "no",
            "step_free": "no",
            "heating": "individual_gas",
            "furnished": "no",
            "dpe_class": "D",
            "dpe_energy_kwh_m2": "210",
        },
        "disponibilite": {
            "vacant_since": "2025-06-01",
            "available_from": "2027-01-01",
            "visit_availability": "Le samedi matin",
            "asked_rent": "560",
            "charges": "40",
        },
        "formule": {"desired_mode": "mandate", "desired_level": "loc2"},
    }
    for step, data in steps.items():
        response = client.post(f"{base}/{step}", data={**data, "action": "next"})
        assert response.status_code == 302, (step, response.get_data(as_text=True)[:3000])


def test_declaration_from_draft_to_capture_case(
    app: Flask, client: FlaskClient, session: Session, make: Factory, territory_setup
) -> None:
    landlord_user = make.user(Role.LANDLORD)
    login_as(client, landlord_user)
    _post_profile(client)
    unit_id = _new_draft(client)

    # A draft saved explicitly is kept and resumed with its values.
    saved = client.post(
        f"/proprietaire/logements/{unit_id}/etape/adresse",
        data={"address": "14 rue Saint-Aubert", "action": "save"},
    )
    assert saved.headers["Location"].endswith("/etape/adresse")
    assert "14 rue Saint-Aubert" in client.get(f"/proprietaire/logements/{unit_id}/etape/adresse").get_data(
        as_text=True
    )

    _fill_all_steps(client, unit_id)
    unit = session.get(Unit, unit_id)
    session.refresh(unit)
    assert unit.commune_insee == "62041" and str(unit.surface_m2) == "45.50"
    assert unit.status is DeclarationStatus.DRAFT

    upload = client.post(
        f"/proprietaire/logements/{unit_id}/etape/documents",
        data={
            "photos": [(io.BytesIO(PNG_1PX), "salon.png")],
            "dpe_document": (io.BytesIO(PDF), "dpe.pdf"),
            "action": "next",
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    kinds = sorted(session.scalars(select(UnitDocument.kind).where(UnitDocument.unit_id == unit_id)))
    assert kinds == ["dpe", "photo"]

    detail = client.get(f"/proprietaire/logements/{unit_id}").get_data(as_text=True)
    assert "Transmettre à l'opérateur" in detail

    submitted = client.post(f"/proprietaire/logements/{unit_id}/transmettre")
    assert submitted.status_code == 302
    case = session.scalar(select(CaptureCase).where(CaptureCase.unit_id == unit_id))
    assert case is not None
    assert case.operator_id == territory_setup["ais"].id
    assert case.stage is CaptureStage.NEW and case.source is LeadSource.PORTAL
    session.refresh(unit)
    assert unit.status is DeclarationStatus.SUBMITTED
    notice = outbox(app)[-1]
    assert notice.to == "agent@ais.test"
    assert "Claire" not in notice.body and "Saint-Aubert" not in notice.body  # no personal data in notices

    # The unit shows in « mes logements » with its stage; the operator's staff see the new case.
    home = client.get("/proprietaire/").get_data(as_text=True)
    assert "14 rue Saint-Aubert" in home and "Nouveau" in home
    login_as(client, territory_setup["staff"])
    assert f"N° {case.id}" in client.get("/captation/").get_data(as_text=True)
    page = client.get(f"/captation/dossiers/{case.id}").get_data(as_text=True)
    assert "Claire Martin" in page and "06 12 34 56 78" in page
    views = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "capture_case.view", AuditEntry.object_id == str(case.id))
    )
    assert views == 1


def test_submission_of_an_incomplete_draft_is_refused(
    client: FlaskClient, session: Session, make: Factory, territory_setup
) -> None:
    login_as(client, make.user(Role.LANDLORD))
    _post_profile(client)
    unit_id = _new_draft(client)
    response = client.post(f"/proprietaire/logements/{unit_id}/transmettre", follow_redirects=True)
    assert "La déclaration est incomplète" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(CaptureCase)) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("surface_m2", "quarante", "Saisissez un nombre"),
        ("surface_m2", "-3", "Entre 1 et 1"),
        ("rooms", "3.5", "entier"),
        ("dpe_class", "H", "choix"),
    ],
)
def test_bad_input_changes_nothing(
    client: FlaskClient,
    session: Session,
    make: Factory,
    territory_setup,
    field: str,
    value: str,
    message: str,
) -> None:
    login_as(client, make.user(Role.LANDLORD))
    unit_id = _new_draft(client)
    response = client.post(
        f"/proprietaire/logements/{unit_id}/etape/logement",
        data={"rooms": "2", field: value, "action": "next"},
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    unit = session.get(Unit, unit_id)
    session.refresh(unit)
    assert unit.rooms is None


def test_unknown_and_ambiguous_communes(client: FlaskClient, make: Factory, territory_setup) -> None:
    make.commune("40001", "Saint-Test", epci=None)
    make.commune("50001", "Saint-Test", epci=None)
    login_as(client, make.user(Role.LANDLORD))
    unit_id = _new_draft(client)
    unknown = client.post(f"/proprietaire/logements/{unit_id}/etape/adresse", data={"commune": "Atlantide"})
    assert "Commune introuvable" in unknown.get_data(as_text=True)
    ambiguous = client.post(f"/proprietaire/logements/{unit_id}/etape/adresse", data={"commune": "Saint-Test"})
    html = ambiguous.get_data(as_text=True)
    assert "Plusieurs communes" in html and "Saint-Test (40)" in html and "Saint-Test (50)" in html
    precise = client.post(
        f"/proprietaire/logements/{unit_id}/etape/adresse",
        data={"commune": "Saint-Test (50)", "action": "next"},
    )
    assert precise.status_code == 302


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "photo.png", "type accepté"),
        (b"", "vide.jpg", "est vide"),
        (b"GIF89a" + b"0" * 20, "anim.gif", "type accepté"),
    ],
)
def test_uploads_are_checked_by_content(
    app: Flask, client: FlaskClient, session: Session, make: Factory, territory_setup, content, name, message
) -> None:
    login_as(client, make.user(Role.LANDLORD))
    unit_id = _new_draft(client)
    response = client.post(
        f"/proprietaire/logements/{unit_id}/etape/documents",
        data={"photos": [(io.BytesIO(PNG_1PX), "ok.png"), (io.BytesIO(content), name)], "action": "next"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    # The valid file sent with the bad one is not kept either: nothing half-saved.
    assert session.scalar(select(func.count()).select_from(UnitDocument)) == 0


def test_oversized_upload_is_refused(
    app: Flask, client: FlaskClient, session: Session, make: Factory, territory_setup, monkeypatch
) -> None:
    # A small limit keeps the request in memory (a large body would spill to a temporary file).
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 2048)
    login_as(client, make.user(Role.LANDLORD))
    unit_id = _new_draft(client)
    big = b"\x89PNG\r\n\x1a\n" + b"0" * (app.config["PHOTO_MAX_BYTES"] + 1)
    response = client.post(
        f"/proprietaire/logements/{unit_id}/etape/documents",
        data={"photos": [(io.BytesIO(big), "grande.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "dépasse la taille autorisée" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(UnitDocument)) == 0


def test_documents_are_served_safely(client: FlaskClient, make: Factory, app: Flask) -> None:
    user = make.user(Role.LANDLORD)
    operator = make.organisation()
    with app.app_context():
        unit, _case, document, _incident = make.captured_unit_with_incident(user, operator)
    login_as(client, user)
    response = client.get(f"/proprietaire/logements/{unit.id}/documents/{document.id}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == PNG_1PX
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_landlord_b_reaches_nothing_of_landlord_a(
    client: FlaskClient, make: Factory, app: Flask, session: Session
) -> None:
    user_a, user_b = make.user(Role.LANDLORD), make.user(Role.LANDLORD)
    operator = make.organisation()
    with app.app_context():
        unit, _case, document, incident = make.captured_unit_with_incident(user_a, operator)
    draft = make.unit(session.scalar(select(Landlord).where(Landlord.user_id == user_a.id)))
    login_as(client, user_b)
    urls = [
        f"/proprietaire/logements/{unit.id}",
        f"/proprietaire/logements/{draft.id}",
        f"/proprietaire/logements/{draft.id}/etape/adresse",
        f"/proprietaire/logements/{unit.id}/documents/{document.id}",
        f"/proprietaire/logements/{unit.id}/signaler",
        f"/proprietaire/signalements/{incident.id}",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/proprietaire/logements/{draft.id}/etape/adresse", data={"address": "piraté"}).status_code == 404
    )
    assert client.post(f"/proprietaire/logements/{draft.id}/transmettre").status_code == 404
    session.refresh(draft)
    assert draft.address != "piraté"


def test_incident_from_landlord_to_staff_and_back(
    app: Flask, client: FlaskClient, session: Session, make: Factory, parameters: None
) -> None:
    user = make.user(Role.LANDLORD)
    operator = make.organisation(name="AIS Alerte")
    staff = make.staff(operator, email="alerte@ais.test")
    other_staff = make.staff(make.organisation())
    with app.app_context():
        unit, _case, _document, _old = make.captured_unit_with_incident(user, operator)
    login_as(client, user)
    empty = client.post(f"/proprietaire/logements/{unit.id}/signaler", data={})
    assert empty.status_code == 200 and "Choisissez le type de difficulté." in empty.get_data(as_text=True)
    response = client.post(
        f"/proprietaire/logements/{unit.id}/signaler",
        data={"kind": "unpaid_rent", "description": "Le loyer d'octobre n'a pas été versé."},
    )
    assert response.status_code == 302
    incident = session.scalar(select(Incident).where(Incident.kind == "unpaid_rent"))
    assert incident is not None and incident.operator_id == operator.id
    assert incident.response_due_on > incident.created_at.date()
    assert outbox(app)[-1].to == "alerte@ais.test"

    login_as(client, other_staff)
    assert client.get(f"/agence/signalements/{incident.id}").status_code == 404
    login_as(client, staff)
    queue = client.get("/agence/signalements").get_data(as_text=True)
    assert "Loyer impayé" in queue
    answer = client.post(
        f"/agence/signalements/{incident.id}",
        data={"message": "Nous appelons le ménage aujourd'hui.", "status": "in_progress"},
    )
    assert answer.status_code == 302
    session.refresh(incident)
    assert incident.status is IncidentStatus.IN_PROGRESS

    login_as(client, user)
    follow_up = client.get(f"/proprietaire/signalements/{incident.id}").get_data(as_text=True)
    assert "Nous appelons le ménage aujourd&#39;hui." in follow_up and "En cours de traitement" in follow_up
