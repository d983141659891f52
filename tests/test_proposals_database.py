"""Allocation is protected by the database itself: one open proposal per unit and per household."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from agency_backoffice.models import DeclineReason, Proposal, ProposalStatus
from agency_backoffice.operations import proposals as ops


def _row(entry, household, status=ProposalStatus.PROPOSED):  # type: ignore[no-untyped-def]
    return Proposal(
        operator_id=entry.operator_id,
        household_id=household.id,
        stock_entry_id=entry.id,
        unit_id=entry.unit_id,
        status=status,
        status_changed_on=date.today(),
    )


@pytest.mark.parametrize("same", ["unit", "household"])
def test_a_second_open_proposal_is_refused_by_the_database(make, session, same):
    operator = make.organisation()
    entry, household = make.available_unit(operator), make.household(operator)
    session.add(_row(entry, household))
    session.flush()
    other = (entry, make.household(operator)) if same == "unit" else (make.available_unit(operator), household)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(_row(*other))
        session.flush()


def test_closed_proposals_do_not_count(make, session):
    operator = make.organisation()
    entry, household = make.available_unit(operator), make.household(operator)
    declined = _row(entry, household, ProposalStatus.DECLINED)
    declined.decline_reason = DeclineReason.HOUSEHOLD_LOCATION
    session.add(declined)
    session.add(_row(entry, household, ProposalStatus.WITHDRAWN))
    session.flush()
    session.add(_row(entry, household))
    session.flush()


def test_a_race_lost_at_the_database_is_a_french_refusal(make, session, monkeypatch):
    operator = make.organisation()
    staff = make.staff(operator)
    entry = make.available_unit(operator)
    first, second = make.household(operator), make.household(operator)
    session.add(_row(entry, first))
    session.flush()
    # As if the other request committed between our check and our insert: the check sees nothing.
    monkeypatch.setattr(ops, "OPEN_PROPOSAL_STATUSES", ())
    with pytest.raises(ops.ProposalError, match="rechargez la page"):
        ops.propose_unit(session, entry, second, failures=[], score=None, snapshot={}, by=staff, today=date.today())
