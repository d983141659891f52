"""Propose a unit to a household, record each step, decline with a reason, withdraw."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agency_backoffice.models import (
    OPEN_PROPOSAL_STATUSES,
    DeclineReason,
    Household,
    HouseholdStatus,
    Proposal,
    ProposalEvent,
    ProposalStatus,
)
from agency_backoffice.operations.households import HouseholdError, park_household
from agency_backoffice.rules.proposals import InvalidStep, check_step
from capture.models import StockEntry, StockStatus
from passerelle.audit import audit
from passerelle.models import User


class ProposalError(ValueError):
    """Why a proposal operation was refused, in French."""


def propose_unit(
    session: Session,
    stock_entry: StockEntry,
    household: Household,
    *,
    failures: list[str],
    score: Decimal | None,
    snapshot: dict[str, Any],
    by: User,
    today: date,
) -> Proposal:
    """Record staff's decision to propose a unit; the hard constraints must hold (their reasons are passed in)."""
    if stock_entry.operator_id != household.operator_id:
        raise ProposalError("Ce logement et ce ménage ne relèvent pas du même opérateur.")
    if stock_entry.status is not StockStatus.AVAILABLE:
        raise ProposalError("Ce logement n'est plus disponible.")
    if household.status is not HouseholdStatus.ACTIVE:
        raise ProposalError("Ce ménage n'est pas en attente de logement.")
    if failures:
        raise ProposalError("Proposition impossible : " + " ".join(failures))
    for same, label in (
        (Proposal.stock_entry_id == stock_entry.id, "ce logement"),
        (Proposal.household_id == household.id, "ce ménage"),
    ):
        busy = session.scalar(select(Proposal.id).where(same, Proposal.status.in_(OPEN_PROPOSAL_STATUSES)))
        if busy is not None:
            raise ProposalError(f"Une proposition est déjà en cours pour {label} (proposition n° {busy}).")
    proposal = Proposal(
        operator_id=household.operator_id,
        household_id=household.id,
        stock_entry_id=stock_entry.id,
        unit_id=stock_entry.unit_id,
        status=ProposalStatus.PROPOSED,
        score=score,
        snapshot=snapshot,
        status_changed_on=today,
        proposed_by_id=by.id,
    )
    proposal.events.append(
        ProposalEvent(from_status=None, to_status=ProposalStatus.PROPOSED.value, on=today, by_id=by.id)
    )
    try:
        with session.begin_nested():  # the partial unique indexes decide between two staff proposing at once
            session.add(proposal)
            session.flush()
    except IntegrityError as error:
        raise ProposalError(
            "Une autre proposition vient d'être enregistrée pour ce logement ou ce ménage : rechargez la page."
        ) from error
    audit(
        session,
        actor=by,
        action="proposal.create",
        object_type="proposal",
        object_id=proposal.id,
        household=household.id,
        unit=stock_entry.unit_id,
    )
    return proposal


def advance_proposal(
    session: Session, proposal: Proposal, target: ProposalStatus, *, by: User, today: date, note: str | None = None
) -> None:
    if target in (ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN):
        raise ProposalError("Utilisez le refus (avec un motif) ou le retrait.")
    _move(session, proposal, target, by=by, today=today, note=note)


def decline_proposal(
    session: Session,
    proposal: Proposal,
    *,
    reason: DeclineReason,
    note: str | None,
    park_until: date | None,
    by: User,
    today: date,
) -> None:
    """End a proposal with a reason tagged household / owner / operator; optionally park the household."""
    # Set before the move flushes: the database refuses a declined proposal without its reason.
    proposal.decline_reason = reason
    proposal.decline_note = (note or "").strip() or None
    _move(session, proposal, ProposalStatus.DECLINED, by=by, today=today, note=note)
    if park_until is not None:
        try:
            park_household(session, proposal.household, until=park_until, reason=reason.label, by=by, today=today)
        except HouseholdError as error:
            raise ProposalError(str(error)) from error


def withdraw_proposal(session: Session, proposal: Proposal, *, note: str | None, by: User, today: date) -> None:
    _move(session, proposal, ProposalStatus.WITHDRAWN, by=by, today=today, note=note)


def close_as_leased(session: Session, proposal: Proposal, *, by: User, today: date) -> None:
    """The lease is signed: the proposal closes (the lease now holds the unit and the household)."""
    if proposal.status is not ProposalStatus.READY_FOR_LEASE:
        raise ProposalError("La proposition n'est pas « prête pour le bail ».")
    proposal.status = ProposalStatus.LEASED
    proposal.status_changed_on = today
    proposal.events.append(
        ProposalEvent(from_status=ProposalStatus.READY_FOR_LEASE.value, to_status="leased", on=today, by_id=by.id)
    )
    session.flush()


def _move(
    session: Session, proposal: Proposal, target: ProposalStatus, *, by: User, today: date, note: str | None
) -> None:
    try:
        check_step(proposal.status, target, proposal.stock_entry.mode)
    except InvalidStep as error:
        raise ProposalError(str(error)) from error
    previous = proposal.status
    proposal.status = target
    proposal.status_changed_on = today
    proposal.events.append(
        ProposalEvent(
            from_status=previous.value, to_status=target.value, on=today, by_id=by.id, note=(note or "").strip() or None
        )
    )
    session.flush()
    audit(
        session,
        actor=by,
        action=f"proposal.{target.value}",
        object_type="proposal",
        object_id=proposal.id,
        previous=previous.value,
    )
