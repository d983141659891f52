"""The arrears letters (contracts/arrears_letters.py): text read back with pypdf, and the same bytes for the same
input. Amounts: January 2027 (600 € called, 100 € of CAF benefit, nothing paid: 500 € due) and February 2027
(600 €, 100 € benefit, 120,50 € paid: 379,50 € due): 500 + 379,50 = 879,50 € in all.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from contracts.agreement_layout import Party
from contracts.arrears_letters import (
    ArrearsFile,
    BenefitArrearsReport,
    FormalNotice,
    PeriodLine,
    Referent,
    ReminderLetter,
    RepaymentPlanAgreement,
    ScheduledInstalment,
    Step,
    render_benefit_arrears_report,
    render_formal_notice,
    render_reminder_letter,
    render_repayment_plan,
)

NBSP, NNBSP = "\u00a0", "\u202f"

OPERATOR = Party("AIS Louer solidaire", ("5 place Bellecour", "69002 Lyon"), identifier="SIRET 123 456 789 00012")
LINES = (
    PeriodLine(date(2027, 1, 1), date(2027, 1, 31), date(2027, 1, 5), D("600.00"), D("100.00"), D("0.00")),
    PeriodLine(date(2027, 2, 1), date(2027, 2, 28), date(2027, 2, 5), D("600.00"), D("100.00"), D("120.50")),
)
FILE = ArrearsFile(
    reference="Dossier d'impayé n° 12",
    operator=OPERATOR,
    operator_contact="04 78 00 00 00 — loyers@ais.example.org",
    tenants=("Amina Diallo", "Karim Diallo"),
    tenants_address=("8 rue Paul Bert, appartement 3B", "69003 Lyon"),
    unit_address=("8 rue Paul Bert, appartement 3B", "69003 Lyon"),
    lease_reference="bail n° 42 du 1er décembre 2026",
    lines=LINES,
    as_of=date(2027, 2, 20),
    place="Lyon",
    issued_on=date(2027, 2, 21),
    signatory="Nadia Benali",
    signatory_title="Responsable de la gestion locative",
)
REFERENT = Referent("Julie Martin", "référente sociale", "04 78 00 00 01", "julie.martin@ais.example.org")
REMINDER = ReminderLetter(
    file=FILE,
    referent=REFERENT,
    payment_instructions=("Virement : FR76 3000 4000 0500 0012 3456 789, référence BAIL-42",),
)
NOTICE = FormalNotice(
    file=FILE,
    referent=REFERENT,
    pay_by=date(2027, 3, 1),  # 21 February + 8 days (« sous huitaine »)
    registered_number="1A 234 567 8901 2",
    reminder_sent_on=date(2027, 1, 15),
    visale=True,
    benefit_payer="CAF",
)
REPORT = BenefitArrearsReport(
    file=FILE,
    benefit_payer="CAF",
    payer_name="CAF du Rhône",
    payer_address=("67 boulevard Vivier-Merle", "69003 Lyon"),
    lease_starts_on=date(2026, 12, 1),
    monthly_rent=D("500.00"),
    monthly_charges=D("100.00"),
    monthly_benefit=D("100.00"),
    constituted_on=date(2027, 2, 6),
    steps=(Step(date(2027, 1, 15), "relance amiable par courrier"),),
    referent=REFERENT,
)
# 879,50 / 3 = 293,166… → 293,16 twice, and 879,50 − 2 × 293,16 = 293,18 last.
PLAN = RepaymentPlanAgreement(
    file=FILE,
    instalments=(
        ScheduledInstalment(1, date(2027, 3, 10), D("293.16")),
        ScheduledInstalment(2, date(2027, 4, 10), D("293.16")),
        ScheduledInstalment(3, date(2027, 5, 10), D("293.18")),
    ),
    current_share=D("500.00"),
    grace_days=10,
    referent=REFERENT,
    benefit_payer="CAF",
)


def text_of(pdf: bytes) -> str:
    """All pages' text, spaces normalised (the font draws no-break spaces with the space glyph)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text().replace(NBSP, " ").replace(NNBSP, " ").split()) for page in pages)


def assert_file_facts(text: str, dated: str = "Lyon, le 21 février 2027") -> None:
    """What every letter carries: letterhead, tenants, unit, periods and amounts by period."""
    for expected in (
        "AIS Louer solidaire",
        "5 place Bellecour",
        "Amina Diallo et Karim Diallo",
        "8 rue Paul Bert, appartement 3B",
        dated,
        "Dossier d'impayé n° 12",
        "janvier 2027",
        "février 2027",
        "05/01/2027",
        "05/02/2027",
        "600,00 €",
        "120,50 €",
        "379,50 €",
        "Total restant dû 879,50 €",
    ):
        assert expected in text, expected


def test_the_reminder_is_kind_offers_help_and_names_the_referent() -> None:
    text = text_of(render_reminder_letter(REMINDER))
    assert_file_facts(text)
    assert "il reste 879,50 € à payer" in text
    assert "au 20 février 2027" in text
    assert (
        "Votre contact : Julie Martin, référente sociale, au 04 78 00 00 01 ou à julie.martin@ais.example.org" in text
    )
    assert "Fonds de solidarité pour le logement (FSL)" in text
    assert "merci de ne pas tenir compte de ce courrier" in text
    assert "référence BAIL-42" in text
    lowered = text.lower()
    for threat in ("mise en demeure", "expulsion", "huissier", "commissaire de justice", "résiliation", "poursuite",
                   "tribunal", "ccapex", "sanction", "visale", "recommandée"):  # fmt: skip
        assert threat not in lowered, threat


def test_the_formal_notice_is_a_registered_letter_with_a_deadline_and_what_follows() -> None:
    text = text_of(render_formal_notice(NOTICE))
    assert_file_facts(text)
    assert "Lettre recommandée avec accusé de réception n° 1A 234 567 8901 2" in text
    assert "Objet : mise en demeure de payer" in text
    assert "Malgré notre courrier du 15 janvier 2027" in text
    assert "mettons en demeure de régler la somme de 879,50 € au plus tard le 1er mars 2027" in text
    assert "Visale (Action Logement)" in text
    assert "signaler l'impayé à la CAF" in text and "L.824-1 et R.824-4" in text
    assert "CCAPEX" in text
    assert "article 1344 du Code civil" in text
    assert "Julie Martin, référente sociale" in text


def test_without_visale_or_tiers_payant_the_notice_says_nothing_of_them() -> None:
    text = text_of(render_formal_notice(replace(NOTICE, visale=False, benefit_payer=None, registered_number=None)))
    assert "Visale" not in text and "CAF" not in text
    assert "Lettre recommandée avec accusé de réception" in text and "n° 1A" not in text


def test_a_notice_leaves_time_to_pay_and_names_a_real_payer() -> None:
    with pytest.raises(ValueError, match="time to pay"):
        replace(NOTICE, pay_by=date(2027, 2, 21))
    with pytest.raises(ValueError, match="CAF or the MSA"):
        replace(NOTICE, benefit_payer="Pôle emploi")


def test_the_caf_report_has_the_allocataire_field_the_lease_the_amounts_and_the_dates() -> None:
    text = text_of(render_benefit_arrears_report(REPORT))
    assert_file_facts(text)
    assert "CAF du Rhône" in text and "67 boulevard Vivier-Merle" in text
    assert "N° d'allocataire ____________________ (à compléter)" in text
    assert "articles L.824-1 et R.824-4 du code de la construction et de l'habitation" in text
    assert "constitué le 6 février 2027 au sens de l'article R.824-1" in text
    assert "bail n° 42 du 1er décembre 2026, en cours depuis le 1er décembre 2026" in text
    assert "500,00 € hors charges + 100,00 € de charges = 600,00 €" in text
    assert "100,00 € par mois ; part du ménage : 500,00 €" in text
    assert "Dette au 20 février 2027 879,50 €" in text
    assert "le 15 janvier 2027 : relance amiable par courrier" in text
    assert len(PdfReader(io.BytesIO(render_benefit_arrears_report(REPORT))).pages) == 1


def test_the_report_prints_a_known_allocataire_number_and_the_msa() -> None:
    text = text_of(render_benefit_arrears_report(replace(REPORT, allocataire_number="1234567", benefit_payer="MSA")))
    assert "N° d'allocataire 1234567" in text and "(à compléter)" not in text
    assert "Aide versée par la MSA" in text
    with pytest.raises(ValueError, match="benefit paid to the operator"):
        replace(REPORT, monthly_benefit=D("0.00"))


def test_the_plan_has_the_debt_the_schedule_the_current_rent_and_signatures() -> None:
    text = text_of(render_repayment_plan(PLAN))
    assert_file_facts(text, "établi à Lyon le 21 février 2027")
    assert "Plan d'apurement" in text
    assert "reconnaît devoir la somme de 879,50 €" in text
    assert "en 3 mensualités, en plus de sa part du loyer" in text
    assert "1 10 mars 2027 293,16 €" in text
    assert "2 10 avril 2027 293,16 €" in text
    assert "3 10 mai 2027 293,18 €" in text
    assert "Total 879,50 €" in text
    assert "(actuellement 500,00 €)" in text
    assert "dans les 10 jours qui suivent son échéance" in text
    assert "transmise à la CAF" in text
    assert "Pour AIS Louer solidaire Nadia Benali" in text
    assert "Locataire Amina Diallo" in text and "Locataire Karim Diallo" in text
    assert "Fait à Lyon, le ____________________, en deux exemplaires originaux" in text


def test_a_plan_must_add_up_to_the_debt() -> None:
    wrong = (*PLAN.instalments[:2], ScheduledInstalment(3, date(2027, 5, 10), D("293.17")))
    with pytest.raises(ValueError, match="add up to the debt"):
        replace(PLAN, instalments=wrong)


def test_a_letter_lists_unpaid_periods_only_and_amounts_in_cents() -> None:
    with pytest.raises(ValueError, match="periods still unpaid"):
        replace(FILE, lines=(replace(LINES[0], paid=D("500.00")),))
    with pytest.raises(ValueError, match="cents"):
        replace(LINES[0], paid=D("0.001"))


RENDERERS: tuple[tuple[Callable[[Any], bytes], Any], ...] = (
    (render_reminder_letter, REMINDER),
    (render_formal_notice, NOTICE),
    (render_benefit_arrears_report, REPORT),
    (render_repayment_plan, PLAN),
)


def test_same_input_same_bytes_and_another_input_other_bytes() -> None:
    changed = replace(FILE, issued_on=date(2027, 2, 22))
    for render, doc in RENDERERS:
        assert render(doc) == render(doc)
        assert render(doc) != render(replace(doc, file=changed))


def test_same_bytes_in_another_process() -> None:
    """Nothing depends on the process (time, font subset names, object ids)."""
    script = (
        "import hashlib\n"
        "from tests.test_arrears_letters_pdf import RENDERERS\n"
        "print(*(hashlib.sha256(render(doc)).hexdigest() for render, doc in RENDERERS))\n"
    )
    root = Path(__file__).resolve().parents[1]
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert output == [hashlib.sha256(render(doc)).hexdigest() for render, doc in RENDERERS]


def test_metadata_carries_the_letter_and_its_date() -> None:
    metadata = PdfReader(io.BytesIO(render_formal_notice(NOTICE))).metadata
    assert metadata is not None
    assert metadata.title == "Mise en demeure — Dossier d'impayé n° 12"
    assert metadata.author == "AIS Louer solidaire"
    assert str(metadata.get("/CreationDate", "")).startswith("D:20270221")
