"""Object-level checks on ids carried by forms, query strings, JSON bodies and mixed URL pairs (ASVS 4.2.1).

tests/test_permissions.py sends every actor to landlord A's and operator 1's records by URL. Here each id that
travels in a form field, a query argument or a JSON body (and each URL that pairs two ids) gets another
operator's or another landlord's record: the answer must be a refusal (4xx or a form error) and nothing may change.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import EntryKind, Guarantee, Household, LedgerEntry, PaymentLink, PaymentMethod, Proposal
from agency_backoffice.operations import ledger as ledger_ops
from agency_backoffice.rules.ledger import month_start
from capture.models import Campaign, CaptureCase, CaptureTarget, Simulation, Unit, UnitDocument
from passerelle.api_tokens import issue_token
from passerelle.models import OrganisationKind, Role, User
from tests.conftest import login_as
from tests.factories import Factory


@dataclass
class World:
    """One territory with operators 1 and 2, a second territory with operator 3, two landlords, the metropolis."""

    staff1: User
    staff1_colleague: User
    staff2: User
    metro: User
    landlord_a: User
    landlord_b: User
    records: dict[str, Any]


@pytest.fixture
def world(app: Flask, make: Factory, parameters: None) -> World:
    commune = make.commune()
    territory = make.territory(communes=[commune])
    elsewhere = make.territory(communes=[make.commune()])
    op1 = make.organisation(kind=OrganisationKind.AIS, territory=territory)
    op2 = make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory)
    op3 = make.organisation(kind=OrganisationKind.AIS, territory=elsewhere)
    metropolis = make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory)
    staff1, staff1_colleague, staff2 = make.staff(op1), make.staff(op1), make.staff(op2)
    landlord_a, landlord_b = make.user(Role.LANDLORD), make.user(Role.LANDLORD)
    with app.app_context():
        unit_a, case1, document_a, _ = make.captured_unit_with_incident(landlord_a, op1)
        unit_b, case2, document_b, _ = make.captured_unit_with_incident(landlord_b, op2)
        leases, calls, payments = {}, {}, {}
        for name, operator, staff in (("1", op1, staff1), ("2", op2, staff2)):
            lease = make.lease(operator, by=staff)
            call = ledger_ops.issue_rent_call(make.session, lease, month_start(lease.starts_on), on=lease.starts_on)
            payment = ledger_ops.record_payment(
                make.session, lease, amount=call.amount, method=PaymentMethod.TRANSFER, received_on=call.due_on, by=None
            )
            leases[name], calls[name], payments[name] = lease, call, payment
        guarantee2 = make.guarantee(leases["2"], by=staff2)
    case2.owner_id = staff2.id
    make.session.flush()
    return World(
        staff1=staff1,
        staff1_colleague=staff1_colleague,
        staff2=staff2,
        metro=make.metro_user(metropolis),
        landlord_a=landlord_a,
        landlord_b=landlord_b,
        records={
            "territory": territory,
            "elsewhere": elsewhere,
            "op1": op1,
            "op2": op2,
            "op3": op3,
            "unit_a": unit_a,
            "unit_b": unit_b,
            "document_a": document_a,
            "document_b": document_b,
            "case1": case1,
            "case2": case2,
            "lease1": leases["1"],
            "lease2": leases["2"],
            "call1": calls["1"],
            "call2": calls["2"],
            "payment1": payments["1"],
            "payment2": payments["2"],
            "guarantee2": guarantee2,
            "household1": make.household(op1),
            "household2": make.household(op2),
            "entry1": make.available_unit(op1),
        },
    )


def _count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _refused(response: Any) -> bool:
    return 400 <= response.status_code < 500


# --- capture: the case owner (form field « owner ») and the pipeline filter (« responsable ») -------------------


def test_a_case_cannot_be_given_to_another_operators_staff(client: FlaskClient, session: Session, world: World) -> None:
    case1 = world.records["case1"]
    login_as(client, world.staff1)
    url = f"/captation/dossiers/{case1.id}/responsable"
    for foreign in (world.staff2, world.landlord_a, world.metro):
        response = client.post(url, data={"owner": str(foreign.id)})
        assert _refused(response), foreign.role
        session.refresh(case1)
        assert case1.owner_id is None
    assert client.post(url, data={"owner": "999999"}).status_code == 422
    # A colleague of the same operator can be chosen (the refusals above are about the id, not the form).
    assert client.post(url, data={"owner": str(world.staff1_colleague.id)}).status_code == 302
    session.refresh(case1)
    assert case1.owner_id == world.staff1_colleague.id


def test_filtering_the_pipeline_by_another_operators_staff_shows_none_of_their_cases(
    client: FlaskClient, world: World
) -> None:
    case2 = world.records["case2"]
    login_as(client, world.staff1)
    response = client.get(f"/captation/?responsable={world.staff2.id}")
    assert response.status_code == 200
    assert f"/captation/dossiers/{case2.id}" not in response.get_data(as_text=True)


# --- agency: household proposed, payment refunded, call corrected, call paid online -----------------------------


def test_a_unit_cannot_be_proposed_to_another_operators_household(
    client: FlaskClient, session: Session, world: World
) -> None:
    entry, household2 = world.records["entry1"], world.records["household2"]
    login_as(client, world.staff1)
    url = f"/agence/logements-disponibles/{entry.id}/proposer"
    assert client.post(url, data={"household_id": str(household2.id)}).status_code == 404
    assert _count(session, Proposal, Proposal.stock_entry_id == entry.id) == 0
    assert client.post(url, data={"household_id": str(world.records["household1"].id)}).status_code == 302
    assert _count(session, Proposal, Proposal.stock_entry_id == entry.id) == 1


def test_a_refund_cannot_point_at_another_operators_payment(
    client: FlaskClient, session: Session, world: World
) -> None:
    lease1, payment2 = world.records["lease1"], world.records["payment2"]
    login_as(client, world.staff1)
    data = {
        "remboursement-payment_id": str(payment2.id),
        "remboursement-amount": "10,00",
        "remboursement-refunded_on": date.today().isoformat(),
        "remboursement-note": "Trop-perçu",
    }
    response = client.post(f"/agence/baux/{lease1.id}/compte/remboursement", data=data)
    assert response.status_code == 404
    assert _count(session, LedgerEntry, LedgerEntry.kind == EntryKind.REFUND) == 0
    # The same form with the lease's own payment is accepted.
    data["remboursement-payment_id"] = str(world.records["payment1"].id)
    assert client.post(f"/agence/baux/{lease1.id}/compte/remboursement", data=data).status_code == 302
    assert _count(session, LedgerEntry, LedgerEntry.kind == EntryKind.REFUND) == 1


def test_a_correction_cannot_point_at_another_operators_rent_call(
    client: FlaskClient, session: Session, world: World
) -> None:
    lease1 = world.records["lease1"]
    login_as(client, world.staff1)
    data = {
        "regularisation-direction": "credit",
        "regularisation-amount": "5,00",
        "regularisation-corrects_id": str(world.records["call2"].id),
        "regularisation-corrected_on": date.today().isoformat(),
        "regularisation-note": "Erreur de saisie",
    }
    before = _count(session, LedgerEntry)
    assert client.post(f"/agence/baux/{lease1.id}/compte/regularisation", data=data).status_code == 404
    assert _count(session, LedgerEntry) == before
    # The lease's own payment (not a call) is refused the same way.
    data["regularisation-corrects_id"] = str(world.records["payment1"].id)
    assert client.post(f"/agence/baux/{lease1.id}/compte/regularisation", data=data).status_code == 404
    assert _count(session, LedgerEntry) == before


def test_a_payment_link_cannot_point_at_another_operators_rent_call(
    app: Flask, client: FlaskClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_objet")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "whsec_objet")
    lease1 = world.records["lease1"]
    login_as(client, world.staff1)
    for foreign in (world.records["call2"], world.records["payment1"]):
        response = client.post(f"/agence/baux/{lease1.id}/compte/lien-de-paiement", data={"call_id": str(foreign.id)})
        assert response.status_code == 404
    assert _count(session, PaymentLink) == 0


# --- URLs that pair two ids: the second must belong to the first ---------------------------------------------


def test_mixed_id_pairs_in_urls_are_refused(client: FlaskClient, session: Session, world: World) -> None:
    r = world.records
    login_as(client, world.staff1)
    lease2_document = next(iter(r["lease2"].documents))
    guarantee2 = r["guarantee2"]
    snapshot = (guarantee2.kind, guarantee2.expires_on, guarantee2.lease_id)
    assert client.post(f"/agence/baux/{r['lease1'].id}/garanties/{guarantee2.id}/retirer").status_code == 404
    session.refresh(guarantee2)
    assert (guarantee2.kind, guarantee2.expires_on, guarantee2.lease_id) == snapshot
    assert session.get(Guarantee, guarantee2.id) is not None
    assert client.get(f"/agence/baux/{r['lease1'].id}/documents/{lease2_document.id}").status_code == 404
    assert client.get(f"/captation/dossiers/{r['case1'].id}/documents/{r['document_b'].id}").status_code == 404

    login_as(client, world.landlord_a)
    unit_a, document_b = r["unit_a"], r["document_b"]
    assert client.get(f"/proprietaire/logements/{unit_a.id}/documents/{document_b.id}").status_code == 404
    response = client.post(f"/proprietaire/logements/{unit_a.id}/documents/{document_b.id}/supprimer")
    assert response.status_code == 404
    assert session.get(UnitDocument, document_b.id) is not None


# --- metropolis: the targets form's per-operator fields, the indicators API's territory ------------------------


def test_targets_ignore_an_operator_of_another_territory(client: FlaskClient, session: Session, world: World) -> None:
    op1, op3 = world.records["op1"], world.records["op3"]
    login_as(client, world.metro)
    year = date.today().year
    response = client.post(
        "/metropole/objectifs",
        data={"annee": str(year), "total": "10", f"operator_{op1.id}": "3", f"operator_{op3.id}": "5"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    keys = set(session.scalars(select(CaptureTarget.key).where(CaptureTarget.dimension == "operator")))
    assert keys == {str(op1.id)}


def test_the_indicators_api_refuses_another_territory(client: FlaskClient, world: World) -> None:
    login_as(client, world.metro)
    elsewhere = world.records["elsewhere"].epci_code
    response = client.get(f"/api/v1/indicators?territory={elsewhere}&year={date.today().year}")
    assert response.status_code == 403
    assert "territoire" in response.get_json()["error"]


# --- capture: a campaign's communes -------------------------------------------------------------------------


def test_a_campaign_cannot_target_a_commune_outside_the_territory(
    client: FlaskClient, session: Session, world: World
) -> None:
    foreign_commune = world.records["elsewhere"].communes[0]
    login_as(client, world.staff1)
    response = client.post(
        "/captation/campagnes/nouvelle",
        data={
            "name": "Courriers",
            "channel": "letters",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "cost": "0",
            "communes": [foreign_commune.insee],
        },
    )
    assert response.status_code in (200, 422)
    errors = html.unescape(response.get_data(as_text=True))
    assert re.search(rf"{foreign_commune.insee}\W+n'est pas un choix valide", errors)
    assert _count(session, Campaign) == 0


# --- landlord portal: a simulation's id in the query string and in the session ------------------------------


def _simulation_of(session: Session, user: User, commune_insee: str) -> Simulation:
    record = Simulation(
        user_id=user.id,
        commune_insee=commune_insee,
        inputs={"surface_habitable_m2": 77, "commune_insee": commune_insee},
        result={"options": [], "recommended": None},
    )
    session.add(record)
    session.flush()
    return record


def test_another_landlords_simulation_stays_theirs(client: FlaskClient, session: Session, world: World) -> None:
    """Hole fixed: a simulation listed in the browser's session (left by the previous user) was shown to anyone."""
    simulation = _simulation_of(session, world.landlord_b, world.records["unit_b"].commune_insee)
    login_as(client, world.landlord_a)
    with client.session_transaction() as flask_session:
        flask_session["simulation_id"] = simulation.id
        flask_session["simulation_ids"] = [simulation.id]
    assert client.get(f"/proprietaire/simulateur/{simulation.id}").status_code == 404
    page = client.get(f"/proprietaire/simulateur?simulation={simulation.id}")
    assert page.status_code == 200 and 'value="77"' not in page.get_data(as_text=True)
    # Starting a declaration « from » it creates a draft that is not linked to it and copies nothing.
    response = client.post(f"/proprietaire/logements/nouveau?simulation={simulation.id}&option=loc2_mandate")
    assert response.status_code == 302
    draft = session.scalars(select(Unit).where(Unit.simulation_id.is_not(None))).all()
    assert draft == []
    session.refresh(simulation)
    assert simulation.user_id == world.landlord_b.id and simulation.chosen_option is None
    # Logged out, the same browser does not show it either.
    client.post("/logout")
    assert client.get(f"/proprietaire/simulateur/{simulation.id}").status_code == 404


# --- JSON API: an operator's token cannot file a household for another operator ------------------------------


def test_a_household_sent_by_api_cannot_name_another_operator(
    client: FlaskClient, session: Session, world: World
) -> None:
    _token, secret = issue_token(
        session, organisation=world.records["op1"], name="SI", scopes=["households:write"], by=None
    )
    before = _count(session, Household)
    response = client.post(
        "/api/v1/households",
        json={"operator_id": world.records["op2"].id, "siao_reference": "SIAO-OBJET-1"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 422
    assert any("operator_id" in problem for problem in response.get_json()["problems"])
    assert _count(session, Household) == before


def test_the_world_has_what_the_checks_need(session: Session, world: World) -> None:
    """Guard: each refusal above is about another party's record, which exists."""
    r = world.records
    assert r["case2"].operator_id == r["op2"].id and session.get(CaptureCase, r["case2"].id).owner_id == world.staff2.id
    assert r["lease2"].operator_id == r["op2"].id and r["household2"].operator_id == r["op2"].id
    assert r["call2"].lease_id == r["lease2"].id and r["payment2"].lease_id == r["lease2"].id
    assert r["guarantee2"].lease_id == r["lease2"].id and list(r["lease2"].documents)
    assert r["op3"].territory_id == r["elsewhere"].id != r["territory"].id
