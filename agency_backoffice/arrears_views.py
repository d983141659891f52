"""Arrears follow-up (staff): the operator's open cases and their ageing, a case with its legal clocks, steps done,
the letters of the clocks, repayment plans. The household page shows its arrears through ``household_arrears``."""

from __future__ import annotations

from datetime import date, datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from agency_backoffice import bp
from agency_backoffice.arrears_forms import PlanForm, TaskDoneForm
from agency_backoffice.models import ArrearsCase, ArrearsTask, Household, LedgerEntry, PlanStatus
from agency_backoffice.operations import arrears as ops
from agency_backoffice.operations import arrears_letters as letter_ops
from agency_backoffice.operations import households as household_ops
from agency_backoffice.operations import repayment_plans as plan_ops
from agency_backoffice.queries import arrears as queries
from agency_backoffice.rules import arrears as rules
from passerelle import storage
from passerelle.audit import audit
from passerelle.db import db
from passerelle.formatting import PARIS


def _today() -> date:
    return datetime.now(PARIS).date()


def _task_form(task: ArrearsTask, today: date) -> TaskDoneForm:
    return TaskDoneForm(prefix=f"etape{task.id}", formdata=None, data={"done_on": today})


@bp.app_template_global("household_arrears")
def household_arrears(household: Household) -> list[queries.HouseholdArrears]:
    """The household's arrears for its page (the page itself checks the operator and records the view)."""
    return queries.household_arrears(db.session, household.id, _today())


@bp.route("/impayes")
def arrears():
    session, today = db.session, _today()
    params = queries.arrears_parameters(session, today)
    board = queries.operator_board(
        session, current_user.organisation_id, today, params, page=max(1, request.args.get("page", 1, type=int))
    )
    household_ops.audit_list_view(session, by=current_user, count=len(board.rows))
    session.commit()
    return render_template("agency_backoffice/arrears.html", board=board, today=today)


def _render_case(
    case: ArrearsCase,
    *,
    status: int = 200,
    task_form: tuple[int, TaskDoneForm] | None = None,
    plan_form: PlanForm | None = None,
    error: str | None = None,
) -> tuple[str, int]:
    session, today = db.session, _today()
    params = queries.arrears_parameters(session, today)
    facts = queries.lease_facts(session, case.lease_id, today)
    positions = rules.unpaid_positions(facts, today)
    ids = [position.call.entry_id for position in positions]
    entries = {entry.id: entry for entry in session.scalars(select(LedgerEntry).where(LedgerEntry.id.in_(ids)))}
    task_forms = {task.id: _task_form(task, today) for task in case.tasks if task.done_on is None}
    if task_form is not None:
        task_forms[task_form[0]] = task_form[1]
    debt = rules.arrears_amount(facts, today)
    plan_form = plan_form or PlanForm(prefix="plan", formdata=None, data={"total": debt})
    audit(session, actor=current_user, action="arrears_case.view", object_type="arrears_case", object_id=case.id)
    session.commit()
    return (
        render_template(
            "agency_backoffice/arrears_case.html",
            case=case,
            lease=case.lease,
            facts=facts,
            positions=positions,
            entries=entries,
            debt=debt,
            ageing=rules.ageing(facts, today, params),
            tasks=sorted(case.tasks, key=lambda task: (task.due_on, task.id)),
            task_label=ops.task_label,
            letter_kinds=letter_ops.LETTER_NAMES,
            task_forms=task_forms,
            plan_form=plan_form,
            plan_running=any(plan.status is PlanStatus.ACTIVE for plan in case.plans),
            max_instalments=params.plan_max_instalments,
            error=error,
            today=today,
        ),
        status,
    )


@bp.route("/impayes/<int:case_id>")
def arrears_case(case_id: int):
    return _render_case(queries.get_case_for_staff_or_404(db.session, current_user, case_id))


def _case_page(case: ArrearsCase, anchor: str = "") -> BaseResponse:
    return redirect(url_for("agency_backoffice.arrears_case", case_id=case.id) + anchor)


@bp.post("/impayes/<int:case_id>/etapes/<int:task_id>/faite")
def arrears_task_done(case_id: int, task_id: int):
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    task = queries.get_task_or_404(case, task_id)
    form = TaskDoneForm(prefix=f"etape{task.id}")
    if form.validate_on_submit():
        assert form.done_on.data is not None
        try:
            ops.complete_task(
                session, task, done_on=form.done_on.data, note=form.note.data, by=current_user, today=_today()
            )
        except ops.ArrearsError as error:
            session.rollback()
            case = queries.get_case_for_staff_or_404(session, current_user, case_id)
            field = getattr(form, error.field, None) if error.field else None
            if field is not None:
                field.errors = [*field.errors, str(error)]
            else:
                form.form_errors.append(str(error))
        else:
            session.commit()
            flash(f"Étape « {ops.task_label(task)} » enregistrée comme faite.", "success")
            return _case_page(case, "#titre-etapes")
    return _render_case(case, status=422, task_form=(task_id, form))


@bp.post("/impayes/<int:case_id>/etapes/<int:task_id>/courrier")
def arrears_task_letter(case_id: int, task_id: int):
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    task = queries.get_task_or_404(case, task_id)
    if task.kind not in letter_ops.LETTER_NAMES:
        abort(404)
    try:
        letter_ops.task_letter(session, task, on=_today(), by=current_user)
    except ops.ArrearsError as error:
        session.rollback()
        case = queries.get_case_for_staff_or_404(session, current_user, case_id)
        return _render_case(case, status=422, error=str(error))
    session.commit()
    flash("Courrier établi : téléchargez-le dans la liste des étapes.", "success")
    return _case_page(case, "#titre-etapes")


@bp.route("/impayes/<int:case_id>/etapes/<int:task_id>/courrier")
def arrears_task_document(case_id: int, task_id: int) -> Response:
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    task = queries.get_task_or_404(case, task_id)
    if task.document_sha256 is None or task.document_filename is None:
        abort(404)
    audit(
        session,
        actor=current_user,
        action="arrears_task.download",
        object_type="arrears_case",
        object_id=case.id,
        task=task.id,
    )
    session.commit()
    return storage.send_stored(task.document_sha256, content_type="application/pdf", filename=task.document_filename)


@bp.post("/impayes/<int:case_id>/plan")
def arrears_plan_create(case_id: int):
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    form = PlanForm(prefix="plan")
    if form.validate_on_submit():
        assert form.total.data is not None and form.months.data is not None and form.first_due_on.data is not None
        try:
            plan = plan_ops.create_plan(
                session,
                case,
                total=form.total.data,
                months=form.months.data,
                first_due_on=form.first_due_on.data,
                today=_today(),
                by=current_user,
            )
        except ops.ArrearsError as error:
            session.rollback()
            case = queries.get_case_for_staff_or_404(session, current_user, case_id)
            field = getattr(form, error.field, None) if error.field else None
            if field is not None:
                field.errors = [*field.errors, str(error)]
            else:
                form.form_errors.append(str(error))
        else:
            session.commit()
            flash(f"Plan d'apurement n° {plan.id} enregistré : téléchargez l'échéancier à faire signer.", "success")
            return _case_page(case, "#titre-plans")
    return _render_case(case, status=422, plan_form=form)


@bp.route("/impayes/<int:case_id>/plans/<int:plan_id>/document")
def arrears_plan_document(case_id: int, plan_id: int) -> Response:
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    plan = queries.get_plan_or_404(case, plan_id)
    if plan.document_sha256 is None or plan.document_filename is None:
        abort(404)
    audit(
        session,
        actor=current_user,
        action="repayment_plan.download",
        object_type="arrears_case",
        object_id=case.id,
        plan=plan.id,
    )
    session.commit()
    return storage.send_stored(plan.document_sha256, content_type="application/pdf", filename=plan.document_filename)
