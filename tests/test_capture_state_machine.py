"""The capture state machine: every allowed and every forbidden transition."""

from __future__ import annotations

from datetime import date

import pytest

from capture.models import CaptureStage as S
from capture.rules import CaseState, InvalidTransition, advance

TODAY = date(2026, 11, 22)
LATER = date(2027, 1, 15)

# Written out by hand from the process (issue 4): forward along the pipeline, one step back, lost and
# paused from any open stage, signed only from « proposition envoyée », nothing from a closed case.
ALLOWED = {
    S.NEW: {S.CONTACTED, S.VISIT_PLANNED, S.LOST, S.PAUSED},
    S.CONTACTED: {S.VISIT_PLANNED, S.LOST, S.PAUSED},
    S.VISIT_PLANNED: {S.VISITED, S.CONTACTED, S.LOST, S.PAUSED},
    S.VISITED: {S.PROPOSAL_SENT, S.VISIT_PLANNED, S.LOST, S.PAUSED},
    S.PROPOSAL_SENT: {S.SIGNED, S.VISITED, S.LOST, S.PAUSED},
    S.SIGNED: set(),
    S.LOST: set(),
}


def _move(state: CaseState, to: S) -> CaseState:
    return advance(state, to, today=TODAY, lost_reason="rent_level", paused_until=LATER)


@pytest.mark.parametrize("origin", list(ALLOWED))
@pytest.mark.parametrize("target", list(S))
def test_every_transition(origin: S, target: S) -> None:
    state = CaseState(stage=origin)
    if target in ALLOWED[origin]:
        assert _move(state, target).stage is target
    else:
        with pytest.raises(InvalidTransition):
            _move(state, target)


@pytest.mark.parametrize("before", [S.NEW, S.CONTACTED, S.VISIT_PLANNED, S.VISITED, S.PROPOSAL_SENT])
@pytest.mark.parametrize("target", list(S))
def test_a_paused_case_resumes_where_it_was_or_is_lost(before: S, target: S) -> None:
    paused = _move(CaseState(stage=before), S.PAUSED)
    assert paused.stage_before_pause is before and paused.paused_until == LATER
    if target in {before, S.LOST}:
        assert _move(paused, target).stage is target
    else:
        with pytest.raises(InvalidTransition):
            _move(paused, target)


def test_lost_needs_a_reason_from_the_list() -> None:
    with pytest.raises(InvalidTransition, match="pourquoi"):
        advance(CaseState(stage=S.NEW), S.LOST, today=TODAY)
    with pytest.raises(InvalidTransition):
        advance(CaseState(stage=S.NEW), S.LOST, today=TODAY, lost_reason="n'importe quoi")
    assert advance(CaseState(stage=S.NEW), S.LOST, today=TODAY, lost_reason="prefers_to_sell").lost_reason == (
        "prefers_to_sell"
    )


def test_pause_needs_a_future_date() -> None:
    for until in (None, TODAY, date(2026, 1, 1)):
        with pytest.raises(InvalidTransition, match="jusqu'à quand"):
            advance(CaseState(stage=S.CONTACTED), S.PAUSED, today=TODAY, paused_until=until)


def test_signing_is_explained_when_refused() -> None:
    with pytest.raises(InvalidTransition, match="Proposition envoyée"):
        advance(CaseState(stage=S.VISITED), S.SIGNED, today=TODAY)
