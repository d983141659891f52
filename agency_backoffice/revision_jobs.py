"""The daily IRL revision job, an idempotent function of (session, date): lapse the revisions too old to claim,
compute again those that waited for an index, open the revisions due, switch the rents of applied revisions whose
time has come; then a digest e-mail to each operator's staff."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased, selectinload

from agency_backoffice.models import IN_FORCE_LEASE_STATUSES, Lease, RentRevision, RevisionStatus
from agency_backoffice.operations import revisions as ops
from agency_backoffice.queries import revisions as queries
from agency_backoffice.rules.ledger import month_start
from capture import queries as capture_queries
from capture.rules import rent_revision as rules
from contracts.typography import money
from passerelle.audit import audit
from passerelle.jobs import JobReport
from passerelle.mail import absolute_url


@dataclass
class RevisionRun:
    created: list[RentRevision] = field(default_factory=list)
    indexed: list[RentRevision] = field(default_factory=list)  # waiting for the index, proposed now
    recomputed: int = 0  # proposed ones whose lease rent changed since, computed again
    lapsed: list[RentRevision] = field(default_factory=list)
    switched: list[RentRevision] = field(default_factory=list)
    late: list[RentRevision] = field(default_factory=list)  # switched after the effective month was called
    failures: list[tuple[int, str]] = field(default_factory=list)  # (lease id, French message)


def _lapse(session: Session, run: RevisionRun, reference: ops.Reference, on: date) -> None:
    for revision in session.scalars(
        select(RentRevision).where(RentRevision.status.in_(ops.OPEN_STATUSES)).order_by(RentRevision.id)
    ).all():
        claim = reference.claim_months(revision.due_on)
        if rules.revision_lapsed(revision.due_on, on, claim):
            revision.status = RevisionStatus.CANCELLED
            revision.explanation = (
                f"{revision.explanation or ''}\n\nNon appliquée : plus de {claim} mois après la date de révision, "
                "le bailleur est réputé y avoir renoncé (loi n° 89-462, art. 17-1)."
            )
            run.lapsed.append(revision)
            audit(session, actor=None, action="rent_revision.lapse", object_type="rent_revision", object_id=revision.id)


def _recompute_open(session: Session, run: RevisionRun, reference: ops.Reference) -> None:
    stale = select(RentRevision).join(Lease, Lease.id == RentRevision.lease_id)
    stale = stale.where(
        Lease.status.in_(IN_FORCE_LEASE_STATUSES),
        (RentRevision.status == RevisionStatus.WAITING_INDEX)
        | ((RentRevision.status == RevisionStatus.PROPOSED) & (RentRevision.old_rent != Lease.rent)),
    )
    for revision in session.scalars(stale.order_by(RentRevision.id)).all():
        waiting = revision.status is RevisionStatus.WAITING_INDEX
        if ops.recompute_revision(session, revision, reference) and waiting:
            run.indexed.append(revision)
        elif not waiting:
            run.recomputed += 1


def _open_missing(session: Session, run: RevisionRun, reference: ops.Reference, on: date) -> None:
    recent = on - timedelta(days=400)  # revision dates are yearly: older rows cannot be a lease's latest date
    known = set(
        session.execute(select(RentRevision.lease_id, RentRevision.due_on).where(RentRevision.due_on >= recent)).all()
    )
    leases = session.scalars(
        select(Lease)
        .where(Lease.status.in_(IN_FORCE_LEASE_STATUSES), Lease.starts_on < on)
        .options(selectinload(Lease.unit))
        .order_by(Lease.id)
    ).all()
    for lease in leases:
        try:
            due_on = ops.last_revision_on(lease, on)
        except ValueError as error:  # a stated first revision date before the start: the lease needs fixing
            run.failures.append((lease.id, str(error)))
            continue
        if due_on is None or (lease.id, due_on) in known:
            continue
        if rules.revision_lapsed(due_on, on, reference.claim_months(due_on)):
            continue
        run.created.append(ops.open_revision(session, lease, due_on, reference))


def _switch_pending(session: Session, run: RevisionRun, on: date) -> None:
    later = aliased(RentRevision)
    pending = session.scalars(
        select(RentRevision)
        .join(Lease, Lease.id == RentRevision.lease_id)
        .where(
            RentRevision.status == RevisionStatus.APPLIED,
            RentRevision.effective_from.is_not(None),
            RentRevision.new_rent != RentRevision.old_rent,
            Lease.rent == RentRevision.old_rent,
            Lease.status.in_(IN_FORCE_LEASE_STATUSES),
            ~exists().where(
                later.lease_id == RentRevision.lease_id,
                later.status == RevisionStatus.APPLIED,
                later.due_on > RentRevision.due_on,
            ),
        )
        .order_by(RentRevision.id)
    ).all()
    for revision in pending:
        assert revision.effective_from is not None
        last_called = queries.latest_call_period(session, revision.lease_id)
        if not ops.rent_switch_due(revision.effective_from, last_called, on):
            continue
        ops.switch_rent(session, revision, by=None)
        run.switched.append(revision)
        if last_called is not None and last_called >= month_start(revision.effective_from):
            run.late.append(revision)


def run_revisions(session: Session, on: date) -> RevisionRun:
    """The daily work, idempotent: lapse what is too old, compute again what waited for an index, open the
    revisions due, and switch the rents of applied revisions whose time has come."""
    reference = ops.Reference(session)
    run = RevisionRun()
    _lapse(session, run, reference, on)
    _recompute_open(session, run, reference)
    _open_missing(session, run, reference, on)
    _switch_pending(session, run, on)
    session.flush()
    return run


def irl_revisions(session: Session, on: date) -> JobReport:
    """Open the revisions due on ``on`` (or waiting for their index), lapse the old ones, switch applied rents.

    Running it twice for a date changes nothing more: one revision per lease and date (a database constraint),
    and a rent is switched once. The e-mail carries revision and lease numbers, dates, amounts and links — no
    household's name.
    """
    run = run_revisions(session, on)
    mails = _digests(session, run)
    return JobReport(
        summary={
            "created": len(run.created),
            "proposed": sum(1 for r in run.created if r.status is RevisionStatus.PROPOSED) + len(run.indexed),
            "waiting_index": sum(1 for r in run.created if r.status is RevisionStatus.WAITING_INDEX),
            "indexed": len(run.indexed),
            "recomputed": run.recomputed,
            "lapsed": len(run.lapsed),
            "rents_switched": len(run.switched),
            "late_switches": len(run.late),
            "failures": [f"bail n° {lease_id} : {message}" for lease_id, message in run.failures],
            "emails": len(mails),
        },
        mails=mails,
    )


def _line(revision: RentRevision) -> str:
    head = f"- Révision n° {revision.id} du bail n° {revision.lease_id} au {revision.due_on:%d/%m/%Y}"
    if revision.status is RevisionStatus.PROPOSED and revision.new_rent is not None:
        head += f" : {money(revision.old_rent)} → {money(revision.new_rent)}"
        head += " (loyer gelé, DPE)" if revision.frozen else ""
        head += " (plafond de la convention)" if revision.capped else ""
    elif revision.status is RevisionStatus.WAITING_INDEX:
        head += f" : en attente de l'IRL {revision.quarter_year}-T{revision.quarter}"
    elif revision.status is RevisionStatus.APPLIED and revision.effective_from is not None:
        head += f" : appels à partir de {revision.effective_from:%m/%Y} déjà émis à l'ancien loyer, à régulariser"
    return head + " — " + absolute_url("agency_backoffice.revision_detail", revision_id=revision.id)


def _digests(session: Session, run: RevisionRun) -> list[tuple[str, str, str]]:
    sections: dict[int, dict[str, list[RentRevision]]] = defaultdict(lambda: defaultdict(list))
    for revision in [*run.created, *run.indexed]:
        key = "review" if revision.status is RevisionStatus.PROPOSED else "waiting"
        sections[revision.operator_id][key].append(revision)
    for revision in run.late:
        sections[revision.operator_id]["late"].append(revision)
    titles = {
        "review": "À valider (vérifiez le calcul, puis appliquez la révision ou écartez-la) :",
        "waiting": "En attente de l'indice (recalculées automatiquement dès son import) :",
        "late": "Loyer révisé appliqué après l'émission d'appels à l'ancien loyer :",
    }
    mails = []
    for operator_id, parts in sorted(sections.items()):
        body = ["Bonjour,", "", "Révisions annuelles des loyers (IRL) :"]
        for key, title in titles.items():
            if parts.get(key):
                body += ["", title, *(_line(revision) for revision in parts[key])]
        body += ["", "Toutes les révisions : " + absolute_url("agency_backoffice.revisions")]
        review = len(parts.get("review", []))
        subject = (
            f"Passerelle — {review} révision(s) de loyer à valider" if review else "Passerelle — révisions de loyer"
        )
        for email in capture_queries.staff_emails(session, operator_id):
            mails.append((email, subject, "\n".join(body) + "\n"))
    return mails
