"""Estimate the monthly housing benefit (APL/ALS/ALF) with openfisca-france, many households in one simulation.

domain.md §7: never hand-code the aid. OpenFisca computes ``aide_logement`` (= apl + als + alf, net of CRDS,
rounded down to the euro, 0 under the payment threshold) for a month, from the resources of the rolling 12 months,
and derives the APL zone from the commune (``depcom``). The result is an estimate: the CAF decides.

How a case becomes an OpenFisca situation (one ménage per case, built from arrays, see ``_build``):

- The first adult is the claimant: famille ``demandeur``, foyer fiscal ``declarant_principal``, ménage
  ``personne_de_reference``. With ``couple`` the second adult is the partner in the same three entities.
- Further adults (grown-up relatives, friends) live in the same ménage (role ``autre``), each in a famille and a
  foyer fiscal of their own: the CAF does not count them as dependants, and the aid we read is the first
  famille's, which OpenFisca computes without them.
- Children are ``enfant`` of the famille and the ménage and ``personne_a_charge`` of the foyer fiscal;
  OpenFisca counts them as dependants for the aid while under 21 (``al_nb_personnes_a_charge``).
- Ages become birth dates: first of the month, ``age`` years and 6 months before the month (mid-year birthday,
  as ``HouseholdMember.age_on`` assumes without a birth month).
- Approximation: all the household's resources are put on the first adult. The CAF counts the resources of the
  claimant, the partner and the persons living habitually in the home (CCH R822 articles, formerly R351-5 I), so
  an extra adult's income belongs in the total; we do not know who earns what, and one earner (one 10 %
  deduction for professional expenses instead of two) never overestimates the aid.
- Resources are constant monthly taxable amounts for every month from January of year N-4 to the month: the aid
  reads the rolling months M-13..M-2 (base ressources since the 2021 reform) and the calendar year N-1 for
  alimony; the RSA that OpenFisca recomputes (see below) reads N-2 family-benefit resources and the CSG rates an
  N-2 tax income. Constant inputs over the whole span make all these readings agree.
- The dwelling (unfurnished tenant, rent, commune) is given for the month only: the household moves in, so
  last month's RSA, which decides whether activity income is neutralised, is computed without this aid.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import numpy as np

from agency_backoffice.models.enums import ResourceKind

if TYPE_CHECKING:
    from openfisca_core.simulations import Simulation
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem

CENT = Decimal("0.01")
YEARS_OF_RESOURCES_BEFORE = 4  # from January N-4: rolling months, N-1, N-2, and N-4 tax income for N-2 CSG rates

# Which OpenFisca input carries each kind of monthly resource (all on the first adult, see module docstring).
# Housing-benefit resources are net taxable incomes ("revenus nets catégoriels", CCH R822 articles, formerly
# R351-5 II), hence the *_imposable inputs.
_OPENFISCA_INPUT: dict[ResourceKind, str | None] = {
    ResourceKind.WAGES: "salaire_imposable",
    ResourceKind.UNEMPLOYMENT: "chomage_imposable",
    ResourceKind.PENSION: "retraite_imposable",
    ResourceKind.ALIMONY: "pensions_alimentaires_percues",
    # Not taxable, hence not housing-benefit resources. Declaring them changes nothing: OpenFisca recomputes the
    # RSA entitlement from the counted resources and, when last month's RSA is positive, neutralises activity
    # income (aide_logement_condition_neutralisation, CCH R822-15 and R822-17).
    ResourceKind.RSA: None,
    ResourceKind.AAH: None,
    ResourceKind.ACTIVITY_BONUS: None,
    ResourceKind.FAMILY_BENEFITS: None,
    # Unknown nature: counted as income taxed like wages (e.g. daily sickness allowances) rather than ignored,
    # so that an unexplained resource never inflates the aid.
    ResourceKind.OTHER: "salaire_imposable",
}
_RESOURCE_INPUTS = tuple(sorted({name for name in _OPENFISCA_INPUT.values() if name is not None}))

# Set to zero over the window (and ``boursier`` to False): OpenFisca would otherwise compute AAH, ASS, ASI and
# student grants from statuses we do not collect (disability rate, job-seeker history, invalidity pension,
# student), which gives zero anyway. Same results (the tests compare with plain situations), ~5 times faster.
_ZERO_MONTHLY_BENEFITS = ("aah", "ass", "asi")

_system: TaxBenefitSystem | None = None
_system_lock = threading.Lock()


@dataclass(frozen=True)
class BenefitCase:
    """One household in one dwelling, as much as the housing-benefit estimate needs."""

    adult_ages: tuple[int, ...]  # 1+ adults; ages in years at the month
    couple: bool  # the first two adults form a couple
    child_ages: tuple[int, ...]  # dependent children
    monthly_resources: tuple[tuple[ResourceKind, Decimal], ...]  # household monthly amounts, constant over the past
    rent: Decimal  # monthly rent excluding charges, unfurnished
    depcom: str  # commune INSEE code; OpenFisca derives the APL zone from it (Arras 62041 -> zone_3)


def resources_counted(kind: ResourceKind) -> bool:
    """Tell whether a kind of resource counts as housing-benefit resource."""
    return _OPENFISCA_INPUT[kind] is not None


def estimate_housing_benefit(cases: Sequence[BenefitCase], month: date) -> list[Decimal]:
    """Estimate the monthly housing benefit of each case, from one OpenFisca simulation over all cases."""
    if not cases:
        return []
    for case in cases:
        _check(case)
    simulation = _build(tax_benefit_system(), cases, month)
    amounts = simulation.calculate("aide_logement", _month_key(month))
    # The first len(cases) familles are the claimants' (see _build); extra adults' familles come after.
    return [_to_euros(float(value)) for value in amounts[: len(cases)]]


def estimate_one(case: BenefitCase, month: date) -> Decimal:
    """Estimate the monthly housing benefit of one case in its own simulation."""
    return estimate_housing_benefit([case], month)[0]


def tax_benefit_system() -> TaxBenefitSystem:
    """Load France's tax-benefit system once per process, on first use (it takes seconds)."""
    global _system
    if _system is None:
        with _system_lock:
            if _system is None:
                from openfisca_france import FranceTaxBenefitSystem

                _system = FranceTaxBenefitSystem()
    return _system


def _check(case: BenefitCase) -> None:
    """Reject a case OpenFisca would silently misread."""
    if not case.adult_ages:
        raise ValueError("a housing-benefit case needs at least one adult")
    if case.couple and len(case.adult_ages) < 2:
        raise ValueError("a couple needs two adults")
    if any(age < 0 for age in (*case.adult_ages, *case.child_ages)):
        raise ValueError("ages cannot be negative")
    if case.rent < 0 or any(amount < 0 for _, amount in case.monthly_resources):
        raise ValueError("rent and resources cannot be negative")
    if len(case.depcom) != 5:
        raise ValueError(f"commune code must have 5 characters: {case.depcom!r}")


def _month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _resource_months(month: date) -> list[str]:
    """Every month from January of year N-4 to the month itself."""
    first_year = month.year - YEARS_OF_RESOURCES_BEFORE
    return [
        f"{year:04d}-{number:02d}"
        for year in range(first_year, month.year + 1)
        for number in range(1, 13)
        if year < month.year or number <= month.month
    ]


def _build(system: TaxBenefitSystem, cases: Sequence[BenefitCase], month: date) -> Simulation:
    """Build one simulation of all cases from arrays (one famille per claimant first, then extra adults')."""
    from openfisca_core.simulation_builder import SimulationBuilder

    n_cases = len(cases)
    ages: list[int] = []
    famille: list[int] = []  # famille id; foyer fiscal ids are the same
    famille_role: list[str] = []
    foyer_role: list[str] = []
    menage: list[int] = []
    menage_role: list[str] = []
    claimant: list[int] = []  # person index of each case's first adult
    next_famille = n_cases
    for index, case in enumerate(cases):
        claimant.append(len(ages))
        for position, age in enumerate(case.adult_ages):
            ages.append(age)
            menage.append(index)
            if position == 0 or (position == 1 and case.couple):
                famille.append(index)
                first = position == 0
                famille_role.append("demandeur" if first else "conjoint")
                foyer_role.append("declarant_principal" if first else "conjoint")
                menage_role.append("personne_de_reference" if first else "conjoint")
            else:
                famille.append(next_famille)
                next_famille += 1
                famille_role.append("demandeur")
                foyer_role.append("declarant_principal")
                menage_role.append("autre")
        for age in case.child_ages:
            ages.append(age)
            famille.append(index)
            menage.append(index)
            famille_role.append("enfant")
            foyer_role.append("personne_a_charge")
            menage_role.append("enfant")

    n_persons = len(ages)
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("individu", np.arange(n_persons))
    familles = np.array(famille)
    for entity, roles in (("famille", famille_role), ("foyer_fiscal", foyer_role)):
        group = builder.declare_entity(entity, np.arange(next_famille))
        builder.join_with_persons(group, familles, roles)
    menages = builder.declare_entity("menage", np.arange(n_cases))
    builder.join_with_persons(menages, np.array(menage), menage_role)
    simulation = builder.build(system)

    period = _month_key(month)
    month_start = np.datetime64(period, "M")
    births = (month_start - (np.array(ages) * 12 + 6)).astype("datetime64[D]")
    simulation.set_input("date_naissance", "eternity", births)

    claimants = np.array(claimant)
    per_input = {name: np.zeros(n_persons) for name in _RESOURCE_INPUTS}
    for index, case in enumerate(cases):
        for kind, amount in case.monthly_resources:
            name = _OPENFISCA_INPUT[kind]
            if name is not None:
                per_input[name][claimants[index]] += float(amount)
    zeros = np.zeros(n_persons)
    for key in _resource_months(month):
        for name, values in per_input.items():
            simulation.set_input(name, key, values)
        for name in _ZERO_MONTHLY_BENEFITS:
            simulation.set_input(name, key, zeros)
    simulation.set_input("boursier", period, np.zeros(n_persons, dtype=bool))

    _set_dwelling(simulation, cases, period)
    return simulation


def _set_dwelling(simulation: Simulation, cases: Sequence[BenefitCase], period: str) -> None:
    """Give each ménage its unfurnished rent and commune for the month."""
    n_cases = len(cases)
    simulation.set_input("statut_occupation_logement", period, np.array(["locataire_vide"] * n_cases))
    simulation.set_input("loyer", period, np.array([float(case.rent) for case in cases]))
    simulation.set_input("depcom", period, np.array([case.depcom for case in cases]))


def _to_euros(value: float) -> Decimal:
    """Turn OpenFisca's float into euros to the cent, never negative."""
    if not math.isfinite(value):
        raise ArithmeticError(f"OpenFisca returned a non-finite housing benefit: {value}")
    return max(Decimal(repr(value)), Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)
