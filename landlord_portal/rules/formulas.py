"""Feed the simulator's parameters to the shared cap formula and décence calendar (domain.md §3, §6).

The cap formula and the décence calendar have one home, shared with the agreement checks of capture:
``capture.rules.locavantages``. These wrappers feed it the simulator's parameters.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from capture.rules import locavantages
from landlord_portal.rules.parameters import SimulatorParameters


def cap_rules(params: SimulatorParameters) -> locavantages.CapRules:
    return locavantages.CapRules(
        annex_share=params.annex_share.value,
        annex_max_m2=params.annex_max_m2.value,
        coefficient_base=params.coefficient_base.value,
        coefficient_numerator=params.coefficient_numerator.value,
        coefficient_cap=params.coefficient_cap.value,
        coefficient_places=params.coefficient_places.value,
    )


def fiscal_surface(surface_m2: Decimal, annexes_m2: Decimal, params: SimulatorParameters) -> Decimal:
    """Surface habitable + half of the annexes for the tenant's sole use, the half counted up to 8 m²."""
    return locavantages.fiscal_surface(surface_m2, annexes_m2, cap_rules(params))


def surface_coefficient(fiscal_m2: Decimal, params: SimulatorParameters) -> Decimal:
    """min(1.2, round(0.7 + 19 / S, 2)), S the surface fiscale (domain.md §3; the Pinel coefficient)."""
    return locavantages.surface_coefficient(fiscal_m2, cap_rules(params))


def rent_cap(market_m2: Decimal, discount: Decimal, fiscal_m2: Decimal, coefficient: Decimal) -> Decimal:
    """Monthly rent cap, charges excluded: market €/m² × (1 − discount) × S × coefficient, to the cent."""
    return locavantages.cap_for(market_m2, discount, fiscal_m2, coefficient)


def ban_date(dpe_class: str, params: SimulatorParameters, *, overseas: bool = False) -> date | None:
    """First day a unit of this energy class can no longer be let under a new lease (décence calendar)."""
    calendar = params.dpe_ban_overseas if overseas else params.dpe_ban
    return locavantages.dpe_ban_date(dpe_class, {dpe: sourced.value for dpe, sourced in calendar.items()})
