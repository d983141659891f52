"""Field visit (on a phone), agreement terms and document, paper signature: staff pages of a capture case."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from capture import bp, queries
from capture.forms_agreements import AgreementForm, AssessmentForm, SignatureForm, assessment_data
from capture.models import Agreement, CaptureCase, ConventionLevel, IMLMode, SignatureMethod, Unit
from capture.operations import CaptureError, add_unit_document
from capture.operations import agreements as ops
from capture.queries import agreements as agreement_queries
from capture.rules import assessment as assessment_rules
from passerelle import storage
from passerelle.audit import audit
from passerelle.db import db
from passerelle.mail import absolute_url, send_mail
from passerelle.reference.queries import MissingParameter, parameter_at

PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
# Where a refused term is shown: the operation names the term, the form may call it differently.
TERM_FIELDS = {"fee_rate": "fee_rate_percent", "signed_on": "signed_on", "signatory_name": "signatory_name"}


# --- the field visit -----------------------------------------------------------------------------------------


@bp.route("/dossiers/<int:case_id>/visite", methods=["GET", "POST"])
def case_assessment(case_id: int) -> Any:
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    latest = agreement_queries.latest_assessment(session, case)
    form = AssessmentForm() if request.method == "POST" else AssessmentForm(data=_visit_prefill(case, latest))
    if form.validate_on_submit():
        try:
            photos = _checked_photos(form, case.unit)
            assessment = ops.record_assessment(
                session, case, data=assessment_data(form.data), by=current_user, today=date.today()
            )
            for checked in photos:
                add_unit_document(
                    session,
                    assessment_unit(case),
                    kind="photo",
                    stored=storage.save(checked),
                    by=current_user,
                    max_photos=current_app.config["MAX_PHOTOS_PER_UNIT"],
                )
        except (CaptureError, storage.UploadError, MissingParameter) as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            session.commit()
            flash(f"Visite enregistrée : {assessment.outcome.label.lower()}.", "success")
            return redirect(url_for("capture.case_assessment", case_id=case.id) + "#resultat")
    return (
        render_template(
            "capture/case_assessment.html",
            case=case,
            unit=case.unit,
            latest=latest,
            form=form,
            sections=_sections(form),
            thresholds=_thresholds(session, date.today()),
        ),
        422 if request.method == "POST" else 200,
    )


def assessment_unit(case: CaptureCase) -> Unit:
    assert case.unit is not None  # record_assessment refuses a case without a unit
    return case.unit


def _visit_prefill(case: CaptureCase, latest: Any) -> dict[str, Any]:
    """A new visit starts from the previous one, else from what the owner declared."""
    data: dict[str, Any] = {"visited_on": date.today()}
    if latest is not None:
        data.update(
            surface_m2=latest.surface_m2,
            annexes_m2=latest.annexes_m2,
            rooms=latest.rooms,
            main_room_m2=latest.main_room_m2,
            ceiling_height_m=latest.ceiling_height_m,
            dpe_class=latest.dpe_class or "",
            dpe_energy_kwh_m2=latest.dpe_energy_kwh_m2,
            dpe_ghg_kg_m2=latest.dpe_ghg_kg_m2,
            notes=latest.notes,
        )
        answers = {True: "oui", False: "non", None: "nsp"}
        for key, value in (latest.checklist or {}).items():
            data[f"c_{key}"] = answers.get(value, "nsp")
        for work in latest.works or []:
            key = work.get("item") or "autres"
            data[f"w_{key}"] = work.get("description")
            data[f"k_{key}"] = Decimal(work["cost"]) if work.get("cost") else None
    elif case.unit is not None:
        unit = case.unit
        data.update(
            surface_m2=unit.surface_m2,
            annexes_m2=unit.annexes_m2,
            rooms=unit.rooms,
            dpe_class=unit.dpe_class or "",
            dpe_energy_kwh_m2=unit.dpe_energy_kwh_m2,
            dpe_ghg_kg_m2=unit.dpe_ghg_kg_m2,
        )
    return data


def _sections(form: AssessmentForm) -> list[tuple[str, list[tuple[Any, Any, Any]]]]:
    """Checklist radios grouped as on site, each with its works and cost fields."""
    groups: dict[str, list[tuple[Any, Any, Any]]] = {}
    for item in assessment_rules.CHECKLIST:
        groups.setdefault(item.group, []).append((form[f"c_{item.key}"], form[f"w_{item.key}"], form[f"k_{item.key}"]))
    return list(groups.items())


def _thresholds(session: Session, on: date) -> dict[str, Any] | None:
    try:
        return {
            key: parameter_at(session, f"decence.{key}", on).value
            for key in ("min_room_surface_m2", "min_ceiling_height_m", "min_room_volume_m3")
        }
    except MissingParameter:
        return None


def _checked_photos(form: AssessmentForm, unit: Unit | None) -> list[storage.CheckedFile]:
    """Check every photo before storing any: one refused file stores nothing."""
    files = [item for item in (form.photos.data or []) if item and item.filename]
    if files and unit is None:
        raise CaptureError("Ce dossier n'a pas encore de logement enregistré : les photos ne peuvent pas être jointes.")
    config = current_app.config
    if unit is not None:
        existing = sum(1 for doc in unit.documents if doc.kind == "photo")
        if existing + len(files) > config["MAX_PHOTOS_PER_UNIT"]:
            raise CaptureError(
                f"{config['MAX_PHOTOS_PER_UNIT']} photos au plus par logement ({existing} déjà déposées)."
            )
    return [
        storage.check(item.read(), filename=item.filename, allowed=PHOTO_TYPES, max_bytes=config["PHOTO_MAX_BYTES"])
        for item in files
    ]


# --- the agreement -------------------------------------------------------------------------------------------


@bp.route("/dossiers/<int:case_id>/accord", methods=["GET", "POST"])
def case_agreement(case_id: int) -> Any:
    session = db.session
    case = queries.get_case_for_staff_or_404(session, current_user, case_id)
    agreement = agreement_queries.agreement_for_case(session, case)
    if request.method == "POST" and agreement is not None and agreement.status == "signed":
        flash("L'accord de ce dossier est déjà signé : ses conditions ne changent plus.", "info")
        return redirect(url_for("capture.case_agreement", case_id=case.id))
    if request.method == "GET":
        form = AgreementForm(data=_terms_prefill(session, case, agreement))
    else:
        form = AgreementForm()
        if form.validate_on_submit():
            rate = form.fee_rate_percent.data
            terms = {
                "mode": form.mode.data,
                "level": form.level.data,
                "rent": form.rent.data,
                "charges": form.charges.data,
                "duration_months": form.duration_months.data,
                "fee_rate": rate / 100 if rate is not None else None,
                "starts_on": form.starts_on.data,
            }
            try:
                agreement = ops.draft_agreement(session, case, terms=terms, by=current_user, today=date.today())
            except ops.TermsRefused as exc:
                session.rollback()
                _attach(form, exc.errors)
            except CaptureError as exc:
                session.rollback()
                form.form_errors.append(str(exc))
            else:
                session.commit()
                _tell_landlord(session, agreement)
                flash("Proposition enregistrée : le document est prêt à être signé.", "success")
                return redirect(url_for("capture.case_agreement", case_id=case.id) + "#proposition")
    return _render_agreement(case, agreement, form, None, 422 if request.method == "POST" else 200)


def _attach(form: Any, errors: dict[str, str]) -> None:
    for field, message in errors.items():
        name = TERM_FIELDS.get(field, field)
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)


def _terms_prefill(session: Session, case: CaptureCase, agreement: Agreement | None) -> dict[str, Any]:
    """The current draft, else the owner's wishes, the operator's fee setting and the usual durations."""
    today = date.today()
    if agreement is not None:
        return {
            "mode": agreement.mode.value,
            "level": agreement.level.value,
            "rent": agreement.rent,
            "charges": agreement.charges,
            "duration_months": agreement.duration_months,
            "fee_rate_percent": agreement.fee_rate * 100 if agreement.fee_rate is not None else None,
            "starts_on": agreement.starts_on,
        }
    unit = case.unit
    mode = (unit.desired_mode if unit else None) or IMLMode.MANDATE
    data: dict[str, Any] = {
        "mode": mode.value,
        "level": ((unit.desired_level if unit else None) or ConventionLevel.NONE).value,
        "rent": unit.asked_rent if unit else None,
        "charges": (unit.charges if unit and unit.charges is not None else Decimal("0")),
        "starts_on": max(today, unit.available_from) if unit and unit.available_from else today,
    }
    try:
        data["duration_months"] = agreement_queries.min_duration_months(session, mode, today)
        fee: object = case.operator.management_fee_rate
        if fee is None:
            fee = parameter_at(session, "simulator.mandate.default_management_fee_rate", today).value
        if mode is IMLMode.MANDATE and isinstance(fee, Decimal):
            data["fee_rate_percent"] = (fee * 100).normalize()
    except MissingParameter:
        pass
    return data


def _render_agreement(
    case: CaptureCase, agreement: Agreement | None, form: Any, sign_form: Any, status: int
) -> tuple[str, int]:
    session = db.session
    today = date.today()
    unit = case.unit
    assessment = agreement_queries.latest_assessment(session, case)
    caps = (
        [
            agreement_queries.rent_cap_at(session, unit, assessment, level, today)
            for level in (ConventionLevel.LOC1, ConventionLevel.LOC2, ConventionLevel.LOC3)
        ]
        if unit is not None
        else []
    )
    landlord = case.landlord
    if sign_form is None and agreement is not None and agreement.status == "draft":
        sign_form = SignatureForm(data={"signed_on": today, "signatory_name": landlord.name if landlord else ""})
    minimums: dict[str, int] = {}
    for mode in IMLMode:
        try:
            minimums[mode.value] = agreement_queries.min_duration_months(session, mode, today)
        except MissingParameter:
            break
    return (
        render_template(
            "capture/case_agreement.html",
            case=case,
            unit=unit,
            landlord=landlord,
            assessment=assessment,
            agreement=agreement,
            stock=agreement_queries.stock_entry_for(session, agreement) if agreement else None,
            form=form,
            sign_form=sign_form,
            caps=caps,
            minimums=minimums,
            today=today,
        ),
        status,
    )


def _tell_landlord(session: Session, agreement: Agreement) -> None:
    """After the commit: the owner with a portal account is told the proposal awaits their acceptance."""
    unit = session.get(Unit, agreement.unit_id)
    user = unit.landlord.user if unit is not None else None
    if user is None or "landlord_portal.agreement_accept" not in current_app.view_functions:
        return
    link = absolute_url("landlord_portal.agreement_accept", agreement_id=agreement.id)
    send_mail(
        user.email,
        f"Passerelle — votre proposition d'accord ({agreement.mode.label.lower()}) est prête",
        f"{agreement.operator.name} vous propose un accord pour votre logement : {agreement.mode.label.lower()}, "
        f"{agreement.level.label}.\n\nLisez le document et acceptez-le en ligne, ou signez-le sur papier avec "
        f"l'opérateur :\n{link}\n",
    )


@bp.route("/accords/<int:agreement_id>/document")
def agreement_document(agreement_id: int) -> Response:
    session = db.session
    agreement = agreement_queries.get_agreement_for_staff_or_404(session, current_user, agreement_id)
    if agreement.document_sha256 is None or agreement.document_filename is None:
        flash("Le document de cet accord n'a pas encore été établi.", "warning")
        return redirect(url_for("capture.case_agreement", case_id=agreement.case_id))
    audit(
        session, actor=current_user, action="agreement.view_document", object_type="agreement", object_id=agreement.id
    )
    session.commit()
    return storage.send_stored(
        agreement.document_sha256, content_type="application/pdf", filename=agreement.document_filename
    )


@bp.route("/accords/<int:agreement_id>/signature", methods=["POST"])
def agreement_sign(agreement_id: int) -> Any:
    session = db.session
    agreement = agreement_queries.get_agreement_for_staff_or_404(session, current_user, agreement_id)
    case = session.get(CaptureCase, agreement.case_id)
    assert case is not None
    if agreement.status == "signed":
        flash("Cet accord est déjà signé.", "info")
        return redirect(url_for("capture.case_agreement", case_id=case.id))
    sign_form = SignatureForm()
    if sign_form.validate_on_submit():
        try:
            entry = ops.sign_agreement(
                session,
                agreement,
                signatory_name=sign_form.signatory_name.data or "",
                method=SignatureMethod.PAPER,
                signed_on=sign_form.signed_on.data,
                ip=None,
                by=current_user,
                now=datetime.now(UTC),
            )
        except ops.TermsRefused as exc:
            session.rollback()
            _attach(sign_form, exc.errors)
        except CaptureError as exc:
            session.rollback()
            sign_form.form_errors.append(str(exc))
        else:
            session.commit()
            flash(
                f"Accord signé : le logement entre dans votre parc, disponible à partir du "
                f"{entry.available_on:%d/%m/%Y}.",
                "success",
            )
            return redirect(url_for("capture.case_agreement", case_id=case.id) + "#signature")
    reloaded = session.get(Agreement, agreement_id)  # the rollback expired it
    return _render_agreement(
        case, reloaded, AgreementForm(data=_terms_prefill(session, case, reloaded)), sign_form, 422
    )
