"""The rent ledger's arithmetic (pure): monthly rent calls with prorated first and last months, the tiers-payant
split, and the allocation of credits to debits oldest-due first.

Sign convention of the ledger: a debit (call, refund, positive correction) is what the household owes (> 0);
a credit (payment, negative correction) is what it paid or was credited (< 0). The balance is their sum.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from capture.rules.locavantages import add_months

CENT = Decimal("0.01")
ZERO = Decimal("0")


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: date) -> date:
    return add_months(month_start(day), 1)


def prorate(monthly: Decimal, days: int, days_in_month: int) -> Decimal:
    """Share of a monthly amount for ``days`` days, truncated to the cent (never rounded up against the household)."""
    if days >= days_in_month:
        return monthly
    return (monthly * days / days_in_month).quantize(CENT, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class LeaseTerms:
    """What a rent call needs to know about a lease."""

    rent: Decimal  # monthly, charges excluded
    charges: Decimal  # monthly provision
    benefit: Decimal  # housing benefit paid to the operator each month (tiers payant), 0 if none
    starts_on: date
    ends_on: date | None  # the household's exit date when known (last day occupied)
    payment_day: int  # day of the month the rent is due (payable in advance: terme à échoir)


@dataclass(frozen=True)
class CallAmounts:
    period: date  # the month (first day)
    period_start: date  # first day covered
    period_end: date  # last day covered
    days: int
    days_in_month: int
    rent: Decimal
    charges: Decimal
    benefit: Decimal
    due_on: date

    @property
    def amount(self) -> Decimal:
        return self.rent + self.charges

    @property
    def household_share(self) -> Decimal:
        return self.amount - self.benefit

    @property
    def prorated(self) -> bool:
        return self.days < self.days_in_month


def rent_call(terms: LeaseTerms, period: date) -> CallAmounts | None:
    """The call of a month, or None when the lease does not cover any day of it.

    The first and last months are prorated by days occupied (rent and charges alike). The housing benefit is
    expected only for a whole month: it is due from the first day of the month after the move (CCH
    art. R.823-10) and stops from the first day of the month the conditions cease, i.e. the month of departure
    (same article). A household leaving a shelter may get the aid for its first month (art. R.823-11): that
    payment is not presumed, it is recorded when the CAF/MSA pays it.
    """
    first, last = month_start(period), month_end(period)
    start = max(first, terms.starts_on)
    end = last if terms.ends_on is None else min(last, terms.ends_on)
    if end < start:
        return None
    days = (end - start).days + 1
    days_in_month = (last - first).days + 1
    rent = prorate(terms.rent, days, days_in_month)
    charges = prorate(terms.charges, days, days_in_month)
    benefit = min(terms.benefit, rent + charges) if days == days_in_month else ZERO
    due_on = max(first.replace(day=terms.payment_day), start)
    return CallAmounts(
        period=first,
        period_start=start,
        period_end=end,
        days=days,
        days_in_month=days_in_month,
        rent=rent,
        charges=charges,
        benefit=benefit,
        due_on=due_on,
    )


def call_periods(on: date, call_day: int, catch_up_months: int) -> tuple[date, ...]:
    """The months whose calls must exist on ``on``: the next one from the operator's call day on, the current
    one, and the ``catch_up_months`` before it.

    Issuing missing calls of recent months makes the job catch up after days without a run and gives a lease
    recorded after its start (or signed mid-month) its first calls the next morning.
    """
    current = month_start(on)
    months = [add_months(current, -back) for back in range(catch_up_months, 0, -1)] + [current]
    if on.day >= call_day:
        months.append(next_month(on))
    return tuple(months)


@dataclass(frozen=True)
class OpenItem:
    """An entry with something left to settle: ``open`` > 0, ordered by ``due_on`` then ``id``."""

    id: int
    due_on: date
    open: Decimal


def allocate(amount: Decimal, items: Iterable[OpenItem], *, first: int | None = None) -> list[tuple[int, Decimal]]:
    """Spread ``amount`` over the open items oldest-due first (``first``, if given, before the others).

    Returns (item id, amount) pairs; their sum is min(amount, total open). Nothing is ever allocated beyond an
    item's open amount.
    """
    ordered = sorted(items, key=lambda item: (item.id != first, item.due_on, item.id))
    remaining = amount
    result: list[tuple[int, Decimal]] = []
    for item in ordered:
        if remaining <= 0:
            break
        share = min(item.open, remaining)
        if share > 0:
            result.append((item.id, share))
            remaining -= share
    return result


@dataclass(frozen=True)
class Balance:
    calls: Decimal
    payments: Decimal  # positive: what was paid
    refunds: Decimal
    corrections: Decimal  # signed

    @property
    def total(self) -> Decimal:
        """What the household owes (> 0) or has in advance (< 0)."""
        return self.calls - self.payments + self.refunds + self.corrections


def days_late(due_on: date, on: date) -> int:
    return max((on - due_on).days, 0)


def periods_between(first: date, last: date) -> Sequence[date]:
    """Months from ``first``'s to ``last``'s, inclusive (first days)."""
    months: list[date] = []
    current = month_start(first)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months
