"""The owner's bank details: where the operator transfers the rent collected (mandate) or owed (sous-location)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from capture import operations as capture_ops
from landlord_portal import bp
from passerelle.audit import audit
from passerelle.bank import clean_bic, clean_iban
from passerelle.db import db
from passerelle.forms import Form, cleaned


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


@bp.route("/coordonnees-bancaires", methods=["GET", "POST"])
def bank_details():
    session = db.session
    landlord = capture_ops.landlord_for_user(session, current_user)
    if landlord is None:
        flash("Complétez d'abord votre profil de propriétaire.", "info")
        return redirect(url_for("landlord_portal.profile", next=url_for("landlord_portal.bank_details")))
    form = BankDetailsForm(obj=landlord)
    if form.validate_on_submit():
        iban = cleaned(form.iban, clean_iban)
        bic = cleaned(form.bic, clean_bic)
        if iban is not None and not form.bic.errors:
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
