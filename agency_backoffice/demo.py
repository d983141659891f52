"""Back-office part of the demo: SIAO households of both operators, and proposals at every step.

The base demo registers about 300 households referred over the last 18 months (and a few files closed more than
two years ago, for the GDPR purge) through ``register_household``, so each one passes the checks staff's input
passes; then ``demo_proposals`` proposes the operators' available units to households that fit. ``--scale N``
adds N // 5 households over five years, written in bulk. Running it twice adds nothing.
"""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agency_backoffice.demo_households import PARIS, Fate, Pool, draw_fate, draw_household, moment
from agency_backoffice.demo_leases import seed_leases
from agency_backoffice.demo_ledger import seed_ledger
from agency_backoffice.demo_proposals import seed_proposals
from agency_backoffice.household_input import HouseholdInput
from agency_backoffice.models import Household, HouseholdMember, HouseholdResource, HouseholdStatus
from agency_backoffice.operations.households import close_household, park_household, register_household
from passerelle import demo_data
from passerelle.audit import audit
from passerelle.demo import DemoContext, bulk_insert, scale_done
from passerelle.models import AuditEntry, Organisation, User

SEED = "passerelle-demo-menages"
BASE_MARKER = "demo.households_base"
BASE_HOUSEHOLDS = {"ais": 120, "association": 180}
BASE_DAYS = 548  # 18 months of referrals
OLD_CLOSED = 4  # per operator: files closed more than 24 months ago, for ``passerelle gdpr purge``
SCALE_MARKER = "demo.households_scale"
SCALE_YEARS = 5
CHUNK = 5_000


def seed(context: DemoContext) -> None:
    """Seed the base households and proposals once, then households until ``context.scale // 5`` extra exist."""
    pool = _pool(context)
    if not _base_done(context):
        context.echo("Ménages orientés par le SIAO et propositions de logements…")
        rng = random.Random(SEED)
        households = _seed_households(context, pool, rng)
        desks = {key: (*_operator(context, key), batch) for key, batch in households.items()}
        proposals = seed_proposals(context, pool.today, rng, desks)
        audit(
            context.session,
            actor=None,
            action=BASE_MARKER,
            object_type="territory",
            object_id=context.territory.id,
            households=sum(len(batch) for batch in households.values()),
            proposals=proposals,
        )
    seed_leases(context, pool.today)
    seed_ledger(context, pool.today)
    if context.scale > 0:
        done = scale_done(context.session, context.territory, SCALE_MARKER, "households")
        if context.scale // 5 > done:
            _seed_volume(context, pool, context.scale // 5 - done, first_number=done + 1)
    context.session.flush()


def _pool(context: DemoContext) -> Pool:
    codes = {commune.insee for commune in context.territory.communes}
    communes = [insee for insee, *_rest in demo_data.CUA_RENTS if insee in codes] or sorted(codes)
    today = datetime.now(UTC).astimezone(PARIS).date()
    return Pool(communes=communes, weights=[12 if c == "62041" else 1 for c in communes], today=today)


def _base_done(context: DemoContext) -> bool:
    found = context.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == BASE_MARKER, AuditEntry.object_id == str(context.territory.id))
    )
    return bool(found)


def _seed_households(context: DemoContext, pool: Pool, rng: random.Random) -> dict[str, list[Household]]:
    """Register each operator's referrals in the order they came, then record where each one stands today."""
    today = pool.today
    plans: list[tuple[date, str, Fate]] = []
    for key, count in BASE_HOUSEHOLDS.items():
        for _ in range(count):
            referred_on = today - timedelta(days=rng.randint(0, BASE_DAYS - 1))
            plans.append((referred_on, key, draw_fate(rng, referred_on, today)))
        for _ in range(OLD_CLOSED):
            referred_on = today - timedelta(days=rng.randint(900, 1200))
            closed_on = referred_on + timedelta(days=rng.randint(60, 150))  # still more than 24 months ago
            reason = "Ménage relogé par ses propres moyens."
            plans.append((referred_on, key, Fate(HouseholdStatus.CLOSED, closed_on=closed_on, closed_reason=reason)))
    plans.sort(key=lambda plan: (plan[0], plan[1]))
    result: dict[str, list[Household]] = {key: [] for key in BASE_HOUSEHOLDS}
    # register_household flushes each file itself; autoflushing before its look-ups as well doubles the work.
    with context.session.no_autoflush:
        for number, (referred_on, key, fate) in enumerate(plans, start=1):
            operator, staff = _operator(context, key)
            data = draw_household(rng, pool, f"SIAO62-{referred_on.year}-{number:05d}", referred_on)
            household = register_household(context.session, operator, data, by=staff, today=today, source="demo")
            household.created_at = moment(referred_on)
            if fate.status is HouseholdStatus.HOUSED:
                household.status = HouseholdStatus.HOUSED
            elif fate.status is HouseholdStatus.CLOSED:
                assert fate.closed_on is not None
                reason = fate.closed_reason or ""
                close_household(context.session, household, reason=reason, by=staff, today=fate.closed_on)
            elif fate.parked_until is not None:
                reason = fate.parked_reason or ""
                park_household(
                    context.session, household, until=fate.parked_until, reason=reason, by=staff, today=today
                )
            result[key].append(household)
    context.session.flush()
    return result


def _operator(context: DemoContext, key: str) -> tuple[Organisation, User]:
    staff = context.accounts["staff_ais" if key == "ais" else "staff_asso"]
    return (context.ais if key == "ais" else context.association), staff


# --- volume: scale // 5 more households over five years, written in bulk -----------------------------------------


def _seed_volume(context: DemoContext, pool: Pool, count: int, *, first_number: int) -> None:
    """Write ``count`` households (members, resources) with one statement per table and chunk."""
    session = context.session
    rng = random.Random(f"passerelle-demo-menages-volume-{first_number}")
    operators = [(context.ais.id, 2), (context.association.id, 3)]  # the association takes more referrals
    start = pool.today - timedelta(days=365 * SCALE_YEARS)
    span = (pool.today - start).days
    written = 0
    while written < count:
        size = min(CHUNK, count - written)
        drawn = []
        for offset in range(size):
            referred_on = start + timedelta(days=rng.randint(0, span))
            reference = f"SIAO62-V-{first_number + written + offset:07d}"
            data = draw_household(rng, pool, reference, referred_on)
            operator_id = rng.choices([o for o, _ in operators], weights=[w for _, w in operators])[0]
            drawn.append((operator_id, data, draw_fate(rng, referred_on, pool.today)))
        _insert(session, drawn)
        written += size
        context.echo(f"Ménages, volume : {written} / {count} dossiers…")
    audit(
        session,
        actor=None,
        action=SCALE_MARKER,
        object_type="territory",
        object_id=context.territory.id,
        households=count,
    )


def _insert(session: Session, drawn: list[tuple[int, HouseholdInput, Fate]]) -> None:
    session.flush()
    rows = [_row(operator_id, data, fate) for operator_id, data, fate in drawn]
    ids = bulk_insert(session, Household, rows, ids=True)
    members, resources = [], []
    for household_id, (_operator_id, data, _fate) in zip(ids, drawn, strict=True):
        members += [
            {"household_id": household_id, "position": position, "adult": m.adult, "birth_year": m.birth_year,
             "birth_month": m.birth_month, "sex": m.sex}
            for position, m in enumerate(data.members)
        ]  # fmt: skip
        resources += [{"household_id": household_id, "kind": k, "monthly_amount": a} for k, a in data.resources]
    bulk_insert(session, HouseholdMember, members)
    bulk_insert(session, HouseholdResource, resources)


def _row(operator_id: int, data: HouseholdInput, fate: Fate) -> dict[str, Any]:
    """The household's columns as ``register_household`` would set them, plus where it stands today."""
    created = moment(data.referred_on)
    row = {
        field: getattr(data, field)
        for field in (
            "siao_reference", "referred_on", "situation", "couple", "contact_name", "contact_phone", "contact_email",
            "situation_since", "prefers_low_floor", "tax_income", "tax_income_year", "disability_card", "needed_by",
            "diagnostic_conclusion", "support_kind", "support_intensity", "referent_name", "referent_organisation",
            "referent_email", "referent_phone", "consent_on", "consent_scope",
        )
    }  # fmt: skip
    return row | {
        "operator_id": operator_id,
        "status": fate.status,
        "priority_flags": sorted(flag.value for flag in data.priority_flags),
        "needs": sorted(need.value for need in data.needs),
        "wished_communes": list(data.wished_communes),
        "places": [asdict(place) for place in data.places],
        "parked_until": fate.parked_until,
        "parked_reason": fate.parked_reason,
        "closed_on": fate.closed_on,
        "closed_reason": fate.closed_reason,
        "anonymised_at": None,
        "persons_count": len(data.members),
        "created_at": created,
        "created_by_id": None,
        "updated_at": created,
    }
