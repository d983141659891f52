"""Arrears rules (agency_backoffice/rules/arrears.py, arrears_clocks.py, repayment_plans.py) on fixture histories
whose clocks are worked out by hand.

Figures come from passerelle/reference/parameters.toml at a date (no database): reminder 10 days after the first
unpaid due date; Visale constituted at 2 full months unpaid or partial arrears above 1 month, notice within 15
days and claim within 30 days of the constitution; CAF/MSA constitution at a debt of at least 2 months net of the
benefit, report within 2 months; FSL from 2 months net, request within 30 days; CCAPEX after 3 months without
interruption or a debt of 3 times the rent excluding charges, referral within 15 days; plan proposed within 15
days of the constitution, 10 days of grace per instalment, at most 36 instalments; ageing buckets 30/60/90 days.
A threshold reached at the end of a day counts from the next day (Visale: « date de constitution » = the day
after the second unpaid due date).
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agency_backoffice.models.ledger_enums import ArrearsTaskKind as K
from agency_backoffice.models.ledger_enums import BenefitPayer
from agency_backoffice.rules.arrears import (
    ARREARS_PARAMETER_KEYS,
    Ageing,
    ArrearsParameters,
    Call,
    Credit,
    InvalidArrearsParameters,
    LeaseArrearsFacts,
    ageing,
    arrears_amount,
    call_positions,
    household_balance,
    unpaid_positions,
)
from agency_backoffice.rules.arrears_clocks import (
    LEGAL_BASIS,
    Episode,
    arrears_clocks,
    arrears_episodes,
    notice_deadline,
)
from agency_backoffice.rules.repayment_plans import Instalment, InvalidPlan, plan_broken_on, plan_schedule
from capture.rules.locavantages import add_months
from passerelle.reference.importers import DEFAULT_PARAMETERS_FILE
from passerelle.reference.queries import ParameterValue, convert


@cache
def values_at(on: date) -> dict[str, Any]:
    """Every parameter's value on a date, read straight from the versioned parameters file."""
    entries = tomllib.loads(DEFAULT_PARAMETERS_FILE.read_text(encoding="utf-8"))["parameter"]
    values: dict[str, Any] = {}
    starts: dict[str, date] = {}
    for entry in entries:
        start, end = entry["valid_from"], entry.get("valid_to")
        if start <= on and (end is None or end >= on) and start >= starts.get(entry["key"], date.min):
            values[entry["key"]], starts[entry["key"]] = convert(entry["kind"], entry["value"]), start
    return values


P = ArrearsParameters.from_values(values_at(date(2027, 1, 1)))


def monthly_calls(first_due: date, count: int, amount: str, benefit: str = "0") -> tuple[Call, ...]:
    """``count`` monthly calls due on the day of ``first_due``."""
    return tuple(Call(add_months(first_due, n), D(amount), D(benefit), entry_id=n + 1) for n in range(count))


def pay(*items: tuple[date, str]) -> tuple[Credit, ...]:
    return tuple(Credit(day, D(amount)) for day, amount in items)


def caf(*items: tuple[date, str]) -> tuple[Credit, ...]:
    return tuple(Credit(day, D(amount), housing_benefit=True) for day, amount in items)


def due_dates(facts: LeaseArrearsFacts, on: date, **options: Any) -> dict[K, date]:
    return {task.kind: task.due_on for task in arrears_clocks(facts, on, P, **options).tasks}


# --- parameters -----------------------------------------------------------------------------------------------


def test_the_figures_come_from_the_versioned_parameters() -> None:
    values = values_at(date(2027, 1, 1))
    assert [key for key in ARREARS_PARAMETER_KEYS if key not in values] == []
    assert (P.reminder_days, P.notice_payment_days) == (10, 8)
    assert (P.visale_full_months, P.visale_partial_months, P.visale_notice_days, P.visale_claim_days) == (2, 1, 15, 30)
    assert (P.caf_constituted_months, P.caf_report_months) == (2, 2)
    assert (P.fsl_trigger_months, P.fsl_request_days) == (D("2"), 30)
    assert (P.ccapex_duration_months, P.ccapex_rent_multiple, P.ccapex_referral_days) == (3, D("3"), 15)
    assert (P.plan_proposal_days, P.plan_grace_days, P.plan_max_instalments) == (15, 10, 36)
    assert P.ageing_limits == (30, 60, 90)


def test_parameters_read_parameter_values_and_text_but_never_floats() -> None:
    wrapped = {
        key: ParameterValue(key, value, date(2018, 1, 1), None, None, "", "", False)
        for key, value in values_at(date(2027, 1, 1)).items()
    }
    assert ArrearsParameters.from_values(wrapped) == P
    as_text = {key: str(value) for key, value in values_at(date(2027, 1, 1)).items()}
    assert ArrearsParameters.from_values(as_text) == P
    with pytest.raises(InvalidArrearsParameters, match=r"arrears\.plan\.grace_days"):
        ArrearsParameters.from_values({**as_text, "arrears.plan.grace_days": 10.0})
    with pytest.raises(InvalidArrearsParameters, match="entier"):
        ArrearsParameters.from_values({**as_text, "arrears.reminder.days_after_due": "10.5"})
    with pytest.raises(KeyError, match=r"visale\.clock\.claim_days"):
        ArrearsParameters.from_values({k: v for k, v in as_text.items() if k != "visale.clock.claim_days"})
    with pytest.raises(InvalidArrearsParameters, match="croissantes"):
        replace(P, ageing_second_days=20)


def test_each_legal_basis_fits_its_column() -> None:
    assert set(LEGAL_BASIS) == set(K)
    assert all(0 < len(text) <= 300 for text in LEGAL_BASIS.values())  # ArrearsTask.legal_basis: String(300)


# --- (a) nothing paid from 5 January 2027, Visale and CAF tiers payant -----------------------------------------

# Rent 500 + charges 100 = 600 €, of which the CAF pays 100 € to the operator: the household's share (one "month"
# of arrears) is 500 €. December 2026 is paid; from the 5 January 2027 call the household pays nothing, while the
# CAF keeps paying each month's 100 € on the 6th of the next month (terme échu).
NOTHING_PAID = LeaseArrearsFacts(
    calls=monthly_calls(date(2026, 12, 5), 6, "600", "100"),  # 5 Dec 2026 … 5 May 2027
    credits=pay((date(2026, 12, 5), "500"))
    + caf(*((add_months(date(2027, 1, 6), n), "100") for n in range(5))),  # Dec … Apr benefits
    monthly_rent=D("500"),
    monthly_charges=D("100"),
    monthly_benefit=D("100"),
    visale=True,
    benefit_payer=BenefitPayer.CAF,
)


def test_a_nothing_paid_the_clocks_start_on_the_first_unpaid_due_date() -> None:
    assert arrears_clocks(NOTHING_PAID, date(2027, 1, 4), P).episode is None  # December paid, January not due
    clocks = arrears_clocks(NOTHING_PAID, date(2027, 1, 10), P)
    assert clocks.first_unpaid_due_on == date(2027, 1, 5)
    assert clocks.amount == D("500")  # the CAF's part is not the household's debt
    # Reminder: 5 January + 10 days.
    assert due_dates(NOTHING_PAID, date(2027, 1, 10)) == {K.REMINDER: date(2027, 1, 15)}


def test_a_nothing_paid_constitution_visale_and_caf_deadlines_on_exact_dates() -> None:
    # End of 5 February: shares due 2 × 500 = 1000, nothing paid → 2 calls totally unpaid (Visale « 2 mois
    # totalement impayés ») and 1000 ≥ 2 × 500 (CCH R.824-1 « au moins égale à deux fois le montant mensuel net »):
    # both constituted the next day, 6 February 2027. Not yet on the 5th itself.
    assert set(due_dates(NOTHING_PAID, date(2027, 2, 5))) == {K.REMINDER}
    episode = arrears_clocks(NOTHING_PAID, date(2027, 2, 6), P).episode
    assert episode is not None
    assert (episode.constituted_on, episode.caf_constituted_on) == (date(2027, 2, 6), date(2027, 2, 6))
    episode = arrears_clocks(NOTHING_PAID, date(2027, 4, 30), P).episode
    assert episode is not None and episode.constituted_on == date(2027, 2, 6)
    # CCAPEX, amount: 3 × 500 (rent excluding charges) = 1500 reached at the end of 5 March (3 × 500 unpaid) → from
    # 6 March; duration: occurred 6 January + 3 months = 6 April: the earlier, 6 March, counts.
    assert episode.ccapex_amount_from == date(2027, 3, 6)
    assert episode.ccapex_duration_from(P) == date(2027, 4, 6)
    assert due_dates(NOTHING_PAID, date(2027, 4, 30)) == {
        K.REMINDER: date(2027, 1, 15),  # 5 Jan + 10 days
        K.VISALE_NOTICE: date(2027, 2, 21),  # 6 Feb + 15 days
        K.REPAYMENT_PLAN: date(2027, 2, 21),  # 6 Feb + 15 days
        K.VISALE_CLAIM: date(2027, 3, 8),  # 6 Feb + 30 days: 22 days to 28 Feb (2027 is not a leap year), + 8
        K.FSL_REQUEST: date(2027, 3, 8),  # 1000 ≥ 2 × 500 from 6 Feb, + 30 days
        K.CCAPEX_REFERRAL: date(2027, 3, 21),  # 6 Mar + 15 days
        K.CAF_REPORT: date(2027, 4, 6),  # 6 Feb + 2 months
    }
    clocks = arrears_clocks(NOTHING_PAID, date(2027, 4, 30), P)
    assert clocks.amount == D("2000")  # January to April: 4 × 500
    assert [task.due_on for task in clocks.tasks] == sorted(task.due_on for task in clocks.tasks)
    report = clocks.task(K.CAF_REPORT)
    assert report is not None and report.label == "Signaler l'impayé à la CAF" and "R.824-4" in report.legal_basis


def test_visale_s_own_example_is_reproduced_and_the_claim_is_never_later() -> None:
    # visale.fr, FAQ bailleurs: rents due 05/07/24 and 05/08/24 unpaid → constitution 06/08/24, notice by 21/08/24,
    # claim by 06/09/24. 30 calendar days from 6 August is 5 September: one day earlier than Visale's example.
    params = ArrearsParameters.from_values(values_at(date(2024, 7, 1)))
    facts = LeaseArrearsFacts(monthly_calls(date(2024, 7, 5), 2, "700"), (), D("650"), D("50"), visale=True)
    clocks = arrears_clocks(facts, date(2024, 8, 31), params)
    assert clocks.constituted_on == date(2024, 8, 6)
    notice, claim = clocks.task(K.VISALE_NOTICE), clocks.task(K.VISALE_CLAIM)
    assert notice is not None and notice.due_on == date(2024, 8, 21)
    assert claim is not None and claim.due_on == date(2024, 9, 5) < date(2024, 9, 6)
    assert notice_deadline(date(2024, 8, 21), params) == date(2024, 8, 29)  # « régler sous huitaine »


# --- (b) partial arrears building up to more than a month ----------------------------------------------------

# Same lease, but the benefit comes from the MSA on each due date and the household pays 400 € of its 500 € share
# on each due date from 5 January 2027: 100 € more unpaid each month, 100 × n after the n-th due date.
PARTIAL = LeaseArrearsFacts(
    calls=monthly_calls(date(2027, 1, 5), 12, "600", "100"),
    credits=pay(*((add_months(date(2027, 1, 5), n), "400") for n in range(12)))
    + caf(*((add_months(date(2027, 1, 5), n), "100") for n in range(12))),
    monthly_rent=D("500"),
    monthly_charges=D("100"),
    monthly_benefit=D("100"),
    visale=True,
    benefit_payer=BenefitPayer.MSA,
)


def test_b_partial_arrears_constitute_for_visale_above_one_month_and_for_the_msa_at_two() -> None:
    # Visale: 100 n > 500 from n = 6 (5 × 100 = 500 is not « au-delà ») → end of 5 June → 6 June 2027.
    # MSA (R.824-1): 100 n ≥ 2 × 500 from n = 10 → end of 5 October → 6 October 2027.
    # Oldest first, the last call is the one left totally unpaid: 2 of them only once 100 n ≥ 2 × 500 too.
    (episode,) = arrears_episodes(PARTIAL, date(2027, 12, 31), P)
    assert episode == Episode(
        first_unpaid_due_on=date(2027, 1, 5),
        cleared_on=None,
        constituted_on=date(2027, 6, 6),
        caf_constituted_on=date(2027, 10, 6),
        fsl_from=date(2027, 10, 6),  # 100 n ≥ 2 × 500
        ccapex_amount_from=None,  # 100 n ≥ 3 × 500 only at n = 15, after December
    )
    assert arrears_amount(PARTIAL, date(2027, 6, 5)) == D("600")
    assert K.VISALE_NOTICE not in due_dates(PARTIAL, date(2027, 6, 5))
    assert due_dates(PARTIAL, date(2027, 10, 31)) == {
        K.REMINDER: date(2027, 1, 15),  # 5 Jan + 10 days
        K.CCAPEX_REFERRAL: date(2027, 4, 21),  # 3 months without interruption: 6 Jan + 3 months = 6 Apr, + 15
        K.VISALE_NOTICE: date(2027, 6, 21),  # 6 Jun + 15 days
        K.REPAYMENT_PLAN: date(2027, 6, 21),
        K.VISALE_CLAIM: date(2027, 7, 6),  # 6 Jun + 30 days: 24 days to 30 Jun, + 6
        K.FSL_REQUEST: date(2027, 11, 5),  # 6 Oct + 30 days: 25 days to 31 Oct, + 5
        K.CAF_REPORT: date(2027, 12, 6),  # 6 Oct + 2 months
    }
    report = arrears_clocks(PARTIAL, date(2027, 10, 31), P).task(K.CAF_REPORT)
    assert report is not None and report.label == "Signaler l'impayé à la MSA"


def test_without_visale_or_tiers_payant_those_clocks_do_not_run() -> None:
    plain = replace(PARTIAL, visale=False, benefit_payer=None)
    assert set(due_dates(plain, date(2027, 10, 31))) == {
        K.REMINDER,
        K.CCAPEX_REFERRAL,
        K.REPAYMENT_PLAN,
        K.FSL_REQUEST,
    }


# --- (c) cleared, then again ----------------------------------------------------------------------------------

# 600 € a month, no benefit, Visale. January and February unpaid, 1 200 € paid on 20 February; March paid three
# days late; April unpaid.
RESTART = LeaseArrearsFacts(
    calls=monthly_calls(date(2027, 1, 5), 4, "600"),
    credits=pay((date(2027, 2, 20), "1200"), (date(2027, 3, 8), "600")),
    monthly_rent=D("500"),
    monthly_charges=D("100"),
    visale=True,
)


def test_c_clearing_the_arrears_stops_the_clocks_and_a_new_episode_starts_afresh() -> None:
    before = due_dates(RESTART, date(2027, 2, 19))
    assert before[K.VISALE_NOTICE] == date(2027, 2, 21)  # constituted 6 Feb (2 × 600 unpaid), + 15 days
    # Cleared at the end of 20 February: no task at all, nothing owed.
    cleared = arrears_clocks(RESTART, date(2027, 2, 25), P)
    assert (cleared.episode, cleared.tasks, cleared.amount) == (None, (), D("0"))
    # March paid on the 8th: three days of arrears, closed before any deadline.
    assert arrears_clocks(RESTART, date(2027, 3, 8), P).tasks == ()
    # April unpaid: a new first unpaid due date, only a reminder (February's constitution does not carry over).
    assert due_dates(RESTART, date(2027, 4, 10)) == {K.REMINDER: date(2027, 4, 15)}
    assert [
        (e.first_unpaid_due_on, e.cleared_on, e.constituted_on) for e in arrears_episodes(RESTART, date(2027, 4, 10), P)
    ] == [
        (date(2027, 1, 5), date(2027, 2, 20), date(2027, 2, 6)),
        (date(2027, 3, 5), date(2027, 3, 8), None),
        (date(2027, 4, 5), None, None),
    ]


def test_a_bounced_payment_reopens_the_arrears_on_the_call_it_no_longer_pays() -> None:
    bounced = replace(RESTART, credits=(*RESTART.credits, Credit(date(2027, 3, 12), D("-600"))))
    # The 8 March payment is reversed on 12 March: March (the newest call) is unpaid again.
    episodes = arrears_episodes(bounced, date(2027, 3, 31), P)
    assert [(e.first_unpaid_due_on, e.cleared_on) for e in episodes][-1] == (date(2027, 3, 5), None)
    assert arrears_amount(bounced, date(2027, 3, 31)) == D("600")


def test_the_benefit_is_never_chased_from_the_household_and_a_back_payment_covers_its_share() -> None:
    # Share 500 paid on time each month; the CAF pays its 100 € a month late: no arrears for the household.
    calls = monthly_calls(date(2027, 1, 5), 3, "600", "100")
    on_time = LeaseArrearsFacts(
        calls,
        pay(*((add_months(date(2027, 1, 5), n), "500") for n in range(3))),
        D("500"),
        D("100"),
        D("100"),
        benefit_payer=BenefitPayer.CAF,
    )
    assert arrears_episodes(on_time, date(2027, 3, 31), P) == ()
    # The household pays 450 in January; on 20 January the CAF pays 100 € of benefit plus a 50 € back-payment.
    short = replace(on_time, credits=pay((date(2027, 1, 5), "450")) + caf((date(2027, 1, 20), "150")))
    assert household_balance(short, date(2027, 1, 19)) == D("50")
    assert household_balance(short, date(2027, 1, 20)) == D("0")  # 150 - 100 due = 50 of surplus covers the share


# --- (d) a repayment plan kept, then broken -------------------------------------------------------------------

# 500 € a month (450 + 50), no benefit. January to March unpaid: 1 500 € at the end of 5 March. Plan agreed on
# 10 March: 1 500 € in 4 instalments of 375 € from 10 April. Grace: 10 days.
PLAN_LEASE = LeaseArrearsFacts(monthly_calls(date(2027, 1, 5), 8, "500"), (), D("450"), D("50"))
PLAN = plan_schedule(D("1500"), 4, date(2027, 4, 10), P)
PLAN_PAYMENTS = pay(
    (date(2027, 4, 5), "500"),
    (date(2027, 4, 10), "375"),
    (date(2027, 5, 5), "500"),
    (date(2027, 5, 15), "375"),  # late, within the 10 days of grace
    (date(2027, 6, 5), "500"),
    (date(2027, 6, 10), "200"),  # 175 € short
)


def test_d_a_plan_kept_then_broken_at_the_first_check_date_over_the_ceiling() -> None:
    facts = replace(PLAN_LEASE, credits=PLAN_PAYMENTS)
    assert [(i.due_on, i.amount) for i in PLAN] == [
        (date(2027, 4, 10), D("375")),
        (date(2027, 5, 10), D("375")),
        (date(2027, 6, 10), D("375")),
        (date(2027, 7, 10), D("375")),
    ]
    # 20 April: shares Jan–Apr 4 × 500 = 2000, paid 875 → 1125 ≤ 1500 − 375 = 1125: kept.
    assert household_balance(facts, date(2027, 4, 20)) == D("1125")
    # 20 May: 2500 − 1750 = 750 ≤ 1500 − 750 = 750: kept.
    assert household_balance(facts, date(2027, 5, 20)) == D("750")
    assert plan_broken_on(facts, D("1500"), PLAN, date(2027, 6, 19), P) is None
    # 20 June: 3000 − 2450 = 550 > 1500 − 1125 = 375: broken on 20 June 2027.
    assert household_balance(facts, date(2027, 6, 20)) == D("550")
    assert plan_broken_on(facts, D("1500"), PLAN, date(2027, 6, 20), P) == date(2027, 6, 20)
    assert plan_broken_on(facts, D("1500"), PLAN, date(2027, 12, 31), P) == date(2027, 6, 20)


def test_d_an_instalment_paid_after_the_grace_breaks_the_plan_at_that_check_date() -> None:
    late = tuple(Credit(date(2027, 5, 21), c.amount) if c.on == date(2027, 5, 15) else c for c in PLAN_PAYMENTS)
    # 20 May: 2500 − 1375 = 1125 > 750.
    assert plan_broken_on(replace(PLAN_LEASE, credits=late), D("1500"), PLAN, date(2027, 12, 31), P) == date(
        2027, 5, 20
    )


def test_d_a_plan_paid_to_the_end_is_kept_and_a_running_plan_silences_the_proposal() -> None:
    kept = (
        *PLAN_PAYMENTS[:5],
        *pay((date(2027, 6, 10), "375"), (date(2027, 7, 5), "500"), (date(2027, 7, 10), "375")),
    )
    facts = replace(PLAN_LEASE, credits=kept)
    assert plan_broken_on(facts, D("1500"), PLAN, date(2027, 12, 31), P) is None
    assert household_balance(facts, date(2027, 7, 20)) == D("0")  # 7 × 500 − (4 × 500 + 1500)
    assert K.REPAYMENT_PLAN in due_dates(PLAN_LEASE, date(2027, 3, 10))
    assert K.REPAYMENT_PLAN not in due_dates(PLAN_LEASE, date(2027, 3, 10), plan_active=True)
    assert K.CCAPEX_REFERRAL in due_dates(PLAN_LEASE, date(2027, 4, 30), plan_active=True)


# --- (e) ageing -----------------------------------------------------------------------------------------------


def test_e_ageing_buckets_allocate_credits_oldest_due_first() -> None:
    # Five 500 € shares due on the 5th, January to May 2027; 600 € paid: January settled, February 100 € paid.
    facts = LeaseArrearsFacts(
        monthly_calls(date(2027, 1, 5), 5, "500"), pay((date(2027, 2, 10), "600")), D("450"), D("50")
    )
    on = date(2027, 5, 15)
    # Days late on 15 May: 5 Feb → 28 + 31 + 30 + 10 = 99; 5 Mar → 71; 5 Apr → 40; 5 May → 10.
    result = ageing(facts, on, P)
    assert result.amounts == (D("500"), D("500"), D("500"), D("400"))  # 0–30, 31–60, 61–90, > 90
    assert result.total == D("1900")  # 5 × 500 − 600
    assert result.labels == ("0 à 30 jours", "31 à 60 jours", "61 à 90 jours", "plus de 90 jours")
    oldest = unpaid_positions(facts, on)[0]
    assert (oldest.call.due_on, oldest.paid, oldest.unpaid) == (
        date(2027, 2, 5),
        D("100"),
        D("400"),
    )
    assert [(p.call.entry_id, p.unpaid) for p in call_positions(facts, on)] == [
        (1, D("0")),
        (2, D("400")),
        (3, D("500")),
        (4, D("500")),
        (5, D("500")),
    ]
    # One household, two leases: the buckets add up.
    assert (result + result).amounts == (D("1000"), D("1000"), D("1000"), D("800"))


@pytest.mark.parametrize(("days", "bucket"), [(0, 0), (30, 0), (31, 1), (60, 1), (61, 2), (90, 2), (91, 3), (400, 3)])
def test_e_ageing_bucket_boundaries(days: int, bucket: int) -> None:
    facts = LeaseArrearsFacts((Call(date(2027, 1, 5), D("123.45")),), (), D("100"), D("23.45"))
    amounts = [D("0")] * 4
    amounts[bucket] = D("123.45")
    assert ageing(facts, date(2027, 1, 5) + timedelta(days=days), P).amounts == tuple(amounts)


def test_e_ageings_of_different_dates_do_not_add_up() -> None:
    first = Ageing(date(2027, 1, 1), (30, 60, 90), (D("1"), D("0"), D("0"), D("0")))
    with pytest.raises(ValueError, match="same date"):
        _ = first + replace(first, on=date(2027, 1, 2))


# --- (f) schedule ---------------------------------------------------------------------------------------------


def test_f_the_schedule_truncates_the_instalment_and_the_last_one_takes_the_cents() -> None:
    # 1000 / 3 = 333.333… → 333.33 (truncated, never rounded up against the household); last = 1000 − 2 × 333.33.
    schedule = plan_schedule(D("1000"), 3, date(2027, 1, 31), P)
    assert schedule == (
        Instalment(1, date(2027, 1, 31), D("333.33")),
        Instalment(2, date(2027, 2, 28), D("333.33")),  # no 31 February: the last day of the month
        Instalment(3, date(2027, 3, 31), D("333.34")),  # back to the 31st, not drifting to the 28th
    )
    assert sum(i.amount for i in schedule) == D("1000.00")


@settings(max_examples=300, deadline=None)
@given(cents=st.integers(min_value=1, max_value=10_000_000), months=st.integers(min_value=1, max_value=36))
def test_f_any_schedule_adds_up_to_the_cent(cents: int, months: int) -> None:
    total = D(cents) / 100
    if cents < months:
        with pytest.raises(InvalidPlan):
            plan_schedule(total, months, date(2027, 1, 10), P)
        return
    schedule = plan_schedule(total, months, date(2027, 1, 10), P)
    regular = schedule[0].amount
    assert sum(i.amount for i in schedule) == total
    assert all(i.amount == regular for i in schedule[:-1])
    assert D("0") <= schedule[-1].amount - regular < D(months) / 100
    assert [i.number for i in schedule] == list(range(1, months + 1))


def test_f_a_plan_longer_than_the_law_s_three_years_or_below_the_cent_is_refused() -> None:
    with pytest.raises(InvalidPlan, match="1 à 36"):
        plan_schedule(D("3700"), 37, date(2027, 1, 10), P)
    with pytest.raises(InvalidPlan, match="centime"):
        plan_schedule(D("100.005"), 2, date(2027, 1, 10), P)
    with pytest.raises(InvalidPlan, match="positif"):
        plan_schedule(D("0"), 2, date(2027, 1, 10), P)


# --- the allocation against a naive one -----------------------------------------------------------------------

DAY0 = date(2027, 1, 1)
money_st = st.integers(min_value=0, max_value=900).map(lambda n: D(n))
call_st = st.builds(
    lambda day, amount, benefit_share: Call(DAY0 + timedelta(days=day), amount, min(amount, benefit_share)),
    st.integers(min_value=0, max_value=120),
    money_st,
    st.integers(min_value=0, max_value=200).map(lambda n: D(n)),
)
credit_st = st.builds(
    lambda day, amount, benefit: Credit(DAY0 + timedelta(days=day), amount, benefit),
    st.integers(min_value=0, max_value=120),
    st.integers(min_value=-100, max_value=900).map(lambda n: D(n)),
    st.booleans(),
)


def naive_unpaid(facts: LeaseArrearsFacts, on: date) -> list[D]:
    """Allocate the day's credits to the shares due, one call at a time, oldest due first (stable order)."""
    calls = sorted((c for c in facts.calls if c.due_on <= on), key=lambda c: c.due_on)
    household = sum((c.amount for c in facts.credits if c.on <= on and not c.housing_benefit), D(0))
    benefit = sum((c.amount for c in facts.credits if c.on <= on and c.housing_benefit), D(0))
    credit = max(D(0), household + max(D(0), benefit - sum((c.benefit for c in calls), D(0))))
    unpaid = []
    for call in calls:
        paid = min(call.household_share, credit)
        credit -= paid
        unpaid.append(call.household_share - paid)
    return unpaid


@settings(max_examples=150, deadline=None)
@given(calls=st.lists(call_st, max_size=8), credits=st.lists(credit_st, max_size=8))
def test_allocation_and_episodes_match_a_day_by_day_naive_computation(calls: list[Call], credits: list[Credit]) -> None:
    facts = LeaseArrearsFacts(tuple(calls), tuple(credits), D("500"), D("100"))
    naive_episodes: list[tuple[date, date | None]] = []
    for offset in range(0, 130):
        day = DAY0 + timedelta(days=offset)
        unpaid = naive_unpaid(facts, day)
        assert [p.unpaid for p in call_positions(facts, day)] == unpaid
        assert arrears_amount(facts, day) == sum(unpaid, D(0))
        assert ageing(facts, day, P).total == sum(unpaid, D(0))
        open_episode = bool(naive_episodes) and naive_episodes[-1][1] is None
        if not open_episode and sum(unpaid, D(0)) > 0:
            first = sorted((c for c in calls if c.due_on <= day), key=lambda c: c.due_on)
            naive_episodes.append((next(c.due_on for c, u in zip(first, unpaid, strict=True) if u > 0), None))
        elif open_episode and sum(unpaid, D(0)) == 0:
            naive_episodes[-1] = (naive_episodes[-1][0], day)
    episodes = arrears_episodes(facts, DAY0 + timedelta(days=129), P)
    assert [(e.first_unpaid_due_on, e.cleared_on) for e in episodes] == naive_episodes
