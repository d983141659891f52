"""Write dates, amounts and rates as fr-FR does (pure: no Flask, no Babel; dates from contracts.typography)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from contracts.typography import MONTHS, date_in_words
from landlord_portal.rules.levels import CENT

MONTHS_FR = MONTHS


def long_date(value: date) -> str:
    return date_in_words(value)


def _group(digits: str) -> str:
    parts: list[str] = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return "\u202f".join(parts)


def euros(amount: Decimal, *, cents: bool = False) -> str:
    """``28 258 €`` (or ``1 234,56 €``), as fr-FR writes amounts."""
    sign = "−" if amount < 0 else ""
    value = abs(amount).quantize(CENT if cents else Decimal(1), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{value:f}".partition(".")
    return f"{sign}{_group(whole)}{',' + fraction if fraction else ''}\u00a0€"


def number(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"
    return text.replace(".", ",")


def pct(rate: Decimal, *, places: int = 0) -> str:
    value = (rate * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{number(value)}\u00a0%"
