"""Owner statements and payouts (staff): the month's statements, their PDFs, the SEPA payout batches."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as BaseResponse

from agency_backoffice import bp
from agency_backoffice.operations import payouts as payout_ops
from agency_backoffice.operations import statements as ops
from agency_backoffice.queries import statements as queries
from agency_backoffice.rules.ledger import month_start
from agency_backoffice.rules.statements import of_month
from agency_backoffice.statement_forms import IssueStatementsForm, PayoutBatchForm
from capture.rules.locavantages import add_months
from passerelle import storage
from passerelle.audit import audit
from passerelle.db import db
from passerelle.formatting import PARIS, money
from passerelle.models import Organisation

_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def _today() -> date:
    return datetime.now(PARIS).date()


def _previous_month(today: date) -> date:
    return add_months(month_start(today), -1)


def _month(value: str | None) -> date | None:
    """« 2026-11 » → 1 November 2026; anything else → None."""
    match = _MONTH.fullmatch((value or "").strip())
    return date(int(match[1]), int(match[2]), 1) if match else None


def _operator() -> Organisation:
    return db.session.get_one(Organisation, current_user.organisation_id)


def _shown_month(months: list[date], today: date) -> date:
    return _month(request.args.get("mois")) or (months[0] if months else _previous_month(today))


def _render_statements(form: IssueStatementsForm | None = None, *, status: int = 200) -> tuple[str, int]:
    session, today = db.session, _today()
    operator_id = current_user.organisation_id
    months = queries.statement_months(session, operator_id)
    period = _shown_month(months, today)
    statements = queries.operator_statements(session, operator_id, period)
    audit(
        session,
        actor=current_user,
        action="owner_statement.list",
        object_type="owner_statement",
        period=f"{period:%Y-%m}",
        shown=len(statements),
    )
    session.commit()
    return (
        render_template(
            "agency_backoffice/statements.html",
            period=period,
            months=sorted({*months, period}, reverse=True),
            statements=statements,
            previous=_previous_month(today),
            issue_form=form or IssueStatementsForm(formdata=None),
            of_month=of_month,
        ),
        status,
    )


@bp.route("/proprietaires/releves")
def statements():
    return _render_statements()


@bp.post("/proprietaires/releves")
def statements_issue():
    """Issue the missing statements of last month now (what the daily job does), for this operator only."""
    session = db.session
    form = IssueStatementsForm()
    if not form.validate_on_submit():
        return _render_statements(form, status=422)
    try:
        run = ops.issue_owner_statements(session, on=_today(), operator_ids=[current_user.organisation_id])
        audit(
            session,
            actor=current_user,
            action="owner_statement.issue",
            object_type="owner_statement",
            period=f"{run.period:%Y-%m}",
            created=len(run.created),
            waiting=len(run.waiting),
        )
        session.commit()
    except IntegrityError:
        # The daily job (or a colleague) issued the same statements meanwhile: one per owner and month, kept.
        session.rollback()
        flash("Les relevés viennent d'être établis par ailleurs : les voici.", "info")
        return redirect(url_for("agency_backoffice.statements"))
    month = of_month(run.period)
    if run.created:
        count = len(run.created)
        flash(f"{count} relevé{'s' if count > 1 else ''} {month} établi{'s' if count > 1 else ''}.", "success")
    else:
        flash(f"Aucun nouveau relevé {month} : ceux qui pouvaient l'être sont déjà établis.", "info")
    if run.waiting:
        flash(
            f"{len(run.waiting)} propriétaire(s) sans IBAN : leur relevé sera établi dès que leur IBAN sera connu.",
            "warning",
        )
    return redirect(url_for("agency_backoffice.statements", mois=f"{run.period:%Y-%m}"))


@bp.route("/proprietaires/releves/<int:statement_id>")
def statement_pdf(statement_id: int) -> Response:
    session = db.session
    statement = queries.get_statement_for_staff_or_404(session, current_user, statement_id)
    audit(
        session,
        actor=current_user,
        action="owner_statement.download",
        object_type="owner_statement",
        object_id=statement.id,
    )
    session.commit()
    return storage.send_stored(statement.sha256, content_type="application/pdf", filename=statement.filename)


# --- payouts -------------------------------------------------------------------------------------------------


def _render_payouts(period: date, form: PayoutBatchForm | None = None, *, status: int = 200) -> tuple[str, int]:
    session, today = db.session, _today()
    operator = _operator()
    plan = payout_ops.payout_plan(session, operator, period, on=today)
    form = form or PayoutBatchForm(
        formdata=None,
        data={"month": f"{period:%Y-%m}", "execution_date": payout_ops.default_execution_date(period, today)},
    )
    audit(
        session,
        actor=current_user,
        action="payout.view",
        object_type="owner_statement",
        period=f"{period:%Y-%m}",
        shown=len(plan.lines),
    )
    session.commit()
    months = queries.statement_months(session, operator.id)
    return (
        render_template(
            "agency_backoffice/payouts.html",
            period=period,
            months=sorted({*months, period}, reverse=True),
            plan=plan,
            batches=queries.operator_batches(session, operator.id, period),
            form=form,
            of_month=of_month,
        ),
        status,
    )


@bp.route("/proprietaires/virements")
def payouts():
    months = queries.statement_months(db.session, current_user.organisation_id)
    return _render_payouts(_shown_month(months, _today()))


@bp.post("/proprietaires/virements")
def payout_create() -> BaseResponse | tuple[str, int]:
    session = db.session
    form = PayoutBatchForm()
    period = _month(form.month.data) or _previous_month(_today())
    if form.validate_on_submit():
        try:
            batch = payout_ops.create_payout_batch(
                session,
                _operator(),
                period,
                execution_date=form.execution_date.data,
                by=current_user,
                now=datetime.now(UTC),
            )
        except (payout_ops.PayoutError, IntegrityError) as error:
            session.rollback()
            message = str(error) if isinstance(error, payout_ops.PayoutError) else "Un autre lot vient d'être créé."
            form.form_errors.append(message)
        else:
            session.commit()
            flash(
                f"Lot de {batch.count} virement{'s' if batch.count > 1 else ''} créé ({money(batch.total)}) : "
                "téléchargez le fichier et transmettez-le à votre banque.",
                "success",
            )
            return redirect(url_for("agency_backoffice.payouts", mois=f"{period:%Y-%m}"))
    return _render_payouts(period, form, status=422)


@bp.route("/proprietaires/virements/<int:batch_id>/fichier")
def payout_file(batch_id: int) -> Response:
    session = db.session
    batch = queries.get_batch_for_staff_or_404(session, current_user, batch_id)
    audit(session, actor=current_user, action="payout_batch.download", object_type="payout_batch", object_id=batch.id)
    session.commit()
    response = Response(storage.read(batch.sha256), mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{batch.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
