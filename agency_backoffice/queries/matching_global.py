"""The global proposal: the best set of (unit, household) pairs over an operator's free stock and waiting
households, against one-by-one allocation, with housing benefit from the cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from agency_backoffice.models import Household
from agency_backoffice.queries import matching_data as data
from agency_backoffice.queries.benefits import Dwelling, housing_benefits
from agency_backoffice.queries.matching import household_facts, matching_parameters, stock_facts
from agency_backoffice.rules import assignment, bulk
from capture.models import StockEntry

# Beyond this many feasible pairs, the global proposal estimates housing benefit only for each unit's best
# candidates (scored without it first): OpenFisca takes about 0.1 ms a pair, the cache fills as pages are seen.
BENEFIT_PAIR_LIMIT = 20_000
BENEFIT_TOP_PER_UNIT = 20


@dataclass
class GlobalRow:
    entry: StockEntry
    optimal: Household | None
    optimal_score: float | None
    greedy: Household | None
    greedy_score: float | None

    @property
    def differs(self) -> bool:
        return (self.optimal.id if self.optimal else None) != (self.greedy.id if self.greedy else None)


@dataclass
class GlobalProposal:
    comparison: assignment.Comparison
    rows: list[GlobalRow]
    households: int
    estimated_pairs: int

    @property
    def optimal(self) -> assignment.Assignment:
        return self.comparison.optimal

    @property
    def greedy(self) -> assignment.Assignment:
        return self.comparison.greedy

    @property
    def difference(self) -> float:
        return self.comparison.difference

    @property
    def extra_housed(self) -> int:
        return self.comparison.housed_difference


def global_proposal(session: Session, operator_id: int, on: date) -> GlobalProposal:
    """The best set of pairs over the units and households free of any proposal, against one-by-one."""
    params = matching_parameters(session, operator_id, on)
    opened = data.open_proposals(session, operator_id)
    entries = [e for e in data.available_entries(session, operator_id) if e.id not in opened.by_entry]
    households = [h for h in data.waiting_households(session, operator_id) if h.id not in opened.by_household]
    stock = stock_facts(session, entries, on)
    encoded = bulk.encode([household_facts(h, on) for h in households], stock.facts, on, params)
    feasible = bulk.feasibility(encoded)
    pairs = np.argwhere(feasible)
    if len(pairs) > BENEFIT_PAIR_LIMIT:
        pairs = _best_pairs(bulk.scores(encoded), feasible)
    benefit = np.zeros(feasible.shape, dtype=np.float32)
    estimates = housing_benefits(
        session,
        [
            (households[h], Dwelling(entries[u].unit_id, entries[u].rent, entries[u].unit.commune_insee))
            for u, h in pairs
        ],
        on,
    )
    for u, h in pairs:
        amount = estimates.get((households[h].id, entries[u].unit_id))
        benefit[u, h] = float(amount) if amount is not None else 0.0
    scores = bulk.scores(encoded, benefit)
    comparison = assignment.compare(scores, feasible, list(range(len(entries))))
    optimal = dict(comparison.optimal.pairs)
    greedy = dict(comparison.greedy.pairs)
    rows = [
        GlobalRow(
            entry=entry,
            optimal=households[optimal[u]] if u in optimal else None,
            optimal_score=float(scores[u, optimal[u]]) if u in optimal else None,
            greedy=households[greedy[u]] if u in greedy else None,
            greedy_score=float(scores[u, greedy[u]]) if u in greedy else None,
        )
        for u, entry in enumerate(entries)
    ]
    return GlobalProposal(comparison, rows, len(households), len(pairs))


def _best_pairs(scores: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    """Each unit's best feasible households (scored without housing benefit)."""
    masked = np.where(feasible, scores, -1.0)
    top = np.argsort(-masked, axis=1)[:, :BENEFIT_TOP_PER_UNIT]
    rows = np.repeat(np.arange(scores.shape[0]), top.shape[1])
    cols = top.ravel()
    keep = feasible[rows, cols]
    return np.stack([rows[keep], cols[keep]], axis=1)
