"""Leases (staff): the operator's list, the draft from a proposal ready for lease, the lease and its steps."""

from __future__ import annotations

from datetime import date, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from agency_backoffice import bp
from agency_backoffice.lease_forms import (
    ActivateForm,
    CancelForm,
    EndForm,
    LeaseForm,
    SignForm,
    apply_errors,
    form_to_input,
    lease_form_data,
)
from agency_backoffice.models import (
    Lease,
    LeaseAnnex,
    LeaseEndReason,
    LeaseKind,
    LeaseSignatureMethod,
    LeaseStatus,
    Proposal,
    ProposalStatus,
)
from agency_backoffice.operations import households as household_ops
from agency_backoffice.operations import leases as ops
from agency_backoffice.proposal_views import _proposal_or_404
from agency_backoffice.queries import leases as queries
from agency_backoffice.rules import leases as rules
from capture.models import IMLMode, Landlord, StockEntry
from passerelle import storage
from passerelle.audit import audit
from passerelle.db import db
from passerelle.formatting import PARIS
from passerelle.forms import Form
from passerelle.reference.queries import MissingParameter

# What each mode produces, for the staff member about to draft or sign.
CONTRACTS = {
    IMLMode.MANDATE: (
        "Bail d'habitation (loi du 6 juillet 1989) entre le propriétaire et le ménage, signé par l'opérateur "
        "en qualité de mandataire du propriétaire."
    ),
    IMLMode.SUBLEASE: (
        "Contrat de sous-location (convention d'occupation) entre l'association, locataire principale, et le "
        "ménage, dans les limites du bail consenti par le propriétaire."
    ),
    IMLMode.BAIL_GLISSANT: (
        "Contrat de sous-location entre l'association et le ménage, et convention tripartite de bail glissant "
        "(propriétaire, association, ménage) : revues tous les six mois, puis glissement du bail au ménage."
    ),
}

SLID_CONTRACT = (
    "Bail d'habitation (loi du 6 juillet 1989) entre le propriétaire et le ménage, issu du glissement de la "
    "sous-location : le ménage est désormais locataire en titre."
)

STATUS_BADGES = {"draft": " badge--warning", "signed": " badge--info", "active": " badge--success", "ended": ""}


def _today() -> date:
    return datetime.now(PARIS).date()


def _lease_or_404(lease_id: int) -> Lease:
    return queries.get_lease_for_staff_or_404(db.session, current_user, lease_id)


def _limits(entry: StockEntry, lease: Lease | None, on: date) -> rules.LeaseLimits | str:
    """What the terms will be checked against on ``on``, or why it cannot be said (a missing parameter)."""
    landlord = db.session.get(Landlord, entry.agreement.landlord_id)
    assert landlord is not None
    try:
        return queries.lease_limits(
            db.session,
            kind=rules.kind_for(entry.mode),
            entry=entry,
            agreement=entry.agreement,
            landlord=landlord,
            operator=entry.agreement.operator,
            guarantee_kinds=tuple(g.kind for g in lease.guarantees) if lease is not None else (),
            on=on,
        )
    except MissingParameter as error:
        return f"paramètre de référence manquant : {error}"


@bp.route("/baux")
def leases():
    session = db.session
    status = request.args.get("statut", "all")
    if status not in {s.value for s in LeaseStatus}:
        status = "all"
    page = queries.operator_leases(
        session,
        current_user.organisation_id,
        status=None if status == "all" else LeaseStatus(status),
        page=max(1, request.args.get("page", 1, type=int)),
    )
    by_status = dict(
        session.execute(
            select(Lease.status, func.count())
            .where(Lease.operator_id == current_user.organisation_id)
            .group_by(Lease.status)
        ).all()
    )
    # The list shows the tenants' names: a view of personal data, logged once per page.
    household_ops.audit_list_view(session, by=current_user, count=len(page.rows))
    session.commit()
    counts = {str(key): value for key, value in by_status.items()}
    return render_template(
        "agency_backoffice/leases.html",
        page=page,
        status=status,
        statuses=list(LeaseStatus),
        counts={**counts, "all": sum(counts.values())},
        badges=STATUS_BADGES,
    )


@bp.route("/propositions/<int:proposal_id>/bail", methods=["GET", "POST"])
def lease_new(proposal_id: int) -> Response | str | tuple[str, int]:
    session = db.session
    proposal = _proposal_or_404(proposal_id)
    existing = session.scalar(select(Lease).where(Lease.proposal_id == proposal.id))
    if existing is not None:
        if request.method == "POST":
            flash("Un bail a déjà été préparé pour cette proposition : le voici.", "info")
        return redirect(url_for("agency_backoffice.lease_detail", lease_id=existing.id))
    if proposal.status is not ProposalStatus.READY_FOR_LEASE:
        flash(
            "Aucun bail n'est enregistré pour cette proposition."
            if proposal.status is ProposalStatus.LEASED
            else "Le bail se prépare quand la proposition est « prête pour le bail » (accords du ménage et du "
            "propriétaire).",
            "error",
        )
        return redirect(url_for("agency_backoffice.proposal_detail", proposal_id=proposal.id))
    today = _today()
    form = LeaseForm(data=ops.lease_defaults(session, proposal, today=today) if request.method == "GET" else None)
    if request.method == "GET":
        household_ops.record_view(session, proposal.household, by=current_user, what=f"lease draft {proposal.id}")
        session.commit()
        return _render_form(form, proposal.stock_entry, proposal=proposal)
    if form.validate_on_submit():
        sublease = rules.kind_for(proposal.stock_entry.mode) is LeaseKind.SUBLEASE
        try:
            lease = ops.draft_lease(
                session, proposal, form_to_input(form, sublease=sublease), by=current_user, today=today
            )
        except ops.LeaseError as error:
            session.rollback()
            proposal = _proposal_or_404(proposal_id)
            apply_errors(form, error.errors)
        else:
            session.commit()
            flash(
                f"Bail n° {lease.id} préparé en brouillon : relisez le document, puis enregistrez la signature.",
                "success",
            )
            return redirect(url_for("agency_backoffice.lease_detail", lease_id=lease.id))
    return _render_form(form, proposal.stock_entry, proposal=proposal), 422


@bp.route("/baux/<int:lease_id>/modifier", methods=["GET", "POST"])
def lease_edit(lease_id: int) -> Response | str | tuple[str, int]:
    session = db.session
    lease = _lease_or_404(lease_id)
    if lease.status is not LeaseStatus.DRAFT:
        flash("Seul un bail en brouillon peut être modifié.", "error")
        return redirect(url_for("agency_backoffice.lease_detail", lease_id=lease.id))
    form = LeaseForm(data=lease_form_data(lease) if request.method == "GET" else None)
    if request.method == "GET":
        _record_view(lease, page="edit")
        session.commit()
        return _render_form(form, lease.stock_entry, lease=lease)
    if form.validate_on_submit():
        try:
            ops.update_draft(
                session,
                lease,
                form_to_input(form, sublease=lease.kind is LeaseKind.SUBLEASE),
                by=current_user,
                today=_today(),
            )
        except ops.LeaseError as error:
            session.rollback()
            lease = _lease_or_404(lease_id)
            apply_errors(form, error.errors)
        else:
            session.commit()
            flash("Brouillon mis à jour ; le document a été établi à nouveau.", "success")
            return redirect(url_for("agency_backoffice.lease_detail", lease_id=lease.id))
    return _render_form(form, lease.stock_entry, lease=lease), 422


def _render_form(
    form: LeaseForm, entry: StockEntry, *, proposal: Proposal | None = None, lease: Lease | None = None
) -> str:
    on = form.starts_on.data if isinstance(form.starts_on.data, date) else _today()
    return render_template(
        "agency_backoffice/lease_form.html",
        form=form,
        entry=entry,
        proposal=proposal,
        lease=lease,
        kind=rules.kind_for(entry.mode),
        contract=CONTRACTS[entry.mode],
        limits=_limits(entry, lease, on),
        on=on,
    )


@bp.route("/baux/<int:lease_id>")
def lease_detail(lease_id: int) -> str:
    session = db.session
    lease = _lease_or_404(lease_id)
    _record_view(lease, page="detail")
    session.commit()
    return _render_detail(lease)


def _record_view(lease: Lease, *, page: str) -> None:
    audit(db.session, actor=current_user, action="lease.view", object_type="lease", object_id=lease.id, page=page)


def _render_detail(lease: Lease, failed: Form | None = None, **forms: Form) -> str:
    today = _today()
    signatories = " ; ".join([*(lease.tenants or ()), f"pour {lease.operator.name}"])
    defaults: dict[str, Form] = {
        "sign_form": SignForm(
            formdata=None,
            data={"signed_on": today, "signatories": signatories, "method": LeaseSignatureMethod.PAPER.value},
        ),
        "activate_form": ActivateForm(formdata=None, data={"activated_on": today}),
        "cancel_form": CancelForm(formdata=None, data={"ended_on": today}),
        "end_form": EndForm(formdata=None, data={"ended_on": today}),
    }
    return render_template(
        "agency_backoffice/lease_detail.html",
        lease=lease,
        documents=queries.latest_documents(lease),
        annexes=[LeaseAnnex(value) for value in lease.annexes or ()],
        contract=SLID_CONTRACT if lease.slid_from_id else CONTRACTS[lease.mode],
        last_day=rules.last_day(lease.starts_on, lease.duration_months),
        limits=_limits(lease.stock_entry, lease, today) if lease.status is LeaseStatus.DRAFT else None,
        today=today,
        badges=STATUS_BADGES,
        form=failed,  # the page title says when a form was refused
        **{**defaults, **forms},
    )


def _refused(lease_id: int, name: str, form: Form, error: ops.LeaseError | None = None) -> tuple[str, int]:
    """Re-render the lease with the refused form and its French messages (nothing was saved)."""
    if error is not None:
        db.session.rollback()
        apply_errors(form, error.errors)
    return _render_detail(_lease_or_404(lease_id), form, **{name: form}), 422


@bp.post("/baux/<int:lease_id>/signer")
def lease_sign(lease_id: int) -> Response | tuple[str, int]:
    session = db.session
    lease = _lease_or_404(lease_id)
    form = SignForm()
    if not form.validate_on_submit():
        return _refused(lease_id, "sign_form", form)
    try:
        ops.sign_lease(
            session,
            lease,
            signed_on=form.signed_on.data,
            signatories=form.signatories.data,
            method=LeaseSignatureMethod(form.method.data),
            by=current_user,
            today=_today(),
        )
    except ops.LeaseError as error:
        return _refused(lease_id, "sign_form", form, error)
    session.commit()
    flash("Signature enregistrée : le logement est retiré du parc disponible.", "success")
    return redirect(url_for("agency_backoffice.lease_detail", lease_id=lease.id))


@bp.post("/baux/<int:lease_id>/entree")
def lease_activate(lease_id: int) -> Response | tuple[str, int]:
    session = db.session
    lease = _lease_or_404(lease_id)
    form = ActivateForm()
    if not form.validate_on_submit():
        return _refused(lease_id, "activate_form", form)
    try:
        ops.activate_lease(session, lease, on=form.activated_on.data, by=current_user, today=_today())
    except ops.LeaseError as error:
        return _refused(lease_id, "activate_form", form, error)
    session.commit()
    flash("Entrée dans les lieux enregistrée : le bail est en cours.", "success")
    return redirect(url_for("agency_backoffice.lease_detail", lease_id=lease.id))


@bp.post("/baux/<int:lease_id>/fin")
def lease_end(lease_id: int) -> Response | tuple[str, int]:
    """End a running lease, or cancel a signed one before the household moves in (the status decides)."""
    session = db.session
    lease = _lease_or_404(lease_id)
    cancel = lease.status is LeaseStatus.SIGNED
    form: CancelForm | EndForm = CancelForm() if cancel else EndForm()
    name = "cancel_form" if cancel else "end_form"
    if not form.validate_on_submit():
        return _refused(lease_id, name, form)
    try:
        ops.end_lease(
            session,
            lease,
            ended_on=form.ended_on.data,
            reason=LeaseEndReason.CANCELLED if cancel else LeaseEndReason(form.reason.data),
            notice_on=None if cancel else form.notice_on.data,
            note=form.note.data,
            by=current_user,
            today=_today(),
        )
    except ops.LeaseError as error:
        return _refused(lease_id, name, form, error)
    session.commit()
    flash(
        "Bail annulé : le logement revient dans le parc disponible."
        if cancel
        else "Fin du bail enregistrée : le logement revient dans le parc disponible le lendemain de la sortie.",
        "success",
    )
    return redirect(url_for("agency_backoffice.lease_detail", lease_id=lease.id))


@bp.route("/baux/<int:lease_id>/documents/<int:document_id>")
def lease_document(lease_id: int, document_id: int) -> Response:
    session = db.session
    document = queries.get_document_for_staff_or_404(session, current_user, lease_id, document_id)
    audit(
        session,
        actor=current_user,
        action="lease_document.download",
        object_type="lease_document",
        object_id=document.id,
        kind=document.kind.value,
    )
    session.commit()
    return storage.send_stored(document.sha256, content_type="application/pdf", filename=document.filename)
