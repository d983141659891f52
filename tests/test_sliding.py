"""The bail glissant lifecycle on a real database: reviews and their decisions, then the slide to a direct lease."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from flask import Flask
from sqlalchemy import func, select

from agency_backoffice.models import (
    DepositOutcome,
    GoalProgress,
    HouseholdStatus,
    LeaseDocumentKind,
    LeaseEndReason,
    LeaseKind,
    LeaseSignatureMethod,
    LeaseStatus,
    ReviewDecision,
    SlidingReview,
)
from agency_backoffice.operations import sliding as ops
from agency_backoffice.operations.leases import LeaseError
from agency_backoffice.rules.leases import last_day
from agency_backoffice.rules.sliding import ReviewValues
from capture.models import ConventionLevel, IMLMode, LandlordKind, StockStatus
from capture.queries import indicators
from capture.rules.locavantages import add_months
from passerelle import storage
from passerelle.models import AuditEntry, OrganisationKind, RentReference
from tests.test_agreement_pdfs import text_of

TODAY = date.today()

SLIDE_REVIEW = ReviewValues(
    held_on=TODAY,
    rent_paid_regularly=True,
    insurance_ok=True,
    occupancy_ok=True,
    support_goals="Tenir le budget, ouvrir les droits à l'aide au logement.",
    goals_progress=GoalProgress.MET,
    household_view="Nous voulons rester et devenir locataires de la propriétaire.",
    decision=ReviewDecision.SLIDE,
    reasons="Loyer payé sans retard depuis l'entrée, assurance à jour, budget tenu.",
    slide_on=TODAY,
)


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


def bail_glissant(make, **fields):  # type: ignore[no-untyped-def]
    operator = make.organisation(kind=OrganisationKind.ASSOCIATION, name="Habitat Solidaire Rhône")
    staff = make.staff(operator)
    lease = make.lease(operator, by=staff, mode=IMLMode.BAIL_GLISSANT, **fields)
    return operator, staff, lease


def slide(session, lease, staff, **changes):  # type: ignore[no-untyped-def]
    values = dict(
        on=TODAY,
        deposit_outcome=DepositOutcome.TRANSFERRED,
        deposit_note=None,
        signatories="Awa Diallo ; Claire Dupont, propriétaire",
        method=LeaseSignatureMethod.PAPER,
        by=staff,
        today=TODAY,
    )
    values.update(changes)
    return ops.slide_lease(session, lease, **values)


def test_a_review_decides_the_slide_and_the_household_becomes_the_owners_tenant(make, session):
    operator, staff, sublease = bail_glissant(make, tenants=("Awa Diallo",), rent=D("430"), deposit=D("430"))
    (review,) = sublease.reviews
    assert review.due_on == add_months(sublease.starts_on, 6) and review.held_on is None

    ops.record_review(session, review, SLIDE_REVIEW, by=staff, today=TODAY)
    assert (review.decision, review.slide_on, review.decided_by_id) == (ReviewDecision.SLIDE, TODAY, staff.id)
    assert sublease.status is LeaseStatus.ACTIVE  # the slide itself is a separate step

    direct = slide(session, sublease, staff)

    assert (direct.kind, direct.mode, direct.status) == (LeaseKind.DIRECT, IMLMode.BAIL_GLISSANT, LeaseStatus.ACTIVE)
    assert direct.slid_from_id == sublease.id and direct.proposal_id is None
    assert (direct.landlord_id, direct.household_id, direct.unit_id) == (
        sublease.landlord_id,
        sublease.household_id,
        sublease.unit_id,
    )
    assert (direct.rent, direct.deposit, direct.starts_on, direct.activated_on) == (D("430"), D("430"), TODAY, TODAY)
    assert direct.duration_months == 36  # loi 89-462 art. 10: a natural-person owner
    assert direct.deposit_outcome is DepositOutcome.TRANSFERRED
    (document,) = [d for d in direct.documents if d.kind is LeaseDocumentKind.LEASE]
    text, _pages = text_of(storage.read(document.sha256))
    assert "Awa Diallo" in text
    assert "Glissement du bail" in text and f"Sous-location n° {sublease.id}" in text
    assert "transféré au propriétaire" in text
    assert any(d.kind is LeaseDocumentKind.GUARANTEE_SUMMARY for d in direct.documents)

    the_day_before = TODAY - timedelta(days=1)
    assert (sublease.status, sublease.end_reason, sublease.ended_on) == (
        LeaseStatus.ENDED,
        LeaseEndReason.SLIDE,
        the_day_before,
    )
    assert (sublease.agreement.ended_on, sublease.agreement.end_reason) == (the_day_before, "slide")
    assert sublease.stock_entry.status is StockStatus.WITHDRAWN
    assert sublease.household.status is HouseholdStatus.HOUSED
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.object_type.in_(("lease", "agreement")))))
    assert {"lease.slide", "agreement.end", "lease.create"} <= actions

    scope = indicators.territory_scope(session, operator.territory)
    (line,) = [line for line in indicators.slides_by_operator(session, scope, the_day_before.year, until=TODAY)]
    assert (line.label, line.captured) == ("Habitat Solidaire Rhône", 1)
    dashboard = indicators.build_dashboard(session, scope, the_day_before.year, today=TODAY)
    assert dashboard.slides_total == 1


def test_renewing_schedules_the_next_review_and_renews_the_sublease_before_its_term(make, session):
    _operator, staff, lease = bail_glissant(make)
    (review,) = lease.reviews
    assert lease.duration_months == 12
    before = sum(1 for d in lease.documents if d.kind is LeaseDocumentKind.SUBLEASE)
    renew = replace(SLIDE_REVIEW, decision=ReviewDecision.RENEW, slide_on=None, goals_progress=GoalProgress.PARTLY)

    ops.record_review(session, review, renew, by=staff, today=TODAY)

    next_review = add_months(review.due_on, 6)
    assert [(r.due_on, r.held_on) for r in lease.reviews] == [(review.due_on, TODAY), (next_review, None)]
    # The 12-month term ends the day before the next review: the sub-lease is renewed for 12 more months.
    assert lease.duration_months == 24 and last_day(lease.starts_on, 24) >= next_review
    assert lease.status is LeaseStatus.ACTIVE and review.slide_on is None
    assert sum(1 for d in lease.documents if d.kind is LeaseDocumentKind.SUBLEASE) == before + 1


def test_ending_ends_the_sublease_at_the_decided_date(make, session):
    _operator, staff, lease = bail_glissant(make)
    (review,) = lease.reviews
    end = replace(
        SLIDE_REVIEW,
        decision=ReviewDecision.END,
        rent_paid_regularly=False,
        goals_progress=GoalProgress.NOT_MET,
        slide_on=None,
        ends_on=TODAY,
        reasons="Le ménage est relogé dans le parc social.",
    )

    ops.record_review(session, review, end, by=staff, today=TODAY)

    assert (lease.status, lease.end_reason, lease.ended_on, lease.notice_on) == (
        LeaseStatus.ENDED,
        LeaseEndReason.SUBLEASE_TERM,
        TODAY,
        TODAY,
    )
    assert lease.end_note == "Le ménage est relogé dans le parc social."
    assert lease.stock_entry.status is StockStatus.AVAILABLE  # the association still holds the unit
    assert lease.agreement.ended_on is None
    assert session.scalar(select(func.count()).where(SlidingReview.lease_id == lease.id)) == 1


def test_a_slide_is_refused_at_the_review_when_the_rent_is_not_paid_regularly(make, session):
    _operator, staff, lease = bail_glissant(make)
    (review,) = lease.reviews
    with pytest.raises(LeaseError) as error:
        ops.record_review(session, review, replace(SLIDE_REVIEW, rent_paid_regularly=False), by=staff, today=TODAY)
    assert "le loyer n'est pas payé régulièrement" in error.value.errors["decision"]
    assert review.held_on is None and review.decision is None


def test_a_review_is_held_once(make, session):
    _operator, staff, lease = bail_glissant(make)
    (review,) = lease.reviews
    renew = replace(SLIDE_REVIEW, decision=ReviewDecision.RENEW, slide_on=None)
    ops.record_review(session, review, renew, by=staff, today=TODAY)
    with pytest.raises(LeaseError, match="déjà été tenue"):
        ops.record_review(session, review, renew, by=staff, today=TODAY)


def test_no_slide_without_a_review_deciding_it(make, session):
    _operator, staff, lease = bail_glissant(make)
    with pytest.raises(LeaseError, match="tenez d'abord la revue"):
        slide(session, lease, staff)
    (review,) = lease.reviews
    ops.record_review(
        session, review, replace(SLIDE_REVIEW, decision=ReviewDecision.RENEW, slide_on=None), by=staff, today=TODAY
    )
    with pytest.raises(LeaseError, match="tenez d'abord la revue"):
        slide(session, lease, staff)
    assert lease.status is LeaseStatus.ACTIVE and lease.agreement.ended_on is None


def test_no_slide_before_the_decided_date(make, session):
    _operator, staff, lease = bail_glissant(make)
    (review,) = lease.reviews
    later = TODAY + timedelta(days=10)
    ops.record_review(session, review, replace(SLIDE_REVIEW, slide_on=later), by=staff, today=TODAY)
    with pytest.raises(LeaseError, match="ne peut pas être enregistré avant cette date"):
        slide(session, lease, staff, on=later)
    assert lease.status is LeaseStatus.ACTIVE


@pytest.mark.parametrize(("outcome", "deposit"), [(DepositOutcome.RETURNED, D("420")), (DepositOutcome.NONE, D("0"))])
def test_the_deposit_of_the_direct_lease(make, session, outcome, deposit):
    _operator, staff, lease = bail_glissant(make, rent=D("420"), deposit=D("420"))
    ops.record_review(session, lease.reviews[0], SLIDE_REVIEW, by=staff, today=TODAY)
    direct = slide(session, lease, staff, deposit_outcome=outcome, deposit_note="Chèque remis le jour de la signature.")
    assert (direct.deposit, direct.deposit_outcome, direct.deposit_note) == (
        deposit,
        outcome,
        "Chèque remis le jour de la signature.",
    )


def test_a_legal_person_owner_lets_for_six_years(make, session):
    _operator, staff, lease = bail_glissant(make, landlord=make.landlord(kind=LandlordKind.SCI))
    ops.record_review(session, lease.reviews[0], SLIDE_REVIEW, by=staff, today=TODAY)
    assert slide(session, lease, staff).duration_months == 72


def test_the_rent_must_still_be_within_the_cap_on_the_slide_date(make, session):
    commune = make.commune()
    reference = dict(
        commune_insee=commune.insee, housing_type="appartement", prediction_level="commune", source="essai"
    )
    session.add(RentReference(edition=2024, rent_m2=D("14.00"), **reference))
    session.flush()
    _operator, staff, lease = bail_glissant(make, level=ConventionLevel.LOC2, commune=commune, rent=D("380"))
    assert lease.rent_cap is not None and lease.rent <= lease.rent_cap
    ops.record_review(session, lease.reviews[0], SLIDE_REVIEW, by=staff, today=TODAY)
    # A new edition of the rent map lowers the market rent: the same rent is above the cap for a new lease.
    session.add(RentReference(edition=2025, rent_m2=D("7.00"), **reference))
    session.flush()
    with pytest.raises(LeaseError) as error:
        slide(session, lease, staff)
    assert "dépasse le plafond Loc2" in error.value.errors["rent"]
