"""Loc'Avantages cap and DPE ban calendar (capture/rules/locavantages.py) on hand-computed cases.

Figures come from passerelle/reference/parameters.toml at a date (no database); the expected caps are worked
out by hand from domain.md §3, digit by digit, in the comments.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal as D
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capture.rules import locavantages as rules
from passerelle.reference.importers import DEFAULT_PARAMETERS_FILE
from passerelle.reference.queries import convert

ON = date(2026, 11, 22)


@cache
def values_at(on: date) -> dict[str, Any]:
    """Every parameter's value on a date, read straight from the versioned parameters file."""
    entries = tomllib.loads(DEFAULT_PARAMETERS_FILE.read_text(encoding="utf-8"))["parameter"]
    values: dict[str, Any] = {}
    starts: dict[str, date] = {}
    for entry in entries:
        start, end = entry["valid_from"], entry.get("valid_to")
        if start <= on and (end is None or end >= on) and start >= starts.get(entry["key"], date.min):
            values[entry["key"]], starts[entry["key"]] = convert(entry["kind"], entry["value"]), start
    return values


RULES = rules.CapRules.from_values(values_at(ON))
DISCOUNT = {level: values_at(ON)[key] for level, key in rules.DISCOUNT_KEYS.items()}
DEDUCTION = values_at(ON)[rules.CHARGES_DEDUCTION_KEY]


def test_the_parameters_hold_the_figures_of_domain_md() -> None:
    # domain.md §3: half of the annexes up to 8 m²; min(1.2, round(0.7 + 19 / S, 2)); −15 / −30 / −45 %.
    assert rules.CapRules(D("0.5"), D("8"), D("0.7"), D("19"), D("1.2"), 2) == RULES
    assert {"loc1": D("0.15"), "loc2": D("0.30"), "loc3": D("0.45")} == DISCOUNT


def test_45_m2_with_6_m2_of_annexes_at_12_30() -> None:
    # S = 45 + min(6 × 0.5, 8) = 48; 0.7 + 19 / 48 = 1.0958… → 1.10 (under the 1.2 cap).
    assert rules.fiscal_surface(D("45"), D("6"), RULES) == D("48")
    assert rules.surface_coefficient(D("48"), RULES) == D("1.10")
    market = D("12.30") * (1 - DEDUCTION)  # the shipped deduction, whatever it is today
    market = market.quantize(D("0.01"))
    # Loc1: market × 0.85 × 48 × 1.10; Loc2 × 0.70; Loc3 × 0.55; each rounded to the cent.
    expected = {
        level: (market * (1 - discount) * D("48") * D("1.10")).quantize(D("0.01"))
        for level, discount in (("loc1", D("0.15")), ("loc2", D("0.30")), ("loc3", D("0.45")))
    }
    for level, cap in expected.items():
        assert rules.rent_cap(D("12.30"), DISCOUNT[level], DEDUCTION, D("45"), D("6"), RULES) == cap


@pytest.mark.parametrize(
    ("deduction", "level", "expected"),
    [
        # No deduction: 12.30 × 0.85 = 10.455; × 48 = 501.84; × 1.10 = 552.024 → 552.02.
        (D("0"), "loc1", D("552.02")),
        # 12.30 × 0.70 = 8.61; × 48 = 413.28; × 1.10 = 454.608 → 454.61 (half up).
        (D("0"), "loc2", D("454.61")),
        # 12.30 × 0.55 = 6.765; × 48 = 324.72; × 1.10 = 357.192 → 357.19.
        (D("0"), "loc3", D("357.19")),
        # 10 % of charges: 12.30 × 0.90 = 11.07 €/m²; × 0.70 = 7.749; × 48 = 371.952; × 1.10 = 409.1472 → 409.15.
        (D("0.10"), "loc2", D("409.15")),
    ],
)
def test_caps_by_hand(deduction: D, level: str, expected: D) -> None:
    assert rules.rent_cap(D("12.30"), DISCOUNT[level], deduction, D("45"), D("6"), RULES) == expected


@pytest.mark.parametrize(
    ("fiscal", "expected"),
    [
        (D("12"), D("1.2")),  # 0.7 + 1.5833 = 2.28 → capped at 1.2
        (D("38"), D("1.2")),  # 0.7 + 0.5 = 1.20 exactly
        (D("53"), D("1.06")),  # 0.7 + 0.35849 = 1.0585 → 1.06
        (D("152"), D("0.83")),  # 0.7 + 0.125 = 0.825 → 0.83: half up, not to even
    ],
)
def test_surface_coefficient(fiscal: D, expected: D) -> None:
    assert rules.surface_coefficient(fiscal, RULES) == expected


def test_annexes_count_half_up_to_8_m2() -> None:
    assert rules.fiscal_surface(D("45"), D("20"), RULES) == D("53")  # half of 20 = 10, counted 8
    assert rules.fiscal_surface(D("45"), D("0"), RULES) == D("45")


def test_cap_over_a_thousand_euros() -> None:
    # Market 30 €/m²: Loc1 = 30 × 0.85 × 48 × 1.10 = 1 346.40.
    assert rules.rent_cap(D("30"), D("0.15"), D("0"), D("45"), D("6"), RULES) == D("1346.40")


# --- same results as the simulator's formulas (the lead will make the simulator call these) -------------------


@given(
    surface=st.decimals(min_value=D("9"), max_value=D("400"), places=2),
    annexes=st.decimals(min_value=D("0"), max_value=D("60"), places=2),
    market=st.decimals(min_value=D("3"), max_value=D("45"), places=6),
    deduction=st.sampled_from([D("0"), D("0.08"), D("0.15")]),
    level=st.sampled_from(["loc1", "loc2", "loc3"]),
)
def test_same_cap_as_the_simulator(surface: D, annexes: D, market: D, deduction: D, level: str) -> None:
    from landlord_portal.rules import simulator

    params = _simulator_params()
    fiscal = simulator.fiscal_surface(surface, annexes, params)
    excluding = simulator.money(market * (1 - deduction))  # simulator._market_reference
    theirs = simulator.rent_cap(excluding, DISCOUNT[level], fiscal, simulator.surface_coefficient(fiscal, params))
    assert rules.rent_cap(market, DISCOUNT[level], deduction, surface, annexes, RULES) == theirs


@cache
def _simulator_params() -> Any:
    from landlord_portal.rules.simulator import SimulatorParameters, Sourced

    return SimulatorParameters.from_values({key: Sourced(key, value) for key, value in values_at(ON).items()})


# --- DPE ban calendar --------------------------------------------------------------------------------------------

BANS = {dpe: values_at(ON)[key] for dpe, key in rules.BAN_KEYS.items()}


def test_ban_dates_from_the_calendar() -> None:
    # domain.md §6: G from 1 January 2025, F from 1 January 2028, E from 1 January 2034.
    assert rules.dpe_ban_date("G", BANS) == date(2025, 1, 1)
    assert rules.dpe_ban_date("f", BANS) == date(2028, 1, 1)
    assert rules.dpe_ban_date("E", BANS) == date(2034, 1, 1)
    assert rules.dpe_ban_date("D", BANS) is None
    assert rules.dpe_ban_date(None, BANS) is None


def test_banned_now_or_during_a_six_year_commitment() -> None:
    g, f, e = BANS["G"], BANS["F"], BANS["E"]
    assert rules.is_banned(g, ON) and not rules.is_banned(f, ON)
    assert rules.banned_during(f, ON, 6)  # 2028 is before 22 November 2032
    assert not rules.banned_during(e, ON, 6)  # 2034 is after 22 November 2032
    assert rules.banned_during(e, date(2028, 6, 1), 6)  # until 1 June 2034
    assert not rules.banned_during(g, ON, 6)  # already banned: not « will be »
    assert rules.banned_during(e, date(2028, 1, 1), 6)  # the end day counts: a renewal on 1/1/2034 is refused
    assert not rules.banned_during(None, ON, 6)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 12, 1), 2, date(2027, 2, 1)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),
        (date(2026, 11, 30), 36, date(2029, 11, 30)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert rules.add_months(start, months) == expected


def test_add_years_on_29_february() -> None:
    assert rules.add_years(date(2028, 2, 29), 6) == date(2034, 2, 28)
