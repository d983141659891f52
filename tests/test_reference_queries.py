"""Commune search and resolution: accent- and case-insensitive on both databases."""

from __future__ import annotations

from sqlalchemy.orm import Session

from passerelle.models.reference import search_key
from passerelle.reference.queries import resolve_commune, search_communes
from tests.factories import Factory


def test_search_key_folds_case_accents_and_separators() -> None:
    assert search_key("Évry-Courcouronnes") == "evry courcouronnes"
    assert search_key("L'Haÿ-les-Roses") == "l hay les roses"
    assert search_key("  SAINT-ÉTIENNE ") == "saint etienne"


def test_search_ignores_accents_and_case(session: Session, make: Factory) -> None:
    make.commune("91228", "Évry-Courcouronnes")
    make.commune("42218", "Saint-Étienne")
    make.commune("62041", "Arras")
    assert [c.insee for c in search_communes(session, "evry")] == ["91228"]
    assert [c.insee for c in search_communes(session, "ÉVRY-C")] == ["91228"]
    assert [c.insee for c in search_communes(session, "saint etienne")] == ["42218"]
    assert [c.insee for c in search_communes(session, "620")] == ["62041"]
    assert search_communes(session, "%") == []


def test_resolve_by_code_name_and_department(session: Session, make: Factory) -> None:
    make.commune("42218", "Saint-Étienne")
    make.commune("40001", "Sainte-Colombe")
    make.commune("05001", "Sainte-Colombe")
    assert resolve_commune(session, "42218").commune.name == "Saint-Étienne"
    assert resolve_commune(session, "saint-etienne").commune.insee == "42218"
    ambiguous = resolve_commune(session, "Sainte-Colombe")
    assert ambiguous.commune is None and len(ambiguous.candidates) == 2
    assert resolve_commune(session, "Sainte-Colombe (05)").commune.insee == "05001"
    assert resolve_commune(session, "Nulle-Part").commune is None


def test_parameter_rows_at_picks_the_period_in_force(session: Session) -> None:
    from datetime import date

    from passerelle.models import Parameter
    from passerelle.reference.queries import parameter_rows_at

    common = {"kind": "integer", "unit": "points", "label": "Essai", "source": "test", "verified": False}
    session.add_all(
        [
            Parameter(key="essai.a", valid_from=date(2020, 1, 1), valid_to=date(2025, 12, 31), value="1", **common),
            Parameter(key="essai.a", valid_from=date(2026, 1, 1), value="2", **common),
            Parameter(key="essai.b", valid_from=date(2027, 1, 1), value="3", **common),
        ]
    )
    session.flush()
    assert {k: r.value for k, r in parameter_rows_at(session, ["essai.a", "essai.b"], date(2025, 6, 1)).items()} == {
        "essai.a": "1"
    }
    assert {k: r.value for k, r in parameter_rows_at(session, ["essai.a", "essai.b"], date(2026, 6, 1)).items()} == {
        "essai.a": "2"
    }
