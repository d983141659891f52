"""The rent revision letter (contracts/rent_revision_letter.py): amounts, indices and formula read back with pypdf,
the freeze and cap mentions only when they apply, no retroactivity, and the same bytes for the same input."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from pypdf import PdfReader

from capture.rules.rent_revision import IrlValue, Quarter, revise_rent
from contracts.agreement_layout import Party
from contracts.rent_revision_letter import RentRevisionLetterDocument, render_rent_revision_letter

CONVENTION = "convention Loc'Avantages Loc2 (social) avec l'Anah"
# ANIL's example: 500 × 129.38 / 127.22 = 508.489… → 508.48 €; charges 40 € → 548.48 € a month.
LETTER = RentRevisionLetterDocument(
    reference="Révision n° 7",
    sender=Party("AIS Louer solidaire", ("5 place Bellecour", "69002 Lyon")),
    sender_capacity="mandataire de Claire Dupont-Moreau, bailleresse",
    tenants=("Awa Diallo", "Moussa Diallo"),
    recipient_address_lines=("8 rue Paul Bert, appartement 3B", "69003 Lyon"),
    unit_address=("8 rue Paul Bert", "appartement 3B", "69003 Lyon"),
    lease_reference="bail n° 42 du 1er mars 2018",
    revision_on=date(2019, 5, 1),
    effective_on=date(2019, 5, 5),
    current_rent=D("500.00"),
    charges=D("40.00"),
    quarter_new="1er trimestre 2019",
    irl_new=D("129.38"),
    quarter_old="1er trimestre 2018",
    irl_old=D("127.22"),
    indexed_rent=D("508.48"),
    new_rent=D("508.48"),
    contact="04 78 00 00 00, gestion@exemple.fr",
    place="Lyon",
    issued_on=date(2019, 4, 15),
    signatory="Nadia Benali, responsable de la gestion locative",
)


def text_of(pdf: bytes) -> tuple[str, int]:
    """All the text, every kind of space and line break read as one space (French spaces are no-break)."""
    reader = PdfReader(io.BytesIO(pdf))
    raw = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", raw), len(reader.pages)


def test_letter_shows_lease_indices_formula_and_amounts() -> None:
    text, pages = text_of(render_rent_revision_letter(LETTER))
    assert pages == 1
    assert "Révision annuelle du loyer" in text
    assert "AIS Louer solidaire" in text and "mandataire de Claire Dupont-Moreau, bailleresse" in text
    assert "Awa Diallo et Moussa Diallo" in text and "8 rue Paul Bert, appartement 3B" in text
    assert "bail n° 42 du 1er mars 2018" in text
    assert "Objet : révision du loyer au 1er mai 2019" in text
    assert "article 17-1 de la loi n° 89-462 du 6 juillet 1989" in text
    assert "Loyer actuel hors charges 500,00 €" in text
    assert "IRL du 1er trimestre 2019 129,38" in text and "IRL du 1er trimestre 2018 127,22" in text
    assert "Calcul 500,00 € × 129,38 / 127,22 = 508,48 € (tronqué au centime)" in text
    assert "Loyer révisé hors charges 508,48 €" in text
    # Charges unchanged: 508.48 + 40.00 = 548.48.
    assert "Charges mensuelles (inchangées) 40,00 €" in text and "Total mensuel 548,48 €" in text
    assert (
        "À compter de l'échéance du 5 mai 2019, votre loyer sera de 508,48 € hors charges au lieu de 500,00 €" in text
    )
    assert "n'est pas rétroactif" in text
    assert "04 78 00 00 00, gestion@exemple.fr" in text
    assert "Fait à Lyon, le 15 avril 2019." in text and "Nadia Benali" in text
    assert "gelé" not in text and "Plafond" not in text  # neither applies


def test_frozen_letter_cites_the_climate_law_and_keeps_the_rent() -> None:
    text, _ = text_of(render_rent_revision_letter(replace(LETTER, frozen=True, dpe_class="G", new_rent=D("500.00"))))
    assert "Loyer gelé." in text and "classé G au diagnostic de performance énergétique" in text
    assert "loi n° 2021-1104 du 22 août 2021, article 159" in text
    assert "Calcul (pour information) 500,00 € × 129,38 / 127,22 = 508,48 €" in text
    assert "Loyer révisé hors charges 500,00 €" in text and "Total mensuel 540,00 €" in text
    assert "Votre loyer reste de 500,00 € hors charges" in text
    assert "À compter de l'échéance" not in text


def test_capped_letter_names_the_convention_cap() -> None:
    capped = replace(LETTER, cap=D("505.00"), capped=True, new_rent=D("505.00"), convention_label=CONVENTION)
    text, pages = text_of(render_rent_revision_letter(capped))
    assert pages == 1
    assert "Plafond de la convention 505,00 €" in text
    assert "conventionné (convention Loc'Avantages Loc2 (social) avec l'Anah)" in text
    assert "Le résultat du calcul (508,48 €) le dépassant, le loyer révisé est fixé au plafond." in text
    # 505.00 + 40.00 = 545.00.
    assert "Loyer révisé hors charges 505,00 €" in text and "Total mensuel 545,00 €" in text


def test_letter_from_the_rule() -> None:
    """The figures the rule gives fill the letter as they are (812.37 × 145.77 / 144.51 = 819.453… → 819.45)."""
    revision = revise_rent(
        D("812.37"), IrlValue(Quarter(2025, 3), D("145.77")), IrlValue(Quarter(2024, 3), D("144.51"))
    )
    letter = replace(
        LETTER,
        current_rent=revision.rent,
        quarter_new=revision.quarter_new.in_words,
        irl_new=revision.irl_new,
        quarter_old=revision.quarter_old.in_words,
        irl_old=revision.irl_old,
        indexed_rent=revision.indexed_rent,
        new_rent=revision.new_rent,
    )
    text, _ = text_of(render_rent_revision_letter(letter))
    assert "812,37 € × 145,77 / 144,51 = 819,45 € (tronqué au centime)" in text
    assert "IRL du 3e trimestre 2025 145,77" in text and "IRL du 3e trimestre 2024 144,51" in text
    # 819.45 + 40.00 = 859.45.
    assert "Total mensuel 859,45 €" in text


def test_a_revision_is_never_retroactive() -> None:
    with pytest.raises(ValueError, match="retroactive"):
        replace(LETTER, effective_on=date(2019, 4, 30))
    with pytest.raises(ValueError):
        replace(LETTER, frozen=True, dpe_class=None)
    with pytest.raises(ValueError):
        replace(LETTER, capped=True, cap=None)


def test_same_input_same_bytes_even_in_another_process() -> None:
    first = render_rent_revision_letter(LETTER)
    assert render_rent_revision_letter(LETTER) == first
    script = (
        "import hashlib, sys; sys.path.insert(0, '.');"
        "from tests.test_rent_revision_letter_pdf import LETTER;"
        "from contracts.rent_revision_letter import render_rent_revision_letter;"
        "print(hashlib.sha256(render_rent_revision_letter(LETTER)).hexdigest())"
    )
    root = Path(__file__).resolve().parents[1]
    env = {"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": "123"}
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert output == hashlib.sha256(first).hexdigest()
    assert render_rent_revision_letter(replace(LETTER, issued_on=date(2019, 4, 16))) != first


def test_metadata_is_fixed_by_the_input() -> None:
    metadata = PdfReader(io.BytesIO(render_rent_revision_letter(LETTER))).metadata
    assert metadata is not None
    assert metadata.title == "Révision du loyer — Révision n° 7"
    assert metadata.author == "AIS Louer solidaire"
    assert metadata["/CreationDate"] == "D:20190415000000+00'00'"
