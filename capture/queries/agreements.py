"""Reads for assessments and agreements: permission-aware loaders, the rent cap and limits at a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from capture.models import (
    Agreement,
    CaptureCase,
    ConventionLevel,
    IMLMode,
    Landlord,
    StockEntry,
    Unit,
    UnitAssessment,
)
from capture.rules import agreement as agreement_rules
from capture.rules import locavantages
from passerelle.models import Role, User
from passerelle.reference.queries import MissingParameter, latest_rent_reference, parameter_at


def get_agreement_for_staff_or_404(session: Session, user: User, agreement_id: int) -> Agreement:
    agreement = session.get(Agreement, agreement_id)
    if agreement is None or user.role is not Role.AGENCY_STAFF or agreement.operator_id != user.organisation_id:
        abort(404)
    return agreement


def get_agreement_for_landlord_or_404(session: Session, user: User, agreement_id: int) -> Agreement:
    """An agreement on one of the landlord's units (the unit's owner decides, not only the landlord column)."""
    agreement = session.get(Agreement, agreement_id)
    unit = session.get(Unit, agreement.unit_id) if agreement is not None else None
    if (
        agreement is None
        or unit is None
        or unit.landlord.user_id != user.id
        or agreement.landlord_id != unit.landlord_id
    ):
        abort(404)
    return agreement


def agreement_for_case(session: Session, case: CaptureCase) -> Agreement | None:
    return session.scalar(select(Agreement).where(Agreement.case_id == case.id))


def latest_assessment(session: Session, case: CaptureCase) -> UnitAssessment | None:
    return session.scalar(
        select(UnitAssessment)
        .where(UnitAssessment.case_id == case.id)
        .order_by(UnitAssessment.visited_on.desc(), UnitAssessment.id.desc())
        .limit(1)
    )


def stock_entry_for(session: Session, agreement: Agreement) -> StockEntry | None:
    return session.scalar(select(StockEntry).where(StockEntry.agreement_id == agreement.id))


def landlord_agreements(session: Session, user: User) -> list[Agreement]:
    """Agreements on the units of a landlord's account, newest first (for links in the landlord space)."""
    return list(
        session.scalars(
            select(Agreement)
            .join(Unit, Unit.id == Agreement.unit_id)
            .join(Landlord, Landlord.id == Unit.landlord_id)
            .where(Landlord.user_id == user.id)
            .order_by(Agreement.id.desc())
        )
    )


# --- the cap and the limits at a date ------------------------------------------------------------------------


@dataclass(frozen=True)
class Surfaces:
    """The surfaces the cap is computed on: measured at the visit when there is one, else declared."""

    surface_m2: Decimal | None
    annexes_m2: Decimal
    measured: bool


def surfaces_of(unit: Unit, assessment: UnitAssessment | None) -> Surfaces:
    if assessment is not None:
        return Surfaces(assessment.surface_m2, assessment.annexes_m2 or Decimal("0"), True)
    return Surfaces(unit.surface_m2, unit.annexes_m2 or Decimal("0"), False)


@dataclass(frozen=True)
class CapEstimate:
    level: ConventionLevel
    on: date
    cap: Decimal | None
    reason: str = ""  # why the cap is unknown
    market_m2: Decimal | None = None  # carte des loyers, charges included
    fiscal_m2: Decimal | None = None
    coefficient: Decimal | None = None
    source: str = ""
    unverified: tuple[str, ...] = ()  # labels of the unverified parameters the cap used


def rent_cap_at(
    session: Session, unit: Unit, assessment: UnitAssessment | None, level: ConventionLevel, on: date
) -> CapEstimate:
    """The level's rent cap for the unit at a date, or why it cannot be computed (never raises)."""
    if level is ConventionLevel.NONE:
        return CapEstimate(level, on, None, "pas de plafond sans convention")
    surfaces = surfaces_of(unit, assessment)
    if surfaces.surface_m2 is None:
        return CapEstimate(level, on, None, "la surface habitable du logement n'est pas connue")
    if unit.commune_insee is None:
        return CapEstimate(level, on, None, "la commune du logement n'est pas connue")
    reference = latest_rent_reference(session, unit.commune_insee)
    if reference is None:
        return CapEstimate(level, on, None, "aucun loyer de marché (carte des loyers) n'est connu pour la commune")
    try:
        values = {key: parameter_at(session, key, on) for key in locavantages.CAP_RULE_KEYS.values()}
        deduction = parameter_at(session, locavantages.CHARGES_DEDUCTION_KEY, on)
        discount = parameter_at(session, locavantages.DISCOUNT_KEYS[level.value], on)
    except MissingParameter as exc:
        return CapEstimate(level, on, None, f"un paramètre manque ({exc.key})")
    rules = locavantages.CapRules.from_values({key: value.value for key, value in values.items()})
    fiscal = locavantages.fiscal_surface(surfaces.surface_m2, surfaces.annexes_m2, rules)
    assert isinstance(deduction.value, Decimal) and isinstance(discount.value, Decimal)
    cap = locavantages.rent_cap(
        Decimal(reference.rent_m2), discount.value, deduction.value, surfaces.surface_m2, surfaces.annexes_m2, rules
    )
    unverified = tuple(p.label or p.key for p in (*values.values(), deduction, discount) if not p.verified)
    return CapEstimate(
        level,
        on,
        cap,
        market_m2=Decimal(reference.rent_m2),
        fiscal_m2=fiscal,
        coefficient=locavantages.surface_coefficient(fiscal, rules),
        source=f"carte des loyers {reference.edition}",
        unverified=unverified,
    )


def _integer(session: Session, key: str, on: date) -> int:
    value = parameter_at(session, key, on).value
    assert isinstance(value, int), key
    return value


def min_duration_months(session: Session, mode: IMLMode, on: date) -> int:
    """Raises MissingParameter when the parameters are not loaded."""
    return agreement_rules.min_duration_months(
        mode,
        mandate_min_months=_integer(session, "mandate.min_duration_months", on),
        main_lease_years=_integer(session, "sous_location.main_lease_years", on),
    )


def limits_at(
    session: Session,
    unit: Unit,
    assessment: UnitAssessment | None,
    *,
    mode: IMLMode,
    level: ConventionLevel,
    on: date,
) -> tuple[agreement_rules.Limits, CapEstimate]:
    """What an agreement signed on ``on`` is checked against (raises MissingParameter)."""
    estimate = rent_cap_at(session, unit, assessment, level, on)
    start = parameter_at(session, "locavantages.requests.start", on).value
    end = parameter_at(session, "locavantages.requests.end", on).value
    assert isinstance(start, date) and isinstance(end, date)
    limits = agreement_rules.Limits(
        on=on,
        rent_cap=estimate.cap,
        min_duration_months=min_duration_months(session, mode, on),
        available_on=unit.available_from,
        requests_window=(start, end),
        cap_unknown_reason=estimate.reason or "plafond inconnu",
    )
    return limits, estimate


def ban_calendar(session: Session, unit: Unit, on: date) -> dict[str, date]:
    """The DPE ban dates that apply to the unit (overseas departments have their own calendar)."""
    overseas = bool(unit.commune and unit.commune.departement.startswith("97"))
    keys = locavantages.OVERSEAS_BAN_KEYS if overseas else locavantages.BAN_KEYS
    bans = {}
    for dpe, key in keys.items():
        try:
            value = parameter_at(session, key, on).value
        except MissingParameter:
            continue
        assert isinstance(value, date)
        bans[dpe] = value
    return bans
