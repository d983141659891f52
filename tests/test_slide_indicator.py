"""The « Baux glissés » indicator: bail glissant slides completed in a year, by operator, aggregates only."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from capture.models import IMLMode
from capture.queries import indicators as queries
from passerelle.models import Organisation, OrganisationKind
from tests.conftest import login_as
from tests.factories import Factory

YEAR = 2025


def ended(make: Factory, session: Session, operator: Organisation, on: date, reason: str = "slide") -> None:
    """A unit of the operator whose lease to the association ended on ``on`` (the agreement records it)."""
    owner = make.landlord(make.user(full_name="Nom Secret"))
    entry = make.available_unit(operator, mode=IMLMode.BAIL_GLISSANT, landlord=owner, address="3 impasse Secrète")
    entry.agreement.ended_on, entry.agreement.end_reason = on, reason
    session.flush()


@pytest.fixture
def world(make: Factory, session: Session):  # type: ignore[no-untyped-def]
    territory = make.territory()
    op1 = make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory, name="Association Un")
    op2 = make.organisation(kind=OrganisationKind.AIS, territory=territory, name="AIS Deux")
    elsewhere = make.organisation(kind=OrganisationKind.ASSOCIATION, name="Association Ailleurs")
    ended(make, session, op1, date(YEAR, 1, 1))
    ended(make, session, op1, date(YEAR, 12, 31))
    ended(make, session, op1, date(YEAR - 1, 12, 31))  # the year before
    ended(make, session, op1, date(YEAR, 6, 1), reason="other")  # not a slide
    ended(make, session, op2, date(YEAR, 6, 30))
    ended(make, session, elsewhere, date(YEAR, 6, 30))  # another territory
    make.available_unit(op2, mode=IMLMode.BAIL_GLISSANT)  # still running
    return territory, op1, op2


def counts(lines: list[queries.Line]) -> dict[str, int]:
    return {line.label: line.captured for line in lines}


def test_slides_are_counted_in_the_year_by_operator_of_the_territory(session, world):
    territory, _op1, _op2 = world
    scope = queries.territory_scope(session, territory)
    assert counts(queries.slides_by_operator(session, scope, YEAR, until=date(YEAR, 12, 31))) == {
        "AIS Deux": 1,
        "Association Un": 2,
    }
    assert counts(queries.slides_by_operator(session, scope, YEAR, until=date(YEAR, 6, 29))) == {
        "AIS Deux": 0,
        "Association Un": 1,
    }
    assert counts(queries.slides_by_operator(session, scope, YEAR - 1, until=date(YEAR + 1, 3, 1))) == {
        "AIS Deux": 0,
        "Association Un": 1,
    }
    assert counts(queries.slides_by_operator(session, scope, YEAR + 5, until=None)) == {
        "AIS Deux": 0,
        "Association Un": 0,
    }


def test_the_dashboard_counts_them_for_the_territory_and_for_one_operator(session, world):
    territory, op1, _op2 = world
    territory_data = queries.build_dashboard(
        session, queries.territory_scope(session, territory), YEAR, today=date(YEAR + 1, 2, 1)
    )
    assert territory_data.slides_total == 3
    scope = queries.operator_scope(op1)
    assert scope is not None
    own = queries.build_dashboard(session, scope, YEAR, today=date(YEAR + 1, 2, 1))
    assert counts(own.slides) == {"Association Un": 2} and own.slides_total == 2


def test_the_metro_dashboard_shows_baux_glisses_without_personal_data(
    client: FlaskClient, make: Factory, parameters: None, world
):
    territory, op1, _op2 = world
    metro = make.metro_user(make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory))
    login_as(client, metro)
    page = client.get(f"/metropole/tableau-de-bord?annee={YEAR}").get_data(as_text=True)
    assert "Baux glissés" in page and f"3 baux glissés en {YEAR}" in page
    assert '<th scope="row">Association Un</th><td class="num">2</td>' in page
    assert "Nom Secret" not in page and "impasse Secrète" not in page

    login_as(client, make.staff(op1))
    own = client.get(f"/captation/indicateurs?annee={YEAR}").get_data(as_text=True)
    assert f"2 baux glissés en {YEAR}" in own and "AIS Deux" not in own
