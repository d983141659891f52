"""The IRL revision rule (capture/rules/rent_revision.py), pure: ANIL's example and three revisions from the
shared INSEE series computed by hand, truncation (never rounding up), freeze, cap, quarters, which index applies
at a revision date, and the revision calendar."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from capture.rules.rent_revision import (
    InvalidQuarter,
    IrlValue,
    MissingIndex,
    Quarter,
    RentRevision,
    counts_as_published,
    first_due_date_from,
    indexed,
    indices_for_revision,
    latest_quarter_over,
    next_revision_on,
    parse_classes,
    parse_quarter,
    revise_rent,
    revision_dates,
    revision_effective_on,
    revision_lapsed,
)
from contracts.typography import NBSP

FROZEN = frozenset({"F", "G"})  # what the parameter irl.revision_frozen_dpe_classes holds since 24/08/2022


@pytest.fixture
def series(shared_data: Path) -> dict[Quarter, IrlValue]:
    """The shared INSEE series (../shared/data/irl.csv), as the importer stores it: no publication dates."""
    with (shared_data / "irl.csv").open(encoding="utf-8") as handle:
        rows = [
            IrlValue(Quarter(int(row["year"]), int(row["quarter"])), D(row["irl"])) for row in csv.DictReader(handle)
        ]
    return {row.quarter: row for row in rows}


def revise(series: dict[Quarter, IrlValue], rent: str, quarter: str, **options: Any) -> RentRevision:
    new = parse_quarter(quarter)
    return revise_rent(D(rent), series[new], series[new.previous_year()], **options)


# --- the four worked examples ---------------------------------------------------------------------------------


def test_anil_worked_example(series: dict[Quarter, IrlValue]) -> None:
    # 500 × 129.38 = 64 690.00; 64 690.00 / 127.22 = 508.4892… → truncated to the cent: 508.48 (not 508.49).
    revision = revise(series, "500", "2019-Q1")
    assert (revision.irl_new, revision.irl_old) == (D("129.38"), D("127.22"))
    assert (revision.quarter_new, revision.quarter_old) == (Quarter(2019, 1), Quarter(2018, 1))
    assert revision.new_rent == D("508.48") == revision.indexed_rent
    assert revision.increase == D("8.48")
    assert not revision.frozen and not revision.capped
    assert f"500,00{NBSP}€ × 129,38 / 127,22 = 508,48{NBSP}€ (tronqué au centime)" in revision.explanation
    assert "1er trimestre 2019" in revision.explanation and "1er trimestre 2018" in revision.explanation


@pytest.mark.parametrize(
    ("rent", "quarter", "irl_new", "irl_old", "expected"),
    [
        # 650.00 × 140.59 = 91 383.50; / 135.84 = 672.7289… → 672.72 (rounding would give 672.73).
        ("650.00", "2023-T2", "140.59", "135.84", "672.72"),
        # 720.50 × 144.51 = 104 119.4550; / 141.03 = 738.2787… → 738.27 (rounding would give 738.28).
        ("720.50", "2024-T3", "144.51", "141.03", "738.27"),
        # 812.37 × 145.77 = 118 419.1749; / 144.51 = 819.4531… → 819.45.
        ("812.37", "2025-Q3", "145.77", "144.51", "819.45"),
    ],
)
def test_three_revisions_from_the_shared_series(
    series: dict[Quarter, IrlValue], rent: str, quarter: str, irl_new: str, irl_old: str, expected: str
) -> None:
    revision = revise(series, rent, quarter)
    assert (revision.irl_new, revision.irl_old) == (D(irl_new), D(irl_old))
    assert revision.new_rent == D(expected)
    assert revision.increase == D(expected) - D(rent)


def test_truncated_never_rounded_up() -> None:
    # 100 × 2 / 3 = 66.666… → 66.66; 100 × 3 / 2 = 150 exactly stays 150.00.
    assert indexed(D("100"), D("2"), D("3")) == D("66.66")
    assert indexed(D("100"), D("3"), D("2")) == D("150.00")
    # A result a hair under one cent, beyond the 28 digits of Python's default context: 0.01 × 0.999…9 (30 nines)
    # = 0.00999…9 truncates to 0.00, where arithmetic rounded at 28 digits would first make it 0.01.
    assert indexed(D("0.01"), D("0." + "9" * 30), D("1")) == D("0.00")


def test_the_rent_goes_down_with_the_index() -> None:
    # 600 × 130.00 / 131.00 = 595.4198… → 595.41: the law applies the formula both ways.
    revision = revise_rent(D("600"), IrlValue(Quarter(2021, 2), D("130.00")), IrlValue(Quarter(2020, 2), D("131.00")))
    assert revision.new_rent == D("595.41")
    assert revision.increase == D("-4.59")
    assert f"baisse de 4,59{NBSP}€" in revision.explanation


# --- freeze and cap -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dpe", ["F", "G", "g"])
def test_f_and_g_rents_are_frozen(series: dict[Quarter, IrlValue], dpe: str) -> None:
    revision = revise(series, "500", "2019-Q1", dpe_class=dpe, frozen_classes=FROZEN)
    assert revision.frozen
    assert revision.new_rent == D("500.00") and revision.increase == 0
    assert revision.indexed_rent == D("508.48")  # shown for information
    assert "gelé" in revision.explanation and "2021-1104" in revision.explanation


def test_other_classes_and_no_freeze_parameter_are_revised(series: dict[Quarter, IrlValue]) -> None:
    assert revise(series, "500", "2019-Q1", dpe_class="E", frozen_classes=FROZEN).new_rent == D("508.48")
    # Before 24 August 2022 the caller finds no frozen class: a G unit was revised like any other.
    assert revise(series, "500", "2019-Q1", dpe_class="G", frozen_classes=()).new_rent == D("508.48")


def test_the_cap_is_never_exceeded(series: dict[Quarter, IrlValue]) -> None:
    # 508.48 would exceed a 505.00 cap: the cap.
    capped = revise(series, "500", "2019-Q1", cap=D("505.00"))
    assert capped.capped and capped.new_rent == D("505.00") and capped.indexed_rent == D("508.48")
    assert f"plafond de la convention (505,00{NBSP}€)" in capped.explanation
    # Under the cap: unchanged by it.
    free = revise(series, "500", "2019-Q1", cap=D("600.00"))
    assert not free.capped and free.new_rent == D("508.48")
    # Exactly at the cap: not "capped".
    assert not revise(series, "500", "2019-Q1", cap=D("508.48")).capped


def test_a_rent_already_above_the_cap_comes_down_to_it(series: dict[Quarter, IrlValue]) -> None:
    revision = revise(series, "520", "2019-Q1", cap=D("510.00"))
    assert revision.capped and revision.new_rent == D("510.00") and revision.increase == D("-10.00")
    assert "dépasse déjà le plafond" in revision.explanation
    # Frozen and above the cap: the freeze forbids a revision, the convention still forbids the excess.
    frozen = revise(series, "520", "2019-Q1", cap=D("510.00"), dpe_class="G", frozen_classes=FROZEN)
    assert frozen.frozen and frozen.capped and frozen.new_rent == D("510.00")


def test_inputs_the_rule_refuses() -> None:
    new, old = IrlValue(Quarter(2019, 1), D("129.38")), IrlValue(Quarter(2018, 1), D("127.22"))
    with pytest.raises(ValueError, match="celui du 4e trimestre 2018"):
        revise_rent(D("500"), new, IrlValue(Quarter(2018, 4), D("129.03")))
    with pytest.raises(ValueError, match="centimes"):
        revise_rent(D("500.001"), new, old)
    with pytest.raises(ValueError):
        revise_rent(D("0"), new, old)
    with pytest.raises(ValueError):
        revise_rent(D("500"), new, old, cap=D("-1"))
    with pytest.raises(ValueError, match="inconnues"):
        parse_classes("F,H")
    assert parse_classes(" f, G ") == {"F", "G"}


# --- quarters ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2024-Q2", "2024-T2", "2024t2", " 2024 q2 ", "2024/T2"])
def test_quarters_are_read_in_both_spellings(text: str) -> None:
    quarter = parse_quarter(text)
    assert quarter == Quarter(2024, 2)
    assert (quarter.code, quarter.label, quarter.in_words) == ("2024-Q2", "2024-T2", "2e trimestre 2024")
    assert quarter.previous_year() == Quarter(2023, 2)
    assert Quarter(2019, 1).in_words == "1er trimestre 2019"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-Q5", "Trimestre « 5 » impossible"),
        ("2024-T0", "Trimestre « 0 » impossible"),
        ("24-T2", "Année « 24 » invalide"),
        ("0999-T2", "Année « 0999 » invalide"),
        ("2024", "Trimestre illisible"),
        ("T2 2024", "Trimestre illisible"),
        ("", "Trimestre illisible"),
    ],
)
def test_unreadable_quarters_are_refused_in_french(text: str, message: str) -> None:
    with pytest.raises(InvalidQuarter, match=message):
        parse_quarter(text)


# --- which index at a revision date ---------------------------------------------------------------------


def test_an_undated_index_counts_once_its_quarter_is_over() -> None:
    # As latest_irl: Q2 2025 (April–June) counts from 1 July 2025, not on 30 June.
    q2 = IrlValue(Quarter(2025, 2), D("146.68"))
    assert not counts_as_published(q2, date(2025, 6, 30))
    assert counts_as_published(q2, date(2025, 7, 1))
    dated = IrlValue(Quarter(2025, 2), D("146.68"), published_on=date(2025, 7, 15))
    assert not counts_as_published(dated, date(2025, 7, 14)) and counts_as_published(dated, date(2025, 7, 15))
    assert latest_quarter_over(2, date(2025, 7, 1)) == Quarter(2025, 2)
    assert latest_quarter_over(2, date(2025, 6, 30)) == Quarter(2024, 2)
    assert latest_quarter_over(4, date(2026, 1, 1)) == Quarter(2025, 4)


def test_indices_for_a_revision_date(series: dict[Quarter, IrlValue]) -> None:
    values = list(series.values())
    # A lease with the 1st quarter as reference, revised on 1 March 2019: Q1 2019 is over only from April, so
    # the latest Q1 published is Q1 2018 (127.22), compared with Q1 2017 — not in the series: named, not guessed.
    with pytest.raises(MissingIndex) as missing:
        indices_for_revision(values, 1, date(2019, 3, 1))
    assert missing.value.quarter == Quarter(2017, 1)
    assert "1er trimestre 2017 (2017-T1)" in str(missing.value)
    # Revised on 1 May 2019: Q1 2019 over 129.38 / 127.22 (ANIL's pair).
    new, old = indices_for_revision(values, 1, date(2019, 5, 1))
    assert (new.quarter, new.value, old.quarter, old.value) == (
        Quarter(2019, 1),
        D("129.38"),
        Quarter(2018, 1),
        D("127.22"),
    )
    # The 3rd quarter on 1 December 2025: Q3 2025 145.77 over Q3 2024 144.51.
    new, old = indices_for_revision(values, 3, date(2025, 12, 1))
    assert (new.value, old.value) == (D("145.77"), D("144.51"))


def test_an_index_not_yet_imported_waits_instead_of_falling_back(series: dict[Quarter, IrlValue]) -> None:
    # On 1 February 2026 the 4th quarter of 2025 should be out; the shared series stops at Q3 2025.
    with pytest.raises(MissingIndex) as missing:
        indices_for_revision(series.values(), 4, date(2026, 2, 1))
    assert missing.value.quarter == Quarter(2025, 4)
    assert "aucune valeur n'est devinée" in str(missing.value)


def test_an_index_published_after_the_revision_date_gives_way_to_the_year_before(
    series: dict[Quarter, IrlValue],
) -> None:
    values = [*series.values()]
    values.remove(series[Quarter(2025, 2)])
    values.append(IrlValue(Quarter(2025, 2), D("146.68"), published_on=date(2025, 7, 15)))
    new, old = indices_for_revision(values, 2, date(2025, 7, 10))
    assert (new.quarter, new.value, old.value) == (Quarter(2024, 2), D("145.17"), D("140.59"))
    new, _ = indices_for_revision(values, 2, date(2025, 7, 15))
    assert new.value == D("146.68")


# --- when ---------------------------------------------------------------------------------------------------


def test_revision_dates_on_each_anniversary() -> None:
    assert revision_dates(date(2023, 3, 15), date(2026, 3, 15)) == (
        date(2024, 3, 15),
        date(2025, 3, 15),
        date(2026, 3, 15),
    )
    # A lease that states its own date (every 1st of January from 2025).
    assert revision_dates(date(2023, 3, 15), date(2026, 6, 1), first_on=date(2025, 1, 1)) == (
        date(2025, 1, 1),
        date(2026, 1, 1),
    )
    # 29 February: the 28th in ordinary years, the 29th again in a leap year.
    assert revision_dates(date(2024, 2, 29), date(2028, 12, 31)) == (
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    )
    assert next_revision_on(date(2023, 3, 15), date(2025, 3, 16)) == date(2026, 3, 15)
    assert next_revision_on(date(2023, 3, 15), date(2025, 3, 15)) == date(2025, 3, 15)
    assert next_revision_on(date(2023, 3, 15), date(2023, 4, 1)) == date(2024, 3, 15)
    with pytest.raises(ValueError):
        revision_dates(date(2023, 3, 15), date(2026, 1, 1), first_on=date(2023, 3, 1))


def test_not_retroactive_and_lapsed_after_a_year() -> None:
    # Revision on 15 March, rent due on the 5th: the first due date at the new rent is 5 April.
    assert revision_effective_on(date(2025, 3, 15), date(2025, 3, 1), 5) == date(2025, 4, 5)
    # Asked on 20 June, after the date: from the request on (5 July), no back-payment.
    assert revision_effective_on(date(2025, 3, 15), date(2025, 6, 20), 5) == date(2025, 7, 5)
    assert first_due_date_from(date(2025, 3, 5), 5) == date(2025, 3, 5)
    assert first_due_date_from(date(2025, 12, 6), 5) == date(2026, 1, 5)
    # One year to ask (parameter irl.revision_claim_months = 12).
    assert not revision_lapsed(date(2025, 3, 15), date(2026, 3, 15), 12)
    assert revision_lapsed(date(2025, 3, 15), date(2026, 3, 16), 12)
