"""French formatting of amounts, numbers and dates (Babel, fr_FR), exposed as Jinja filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from flask import Flask, current_app

LOCALE = "fr_FR"
PARIS = ZoneInfo("Europe/Paris")


def money(amount: Decimal | int | None, *, cents: bool = True) -> str:
    """Format an amount in euros: ``1 234,56 €`` (narrow no-break spaces, as Babel does for fr-FR).

    Babel's own formatter costs about 0.2 ms a call, which adds up on pages that explain hundreds of scores; this
    writes the same text directly (rounded half to even, as Babel does; ``tests/test_formatting.py`` checks both
    agree), and hands anything unusual (NaN, infinity) to Babel.
    """
    if amount is None:
        return "—"
    value = Decimal(amount)
    if value.is_finite():
        return _fr_euros(value, cents)
    pattern = None if cents else "#,##0\u00a0¤"
    return format_currency(value, "EUR", format=pattern, locale=LOCALE, currency_digits=cents)


_CENT, _UNIT = Decimal("0.01"), Decimal(1)


def _fr_euros(value: Decimal, cents: bool) -> str:
    return _fr_number(value, 2 if cents else 0) + "\u00a0€"


def _fr_number(value: Decimal, digits: int) -> str:
    """``1 234,5`` with exactly ``digits`` decimals, rounded half to even, as Babel's fr_FR patterns write it."""
    rounded = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    text = f"{abs(rounded):,.{digits}f}"
    whole, _, fraction = text.partition(".")
    return ("-" if rounded.is_signed() else "") + whole.replace(",", "\u202f") + ("," + fraction if digits else "")


def number(value: Decimal | int | float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return format_decimal(value, format=f"#,##0.{'#' * digits}" if digits else "#,##0", locale=LOCALE)


def percent(value: Decimal | float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal | int) and not isinstance(value, bool) and Decimal(value).is_finite():
        return _fr_number(Decimal(value) * 100, digits) + "\u00a0%"  # as Babel writes it, without its cost
    pattern = f"#,##0.{'0' * digits}\u00a0%" if digits else "#,##0\u00a0%"
    return format_percent(value, format=pattern, locale=LOCALE)


def long_date(value: date | datetime | None) -> str:
    """``22 novembre 2026``, ``1er janvier 2025``; timestamps are shown in Paris time."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    if value.day == 1:
        return "1er " + format_date(value, format="MMMM y", locale=LOCALE)
    return format_date(value, format="long", locale=LOCALE)


def month_year(value: date | None) -> str:
    """``décembre 2026`` (a rent period)."""
    if value is None:
        return "—"
    return format_date(value, format="MMMM y", locale=LOCALE)


def short_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return format_date(value, format="dd/MM/yyyy", locale=LOCALE)


def date_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    return format_datetime(value.astimezone(PARIS), format="d MMMM yyyy 'à' HH:mm", locale=LOCALE)


def init_app(app: Flask) -> None:
    # Templates of one package may link to pages another package adds later.
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in current_app.view_functions
    app.jinja_env.filters.update(
        money=money,
        number=number,
        percent=percent,
        long_date=long_date,
        month_year=month_year,
        short_date=short_date,
        date_time=date_time,
    )
