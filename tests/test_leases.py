"""Leases on a real database: drafted from a proposal ready for lease, signed, started and ended, per mode."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from flask import Flask

from agency_backoffice.models import (
    HouseholdStatus,
    LeaseDocumentKind,
    LeaseEndReason,
    LeaseKind,
    LeaseStatus,
    ProposalStatus,
)
from agency_backoffice.operations import leases as ops
from capture.models import IMLMode, StockStatus
from passerelle.models import OrganisationKind

TODAY = date.today()


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("mode", "kind", "documents"),
    [
        (IMLMode.MANDATE, LeaseKind.DIRECT, {LeaseDocumentKind.LEASE}),
        (IMLMode.SUBLEASE, LeaseKind.SUBLEASE, {LeaseDocumentKind.SUBLEASE}),
        (IMLMode.BAIL_GLISSANT, LeaseKind.SUBLEASE, {LeaseDocumentKind.SUBLEASE, LeaseDocumentKind.TRIPARTITE}),
    ],
)
def test_a_lease_of_the_right_kind_goes_from_draft_to_active(make, session, mode, kind, documents):
    operator = make.organisation(kind=OrganisationKind.AIS if mode is IMLMode.MANDATE else OrganisationKind.ASSOCIATION)
    staff = make.staff(operator)
    lease = make.lease(operator, by=staff, mode=mode)
    assert lease.kind is kind and lease.status is LeaseStatus.ACTIVE
    assert lease.proposal.status is ProposalStatus.LEASED
    assert lease.stock_entry.status is StockStatus.LET
    assert lease.household.status is HouseholdStatus.HOUSED
    assert {d.kind for d in lease.documents} == documents | {LeaseDocumentKind.GUARANTEE_SUMMARY}
    assert (lease.irl_quarter, lease.irl_base_year) == (3, 2025)
    assert len(lease.reviews) == (1 if mode is IMLMode.BAIL_GLISSANT else 0)


def test_ending_a_lease_returns_the_unit_to_the_stock(make, session):
    operator = make.organisation()
    staff = make.staff(operator)
    lease = make.lease(operator, by=staff, mode=IMLMode.SUBLEASE)
    ops.end_lease(
        session,
        lease,
        ended_on=TODAY,
        reason=LeaseEndReason.REHOUSED,
        notice_on=TODAY - timedelta(days=30),
        note=None,
        by=staff,
        today=TODAY,
    )
    assert lease.status is LeaseStatus.ENDED
    assert lease.stock_entry.status is StockStatus.AVAILABLE
    assert lease.stock_entry.available_on == TODAY + timedelta(days=1)


def test_a_deposit_above_one_month_is_refused_in_french(make, session):
    operator = make.organisation()
    staff = make.staff(operator)
    with pytest.raises(ops.LeaseError) as error:
        make.lease(operator, by=staff, mode=IMLMode.SUBLEASE, rent=D("420"), deposit=D("420.01"))
    assert "dépasse un mois de loyer hors charges" in error.value.errors["deposit"]
