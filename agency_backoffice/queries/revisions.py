"""Reads for the yearly IRL revisions of the operator's leases: the index series, the parameters at a date, the
revisions to review, and the one load-or-404 helper staff pages use."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from agency_backoffice.models import EntryKind, Lease, LedgerEntry, RentRevision, RevisionStatus
from capture.models import Unit
from capture.rules import rent_revision as rules
from passerelle.models import IrlIndex, Parameter, Role, User
from passerelle.reference.queries import MissingParameter, parameter_at

FROZEN_CLASSES_KEY = "irl.revision_frozen_dpe_classes"
CLAIM_MONTHS_KEY = "irl.revision_claim_months"
DECIDED_PAGE = 50


def frozen_classes_at(session: Session, on: date) -> frozenset[str]:
    """The DPE classes whose rent may not be revised on ``on`` (none before the freeze existed).

    The same reading as the public calculator's (``landlord_portal.revision_api``): a parameter never imported is
    a configuration error (``MissingParameter``), not "no freeze".
    """
    try:
        value = parameter_at(session, FROZEN_CLASSES_KEY, on).value
    except MissingParameter:
        if session.scalar(select(Parameter.id).where(Parameter.key == FROZEN_CLASSES_KEY).limit(1)) is None:
            raise
        return frozenset()
    return rules.parse_classes(str(value))


def claim_months_at(session: Session, on: date) -> int:
    """Months the landlord has to ask for the revision of a date (loi 89-462 art. 17-1: one year)."""
    return int(str(parameter_at(session, CLAIM_MONTHS_KEY, on).value))


def irl_series(session: Session) -> list[rules.IrlValue]:
    """Every imported IRL, as the pure rule reads them."""
    return [
        rules.IrlValue(rules.Quarter(row.year, row.quarter), row.value, row.published_on)
        for row in session.scalars(select(IrlIndex).order_by(IrlIndex.year, IrlIndex.quarter))
    ]


def latest_call_period(session: Session, lease_id: int) -> date | None:
    """The last month already called for the lease (calls are issued in advance), or None."""
    return session.scalar(
        select(func.max(LedgerEntry.period)).where(LedgerEntry.lease_id == lease_id, LedgerEntry.kind == EntryKind.CALL)
    )


def get_revision_for_staff_or_404(session: Session, user: User, revision_id: int) -> RentRevision:
    """The revision if it belongs to the staff member's operator; 404 otherwise (never 403: no leak)."""
    revision = session.get(RentRevision, revision_id)
    if revision is None or user.role is not Role.AGENCY_STAFF or revision.operator_id != user.organisation_id:
        abort(404)
    return revision


@dataclass(frozen=True)
class RevisionBoard:
    """The operator's revisions as staff work them: to review, waiting for the index, decided (latest first)."""

    proposed: Sequence[RentRevision]
    waiting: Sequence[RentRevision]
    decided: Sequence[RentRevision]
    decided_total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.decided_total // DECIDED_PAGE))

    @property
    def shown(self) -> int:
        return len(self.proposed) + len(self.waiting) + len(self.decided)


def _with_lease(query: Select[RentRevision]) -> Select[RentRevision]:
    return query.options(selectinload(RentRevision.lease).selectinload(Lease.unit).selectinload(Unit.commune))


def operator_revisions(session: Session, operator_id: int, *, page: int = 1) -> RevisionBoard:
    mine = select(RentRevision).where(RentRevision.operator_id == operator_id)
    open_order = (RentRevision.due_on, RentRevision.id)
    proposed = session.scalars(
        _with_lease(mine.where(RentRevision.status == RevisionStatus.PROPOSED).order_by(*open_order))
    ).all()
    waiting = session.scalars(
        _with_lease(mine.where(RentRevision.status == RevisionStatus.WAITING_INDEX).order_by(*open_order))
    ).all()
    decided_filter = RentRevision.status.in_((RevisionStatus.APPLIED, RevisionStatus.CANCELLED))
    total = session.scalar(select(func.count()).select_from(mine.where(decided_filter).subquery())) or 0
    decided = session.scalars(
        _with_lease(
            mine.where(decided_filter)
            .order_by(RentRevision.due_on.desc(), RentRevision.id.desc())
            .offset((page - 1) * DECIDED_PAGE)
            .limit(DECIDED_PAGE)
        )
    ).all()
    return RevisionBoard(proposed=proposed, waiting=waiting, decided=decided, decided_total=total, page=page)


def lease_revisions(session: Session, lease_id: int) -> Sequence[RentRevision]:
    """A lease's revisions, latest first."""
    return session.scalars(
        select(RentRevision).where(RentRevision.lease_id == lease_id).order_by(RentRevision.due_on.desc())
    ).all()
