"""Bail glissant pages through the Flask client: the review form and its French refusals, the slide, the reviews
due, and operator isolation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.models import Lease, LeaseEndReason, LeaseKind, LeaseStatus, ReviewDecision, SlidingReview
from capture.models import IMLMode, StockStatus
from passerelle.models import AuditEntry, OrganisationKind
from tests.conftest import login_as
from tests.factories import Factory

TODAY = date.today()


@pytest.fixture
def operator(make: Factory, parameters: None):  # type: ignore[no-untyped-def]
    return make.organisation(kind=OrganisationKind.ASSOCIATION, name="Habitat Solidaire Rhône")


@pytest.fixture
def staff(make: Factory, operator):  # type: ignore[no-untyped-def]
    return make.staff(operator, full_name="Lou Martin")


@pytest.fixture
def sublease(app: Flask, make: Factory, operator, staff) -> Lease:
    with app.test_request_context():
        return make.lease(operator, by=staff, mode=IMLMode.BAIL_GLISSANT, tenants=("Awa Diallo",))


def review_data(**changes: str) -> dict[str, str]:
    data = {
        "held_on": TODAY.isoformat(),
        "rent_paid_regularly": "yes",
        "insurance_ok": "yes",
        "occupancy_ok": "yes",
        "support_goals": "Tenir le budget.",
        "goals_progress": "met",
        "household_view": "Nous voulons devenir locataires de la propriétaire.",
        "decision": "slide",
        "reasons": "Loyer payé sans retard, assurance à jour.",
        "slide_on": TODAY.isoformat(),
        "ends_on": "",
    }
    data.update(changes)
    return data


SLIDE_DATA = {
    "deposit_outcome": "transferred",
    "deposit_note": "",
    "signatories": "Awa Diallo ; Claire Dupont",
    "signature_method": "paper",
}


def held_reviews(session: Session) -> int:
    return session.scalar(select(func.count(SlidingReview.id)).where(SlidingReview.held_on.is_not(None))) or 0


def test_the_review_form_is_shown_and_the_visit_traced(client: FlaskClient, session, staff, sublease):
    (review,) = sublease.reviews
    login_as(client, staff)
    response = client.get(f"/agence/baux/{sublease.id}/revues/{review.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Revue du bail glissant du" in page and "Avis du ménage" in page and "Faire glisser le bail" in page
    assert "Enregistrer le glissement" not in page  # nothing decided yet
    views = session.scalars(select(AuditEntry.details).where(AuditEntry.action == "household.view")).all()
    assert {"page": f"sliding review {review.id}"} in views


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rent_paid_regularly": "no"}, "Le bail ne peut pas glisser : le loyer n&#39;est pas payé régulièrement"),
        ({"goals_progress": "not_met"}, "les objectifs de l&#39;accompagnement ne sont pas atteints"),
        ({"household_view": ""}, "Notez l&#39;avis du ménage : il est entendu à chaque revue."),
        ({"reasons": ""}, "Motivez la décision."),
        ({"held_on": (TODAY + timedelta(days=1)).isoformat()}, "La revue ne peut pas être datée dans le futur"),
        ({"slide_on": ""}, "Indiquez la date du glissement."),
        ({"decision": "end"}, "Indiquez la date de fin de la sous-location."),
    ],
    ids=["rent-unpaid", "goals-not-met", "household-not-heard", "no-reasons", "future", "no-slide-date", "no-end-date"],
)
def test_a_refused_review_says_why_in_french_and_saves_nothing(
    client: FlaskClient, session, staff, sublease, changes, message
):
    (review,) = sublease.reviews
    login_as(client, staff)
    response = client.post(f"/agence/baux/{sublease.id}/revues/{review.id}", data=review_data(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Le formulaire contient des erreurs" in page and message in page
    assert held_reviews(session) == 0
    session.expire_all()
    assert sublease.status is LeaseStatus.ACTIVE


def test_review_then_slide_through_the_pages(client: FlaskClient, session, staff, sublease):
    (review,) = sublease.reviews
    login_as(client, staff)
    url = f"/agence/baux/{sublease.id}/revues/{review.id}"
    recorded = client.post(url, data=review_data())
    assert recorded.status_code == 302 and recorded.headers["Location"].endswith(url)
    session.expire_all()
    assert review.decision is ReviewDecision.SLIDE and review.slide_on == TODAY

    page = client.get(url).get_data(as_text=True)
    assert "Revue tenue le" in page and "Enregistrer le glissement" in page
    assert f'action="/agence/baux/{sublease.id}/glissement"' in page

    incomplete = client.post(f"/agence/baux/{sublease.id}/glissement", data={**SLIDE_DATA, "deposit_outcome": ""})
    assert incomplete.status_code == 422
    assert "Indiquez ce que devient le dépôt de garantie." in incomplete.get_data(as_text=True)
    session.expire_all()
    assert sublease.status is LeaseStatus.ACTIVE

    slid = client.post(f"/agence/baux/{sublease.id}/glissement", data=SLIDE_DATA)
    direct = session.scalars(select(Lease).where(Lease.slid_from_id == sublease.id)).one()
    assert slid.status_code == 302 and slid.headers["Location"].endswith(f"/agence/baux/{direct.id}")
    session.expire_all()
    assert (direct.kind, direct.status, direct.signatories) == (
        LeaseKind.DIRECT,
        LeaseStatus.ACTIVE,
        "Awa Diallo ; Claire Dupont",
    )
    assert (sublease.status, sublease.end_reason) == (LeaseStatus.ENDED, LeaseEndReason.SLIDE)
    assert sublease.stock_entry.status is StockStatus.WITHDRAWN

    old = client.get(f"/agence/baux/{sublease.id}").get_data(as_text=True)
    assert f'<a href="/agence/baux/{direct.id}">bail d\'habitation n°&nbsp;{direct.id}</a>' in old
    new = client.get(f"/agence/baux/{direct.id}").get_data(as_text=True)
    assert "Bail issu du glissement de la sous-location" in new and f'href="/agence/baux/{sublease.id}"' in new

    again = client.post(f"/agence/baux/{sublease.id}/glissement", data=SLIDE_DATA)
    assert again.status_code == 422 and "n&#39;est plus suivie" in again.get_data(as_text=True)


def test_the_reviews_due_list(client: FlaskClient, make, session, staff, sublease):
    (review,) = sublease.reviews
    review.due_on = TODAY + timedelta(days=10)
    session.flush()
    login_as(client, staff)
    page = client.get("/agence/revues").get_data(as_text=True)
    link = f"/agence/baux/{sublease.id}/revues/{review.id}"
    assert link in page and sublease.household.siao_reference in page and "Awa Diallo" not in page
    assert link not in client.get("/agence/revues?jours=5").get_data(as_text=True)
    assert "Nombre de jours invalide" in client.get("/agence/revues?jours=dix", follow_redirects=True).get_data(
        as_text=True
    )


def test_another_operators_staff_get_404(client: FlaskClient, make, session, sublease):
    (review,) = sublease.reviews
    review.due_on = TODAY
    session.flush()
    other = make.staff(make.organisation(kind=OrganisationKind.ASSOCIATION))
    login_as(client, other)
    url = f"/agence/baux/{sublease.id}/revues/{review.id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data=review_data()).status_code == 404
    assert client.post(f"/agence/baux/{sublease.id}/glissement", data=SLIDE_DATA).status_code == 404
    assert f"/agence/baux/{sublease.id}/" not in client.get("/agence/revues").get_data(as_text=True)
    assert held_reviews(session) == 0


def test_a_review_belongs_to_its_lease(app: Flask, client: FlaskClient, make, operator, staff, sublease):
    with app.test_request_context():
        other = make.lease(operator, by=staff, mode=IMLMode.BAIL_GLISSANT)
    login_as(client, staff)
    assert client.get(f"/agence/baux/{sublease.id}/revues/{other.reviews[0].id}").status_code == 404


def test_a_slide_decided_for_later_waits_for_its_date(client: FlaskClient, session, staff, sublease):
    (review,) = sublease.reviews
    login_as(client, staff)
    url = f"/agence/baux/{sublease.id}/revues/{review.id}"
    later = TODAY + timedelta(days=15)
    assert client.post(url, data=review_data(slide_on=later.isoformat())).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "il pourra être enregistré à partir de cette date" in page and "Enregistrer le glissement" not in page
    refused = client.post(f"/agence/baux/{sublease.id}/glissement", data=SLIDE_DATA)
    assert refused.status_code == 422 and "ne peut pas être enregistré avant cette date" in refused.get_data(
        as_text=True
    )
    session.expire_all()
    assert sublease.status is LeaseStatus.ACTIVE
