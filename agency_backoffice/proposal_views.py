"""Proposals (staff): the list by step, one proposal with its snapshot and history, steps, decline, withdraw."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from agency_backoffice import bp
from agency_backoffice.models import DeclineReason, Proposal, ProposalStatus
from agency_backoffice.operations import households as household_ops
from agency_backoffice.operations import proposals as ops
from agency_backoffice.proposal_forms import DeclineForm, StepForm, WithdrawForm
from agency_backoffice.queries.matching import snapshot_for_display
from agency_backoffice.rules.proposals import STEP_ACTIONS, next_steps
from passerelle.db import db
from passerelle.formatting import PARIS
from passerelle.models import Role


def _today() -> date:
    return datetime.now(PARIS).date()


def _proposal_or_404(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if (
        proposal is None
        or current_user.role is not Role.AGENCY_STAFF
        or proposal.operator_id != current_user.organisation_id
    ):
        abort(404)
    return proposal


@bp.route("/propositions")
def proposals():
    session = db.session
    status = request.args.get("etape", "open")
    query = (
        select(Proposal)
        .where(Proposal.operator_id == current_user.organisation_id)
        .options(selectinload(Proposal.household), selectinload(Proposal.unit))
    )
    if status == "open":
        query = query.where(Proposal.status.in_([s for s in ProposalStatus if s.is_open]))
    elif status in {s.value for s in ProposalStatus}:
        query = query.where(Proposal.status == status)
    rows = session.scalars(query.order_by(Proposal.status_changed_on.desc(), Proposal.id.desc()).limit(200)).all()
    counts = dict(
        session.execute(
            select(Proposal.status, func.count())
            .where(Proposal.operator_id == current_user.organisation_id)
            .group_by(Proposal.status)
        ).all()
    )
    household_ops.audit_list_view(session, by=current_user, count=len(rows))
    session.commit()
    return render_template(
        "agency_backoffice/proposals.html",
        rows=rows,
        status=status,
        counts={str(key): value for key, value in counts.items()},
        statuses=list(ProposalStatus),
        today=_today(),
    )


@bp.route("/propositions/<int:proposal_id>")
def proposal_detail(proposal_id: int):
    session = db.session
    proposal = _proposal_or_404(proposal_id)
    household_ops.record_view(session, proposal.household, by=current_user, what=f"proposal {proposal.id}")
    session.commit()
    return _render_detail(proposal)


def _render_detail(proposal: Proposal, **forms: object) -> str:
    steps = next_steps(proposal.status, proposal.stock_entry.mode)
    return render_template(
        "agency_backoffice/proposal_detail.html",
        proposal=proposal,
        steps=[(step, STEP_ACTIONS[step]) for step in steps],
        step_form=forms.get("step_form") or StepForm(),
        decline_form=forms.get("decline_form") or DeclineForm(),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(),
        status_label=lambda value: ProposalStatus(value).label,
        snap=snapshot_for_display(proposal.snapshot or {}),
        today=_today(),
    )


@bp.post("/propositions/<int:proposal_id>/etape")
def proposal_step(proposal_id: int):
    session = db.session
    proposal = _proposal_or_404(proposal_id)
    form = StepForm()
    if form.validate_on_submit():
        try:
            target = ProposalStatus(form.target.data)
            ops.advance_proposal(session, proposal, target, by=current_user, today=_today(), note=form.note.data)
        except (ValueError, ops.ProposalError) as error:
            session.rollback()
            message = str(error) if isinstance(error, ops.ProposalError) else "Étape inconnue."
            flash(message, "error")
        else:
            session.commit()
            flash(f"Étape enregistrée : {target.label}.", "success")
        return redirect(url_for("agency_backoffice.proposal_detail", proposal_id=proposal.id))
    return _render_detail(proposal, step_form=form), 422


@bp.post("/propositions/<int:proposal_id>/refus")
def proposal_decline(proposal_id: int):
    session = db.session
    proposal = _proposal_or_404(proposal_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            ops.decline_proposal(
                session,
                proposal,
                reason=DeclineReason(form.reason.data),
                note=form.note.data,
                park_until=form.park_until.data,
                by=current_user,
                today=_today(),
            )
        except ops.ProposalError as error:
            session.rollback()
            proposal = _proposal_or_404(proposal_id)
            form.form_errors.append(str(error))
        else:
            session.commit()
            flash("Refus enregistré : le logement peut être proposé à un autre ménage.", "success")
            return redirect(url_for("agency_backoffice.proposal_detail", proposal_id=proposal.id))
    return _render_detail(proposal, decline_form=form), 422


@bp.post("/propositions/<int:proposal_id>/retrait")
def proposal_withdraw(proposal_id: int) -> Response | tuple[str, int]:
    session = db.session
    proposal = _proposal_or_404(proposal_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            ops.withdraw_proposal(session, proposal, note=form.note.data, by=current_user, today=_today())
        except ops.ProposalError as error:
            session.rollback()
            flash(str(error), "error")
        else:
            session.commit()
            flash("Proposition retirée.", "success")
        return redirect(url_for("agency_backoffice.proposal_detail", proposal_id=proposal.id))
    return _render_detail(proposal, withdraw_form=form), 422
