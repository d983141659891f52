"""Guarantees of a lease (staff): add one of a chosen kind, end or delete one; the operator's deposit waivers.

The lease page includes ``_lease_guarantees.html``, which reads its rows through ``guarantee_rows`` (a context
processor of the staff blueprint).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from agency_backoffice import bp
from agency_backoffice.guarantee_forms import CHOOSABLE_AREAS, FORMS, DepositWaiverForm, GuaranteeForm
from agency_backoffice.models import (
    Guarantee,
    GuaranteeKind,
    Lease,
    LeaseDocument,
    LeaseDocumentKind,
    LeaseStatus,
    VisaleArea,
)
from agency_backoffice.operations import guarantees as ops
from agency_backoffice.operations.lease_documents import guarantee_lines
from agency_backoffice.queries.leases import get_lease_for_staff_or_404
from agency_backoffice.rules import guarantees as rules
from passerelle.db import db
from passerelle.formatting import PARIS
from passerelle.reference.queries import MissingParameter


def _today() -> date:
    return datetime.now(PARIS).date()


def _lease_page(lease: Lease) -> str:
    return url_for("agency_backoffice.lease_detail", lease_id=lease.id) + "#titre-garanties"


# --- the partial on the lease page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuaranteeRow:
    guarantee: Guarantee
    details: tuple[str, ...]
    in_force: bool
    visale_total: Decimal | None  # rent + charges, for Visale
    visale_eligible: bool | None
    attestation: LeaseDocument | None


def guarantee_rows(lease: Lease) -> list[GuaranteeRow]:
    """Each guarantee of the lease with its French details, whether it still runs and its latest attestation."""
    today = _today()
    lines = guarantee_lines(db.session, lease, for_owner=False)
    rows = []
    for guarantee, line in zip(lease.guarantees, lines, strict=True):
        total = eligible = None
        if guarantee.kind is GuaranteeKind.VISALE and guarantee.visale_cap is not None:
            total = rules.visale_total(lease.rent, lease.charges)
            eligible = total <= guarantee.visale_cap
        attestations = [
            d
            for d in lease.documents
            if d.guarantee_id == guarantee.id and d.kind is LeaseDocumentKind.GUARANTEE_ATTESTATION
        ]
        rows.append(
            GuaranteeRow(
                guarantee=guarantee,
                details=line.details,
                in_force=rules.in_force(guarantee.expires_on, today),
                visale_total=total,
                visale_eligible=eligible,
                attestation=max(attestations, key=lambda d: d.id, default=None),
            )
        )
    return rows


@bp.context_processor
def _guarantee_helpers() -> dict[str, Any]:
    return {"guarantee_rows": guarantee_rows}


# --- add, end --------------------------------------------------------------------------------------------------


def _kind(value: str | None) -> GuaranteeKind | None:
    try:
        return GuaranteeKind(value or "")
    except ValueError:
        return None


@bp.route("/baux/<int:lease_id>/garanties/nouvelle", methods=["GET", "POST"])
def guarantee_new(lease_id: int):
    session, today = db.session, _today()
    lease = get_lease_for_staff_or_404(session, current_user, lease_id)
    kind = _kind(request.args.get("type"))
    form = _form(lease, kind) if kind is not None else None
    if form is None:
        if request.method == "POST":
            return _render_new(lease, None, None, ["Choisissez d'abord le type de garantie."]), 422
        return _render_new(lease, None, None)
    assert kind is not None
    if form.validate_on_submit():
        values = rules.GuaranteeInput.from_mapping(form.data)
        try:
            ops.add_guarantee(session, lease, kind, values, by=current_user, today=today)
        except ops.GuaranteeError as error:
            session.rollback()
            lease = get_lease_for_staff_or_404(session, current_user, lease_id)
            _attach(form, error.errors)
        else:
            session.commit()
            message = f"Garantie enregistrée : {kind.label}."
            if kind is GuaranteeKind.OPERATOR_FUND:
                message += " L'attestation de garantie est prête à être téléchargée."
            flash(message, "success")
            return redirect(_lease_page(lease))
    return _render_new(lease, kind, form), (422 if request.method == "POST" else 200)


@bp.post("/baux/<int:lease_id>/garanties/<int:guarantee_id>/retirer")
def guarantee_remove(lease_id: int, guarantee_id: int) -> Response:
    session = db.session
    lease = get_lease_for_staff_or_404(session, current_user, lease_id)
    guarantee = session.get(Guarantee, guarantee_id)
    if guarantee is None or guarantee.lease_id != lease.id:
        abort(404)
    draft, label = lease.status is LeaseStatus.DRAFT, guarantee.kind.label
    try:
        ops.remove_guarantee(session, guarantee, by=current_user, today=_today())
    except ops.GuaranteeError as error:
        session.rollback()
        flash(str(error), "error")
    else:
        session.commit()
        flash(
            f"Garantie supprimée du brouillon : {label}."
            if draft
            else f"Garantie terminée à la date d'aujourd'hui : {label}. Elle reste dans l'historique du bail.",
            "success",
        )
    return redirect(_lease_page(lease))


def _form(lease: Lease, kind: GuaranteeKind) -> GuaranteeForm:
    defaults: dict[str, Any] = {}
    if request.method == "GET":
        if kind is GuaranteeKind.FSL:
            defaults["fsl_departement"] = ops.lease_departement(lease)
        elif kind is GuaranteeKind.OPERATOR_FUND:
            defaults["starts_on"] = lease.starts_on
    form = FORMS[kind](data=defaults)
    if kind is GuaranteeKind.VISALE and ops.lease_area(lease) is not None:
        del form.visale_area  # the commune decides the area
    return form


def _attach(form: GuaranteeForm, errors: dict[str, str]) -> None:
    for name, message in errors.items():
        if name and name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)


@dataclass(frozen=True)
class VisaleHint:
    """What the Visale form shows: the caps of the lease's area at its start date, and how long the cover runs."""

    missing: str | None  # why the caps cannot be read
    caps: list[tuple[str, Decimal]]  # (area, cap charges included)
    fixed_area: VisaleArea | None
    total: Decimal  # the lease's rent charges included
    eligible: bool | None  # known when the commune decides the area
    cover_years: int | None
    cover_end: date | None


def _visale_hint(lease: Lease) -> VisaleHint:
    area = ops.lease_area(lease)
    total = rules.visale_total(lease.rent, lease.charges)
    try:
        caps = ops.visale_caps(db.session, lease.starts_on)
    except MissingParameter as error:
        return VisaleHint(str(error), [], area, total, None, None, None)
    shown = [area] if area is not None else list(CHOOSABLE_AREAS)
    return VisaleHint(
        missing=None,
        caps=[(choice.label, caps.cap(choice)) for choice in shown],
        fixed_area=area,
        total=total,
        eligible=total <= caps.cap(area) if area is not None else None,
        cover_years=caps.cover_years,
        cover_end=rules.visale_cover_end(lease.starts_on, caps.cover_years),
    )


def _render_new(
    lease: Lease, kind: GuaranteeKind | None, form: GuaranteeForm | None, errors: list[str] | None = None
) -> str:
    facts = ops.lease_facts(lease, lease.operator, today=_today())
    fields = [*(f for f in form if f.name not in ("csrf_token", "note")), form.note] if form is not None else []
    return render_template(
        "agency_backoffice/guarantee_form.html",
        lease=lease,
        kind=kind,
        kinds=list(GuaranteeKind),
        form=form,
        fields=fields,
        errors=errors or [],
        lease_url=_lease_page(lease),
        ended=lease.status is LeaseStatus.ENDED,
        waiver=rules.deposit_waiver_refusal(kind, facts) if kind is not None else None,
        visale=_visale_hint(lease) if kind is GuaranteeKind.VISALE else None,
    )


# --- the operator's setting ------------------------------------------------------------------------------------


@bp.route("/reglages/baux", methods=["GET", "POST"])
def lease_settings():
    session = db.session
    operator = current_user.organisation
    current = {"kinds": list(operator.deposit_waived_with or [])} if request.method == "GET" else {}
    form = DepositWaiverForm(data=current)
    if form.validate_on_submit():
        kinds = [GuaranteeKind(value) for value in form.kinds.data or []]
        ops.set_deposit_waivers(session, operator, kinds, by=current_user)
        session.commit()
        flash("Réglages des baux enregistrés.", "success")
        return redirect(url_for("agency_backoffice.lease_settings"))
    return render_template("agency_backoffice/lease_settings.html", form=form), (
        422 if request.method == "POST" else 200
    )
