"""Capture part of the demo: routing of the territory's units to its operators, a landlord with units."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from capture import operations as ops
from capture.demo_activity import seed_activity
from capture.models import (
    ConventionLevel,
    DeclarationStatus,
    Heating,
    IMLMode,
    Landlord,
    LandlordKind,
    RoutingRule,
    Unit,
)
from passerelle.demo import DemoContext


def seed(context: DemoContext) -> None:
    seed_routing(context)
    seed_demo_landlord(context)
    seed_activity(context)


def seed_routing(context: DemoContext) -> None:
    """Mandates go to the AIS; sous-location and bail glissant to the association (whole territory)."""
    session = context.session
    wanted = {
        IMLMode.MANDATE: context.ais,
        IMLMode.SUBLEASE: context.association,
        IMLMode.BAIL_GLISSANT: context.association,
    }
    for mode, operator in wanted.items():
        rule = session.scalar(
            select(RoutingRule).where(
                RoutingRule.territory_id == context.territory.id,
                RoutingRule.commune_insee.is_(None),
                RoutingRule.mode == mode,
            )
        )
        if rule is None:
            session.add(
                RoutingRule(territory_id=context.territory.id, commune_insee=None, mode=mode, operator_id=operator.id)
            )
    for operator, rate in ((context.ais, Decimal("0.07")),):
        if operator.management_fee_rate is None:
            operator.management_fee_rate = rate
    session.flush()


def seed_demo_landlord(context: DemoContext) -> None:
    """The demo owner: a profile, one unit sent to the AIS, one draft left to finish."""
    session = context.session
    user = context.accounts["landlord"]
    landlord = session.scalar(select(Landlord).where(Landlord.user_id == user.id))
    if landlord is not None:
        return
    landlord = Landlord(
        user=user,
        kind=LandlordKind.PERSON,
        name=user.full_name,
        email=user.email,
        phone="06 12 34 56 78",
        address="3 rue des Capucins",
        postal_code="62000",
        city="Arras",
        preferred_contact="phone",
    )
    session.add(landlord)
    today = date.today()
    submitted = Unit(
        landlord=landlord,
        status=DeclarationStatus.DRAFT,
        address="14 rue Saint-Aubert",
        postal_code="62000",
        commune_insee="62041",
        surface_m2=Decimal("45.00"),
        annexes_m2=Decimal("6.00"),
        rooms=2,
        floor=2,
        has_lift=False,
        step_free=False,
        heating=Heating.INDIVIDUAL_GAS,
        dpe_class="D",
        dpe_energy_kwh_m2=210,
        furnished=False,
        vacant_since=today - timedelta(days=400),
        available_from=today + timedelta(days=30),
        visit_availability="En semaine après 17 h",
        asked_rent=Decimal("560.00"),
        charges=Decimal("40.00"),
        desired_mode=IMLMode.MANDATE,
        desired_level=ConventionLevel.LOC2,
    )
    draft = Unit(
        landlord=landlord,
        status=DeclarationStatus.DRAFT,
        address="2 place des Héros",
        postal_code="62000",
        commune_insee="62041",
        surface_m2=Decimal("28.50"),
        annexes_m2=Decimal("0"),
        rooms=1,
    )
    session.add_all([submitted, draft])
    session.flush()
    ops.submit_unit(session, submitted, by=user)
