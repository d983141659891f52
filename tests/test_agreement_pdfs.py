"""The agreement documents (contracts/mandate.py, contracts/lease_to_association.py): text read back with
pypdf, and the same bytes for the same input."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

from pypdf import PdfReader

from contracts.agreement_layout import Convention, Party, SignatureRecord, UnitDescription
from contracts.lease_to_association import LeaseToAssociationDocument, render_lease_to_association
from contracts.mandate import MandateDocument, render_mandate

OWNER = Party("Claire Dupont-Moreau", ("12 rue des Lilas", "69003 Lyon"), status="personne physique")
AIS = Party(
    "AIS Louer solidaire",
    ("5 place Bellecour, 69002 Lyon",),
    status="Agence immobilière sociale",
    identifier="SIRET 12345678900012",
)
ASSOCIATION = Party("Habitat Solidaire Rhône", ("1 rue Garibaldi, 69007 Lyon",), status="Association agréée")
UNIT = UnitDescription(("8 rue Paul Bert", "appartement 3B", "69003 Lyon"), D("45.5"), D("6"), 2, "D")
CONVENTION = Convention("Loc2 (social)", D("1612.34"), date(2026, 11, 22), 6, 2)

MANDATE = MandateDocument(
    reference="Accord n° 12",
    owner=OWNER,
    operator=AIS,
    unit=UNIT,
    rent=D("1580"),
    charges=D("60"),
    fee_rate=D("0.07"),
    duration_months=36,
    starts_on=date(2026, 12, 1),
    last_day=date(2029, 11, 30),
    place="Lyon",
    issued_on=date(2026, 11, 22),
    convention=CONVENTION,
)
LEASE = LeaseToAssociationDocument(
    reference="Accord n° 13",
    owner=OWNER,
    association=ASSOCIATION,
    unit=UNIT,
    rent=D("480"),
    charges=D("50"),
    duration_months=36,
    starts_on=date(2026, 12, 1),
    last_day=date(2029, 11, 30),
    place="Lyon",
    issued_on=date(2026, 11, 22),
)


def text_of(pdf: bytes) -> tuple[str, int]:
    """All the text, every kind of space and line break read as one space (French spaces are no-break)."""
    reader = PdfReader(io.BytesIO(pdf))
    raw = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", raw), len(reader.pages)


def test_mandate_names_parties_unit_money_duration_and_dates() -> None:
    text, pages = text_of(render_mandate(MANDATE))
    assert "Mandat de gestion locative" in text
    assert "Le mandant — Claire Dupont-Moreau" in text and "12 rue des Lilas, 69003 Lyon" in text
    assert "Le mandataire — AIS Louer solidaire" in text and "SIRET 12345678900012" in text
    assert "8 rue Paul Bert, appartement 3B, 69003 Lyon" in text
    assert "Surface habitable 45,50 m²" in text and "Pièces principales 2" in text
    assert "Loyer mensuel hors charges 1 580,00 €" in text
    assert "Provision mensuelle pour charges 60,00 €" in text
    # 7 % of 1 580 € = 110.60 €.
    assert "frais de gestion de 7 % des loyers hors charges effectivement encaissés" in text
    assert "les frais sont de 110,60 € par mois" in text
    assert "prend effet le 1er décembre 2026 pour une durée de 36 mois (3 ans), soit jusqu'au 30 novembre 2029" in text
    assert "établi le 22 novembre 2026" in text
    assert "niveau Loc2 (social)" in text and "1 612,34 € par mois hors charges au 22 novembre 2026" in text
    assert "Visale" in text and "relevé de gérance" in text
    assert f"page 1 / {pages}" in text and f"page {pages} / {pages}" in text
    assert "Paraphes" in text and "Fait à Lyon, le" in text


def test_unsigned_mandate_leaves_the_date_blank_and_signed_one_records_the_click() -> None:
    unsigned, _ = text_of(render_mandate(MANDATE))
    assert "Signature enregistrée" not in unsigned
    signed = replace(
        MANDATE,
        signature=SignatureRecord(
            "Acceptation en ligne",
            date(2026, 11, 23),
            "Claire Dupont-Moreau",
            datetime(2026, 11, 23, 14, 5),
            "203.0.113.7",
        ),
    )
    text, _ = text_of(render_mandate(signed))
    assert "Fait à Lyon, le 23 novembre 2026" in text
    assert (
        "acceptation en ligne par Claire Dupont-Moreau, le 23 novembre 2026 à 14:05 (heure de Paris), depuis "
        "l'adresse IP 203.0.113.7" in text
    )


def test_mandate_without_convention_says_nothing_of_loc_avantages() -> None:
    text, _ = text_of(render_mandate(replace(MANDATE, convention=None)))
    assert "Loc'Avantages" not in text


def test_lease_guarantees_rent_and_restoration() -> None:
    text, _ = text_of(render_lease_to_association(LEASE))
    assert "Bail à l'association" in text and "Code civil" in text
    assert "Le bailleur — Claire Dupont-Moreau" in text and "Le preneur — Habitat Solidaire Rhône" in text
    assert "Total payé chaque mois par le preneur 530,00 €" in text
    assert (
        "chaque mois, pendant toute la durée du bail, même si le logement est vacant entre deux occupants et "
        "même si l'occupant ne paie pas sa redevance" in text
    )
    assert "remis en état à ses frais, sans aucun coût pour le bailleur, l'usure normale exceptée" in text
    assert "SIAO" in text and "Assurances" in text
    assert "36 mois (3 ans)" in text and "1er décembre 2026" in text


def test_sliding_clause_only_in_a_bail_glissant() -> None:
    plain, _ = text_of(render_lease_to_association(LEASE))
    assert "glissement" not in plain.lower()
    sliding, _ = text_of(render_lease_to_association(replace(LEASE, sliding_clause=True, review_months=6)))
    assert "Clause de glissement du bail" in sliding
    assert "Un point d'étape réunit le bailleur, le preneur et l'occupant tous les 6 mois" in sliding
    assert "bail glissant" in sliding


def test_same_input_same_bytes() -> None:
    assert render_mandate(MANDATE) == render_mandate(MANDATE)
    assert render_lease_to_association(LEASE) == render_lease_to_association(LEASE)
    assert render_mandate(MANDATE) != render_mandate(replace(MANDATE, rent=D("1581")))


def test_same_bytes_in_another_process() -> None:
    """Nothing depends on the process (time, font subset names, object ids)."""
    script = (
        "import sys, hashlib\n"
        "from tests.test_agreement_pdfs import MANDATE, LEASE\n"
        "from contracts.mandate import render_mandate\n"
        "from contracts.lease_to_association import render_lease_to_association\n"
        "print(hashlib.sha256(render_mandate(MANDATE)).hexdigest(),"
        " hashlib.sha256(render_lease_to_association(LEASE)).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[1]
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    import hashlib

    assert output == [
        hashlib.sha256(render_mandate(MANDATE)).hexdigest(),
        hashlib.sha256(render_lease_to_association(LEASE)).hexdigest(),
    ]


def test_pdf_metadata_carries_the_document_date() -> None:
    reader = PdfReader(io.BytesIO(render_mandate(MANDATE)))
    assert reader.metadata is not None
    assert str(reader.metadata.get("/CreationDate", "")).startswith("D:20261122")
    assert reader.metadata.title == "Mandat de gestion — Accord n° 12"
