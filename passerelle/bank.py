"""Bank account numbers typed by people (owners, operators): checked with schwifty, stored compact."""

from __future__ import annotations

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException


class BankDetailsError(ValueError):
    """A wrong IBAN or BIC, said in French."""


def clean_iban(value: str) -> str:
    """``fr76 3000 6000 …`` → ``FR763000600…``, or BankDetailsError (checksum, length, country format)."""
    try:
        return IBAN(value).compact
    except SchwiftyException:
        raise BankDetailsError("Cet IBAN n'est pas valide : vérifiez-le sur le relevé d'identité bancaire.") from None


def clean_bic(value: str) -> str | None:
    """``agrifrpp`` → ``AGRIFRPP``; empty → None; otherwise BankDetailsError."""
    if not value.strip():
        return None
    try:
        return str(BIC(value.strip().upper()))
    except SchwiftyException:
        raise BankDetailsError("Ce BIC n'est pas valide (8 ou 11 caractères, par exemple AGRIFRPP).") from None
