"""The owner's bank details: where the operator transfers the rent collected (mandate) or owed (sous-location)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from capture import operations as capture_ops
from landlord_portal import bp
from passerelle.audit import audit
from passerelle.db import db
from passerelle.forms import Form


class BankDetailsForm(Form):
    account_holder = StringField(
        "Titulaire du compte",
        validators=[DataRequired("Indiquez le titulaire du compte."), Length(max=70)],
    )
    iban = StringField(
        "IBAN",
        description="Par exemple FR76 3000 6000 0112 3456 7890 189 (sur votre relevé d'identité bancaire).",
        validators=[DataRequired("Indiquez l'IBAN du compte."), Length(max=42)],
    )
    bic = StringField(
        "BIC",
        description="Facultatif pour un compte en France.",
        validators=[Optional(), Length(max=11)],
    )


def _iban(value: str) -> tuple[str | None, str | None]:
    try:
        iban = IBAN(value)
    except SchwiftyException:
        return None, "Cet IBAN n'est pas valide : vérifiez-le sur votre relevé d'identité bancaire."
    return iban.compact, None


def _bic(value: str) -> tuple[str | None, str | None]:
    if not value.strip():
        return None, None
    try:
        return str(BIC(value.strip().upper())), None
    except SchwiftyException:
        return None, "Ce BIC n'est pas valide (8 ou 11 caractères, par exemple AGRIFRPP)."


@bp.route("/coordonnees-bancaires", methods=["GET", "POST"])
def bank_details():
    session = db.session
    landlord = capture_ops.landlord_for_user(session, current_user)
    if landlord is None:
        flash("Complétez d'abord votre profil de propriétaire.", "info")
        return redirect(url_for("landlord_portal.profile", next=url_for("landlord_portal.bank_details")))
    form = BankDetailsForm(obj=landlord)
    if form.validate_on_submit():
        iban, iban_error = _iban(form.iban.data or "")
        bic, bic_error = _bic(form.bic.data or "")
        if iban_error:
            form.iban.errors = [*form.iban.errors, iban_error]
        if bic_error:
            form.bic.errors = [*form.bic.errors, bic_error]
        if not iban_error and not bic_error:
            landlord.account_holder = (form.account_holder.data or "").strip()
            landlord.iban, landlord.bic = iban, bic
            # Never the IBAN itself in the audit log: its last four characters are enough to recognise it.
            audit(
                session,
                actor=current_user,
                action="landlord.bank_details",
                object_type="landlord",
                object_id=landlord.id,
                iban_end=(iban or "")[-4:],
            )
            session.commit()
            flash(
                "Vos coordonnées bancaires sont enregistrées : les prochains virements iront sur ce compte.", "success"
            )
            return redirect(url_for("landlord_portal.home"))
        return render_template("landlord_portal/bank_details.html", form=form), 422
    status = 422 if form.errors else 200
    return render_template("landlord_portal/bank_details.html", form=form), status
