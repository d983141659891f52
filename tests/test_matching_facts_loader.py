"""The stock page reads waiting households' facts column by column: the same facts as the ORM path."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from agency_backoffice.household_input import MemberInput, PlaceInput
from agency_backoffice.models import HouseholdStatus, Need, PriorityFlag, ResourceKind, Sex, SupportIntensity
from agency_backoffice.queries import matching_data
from agency_backoffice.queries.matching import household_facts, waiting_household_facts


def test_column_loader_gives_the_facts_of_the_orm_path(make, session) -> None:
    operator, other = make.organisation(), make.organisation(name="Autre opérateur")
    today = date.today()
    owner = make.landlord()
    make.commune(insee="62041", name="Arras")
    make.household(operator, siao_reference="SIAO-SEUL")
    make.household(
        operator,
        siao_reference="SIAO-FAMILLE",
        couple=True,
        referred_on=today - timedelta(days=40),
        members=(
            MemberInput(adult=True, birth_year=today.year - 36),
            MemberInput(adult=True, birth_year=today.year - 34),
            MemberInput(adult=False, birth_year=today.year - 8, birth_month=12, sex=Sex.MALE),
            MemberInput(adult=False, birth_year=today.year - 1, birth_month=1, sex=Sex.FEMALE),
        ),
        resources=((ResourceKind.WAGES, Decimal("1600.50")), (ResourceKind.FAMILY_BENEFITS, Decimal("150.25"))),
        priority_flags=frozenset({PriorityFlag.DALO}),
        needs=frozenset({Need.STEP_FREE}),
        prefers_low_floor=True,
        wished_communes=("62041",),
        places=(PlaceInput(kind="work", label="Travail", commune="62041"),),
        disability_card=True,
        needed_by=today + timedelta(days=30),
        support_intensity=SupportIntensity.INTENSIVE,
        consent_on=today,
        related_landlord_ids=(owner.id,),
    )
    parked = make.household(operator, siao_reference="SIAO-PAUSE", resources=())
    parked.parked_until = today + timedelta(days=10)
    closed = make.household(operator, siao_reference="SIAO-CLOS")
    closed.status, closed.closed_on, closed.closed_reason = HouseholdStatus.CLOSED, today, "housed"
    make.household(other, siao_reference="SIAO-AILLEURS")
    session.flush()

    expected = [household_facts(h, today) for h in matching_data.waiting_households(session, operator.id)]
    loaded = waiting_household_facts(session, operator.id, today)

    assert [f.id for f in loaded] == [f.id for f in expected]
    assert len(loaded) == 3  # the closed file and the other operator's household are not there
    assert loaded == expected
    family = next(f for f in loaded if len(f.members) == 4)
    assert family.monthly_resources == Decimal("1750.75")
    assert family.related_landlord_ids == frozenset({owner.id})
