"""The campaign's mail-merge letters PDF (pure builder: no database, no request)."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from contracts.campaign_letters import (
    CampaignLetters,
    Letter,
    paragraphs,
    place_and_date,
    render_campaign_letters,
    typeset,
    unknown_merge_fields,
)

NBSP = "\u00a0"
BODY = """Madame, Monsieur,

Vous êtes propriétaire d'un logement situé {adresse_logement} à {commune}. S'il est inoccupé, nous pouvons
vous aider à le louer : loyer garanti, gestion assurée !

Pourquoi pas vous ? Appelez-nous ; la réponse est « oui ».

Veuillez agréer, {nom}, l'expression de nos salutations distinguées."""

LETTERS = (
    Letter("Jeanne Lefebvre", ("4 rue des Capucins", "62000 ARRAS"), "14 rue Saint-Aubert", "Arras", "dossier n° 12"),
    Letter("SCI Les Tilleuls & Fils", ("BP 12", "2 place des Héros", "62000 ARRAS"), "3 rue Gambetta", "Achicourt"),
    Letter("Marc Dubois", ("9 allée des Pins", "59000 LILLE"), "8 boulevard Faidherbe", "Arras", "dossier n° 14"),
)


def document(**changes: object) -> CampaignLetters:
    values: dict[str, object] = dict(
        operator_name="AIS de l'Artois",
        operator_address_lines=("12 rue de la Demo", "62000 Arras"),
        operator_phone="03 21 00 00 01",
        operator_email="contact@ais-artois.example",
        signatory="Claire Martin",
        signatory_title="Chargée de captation",
        city="Arras",
        date=date(2026, 11, 22),
        subject="mise en location solidaire de votre logement situé {adresse_logement}, {commune}",
        body=paragraphs(BODY),
        letters=LETTERS,
        title="Courriers — Campagne test",
    )
    values.update(changes)
    return CampaignLetters(**values)  # type: ignore[arg-type]


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text, spaces normalised (the font draws the no-break space with the space glyph)."""
    return [" ".join(page.extract_text().replace(NBSP, " ").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_one_page_per_letter_with_its_recipient_unit_and_date() -> None:
    pages = pages_text(render_campaign_letters(document()))

    assert len(pages) == 3
    for text, letter, number in zip(pages, LETTERS, (1, 2, 3), strict=True):
        assert letter.recipient_name in text
        for address_line in letter.recipient_address_lines:
            assert address_line in text
        assert (
            f"Objet : mise en location solidaire de votre logement situé {letter.unit_address}, {letter.commune}"
            in text
        )
        assert f"logement situé {letter.unit_address} à {letter.commune}." in text
        assert f"Veuillez agréer, {letter.recipient_name}, l'expression" in text
        assert "Arras, le 22 novembre 2026" in text
        assert f"page {number} / 3" in text
        assert "{" not in text  # every merge field filled
    assert "Nos réf. : dossier n° 12" in pages[0]
    assert "Nos réf." not in pages[1]  # no reference given
    others = [letter.recipient_name for letter in LETTERS[1:]]
    assert not any(name in pages[0] for name in others)


def test_same_input_same_bytes_even_in_another_process() -> None:
    first = render_campaign_letters(document())
    assert render_campaign_letters(document()) == first
    script = (
        "import hashlib, sys; sys.path.insert(0, '.');"
        "from tests.test_campaign_letters_pdf import document;"
        "from contracts.campaign_letters import render_campaign_letters;"
        "print(hashlib.sha256(render_campaign_letters(document())).hexdigest())"
    )
    root = Path(__file__).resolve().parents[1]
    env = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "123"}
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert output == hashlib.sha256(first).hexdigest()
    # …and another input, other bytes.
    assert render_campaign_letters(document(date=date(2026, 11, 23))) != first


def test_metadata_is_fixed_by_the_input() -> None:
    reader = PdfReader(io.BytesIO(render_campaign_letters(document())))
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title == "Courriers — Campagne test"
    assert metadata.author == "AIS de l'Artois"
    assert metadata["/CreationDate"] == "D:20261122000000+00'00'"


def test_a_long_body_still_fits_one_page_per_letter() -> None:
    long_body = paragraphs("\n\n".join([BODY] * 8))
    pdf = render_campaign_letters(document(body=long_body))
    pages = pages_text(pdf)
    assert len(pages) == 3
    assert pages[2].count("Veuillez agréer, Marc Dubois") == 8
    assert "Claire Martin" in pages[2]


def test_punctuation_never_starts_a_line() -> None:
    # Narrow text lines force many breaks; a no-break space keeps « : ; ! ? » with the word before.
    text = " ".join(f"mot{n} : suite ; encore ! vraiment ? « cité »" for n in range(40))
    pdf = render_campaign_letters(document(body=(text,), letters=LETTERS[:1]))
    lines = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()
    assert len(lines) > 20
    assert not [line for line in lines if line.strip()[:1] in ":;!?»"]
    assert not [line for line in lines if line.rstrip().endswith("«")]


def test_typeset_french_spaces() -> None:
    assert typeset("Objet : test ; oui ! non ? « cité »") == (
        f"Objet{NBSP}: test{NBSP}; oui{NBSP}! non{NBSP}? «{NBSP}cité{NBSP}»"
    )
    assert typeset("Rendez-vous à 14:30,  https://exemple.fr") == "Rendez-vous à 14:30, https://exemple.fr"


def test_markup_characters_in_values_are_printed_as_typed() -> None:
    letter = Letter("Dupont <Jean> & Cie", ("1 rue A", "62000 ARRAS"), "5 rue {inconnue}", "Arras")
    text = pages_text(render_campaign_letters(document(letters=(letter,))))[0]
    assert "Dupont <Jean> & Cie" in text
    assert "5 rue {inconnue}" in text  # a value is never merged again


def test_merge_fields_helpers() -> None:
    letter = LETTERS[0]
    assert letter.merge("{nom} — {adresse_logement}, {commune} {autre}") == (
        "Jeanne Lefebvre — 14 rue Saint-Aubert, Arras {autre}"
    )
    assert unknown_merge_fields("Bonjour {nom}, {prenom} {adresse} {commune}") == ["{adresse}", "{prenom}"]
    assert unknown_merge_fields(BODY) == []
    assert paragraphs("  A\nsuite\r\n\r\n\n B  \n\n") == ("A\nsuite", "B")
    assert place_and_date("Arras", date(2026, 11, 1)) == "Arras, le 1er novembre 2026"
    assert place_and_date("", date(2026, 11, 22)) == "Le 22 novembre 2026"


def test_no_letter_no_document() -> None:
    with pytest.raises(ValueError, match="no letters"):
        render_campaign_letters(document(letters=()))
