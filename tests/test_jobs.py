"""Jobs: idempotent per business date; the capture reminders digest."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from capture import operations as ops
from capture.jobs import capture_reminders
from capture.models import CaptureStage, LeadSource
from passerelle.jobs import registered_jobs
from passerelle.mail import outbox
from passerelle.models import JobRun, OrganisationKind
from tests.factories import Factory

DAY = date(2026, 11, 23)


def _case(session, operator, by, **fields):  # type: ignore[no-untyped-def]
    case = ops.open_capture_case(
        session,
        operator=operator,
        source=LeadSource.PHONE,
        by=by,
        contact={"name": "Mme Secret", "phone": "06 00 00 00 01"},
    )
    for key, value in fields.items():
        setattr(case, key, value)
    session.flush()
    return case


def test_reminders_go_to_the_owner_or_the_whole_team(app: Flask, session: Session, make: Factory) -> None:
    operator = make.organisation(kind=OrganisationKind.AIS)
    alice = make.staff(operator, email="alice@ais.test")
    make.staff(operator, email="bruno@ais.test")
    mine = _case(session, operator, alice, owner_id=alice.id, next_action_on=DAY - timedelta(days=1))
    nobody = _case(session, operator, alice, next_action_on=DAY - timedelta(days=5))
    _case(session, operator, alice, owner_id=alice.id, next_action_on=DAY)  # due today: not late
    _case(
        session,
        operator,
        alice,
        owner_id=alice.id,
        next_action_on=DAY - timedelta(days=9),
        stage=CaptureStage.LOST,
        lost_reason="other",
    )
    with app.test_request_context():
        report = capture_reminders(session, DAY)
    assert report.summary == {"overdue_cases": 2, "emails": 2}
    bodies = {to: body for to, _subject, body in report.mails}
    assert set(bodies) == {"alice@ais.test", "bruno@ais.test"}
    assert f"n° {mine.id}" in bodies["alice@ais.test"] and f"n° {nobody.id}" in bodies["alice@ais.test"]
    assert f"n° {nobody.id}" in bodies["bruno@ais.test"] and f"n° {mine.id}" not in bodies["bruno@ais.test"]
    assert all("Secret" not in body and "06 00" not in body for body in bodies.values())


def test_cli_runs_once_per_date(app: Flask, session: Session, make: Factory) -> None:
    assert "capture-reminders" in registered_jobs(app)
    operator = make.organisation(kind=OrganisationKind.AIS)
    alice = make.staff(operator, email="alice@ais.test")
    _case(session, operator, alice, owner_id=alice.id, next_action_on=DAY - timedelta(days=1))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run", "capture-reminders", "--date", DAY.isoformat()])
    assert first.exit_code == 0, first.output
    assert len(outbox(app)) == 1
    second = runner.invoke(args=["jobs", "run", "capture-reminders", "--date", DAY.isoformat()])
    assert second.exit_code == 0 and "déjà exécutée" in second.output
    assert len(outbox(app)) == 1
    assert session.scalar(select(func.count()).select_from(JobRun)) == 1
    unknown = runner.invoke(args=["jobs", "run", "nimporte"])
    assert unknown.exit_code != 0 and "Tâche inconnue" in unknown.output
