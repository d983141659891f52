"""Issue 4's staff journey in a real browser: a portal lead → a call → the field visit on a phone → the
agreement → the mandate PDF (text checked) → the unit in stock; then the metropolis sees the capture."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from capture.models import CaptureCase, Unit
from capture.rules.assessment import CHECKLIST
from passerelle.db import db
from passerelle.demo import DEMO_PASSWORD
from passerelle.formatting import long_date
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


def _case_of(app: Flask, email: str, address: str) -> int:
    from capture.models import Landlord
    from passerelle.models import User

    with Session(db.engine_for(app)) as session:
        return session.scalars(
            select(CaptureCase.id)
            .join(Unit, Unit.id == CaptureCase.unit_id)
            .join(Landlord, Landlord.id == Unit.landlord_id)
            .join(User, User.id == Landlord.user_id)
            .where(User.email == email, Unit.address == address)
        ).one()


def _login(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def _captured_this_year(metro_page) -> int:  # type: ignore[no-untyped-def]
    """Units captured this year in the demo territory, as the metropolis' API reports them."""
    response = metro_page.request.get(f"/api/v1/indicators?territory=200033579&year={date.today().year}")
    assert response.ok, response.text()
    return response.json()["captured"]["total"]


def test_staff_capture_journey(browser, live_app: Flask, live_server: str) -> None:  # type: ignore[no-untyped-def]
    metro = browser.new_context(base_url=live_server, locale="fr-FR")
    metro_page = metro.new_page()
    _login(metro_page, "metropole@demo.passerelle.test")
    captured_before = _captured_this_year(metro_page)

    context = browser.new_context(base_url=live_server, locale="fr-FR", viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    _login(page, "agent.ais@demo.passerelle.test")

    # 1. The lead the demo landlord sent from the portal.
    page.goto("/captation/")
    case_id = _case_of(live_app, "proprietaire@demo.passerelle.test", "14 rue Saint-Aubert")
    page.get_by_role("link", name=re.compile(rf"N° {case_id}\b")).first.click()
    expect(page.get_by_text("Claire Martin").first).to_be_visible()
    case_url = page.url

    # 2. A call, logged with the next action.
    form = page.locator("form", has=page.get_by_role("button", name="Enregistrer l'échange"))
    form.get_by_label("Appel").check()
    form.get_by_label("Compte rendu").fill("Propriétaire jointe : visite convenue jeudi.")
    form.get_by_role("button", name="Enregistrer l'échange").click()
    expect(page.get_by_text("Échange enregistré")).to_be_visible()
    stage = page.locator("form", has=page.get_by_role("button", name="Enregistrer l'étape"))
    stage.get_by_label("Nouvelle étape").select_option("visit_planned")
    stage.get_by_role("button", name="Enregistrer l'étape").click()
    expect(page.get_by_text("Dossier passé à l'étape « Visite planifiée »")).to_be_visible()
    screenshot(page, "staff-1-case-phone")

    # 3. The field visit on a phone.
    page.goto(case_url + "/visite")
    visit = page.locator("form.visit-form")
    for item in CHECKLIST:
        visit.locator(f"label[for=c_{item.key}-0]").click()
    visit.get_by_label(re.compile("^Surface habitable")).fill("44,8")
    visit.get_by_label(re.compile("^Nombre de pièces|^Pièces")).first.fill("2")
    dpe = visit.get_by_label(re.compile("Classe énergie|classe DPE|DPE"), exact=False).first
    dpe.select_option("D")
    screenshot(page, "staff-2-visit-phone")
    visit.locator("button[type=submit]").last.click()
    expect(page.get_by_text(re.compile("[ÉE]ligible")).first).to_be_visible()

    # 4. The agreement: a mandate at Loc2, its PDF checked.
    page.goto(case_url + "/accord")
    terms = page.locator("form", has=page.get_by_role("button", name=re.compile("Établir la proposition")))
    terms.get_by_label("Mandat de gestion").check()
    terms.get_by_label("Loc2 (social)").check()
    terms.get_by_label(re.compile("^Loyer")).first.fill("440")
    terms.get_by_role("button", name=re.compile("Établir la proposition")).click()
    expect(page.get_by_role("link", name="Télécharger le document (PDF)")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le document (PDF)").click()
    pdf_path = download_info.value.path()
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(Path(pdf_path).read_bytes())).pages)
    flat = " ".join(text.split())
    for expected in (
        "Claire Martin",
        "AIS Artois Logement Solidaire",
        "14 rue Saint-Aubert",
        "440,00",
        "7",
        "mois",
        long_date(date.today()),
    ):
        assert expected.replace("\u202f", " ") in flat.replace("\u202f", " ").replace("\xa0", " "), expected
    screenshot(page, "staff-3-agreement")

    # 5. Paper signature: the unit enters the operator's stock.
    sign = page.locator("form", has=page.get_by_role("button", name="Enregistrer la signature"))
    sign.get_by_label(re.compile("Signataire|signataire|Nom")).first.fill("Claire Martin")
    sign.get_by_role("button", name="Enregistrer la signature").click()
    expect(page.get_by_text("Disponible").first).to_be_visible()
    screenshot(page, "staff-4-signed")
    context.close()

    # 6. The metropolis sees the capture counted (aggregates only).
    assert _captured_this_year(metro_page) == captured_before + 1
    page = metro_page
    page.goto("/metropole/tableau-de-bord")
    expect(page.get_by_role("heading", name=re.compile("Tableau de bord de la captation"))).to_be_visible()
    assert "Claire Martin" not in page.content() and "Saint-Aubert" not in page.content()
    screenshot(page, "staff-5-metro-dashboard")
    metro.close()
