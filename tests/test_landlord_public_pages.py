"""Public landlord pages and the « be called back » form, through the Flask client."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from capture.models import CaptureCase, CaptureStage, IMLMode, LeadSource, RoutingRule
from landlord_portal.public_views import find_commune, public_source
from passerelle.extensions import limiter
from passerelle.formatting import long_date, money, percent
from passerelle.mail import outbox
from passerelle.models import Commune, Organisation, OrganisationKind, Role, User
from passerelle.reference import importers
from passerelle.reference.queries import parameter_at
from tests.conftest import login_as
from tests.factories import Factory

PAGES = {
    "/proprietaire/intermediation-locative": "L'intermédiation locative, comment ça marche",
    "/proprietaire/formules": "Les trois formules pour confier votre logement",
    "/proprietaire/garanties": "Les garanties qui protègent votre loyer",
    "/proprietaire/engagement-loc-avantages": "L'engagement Loc'Avantages",
    "/proprietaire/questions-frequentes": "Questions fréquentes des propriétaires",
    "/proprietaire/etre-rappele": "Être rappelé par un conseiller",
    "/proprietaire/etre-rappele/merci": "Votre demande de rappel est enregistrée",
}
CALLBACK = "/proprietaire/etre-rappele"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app: Flask) -> None:
    """The call-back form is rate limited per address; every test starts (and ends) with a clean count."""
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()


@pytest.fixture
def parameters(session: Session) -> None:
    importers.import_parameters(session, importers.DEFAULT_PARAMETERS_FILE)


def _html(response) -> str:  # type: ignore[no-untyped-def]
    # Jinja escapes apostrophes in values: compare texts as a reader sees them.
    return response.get_data(as_text=True).replace("&#39;", "'").replace("&nbsp;", "\u00a0")


def _h1(page: str) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", page, flags=re.S)


def _value(session: Session, key: str):  # type: ignore[no-untyped-def]
    return parameter_at(session, key, date.today()).value


def _cases(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CaptureCase)) or 0


# --- Pages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "h1"), PAGES.items())
def test_every_public_page_answers_anonymous_visitors_with_one_h1(
    client: FlaskClient, parameters: None, url: str, h1: str
) -> None:
    response = client.get(url)
    assert response.status_code == 200
    page = _html(response)
    headings = _h1(page)
    assert len(headings) == 1 and h1 in headings[0]
    assert re.search(r"<title>[^<]+ — Passerelle</title>", page)
    # The sub-navigation links every page to the others.
    for other in [u for u in PAGES if not u.endswith("/merci")]:
        assert f'href="{other}"' in page


@pytest.mark.parametrize("url", [u for u in PAGES if u != CALLBACK])
def test_pages_call_to_action_and_simulator_link(app: Flask, client: FlaskClient, url: str) -> None:
    page = _html(client.get(url))
    assert 'href="/proprietaire/etre-rappele"' in page
    assert 'href="/inscription"' in page  # « Créer un compte »
    with app.test_request_context():
        from flask import url_for

        simulator = url_for("landlord_portal.simulator") if "landlord_portal.simulator" in app.view_functions else None
    if simulator:
        assert f'href="{simulator}"' in page and "Simuler mes avantages" in page
    else:
        assert "Simuler mes avantages" not in page


def test_pages_render_without_parameters_and_show_a_dash(client: FlaskClient) -> None:
    """No parameter valid today (fresh database): every page still renders, with « — » for the figures."""
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
    assert "—" in _html(client.get("/proprietaire/formules"))


def test_modes_page_compares_the_three_modes_with_premiums_from_the_parameters(
    client: FlaskClient, session: Session, parameters: None
) -> None:
    page = _html(client.get("/proprietaire/formules"))
    for mode in IMLMode:
        assert mode.label in page
    assert "<table" in page and 'scope="row"' in page and "<caption>" in page
    assert money(_value(session, "anah.iml_premium.mandate"), cents=False) in page
    assert money(_value(session, "anah.iml_premium.sublease"), cents=False) in page
    assert money(_value(session, "anah.iml_premium.small_unit_bonus"), cents=False) in page
    assert f"{_value(session, 'bail_glissant.review_months')}\u00a0mois" in page
    assert percent(_value(session, "targets.iml_mandate_share")) in page
    assert "même si le logement est vide ou si le loyer n'est pas payé" in page
    assert "Quelle formule est faite pour moi" in page
    assert "Sources des chiffres de cette page" in page
    assert "domain.md" not in page  # internal references never reach the public


def test_guarantees_page_shows_todays_visale_caps(client: FlaskClient, session: Session, parameters: None) -> None:
    page = _html(client.get("/proprietaire/garanties"))
    for key in ("visale.rent_cap.idf", "visale.rent_cap.large_agglomeration", "visale.rent_cap.other"):
        assert money(_value(session, key), cents=False) in page
    assert f"{_value(session, 'visale.cover.unpaid_rent_max_months')}\u00a0mois" in page
    since = parameter_at(session, "visale.rent_cap.idf", date.today()).valid_from
    assert long_date(since) in page
    for word in ("FSL", "fonds de garantie", "GLI", "remis en état à ses frais"):
        assert word in page


def test_commitment_page_shows_rates_calendar_and_deadlines(
    client: FlaskClient, session: Session, parameters: None
) -> None:
    page = _html(client.get("/proprietaire/engagement-loc-avantages"))
    assert f"{_value(session, 'locavantages.convention_years.standard')}\u00a0ans" in page
    for level in ("loc1", "loc2", "loc3"):
        assert percent(_value(session, f"locavantages.tax_reduction.iml.{level}")) in page
        assert "−" + percent(_value(session, f"locavantages.discount.{level}")) in page
    assert "non autorisée" in page  # Loc3 without IML
    assert "Loc3 n'est possible qu'avec l'intermédiation locative" in page
    for key in ("decence.dpe_ban.G", "decence.dpe_ban.F", "decence.dpe_ban.E", "locavantages.requests.end"):
        assert long_date(_value(session, key)) in page
    assert money(_value(session, "tax.niches_global_cap"), cents=False) in page
    assert "À confirmer" in page  # the unverified DPE minimum is flagged


def test_faq_has_at_least_ten_questions_that_work_without_javascript(client: FlaskClient, parameters: None) -> None:
    page = _html(client.get("/proprietaire/questions-frequentes"))
    questions = re.findall(r"<summary>(.*?)</summary>", page, flags=re.S)
    assert len(questions) >= 10
    assert page.count("<details>") == len(questions)
    for question in (
        "Vais-je être payé si le logement est vide",
        "Qui choisit le locataire",
        "Puis-je récupérer mon logement",
        "Que se passe-t-il en cas de dégradations",
        "Et si le ménage ne paie pas",
        "Mon logement est classé G",
        "Combien ça me coûte",
        "Dois-je faire des travaux",
        "Puis-je vendre pendant la convention",
    ):
        assert any(question in q for q in questions), question
    assert "<script" not in page


def test_public_source_drops_internal_references() -> None:
    assert public_source("Anah, Loc'Avantages (domain.md §3 ; montants : data/plafonds-ressources.csv)") == (
        "Anah, Loc'Avantages"
    )
    assert public_source("Service-public.fr (domain.md §8) ; valid_from : convention du fichier") == (
        "Service-public.fr"
    )


def test_logged_in_landlord_sees_public_pages_and_a_prefilled_form(client: FlaskClient, make: Factory) -> None:
    landlord = make.user(Role.LANDLORD, full_name="Claire Martin", phone="06 11 22 33 44")
    login_as(client, landlord)
    assert client.get("/proprietaire/formules").status_code == 200
    page = _html(client.get(CALLBACK))
    assert 'value="Claire Martin"' in page and 'value="06 11 22 33 44"' in page


# --- « Be called back » -----------------------------------------------------------------------------------


@dataclass
class Territory:
    arras: Commune
    orphan: Commune
    operator: Organisation
    staff: User


@pytest.fixture
def territory(make: Factory, session: Session) -> Territory:
    arras = make.commune("62041", "Arras")
    orphan = make.commune("80021", "Amiens")  # in no territory: no operator serves it
    area = make.territory(name="Communauté urbaine d'Arras", communes=[arras])
    operator = make.organisation(kind=OrganisationKind.AIS, territory=area, name="AIS Artois Solidaire")
    session.add(RoutingRule(territory_id=area.id, commune_insee=None, mode=IMLMode.MANDATE, operator_id=operator.id))
    session.flush()
    staff = make.staff(operator, email="agent@ais-artois.fr")
    make.staff(operator, email="ancien@ais-artois.fr", is_active_account=False)
    make.staff(make.organisation(territory=area), email="autre@operateur.fr")
    return Territory(arras=arras, orphan=orphan, operator=operator, staff=staff)


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Jeanne Dupont",
        "phone": "06.12.34.56.78",
        "email": "jeanne.dupont@exemple.fr",
        "commune": "Arras",
        "mode": "mandate",
        "best_time": "En semaine après 18 h",
        "message": "Un T2 de 38 m² vide depuis un an.",
        "consent": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_valid_request_creates_one_lead_for_the_routed_operator_and_notifies_its_staff(
    app: Flask, client: FlaskClient, session: Session, territory: Territory
) -> None:
    response = client.post(CALLBACK, data=_form())
    assert response.status_code == 302
    assert response.headers["Location"] == "/proprietaire/etre-rappele/merci"

    case = session.scalars(select(CaptureCase)).one()
    assert case.source is LeadSource.CALLBACK
    assert case.stage is CaptureStage.NEW
    assert case.operator_id == territory.operator.id
    assert case.commune_insee == "62041"
    assert case.contact_name == "Jeanne Dupont"
    assert case.contact_phone == "06 12 34 56 78"
    assert case.contact_email == "jeanne.dupont@exemple.fr"
    assert "En semaine après 18 h" in case.contact_message and "Un T2" in case.contact_message

    sent = outbox(app)
    assert [mail.to for mail in sent] == ["agent@ais-artois.fr"]
    body = sent[0].subject + sent[0].body
    assert "commune Arras" in body
    assert app.config["BASE_URL"].rstrip("/") + "/captation/" in body
    for personal in ("Jeanne", "Dupont", "06 12", "0612", "jeanne.dupont", "Un T2", "18 h"):
        assert personal not in body

    thanks = _html(client.get(response.headers["Location"]))
    assert "AIS Artois Solidaire" in thanks and "Arras" in thanks
    assert "dans les prochains jours" in thanks


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+33 6 12 34 56 78", "06 12 34 56 78"),
        ("0033612345678", "06 12 34 56 78"),
        ("01-23-45-67-89", "01 23 45 67 89"),
    ],
)
def test_phone_formats_are_normalised(
    client: FlaskClient, session: Session, territory: Territory, typed: str, stored: str
) -> None:
    assert client.post(CALLBACK, data=_form(phone=typed)).status_code == 302
    assert session.scalars(select(CaptureCase.contact_phone)).one() == stored


def test_commune_by_insee_code_and_undecided_mode(client: FlaskClient, session: Session, territory: Territory) -> None:
    response = client.post(CALLBACK, data=_form(commune="62041", mode="undecided", email="", message=""))
    assert response.status_code == 302
    case = session.scalars(select(CaptureCase)).one()
    assert case.commune_insee == "62041" and case.contact_email is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phone": "12 34"}, "numéro français à 10 chiffres"),
        ({"phone": "+44 20 7946 0958"}, "numéro français à 10 chiffres"),
        ({"phone": ""}, "Ce champ est obligatoire."),
        ({"name": "  "}, "Ce champ est obligatoire."),
        ({"consent": None}, "Cochez cette case pour que l'opérateur puisse vous rappeler."),
        ({"email": "pas-une-adresse"}, "Saisissez une adresse e-mail valide"),
        ({"commune": "Atlantide"}, "Nous ne trouvons pas de commune « Atlantide »"),
        ({"commune": "62000"}, "Le code INSEE n'est pas le code postal"),
        ({"mode": "vente"}, "Choisissez une des formules proposées."),
        ({"message": "x" * 2001}, "Votre message ne doit pas dépasser 2\u00a0000 caractères."),
        ({"commune": "Amiens"}, "Aucun opérateur partenaire n'intervient encore dans cette commune"),
    ],
)
def test_invalid_requests_are_redisplayed_in_french_and_save_nothing(
    app: Flask, client: FlaskClient, session: Session, territory: Territory, overrides: dict, message: str
) -> None:
    response = client.post(CALLBACK, data=_form(**overrides))
    assert response.status_code == 200
    page = _html(response)
    assert message in page
    assert "Le formulaire contient des erreurs" in page
    assert "<title>Erreur dans le formulaire" in page
    assert _cases(session) == 0
    assert outbox(app) == []


def test_ambiguous_commune_offers_a_choice_then_accepts_it(
    client: FlaskClient, make: Factory, session: Session, territory: Territory
) -> None:
    twins = [make.commune("62757", "Sainte-Catherine"), make.commune("63326", "Sainte-Catherine")]
    territory.operator.territory.communes.extend(twins)
    session.flush()

    response = client.post(CALLBACK, data=_form(commune="sainte-catherine"))
    assert response.status_code == 200
    page = _html(response)
    assert "Plusieurs communes correspondent à « sainte-catherine »" in page
    assert '<fieldset class="pub-fieldset" id="commune_choice"' in page
    assert re.search(r'<input[^>]*type="radio"[^>]*value="62757"', page)
    assert "Sainte-Catherine (63) — code INSEE 63326" in page
    assert _cases(session) == 0

    response = client.post(CALLBACK, data=_form(commune="sainte-catherine", commune_choice="63326"))
    assert response.status_code == 302
    assert session.scalars(select(CaptureCase.commune_insee)).one() == "63326"


def test_prefix_matching_several_communes_is_ambiguous_and_a_unique_prefix_is_enough(
    make: Factory, session: Session
) -> None:
    make.commune("62001", "Ablain-Saint-Nazaire")
    make.commune("62002", "Ablainzevelle")
    make.commune("62003", "Acheville")
    ambiguous = find_commune(session, "Ablain")
    assert ambiguous.commune is None and {c.insee for c in ambiguous.candidates} == {"62001", "62002"}
    assert find_commune(session, "  ACHEV ").commune.insee == "62003"
    # A choice that does not match the typed text is ignored.
    assert find_commune(session, "Ablain", "62003").commune is None
    assert find_commune(session, "Ablain", "62002").commune.insee == "62002"


def test_other_errors_and_ambiguity_are_shown_together(
    client: FlaskClient, make: Factory, session: Session, territory: Territory
) -> None:
    make.commune("62004", "Arrasville")
    page = _html(client.post(CALLBACK, data=_form(commune="Arr", phone="123")))
    assert "Plusieurs communes correspondent" in page
    assert "numéro français à 10 chiffres" in page
    assert _cases(session) == 0


def test_csrf_token_is_required(
    client: FlaskClient, session: Session, territory: Territory, csrf_enabled: None
) -> None:
    assert client.post(CALLBACK, data=_form()).status_code == 400
    assert _cases(session) == 0
    page = client.get(CALLBACK).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    assert client.post(CALLBACK, data=_form(csrf_token=token.group(1))).status_code == 302


def test_successful_requests_are_rate_limited_per_address(
    app: Flask, client: FlaskClient, session: Session, territory: Territory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "CALLBACK_RATE_LIMIT", "2 per hour")
    # Invalid submissions do not count: an owner correcting a typo is never blocked.
    for _ in range(3):
        assert client.post(CALLBACK, data=_form(phone="1")).status_code == 200
    assert client.post(CALLBACK, data=_form()).status_code == 302
    assert client.post(CALLBACK, data=_form()).status_code == 302
    assert client.post(CALLBACK, data=_form()).status_code == 429
    assert client.get(CALLBACK).status_code == 200
    assert _cases(session) == 2


def test_thank_you_page_without_a_request_stays_generic(client: FlaskClient) -> None:
    page = _html(client.get("/proprietaire/etre-rappele/merci"))
    assert "L'opérateur qui intervient dans votre commune a reçu votre demande" in page
