"""Demo proposals: the operators' available units proposed to households they fit, at every step.

Each proposal follows the real workflow (``propose_unit``, ``advance_proposal``, ``decline_proposal``,
``withdraw_proposal``) with dated steps in the past: ended ones first, as they freed units and households in
time, then open ones, one of them stalled for more than a week so that reminders have something to say.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agency_backoffice.demo_households import moment
from agency_backoffice.models import DeclineReason, Household, HouseholdStatus, Proposal, ProposalStatus
from agency_backoffice.operations.proposals import (
    advance_proposal,
    decline_proposal,
    propose_unit,
    withdraw_proposal,
)
from agency_backoffice.queries.matching import rank_households
from agency_backoffice.rules.proposals import InvalidStep, check_step
from capture.models import IMLMode, StockEntry, StockStatus
from passerelle.demo import DemoContext
from passerelle.models import Organisation, User

Desk = tuple[Organisation, User, list[Household]]  # an operator, the staff member who proposes, its households
S = ProposalStatus


@dataclass(frozen=True)
class Script:
    """A proposal's story: the steps after « proposé », and how many days ago each one happened."""

    steps: tuple[ProposalStatus, ...]
    days_ago: tuple[int, ...]  # the proposal itself, then one per step
    reason: DeclineReason | None = None
    note: str | None = None
    park_days: int | None = None


# Ended proposals come first: they free their unit and household, as they did in time, for the open ones.
SCRIPTS: dict[str, tuple[Script, ...]] = {
    "ais": (
        Script((S.VISIT, S.DECLINED), (96, 88, 85), DeclineReason.HOUSEHOLD_LOCATION,
               "Le logement est loin des lieux de vie du ménage, qui préfère attendre une proposition à Arras."),
        Script((S.VISIT, S.HOUSEHOLD_ACCEPTED, S.DECLINED), (70, 63, 60, 52), DeclineReason.OWNER_REFUSED,
               "Le propriétaire a retenu une autre candidature présentée par l'agence."),
        Script((S.WITHDRAWN,), (45, 41), note="Logement proposé par erreur : il était réservé à un autre ménage."),
        Script((S.VISIT, S.HOUSEHOLD_ACCEPTED, S.OWNER_ACCEPTED, S.READY_FOR_LEASE), (34, 27, 24, 19, 6)),
        Script((S.VISIT, S.HOUSEHOLD_ACCEPTED, S.OWNER_ACCEPTED), (21, 15, 12, 3)),
        Script((S.VISIT, S.HOUSEHOLD_ACCEPTED), (14, 8, 4)),
        Script((S.VISIT,), (23, 13)),  # stalled for almost two weeks: the reminders have something to say
        Script((), (2,)),
    ),
    "association": (
        Script((S.DECLINED,), (120, 110), DeclineReason.OPERATOR_DOCUMENTS_MISSING,
               "Avis d'imposition et attestation CAF manquants à la date de la commission."),
        Script((S.VISIT, S.DECLINED), (58, 50, 47), DeclineReason.HOUSEHOLD_UNIT,
               "Le ménage juge le logement trop sombre et trop éloigné des transports."),
        Script((S.VISIT, S.DECLINED), (40, 35, 33), DeclineReason.HOUSEHOLD_NOT_READY,
               "Le ménage souhaite d'abord terminer sa formation ; nouveau point dans deux mois.", park_days=45),
        Script((S.WITHDRAWN,), (30, 29), note="Le SIAO suspend l'orientation le temps d'une nouvelle évaluation."),
        Script((S.VISIT, S.HOUSEHOLD_ACCEPTED, S.READY_FOR_LEASE), (30, 24, 22, 9)),
        Script((S.VISIT, S.HOUSEHOLD_ACCEPTED, S.OWNER_ACCEPTED), (25, 18, 16, 5)),
        Script((S.VISIT, S.HOUSEHOLD_ACCEPTED, S.OWNER_ACCEPTED, S.READY_FOR_LEASE), (48, 40, 38, 30, 20)),
        Script((S.HOUSEHOLD_ACCEPTED,), (9, 5)),
        Script((S.VISIT,), (6, 2)),
        Script((), (16,)),  # stalled
        Script((), (1,)),
    ),
}  # fmt: skip
STEP_NOTES = {
    S.VISIT: "Visite faite avec le ménage et son référent.",
    S.HOUSEHOLD_ACCEPTED: "Le ménage donne son accord.",
    S.OWNER_ACCEPTED: "Accord du propriétaire reçu par courriel.",
    S.READY_FOR_LEASE: "Dossier complet : bail à préparer.",
}


def seed_proposals(context: DemoContext, today: date, rng: random.Random, desks: dict[str, Desk]) -> int:
    """Play each operator's scripts on its available units, each time with a household the unit fits."""
    session = context.session
    made = 0
    for key, scripts in SCRIPTS.items():
        operator, staff, households = desks[key]
        entries = session.scalars(
            select(StockEntry)
            .where(StockEntry.operator_id == operator.id, StockEntry.status == StockStatus.AVAILABLE)
            .order_by(StockEntry.id)
        ).all()
        busy: set[int] = set()  # households holding an open proposal
        open_entries: set[int] = set()  # stock entries holding one
        tried: set[tuple[int, int]] = set()
        for script in scripts:
            start = today - timedelta(days=script.days_ago[0])
            candidates = [
                h
                for h in households
                if h.status is HouseholdStatus.ACTIVE
                and not h.is_parked(today)
                and h.referred_on <= start - timedelta(days=7)
                and h.id not in busy
            ]
            pair = _pair(session, rng, entries, candidates, script, open_entries, tried, start)
            if pair is None:
                final = (script.steps or (S.PROPOSED,))[-1]
                context.echo(f"Propositions ({operator.name}) : aucun logement disponible ne convient ({final.label}).")
                continue
            entry, household, score, snapshot = pair
            tried.add((household.id, entry.id))
            proposal = propose_unit(
                session, entry, household, failures=[], score=score, snapshot=snapshot, by=staff, today=start
            )
            proposal.created_at = proposal.events[-1].at = moment(start)
            _play(session, proposal, script, staff, today)
            if proposal.status.is_open:
                busy.add(household.id)
                open_entries.add(entry.id)
            made += 1
    return made


def _play(session: Session, proposal: Proposal, script: Script, staff: User, today: date) -> None:
    for hour, (step, days) in enumerate(zip(script.steps, script.days_ago[1:], strict=True), start=11):
        day = today - timedelta(days=days)
        if step is S.DECLINED:
            assert script.reason is not None
            park = today + timedelta(days=script.park_days) if script.park_days else None
            decline_proposal(
                session, proposal, reason=script.reason, note=script.note, park_until=park, by=staff, today=day
            )
        elif step is S.WITHDRAWN:
            withdraw_proposal(session, proposal, note=script.note, by=staff, today=day)
        else:
            advance_proposal(session, proposal, step, by=staff, today=day, note=STEP_NOTES.get(step))
        proposal.events[-1].at = moment(day, min(hour, 17))


def _playable(script: Script, mode: IMLMode) -> bool:
    """Whether the workflow allows the script's steps for this mode (the owner's agreement only where it applies)."""
    current = S.PROPOSED
    for step in script.steps:
        try:
            check_step(current, step, mode)
        except InvalidStep:
            return False
        current = step
    return True


def _pair(
    session: Session,
    rng: random.Random,
    entries: Sequence[StockEntry],
    candidates: list[Household],
    script: Script,
    open_entries: set[int],
    tried: set[tuple[int, int]],
    on: date,
) -> tuple[StockEntry, Household, Decimal | None, dict[str, Any]] | None:
    """A free unit the script can play on and the best-ranked household it fits (the engine's own ranking)."""
    allowed = {household.id for household in candidates}
    for entry in rng.sample(list(entries), len(entries)):
        if entry.id in open_entries or not _playable(script, entry.mode):
            continue
        for candidate in rank_households(session, entry, on).ranked:
            if candidate.household.id in allowed and (candidate.household.id, entry.id) not in tried:
                assert candidate.score is not None
                score = Decimal(str(round(candidate.score.total, 2)))
                return entry, candidate.household, score, candidate.snapshot
    return None
