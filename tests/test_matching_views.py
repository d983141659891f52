"""Matching pages through the Flask client: stock, ranking with reasons, why not, global proposal, proposals
workflow, settings; operator isolation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from agency_backoffice.household_input import MemberInput
from agency_backoffice.models import MatchingSettings, Proposal, ProposalStatus, ResourceKind, Sex
from capture.models import IMLMode
from tests.conftest import login_as


@pytest.fixture
def world(make, parameters):
    operator = make.organisation()
    arras = make.commune(insee="62041", name="Arras")
    today = date.today()
    single = make.household(operator, siao_reference="SIAO-SOLO")
    family = make.household(
        operator,
        siao_reference="SIAO-FAMILLE",
        couple=True,
        members=(
            MemberInput(adult=True, birth_year=today.year - 36),
            MemberInput(adult=True, birth_year=today.year - 34),
            MemberInput(adult=False, birth_year=today.year - 8, sex=Sex.MALE),
            MemberInput(adult=False, birth_year=today.year - 10, sex=Sex.FEMALE),
        ),
        resources=((ResourceKind.WAGES, Decimal("1600")), (ResourceKind.FAMILY_BENEFITS, Decimal("150"))),
    )
    studio_like = make.available_unit(operator, commune=arras, rooms=2, surface_m2=Decimal("40"))
    large = make.available_unit(operator, commune=arras, rooms=4, surface_m2=Decimal("78"), rent=Decimal("620"))
    return operator, single, family, studio_like, large


def test_unit_page_ranks_eligible_households_with_reasons(client, make, world, session):
    operator, _single, _family, two_rooms, _ = world
    login_as(client, make.staff(operator))
    page = client.get(f"/agence/logements-disponibles/{two_rooms.id}").get_data(as_text=True)
    assert "SIAO-SOLO" in page and "Taux d&#39;effort net" in page
    # The family needs 4 rooms: excluded, and counted among the reasons.
    assert "SIAO-FAMILLE" not in page.split("Ménages écartés")[0]
    assert "Ménages écartés (1)" in page


def test_household_page_says_why_not(client, make, world):
    operator, _, family, _two_rooms, _large = world
    login_as(client, make.staff(operator))
    page = client.get(f"/agence/menages/{family.id}/logements").get_data(as_text=True)
    possible, impossible = page.split("Logements écartés")
    assert "78" in possible  # the 4-room unit
    assert "4 pièces" in impossible  # the 2-room one, with the occupancy norm spelled out


def test_propose_decline_then_propose_next_until_ready_for_lease(client, make, world, session):
    operator, single, _family, two_rooms, _ = world
    other = make.household(operator, siao_reference="SIAO-SUIVANT")
    login_as(client, make.staff(operator))
    response = client.post(f"/agence/logements-disponibles/{two_rooms.id}/proposer", data={"household_id": single.id})
    assert response.status_code == 302
    proposal = session.scalar(select(Proposal).where(Proposal.household_id == single.id))
    assert proposal.status is ProposalStatus.PROPOSED and proposal.snapshot["terms"]
    assert {t["key"] for t in proposal.snapshot["terms"]} >= {"effort_rate", "size_fit"}
    # A second proposal of the same unit is refused while the first is open.
    client.post(f"/agence/logements-disponibles/{two_rooms.id}/proposer", data={"household_id": other.id})
    assert session.scalar(select(Proposal).where(Proposal.household_id == other.id)) is None
    # Declining needs a reason.
    assert client.post(f"/agence/propositions/{proposal.id}/refus", data={}).status_code == 422
    session.expire_all()
    assert proposal.status is ProposalStatus.PROPOSED
    client.post(f"/agence/propositions/{proposal.id}/refus", data={"reason": "household_location", "note": "Loin"})
    session.expire_all()
    assert proposal.status is ProposalStatus.DECLINED and proposal.decline_reason.party.value == "household"

    client.post(f"/agence/logements-disponibles/{two_rooms.id}/proposer", data={"household_id": other.id})
    nxt = session.scalar(select(Proposal).where(Proposal.household_id == other.id))
    for target in ("visit", "household_accepted", "ready_for_lease"):  # sous-location: no owner step
        assert client.post(f"/agence/propositions/{nxt.id}/etape", data={"target": target}).status_code == 302
    session.expire_all()
    assert nxt.status is ProposalStatus.READY_FOR_LEASE
    assert [e.to_status for e in nxt.events] == ["proposed", "visit", "household_accepted", "ready_for_lease"]


def test_mandate_needs_the_owner(client, make, world, session):
    operator, single, *_ = world
    entry = make.available_unit(operator, mode=IMLMode.MANDATE)
    login_as(client, make.staff(operator))
    client.post(f"/agence/logements-disponibles/{entry.id}/proposer", data={"household_id": single.id})
    proposal = session.scalar(select(Proposal).where(Proposal.household_id == single.id))
    client.post(f"/agence/propositions/{proposal.id}/etape", data={"target": "household_accepted"})
    client.post(f"/agence/propositions/{proposal.id}/etape", data={"target": "ready_for_lease"})
    session.expire_all()
    assert proposal.status is ProposalStatus.HOUSEHOLD_ACCEPTED  # refused: the owner chooses their tenant
    client.post(f"/agence/propositions/{proposal.id}/etape", data={"target": "owner_accepted"})
    client.post(f"/agence/propositions/{proposal.id}/etape", data={"target": "ready_for_lease"})
    session.expire_all()
    assert proposal.status is ProposalStatus.READY_FOR_LEASE


def test_global_proposal_page(client, make, world):
    operator, *_ = world
    login_as(client, make.staff(operator))
    page = client.get("/agence/proposition-globale").get_data(as_text=True)
    assert "SIAO-SOLO" in page and "SIAO-FAMILLE" in page and "Un logement après l'autre" in page


def test_settings_are_checked_and_used(client, make, world, session):
    operator, *_ = world
    login_as(client, make.staff(operator))
    assert client.get("/agence/reglages/rapprochement").status_code == 200
    bad = client.post("/agence/reglages/rapprochement", data={"affordability.effort_rate.max": "0,10"})
    assert bad.status_code == 422 and "taux d&#39;effort" in bad.get_data(as_text=True).lower()
    assert session.scalar(select(MatchingSettings)) is None
    good = client.post("/agence/reglages/rapprochement", data={"affordability.effort_rate.max": "0,33"})
    assert good.status_code == 302
    settings = session.scalar(select(MatchingSettings).where(MatchingSettings.operator_id == operator.id))
    assert settings.values == {"affordability.effort_rate.max": "0.33"}


def test_other_operators_get_404(client, make, world):
    _operator, single, _, two_rooms, _ = world
    login_as(client, make.staff(make.organisation()))
    assert client.get(f"/agence/logements-disponibles/{two_rooms.id}").status_code == 404
    assert client.get(f"/agence/menages/{single.id}/logements").status_code == 404
    response = client.post(f"/agence/logements-disponibles/{two_rooms.id}/proposer", data={"household_id": single.id})
    assert response.status_code == 404


def test_missing_reference_parameters_get_a_french_503_not_a_500(client, make):
    operator = make.organisation()  # no parameters imported in this test
    entry = make.available_unit(operator)
    make.household(operator)
    login_as(client, make.staff(operator))
    response = client.get(f"/agence/logements-disponibles/{entry.id}")
    assert response.status_code == 503
    assert "Données de référence manquantes" in response.get_data(as_text=True)


def test_global_proposal_beats_greedy_on_a_constructed_instance(client, make, parameters, session):
    """Greedy gives the 2-room unit (free first) to the single adult, who outranks the couple there, and leaves
    the studio empty; the global proposal houses both: the couple in the 2 rooms, the single adult in the studio."""
    from datetime import timedelta

    from agency_backoffice.models import PriorityFlag
    from agency_backoffice.queries.matching_global import global_proposal

    operator = make.organisation()
    arras = make.commune(insee="62041", name="Arras")
    today = date.today()
    two_rooms = make.available_unit(
        operator, commune=arras, rooms=2, surface_m2=Decimal("45"), available_on=today - timedelta(days=10)
    )
    studio = make.available_unit(operator, commune=arras, rooms=1, surface_m2=Decimal("30"), available_on=today)
    single = make.household(operator, siao_reference="SIAO-DALO", priority_flags=frozenset({PriorityFlag.DALO}))
    couple = make.household(
        operator,
        siao_reference="SIAO-COUPLE",
        couple=True,
        members=(
            MemberInput(adult=True, birth_year=today.year - 45),
            MemberInput(adult=True, birth_year=today.year - 44),
        ),
        resources=((ResourceKind.WAGES, Decimal("1500")),),
    )
    result = global_proposal(session, operator.id, today)
    optimal = {row.entry.id: row.optimal.id if row.optimal else None for row in result.rows}
    greedy = {row.entry.id: row.greedy.id if row.greedy else None for row in result.rows}
    assert greedy == {two_rooms.id: single.id, studio.id: None}
    assert optimal == {two_rooms.id: couple.id, studio.id: single.id}
    assert result.extra_housed == 1 and result.difference > 0
    # Totals from the pair scores the engine shows for each pair (the only other assignments house fewer).
    from agency_backoffice.queries.matching import evaluate_pair

    def score(entry, household):  # type: ignore[no-untyped-def]
        evaluation = evaluate_pair(session, household, entry, on=today)
        assert not evaluation.failures
        return float(evaluation.score)

    assert evaluate_pair(session, couple, studio, on=today).failures  # the couple cannot take the studio
    assert result.optimal.total == pytest.approx(score(two_rooms, couple) + score(studio, single), abs=0.02)
    assert result.greedy.total == pytest.approx(score(two_rooms, single), abs=0.02)
    login_as(client, make.staff(operator))
    page = client.get("/agence/proposition-globale").get_data(as_text=True)
    assert "différent" in page.lower() and "SIAO-COUPLE" in page


def test_stock_list_is_paged(client, make, world, monkeypatch):
    from agency_backoffice import matching_views

    operator, _, _, studio_like, large = world
    monkeypatch.setattr(matching_views, "STOCK_PAGE_SIZE", 1)
    login_as(client, make.staff(operator))
    first = client.get("/agence/logements-disponibles").get_data(as_text=True)
    second = client.get("/agence/logements-disponibles?page=2").get_data(as_text=True)
    beyond = client.get("/agence/logements-disponibles?page=99").get_data(as_text=True)
    assert "2 logements disponibles" in first and "page 1 sur 2" in first and "Page suivante" in first
    assert "page 2 sur 2" in second and "Page précédente" in second and "Page suivante" not in second
    assert "page 2 sur 2" in beyond  # past the end: the last page
    shown = [f"/agence/logements-disponibles/{entry.id}" for entry in (studio_like, large)]
    assert sum(link in first for link in shown) == 1 and sum(link in second for link in shown) == 1
