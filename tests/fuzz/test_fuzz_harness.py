"""The fuzzers' own tools: they must see a form's fields, an English message, a half-saved record."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from sqlalchemy.orm import Session

from passerelle.audit import audit
from passerelle.models import Territory
from tests.fuzz.checks import ENGLISH
from tests.fuzz.html_forms import post_forms
from tests.fuzz.strategies import EXTRA_FIELDS, FUZZ_SETTINGS, form_data
from tests.fuzz.world import diff, snapshot

PAGE = """
<form method="get" action="/recherche"><input name="q"></form>
<form method="post" action="/bail/3/fin?x=1" enctype="multipart/form-data">
  <input type="hidden" name="csrf_token" value="jeton">
  <input name="ended_on" type="date" value="2026-11-22" required>
  <input name="amount" inputmode="decimal">
  <input name="ignored" disabled>
  <select name="reason"><option value="">—</option><option value="notice" selected>Congé</option>
    <option>autre</option></select>
  <input type="radio" name="method" value="paper"><input type="radio" name="method" value="electronic" checked>
  <input type="checkbox" name="kinds" value="visale"><input type="checkbox" name="kinds" value="gli" checked>
  <textarea name="note">
Première ligne</textarea>
  <input type="file" name="photo">
  <button name="action" value="save">Enregistrer</button>
</form>
"""


def test_post_forms_are_read_as_a_browser_submits_them() -> None:
    (form,) = post_forms(PAGE, "/bail/3")
    assert form.action == "/bail/3/fin?x=1"
    assert form.enctype == "multipart/form-data"
    assert form.names == ["action", "amount", "csrf_token", "ended_on", "kinds", "method", "note", "photo", "reason"]
    fields = form.by_name()
    assert fields["reason"][0].options == ["", "notice", "autre"]
    assert fields["amount"][0].inputmode == "decimal"
    assert dict(form.default_data()) == {
        "csrf_token": "jeton",
        "ended_on": "2026-11-22",
        "amount": "",
        "reason": "notice",
        "method": "electronic",
        "kinds": "gli",
        "note": "Première ligne",
    }


@FUZZ_SETTINGS
@given(submitted=form_data(post_forms(PAGE, "/bail/3")[0]))
def test_generated_submissions_use_the_form_names_and_a_few_extra_ones(submitted: dict[str, Any]) -> None:
    known = set(post_forms(PAGE, "/bail/3")[0].names) | set(EXTRA_FIELDS)
    assert set(submitted) <= known


def test_english_messages_and_traces_are_caught_and_french_ones_are_not() -> None:
    for english in (
        "This field is required.",
        "Not a valid integer value.",
        "Invalid email address.",
        "Number must be between 1 and 28.",
        "Traceback (most recent call last)",
        "decimal.InvalidOperation",
    ):
        assert ENGLISH.search(english), english
    for french in (
        "Ce champ est requis.",
        "Saisissez un nombre, par exemple 45,5.",
        "Date improbable : plus de cinq ans après aujourd'hui.",
        "Carte non reconnue : vérifiez le numéro, la date d'expiration et le CVC.",
    ):
        assert not ENGLISH.search(french), french


def test_a_written_row_is_seen_but_an_audited_reading_is_not(session: Session) -> None:
    connection = session.connection()
    before = snapshot(connection)
    audit(session, actor=None, action="household.view", object_type="household", object_id=1)
    session.flush()
    assert diff(before, snapshot(connection)) == {}
    session.add(Territory(epci_code="200000001", name="Territoire à moitié enregistré"))
    session.flush()
    changes = diff(before, snapshot(connection))
    assert list(changes) == ["territories"]
    assert "1 nouvelles" in changes["territories"]
