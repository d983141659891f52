"""Constraints and scores for every (unit, household) pair at once, with numpy.

Same rules as ``constraints.check_pair`` and ``scoring.score_pair`` (a property test holds them equal): the
facts are encoded once into arrays; per-household and per-unit figures are computed in Python with the pure
rules, and only the pairwise comparisons run on [units × households] matrices. Unit properties that depend on
few values (ceiling grid, mode, accessibility) are grouped into classes, each checked once per household.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from agency_backoffice.models.enums import Need, SupportIntensity
from agency_backoffice.rules.composition import caf_min_surface, household_figures
from agency_backoffice.rules.constraints import deadline, is_parked
from agency_backoffice.rules.facts import HouseholdFacts, UnitFacts
from agency_backoffice.rules.parameters import MatchingParameters
from agency_backoffice.rules.scoring import floor_value, months_waiting, priority_value
from capture.models.enums import ConventionLevel, IMLMode

BoolMatrix = npt.NDArray[np.bool_]
FloatMatrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Encoded:
    """Households and units as arrays (one entry per household or unit, in the order given)."""

    households: int
    units: int
    params: MatchingParameters
    # households
    need: npt.NDArray[np.int16]
    single: npt.NDArray[np.bool_]
    caf_min: npt.NDArray[np.float64]
    deadline: npt.NDArray[np.int64]
    parked: npt.NDArray[np.bool_]
    resources: npt.NDArray[np.float64]
    rav_scale: npt.NDArray[np.float64]  # consumption units × reference amount
    household_points: npt.NDArray[np.float32]  # priority and waiting terms, weighted
    prefers_low: npt.NDArray[np.bool_]
    # units
    rooms: npt.NDArray[np.int16]
    studio_ok: npt.NDArray[np.bool_]
    surface: npt.NDArray[np.float64]
    available: npt.NDArray[np.int64]
    cost: npt.NDArray[np.float64]
    floor_value: npt.NDArray[np.float32]
    # cross tables
    unit_class: npt.NDArray[np.intp]
    class_ok: BoolMatrix  # [classes × households]: income ceiling, mode, accessibility
    commune: npt.NDArray[np.intp]
    commune_value: FloatMatrix  # [communes × households]
    related_units: npt.NDArray[np.intp]
    related_households: npt.NDArray[np.intp]


def _ceiling_key(unit: UnitFacts) -> tuple[object, ...] | None:
    if unit.level is ConventionLevel.NONE or unit.ceiling is None:
        return None  # no ceiling, or unknown: a notice, never a failure
    grid = unit.ceiling
    return (grid.grid, grid.area, grid.year, tuple(sorted(grid.amounts.items())))


def _class_ok(
    sample: UnitFacts,
    households: Sequence[HouseholdFacts],
    categories: npt.NDArray[np.int16],
    tax: npt.NDArray[np.float64],
    flags: dict[str, npt.NDArray[np.bool_]],
) -> BoolMatrix:
    """For one class of units (given by a sample), the households its ceiling, mode and access allow."""
    ok = np.ones(len(households), dtype=bool)
    if _ceiling_key(sample) is not None:
        assert sample.ceiling is not None
        ceilings = np.full(len(households), np.nan)
        for category in np.unique(categories):
            amount = sample.ceiling.amount(int(category))
            ceilings[categories == category] = np.nan if amount is None else float(amount)
        # Unknown tax income or ceiling: a notice, not a failure (NaN compares False).
        ok &= ~(tax > ceilings)
    if sample.mode is IMLMode.MANDATE:
        ok &= ~flags["intensive"]
    elif sample.mode is IMLMode.BAIL_GLISSANT:
        ok &= flags["support"]
    if sample.step_free is not True:
        ok &= ~flags["step_free"]
    if sample.floor != 0 and sample.has_lift is not True:
        ok &= ~flags["low"]
    return ok


def encode(
    households: Sequence[HouseholdFacts], units: Sequence[UnitFacts], on: date, params: MatchingParameters
) -> Encoded:
    """Encode the facts once; ``feasibility`` and ``scores`` then work on [units × households] matrices."""
    weights = params.weights
    figures = [household_figures(h.members, h.couple, h.disability_card, params) for h in households]
    need = np.array([f[0] for f in figures], dtype=np.int16)
    categories = np.array([f[2] for f in figures], dtype=np.int16)
    tax = np.array([np.nan if h.tax_income is None else float(h.tax_income) for h in households])
    flags = {
        "intensive": np.array([h.support_intensity is SupportIntensity.INTENSIVE for h in households], dtype=bool),
        "support": np.array([h.support_in_place for h in households], dtype=bool),
        "step_free": np.array([Need.STEP_FREE in h.needs for h in households], dtype=bool),
        "low": np.array([Need.GROUND_FLOOR_OR_LIFT in h.needs for h in households], dtype=bool),
    }
    points = [
        weights["priority"] * priority_value(h, params)
        + weights["waiting"] * min(months_waiting(h.referred_on, on) / params.waiting_saturation_months, 1.0)
        for h in households
    ]
    # Unit classes: everything a unit contributes to the checks done per class.
    class_index: dict[tuple[object, ...], int] = {}
    samples: list[UnitFacts] = []
    unit_class = np.empty(len(units), dtype=np.intp)
    for index, unit in enumerate(units):
        key = (_ceiling_key(unit), unit.mode, unit.step_free is True, unit.floor == 0 or unit.has_lift is True)
        if key not in class_index:
            class_index[key] = len(samples)
            samples.append(unit)
        unit_class[index] = class_index[key]
    class_ok = np.empty((len(samples), len(households)), dtype=bool)
    for row, sample in enumerate(samples):
        class_ok[row] = _class_ok(sample, households, categories, tax, flags)
    # Communes: the value of the commune term for each commune of the stock and each household.
    communes: dict[str, int] = {}
    commune = np.array([communes.setdefault(u.commune_insee, len(communes)) for u in units], dtype=np.intp)
    no_wish = np.array([not h.wished_communes for h in households], dtype=bool)
    commune_value = np.tile(
        np.where(no_wish, float(params.commune_no_wish_value), 0.0).astype(np.float32), (len(communes), 1)
    )
    for column, h in enumerate(households):
        for insee in h.place_communes:
            if insee in communes:
                commune_value[communes[insee], column] = float(params.commune_place_value)
        for insee in h.wished_communes:
            if insee in communes:
                commune_value[communes[insee], column] = 1.0
    # Declared links with owners.
    by_landlord: dict[int, list[int]] = defaultdict(list)
    for index, unit in enumerate(units):
        by_landlord[unit.landlord_id].append(index)
    related_u: list[int] = []
    related_h: list[int] = []
    for column, h in enumerate(households):
        for landlord in h.related_landlord_ids:
            rows = by_landlord.get(landlord, [])
            related_u += rows
            related_h += [column] * len(rows)
    return Encoded(
        households=len(households),
        units=len(units),
        params=params,
        need=need,
        single=np.array([h.persons == 1 for h in households], dtype=bool),
        caf_min=np.array([float(caf_min_surface(h.persons, params)) for h in households]),
        deadline=np.array([deadline(h, on, params).toordinal() for h in households], dtype=np.int64),
        parked=np.array([is_parked(h, on) for h in households], dtype=bool),
        resources=np.array([float(h.monthly_resources) for h in households]),
        rav_scale=np.array([float(f[1] * params.reste_a_vivre_reference) for f in figures]),
        household_points=np.array(points, dtype=np.float32),
        prefers_low=np.array([h.prefers_low_floor for h in households], dtype=bool),
        rooms=np.array([u.rooms for u in units], dtype=np.int16),
        studio_ok=np.array([u.rooms == 1 and u.surface_m2 >= params.studio_single_min_m2 for u in units], dtype=bool),
        surface=np.array([float(u.surface_m2) for u in units]),
        available=np.array([u.available_on.toordinal() for u in units], dtype=np.int64),
        cost=np.array([float(u.cost) for u in units]),
        floor_value=np.array([floor_value(u.floor, u.has_lift, params) for u in units], dtype=np.float32),
        unit_class=unit_class,
        class_ok=class_ok,
        commune=commune,
        commune_value=commune_value,
        related_units=np.array(related_u, dtype=np.intp),
        related_households=np.array(related_h, dtype=np.intp),
    )


BLOCK = 64  # units per block: the temporaries of a block stay in cache


def feasibility(enc: Encoded) -> BoolMatrix:
    """[units × households]: True where no hard constraint fails (as ``check_pair`` returning nothing)."""
    ok = np.empty((enc.units, enc.households), dtype=bool)
    scratch = np.empty((min(BLOCK, enc.units), enc.households), dtype=bool)
    for start in range(0, enc.units, BLOCK):
        block = slice(start, min(start + BLOCK, enc.units))
        out, tmp = ok[block], scratch[: block.stop - start]
        np.take(enc.class_ok, enc.unit_class[block], axis=0, out=out)
        # Rooms: the INSEE norm, or a large enough studio for a single person.
        np.greater_equal.outer(enc.rooms[block], enc.need, out=tmp)
        tmp |= np.logical_and.outer(enc.studio_ok[block], enc.single)
        out &= tmp
        out &= np.greater_equal.outer(enc.surface[block], enc.caf_min, out=tmp)
        out &= np.less_equal.outer(enc.available[block], enc.deadline, out=tmp)
    ok[:, enc.parked] = False
    ok[enc.related_units, enc.related_households] = False
    return ok


def _size_table(enc: Encoded) -> tuple[FloatMatrix, npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Weighted size-fit values by unit key (rooms, studio) × household key (rooms needed, single)."""
    p = enc.params
    unit_keys, unit_of = np.unique(np.stack([enc.rooms, enc.studio_ok]), axis=1, return_inverse=True)
    household_keys, household_of = np.unique(np.stack([enc.need, enc.single]), axis=1, return_inverse=True)
    over = unit_keys[0][:, None] - household_keys[0][None, :]
    over += np.logical_and.outer(unit_keys[1].astype(bool), household_keys[1].astype(bool))  # studio counts as 2
    by_over = np.array([0.0, 1.0, float(p.size_one_over_value), 0.0], dtype=np.float32)  # over −1, 0, 1, 2+
    table = by_over[np.clip(over, -1, 2) + 1] * np.float32(p.weights["size_fit"])
    return table.astype(np.float32), unit_of.ravel(), household_of.ravel()


def scores(enc: Encoded, benefit: npt.NDArray[np.floating] | None = None) -> FloatMatrix:
    """[units × households] score totals (as ``score_pair``); ``benefit``: monthly housing benefit per pair
    (same shape; None, or 0 for a pair, counts no benefit, as ``score_pair`` with None)."""
    if benefit is not None and benefit.shape != (enc.units, enc.households):
        raise ValueError("benefit must be a [units × households] matrix")
    p = enc.params
    w = p.weights
    low, high = float(p.effort_comfortable), float(p.effort_threshold)
    positive = enc.resources > 0
    safe = np.where(positive, enc.resources, 1.0)
    # Effort: 1 up to the comfortable rate, 0 from the threshold: (high − net/R) / (high − low), clipped.
    effort_scale = (1.0 / (safe * (high - low))).astype(np.float32)
    effort_top = np.float32(high / (high - low))
    # Reste à vivre per consumption unit against the reference: (R − net) / (UC × reference), clipped.
    rav_scale = (-1.0 / enc.rav_scale).astype(np.float32)
    rav_top = (enc.resources / enc.rav_scale).astype(np.float32)
    # Household terms, plus the floor weight that households with a low-floor preference may lose.
    constant = enc.household_points + np.float32(w["floor"])
    floor_lost = ((1.0 - enc.floor_value) * w["floor"]).astype(np.float32)
    prefers = enc.prefers_low.astype(np.float32)
    commune_table = enc.commune_value * np.float32(w["commune"])
    size_table, size_unit, size_household = _size_table(enc)
    total = np.empty((enc.units, enc.households), dtype=np.float32)
    net = np.empty((min(BLOCK, enc.units), enc.households), dtype=np.float32)
    tmp = np.empty_like(net)
    for start in range(0, enc.units, BLOCK):
        block = slice(start, min(start + BLOCK, enc.units))
        out, n, t = total[block], net[: block.stop - start], tmp[: block.stop - start]
        if benefit is None:
            n[:] = np.maximum(enc.cost[block], 0.0)[:, None]
        else:
            np.subtract(enc.cost[block].astype(np.float32)[:, None], benefit[block], out=n, dtype=np.float32)
            np.maximum(n, 0, out=n)
        np.multiply(n, effort_scale, out=out)
        np.subtract(effort_top, out, out=out)
        np.clip(out, 0, 1, out=out)
        if not positive.all():
            out[:, ~positive] = n[:, ~positive] <= 0
        out *= np.float32(w["effort_rate"])
        np.multiply(n, rav_scale, out=t)
        t += rav_top
        np.clip(t, 0, 1, out=t)
        t *= np.float32(w["reste_a_vivre"])
        out += t
        out += constant
        np.take(commune_table, enc.commune[block], axis=0, out=t)
        out += t
        np.take(size_table[size_unit[block]], size_household, axis=1, out=t)
        out += t
        np.multiply.outer(floor_lost[block], prefers, out=t)
        out -= t
    return total
