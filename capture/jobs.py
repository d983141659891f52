"""Capture jobs: reminders of overdue next actions (a daily digest per staff member)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.orm import Session

from capture import queries
from passerelle.jobs import JobReport
from passerelle.mail import absolute_url
from passerelle.models import User


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
