"""axe-core (npm, node_modules/) on every main page of every role, on a desktop and a phone viewport.

Each (page, viewport) is one test: zero WCAG 2.0/2.1 A and AA violations of impact « serious » or
« critical ». axe runs in the page as the visitor gets it (real CSP, real responsive layout); it is injected
through the DevTools protocol, so nothing is downloaded at run time and the CSP stays untouched. Every
finding (including moderate and minor ones and best practices) is written to test-artifacts/axe-report.json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from capture import operations as capture_ops
from capture.models import CaptureCase, DeclarationStatus, IncidentKind, Landlord, Unit
from passerelle.auth.tokens import make_reset_token
from passerelle.db import db
from passerelle.demo import DEMO_PASSWORD
from passerelle.models import Organisation, User
from tests.conftest import IN_CI
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
VIEWPORTS = {"bureau": {"width": 1280, "height": 800}, "telephone": {"width": 390, "height": 844}}
LOGINS = {
    "proprietaire": "proprietaire@demo.passerelle.test",
    "agence": "agent.ais@demo.passerelle.test",
    "association": "agent.asso@demo.passerelle.test",
    "metropole": "metropole@demo.passerelle.test",
    "admin": "admin@demo.passerelle.test",
}


@dataclass(frozen=True)
class Target:
    """One page to check, reached by a fixed path or found at run time (see Visitors.path_of)."""

    role: str  # "anonyme" or a key of LOGINS
    name: str
    path: str = ""  # a path, or "simulation", "reset", "draft:<step>", "incident" (made at run time)
    found_on: str = ""  # list page whose first link matching `pattern` is the page (detail pages)
    pattern: str = ""
    suffix: str = ""  # appended to the found link (sub-pages of a detail page)
    submit: str = ""  # name of the button to press with the form left empty: the page shows its errors
    status: int = 200


def _detail(role: str, name: str, found_on: str, pattern: str, suffix: str = "") -> Target:
    return Target(role, name, found_on=found_on, pattern=pattern, suffix=suffix)


CASE = r"^/captation/dossiers/\d+$"
LEASE = r"^/agence/baux/\d+$"
HOUSEHOLD = r"^/agence/menages/\d+$"
UNIT = r"^/proprietaire/logements/\d+$"
PROPOSAL = r"^/agence/propositions/\d+$"

TARGETS = [
    # Anonymous visitors.
    Target("anonyme", "accueil", "/"),
    Target("anonyme", "simulateur", "/proprietaire/simulateur"),
    Target("anonyme", "simulateur-erreurs", "/proprietaire/simulateur", submit="Simuler|Calculer|Comparer"),
    Target("anonyme", "resultat-simulation", "simulation"),
    Target("anonyme", "connexion", "/login"),
    Target("anonyme", "connexion-erreurs", "/login", submit="Se connecter"),
    Target("anonyme", "inscription", "/inscription"),
    Target("anonyme", "inscription-erreurs", "/inscription", submit="Créer mon compte"),
    Target("anonyme", "inscription-envoyee", "/inscription/envoyee"),
    Target("anonyme", "mot-de-passe-oublie", "/mot-de-passe-oublie"),
    Target("anonyme", "nouveau-mot-de-passe", "reset"),
    Target("anonyme", "intermediation-locative", "/proprietaire/intermediation-locative"),
    Target("anonyme", "formules", "/proprietaire/formules"),
    Target("anonyme", "garanties", "/proprietaire/garanties"),
    Target("anonyme", "questions-frequentes", "/proprietaire/questions-frequentes"),
    Target("anonyme", "engagement-loc-avantages", "/proprietaire/engagement-loc-avantages"),
    Target("anonyme", "etre-rappele", "/proprietaire/etre-rappele"),
    Target("anonyme", "revision-du-loyer", "/proprietaire/revision-du-loyer"),
    Target("anonyme", "conditions-utilisation", "/conditions-utilisation"),
    Target("anonyme", "donnees-personnelles", "/donnees-personnelles"),
    Target("anonyme", "accessibilite", "/accessibilite"),
    Target("anonyme", "page-introuvable", "/page-introuvable", status=404),
    # Landlord.
    Target("proprietaire", "accueil", "/proprietaire/"),
    _detail("proprietaire", "logement", "/proprietaire/", UNIT),
    _detail("proprietaire", "signaler", "/proprietaire/", UNIT, "/signaler"),
    Target("proprietaire", "signalement", "incident:proprietaire"),
    _detail("proprietaire", "accord", "/proprietaire/", r"^/proprietaire/accords/\d+$"),
    Target("proprietaire", "nouveau-logement", "/proprietaire/logements/nouveau"),
    Target("proprietaire", "declaration-adresse", "draft:adresse"),
    Target("proprietaire", "declaration-logement", "draft:logement"),
    Target("proprietaire", "declaration-disponibilite", "draft:disponibilite"),
    Target("proprietaire", "declaration-documents", "draft:documents"),
    Target("proprietaire", "declaration-formule", "draft:formule"),
    Target("proprietaire", "coordonnees-bancaires", "/proprietaire/coordonnees-bancaires"),
    Target("proprietaire", "profil", "/proprietaire/profil"),
    Target("proprietaire", "revision-du-loyer", "/proprietaire/revision-du-loyer"),
    Target("proprietaire", "compte", "/compte"),
    Target("proprietaire", "mot-de-passe", "/compte/mot-de-passe"),
    # Agency staff (AIS: capture, households, matching; the association has the arrears and the reviews).
    Target("agence", "accueil", "/agence/"),
    Target("agence", "captation", "/captation/"),
    Target("agence", "tableau-captation", "/captation/tableau"),
    _detail("agence", "dossier-captation", "/captation/", CASE),
    _detail("agence", "visite", "/captation/", CASE, "/visite"),
    _detail("agence", "accord", "/captation/", CASE, "/accord"),
    Target("agence", "campagnes", "/captation/campagnes"),
    Target("agence", "nouvelle-campagne", "/captation/campagnes/nouvelle"),
    _detail("agence", "campagne", "/captation/campagnes", r"^/captation/campagnes/\d+$"),
    Target("agence", "indicateurs", "/captation/indicateurs"),
    Target("agence", "menages", "/agence/menages"),
    Target("agence", "nouveau-menage", "/agence/menages/nouveau"),
    Target("agence", "nouveau-menage-erreurs", "/agence/menages/nouveau", submit="Enregistrer|Créer|Ajouter"),
    Target("agence", "import-menages", "/agence/menages/import"),
    _detail("agence", "menage", "/agence/menages", HOUSEHOLD),
    _detail("agence", "menage-logements", "/agence/menages", HOUSEHOLD, "/logements"),
    Target("agence", "logements-disponibles", "/agence/logements-disponibles"),
    _detail("agence", "rapprochement", "/agence/logements-disponibles", r"^/agence/logements-disponibles/\d+$"),
    Target("agence", "proposition-globale", "/agence/proposition-globale"),
    Target("agence", "propositions", "/agence/propositions"),
    _detail("agence", "proposition", "/agence/propositions", PROPOSAL),
    Target("agence", "baux", "/agence/baux"),
    _detail("agence", "bail", "/agence/baux", LEASE),
    _detail("agence", "compte-locatif", "/agence/baux", LEASE, "/compte"),
    _detail("agence", "nouvelle-garantie", "/agence/baux", LEASE, "/garanties/nouvelle"),
    Target("agence", "loyers", "/agence/loyers"),
    Target("agence", "revisions", "/agence/revisions"),
    Target("agence", "releves", "/agence/proprietaires/releves"),
    Target("agence", "virements", "/agence/proprietaires/virements"),
    Target("agence", "signalements", "/agence/signalements"),
    Target("agence", "signalement", "incident:agence"),
    Target("agence", "reglages-baux", "/agence/reglages/baux"),
    Target("agence", "reglages-loyers", "/agence/reglages/loyers"),
    Target("agence", "reglages-rapprochement", "/agence/reglages/rapprochement"),
    Target("association", "impayes", "/agence/impayes"),
    _detail("association", "dossier-impaye", "/agence/impayes", r"^/agence/impayes/\d+$"),
    _detail("association", "compte-en-impaye", "/agence/impayes", r"^/agence/baux/\d+/compte$"),
    Target("association", "revues", "/agence/revues"),
    _detail("association", "revue", "/agence/revues", r"^/agence/baux/\d+/revues/\d+$"),
    _detail("association", "nouveau-bail", "/agence/propositions?etape=ready_for_lease", PROPOSAL, "/bail"),
    # Metropolis.
    Target("metropole", "accueil", "/metropole/"),
    Target("metropole", "tableau-de-bord", "/metropole/tableau-de-bord"),
    Target("metropole", "objectifs", "/metropole/objectifs"),
    Target("metropole", "compte", "/compte"),
    # Administrator.
    Target("admin", "accueil", "/admin/"),
    Target("admin", "utilisateurs", "/admin/utilisateurs"),
    Target("admin", "organisations", "/admin/organisations"),
    Target("admin", "referentiel", "/admin/referentiel"),
    Target("admin", "compte", "/compte"),
]

REPORT: dict[str, Any] = {}


class Visitors:
    """One browser context (and page) per role, logged in once, reused by every test of this module."""

    def __init__(self, browser: Any, live_app: Flask) -> None:
        self.browser = browser
        self.app = live_app
        self.base = live_app.config["BASE_URL"]
        self.pages: dict[str, Any] = {}
        self.found: dict[tuple[str, ...], str] = {}
        self.csp_errors: dict[str, list[str]] = {}
        self.shown: dict[str, Target] = {}  # the page each role's tab shows now, as checked by the last test

    def page(self, role: str) -> Any:
        if role not in self.pages:
            context = self.browser.new_context(base_url=self.base, locale="fr-FR")
            page = context.new_page()
            errors = self.csp_errors.setdefault(role, [])
            page.on("console", lambda message: _keep_csp_error(message, errors))
            if role != "anonyme":
                page.goto("/login")
                page.get_by_label("Adresse e-mail").fill(LOGINS[role])
                page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Se connecter").click()
                page.wait_for_url(re.compile(r"/(proprietaire|agence|metropole|admin)/$"))
            self.pages[role] = page
        return self.pages[role]

    def path_of(self, target: Target) -> str:
        kind, _, arg = target.path.partition(":")
        if kind == "simulation":
            return self._simulate(self.page(target.role))
        if kind == "reset":
            return f"/reinitialiser/{self._with_landlord(make_reset_token)}"
        if kind == "draft":
            return f"/proprietaire/logements/{self._with_landlord(_draft_unit_id)}/etape/{arg}"
        if kind == "incident":
            prefix = "/proprietaire/signalements/" if arg == "proprietaire" else "/agence/signalements/"
            return f"{prefix}{self._incident()}"
        if target.path:
            return target.path
        key = (target.role, target.found_on, target.pattern)
        if key not in self.found:
            page = self.page(target.role)
            page.goto(target.found_on)
            hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))")
            match = next((href for href in hrefs if re.match(target.pattern, href)), None)
            assert match, f"aucun lien {target.pattern} sur {target.found_on} (données de démonstration ?)"
            self.found[key] = match
        return self.found[key] + target.suffix

    def _simulate(self, page: Any) -> str:
        key = ("simulation",)
        if key not in self.found:
            page.goto("/proprietaire/simulateur")
            page.get_by_label("Commune").first.fill("Arras")
            page.get_by_label("Surface habitable").first.fill("45")
            page.get_by_label("Annexes").first.fill("6")
            page.get_by_label("Classe énergie").first.select_option("D")
            page.get_by_role("button", name=re.compile("Simuler|Calculer|Comparer")).first.click()
            page.wait_for_url(re.compile(r"/proprietaire/simulateur/\d+$"))
            self.found[key] = page.url.removeprefix(self.base)
        return self.found[key]

    def _with_landlord(self, read: Callable[..., Any]) -> Any:
        """Call read(user[, session]) with the demo landlord, in the live server's database."""
        with Session(db.engine_for(self.app)) as session, self.app.app_context():
            user = session.scalars(select(User).where(User.email == LOGINS["proprietaire"])).one()
            return read(user) if read is make_reset_token else read(user, session)

    def _incident(self) -> int:
        """The demo landlord's alert about their first followed unit (made once, as the form would)."""
        key = ("incident",)
        if key not in self.found:
            self.found[key] = str(self._with_landlord(_raise_incident))
        return int(self.found[key])

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


def _draft_unit_id(user: User, session: Session) -> int:
    unit_id = session.scalars(
        select(Unit.id).join(Landlord).where(Landlord.user_id == user.id, Unit.status == DeclarationStatus.DRAFT)
    ).first()
    assert unit_id, "le propriétaire de démonstration n'a plus de brouillon de déclaration"
    return unit_id


def _raise_incident(user: User, session: Session) -> int:
    unit = session.scalars(
        select(Unit)
        .join(Landlord)
        .join(CaptureCase, CaptureCase.unit_id == Unit.id)
        .join(Organisation, Organisation.id == CaptureCase.operator_id)
        .where(Landlord.user_id == user.id, Organisation.name == "AIS Artois Logement Solidaire")
        .order_by(Unit.id)
    ).first()
    assert unit is not None, "aucun logement du propriétaire de démonstration n'est suivi par l'AIS"
    incident = capture_ops.raise_incident(
        session,
        unit=unit,
        kind=IncidentKind.NEIGHBOURS,
        description="Bruit la nuit dans la cage d'escalier depuis trois semaines.",
        by=user,
        today=date.today(),
    )
    session.commit()
    return incident.id


def _keep_csp_error(message: Any, errors: list[str]) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        errors.append(message.text)


@pytest.fixture(scope="module")
def visitors(browser: Any, live_app: Flask) -> Iterator[Visitors]:
    if not AXE.is_file():
        message = f"{AXE} introuvable : lancez `make browser` (npm ci installe axe-core)."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    visitors = Visitors(browser, live_app)
    yield visitors
    visitors.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "axe-report.json").write_text(json.dumps(REPORT, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def _run_axe(page: Any, source: str) -> dict[str, Any]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    return page.evaluate(
        """async (tags) => {
            // axe cannot measure text over a gradient: the scroll shade of wide tables would leave every cell
            // unchecked (« incomplete »). Paint it flat in its darkest colour, the worst case for the text.
            document.querySelectorAll('.table-wrap').forEach(wrap => { wrap.style.background = '#e6e6e8'; });
            const result = await axe.run(document, {runOnly: {type: 'tag', values: [...tags, 'best-practice']},
                                                    resultTypes: ['violations', 'incomplete']});
            const short = (v) => ({id: v.id, impact: v.impact, help: v.help, tags: v.tags,
                                   targets: v.nodes.map(n => n.target.join(' ')), html: v.nodes.map(n => n.html)});
            const wcag = (v) => v.tags.some(tag => tags.includes(tag));
            // Repeated ids make a label or an aria reference point to the wrong field (RGAA 8.2).
            const ids = [...document.querySelectorAll('[id]')].map(element => element.id);
            const repeated = [...new Set(ids.filter((id, index) => ids.indexOf(id) !== index))];
            // Reflow (WCAG 1.4.10): the page itself never scrolls sideways; wide tables scroll in their box.
            const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
            const wide = overflow <= 0 ? [] : [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .filter(e => !e.parentElement.closest('.table-wrap, [class*="scroll"]'))
                .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
            return {version: axe.version, wcag: result.violations.filter(wcag).map(short),
                    advice: result.violations.filter(v => !wcag(v)).map(short), repeated_ids: repeated,
                    overflow: overflow, too_wide: wide,
                    incomplete: result.incomplete.map(short)};
        }""",
        WCAG_TAGS,
    )


def _describe(violations: list[dict[str, Any]], url: str) -> str:
    lines = [f"{len(violations)} violation(s) graves sur {url} :"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({len(v['targets'])} élément(s))")
        pairs = list(zip(v["targets"], v["html"], strict=True))[:4]
        lines.extend(f"    {target}  →  {html[:160]}" for target, html in pairs)
    return "\n".join(lines)


CASES = [pytest.param(t, v, id=f"{t.role}-{t.name}-{v}") for t in TARGETS for v in VIEWPORTS]
PAGE_COUNT = len(TARGETS)


@pytest.mark.parametrize(("target", "viewport"), CASES)
def test_no_serious_accessibility_violation(visitors: Visitors, axe_source: str, target: Target, viewport: str) -> None:
    page = visitors.page(target.role)
    path = visitors.path_of(target)
    page.set_viewport_size(VIEWPORTS[viewport])
    errors = visitors.csp_errors[target.role]
    if visitors.shown.get(target.role) != target:
        # The page is loaded once for both viewports: resizing re-applies the layout (media queries) in place.
        visitors.shown.pop(target.role, None)
        errors.clear()
        _show(page, visitors.base, target, path)
        visitors.shown[target.role] = target
    result = _run_axe(page, axe_source)
    REPORT[f"{target.role}-{target.name}-{viewport}"] = {"url": path, "axe": result["version"], **result}
    blocking = [v for v in result["wcag"] if v["impact"] in BLOCKING]
    assert not blocking, _describe(blocking, path)
    assert not result["repeated_ids"], f"id répétés sur {path} : {result['repeated_ids']}"
    assert result["overflow"] <= 0, f"{path} défile en largeur de {result['overflow']} px : {result['too_wide']}"
    assert not errors, f"La CSP a bloqué quelque chose sur {path} : {errors}"


def _show(page: Any, base: str, target: Target, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == target.status, f"{path} : statut {response and response.status}"
    assert page.url.removeprefix(base) == path, f"{path} a redirigé vers {page.url}"
    if target.submit:
        # The browser's own checks (required) would stop an empty form: the server's messages are the ones to test.
        page.eval_on_selector_all("form", "forms => forms.forEach(form => { form.noValidate = true; })")
        with page.expect_navigation():
            page.locator("main").get_by_role("button", name=re.compile(f"^({target.submit})")).first.click()
        assert page.locator(".error-summary, .error-message").count(), f"{path} n'affiche pas les erreurs"


def test_axe_finds_what_it_should(browser: Any, axe_source: str) -> None:
    """The harness can fail: a page with the classic faults is reported, with the impacts we block on."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content(
        '<html><head><title>Essai</title></head><body><main><img src="x.png"><input type="text">'
        '<a href="/"></a><p style="color:#bbbbbb">texte pâle</p></main></body></html>'
    )
    result = _run_axe(page, axe_source)
    context.close()
    found = {v["id"]: v["impact"] for v in result["wcag"]}
    assert {"html-has-lang", "image-alt", "label", "link-name", "color-contrast"} <= found.keys()
    assert set(found.values()) <= BLOCKING


def test_every_role_is_covered() -> None:
    """Every role has its pages in the list, and each (role, name) is listed once."""
    assert {t.role for t in TARGETS} == {"anonyme", *LOGINS}
    assert len({(t.role, t.name) for t in TARGETS}) == PAGE_COUNT
