"""Households (staff): the operator's list, referral form, the file, edit, park, close."""

from __future__ import annotations

from datetime import date, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from agency_backoffice import bp
from agency_backoffice.household_forms import HouseholdForm, form_data_from, form_to_input, resource_fields
from agency_backoffice.household_input import PLACE_KINDS
from agency_backoffice.models import Household, HouseholdStatus, Need, PriorityFlag
from agency_backoffice.operations import households as ops
from agency_backoffice.queries import households as queries
from passerelle.db import db
from passerelle.formatting import PARIS
from passerelle.forms import choices


def _today() -> date:
    return datetime.now(PARIS).date()


def _household_or_404(household_id: int) -> Household:
    return queries.get_household_for_staff_or_404(db.session, current_user, household_id)


def _form(household: Household | None = None) -> HouseholdForm:
    data = form_data_from(household) if household is not None and request.method == "GET" else None
    form = HouseholdForm(data=data)
    communes = queries.territory_commune_choices(db.session, current_user.organisation)
    form.wished_communes.choices = choices([(insee, f"{name} ({insee})") for insee, name in communes])
    for row in form.places.entries:
        row.form.commune.choices = choices([("", "—"), *communes])
    form.related_landlords.choices = choices(queries.stock_landlord_choices(db.session, current_user.organisation_id))
    if household is None and request.method == "GET":
        form.referred_on.data = _today()
    return form


@bp.route("/menages")
def households():
    today = _today()
    status = request.args.get("statut", "active")
    search = request.args.get("q", "")
    page = queries.household_list(
        db.session,
        current_user.organisation_id,
        status=status,
        search=search,
        page=request.args.get("page", 1, type=int),
        today=today,
    )
    # The list shows names: it is a view of personal data, logged once per page.
    ops.audit_list_view(db.session, by=current_user, count=len(page.rows))
    db.session.commit()
    return render_template(
        "agency_backoffice/households.html",
        page=page,
        status=status,
        search=search,
        today=today,
        statuses=HouseholdStatus,
    )


@bp.route("/menages/nouveau", methods=["GET", "POST"])
def household_new():
    form = _form()
    if form.validate_on_submit():
        session = db.session
        try:
            household = ops.register_household(
                session,
                current_user.organisation,
                form_to_input(form),
                by=current_user,
                today=_today(),
                source="form",
            )
        except ops.HouseholdError as error:
            session.rollback()
            form.form_errors.extend(error.problems)
        else:
            session.commit()
            flash(f"Dossier {household.siao_reference} enregistré.", "success")
            return redirect(url_for("agency_backoffice.household_detail", household_id=household.id))
    return render_template(
        "agency_backoffice/household_form.html", form=form, household=None, resources=resource_fields(form)
    )


@bp.route("/menages/<int:household_id>")
def household_detail(household_id: int):
    session = db.session
    household = _household_or_404(household_id)
    ops.record_view(session, household, by=current_user)
    session.commit()
    codes = {*household.wished_communes, *(place.get("commune", "") for place in household.places)}
    return render_template(
        "agency_backoffice/household_detail.html",
        household=household,
        today=_today(),
        communes=queries.commune_names(session, codes),
        proposals=queries.household_proposals(session, household.id),
        priority_labels={flag.value: flag.label for flag in PriorityFlag},
        need_labels={need.value: need.label for need in Need},
        place_kinds=PLACE_KINDS,
    )


@bp.route("/menages/<int:household_id>/modifier", methods=["GET", "POST"])
def household_edit(household_id: int):
    session = db.session
    household = _household_or_404(household_id)
    if household.anonymised_at is not None:
        flash("Ce dossier a été anonymisé : il ne peut plus être modifié.", "error")
        return redirect(url_for("agency_backoffice.household_detail", household_id=household.id))
    form = _form(household)
    if request.method == "GET":
        ops.record_view(session, household, by=current_user, what="edit")
        session.commit()
    if form.validate_on_submit():
        try:
            ops.update_household(session, household, form_to_input(form), by=current_user, today=_today())
        except ops.HouseholdError as error:
            session.rollback()
            household = _household_or_404(household_id)
            form.form_errors.extend(error.problems)
        else:
            session.commit()
            flash("Dossier mis à jour.", "success")
            return redirect(url_for("agency_backoffice.household_detail", household_id=household.id))
    return render_template(
        "agency_backoffice/household_form.html", form=form, household=household, resources=resource_fields(form)
    )


@bp.post("/menages/<int:household_id>/attente")
def household_park(household_id: int) -> Response:
    session = db.session
    household = _household_or_404(household_id)
    try:
        until = date.fromisoformat(request.form.get("until", ""))
    except ValueError:
        flash("Mise en attente : indiquez une date de fin valide.", "error")
        return redirect(url_for("agency_backoffice.household_detail", household_id=household.id))
    try:
        ops.park_household(
            session, household, until=until, reason=request.form.get("reason", ""), by=current_user, today=_today()
        )
    except ops.HouseholdError as error:
        session.rollback()
        flash(str(error), "error")
    else:
        session.commit()
        flash("Le ménage ne recevra pas de proposition jusqu'à la date indiquée.", "success")
    return redirect(url_for("agency_backoffice.household_detail", household_id=household.id))


@bp.post("/menages/<int:household_id>/reprise")
def household_unpark(household_id: int) -> Response:
    session = db.session
    household = _household_or_404(household_id)
    ops.unpark_household(session, household, by=current_user)
    session.commit()
    flash("Le ménage peut de nouveau recevoir des propositions.", "success")
    return redirect(url_for("agency_backoffice.household_detail", household_id=household.id))


@bp.post("/menages/<int:household_id>/cloture")
def household_close(household_id: int) -> Response:
    session = db.session
    household = _household_or_404(household_id)
    try:
        ops.close_household(session, household, reason=request.form.get("reason", ""), by=current_user, today=_today())
    except ops.HouseholdError as error:
        session.rollback()
        flash(str(error), "error")
    else:
        session.commit()
        flash("Dossier clos. Il sera anonymisé à la fin de la durée de conservation.", "success")
    return redirect(url_for("agency_backoffice.household_detail", household_id=household.id))
