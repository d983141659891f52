"""Matching (staff): the available stock, households ranked for a unit, units for a household with why not,
the global proposal, proposing a unit, and the operator's matching settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from agency_backoffice import bp
from agency_backoffice.models import Proposal
from agency_backoffice.operations import households as household_ops
from agency_backoffice.operations import proposals as ops
from agency_backoffice.operations.matching_settings import save_matching_settings
from agency_backoffice.proposal_forms import ProposeForm
from agency_backoffice.queries import matching, matching_data
from agency_backoffice.queries.households import get_household_for_staff_or_404
from agency_backoffice.queries.matching_global import global_proposal
from agency_backoffice.rules import bulk
from agency_backoffice.rules.parameters import InvalidSettings
from capture.models import StockEntry, StockStatus
from passerelle.db import db
from passerelle.formatting import PARIS
from passerelle.forms import Form as BlankForm
from passerelle.models import Role


def _today() -> date:
    return datetime.now(PARIS).date()


def _entry_or_404(stock_entry_id: int) -> StockEntry:
    entry = db.session.get(StockEntry, stock_entry_id)
    if entry is None or current_user.role is not Role.AGENCY_STAFF or entry.operator_id != current_user.organisation_id:
        abort(404)
    return entry


RANKED_SHOWN = 20
STOCK_PAGE_SIZE = 50


@dataclass
class StockRow:
    entry: StockEntry
    eligible: int
    proposal: Proposal | None


@bp.route("/logements-disponibles")
def matching_stock():
    session, today = db.session, _today()
    operator_id = current_user.organisation_id
    total = matching_data.count_available(session, operator_id)
    pages = max(1, -(-total // STOCK_PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    entries = matching_data.available_entries(
        session, operator_id, offset=(page - 1) * STOCK_PAGE_SIZE, limit=STOCK_PAGE_SIZE
    )
    households = matching.waiting_household_facts(session, operator_id, today)
    opened = matching_data.open_proposals(session, operator_id)
    free = [h for h in households if h.id not in opened.by_household]
    counts = [0] * len(entries)
    if entries and free:
        params = matching.matching_parameters(session, operator_id, today)
        stock = matching.stock_facts(session, entries, today)
        encoded = bulk.encode(free, stock.facts, today, params)
        counts = [int(n) for n in bulk.feasibility(encoded).sum(axis=1)]
    rows = [StockRow(e, n, opened.by_entry.get(e.id)) for e, n in zip(entries, counts, strict=True)]
    waiting = sum(1 for h in households if not (h.parked_until is not None and h.parked_until >= today))
    return render_template(
        "agency_backoffice/matching_stock.html", rows=rows, waiting=waiting, total=total, page=page, pages=pages
    )


@bp.route("/logements-disponibles/<int:stock_entry_id>")
def matching_unit(stock_entry_id: int):
    session, today = db.session, _today()
    entry = _entry_or_404(stock_entry_id)
    if entry.status is not StockStatus.AVAILABLE:
        flash("Ce logement n'est plus disponible.", "error")
        return redirect(url_for("agency_backoffice.matching_stock"))
    ranking = matching.rank_households(session, entry, today)
    shown = ranking.ranked if request.args.get("tous") else ranking.ranked[:RANKED_SHOWN]
    # Ranked households are personal data shown: logged like a list view.
    household_ops.audit_list_view(session, by=current_user, count=len(shown))
    session.commit()  # also keeps the housing benefit estimates computed for the page
    return render_template(
        "agency_backoffice/matching_unit.html",
        entry=entry,
        ranked=shown,
        eligible_total=len(ranking.ranked),
        excluded=ranking.excluded,
        excluded_total=ranking.excluded_total,
        proposal=ranking.proposal,
    )


@bp.route("/menages/<int:household_id>/logements")
def household_matches(household_id: int):
    session, today = db.session, _today()
    household = get_household_for_staff_or_404(session, current_user, household_id)
    candidates = matching.units_for_household(session, household, today)
    household_ops.record_view(session, household, by=current_user, what="matches")
    session.commit()
    return render_template(
        "agency_backoffice/household_matches.html",
        household=household,
        composition=matching.composition_text(household, today),
        possible=[c for c in candidates if c.eligible],
        impossible=[c for c in candidates if not c.eligible],
    )


@bp.route("/proposition-globale")
def matching_global():
    session, today = db.session, _today()
    result = global_proposal(session, current_user.organisation_id, today)
    household_ops.audit_list_view(session, by=current_user, count=result.households)
    session.commit()
    return render_template("agency_backoffice/matching_global.html", result=result)


@bp.post("/logements-disponibles/<int:stock_entry_id>/proposer")
def proposal_create(stock_entry_id: int) -> Response:
    session, today = db.session, _today()
    entry = _entry_or_404(stock_entry_id)
    form = ProposeForm()
    if not form.validate_on_submit():
        flash("Choisissez le ménage à qui proposer ce logement.", "error")
        return redirect(url_for("agency_backoffice.matching_unit", stock_entry_id=entry.id))
    household = get_household_for_staff_or_404(session, current_user, form.household_id.data)
    evaluation = matching.evaluate_pair(session, household, entry, on=today)
    try:
        proposal = ops.propose_unit(
            session,
            entry,
            household,
            failures=evaluation.failures,
            score=evaluation.score,
            snapshot=evaluation.snapshot,
            by=current_user,
            today=today,
        )
    except ops.ProposalError as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(url_for("agency_backoffice.matching_unit", stock_entry_id=entry.id))
    session.commit()
    flash(f"Logement proposé au ménage {household.siao_reference}.", "success")
    return redirect(url_for("agency_backoffice.proposal_detail", proposal_id=proposal.id))


@bp.route("/reglages/rapprochement", methods=["GET", "POST"])
def matching_settings():
    session, today = db.session, _today()
    operator = current_user.organisation
    defaults = matching.reference_settings(session, today)
    current = matching_data.operator_settings(session, operator.id)
    errors: list[str] = []
    submitted = dict(current)
    if request.method == "POST":
        form = BlankForm()
        submitted = {key: (request.form.get(key) or "").strip() for key in defaults}
        values: dict[str, str] = {}
        for key, value in submitted.items():
            if not value:
                continue
            try:
                number = Decimal(value.replace(",", ".").replace("\u202f", "").replace(" ", ""))
            except InvalidOperation:
                errors.append(f"{defaults[key].label} : « {value} » n'est pas un nombre.")
                continue
            if not number.is_finite():  # « NaN », « sNaN », « Infinity » parse but are no setting
                errors.append(f"{defaults[key].label} : « {value} » n'est pas un nombre.")
                continue
            if defaults[key].kind == "integer" and number != number.to_integral_value():
                errors.append(f"{defaults[key].label} : un nombre entier est attendu.")
                continue
            values[key] = str(number)
        if not form.validate_on_submit():
            errors.append("Le formulaire a expiré : rechargez la page.")
        if not errors:
            try:
                save_matching_settings(session, operator, values, by=current_user, today=today)
            except InvalidSettings as error:
                session.rollback()
                errors.append(str(error))
            else:
                session.commit()
                flash("Réglages du rapprochement enregistrés.", "success")
                return redirect(url_for("agency_backoffice.matching_settings"))
    return render_template(
        "agency_backoffice/matching_settings.html",
        defaults=defaults,
        submitted=submitted,
        errors=errors,
    ), (422 if errors else 200)
