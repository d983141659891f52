"""Writes of the arrears follow-up: the daily clocks (cases, tasks, plans kept or broken) and a step done.

The rules (agency_backoffice/rules/arrears.py, arrears_clocks.py, repayment_plans.py) decide; this module keeps
the database in step with them:
- one open case per lease (uq_arrears_cases_open) from the first unpaid due date until the arrears are cleared;
- one task per case and kind (UNIQUE case+kind): its due date follows the clocks until it is done; a task done is
  never changed nor deleted, a task not done that no longer applies is removed;
- a plan is broken on the first check date it is not kept, completed when the arrears it covers are cleared.
Running the clocks twice for the same date changes nothing the second time.
The letters of the steps are written by agency_backoffice/operations/arrears_letters.py, repayment plans agreed by
agency_backoffice/operations/repayment_plans.py.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from agency_backoffice.models import ArrearsCase, ArrearsTask, ArrearsTaskKind, PlanStatus, RepaymentPlan
from agency_backoffice.queries import arrears as queries
from agency_backoffice.rules import arrears as rules
from agency_backoffice.rules import arrears_clocks as clock_rules
from agency_backoffice.rules import repayment_plans as plan_rules
from contracts.typography import date_in_words
from passerelle.audit import audit
from passerelle.models import User

K = ArrearsTaskKind


class ArrearsError(ValueError):
    """A refused arrears operation, in French; ``field`` names the form field at fault ("" for the whole form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


# --- the clocks ----------------------------------------------------------------------------------------------


@dataclass
class ClockRun:
    """What a run of the clocks changed (a second run the same day counts zeros, ``leases`` aside)."""

    leases: int = 0
    cases_opened: int = 0
    cases_updated: int = 0
    cases_closed: int = 0
    tasks_created: int = 0
    tasks_updated: int = 0
    tasks_removed: int = 0
    plans_broken: int = 0
    plans_completed: int = 0

    def summary(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def run_arrears_clocks(session: Session, on: date, *, operator_ids: list[int] | None = None) -> ClockRun:
    """Bring every lease with something unpaid (or an open case) in step with the clocks at the end of ``on``."""
    params = queries.arrears_parameters(session, on)
    lease_ids = queries.leases_to_follow(operator_ids)
    accounts = queries.lease_accounts(session, lease_ids, on)
    cases = queries.open_cases_of(session, lease_ids)
    closed = queries.closed_cases_of(session, lease_ids)
    run = ClockRun(leases=len(accounts))
    for lease_id in sorted(accounts):
        _sync(session, accounts[lease_id], cases.get(lease_id), closed, on, params, run)
    session.flush()
    return run


def _sync(
    session: Session,
    account: queries.LeaseAccount,
    case: ArrearsCase | None,
    closed: dict[tuple[int, date], int],
    on: date,
    params: rules.ArrearsParameters,
    run: ClockRun,
) -> None:
    facts = account.facts
    episodes = clock_rules.arrears_episodes(facts, on, params)
    current = episodes[-1] if episodes and episodes[-1].cleared_on is None else None
    if case is not None and (current is None or current.first_unpaid_due_on != case.first_unpaid_on):
        own = next((e for e in episodes if e.first_unpaid_due_on == case.first_unpaid_on), None)
        if own is not None and own.cleared_on is not None:
            _close(case, own.cleared_on, on, run)
            case = None
        elif current is not None:
            # The history changed under the case (a payment recorded late, a correction): the same arrears now
            # start from another due date, and the clocks from it (the date stays if a closed case holds it).
            if (account.lease_id, current.first_unpaid_due_on) not in closed:
                case.first_unpaid_on = current.first_unpaid_due_on
        else:
            cleared = max((e.cleared_on for e in episodes if e.cleared_on is not None), default=on)
            _close(case, cleared, on, run)
            case = None
    if current is None:
        return
    opened = case is None
    if case is None:
        case = _open(session, account, closed.get((account.lease_id, current.first_unpaid_due_on)), on, run)
        case.first_unpaid_on = current.first_unpaid_due_on
    active = _check_plans(facts, case, on, params, run)
    clocks = clock_rules.arrears_clocks(facts, on, params, plan_active=active)
    values = (clocks.constituted_on, clocks.amount, on)
    if (case.constituted_on, case.amount, case.updated_on) != values:
        case.constituted_on, case.amount, case.updated_on = values
        run.cases_updated += 0 if opened else 1
    _sync_tasks(session, case, clocks.tasks, run)


def _open(
    session: Session, account: queries.LeaseAccount, closed_id: int | None, on: date, run: ClockRun
) -> ArrearsCase:
    """A new case, or the closed one of the same episode reopened (a refund or a rejected debit undid the payment
    that had cleared it: UNIQUE lease + first unpaid due date)."""
    case = session.get(ArrearsCase, closed_id) if closed_id is not None else None
    if case is not None:
        case.closed_on = None
    else:
        case = ArrearsCase(
            operator_id=account.operator_id,
            lease_id=account.lease_id,
            household_id=account.household_id,
            amount=Decimal("0"),
            updated_on=on,
        )
        session.add(case)
    run.cases_opened += 1
    return case


def _close(case: ArrearsCase, cleared_on: date, on: date, run: ClockRun) -> None:
    """The arrears are cleared: the clocks stop, a running plan has done its job."""
    case.closed_on = max(cleared_on, case.first_unpaid_on)
    case.amount = Decimal("0")
    case.updated_on = on
    for plan in case.plans:
        if plan.status is PlanStatus.ACTIVE:
            plan.status = PlanStatus.COMPLETED
            run.plans_completed += 1
    run.cases_closed += 1


def _instalments(plan: RepaymentPlan) -> tuple[plan_rules.Instalment, ...]:
    return tuple(
        plan_rules.Instalment(number, instalment.due_on, instalment.amount)
        for number, instalment in enumerate(plan.instalments, start=1)
    )


def _check_plans(
    facts: rules.LeaseArrearsFacts, case: ArrearsCase, on: date, params: rules.ArrearsParameters, run: ClockRun
) -> bool:
    """Mark the running plan broken when it is not kept; True while one is kept."""
    kept = False
    for plan in case.plans:
        if plan.status is not PlanStatus.ACTIVE:
            continue
        broken_on = plan_rules.plan_broken_on(facts, plan.total, _instalments(plan), on, params)
        if broken_on is None:
            kept = True
        else:
            plan.status, plan.broken_on = PlanStatus.BROKEN, broken_on
            run.plans_broken += 1
    return kept


def _sync_tasks(
    session: Session, case: ArrearsCase, wanted: tuple[clock_rules.ArrearsTask, ...], run: ClockRun
) -> None:
    existing = {task.kind: task for task in case.tasks}
    for clock in wanted:
        task = existing.get(clock.kind)
        if task is None:
            case.tasks.append(ArrearsTask(kind=clock.kind, due_on=clock.due_on, legal_basis=clock.legal_basis))
            run.tasks_created += 1
        elif task.done_on is None and (task.due_on, task.legal_basis) != (clock.due_on, clock.legal_basis):
            task.due_on, task.legal_basis = clock.due_on, clock.legal_basis
            run.tasks_updated += 1
    kinds = {clock.kind for clock in wanted}
    for kind, task in existing.items():
        if kind not in kinds and task.done_on is None:
            # A clock that no longer runs (the Visale guarantee ended, no more benefit paid to the operator…).
            case.tasks.remove(task)
            session.delete(task)
            run.tasks_removed += 1


# --- staff actions -------------------------------------------------------------------------------------------


def check_writable(case: ArrearsCase) -> None:
    """Refuse any change to a closed case."""
    if case.closed_on is not None:
        raise ArrearsError(f"Ce dossier est clos depuis le {date_in_words(case.closed_on)} : il ne change plus.")


def complete_task(
    session: Session, task: ArrearsTask, *, done_on: date, note: str | None, by: User, today: date
) -> ArrearsTask:
    """Record a step as done (when, by whom, a note): its due date no longer moves."""
    case = task.case
    check_writable(case)
    if task.done_on is not None:
        raise ArrearsError(f"Cette étape a déjà été faite le {date_in_words(task.done_on)}.")
    if done_on > today:
        raise ArrearsError("La date ne peut pas être dans le futur.", "done_on")
    if done_on < case.first_unpaid_on:
        raise ArrearsError(
            f"La date ne peut pas précéder la première échéance impayée ({date_in_words(case.first_unpaid_on)}).",
            "done_on",
        )
    task.done_on, task.done_by_id, task.note = done_on, by.id, (note or "").strip() or None
    audit(
        session,
        actor=by,
        action="arrears_task.done",
        object_type="arrears_case",
        object_id=case.id,
        task=task.id,
        kind=task.kind.value,
        done_on=done_on,
    )
    session.flush()
    return task


def task_label(task: ArrearsTask) -> str:
    """The step's label; the report names the body that pays the benefit (CAF or MSA)."""
    payer = task.case.lease.benefit_payer
    if task.kind is K.CAF_REPORT and payer is not None:
        return f"Signaler l'impayé à la {payer.label}"
    return task.kind.label
