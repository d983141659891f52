"""The letters of the arrears steps (relance amiable, mise en demeure, signalement de l'impayé à la CAF / MSA):
built from the case and the lease's account as of a date (contracts/arrears_letters.py), stored with their hash.

The household's statement of arrears, its referent and the storing are shared with the repayment plan's agreement
(agency_backoffice/operations/repayment_plans.py).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.models import ArrearsCase, ArrearsTask, ArrearsTaskKind, LedgerEntry
from agency_backoffice.operations.arrears import ArrearsError, check_writable
from agency_backoffice.operations.ledger_documents import lease_reference
from agency_backoffice.queries import arrears as queries
from agency_backoffice.rules import arrears as rules
from agency_backoffice.rules import arrears_clocks as clock_rules
from capture.operations.agreement_documents import operator_party, unit_address
from contracts import arrears_letters as letters
from contracts.typography import date_in_words
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


def referent(case: ArrearsCase, by: User) -> letters.Referent:
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


def arrears_file(
    session: Session, case: ArrearsCase, facts: rules.LeaseArrearsFacts, on: date, by: User
) -> letters.ArrearsFile:
    """The case as every letter states it: the periods still (partly) unpaid at ``on``, the parties, the lease."""
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


def store_letter(pdf: bytes, filename: str) -> storage.StoredFile:
    """Store a letter's PDF under ``filename``; the caller keeps its hash."""
    return storage.save(storage.check(pdf, filename=filename, allowed={"application/pdf"}, max_bytes=len(pdf)))


def task_letter(session: Session, task: ArrearsTask, *, on: date, by: User) -> ArrearsTask:
    """Write the letter of a step (relance, mise en demeure, signalement CAF/MSA) as of ``on``, store it on the task."""
    case = task.case
    check_writable(case)
    if task.kind not in LETTER_NAMES:
        raise ArrearsError(f"Passerelle n'établit pas de courrier pour l'étape « {task.kind.label} ».")
    lease = case.lease
    params = queries.arrears_parameters(session, on)
    facts = queries.lease_facts(session, lease.id, on)
    file = arrears_file(session, case, facts, on, by)
    payer = lease.benefit_payer.label if lease.benefit_payer is not None and facts.monthly_benefit > 0 else None
    reminder = next((t for t in case.tasks if t.kind is K.REMINDER and t.done_on is not None), None)
    if task.kind is K.REMINDER:
        reminder_letter = letters.ReminderLetter(
            file=file, referent=referent(case, by), payment_instructions=_payment_instructions(case)
        )
        pdf = letters.render_reminder_letter(reminder_letter)
    elif task.kind is K.VISALE_NOTICE:
        notice = letters.FormalNotice(
            file=file,
            referent=referent(case, by),
            pay_by=clock_rules.notice_deadline(on, params),
            reminder_sent_on=reminder.done_on if reminder else None,
            visale=facts.visale,
            benefit_payer=payer,
        )
        pdf = letters.render_formal_notice(notice)
    else:
        pdf = _benefit_report(case, facts, file, payer, on, params, by)
    stored = store_letter(pdf, f"{LETTER_NAMES[task.kind]}-dossier-{case.id}-{on.isoformat()}.pdf")
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
    episode = clock_rules.arrears_clocks(facts, on, params).episode
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
            referent=referent(case, by) if lease.household.referent_name else None,
        )
    )
