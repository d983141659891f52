"""Vectorised matching (agency_backoffice/rules/bulk.py) agrees with the pair-by-pair rules, and is fast.

The property test draws small instances from values chosen to sit on the rules' edges (25 m² studios, CAF
surfaces, ceilings to the euro, thresholds, dates on the horizon) and compares every pair.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal as D
from typing import TypeVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agency_backoffice.models.enums import Need, PriorityFlag, Sex, Situation, SupportIntensity
from agency_backoffice.rules import bulk
from agency_backoffice.rules.composition import Member
from agency_backoffice.rules.constraints import check_pair
from agency_backoffice.rules.facts import CeilingGrid, HouseholdFacts, UnitFacts
from agency_backoffice.rules.scoring import score_pair
from capture.models.enums import ConventionLevel, IMLMode
from tests.test_matching_rules import ON, P

# PLUS and PLAI 2025, other regions (data/plafonds-ressources.csv; PLAI 5, 6 and extra person not found).
PLUS = CeilingGrid(
    "PLUS",
    "other_regions",
    2025,
    {"1": D(23201), "2": D(30984), "3": D(37259), "4": D(44982), "5": D(52915), "6": D(59636), "extra_person": D(6652)},
)
PLAI = CeilingGrid(
    "PLAI",
    "other_regions",
    2025,
    {"1": D(12759), "2": D(18591), "3": D(22356), "4": D(24875), "5": None, "6": None, "extra_person": None},
)
INTERMEDIATE = CeilingGrid("INTERMEDIAIRE", "zone_B1", 2024, {"1": D(35435)})
LEVELS = {
    ConventionLevel.NONE: None,
    ConventionLevel.LOC1: INTERMEDIATE,
    ConventionLevel.LOC2: PLUS,
    ConventionLevel.LOC3: PLAI,
}
COMMUNES = ("62041", "59350", "69123", "75056")
T = TypeVar("T")
SEXES = (Sex.FEMALE, Sex.MALE, None)


def subsets(items: Iterable[T]) -> st.SearchStrategy[frozenset[T]]:
    return st.frozensets(st.sampled_from(list(items)), max_size=3)


@st.composite
def households(draw: st.DrawFn, index: int) -> HouseholdFacts:
    first = Member(draw(st.integers(18, 70)), True, draw(st.sampled_from(SEXES)))
    couple = draw(st.booleans())
    members = [first]
    if couple:
        members.append(Member(draw(st.integers(18, 70)), True, draw(st.sampled_from(SEXES))))
    for _ in range(draw(st.integers(0, 4))):
        members.append(Member(draw(st.integers(0, 22)), draw(st.booleans()), draw(st.sampled_from(SEXES))))
    return HouseholdFacts(
        id=index,
        couple=couple,
        members=tuple(members),
        monthly_resources=draw(st.sampled_from([D(0), D(300), D(640), D(800), D(1000), D("1999.99"), D(2500)])),
        tax_income=draw(st.sampled_from([None, D(0), D(12759), D(18591), D(22356), D(22357), D(40000), D(60000)])),
        referred_on=ON - timedelta(days=draw(st.integers(0, 800))),
        disability_card=draw(st.booleans()),
        needs=draw(subsets(Need)),
        situation=draw(st.sampled_from(list(Situation))),
        support_intensity=draw(st.sampled_from(list(SupportIntensity))),
        support_consented=draw(st.booleans()),
        priority_flags=draw(subsets(PriorityFlag)),
        wished_communes=draw(subsets(COMMUNES[:3])),
        place_communes=draw(subsets(COMMUNES[:3])),
        needed_by=draw(
            st.sampled_from([None, -30, 0, 30, 120]).map(lambda d: None if d is None else ON + timedelta(days=d))
        ),
        parked_until=draw(st.sampled_from([None, ON - timedelta(days=1), ON, ON + timedelta(days=10)])),
        related_landlord_ids=draw(subsets((1, 2, 3))),
        prefers_low_floor=draw(st.booleans()),
    )


@st.composite
def units(draw: st.DrawFn, index: int) -> UnitFacts:
    level = draw(st.sampled_from(list(ConventionLevel)))
    ceiling = LEVELS[level] if draw(st.integers(0, 5)) else None  # sometimes a level with no known ceiling
    return UnitFacts(
        id=index,
        unit_id=index,
        landlord_id=draw(st.integers(1, 3)),
        commune_insee=draw(st.sampled_from(COMMUNES)),
        commune_name="Commune",
        mode=draw(st.sampled_from(list(IMLMode))),
        level=level,
        rent=draw(st.sampled_from([D(300), D(450), D("612.40")])),
        charges=draw(st.sampled_from([D(0), D(50)])),
        rooms=draw(st.integers(1, 5)),
        surface_m2=draw(st.sampled_from([D(9), D(16), D("24.9"), D(25), D(34), D(40), D(61), D(70)])),
        available_on=ON + timedelta(days=draw(st.sampled_from([-10, 0, 30, 90, 91, 120, 121]))),
        floor=draw(st.one_of(st.none(), st.integers(0, 6))),
        has_lift=draw(st.sampled_from([None, True, False])),
        step_free=draw(st.sampled_from([None, True, False])),
        ceiling=ceiling,
    )


Instance = tuple[list[HouseholdFacts], list[UnitFacts], np.ndarray | None]


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    hs = [draw(households(i)) for i in range(draw(st.integers(1, 6)))]
    us = [draw(units(i)) for i in range(draw(st.integers(1, 5)))]
    benefit = None
    if draw(st.booleans()):
        amounts = st.sampled_from([0.0, 100.0, 308.5, 500.0, 1000.0])
        benefit = np.array([[draw(amounts) for _ in hs] for _ in us])
    return hs, us, benefit


@settings(max_examples=60, deadline=None)
@given(instances())
def test_bulk_agrees_with_the_pair_rules(
    instance: tuple[list[HouseholdFacts], list[UnitFacts], np.ndarray | None],
) -> None:
    hs, us, benefit = instance
    encoded = bulk.encode(hs, us, ON, P)
    feasible = bulk.feasibility(encoded)
    scores = bulk.scores(encoded, benefit)
    assert feasible.shape == scores.shape == (len(us), len(hs)) and scores.dtype == np.float32
    for u, unit in enumerate(us):
        for h, household in enumerate(hs):
            assert feasible[u, h] == (not check_pair(household, unit, ON, P)), (u, h)
            aid = None if benefit is None else D(str(benefit[u, h]))
            assert abs(float(scores[u, h]) - score_pair(household, unit, aid, ON, P).total) < 1e-3, (u, h)


def test_bulk_blocks_cover_every_unit() -> None:
    # More units than one block (64), so the block boundaries are exercised against the pair rules.
    hs, us = synthetic(40, 150, seed=3)
    encoded = bulk.encode(hs, us, ON, P)
    feasible, scores = bulk.feasibility(encoded), bulk.scores(encoded)
    for u in (0, 63, 64, 127, 128, 149):
        for h in range(40):
            assert feasible[u, h] == (not check_pair(hs[h], us[u], ON, P))
            assert abs(float(scores[u, h]) - score_pair(hs[h], us[u], None, ON, P).total) < 1e-3


def test_empty_stock_or_waiting_list() -> None:
    hs, us = synthetic(5, 3)
    for households, stock in ((hs, []), ([], us), ([], [])):
        encoded = bulk.encode(households, stock, ON, P)
        assert bulk.feasibility(encoded).shape == bulk.scores(encoded).shape == (len(stock), len(households))
    with pytest.raises(ValueError, match="benefit"):
        bulk.scores(bulk.encode(hs, us, ON, P), np.zeros((5, 3)))


# --- a synthetic operator for timing --------------------------------------------------------------------------


def synthetic_household(index: int, rng: random.Random) -> HouseholdFacts:
    kind = rng.random()
    adults = [Member(rng.randint(19, 70), True, rng.choice([Sex.FEMALE, Sex.MALE]))]
    couple = kind >= 0.45 and (kind < 0.6 or kind >= 0.8)
    if couple:
        adults.append(Member(rng.randint(19, 60), True, rng.choice([Sex.FEMALE, Sex.MALE])))
    children = (
        []
        if kind < 0.6
        else [Member(rng.randint(0, 18), False, rng.choice([Sex.FEMALE, Sex.MALE])) for _ in range(rng.randint(1, 4))]
    )
    return HouseholdFacts(
        id=index,
        couple=couple,
        members=tuple(adults + children),
        monthly_resources=D(rng.randint(0, 260) * 10),
        tax_income=None if rng.random() < 0.1 else D(rng.randint(0, 3000) * 10),
        referred_on=ON - timedelta(days=rng.randint(0, 1100)),
        disability_card=rng.random() < 0.05,
        needs=frozenset(n for n, p in ((Need.STEP_FREE, 0.04), (Need.GROUND_FLOOR_OR_LIFT, 0.06)) if rng.random() < p),
        support_intensity=rng.choice(list(SupportIntensity)),
        support_consented=rng.random() < 0.8,
        priority_flags=frozenset(rng.sample(list(PriorityFlag), rng.choice([0, 0, 0, 1, 1, 2]))),
        wished_communes=frozenset(rng.sample(COMMUNES_40, rng.choice([0, 1, 2, 3]))),
        place_communes=frozenset(rng.sample(COMMUNES_40, rng.choice([0, 0, 1]))),
        needed_by=ON + timedelta(days=rng.randint(-30, 90)) if rng.random() < 0.3 else None,
        parked_until=ON + timedelta(days=30) if rng.random() < 0.05 else None,
        related_landlord_ids=frozenset([rng.randint(1, 1500)]) if rng.random() < 0.01 else frozenset(),
        prefers_low_floor=rng.random() < 0.15,
    )


COMMUNES_40 = [f"69{n:03d}" for n in range(1, 41)]


def synthetic_unit(index: int, rng: random.Random) -> UnitFacts:
    rooms = rng.choice([1, 1, 2, 2, 2, 3, 3, 4, 5])
    level = rng.choice([*LEVELS, ConventionLevel.LOC2, ConventionLevel.LOC3])
    return UnitFacts(
        id=index,
        unit_id=index,
        landlord_id=rng.randint(1, 1500),
        commune_insee=rng.choice(COMMUNES_40),
        commune_name="Commune",
        mode=rng.choice([IMLMode.MANDATE, IMLMode.SUBLEASE, IMLMode.SUBLEASE, IMLMode.BAIL_GLISSANT]),
        level=level,
        rent=D(250 + rooms * 90 + rng.randint(0, 200)),
        charges=D(rng.randint(20, 120)),
        rooms=rooms,
        surface_m2=D(rng.randint(18, 30) + (rooms - 1) * 15) + D(rng.randint(0, 9)) / 10,
        available_on=ON + timedelta(days=rng.randint(-30, 150)),
        floor=rng.choice([None, 0, 1, 2, 3, 4, 5, 6]),
        has_lift=rng.choice([None, True, False, False]),
        step_free=rng.choice([None, True, False, False]),
        ceiling=LEVELS[level],
    )


def synthetic(n_households: int, n_units: int, seed: int = 0) -> tuple[list[HouseholdFacts], list[UnitFacts]]:
    rng = random.Random(seed)
    return (
        [synthetic_household(i, rng) for i in range(n_households)],
        [synthetic_unit(i, rng) for i in range(n_units)],
    )
