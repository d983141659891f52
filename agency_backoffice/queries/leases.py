"""Lease reads: object checks for staff and owners, the operator's list, and the limits a lease is checked against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from agency_backoffice.models import (
    GuaranteeKind,
    Lease,
    LeaseDocument,
    LeaseKind,
    LeaseStatus,
    SlidingReview,
)
from agency_backoffice.rules import leases as rules
from capture.models import Agreement, CaptureCase, Landlord, StockEntry, Unit
from capture.queries.agreements import ban_calendar, latest_assessment, rent_cap_at
from capture.rules.locavantages import dpe_ban_date
from passerelle.models import IrlIndex, Organisation, Role, User
from passerelle.reference.queries import parameter_at

PAGE_SIZE = 50


def get_lease_for_staff_or_404(session: Session, user: User, lease_id: int) -> Lease:
    """The lease if it belongs to the staff member's operator; 404 otherwise (never 403: no leak)."""
    lease = session.get(Lease, lease_id)
    if lease is None or user.role is not Role.AGENCY_STAFF or lease.operator_id != user.organisation_id:
        abort(404)
    return lease


def get_document_for_staff_or_404(session: Session, user: User, lease_id: int, document_id: int) -> LeaseDocument:
    lease = get_lease_for_staff_or_404(session, user, lease_id)
    document = session.get(LeaseDocument, document_id)
    if document is None or document.lease_id != lease.id:
        abort(404)
    return document


def get_document_for_landlord_or_404(session: Session, user: User, document_id: int) -> LeaseDocument:
    """A document the owner is a party to, on one of their own units (the unit's owner decides)."""
    document = session.get(LeaseDocument, document_id)
    if document is None or user.role is not Role.LANDLORD or not document.kind.for_owner:
        abort(404)
    lease = document.lease
    unit = session.get(Unit, lease.unit_id)
    if unit is None or unit.landlord.user_id != user.id or lease.landlord_id != unit.landlord_id:
        abort(404)
    if lease.status is LeaseStatus.DRAFT:
        abort(404)  # a draft is the operator's working copy
    return document


@dataclass(frozen=True)
class LeasePage:
    rows: list[Lease]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def operator_leases(session: Session, operator_id: int, *, status: LeaseStatus | None, page: int = 1) -> LeasePage:
    """The operator's leases, most recent first, with the unit and household loaded for the list."""
    where = [Lease.operator_id == operator_id]
    if status is not None:
        where.append(Lease.status == status)
    total = len(session.scalars(select(Lease.id).where(*where)).all())
    rows = session.scalars(
        select(Lease)
        .where(*where)
        .options(selectinload(Lease.unit).selectinload(Unit.commune), selectinload(Lease.household))
        .order_by(Lease.starts_on.desc(), Lease.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return LeasePage(list(rows), total, page)


def latest_documents(lease: Lease) -> list[LeaseDocument]:
    """The newest document of each kind (and of each guarantee), newest first."""
    seen: set[tuple[str, int | None]] = set()
    latest = []
    for document in sorted(lease.documents, key=lambda d: d.id, reverse=True):
        key = (document.kind.value, document.guarantee_id)
        if key not in seen:
            seen.add(key)
            latest.append(document)
    return latest


def landlord_documents(session: Session, user: User) -> list[tuple[Lease, list[LeaseDocument]]]:
    """The leases on the owner's units (not drafts) with the documents they are a party to."""
    leases = session.scalars(
        select(Lease)
        .join(Unit, Unit.id == Lease.unit_id)
        .join(Landlord, Landlord.id == Unit.landlord_id)
        .where(Landlord.user_id == user.id, Lease.landlord_id == Landlord.id, Lease.status != LeaseStatus.DRAFT)
        .options(selectinload(Lease.documents), selectinload(Lease.unit).selectinload(Unit.commune))
        .order_by(Lease.starts_on.desc(), Lease.id.desc())
    ).all()
    return [(lease, [d for d in latest_documents(lease) if d.kind.for_owner]) for lease in leases]


def latest_irl(session: Session, on: date) -> IrlIndex | None:
    """The last IRL published by ``on`` (an index without a publication date counts once its quarter is over)."""
    rows = session.scalars(
        select(IrlIndex)
        .where(or_(IrlIndex.published_on <= on, IrlIndex.published_on.is_(None)))
        .order_by(IrlIndex.year.desc(), IrlIndex.quarter.desc())
    ).all()
    for row in rows:
        if row.published_on is not None or date(row.year, row.quarter * 3, 1) < on.replace(day=1):
            return row
    return None


def _integer(session: Session, key: str, on: date) -> int:
    value = parameter_at(session, key, on).value
    assert isinstance(value, int), key
    return value


def minimum_months(session: Session, kind: LeaseKind, landlord: Landlord, on: date) -> int:
    """Loi 89-462 art. 10 for a direct lease (3 or 6 years as the owner is a natural or legal person)."""
    return rules.min_duration_months(
        kind,
        legal_person=landlord.kind.is_legal_person,
        natural_years=_integer(session, "lease.min_duration_years.natural_person", on),
        legal_years=_integer(session, "lease.min_duration_years.legal_person", on),
    )


def lease_limits(
    session: Session,
    *,
    kind: LeaseKind,
    entry: StockEntry,
    agreement: Agreement,
    landlord: Landlord,
    operator: Organisation,
    guarantee_kinds: tuple[GuaranteeKind, ...],
    on: date,
    starts_on: date | None = None,
) -> rules.LeaseLimits:
    """What a lease on this stock unit is checked against on ``on`` (raises MissingParameter)."""
    unit = entry.unit
    case = session.get(CaptureCase, agreement.case_id)
    case_assessment = latest_assessment(session, case) if case is not None else None
    estimate = rent_cap_at(session, unit, case_assessment, agreement.level, on)
    dpe_class = (case_assessment.dpe_class if case_assessment and case_assessment.dpe_class else None) or unit.dpe_class
    waived = [kind for kind in guarantee_kinds if kind.value in (operator.deposit_waived_with or [])]
    sublease = kind is LeaseKind.SUBLEASE
    main_term_end = rules.term_end_covering(agreement.starts_on, agreement.duration_months, starts_on or on)
    return rules.LeaseLimits(
        on=on,
        rent_cap=estimate.cap,
        cap_unknown_reason=estimate.reason or "plafond inconnu",
        deposit_max_months=_integer(session, "lease.deposit_max_months", on),
        available_on=entry.available_on,
        min_duration_months=minimum_months(session, kind, landlord, on),
        dpe_class=dpe_class,
        dpe_ban=dpe_ban_date(dpe_class, ban_calendar(session, unit, on)),
        main_lease_rent=agreement.rent if sublease else None,
        main_lease_last_day=main_term_end if sublease else None,
        deposit_waived_by=waived[0].label if waived else None,
    )


def reviews_due(session: Session, operator_id: int, *, until: date) -> list[SlidingReview]:
    """Bail glissant reviews not held yet and due by ``until``, on the operator's running sub-leases."""
    return list(
        session.scalars(
            select(SlidingReview)
            .join(Lease, Lease.id == SlidingReview.lease_id)
            .where(
                Lease.operator_id == operator_id,
                Lease.status == LeaseStatus.ACTIVE,
                SlidingReview.held_on.is_(None),
                SlidingReview.due_on <= until,
            )
            .order_by(SlidingReview.due_on)
        ).all()
    )
