"""Repayment plans (plan d'apurement) agreed with a household on an arrears case, and their signed agreement.

The schedule and the broken-plan check are pure rules (agency_backoffice/rules/repayment_plans.py); the daily
clocks mark a running plan broken or completed (agency_backoffice/operations/arrears.py).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from agency_backoffice.models import (
    ArrearsCase,
    ArrearsTaskKind,
    LeaseKind,
    PlanStatus,
    RepaymentInstalment,
    RepaymentPlan,
)
from agency_backoffice.operations.arrears import ArrearsError, check_writable
from agency_backoffice.operations.arrears_letters import arrears_file, referent, store_letter
from agency_backoffice.queries import arrears as queries
from agency_backoffice.rules import arrears as rules
from agency_backoffice.rules import repayment_plans as plan_rules
from contracts import arrears_letters as letters
from contracts.typography import date_in_words, money
from passerelle.audit import audit
from passerelle.models import User

K = ArrearsTaskKind


def create_plan(
    session: Session, case: ArrearsCase, *, total: Decimal, months: int, first_due_on: date, today: date, by: User
) -> RepaymentPlan:
    """Agree a plan d'apurement of the whole debt at ``today`` in monthly instalments; write the agreement PDF.

    The plan covers the household's whole debt: the rules check it against that total (each instalment due lowers
    what the household may still owe), so a total typed from an older figure is refused rather than guessed.
    """
    check_writable(case)
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
        schedule = plan_rules.plan_schedule(total, months, first_due_on, params)
    except plan_rules.InvalidPlan as error:
        raise ArrearsError(str(error), "months") from None
    file = arrears_file(session, case, facts, today, by)
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
        referent=referent(case, by),
        benefit_payer=facts.benefit_payer.label if facts.benefit_payer is not None else None,
    )
    stored = store_letter(letters.render_repayment_plan(agreement), f"plan-apurement-dossier-{case.id}-{plan.id}.pdf")
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
