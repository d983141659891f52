"""Bail glissant review reminders: a digest to the operator's staff, once per review, without any household name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from flask import Flask

from agency_backoffice.jobs import sliding_review_reminders
from capture.models import IMLMode
from passerelle.jobs import registered_jobs
from passerelle.mail import outbox

TODAY = date.today()


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


def test_reviews_due_within_the_notice_are_reminded_once(app, make, session):
    operator = make.organisation()
    staff = make.staff(operator, email="referente@asso.test")
    soon = make.lease(operator, by=staff, mode=IMLMode.BAIL_GLISSANT, tenants=("Nom Secret",))
    later = make.lease(operator, by=staff, mode=IMLMode.BAIL_GLISSANT)
    late = make.lease(operator, by=staff, mode=IMLMode.BAIL_GLISSANT)
    soon.reviews[0].due_on = TODAY + timedelta(days=30)  # bail_glissant.review_reminder_days = 30
    later.reviews[0].due_on = TODAY + timedelta(days=31)
    late.reviews[0].due_on = TODAY - timedelta(days=3)
    other = make.organisation()
    make.staff(other, email="autre@asso.test")
    make.lease(other, by=make.staff(other), mode=IMLMode.SUBLEASE)  # no review: never reminded
    session.flush()

    report = sliding_review_reminders(session, TODAY)

    assert report.summary == {"reviews_reminded": 2, "emails": 1}
    ((to, subject, body),) = report.mails
    assert to == "referente@asso.test" and "revue(s) de bail glissant à tenir" in subject
    assert f"Revue n° {soon.reviews[0].id} de la sous-location n° {soon.id}" in body
    assert "(en retard de 3 jours) — http" in body and f"/agence/baux/{late.id}/revues/{late.reviews[0].id}" in body
    assert f"sous-location n° {later.id} " not in body
    assert "Nom Secret" not in body and "Awa Diallo" not in body
    assert soon.reviews[0].reminded_on == TODAY and later.reviews[0].reminded_on is None

    again = sliding_review_reminders(session, TODAY + timedelta(days=1))
    assert again.summary == {"reviews_reminded": 1, "emails": 1}  # only the one now within 30 days
    assert f"sous-location n° {later.id} " in again.mails[0][2] and f"n° {soon.id} " not in again.mails[0][2]


def test_the_job_runs_once_per_date_from_the_cli(app, make, session):
    assert "sliding-reviews" in registered_jobs(app)
    operator = make.organisation()
    staff = make.staff(operator, email="referente@asso.test")
    lease = make.lease(operator, by=staff, mode=IMLMode.BAIL_GLISSANT)
    lease.reviews[0].due_on = TODAY
    session.flush()
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["jobs", "run", "sliding-reviews", "--date", TODAY.isoformat()])
        assert result.exit_code == 0, result.output
        assert len(outbox(app)) == 1
    forced = runner.invoke(args=["jobs", "run", "sliding-reviews", "--date", TODAY.isoformat(), "--force"])
    assert forced.exit_code == 0, forced.output
    assert len(outbox(app)) == 1  # the review was reminded already: nothing new to send
