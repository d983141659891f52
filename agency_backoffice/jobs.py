"""Back-office jobs: reminders of proposals that stall (a daily digest per operator's staff)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import OPEN_PROPOSAL_STATUSES, Proposal, ProposalStatus
from capture import queries as capture_queries
from passerelle.jobs import JobReport
from passerelle.mail import absolute_url
from passerelle.models import User
from passerelle.reference.queries import parameter_at

STALL_DAYS_KEY = "matching.proposal_stall_days"


def proposal_reminders(session: Session, on: date) -> JobReport:
    """Remind staff of proposals whose step has not moved for N days (N is a reference parameter).

    Ready-for-lease proposals wait for the lease, not for a decision: they are left out. The e-mail carries
    proposal numbers, steps and links only — no household's name.
    """
    stall_days = int(str(parameter_at(session, STALL_DAYS_KEY, on).value))
    waiting = [status for status in OPEN_PROPOSAL_STATUSES if status != ProposalStatus.READY_FOR_LEASE.value]
    stalled = session.scalars(
        select(Proposal)
        .where(Proposal.status.in_(waiting), Proposal.status_changed_on <= on - timedelta(days=stall_days))
        .order_by(Proposal.operator_id, Proposal.status_changed_on)
    ).all()
    per_recipient: dict[str, list[Proposal]] = defaultdict(list)
    for proposal in stalled:
        author = session.get(User, proposal.proposed_by_id) if proposal.proposed_by_id else None
        if author is not None and author.is_active and author.organisation_id == proposal.operator_id:
            per_recipient[author.email].append(proposal)
        else:
            for email in capture_queries.staff_emails(session, proposal.operator_id):
                per_recipient[email].append(proposal)
    mails = []
    for email, proposals in sorted(per_recipient.items()):
        lines = [
            f"- Proposition n° {p.id} : « {p.status.label} » depuis le {p.status_changed_on:%d/%m/%Y} "
            f"({(on - p.status_changed_on).days} jours) — "
            + absolute_url("agency_backoffice.proposal_detail", proposal_id=p.id)
            for p in proposals
        ]
        mails.append(
            (
                email,
                f"Passerelle — {len(proposals)} proposition(s) de logement sans suite depuis {stall_days} jours",
                "Bonjour,\n\nCes propositions n'ont pas avancé ; relancez le ménage ou le propriétaire, "
                "ou enregistrez leur réponse :\n\n" + "\n".join(lines) + "\n",
            )
        )
    return JobReport(summary={"stalled_proposals": len(stalled), "emails": len(mails)}, mails=mails)
