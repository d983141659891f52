"""Housing benefit estimates for (household, unit) pairs: read from the cache, compute the rest in one batch.

The cache key is (household, unit, month); a fingerprint of OpenFisca's inputs (composition, ages, resources,
rent, commune) makes any change of those inputs recompute the estimate, so a stale figure is never shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from agency_backoffice.housing_benefit import BenefitCase, estimate_housing_benefit
from agency_backoffice.models import Household, HousingBenefitEstimate
from passerelle.db import utcnow


@dataclass(frozen=True)
class Dwelling:
    """What OpenFisca needs of a unit: its rent excluding charges and its commune."""

    unit_id: int
    rent: Decimal
    commune_insee: str | None


def benefit_case(household: Household, dwelling: Dwelling, month: date) -> BenefitCase | None:
    if dwelling.commune_insee is None or not any(member.adult for member in household.members):
        return None
    return BenefitCase(
        adult_ages=tuple(m.age_on(month) for m in household.members if m.adult),
        couple=household.couple,
        child_ages=tuple(m.age_on(month) for m in household.members if not m.adult),
        monthly_resources=tuple((r.kind, r.monthly_amount) for r in household.resources),
        rent=dwelling.rent,
        depcom=dwelling.commune_insee,
    )


def fingerprint(case: BenefitCase) -> str:
    return hashlib.sha256(repr(case).encode()).hexdigest()


def housing_benefits(
    session: Session, pairs: Iterable[tuple[Household, Dwelling]], on: date
) -> dict[tuple[int, int], Decimal | None]:
    """Monthly housing benefit of each pair for the month of a date (None when it cannot be estimated)."""
    month = on.replace(day=1)
    cases: dict[tuple[int, int], BenefitCase] = {}
    result: dict[tuple[int, int], Decimal | None] = {}
    for household, dwelling in pairs:
        key = (household.id, dwelling.unit_id)
        case = benefit_case(household, dwelling, month)
        if case is None:
            result[key] = None
        else:
            cases[key] = case
    if not cases:
        return result
    household_ids = {key[0] for key in cases}
    unit_ids = {key[1] for key in cases}
    cached = {
        (row.household_id, row.unit_id): row
        for row in session.scalars(
            select(HousingBenefitEstimate).where(
                HousingBenefitEstimate.month == month,
                HousingBenefitEstimate.household_id.in_(household_ids),
                HousingBenefitEstimate.unit_id.in_(unit_ids),
            )
        )
    }
    missing: list[tuple[tuple[int, int], BenefitCase, str]] = []
    for key, case in cases.items():
        digest = fingerprint(case)
        row = cached.get(key)
        if row is not None and row.fingerprint == digest:
            result[key] = row.amount
        else:
            missing.append((key, case, digest))
    if missing:
        amounts = estimate_housing_benefit([case for _, case, _ in missing], month)
        _store(
            session, [(key, digest, amount) for (key, _, digest), amount in zip(missing, amounts, strict=True)], month
        )
        for (key, _, _), amount in zip(missing, amounts, strict=True):
            result[key] = amount
    return result


def _store(session: Session, rows: Sequence[tuple[tuple[int, int], str, Decimal]], month: date) -> None:
    """Upsert: two requests computing the same pair at once must not fail on the primary key."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    values = [
        {
            "household_id": household_id,
            "unit_id": unit_id,
            "month": month,
            "fingerprint": digest,
            "amount": amount,
            "computed_at": now,
        }
        for (household_id, unit_id), digest, amount in rows
    ]
    for start in range(0, len(values), 500):
        statement = insert(HousingBenefitEstimate).values(values[start : start + 500])
        statement = statement.on_conflict_do_update(
            index_elements=["household_id", "unit_id", "month"],
            set_={
                "fingerprint": statement.excluded.fingerprint,
                "amount": statement.excluded.amount,
                "computed_at": statement.excluded.computed_at,
            },
        )
        session.execute(statement)
