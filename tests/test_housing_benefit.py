"""Housing benefit estimates: domain.md §7 anchors, OpenFisca's own result on plain situations, batch = one by one.

No database. The reference values of the "plain situation" tests are computed here by OpenFisca from situations
written independently of the module, with the dict API (``build_from_entities``), the documented inputs only
(taxable monthly resources, birth dates, unfurnished rent and commune) and none of the module's shortcuts.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from openfisca_core.simulation_builder import SimulationBuilder

from agency_backoffice.housing_benefit import (
    BenefitCase,
    estimate_housing_benefit,
    estimate_one,
    resources_counted,
    tax_benefit_system,
)
from agency_backoffice.models.enums import ResourceKind as Kind

MONTH = date(2026, 10, 1)
LILLE = "59350"  # zone 2 in OpenFisca's APL zoning (checked below)
ARRAS = "62041"  # zone 3
PARIS = "75056"  # zone 1 (listed as 1bis)
LYON = "69123"  # zone 2
GUERET = "23096"  # zone 3


def _single(salary: int, depcom: str = LILLE, *extra: tuple[Kind, Decimal]) -> BenefitCase:
    resources = ((Kind.WAGES, Decimal(salary)),) if salary else ()
    return BenefitCase((40,), False, (), resources + extra, Decimal(450), depcom)


# 1. domain.md §7 sanity anchors: one adult, unfurnished rent 450 €, October 2026.


@pytest.mark.parametrize(
    ("salary", "depcom", "expected"),
    [(0, LILLE, "308.00"), (1000, LILLE, "134.00"), (1400, LILLE, "0.00"), (0, ARRAS, "290.00")],
)
def test_domain_anchors(salary: int, depcom: str, expected: str) -> None:
    amount = estimate_one(_single(salary, depcom), MONTH)
    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2


def test_communes_used_have_the_expected_apl_zones() -> None:
    situation = {
        "individus": {f"p{i}": {} for i in range(5)},
        "menages": {
            f"m{i}": {"personne_de_reference": [f"p{i}"], "depcom": {"2026-10": depcom}}
            for i, depcom in enumerate((LILLE, ARRAS, PARIS, LYON, GUERET))
        },
    }
    simulation = SimulationBuilder().build_from_entities(tax_benefit_system(), situation)
    zones = simulation.calculate("zone_apl", "2026-10").decode_to_str().tolist()
    assert zones == ["zone_2", "zone_3", "zone_1", "zone_2", "zone_3"]


# 2. The module equals OpenFisca on plain situations written by hand.

ALL_MONTHS = [f"{year}-{month:02d}" for year in range(2022, 2027) for month in range(1, 13)][:58]  # to 2026-10


def _constant(amount: float) -> dict[str, float]:
    """A monthly amount received every month since January 2022 (the 'constant resources' assumption)."""
    return dict.fromkeys(ALL_MONTHS, amount)


def _plain(
    individus: dict[str, Any],
    familles: dict[str, Any],
    foyers: dict[str, Any],
    menage: dict[str, Any],
    rent: float,
    depcom: str,
) -> dict[str, Any]:
    """One household in OpenFisca's dict form, renting unfurnished in ``depcom`` in October 2026."""
    dwelling = {
        "loyer": {"2026-10": rent},
        "statut_occupation_logement": {"2026-10": "locataire_vide"},
        "depcom": {"2026-10": depcom},
    }
    return {"individus": individus, "familles": familles, "foyers_fiscaux": foyers, "menages": {"m": menage | dwelling}}


def _merged(situations: list[dict[str, Any]]) -> dict[str, Any]:
    """Put the households side by side in one situation, ids prefixed by their rank (OpenFisca keeps them apart)."""
    merged: dict[str, Any] = {"individus": {}, "familles": {}, "foyers_fiscaux": {}, "menages": {}}
    for rank, situation in enumerate(situations):
        for plural, instances in situation.items():
            for key, value in instances.items():
                if plural != "individus":  # group entities list their members by role
                    value = {k: [f"{rank}_{i}" for i in v] if isinstance(v, list) else v for k, v in value.items()}
                merged[plural][f"{rank}_{key}"] = value
    return merged


PLAIN_CASES = {
    "single earner, zone 2": (
        BenefitCase((35,), False, (), ((Kind.WAGES, Decimal(1200)),), Decimal(500), LILLE),
        _plain(
            {"a": {"date_naissance": {"ETERNITY": "1991-03-10"}, "salaire_imposable": _constant(1200)}},
            {"f": {"parents": ["a"]}},
            {"ff": {"declarants": ["a"]}},
            {"personne_de_reference": ["a"]},
            500,
            LILLE,
        ),
    ),
    "couple with two children, wages and unemployment, Arras": (
        BenefitCase(
            (30, 32),
            True,
            (4, 9),
            ((Kind.WAGES, Decimal(1800)), (Kind.UNEMPLOYMENT, Decimal(600))),
            Decimal(750),
            ARRAS,
        ),
        _plain(
            {
                "a": {
                    "date_naissance": {"ETERNITY": "1996-01-20"},
                    "salaire_imposable": _constant(1800),
                    "chomage_imposable": _constant(600),
                },
                "b": {"date_naissance": {"ETERNITY": "1994-05-02"}},
                "c": {"date_naissance": {"ETERNITY": "2022-02-14"}},
                "d": {"date_naissance": {"ETERNITY": "2017-06-30"}},
            },
            {"f": {"parents": ["a", "b"], "enfants": ["c", "d"]}},
            {"ff": {"declarants": ["a", "b"], "personnes_a_charge": ["c", "d"]}},
            {"personne_de_reference": ["a"], "conjoint": ["b"], "enfants": ["c", "d"]},
            750,
            ARRAS,
        ),
    ),
    "single parent, wages and alimony, Paris": (
        BenefitCase(
            (28,), False, (2,), ((Kind.WAGES, Decimal(900)), (Kind.ALIMONY, Decimal(250))), Decimal(620), PARIS
        ),
        _plain(
            {
                "a": {
                    "date_naissance": {"ETERNITY": "1998-01-05"},
                    "salaire_imposable": _constant(900),
                    "pensions_alimentaires_percues": _constant(250),
                },
                "c": {"date_naissance": {"ETERNITY": "2024-03-01"}},
            },
            {"f": {"parents": ["a"], "enfants": ["c"]}},
            {"ff": {"declarants": ["a"], "personnes_a_charge": ["c"]}},
            {"personne_de_reference": ["a"], "enfants": ["c"]},
            620,
            PARIS,
        ),
    ),
    "pensioner, Guéret": (
        BenefitCase((70,), False, (), ((Kind.PENSION, Decimal(1100)),), Decimal(420), GUERET),
        _plain(
            {"a": {"date_naissance": {"ETERNITY": "1956-02-11"}, "retraite_imposable": _constant(1100)}},
            {"f": {"parents": ["a"]}},
            {"ff": {"declarants": ["a"]}},
            {"personne_de_reference": ["a"]},
            420,
            GUERET,
        ),
    ),
    "unemployment benefits, Lyon": (
        BenefitCase((45,), False, (), ((Kind.UNEMPLOYMENT, Decimal(950)),), Decimal(480), LYON),
        _plain(
            {"a": {"date_naissance": {"ETERNITY": "1981-01-25"}, "chomage_imposable": _constant(950)}},
            {"f": {"parents": ["a"]}},
            {"ff": {"declarants": ["a"]}},
            {"personne_de_reference": ["a"]},
            480,
            LYON,
        ),
    ),
    "couple, rent far above the zone 1 ceiling": (
        BenefitCase((40, 41), True, (), ((Kind.WAGES, Decimal(1100)),), Decimal(1400), PARIS),
        _plain(
            {
                "a": {"date_naissance": {"ETERNITY": "1986-02-01"}, "salaire_imposable": _constant(1100)},
                "b": {"date_naissance": {"ETERNITY": "1985-01-01"}},
            },
            {"f": {"parents": ["a", "b"]}},
            {"ff": {"declarants": ["a", "b"]}},
            {"personne_de_reference": ["a"], "conjoint": ["b"]},
            1400,
            PARIS,
        ),
    ),
    "couple with a child and a grandparent living with them": (
        BenefitCase((50, 48, 76), True, (15,), ((Kind.WAGES, Decimal(1500)),), Decimal(680), LILLE),
        _plain(
            {
                "a": {"date_naissance": {"ETERNITY": "1976-01-15"}, "salaire_imposable": _constant(1500)},
                "b": {"date_naissance": {"ETERNITY": "1978-03-03"}},
                "g": {"date_naissance": {"ETERNITY": "1950-02-20"}},
                "c": {"date_naissance": {"ETERNITY": "2011-01-09"}},
            },
            {"f": {"parents": ["a", "b"], "enfants": ["c"]}, "fg": {"parents": ["g"]}},
            {"ff": {"declarants": ["a", "b"], "personnes_a_charge": ["c"]}, "ffg": {"declarants": ["g"]}},
            {"personne_de_reference": ["a"], "conjoint": ["b"], "enfants": ["c"], "autres": ["g"]},
            680,
            LILLE,
        ),
    ),
}


@pytest.fixture(scope="module")
def plain_amounts() -> dict[str, Decimal]:
    """OpenFisca's aid of each plain case's first famille ('f'), all cases in one dict-built simulation."""
    situation = _merged([plain for _, plain in PLAIN_CASES.values()])
    simulation = SimulationBuilder().build_from_entities(tax_benefit_system(), situation)
    amounts = simulation.calculate("aide_logement", "2026-10")
    ids = list(simulation.populations["famille"].ids)
    return {
        name: Decimal(int(amounts[ids.index(f"{rank}_f")])).quantize(Decimal("0.01"))
        for rank, name in enumerate(PLAIN_CASES)
    }


@pytest.mark.parametrize("name", list(PLAIN_CASES))
def test_equals_openfisca_on_a_plain_situation(name: str, plain_amounts: dict[str, Decimal]) -> None:
    case, _ = PLAIN_CASES[name]
    assert estimate_one(case, MONTH) == plain_amounts[name]


def test_plain_cases_are_not_trivial(plain_amounts: dict[str, Decimal]) -> None:
    """The equalities above compare real, varied amounts, not zeros."""
    assert all(amount > 0 for amount in plain_amounts.values())
    assert len(set(plain_amounts.values())) == len(plain_amounts)
    assert estimate_housing_benefit([case for case, _ in PLAIN_CASES.values()], MONTH) == list(plain_amounts.values())


# 3. One simulation over many cases equals one simulation per case.


def _generated_cases(count: int, seed: int) -> list[BenefitCase]:
    rng = random.Random(seed)
    communes = (LILLE, ARRAS, PARIS, LYON, GUERET)
    cases = []
    for _ in range(count):
        adults = tuple(rng.randint(18, 85) for _ in range(rng.choice((1, 1, 2, 2, 3))))
        children = tuple(rng.randint(0, 20) for _ in range(rng.choice((0, 0, 1, 2, 4))))
        resources = tuple((kind, Decimal(rng.randrange(0, 2600, 50))) for kind in Kind if rng.random() < 0.35)
        cases.append(
            BenefitCase(
                adults,
                len(adults) >= 2 and rng.random() < 0.7,
                children,
                resources,
                Decimal(rng.randrange(200, 1300, 10)),
                rng.choice(communes),
            )
        )
    return cases


def test_one_simulation_equals_one_per_case() -> None:
    cases = _generated_cases(30, seed=7)
    together = estimate_housing_benefit(cases, MONTH)
    assert together == [estimate_one(case, MONTH) for case in cases]
    assert all(amount >= 0 and amount.as_tuple().exponent == -2 for amount in together)
    assert len({amount for amount in together if amount > 0}) >= 10  # varied, not all zero


def test_batch_order_does_not_matter() -> None:
    cases = _generated_cases(40, seed=11)
    amounts = estimate_housing_benefit(cases, MONTH)
    assert estimate_housing_benefit(cases[::-1], MONTH) == amounts[::-1]


# 4. More resources never raise the aid.


@pytest.mark.parametrize(
    ("adults", "couple", "children", "kind", "depcom"),
    [
        ((40,), False, (), Kind.WAGES, LILLE),
        ((33, 35), True, (3, 7), Kind.WAGES, ARRAS),
        ((29,), False, (1,), Kind.UNEMPLOYMENT, PARIS),
        ((68,), False, (), Kind.PENSION, GUERET),
    ],
)
def test_aid_never_rises_with_resources(
    adults: tuple[int, ...], couple: bool, children: tuple[int, ...], kind: Kind, depcom: str
) -> None:
    steps = [Decimal(amount) for amount in range(0, 4001, 250)]
    cases = [BenefitCase(adults, couple, children, ((kind, step),), Decimal(600), depcom) for step in steps]
    amounts = estimate_housing_benefit(cases, MONTH)
    assert all(later <= earlier for earlier, later in pairwise(amounts))
    assert amounts[0] > amounts[-1]


# 5. Non-taxable benefits are not housing-benefit resources.


def test_resources_counted() -> None:
    assert {kind for kind in Kind if resources_counted(kind)} == {
        Kind.WAGES,
        Kind.UNEMPLOYMENT,
        Kind.PENSION,
        Kind.ALIMONY,
        Kind.OTHER,
    }


def test_non_taxable_benefits_do_not_change_the_estimate() -> None:
    benefits = (
        (Kind.RSA, Decimal(500)),
        (Kind.AAH, Decimal(1000)),
        (Kind.ACTIVITY_BONUS, Decimal(250)),
        (Kind.FAMILY_BENEFITS, Decimal(400)),
    )
    bases = [
        _single(0),
        _single(800, ARRAS),
        _single(1100),
        BenefitCase((31, 30), True, (2, 5, 8), ((Kind.WAGES, Decimal(1600)),), Decimal(700), LYON),
    ]
    with_benefits = [
        BenefitCase(b.adult_ages, b.couple, b.child_ages, b.monthly_resources + benefits, b.rent, b.depcom)
        for b in bases
    ]
    without = estimate_housing_benefit(bases, MONTH)
    assert estimate_housing_benefit(with_benefits, MONTH) == without
    assert without[2] > 0 and without[3] > 0
    # whereas a counted resource of the same size does lower it
    other = BenefitCase(
        (40,), False, (), ((Kind.WAGES, Decimal(1100)), (Kind.OTHER, Decimal(250))), Decimal(450), LILLE
    )
    assert estimate_one(other, MONTH) < without[2]


# Edges and loading.


def test_edges() -> None:
    assert estimate_housing_benefit([], MONTH) == []
    with pytest.raises(ValueError, match="couple"):
        estimate_one(BenefitCase((30,), True, (), (), Decimal(400), LILLE), MONTH)
    with pytest.raises(ValueError, match="adult"):
        estimate_one(BenefitCase((), False, (3,), (), Decimal(400), LILLE), MONTH)


def test_importing_does_not_load_openfisca() -> None:
    code = (
        "import sys, agency_backoffice.housing_benefit as hb\n"
        "assert not [m for m in sys.modules if m.startswith('openfisca')], 'openfisca imported'\n"
        "assert hb._system is None\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
