"""The landlord reads the proposed agreement and accepts it online (click, time and IP kept as the signature)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import BooleanField
from wtforms.validators import DataRequired

from capture.models import CaptureCase, Landlord, SignatureMethod, Unit
from capture.operations import CaptureError
from capture.operations import agreements as agreement_ops
from capture.queries import agreements as agreement_queries
from landlord_portal import bp
from passerelle import storage
from passerelle.audit import audit
from passerelle.db import db
from passerelle.forms import Form


class AcceptForm(Form):
    accept = BooleanField(
        "J'ai lu le document et j'accepte cet accord",
        validators=[DataRequired("Cochez la case pour accepter l'accord.")],
    )


def signatory(landlord: Landlord) -> str:
    """Who signs: the owner, or the person representing a company or an indivision."""
    return f"{landlord.representative}, pour {landlord.name}" if landlord.representative else landlord.name


@bp.route("/accords/<int:agreement_id>", methods=["GET", "POST"])
def agreement_accept(agreement_id: int) -> Any:
    session = db.session
    agreement = agreement_queries.get_agreement_for_landlord_or_404(session, current_user, agreement_id)
    unit = session.get(Unit, agreement.unit_id)
    case = session.get(CaptureCase, agreement.case_id)
    assert unit is not None and case is not None
    form = AcceptForm()
    if request.method == "POST" and agreement.status == "signed":
        flash("Cet accord est déjà signé.", "info")
        return redirect(url_for("landlord_portal.agreement_accept", agreement_id=agreement.id))
    if form.validate_on_submit():
        try:
            entry = agreement_ops.sign_agreement(
                session,
                agreement,
                signatory_name=signatory(unit.landlord),
                method=SignatureMethod.CLICK,
                signed_on=date.today(),
                ip=request.remote_addr,
                by=current_user,
                now=datetime.now(UTC),
            )
        except CaptureError as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            session.commit()
            flash(
                f"Merci : votre accord est enregistré. {agreement.operator.name} peut proposer votre logement à "
                f"partir du {entry.available_on:%d/%m/%Y}.",
                "success",
            )
            return redirect(url_for("landlord_portal.agreement_accept", agreement_id=agreement.id))
    return (
        render_template(
            "landlord_portal/agreement_accept.html",
            agreement=agreement,
            unit=unit,
            case=case,
            form=form,
            follow_ups=agreement.follow_ups,
        ),
        422 if request.method == "POST" else 200,
    )


@bp.route("/accords/<int:agreement_id>/document")
def agreement_document(agreement_id: int) -> Response:
    session = db.session
    agreement = agreement_queries.get_agreement_for_landlord_or_404(session, current_user, agreement_id)
    if agreement.document_sha256 is None or agreement.document_filename is None:
        flash("Le document de cet accord n'est pas encore prêt.", "info")
        return redirect(url_for("landlord_portal.agreement_accept", agreement_id=agreement.id))
    audit(
        session, actor=current_user, action="agreement.view_document", object_type="agreement", object_id=agreement.id
    )
    session.commit()
    return storage.send_stored(
        agreement.document_sha256, content_type="application/pdf", filename=agreement.document_filename
    )
