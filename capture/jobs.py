"""Capture jobs: reminders of overdue next actions (a daily digest per staff member), of Anah deadlines, and the
daily snapshot of each territory's indicators."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from capture import queries
from capture.models import Agreement, AnahFollowUp, IndicatorSnapshot
from capture.queries import indicators
from capture.queries.indicator_json import dashboard_json
from passerelle.jobs import JobReport
from passerelle.mail import absolute_url
from passerelle.models import Territory, User
from passerelle.reference.queries import parameter_at


def capture_reminders(session: Session, on: date) -> JobReport:
    """One e-mail per staff member listing their overdue cases; unassigned ones go to the whole team.

    The e-mail carries case numbers, communes and links only — no landlord's name or contact.
    """
    overdue = queries.overdue_cases_by_owner(session, today=on)
    per_recipient: dict[str, list] = defaultdict(list)
    for owner_id, cases in overdue.items():
        if owner_id is not None:
            owner = session.get(User, owner_id)
            if owner is not None and owner.is_active:
                per_recipient[owner.email].extend(cases)
                continue
        for case in cases:
            for email in queries.staff_emails(session, case.operator_id):
                per_recipient[email].append(case)
    mails = []
    for email, cases in sorted(per_recipient.items()):
        lines = [
            f"- Dossier n° {case.id}"
            + (f" ({case.commune.name})" if case.commune else "")
            + f" : action prévue le {case.next_action_on:%d/%m/%Y} — "
            + absolute_url("capture.case_detail", case_id=case.id)
            for case in cases
        ]
        mails.append(
            (
                email,
                f"Passerelle — {len(cases)} relance(s) de captation en retard",
                "Bonjour,\n\nCes dossiers de captation attendent une action :\n\n" + "\n".join(lines) + "\n",
            )
        )
    total = sum(len(cases) for cases in overdue.values())
    return JobReport(summary={"overdue_cases": total, "emails": len(mails)}, mails=mails)


ANAH_REMINDER_DAYS_KEY = "anah.follow_up.reminder_days"


def anah_deadlines(session: Session, on: date) -> JobReport:
    """Remind each operator's staff of the Anah steps due soon or overdue (convention request, IML premium
    claim, end of the Loc'Avantages commitment): missing one loses the owner's tax reduction or the premium.

    The e-mail carries agreement numbers, steps, dates and links only — no owner's name.
    """
    days = int(str(parameter_at(session, ANAH_REMINDER_DAYS_KEY, on).value))
    rows = session.execute(
        select(AnahFollowUp, Agreement.operator_id, Agreement.case_id)
        .join(Agreement, Agreement.id == AnahFollowUp.agreement_id)
        .where(AnahFollowUp.done_on.is_(None), AnahFollowUp.due_on <= on + timedelta(days=days))
        .order_by(Agreement.operator_id, AnahFollowUp.due_on)
    ).all()
    per_operator: dict[int, list[str]] = defaultdict(list)
    for follow_up, operator_id, case_id in rows:
        late = " — EN RETARD" if follow_up.due_on < on else ""
        per_operator[operator_id].append(
            f"- Convention n° {follow_up.agreement_id} : {follow_up.kind.label}, avant le "
            f"{follow_up.due_on:%d/%m/%Y}{late} — " + absolute_url("capture.case_detail", case_id=case_id)
        )
    mails = [
        (
            email,
            f"Passerelle — {len(lines)} démarche(s) Anah à faire dans les {days} jours",
            "Bonjour,\n\nCes démarches auprès de l'Anah arrivent à échéance :\n\n" + "\n".join(lines) + "\n",
        )
        for operator_id, lines in sorted(per_operator.items())
        for email in queries.staff_emails(session, operator_id)
    ]
    return JobReport(summary={"follow_ups": len(rows), "emails": len(mails)}, mails=mails)


def indicator_snapshots(session: Session, on: date) -> JobReport:
    """Keep each territory's indicators as they stand on ``on`` (aggregates only), to draw trends; idempotent."""
    taken = 0
    for territory in session.scalars(select(Territory).order_by(Territory.id)).all():
        exists_already = session.scalar(
            select(IndicatorSnapshot.id).where(
                IndicatorSnapshot.territory_id == territory.id, IndicatorSnapshot.taken_on == on
            )
        )
        if exists_already is not None:
            continue
        dashboard = indicators.build_dashboard(
            session, indicators.territory_scope(session, territory), on.year, today=on
        )
        session.add(IndicatorSnapshot(territory_id=territory.id, taken_on=on, figures=dashboard_json(dashboard)))
        taken += 1
    session.flush()
    return JobReport(summary={"snapshots": taken})
