"""Owner statements job: on the 1st, the statements of the month before; any later day of the month, those still
missing (a day without a run, an owner's IBAN given since)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from agency_backoffice.operations import statements as ops
from agency_backoffice.rules.statements import of_month
from passerelle.jobs import JobReport


def owner_statements(session: Session, on: date) -> JobReport:
    """Issue the missing statements of the month before ``on`` and tell the owners who have an account."""
    run = ops.issue_owner_statements(session, on=on)
    mails = []
    for statement in run.created:
        landlord = statement.landlord
        if landlord.user_id is not None and landlord.email:
            mails.append(
                (
                    landlord.email,
                    f"Votre relevé {of_month(run.period)} est disponible",
                    f"Bonjour,\n\nVotre relevé {of_month(run.period)} est disponible dans votre espace "
                    f"propriétaire sur Passerelle (rubrique « Mes relevés »).\n\nCordialement,\nPasserelle",
                )
            )
    return JobReport(
        summary={
            "period": f"{run.period:%Y-%m}",
            "statements": len(run.created),
            "payout": str(run.payout),
            "waiting_for_iban": len(run.waiting),
        },
        mails=mails,
    )
