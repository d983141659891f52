"""Campaigns (staff): list, create, edit, import a list of vacant units, download the mail-merge letters."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from capture import bp
from capture import forms_campaigns as forms
from capture.models import Campaign, CampaignChannel
from capture.operations import campaigns as ops
from capture.operations.cases import CaptureError
from capture.queries import campaigns as queries
from capture.rules import lead_import
from contracts.campaign_letters import render_campaign_letters
from passerelle.audit import audit
from passerelle.db import db
from passerelle.formatting import PARIS


def _today() -> date:
    return datetime.now(PARIS).date()


def _campaign_or_404(campaign_id: int) -> Campaign:
    return queries.get_campaign_for_staff_or_404(db.session, current_user, campaign_id)


def _campaign_form(campaign: Campaign | None = None) -> forms.CampaignForm:
    territory_id = current_user.organisation.territory_id if current_user.organisation else None
    form = forms.CampaignForm(data=_form_data(campaign) if campaign is not None and request.method == "GET" else None)
    form.communes.choices = [
        (commune.insee, f"{commune.name} ({commune.insee})")
        for commune in queries.territory_communes_of(db.session, territory_id)
    ]
    return form


def _form_data(campaign: Campaign) -> dict[str, Any]:
    return {
        "name": campaign.name,
        "channel": campaign.channel.value,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "cost": campaign.cost,
        "communes": [commune.insee for commune in campaign.communes],
        "description": campaign.description,
        "letter_body": campaign.letter_body,
    }


def _values(form: forms.CampaignForm) -> dict[str, Any]:
    return {
        "name": form.name.data,
        "channel": CampaignChannel(form.channel.data),
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
        "cost": form.cost.data,
        "communes": list(form.communes.data or []),
        "description": form.description.data,
        "letter_body": form.letter_body.data,
    }


@bp.route("/campagnes")
def campaigns():
    rows = queries.campaign_figures(db.session, organisation_id=current_user.organisation_id)
    return render_template("capture/campaign_list.html", rows=rows)


@bp.route("/campagnes/nouvelle", methods=["GET", "POST"])
def campaign_new():
    organisation = current_user.organisation
    if organisation is None or organisation.territory is None:
        abort(404)
    form = _campaign_form()
    if request.method == "GET":
        form.letter_body.data = forms.DEFAULT_LETTER_BODY
        form.starts_on.data = _today()
    if form.validate_on_submit():
        session = db.session
        try:
            campaign = ops.create_campaign(
                session, territory=organisation.territory, organisation=organisation, by=current_user, **_values(form)
            )
        except CaptureError as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            session.commit()
            flash(f"Campagne « {campaign.name} » créée.", "success")
            return redirect(url_for("capture.campaign_detail", campaign_id=campaign.id))
    return render_template("capture/campaign_new.html", form=form)


@bp.route("/campagnes/<int:campaign_id>", methods=["GET", "POST"])
def campaign_detail(campaign_id: int):
    session = db.session
    campaign = _campaign_or_404(campaign_id)
    form = _campaign_form(campaign)
    if form.validate_on_submit():
        try:
            ops.update_campaign(session, campaign, by=current_user, **_values(form))
        except CaptureError as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            session.commit()
            flash("Campagne enregistrée.", "success")
            return redirect(url_for("capture.campaign_detail", campaign_id=campaign.id))
        campaign = _campaign_or_404(campaign_id)
    batch = queries.campaign_letters(session, campaign, signatory=current_user, today=_today())
    return render_template(
        "capture/campaign_detail.html",
        campaign=campaign,
        figures=queries.figures_of(session, campaign),
        stages=queries.stage_counts(session, campaign),
        batch=batch,
        form=form,
    )


@bp.route("/campagnes/<int:campaign_id>/import", methods=["GET", "POST"])
def campaign_import(campaign_id: int):
    session = db.session
    campaign = _campaign_or_404(campaign_id)
    form = forms.LeadImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "fichier"
        try:
            lead_file = lead_import.read_lead_file(upload.read(), name)
            report = ops.import_leads(
                session,
                operator=campaign.organisation,
                file=lead_file,
                campaign=campaign,
                by=current_user,
                today=_today(),
            )
        except (lead_import.LeadFileError, CaptureError) as exc:
            session.rollback()
            form.file.errors = [*form.file.errors, str(exc)]
        else:
            if report.imported:
                session.commit()
            else:
                session.rollback()
    return render_template(
        "capture/campaign_import.html",
        campaign=campaign,
        form=form,
        report=report,
        example_header=lead_import.EXAMPLE_HEADER,
        columns=lead_import.REQUIRED_COLUMNS,
    )


@bp.route("/campagnes/<int:campaign_id>/courriers.pdf")
def campaign_letters(campaign_id: int):
    session = db.session
    campaign = _campaign_or_404(campaign_id)
    if not campaign.letter_body:
        flash("Rédigez d'abord le texte du courrier de la campagne.", "warning")
        return redirect(url_for("capture.campaign_detail", campaign_id=campaign.id))
    batch = queries.campaign_letters(session, campaign, signatory=current_user, today=_today())
    if batch.document is None:
        flash("Aucun courrier à produire : aucune piste de la campagne n'attend un premier contact.", "info")
        return redirect(url_for("capture.campaign_detail", campaign_id=campaign.id))
    pdf = render_campaign_letters(batch.document)
    # The letters carry owners' names and addresses: who downloaded which ones is logged.
    audit(
        session,
        actor=current_user,
        action="campaign.letters",
        object_type="campaign",
        object_id=campaign.id,
        letters=len(batch.case_ids),
        case_ids=list(batch.case_ids),
    )
    session.commit()
    response = send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"courriers-campagne-{campaign.id}.pdf",
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
