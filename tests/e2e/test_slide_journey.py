"""Issue 6's bail glissant journey in a real browser: a running sub-lease whose review is due → the review, refused
then held with the decision to slide → the slide → the household's direct lease and its PDF → the sub-lease ended →
the metropolis counts one more « bail glissé »."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy.orm import Session

from capture.models import IMLMode
from passerelle.db import db
from passerelle.formatting import PARIS
from passerelle.models import OrganisationKind
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, Factory

pytestmark = pytest.mark.browser

TENANT = "Fatou Ndiaye"
OPERATOR = "Association Glissement Solidaire"


@dataclass(frozen=True)
class World:
    sublease_id: int
    review_id: int
    staff_email: str
    metro_email: str


def _running_bail_glissant(app: Flask) -> World:
    """Committed in the live server's database: a territory of its own (so the metropolis' count starts at zero),
    an association with its staff member, a metro user, and an active bail glissant sub-lease whose first review is
    due (it started about 7 months ago)."""
    with Session(db.engine_for(app)) as session, app.test_request_context():
        make: Any = Factory(session)  # the lease factories are attached to Factory at import time
        territory = make.territory(name="Territoire du glissement")
        operator = make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory, name=OPERATOR)
        staff = make.staff(operator, full_name="Lou Martin")
        metro = make.metro_user(make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory))
        lease = make.lease(
            operator,
            by=staff,
            mode=IMLMode.BAIL_GLISSANT,
            starts_on=date.today() - timedelta(days=213),
            tenants=(TENANT,),
            rent=Decimal("430"),
            address="12 rue du Glissement",
        )
        (review,) = lease.reviews
        assert review.due_on <= date.today(), "the first review is due"
        world = World(lease.id, review.id, staff.email, metro.email)
        session.commit()
        return world


def _login(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def _answer(page, question: str, answer: str) -> None:
    page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(answer, exact=True).check()


def test_slide_journey(page, live_app: Flask) -> None:
    world = _running_bail_glissant(live_app)
    today = datetime.now(PARIS).date()  # the app's today
    _login(page, world.staff_email)

    # 1. The running sub-lease: its first review is due.
    page.goto(f"/agence/baux/{world.sublease_id}")
    expect(page.get_by_role("heading", name=re.compile(f"Bail n° {world.sublease_id} — Sous-location"))).to_be_visible()
    expect(page.locator(".badge", has_text="En cours").first).to_be_visible()
    page.get_by_role("link", name=re.compile("^Remplir la revue du")).click()
    page.wait_for_url(f"**/agence/baux/{world.sublease_id}/revues/{world.review_id}")
    expect(page.get_by_role("heading", name=re.compile("^Revue du bail glissant du"))).to_be_visible()

    # 2. A slide with the rent not paid regularly is refused, in French, linked from the error summary.
    page.get_by_label("Date de la revue").fill(today.isoformat())
    _answer(page, "Le loyer est-il payé régulièrement ?", "Non")
    _answer(page, "L'assurance habitation est-elle à jour ?", "Oui")
    _answer(page, "Le ménage occupe-t-il le logement", "Oui")
    page.get_by_label("Atteinte des objectifs").select_option(label="Atteints")
    page.get_by_label("Avis du ménage").fill("Nous voulons rester et signer notre propre bail.")
    _answer(page, "Décision", "Faire glisser le bail")
    page.get_by_label("Motifs de la décision").fill("Le ménage est autonome.")
    page.get_by_label("Date du glissement").fill(today.isoformat())
    page.get_by_role("button", name="Enregistrer la revue").click()
    expect(page.get_by_role("heading", name="Le formulaire contient des erreurs")).to_be_visible()
    refusal = "Le bail ne peut pas glisser : le loyer n'est pas payé régulièrement"
    summary_link = page.locator(".error-summary").get_by_role("link", name=re.compile(re.escape(refusal)))
    expect(summary_link).to_be_visible()
    expect(page.locator("#decision-erreur")).to_contain_text(refusal)
    summary_link.click()
    expect(page).to_have_url(re.compile("#decision$"))
    screenshot(page, "slide-review-refused")

    # The review held properly: every check met, the goals reached, the household heard, the slide decided today.
    page.get_by_label("Date de la revue").fill(today.isoformat())
    _answer(page, "Le loyer est-il payé régulièrement ?", "Oui")
    _answer(page, "L'assurance habitation est-elle à jour ?", "Oui")
    _answer(page, "Le ménage occupe-t-il le logement", "Oui")
    page.get_by_label("Objectifs de l'accompagnement").fill("Tenir son budget, ouvrir les droits à l'APL.")
    page.get_by_label("Atteinte des objectifs").select_option(label="Atteints")
    page.get_by_label("Avis du ménage").fill("Nous voulons rester et signer notre propre bail.")
    _answer(page, "Décision", "Faire glisser le bail")
    page.get_by_label("Motifs de la décision").fill("Loyer payé, assurance à jour, objectifs atteints.")
    page.get_by_label("Date du glissement").fill(today.isoformat())
    screenshot(page, "slide-review-form")
    page.get_by_role("button", name="Enregistrer la revue").click()
    expect(page.get_by_text("Revue enregistrée : faire glisser le bail.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Revue tenue le"))).to_be_visible()

    # 3. The slide, from the sub-lease's page.
    page.get_by_role("link", name=f"Sous-location n° {world.sublease_id}").click()
    slide = page.locator("#glissement")
    expect(slide.get_by_role("heading", name="Enregistrer le glissement")).to_be_visible()
    slide.get_by_label("Transféré au propriétaire", exact=False).check()
    slide.get_by_label("Signataires du nouveau bail").fill(f"{TENANT} ; le propriétaire")
    slide.get_by_label("Signature manuscrite").check()
    slide.get_by_role("button", name="Faire glisser le bail").click()

    # 4. The household's direct lease: running, born of the slide, with its loi 89 contract.
    expect(page.get_by_text("Le bail a glissé : bail d'habitation n°", exact=False)).to_be_visible()
    expect(
        page.get_by_role("heading", name=re.compile("Bail d'habitation \\(loi du 6 juillet 1989\\)"))
    ).to_be_visible()
    expect(page.locator(".badge", has_text="En cours").first).to_be_visible()
    expect(page.get_by_role("link", name=f"bail n° {world.sublease_id}")).to_be_visible()
    expect(page.get_by_text("Transféré au propriétaire", exact=False).first).to_be_visible()
    screenshot(page, "slide-direct-lease")
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Bail d'habitation", exact=True))
    with page.expect_download() as download:
        row.get_by_role("link").click()
    pdf = download.value
    assert pdf.suggested_filename.endswith(".pdf")
    path = pdf.path()
    assert path is not None
    reader = PdfReader(BytesIO(path.read_bytes()))
    text = " ".join((p.extract_text() or "") for p in reader.pages).replace("\u00a0", " ").replace("\u202f", " ")
    text = " ".join(text.split())
    assert "Glissement du bail" in text
    assert f"Sous-location n° {world.sublease_id}" in text
    assert TENANT in text

    # 5. The sub-lease is over, for the slide.
    page.get_by_role("link", name=f"bail n° {world.sublease_id}").click()
    expect(page.locator(".badge", has_text="Terminé").first).to_be_visible()
    expect(page.get_by_text("Glissement du bail : le ménage devient locataire en titre", exact=False)).to_be_visible()
    expect(page.get_by_text("Le bail a glissé au ménage le", exact=False)).to_be_visible()
    screenshot(page, "slide-sublease-ended")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/")

    # 6. The metropolis counts one « bail glissé » for the association (the sub-lease ended the day before).
    _login(page, world.metro_email)
    year = (today - timedelta(days=1)).year
    page.goto(f"/metropole/tableau-de-bord?annee={year}")
    section = page.locator("section", has=page.get_by_role("heading", name="Baux glissés"))
    expect(section).to_contain_text(f"1 bail glissé en {year}")
    expect(section.get_by_role("row", name=re.compile(OPERATOR))).to_contain_text("1")
    assert TENANT not in page.content()
    screenshot(page, "slide-metro-dashboard")
