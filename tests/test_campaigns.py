"""Campaigns on a real database: CRUD, the all-or-nothing lead import, figures, letters, pages and permissions."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from capture.models import (
    Campaign,
    CampaignChannel,
    CaptureCase,
    CaptureStage,
    CaptureStageChange,
    Landlord,
    LandlordKind,
    LeadSource,
)
from capture.operations import campaigns as ops
from capture.operations.cases import CaptureError, open_capture_case
from capture.queries import campaigns as queries
from capture.rules import lead_import
from passerelle.models import AuditEntry, Commune, Organisation, OrganisationKind, Role, User
from tests.conftest import login_as
from tests.factories import Factory

TODAY = date(2026, 11, 22)
HEADER = (
    "nom_proprietaire;adresse_proprietaire;code_postal_proprietaire;ville_proprietaire;"
    "adresse_logement;commune;duree_vacance_mois"
)


@dataclass
class Setting:
    operator: Organisation
    other_operator: Organisation
    staff: User
    other_staff: User
    metro: User
    campaign: Campaign


@pytest.fixture
def setting(session: Session, make: Factory) -> Setting:
    arras = make.commune("62041", "Arras")
    achicourt = make.commune("62004", "Achicourt")
    lens = make.commune("62498", "Lens")  # outside the territory
    territory = make.territory(communes=[arras, achicourt])
    operator = make.organisation(kind=OrganisationKind.AIS, territory=territory, name="AIS de l'Artois")
    operator.address, operator.phone = "12 rue de la Demo, 62000 Arras", "03 21 00 00 01"
    other = make.organisation(kind=OrganisationKind.ASSOCIATION, territory=territory)
    metropolis = make.organisation(kind=OrganisationKind.METROPOLIS, territory=territory)
    staff = make.staff(operator, full_name="Claire Martin")
    campaign = ops.create_campaign(
        session,
        territory=territory,
        organisation=operator,
        name="Courriers vacance 2026",
        channel=CampaignChannel.LETTERS,
        starts_on=date(2026, 10, 1),
        ends_on=date(2026, 12, 31),
        cost=Decimal("1000"),
        communes=["62041"],
        letter_body="Madame, Monsieur,\n\nVotre logement du {adresse_logement} à {commune} nous intéresse, {nom}.",
        by=staff,
    )
    assert lens.insee == "62498"
    return Setting(operator, other, staff, make.staff(other), make.metro_user(metropolis), campaign)


def lead_file(*lines: str) -> lead_import.LeadFile:
    return lead_import.read_lead_file(("\n".join([HEADER, *lines]) + "\n").encode(), "liste.csv")


def line(n: int, commune: str = "62041") -> str:
    return f"Propriétaire {n};{n} rue des Lilas;62000;Arras;{n} rue du Logement;{commune};{n}"


def count(session: Session, model: type, *where: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def owner(session: Session, name: str, address: str, *, do_not_contact: bool) -> Landlord:
    """An owner known without a portal account (e.g. one who phoned to say « do not write to me again »)."""
    landlord = Landlord(kind=LandlordKind.PERSON, name=name, address=address, do_not_contact=do_not_contact)
    session.add(landlord)
    session.flush()
    return landlord


def import_audits(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "capture_case.import")))


# --- import ---------------------------------------------------------------------------------------


def test_import_creates_one_case_per_lead(session: Session, setting: Setting) -> None:
    report = ops.import_leads(
        session,
        operator=setting.operator,
        file=lead_file(line(1), line(2), "SCI Les Tilleuls;4 place du Marché;62000;Arras;5 bis rue Neuve;Achicourt;0"),
        campaign=setting.campaign,
        by=setting.staff,
        today=TODAY,
    )

    assert (report.imported, report.created, report.rejected) == (True, 3, [])
    cases = list(session.scalars(select(CaptureCase).where(CaptureCase.campaign_id == setting.campaign.id)))
    assert len(cases) == 3
    tilleuls = next(case for case in cases if case.contact_name == "SCI Les Tilleuls")
    assert tilleuls.owner_address == "4 place du Marché, 62000 Arras"
    assert (tilleuls.unit_address, tilleuls.commune_insee, tilleuls.vacancy_months) == ("5 bis rue Neuve", "62004", 0)
    assert (tilleuls.stage, tilleuls.source, tilleuls.next_action_on) == (CaptureStage.NEW, LeadSource.CAMPAIGN, TODAY)
    assert tilleuls.operator_id == setting.operator.id
    assert count(session, CaptureStageChange, CaptureStageChange.case_id.in_([c.id for c in cases])) == 3
    (entry,) = import_audits(session)
    assert (entry.object_type, entry.object_id, entry.actor_id) == (
        "campaign",
        str(setting.campaign.id),
        setting.staff.id,
    )
    assert entry.details == {
        "source": "campaign",
        "file": "liste.csv",
        "lines": 3,
        "created": 3,
        "excluded": 0,
        "already_followed": 0,
    }


def test_one_bad_line_and_nothing_is_imported(session: Session, setting: Setting) -> None:
    before = count(session, CaptureCase)
    lines = [line(n) for n in range(1, 1001)]
    lines[41] = line(42).replace(";62000;", ";620;")  # physical line 43
    lines[998] = line(999, commune="Lens")  # physical line 1000: outside the territory
    report = ops.import_leads(
        session,
        operator=setting.operator,
        file=lead_file(*lines),
        campaign=setting.campaign,
        by=setting.staff,
        today=TODAY,
    )
    assert report.imported is False
    assert [r.line for r in report.rejected] == [43, 1000]
    assert report.created == 0
    assert count(session, CaptureCase) == before
    assert import_audits(session) == []


def test_a_failure_half_way_leaves_no_case(session: Session, setting: Setting, monkeypatch: pytest.MonkeyPatch) -> None:
    before = count(session, CaptureCase)
    opened: list[CaptureCase] = []

    def failing_open(*args: object, **kwargs: object) -> CaptureCase:
        if len(opened) == 2:
            raise RuntimeError("database gone")
        case = open_capture_case(*args, **kwargs)  # type: ignore[arg-type]
        opened.append(case)
        return case

    monkeypatch.setattr(ops, "open_capture_case", failing_open)
    with pytest.raises(RuntimeError):
        ops.import_leads(
            session,
            operator=setting.operator,
            file=lead_file(line(1), line(2), line(3)),
            campaign=setting.campaign,
            by=setting.staff,
            today=TODAY,
        )
    assert len(opened) == 2
    assert count(session, CaptureCase) == before


def test_units_already_followed_are_skipped(session: Session, setting: Setting, make: Factory) -> None:
    first = ops.import_leads(
        session,
        operator=setting.operator,
        file=lead_file(line(1)),
        campaign=setting.campaign,
        by=setting.staff,
        today=TODAY,
    )
    assert first.created == 1
    existing = session.scalar(select(CaptureCase).where(CaptureCase.unit_address == "1 rue du Logement"))
    assert existing is not None
    # A unit the owner declared on the portal counts as followed too.
    declared = make.unit(address="7 avenue Foch", commune=session.get_one(Commune, "62041"))
    portal_case = open_capture_case(
        session, operator=setting.operator, source=LeadSource.PORTAL, by=None, unit=declared
    )
    # Operator 2 following a unit does not stop operator 1 from importing it.
    ops.import_leads(
        session, operator=setting.other_operator, file=lead_file(line(3)), by=setting.other_staff, today=TODAY
    )

    report = ops.import_leads(
        session,
        operator=setting.operator,
        file=lead_file(
            "Autre nom;9 rue Z;62000;Arras;1, Rue du logement;Arras;4",
            "Quelqu'un;2 rue Y;62000;Arras;7 av. Foch;62041;2",
            line(3),
        ),
        campaign=setting.campaign,
        by=setting.staff,
        today=TODAY,
    )
    assert report.imported is True
    assert [(r.line, r.message) for r in report.already_followed] == [
        (2, f"déjà suivi (dossier n° {existing.id})"),
        (3, f"déjà suivi (dossier n° {portal_case.id})"),
    ]
    assert report.created == 1
    assert count(session, CaptureCase, CaptureCase.operator_id == setting.operator.id) == 3
    assert import_audits(session)[-1].details["already_followed"] == 2


def test_do_not_contact_owners_are_excluded(session: Session, setting: Setting, make: Factory) -> None:
    owner(session, "Jean Dupont", "12 boulevard Victor Hugo", do_not_contact=True)
    owner(session, "Paul Durand", "3 rue A", do_not_contact=False)
    report = ops.import_leads(
        session,
        operator=setting.operator,
        file=lead_file(
            "DUPONT Jean;12 bd Victor-Hugo;62000;Arras;5 rue X;62041;3",
            "Paul Durand;3 rue A;62000;Arras;6 rue X;62041;3",
        ),
        campaign=setting.campaign,
        by=setting.staff,
        today=TODAY,
    )
    assert [(r.line, r.message) for r in report.excluded] == [(2, "exclu : ne souhaite pas être contacté")]
    assert report.created == 1
    names = set(session.scalars(select(CaptureCase.contact_name).where(CaptureCase.campaign_id == setting.campaign.id)))
    assert names == {"Paul Durand"}


def test_import_source_without_campaign_and_foreign_campaign(session: Session, setting: Setting, make: Factory) -> None:
    report = ops.import_leads(
        session, operator=setting.operator, file=lead_file(line(1)), by=setting.staff, today=TODAY
    )
    case = session.scalar(select(CaptureCase).where(CaptureCase.contact_name == "Propriétaire 1"))
    assert case is not None
    assert (report.created, case.source, case.campaign_id) == (1, LeadSource.PARTNER, None)
    with pytest.raises(CaptureError, match="autre opérateur"):
        ops.import_leads(
            session,
            operator=setting.other_operator,
            file=lead_file(line(2)),
            campaign=setting.campaign,
            by=setting.other_staff,
            today=TODAY,
        )
    with pytest.raises(CaptureError, match="rattachées à une campagne"):
        ops.import_leads(
            session,
            operator=setting.operator,
            file=lead_file(line(2)),
            source=LeadSource.CAMPAIGN,
            by=setting.staff,
            today=TODAY,
        )


def test_thousand_good_lines_import_quickly(session: Session, setting: Setting) -> None:
    file = lead_file(*(line(n) for n in range(1, 1001)))
    started = time.perf_counter()
    report = ops.import_leads(
        session, operator=setting.operator, file=file, campaign=setting.campaign, by=setting.staff, today=TODAY
    )
    elapsed = time.perf_counter() - started
    assert report.created == 1000
    assert count(session, CaptureCase, CaptureCase.campaign_id == setting.campaign.id) == 1000
    assert elapsed < 20, f"1 000 pistes importées en {elapsed:.1f} s"


# --- campaign CRUD and figures ----------------------------------------------------------------------


def test_create_campaign_is_audited(session: Session, setting: Setting) -> None:
    campaign = setting.campaign
    assert (campaign.organisation_id, campaign.cost, [c.insee for c in campaign.communes]) == (
        setting.operator.id,
        Decimal("1000.00"),
        ["62041"],
    )
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign.create"))
    assert entry is not None
    assert (entry.object_id, entry.details["communes"], entry.details["channel"]) == (
        str(campaign.id),
        ["62041"],
        "letters",
    )


def test_update_campaign_records_what_changed(session: Session, setting: Setting) -> None:
    campaign = setting.campaign
    ops.update_campaign(session, campaign, by=setting.staff, cost=Decimal("1250.5"), communes=["62041", "62004"])
    assert campaign.cost == Decimal("1250.50")
    assert [c.insee for c in campaign.communes] == ["62004", "62041"]  # ordered by name: Achicourt, Arras
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign.update"))
    assert entry is not None
    assert entry.details["changed"] == ["communes", "cost"]
    assert entry.details["cost"] == "1250.50"
    # Saving the same values again changes nothing and logs nothing.
    ops.update_campaign(session, campaign, by=setting.staff, cost=Decimal("1250.50"))
    assert count(session, AuditEntry, AuditEntry.action == "campaign.update") == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_on": date(2026, 9, 30)}, "ne peut pas précéder"),
        ({"cost": Decimal("-1")}, "positif ou nul"),
        ({"communes": ["62498"]}, "hors du territoire : 62498"),
        ({"communes": []}, "au moins une commune"),
        ({"name": "  "}, "nom"),
        ({"letter_body": "Bonjour {prenom} de {commune}"}, r"\{prenom\}"),
    ],
)
def test_invalid_campaign_changes_are_refused_and_change_nothing(
    session: Session, setting: Setting, changes: dict[str, object], message: str
) -> None:
    campaign = setting.campaign
    with pytest.raises(CaptureError, match=message):
        ops.update_campaign(session, campaign, by=setting.staff, **changes)
    assert (campaign.ends_on, campaign.cost, len(campaign.communes)) == (date(2026, 12, 31), Decimal("1000.00"), 1)


def test_only_an_operator_of_the_territory_runs_a_campaign(session: Session, setting: Setting, make: Factory) -> None:
    elsewhere = make.organisation(kind=OrganisationKind.AIS)
    with pytest.raises(CaptureError, match="opérateur du territoire"):
        ops.create_campaign(
            session,
            territory=setting.operator.territory,  # type: ignore[arg-type]
            organisation=elsewhere,
            name="X",
            channel=CampaignChannel.POSTERS,
            starts_on=TODAY,
            ends_on=TODAY,
            cost=Decimal("0"),
            communes=["62041"],
            by=setting.staff,
        )


def test_figures_count_leads_captures_and_cost_per_capture(session: Session, setting: Setting) -> None:
    ops.import_leads(
        session,
        operator=setting.operator,
        file=lead_file(*(line(n) for n in range(1, 8))),
        campaign=setting.campaign,
        by=setting.staff,
        today=TODAY,
    )
    cases = list(session.scalars(select(CaptureCase).where(CaptureCase.campaign_id == setting.campaign.id)))
    for case in cases[:3]:
        case.stage = CaptureStage.SIGNED
    cases[3].stage = CaptureStage.CONTACTED
    session.flush()
    empty = ops.create_campaign(
        session,
        territory=setting.operator.territory,  # type: ignore[arg-type]
        organisation=setting.operator,
        name="Affiches",
        channel=CampaignChannel.POSTERS,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
        cost=Decimal("300"),
        communes=["62004"],
        by=setting.staff,
    )

    rows = queries.campaign_figures(session, organisation_id=setting.operator.id)
    assert [(row.campaign.name, row.leads, row.captured) for row in rows] == [
        ("Affiches", 0, 0),  # newest first
        ("Courriers vacance 2026", 7, 3),
    ]
    assert rows[0].cost_per_captured is None
    assert rows[1].cost_per_captured == Decimal("333.33")  # 1 000 € / 3
    assert queries.campaign_figures(session, organisation_id=setting.other_operator.id) == []
    assert len(queries.campaign_figures(session, territory_id=setting.operator.territory_id)) == 2
    stages = queries.stage_counts(session, setting.campaign)
    assert (stages[CaptureStage.NEW], stages[CaptureStage.CONTACTED], stages[CaptureStage.SIGNED]) == (3, 1, 3)
    assert queries.figures_of(session, empty).leads == 0


# --- letters ----------------------------------------------------------------------------------------


def test_letters_go_to_new_leads_with_an_address_and_respect_do_not_contact(
    session: Session, setting: Setting, make: Factory
) -> None:
    ops.import_leads(
        session,
        operator=setting.operator,
        file=lead_file(line(1), line(2), line(3), "Jean Dupont;12 rue Haute;62000;Arras;4 rue X;62041;3"),
        campaign=setting.campaign,
        by=setting.staff,
        today=TODAY,
    )
    cases = {
        c.contact_name: c
        for c in session.scalars(select(CaptureCase).where(CaptureCase.campaign_id == setting.campaign.id))
    }
    cases["Propriétaire 2"].stage = CaptureStage.CONTACTED  # already reached: no prospecting letter
    # After the import, Jean Dupont asks not to be contacted.
    owner(session, "DUPONT Jean", "12 rue Haute", do_not_contact=True)
    # A phone lead of the campaign without a postal address.
    phone = open_capture_case(
        session, operator=setting.operator, source=LeadSource.CAMPAIGN, by=None, contact={"name": "Sans adresse"}
    )
    phone.campaign_id = setting.campaign.id
    session.flush()

    batch = queries.campaign_letters(session, setting.campaign, signatory=setting.staff, today=TODAY)
    assert batch.document is not None
    assert [letter.recipient_name for letter in batch.document.letters] == ["Propriétaire 1", "Propriétaire 3"]
    first = batch.document.letters[0]
    assert first.recipient_address_lines == ("1 rue des Lilas", "62000 ARRAS")
    assert (first.unit_address, first.commune, first.reference) == (
        "1 rue du Logement",
        "Arras",
        f"dossier n° {cases['Propriétaire 1'].id}",
    )
    assert (batch.without_address, batch.do_not_contact) == (1, 1)
    assert (batch.document.city, batch.document.signatory) == ("Arras", "Claire Martin")
    assert batch.document.operator_address_lines == ("12 rue de la Demo", "62000 Arras")


# --- pages ------------------------------------------------------------------------------------------


def test_campaign_pages(client: FlaskClient, session: Session, setting: Setting) -> None:
    login_as(client, setting.staff)
    page = client.get("/captation/campagnes")
    assert page.status_code == 200
    assert "Courriers vacance 2026" in page.get_data(as_text=True)

    new = client.get("/captation/campagnes/nouvelle")
    assert new.status_code == 200
    assert "{adresse_logement}" in new.get_data(as_text=True)  # the default letter is offered
    created = client.post(
        "/captation/campagnes/nouvelle",
        data={
            "name": "Affiches printemps",
            "channel": "posters",
            "starts_on": "2026-03-01",
            "ends_on": "2026-04-30",
            "cost": "1 250,50",
            "communes": ["62041", "62004"],
            "letter_body": "",
        },
    )
    assert created.status_code == 302
    campaign = session.scalar(select(Campaign).where(Campaign.name == "Affiches printemps"))
    assert campaign is not None
    assert (campaign.cost, len(campaign.communes), campaign.organisation_id) == (
        Decimal("1250.50"),
        2,
        setting.operator.id,
    )

    refused = client.post(
        f"/captation/campagnes/{campaign.id}",
        data={
            "name": "Affiches",
            "channel": "posters",
            "starts_on": "2026-03-01",
            "ends_on": "2026-02-01",
            "cost": "0",
        },
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert "ne peut pas précéder son début" in body
    assert "Choisissez au moins une commune ciblée" in body
    session.refresh(campaign)
    assert campaign.name == "Affiches printemps"


def test_import_page_lists_rejected_lines_and_imports_nothing(
    client: FlaskClient, session: Session, setting: Setting
) -> None:
    login_as(client, setting.staff)
    url = f"/captation/campagnes/{setting.campaign.id}/import"
    assert client.get(url).status_code == 200
    content = "\n".join([HEADER, line(1), line(2)[:-1] + "deux", line(3)]) + "\n"
    before = count(session, CaptureCase)
    response = client.post(
        url, data={"file": (io.BytesIO(content.encode()), "liste.csv")}, content_type="multipart/form-data"
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Rien n'a été importé&nbsp;: 1 ligne(s) rejetée(s) sur 3." in body
    assert "duree_vacance_mois : nombre entier invalide « deux »" in body
    assert '<th scope="row" class="num">3</th>' in body
    assert count(session, CaptureCase) == before

    good = "\n".join([HEADER, line(1), line(2)]) + "\n"
    response = client.post(
        url, data={"file": (io.BytesIO(good.encode("utf-8-sig")), "liste.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert "2 piste(s) créée(s)" in response.get_data(as_text=True)
    assert count(session, CaptureCase) == before + 2

    unreadable = client.post(
        url, data={"file": (io.BytesIO("é;è".encode("latin-1")), "liste.csv")}, content_type="multipart/form-data"
    )
    assert "encodé en UTF-8" in unreadable.get_data(as_text=True)


def test_letters_download_is_a_pdf_and_is_audited(client: FlaskClient, session: Session, setting: Setting) -> None:
    login_as(client, setting.staff)
    url = f"/captation/campagnes/{setting.campaign.id}/courriers.pdf"
    empty = client.get(url)
    assert empty.status_code == 302  # no lead yet: back to the campaign with a message
    ops.import_leads(
        session,
        operator=setting.operator,
        file=lead_file(line(1), line(2)),
        campaign=setting.campaign,
        by=setting.staff,
        today=TODAY,
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "private, no-store"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 2
    assert "Propriétaire 2" in reader.pages[1].extract_text()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign.letters"))
    assert entry is not None
    assert (entry.actor_id, entry.details["letters"], len(entry.details["case_ids"])) == (setting.staff.id, 2, 2)


def test_other_operators_and_other_roles_cannot_reach_a_campaign(
    app: Flask, client: FlaskClient, session: Session, setting: Setting, make: Factory
) -> None:
    ops.import_leads(
        session,
        operator=setting.operator,
        file=lead_file(line(1)),
        campaign=setting.campaign,
        by=setting.staff,
        today=TODAY,
    )
    campaign_id = setting.campaign.id
    urls = [
        ("GET", f"/captation/campagnes/{campaign_id}"),
        ("POST", f"/captation/campagnes/{campaign_id}"),
        ("GET", f"/captation/campagnes/{campaign_id}/import"),
        ("POST", f"/captation/campagnes/{campaign_id}/import"),
        ("GET", f"/captation/campagnes/{campaign_id}/courriers.pdf"),
    ]
    login_as(client, setting.other_staff)
    assert [client.open(url, method=method).status_code for method, url in urls] == [404] * 5
    listing = client.get("/captation/campagnes").get_data(as_text=True)
    assert "Courriers vacance 2026" not in listing
    for user in (setting.metro, make.user(Role.LANDLORD), make.user(Role.ADMIN)):
        login_as(client, user)
        assert [client.open(url, method=method).status_code for method, url in urls] == [403] * 5
    assert count(session, AuditEntry, AuditEntry.action == "campaign.letters") == 0
