"""French typography for documents: dates in words, amounts, no-break spaces (pure, no Babel, no Flask).

Amounts are written as fr-FR does (and as ``passerelle.formatting.money`` shows them on screen):
``1 234,56 €`` with a narrow no-break space between thousands and a no-break space before the sign.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"  # espace insécable: before « : », inside guillemets, before « € » and « % »
NNBSP = "\u202f"  # espace fine insécable: thousands, before « ; ? ! »

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def date_in_words(value: date) -> str:
    """``22 novembre 2026``; the first of the month is written ``1er``."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def _group(digits: str) -> str:
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return NNBSP.join(groups)


def number(value: Decimal, places: int = 2) -> str:
    """``1 234,56`` (rounded half up to ``places`` decimals; ``places=0`` for a whole number)."""
    quantum = Decimal(1).scaleb(-places)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    return f"{sign}{_group(whole)}{',' + fraction if fraction else ''}"


def money(amount: Decimal) -> str:
    """``1 234,56 €``: always with cents, rounded half up."""
    return f"{number(amount, 2)}{NBSP}€"


def percent(rate: Decimal) -> str:
    """A rate as a percentage with no useless decimals: 0.07 → ``7 %``, 0.085 → ``8,5 %``."""
    value = (rate * 100).normalize()
    text = f"{value:f}" if value != value.to_integral() else f"{value.to_integral():f}"
    return f"{text.replace('.', ',')}{NBSP}%"


_BEFORE_COLON = re.compile(r"(?<=\S)[ \u00a0\u202f]?:(?=\s|$)")
_BEFORE_HIGH_PUNCTUATION = re.compile(r"(?<=[^\s;?!])[ \u00a0\u202f]?([;?!]+)(?=\s|$|[»)])")
_AFTER_NUMERO = re.compile(r"\b(n°|N°|art\.) ")
_AFTER_OPENING_QUOTE = re.compile(r"«[ \u00a0\u202f]*")
_BEFORE_CLOSING_QUOTE = re.compile(r"[ \u00a0\u202f]*»")


def nbsp(text: str) -> str:
    """Put the no-break spaces French typography wants before ``: ; ? !``, inside ``« »`` and after ``n°``.

    Apply to plain text, before any markup escaping (``&amp;`` must not be read as punctuation). Times
    (``14:30``) and addresses (``https://``) are left alone: the colon must be followed by a space.
    """
    text = _BEFORE_COLON.sub(NBSP + ":", text)
    text = _BEFORE_HIGH_PUNCTUATION.sub(lambda match: NNBSP + match.group(1), text)
    text = _AFTER_NUMERO.sub(lambda match: match.group(1) + NBSP, text)
    text = _AFTER_OPENING_QUOTE.sub("«" + NBSP, text)
    return _BEFORE_CLOSING_QUOTE.sub(NBSP + "»", text)
