"""Visit → agreement → signature → stock entry and Anah follow-ups, on the database and through the pages."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from capture import operations as capture_ops
from capture.models import (
    ActivityKind,
    Agreement,
    AnahFollowUp,
    AssessmentOutcome,
    CaptureActivity,
    CaptureCase,
    CaptureStage,
    DeclarationStatus,
    FollowUpKind,
    IMLMode,
    LeadSource,
    SignatureMethod,
    StockEntry,
    StockStatus,
    UnitAssessment,
    UnitDocument,
)
from capture.operations import agreements as ops
from capture.rules.assessment import CHECKLIST
from passerelle import storage
from passerelle.models import AuditEntry, OrganisationKind, RentReference, Role, User
from passerelle.reference.queries import parameter_at
from tests.conftest import login_as
from tests.factories import PNG_1PX, Factory

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # 10:30 in Paris
NNBSP, NBSP = "\u202f", "\u00a0"


@dataclass
class World:
    operator_staff: User
    other_staff: User
    landlord_user: User
    other_landlord: User
    case: CaptureCase


@pytest.fixture
def context(app: Flask) -> Iterator[None]:
    """Operations store PDFs in the app's upload folder."""
    with app.test_request_context():
        yield


def build(make: Factory, session: Session, *, market: D = D("12.30"), available: date = date(2026, 11, 15)) -> World:
    commune = make.commune("69901", "Villeurbanne-Essai")
    session.add(
        RentReference(
            commune_insee=commune.insee,
            edition=2024,
            housing_type="appartement",
            rent_m2=market,
            prediction_level="commune",
            source="essai",
        )
    )
    territory = make.territory(communes=[commune])
    operator = make.organisation(kind=OrganisationKind.AIS, territory=territory, name="AIS Louer solidaire")
    operator.management_fee_rate = D("0.07")
    operator.address = "5 place Bellecour, 69002 Lyon"
    other = make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory)
    landlord_user = make.user(Role.LANDLORD, full_name="Claire Dupont-Moreau")
    landlord = make.landlord(landlord_user, address="12 rue des Lilas", postal_code="69003", city="Lyon")
    unit = make.unit(
        landlord,
        commune=commune,
        status=DeclarationStatus.SUBMITTED,
        address="8 rue Paul Bert",
        postal_code="69100",
        surface_m2=D("44"),  # declared; the visit measures 45
        annexes_m2=D("6"),
        available_from=available,
    )
    case = capture_ops.open_capture_case(
        session, operator=operator, source=LeadSource.PORTAL, by=landlord_user, unit=unit, landlord=landlord
    )
    return World(make.staff(operator), make.staff(other), landlord_user, make.user(Role.LANDLORD), case)


def visit_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "visited_on": TODAY,
        "answers": {item.key: True for item in CHECKLIST},
        "surface_m2": D("45"),
        "annexes_m2": D("6"),
        "rooms": 2,
        "main_room_m2": D("14"),
        "ceiling_height_m": D("2.50"),
        "dpe_class": "D",
        "works": [],
        "notes": None,
    }
    data.update(changes)
    return data


def terms(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "mode": "mandate",
        "level": "loc2",
        "rent": D("450"),
        "charges": D("40"),
        "duration_months": 36,
        "fee_rate": D("0.07"),
        "starts_on": date(2026, 12, 1),
    }
    values.update(changes)
    return values


def cap_by_hand(session: Session, market: D, discount: D) -> D:
    """S = 45 + min(6 / 2, 8) = 48; coefficient min(1.2, round(0.7 + 19 / 48, 2)) = 1.10."""
    deduction = parameter_at(session, "locavantages.market_rent_charges_deduction_rate", TODAY).value
    assert isinstance(deduction, D)
    excluding = (market * (1 - deduction)).quantize(D("0.01"))
    return (excluding * (1 - discount) * D("48") * D("1.10")).quantize(D("0.01"))


def pdf_text(sha256: str) -> str:
    reader = PdfReader(io.BytesIO(storage.read(sha256)))
    return re.sub(r"[\s\u00a0\u202f]+", " ", " ".join(page.extract_text() for page in reader.pages))


def proposal(app: Flask, session: Session, world: World, **changes: Any) -> Agreement:
    """Visit and proposal made today, outside any request: the client's requests must not share their context
    (Flask reuses a pushed app context, and Flask-Login would keep the first user in ``g``)."""
    today = date.today()
    with app.test_request_context():
        ops.record_assessment(
            session, world.case, data=visit_data(visited_on=today), by=world.operator_staff, today=today
        )
        return ops.draft_agreement(
            session,
            world.case,
            terms=terms(starts_on=max(today, date(2026, 12, 1)), **changes),
            by=world.operator_staff,
            today=today,
        )


def count(session: Session, model: type, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- the whole path on the database -------------------------------------------------------------------------


def test_new_case_to_signed_agreement_stock_and_follow_ups(
    session: Session, make: Factory, parameters: None, context: None
) -> None:
    world = build(make, session)
    case, staff = world.case, world.operator_staff

    assessment = ops.record_assessment(session, case, data=visit_data(), by=staff, today=TODAY)
    assert assessment.outcome is AssessmentOutcome.ELIGIBLE
    assert case.stage is CaptureStage.VISITED
    # NEW cannot jump to VISITED: the state machine goes through « visite planifiée ».
    assert [change.to_stage for change in case.stage_changes] == [
        CaptureStage.NEW,
        CaptureStage.VISIT_PLANNED,
        CaptureStage.VISITED,
    ]
    assert (
        count(session, CaptureActivity, CaptureActivity.case_id == case.id, CaptureActivity.kind == ActivityKind.VISIT)
        == 1
    )

    agreement = ops.draft_agreement(session, case, terms=terms(), by=staff, today=TODAY)
    assert case.stage is CaptureStage.PROPOSAL_SENT
    assert agreement.rent_cap == cap_by_hand(session, D("12.30"), D("0.30"))  # 454.61 with no charges deduction
    assert agreement.document_filename == f"mandat-de-gestion-accord-{agreement.id}.pdf"
    assert agreement.document_sha256 == hashlib.sha256(storage.read(agreement.document_sha256)).hexdigest()
    draft_text = pdf_text(agreement.document_sha256)
    assert "Claire Dupont-Moreau" in draft_text and "AIS Louer solidaire" in draft_text
    assert "8 rue Paul Bert, 69100 Villeurbanne-Essai" in draft_text and "45,00 m²" in draft_text
    assert "Loyer mensuel hors charges 450,00 €" in draft_text and "7 %" in draft_text
    draft_sha = agreement.document_sha256

    entry = ops.sign_agreement(
        session,
        agreement,
        signatory_name="  Claire   Dupont-Moreau ",
        method=SignatureMethod.PAPER,
        signed_on=date(2026, 11, 23),
        ip="198.51.100.4",
        by=staff,
        now=NOW,
    )
    assert (agreement.status, agreement.signed_on, agreement.signatory_name) == (
        "signed",
        date(2026, 11, 23),
        "Claire Dupont-Moreau",
    )
    assert agreement.signature_method is SignatureMethod.PAPER and agreement.signature_ip is None
    assert case.stage is CaptureStage.SIGNED
    assert (entry.status, entry.mode, entry.level, entry.rent, entry.charges, entry.operator_id) == (
        StockStatus.AVAILABLE,
        IMLMode.MANDATE,
        agreement.level,
        D("450"),
        D("40"),
        case.operator_id,
    )
    assert entry.available_on == date(2026, 12, 1)  # the start, later than the unit's availability (15 Nov)
    # First lease on 1 December 2026: request within 2 months → 1 February 2027; premium claim (Loc2) with it;
    # end of the 6-year commitment → 1 December 2032.
    follow_ups = session.scalars(
        select(AnahFollowUp)
        .where(AnahFollowUp.agreement_id == agreement.id)
        .order_by(AnahFollowUp.due_on, AnahFollowUp.kind)
    ).all()
    assert [(f.kind, f.due_on) for f in follow_ups] == [
        (FollowUpKind.CONVENTION_REQUEST, date(2027, 2, 1)),
        (FollowUpKind.IML_PREMIUM_CLAIM, date(2027, 2, 1)),
        (FollowUpKind.CONVENTION_END, date(2032, 12, 1)),
    ]
    assert agreement.document_sha256 != draft_sha
    signed_text = pdf_text(agreement.document_sha256)
    assert "Signature enregistrée : signature sur papier par Claire Dupont-Moreau, le 23 novembre 2026" in signed_text
    actions = set(
        session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type.in_(["agreement", "capture_case", "unit_assessment"])
            )
        )
    )
    assert {"unit_assessment.record", "agreement.draft", "agreement.sign", "capture_case.change_stage"} <= actions


def test_rent_above_the_cap_is_refused_with_the_cap_and_nothing_is_saved(
    session: Session, make: Factory, parameters: None, context: None
) -> None:
    world = build(make, session)
    ops.record_assessment(session, world.case, data=visit_data(), by=world.operator_staff, today=TODAY)
    cap = cap_by_hand(session, D("12.30"), D("0.30"))
    before = count(session, AuditEntry)
    with pytest.raises(ops.TermsRefused) as refused:
        ops.draft_agreement(
            session, world.case, terms=terms(rent=cap + D("0.01")), by=world.operator_staff, today=TODAY
        )
    whole, cents = f"{cap:.2f}".split(".")
    assert refused.value.errors["rent"] == (
        f"Le loyer de {whole},{int(cents) + 1:02d}{NBSP}€ dépasse le plafond Loc2 (social) au 22 novembre 2026 : "
        f"{whole},{cents}{NBSP}€ par mois hors charges."
    )
    assert count(session, Agreement) == 0 and count(session, AuditEntry) == before
    assert world.case.stage is CaptureStage.VISITED
    # At the cap exactly, it passes.
    assert ops.draft_agreement(session, world.case, terms=terms(rent=cap), by=world.operator_staff, today=TODAY)


def test_lease_to_association_rules_and_sliding_clause(
    session: Session, make: Factory, parameters: None, context: None
) -> None:
    world = build(make, session)
    staff = world.operator_staff
    ops.record_assessment(session, world.case, data=visit_data(), by=staff, today=TODAY)
    with pytest.raises(ops.TermsRefused) as refused:
        ops.draft_agreement(
            session, world.case, terms=terms(mode="sublease", duration_months=24), by=staff, today=TODAY
        )
    # No fees when the association is the tenant; the main lease is 3 years (sous_location.main_lease_years).
    assert set(refused.value.errors) == {"fee_rate", "duration_months"}
    assert "au moins 36 mois" in refused.value.errors["duration_months"]

    agreement = ops.draft_agreement(
        session, world.case, terms=terms(mode="bail_glissant", level="loc1", fee_rate=None), by=staff, today=TODAY
    )
    assert agreement.sliding_clause and agreement.fee_rate is None
    assert agreement.document_filename == f"bail-association-accord-{agreement.id}.pdf"
    text = pdf_text(agreement.document_sha256 or "")
    assert "Clause de glissement du bail" in text and "même si le logement est vacant" in text
    ops.sign_agreement(
        session,
        agreement,
        signatory_name="Claire Dupont-Moreau",
        method=SignatureMethod.PAPER,
        signed_on=TODAY,
        ip=None,
        by=staff,
        now=NOW,
    )
    # Loc1 gives no IML premium (anah.iml_premium.levels = loc2, loc3): two follow-ups only.
    assert sorted(f.kind for f in agreement.follow_ups) == [
        FollowUpKind.CONVENTION_END,
        FollowUpKind.CONVENTION_REQUEST,
    ]


def test_mandate_minimum_and_start_before_availability(
    session: Session, make: Factory, parameters: None, context: None
) -> None:
    world = build(make, session, available=date(2027, 1, 1))
    ops.record_assessment(session, world.case, data=visit_data(), by=world.operator_staff, today=TODAY)
    with pytest.raises(ops.TermsRefused) as refused:
        ops.draft_agreement(session, world.case, terms=terms(duration_months=24), by=world.operator_staff, today=TODAY)
    assert refused.value.errors["duration_months"] == "Durée trop courte : au moins 36 mois pour un mandat de gestion."
    assert refused.value.errors["starts_on"] == (
        "Le logement n'est disponible qu'à partir du 1er janvier 2027 : l'accord ne peut pas commencer avant."
    )


def test_without_convention_there_is_no_cap_and_no_follow_up(
    session: Session, make: Factory, parameters: None, context: None
) -> None:
    world = build(make, session)
    ops.record_assessment(session, world.case, data=visit_data(), by=world.operator_staff, today=TODAY)
    agreement = ops.draft_agreement(
        session, world.case, terms=terms(level="none", rent=D("800")), by=world.operator_staff, today=TODAY
    )
    entry = ops.sign_agreement(
        session,
        agreement,
        signatory_name="Claire Dupont-Moreau",
        method=SignatureMethod.PAPER,
        signed_on=TODAY,
        ip=None,
        by=world.operator_staff,
        now=NOW,
    )
    assert agreement.rent_cap is None and entry.rent == D("800")
    assert count(session, AnahFollowUp) == 0


def test_a_unit_not_eligible_at_the_visit_gets_no_agreement(
    session: Session, make: Factory, parameters: None, context: None
) -> None:
    world = build(make, session)
    assessment = ops.record_assessment(
        session, world.case, data=visit_data(dpe_class="G"), by=world.operator_staff, today=TODAY
    )
    assert assessment.outcome is AssessmentOutcome.NOT_ELIGIBLE
    with pytest.raises(capture_ops.CaptureError, match="non éligible"):
        ops.draft_agreement(session, world.case, terms=terms(), by=world.operator_staff, today=TODAY)


def test_signing_twice_or_out_of_stage_is_refused(
    session: Session, make: Factory, parameters: None, context: None
) -> None:
    world = build(make, session)
    ops.record_assessment(session, world.case, data=visit_data(), by=world.operator_staff, today=TODAY)
    agreement = ops.draft_agreement(session, world.case, terms=terms(), by=world.operator_staff, today=TODAY)
    sign: dict[str, Any] = {
        "signatory_name": "Claire Dupont-Moreau",
        "method": SignatureMethod.PAPER,
        "ip": None,
        "by": world.operator_staff,
        "now": NOW,
    }
    with pytest.raises(ops.TermsRefused, match="futur"):
        ops.sign_agreement(session, agreement, signed_on=date(2026, 11, 24), **sign)
    # A second visit finds the unit no longer decent: the proposal cannot be signed.
    ops.record_assessment(
        session, world.case, data=visit_data(answers={"chauffage": False}), by=world.operator_staff, today=TODAY
    )
    with pytest.raises(capture_ops.CaptureError, match="non éligible"):
        ops.sign_agreement(session, agreement, signed_on=TODAY, **sign)
    ops.record_assessment(session, world.case, data=visit_data(), by=world.operator_staff, today=TODAY)
    ops.sign_agreement(session, agreement, signed_on=TODAY, **sign)
    with pytest.raises(capture_ops.CaptureError, match="déjà signé"):
        ops.sign_agreement(session, agreement, signed_on=TODAY, **sign)
    assert count(session, StockEntry) == 1


# --- pages -------------------------------------------------------------------------------------------------------


def test_field_visit_form_with_a_photo(client: FlaskClient, session: Session, make: Factory, parameters: None) -> None:
    world = build(make, session)
    login_as(client, world.operator_staff)
    url = f"/captation/dossiers/{world.case.id}/visite"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="check-item') == len(CHECKLIST) and 'value="44"' in html  # declared surface

    form = {f"c_{item.key}": "oui" for item in CHECKLIST}
    form.update(
        visited_on="2026-11-20",
        surface_m2="45,00",
        annexes_m2="6",
        rooms="2",
        main_room_m2="14,5",
        ceiling_height_m="2,50",
        dpe_class="D",
        c_chauffage="non",
        w_chauffage="Remplacer la chaudière",
        k_chauffage="3 500",
    )
    form["photos"] = (io.BytesIO(PNG_1PX), "salon.png")  # type: ignore[assignment]
    response = client.post(url, data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    session.expire_all()  # the request wrote through its own session
    assessment = session.scalars(select(UnitAssessment).where(UnitAssessment.case_id == world.case.id)).one()
    assert assessment.outcome is AssessmentOutcome.ELIGIBLE_AFTER_WORKS
    assert assessment.main_room_m2 == D("14.5") and assessment.checklist["chauffage"] is False
    assert assessment.works == [{"description": "Remplacer la chaudière", "cost": "3500", "item": "chauffage"}]
    assert count(session, UnitDocument, UnitDocument.unit_id == world.case.unit_id, UnitDocument.kind == "photo") == 1
    assert world.case.stage is CaptureStage.VISITED

    empty = client.post(url, data={})
    assert empty.status_code == 422
    assert "Indiquez la surface habitable mesurée." in empty.get_data(as_text=True)


def test_agreement_page_refuses_a_rent_above_the_cap_and_shows_it(
    client: FlaskClient, session: Session, make: Factory, parameters: None, app: Flask
) -> None:
    # Market 30 €/m²: Loc1 cap = 30 × 0.85 × 48 × 1.10 = 1 346.40 € (with the shipped deduction of 0).
    world = build(make, session, market=D("30"))
    with app.test_request_context():
        ops.record_assessment(
            session, world.case, data=visit_data(visited_on=date.today()), by=world.operator_staff, today=date.today()
        )
    cap = cap_by_hand(session, D("30"), D("0.15"))
    login_as(client, world.operator_staff)
    url = f"/captation/dossiers/{world.case.id}/accord"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        data={
            "mode": "mandate",
            "level": "loc1",
            "rent": "1 400",
            "charges": "40",
            "duration_months": "36",
            "fee_rate_percent": "7",
            "starts_on": max(date.today(), date(2026, 12, 1)).isoformat(),
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    whole, cents = f"{cap:.2f}".split(".")
    shown = f"{int(whole) // 1000}{NNBSP}{int(whole) % 1000:03d},{cents}{NBSP}€"
    assert "dépasse le plafond Loc1 (intermédiaire) au" in html and shown in html
    assert count(session, Agreement) == 0


def test_staff_of_another_operator_get_404(
    client: FlaskClient, session: Session, make: Factory, parameters: None, app: Flask
) -> None:
    world = build(make, session)
    agreement = proposal(app, session, world)
    login_as(client, world.other_staff)
    case_id = world.case.id
    for method, url in (
        ("GET", f"/captation/dossiers/{case_id}/visite"),
        ("POST", f"/captation/dossiers/{case_id}/visite"),
        ("GET", f"/captation/dossiers/{case_id}/accord"),
        ("POST", f"/captation/dossiers/{case_id}/accord"),
        ("GET", f"/captation/accords/{agreement.id}/document"),
        ("POST", f"/captation/accords/{agreement.id}/signature"),
    ):
        assert client.open(url, method=method, data={}).status_code == 404, (method, url)
    login_as(client, world.operator_staff)
    document = client.get(f"/captation/accords/{agreement.id}/document")
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    with app.app_context():
        assert document.data == storage.read(agreement.document_sha256 or "")


def test_staff_records_a_paper_signature(
    client: FlaskClient, session: Session, make: Factory, parameters: None, app: Flask
) -> None:
    world = build(make, session)
    agreement = proposal(app, session, world)
    login_as(client, world.operator_staff)
    url = f"/captation/accords/{agreement.id}/signature"
    assert client.post(url, data={}).status_code == 422
    response = client.post(url, data={"signed_on": date.today().isoformat(), "signatory_name": "Claire Dupont-Moreau"})
    assert response.status_code == 302
    session.expire_all()
    assert agreement.status == "signed" and agreement.signature_method is SignatureMethod.PAPER
    assert agreement.recorded_by_id == world.operator_staff.id
    assert count(session, StockEntry, StockEntry.agreement_id == agreement.id) == 1


def test_only_the_landlord_of_the_unit_accepts_online(
    client: FlaskClient, session: Session, make: Factory, parameters: None, app: Flask
) -> None:
    world = build(make, session)
    agreement = proposal(app, session, world)
    url = f"/proprietaire/accords/{agreement.id}"
    login_as(client, world.other_landlord)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"accept": "y"}).status_code == 404
    assert client.get(url + "/document").status_code == 404
    session.expire_all()
    assert agreement.status == "draft"

    login_as(client, world.landlord_user)
    page = client.get(url)
    assert page.status_code == 200 and "j&#39;accepte cet accord" in page.get_data(as_text=True)
    assert client.get(url + "/document").mimetype == "application/pdf"
    assert client.post(url, data={}).status_code == 422  # the box must be ticked
    session.expire_all()
    assert agreement.status == "draft"
    response = client.post(url, data={"accept": "y"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 302
    session.expire_all()
    assert (agreement.status, agreement.signature_method, agreement.signature_ip, agreement.signatory_name) == (
        "signed",
        SignatureMethod.CLICK,
        "203.0.113.9",
        "Claire Dupont-Moreau",
    )
    assert agreement.signed_at is not None and agreement.recorded_by_id == world.landlord_user.id
    assert world.case.stage is CaptureStage.SIGNED
    with app.app_context():
        assert "depuis l'adresse IP 203.0.113.9" in pdf_text(agreement.document_sha256 or "")
