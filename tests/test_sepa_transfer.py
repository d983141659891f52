"""SEPA credit transfer file (pain.001.001.03) for owner payouts: content, totals, reproducibility, refusals."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema

from contracts.sepa_transfer import Debtor, SepaTransferError, Transfer, build_credit_transfer

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}

DEBTOR = Debtor(name="Louer solidaire 69", iban="FR76 3000 4000 0312 3456 7890 143", bic="bnpa frpp xxx")
TRANSFERS = (
    Transfer(
        creditor_name="Hélène Dupré & Fils",
        iban="FR76 3000 6000 0112 3456 7890 189",
        bic=None,
        amount=Decimal("612.34"),
        reference="PAY-2026-11-0001",
        remittance="Relevé de gérance n° 12 — novembre 2026",
    ),
    Transfer(
        creditor_name="SCI Les Tilleuls",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        amount=Decimal("1000.05"),
        reference="PAY-2026-11-0002",
        remittance="Loyer dû novembre 2026",
    ),
    Transfer(
        creditor_name="Jean Martin",
        iban="BE68539007547034",
        bic=None,
        amount=Decimal("0.01"),
        reference="PAY-2026-11-0003",
        remittance="Solde",
    ),
)
WHEN = {"message_id": "PAYOUT-2026-11", "execution_date": date(2026, 12, 5), "created_at": datetime(2026, 11, 30, 9)}


def build(transfers: tuple[Transfer, ...] = TRANSFERS, debtor: Debtor = DEBTOR, **overrides: object) -> bytes:
    return build_credit_transfer(debtor, transfers, **{**WHEN, **overrides})  # type: ignore[arg-type]


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)  # noqa: S314 (the builder's own output, not untrusted input)


def text(node: ET.Element, path: str) -> str | None:
    found = node.find(path, NS)
    return None if found is None else found.text


@pytest.fixture(scope="module")
def document() -> ET.Element:
    return parse(build())


def test_group_header_counts_and_sums_the_transfers(document: ET.Element) -> None:
    header = document.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header is not None
    assert text(header, "p:MsgId") == "PAYOUT-2026-11"
    assert text(header, "p:CreDtTm") == "2026-11-30T09:00:00"
    assert text(header, "p:NbOfTxs") == "3"
    # 612.34 + 1000.05 + 0.01 = 1612.40
    assert text(header, "p:CtrlSum") == "1612.40"
    assert text(header, "p:InitgPty/p:Nm") == "Louer solidaire 69"


def test_one_batch_from_the_operator_account_on_the_execution_date(document: ET.Element) -> None:
    batches = document.findall("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert len(batches) == 1
    batch = batches[0]
    assert text(batch, "p:PmtInfId") == "PAYOUT-2026-11"
    assert text(batch, "p:PmtMtd") == "TRF"
    assert text(batch, "p:BtchBookg") == "true"
    assert text(batch, "p:NbOfTxs") == "3"
    assert text(batch, "p:CtrlSum") == "1612.40"  # 612.34 + 1000.05 + 0.01
    assert text(batch, "p:PmtTpInf/p:SvcLvl/p:Cd") == "SEPA"
    assert text(batch, "p:ReqdExctnDt") == "2026-12-05"
    assert text(batch, "p:Dbtr/p:Nm") == "Louer solidaire 69"
    assert text(batch, "p:DbtrAcct/p:Id/p:IBAN") == "FR7630004000031234567890143"  # spaces removed
    assert text(batch, "p:DbtrAgt/p:FinInstnId/p:BIC") == "BNPAFRPPXXX"
    assert text(batch, "p:ChrgBr") == "SLEV"


def test_each_transfer_carries_its_creditor_amount_and_remittance(document: ET.Element) -> None:
    rows = [
        (
            text(tx, "p:PmtId/p:EndToEndId"),
            text(tx, "p:Amt/p:InstdAmt"),
            tx.find("p:Amt/p:InstdAmt", NS).get("Ccy"),  # type: ignore[union-attr]
            text(tx, "p:CdtrAgt/p:FinInstnId/p:BIC"),
            text(tx, "p:Cdtr/p:Nm"),
            text(tx, "p:CdtrAcct/p:Id/p:IBAN"),
            text(tx, "p:RmtInf/p:Ustrd"),
        )
        for tx in document.findall("p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf", NS)
    ]
    assert rows == [
        (
            "PAY-2026-11-0001",
            "612.34",
            "EUR",
            None,  # no BIC given: IBAN only
            "Helene Dupre + Fils",  # EPC character set: accents transliterated, « & » becomes « + »
            "FR7630006000011234567890189",
            "Releve de gerance no 12 - novembre 2026",
        ),
        (
            "PAY-2026-11-0002",
            "1000.05",
            "EUR",
            "COBADEFFXXX",
            "SCI Les Tilleuls",
            "DE89370400440532013000",
            "Loyer du novembre 2026",
        ),
        ("PAY-2026-11-0003", "0.01", "EUR", None, "Jean Martin", "BE68539007547034", "Solde"),
    ]


def test_the_file_conforms_to_the_pain_001_001_03_schema() -> None:
    # Independent of the builder's own validation: the schema sepaxml ships, read by xmlschema directly.
    schema = xmlschema.XMLSchema(Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd")
    assert schema.is_valid(build().decode())


def test_same_batch_gives_the_same_bytes() -> None:
    assert build() == build()


def test_creation_time_and_message_id_come_from_the_arguments() -> None:
    later = build(created_at=datetime(2026, 11, 30, 17, 45, 12), message_id="PAYOUT-2026-11-B")
    assert later == (
        build()
        .replace(b"2026-11-30T09:00:00", b"2026-11-30T17:45:12")
        .replace(b"<MsgId>PAYOUT-2026-11<", b"<MsgId>PAYOUT-2026-11-B<")
        .replace(b"<PmtInfId>PAYOUT-2026-11<", b"<PmtInfId>PAYOUT-2026-11-B<")
    )


def test_an_aware_creation_time_keeps_its_offset() -> None:
    root = parse(build(created_at=datetime(2026, 11, 30, 8, 0, 0, 999_999, tzinfo=UTC)))
    assert text(root, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm") == "2026-11-30T08:00:00+00:00"  # seconds only


def test_amounts_are_written_in_exact_cents() -> None:
    transfers = (
        dataclasses.replace(TRANSFERS[0], amount=Decimal("612.3")),  # 61230 cents
        dataclasses.replace(TRANSFERS[1], amount=Decimal("1E+3")),  # 100000 cents
        dataclasses.replace(TRANSFERS[2], amount=Decimal("0.10")),  # 10 cents
    )
    root = parse(build(transfers))
    amounts = [node.text for node in root.iter(f"{{{NS['p']}}}InstdAmt")]
    assert amounts == ["612.30", "1000.00", "0.10"]
    # 612.30 + 1000.00 + 0.10 = 1612.40
    assert text(root, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum") == "1612.40"


def test_long_names_are_cut_at_seventy_characters() -> None:
    name = "Société civile immobilière " + "des Jardins " * 6  # 27 + 6 × 12 = 99 characters
    root = parse(build((dataclasses.replace(TRANSFERS[0], creditor_name=name),)))
    written = text(root, "p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf/p:Cdtr/p:Nm")
    # 70 = 27 + 3 × 12 + 7: three whole « des Jardins » then « des Jar ».
    assert written == "Societe civile immobiliere des Jardins des Jardins des Jardins des Jar"
    assert len(written) == 70


def _refusal(**changes: object) -> str:
    transfers = (dataclasses.replace(TRANSFERS[0], **changes), TRANSFERS[1])  # type: ignore[arg-type]
    with pytest.raises(SepaTransferError) as caught:
        build(transfers)
    return str(caught.value)


@pytest.mark.parametrize(
    ("iban", "problem"),
    [
        ("FR7630006000011234567890188", "clé de contrôle incorrecte"),  # last digit changed: mod 97 ≠ 1
        ("FR7330004000031234567890100", "clé RIB incorrecte"),  # IBAN key right, French RIB key 00 wrong
        ("FR76300060000112345678901", "longueur incorrecte pour ce pays"),  # 25 characters, France needs 27
        ("XX7630006000011234567890189", "code pays inconnu"),
        ("FR76 3000 6000 0112 3456 7890 18!", "caractères ou format incorrects"),
    ],
    ids=["checksum", "cle-rib", "length", "country", "characters"],
)
def test_an_invalid_creditor_iban_is_refused_in_french(iban: str, problem: str) -> None:
    assert _refusal(iban=iban) == f"IBAN invalide pour « Hélène Dupré & Fils » : {iban} ({problem})."


def test_an_iban_outside_the_sepa_zone_is_refused() -> None:
    message = _refusal(iban="BR1800360305000010009795493C1")
    assert message == "IBAN hors zone SEPA pour « Hélène Dupré & Fils » : BR1800360305000010009795493C1."


def test_an_invalid_debtor_iban_or_bic_is_refused() -> None:
    with pytest.raises(SepaTransferError, match="IBAN invalide pour « Louer solidaire 69 »"):
        build(debtor=dataclasses.replace(DEBTOR, iban="FR7630004000031234567890144"))
    with pytest.raises(SepaTransferError, match="BIC invalide pour « Louer solidaire 69 » : BNP"):
        build(debtor=dataclasses.replace(DEBTOR, bic="BNP"))


def test_an_invalid_creditor_bic_is_refused() -> None:
    assert _refusal(bic="COBA-DE") == "BIC invalide pour « Hélène Dupré & Fils » : COBA-DE."


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0"), "Montant du virement à « Hélène Dupré & Fils » nul ou négatif (0,00\u00a0€) : refusé."),
        (Decimal("-12.50"), "Montant du virement à « Hélène Dupré & Fils » nul ou négatif (-12,50\u00a0€) : refusé."),
        (
            Decimal("10.005"),
            "Montant du virement à « Hélène Dupré & Fils » (10,005 €) qui n'est pas un nombre entier de centimes : "
            "refusé.",
        ),
    ],
    ids=["zero", "negative", "below-cent"],
)
def test_zero_negative_and_sub_cent_amounts_are_refused(amount: Decimal, message: str) -> None:
    assert _refusal(amount=amount) == message


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(SepaTransferError) as caught:
        build(())
    assert str(caught.value) == "Lot de virements vide : il n'y a aucun virement à émettre."


def test_a_reference_used_twice_is_refused() -> None:
    twice = (TRANSFERS[0], dataclasses.replace(TRANSFERS[1], reference=TRANSFERS[0].reference))
    with pytest.raises(SepaTransferError, match="Référence « PAY-2026-11-0001 » en double dans le lot"):
        build(twice)


@pytest.mark.parametrize("reference", ["", "PAY 1", "/PAY-1", "PAY-1/", "PAY//1", "P" * 36, "PAYÉ-1"])
def test_a_reference_outside_the_sepa_rules_is_refused(reference: str) -> None:
    assert _refusal(reference=reference).startswith(
        f"Référence du virement à « Hélène Dupré & Fils » invalide : « {reference} » (1 à 35 caractères"
    )


def test_a_bad_message_id_is_refused() -> None:
    with pytest.raises(SepaTransferError, match="Identifiant du message invalide : « PAYOUT 2026 »"):
        build(message_id="PAYOUT 2026")


def test_a_remittance_text_too_long_is_refused_not_cut() -> None:
    message = _refusal(remittance="Relevé " * 21)  # 21 × 7 = 147 characters, final space dropped: 146 > 140
    assert message == "Libellé du virement à « Hélène Dupré & Fils » trop long (146 caractères, 140 au plus)."


def test_an_execution_date_with_a_time_is_refused() -> None:
    with pytest.raises(SepaTransferError, match="date d'exécution doit être une date"):
        build(execution_date=datetime(2026, 12, 5, 10))
