"""Public pages for hesitant owners: IML, the three modes, guarantees, Loc'Avantages, FAQ, call-back.

Every figure that changes with the rules is read from the versioned parameters at today's date; a missing
parameter shows « — » instead of failing.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_login import current_user
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from capture.models import CaptureCase, IMLMode
from capture.operations import CaptureError, create_callback_lead
from capture.queries import staff_emails
from landlord_portal import bp
from landlord_portal.public_forms import UNDECIDED, CallbackForm
from passerelle.db import db
from passerelle.extensions import limiter
from passerelle.mail import absolute_url, send_mail
from passerelle.models import Commune, Organisation, Role
from passerelle.reference.queries import (
    MissingParameter,
    ParameterValue,
    parameter_at,
    parameter_values_at,
    search_communes,
)
from passerelle.security import public

log = logging.getLogger(__name__)

CALLBACK_DONE_KEY = "landlord_callback_done"
COMMUNE_CHOICES_LIMIT = 10

# Figures of each page: template name -> parameter key.
ANAH_PREMIUMS = {
    "premium_mandate": "anah.iml_premium.mandate",
    "premium_sublease": "anah.iml_premium.sublease",
    "premium_small_bonus": "anah.iml_premium.small_unit_bonus",
    "premium_small_max_m2": "anah.iml_premium.small_unit_max_m2",
}
TAX_RATES = {
    "discount_loc1": "locavantages.discount.loc1",
    "discount_loc2": "locavantages.discount.loc2",
    "discount_loc3": "locavantages.discount.loc3",
    "tax_direct_loc1": "locavantages.tax_reduction.direct.loc1",
    "tax_direct_loc2": "locavantages.tax_reduction.direct.loc2",
    "tax_direct_loc3": "locavantages.tax_reduction.direct.loc3",
    "tax_iml_loc1": "locavantages.tax_reduction.iml.loc1",
    "tax_iml_loc2": "locavantages.tax_reduction.iml.loc2",
    "tax_iml_loc3": "locavantages.tax_reduction.iml.loc3",
}
CONVENTION = {
    "convention_years": "locavantages.convention_years.standard",
    "convention_years_works": "locavantages.convention_years.with_works",
}
DPE_CALENDAR = {
    "dpe_ban_g": "decence.dpe_ban.G",
    "dpe_ban_f": "decence.dpe_ban.F",
    "dpe_ban_e": "decence.dpe_ban.E",
}
VISALE_COVER = {
    "visale_unpaid_months": "visale.cover.unpaid_rent_max_months",
    "visale_damage_months": "visale.cover.damage_max_months",
}

ABOUT_FACTS = {
    **ANAH_PREMIUMS,
    **CONVENTION,
    "tax_iml_loc1": TAX_RATES["tax_iml_loc1"],
    "tax_iml_loc3": TAX_RATES["tax_iml_loc3"],
    "new_places_target": "targets.iml_new_places",
}
MODES_FACTS = {
    **ANAH_PREMIUMS,
    "lease_years_person": "lease.min_duration_years.natural_person",
    "lease_years_company": "lease.min_duration_years.legal_person",
    "main_lease_years": "sous_location.main_lease_years",
    "mandate_support_min": "mandate.support_months.min",
    "mandate_support_max": "mandate.support_months.max",
    "sublease_months": "sous_location.default_duration_months",
    "bg_sublease_months": "bail_glissant.sublease_months",
    "bg_review_months": "bail_glissant.review_months",
    "bg_support_max": "bail_glissant.support_max_months",
    "bg_slide_months": "bail_glissant.slide_target_months",
    "mandate_share_target": "targets.iml_mandate_share",
}
GUARANTEES_FACTS = {
    **VISALE_COVER,
    "visale_cap_idf": "visale.rent_cap.idf",
    "visale_cap_large": "visale.rent_cap.large_agglomeration",
    "visale_cap_other": "visale.rent_cap.other",
    "visale_large_population": "visale.rent_cap.large_agglomeration_min_population",
    "visale_lease_years": "visale.cover.lease_years",
    "visale_notice_days": "visale.clock.formal_notice_days",
    "visale_claim_days": "visale.clock.claim_days",
    "deposit_max_months": "lease.deposit_max_months",
}
COMMITMENT_FACTS = {
    **CONVENTION,
    **TAX_RATES,
    **DPE_CALENDAR,
    "premium_mandate": ANAH_PREMIUMS["premium_mandate"],
    "premium_sublease": ANAH_PREMIUMS["premium_sublease"],
    "requests_start": "locavantages.requests.start",
    "requests_end": "locavantages.requests.end",
    "request_deadline_months": "locavantages.convention_request_deadline_months",
    "niches_cap": "tax.niches_global_cap",
    "income_year_offset": "locavantages.income_reference_year_offset",
    "dpe_min_class": "locavantages.dpe_min_class",
    "rent_frozen_classes": "irl.revision_frozen_dpe_classes",
}
FAQ_FACTS = {
    **ANAH_PREMIUMS,
    **CONVENTION,
    **DPE_CALENDAR,
    **VISALE_COVER,
    "discount_loc1": TAX_RATES["discount_loc1"],
    "discount_loc3": TAX_RATES["discount_loc3"],
    "tax_iml_loc3": TAX_RATES["tax_iml_loc3"],
    "main_lease_years": "sous_location.main_lease_years",
    "lease_years_person": "lease.min_duration_years.natural_person",
    "deposit_max_months": "lease.deposit_max_months",
    "caf_report_months": "arrears.caf_report_months",
    "rent_frozen_classes": "irl.revision_frozen_dpe_classes",
    "min_room_m2": "decence.min_room_surface_m2",
    "min_ceiling_m": "decence.min_ceiling_height_m",
    "min_volume_m3": "decence.min_room_volume_m3",
}


@dataclass(frozen=True)
class Source:
    """One source shown in small print, with the figures of the page that rest on it."""

    text: str
    labels: tuple[str, ...]
    verified: bool


@dataclass
class Facts:
    """The figures of a page at a date: ``v`` holds the values (None when missing), ``p`` the parameters."""

    on: date
    v: dict[str, Any] = field(default_factory=dict)
    p: dict[str, ParameterValue] = field(default_factory=dict)

    @property
    def sources(self) -> list[Source]:
        grouped: dict[str, list[ParameterValue]] = {}
        for parameter in self.p.values():
            grouped.setdefault(public_source(parameter.source), []).append(parameter)
        return [
            Source(
                text=text,
                labels=tuple(dict.fromkeys(parameter.label for parameter in parameters)),
                verified=all(parameter.verified for parameter in parameters),
            )
            for text, parameters in grouped.items()
        ]


def read_facts(session: Session, names: Mapping[str, str], on: date) -> Facts:
    """Read each parameter valid on a date; a missing one is None, so the page shows « — »."""
    facts = Facts(on=on)
    found = parameter_values_at(session, names.values(), on)
    for name, key in names.items():
        parameter = found.get(key)
        facts.v[name] = None if parameter is None else parameter.value
        if parameter is not None:
            facts.p[name] = parameter
    return facts


def next_value(session: Session, parameter: ParameterValue | None) -> ParameterValue | None:
    """The value that follows a parameter's current period, when a later one is already known."""
    if parameter is None or parameter.valid_to is None:
        return None
    try:
        return parameter_at(session, parameter.key, parameter.valid_to + timedelta(days=1))
    except MissingParameter:
        return None


_INTERNAL_REFERENCES = (
    re.compile(r"\s*\((?:domain\.md|data/)[^()]*\)"),
    re.compile(r"\s*;\s*(?:valid_from|date de début non documentée)\b[^;]*"),
    re.compile(r" citées par domain\.md §\d+"),
    re.compile(r", documents d'amorçage du projet"),
)


def public_source(text: str) -> str:
    """A parameter's source without the project's internal references (domain.md, data files)."""
    for pattern in _INTERNAL_REFERENCES:
        text = pattern.sub("", text)
    return text.strip()


@bp.context_processor
def _public_pages_context() -> dict[str, Any]:
    # The simulator is another module of this blueprint: link to it only once it exists.
    return {"simulator_available": "landlord_portal.simulator" in current_app.view_functions}


def _page(template: str, names: Mapping[str, str], **context: Any) -> str:
    facts = read_facts(db.session, names, date.today())
    return render_template(f"landlord_portal/public/{template}", facts=facts, v=facts.v, **context)


@bp.route("/intermediation-locative")
@public
def about():
    return _page("about.html", ABOUT_FACTS)


@bp.route("/formules")
@public
def modes():
    return _page("modes.html", MODES_FACTS)


@bp.route("/garanties")
@public
def guarantees():
    return _page("guarantees.html", GUARANTEES_FACTS)


@bp.route("/engagement-loc-avantages")
@public
def commitment():
    facts = read_facts(db.session, COMMITMENT_FACTS, date.today())
    later_dpe_min = next_value(db.session, facts.p.get("dpe_min_class"))
    return render_template(
        "landlord_portal/public/commitment.html", facts=facts, v=facts.v, later_dpe_min=later_dpe_min
    )


@bp.route("/questions-frequentes")
@public
def faq():
    return _page("faq.html", FAQ_FACTS)


# --- « Be called back » --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommuneLookup:
    """What the typed commune resolves to: one commune, several candidates, or nothing (with why)."""

    commune: Commune | None = None
    candidates: tuple[Commune, ...] = ()
    error: str | None = None


def find_commune(session: Session, text: str, choice: str | None = None) -> CommuneLookup:
    """Resolve a commune typed as a name or an INSEE code; ``choice`` is the INSEE code picked in a list."""
    text = " ".join(text.split())
    if choice:
        chosen = session.get(Commune, choice)
        if chosen is not None and (
            chosen.insee.startswith(text.upper()) or chosen.name.casefold().startswith(text.casefold())
        ):
            return CommuneLookup(commune=chosen)
    code = text.upper()
    if re.fullmatch(r"\d{5}|2[AB]\d{3}", code):
        commune = session.get(Commune, code)
        if commune is not None:
            return CommuneLookup(commune=commune)
        return CommuneLookup(
            error=f"Aucune commune n'a le code INSEE « {code} ». Le code INSEE n'est pas le code postal : "
            "vous pouvez aussi saisir le nom de la commune."
        )
    matches = search_communes(session, text, limit=COMMUNE_CHOICES_LIMIT)
    exact = [commune for commune in matches if commune.name.casefold() == text.casefold()]
    if len(exact) == 1:
        return CommuneLookup(commune=exact[0])
    if len(exact) > 1:
        matches = exact
    elif len(matches) == 1:
        return CommuneLookup(commune=matches[0])
    if not matches:
        return CommuneLookup(
            error=f"Nous ne trouvons pas de commune « {text} ». Vérifiez l'orthographe (avec les tirets, "
            "par exemple Tilloy-lès-Mofflaines) ou saisissez son code INSEE."
        )
    return CommuneLookup(
        candidates=tuple(matches),
        error=f"Plusieurs communes correspondent à « {text} » : choisissez la vôtre dans la liste.",
    )


def commune_choice_label(commune: Commune) -> str:
    return f"{commune.name} ({commune.departement}) — code INSEE {commune.insee}"


def callback_rate_limit() -> str:
    return current_app.config["CALLBACK_RATE_LIMIT"]


def _submitted(response: Any) -> bool:
    return response.status_code == 302


@bp.route("/etre-rappele", methods=["GET", "POST"])
@limiter.limit(callback_rate_limit, methods=["POST"], deduct_when=_submitted)
@public
def callback():
    form = CallbackForm()
    if request.method == "GET" and current_user.is_authenticated and current_user.role is Role.LANDLORD:
        form.name.data = current_user.full_name
        form.email.data = current_user.email
        form.phone.data = current_user.phone
    if form.is_submitted():
        valid = form.validate()
        # Resolve the commune even when another field is wrong, so that every error shows at once.
        commune = _check_commune(form) if form.commune.data and not form.commune.errors else None
        if valid and commune is not None:
            try:
                case = create_callback_lead(
                    db.session,
                    name=form.name.data,
                    phone=form.phone.data,
                    email=form.email.data,
                    commune_insee=commune.insee,
                    message=lead_message(form.message.data, form.best_time.data),
                    mode=None if form.mode.data == UNDECIDED else IMLMode(form.mode.data),
                )
            except CaptureError as error:
                db.session.rollback()
                form.form_errors.append(str(error))
            else:
                db.session.commit()
                notify_operator_staff(case, commune)
                flask_session[CALLBACK_DONE_KEY] = {
                    "operator_id": case.operator_id,
                    "commune_insee": commune.insee,
                }
                return redirect(url_for("landlord_portal.callback_done"))
    return render_template("landlord_portal/public/callback.html", form=form)


def _check_commune(form: CallbackForm) -> Commune | None:
    """The commune typed in the form, or None with the field error set (unknown, or choose among several)."""
    lookup = find_commune(db.session, form.commune.data, form.commune_choice.data)
    if lookup.candidates:
        form.commune_choice.choices = [
            SelectChoice(commune.insee, commune_choice_label(commune)) for commune in lookup.candidates
        ]
        form.commune_choice.data = None
        form.commune_choice.errors = [lookup.error]
    elif lookup.commune is None:
        form.commune.errors = [lookup.error]
    return lookup.commune


def lead_message(message: str | None, best_time: str | None) -> str | None:
    """The lead's free text, with the preferred time to call first so that staff see it at once."""
    parts = []
    if best_time and best_time.strip():
        parts.append(f"Moment préféré pour l'appel : {best_time.strip()}")
    if message and message.strip():
        parts.append(message.strip())
    return "\n\n".join(parts) or None


def notify_operator_staff(case: CaptureCase, commune: Commune) -> None:
    """Tell the operator's staff a request is waiting; no personal data of the owner in the e-mail."""
    emails = staff_emails(db.session, case.operator_id)
    link = absolute_url("capture.home")
    body = (
        "Bonjour,\n\n"
        f"Une nouvelle demande de rappel (commune {commune.name}) vous attend dans Passerelle :\n{link}\n\n"
        "Les coordonnées du propriétaire ne figurent pas dans ce message : retrouvez-les dans Passerelle.\n"
    )
    for email in emails:
        try:
            send_mail(email, "Passerelle — nouvelle demande de rappel", body)
        except (OSError, smtplib.SMTPException):
            # The lead is saved and visible in the pipeline: a mail failure must not lose the request.
            log.warning("Avis de la demande de rappel n° %s non envoyé", case.id, exc_info=True)


@bp.route("/etre-rappele/merci")
@public
def callback_done():
    done = flask_session.get(CALLBACK_DONE_KEY) or {}
    operator_id, insee = done.get("operator_id"), done.get("commune_insee")
    operator = db.session.get(Organisation, operator_id) if isinstance(operator_id, int) else None
    commune = db.session.get(Commune, insee) if isinstance(insee, str) else None
    return render_template("landlord_portal/public/callback_done.html", operator=operator, commune=commune)
