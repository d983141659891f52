"""French formatting of amounts and dates (Babel, fr-FR)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from babel.numbers import format_currency, format_percent
from hypothesis import given, settings
from hypothesis import strategies as st

from passerelle.formatting import date_time, long_date, money, percent, short_date

NNBSP = "\u202f"  # narrow no-break space: thousands separator in fr-FR
NBSP = "\xa0"


def test_money_uses_french_separators() -> None:
    assert money(Decimal("1234.56")) == f"1{NNBSP}234,56{NBSP}€"
    assert money(Decimal("0")) == f"0,00{NBSP}€"
    assert money(Decimal("-45.5")) == f"-45,50{NBSP}€"
    assert money(None) == "—"


def test_money_without_cents() -> None:
    assert money(Decimal("10000"), cents=False) == f"10{NNBSP}000{NBSP}€"


def test_dates_in_words_and_paris_time() -> None:
    assert long_date(date(2026, 11, 22)) == "22 novembre 2026"
    assert short_date(date(2026, 1, 6)) == "06/01/2026"
    # 23:30 UTC on 31 December is already 1 January in Paris.
    assert long_date(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == "1er janvier 2026"
    assert long_date(date(2025, 1, 2)) == "2 janvier 2025"
    assert date_time(datetime(2026, 7, 14, 10, 5, tzinfo=UTC)) == "14 juillet 2026 à 12:05"


def test_percent() -> None:
    assert percent(Decimal("0.35")) == f"35{NBSP}%"
    assert percent(Decimal("0.305"), 1).startswith("30,5")


@settings(max_examples=400, deadline=None)
@given(
    st.decimals(min_value=Decimal("-10000000"), max_value=Decimal("10000000"), places=3, allow_nan=False)
    | st.integers(min_value=-(10**9), max_value=10**9),
    st.booleans(),
)
def test_money_writes_what_babel_writes(amount: Decimal | int, cents: bool) -> None:
    # money() formats directly for speed; it must agree with Babel's fr_FR currency format, rounding included.
    pattern = None if cents else "#,##0\u00a0¤"
    expected = format_currency(Decimal(amount), "EUR", format=pattern, locale="fr_FR", currency_digits=cents)
    assert money(amount, cents=cents) == expected


def test_money_rounds_half_to_even_like_babel() -> None:
    assert money(Decimal("1234.565")) == f"1{NNBSP}234,56{NBSP}€"
    assert money(Decimal("1234.575")) == f"1{NNBSP}234,58{NBSP}€"
    assert money(Decimal("-0.001")) == f"-0,00{NBSP}€"


@settings(max_examples=400, deadline=None)
@given(
    st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=5, allow_nan=False)
    | st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([0, 1, 2]),
)
def test_percent_writes_what_babel_writes(value: Decimal | int, digits: int) -> None:
    pattern = f"#,##0.{'0' * digits}\u00a0%" if digits else "#,##0\u00a0%"
    assert percent(value, digits) == format_percent(value, format=pattern, locale="fr_FR")
