"""Matching for staff: households ranked for a unit, units for a household (with why not), one pair's
evaluation (what a proposal snapshots), and the global proposal for the operator's whole available stock.

Rows become the pure rules' facts here; housing benefit comes from the cache (``queries.benefits``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import (
    Household,
    HouseholdMember,
    HouseholdOwnerLink,
    HouseholdResource,
    HouseholdStatus,
    Need,
    PriorityFlag,
    Proposal,
)
from agency_backoffice.models.households import age_on
from agency_backoffice.queries import matching_data as data
from agency_backoffice.queries.benefits import Dwelling, housing_benefits
from agency_backoffice.rules.composition import Member
from agency_backoffice.rules.constraints import assess_pair
from agency_backoffice.rules.facts import CeilingGrid, HouseholdFacts, UnitFacts
from agency_backoffice.rules.parameters import OPERATOR_SETTINGS, PARAMETER_KEYS, MatchingParameters
from agency_backoffice.rules.scoring import Score, net_cost, score_pair
from capture.models import ConventionLevel, StockEntry
from passerelle.formatting import short_date
from passerelle.models import Parameter
from passerelle.reference.ceiling_areas import ceiling_areas, is_ile_de_france
from passerelle.reference.queries import MissingParameter, convert, parameter_rows_at


def matching_parameters(session: Session, operator_id: int, on: date) -> MatchingParameters:
    """The reference values at the date, with the operator's own settings over them."""
    rows = parameter_rows_at(session, PARAMETER_KEYS.values(), on)
    values: dict[str, object] = {key: convert(row.kind, row.value) for key, row in rows.items()}
    overrides = data.operator_settings(session, operator_id)
    values.update({key: value for key, value in overrides.items() if key in OPERATOR_SETTINGS})
    try:
        return MatchingParameters.from_values(values)
    except KeyError as missing:
        raise MissingParameter(str(missing.args[0]), on) from missing


def reference_settings(session: Session, on: date) -> dict[str, Parameter]:
    """The reference rows of the settings an operator may override, at a date, in the rules' order."""
    latest = parameter_rows_at(session, OPERATOR_SETTINGS, on)
    return {key: latest[key] for key in OPERATOR_SETTINGS if key in latest}


def household_facts(household: Household, on: date) -> HouseholdFacts:
    return _facts(
        household,
        members=tuple(Member(age=m.age_on(on), adult=m.adult, sex=m.sex) for m in household.members),
        monthly_resources=household.monthly_resources,
        landlord_ids=frozenset(link.landlord_id for link in household.owner_links),
    )


def _facts(
    household: Any, *, members: tuple[Member, ...], monthly_resources: Decimal, landlord_ids: frozenset[int]
) -> HouseholdFacts:
    """The facts of a household record or of a row with the same column names."""
    return HouseholdFacts(
        id=household.id,
        couple=household.couple,
        members=members,
        monthly_resources=monthly_resources,
        tax_income=household.tax_income,
        referred_on=household.referred_on,
        disability_card=household.disability_card,
        needs=frozenset(Need(value) for value in household.needs),
        situation=household.situation,
        support_intensity=household.support_intensity,
        support_consented=household.consent_on is not None,
        priority_flags=frozenset(PriorityFlag(value) for value in household.priority_flags),
        wished_communes=frozenset(household.wished_communes),
        place_communes=frozenset(place["commune"] for place in household.places if place.get("commune")),
        needed_by=household.needed_by,
        parked_until=household.parked_until,
        related_landlord_ids=landlord_ids,
        prefers_low_floor=household.prefers_low_floor,
    )


def waiting_household_facts(session: Session, operator_id: int, on: date) -> list[HouseholdFacts]:
    """The facts of the operator's waiting households read column by column (four queries, no ORM objects).

    The same facts as ``household_facts`` over ``matching_data.waiting_households``, in the same order, for pages
    that only count (the stock list): loading thousands of households as objects costs ten times more.
    """
    rows = session.execute(
        select(
            Household.id,
            Household.couple,
            Household.tax_income,
            Household.referred_on,
            Household.disability_card,
            Household.needs,
            Household.situation,
            Household.support_intensity,
            Household.consent_on,
            Household.priority_flags,
            Household.wished_communes,
            Household.places,
            Household.needed_by,
            Household.parked_until,
            Household.prefers_low_floor,
        )
        .where(Household.operator_id == operator_id, Household.status == HouseholdStatus.ACTIVE)
        .order_by(Household.referred_on, Household.id)
    ).all()
    waiting = (
        select(Household.id)
        .where(Household.operator_id == operator_id, Household.status == HouseholdStatus.ACTIVE)
        .scalar_subquery()
    )
    members: defaultdict[int, list[Member]] = defaultdict(list)
    for household_id, adult, birth_year, birth_month, sex in session.execute(
        select(
            HouseholdMember.household_id,
            HouseholdMember.adult,
            HouseholdMember.birth_year,
            HouseholdMember.birth_month,
            HouseholdMember.sex,
        )
        .where(HouseholdMember.household_id.in_(waiting))
        .order_by(HouseholdMember.household_id, HouseholdMember.position)
    ):
        members[household_id].append(Member(age=age_on(birth_year, birth_month, on), adult=adult, sex=sex))
    resources: defaultdict[int, Decimal] = defaultdict(Decimal)
    for household_id, amount in session.execute(
        select(HouseholdResource.household_id, HouseholdResource.monthly_amount).where(
            HouseholdResource.household_id.in_(waiting)
        )
    ):
        resources[household_id] += amount
    links: defaultdict[int, set[int]] = defaultdict(set)
    for household_id, landlord_id in session.execute(
        select(HouseholdOwnerLink.household_id, HouseholdOwnerLink.landlord_id).where(
            HouseholdOwnerLink.household_id.in_(waiting)
        )
    ):
        links[household_id].add(landlord_id)
    return [
        _facts(
            row,
            members=tuple(members[row.id]),
            monthly_resources=resources[row.id],
            landlord_ids=frozenset(links[row.id]),
        )
        for row in rows
    ]


@dataclass
class Stock:
    """The units as facts, with the notices the reference data adds (ceilings of an earlier year…)."""

    entries: list[StockEntry]
    facts: list[UnitFacts]
    notices: dict[int, list[str]]


def stock_facts(session: Session, entries: list[StockEntry], on: date) -> Stock:
    grids = data.level_grids(session, on)
    tables = data.ceiling_tables(session, on)
    zones = data.zones_abc(session, {e.unit.commune_insee for e in entries if e.unit.commune_insee}, on)
    facts, notices = [], {}
    for entry in entries:
        unit = entry.unit
        ceiling, entry_notices = None, []
        if entry.level is not ConventionLevel.NONE and entry.level in grids and unit.commune is not None:
            grid = grids[entry.level]
            areas = ceiling_areas(
                grid,
                insee=unit.commune.insee,
                zone_abc=zones.get(unit.commune.insee),
                ile_de_france=is_ile_de_france(unit.commune.departement, unit.commune.region),
            )
            # Two possible areas (Île-de-France outside Paris): unknown, a notice rather than a guess.
            table = tables.get((grid, areas[0])) if len(areas) == 1 else None
            if table is not None:
                ceiling = CeilingGrid(grid=grid, area=table.area, year=table.year, amounts=table.amounts)
                if table.year < on.year:
                    entry_notices.append(
                        f"Plafonds de ressources {on.year} non importés : ceux de {table.year} sont appliqués"
                    )
        facts.append(
            UnitFacts(
                id=entry.id,
                unit_id=entry.unit_id,
                landlord_id=unit.landlord_id,
                commune_insee=unit.commune_insee or "",
                commune_name=unit.commune.name if unit.commune else "commune inconnue",
                mode=entry.mode,
                level=entry.level,
                rent=entry.rent,
                charges=entry.charges,
                rooms=unit.rooms or 0,
                surface_m2=unit.surface_m2 or Decimal(0),
                available_on=entry.available_on,
                floor=unit.floor,
                has_lift=unit.has_lift,
                step_free=unit.step_free,
                ceiling=ceiling,
            )
        )
        notices[entry.id] = entry_notices
    return Stock(entries, facts, notices)


def composition_text(household: Household, on: date) -> str:
    adults = sum(1 for m in household.members if m.adult)
    ages = sorted(m.age_on(on) for m in household.members if not m.adult)
    text = f"{adults} adulte{'s' if adults > 1 else ''}" + (" en couple" if household.couple else "")
    if ages:
        listed = ", ".join(str(age) for age in ages[:-1]) + (" et " if len(ages) > 1 else "") + str(ages[-1])
        text += f", {len(ages)} enfant{'s' if len(ages) > 1 else ''} ({listed} ans)"
    return text


@dataclass
class Candidate:
    """One (household, unit) pair as staff see it: failures, or a score with its reasons."""

    household: Household
    entry: StockEntry
    failures: list[str]
    notices: list[str]
    benefit: Decimal | None = None
    effort: Decimal | None = None
    score: Score | None = None
    composition: str = ""
    snapshot: dict[str, Any] = field(default_factory=dict)  # JSON-ready: what a proposal keeps

    @property
    def eligible(self) -> bool:
        return not self.failures

    @property
    def snap(self) -> dict[str, Any]:
        return snapshot_for_display(self.snapshot)


def _effort(unit: UnitFacts, household: Household, benefit: Decimal | None) -> Decimal | None:
    resources = household.monthly_resources
    if resources <= 0:
        return None
    return (net_cost(unit, benefit) / resources).quantize(Decimal("0.001"), ROUND_HALF_UP)


def _snapshot(candidate: Candidate, unit: UnitFacts, on: date) -> dict[str, Any]:
    score = candidate.score
    assert score is not None
    household = candidate.household
    return {
        "on": short_date(on),
        "total": f"{score.total:.1f}".replace(".", ","),
        "terms": [
            {
                "key": t.key,
                "label": t.label,
                "value": round(t.value, 4),
                "weight": t.weight,
                "contribution": round(t.contribution, 2),
                "explanation": t.explanation,
            }
            for t in score.terms
        ],
        "warnings": candidate.notices,
        "benefit": None if candidate.benefit is None else str(candidate.benefit),
        "effort": None if candidate.effort is None else str(candidate.effort),
        "household": {
            "composition": candidate.composition,
            "monthly_resources": str(household.monthly_resources),
            "tax_income": None if household.tax_income is None else str(household.tax_income),
            "situation": household.situation.label,
        },
        "unit": {
            "address": candidate.entry.unit.address,
            "commune": unit.commune_name,
            "rooms": unit.rooms,
            "surface_m2": str(unit.surface_m2),
            "rent": str(unit.rent),
            "charges": str(unit.charges),
            "mode": unit.mode.label,
            "level": unit.level.label,
        },
    }


def _candidates(
    session: Session,
    pairs: list[tuple[Household, StockEntry, UnitFacts, list[str]]],
    params: MatchingParameters,
    open_by_household: dict[int, Proposal],
    on: date,
) -> list[Candidate]:
    """Check every pair, estimate housing benefit for the eligible ones in one batch, then score them."""
    result = []
    facts: dict[int, HouseholdFacts] = {}
    for household, entry, unit, unit_notices in pairs:
        if household.id not in facts:
            facts[household.id] = household_facts(household, on)
        check = assess_pair(facts[household.id], unit, on, params)
        failures = [f.message for f in check.failures]
        busy = open_by_household.get(household.id)
        if busy is not None and busy.stock_entry_id != entry.id:
            failures.append(f"Une proposition est déjà en cours pour ce ménage (n° {busy.id})")
        result.append(
            Candidate(
                household=household,
                entry=entry,
                failures=failures,
                notices=[n.message for n in check.notices] + unit_notices,
                composition=composition_text(household, on),
            )
        )
    eligible = [c for c in result if c.eligible]
    benefits = housing_benefits(
        session,
        [(c.household, Dwelling(c.entry.unit_id, c.entry.rent, c.entry.unit.commune_insee)) for c in eligible],
        on,
    )
    facts_by_entry = {unit.id: unit for _, _, unit, _ in pairs}
    for c in eligible:
        unit = facts_by_entry[c.entry.id]
        c.benefit = benefits.get((c.household.id, c.entry.unit_id))
        c.effort = _effort(unit, c.household, c.benefit)
        c.score = score_pair(facts[c.household.id], unit, c.benefit, on, params)
        c.snapshot = _snapshot(c, unit, on)
    return result


def _rank_key(c: Candidate) -> tuple[float, date, int]:
    assert c.score is not None
    return (-c.score.total, c.household.referred_on, c.household.id)


@dataclass
class UnitRanking:
    entry: StockEntry
    ranked: list[Candidate]
    excluded: list[tuple[str, int]]
    excluded_total: int
    proposal: Proposal | None


def rank_households(session: Session, entry: StockEntry, on: date) -> UnitRanking:
    """Eligible waiting households for a unit, best score first; the others counted by reason."""
    params = matching_parameters(session, entry.operator_id, on)
    stock = stock_facts(session, [entry], on)
    unit = stock.facts[0]
    opened = data.open_proposals(session, entry.operator_id)
    # Every waiting household is checked from its facts (read column by column); only the eligible ones are
    # loaded as records, to be scored with their housing benefit and shown.
    reasons: Counter[str] = Counter()
    excluded_total = 0
    eligible: set[int] = set()
    for facts in waiting_household_facts(session, entry.operator_id, on):
        failures = [f.message for f in assess_pair(facts, unit, on, params).failures]
        busy = opened.by_household.get(facts.id)
        if busy is not None and busy.stock_entry_id != entry.id:
            failures.append(f"Une proposition est déjà en cours pour ce ménage (n° {busy.id})")
        if failures:
            excluded_total += 1
            reasons.update({_reason_kind(message) for message in failures})
        else:
            eligible.add(facts.id)
    households = data.waiting_households(session, entry.operator_id, ids=eligible) if eligible else []
    candidates = _candidates(
        session,
        [(h, entry, unit, stock.notices[entry.id]) for h in households],
        params,
        opened.by_household,
        on,
    )
    return UnitRanking(
        entry=entry,
        ranked=sorted((c for c in candidates if c.eligible), key=_rank_key),
        excluded=reasons.most_common(),
        excluded_total=excluded_total,
        proposal=opened.by_entry.get(entry.id),
    )


def _reason_kind(message: str) -> str:
    """Group a failure message by its subject (the part before the colon or the figures)."""
    head = message.split(" : ")[0].split(" (")[0]
    return head if len(head) <= 80 else head[:80] + "…"


def units_for_household(session: Session, household: Household, on: date) -> list[Candidate]:
    """Every available unit of the operator for a household: eligible ones scored, the others with why not."""
    params = matching_parameters(session, household.operator_id, on)
    entries = data.available_entries(session, household.operator_id)
    stock = stock_facts(session, entries, on)
    opened = data.open_proposals(session, household.operator_id)
    candidates = _candidates(
        session,
        [(household, e, u, stock.notices[e.id]) for e, u in zip(entries, stock.facts, strict=True)],
        params,
        opened.by_household,
        on,
    )
    for c in candidates:
        holder = opened.by_entry.get(c.entry.id)
        if holder is not None and holder.household_id != household.id:
            c.failures.append(f"Logement déjà proposé à un autre ménage (proposition n° {holder.id})")
    return sorted(candidates, key=lambda c: (not c.eligible, -(c.score.total if c.score else 0), c.entry.available_on))


@dataclass
class Evaluation:
    failures: list[str]
    score: Decimal | None
    snapshot: dict[str, Any]


def evaluate_pair(session: Session, household: Household, entry: StockEntry, *, on: date) -> Evaluation:
    """What staff see, and what a proposal keeps, for one pair on a date."""
    params = matching_parameters(session, entry.operator_id, on)
    stock = stock_facts(session, [entry], on)
    opened = data.open_proposals(session, entry.operator_id)
    (candidate,) = _candidates(
        session, [(household, entry, stock.facts[0], stock.notices[entry.id])], params, opened.by_household, on
    )
    if candidate.score is None:
        return Evaluation(candidate.failures, None, {})
    return Evaluation([], Decimal(str(round(candidate.score.total, 2))), candidate.snapshot)


def snapshot_for_display(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A stored snapshot with its amounts back as Decimal for the templates' filters."""
    snap = dict(snapshot)
    if snap.get("benefit") is not None:
        snap["benefit"] = Decimal(snap["benefit"])
    return snap
