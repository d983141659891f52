"""Yearly IRL revisions (staff): the revisions to review, waiting for their index, decided; a revision's
computation; apply it (letter, effective date, rent) or set it aside; download the letter."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse

from agency_backoffice import bp
from agency_backoffice.models import RentRevision, RevisionStatus
from agency_backoffice.operations import revisions as ops
from agency_backoffice.queries import revisions as queries
from agency_backoffice.revision_forms import ApplyRevisionForm, CancelRevisionForm
from capture.rules import rent_revision as rules
from passerelle import storage
from passerelle.audit import audit
from passerelle.db import db
from passerelle.formatting import PARIS, long_date, money


def _today() -> date:
    return datetime.now(PARIS).date()


@bp.route("/revisions")
def revisions():
    session = db.session
    board = queries.operator_revisions(
        session, current_user.organisation_id, page=max(1, request.args.get("page", 1, type=int))
    )
    audit(session, actor=current_user, action="rent_revision.list", object_type="rent_revision", shown=board.shown)
    session.commit()
    return render_template("agency_backoffice/revisions.html", board=board)


def _render_detail(revision: RentRevision, *, status: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    session, today = db.session, _today()
    apply_form = forms.get("apply_form") or ApplyRevisionForm(prefix="appliquer", formdata=None)
    cancel_form = forms.get("cancel_form") or CancelRevisionForm(prefix="ecarter", formdata=None)
    if apply_form.notified_on.data is None and not apply_form.notified_on.raw_data:
        apply_form.notified_on.data = today
    plan = None
    if revision.status is RevisionStatus.PROPOSED:
        plan = ops.plan_effective(session, revision, apply_form.notified_on.data or today)
    lease = revision.lease
    indexed = None
    if revision.irl_new is not None and revision.irl_old is not None:
        indexed = rules.indexed(revision.old_rent, revision.irl_new, revision.irl_old)
    audit(session, actor=current_user, action="rent_revision.view", object_type="rent_revision", object_id=revision.id)
    session.commit()
    return (
        render_template(
            "agency_backoffice/revision_detail.html",
            revision=revision,
            lease=lease,
            quarter=rules.Quarter(revision.quarter_year, revision.quarter),
            indexed=indexed,
            dpe_class=ops.dpe_class_of(lease),
            plan=plan,
            rent_switched=revision.new_rent is not None and lease.rent == revision.new_rent,
            apply_form=apply_form,
            cancel_form=cancel_form,
            history=[r for r in queries.lease_revisions(session, lease.id) if r.id != revision.id],
        ),
        status,
    )


@bp.route("/revisions/<int:revision_id>")
def revision_detail(revision_id: int):
    return _render_detail(queries.get_revision_for_staff_or_404(db.session, current_user, revision_id))


def _detail(revision_id: int) -> BaseResponse:
    return redirect(url_for("agency_backoffice.revision_detail", revision_id=revision_id))


@bp.post("/revisions/<int:revision_id>/appliquer")
def revision_apply(revision_id: int):
    session = db.session
    revision = queries.get_revision_for_staff_or_404(session, current_user, revision_id)
    form = ApplyRevisionForm(prefix="appliquer")
    if form.validate_on_submit():
        try:
            ops.apply_revision(session, revision, notified_on=form.notified_on.data, by=current_user, today=_today())
        except ops.RevisionError as error:
            session.rollback()
            revision = queries.get_revision_for_staff_or_404(session, current_user, revision_id)
            form.notified_on.errors = [*form.notified_on.errors, str(error)]
        else:
            assert revision.effective_from is not None and revision.new_rent is not None
            session.commit()
            flash(
                f"Révision appliquée : {money(revision.new_rent)} hors charges à partir de l'échéance du "
                f"{long_date(revision.effective_from)}. Le courrier est prêt à être envoyé.",
                "success",
            )
            return _detail(revision.id)
    return _render_detail(revision, status=422, apply_form=form)


@bp.post("/revisions/<int:revision_id>/ecarter")
def revision_cancel(revision_id: int):
    session = db.session
    revision = queries.get_revision_for_staff_or_404(session, current_user, revision_id)
    form = CancelRevisionForm(prefix="ecarter")
    if form.validate_on_submit():
        try:
            ops.cancel_revision(session, revision, reason=form.reason.data or "", by=current_user, today=_today())
        except ops.RevisionError as error:
            session.rollback()
            revision = queries.get_revision_for_staff_or_404(session, current_user, revision_id)
            form.reason.errors = [*form.reason.errors, str(error)]
        else:
            session.commit()
            flash("Révision écartée : le loyer reste inchangé.", "success")
            return _detail(revision.id)
    return _render_detail(revision, status=422, cancel_form=form)


@bp.post("/revisions/<int:revision_id>/recalculer")
def revision_recompute(revision_id: int):
    session = db.session
    revision = queries.get_revision_for_staff_or_404(session, current_user, revision_id)
    try:  # no field: the CSRF token is checked for every POST by CSRFProtect
        proposed = ops.recompute_revision(session, revision, ops.Reference(session), by=current_user)
    except ops.RevisionError as error:
        session.rollback()
        flash(str(error), "error")
        return _detail(revision_id)
    session.commit()
    if proposed:
        flash("Révision recalculée avec le loyer actuel et les indices importés : vérifiez-la.", "success")
    else:
        flash("L'indice nécessaire n'est toujours pas importé : la révision reste en attente.", "warning")
    return _detail(revision.id)


@bp.route("/revisions/<int:revision_id>/courrier")
def revision_letter(revision_id: int):
    session = db.session
    revision = queries.get_revision_for_staff_or_404(session, current_user, revision_id)
    if revision.document_sha256 is None or revision.document_filename is None:
        abort(404)
    audit(
        session, actor=current_user, action="rent_revision.letter", object_type="rent_revision", object_id=revision.id
    )
    session.commit()
    return storage.send_stored(
        revision.document_sha256, content_type="application/pdf", filename=revision.document_filename
    )
