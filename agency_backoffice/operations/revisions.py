"""Yearly IRL revisions of the operator's leases (loi 89-462 art. 17-1): proposed by the daily job, reviewed by
staff, applied with a letter, never retroactive. The arithmetic is ``capture.rules.rent_revision``'s.

When the revised rent reaches the rent calls. Calls are issued in advance with the lease's rent of the day
(``operations.ledger``) and an issued call is never rewritten, so:

- ``effective_from`` is the first due date on or after both the revision date and the notification
  (``revision_effective_on``); when the calls of that month are already out, it moves to the due date of the
  first month not yet called — later than the law allows, never earlier, so never retroactive;
- the lease's rent becomes the revised rent as soon as the month before ``effective_from`` is called (at once
  when staff apply, if it is; else the daily job does it before the effective month is called), and on
  ``effective_from`` at the latest (a lease whose calls are not issued by Passerelle).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from agency_backoffice.models import Lease, LeaseKind, RentRevision, RevisionStatus
from agency_backoffice.operations.ledger_documents import lease_reference
from agency_backoffice.queries import revisions as queries
from agency_backoffice.rules.ledger import month_start, next_month
from capture.models import ConventionLevel
from capture.operations.agreement_documents import operator_party, unit_address
from capture.rules import rent_revision as rules
from capture.rules.locavantages import add_months
from contracts.rent_revision_letter import RentRevisionLetterDocument, render_rent_revision_letter
from contracts.typography import date_in_words, money
from passerelle import storage
from passerelle.audit import audit
from passerelle.models import User

OPEN_STATUSES = (RevisionStatus.WAITING_INDEX, RevisionStatus.PROPOSED)


class RevisionError(ValueError):
    """A revision decision refused, in French."""


class Reference:
    """Reference data read once per run: the IRL series and the parameters at each revision date."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.series = queries.irl_series(session)
        self._frozen: dict[date, frozenset[str]] = {}
        self._claim: dict[date, int] = {}

    def frozen_classes(self, on: date) -> frozenset[str]:
        if on not in self._frozen:
            self._frozen[on] = queries.frozen_classes_at(self.session, on)
        return self._frozen[on]

    def claim_months(self, on: date) -> int:
        if on not in self._claim:
            self._claim[on] = queries.claim_months_at(self.session, on)
        return self._claim[on]


def dpe_class_of(lease: Lease) -> str | None:
    """The DPE class recorded on the lease, else the unit's."""
    return lease.dpe_class or lease.unit.dpe_class


def last_revision_on(lease: Lease, on: date) -> date | None:
    """The lease's latest revision date on or before ``on`` (anniversary, or the date the lease states)."""
    dates = rules.revision_dates(lease.starts_on, on, first_on=lease.revision_on)
    return dates[-1] if dates else None


def _compute(lease: Lease, due_on: date, reference: Reference) -> rules.RentRevision:
    new, old = rules.indices_for_revision(reference.series, lease.irl_quarter, due_on)
    return rules.revise_rent(
        lease.rent,
        new,
        old,
        dpe_class=dpe_class_of(lease),
        frozen_classes=reference.frozen_classes(due_on),
        cap=lease.rent_cap,
    )


def _fill(revision: RentRevision, lease: Lease, reference: Reference) -> None:
    """Compute the revision from the lease as it is now: proposed, or waiting for the index it names."""
    revision.old_rent = lease.rent
    try:
        result = _compute(lease, revision.due_on, reference)
    except rules.MissingIndex as missing:
        expected = rules.latest_quarter_over(lease.irl_quarter, revision.due_on)
        revision.quarter_year, revision.quarter = expected.year, expected.quarter
        revision.irl_new = revision.irl_old = revision.new_rent = None
        revision.frozen = revision.capped = False
        revision.explanation = str(missing)
        revision.status = RevisionStatus.WAITING_INDEX
        return
    revision.quarter_year, revision.quarter = result.quarter_new.year, result.quarter_new.quarter
    revision.irl_new, revision.irl_old = result.irl_new, result.irl_old
    revision.new_rent = result.new_rent
    revision.frozen, revision.capped = result.frozen, result.capped
    revision.explanation = result.explanation
    revision.status = RevisionStatus.PROPOSED


def open_revision(session: Session, lease: Lease, due_on: date, reference: Reference) -> RentRevision:
    """The revision of ``due_on`` for the lease, computed now (the database keeps one per lease and date)."""
    revision = RentRevision(operator_id=lease.operator_id, lease_id=lease.id, lease=lease, due_on=due_on)
    _fill(revision, lease, reference)
    session.add(revision)
    session.flush()
    audit(
        session,
        actor=None,
        action="rent_revision.open",
        object_type="rent_revision",
        object_id=revision.id,
        lease=lease.id,
        status=revision.status.value,
    )
    return revision


def recompute_revision(
    session: Session, revision: RentRevision, reference: Reference, *, by: User | None = None
) -> bool:
    """Compute an open revision again (index imported since, rent changed since); True if proposed now."""
    if revision.status not in OPEN_STATUSES:
        raise RevisionError("Cette révision est déjà décidée : elle ne peut plus être recalculée.")
    before = (revision.status, revision.old_rent, revision.new_rent, revision.irl_new, revision.irl_old)
    _fill(revision, revision.lease, reference)
    session.flush()
    if (revision.status, revision.old_rent, revision.new_rent, revision.irl_new, revision.irl_old) != before:
        audit(
            session,
            actor=by,
            action="rent_revision.recompute",
            object_type="rent_revision",
            object_id=revision.id,
            status=revision.status.value,
            new_rent=revision.new_rent,
        )
    return revision.status is RevisionStatus.PROPOSED


# --- when the revised rent applies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectivePlan:
    legal_from: date  # first due date on or after the revision date and the notification
    effective_from: date  # the same, or the first month not yet called when that month is already called
    last_called: date | None  # last month already called for the lease

    @property
    def moved(self) -> bool:
        return self.effective_from != self.legal_from


def plan_effective(session: Session, revision: RentRevision, notified_on: date) -> EffectivePlan:
    """When the revised rent of ``revision`` starts if the household is notified on ``notified_on``."""
    lease = revision.lease
    legal = rules.revision_effective_on(revision.due_on, notified_on, lease.payment_day)
    last_called = queries.latest_call_period(session, lease.id)
    effective = legal
    if last_called is not None and month_start(legal) <= last_called:
        # That month is already called at the old rent: a call is never rewritten, the revision starts after it.
        effective = next_month(last_called).replace(day=lease.payment_day)
    return EffectivePlan(legal_from=legal, effective_from=effective, last_called=last_called)


def rent_switch_due(effective_from: date, last_called: date | None, on: date) -> bool:
    """True once the lease's rent must be the revised one: the month before ``effective_from`` is called (the next
    call is the first at the new rent), or ``effective_from`` is reached whatever the calls."""
    before = add_months(month_start(effective_from), -1)
    return on >= effective_from or (last_called is not None and last_called >= before)


def switch_rent(session: Session, revision: RentRevision, *, by: User | None) -> None:
    """Make the revised rent the lease's: the rent calls issued from now on carry it."""
    lease = revision.lease
    assert revision.new_rent is not None
    previous, lease.rent = lease.rent, revision.new_rent
    session.flush()
    audit(
        session,
        actor=by,
        action="lease.rent_revised",
        object_type="lease",
        object_id=lease.id,
        revision=revision.id,
        old_rent=previous,
        new_rent=revision.new_rent,
        effective_from=revision.effective_from,
    )


# --- staff decisions -----------------------------------------------------------------------------------------


def _check_applicable(session: Session, revision: RentRevision, notified_on: date) -> None:
    lease = revision.lease
    if revision.status is not RevisionStatus.PROPOSED or revision.new_rent is None:
        raise RevisionError("Seule une révision « à valider » peut être appliquée.")
    if not lease.status.in_force:
        raise RevisionError("Le bail n'est plus en cours : sa révision ne peut plus être appliquée.")
    if revision.old_rent != lease.rent:
        raise RevisionError(
            f"Le loyer du bail ({money(lease.rent)}) n'est plus celui du calcul ({money(revision.old_rent)}) : "
            "recalculez la révision avant de l'appliquer."
        )
    if not lease.tenants:
        raise RevisionError("Le bail ne nomme aucun locataire : le courrier de révision ne peut pas être adressé.")
    if lease.signed_on is not None and notified_on < lease.signed_on:
        raise RevisionError("La notification ne peut pas précéder la signature du bail.")
    claim = queries.claim_months_at(session, revision.due_on)
    if rules.revision_lapsed(revision.due_on, notified_on, claim):
        raise RevisionError(
            f"Une notification le {date_in_words(notified_on)} arrive plus de {claim} mois après la date de "
            f"révision du {date_in_words(revision.due_on)} : le bailleur est réputé avoir renoncé à la révision "
            "de cette année (loi n° 89-462, art. 17-1)."
        )
    if lease.rent_cap is not None and revision.new_rent > lease.rent_cap:
        raise RevisionError(f"Le loyer révisé dépasserait le plafond de la convention ({money(lease.rent_cap)}).")


def apply_revision(
    session: Session, revision: RentRevision, *, notified_on: date, by: User, today: date
) -> RentRevision:
    """Apply a proposed revision notified to the household on ``notified_on``: the letter is stored, the
    effective date fixed, and the lease's rent switched now or by the daily job (see the module docstring).

    ``applied_on`` records the notification date: it is what the law counts from (one year to ask, no effect
    before it); the decision itself is in the audit log with ``today``.
    """
    _check_applicable(session, revision, notified_on)
    plan = plan_effective(session, revision, notified_on)
    revision.effective_from = plan.effective_from
    revision.status = RevisionStatus.APPLIED
    revision.applied_on = notified_on
    revision.reviewed_by_id = by.id
    when = f"à partir de l'échéance du {date_in_words(plan.effective_from)}"
    if plan.moved and plan.last_called is not None:
        when += (
            f" (les appels jusqu'à {plan.last_called:%m/%Y} étaient déjà émis à l'ancien loyer ; au plus tôt : "
            f"{date_in_words(plan.legal_from)})"
        )
    revision.explanation = f"{revision.explanation}\n\nNotifiée au ménage le {date_in_words(notified_on)} ; {when}."
    pdf = render_rent_revision_letter(letter_document(revision, issued_on=notified_on, by=by))
    filename = f"revision-loyer-{revision.id}-bail-{revision.lease_id}.pdf"
    stored = storage.save(storage.check(pdf, filename=filename, allowed={"application/pdf"}, max_bytes=len(pdf)))
    revision.document_sha256, revision.document_filename = stored.sha256, stored.filename
    session.flush()
    audit(
        session,
        actor=by,
        action="rent_revision.apply",
        object_type="rent_revision",
        object_id=revision.id,
        lease=revision.lease_id,
        notified_on=notified_on,
        decided_on=today,
        effective_from=plan.effective_from,
        new_rent=revision.new_rent,
    )
    if revision.new_rent != revision.old_rent and rent_switch_due(plan.effective_from, plan.last_called, today):
        switch_rent(session, revision, by=by)
    return revision


def cancel_revision(session: Session, revision: RentRevision, *, reason: str, by: User | None, today: date) -> None:
    """Set a revision aside (the landlord waives it, a lease amendment…): the reason is kept with it."""
    if revision.status not in OPEN_STATUSES:
        raise RevisionError("Cette révision est déjà décidée.")
    reason = " ".join(reason.split())
    if not reason:
        raise RevisionError("Indiquez pourquoi la révision n'est pas appliquée.")
    revision.status = RevisionStatus.CANCELLED
    revision.reviewed_by_id = by.id if by is not None else None
    revision.explanation = (
        f"{revision.explanation or ''}\n\nNon appliquée (décision du {date_in_words(today)}) : {reason}"
    )
    session.flush()
    audit(
        session,
        actor=by,
        action="rent_revision.cancel",
        object_type="rent_revision",
        object_id=revision.id,
        lease=revision.lease_id,
    )


# --- the letter ----------------------------------------------------------------------------------------------


def letter_document(revision: RentRevision, *, issued_on: date, by: User) -> RentRevisionLetterDocument:
    """The revision letter of an applied (or being applied) revision, from the lease and the stored figures."""
    lease = revision.lease
    operator = lease.operator
    assert revision.irl_new is not None and revision.irl_old is not None and revision.new_rent is not None
    assert revision.effective_from is not None
    quarter = rules.Quarter(revision.quarter_year, revision.quarter)
    if lease.kind is LeaseKind.SUBLEASE:
        capacity = "bailleur (sous-location)"
    else:
        capacity = f"mandataire de {lease.landlord.name}, propriétaire bailleur"
    conventioned = lease.level is not ConventionLevel.NONE
    return RentRevisionLetterDocument(
        reference=f"Révision n° {revision.id}",
        sender=operator_party(operator),
        sender_capacity=capacity,
        tenants=tuple(lease.tenants),
        recipient_address_lines=unit_address(lease.unit),
        unit_address=unit_address(lease.unit),
        lease_reference=f"{lease_reference(lease)} du {date_in_words(lease.starts_on)}",
        revision_on=revision.due_on,
        effective_on=revision.effective_from,
        current_rent=revision.old_rent,
        charges=lease.charges,
        quarter_new=quarter.in_words,
        irl_new=revision.irl_new,
        quarter_old=quarter.previous_year().in_words,
        irl_old=revision.irl_old,
        indexed_rent=rules.indexed(revision.old_rent, revision.irl_new, revision.irl_old),
        new_rent=revision.new_rent,
        frozen=revision.frozen,
        dpe_class=dpe_class_of(lease) if revision.frozen else None,
        cap=lease.rent_cap,
        capped=revision.capped,
        convention_label=f"convention Loc'Avantages {lease.level.label} avec l'Anah" if conventioned else None,
        contact=" — ".join(part for part in (operator.phone, operator.email) if part) or None,
        place=lease.unit.commune.name if lease.unit.commune else "—",
        issued_on=issued_on,
        signatory=by.full_name or by.email,
    )
