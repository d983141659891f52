"""The stalled-proposal reminders: one digest per staff member, no household name, idempotent per date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from agency_backoffice.jobs import proposal_reminders
from agency_backoffice.models import ProposalStatus

pytestmark = pytest.mark.usefixtures("parameters")


def test_stalled_proposals_are_reminded_to_their_author(app, make, session):
    operator = make.organisation()
    author = make.staff(operator, email="auteur@exemple.test")
    stalled = make.proposal(
        make.available_unit(operator), make.household(operator, contact_name="Nom Secret"), by=author
    )
    fresh = make.proposal(make.available_unit(operator), make.household(operator), by=author)
    ready = make.proposal(make.available_unit(operator), make.household(operator), by=author)
    today = date.today()
    stalled.status_changed_on = today - timedelta(days=8)
    ready.status, ready.status_changed_on = ProposalStatus.READY_FOR_LEASE, today - timedelta(days=30)
    fresh.status_changed_on = today - timedelta(days=6)
    session.flush()
    with app.test_request_context():
        report = proposal_reminders(session, today)
    assert report.summary == {"stalled_proposals": 1, "emails": 1}
    (to, subject, body) = report.mails[0]
    assert "sans suite" in subject
    assert to == "auteur@exemple.test" and f"n° {stalled.id}" in body and "8 jours" in body
    assert f"n° {fresh.id}" not in body and f"n° {ready.id}" not in body
    assert "Nom Secret" not in body
