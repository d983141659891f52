"""Reads for the arrears follow-up: leases' accounts as the arrears rules see them (set-based), the parameters at a
date, the operator's open cases with their ageing, a household's arrears, and the object checks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import abort
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased, selectinload

from agency_backoffice.models import (
    ArrearsCase,
    ArrearsTask,
    EntryKind,
    Guarantee,
    GuaranteeKind,
    Lease,
    LedgerEntry,
    RepaymentPlan,
)
from agency_backoffice.rules import arrears as rules
from agency_backoffice.rules.guarantees import in_force
from passerelle.models import Role, User
from passerelle.reference.queries import MissingParameter, parameter_rows_at

PAGE_SIZE = 50

LeaseIds = Collection[int] | Select[int]


def arrears_parameters(session: Session, on: date) -> rules.ArrearsParameters:
    """Every figure of the arrears rules in force on ``on`` (raises MissingParameter, in French)."""
    try:
        return rules.ArrearsParameters.from_values(parameter_rows_at(session, rules.ARREARS_PARAMETER_KEYS, on))
    except KeyError as error:
        raise MissingParameter(str(error.args[0]), on) from None


@dataclass(frozen=True)
class LeaseAccount:
    """A lease's account in the terms of the arrears rules, with the ids a case needs."""

    lease_id: int
    operator_id: int
    household_id: int
    facts: rules.LeaseArrearsFacts


def leases_to_follow(operator_ids: Sequence[int] | None = None) -> Select[int]:
    """Leases with a debit not fully settled, or an open case (its arrears may just have been cleared).

    A superset of the leases in arrears: a call whose benefit part the CAF has not paid yet is "not settled" in
    the ledger but owes nothing to the household; the rules decide.
    """
    unpaid = select(LedgerEntry.lease_id).where(LedgerEntry.amount > 0, LedgerEntry.settled < LedgerEntry.amount)
    open_cases = select(ArrearsCase.lease_id).where(ArrearsCase.closed_on.is_(None))
    if operator_ids is not None:
        unpaid = unpaid.where(LedgerEntry.operator_id.in_(operator_ids))
        open_cases = open_cases.where(ArrearsCase.operator_id.in_(operator_ids))
    return select(Lease.id).where(Lease.id.in_(unpaid) | Lease.id.in_(open_cases))


def lease_accounts(session: Session, lease_ids: LeaseIds, on: date) -> dict[int, LeaseAccount]:
    """The accounts of many leases in three queries (entries, leases, Visale guarantees), grouped in Python.

    Calls are calls with their benefit; a debit correction or a refund is owed from its booking date (a refund
    is money given back: a negative credit of its payment's stream, CAF/MSA or household); payments and credit
    corrections are credits. ``visale``: a Visale guarantee of the lease is in force on ``on``.
    """
    ids = lease_ids if isinstance(lease_ids, Select) else list(lease_ids)
    reversed_entry = aliased(LedgerEntry)
    rows = session.execute(
        select(
            LedgerEntry.lease_id,
            LedgerEntry.id,
            LedgerEntry.kind,
            LedgerEntry.amount,
            LedgerEntry.benefit,
            LedgerEntry.booked_on,
            LedgerEntry.due_on,
            LedgerEntry.method,
            reversed_entry.method.label("reversed_method"),
        )
        .outerjoin(reversed_entry, reversed_entry.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.lease_id.in_(ids))
        .order_by(LedgerEntry.lease_id, LedgerEntry.due_on, LedgerEntry.id)
    ).all()
    calls: dict[int, list[rules.Call]] = defaultdict(list)
    credits: dict[int, list[rules.Credit]] = defaultdict(list)
    for row in rows:
        if row.kind is EntryKind.CALL:
            calls[row.lease_id].append(rules.Call(row.due_on, row.amount, row.benefit, entry_id=row.id))
        elif row.kind is EntryKind.PAYMENT:
            benefit = row.method is not None and row.method.is_housing_benefit
            credits[row.lease_id].append(rules.Credit(row.booked_on, -row.amount, housing_benefit=benefit))
        elif row.kind is EntryKind.REFUND:
            benefit = row.reversed_method is not None and row.reversed_method.is_housing_benefit
            credits[row.lease_id].append(rules.Credit(row.booked_on, -row.amount, housing_benefit=benefit))
        elif row.amount > 0:  # a debit correction (a charges adjustment…), owed from its booking date
            calls[row.lease_id].append(rules.Call(row.booked_on, row.amount, entry_id=row.id))
        else:  # a credit correction in the household's favour
            credits[row.lease_id].append(rules.Credit(row.booked_on, -row.amount))
    visale = {
        lease_id
        for lease_id, starts_on, expires_on in session.execute(
            select(Guarantee.lease_id, Guarantee.starts_on, Guarantee.expires_on).where(
                Guarantee.kind == GuaranteeKind.VISALE, Guarantee.lease_id.in_(ids)
            )
        )
        if (starts_on is None or starts_on <= on) and in_force(expires_on, on)
    }
    accounts = {}
    for lease in session.execute(
        select(
            Lease.id,
            Lease.operator_id,
            Lease.household_id,
            Lease.rent,
            Lease.charges,
            Lease.benefit_monthly,
            Lease.benefit_payer,
        ).where(Lease.id.in_(ids))
    ):
        benefit = lease.benefit_monthly if lease.benefit_payer is not None else Decimal("0")
        accounts[lease.id] = LeaseAccount(
            lease_id=lease.id,
            operator_id=lease.operator_id,
            household_id=lease.household_id,
            facts=rules.LeaseArrearsFacts(
                calls=tuple(calls[lease.id]),
                credits=tuple(credits[lease.id]),
                monthly_rent=lease.rent,
                monthly_charges=lease.charges,
                monthly_benefit=benefit,
                visale=lease.id in visale,
                benefit_payer=lease.benefit_payer if benefit > 0 else None,
            ),
        )
    return accounts


def lease_facts(session: Session, lease_id: int, on: date) -> rules.LeaseArrearsFacts:
    return lease_accounts(session, [lease_id], on)[lease_id].facts


def open_cases_of(session: Session, lease_ids: LeaseIds) -> dict[int, ArrearsCase]:
    """The open case of each lease (at most one: uq_arrears_cases_open), its tasks and plans loaded."""
    ids = lease_ids if isinstance(lease_ids, Select) else list(lease_ids)
    cases = session.scalars(
        select(ArrearsCase)
        .where(ArrearsCase.closed_on.is_(None), ArrearsCase.lease_id.in_(ids))
        .options(
            selectinload(ArrearsCase.tasks),
            selectinload(ArrearsCase.plans).selectinload(RepaymentPlan.instalments),
        )
    ).all()
    return {case.lease_id: case for case in cases}


def closed_cases_of(session: Session, lease_ids: LeaseIds) -> dict[tuple[int, date], int]:
    """The closed cases of the leases by (lease, first unpaid due date): an episode that comes back reopens its case."""
    ids = lease_ids if isinstance(lease_ids, Select) else list(lease_ids)
    rows = session.execute(
        select(ArrearsCase.lease_id, ArrearsCase.first_unpaid_on, ArrearsCase.id).where(
            ArrearsCase.closed_on.is_not(None), ArrearsCase.lease_id.in_(ids)
        )
    )
    return {(lease_id, first_unpaid_on): case_id for lease_id, first_unpaid_on, case_id in rows}


# --- staff pages -----------------------------------------------------------------------------------------------


def get_case_for_staff_or_404(session: Session, user: User, case_id: int) -> ArrearsCase:
    """The case if it belongs to the staff member's operator; 404 otherwise (never 403: no leak)."""
    case = session.get(ArrearsCase, case_id)
    if case is None or user.role is not Role.AGENCY_STAFF or case.operator_id != user.organisation_id:
        abort(404)
    return case


def get_task_or_404(case: ArrearsCase, task_id: int) -> ArrearsTask:
    task = next((task for task in case.tasks if task.id == task_id), None)
    if task is None:
        abort(404)
    return task


def get_plan_or_404(case: ArrearsCase, plan_id: int) -> RepaymentPlan:
    plan = next((plan for plan in case.plans if plan.id == plan_id), None)
    if plan is None:
        abort(404)
    return plan


def next_task(case: ArrearsCase) -> ArrearsTask | None:
    """The step still to do that falls due first."""
    pending = [task for task in case.tasks if task.done_on is None]
    return min(pending, key=lambda task: (task.due_on, task.id), default=None)


@dataclass(frozen=True)
class CaseRow:
    case: ArrearsCase
    ageing: rules.Ageing
    next_task: ArrearsTask | None
    overdue: int  # steps past their due date and not done

    @property
    def amount(self) -> Decimal:
        return self.ageing.total


@dataclass(frozen=True)
class ArrearsBoard:
    rows: list[CaseRow]  # the page shown
    count: int  # open cases of the operator
    totals: rules.Ageing  # every open case of the operator
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // PAGE_SIZE))


def operator_board(
    session: Session, operator_id: int, on: date, params: rules.ArrearsParameters, *, page: int = 1
) -> ArrearsBoard:
    """The operator's open cases, most urgent first (next step's due date), with their ageing at ``on``."""
    cases = session.scalars(
        select(ArrearsCase)
        .where(ArrearsCase.operator_id == operator_id, ArrearsCase.closed_on.is_(None))
        .options(
            selectinload(ArrearsCase.tasks),
            selectinload(ArrearsCase.lease).selectinload(Lease.household),
            selectinload(ArrearsCase.lease).selectinload(Lease.unit),
        )
    ).all()
    open_leases = select(ArrearsCase.lease_id).where(
        ArrearsCase.operator_id == operator_id, ArrearsCase.closed_on.is_(None)
    )
    accounts = lease_accounts(session, open_leases, on)
    zero = rules.ZERO
    totals = rules.Ageing(on, params.ageing_limits, (zero, zero, zero, zero))
    rows = []
    for case in cases:
        ageing = rules.ageing(accounts[case.lease_id].facts, on, params)
        totals += ageing
        overdue = sum(1 for task in case.tasks if task.done_on is None and task.due_on < on)
        rows.append(CaseRow(case, ageing, next_task(case), overdue))
    rows.sort(key=lambda row: (row.next_task is None, row.next_task.due_on if row.next_task else on, -row.amount))
    window = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return ArrearsBoard(window, len(rows), totals, page)


@dataclass(frozen=True)
class HouseholdArrears:
    """One lease of a household as its referent sees it: what is overdue, the case and the next deadlines."""

    lease: Lease
    arrears: Decimal
    balance: Decimal  # the household's share due less its credits (< 0: paid ahead)
    case: ArrearsCase | None
    next_tasks: list[ArrearsTask]


def household_arrears(session: Session, household_id: int, on: date, *, tasks_shown: int = 3) -> list[HouseholdArrears]:
    """The household's leases that have an account, with their arrears at ``on`` and open case, if any."""
    lease_ids = select(LedgerEntry.lease_id).where(LedgerEntry.household_id == household_id).distinct()
    accounts = lease_accounts(session, lease_ids, on)
    if not accounts:
        return []
    cases = open_cases_of(session, list(accounts))
    leases = session.scalars(select(Lease).where(Lease.id.in_(list(accounts))).order_by(Lease.starts_on.desc()))
    result = []
    for lease in leases:
        facts = accounts[lease.id].facts
        case = cases.get(lease.id)
        pending = sorted((t for t in case.tasks if t.done_on is None), key=lambda t: t.due_on) if case else []
        result.append(
            HouseholdArrears(
                lease=lease,
                arrears=rules.arrears_amount(facts, on),
                balance=rules.household_balance(facts, on),
                case=case,
                next_tasks=pending[:tasks_shown],
            )
        )
    return result
