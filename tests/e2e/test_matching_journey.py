"""Issue 5's journey in a real browser: import SIAO referrals (CSV) → open an available unit → ranked households
with the reasons of their score → propose → declined with a reason → propose the next → accepted → ready for
the lease."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import OPEN_PROPOSAL_STATUSES, Proposal, ProposalStatus
from capture.models import IMLMode, StockEntry, StockStatus, Unit
from passerelle.db import db
from passerelle.demo import DEMO_PASSWORD
from passerelle.models import Organisation
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser

STAFF = "agent.asso@demo.passerelle.test"


def _free_unit(app: Flask) -> tuple[int, str]:
    """An available sous-location unit of the association (2 or 3 rooms) with no proposal under way."""
    with Session(db.engine_for(app)) as session:
        busy = select(Proposal.stock_entry_id).where(Proposal.status.in_(OPEN_PROPOSAL_STATUSES))
        row = session.execute(
            select(StockEntry.id, Unit.address)
            .join(Unit, Unit.id == StockEntry.unit_id)
            .join(Organisation, Organisation.id == StockEntry.operator_id)
            .where(
                Organisation.email == "contact@toit-dabord.demo.passerelle.test",
                StockEntry.status == StockStatus.AVAILABLE,
                StockEntry.mode == IMLMode.SUBLEASE,
                Unit.rooms.in_((2, 3)),
                StockEntry.id.not_in(busy),
            )
            .order_by(StockEntry.id)
            .limit(1)
        ).one()
        return row.id, row.address


def _csv(tmp_path) -> str:  # type: ignore[no-untyped-def]
    year = date.today().year
    today = date.today().strftime("%d/%m/%Y")
    lines = [
        "reference_siao;date_orientation;situation;adultes;salaires;rsa;revenu_fiscal_reference;"
        "annee_revenu_fiscal;communes_souhaitees;priorites;intensite_accompagnement;date_consentement",
        f"E2E-0001;{today};rue;{year - 34};450;420;5000;{year - 2};62041;dalo;léger;{today}",
        f"E2E-0002;{today};hébergement d'urgence;{year - 41};900;;6000;{year - 2};62041;;léger;{today}",
    ]
    path = tmp_path / "orientations-siao.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_matching_journey(page, live_app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(STAFF)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # 1. Import the SIAO export.
    page.goto("/agence/menages/import")
    page.get_by_label("Fichier CSV").set_input_files(_csv(tmp_path))
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_text("2 ménage(s) enregistré(s)", exact=False)).to_be_visible()

    # The imported file, as staff see it; a bad referral typed by hand is refused in French.
    page.get_by_role("link", name="E2E-0001").click()
    expect(page.get_by_role("heading", name=re.compile("Ménage E2E-0001"))).to_be_visible()
    screenshot(page, "household-file")
    page.goto("/agence/menages/nouveau")
    page.get_by_role("button", name="Enregistrer l'orientation").click()
    expect(page.get_by_role("heading", name="Le formulaire contient des erreurs")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Référence SIAO")).first).to_be_visible()
    screenshot(page, "household-form-errors")

    # 2. Open an available unit from the stock list.
    entry_id, address = _free_unit(live_app)
    page.goto("/agence/logements-disponibles")
    page.get_by_role("link", name=address).first.click()
    expect(page.get_by_role("heading", name="Ménages pour ce logement")).to_be_visible()

    # 3. Ranked households with the reasons of their score.
    expect(page.get_by_role("heading", name=re.compile("ménages éligibles"))).to_be_visible()
    show_all = page.get_by_role("link", name=re.compile("^Afficher les"))
    if show_all.count():
        show_all.first.click()
    first = page.get_by_role("listitem").filter(has_text="E2E-0001")
    expect(first).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="E2E-0002")).to_be_visible()
    first.get_by_text("Voir le détail du score").click()
    expect(first.get_by_text("Taux d'effort", exact=False).first).to_be_visible()
    screenshot(page, "matching-unit-ranked")

    # 4. Propose to the first; the household declines, with a reason.
    page.get_by_role("button", name="Proposer ce logement au ménage E2E-0001").click()
    expect(page.get_by_text("Proposé", exact=True).first).to_be_visible()
    page.get_by_label("Motif du refus").select_option("household_location")
    page.get_by_label("Précisions").fill("Trop loin de l'école des enfants.")
    page.get_by_role("button", name="Enregistrer le refus").click()
    expect(page.get_by_text("Refus enregistré", exact=False)).to_be_visible()
    expect(page.get_by_text("Le ménage refuse : localisation", exact=False).first).to_be_visible()

    # 5. Propose the next household: visit, acceptance, ready for the lease (sous-location: no owner step).
    page.goto(f"/agence/logements-disponibles/{entry_id}?tous=1")
    page.get_by_role("button", name="Proposer ce logement au ménage E2E-0002").click()
    expect(page.get_by_text("Logement proposé au ménage E2E-0002")).to_be_visible()
    for action, step in (
        ("Visite organisée", "Visite"),
        ("Le ménage accepte", "Accepté par le ménage"),
        ("Prêt pour le bail", "Prêt pour le bail"),
    ):
        page.get_by_role("button", name=action).click()
        expect(page.get_by_text(f"Étape enregistrée : {step}.")).to_be_visible()
    expect(page.locator(".badge", has_text="Prêt pour le bail")).to_be_visible()
    screenshot(page, "matching-ready-for-lease")

    # The global proposal compares the optimal set of pairs with one-by-one allocation.
    page.goto("/agence/proposition-globale")
    expect(page.get_by_text("Un logement après l'autre").first).to_be_visible()
    screenshot(page, "matching-global")

    with Session(db.engine_for(live_app)) as session:
        proposals = session.scalars(
            select(Proposal).where(Proposal.stock_entry_id == entry_id).order_by(Proposal.id)
        ).all()
        assert [(p.household.siao_reference, p.status) for p in proposals[-2:]] == [
            ("E2E-0001", ProposalStatus.DECLINED),
            ("E2E-0002", ProposalStatus.READY_FOR_LEASE),
        ]
        assert proposals[-1].snapshot["terms"], "the score at proposal time is kept"
