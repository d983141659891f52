"""Reads for the targets dashboard: set-based SQL (GROUP BY in the database), tuples in, pure rules out.

A territory's figures are those of the cases of its operators. Nothing here returns a person's name,
address or contact: the metropolis sees aggregates only. Definitions: ``capture.rules.indicators``.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from time import monotonic
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Float, String, and_, case, func, literal, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from capture.models import (
    Agreement,
    Campaign,
    CaptureCase,
    CapturePlan,
    CaptureStage,
    CaptureStageChange,
    CaptureTarget,
    ConventionLevel,
    IMLMode,
    LeadSource,
    Unit,
)
from capture.rules import indicators as rules
from capture.rules.pipeline import LOST_REASONS, PIPELINE
from contracts.typography import MONTHS as FRENCH_MONTHS
from passerelle.models import Commune, Organisation, OrganisationKind, Territory
from passerelle.reference.queries import MissingParameter, parameter_at

PARIS = ZoneInfo("Europe/Paris")
OPERATOR_KINDS = (OrganisationKind.AIS, OrganisationKind.ASSOCIATION)
LEVEL_ORDER = (ConventionLevel.LOC1, ConventionLevel.LOC2, ConventionLevel.LOC3, ConventionLevel.NONE)
UNKNOWN = "unknown"
UNKNOWN_LABEL = "Non renseigné"
PROBABILITY_KEY = "indicators.projection.signed_probability."
MIN_CLOSED_KEY = "indicators.projection.min_closed_cases"
MONTHS = FRENCH_MONTHS  # the one list, from contracts.typography


def paris_midnight(day: date) -> datetime:
    """The UTC instant at which a Paris day starts (timestamps are stored in UTC)."""
    return datetime.combine(day, time(), PARIS).astimezone(UTC)


def paris_date(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def paris_date_of(days: float) -> date:
    """The Paris date of an instant given as days since the epoch (see ``day_number``)."""
    return datetime.fromtimestamp(days * 86400, PARIS).date()


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def date_of(days: float | None) -> date | None:
    """A date column read through ``day_number`` (midnight UTC: a whole number of days)."""
    return None if days is None else date.fromordinal(round(days) + EPOCH_ORDINAL)


class day_number(FunctionElement[float]):
    """A timestamp or date as days since 1970-01-01 UTC (fractional), the same on both databases.

    The dashboard reads numbers rather than timestamps: thousands of rows come back without per-value
    conversion, and differences are elapsed days.
    """

    type = Float()
    inherit_cache = True


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5)"


@compiles(day_number, "postgresql")
def _day_number_postgresql(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"(CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION) / 86400)"


# --- scope and targets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose cases are counted: a territory's operators, or one operator looking at its own figures."""

    territory: Territory
    operators: tuple[tuple[int, str], ...]  # (id, name)
    own_operator_id: int | None = None

    @property
    def operator_ids(self) -> list[int]:
        return [operator_id for operator_id, _name in self.operators]

    @property
    def is_operator(self) -> bool:
        return self.own_operator_id is not None


def territory_scope(session: Session, territory: Territory) -> Scope:
    rows = session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.territory_id == territory.id, Organisation.kind.in_(OPERATOR_KINDS))
        .order_by(Organisation.name)
    ).all()
    return Scope(territory=territory, operators=tuple((row.id, row.name) for row in rows))


def operator_scope(organisation: Organisation) -> Scope | None:
    """An operator's own figures (None when it belongs to no territory)."""
    if organisation.territory is None:
        return None
    return Scope(organisation.territory, ((organisation.id, organisation.name),), own_operator_id=organisation.id)


@dataclass(frozen=True)
class Targets:
    exists: bool = False
    total: int | None = None
    by_mode: dict[str, int] = field(default_factory=dict)
    by_level: dict[str, int] = field(default_factory=dict)
    by_operator: dict[int, int] = field(default_factory=dict)
    mandate_share: Decimal | None = None


def plan_targets(session: Session, territory_id: int, year: int) -> Targets:
    plan = session.execute(
        select(CapturePlan.id, CapturePlan.mandate_share_target).where(
            CapturePlan.territory_id == territory_id, CapturePlan.year == year
        )
    ).first()
    if plan is None:
        return Targets()
    rows = session.execute(
        select(CaptureTarget.dimension, CaptureTarget.key, CaptureTarget.units).where(CaptureTarget.plan_id == plan.id)
    ).all()
    values: dict[str, dict[str, int]] = {"total": {}, "mode": {}, "level": {}, "operator": {}}
    for dimension, key, units in rows:
        values.setdefault(dimension, {})[key] = units
    return Targets(
        exists=True,
        total=values["total"].get(""),
        by_mode=values["mode"],
        by_level=values["level"],
        by_operator={int(key): units for key, units in values["operator"].items() if key.isdigit()},
        mandate_share=plan.mandate_share_target,
    )


def plan_years(session: Session, territory_id: int) -> list[int]:
    return list(session.scalars(select(CapturePlan.year).where(CapturePlan.territory_id == territory_id)))


# --- the dashboard -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One row of a breakdown: captured (and leads) for a key, against its target when there is one."""

    key: str
    label: str
    captured: int
    target: int | None = None
    leads: int | None = None

    @property
    def progress(self) -> Decimal | None:
        return None if self.target is None else rules.share(self.captured, self.target)


@dataclass(frozen=True)
class MonthLine:
    month: int
    label: str
    captured: int
    cumulative: int
    target_cumulative: Decimal | None


@dataclass(frozen=True)
class CampaignLine:
    id: int
    name: str
    channel: str
    starts_on: date
    ends_on: date
    cost: Decimal
    leads: int
    captured: int
    cost_per_captured: Decimal | None


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    year: int
    today: date
    status: str  # past | current | future
    as_of: date | None
    targets: Targets
    captured: int
    target: int | None
    months: list[MonthLine]
    projection: rules.Projection | None
    probabilities: dict[CaptureStage, rules.Probability]
    min_closed_cases: int | None
    projection_unavailable: str | None
    mandate_share: Decimal | None
    mandate_share_target: Decimal | None
    by_operator: list[Line]
    by_mode: list[Line]
    by_level: list[Line]
    by_commune: list[Line]
    by_source: list[Line]
    campaigns: list[CampaignLine]
    opened: int
    funnel: list[rules.FunnelStep]
    lost: list[Line]
    vacancy: rules.VacancyStats
    slides: list[Line]  # baux glissés in the year, by operator

    @property
    def progress(self) -> Decimal | None:
        return None if self.target is None else rules.share(self.captured, self.target)

    @property
    def slides_total(self) -> int:
        return sum(line.captured for line in self.slides)

    @property
    def on_track(self) -> bool | None:
        """Whether the projection reaches the target (None without target or projection)."""
        if self.target is None or self.projection is None:
            return None
        return self.projection.value >= self.target


def build_dashboard(
    session: Session, scope: Scope, year: int, *, today: date, cache: InputsCache | None = None
) -> Dashboard:
    """Every figure of the dashboard for a year, as of ``today`` (Paris date).

    With a ``cache``, the per-case inputs read by an earlier request of the day are reused and topped up with
    the stage changes written since (see ``InputsCache``); without, everything is read now.
    """
    start, end_of_year = date(year, 1, 1), date(year, 12, 31)
    status = "future" if today < start else "past" if today > end_of_year else "current"
    as_of = None if status == "future" else min(today, end_of_year)
    window = (paris_midnight(start), paris_midnight(min(end_of_year, as_of or start) + timedelta(days=1)))
    now_end = paris_midnight(today + timedelta(days=1))
    ops = scope.operator_ids

    targets = plan_targets(session, scope.territory.id, year)
    target = targets.by_operator.get(scope.own_operator_id) if scope.own_operator_id is not None else targets.total
    history_start = paris_midnight(today - timedelta(days=364)) if status == "current" else None
    inputs = (
        _inputs(session, cache, Windows(ops, window, history_start, now_end), key=(tuple(ops), year, today))
        if as_of
        else Inputs(0, (), {}, Counter())
    )
    captures = inputs.captures
    closings = inputs.closings
    projection: rules.Projection | None = None
    probabilities: dict[CaptureStage, rules.Probability] = {}
    min_cases: int | None = None
    unavailable: str | None = None
    if status == "current" and as_of is not None:
        try:
            probabilities, min_cases = _probabilities(session, closings, as_of)
        except MissingParameter as exc:
            # Reference data not imported: the figures stand, the projection says why it is missing.
            unavailable = f"Projection indisponible : {exc} Importez les paramètres (passerelle import parameters)."
    if status == "current" and as_of is not None and unavailable is None:
        projection = rules.project_year_end(
            year=year,
            as_of=as_of,
            captured=len(captures),
            open_by_stage=_open_pipeline(session, ops),
            probabilities={stage: p.value for stage, p in probabilities.items()},
        )
    elif status == "past" and as_of is not None:
        projection = rules.project_year_end(
            year=year, as_of=today, captured=len(captures), open_by_stage={}, probabilities={}
        )

    monthly = rules.monthly_counts((c.captured_on for c in captures), year)
    paces = rules.target_by_month(target)
    months = [
        MonthLine(index + 1, MONTHS[index], count, total, paces[index] if paces else None)
        for index, (count, total) in enumerate(zip(monthly, rules.cumulative(monthly), strict=True))
    ]
    modes = rules.count_by(captures, lambda c: c.mode or UNKNOWN)
    show_parts = not scope.is_operator  # mode and level targets are the territory's, not one operator's
    leads_by_source = inputs.leads_by_source
    captured_by_source = rules.count_by(captures, lambda c: c.source)
    return Dashboard(
        scope=scope,
        year=year,
        today=today,
        status=status,
        as_of=as_of,
        targets=targets,
        captured=len(captures),
        target=target,
        months=months,
        projection=projection,
        probabilities=probabilities,
        min_closed_cases=min_cases,
        projection_unavailable=unavailable,
        mandate_share=rules.share(modes.get(IMLMode.MANDATE.value, 0), len(captures)),
        mandate_share_target=targets.mandate_share if show_parts else None,
        by_operator=[
            Line(
                str(operator_id),
                name,
                sum(1 for c in captures if c.operator_id == operator_id),
                targets.by_operator.get(operator_id),
            )
            for operator_id, name in scope.operators
        ],
        by_mode=_lines(modes, {m.value: m.label for m in IMLMode}, targets.by_mode if show_parts else {}),
        by_level=_lines(
            rules.count_by(captures, lambda c: c.level or UNKNOWN),
            {level.value: level.label for level in LEVEL_ORDER},
            targets.by_level if show_parts else {},
        ),
        by_commune=_commune_lines(session, captures),
        by_source=[
            Line(
                source.value,
                source.label,
                captured_by_source.get(source.value, 0),
                leads=leads_by_source.get(source.value, 0),
            )
            for source in LeadSource
        ],
        campaigns=_campaigns(session, scope, year) if as_of else [],
        opened=len(inputs.cohort),
        funnel=inputs.funnel,
        lost=_lost(closings),
        vacancy=rules.vacancy_before_capture(captures),
        slides=slides_by_operator(session, scope, year, until=as_of),
    )


def slides_by_operator(session: Session, scope: Scope, year: int, *, until: date | None) -> list[Line]:
    """Baux glissés in the year up to ``until`` (none for a year not begun), per operator of the scope.

    Counted from the lease to the association, which ends for the unit the day before the household's direct
    lease starts (``Agreement.end_reason`` « slide »): see ``capture.rules.indicators``.
    """
    counts: dict[int, int] = {}
    if until is not None:
        rows = (
            session.connection()
            .execute(
                select(Agreement.operator_id, func.count())
                .where(
                    Agreement.operator_id.in_(scope.operator_ids),
                    Agreement.end_reason == rules.SLIDE_END_REASON,
                    Agreement.ended_on >= date(year, 1, 1),
                    Agreement.ended_on <= min(date(year, 12, 31), until),
                )
                .group_by(Agreement.operator_id)
            )
            .all()
        )
        counts = {operator_id: int(count) for operator_id, count in rows}
    return [Line(str(operator_id), name, counts.get(operator_id, 0)) for operator_id, name in scope.operators]


def _lines(counts: dict[str, int], labels: dict[str, str], targets: dict[str, int]) -> list[Line]:
    lines = [Line(key, label, counts.get(key, 0), targets.get(key)) for key, label in labels.items()]
    if counts.get(UNKNOWN):
        lines.append(Line(UNKNOWN, UNKNOWN_LABEL, counts[UNKNOWN]))
    return lines


# --- the per-case inputs, and the cache that tops them up ---------------------------------------------------


@dataclass(frozen=True)
class Windows:
    ops: list[int]
    year: tuple[datetime, datetime]  # 1 January (Paris) to the end of the dashboard's date
    history_start: datetime | None  # 12 months before the date, for the projection (current year only)
    now_end: datetime  # the end of today (Paris)


@dataclass(frozen=True)
class Inputs:
    """What a dashboard reads case by case, from the stage changes written up to ``through_change_id``."""

    through_change_id: int
    captures: tuple[rules.Capture, ...]
    cohort: dict[int, tuple[str, tuple[float | None, ...]]]  # case id → (source, first day at each stage)
    closings: Counter[Closing]

    # Worked out once per version of the inputs (a cached entry serves many pages).
    @cached_property
    def funnel(self) -> list[rules.FunnelStep]:
        return rules.funnel(days for _source, days in self.cohort.values())

    @cached_property
    def leads_by_source(self) -> Counter[str]:
        return Counter(source for source, _days in self.cohort.values())

    def merged(self, later: Inputs) -> Inputs:
        """These inputs topped up with those of the stage changes written since (``later``)."""
        cohort = dict(self.cohort)
        cohort.update(later.cohort)  # a case's whole history was read again
        return Inputs(later.through_change_id, self.captures + later.captures, cohort, self.closings + later.closings)


class InputsCache:
    """Per-process store of the inputs of recent dashboards (territory or operator, year, day).

    Stage changes are only ever added: a later request reads just the changes written since the last one and
    merges them, so new contacts, stage changes, signatures and losses show at once. What changes without a
    stage change (a case's commune, a unit's vacancy date, an agreement's level, a deleted case) shows when
    the entry, older than ``seconds``, is read again in full; so does a change PostgreSQL commits after one
    with a higher id (two staff saving at the same instant). A new day starts afresh.
    """

    def __init__(self, seconds: float, *, size: int = 16) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: dict[tuple[Any, ...], tuple[float, Inputs]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Inputs | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or monotonic() - entry[0] > self.seconds:
            return None
        return entry[1]

    def put(self, key: tuple[Any, ...], inputs: Inputs, *, read_in_full: bool) -> None:
        with self._lock:
            previous = self._entries.pop(key, None)
            born = monotonic() if read_in_full or previous is None else previous[0]
            self._entries[key] = (born, inputs)
            while len(self._entries) > self.size:
                self._entries.pop(next(iter(self._entries)))


CACHE_EXTENSION = "capture.indicator_inputs"
DEFAULT_CACHE_SECONDS = 600


def inputs_cache(app: Any) -> InputsCache | None:
    """The app's cache (``INDICATORS_CACHE_SECONDS``, default 600; off under tests, 0 turns it off)."""
    seconds = float(app.config.get("INDICATORS_CACHE_SECONDS", 0 if app.testing else DEFAULT_CACHE_SECONDS))
    if seconds <= 0:
        return None
    cache: InputsCache | None = app.extensions.get(CACHE_EXTENSION)
    if cache is None or cache.seconds != seconds:
        cache = app.extensions[CACHE_EXTENSION] = InputsCache(seconds)
    return cache


def _inputs(session: Session, cache: InputsCache | None, w: Windows, *, key: tuple[Any, ...]) -> Inputs:
    # Everything below is bounded by this id, so that a change written meanwhile is read once, later.
    latest = session.scalar(select(func.max(CaptureStageChange.id))) or 0
    known = cache.get(key) if cache is not None else None
    if known is not None and known.through_change_id == latest:
        return known
    if known is not None and known.through_change_id < latest:
        inputs = known.merged(_read(session, w, (known.through_change_id, latest)))
        assert cache is not None
        cache.put(key, inputs, read_in_full=False)
        return inputs
    inputs = _read(session, w, (None, latest))
    if cache is not None:
        cache.put(key, inputs, read_in_full=True)
    return inputs


def _read(session: Session, w: Windows, ids: tuple[int | None, int]) -> Inputs:
    return Inputs(
        through_change_id=ids[1],
        captures=_captures(session, w.ops, w.year, ids),
        cohort=_cohort(session, w.ops, w.year, w.now_end, ids),
        closings=_closings(session, w.ops, year_start=w.year[0], history_start=w.history_start, end=w.year[1], ids=ids),
    )


# --- the queries -----------------------------------------------------------------------------------------------


def _captured_in(start: datetime | None, end: datetime) -> tuple[Any, list[ColumnElement[bool]]]:
    """The stage changes that captured a case in [start, end).

    « Accord signé » is final (``capture.rules.pipeline.advance`` refuses any move from it), so a case has at
    most one change to it: that change is its capture.
    """
    change = aliased(CaptureStageChange, name="signed_change")
    conditions = [change.to_stage == CaptureStage.SIGNED, change.at < end]
    if start is not None:
        conditions.append(change.at >= start)
    return change, conditions


def _id_range(column: Any, ids: tuple[int | None, int]) -> list[ColumnElement[bool]]:
    """Stage changes written after ``ids[0]`` (when given) and up to ``ids[1]``."""
    after, through = ids
    return [column <= through] if after is None else [column > after, column <= through]


def _touched(ids: tuple[int | None, int]) -> list[ColumnElement[bool]]:
    """When topping up: only the cases with a stage change written after ``ids[0]`` (a few, found by id)."""
    if ids[0] is None:
        return []
    recent = aliased(CaptureStageChange, name="recent")
    return [CaptureCase.id.in_(select(recent.case_id).where(*_id_range(recent.id, ids)))]


def _captures(
    session: Session, ops: list[int], window: tuple[datetime, datetime], ids: tuple[int | None, int]
) -> tuple[rules.Capture, ...]:
    change, captured = _captured_in(*window)
    rows = (
        session.connection()
        .execute(
            select(
                day_number(change.at),
                day_number(CaptureCase.created_at),
                CaptureCase.operator_id,
                type_coerce(func.coalesce(Agreement.mode, Unit.desired_mode), String),
                type_coerce(func.coalesce(Agreement.level, Unit.desired_level), String),
                func.coalesce(CaptureCase.commune_insee, Unit.commune_insee),
                type_coerce(CaptureCase.source, String),
                CaptureCase.campaign_id,
                day_number(Unit.vacant_since),
                CaptureCase.vacancy_months,
            )
            .join(CaptureCase, CaptureCase.id == change.case_id)
            .outerjoin(Agreement, and_(Agreement.case_id == CaptureCase.id, Agreement.status == "signed"))
            .outerjoin(Unit, Unit.id == CaptureCase.unit_id)
            .where(CaptureCase.operator_id.in_(ops), *captured, *_id_range(change.id, ids), *_touched(ids))
        )
        .all()
    )
    return tuple(
        rules.Capture(
            captured_on=paris_date_of(signed),
            opened_on=paris_date_of(opened),
            operator_id=operator_id,
            mode=mode,
            level=level,
            commune_insee=commune,
            source=source or UNKNOWN,
            campaign_id=campaign_id,
            vacant_since=date_of(vacant),
            vacancy_months=months,
        )
        for signed, opened, operator_id, mode, level, commune, source, campaign_id, vacant, months in rows
    )


def _cohort(
    session: Session,
    ops: list[int],
    window: tuple[datetime, datetime],
    now_end: datetime,
    ids: tuple[int | None, int],
) -> dict[int, tuple[str, tuple[float | None, ...]]]:
    """The cases opened in the window: their source and the day each pipeline stage was first reached.

    With ``ids[0]``, only the cases that have a stage change written after it (their whole history is read).
    """
    change = CaptureStageChange
    # MIN of the timestamps first, then one conversion per stage reached (not one per stage change).
    columns = [day_number(func.min(case((change.to_stage == stage, change.at)))) for stage in PIPELINE]
    query = (
        select(CaptureCase.id, type_coerce(CaptureCase.source, String), *columns)
        .join(change, change.case_id == CaptureCase.id)
        .where(
            CaptureCase.operator_id.in_(ops),
            CaptureCase.created_at >= window[0],
            CaptureCase.created_at < window[1],
            change.at < now_end,
            change.id <= ids[1],
        )
        .group_by(CaptureCase.id, CaptureCase.source)
    )
    rows = session.connection().execute(query.where(*_touched(ids))).all()
    return {row[0]: (row[1] or UNKNOWN, tuple(row[2:])) for row in rows}


def _open_pipeline(session: Session, ops: list[int]) -> dict[CaptureStage, int]:
    """Open cases by stage; a paused case counts at the stage it was paused at."""
    rows = (
        session.connection()
        .execute(
            select(CaptureCase.stage, CaptureCase.stage_before_pause, func.count())
            .where(CaptureCase.operator_id.in_(ops), CaptureCase.stage.in_([*rules.OPEN_PIPELINE, CaptureStage.PAUSED]))
            .group_by(CaptureCase.stage, CaptureCase.stage_before_pause)
        )
        .all()
    )
    result: Counter[CaptureStage] = Counter()
    for stage, before_pause, count in rows:
        effective = (before_pause or CaptureStage.NEW) if stage is CaptureStage.PAUSED else stage
        if effective in rules.OPEN_PIPELINE:
            result[effective] += count
    return dict(result)


class Closing(NamedTuple):
    """Cases closed (signed or lost) in the window read, grouped by how, at which stage, why and when."""

    signed: bool
    stage: str | None  # the stage the case was at when closed (before the pause if it was paused)
    lost_reason: str | None
    in_year: bool  # closed during the dashboard's year
    in_history: bool  # closed during the 12 months the projection learns from


def _closings(
    session: Session,
    ops: list[int],
    *,
    year_start: datetime,
    history_start: datetime | None,
    end: datetime,
    ids: tuple[int | None, int],
) -> Counter[Closing]:
    """Cases signed or lost from the earlier of the two windows to ``end``, grouped: one scan for both uses."""
    closing = aliased(CaptureStageChange, name="closing")
    pause = aliased(CaptureStageChange, name="pause")
    # A case lost while paused counts at the stage it was paused at (its latest pause before the loss).
    paused_at = (
        select(pause.from_stage)
        .where(pause.case_id == closing.case_id, pause.to_stage == CaptureStage.PAUSED, pause.at <= closing.at)
        .order_by(pause.at.desc())
        .limit(1)
        .scalar_subquery()
    )
    stage_at_closing = case(
        (closing.to_stage == CaptureStage.SIGNED, CaptureStage.SIGNED.value),
        (closing.from_stage == CaptureStage.PAUSED, type_coerce(paused_at, String)),
        else_=type_coerce(closing.from_stage, String),
    )
    start = min(year_start, history_start) if history_start is not None else year_start
    in_year = case((closing.at >= year_start, 1), else_=0)
    in_history = case((closing.at >= history_start, 1), else_=0) if history_start is not None else literal(0)
    rows = (
        session.connection()
        .execute(
            select(
                type_coerce(closing.to_stage, String),
                stage_at_closing,
                CaptureCase.lost_reason,
                in_year,
                in_history,
                func.count(),
            )
            .join(CaptureCase, CaptureCase.id == closing.case_id)
            .where(
                CaptureCase.operator_id.in_(ops),
                closing.to_stage.in_([CaptureStage.SIGNED, CaptureStage.LOST]),
                closing.at >= start,
                closing.at < end,
                *_id_range(closing.id, ids),
                *_touched(ids),
            )
            .group_by(closing.to_stage, stage_at_closing, CaptureCase.lost_reason, in_year, in_history)
        )
        .all()
    )
    return Counter(
        {
            Closing(outcome == CaptureStage.SIGNED.value, stage, reason, bool(year), bool(history)): int(count)
            for outcome, stage, reason, year, history, count in rows
        }
    )


def _probabilities(
    session: Session, closings: Counter[Closing], as_of: date
) -> tuple[dict[CaptureStage, rules.Probability], int]:
    """P(stage → signed) from the cases closed during the 12 months before ``as_of`` (defaults below the minimum)."""
    defaults: dict[CaptureStage, Decimal] = {}
    for stage in rules.OPEN_PIPELINE:
        value = parameter_at(session, PROBABILITY_KEY + stage.value, as_of).value
        assert isinstance(value, Decimal)
        defaults[stage] = value
    minimum = parameter_at(session, MIN_CLOSED_KEY, as_of).value
    assert isinstance(minimum, int)
    positions = {stage.value: index for index, stage in enumerate(PIPELINE)}
    groups = [
        (positions[group.stage], group.signed, cases)
        for group, cases in closings.items()
        if group.in_history and group.stage in positions
    ]
    return rules.signed_probabilities(groups, defaults=defaults, min_cases=minimum), minimum


def _lost(closings: Counter[Closing]) -> list[Line]:
    counts: Counter[str] = Counter()
    for group, cases in closings.items():
        if group.in_year and not group.signed:
            counts[group.lost_reason or UNKNOWN] += cases
    lines = [Line(key, label, counts.get(key, 0)) for key, label in LOST_REASONS.items()]
    if counts.get(UNKNOWN):
        lines.append(Line(UNKNOWN, UNKNOWN_LABEL, counts[UNKNOWN]))
    return lines


def _commune_lines(session: Session, captures: tuple[rules.Capture, ...]) -> list[Line]:
    counts = rules.count_by(captures, lambda c: c.commune_insee or UNKNOWN)
    names = dict(
        session.connection()
        .execute(select(Commune.insee, Commune.name).where(Commune.insee.in_([k for k in counts if k != UNKNOWN])))
        .all()
    )
    lines = [
        Line(insee, names.get(insee, insee) if insee != UNKNOWN else UNKNOWN_LABEL, n) for insee, n in counts.items()
    ]
    return sorted(lines, key=lambda line: (-line.captured, line.label))


def _campaigns(session: Session, scope: Scope, year: int) -> list[CampaignLine]:
    """Campaigns running during the year (an operator sees those it ran) with their leads and captures to date."""
    query = select(
        Campaign.id, Campaign.name, Campaign.channel, Campaign.starts_on, Campaign.ends_on, Campaign.cost
    ).where(
        Campaign.territory_id == scope.territory.id,
        Campaign.starts_on <= date(year, 12, 31),
        Campaign.ends_on >= date(year, 1, 1),
    )
    if scope.is_operator:
        query = query.where(Campaign.organisation_id == scope.own_operator_id)
    campaigns = session.connection().execute(query.order_by(Campaign.starts_on, Campaign.name)).all()
    if not campaigns:
        return []
    ids = [row.id for row in campaigns]
    # « Accord signé » is final: a case at that stage is a captured unit (the same as a change to it).
    rows = (
        session.connection()
        .execute(
            select(
                CaptureCase.campaign_id,
                func.count(),
                func.sum(case((CaptureCase.stage == CaptureStage.SIGNED, 1), else_=0)),
            )
            .where(CaptureCase.campaign_id.in_(ids))
            .group_by(CaptureCase.campaign_id)
        )
        .all()
    )
    leads = {campaign_id: int(count) for campaign_id, count, _signed in rows}
    captured = {campaign_id: int(signed or 0) for campaign_id, _count, signed in rows}
    return [
        CampaignLine(
            id=row.id,
            name=row.name,
            channel=row.channel.label,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            cost=row.cost,
            leads=leads.get(row.id, 0),
            captured=captured.get(row.id, 0),
            cost_per_captured=rules.cost_per_capture(row.cost, captured.get(row.id, 0)),
        )
        for row in campaigns
    ]
