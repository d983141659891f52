"""The landlord's journey with the keyboard only: no click, no fill, no goto after the first page.

From the home page, the skip link, the simulator and its result, the login, then a whole unit declaration sent
to the operator, and back to « Mon espace ». Every element that receives the focus on the way must be on
screen and show a focus ring (RGAA 10.7, WCAG 2.4.7); the journey relies on the order of the Tab stops.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from passerelle.db import db
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, Factory

pytestmark = pytest.mark.browser

EMAIL = "lea.clavier@exemple.fr"
TAB_LIMIT = 80  # a page where the target is further than this many Tab stops is a problem in itself

# What the focused element is and how it shows: a visually hidden native control (custom radio or checkbox)
# shows its focus on its label.
FOCUS = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const hidden = (e) => {
        const box = e.getBoundingClientRect(), style = getComputedStyle(e);
        return box.width < 2 || box.height < 2 || style.visibility === 'hidden' || Number(style.opacity) === 0;
    };
    const shown = hidden(element) && element.labels && element.labels.length ? element.labels[0] : element;
    const box = shown.getBoundingClientRect(), style = getComputedStyle(shown);
    const label = element.labels && element.labels.length ? element.labels[0].innerText : '';
    return {
        tag: element.tagName.toLowerCase(), type: element.getAttribute('type') || '', id: element.id,
        field: element.getAttribute('name') || '',
        name: (label || element.innerText || element.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' '),
        href: element.getAttribute('href') || '', value: element.value === undefined ? '' : element.value,
        checked: Boolean(element.checked),
        // Chromium's calendar button inside a date field: a Tab stop of its own, drawn with the browser's ring.
        browser_part: element.tagName === 'INPUT' && !element.matches(':focus'),
        on_screen: !hidden(shown) && box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth,
        ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
}"""


def _focus(page: Any) -> dict[str, Any] | None:
    return page.evaluate(FOCUS)


def _check_shown(focus: dict[str, Any] | None, url: str) -> dict[str, Any]:
    assert focus is not None, f"le focus est perdu sur {url}"
    where = f"{focus['tag']} « {focus['name'] or focus['href'] or focus['id']} » sur {url}"
    assert focus["on_screen"], f"élément focalisé hors de l'écran ou invisible : {where}"
    assert focus["ring"] or focus["browser_part"], f"élément focalisé sans indicateur de focus visible : {where}"
    return focus


def _tab_to(page: Any, wanted: Callable[[dict[str, Any]], bool], what: str, *, key: str = "Tab") -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until the focus is on the wanted element; every stop on the way is checked."""
    for _ in range(TAB_LIMIT):
        page.keyboard.press(key)
        focus = _check_shown(_focus(page), page.url)
        if wanted(focus):
            return focus
    raise AssertionError(f"{what} : introuvable en {TAB_LIMIT} appuis sur {key} ({page.url})")


def _named(pattern: str) -> Callable[[dict[str, Any]], bool]:
    return lambda focus: re.search(pattern, focus["name"]) is not None


def _field(page: Any, label: str, text: str) -> None:
    """Tab to the text field whose label starts with `label`, and type into it (replacing what it holds)."""
    _tab_to(page, lambda f: f["tag"] in ("input", "textarea") and _named(f"^{label}")(f), f"champ « {label} »")
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def _choose(page: Any, label: str, value: str) -> None:
    """Tab to a drop-down list and pick the option with the arrow keys, as a keyboard user does."""
    _tab_to(page, lambda f: f["tag"] == "select" and _named(f"^{label}")(f), f"liste « {label} »")
    page.keyboard.press("Home")
    for _ in range(30):
        if _focus(page)["value"] == value:  # type: ignore[index]
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"option {value!r} introuvable dans la liste « {label} »")


def _radio(page: Any, field: str, label: str) -> None:
    """Tab into a group of radio buttons, move with the arrows to the choice and check it with Space."""
    _tab_to(page, lambda f: f["type"] == "radio" and f["field"] == field, f"boutons radio « {field} »")
    for _ in range(10):
        focus = _check_shown(_focus(page), page.url)
        if focus["name"].startswith(label):
            page.keyboard.press("Space")
            assert _focus(page)["checked"], f"« {label} » n'est pas coché"  # type: ignore[index]
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"choix « {label} » introuvable")


def _activate(page: Any, pattern: str, *, key: str = "Enter", url: str = "") -> None:
    """Tab to a link or a button and press Enter (or Space): the page that follows is loaded."""
    _tab_to(page, _named(pattern), f"« {pattern} »")
    with page.expect_navigation(url=re.compile(url) if url else None):
        page.keyboard.press(key)


@pytest.fixture
def keyboard_landlord(live_app: Flask) -> str:
    """A landlord with a complete profile (phone), as after a sign-up, in the live server's database."""
    with Session(db.engine_for(live_app)) as session:
        make = Factory(session)
        make.landlord(make.user(email=EMAIL, full_name="Léa Clavier"), address="3 rue des Touches", city="Arras")
        session.commit()
    return EMAIL


def test_landlord_journey_with_the_keyboard_only(page, keyboard_landlord: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")

    # 1. The first Tab stop is the skip link: it shows itself, and Enter moves the focus to the content.
    page.keyboard.press("Tab")
    assert _check_shown(_focus(page), page.url)["name"] == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "contenu"

    # 2. From the content, the simulator; fill it in and compare the options.
    _activate(page, "^Simuler mes avantages$", url=r"/proprietaire/simulateur$")
    _field(page, "Commune", "Arras")
    _field(page, "Surface habitable", "45")
    _field(page, "Annexes", "6")
    _choose(page, "Classe énergie", "D")
    _activate(page, "^Comparer les options$", url=r"/proprietaire/simulateur/\d+$")
    assert page.get_by_text("Recommandation").first.is_visible()
    screenshot(page, "keyboard-1-simulation")

    # 3. Continue with the recommended option: the declaration asks to log in first.
    _activate(page, "^Continuer avec cette option", url=r"/login")
    _field(page, "Adresse e-mail", keyboard_landlord)
    _field(page, "Mot de passe", PASSWORD)
    with page.expect_navigation(url=re.compile(r"/proprietaire/logements/nouveau")):
        page.keyboard.press("Enter")  # submits the form from the password field
    assert page.get_by_text("informations de votre simulation").is_visible()

    # 4. The declaration, step by step.
    _activate(page, "^Commencer la déclaration$", key="Space", url=r"/etape/adresse$")
    _field(page, "Adresse du logement", "8 rue du Clavier")
    _field(page, "Code postal", "62000")
    assert _tab_to(page, _named("^Commune"), "commune")["value"].startswith("Arras")  # from the simulation
    _activate(page, "^Enregistrer et continuer$", url=r"/etape/logement$")
    _field(page, "Nombre de pièces principales", "2")
    _choose(page, "Chauffage", "individual_gas")
    _choose(page, "Le logement est-il meublé", "no")
    _activate(page, "^Enregistrer et continuer$", url=r"/etape/disponibilite$")
    _tab_to(page, _named("^Disponible à partir du"), "date de disponibilité")
    page.keyboard.type("01012027")  # the same day and month: right whatever the order of the browser's format
    assert _focus(page)["value"] == "2027-01-01"  # type: ignore[index]
    _activate(page, "^Enregistrer et continuer$", url=r"/etape/documents$")
    _activate(page, "^Enregistrer et continuer$", url=r"/etape/formule$")
    _radio(page, "desired_mode", "Mandat de gestion")
    _radio(page, "desired_level", "Loc2 (social)")
    screenshot(page, "keyboard-2-formule")
    _activate(page, "^Enregistrer et continuer$", url=r"/proprietaire/logements/\d+$")
    _activate(page, "^Transmettre à l'opérateur$", url=r"/proprietaire/logements/\d+$")
    assert page.get_by_text(re.compile("transmis à AIS Artois Logement Solidaire")).is_visible()
    screenshot(page, "keyboard-3-sent")

    # 5. Back to « Mon espace » through the main navigation (the focus starts again at the top of each page).
    _activate(page, "^Mon espace$", key="Enter", url=r"/proprietaire/$")
    _tab_to(page, _named("8 rue du Clavier"), "le logement déclaré dans « Mon espace »")
    screenshot(page, "keyboard-4-my-units")
