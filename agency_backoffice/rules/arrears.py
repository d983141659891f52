"""Arrears of a lease (pure rules): the parameters, the account at a date (what each call has left unpaid, the
household's balance) and the ageing. The clocks of domain.md §8 are in agency_backoffice/rules/arrears_clocks.py,
repayment plans in agency_backoffice/rules/repayment_plans.py; all three count the account as this module does.

Conventions, decided once here and cited by the tests:

- **The household's share only.** Each call is split as the ledger splits it: the housing benefit paid to the
  operator (tiers payant) and the household's share (``amount - benefit``). Household credits (transfer, cheque,
  cash, Stripe, FSL, guarantee payouts…) settle household shares; CAF/MSA credits settle the benefit parts. Both
  are allocated oldest due first; what one stream receives beyond what it owes covers the other. A benefit the
  CAF has not paid yet is therefore never chased from the household.
- **A "month" of arrears** is the lease's monthly rent + charges net of the monthly tiers-payant benefit
  (``LeaseArrearsFacts.monthly_net``): Visale counts unpaid rent and charges « aides au logement perçues par le
  bailleur déduites » (visale.fr, FAQ bailleurs, gestion des impayés de loyer) and CCH art. R.824-1 counts « le
  montant mensuel net du loyer et des charges » when the benefit is paid to the landlord.
- **Days.** The state of the account "on" a date is taken at the end of that day: calls due that day and credits
  received that day count. A call unpaid at the end of its due day is late from the next day, which is when
  Visale says the arrears "occur" and when a threshold reached that day "constitutes" them (Visale's worked
  example: rents due 05/07/24 and 05/08/24 unpaid → « date de constitution de l'impayé : 06/08/24 »).
- **Episodes** of arrears, when they open and close: agency_backoffice/rules/arrears_clocks.py.

Figures (days, months, thresholds) are never written here: ``ArrearsParameters`` carries them, built from the
versioned parameters (passerelle/reference/parameters.toml, « Impayés », and the Visale clock).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import accumulate

from agency_backoffice.models.ledger_enums import BenefitPayer

ZERO = Decimal("0")

# Field name -> parameter key, in the order of the dataclass.
PARAMETER_KEYS: dict[str, str] = {
    "reminder_days": "arrears.reminder.days_after_due",
    "notice_payment_days": "arrears.notice.payment_days",
    "visale_full_months": "visale.arrears.constituted_full_months",
    "visale_partial_months": "visale.arrears.constituted_partial_months",
    "visale_notice_days": "visale.clock.formal_notice_days",
    "visale_claim_days": "visale.clock.claim_days",
    "caf_constituted_months": "arrears.caf.constituted_net_months",
    "caf_report_months": "arrears.caf_report_months",
    "fsl_trigger_months": "arrears.fsl.trigger_months",
    "fsl_request_days": "arrears.fsl.request_days",
    "ccapex_duration_months": "arrears.ccapex.trigger_duration_months",
    "ccapex_rent_multiple": "arrears.ccapex.trigger_rent_multiple",
    "ccapex_referral_days": "arrears.ccapex.referral_days",
    "plan_proposal_days": "arrears.plan.proposal_days",
    "plan_grace_days": "arrears.plan.grace_days",
    "plan_max_instalments": "arrears.plan.max_instalments",
    "ageing_first_days": "arrears.ageing.first_bucket_days",
    "ageing_second_days": "arrears.ageing.second_bucket_days",
    "ageing_third_days": "arrears.ageing.third_bucket_days",
}
# For ``parameter_rows_at(session, ARREARS_PARAMETER_KEYS, on)`` (the keys span the arrears. and visale. prefixes).
ARREARS_PARAMETER_KEYS: tuple[str, ...] = tuple(PARAMETER_KEYS.values())


class InvalidArrearsParameters(ValueError):
    """Parameters that cannot run the clocks, in French."""


@dataclass(frozen=True)
class ArrearsParameters:
    """Every figure the arrears rules need, read once at the date of the computation."""

    reminder_days: int
    notice_payment_days: int
    visale_full_months: int
    visale_partial_months: int
    visale_notice_days: int
    visale_claim_days: int
    caf_constituted_months: int
    caf_report_months: int
    fsl_trigger_months: Decimal
    fsl_request_days: int
    ccapex_duration_months: int
    ccapex_rent_multiple: Decimal
    ccapex_referral_days: int
    plan_proposal_days: int
    plan_grace_days: int
    plan_max_instalments: int
    ageing_first_days: int
    ageing_second_days: int
    ageing_third_days: int

    def __post_init__(self) -> None:
        for field in fields(self):
            if getattr(self, field.name) < 0:
                raise InvalidArrearsParameters(f"« {PARAMETER_KEYS[field.name]} » ne peut pas être négatif.")
        if self.plan_max_instalments < 1:
            raise InvalidArrearsParameters("Un plan d'apurement compte au moins une mensualité.")
        if not 0 < self.ageing_first_days < self.ageing_second_days < self.ageing_third_days:
            raise InvalidArrearsParameters("Les tranches de la balance âgée doivent être croissantes.")

    @property
    def ageing_limits(self) -> tuple[int, int, int]:
        return (self.ageing_first_days, self.ageing_second_days, self.ageing_third_days)

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> ArrearsParameters:
        """Build from parameter key -> value: a ParameterValue, a Parameter row, or its text/int/Decimal value."""
        kwargs: dict[str, int | Decimal] = {}
        for field in fields(cls):
            key = PARAMETER_KEYS[field.name]
            if key not in values:
                raise KeyError(key)
            kwargs[field.name] = _number(key, values[key], integer=field.type in ("int", int))
        return cls(**kwargs)  # type: ignore[arg-type]


def _number(key: str, raw: object, *, integer: bool) -> int | Decimal:
    """Read a value as int or Decimal, refusing floats (money and durations stay exact)."""
    value = getattr(raw, "value", raw)
    if isinstance(value, (float, bool)):
        raise InvalidArrearsParameters(f"« {key} » : valeur {value!r} illisible.")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidArrearsParameters(f"« {key} » : valeur {value!r} illisible.") from None
    if not number.is_finite():
        raise InvalidArrearsParameters(f"« {key} » : valeur {value!r} illisible.")
    if integer:
        if number != number.to_integral_value():
            raise InvalidArrearsParameters(f"« {key} » : un nombre entier est attendu (lu {value!r}).")
        return int(number)
    return number


# --- inputs ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A debit of the lease: a rent call (rent + charges, the tiers-payant benefit expected split out).

    A debit correction or a refund that the household owes is a ``Call`` too, due on its booking date, with no
    benefit.
    """

    due_on: date
    amount: Decimal
    benefit: Decimal = ZERO
    entry_id: int | None = None  # the ledger entry it stands for: positions map back to it (letters, tasks)

    def __post_init__(self) -> None:
        if self.amount < 0 or not ZERO <= self.benefit <= self.amount:
            raise ValueError("a call is ≥ 0 and its benefit between 0 and its amount")

    @property
    def household_share(self) -> Decimal:
        return self.amount - self.benefit


@dataclass(frozen=True)
class Credit:
    """Money received on a date (> 0), or a reversal of money received (< 0: a failed debit, a refund).

    ``housing_benefit`` marks the CAF/MSA tiers-payant payments (and their reversals).
    """

    on: date
    amount: Decimal
    housing_benefit: bool = False


@dataclass(frozen=True)
class LeaseArrearsFacts:
    """One lease's account and what the clocks depend on."""

    calls: tuple[Call, ...]
    credits: tuple[Credit, ...]
    monthly_rent: Decimal  # charges excluded (the CCAPEX threshold counts it)
    monthly_charges: Decimal
    monthly_benefit: Decimal = ZERO  # housing benefit paid to the operator each month (tiers payant)
    visale: bool = False  # a Visale visa covers the lease on the dates concerned
    benefit_payer: BenefitPayer | None = None  # who pays the benefit to the operator; None: no tiers payant

    def __post_init__(self) -> None:
        if min(self.monthly_rent, self.monthly_charges, self.monthly_benefit) < 0:
            raise ValueError("monthly amounts are ≥ 0")
        if self.monthly_benefit > self.monthly_rent + self.monthly_charges:
            raise ValueError("the monthly benefit cannot exceed rent + charges")

    @property
    def monthly_net(self) -> Decimal:
        """One "month" of arrears: rent + charges net of the tiers-payant benefit (Visale; CCH R.824-1)."""
        return self.monthly_rent + self.monthly_charges - self.monthly_benefit


# --- the account at a date ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallPosition:
    """What is left of a call's household share at a date, after allocating credits oldest due first."""

    call: Call
    paid: Decimal
    unpaid: Decimal


@dataclass(frozen=True)
class AccountState:
    """The account at the end of a date (``Account.state``)."""

    due_count: int  # calls due by the date (a prefix of the sorted calls)
    credit: Decimal  # household credit available, the benefit stream's surplus included
    balance: Decimal  # household shares due - credit (< 0: in credit)
    totally_unpaid: int  # calls due with a share > 0 that received nothing
    first_unpaid: int | None  # index of the oldest call with an unpaid share


class Account:
    """A lease's sorted calls and cumulative sums, so that the state at any date costs a few bisections."""

    def __init__(self, facts: LeaseArrearsFacts) -> None:
        self.calls = sorted(facts.calls, key=lambda call: call.due_on)
        self.due_dates = [call.due_on for call in self.calls]
        self.shares_before = [ZERO, *accumulate(call.household_share for call in self.calls)]
        self.benefits_before = [ZERO, *accumulate(call.benefit for call in self.calls)]
        self.positive_before = [0, *accumulate(int(call.household_share > 0) for call in self.calls)]
        household = sorted((c for c in facts.credits if not c.housing_benefit), key=lambda c: c.on)
        benefit = sorted((c for c in facts.credits if c.housing_benefit), key=lambda c: c.on)
        self.household_dates = [credit.on for credit in household]
        self.household_sums = [ZERO, *accumulate(credit.amount for credit in household)]
        self.benefit_dates = [credit.on for credit in benefit]
        self.benefit_sums = [ZERO, *accumulate(credit.amount for credit in benefit)]
        self.event_dates = sorted({*self.due_dates, *self.household_dates, *self.benefit_dates})

    def state(self, on: date) -> AccountState:
        due = bisect_right(self.due_dates, on)
        household = self.household_sums[bisect_right(self.household_dates, on)]
        benefit = self.benefit_sums[bisect_right(self.benefit_dates, on)]
        # The benefit stream's surplus (a CAF back-payment, an FSL paid as benefit…) covers household shares too;
        # a negative total (a reversal beyond what was received) leaves nothing to allocate.
        credit = max(ZERO, household + max(ZERO, benefit - self.benefits_before[due]))
        shares = self.shares_before[: due + 1]
        balance = shares[due] - credit
        # Oldest due first: call i is untouched when the shares before it already use up the credit.
        untouched_from = bisect_left(shares, credit, 0, due)
        totally_unpaid = self.positive_before[due] - self.positive_before[untouched_from]
        first_unpaid = bisect_right(shares, credit, 1, due + 1) - 1 if balance > 0 else None
        return AccountState(due, credit, balance, totally_unpaid, first_unpaid)

    def positions(self, on: date) -> list[CallPosition]:
        state = self.state(on)
        result = []
        for index in range(state.due_count):
            share = self.calls[index].household_share
            paid = min(share, max(ZERO, state.credit - self.shares_before[index]))
            result.append(CallPosition(self.calls[index], paid, share - paid))
        return result


def call_positions(facts: LeaseArrearsFacts, on: date) -> tuple[CallPosition, ...]:
    """Each call due by the end of ``on`` with the part of its household share paid and unpaid."""
    return tuple(Account(facts).positions(on))


def unpaid_positions(facts: LeaseArrearsFacts, on: date) -> tuple[CallPosition, ...]:
    """The calls still (partly) unpaid at the end of ``on``: the rows of the letters' tables."""
    return tuple(position for position in call_positions(facts, on) if position.unpaid > 0)


def household_balance(facts: LeaseArrearsFacts, on: date) -> Decimal:
    """What the household owes at the end of ``on`` (negative when it is in credit)."""
    return Account(facts).state(on).balance


def arrears_amount(facts: LeaseArrearsFacts, on: date) -> Decimal:
    """The household's unpaid shares at the end of ``on`` (0 when nothing is overdue)."""
    return max(ZERO, household_balance(facts, on))


# --- ageing ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ageing:
    """Unpaid household shares by days late at the end of ``on``: up to each limit, then beyond the last."""

    on: date
    limits: tuple[int, int, int]
    amounts: tuple[Decimal, Decimal, Decimal, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)

    @property
    def labels(self) -> tuple[str, str, str, str]:
        first, second, third = self.limits
        return (
            f"0 à {first} jours",
            f"{first + 1} à {second} jours",
            f"{second + 1} à {third} jours",
            f"plus de {third} jours",
        )

    def __add__(self, other: Ageing) -> Ageing:
        """Two leases of one household, at the same date and with the same limits."""
        if (self.on, self.limits) != (other.on, other.limits):
            raise ValueError("ageings add up only at the same date with the same buckets")
        a, b = self.amounts, other.amounts
        return Ageing(self.on, self.limits, (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]))


def ageing(facts: LeaseArrearsFacts, on: date, params: ArrearsParameters) -> Ageing:
    """The ageing of a lease's arrears at the end of ``on`` (a call due that day is 0 days late)."""
    limits = params.ageing_limits
    amounts = [ZERO, ZERO, ZERO, ZERO]
    for position in unpaid_positions(facts, on):
        amounts[bisect_left(limits, (on - position.call.due_on).days)] += position.unpaid
    return Ageing(on, limits, (amounts[0], amounts[1], amounts[2], amounts[3]))
