"""The clocks of domain.md §8 (pure rules): episodes of arrears, the dates their thresholds were reached (Visale,
CAF/MSA, FSL, CCAPEX), the tasks they start with due dates and legal bases, and the payment deadline of a formal
notice.

- **Episodes.** Arrears open at the end of the first day with an unpaid share and close (the clocks stop) at the
  end of the first day the household owes nothing overdue. A new episode has a new first unpaid due date and
  starts its clocks again from nothing.
- **Thresholds** are reached on the day after the account crosses them, the account being counted as
  agency_backoffice/rules/arrears.py says (household shares only, a "month" net of the benefit, end-of-day dates).

Figures (days, months, thresholds) are never written here: ``ArrearsParameters`` carries them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from agency_backoffice.models.ledger_enums import ArrearsTaskKind
from agency_backoffice.rules.arrears import ZERO, Account, ArrearsParameters, LeaseArrearsFacts
from capture.rules.locavantages import add_months

# Why each clock exists, stored with the task (ArrearsTask.legal_basis holds up to 300 characters).
LEGAL_BASIS: dict[ArrearsTaskKind, str] = {
    ArrearsTaskKind.REMINDER: (
        "Relance amiable par lettre simple dès la survenance de l'impayé (Visale, FAQ bailleurs : gestion des "
        "impayés de loyer) ; délai : réglage de l'opérateur."
    ),
    ArrearsTaskKind.VISALE_NOTICE: (
        "Visale : mise en demeure de régler sous huitaine, par lettre recommandée avec accusé de réception, au "
        "plus tard 15 jours calendaires après la constitution de l'impayé (FAQ bailleurs Visale)."
    ),
    ArrearsTaskKind.VISALE_CLAIM: (
        "Visale : déclarer l'impayé dans les 30 jours calendaires suivant sa constitution (bail, mise en demeure, "
        "pièce d'identité, mandat, RIB), faute de quoi la garantie peut être refusée (FAQ bailleurs Visale)."
    ),
    ArrearsTaskKind.CAF_REPORT: (
        "CCH art. L.824-1 et R.824-4 : le bailleur qui perçoit l'aide signale l'impayé à l'organisme payeur dans "
        "les deux mois de sa constitution (R.824-1 : dette d'au moins deux mois de loyer et charges nets de l'aide)."
    ),
    ArrearsTaskKind.REPAYMENT_PLAN: (
        "Médiation avant toute procédure ; loi 89-462 art. 24 V : délais de paiement dans la limite "
        "de trois ans ; CCH art. R.824-4 à R.824-12 : plan d'apurement transmis à la CAF / MSA."
    ),
    ArrearsTaskKind.FSL_REQUEST: (
        "Loi 90-449 art. 6 (fonds de solidarité pour le logement) ; CCH art. R.824-11 : le FSL peut être saisi en "
        "même temps que l'organisme payeur ; conditions du règlement intérieur du FSL du département."
    ),
    ArrearsTaskKind.CCAPEX_REFERRAL: (
        "Loi 90-449 art. 7-2 ; décret 2015-1384 art. 14 (seuils de 3 à 6 mois d'impayé ou de 3 à 6 fois le loyer "
        "hors charges, par arrêté préfectoral) ; loi 89-462 art. 24 II : saisine deux mois avant toute assignation."
    ),
}
_TASK_ORDER = tuple(ArrearsTaskKind)


# --- episodes and the clocks ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Episode:
    """An uninterrupted stretch of arrears and the dates its thresholds were reached (the day after, see top)."""

    first_unpaid_due_on: date  # the due date of the oldest unpaid call when the arrears opened: the clocks start
    cleared_on: date | None  # end of the day the household stopped owing anything overdue
    constituted_on: date | None  # Visale sense: N full months unpaid, or partial arrears above M months
    caf_constituted_on: date | None  # CCH R.824-1: a debt of at least N months net of the benefit
    fsl_from: date | None  # the FSL threshold
    ccapex_amount_from: date | None  # the debt reached the CCAPEX multiple of the rent excluding charges

    @property
    def occurred_on(self) -> date:
        """The day the arrears "occur" in Visale's words: the day after the first unpaid due date."""
        return self.first_unpaid_due_on + timedelta(days=1)

    def ccapex_duration_from(self, params: ArrearsParameters) -> date:
        """The day the arrears have lasted without interruption for the CCAPEX duration."""
        return add_months(self.occurred_on, params.ccapex_duration_months)


def arrears_episodes(facts: LeaseArrearsFacts, until: date, params: ArrearsParameters) -> tuple[Episode, ...]:
    """Every episode of arrears up to the end of ``until``, oldest first (the last one may still be open)."""
    return _episodes(Account(facts), facts, until, params)


def _episodes(
    account: Account, facts: LeaseArrearsFacts, until: date, params: ArrearsParameters
) -> tuple[Episode, ...]:
    net = facts.monthly_net
    episodes: list[Episode] = []
    current: dict[str, date | None] | None = None
    start: date | None = None
    for day in account.event_dates:
        if day > until:
            break
        state = account.state(day)
        if current is None and state.balance > 0:
            assert state.first_unpaid is not None
            start = account.calls[state.first_unpaid].due_on
            current = dict.fromkeys(("constituted_on", "caf_constituted_on", "fsl_from", "ccapex_amount_from"))
        if current is None or start is None:
            continue
        if state.balance <= 0:
            episodes.append(Episode(start, day, **current))
            current = None
            continue
        reached = day + timedelta(days=1)
        thresholds = {
            # Visale: « 2 mois de loyer + charges totalement impayés » or « le cumul des impayés partiels dépasse
            # 1 mois » (strictly above), aides au logement perçues par le bailleur déduites.
            "constituted_on": state.totally_unpaid >= params.visale_full_months
            or state.balance > params.visale_partial_months * net,
            # CCH R.824-1 al. 2: « au moins égale à deux fois le montant mensuel net du loyer et des charges ».
            "caf_constituted_on": state.balance >= params.caf_constituted_months * net,
            "fsl_from": state.balance >= params.fsl_trigger_months * net,
            # Décret 2015-1384 art. 14: « équivalente à un multiple … du loyer mensuel hors charges ».
            "ccapex_amount_from": state.balance >= params.ccapex_rent_multiple * facts.monthly_rent,
        }
        for name, met in thresholds.items():
            if met and current[name] is None:
                current[name] = reached
    if current is not None and start is not None:
        episodes.append(Episode(start, None, **current))
    return tuple(episodes)


@dataclass(frozen=True)
class ArrearsTask:
    """One clock: what to do by when, and why."""

    kind: ArrearsTaskKind
    due_on: date
    label: str
    legal_basis: str


@dataclass(frozen=True)
class ArrearsClocks:
    """The open episode at a date (if any) and its tasks; no episode, no task."""

    on: date
    amount: Decimal
    episode: Episode | None
    tasks: tuple[ArrearsTask, ...]

    @property
    def first_unpaid_due_on(self) -> date | None:
        return self.episode.first_unpaid_due_on if self.episode else None

    @property
    def constituted_on(self) -> date | None:
        return self.episode.constituted_on if self.episode else None

    def task(self, kind: ArrearsTaskKind) -> ArrearsTask | None:
        return next((task for task in self.tasks if task.kind is kind), None)


def _task(kind: ArrearsTaskKind, due_on: date, label: str | None = None) -> ArrearsTask:
    return ArrearsTask(kind, due_on, label or kind.label, LEGAL_BASIS[kind])


def arrears_clocks(
    facts: LeaseArrearsFacts, on: date, params: ArrearsParameters, *, plan_active: bool = False
) -> ArrearsClocks:
    """The clocks running at the end of ``on``: a task per step whose starting event has happened.

    Due dates may lie in the past (a step overdue) or the future (a deadline). Once the arrears are cleared there
    is no task; a new episode starts its clocks again. ``plan_active``: a repayment plan is running and kept, so
    no new plan is to be proposed (the other steps are obligations to the guarantor, the CAF, the CCAPEX).
    """
    account = Account(facts)
    episodes = _episodes(account, facts, on, params)
    episode = episodes[-1] if episodes and episodes[-1].cleared_on is None else None
    if episode is None:
        return ArrearsClocks(on, ZERO, None, ())
    tasks = [_task(ArrearsTaskKind.REMINDER, episode.first_unpaid_due_on + timedelta(days=params.reminder_days))]
    constituted = episode.constituted_on
    if constituted is not None and constituted <= on:
        if facts.visale:
            # Visale counts both delays from the constitution (« au plus tard dans les 15 jours calendaires suivant
            # la constitution », « dans un délai de 30 jours calendaires »), not the claim from the notice. Its own
            # example gives the claim on 06/09/24 for a constitution on 06/08/24 (a month): 30 days is never later.
            tasks.append(_task(ArrearsTaskKind.VISALE_NOTICE, constituted + timedelta(days=params.visale_notice_days)))
            tasks.append(_task(ArrearsTaskKind.VISALE_CLAIM, constituted + timedelta(days=params.visale_claim_days)))
        if not plan_active:
            tasks.append(_task(ArrearsTaskKind.REPAYMENT_PLAN, constituted + timedelta(days=params.plan_proposal_days)))
    caf = episode.caf_constituted_on
    if facts.benefit_payer is not None and caf is not None and caf <= on:
        # CCH R.824-4: within two months of the constitution « sauf si la somme due a été, entre-temps, réglée en
        # totalité » — a cleared episode has no task at all.
        label = f"Signaler l'impayé à la {facts.benefit_payer.label}"
        tasks.append(_task(ArrearsTaskKind.CAF_REPORT, add_months(caf, params.caf_report_months), label))
    if episode.fsl_from is not None and episode.fsl_from <= on:
        tasks.append(_task(ArrearsTaskKind.FSL_REQUEST, episode.fsl_from + timedelta(days=params.fsl_request_days)))
    triggers = [episode.ccapex_amount_from, episode.ccapex_duration_from(params)]
    ccapex = min((day for day in triggers if day is not None and day <= on), default=None)
    if ccapex is not None:
        tasks.append(_task(ArrearsTaskKind.CCAPEX_REFERRAL, ccapex + timedelta(days=params.ccapex_referral_days)))
    tasks.sort(key=lambda task: (task.due_on, _TASK_ORDER.index(task.kind)))
    return ArrearsClocks(on, max(ZERO, account.state(on).balance), episode, tuple(tasks))


def notice_deadline(sent_on: date, params: ArrearsParameters) -> date:
    """The payment deadline a formal notice gives (« sous huitaine » for Visale)."""
    return sent_on + timedelta(days=params.notice_payment_days)
