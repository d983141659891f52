"""Matching rules (agency_backoffice/rules: composition, constraints, scoring) on hand-computed cases.

Figures come from passerelle/reference/parameters.toml at a date, ceilings from the shared data file; the
expected values are worked out by hand from domain.md §7 and data/SOURCES.md in the comments.
"""

from __future__ import annotations

import csv
import itertools
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agency_backoffice.models.enums import Need, PriorityFlag, Sex, SupportIntensity
from agency_backoffice.rules.composition import (
    Member,
    caf_min_surface,
    ceiling_category,
    children_rooms,
    consumption_units,
    household_figures,
    room_need,
    rooms_needed,
)
from agency_backoffice.rules.constraints import assess_pair, check_pair
from agency_backoffice.rules.facts import CeilingGrid, HouseholdFacts, UnitFacts
from agency_backoffice.rules.parameters import OPERATOR_SETTINGS, InvalidSettings, MatchingParameters
from agency_backoffice.rules.scoring import months_waiting, score_pair
from capture.models.enums import ConventionLevel, IMLMode
from passerelle.formatting import money
from passerelle.reference.importers import DEFAULT_PARAMETERS_FILE
from passerelle.reference.queries import convert

ON = date(2026, 11, 22)
F, M = Sex.FEMALE, Sex.MALE


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


P = MatchingParameters.from_values(values_at(ON))


def adult(age: int, sex: Sex | None = None) -> Member:
    return Member(age, True, sex)


def kid(age: int, sex: Sex | None) -> Member:
    return Member(age, False, sex)


def household(*members: Member, couple: bool = False, **changes: Any) -> HouseholdFacts:
    base = HouseholdFacts(
        id=1,
        couple=couple,
        members=members,
        monthly_resources=D("1000"),
        tax_income=D("10000"),
        referred_on=ON,
    )
    return replace(base, **changes)


def unit(**changes: Any) -> UnitFacts:
    base = UnitFacts(
        id=10,
        unit_id=100,
        landlord_id=7,
        commune_insee="62041",
        commune_name="Arras",
        mode=IMLMode.SUBLEASE,
        level=ConventionLevel.NONE,
        rent=D("450"),
        charges=D("50"),
        rooms=2,
        surface_m2=D("40"),
        available_on=ON,
        floor=0,
        has_lift=False,
        step_free=True,
    )
    return replace(base, **changes)


SINGLE = household(adult(40, F))


def codes(h: HouseholdFacts, u: UnitFacts, on: date = ON) -> list[str]:
    return [failure.code for failure in check_pair(h, u, on, P)]


# --- parameters ---------------------------------------------------------------------------------------------


def test_the_parameters_hold_the_figures_of_domain_md() -> None:
    # domain.md §7: 19 years, under 7, 9 / 16 / +9 m², 1 / 0.5 / 0.3 UC from 14, practice 20–30 %.
    assert (P.adult_age, P.shared_room_age_limit, P.uc_age_threshold) == (19, 7, 14)
    assert (P.caf_one_person_m2, P.caf_two_persons_m2, P.caf_extra_person_m2) == (D(9), D(16), D(9))
    assert (P.uc_first_adult, P.uc_other_14_plus, P.uc_child_under_14) == (D(1), D("0.5"), D("0.3"))
    assert (P.effort_comfortable, P.effort_threshold) == (D("0.20"), D("0.30"))
    assert (P.studio_single_min_m2, P.young_couple_max_age_sum) == (D(25), 55)
    assert sum(P.weights.values()) == 100


def test_settings_are_read_from_text_and_checked() -> None:
    values = dict(values_at(ON))
    values["affordability.effort_rate.max"] = "0,33"
    values["matching.weight.floor"] = "0"
    params = MatchingParameters.from_values(values)
    assert (params.effort_threshold, params.weight_floor) == (D("0.33"), 0)
    for key, bad in (
        ("affordability.effort_rate.max", "0.20"),  # not above the comfortable rate
        ("matching.weight.floor", "2.5"),  # weights are whole points
        ("matching.weight.floor", "-1"),
        ("matching.commune.place_value", "1.5"),
        ("matching.reste_a_vivre.reference_per_uc", "abc"),
        ("matching.reste_a_vivre.reference_per_uc", 450.0),  # floats are refused
    ):
        with pytest.raises(InvalidSettings):
            MatchingParameters.from_values({**values_at(ON), key: bad})
    with pytest.raises(KeyError):
        MatchingParameters.from_values({})


def test_operator_settings_exclude_the_rules() -> None:
    assert "affordability.effort_rate.max" in OPERATOR_SETTINGS
    assert "matching.weight.effort_rate" in OPERATOR_SETTINGS
    assert not [k for k in OPERATOR_SETTINGS if k.startswith(("occupancy.", "caf.", "consumption_units."))]
    assert "matching.ceiling.young_couple_max_age_sum" not in OPERATOR_SETTINGS


# --- composition ----------------------------------------------------------------------------------------------


def test_couple_with_a_boy_of_8_and_a_girl_of_10_needs_4_rooms() -> None:
    # Living room + couple + one each (different sexes, both 7 or older).
    need = room_need((adult(38, F), adult(40, M), kid(8, M), kid(10, F)), True, P)
    assert need.total == 4
    assert need.explanation() == "un séjour, une chambre pour le couple, une chambre par enfant"


def test_single_mother_with_girls_of_5_and_9_needs_3_rooms() -> None:
    # Living room + mother + the two girls together (same sex).
    need = room_need((adult(33, F), kid(5, F), kid(9, F)), False, P)
    assert need.total == 3
    assert need.explanation() == "un séjour, une chambre pour le parent, une chambre pour les deux enfants"


@pytest.mark.parametrize(
    ("members", "couple", "expected"),
    [
        ((adult(30),), False, 2),  # living room + the person (a studio only through the 25 m² exception)
        ((adult(30), adult(31)), True, 2),
        ((adult(30), adult(31)), False, 3),  # two adults not in a couple: a room each
        ((adult(30, F), adult(31, M), kid(3, M), kid(5, F)), True, 3),  # both under 7: they share
        ((adult(30, F), kid(6, M), kid(7, F)), False, 4),  # one is 7: different sexes, a room each
        # The odd older girl and boy each take the young one of their sex: 2 rooms, not 3 (pairing the young
        # boy with the young girl first would leave the girl of 9 and the boy of 10 alone).
        ((adult(35, F), kid(9, F), kid(3, F), kid(4, M), kid(10, M)), False, 4),
        ((adult(35, F), kid(3, F), kid(5, M), kid(9, F)), False, 4),
        ((adult(35, F), kid(10, None), kid(12, None)), False, 4),  # unknown sexes over 7: a room each
        ((adult(35, F), kid(2, None), kid(5, None)), False, 3),  # under 7: they share
        ((adult(45, F), kid(20, M), kid(12, F)), False, 4),  # 19 or older: own room
        ((adult(45, F), kid(18, M), kid(12, M)), False, 3),  # 18 still counts as a child: brothers share
        ((adult(45, F), adult(47, M), kid(15, F), kid(13, F), kid(11, F)), True, 4),  # 3 girls: 2 rooms
    ],
)
def test_rooms_needed(members: tuple[Member, ...], couple: bool, expected: int) -> None:
    assert rooms_needed(members, couple, P) == expected


def brute_force_rooms(children: Sequence[Member], limit: int) -> int:
    """Fewest rooms by trying every way of pairing children (each room: one child or a compatible pair)."""

    def compatible(a: Member, b: Member) -> bool:
        return (a.sex is not None and a.sex == b.sex) or (a.age < limit and b.age < limit)

    def best(rest: tuple[Member, ...]) -> int:
        if not rest:
            return 0
        first, others = rest[0], rest[1:]
        options = [1 + best(others)]
        for i, other in enumerate(others):
            if compatible(first, other):
                options.append(1 + best(others[:i] + others[i + 1 :]))
        return min(options)

    return best(tuple(children))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.builds(kid, st.integers(0, 18), st.sampled_from([F, M, None])), max_size=8))
def test_children_rooms_is_the_best_pairing(children: list[Member]) -> None:
    assert children_rooms(children, 7) == brute_force_rooms(children, 7)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ((adult(30),), D("1")),
        ((adult(30), adult(31), kid(8, M), kid(15, F)), D("2.3")),  # 1 + 0.5 + 0.3 + 0.5
        ((adult(30), kid(13, M)), D("1.3")),
        ((adult(30), kid(14, M)), D("1.5")),
    ],
)
def test_consumption_units(members: tuple[Member, ...], expected: D) -> None:
    assert consumption_units(members, P) == expected


@pytest.mark.parametrize(("persons", "m2"), [(1, 9), (2, 16), (3, 25), (4, 34), (7, 61), (8, 70), (9, 70)])
def test_caf_min_surface(persons: int, m2: int) -> None:
    # 16 + 9 per person beyond two, the requirement stopping at 70 m² (caf.min_surface.max_m2).
    assert caf_min_surface(persons, P) == D(m2)


@pytest.mark.parametrize(
    ("members", "couple", "disability", "expected"),
    [
        ((adult(40),), False, False, 1),
        ((adult(40),), False, True, 2),  # one person with a disability
        ((adult(30), adult(24)), True, False, 3),  # young couple: 54 ≤ 55
        ((adult(30), adult(25)), True, False, 3),  # 55 ≤ 55
        ((adult(30), adult(26)), True, False, 2),  # 56: two persons without dependant
        ((adult(30), adult(26)), True, True, 3),  # two persons, one with a disability
        ((adult(30), adult(24)), True, True, 3),  # young couple and disability: alternatives, not added
        ((adult(30), adult(60)), False, False, 2),  # two adults, no dependant
        ((adult(30), kid(3, F)), False, False, 3),  # one person with one dependant
        ((adult(30), kid(3, F)), False, True, 3),  # the same alternatives: not 4
        ((adult(30), kid(3, F), kid(5, F)), False, False, 4),
        ((adult(30), adult(31), kid(3, F), kid(5, F)), True, False, 4),
        ((adult(30), kid(1, F), kid(2, F), kid(3, F), kid(4, F), kid(5, F)), False, False, 7),  # one with five
        ((adult(30), adult(31), *[kid(n, M) for n in range(5)]), True, False, 7),
    ],
)
def test_ceiling_category(members: tuple[Member, ...], couple: bool, disability: bool, expected: int) -> None:
    assert ceiling_category(members, couple, disability, P) == expected
    assert household_figures(members, couple, disability, P)[2] == expected


# --- income ceilings from the shared data file ------------------------------------------------------------------


def ceiling_rows(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / "plafonds-ressources.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def grid_from_file(shared_data: Path, grid: str, year: int, area: str) -> CeilingGrid:
    amounts = {
        row["household_category"]: D(row["annual_ceiling_eur"]) if row["annual_ceiling_eur"] else None
        for row in ceiling_rows(shared_data)
        if (row["grid"], int(row["year"]), row["area"]) == (grid, year, area)
    }
    return CeilingGrid(grid, area, year, amounts)


def test_ceilings_by_grid_area_and_category(shared_data: Path) -> None:
    checked = 0
    for row in ceiling_rows(shared_data):
        grid = grid_from_file(shared_data, row["grid"], int(row["year"]), row["area"])
        if row["household_category"] != "extra_person":
            expected = D(row["annual_ceiling_eur"]) if row["annual_ceiling_eur"] else None
            assert grid.amount(int(row["household_category"])) == expected
            checked += 1
    assert checked > 60
    plus = grid_from_file(shared_data, "PLUS", 2025, "other_regions")
    assert plus.amount(7) == D(59636) + D(6652)  # category 6 + one extra person
    assert plus.amount(8) == D(59636) + 2 * D(6652)
    plai = grid_from_file(shared_data, "PLAI", 2025, "other_regions")
    assert plai.amount(5) is None and plai.amount(7) is None  # "not found" in the file: unknown, never guessed


def test_income_ceiling_of_the_units_level(shared_data: Path) -> None:
    plai = grid_from_file(shared_data, "PLAI", 2025, "other_regions")
    loc3 = unit(level=ConventionLevel.LOC3, ceiling=plai, rooms=3, surface_m2=D(50))
    mother = (adult(30, F), kid(4, F))  # one person with one dependant: category 3, PLAI 2025 = 22,356 €
    assert codes(household(*mother, tax_income=D("22356")), loc3) == []
    failures = check_pair(household(*mother, tax_income=D("22356.01")), loc3, ON, P)
    assert [f.code for f in failures] == ["income_ceiling"]
    assert money(D("22356")) in failures[0].message and "PLAI 2025, autres régions, catégorie 3" in failures[0].message
    # Without a convention there is no ceiling at all.
    assert codes(household(*mother, tax_income=D("90000")), replace(loc3, level=ConventionLevel.NONE)) == []


def test_unknown_ceiling_or_income_is_a_notice_not_a_failure(shared_data: Path) -> None:
    plai = grid_from_file(shared_data, "PLAI", 2025, "other_regions")
    big = unit(level=ConventionLevel.LOC3, ceiling=plai, rooms=5, surface_m2=D(80))
    four_children = household(adult(40, F), *[kid(n, F) for n in (1, 2, 3, 4)], tax_income=D("99999"))  # cat. 6
    check = assess_pair(four_children, big, ON, P)
    assert check.eligible and [n.code for n in check.notices] == ["ceiling_unknown"]
    check = assess_pair(replace(SINGLE, tax_income=None), big, ON, P)
    assert check.eligible and [n.code for n in check.notices] == ["tax_income_missing"]
    check = assess_pair(SINGLE, replace(big, level=ConventionLevel.LOC2, ceiling=None), ON, P)
    assert check.eligible and [n.code for n in check.notices] == ["ceiling_unknown"]


# --- other constraints ---------------------------------------------------------------------------------------


def test_a_single_adult_fits_a_studio_only_from_25_m2() -> None:
    assert codes(SINGLE, unit(rooms=1, surface_m2=D("25"))) == []
    failures = check_pair(SINGLE, unit(rooms=1, surface_m2=D("24.9")), ON, P)
    assert [f.code for f in failures] == ["rooms"] and "24,9 m²" in failures[0].message
    couple = household(adult(30), adult(31), couple=True)
    failures = check_pair(couple, unit(rooms=1, surface_m2=D("30")), ON, P)
    assert failures[0].message == "1 pièce pour 2 pièces nécessaires (un séjour, une chambre pour le couple)"


def test_rooms_and_caf_surface_failures_name_the_figures() -> None:
    family = household(adult(38, F), adult(40, M), kid(8, M), kid(10, F), couple=True)
    failures = check_pair(family, unit(rooms=3, surface_m2=D("30.5")), ON, P)
    assert [f.message for f in failures] == [
        "3 pièces pour 4 pièces nécessaires (un séjour, une chambre pour le couple, une chambre par enfant)",
        "30,5 m² pour 4 personnes : la CAF exige au moins 34 m² pour verser l'aide au logement",
    ]
    assert codes(family, unit(rooms=4, surface_m2=D("34"))) == []


def test_accessibility_needs() -> None:
    wheel = replace(SINGLE, needs=frozenset({Need.STEP_FREE}))
    assert codes(wheel, unit(step_free=True)) == []
    assert codes(wheel, unit(step_free=False)) == ["step_free"]
    assert "non renseignée" in check_pair(wheel, unit(step_free=None), ON, P)[0].message
    low = replace(SINGLE, needs=frozenset({Need.GROUND_FLOOR_OR_LIFT}))
    assert codes(low, unit(floor=0, has_lift=None)) == []
    assert codes(low, unit(floor=4, has_lift=True)) == []
    assert check_pair(low, unit(floor=3, has_lift=False), ON, P)[0].message.startswith("Logement au 3e étage sans")
    assert check_pair(low, unit(floor=None, has_lift=None), ON, P)[0].message.startswith("Étage non renseigné")


def test_pets_are_never_a_failure() -> None:
    # Loi n° 70-598 art. 10: a clause forbidding an ordinary pet is void.
    check = assess_pair(replace(SINGLE, needs=frozenset({Need.PETS})), unit(), ON, P)
    assert check.eligible and [n.code for n in check.notices] == ["pets"]


@pytest.mark.parametrize(
    ("mode", "intensity", "consented", "ok"),
    [
        (IMLMode.MANDATE, SupportIntensity.INTENSIVE, True, False),
        (IMLMode.SUBLEASE, SupportIntensity.INTENSIVE, True, True),
        (IMLMode.BAIL_GLISSANT, SupportIntensity.INTENSIVE, True, True),
        (IMLMode.BAIL_GLISSANT, SupportIntensity.NONE, False, False),
        (IMLMode.BAIL_GLISSANT, SupportIntensity.LIGHT, False, False),  # support not agreed
        (IMLMode.BAIL_GLISSANT, SupportIntensity.MEDIUM, True, True),
        (IMLMode.MANDATE, SupportIntensity.MEDIUM, True, True),
        (IMLMode.SUBLEASE, SupportIntensity.NONE, False, True),
    ],
)
def test_mode_compatibility(mode: IMLMode, intensity: SupportIntensity, consented: bool, ok: bool) -> None:
    h = replace(SINGLE, support_intensity=intensity, support_consented=consented)
    assert codes(h, unit(mode=mode)) == ([] if ok else ["mode"])


def test_availability_parking_and_owner_links() -> None:
    # Without a date: within the 90-day horizon.
    assert codes(SINGLE, unit(available_on=ON + timedelta(days=90))) == []
    assert codes(SINGLE, unit(available_on=ON + timedelta(days=91))) == ["availability"]
    dated = replace(SINGLE, needed_by=ON + timedelta(days=120))
    assert codes(dated, unit(available_on=ON + timedelta(days=120))) == []
    assert codes(dated, unit(available_on=ON + timedelta(days=121))) == ["availability"]
    past = replace(SINGLE, needed_by=ON - timedelta(days=30))  # a date already passed means now
    assert codes(past, unit(available_on=ON)) == []
    assert codes(past, unit(available_on=ON + timedelta(days=1))) == ["availability"]
    assert codes(replace(SINGLE, parked_until=ON), unit()) == ["parked"]
    assert codes(replace(SINGLE, parked_until=ON - timedelta(days=1)), unit()) == []
    assert codes(replace(SINGLE, related_landlord_ids=frozenset({7})), unit(landlord_id=7)) == ["related_landlord"]
    assert codes(replace(SINGLE, related_landlord_ids=frozenset({8})), unit(landlord_id=7)) == []


# --- scores ---------------------------------------------------------------------------------------------------


def term(h: HouseholdFacts, u: UnitFacts, key: str, benefit: D | None = None) -> tuple[float, str]:
    found = next(t for t in score_pair(h, u, benefit, ON, P).terms if t.key == key)
    assert found.contribution == pytest.approx(found.value * found.weight)
    return found.value, found.explanation


@pytest.mark.parametrize(
    ("resources", "benefit", "value"),
    [
        # 450 + 50 − 308 = 192 € a month.
        (D("1000"), D("308"), 1.0),  # 19.2 % ≤ 20 %
        (D("800"), D("308"), 0.6),  # 24 %: (30 − 24) / (30 − 20)
        (D("640"), D("308"), 0.0),  # 30 %: at the threshold
        (D("548.57"), D("308"), 0.0),  # 35 %: above
        (D("1000"), None, 0.0),  # 500 / 1000 = 50 % when the aid is not estimated
        (D("0"), D("308"), 0.0),  # no resources, 192 € to pay
        (D("0"), D("500"), 1.0),  # no resources, nothing to pay
    ],
)
def test_effort_rate_with_a_known_housing_benefit(resources: D, benefit: D | None, value: float) -> None:
    got, text = term(replace(SINGLE, monthly_resources=resources), unit(), "effort_rate", benefit)
    assert got == pytest.approx(value)
    if benefit is None:
        assert "aide au logement non estimée" in text
    if resources == D("548.57"):
        assert "au-dessus du seuil de 30" in text


def test_reste_a_vivre_per_consumption_unit() -> None:
    # Single: 1000 − 192 = 808 € for 1 UC, above the 450 € reference.
    assert term(SINGLE, unit(), "reste_a_vivre", D("308"))[0] == 1.0
    # Couple + 8 and 15 years (2.3 UC): 882 − 192 = 690 €, 300 € per UC, 300 / 450.
    family = household(adult(30), adult(31), kid(8, M), kid(15, F), couple=True, monthly_resources=D("882"))
    assert term(family, unit(rooms=4, surface_m2=D(40)), "reste_a_vivre", D("308"))[0] == pytest.approx(2 / 3)
    assert term(replace(SINGLE, monthly_resources=D("100")), unit(), "reste_a_vivre", D("308"))[0] == 0.0


def test_priority_waiting_commune_size_and_floor_terms() -> None:
    flags = {
        frozenset(): 0.0,
        frozenset({PriorityFlag.DALO}): 1.0,
        frozenset({PriorityFlag.PRISON_LEAVER}): 0.5,
        frozenset({PriorityFlag.PRISON_LEAVER, PriorityFlag.DOMESTIC_VIOLENCE}): 1.0,
    }
    for given_flags, value in flags.items():
        assert term(replace(SINGLE, priority_flags=given_flags), unit(), "priority")[0] == value
    assert months_waiting(date(2026, 3, 22), ON) == 8 and months_waiting(date(2026, 3, 23), ON) == 7
    assert term(replace(SINGLE, referred_on=date(2026, 3, 22)), unit(), "waiting")[0] == pytest.approx(8 / 12)
    assert term(replace(SINGLE, referred_on=date(2024, 1, 1)), unit(), "waiting")[0] == 1.0
    commune = {
        (frozenset({"62041"}), frozenset()): 1.0,
        (frozenset({"59350"}), frozenset({"62041"})): 0.5,
        (frozenset(), frozenset()): 0.5,
        (frozenset({"59350"}), frozenset()): 0.0,
    }
    for (wished, places), value in commune.items():
        h = replace(SINGLE, wished_communes=wished, place_communes=places)
        assert term(h, unit(), "commune")[0] == value
    assert term(SINGLE, unit(rooms=2), "size_fit")[0] == 1.0
    assert term(SINGLE, unit(rooms=3), "size_fit")[0] == 0.5
    assert term(SINGLE, unit(rooms=4), "size_fit")[1].startswith("Sous-occupation")
    assert term(SINGLE, unit(rooms=1, surface_m2=D(25)), "size_fit")[0] == 1.0
    low = replace(SINGLE, prefers_low_floor=True)
    floors = {(0, False): 1.0, (1, False): 1.0, (6, True): 1.0, (3, False): 0.5, (5, False): 0.0, (None, None): 0.5}
    for (floor, lift), value in floors.items():
        assert term(low, unit(floor=floor, has_lift=lift), "floor")[0] == value
    assert term(SINGLE, unit(floor=6, has_lift=False), "floor")[0] == 1.0  # no preference


def test_a_complete_score_by_hand() -> None:
    # Single woman, 1,000 €, aid 308 € (effort 19.2 % → 30), 808 € per UC (→ 15), one priority flag (→ 10),
    # referred 8 months ago (→ 6.67), no wish (→ 5), 2 rooms for 2 (→ 10), no floor preference (→ 5).
    h = replace(SINGLE, priority_flags=frozenset({PriorityFlag.HOSPITAL_LEAVER}), referred_on=date(2026, 3, 22))
    score = score_pair(h, unit(), D("308"), ON, P)
    assert score.total == pytest.approx(30 + 15 + 10 + 80 / 12 + 5 + 10 + 5)
    assert score.total == pytest.approx(sum(t.contribution for t in score.terms))
    assert [t.key for t in score.terms] == list(P.weights)


def test_every_term_stays_between_0_and_1() -> None:
    people = [SINGLE, household(adult(30), adult(31), kid(3, M), kid(9, F), couple=True, monthly_resources=D(0))]
    shapes = itertools.product((1, 2, 6), (None, 0, 9), (None, True))
    units = [unit(rooms=rooms, floor=floor, has_lift=lift) for rooms, floor, lift in shapes]
    for h, u, benefit in itertools.product(people, units, (None, D(0), D(900))):
        assert all(0 <= t.value <= 1 for t in score_pair(h, u, benefit, ON, P).terms)
