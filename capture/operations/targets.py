"""Capture targets: a metropolis' plan for a year. Add and flush, never commit; every change audited."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from capture.models import CapturePlan, CaptureTarget, ConventionLevel, IMLMode
from capture.operations.cases import CaptureError
from passerelle.audit import audit
from passerelle.models import Organisation, OrganisationKind, Territory, User

OPERATOR_KINDS = (OrganisationKind.AIS, OrganisationKind.ASSOCIATION)


def set_targets(
    session: Session,
    territory: Territory,
    year: int,
    *,
    total: int | None,
    by_mode: Mapping[IMLMode | str, int | None],
    by_level: Mapping[ConventionLevel | str, int | None],
    by_operator: Mapping[int, int | None],
    mandate_share: Decimal | None,
    by: User,
) -> CapturePlan:
    """Replace the territory's targets for the year (a missing value means « no target »).

    ``mandate_share`` is a rate (0.5 for 50 %). Raises CaptureError, before any change, when a value is
    negative, a share is out of 0–1, an operator is not one of the territory's, or parts exceed the total.
    """
    modes = {IMLMode(key): value for key, value in by_mode.items() if value is not None}
    levels = {ConventionLevel(key): value for key, value in by_level.items() if value is not None}
    operators = {int(key): value for key, value in by_operator.items() if value is not None}
    _check(session, territory, total, modes, levels, operators, mandate_share)

    plan = session.scalar(select(CapturePlan).where(CapturePlan.territory_id == territory.id, CapturePlan.year == year))
    if plan is None:
        plan = CapturePlan(territory_id=territory.id, year=year)
        session.add(plan)
    plan.mandate_share_target = mandate_share
    session.flush()
    session.execute(delete(CaptureTarget).where(CaptureTarget.plan_id == plan.id))
    rows = [("total", "", total)] if total is not None else []
    rows += [("mode", mode.value, units) for mode, units in modes.items()]
    rows += [("level", level.value, units) for level, units in levels.items()]
    rows += [("operator", str(operator_id), units) for operator_id, units in sorted(operators.items())]
    session.add_all(CaptureTarget(plan_id=plan.id, dimension=dim, key=key, units=units) for dim, key, units in rows)
    session.flush()
    audit(
        session,
        actor=by,
        action="capture_plan.set_targets",
        object_type="capture_plan",
        object_id=plan.id,
        territory_id=territory.id,
        year=year,
        total=total,
        by_mode={mode.value: units for mode, units in modes.items()},
        by_level={level.value: units for level, units in levels.items()},
        by_operator=operators,
        mandate_share=mandate_share,
    )
    return plan


def _check(
    session: Session,
    territory: Territory,
    total: int | None,
    modes: Mapping[IMLMode, int],
    levels: Mapping[ConventionLevel, int],
    operators: Mapping[int, int],
    mandate_share: Decimal | None,
) -> None:
    values = [total, *modes.values(), *levels.values(), *operators.values()]
    if any(value is not None and value < 0 for value in values):
        raise CaptureError("Un objectif est un nombre de logements positif ou nul.")
    if mandate_share is not None and not Decimal(0) <= mandate_share <= Decimal(1):
        raise CaptureError("La part visée en mandat de gestion est comprise entre 0 et 100 %.")
    if operators:
        known = set(
            session.scalars(
                select(Organisation.id).where(
                    Organisation.territory_id == territory.id,
                    Organisation.kind.in_(OPERATOR_KINDS),
                    Organisation.id.in_(list(operators)),
                )
            )
        )
        unknown = set(operators) - known
        if unknown:
            raise CaptureError("Un objectif vise un opérateur qui n'intervient pas sur ce territoire.")
    if total is not None:
        for label, parts in (("formule", modes), ("niveau de loyer", levels), ("opérateur", operators)):
            if sum(parts.values()) > total:
                raise CaptureError(
                    f"Les objectifs par {label} ({sum(parts.values())} logements) dépassent l'objectif total "
                    f"({total} logements)."
                )
