"""The proposal workflow in one place: which step may follow which, and who must agree for which mode.

proposed → visit → household accepts → owner accepts → ready for lease. Under a management mandate the owner
is the household's landlord and chooses their tenant; under a bail glissant the owner becomes the household's
landlord at the slide, so they agree too. Under a plain sous-location the association is the landlord: once the
household accepts, the unit is ready for the sub-lease. A proposal can be declined (with a reason) or
withdrawn at any open step.
"""

from __future__ import annotations

from agency_backoffice.models.enums import ProposalStatus
from capture.models.enums import IMLMode

S = ProposalStatus

_FORWARD: dict[ProposalStatus, tuple[ProposalStatus, ...]] = {
    S.PROPOSED: (S.VISIT, S.HOUSEHOLD_ACCEPTED),
    S.VISIT: (S.HOUSEHOLD_ACCEPTED,),
    S.HOUSEHOLD_ACCEPTED: (S.OWNER_ACCEPTED, S.READY_FOR_LEASE),
    S.OWNER_ACCEPTED: (S.READY_FOR_LEASE,),
    S.READY_FOR_LEASE: (),
}


class InvalidStep(ValueError):
    """A step that does not follow from the current one, in French."""


def owner_must_accept(mode: IMLMode) -> bool:
    return mode is not IMLMode.SUBLEASE


def next_steps(current: ProposalStatus, mode: IMLMode) -> tuple[ProposalStatus, ...]:
    """Forward steps staff may record now (declining and withdrawing are always possible while open)."""
    if not current.is_open:
        return ()
    steps = _FORWARD[current]
    if current is S.HOUSEHOLD_ACCEPTED:
        steps = (S.OWNER_ACCEPTED,) if owner_must_accept(mode) else (S.READY_FOR_LEASE,)
    return steps


def check_step(current: ProposalStatus, target: ProposalStatus, mode: IMLMode) -> None:
    if not current.is_open:
        raise InvalidStep(f"Cette proposition est close ({current.label.lower()}).")
    if target in (S.DECLINED, S.WITHDRAWN):
        return
    if target not in next_steps(current, mode):
        allowed = ", ".join(step.label.lower() for step in next_steps(current, mode)) or "aucune"
        raise InvalidStep(
            f"Étape impossible : « {target.label} » ne peut pas suivre « {current.label} » "
            f"({mode.label.lower()}). Étapes possibles : {allowed}."
        )


STEP_ACTIONS = {
    S.VISIT: "Visite organisée",
    S.HOUSEHOLD_ACCEPTED: "Le ménage accepte",
    S.OWNER_ACCEPTED: "Le propriétaire accepte",
    S.READY_FOR_LEASE: "Prêt pour le bail",
}
