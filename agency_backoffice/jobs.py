"""Back-office jobs: reminders of proposals that stall and of bail glissant reviews due (daily digests to staff)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import OPEN_PROPOSAL_STATUSES, Lease, LeaseStatus, Proposal, ProposalStatus, SlidingReview
from capture import queries as capture_queries
from passerelle.jobs import JobReport
from passerelle.mail import absolute_url
from passerelle.models import User
from passerelle.reference.queries import parameter_at

STALL_DAYS_KEY = "matching.proposal_stall_days"
REVIEW_REMINDER_DAYS_KEY = "bail_glissant.review_reminder_days"


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


def sliding_review_reminders(session: Session, on: date) -> JobReport:
    """Remind an operator's staff of the bail glissant reviews due within N days (or overdue), once per review.

    Each review is reminded once (``reminded_on``), so running the job again, the same day or later, sends
    nothing new. The e-mail carries review and lease numbers, due dates and links only — no household's name.
    """
    days = int(str(parameter_at(session, REVIEW_REMINDER_DAYS_KEY, on).value))
    due = session.execute(
        select(SlidingReview, Lease.operator_id)
        .join(Lease, Lease.id == SlidingReview.lease_id)
        .where(
            Lease.status == LeaseStatus.ACTIVE,
            SlidingReview.held_on.is_(None),
            SlidingReview.reminded_on.is_(None),
            SlidingReview.due_on <= on + timedelta(days=days),
        )
        .order_by(Lease.operator_id, SlidingReview.due_on, SlidingReview.id)
    ).all()
    staff: dict[int, list[str]] = {}
    per_recipient: dict[str, list[SlidingReview]] = defaultdict(list)
    reminded = 0
    for review, operator_id in due:
        if operator_id not in staff:
            staff[operator_id] = capture_queries.staff_emails(session, operator_id)
        if not staff[operator_id]:
            continue  # nobody to tell yet: reminded once the operator has staff
        review.reminded_on = on
        reminded += 1
        for email in staff[operator_id]:
            per_recipient[email].append(review)
    session.flush()
    mails = []
    for email, reviews in sorted(per_recipient.items()):
        lines = [
            f"- Revue n° {r.id} de la sous-location n° {r.lease_id} : échéance le {r.due_on:%d/%m/%Y}"
            + (f" (en retard de {(on - r.due_on).days} jours)" if r.due_on < on else "")
            + " — "
            + absolute_url("agency_backoffice.review_edit", lease_id=r.lease_id, review_id=r.id)
            for r in reviews
        ]
        mails.append(
            (
                email,
                f"Passerelle — {len(reviews)} revue(s) de bail glissant à tenir",
                "Bonjour,\n\nCes revues de bail glissant sont à tenir avec le ménage et son référent ; convenez d'un "
                "rendez-vous, puis enregistrez la revue et sa décision :\n\n" + "\n".join(lines) + "\n",
            )
        )
    return JobReport(summary={"reviews_reminded": reminded, "emails": len(mails)}, mails=mails)
