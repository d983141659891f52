"""The capture jobs the scheduler runs besides the follow-up reminders: Anah deadlines (due soon or overdue,
e-mails without owners' names) and the daily snapshot of each territory's indicators (once per day)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from capture.jobs import anah_deadlines, indicator_snapshots
from capture.models import AnahFollowUp, FollowUpKind, IndicatorSnapshot
from passerelle.models import Role

ON = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


def test_anah_deadlines_list_steps_due_within_the_window_without_names(session, make) -> None:  # type: ignore[no-untyped-def]
    landlord_user = make.user(Role.LANDLORD, full_name="Claire Martin")
    operator = make.organisation()
    staff = make.staff(operator)
    unit, case, _document, _incident = make.captured_unit_with_incident(landlord_user, operator)
    agreement = make.agreement(case)
    steps = [
        # Overdue, due within the 30 days of the parameter, done, and too far ahead.
        AnahFollowUp(agreement_id=agreement.id, kind=FollowUpKind.CONVENTION_REQUEST, due_on=ON - timedelta(days=3)),
        AnahFollowUp(agreement_id=agreement.id, kind=FollowUpKind.IML_PREMIUM_CLAIM, due_on=ON + timedelta(days=30)),
        AnahFollowUp(
            agreement_id=agreement.id, kind=FollowUpKind.CONVENTION_END, due_on=ON, done_on=ON - timedelta(days=1)
        ),
        AnahFollowUp(agreement_id=agreement.id, kind=FollowUpKind.CONVENTION_END, due_on=ON + timedelta(days=31)),
    ]
    session.add_all(steps)
    session.flush()
    report = anah_deadlines(session, ON)
    assert report.summary == {"follow_ups": 2, "emails": 1}
    ((to, subject, body),) = report.mails
    assert to == staff.email and "2 démarche(s) Anah" in subject
    assert "19/11/2026 — EN RETARD" in body and "22/12/2026" in body
    assert "Claire Martin" not in body and unit.address not in body


def test_indicator_snapshots_once_per_territory_and_day(session, make) -> None:  # type: ignore[no-untyped-def]
    territory = make.territory(name="Territoire des indicateurs")
    make.organisation(territory=territory)
    first = indicator_snapshots(session, ON)
    assert first.summary["snapshots"] >= 1
    assert indicator_snapshots(session, ON).summary == {"snapshots": 0}
    snapshot = session.scalar(select(IndicatorSnapshot).where(IndicatorSnapshot.territory_id == territory.id))
    assert snapshot is not None and snapshot.taken_on == ON
    assert snapshot.figures["captured"]["total"] == 0 and snapshot.figures["year"] == 2026
    count = session.scalar(select(func.count()).select_from(IndicatorSnapshot).where(IndicatorSnapshot.taken_on == ON))
    assert count == first.summary["snapshots"]
