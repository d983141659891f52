"""Owner payouts as a SEPA credit transfer file (pain.001.001.03) for the operator's bank.

Frozen dataclasses in, XML bytes out, built by the maintained `sepaxml` library and validated against the
pain.001.001.03 schema it ships. Reproducible: the message id, the creation time and the payment information
id come from the arguments, so the same batch gives the same bytes. IBANs and BICs are checked with
`schwifty` (ISO 13616 mod-97 key, length and format per country, and the French clé RIB).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import schwifty
from schwifty.exceptions import (
    InvalidBBANChecksum,
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    InvalidStructure,
    NationalChecksumNotVerified,
    SchwiftyException,
)
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError
from text_unidecode import unidecode  # sepaxml's own transliteration dependency

from contracts.typography import money

SCHEMA = "pain.001.001.03"
CURRENCY = "EUR"
# EPC SEPA Credit Transfer rulebook: at most 999 999 999,99 € per transfer.
MAXIMUM_AMOUNT = Decimal("999999999.99")
# ISO 20022 lengths used by pain.001.001.03.
_NAME_LENGTH = 70
_REMITTANCE_LENGTH = 140
_IDENTIFIER_LENGTH = 35
# EPC "Latin character set" every SEPA bank accepts; anything else is transliterated or replaced.
_SEPA_CHARACTERS = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_IDENTIFIER = re.compile(r"[A-Za-z0-9/\-?:().,'+]+")
# Before transliteration: « n° 12 » reads « no 12 » (not « ndeg 12 »), dashes stay single.
_FRENCH_MARKS = str.maketrans({"°": "o", "—": "-", "–": "-"})

_IBAN_PROBLEMS: tuple[tuple[type[SchwiftyException], str], ...] = (
    (InvalidChecksumDigits, "clé de contrôle incorrecte"),
    (InvalidBBANChecksum, "clé RIB incorrecte"),
    (InvalidCountryCode, "code pays inconnu"),
    (InvalidLength, "longueur incorrecte pour ce pays"),
    (InvalidStructure, "caractères ou format incorrects"),
)


class SepaTransferError(ValueError):
    """A French message explaining why the transfer file cannot be built."""


@dataclass(frozen=True)
class Debtor:
    """The operator's account the payouts are taken from."""

    name: str
    iban: str
    bic: str


@dataclass(frozen=True)
class Transfer:
    """One payout to one owner."""

    creditor_name: str
    iban: str
    bic: str | None  # optional in SEPA since 2016 (IBAN only)
    amount: Decimal  # euros, a whole number of cents
    reference: str  # end-to-end id, returned to us by the bank with the transfer (≤ 35 characters)
    remittance: str  # text the owner reads on their statement (≤ 140 characters)


def build_credit_transfer(
    debtor: Debtor,
    transfers: Sequence[Transfer],
    *,
    message_id: str,
    execution_date: date,
    created_at: datetime,
) -> bytes:
    """Build and validate the pain.001.001.03 file paying every transfer on `execution_date`."""
    if not transfers:
        raise SepaTransferError("Lot de virements vide : il n'y a aucun virement à émettre.")
    if isinstance(execution_date, datetime) or not isinstance(execution_date, date):
        raise SepaTransferError("La date d'exécution doit être une date (sans heure).")
    if not isinstance(created_at, datetime):
        raise SepaTransferError("La date de création du fichier doit être une date et heure.")
    message_id = _identifier(message_id, "Identifiant du message")
    config: dict[str, Any] = {
        "name": _name(debtor.name, "le compte émetteur"),
        "IBAN": _iban(debtor.iban, debtor.name),
        "BIC": _bic(debtor.bic, debtor.name),
        "currency": CURRENCY,
        "batch": True,  # one debit line on the operator's statement for the whole payout
    }
    payments = []
    seen: set[str] = set()
    for transfer in transfers:
        reference = _identifier(transfer.reference, f"Référence du virement à « {transfer.creditor_name} »")
        if reference in seen:
            raise SepaTransferError(
                f"Référence « {reference} » en double dans le lot : un virement serait payé deux fois."
            )
        seen.add(reference)
        payment: dict[str, Any] = {
            "name": _name(transfer.creditor_name, "un bénéficiaire"),
            "IBAN": _iban(transfer.iban, transfer.creditor_name),
            "amount": _cents(transfer.amount, transfer.creditor_name),
            "execution_date": execution_date,
            "description": _remittance(transfer.remittance, transfer.creditor_name),
            "endtoend_id": reference,
        }
        if transfer.bic:
            payment["BIC"] = _bic(transfer.bic, transfer.creditor_name)
        payments.append(payment)

    document = _ReproducibleTransfer(config, message_id=message_id, created_at=created_at.isoformat(timespec="seconds"))
    for payment in payments:
        document.add_payment(payment)
    try:
        return bytes(document.export(validate=True))
    except ValidationError as error:
        detail = getattr(error.__cause__, "reason", None) or str(error.__cause__ or error)
        raise SepaTransferError(f"Fichier non conforme au schéma {SCHEMA} : {detail}") from error


class _ReproducibleTransfer(SepaTransfer):
    """sepaxml's builder with the ids and time it would draw at random or from the clock fixed by us."""

    def __init__(self, config: dict[str, Any], *, message_id: str, created_at: str) -> None:
        super().__init__(config, schema=SCHEMA, clean=False)
        self._payment_info_id = message_id  # one PmtInf per file: the message id identifies it too
        header = self._xml.find("CstmrCdtTrfInitn/GrpHdr")
        header.find("MsgId").text = message_id
        header.find("CreDtTm").text = created_at

    def _finalize_batch(self) -> None:
        super()._finalize_batch()
        for node in self._xml.iter("PmtInfId"):
            node.text = self._payment_info_id


def _cents(amount: Decimal, creditor: str) -> int:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise SepaTransferError(f"Montant invalide pour « {creditor} » : {amount!r}.")
    if amount <= 0:
        raise SepaTransferError(f"Montant du virement à « {creditor} » nul ou négatif ({money(amount)}) : refusé.")
    if amount > MAXIMUM_AMOUNT:
        raise SepaTransferError(f"Montant du virement à « {creditor} » supérieur au plafond SEPA : refusé.")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise SepaTransferError(
            f"Montant du virement à « {creditor} » ({str(amount).replace('.', ',')} €) "
            "qui n'est pas un nombre entier de centimes : refusé."
        )
    return int(cents)


def _iban(value: str, holder: str) -> str:
    compact = re.sub(r"\s+", "", value or "").upper()
    try:
        with warnings.catch_warnings():
            # Countries without a national key algorithm in schwifty: the ISO mod-97 key is still checked.
            warnings.simplefilter("ignore", NationalChecksumNotVerified)
            iban = schwifty.IBAN(compact, validate_bban=True)
    except SchwiftyException as error:
        problem = next((text for kind, text in _IBAN_PROBLEMS if isinstance(error, kind)), "format incorrect")
        raise SepaTransferError(f"IBAN invalide pour « {holder} » : {value} ({problem}).") from error
    if not iban.in_sepa_zone:
        raise SepaTransferError(f"IBAN hors zone SEPA pour « {holder} » : {value}.")
    return str(iban.compact)


def _bic(value: str, holder: str) -> str:
    compact = re.sub(r"\s+", "", value or "").upper()
    try:
        return str(schwifty.BIC(compact).compact)
    except SchwiftyException as error:
        raise SepaTransferError(f"BIC invalide pour « {holder} » : {value}.") from error


def _sepa_text(value: str) -> str:
    """Transliterate to the EPC character set (« Hélène & Fils » → « Helene + Fils »), spaces collapsed."""
    text = (value or "").translate(_FRENCH_MARKS)
    text = unidecode(text).replace("&", "+")
    return " ".join(_SEPA_CHARACTERS.sub(" ", text).split())


def _name(value: str, who: str) -> str:
    name = _sepa_text(value)
    if not name:
        raise SepaTransferError(f"Nom manquant pour {who}.")
    # ISO 20022 Max70Text: banks truncate longer names the same way.
    return name[:_NAME_LENGTH]


def _remittance(value: str, creditor: str) -> str:
    text = _sepa_text(value)
    if not text:
        raise SepaTransferError(f"Libellé du virement à « {creditor} » manquant.")
    if len(text) > _REMITTANCE_LENGTH:
        # Never cut it: the owner reconciles the payout with the statement through this text.
        raise SepaTransferError(
            f"Libellé du virement à « {creditor} » trop long ({len(text)} caractères, {_REMITTANCE_LENGTH} au plus)."
        )
    return text


def _identifier(value: str, what: str) -> str:
    # EPC: 1 to 35 characters of the Latin set, no space, not starting or ending with "/", never "//".
    if (
        not value
        or len(value) > _IDENTIFIER_LENGTH
        or not _IDENTIFIER.fullmatch(value)
        or value.startswith("/")
        or value.endswith("/")
        or "//" in value
    ):
        raise SepaTransferError(
            f"{what} invalide : « {value} » (1 à 35 caractères parmi lettres sans accent, chiffres"
            " et / - ? : ( ) . , ' +, sans espace ni « / » en début ou en fin)."
        )
    return value
