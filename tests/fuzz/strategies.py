"""Hypothesis strategies for bad input: field values a careless, hurried or hostile visitor could send."""

from __future__ import annotations

import io
import os
from datetime import date
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from tests.factories import PNG_1PX
from tests.fuzz.html_forms import FormField, HtmlForm

MISSING = object()
FIRST_OPTION = "<première option>"  # in a seed: the field's first choice, whatever it is in this world

# Generated cases per route or endpoint; CI keeps the default, a developer may raise it for a deeper run.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "15"))

FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    # Same cases on every run and every machine: a CI failure reproduces locally.
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    # The world is built once per module and every example runs in a rolled-back savepoint, so fixtures
    # outliving an example are intended; slow examples are expected (real views, real database).
    suppress_health_check=(
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ),
    print_blob=False,
)

NASTY_STRINGS = (
    "",
    " ",
    "\t\n",
    "0",
    "-1",
    "-0",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "sNaN",
    "99999999999999999999999999",
    "-99999999999999999999",
    "2147483648",
    "9223372036854775808",
    "12,5",
    "12,345",
    "1 234,56",
    "1\u202f234,56 €",
    "0,001",
    "1.5e3",
    "1,2,3",
    "0x1F",
    "١٢٣",
    "½",
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "31/12/2026",
    "2026-1-1",
    "10000-01-01",
    "2026-Q5",
    "true",
    "null",
    "None",
    "[]",
    "{}",
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "a\x00b",
    "\x00",
    "\x1b[31m",
    "\u202eevil",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀",
    "é" * 300,
    "x" * 5000,
    "9" * 400,
    "../../etc/passwd",
    "999999999",
    "-999999999",
)

# Names a form never shows but an attacker might add (mass assignment).
EXTRA_FIELDS = ("id", "user_id", "operator_id", "landlord_id", "organisation_id", "role", "status", "is_admin")

_UTF8_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
_DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))
_AMOUNTS = st.decimals(min_value=-50, max_value=20000, places=2, allow_nan=False, allow_infinity=False)


def _plausible(field: FormField, values: list[str]) -> st.SearchStrategy[Any]:
    """A value of the right shape for the control (so that some examples get past validation)."""
    if values:
        return st.sampled_from(values)
    kind = field.kind
    if kind == "date":
        return _DATES.map(date.isoformat)
    if kind == "number" or field.inputmode in ("decimal", "numeric"):
        return st.one_of(st.integers(-5, 400).map(str), _AMOUNTS.map(lambda d: str(d).replace(".", ",")))
    if kind == "email":
        return st.sampled_from(("camille.exemple@exemple.fr", "a@b.fr", "pas-une-adresse", "x@localhost"))
    if kind == "tel":
        return st.sampled_from(("06 12 34 56 78", "+33612345678", "0612", "abcdef"))
    return st.one_of(_UTF8_TEXT, st.sampled_from(("Camille Exemple", "1 rue de la Paix", "62041", "Arras")))


_FILES = (
    ("photo.png", PNG_1PX),
    ("vide.csv", b""),
    ("menages.csv", b"siao_reference;situation\n;\nX;licorne\n"),
    ("liste.csv", "nom;adresse\n\xe9\xe9\n".encode("latin-1")),
    ("image.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("page.html", b"<html><script>alert(1)</script></html>"),
    ("binaire.xlsx", bytes(range(256))),
    ("../../evil.pdf", b"%PDF-1.4\n%%EOF"),
)


def _file_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(_FILES),
        st.tuples(st.sampled_from(("a.csv", "b.png", "c.pdf", "", "é.xlsx")), st.binary(max_size=300)),
    ).map(lambda pair: (io.BytesIO(pair[1]), pair[0]))


def field_values(field: FormField, group: list[FormField]) -> st.SearchStrategy[Any]:
    """Values for one named control (or a group of radios/checkboxes/submit buttons sharing a name)."""
    if field.kind == "file":
        return st.one_of(st.just(MISSING), _file_values())
    choices = [option for control in group for option in (control.options or [control.value]) if option is not None]
    if field.kind not in ("select", "radio", "checkbox", "submit", "hidden"):
        choices = []
    default = field.value if field.kind not in ("radio", "checkbox", "submit") else (choices[0] if choices else "")
    nasty = st.sampled_from(NASTY_STRINGS)
    single = st.one_of(
        st.just(default),
        st.just(default),
        _plausible(field, choices),
        _plausible(field, choices),
        nasty,
        _UTF8_TEXT,
        st.just(MISSING),
    )
    several = st.lists(st.one_of(_plausible(field, choices), nasty), min_size=2, max_size=3)
    return st.one_of(single, single, single, several) if field.kind != "hidden" else single


def form_data(form: HtmlForm, seed: dict[str, Any] | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """A whole submission: either every field kept, changed, broken or left out (plus extra fields), or a sensible
    submission (what the page shows, completed by ``seed``) with one or two fields changed, to get past the first
    checks into the operations."""
    groups = form.by_name()
    per_field = {name: field_values(controls[0], controls) for name, controls in groups.items()}
    sensible = dict(form.default_data())
    for name, value in (seed or {}).items():
        if value == FIRST_OPTION and name in groups:  # options that depend on the world (a commune's code)
            controls = groups[name]
            value = (controls[0].options or [control.value for control in controls] or [""])[0]
        sensible[name] = value
    return st.one_of(_anything(per_field), _nearly_sensible(per_field, sensible))


def _nearly_sensible(
    per_field: dict[str, st.SearchStrategy[Any]], sensible: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    names = sorted(per_field)
    if not names:
        return st.just(dict(sensible))

    def apply(changes: dict[str, Any]) -> dict[str, Any]:
        data = dict(sensible)
        for name, value in changes.items():
            if value is MISSING:
                data.pop(name, None)
            else:
                data[name] = value
        return data

    changed = st.lists(st.sampled_from(names), max_size=2, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({name: per_field[name] for name in chosen})
    )
    return changed.map(apply)


def _anything(per_field: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    extras = st.dictionaries(
        st.sampled_from(EXTRA_FIELDS), st.sampled_from(("1", "2", "999999", "-1", "admin", "signed")), max_size=2
    )

    def assemble(values: tuple[dict[str, Any], dict[str, str]]) -> dict[str, Any]:
        chosen, extra = values
        data = {name: value for name, value in chosen.items() if value is not MISSING}
        for name, value in extra.items():
            data.setdefault(name, value)
        return data

    return st.tuples(st.fixed_dictionaries(per_field), extras).map(assemble)
