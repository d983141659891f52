"""Writes of the arrears follow-up: the daily clocks (cases, tasks, plans kept or broken), a step done, the letters
of the clocks, and repayment plans.

The rules (agency_backoffice/rules/arrears.py) decide; this module keeps the database in step with them:
- one open case per lease (uq_arrears_cases_open) from the first unpaid due date until the arrears are cleared;
- one task per case and kind (UNIQUE case+kind): its due date follows the clocks until it is done; a task done is
  never changed nor deleted, a task not done that no longer applies is removed;
- a plan is broken on the first check date it is not kept, completed when the arrears it covers are cleared.
Running the clocks twice for the same date changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import (
    ArrearsCase,
    ArrearsTask,
    ArrearsTaskKind,
    LeaseKind,
    LedgerEntry,
    PlanStatus,
    RepaymentInstalment,
    RepaymentPlan,
)
from agency_backoffice.operations.ledger_documents import lease_reference
from agency_backoffice.queries import arrears as queries
from agency_backoffice.rules import arrears as rules
from capture.operations.agreement_documents import operator_party, unit_address
from contracts import arrears_letters as letters
from contracts.typography import date_in_words, money
from passerelle import storage
from passerelle.audit import audit
from passerelle.models import User

K = ArrearsTaskKind
# The tasks whose letter Passerelle writes, and the file name it is stored under.
LETTER_NAMES: dict[ArrearsTaskKind, str] = {
    K.REMINDER: "relance-amiable",
    K.VISALE_NOTICE: "mise-en-demeure",
    K.CAF_REPORT: "signalement-impaye",
}
# How a step done reads in the report to the CAF / MSA (CCH R.824-4: the steps taken to recover the debt).
STEP_TEXTS: dict[ArrearsTaskKind, str] = {
    K.REMINDER: "relance amiable par courrier",
    K.VISALE_NOTICE: "mise en demeure par lettre recommandée avec accusé de réception",
    K.VISALE_CLAIM: "déclaration de l'impayé à Visale (Action Logement)",
    K.REPAYMENT_PLAN: "proposition d'un plan d'apurement",
    K.FSL_REQUEST: "demande d'aide au Fonds de solidarité pour le logement",
    K.CCAPEX_REFERRAL: "saisine de la CCAPEX",
}
PAYER_NAMES = {"caf": "Caisse d'allocations familiales", "msa": "Mutualité sociale agricole"}


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
    episodes = rules.arrears_episodes(facts, on, params)
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
    clocks = rules.arrears_clocks(facts, on, params, plan_active=active)
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


def _instalments(plan: RepaymentPlan) -> tuple[rules.Instalment, ...]:
    return tuple(
        rules.Instalment(number, instalment.due_on, instalment.amount)
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
        broken_on = rules.plan_broken_on(facts, plan.total, _instalments(plan), on, params)
        if broken_on is None:
            kept = True
        else:
            plan.status, plan.broken_on = PlanStatus.BROKEN, broken_on
            run.plans_broken += 1
    return kept


def _sync_tasks(session: Session, case: ArrearsCase, wanted: tuple[rules.ArrearsTask, ...], run: ClockRun) -> None:
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


def _writable(case: ArrearsCase) -> None:
    if case.closed_on is not None:
        raise ArrearsError(f"Ce dossier est clos depuis le {date_in_words(case.closed_on)} : il ne change plus.")


def complete_task(
    session: Session, task: ArrearsTask, *, done_on: date, note: str | None, by: User, today: date
) -> ArrearsTask:
    """Record a step as done (when, by whom, a note): its due date no longer moves."""
    case = task.case
    _writable(case)
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


def _referent(case: ArrearsCase, by: User) -> letters.Referent:
    """The household's support referent when it has one, else the staff member writing, at the operator's."""
    household, operator = case.lease.household, case.lease.operator
    if household.referent_name:
        return letters.Referent(
            household.referent_name,
            "référent de l'accompagnement social",
            household.referent_phone,
            household.referent_email,
        )
    return letters.Referent(by.full_name or operator.name, "gestion locative", operator.phone, operator.email)


def _arrears_file(
    session: Session, case: ArrearsCase, facts: rules.LeaseArrearsFacts, on: date, by: User
) -> letters.ArrearsFile:
    lease = case.lease
    positions = rules.unpaid_positions(facts, on)
    if not positions:
        raise ArrearsError(f"Le ménage ne doit plus rien au {date_in_words(on)} : aucun courrier à établir.")
    ids = [position.call.entry_id for position in positions if position.call.entry_id is not None]
    entries = {entry.id: entry for entry in session.scalars(select(LedgerEntry).where(LedgerEntry.id.in_(ids)))}
    lines = []
    for position in positions:
        entry = entries.get(position.call.entry_id or 0)
        # A call covers its period; a debit correction or a refund is owed from the day it was booked.
        start = entry.period_start if entry is not None and entry.period_start else position.call.due_on
        end = entry.period_end if entry is not None and entry.period_end else start
        call = position.call
        lines.append(letters.PeriodLine(start, end, call.due_on, call.amount, call.benefit, position.paid))
    operator = lease.operator
    address = unit_address(lease.unit)
    return letters.ArrearsFile(
        reference=f"Dossier d'impayé n° {case.id}",
        operator=operator_party(operator),
        operator_contact=" — ".join(part for part in (operator.phone, operator.email) if part) or None,
        tenants=tuple(lease.tenants) or (lease.household.contact_name or f"Ménage {lease.household.siao_reference}",),
        tenants_address=address,
        unit_address=address,
        lease_reference=f"{lease_reference(lease)} du {date_in_words(lease.starts_on)}",
        lines=tuple(lines),
        as_of=on,
        place=lease.unit.commune.name if lease.unit.commune else "—",
        issued_on=on,
        signatory=by.full_name or operator.name,
    )


def _payment_instructions(case: ArrearsCase) -> tuple[str, ...]:
    """How to pay, as the rent call notice says it (contracts/rent_documents.py)."""
    operator = case.lease.operator
    lines = [f"Chèque à l'ordre de {operator.name}"]
    if operator.iban:
        bic = f", BIC {operator.bic}" if operator.bic else ""
        lines.insert(0, f"Virement à {operator.name} : IBAN {operator.iban}{bic}, référence « LOYER {case.lease_id} »")
    return tuple(lines)


def _store(pdf: bytes, filename: str) -> storage.StoredFile:
    return storage.save(storage.check(pdf, filename=filename, allowed={"application/pdf"}, max_bytes=len(pdf)))


def task_letter(session: Session, task: ArrearsTask, *, on: date, by: User) -> ArrearsTask:
    """Write the letter of a step (relance, mise en demeure, signalement CAF/MSA) as of ``on``, store it on the task."""
    case = task.case
    _writable(case)
    if task.kind not in LETTER_NAMES:
        raise ArrearsError(f"Passerelle n'établit pas de courrier pour l'étape « {task.kind.label} ».")
    lease = case.lease
    params = queries.arrears_parameters(session, on)
    facts = queries.lease_facts(session, lease.id, on)
    file = _arrears_file(session, case, facts, on, by)
    payer = lease.benefit_payer.label if lease.benefit_payer is not None and facts.monthly_benefit > 0 else None
    reminder = next((t for t in case.tasks if t.kind is K.REMINDER and t.done_on is not None), None)
    if task.kind is K.REMINDER:
        reminder_letter = letters.ReminderLetter(
            file=file, referent=_referent(case, by), payment_instructions=_payment_instructions(case)
        )
        pdf = letters.render_reminder_letter(reminder_letter)
    elif task.kind is K.VISALE_NOTICE:
        notice = letters.FormalNotice(
            file=file,
            referent=_referent(case, by),
            pay_by=rules.notice_deadline(on, params),
            reminder_sent_on=reminder.done_on if reminder else None,
            visale=facts.visale,
            benefit_payer=payer,
        )
        pdf = letters.render_formal_notice(notice)
    else:
        pdf = _benefit_report(case, facts, file, payer, on, params, by)
    stored = _store(pdf, f"{LETTER_NAMES[task.kind]}-dossier-{case.id}-{on.isoformat()}.pdf")
    task.document_sha256, task.document_filename = stored.sha256, stored.filename
    audit(
        session,
        actor=by,
        action="arrears_task.letter",
        object_type="arrears_case",
        object_id=case.id,
        task=task.id,
        kind=task.kind.value,
        sha256=stored.sha256,
    )
    session.flush()
    return task


def _benefit_report(
    case: ArrearsCase,
    facts: rules.LeaseArrearsFacts,
    file: letters.ArrearsFile,
    payer: str | None,
    on: date,
    params: rules.ArrearsParameters,
    by: User,
) -> bytes:
    lease = case.lease
    episode = rules.arrears_clocks(facts, on, params).episode
    constituted = episode.caf_constituted_on if episode is not None else None
    if payer is None or lease.benefit_payer is None:
        raise ArrearsError("Aucune aide au logement n'est versée à l'organisme pour ce bail : rien à signaler.")
    if constituted is None or constituted > on:
        raise ArrearsError("L'impayé n'est pas encore constitué au sens de l'article R.824-1 : rien à signaler.")
    commune = lease.unit.commune
    steps = tuple(
        letters.Step(task.done_on, STEP_TEXTS[task.kind])
        for task in sorted(case.tasks, key=lambda t: (t.done_on or on, t.id))
        if task.done_on is not None and task.kind is not K.CAF_REPORT
    )
    return letters.render_benefit_arrears_report(
        letters.BenefitArrearsReport(
            file=file,
            benefit_payer=payer,
            payer_name=PAYER_NAMES[lease.benefit_payer.value]
            + (f" — département {commune.departement}" if commune is not None else ""),
            payer_address=(),
            lease_starts_on=lease.starts_on,
            monthly_rent=lease.rent,
            monthly_charges=lease.charges,
            monthly_benefit=facts.monthly_benefit,
            constituted_on=constituted,
            steps=steps,
            referent=_referent(case, by) if lease.household.referent_name else None,
        )
    )


def create_plan(
    session: Session, case: ArrearsCase, *, total: Decimal, months: int, first_due_on: date, today: date, by: User
) -> RepaymentPlan:
    """Agree a plan d'apurement of the whole debt at ``today`` in monthly instalments; write the agreement PDF.

    The plan covers the household's whole debt: the rules check it against that total (each instalment due lowers
    what the household may still owe), so a total typed from an older figure is refused rather than guessed.
    """
    _writable(case)
    if any(plan.status is PlanStatus.ACTIVE for plan in case.plans):
        raise ArrearsError("Un plan d'apurement est déjà en cours pour ce dossier.")
    params = queries.arrears_parameters(session, today)
    if not 1 <= months <= params.plan_max_instalments:
        raise ArrearsError(f"Un plan d'apurement compte de 1 à {params.plan_max_instalments} mensualités.", "months")
    if first_due_on < today:
        raise ArrearsError("La première mensualité ne peut pas précéder la date du plan.", "first_due_on")
    facts = queries.lease_facts(session, case.lease_id, today)
    debt = rules.arrears_amount(facts, today)
    if total != debt:
        raise ArrearsError(
            f"Le plan reprend toute la dette du ménage au {date_in_words(today)} : {money(debt)}, "
            f"et non {money(total)}.",
            "total",
        )
    try:
        schedule = rules.plan_schedule(total, months, first_due_on, params)
    except rules.InvalidPlan as error:
        raise ArrearsError(str(error), "months") from None
    file = _arrears_file(session, case, facts, today, by)
    lease = case.lease
    plan = RepaymentPlan(
        case_id=case.id,
        agreed_on=today,
        total=total,
        months=months,
        first_due_on=first_due_on,
        status=PlanStatus.ACTIVE,
        created_by_id=by.id,
        instalments=[RepaymentInstalment(due_on=item.due_on, amount=item.amount) for item in schedule],
    )
    case.plans.append(plan)
    session.flush()
    sublease = lease.kind is LeaseKind.SUBLEASE
    agreement = letters.RepaymentPlanAgreement(
        file=file,
        operator_role="L'association, bailleur" if sublease else "Le gestionnaire, mandataire du propriétaire",
        instalments=tuple(letters.ScheduledInstalment(i.number, i.due_on, i.amount) for i in schedule),
        current_share=facts.monthly_net,
        grace_days=params.plan_grace_days,
        referent=_referent(case, by),
        benefit_payer=facts.benefit_payer.label if facts.benefit_payer is not None else None,
    )
    stored = _store(letters.render_repayment_plan(agreement), f"plan-apurement-dossier-{case.id}-{plan.id}.pdf")
    plan.document_sha256, plan.document_filename = stored.sha256, stored.filename
    proposal = next((t for t in case.tasks if t.kind is K.REPAYMENT_PLAN and t.done_on is None), None)
    if proposal is not None:
        proposal.done_on, proposal.done_by_id = today, by.id
        proposal.note = f"Plan d'apurement n° {plan.id} convenu : {months} mensualité(s)."
    audit(
        session,
        actor=by,
        action="repayment_plan.create",
        object_type="arrears_case",
        object_id=case.id,
        plan=plan.id,
        total=total,
        months=months,
        first_due_on=first_due_on,
    )
    session.flush()
    return plan
