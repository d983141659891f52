"""Repayment plans (plan d'apurement, pure rules): the schedule of monthly instalments, and the date a plan
running on a lease's account is broken. The account is counted as agency_backoffice/rules/arrears.py says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from agency_backoffice.rules.arrears import Account, ArrearsParameters, LeaseArrearsFacts
from capture.rules.locavantages import add_months

CENT = Decimal("0.01")


class InvalidPlan(ValueError):
    """A plan that cannot be scheduled, in French."""


@dataclass(frozen=True)
class Instalment:
    number: int
    due_on: date
    amount: Decimal


def plan_schedule(total: Decimal, months: int, first_due_on: date, params: ArrearsParameters) -> tuple[Instalment, ...]:
    """Equal monthly instalments from ``first_due_on``; the last one takes the cents left so the sum is exact.

    The regular instalment is truncated to the cent, never rounded up: the household's monthly effort is the
    smaller figure and the last instalment carries the remainder (at most ``months - 1`` cents more).
    """
    if total <= 0 or total != total.quantize(CENT):
        raise InvalidPlan("Le montant du plan doit être positif et exprimé au centime près.")
    if not 1 <= months <= params.plan_max_instalments:
        raise InvalidPlan(f"Un plan d'apurement compte de 1 à {params.plan_max_instalments} mensualités.")
    regular = (total / months).quantize(CENT, rounding=ROUND_DOWN)
    if regular <= 0:
        raise InvalidPlan("Le montant est trop faible pour être réparti sur autant de mensualités.")
    last = total - regular * (months - 1)
    return tuple(
        Instalment(number, add_months(first_due_on, number - 1), last if number == months else regular)
        for number in range(1, months + 1)
    )


def plan_broken_on(
    facts: LeaseArrearsFacts, total: Decimal, instalments: Sequence[Instalment], on: date, params: ArrearsParameters
) -> date | None:
    """The first check date (instalment due date + grace days, up to ``on``) at which the plan is not kept.

    The plan is kept while the household pays its current shares and the instalments: at the end of each check
    date its balance (every share due by then, less every credit by then) must not exceed the plan's ``total``
    less the instalments due so far. Paying ahead is always fine; ``None`` while the plan is kept.
    """
    account = Account(facts)
    expected = total
    for instalment in sorted(instalments, key=lambda item: item.due_on):
        expected -= instalment.amount
        check_on = instalment.due_on + timedelta(days=params.plan_grace_days)
        if check_on > on:
            return None
        if account.state(check_on).balance > expected:
            return check_on
    return None
