"""The capture pipeline for operator staff: lists with filters, the board, a case with its history."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from capture import bp, metro_bp, queries
from capture import operations as ops
from capture.forms_cases import ActivityForm, AssignForm, PipelineFilterForm, StageChangeForm
from capture.models import ActivityKind, CaptureStage, LeadSource
from capture.rules import LOST_REASONS, CaseState, InvalidTransition, allowed_moves
from passerelle.audit import audit
from passerelle.db import db
from passerelle.forms import choices
from passerelle.models import User
from passerelle.storage import send_stored

PAGE_SIZE = 50


@bp.route("/")
def home():
    session = db.session
    operator_id = current_user.organisation_id
    staff = queries.operator_staff(session, operator_id)
    form = PipelineFilterForm(request.args)
    form.responsable.choices = choices(
        [("", "Tous"), ("aucun", "Sans responsable"), *[(str(u.id), u.full_name or u.email) for u in staff]]
    )
    form.commune.choices = choices([("", "Toutes"), *queries.operator_communes(session, operator_id)])
    form.validate()
    filters = queries.PipelineFilters(
        stage=CaptureStage(form.etape.data) if form.etape.data in CaptureStage._value2member_map_ else None,
        owner_id=int(form.responsable.data) if (form.responsable.data or "").isdigit() else None,
        unassigned=form.responsable.data == "aucun",
        commune_insee=form.commune.data or None,
        source=LeadSource(form.origine.data) if form.origine.data in LeadSource._value2member_map_ else None,
        overdue=form.retard.data == "1",
    )
    page = max(request.args.get("page", 1, type=int), 1)
    cases, total = queries.pipeline_cases(
        session, operator_id, filters, today=date.today(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render_template(
        "capture/home.html",
        organisation=current_user.organisation,
        cases=cases,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        form=form,
        counts=queries.stage_counts(session, operator_id),
        today=date.today(),
        query_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.route("/tableau")
def board():
    board = queries.pipeline_board(db.session, current_user.organisation_id)
    return render_template("capture/board.html", board=board, today=date.today())


@bp.route("/dossiers/<int:case_id>")
def case_detail(case_id: int):
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    # A capture case shows a landlord's personal data: every view is logged.
    audit(session, actor=current_user, action="capture_case.view", object_type="capture_case", object_id=case.id)
    session.commit()
    return _render_case(case)


def _render_case(case, stage_form=None, activity_form=None, assign_form=None, status=200):
    session = db.session
    state = CaseState(case.stage, case.stage_before_pause, case.paused_until, case.lost_reason)
    moves = sorted(allowed_moves(state) - {CaptureStage.SIGNED}, key=lambda s: list(CaptureStage).index(s))
    stage_form = stage_form or StageChangeForm()
    stage_form.to.choices = choices([(s.value, s.label) for s in moves])
    activity_form = activity_form or ActivityForm(occurred_on=date.today(), kind=ActivityKind.CALL.value)
    assign_form = assign_form or AssignForm(owner=str(case.owner_id or ""))
    assign_form.owner.choices = _owner_choices(case.operator_id)
    return (
        render_template(
            "capture/case_detail.html",
            case=case,
            unit=case.unit,
            landlord=case.landlord,
            activities=queries.case_activities(session, case),
            stage_form=stage_form,
            activity_form=activity_form,
            assign_form=assign_form,
            moves=moves,
            lost_reasons=LOST_REASONS,
            today=date.today(),
        ),
        status,
    )


def _owner_choices(operator_id: int):
    staff = queries.operator_staff(db.session, operator_id)
    return choices([("", "Personne"), *[(str(u.id), u.full_name or u.email) for u in staff]])


@bp.route("/dossiers/<int:case_id>/etape", methods=["POST"])
def case_stage(case_id: int):
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    form = StageChangeForm()
    state = CaseState(case.stage, case.stage_before_pause, case.paused_until, case.lost_reason)
    form.to.choices = choices([(s.value, s.label) for s in allowed_moves(state) - {CaptureStage.SIGNED}])
    if form.validate_on_submit():
        try:
            ops.change_stage(
                session,
                case,
                CaptureStage(form.to.data),
                by=current_user,
                today=date.today(),
                lost_reason=form.lost_reason.data or None,
                paused_until=form.paused_until.data,
            )
        except InvalidTransition as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            session.commit()
            flash(f"Dossier passé à l'étape « {case.stage.label} ».", "success")
            return redirect(url_for("capture.case_detail", case_id=case.id))
    return _render_case(case, stage_form=form, status=422)


@bp.route("/dossiers/<int:case_id>/activites", methods=["POST"])
def case_activity(case_id: int):
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    form = ActivityForm()
    if form.validate_on_submit():
        if form.next_action_on.data and form.next_action_on.data < form.occurred_on.data:
            form.next_action_on.errors = [
                *form.next_action_on.errors,
                "La prochaine action ne peut pas précéder l'échange.",
            ]
        else:
            ops.log_activity(
                session,
                case,
                kind=ActivityKind(form.kind.data),
                occurred_on=form.occurred_on.data,
                summary=form.summary.data,
                next_action_on=form.next_action_on.data,
                by=current_user,
            )
            session.commit()
            flash("Échange enregistré.", "success")
            return redirect(url_for("capture.case_detail", case_id=case.id))
    return _render_case(case, activity_form=form, status=422)


@bp.route("/dossiers/<int:case_id>/responsable", methods=["POST"])
def case_assign(case_id: int):
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    form = AssignForm()
    form.owner.choices = _owner_choices(case.operator_id)
    if form.validate_on_submit():
        owner = session.get(User, int(form.owner.data)) if form.owner.data else None
        try:
            ops.assign_case(session, case, owner, by=current_user)
        except ops.CaptureError as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            session.commit()
            flash("Responsable du dossier enregistré.", "success")
            return redirect(url_for("capture.case_detail", case_id=case.id))
    return _render_case(case, assign_form=form, status=422)


@bp.route("/dossiers/<int:case_id>/documents/<int:document_id>")
def case_document(case_id: int, document_id: int):
    session = db.session
    document = queries.get_case_document_for_staff_or_404(session, current_user, case_id, document_id)
    audit(
        session,
        actor=current_user,
        action="unit_document.view",
        object_type="unit_document",
        object_id=document.id,
        case_id=case_id,
    )
    session.commit()
    return send_stored(document.sha256, content_type=document.content_type, filename=document.filename)


@metro_bp.route("/", endpoint="home")
def metro_home():
    organisation = current_user.organisation
    territory = organisation.territory if organisation else None
    return render_template(
        "capture/metro_home.html",
        organisation=organisation,
        territory=territory,
        overview=queries.territory_overview(db.session, territory) if territory else None,
    )
