"""French formatting of amounts, numbers and dates (Babel, fr_FR), exposed as Jinja filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from flask import Flask, current_app

LOCALE = "fr_FR"
PARIS = ZoneInfo("Europe/Paris")


def money(amount: Decimal | int | None, *, cents: bool = True) -> str:
    """Format an amount in euros: ``1 234,56 €`` (narrow no-break spaces, as Babel does for fr-FR)."""
    if amount is None:
        return "—"
    pattern = None if cents else "#,##0\u00a0¤"
    return format_currency(Decimal(amount), "EUR", format=pattern, locale=LOCALE, currency_digits=cents)


def number(value: Decimal | int | float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return format_decimal(value, format=f"#,##0.{'#' * digits}" if digits else "#,##0", locale=LOCALE)


def percent(value: Decimal | float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
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
