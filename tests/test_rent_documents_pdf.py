"""The rent ledger's documents (contracts/rent_documents.py, contracts/owner_statement.py): the avis d'échéance, the
quittance and the reçu, the relevé de gérance. Text read back with pypdf, amounts checked against arithmetic done
here by hand, text kept inside the margins, and the same bytes for the same input."""

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
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth

from contracts import agreement_layout
from contracts.agreement_layout import MARGIN, Party
from contracts.ledger_layout import iban_groups, masked_iban, of, period_text
from contracts.owner_statement import (
    GUARANTEED_RENT,
    OwnerStatement,
    StatementDeduction,
    StatementUnit,
    render_owner_statement,
)
from contracts.rent_documents import (
    BankDetails,
    ReceiptKind,
    ReceivedPayment,
    RentCallNotice,
    RentReceipt,
    render_rent_call_notice,
    render_rent_receipt,
)

AIS = Party("AIS Louer solidaire", ("5 place Bellecour", "69002 Lyon"), identifier="SIRET 123 456 789 00012")
ASSOCIATION = Party("Habitat Solidaire Rhône", ("1 rue Garibaldi", "69007 Lyon"), identifier="SIRET 987 654 321 00011")
OWNER = Party("Claire Dupont-Moreau", ("12 rue des Lilas", "69003 Lyon"))
UNIT = ("8 rue Paul Bert", "appartement 3B", "69003 Lyon")
TENANTS = ("Amina Diallo", "Moussa Diallo")
OPERATOR_IBAN = "FR76 3000 4000 0312 3456 7890 143"
OWNER_IBAN = "FR76 1027 8073 0000 0201 8290 189"
URL = "https://passerelle.example.org/payer/3q2Zc7Yx9LmN0pQ4rS8tUvW1xYz5aBcD6eFgH7iJkLmN"

NOTICE = RentCallNotice(
    number="AE-2026-12-000042",
    issuer=AIS,
    landlord_name="Claire Dupont-Moreau",
    tenants=TENANTS,
    unit_address=UNIT,
    lease_reference="Bail n° 42",
    period_start=date(2026, 12, 1),
    period_end=date(2026, 12, 31),
    due_on=date(2026, 12, 5),
    rent=D("612.40"),
    charges=D("45.00"),
    housing_benefit=D("238.00"),
    bank=BankDetails("AIS Louer solidaire — compte loyers", OPERATOR_IBAN, "BNPAFRPPXXX"),
    transfer_reference="LOYER-42-2026-12",
    payment_url=URL,
    payment_url_expires_on=date(2027, 1, 10),
    contact="04 78 00 00 00",
    issued_on=date(2026, 11, 25),
)
QUITTANCE = RentReceipt(
    kind=ReceiptKind.QUITTANCE,
    number="Q-2026-000123",
    landlord=OWNER,
    agent=AIS,
    tenants=TENANTS,
    unit_address=UNIT,
    lease_reference="Bail n° 42",
    period_start=date(2026, 12, 1),
    period_end=date(2026, 12, 31),
    rent=D("612.40"),
    charges=D("45.00"),
    payments=(
        ReceivedPayment(date(2026, 12, 5), D("238.00"), "Aide au logement versée par la CAF", housing_benefit=True),
        ReceivedPayment(date(2026, 12, 3), D("419.40"), "Virement"),
    ),
    signatory="Nadia Benali, gestionnaire locative",
    issued_on=date(2026, 12, 6),
)
# Under sous-location the association is the landlord and issues the reçu itself.
RECU = replace(
    QUITTANCE,
    kind=ReceiptKind.RECU,
    number="R-2026-000124",
    landlord=ASSOCIATION,
    agent=None,
    lease_reference="Contrat de sous-location n° 7",
    payments=(ReceivedPayment(date(2026, 12, 3), D("200.00"), "Chèque n° 1234567"),),
)
MANAGED = StatementUnit(
    unit_address=UNIT,
    lease_reference="Bail n° 42",
    tenants=("Amina Diallo",),
    rent=D("612.40"),
    charges=D("45.00"),
    housing_benefit=D("238.00"),
    fee_rate=D("0.07"),
    fees=D("42.87"),  # 7 % × 612.40 = 42.868, rounded by the ledger to 42.87
    deductions=(StatementDeduction("Remplacement du chauffe-eau (facture n° 2026-118)", D("310.00")),),
    notes=("Arriéré de novembre encaissé le 12 décembre.",),
)
GUARANTEED = StatementUnit(
    unit_address=("14 avenue Berthelot", "69007 Lyon"),
    lease_reference="Bail à l'association n° 13",
    guaranteed_rent=True,
    rent=D("480.00"),
    charges=D("50.00"),
)
STATEMENT = OwnerStatement(
    number="RG-2026-12-0042",
    operator=AIS,
    owner=OWNER,
    period=date(2026, 12, 1),
    units=(MANAGED, GUARANTEED),
    previous_balance=D("-20.00"),
    # unit 1: 612.40 + 45.00 − 42.87 − 310.00 = 304.53; unit 2: 480.00 + 50.00 = 530.00;
    # 304.53 + 530.00 − 20.00 = 814.53, all of it paid out.
    paid_out=D("814.53"),
    transfer_on=date(2027, 1, 5),
    owner_iban=OWNER_IBAN,
    issued_on=date(2027, 1, 3),
)


def pages_of(pdf: bytes) -> list[str]:
    """Each page's text, every kind of space and line break read as one space (French spaces are no-break)."""
    return [re.sub(r"[\s\u00a0\u202f]+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf: bytes) -> str:
    return " ".join(pages_of(pdf))


# pypdf names the fonts as the PDF does; the widths come from the same font files, registered by reportlab.
_FONTS = {
    "BitstreamVeraSans-Roman": agreement_layout.FONT,
    "BitstreamVeraSans-Bold": agreement_layout.FONT_BOLD,
    "BitstreamVeraSans-Oblique": agreement_layout.FONT_ITALIC,
    "Courier": "Courier",
}


def horizontal_extent(pdf: bytes) -> tuple[float, float]:
    """The leftmost start and the rightmost end of any text on any page, in points."""
    agreement_layout._register_fonts()
    starts: list[float] = []
    ends: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: dict[str, object] | None, size: float) -> None:
        text = text.rstrip("\n")
        if not text.strip() or font is None:
            return
        name = str(font["/BaseFont"]).split("+")[-1].lstrip("/")
        x = cm[0] * tm[4] + cm[4]
        starts.append(x)
        ends.append(x + stringWidth(text, _FONTS[name], size) * cm[0])

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return min(starts), max(ends)


def assert_inside_margins(pdf: bytes) -> None:
    left, right = horizontal_extent(pdf)
    assert left >= MARGIN - 0.5
    assert right <= A4[0] - MARGIN + 0.5


# --- the period in words ---------------------------------------------------------------------------------------


def test_period_text_names_the_month_or_the_days_covered() -> None:
    assert period_text(date(2026, 12, 1), date(2026, 12, 31)) == "décembre 2026"
    # Moving in on 10 December: 31 − 10 + 1 = 22 days of 31.
    assert period_text(date(2026, 12, 10), date(2026, 12, 31)) == "du 10 au 31 décembre 2026 (22 jours sur 31)"
    # Leaving on 14 March: 14 days of 31, « 1er » for the first.
    assert period_text(date(2027, 3, 1), date(2027, 3, 14)) == "du 1er au 14 mars 2027 (14 jours sur 31)"
    # February of a leap year has 29 days.
    assert period_text(date(2028, 2, 1), date(2028, 2, 29)) == "février 2028"
    assert period_text(date(2028, 2, 16), date(2028, 2, 29)) == "du 16 au 29 février 2028 (14 jours sur 29)"
    assert period_text(date(2026, 11, 30), date(2026, 11, 30)) == "le 30 novembre 2026 (1 jour sur 30)"
    with pytest.raises(ValueError, match="within one month"):
        period_text(date(2026, 12, 10), date(2027, 1, 9))


def test_iban_printed_in_groups_or_masked_to_its_last_four_characters() -> None:
    assert iban_groups("fr7630004000031234567890143") == "FR76\xa03000\xa04000\xa00312\xa03456\xa07890\xa0143"
    assert masked_iban(OWNER_IBAN) == "••••\xa00189"
    assert of("Amina Diallo") == "d'Amina Diallo" and of("Claire Dupont") == "de Claire Dupont"


# --- avis d'échéance -------------------------------------------------------------------------------------------


def test_notice_shows_rent_charges_benefit_and_the_households_share() -> None:
    text = text_of(render_rent_call_notice(NOTICE))
    assert "Avis d'échéance" in text and "Avis n° AE-2026-12-000042 — établi le 25 novembre 2026" in text
    assert "AIS Louer solidaire 5 place Bellecour 69002 Lyon SIRET 123 456 789 00012" in text
    assert "SIRET 123 456 789 00012 mandataire, pour le compte de Claire Dupont-Moreau, bailleur" in text
    assert "Locataires — logement loué Amina Diallo et Moussa Diallo 8 rue Paul Bert appartement 3B 69003 Lyon" in text
    assert "Contrat Bail n° 42" in text and "Période décembre 2026" in text
    assert "à payer au plus tard le 5 décembre 2026" in text
    assert "Loyer hors charges 612,40 €" in text
    assert "Provision pour charges 45,00 €" in text
    # 612.40 + 45.00 = 657.40; less the CAF's 238.00 paid to the operator: 657.40 − 238.00 = 419.40.
    assert "Total loyer et charges 657,40 €" in text
    assert "Aide au logement versée par la CAF (tiers payant), à déduire − 238,00 €" in text
    assert "nous est versée directement par la CAF" in text
    assert "Part à la charge du ménage 419,40 €" in text
    assert "Total à payer 419,40 €" in text
    assert "Solde antérieur" not in text
    assert "Cet avis n'est pas une quittance" in text


def test_notice_tells_how_to_pay() -> None:
    pdf = render_rent_call_notice(NOTICE)
    text = text_of(pdf)
    assert "Par virement à AIS Louer solidaire — compte loyers" in text
    assert "IBAN FR76 3000 4000 0312 3456 7890 143" in text and "BIC BNPAFRPPXXX" in text
    assert "Référence à indiquer LOYER-42-2026-12" in text
    assert "Lien valable jusqu'au 10 janvier 2027" in text
    # The address is printed in full (cut after a « / » when it does not fit on one line) and is a live link.
    assert URL in re.sub(r"\s", "", text)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    links = [annotation.get_object()["/A"]["/URI"] for annotation in page.get("/Annots", [])]
    assert links and set(links) == {URL}  # one link per printed line
    assert_inside_margins(pdf)


def test_prorated_first_month_with_arrears() -> None:
    # Moving in on 10 December: the ledger prorated 612.40 × 22 / 31 = 434.606… → 434.61 and
    # 45.00 × 22 / 31 = 31.935… → 31.94; the notice prints what it is given and adds it up.
    notice = replace(
        NOTICE,
        period_start=date(2026, 12, 10),
        rent=D("434.61"),
        charges=D("31.94"),
        housing_benefit=D("150.00"),
        previous_balance=D("120.00"),
        payment_url=None,
    )
    text = text_of(render_rent_call_notice(notice))
    assert "Loyer et charges — du 10 au 31 décembre 2026 (22 jours sur 31)" in text
    assert "Période du 10 au 31 décembre 2026 (22 jours sur 31)" in text
    # 434.61 + 31.94 = 466.55; − 150.00 = 316.55; + 120.00 of arrears = 436.55.
    assert "Total loyer et charges 466,55 €" in text
    assert "Part à la charge du ménage 316,55 €" in text
    assert "Solde antérieur restant dû (échéances précédentes) 120,00 €" in text
    assert "Total à payer 436,55 €" in text
    assert "En ligne" not in text


def test_a_credit_is_deducted_and_a_large_one_leaves_nothing_to_pay() -> None:
    # A credit of 100.00: 419.40 − 100.00 = 319.40.
    text = text_of(render_rent_call_notice(replace(NOTICE, previous_balance=D("-100.00"))))
    assert "Solde antérieur en votre faveur (trop-perçu), à déduire − 100,00 €" in text
    assert "Total à payer 319,40 €" in text
    # A credit of 500.00: 419.40 − 500.00 < 0, nothing to pay and 500.00 − 419.40 = 80.60 left.
    notice = replace(NOTICE, previous_balance=D("-500.00"))
    assert notice.amount_to_pay == 0 and notice.credit_left == D("80.60")
    text = text_of(render_rent_call_notice(notice))
    assert "Total à payer 0,00 €" in text
    assert "votre compte reste créditeur de 80,60 €" in text
    assert "Comment payer" not in text


def test_notice_without_housing_benefit_paid_by_the_msa() -> None:
    text = text_of(render_rent_call_notice(replace(NOTICE, housing_benefit=D("0"))))
    assert "tiers payant" not in text and "Part à la charge du ménage" not in text
    assert "Total à payer 657,40 €" in text
    text = text_of(render_rent_call_notice(replace(NOTICE, benefit_payer="MSA")))
    assert "Aide au logement versée par la MSA (tiers payant)" in text


def test_notice_refuses_what_would_not_add_up() -> None:
    with pytest.raises(ValueError, match="cents"):
        replace(NOTICE, rent=D("612.405"))
    with pytest.raises(ValueError, match="housing benefit"):
        replace(NOTICE, housing_benefit=D("657.41"))  # more than 612.40 + 45.00
    with pytest.raises(ValueError, match="CAF or the MSA"):
        replace(NOTICE, benefit_payer="Action Logement")
    with pytest.raises(ValueError, match="one month"):
        replace(NOTICE, period_end=date(2027, 1, 9))


# --- quittance and reçu ----------------------------------------------------------------------------------------


def test_quittance_under_mandate() -> None:
    pdf = render_rent_receipt(QUITTANCE)
    text = text_of(pdf)
    assert "Quittance de loyer" in text and "Quittance n° Q-2026-000123 — délivrée le 6 décembre 2026" in text
    assert "Bailleur Claire Dupont-Moreau 12 rue des Lilas 69003 Lyon représenté par son mandataire AIS" in text
    assert "AIS Louer solidaire, mandataire, pour le compte de Claire Dupont-Moreau, bailleur, déclare" in text
    assert "Période décembre 2026" in text and "Contrat Bail n° 42" in text
    # Rent and charges on lines of their own (art. 21), then what was received, dated.
    assert "Loyer hors charges 612,40 €" in text
    assert "Charges (provision) 45,00 €" in text
    assert "Total dû pour la période 657,40 €" in text
    assert "3 décembre 2026 — Virement 419,40 €" in text
    assert "5 décembre 2026 — Aide au logement versée par la CAF (tiers payant) 238,00 €" in text
    # 238.00 + 419.40 = 657.40 received, 657.40 − 657.40 = 0.00 still due.
    assert "Total reçu pour la période 657,40 €" in text
    assert "la somme de 657,40 € (dont 238,00 € d'aide au logement versée par la CAF)" in text
    assert "reçu d'Amina Diallo et Moussa Diallo" in text
    assert "les 3 décembre 2026 et 5 décembre 2026" in text and "leur en donne quittance" in text
    assert "Reste dû pour la période 0,00 €" in text
    assert "entièrement réglés" in text and "Quittance délivrée gratuitement" in text
    assert "n'est pas une quittance" not in text
    assert "Pour Claire Dupont-Moreau, son mandataire AIS Louer solidaire — Nadia Benali" in text
    assert_inside_margins(pdf)


def test_recu_for_a_partial_payment_under_sous_location() -> None:
    text = text_of(render_rent_receipt(RECU))
    assert "Reçu de paiement partiel" in text and "Reçu n° R-2026-000124 — délivré le 6 décembre 2026" in text
    assert "Quittance de loyer" not in text and "Quittance délivrée gratuitement" not in text
    # The association is the household's landlord: it issues the reçu itself, for nobody else.
    assert "Bailleur Habitat Solidaire Rhône 1 rue Garibaldi 69007 Lyon SIRET 987 654 321 00011" in text
    assert "pour le compte" not in text and "mandataire" not in text
    assert "Habitat Solidaire Rhône, bailleur, déclare avoir reçu d'Amina Diallo et Moussa Diallo" in text
    assert "la somme de 200,00 €, le 3 décembre 2026, en paiement partiel" in text
    assert "Loyer hors charges 612,40 €" in text and "Charges (provision) 45,00 €" in text
    # 612.40 + 45.00 = 657.40 due; 657.40 − 200.00 = 457.40 still due.
    assert "3 décembre 2026 — Chèque n° 1234567 200,00 €" in text
    assert "Reste dû pour la période 457,40 €" in text
    assert "Ce reçu n'est pas une quittance" in text and "Reste dû pour la période : 457,40 €" in text


def test_receipt_kind_must_match_what_was_paid() -> None:
    # loi 89-462 art. 21: a quittance only for a fully paid period, a reçu for a partial payment.
    with pytest.raises(ValueError, match="fully paid"):
        replace(RECU, kind=ReceiptKind.QUITTANCE)
    with pytest.raises(ValueError, match="partial"):
        replace(QUITTANCE, kind=ReceiptKind.RECU)
    with pytest.raises(ValueError, match="never exceed"):
        replace(RECU, payments=(ReceivedPayment(date(2026, 12, 3), D("657.41"), "Virement"),))
    with pytest.raises(ValueError, match="at least one payment"):
        replace(RECU, payments=())
    assert ReceiptKind("recu") is ReceiptKind.RECU  # the ledger's LedgerDocumentKind values


# --- relevé de gérance -----------------------------------------------------------------------------------------


def test_statement_lines_totals_and_payout() -> None:
    pdf = render_owner_statement(STATEMENT)
    text = text_of(pdf)
    assert "Relevé de gérance" in text and "Décembre 2026 — Claire Dupont-Moreau" in text
    assert "Relevé n° RG-2026-12-0042 — établi le 3 janvier 2027" in text
    assert "Logement 1 — 8 rue Paul Bert, appartement 3B, 69003 Lyon" in text
    assert "Bail n° 42 — mandat de gestion — locataire : Amina Diallo" in text
    assert "Loyer encaissé 612,40 € Charges encaissées 45,00 €" in text
    assert "dont aide au logement versée par la CAF pour votre compte (tiers payant) 238,00 €" in text
    # 612.40 + 45.00 = 657.40 collected (the CAF's 238.00 is part of it, not added).
    assert "Total perçu pour votre compte 657,40 €" in text
    assert "Frais de gestion (7 % du loyer encaissé) − 42,87 €" in text
    assert "Remplacement du chauffe-eau (facture n° 2026-118) − 310,00 €" in text
    # 657.40 − 42.87 − 310.00 = 304.53.
    assert "Net pour ce logement 304,53 €" in text
    assert "Arriéré de novembre encaissé le 12 décembre." in text
    assert "Net du logement 1 304,53 € Net du logement 2 530,00 €" in text
    assert "Solde du relevé précédent, à votre charge − 20,00 €" in text
    # 304.53 + 530.00 − 20.00 = 814.53.
    assert "Montant dû au propriétaire 814,53 €" in text and "Montant versé 814,53 €" in text
    assert "Solde reporté" not in text
    assert "Virement de 814,53 € programmé le 5 janvier 2027 sur votre compte IBAN •••• 0189." in text
    assert_inside_margins(pdf)


def test_statement_never_prints_the_owners_iban() -> None:
    pdf = render_owner_statement(STATEMENT)
    squeezed = re.sub(r"\s", "", text_of(pdf))
    assert "••••0189" in squeezed
    assert "FR7610278073" not in squeezed and "FR76" not in squeezed
    for group in ("1027", "8073", "0201", "8290"):  # every 4-character group but the last
        assert group not in squeezed
    # Nor anywhere in the file: metadata, title, uncompressed strings.
    assert b"FR76" not in pdf and b"10278073" not in pdf
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None and "FR76" not in str(dict(reader.metadata))


def test_sous_location_rent_is_guaranteed_and_says_so() -> None:
    text = text_of(render_owner_statement(STATEMENT))
    assert GUARANTEED_RENT == "loyer garanti, versé que le logement soit occupé ou non et que le ménage ait payé ou non"
    assert GUARANTEED_RENT in text
    assert "Logement 2 — 14 avenue Berthelot, 69007 Lyon" in text
    assert "Bail à l'association n° 13 — location à l'association, loyer garanti" in text
    assert "Loyer dû par AIS Louer solidaire au titre du bail principal 480,00 €" in text
    # 480.00 + 50.00 = 530.00, no fees, no benefit.
    assert "Charges dues au titre du bail principal 50,00 € Total dû pour ce logement 530,00 €" in text

    only_guaranteed = replace(STATEMENT, units=(GUARANTEED,), previous_balance=D("0"), paid_out=D("530.00"))
    text = text_of(render_owner_statement(only_guaranteed))
    assert "Relevé des loyers versés" in text and "Relevé de gérance" not in text
    assert "Logement loué à AIS Louer solidaire (location / sous-location)" in text and GUARANTEED_RENT in text

    only_managed = replace(STATEMENT, units=(MANAGED,), previous_balance=D("0"), paid_out=D("304.53"))
    text = text_of(render_owner_statement(only_managed))
    assert "loyer garanti" not in text and "Net du mois 304,53 €" in text


def test_statement_carries_forward_what_is_not_paid_out() -> None:
    # Deductions above what came in: 657.40 − 42.87 − 700.00 = −85.47, nothing paid out, −85.47 carried.
    unit = replace(MANAGED, deductions=(StatementDeduction("Travaux de plomberie", D("700.00")),))
    statement = replace(STATEMENT, units=(unit,), previous_balance=D("0"), paid_out=D("0"))
    assert statement.carried_forward == D("-85.47")
    text = text_of(render_owner_statement(statement))
    assert "Net pour ce logement -85,47 €" in text
    assert "Montant versé 0,00 €" in text and "Solde reporté sur le prochain relevé -85,47 €" in text
    assert "Aucun virement ce mois-ci (sur votre compte IBAN •••• 0189)" in text
    with pytest.raises(ValueError, match="paid out"):
        replace(STATEMENT, paid_out=D("814.54"))  # one cent more than 814.53 owed


def test_statement_refuses_fees_or_benefit_on_a_guaranteed_rent() -> None:
    with pytest.raises(ValueError, match="guaranteed rent"):
        replace(GUARANTEED, fee_rate=D("0.07"), fees=D("33.60"))
    with pytest.raises(ValueError, match="guaranteed rent"):
        replace(GUARANTEED, housing_benefit=D("100.00"))
    with pytest.raises(ValueError, match="rate"):
        replace(MANAGED, fee_rate=None)
    with pytest.raises(ValueError, match="IBAN"):
        replace(STATEMENT, owner_iban="0189")


def test_many_units_flow_onto_a_second_page_one_unit_per_block() -> None:
    units = tuple(
        replace(
            MANAGED,
            unit_address=(
                f"Résidence des Tilleuls, bâtiment {n}, escalier C, {n} rue du Professeur Grignard",
                "69007 Lyon",
            ),
            lease_reference=f"Bail n° {100 + n}",
            tenants=(f"Locataire numéro {n} avec un nom composé très long", "Deuxième occupant"),
        )
        for n in range(1, 8)
    )
    # 7 × 304.53 = 2 131.71.
    statement = replace(STATEMENT, units=units, previous_balance=D("0"), paid_out=D("2131.71"))
    pdf = render_owner_statement(statement)
    pages = pages_of(pdf)
    assert len(pages) >= 2
    assert f"page 1 / {len(pages)}" in pages[0] and f"page {len(pages)} / {len(pages)}" in pages[-1]
    for n in range(1, 8):
        # A unit's heading, lines and net stay on one page.
        holding = [page for page in pages if f"Logement {n} — Résidence des Tilleuls, bâtiment {n}," in page]
        assert len(holding) == 1
        block = holding[0].split(f"Logement {n} — ")[1].split("Logement " if n < 7 else "Récapitulatif")[0]
        assert "Net pour ce logement 304,53 €" in block
    summary = [page for page in pages if "Récapitulatif et versement" in page]
    assert len(summary) == 1 and "Montant versé 2 131,71 €" in summary[0]
    assert_inside_margins(pdf)


def test_long_addresses_names_and_links_stay_inside_the_margins() -> None:
    long_party = Party(
        "Association départementale pour l'insertion par le logement des personnes sans domicile du Rhône",
        (
            "Bâtiment B, 3e étage, porte gauche",
            "123 boulevard du Maréchal Jean-Marie de Lattre de Tassigny",
            "69100 Villeurbanne",
        ),
        identifier="SIRET 123 456 789 00012",
    )
    long_unit = (
        "Résidence Les Jardins de la Saône, bâtiment C, escalier 4, appartement 1207",
        "27 quai Jean Moulin",
        "69001 Lyon",
    )
    tenants = ("Marie-Christine Ndiaye-Fernandez de la Vega", "Jean-Baptiste Ndiaye-Fernandez", "Aïssatou Ndiaye")
    url = "https://paiement.louer-solidaire-metropole-de-lyon.example.org/payer/" + "Ab9" * 20
    notice = replace(
        NOTICE,
        issuer=long_party,
        tenants=tenants,
        unit_address=long_unit,
        payment_url=url,
        previous_balance=D("1234.56"),
        other_payment_methods=("Chèque à l'ordre de l'association, à déposer à l'accueil du lundi au vendredi",),
    )
    pdf = render_rent_call_notice(notice)
    assert len(pages_of(pdf)) == 1
    assert url in re.sub(r"\s", "", text_of(pdf))
    assert_inside_margins(pdf)
    # 419.40 + 1 234.56 = 1 653.96.
    assert "Total à payer 1 653,96 €" in text_of(pdf)

    payments = tuple(
        ReceivedPayment(date(2026, 12, day), D("50.00"), f"Versement en espèces à l'accueil, reçu n° {day}")
        for day in range(1, 12)
    )
    # 11 × 50.00 = 550.00 paid; 657.40 − 550.00 = 107.40 still due.
    recu = replace(RECU, landlord=long_party, tenants=tenants, unit_address=long_unit, payments=payments)
    pdf = render_rent_receipt(recu)
    text = text_of(pdf)
    assert "Total reçu pour la période 550,00 €" in text and "Reste dû pour la période 107,40 €" in text
    assert "la somme de 550,00 €, entre le 1er décembre 2026 et le 11 décembre 2026, en paiement partiel" in text
    assert "1er décembre 2026 — Versement en espèces à l'accueil, reçu n° 1 50,00 €" in text
    assert len(pages_of(pdf)) == 1
    assert_inside_margins(pdf)


# --- reproducible ------------------------------------------------------------------------------------------------


def test_same_input_same_bytes() -> None:
    assert render_rent_call_notice(NOTICE) == render_rent_call_notice(replace(NOTICE))
    assert render_rent_receipt(QUITTANCE) == render_rent_receipt(replace(QUITTANCE))
    assert render_rent_receipt(RECU) == render_rent_receipt(replace(RECU))
    assert render_owner_statement(STATEMENT) == render_owner_statement(replace(STATEMENT))
    assert render_rent_call_notice(NOTICE) != render_rent_call_notice(replace(NOTICE, rent=D("612.41")))
    assert render_owner_statement(STATEMENT) != render_owner_statement(replace(STATEMENT, paid_out=D("800.00")))


def test_same_bytes_in_another_process() -> None:
    """Nothing depends on the process (time, font subset names, object ids)."""
    script = (
        "import hashlib\n"
        "from tests.test_rent_documents_pdf import NOTICE, QUITTANCE, RECU, STATEMENT\n"
        "from contracts.rent_documents import render_rent_call_notice, render_rent_receipt\n"
        "from contracts.owner_statement import render_owner_statement\n"
        "for pdf in (render_rent_call_notice(NOTICE), render_rent_receipt(QUITTANCE), render_rent_receipt(RECU),"
        " render_owner_statement(STATEMENT)):\n"
        "    print(hashlib.sha256(pdf).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[1]
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert output == [
        hashlib.sha256(pdf).hexdigest()
        for pdf in (
            render_rent_call_notice(NOTICE),
            render_rent_receipt(QUITTANCE),
            render_rent_receipt(RECU),
            render_owner_statement(STATEMENT),
        )
    ]


def test_pdf_metadata_carries_the_document_date_and_title() -> None:
    reader = PdfReader(io.BytesIO(render_rent_receipt(QUITTANCE)))
    assert reader.metadata is not None
    assert str(reader.metadata.get("/CreationDate", "")).startswith("D:20261206")
    assert reader.metadata.title == "Quittance de loyer — Q-2026-000123"
    reader = PdfReader(io.BytesIO(render_owner_statement(STATEMENT)))
    assert reader.metadata is not None and reader.metadata.title == "Relevé de gérance — RG-2026-12-0042"
