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
