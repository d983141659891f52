"""Issue 3's journey in a real browser: simulate, sign up, verify, declare with an upload, be seen by the
operator, raise an alert that staff see."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from capture.models import CaptureCase, Landlord, Unit
from passerelle.db import db
from passerelle.demo import DEMO_PASSWORD
from passerelle.mail import outbox
from passerelle.models import User
from tests.e2e.conftest import screenshot
from tests.factories import PNG_1PX

pytestmark = pytest.mark.browser

EMAIL = "nouvelle.proprietaire@exemple.fr"
PASSWORD = "ma phrase de passe tres sure"


def _case_of(app: Flask, email: str) -> int:
    """The capture case opened for the unit of the landlord with this e-mail (the live server's database)."""
    with Session(db.engine_for(app)) as session:
        return session.scalars(
            select(CaptureCase.id)
            .join(Unit, Unit.id == CaptureCase.unit_id)
            .join(Landlord, Landlord.id == Unit.landlord_id)
            .join(User, User.id == Landlord.user_id)
            .where(User.email == email)
        ).one()


def _login(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_landlord_journey(page, live_app: Flask, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # 1. Anonymous simulation.
    page.goto("/proprietaire/simulateur")
    page.get_by_label("Commune").first.fill("Arras")
    page.get_by_label("Surface habitable").first.fill("45")
    page.get_by_label("Annexes").first.fill("6")
    page.get_by_label("Classe énergie").first.select_option("D")
    page.get_by_role("button", name=re.compile("Simuler|Calculer|Comparer")).first.click()
    page.wait_for_selector("text=Recommandation", timeout=10000)
    screenshot(page, "journey-1-simulation")
    page.get_by_role("link", name=re.compile("Continuer avec cette option")).first.click()

    # 2. Sign-up (the declaration asks to log in first) and e-mail verification.
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_role("link", name=re.compile("Créer un compte")).first.click()
    page.get_by_label("Nom et prénom").fill("Nadia Ferhat")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe", exact=False).first.fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_label(re.compile("J'accepte")).check()
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url(re.compile(r"/inscription/envoyee"))
    screenshot(page, "journey-2-signup-done")
    mail = next(m for m in reversed(outbox(live_app)) if m.to == EMAIL)
    link = re.search(r"(/verifier-email/\S+)", mail.body).group(1)
    page.goto(link)
    expect(page.get_by_text("adresse e-mail est confirmée")).to_be_visible()
    _login(page, EMAIL, PASSWORD)

    # 3. Back on the declaration, pre-filled from the simulation; the profile is completed on the way.
    page.wait_for_url(re.compile(r"/proprietaire/logements/nouveau"))
    expect(page.get_by_text("informations de votre simulation")).to_be_visible()
    page.get_by_role("button", name="Commencer la déclaration").click()
    page.get_by_label("Adresse du logement").fill("21 rue Ernestale")
    page.get_by_label("Code postal").fill("62000")
    assert page.get_by_label("Commune").input_value().startswith("Arras")  # from the simulation
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_label("Nombre de pièces principales").fill("2")
    page.get_by_label("Chauffage").select_option("individual_gas")
    page.get_by_label("Le logement est-il meublé ?").select_option("no")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_label("Disponible à partir du").fill("2027-02-01")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    photo = tmp_path / "salon.png"
    photo.write_bytes(PNG_1PX)
    page.get_by_label("Photos du logement").set_input_files(str(photo))
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_label("Mandat de gestion").check()
    page.get_by_label("Loc2 (social)").check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    screenshot(page, "journey-3-recap")
    page.get_by_role("link", name="Compléter mon profil").click()
    page.get_by_label(re.compile(r"^Téléphone")).fill("06 98 76 54 32")
    page.get_by_label("Adresse postale").fill("5 rue Gambetta")
    page.get_by_label("Code postal").fill("62000")
    page.get_by_label("Ville").fill("Arras")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_role("button", name="Transmettre à l'opérateur").click()
    expect(page.get_by_text("transmis à AIS Artois Logement Solidaire")).to_be_visible()

    # 4. The unit is in « mes logements ».
    page.goto("/proprietaire/")
    expect(page.get_by_role("link", name=re.compile("21 rue Ernestale"))).to_be_visible()
    screenshot(page, "journey-4-my-units")

    # 5. The operator's staff see the new case.
    page.get_by_role("button", name="Se déconnecter").click()
    _login(page, "agent.ais@demo.passerelle.test", DEMO_PASSWORD)
    page.goto("/captation/")
    page.goto(f"/captation/dossiers/{_case_of(live_app, EMAIL)}")
    expect(page.get_by_text("Nadia Ferhat").first).to_be_visible()
    expect(page.get_by_text(re.compile("21 rue Ernestale")).first).to_be_visible()
    screenshot(page, "journey-5-staff-case")

    # 6. The landlord raises an alert; staff see it in their queue.
    page.get_by_role("button", name="Se déconnecter").click()
    _login(page, EMAIL, PASSWORD)
    page.get_by_role("link", name=re.compile("21 rue Ernestale")).click()
    page.get_by_role("link", name="Signaler une difficulté").click()
    page.get_by_label("Dégradation").check()
    page.get_by_label("Décrivez la situation").fill("Une fenêtre a été cassée pendant la tempête.")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_text(re.compile("Une réponse vous est due")).first).to_be_visible()
    screenshot(page, "journey-6-alert-sent")
    page.get_by_role("button", name="Se déconnecter").click()
    _login(page, "agent.ais@demo.passerelle.test", DEMO_PASSWORD)
    page.goto("/agence/signalements")
    expect(page.get_by_role("link", name="Dégradation").first).to_be_visible()
    screenshot(page, "journey-7-staff-alerts")
