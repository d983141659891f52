"""The arrears job: run the clocks for every lease, then tell each operator's staff which steps fall due soon."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import ArrearsCase, ArrearsTask
from agency_backoffice.operations import arrears as ops
from capture import queries as capture_queries
from passerelle.jobs import JobReport
from passerelle.mail import absolute_url
from passerelle.reference.queries import parameter_at

DIGEST_DAYS_KEY = "arrears.digest.days_ahead"


def digest_days(session: Session, on: date) -> int:
    """How far ahead the daily e-mail looks (a reference parameter: a working week by default)."""
    return int(str(parameter_at(session, DIGEST_DAYS_KEY, on).value))


def arrears_clocks(session: Session, on: date) -> JobReport:
    """Open, update and close the arrears cases, their steps and plans at ``on``; e-mail the steps due soon.

    Idempotent: a second run for the same date changes no row. The e-mail carries case and lease numbers, steps
    and links only — no household's name, no amount.
    """
    run = ops.run_arrears_clocks(session, on)
    days = digest_days(session, on)
    due = session.execute(
        select(ArrearsTask, ArrearsCase.operator_id, ArrearsCase.lease_id)
        .join(ArrearsCase, ArrearsCase.id == ArrearsTask.case_id)
        .where(
            ArrearsCase.closed_on.is_(None),
            ArrearsTask.done_on.is_(None),
            ArrearsTask.due_on <= on + timedelta(days=days),
        )
        .order_by(ArrearsCase.operator_id, ArrearsTask.due_on, ArrearsTask.case_id, ArrearsTask.id)
    ).all()
    staff: dict[int, list[str]] = {}
    per_recipient: dict[str, list[tuple[ArrearsTask, int]]] = defaultdict(list)
    for task, operator_id, lease_id in due:
        if operator_id not in staff:
            staff[operator_id] = capture_queries.staff_emails(session, operator_id)
        for email in staff[operator_id]:
            per_recipient[email].append((task, lease_id))
    mails = []
    for email, tasks in sorted(per_recipient.items()):
        lines = [
            f"- Dossier d'impayé n° {task.case_id} (bail n° {lease_id}) : {task.kind.label} — échéance le "
            f"{task.due_on:%d/%m/%Y}"
            + (f" (en retard de {(on - task.due_on).days} jours)" if task.due_on < on else "")
            + " — "
            + absolute_url("agency_backoffice.arrears_case", case_id=task.case_id)
            for task, lease_id in tasks
        ]
        mails.append(
            (
                email,
                f"Passerelle — {len(tasks)} étape(s) de suivi des impayés à tenir d'ici {days} jours",
                "Bonjour,\n\nCes étapes du suivi des impayés arrivent à échéance ou sont en retard ; ouvrez le "
                "dossier pour établir le courrier ou enregistrer ce qui a été fait :\n\n" + "\n".join(lines) + "\n",
            )
        )
    return JobReport(summary={**run.summary(), "tasks_due_soon": len(due), "emails": len(mails)}, mails=mails)
