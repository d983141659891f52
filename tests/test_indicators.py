"""The targets dashboard on a fixed fixture: every figure below is worked out by hand from the dates listed.

Two operators of one territory, eleven cases with known stage-change dates (10:00 UTC, noon in Paris),
agreements with known modes and levels, and one case of another territory that must never be counted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from capture.models import (
    Agreement,
    Campaign,
    CampaignChannel,
    CaptureCase,
    CapturePlan,
    CaptureStage,
    CaptureStageChange,
    CaptureTarget,
    ConventionLevel,
    IMLMode,
    LeadSource,
    SignatureMethod,
)
from capture.operations.cases import CaptureError
from capture.operations.targets import set_targets
from capture.queries import indicators as queries
from passerelle.models import AuditEntry, Organisation, OrganisationKind, Parameter, Role, User
from tests.conftest import login_as
from tests.factories import Factory

S = CaptureStage
YEAR = 2025
TODAY = date(2025, 7, 1)  # day 182 of 2025: 183 days remain


def body(response: Any) -> Any:
    """The JSON of a response (which must have one)."""
    data = response.get_json()
    assert data is not None
    return data


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), UTC)


def d(month: int, day: int, year: int = YEAR) -> date:
    return date(year, month, day)


@dataclass
class World:
    territory: Any
    op1: Organisation
    op2: Organisation
    metro: User
    staff1: User
    staff2: User
    other_metro: User
    campaign_x: Campaign


def add_case(
    session: Session,
    operator: Organisation,
    source: LeadSource,
    history: list[tuple[CaptureStage, date]],
    *,
    commune: str,
    unit: Any = None,
    campaign: Campaign | None = None,
    vacancy_months: int | None = None,
    lost_reason: str | None = None,
    agreement: tuple[IMLMode, ConventionLevel] | None = None,
) -> CaptureCase:
    final = history[-1][0]
    case = CaptureCase(
        operator_id=operator.id,
        source=source,
        stage=final,
        commune_insee=commune,
        created_at=at(history[0][1]),
        unit_id=unit.id if unit else None,
        landlord_id=unit.landlord_id if unit else None,
        campaign_id=campaign.id if campaign else None,
        vacancy_months=vacancy_months,
        lost_reason=lost_reason,
    )
    if final is S.PAUSED:
        case.stage_before_pause = history[-2][0]
        case.paused_until = d(9, 1)
    session.add(case)
    session.flush()
    previous = None
    for stage, day in history:
        session.add(CaptureStageChange(case_id=case.id, from_stage=previous, to_stage=stage, at=at(day)))
        previous = stage
    if agreement is not None:
        mode, level = agreement
        session.add(
            Agreement(
                case_id=case.id,
                unit_id=unit.id,
                operator_id=operator.id,
                landlord_id=unit.landlord_id,
                mode=mode,
                level=level,
                rent=Decimal("500.00"),
                duration_months=36,
                starts_on=history[-1][1],
                status="signed",
                signed_on=history[-1][1],
                signature_method=SignatureMethod.PAPER,
            )
        )
    session.flush()
    return case


FULL = [S.NEW, S.CONTACTED, S.VISIT_PLANNED, S.VISITED, S.PROPOSAL_SENT, S.SIGNED]


def steps(*days: date) -> list[tuple[CaptureStage, date]]:
    """The pipeline's stages from « nouveau », reached on these days (as many stages as days)."""
    return list(zip(FULL, days, strict=False))


@pytest.fixture
def world(make: Factory, session: Session, parameters: None) -> World:
    a = make.commune("97101", "Commune Alpha")
    b = make.commune("97102", "Commune Beta")
    territory = make.territory(epci_code="200000001", name="Territoire des tests", communes=[a, b])
    op1 = make.organisation(kind=OrganisationKind.AIS, territory=territory, name="Opérateur Un")
    op2 = make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory, name="Opérateur Deux")
    metro_org = make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory, name="Métropole test")
    other = make.territory(epci_code="200000002", name="Autre territoire")
    other_op = make.organisation(kind=OrganisationKind.AIS, territory=other, name="Opérateur ailleurs")
    other_metro = make.metro_user(make.organisation(kind=OrganisationKind.METROPOLIS, territory=other))
    x = Campaign(
        territory_id=territory.id,
        organisation_id=metro_org.id,
        name="Campagne X",
        channel=CampaignChannel.LETTERS,
        starts_on=d(1, 1),
        ends_on=d(3, 31),
        cost=Decimal("1000.00"),
    )
    y = Campaign(
        territory_id=territory.id,
        organisation_id=op2.id,
        name="Campagne Y",
        channel=CampaignChannel.POSTERS,
        starts_on=d(6, 1),
        ends_on=d(6, 30),
        cost=Decimal("300.00"),
    )
    old = Campaign(
        territory_id=territory.id,
        organisation_id=metro_org.id,
        name="Campagne d'avant",
        channel=CampaignChannel.OTHER,
        starts_on=d(1, 1, 2024),
        ends_on=d(12, 31, 2024),
        cost=Decimal("50.00"),
    )
    session.add_all([x, y, old])
    session.flush()

    def unit(commune: Any, **fields: Any) -> Any:
        return make.unit(commune=commune, **fields)

    # K1: portal, signed 14 Feb (mandate, Loc2), vacant since 14 Feb 2024 → 366 days (2024 is a leap year).
    add_case(
        session,
        op1,
        LeadSource.PORTAL,
        steps(d(1, 10), d(1, 13), d(1, 20), d(1, 25), d(2, 4), d(2, 14)),
        commune=a.insee,
        unit=unit(a, vacant_since=d(2, 14, 2024)),
        agreement=(IMLMode.MANDATE, ConventionLevel.LOC2),
    )
    # K2: campaign X, signed 20 March (mandate, Loc3); imported lead vacant 24 months → 730.5 + 45 days.
    add_case(
        session,
        op1,
        LeadSource.CAMPAIGN,
        steps(d(2, 3), d(2, 5), d(2, 10), d(2, 17), d(3, 3), d(3, 20)),
        commune=a.insee,
        unit=unit(a, vacant_since=None),
        campaign=x,
        vacancy_months=24,
        agreement=(IMLMode.MANDATE, ConventionLevel.LOC3),
    )
    # K3: call-back, signed 5 May without agreement: the unit's wishes count (sous-location, Loc1); vacant 120 days.
    add_case(
        session,
        op2,
        LeadSource.CALLBACK,
        steps(d(3, 2), d(3, 4), d(3, 11), d(3, 18), d(4, 1), d(5, 5)),
        commune=b.insee,
        unit=unit(b, vacant_since=d(1, 5), desired_mode=IMLMode.SUBLEASE, desired_level=ConventionLevel.LOC1),
    )
    # K4: partner, lost once contacted (rent level). K5: phone, visit fixed at the first call, lost after the visit.
    add_case(
        session,
        op2,
        LeadSource.PARTNER,
        [(S.NEW, d(4, 1)), (S.CONTACTED, d(4, 3)), (S.LOST, d(4, 20))],
        commune=b.insee,
        lost_reason="rent_level",
    )
    add_case(
        session,
        op1,
        LeadSource.PHONE,
        [(S.NEW, d(4, 7)), (S.VISIT_PLANNED, d(4, 9)), (S.VISITED, d(4, 16)), (S.LOST, d(4, 30))],
        commune=a.insee,
        lost_reason="works_too_costly",
    )
    # Open: K6 at « visite planifiée », K7 paused once contacted, K8 new, K11 at « proposition envoyée ».
    add_case(
        session,
        op1,
        LeadSource.PORTAL,
        [(S.NEW, d(5, 5)), (S.CONTACTED, d(5, 7)), (S.VISIT_PLANNED, d(5, 12))],
        commune=a.insee,
    )
    add_case(
        session,
        op2,
        LeadSource.OFFICE_HOURS,
        [(S.NEW, d(6, 2)), (S.CONTACTED, d(6, 6)), (S.PAUSED, d(6, 10))],
        commune=b.insee,
    )
    add_case(session, op2, LeadSource.PORTAL, [(S.NEW, d(6, 16))], commune=b.insee)
    add_case(session, op1, LeadSource.PHONE, steps(d(6, 2), d(6, 3), d(6, 9), d(6, 16), d(6, 23)), commune=a.insee)
    # K9: opened in 2024 from campaign X (its leads may come before the campaign: attributed by staff), signed
    # 15 January 2025 (bail glissant, Loc2), vacancy unknown. K10: opened and lost in September 2024.
    add_case(
        session,
        op1,
        LeadSource.CAMPAIGN,
        steps(d(11, 4, 2024), d(11, 6, 2024), d(11, 12, 2024), d(11, 20, 2024), d(12, 2, 2024), d(1, 15)),
        commune=a.insee,
        unit=unit(a, vacant_since=None),
        campaign=x,
        agreement=(IMLMode.BAIL_GLISSANT, ConventionLevel.LOC2),
    )
    add_case(
        session,
        op2,
        LeadSource.PORTAL,
        [(S.NEW, d(9, 2, 2024)), (S.LOST, d(9, 20, 2024))],
        commune=b.insee,
        lost_reason="no_answer",
    )
    # Another territory: signed in March and one open case, never counted here.
    add_case(
        session,
        other_op,
        LeadSource.PORTAL,
        steps(d(2, 1), d(2, 2), d(2, 3), d(2, 4), d(2, 5), d(3, 1)),
        commune=a.insee,
        unit=unit(a, vacant_since=d(1, 1)),
        agreement=(IMLMode.MANDATE, ConventionLevel.LOC1),
    )
    add_case(session, other_op, LeadSource.PORTAL, [(S.NEW, d(6, 1))], commune=a.insee)
    return World(
        territory=territory,
        op1=op1,
        op2=op2,
        metro=make.metro_user(metro_org),
        staff1=make.staff(op1),
        staff2=make.staff(op2),
        other_metro=other_metro,
        campaign_x=x,
    )


def dashboard(session: Session, world: World, *, today: date = TODAY, year: int = YEAR) -> queries.Dashboard:
    return queries.build_dashboard(session, queries.territory_scope(session, world.territory), year, today=today)


def targets(session: Session, world: World) -> None:
    set_targets(
        session,
        world.territory,
        YEAR,
        total=10,
        by_mode={IMLMode.MANDATE: 5, IMLMode.SUBLEASE: 3},
        by_level={ConventionLevel.LOC2: 6},
        by_operator={world.op1.id: 6, world.op2.id: 4},
        mandate_share=Decimal("0.5"),
        by=world.metro,
    )


# --- figures --------------------------------------------------------------------------------------------------


def test_captures_and_breakdowns(session: Session, world: World) -> None:
    targets(session, world)
    data = dashboard(session, world)
    assert data.status == "current" and data.as_of == TODAY
    # Captured in 2025 up to 1 July: K9 (15 Jan), K1 (14 Feb), K2 (20 Mar), K3 (5 May); not the other territory's.
    assert data.captured == 4
    assert data.target == 10 and data.progress == Decimal("0.4")
    assert [m.captured for m in data.months] == [1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    assert [m.cumulative for m in data.months][:6] == [1, 2, 3, 3, 4, 4]
    assert data.months[2].target_cumulative == Decimal("2.5")  # 10 × 3 / 12
    by = {line.key: (line.captured, line.target) for line in data.by_operator}
    assert by == {str(world.op1.id): (3, 6), str(world.op2.id): (1, 4)}
    assert {line.key: (line.captured, line.target) for line in data.by_mode} == {
        "mandate": (2, 5),  # K1, K2 agreements
        "sublease": (1, 3),  # K3: the unit's desired mode, no agreement
        "bail_glissant": (1, None),  # K9
    }
    assert {line.key: line.captured for line in data.by_level} == {"loc1": 1, "loc2": 2, "loc3": 1, "none": 0}
    assert data.mandate_share == Decimal("0.5") and data.mandate_share_target == Decimal("0.5")
    assert [(line.label, line.captured) for line in data.by_commune] == [("Commune Alpha", 3), ("Commune Beta", 1)]
    sources = {line.key: (line.leads, line.captured) for line in data.by_source}
    # Opened in 2025 (leads): portal K1 K6 K8, campaign K2, call-back K3, partner K4, phone K5 K11, office hours K7.
    assert sources == {
        "portal": (3, 1),
        "callback": (1, 1),
        "phone": (2, 0),
        "office_hours": (1, 0),
        "partner": (1, 0),
        "campaign": (1, 2),
    }


def test_funnel_of_the_cases_opened_in_the_year(session: Session, world: World) -> None:
    data = dashboard(session, world)
    assert data.opened == 9  # K1–K8 and K11; K9 and K10 were opened in 2024
    # Furthest stage: K1 K2 K3 signed, K11 proposal, K5 visited, K6 visit planned, K4 K7 contacted, K8 new.
    assert [s.reached for s in data.funnel] == [9, 8, 6, 5, 4, 3]
    assert [s.conversion_to_next for s in data.funnel] == [
        Decimal(8) / 9,
        Decimal(6) / 8,
        Decimal(5) / 6,
        Decimal(4) / 5,
        Decimal(3) / 4,
        None,
    ]
    # new → contacted: 3, 2, 2, 2, 2, 4, 1 → 2; contacted → visit: 7, 5, 7, 5, 6 → 6; visit → visited: 5, 7, 7, 7,
    # 7 → 7; visited → proposal: 10, 14, 14, 7 → 12; proposal → signed: 10, 17, 34 → 17.
    assert [s.median_days_to_next for s in data.funnel] == [2, 6, 7, 12, 17, None]


def test_lost_reasons_vacancy_and_campaigns(session: Session, world: World) -> None:
    data = dashboard(session, world)
    lost = {line.key: line.captured for line in data.lost}
    assert lost == {
        "rent_level": 1,
        "works_too_costly": 1,
        "prefers_to_sell": 0,
        "not_decent": 0,
        "no_answer": 0,
        "other": 0,
    }
    # K1 366 days, K2 24 × 30.4375 + 45 = 775.5, K3 120, K9 unknown → median 366, mean 1261.5 / 3 = 420.5.
    v = data.vacancy
    assert (v.captured, v.known, v.from_vacant_since, v.from_vacancy_months) == (4, 3, 2, 1)
    assert (v.median_days, v.mean_days) == (366, 420.5)
    # Campaigns of 2025: X (K2 and K9, both captured: 1,000 € / 2) and Y (no lead); last year's is not listed.
    campaigns = {c.name: (c.leads, c.captured, c.cost_per_captured) for c in data.campaigns}
    assert campaigns == {"Campagne X": (2, 2, Decimal("500.00")), "Campagne Y": (0, 0, None)}


def test_projection_with_the_default_probabilities(session: Session, world: World) -> None:
    data = dashboard(session, world)
    p = data.projection
    assert p is not None
    # 7 cases closed in the 12 months (K1 K2 K3 K9 signed, K4 K5 K10 lost): below 30, every default is used.
    assert not any(prob.from_history for prob in data.probabilities.values())
    assert data.probabilities[S.NEW].closed_cases == 7
    # Open: K8 new, K7 paused at contacted, K6 visit planned, K11 proposal → 0.15 + 0.25 + 0.40 + 0.75 = 1.55.
    assert {line.stage: line.open_cases for line in p.pipeline} == {
        S.NEW: 1,
        S.CONTACTED: 1,
        S.VISIT_PLANNED: 1,
        S.VISITED: 0,
        S.PROPOSAL_SENT: 1,
    }
    assert p.pipeline_part == Decimal("1.55")
    # 4 captured in 182 days, 183 days to go: 4 × 183 / 182.
    assert (p.elapsed_days, p.remaining_days) == (182, 183)
    expected = 4 + Fraction(4 * 183, 182) + Fraction(155, 100)
    assert abs(Fraction(p.value) - expected) < Fraction(1, 10**20)
    assert p.value.quantize(Decimal("0.01")) == Decimal("9.57")  # 4 + 4.0220 + 1.55


def test_projection_with_the_territory_history(session: Session, world: World) -> None:
    session.execute(
        update(Parameter).where(Parameter.key == "indicators.projection.min_closed_cases").values(value="5")
    )
    data = dashboard(session, world)
    p = data.probabilities
    # Closed in the 12 months to 1 July: signed K1 K2 K3 K9 (past every stage); lost K10 as new (0),
    # K4 once contacted (1), K5 after the visit (3).
    # new: 4/7; contacted: 4/6; visit planned: 4/5; visited: 4/5; proposal: 4 cases < 5 → default 0.75.
    assert {stage: (prob.closed_cases, prob.from_history) for stage, prob in p.items()} == {
        S.NEW: (7, True),
        S.CONTACTED: (6, True),
        S.VISIT_PLANNED: (5, True),
        S.VISITED: (5, True),
        S.PROPOSAL_SENT: (4, False),
    }
    assert p[S.NEW].value == Decimal(4) / 7 and p[S.CONTACTED].value == Decimal(4) / 6
    projection = data.projection
    assert projection is not None
    expected_pipeline = Fraction(4, 7) + Fraction(4, 6) + Fraction(4, 5) + Fraction(3, 4)
    assert abs(Fraction(projection.pipeline_part) - expected_pipeline) < Fraction(1, 10**20)
    assert projection.value.quantize(Decimal("0.01")) == Decimal("10.81")  # 4 + 4.0220 + 2.7881


def test_operator_scope_counts_only_its_own_cases(session: Session, world: World) -> None:
    targets(session, world)
    scope = queries.operator_scope(world.op2)
    assert scope is not None
    data = queries.build_dashboard(session, scope, YEAR, today=TODAY)
    assert data.captured == 1 and data.target == 4  # K3; the operator's share of the target
    assert data.opened == 4  # K3 K4 K7 K8
    assert [line.label for line in data.by_operator] == ["Opérateur Deux"]
    assert data.mandate_share_target is None  # the territory's aim, not this operator's
    assert [c.name for c in data.campaigns] == ["Campagne Y"]  # the campaigns it ran


def test_a_past_year_and_a_future_year(session: Session, world: World) -> None:
    past = dashboard(session, world, today=date(2026, 3, 1))
    assert past.status == "past" and past.captured == 4
    assert past.projection is not None and past.projection.closed_year and past.projection.value == 4
    assert [line.captured for line in past.lost if line.key == "no_answer"] == [0]  # K10 was lost in 2024
    last_year = dashboard(session, world, year=2024, today=TODAY)
    assert last_year.captured == 0 and last_year.opened == 2  # K9 K10
    assert {line.key: line.captured for line in last_year.lost}["no_answer"] == 1
    future = dashboard(session, world, year=2026, today=TODAY)
    assert future.status == "future" and future.projection is None and future.captured == 0


def test_a_capture_late_on_new_years_eve_utc_is_in_january_in_paris(
    make: Factory, session: Session, parameters: None
) -> None:
    commune = make.commune()
    territory = make.territory(communes=[commune])
    operator = make.organisation(kind=OrganisationKind.AIS, territory=territory)
    case = add_case(session, operator, LeadSource.PORTAL, [(S.NEW, d(12, 1, 2024))], commune=commune.insee)
    # 31 December 2024 at 23:30 UTC is 1 January 2025 at 00:30 in Paris.
    session.add(
        CaptureStageChange(
            case_id=case.id, from_stage=S.NEW, to_stage=S.SIGNED, at=datetime(2024, 12, 31, 23, 30, tzinfo=UTC)
        )
    )
    session.flush()
    scope = queries.territory_scope(session, territory)
    assert queries.build_dashboard(session, scope, 2024, today=date(2025, 2, 1)).captured == 0
    january = queries.build_dashboard(session, scope, 2025, today=date(2025, 2, 1))
    assert january.captured == 1 and january.months[0].captured == 1


# --- targets ----------------------------------------------------------------------------------------------------


def test_set_targets_replaces_the_plan_and_is_audited(session: Session, world: World) -> None:
    targets(session, world)
    plan = set_targets(
        session,
        world.territory,
        YEAR,
        total=8,
        by_mode={},
        by_level={"loc3": 2},
        by_operator={world.op1.id: None},
        mandate_share=None,
        by=world.metro,
    )
    stored = queries.plan_targets(session, world.territory.id, YEAR)
    assert (stored.total, stored.by_mode, stored.by_level, stored.by_operator, stored.mandate_share) == (
        8,
        {},
        {"loc3": 2},
        {},
        None,
    )
    assert session.scalar(select(func.count()).select_from(CapturePlan)) == 1
    assert session.scalar(select(func.count()).select_from(CaptureTarget).where(CaptureTarget.plan_id == plan.id)) == 2
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "capture_plan.set_targets")).all()
    assert len(entries) == 2 and entries[-1].details["total"] == 8 and entries[-1].actor_id == world.metro.id


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"total": -1}, "positif ou nul"),
        ({"total": 5, "by_mode": {"mandate": 6}}, r"par formule \(6 logements\) dépassent l'objectif total \(5"),
        ({"total": 5, "mandate_share": Decimal("1.5")}, "entre 0 et 100"),
        ({"total": 5, "by_operator": {999_999: 1}}, "n'intervient pas sur ce territoire"),
    ],
)
def test_set_targets_refuses_bad_values(
    session: Session, world: World, arguments: dict[str, Any], message: str
) -> None:
    values: dict[str, Any] = {"by_mode": {}, "by_level": {}, "by_operator": {}, "mandate_share": None}
    values.update(arguments)
    with pytest.raises(CaptureError, match=message):
        set_targets(session, world.territory, YEAR, by=world.metro, **values)
    assert session.scalar(select(func.count()).select_from(CapturePlan)) == 0


def test_targets_page_saves_and_redisplays_errors(client: FlaskClient, session: Session, world: World) -> None:
    login_as(client, world.metro)
    page = client.get(f"/metropole/objectifs?annee={YEAR}")
    assert page.status_code == 200 and "Opérateur Un" in page.get_data(as_text=True)
    form = {
        "annee": str(YEAR),
        "total": "12",
        "mode_mandate": "6",
        "mode_sublease": "",
        "level_loc2": "7",
        f"operator_{world.op1.id}": "7",
        f"operator_{world.op2.id}": "5",
        "mandate_share": "50",
    }
    response = client.post("/metropole/objectifs", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/metropole/tableau-de-bord?annee={YEAR}"
    )
    stored = queries.plan_targets(session, world.territory.id, YEAR)
    assert (stored.total, stored.by_mode, stored.by_level, stored.mandate_share) == (
        12,
        {"mandate": 6},
        {"loc2": 7},
        Decimal("0.5"),
    )
    assert stored.by_operator == {world.op1.id: 7, world.op2.id: 5}

    bad = client.post("/metropole/objectifs", data={**form, "total": "10", "mandate_share": "120"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Les objectifs par opérateur (12 logements) dépassent l&#39;objectif total (10 logements)." in text
    assert "Indiquez une part entre 0 et 100 %." in text
    assert queries.plan_targets(session, world.territory.id, YEAR).total == 12  # nothing saved

    wrong_year = client.post("/metropole/objectifs", data={**form, "annee": "1990"})
    assert wrong_year.status_code == 200 and "Année invalide" in wrong_year.get_data(as_text=True)


# --- pages, exports and the API ---------------------------------------------------------------------------------


def test_dashboard_page_shows_the_year(client: FlaskClient, session: Session, world: World) -> None:
    targets(session, world)
    login_as(client, world.metro)
    page = client.get(f"/metropole/tableau-de-bord?annee={YEAR}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Année close" in text  # 2025 is over for the application's clock
    assert "Opérateur Un" in text and "Campagne X" in text and "500,00" in text
    assert "<svg" in text and "style=" not in text  # charts drawn without inline style (strict CSP)
    bad = client.get("/metropole/tableau-de-bord?annee=abc")
    assert bad.status_code == 200 and "Année invalide" in bad.get_data(as_text=True)


def test_csv_and_xlsx_exports(client: FlaskClient, session: Session, world: World) -> None:
    targets(session, world)
    login_as(client, world.metro)
    response = client.get(f"/metropole/indicateurs.csv?annee={YEAR}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeffTerritoire;Année;Rubrique;Élément;Mesure;Valeur\r\n")
    assert f"Territoire des tests;{YEAR};Synthèse;Logements captés à date;Valeur;4\r\n" in body
    assert f"Territoire des tests;{YEAR};Synthèse;Part en mandat de gestion (%);Valeur;50,0\r\n" in body
    assert "Campagnes;Campagne X;Coût par logement capté (€);500,00" in body
    assert (
        "Entonnoir des dossiers ouverts dans l'année;Visite réalisée;Délai médian jusqu'à l'étape suivante (jours);12"
        in body
    )

    workbook = load_workbook(io.BytesIO(client.get(f"/metropole/indicateurs.xlsx?annee={YEAR}").data))
    summary = workbook["Synthèse"]
    assert summary["A3"].value == "Logements captés à date" and summary["B3"].value == 4 and summary["C3"].value == 10
    operators = workbook["Opérateur"]
    assert [[cell.value for cell in row] for row in operators.iter_rows(min_row=3, max_col=2)] == [
        ["Opérateur Deux", 1],
        ["Opérateur Un", 3],
    ]
    assert "Méthode" in workbook.sheetnames

    bad = client.get("/metropole/indicateurs.csv?annee=12")
    assert bad.status_code == 302


def test_api_contract(client: FlaskClient, session: Session, world: World) -> None:
    targets(session, world)
    url = f"/api/v1/indicators?territory=200000001&year={YEAR}"
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and "connectez-vous" in body(anonymous)["error"]
    login_as(client, world.metro)
    data = body(client.get(url))
    assert data["territory"] == {"epci_code": "200000001", "name": "Territoire des tests"}
    assert data["year"] == YEAR and data["status"] == "past"
    assert data["captured"]["total"] == 4 and data["captured"]["target"] == 10
    assert [m["captured"] for m in data["captured"]["by_month"]][:5] == [1, 1, 1, 0, 1]
    assert data["projection"]["value"] == 4 and data["projection"]["closed_year"] is True
    assert data["mandate_share"] == {"value": 0.5, "target": 0.5}
    assert [(s["stage"], s["reached"], s["median_days_to_next"]) for s in data["funnel"]["stages"]] == [
        ("new", 9, 2),
        ("contacted", 8, 6),
        ("visit_planned", 6, 7),
        ("visited", 5, 12),
        ("proposal_sent", 4, 17),
        ("signed", 3, None),
    ]
    assert data["funnel"]["stages"][1]["conversion_to_next"] == 0.75
    assert data["campaigns"][0]["cost_per_captured"] == 500.0
    assert data["vacancy_before_capture"]["median_days"] == 366
    assert "/api/v1/indicators" in body(client.get("/api/v1/openapi.json"))["paths"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "territory"),
        ("territory=abc&year=2025", "territory"),
        ("territory=200000001&year=1999", "year"),
        ("territory=200000001&year=deux", "year"),
    ],
)
def test_api_refuses_bad_parameters(client: FlaskClient, world: World, query: str, field: str) -> None:
    login_as(client, world.metro)
    response = client.get(f"/api/v1/indicators?{query}")
    assert response.status_code == 422
    assert body(response)["error"] == "Paramètres invalides." and field in body(response)["errors"]


def test_api_refuses_other_roles_and_territories(client: FlaskClient, make: Factory, world: World) -> None:
    url = f"/api/v1/indicators?territory=200000001&year={YEAR}"
    for user in (world.staff1, make.user(Role.LANDLORD), make.user(Role.ADMIN), world.other_metro):
        login_as(client, user)
        response = client.get(url)
        assert response.status_code == 403, user
        assert body(response)["error"] in {
            "Accès réservé aux comptes de la métropole.",
            "Ce territoire n'est pas celui de votre organisation.",
        }


def test_operator_staff_see_only_their_figures(client: FlaskClient, session: Session, world: World) -> None:
    targets(session, world)
    login_as(client, world.staff2)
    text = client.get(f"/captation/indicateurs?annee={YEAR}").get_data(as_text=True)
    assert "Opérateur Deux" in text and "Opérateur Un" not in text
    assert "Campagne Y" in text and "Campagne X" not in text
    login_as(client, world.staff1)
    assert client.get("/metropole/tableau-de-bord").status_code == 403
    assert client.get(f"/metropole/indicateurs.csv?annee={YEAR}").status_code == 403


# --- the demo ---------------------------------------------------------------------------------------------------


def _demo_counts(session: Session) -> dict[str, int]:
    from capture.models import CaptureActivity, Landlord, StockEntry, Unit

    models = (CaptureCase, CaptureStageChange, CaptureActivity, Agreement, StockEntry, Campaign, Landlord, Unit)
    counts = {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0 for model in models}
    counts["audit"] = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return counts


def test_demo_activity_tells_a_story_and_is_idempotent(app: Flask, session: Session) -> None:
    from capture.demo_activity import demo_context, seed_activity
    from capture.models import Landlord, StockEntry
    from passerelle.demo import seed_demo

    with app.app_context():  # the demo leases store their PDFs
        seed_demo(session, echo=lambda _message: None)
    context = demo_context(session, echo=lambda _message: None)
    seed_activity(context)  # nothing new when ``passerelle demo`` already ran it
    before = _demo_counts(session)
    seed_activity(context)
    assert _demo_counts(session) == before

    cases = session.scalars(
        select(CaptureCase).where(CaptureCase.operator_id.in_([context.ais.id, context.association.id]))
    )
    stages = {case.stage for case in cases}
    assert set(FULL) | {S.LOST} <= stages  # leads at every stage, and lost ones
    assert before["Campaign"] >= 3 and 80 <= before["CaptureCase"] <= 160
    reasons = set(session.scalars(select(CaptureCase.lost_reason).where(CaptureCase.lost_reason.is_not(None))))
    assert len(reasons) >= 4
    assert before["StockEntry"] == before["Agreement"] > 10
    modes = list(session.scalars(select(Agreement.mode)))
    assert 0.2 <= modes.count(IMLMode.MANDATE) / len(modes) <= 0.6
    phones = [phone or "" for phone in session.scalars(select(Landlord.phone))]
    # Invented numbers, in the range ARCEP keeps for fiction (the demo owner's own number apart).
    assert all(phone.startswith("06 39 98 ") for phone in phones if phone != "06 12 34 56 78")
    # Only the units of the demo leases have left the available stock (let, or slid to the household).
    from agency_backoffice.models import Lease

    leased = set(session.scalars(select(Lease.stock_entry_id)))
    assert set(session.scalars(select(StockEntry.id).where(StockEntry.status != "available"))) == leased
    year = datetime.now(queries.PARIS).year
    plan = queries.plan_targets(session, context.territory.id, year)
    assert plan.total and plan.by_mode and plan.by_level and len(plan.by_operator) == 2
    assert plan.mandate_share == Decimal("0.5")
    data = queries.build_dashboard(
        session, queries.territory_scope(session, context.territory), year, today=datetime.now(queries.PARIS).date()
    )
    assert data.captured > 0 and data.projection is not None and data.campaigns

    context.scale = 150
    seed_activity(context)
    scaled = _demo_counts(session)
    assert scaled["CaptureCase"] == before["CaptureCase"] + 150
    assert scaled["CaptureStageChange"] > before["CaptureStageChange"] + 150
    seed_activity(context)
    assert _demo_counts(session) == scaled
    context.scale = 200
    seed_activity(context)
    assert _demo_counts(session)["CaptureCase"] == before["CaptureCase"] + 200


# --- the inputs cache ---------------------------------------------------------------------------------------------


def _move(session: Session, case: CaptureCase, to: CaptureStage, moment: datetime, **fields: Any) -> None:
    session.add(CaptureStageChange(case_id=case.id, from_stage=case.stage, to_stage=to, at=moment))
    case.stage = to
    for name, value in fields.items():
        setattr(case, name, value)
    session.flush()


def test_cached_inputs_topped_up_with_new_stage_changes_equal_a_full_read(
    make: Factory, session: Session, world: World
) -> None:
    targets(session, world)
    cache = queries.InputsCache(600)
    scope = queries.territory_scope(session, world.territory)
    first = queries.build_dashboard(session, scope, YEAR, today=TODAY, cache=cache)
    assert first == dashboard(session, world)

    def open_case(operator: Organisation, stage: CaptureStage) -> CaptureCase:
        found = session.scalar(
            select(CaptureCase).where(CaptureCase.operator_id == operator.id, CaptureCase.stage == stage)
        )
        assert found is not None
        return found

    morning = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)
    k6, k8, k11 = (
        open_case(world.op1, S.VISIT_PLANNED),
        open_case(world.op2, S.NEW),
        open_case(world.op1, S.PROPOSAL_SENT),
    )
    _move(session, k6, S.VISITED, morning)
    _move(session, k8, S.LOST, morning, lost_reason="prefers_to_sell")
    unit = make.unit(commune=make.commune("97102"), vacant_since=d(3, 1))
    k11.unit_id, k11.landlord_id = unit.id, unit.landlord_id
    _move(session, k11, S.SIGNED, morning)
    session.add(
        Agreement(
            case_id=k11.id,
            unit_id=unit.id,
            operator_id=world.op1.id,
            landlord_id=unit.landlord_id,
            mode=IMLMode.SUBLEASE,
            level=ConventionLevel.LOC1,
            rent=Decimal("450.00"),
            duration_months=36,
            starts_on=TODAY,
            status="signed",
            signed_on=TODAY,
            signature_method=SignatureMethod.PAPER,
        )
    )
    add_case(session, world.op2, LeadSource.PHONE, [(S.NEW, TODAY)], commune="97101")

    again = queries.build_dashboard(session, scope, YEAR, today=TODAY, cache=cache)
    assert again == dashboard(session, world)  # the same as reading everything again
    assert again.captured == 5 and again.opened == 10
    assert {line.key: line.captured for line in again.lost}["prefers_to_sell"] == 1
    assert [s.reached for s in again.funnel] == [10, 8, 6, 6, 4, 4]
    latest = session.scalar(select(func.max(CaptureStageChange.id)))
    entry = cache.get((tuple(scope.operator_ids), YEAR, TODAY))
    assert entry is not None and entry.through_change_id == latest  # topped up, not read again


def test_the_cache_is_off_under_tests_and_follows_its_setting(app: Flask) -> None:
    assert queries.inputs_cache(app) is None  # TESTING: every test reads its own rows
    app.config["INDICATORS_CACHE_SECONDS"] = 30
    try:
        cache = queries.inputs_cache(app)
        assert cache is not None and cache.seconds == 30 and queries.inputs_cache(app) is cache
    finally:
        del app.config["INDICATORS_CACHE_SECONDS"]
        app.extensions.pop(queries.CACHE_EXTENSION, None)


def test_an_empty_targets_form_saves_nothing(client: FlaskClient, session: Session, world: World) -> None:
    login_as(client, world.metro)
    response = client.post("/metropole/objectifs", data={})
    assert response.status_code == 200
    assert "Indiquez l&#39;objectif total de l&#39;année (0 s&#39;il n&#39;y en a pas)." in response.get_data(
        as_text=True
    )
    assert session.scalar(select(func.count()).select_from(CapturePlan)) == 0


def test_without_reference_parameters_the_projection_says_why(make: Factory, session: Session) -> None:
    territory = make.territory()
    make.organisation(kind=OrganisationKind.AIS, territory=territory)
    data = queries.build_dashboard(session, queries.territory_scope(session, territory), YEAR, today=TODAY)
    assert data.projection is None and data.captured == 0
    assert data.projection_unavailable is not None
    assert "indicators.projection.signed_probability.new" in data.projection_unavailable
