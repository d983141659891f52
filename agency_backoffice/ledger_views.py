"""The rent ledger (staff): accounts of the operator's leases, a lease's account, payments received, refunds,
régularisations, the tiers-payant benefit, the rent call notice and the receipts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from agency_backoffice import bp
from agency_backoffice.ledger_forms import (
    BenefitForm,
    CorrectionForm,
    PaymentForm,
    RefundForm,
    RentSettingsForm,
    today_default,
)
from agency_backoffice.models import BenefitPayer, EntryKind, Lease, LeaseStatus, LedgerEntry, PaymentMethod
from agency_backoffice.operations import households as household_ops
from agency_backoffice.operations import ledger as ops
from agency_backoffice.operations import ledger_documents as documents
from agency_backoffice.queries import ledger as queries
from agency_backoffice.queries.leases import get_lease_for_staff_or_404
from passerelle import storage
from passerelle.audit import audit
from passerelle.bank import clean_bic, clean_iban
from passerelle.db import db
from passerelle.formatting import PARIS, money, month_year
from passerelle.forms import Form, cleaned
from passerelle.models import Organisation


def _today() -> date:
    return datetime.now(PARIS).date()


def _amount(value: Decimal | None) -> Decimal:
    """A validated amount field's value (InputRequired ran: never None here)."""
    assert value is not None
    return value


@bp.route("/loyers")
def rents():
    session = db.session
    owing_only = request.args.get("tous") != "1"
    page = queries.operator_accounts(
        session,
        current_user.organisation_id,
        owing_only=owing_only,
        page=max(1, request.args.get("page", 1, type=int)),
    )
    household_ops.audit_list_view(session, by=current_user, count=len(page.rows))
    session.commit()
    return render_template("agency_backoffice/rents.html", page=page, owing_only=owing_only, today=_today())


def _render_account(lease: Lease, *, status: int = 200, **forms: Form) -> tuple[str, int]:
    session, today = db.session, _today()
    payment_form = forms.get("payment_form") or PaymentForm(prefix="paiement", formdata=None)
    refund_form = forms.get("refund_form") or RefundForm(prefix="remboursement", formdata=None)
    correction_form = forms.get("correction_form") or CorrectionForm(prefix="regularisation", formdata=None)
    benefit_form = forms.get("benefit_form") or BenefitForm(
        formdata=None,
        data={
            "benefit_monthly": lease.benefit_monthly,
            "benefit_payer": lease.benefit_payer.value if lease.benefit_payer else "",
        },
    )
    for form in (payment_form, refund_form, correction_form):
        today_default(form, today)
    entries = queries.lease_entries(session, lease.id)
    calls = [entry for entry in entries if entry.kind is EntryKind.CALL]
    correction_form.corrects_id.choices = [("", "Aucun en particulier")] + [
        (str(call.id), f"{month_year(call.period)} — {money(call.amount)}") for call in reversed(calls)
    ]
    refundable = {entry.id: ops.refundable(session, entry) for entry in entries if entry.kind is EntryKind.PAYMENT}
    refund_form.payment_id.choices = [("", "Choisir un paiement")] + [
        (
            str(entry.id),
            f"{entry.booked_on:%d/%m/%Y} — {entry.method.label if entry.method else ''} — {money(-entry.amount)}",
        )
        for entry in reversed(entries)
        if entry.kind is EntryKind.PAYMENT and refundable[entry.id] > 0
    ]
    audit(session, actor=current_user, action="ledger.view", object_type="lease", object_id=lease.id)
    session.commit()
    return (
        render_template(
            "agency_backoffice/lease_account.html",
            lease=lease,
            entries=entries,
            calls=list(reversed(calls)),
            balance=queries.lease_balance(session, lease.id),
            documents=queries.documents_by_call(session, lease.id),
            refundable=refundable,
            payment_form=payment_form,
            refund_form=refund_form,
            correction_form=correction_form,
            benefit_form=benefit_form,
            writable=lease.status is not LeaseStatus.DRAFT,
            today=today,
        ),
        status,
    )


@bp.route("/baux/<int:lease_id>/compte")
def lease_account(lease_id: int):
    return _render_account(get_lease_for_staff_or_404(db.session, current_user, lease_id))


def _account(lease: Lease) -> BaseResponse:
    return redirect(url_for("agency_backoffice.lease_account", lease_id=lease.id))


@bp.post("/baux/<int:lease_id>/compte/paiement")
def ledger_payment(lease_id: int):
    session = db.session
    lease = get_lease_for_staff_or_404(session, current_user, lease_id)
    form = PaymentForm(prefix="paiement")
    if form.validate_on_submit():
        try:
            ops.record_payment(
                session,
                lease,
                amount=_amount(form.amount.data),
                method=PaymentMethod(form.method.data),
                received_on=form.received_on.data,
                reference=form.reference.data or None,
                note=form.note.data or None,
                by=current_user,
            )
            documents.issue_receipts(session, on=_today(), lease_id=lease.id)
        except ops.LedgerError as error:
            session.rollback()
            lease = get_lease_for_staff_or_404(session, current_user, lease_id)
            form.amount.errors = [*form.amount.errors, str(error)]
        else:
            session.commit()
            flash(
                f"Paiement de {money(_amount(form.amount.data))} enregistré, affecté aux échéances les plus anciennes.",
                "success",
            )
            return _account(lease)
    return _render_account(lease, status=422, payment_form=form)


@bp.post("/baux/<int:lease_id>/compte/remboursement")
def ledger_refund(lease_id: int):
    session = db.session
    lease = get_lease_for_staff_or_404(session, current_user, lease_id)
    form = RefundForm(prefix="remboursement")
    if form.validate_on_submit():
        payment = session.get(LedgerEntry, int(form.payment_id.data)) if form.payment_id.data.isdigit() else None
        if payment is None or payment.lease_id != lease.id or payment.kind is not EntryKind.PAYMENT:
            abort(404)
        try:
            ops.record_refund(
                session,
                payment,
                amount=_amount(form.amount.data),
                on=form.refunded_on.data,
                note=form.note.data,
                by=current_user,
            )
        except ops.LedgerError as error:
            session.rollback()
            lease = get_lease_for_staff_or_404(session, current_user, lease_id)
            form.amount.errors = [*form.amount.errors, str(error)]
        else:
            session.commit()
            flash(f"Remboursement de {money(_amount(form.amount.data))} enregistré.", "success")
            return _account(lease)
    return _render_account(lease, status=422, refund_form=form)


@bp.post("/baux/<int:lease_id>/compte/regularisation")
def ledger_correction(lease_id: int):
    session = db.session
    lease = get_lease_for_staff_or_404(session, current_user, lease_id)
    form = CorrectionForm(prefix="regularisation")
    if form.validate_on_submit():
        corrects = None
        if form.corrects_id.data:
            corrects = session.get(LedgerEntry, int(form.corrects_id.data)) if form.corrects_id.data.isdigit() else None
            if corrects is None or corrects.lease_id != lease.id or corrects.kind is not EntryKind.CALL:
                abort(404)
        amount = _amount(form.amount.data) if form.direction.data == "debit" else -_amount(form.amount.data)
        try:
            ops.record_correction(
                session,
                lease,
                amount=amount,
                on=form.corrected_on.data,
                note=form.note.data,
                corrects=corrects,
                by=current_user,
            )
            documents.issue_receipts(session, on=_today(), lease_id=lease.id)
        except ops.LedgerError as error:
            session.rollback()
            lease = get_lease_for_staff_or_404(session, current_user, lease_id)
            form.amount.errors = [*form.amount.errors, str(error)]
        else:
            session.commit()
            flash("Régularisation enregistrée.", "success")
            return _account(lease)
    return _render_account(lease, status=422, correction_form=form)


@bp.post("/baux/<int:lease_id>/compte/aide")
def ledger_benefit(lease_id: int):
    session = db.session
    lease = get_lease_for_staff_or_404(session, current_user, lease_id)
    form = BenefitForm(prefix="aide")
    if form.validate_on_submit():
        amount = _amount(form.benefit_monthly.data).quantize(Decimal("0.01"))
        payer = BenefitPayer(form.benefit_payer.data) if form.benefit_payer.data else None
        if amount > 0 and payer is None:
            form.benefit_payer.errors = ["Indiquez qui verse l'aide (CAF ou MSA)."]
        elif amount > lease.rent + lease.charges:
            form.benefit_monthly.errors = ["L'aide versée ne peut dépasser le loyer et les charges du mois."]
        else:
            lease.benefit_monthly, lease.benefit_payer = amount, payer if amount > 0 else None
            audit(
                session,
                actor=current_user,
                action="lease.benefit",
                object_type="lease",
                object_id=lease.id,
                amount=amount,
                payer=payer.value if payer else None,
            )
            session.commit()
            flash("Aide au logement enregistrée : elle sera déduite des prochains appels de loyer.", "success")
            return _account(lease)
    return _render_account(lease, status=422, benefit_form=form)


@bp.route("/loyers/appels/<int:entry_id>/avis")
def rent_call_notice(entry_id: int) -> Response:
    session = db.session
    call = queries.get_entry_for_staff_or_404(session, current_user, entry_id)
    if call.kind is not EntryKind.CALL:
        abort(404)
    pdf = documents.rent_call_notice(session, call, on=_today())
    audit(session, actor=current_user, action="ledger.notice", object_type="ledger_entry", object_id=call.id)
    session.commit()
    response = Response(pdf, mimetype="application/pdf")
    filename = f"avis-echeance-{call.period:%Y-%m}-bail-{call.lease_id}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/loyers/documents/<int:document_id>")
def ledger_document(document_id: int) -> Response:
    session = db.session
    document = queries.get_ledger_document_for_staff_or_404(session, current_user, document_id)
    audit(
        session,
        actor=current_user,
        action="ledger_document.download",
        object_type="ledger_document",
        object_id=document.id,
        kind=document.kind.value,
    )
    session.commit()
    return storage.send_stored(document.sha256, content_type="application/pdf", filename=document.filename)


@bp.route("/reglages/loyers", methods=["GET", "POST"])
def rent_settings():
    """The operator's rent call day and bank account (on the notices; the owners' payouts leave from it)."""
    session = db.session
    operator = session.get_one(Organisation, current_user.organisation_id)
    form = RentSettingsForm(obj=operator)
    if form.is_submitted():
        valid = form.validate()  # then the bank checks, so that every error shows at once
        iban = cleaned(form.iban, clean_iban) if (form.iban.data or "").strip() else None
        bic = cleaned(form.bic, clean_bic)
        if valid and not form.iban.errors and not form.bic.errors:
            operator.rent_call_day = form.rent_call_day.data
            operator.iban, operator.bic = iban, bic
            audit(
                session,
                actor=current_user,
                action="organisation.rent_settings",
                object_type="organisation",
                object_id=operator.id,
                rent_call_day=operator.rent_call_day,
                iban_end=(iban or "")[-4:] or None,
            )
            session.commit()
            flash("Réglages des loyers enregistrés.", "success")
            return redirect(url_for("agency_backoffice.rent_settings"))
    status = 422 if form.errors else 200
    return render_template("agency_backoffice/rent_settings.html", form=form, operator=operator), status
