"""Declaring a unit in steps: drafts saved explicitly and resumed, uploads, mode choice, submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    session as flask_session,
)
from flask_login import current_user

from capture import operations as capture_ops
from capture import queries as capture_queries
from capture import rules as capture_rules
from capture.models import (
    CaptureStage,
    ConventionLevel,
    DeclarationStatus,
    Heating,
    IMLMode,
    Simulation,
    Unit,
)
from landlord_portal import bp, explanations
from landlord_portal import forms as f
from passerelle import storage
from passerelle.db import db
from passerelle.mail import absolute_url, send_mail
from passerelle.reference.queries import resolve_commune


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    form: type[f.FlaskForm]


STEPS = (
    Step("adresse", "Adresse", f.AddressStepForm),
    Step("logement", "Le logement", f.FeaturesStepForm),
    Step("disponibilite", "Disponibilité et loyer", f.AvailabilityStepForm),
    Step("documents", "Photos et DPE", f.DocumentsStepForm),
    Step("formule", "Formule", f.ModeStepForm),
)
STEP_BY_SLUG = {step.slug: step for step in STEPS}


def _unit_or_404(unit_id: int) -> Unit:
    return capture_queries.get_unit_for_landlord_or_404(db.session, current_user, unit_id)


def _visitor_simulation(simulation_id: int | None) -> Simulation | None:
    """A simulation the visitor ran: theirs, or the anonymous one kept in their session."""
    if simulation_id is None:
        return None
    simulation = db.session.get(Simulation, simulation_id)
    if simulation is None:
        return None
    if simulation.user_id == current_user.id:
        return simulation
    if simulation.user_id is None and flask_session.get("simulation_id") == simulation.id:
        return simulation
    return None


@bp.route("/logements/nouveau", methods=["GET", "POST"])
def unit_new():
    simulation = _visitor_simulation(request.args.get("simulation", type=int))
    option = request.args.get("option") or None
    if option is not None and option not in _OPTION_KEYS:
        option = None
    form = f.StartDeclarationForm()
    if form.validate_on_submit():
        session = db.session
        landlord = capture_ops.landlord_for_user(session, current_user) or capture_ops.save_landlord_profile(
            session, current_user, by=current_user
        )
        if simulation is not None and simulation.user_id is None:
            simulation.user_id = current_user.id
        unit = capture_ops.start_unit_draft(session, landlord, by=current_user, simulation=simulation, option=option)
        session.commit()
        return redirect(url_for("landlord_portal.unit_step", unit_id=unit.id, step=STEPS[0].slug))
    prefill = capture_rules.prefill_from_simulation(simulation.inputs, option) if simulation else {}
    return render_template(
        "landlord_portal/unit_new.html", form=form, simulation=simulation, option=option, prefill=prefill
    )


_OPTION_KEYS = {
    "loc1_mandate",
    "loc1_sublease",
    "loc2_mandate",
    "loc2_sublease",
    "loc3_mandate",
    "loc3_sublease",
    "loc1_direct",
    "loc2_direct",
    "market",
}


@bp.route("/logements/<int:unit_id>/etape/<step>", methods=["GET", "POST"])
def unit_step(unit_id: int, step: str):
    unit = _unit_or_404(unit_id)
    current = STEP_BY_SLUG.get(step) or abort(404)
    if unit.status is not DeclarationStatus.DRAFT:
        flash("Ce logement a déjà été transmis à l'opérateur.", "info")
        return redirect(url_for("landlord_portal.unit_detail", unit_id=unit.id))
    form = current.form(data=_form_data(unit, current.slug) if request.method == "GET" else None)
    candidates: list[Any] = []
    if form.validate_on_submit():
        values, candidates = _values_from(form, current.slug, unit)
        if values is not None:
            try:
                capture_ops.update_unit_draft(db.session, unit, by=current_user, **values)
                if current.slug == "documents":
                    _store_uploads(form, unit)
            except (storage.UploadError, capture_ops.CaptureError) as exc:
                db.session.rollback()
                form.form_errors.append(str(exc))
            else:
                db.session.commit()
                if request.form.get("action") == "save":
                    flash(
                        "Brouillon enregistré. Vous pourrez reprendre plus tard depuis « Mon espace ».",
                        "success",
                    )
                    return redirect(url_for("landlord_portal.unit_step", unit_id=unit.id, step=current.slug))
                return redirect(_next_url(unit, current))
    return render_template(
        "landlord_portal/unit_step.html",
        unit=unit,
        form=form,
        step=current,
        steps=STEPS,
        candidates=candidates,
        mode_texts=explanations.mode_descriptions(db.session, date.today()) if current.slug == "formule" else {},
        level_texts=explanations.level_descriptions(db.session, date.today()) if current.slug == "formule" else {},
    )


def _next_url(unit: Unit, current: Step) -> str:
    index = STEPS.index(current)
    if index + 1 < len(STEPS):
        return url_for("landlord_portal.unit_step", unit_id=unit.id, step=STEPS[index + 1].slug)
    return url_for("landlord_portal.unit_detail", unit_id=unit.id)


def _form_data(unit: Unit, slug: str) -> dict[str, Any]:
    """The draft's stored values, shaped for the step's form."""
    if slug == "adresse":
        commune = unit.commune
        return {
            "address": unit.address,
            "address_complement": unit.address_complement,
            "postal_code": unit.postal_code,
            "commune": f"{commune.name} ({commune.departement})" if commune else "",
        }
    if slug == "logement":
        return {
            "surface_m2": unit.surface_m2,
            "annexes_m2": unit.annexes_m2,
            "rooms": unit.rooms,
            "floor": unit.floor,
            "has_lift": f.yes_no_value(unit.has_lift),
            "step_free": f.yes_no_value(unit.step_free),
            "heating": unit.heating.value if unit.heating else "",
            "furnished": f.yes_no_value(unit.furnished),
            "dpe_class": unit.dpe_class or "",
            "dpe_energy_kwh_m2": unit.dpe_energy_kwh_m2,
            "dpe_ghg_kg_m2": unit.dpe_ghg_kg_m2,
        }
    if slug == "disponibilite":
        return {
            "vacant_since": unit.vacant_since,
            "available_from": unit.available_from,
            "visit_availability": unit.visit_availability,
            "asked_rent": unit.asked_rent,
            "charges": unit.charges,
        }
    if slug == "formule":
        return {
            "desired_mode": unit.desired_mode.value if unit.desired_mode else None,
            "desired_level": unit.desired_level.value if unit.desired_level else None,
        }
    return {}


def _values_from(form: Any, slug: str, unit: Unit) -> tuple[dict[str, Any] | None, list[Any]]:
    """Unit fields from a valid step form; (None, candidates) when the commune is ambiguous or unknown."""
    if slug == "adresse":
        values = {
            "address": form.address.data,
            "address_complement": form.address_complement.data,
            "postal_code": form.postal_code.data,
        }
        text = (form.commune.data or "").strip()
        if not text:
            values["commune_insee"] = None
            return values, []
        match = resolve_commune(db.session, text)
        if match.commune is None:
            form.commune.errors = [
                *form.commune.errors,
                "Plusieurs communes correspondent : précisez le département, par exemple « Arras (62) »."
                if match.candidates
                else "Commune introuvable : vérifiez l'orthographe ou saisissez le code INSEE.",
            ]
            return None, match.candidates
        values["commune_insee"] = match.commune.insee
        return values, []
    if slug == "logement":
        return {
            "surface_m2": form.surface_m2.data,
            "annexes_m2": form.annexes_m2.data,
            "rooms": form.rooms.data,
            "floor": form.floor.data,
            "has_lift": f.yes_no(form.has_lift.data),
            "step_free": f.yes_no(form.step_free.data),
            "heating": Heating(form.heating.data) if form.heating.data else None,
            "furnished": f.yes_no(form.furnished.data),
            "dpe_class": form.dpe_class.data or None,
            "dpe_energy_kwh_m2": form.dpe_energy_kwh_m2.data,
            "dpe_ghg_kg_m2": form.dpe_ghg_kg_m2.data,
        }, []
    if slug == "disponibilite":
        if form.vacant_since.data and form.vacant_since.data > date.today():
            form.vacant_since.errors = [
                *form.vacant_since.errors,
                "Cette date ne peut pas être dans le futur.",
            ]
            return None, []
        return {
            "vacant_since": form.vacant_since.data,
            "available_from": form.available_from.data,
            "visit_availability": form.visit_availability.data,
            "asked_rent": form.asked_rent.data,
            "charges": form.charges.data,
        }, []
    if slug == "formule":
        mode = IMLMode(form.desired_mode.data) if form.desired_mode.data else None
        level = ConventionLevel(form.desired_level.data) if form.desired_level.data else None
        return {"desired_mode": mode, "desired_level": level}, []
    return {}, []


def _store_uploads(form: Any, unit: Unit) -> None:
    """Check every file first, then store them all: a refused file stores nothing."""
    config = current_app.config
    photos = [item for item in (form.photos.data or []) if item and item.filename]
    dpe = form.dpe_document.data if form.dpe_document.data and form.dpe_document.data.filename else None
    checked = []
    for item in photos:
        checked.append(
            (
                "photo",
                storage.check(
                    item.read(),
                    filename=item.filename,
                    allowed={"image/jpeg", "image/png", "image/webp"},
                    max_bytes=config["PHOTO_MAX_BYTES"],
                ),
            )
        )
    if dpe is not None:
        checked.append(
            (
                "dpe",
                storage.check(
                    dpe.read(),
                    filename=dpe.filename,
                    allowed={"application/pdf"},
                    max_bytes=config["DOCUMENT_MAX_BYTES"],
                ),
            )
        )
    existing = sum(1 for doc in unit.documents if doc.kind == "photo")
    if existing + len(photos) > config["MAX_PHOTOS_PER_UNIT"]:
        raise capture_ops.CaptureError(
            f"{config['MAX_PHOTOS_PER_UNIT']} photos au plus par logement ({existing} déjà déposées)."
        )
    for kind, pending in checked:
        stored = storage.save(pending)
        capture_ops.add_unit_document(
            db.session,
            unit,
            kind=kind,
            stored=stored,
            by=current_user,
            max_photos=config["MAX_PHOTOS_PER_UNIT"],
        )


@bp.route("/logements/<int:unit_id>")
def unit_detail(unit_id: int):
    session = db.session
    unit = _unit_or_404(unit_id)
    landlord = unit.landlord
    case = capture_queries.case_for_unit(session, unit)
    timeline = capture_rules.landlord_timeline(
        case.stage if case else None, capture_queries.stages_reached(case) if case else {}
    )
    return render_template(
        "landlord_portal/unit_detail.html",
        unit=unit,
        case=case,
        timeline=timeline,
        steps=STEPS,
        missing=capture_rules.missing_for_submission(unit, landlord_phone=landlord.phone),
        warnings=capture_rules.declaration_warnings(unit),
        submit_form=f.StartDeclarationForm(),
        lost=case is not None and case.stage is CaptureStage.LOST,
        incidents=[
            incident
            for incident in capture_queries.landlord_incidents(session, landlord)
            if incident.unit_id == unit.id
        ],
    )


@bp.route("/logements/<int:unit_id>/transmettre", methods=["POST"])
def unit_submit(unit_id: int):
    session = db.session
    unit = _unit_or_404(unit_id)
    form = f.StartDeclarationForm()
    if not form.validate_on_submit():
        abort(400)
    missing = capture_rules.missing_for_submission(unit, landlord_phone=unit.landlord.phone)
    if missing:
        flash("La déclaration est incomplète : " + " ".join(missing), "error")
        return redirect(url_for("landlord_portal.unit_detail", unit_id=unit.id))
    try:
        case = capture_ops.submit_unit(session, unit, by=current_user)
    except capture_ops.CaptureError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("landlord_portal.unit_detail", unit_id=unit.id))
    operator = case.operator
    emails = capture_queries.staff_emails(session, operator.id)
    session.commit()
    commune = unit.commune.name if unit.commune else ""
    for email in emails:
        send_mail(
            email,
            "Passerelle — nouveau logement proposé",
            f"Un propriétaire vient de proposer un logement à {commune} (formule : "
            f"{unit.desired_mode.label if unit.desired_mode else '—'}).\n\n"
            f"Dossier de captation : {absolute_url('capture.case_detail', case_id=case.id)}\n",
        )
    flash(
        f"Votre logement a été transmis à {operator.name}, qui va vous contacter pour organiser une visite.",
        "success",
    )
    return redirect(url_for("landlord_portal.unit_detail", unit_id=unit.id))


@bp.route("/logements/<int:unit_id>/documents/<int:document_id>")
def unit_document(unit_id: int, document_id: int):
    document = capture_queries.get_document_for_landlord_or_404(db.session, current_user, unit_id, document_id)
    return send_document(document)


@bp.route("/logements/<int:unit_id>/documents/<int:document_id>/supprimer", methods=["POST"])
def unit_document_delete(unit_id: int, document_id: int):
    document = capture_queries.get_document_for_landlord_or_404(db.session, current_user, unit_id, document_id)
    form = f.StartDeclarationForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        capture_ops.remove_unit_document(db.session, document, by=current_user)
    except capture_ops.CaptureError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash("Document retiré.", "success")
    return redirect(url_for("landlord_portal.unit_step", unit_id=unit_id, step="documents"))


def send_document(document: Any):
    return storage.send_stored(document.sha256, content_type=document.content_type, filename=document.filename)
