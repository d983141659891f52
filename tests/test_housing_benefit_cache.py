"""Housing benefit estimates cached per (household, unit, month), recomputed when an input changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from agency_backoffice import housing_benefit
from agency_backoffice.models import HousingBenefitEstimate, ResourceKind
from agency_backoffice.queries import benefits


@pytest.fixture
def counted(monkeypatch):
    calls: list[int] = []
    real = housing_benefit.estimate_housing_benefit

    def counting(cases, month):
        calls.append(len(cases))
        return real(cases, month)

    monkeypatch.setattr(benefits, "estimate_housing_benefit", counting)
    return calls


def test_estimates_are_cached_and_recomputed_when_inputs_change(make, session, counted):
    operator = make.organisation()
    arras = make.commune(insee="62041", name="Arras")
    first = make.household(operator, resources=())
    second = make.household(operator, resources=((ResourceKind.WAGES, Decimal("1000")),))
    dwelling = benefits.Dwelling(unit_id=make.unit(commune=arras).id, rent=Decimal("450"), commune_insee="62041")
    on = date(2026, 10, 15)
    pairs = [(first, dwelling), (second, dwelling)]

    amounts = benefits.housing_benefits(session, pairs, on)
    assert counted == [2]
    # Same figures as OpenFisca through the module, one case at a time.
    for household in (first, second):
        case = benefits.benefit_case(household, dwelling, on.replace(day=1))
        assert amounts[(household.id, dwelling.unit_id)] == housing_benefit.estimate_one(case, on.replace(day=1))
    assert amounts[(first.id, dwelling.unit_id)] > amounts[(second.id, dwelling.unit_id)] > 0

    assert benefits.housing_benefits(session, pairs, date(2026, 10, 30)) == amounts
    assert counted == [2]  # read from the cache, same month

    second.resources[0].monthly_amount = Decimal("1400")
    session.flush()
    again = benefits.housing_benefits(session, pairs, on)
    assert counted == [2, 1]  # only the changed household is recomputed
    assert again[(second.id, dwelling.unit_id)] < amounts[(second.id, dwelling.unit_id)]
    assert session.scalar(select(func.count()).select_from(HousingBenefitEstimate)) == 2


def test_pair_without_commune_is_not_estimated(make, session, counted):
    operator = make.organisation()
    household = make.household(operator)
    dwelling = benefits.Dwelling(unit_id=make.unit().id, rent=Decimal("450"), commune_insee=None)
    assert benefits.housing_benefits(session, [(household, dwelling)], date(2026, 10, 1)) == {
        (household.id, dwelling.unit_id): None
    }
    assert counted == []
