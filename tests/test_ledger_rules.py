"""The ledger's arithmetic without a database: prorated calls, the tiers-payant split, oldest-first allocation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from agency_backoffice.rules import ledger as rules

TERMS = rules.LeaseTerms(
    rent=D("612.40"), charges=D("45.00"), benefit=D("238.00"), starts_on=date(2026, 12, 10), ends_on=None, payment_day=5
)


def test_first_month_is_prorated_by_days_and_truncated_without_benefit() -> None:
    call = rules.rent_call(TERMS, date(2026, 12, 1))
    assert call is not None
    # 10 to 31 December: 22 days of 31. Rent 612.40 × 22 / 31 = 434.6064… → 434.60;
    # charges 45 × 22 / 31 = 31.935… → 31.93
    assert (call.days, call.days_in_month) == (22, 31)
    assert (call.rent, call.charges, call.amount) == (D("434.60"), D("31.93"), D("466.53"))
    # The aid is due from the month after the move (CCH R.823-10): none expected in December.
    assert call.benefit == D("0")
    # Due on the 5th, but not before the household moves in.
    assert call.due_on == date(2026, 12, 10)
    assert call.prorated


def test_full_month_splits_the_housing_benefit_from_the_household_share() -> None:
    call = rules.rent_call(TERMS, date(2027, 1, 1))
    assert call is not None
    assert not call.prorated
    assert call.amount == D("657.40")  # 612.40 + 45.00
    assert call.benefit == D("238.00")
    assert call.household_share == D("419.40")  # 657.40 − 238.00
    assert call.due_on == date(2027, 1, 5)


def test_last_month_stops_at_the_exit_date_and_no_call_after() -> None:
    terms = rules.LeaseTerms(
        rent=D("600"),
        charges=D("0"),
        benefit=D("200"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 2, 14),
        payment_day=1,
    )
    call = rules.rent_call(terms, date(2027, 2, 1))
    assert call is not None
    # 1 to 14 February 2027: 14 days of 28 → 600 × 14 / 28 = 300.00 exactly
    assert (call.days, call.rent, call.benefit) == (14, D("300.00"), D("0"))
    assert rules.rent_call(terms, date(2027, 3, 1)) is None
    # Before the start: nothing either.
    assert rules.rent_call(terms, date(2025, 12, 1)) is None


def test_benefit_never_exceeds_the_call() -> None:
    terms = rules.LeaseTerms(
        rent=D("300"), charges=D("20"), benefit=D("400"), starts_on=date(2026, 1, 1), ends_on=None, payment_day=5
    )
    call = rules.rent_call(terms, date(2026, 3, 1))
    assert call is not None and call.benefit == D("320") and call.household_share == D("0")


def test_call_periods_follow_the_operator_call_day() -> None:
    assert rules.call_periods(date(2026, 12, 1), 25, 0) == (date(2026, 12, 1),)
    assert rules.call_periods(date(2026, 12, 24), 25, 1) == (date(2026, 11, 1), date(2026, 12, 1))
    assert rules.call_periods(date(2026, 12, 25), 25, 0) == (date(2026, 12, 1), date(2027, 1, 1))
    assert rules.call_periods(date(2027, 1, 31), 28, 2) == (
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    )


def test_allocation_goes_to_the_oldest_due_first_then_stops() -> None:
    items = [
        rules.OpenItem(id=3, due_on=date(2027, 2, 5), open=D("500")),
        rules.OpenItem(id=1, due_on=date(2027, 1, 5), open=D("300")),
        rules.OpenItem(id=7, due_on=date(2027, 3, 5), open=D("500")),
    ]
    assert rules.allocate(D("650"), items) == [(1, D("300")), (3, D("350"))]
    # A preferred item (the entry a correction corrects) comes first.
    assert rules.allocate(D("100"), items, first=7) == [(7, D("100"))]
    assert rules.allocate(D("2000"), items) == [(1, D("300")), (3, D("500")), (7, D("500"))]


amounts = st.decimals(min_value=D("0.01"), max_value=D("5000"), places=2)


@given(
    amount=amounts,
    opens=st.lists(st.tuples(st.integers(0, 400), amounts), min_size=0, max_size=12),
)
def test_allocation_never_over_allocates(amount: D, opens: list[tuple[int, D]]) -> None:
    items = [
        rules.OpenItem(id=index, due_on=date.fromordinal(date(2026, 1, 1).toordinal() + day), open=value)
        for index, (day, value) in enumerate(opens)
    ]
    result = rules.allocate(amount, items)
    by_id = {item.id: item for item in items}
    assert sum((share for _, share in result), D("0")) == min(amount, sum((i.open for i in items), D("0")))
    assert all(D("0") < share <= by_id[item_id].open for item_id, share in result)
    # Oldest due first: every item paid in part or not at all comes after every item paid in full.
    paid = dict(result)
    order = sorted(items, key=lambda item: (item.due_on, item.id))
    fully = [paid.get(item.id) == item.open for item in order]
    assert fully == sorted(fully, reverse=True)


@given(monthly=amounts, days=st.integers(1, 31))
def test_prorating_never_rounds_up(monthly: D, days: int) -> None:
    share = rules.prorate(monthly, days, 31)
    assert share <= monthly * days / 31
    assert monthly * days / 31 - share < D("0.01")
