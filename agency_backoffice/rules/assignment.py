"""Global proposal for the operator's stock: the pairs that maximise the total score, against greedy allocation.

Matrices are [units × households]: ``scores`` (the score of each pair, never negative) and ``feasible`` (True
where no hard constraint fails). Only feasible pairs are ever returned. The total is maximised, not the number
of households housed: ``Comparison`` shows both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import min_weight_full_bipartite_matching


@dataclass(frozen=True)
class Assignment:
    pairs: list[tuple[int, int]]  # (unit index, household index)
    total: float

    @property
    def housed(self) -> int:
        return len(self.pairs)


@dataclass(frozen=True)
class Comparison:
    optimal: Assignment
    greedy: Assignment

    @property
    def difference(self) -> float:
        """Points the global proposal gains over one-by-one allocation (never negative)."""
        return self.optimal.total - self.greedy.total

    @property
    def housed_difference(self) -> int:
        return self.optimal.housed - self.greedy.housed


DENSE_LIMIT = 250_000  # pairs; above it the sparse solver on pruned candidates is much faster
FIRST_CANDIDATES = 256  # households per unit in the first sparse attempt
BLOCK = 64  # units per block while pruning: temporaries stay in cache


def optimal_assignment(
    scores: npt.NDArray[np.floating],
    feasible: npt.NDArray[np.bool_],
    *,
    method: str = "auto",
    candidates: int = FIRST_CANDIDATES,
) -> Assignment:
    """Feasible pairs, each unit and household at most once, with the largest total score.

    A unit left without a feasible household is left out. ``method``: "dense" solves with
    ``scipy.optimize.linear_sum_assignment``, infeasible pairs weighing nothing; "sparse" solves with
    LAPJVsp (``scipy.sparse.csgraph.min_weight_full_bipartite_matching``) on each unit's best candidates
    only (``candidates`` per unit at first); "auto" picks dense for small problems. Both are exact (tests
    hold them to brute force).
    Feasible pairs scoring zero are added afterwards where both sides are still free (no total changes).
    """
    if scores.shape != feasible.shape:
        raise ValueError("scores and feasible must have the same shape")
    if scores.size and float(scores.min()) < 0:
        raise ValueError("scores must not be negative")
    rows = np.flatnonzero(feasible.any(axis=1))
    cols = np.flatnonzero(feasible.any(axis=0))
    pairs: list[tuple[int, int]] = []
    if rows.size and cols.size:
        if method == "auto":
            method = "dense" if rows.size * cols.size <= DENSE_LIMIT else "sparse"
        if method == "dense":
            sub_r, sub_c = _dense(scores[np.ix_(rows, cols)], feasible[np.ix_(rows, cols)])
            sub_r, sub_c = rows[sub_r], cols[sub_c]
        else:
            sub_r, sub_c = _sparse(scores, feasible, rows, candidates)
        pairs = [(int(u), int(h)) for u, h in zip(sub_r, sub_c, strict=True)]
    pairs = _fill(scores, feasible, pairs)
    return Assignment(sorted(pairs), _total(scores, pairs))


def _dense(
    scores: npt.NDArray[np.floating], feasible: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    weights = np.where(feasible, scores, 0).astype(np.float64)
    picked_r, picked_c = linear_sum_assignment(weights, maximize=True)
    keep = feasible[picked_r, picked_c]
    return picked_r[keep], picked_c[keep]


def _sparse(
    scores: npt.NDArray[np.floating], feasible: npt.NDArray[np.bool_], rows: npt.NDArray[np.intp], candidates: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Solve with LAPJVsp on each unit's best candidates, certified optimal, widening the candidates if not.

    Each unit (of ``rows``) gets its best k feasible households and a private column worth its best household
    left out (0 if none): the best total of that problem is at least the true optimum, since any matching maps
    into it. So if no unit takes a private column worth more than 0, the answer is optimal. Otherwise k
    doubles; at k = number of units the pruning alone is exact — if a unit were matched outside its best k,
    one of those would be free and at least as good — and the private columns are worth 0.
    """
    n_cols = scores.shape[1]
    exact = min(rows.size, n_cols)
    k = max(1, min(candidates, exact))
    while True:
        graph, private_value = _candidate_graph(scores, feasible, rows, k, exact=k >= exact)
        # Units with the best candidates first: LAPJVsp then augments along shorter paths (measured).
        order = np.argsort(np.minimum.reduceat(graph.data, graph.indptr[:-1]), kind="stable")
        picked, picked_c = min_weight_full_bipartite_matching(graph[order])
        picked_r = order[picked]
        private = picked_c >= n_cols
        if k >= exact or not (private_value[picked_r[private]] > 0).any():
            return rows[picked_r[~private]], picked_c[~private]
        k = min(2 * k, exact)


def _candidate_graph(
    scores: npt.NDArray[np.floating],
    feasible: npt.NDArray[np.bool_],
    rows: npt.NDArray[np.intp],
    k: int,
    *,
    exact: bool,
) -> tuple[sparse.csr_array, npt.NDArray[np.float32]]:
    """Costs of each unit's best k households (ties kept) and of its private column, in CSR form."""
    n_rows, n_cols = rows.size, scores.shape[1]
    private_value = np.zeros(n_rows, dtype=np.float32)
    edge_rows, edge_cols, edge_values = [], [], []
    for start in range(0, n_rows, BLOCK):
        block = rows[start : start + BLOCK]
        weights = np.where(feasible[block], scores[block], np.float32(-1)).astype(np.float32, copy=False)
        threshold = np.zeros(block.size, dtype=np.float32)  # 0 keeps every feasible household (scores ≥ 0)
        for i in np.flatnonzero(np.count_nonzero(feasible[block], axis=1) > k):
            candidates = weights[i][feasible[block[i]]]
            size = candidates.size
            part = np.partition(candidates, (size - k - 1, size - k))
            threshold[i] = part[size - k]
            if not exact:
                # The best household left out: the (k+1)-th, or the best below a tie at the k-th.
                best = part[size - k - 1]
                if best >= threshold[i]:
                    lower = part[: size - k]
                    best = lower[lower < threshold[i]].max(initial=0)
                private_value[start + i] = max(best, 0)
        r, c = np.nonzero(weights >= threshold[:, None])
        edge_rows.append(r + start)
        edge_cols.append(c)
        edge_values.append(weights[r, c])
    row_of = np.concatenate(edge_rows)
    values = np.concatenate(edge_values).astype(np.float64)
    # CSR by hand (edges come row by row): each row's candidates, then its private column at n_cols + row.
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_of, minlength=n_rows) + 1, out=indptr[1:])
    last = indptr[1:] - 1
    is_edge = np.ones(indptr[-1], dtype=bool)
    is_edge[last] = False
    # Costs must be non-zero: cost = top + 1 − value.
    top = float(max(values.max(initial=0.0), private_value.max(initial=0.0))) + 1.0
    indices = np.empty(indptr[-1], dtype=np.int64)
    data = np.empty(indptr[-1], dtype=np.float64)
    indices[is_edge], data[is_edge] = np.concatenate(edge_cols), top - values
    indices[last], data[last] = n_cols + np.arange(n_rows), top - private_value.astype(np.float64)
    return sparse.csr_array((data, indices, indptr), shape=(n_rows, n_cols + n_rows)), private_value


def _total(scores: npt.NDArray[np.floating], pairs: Sequence[tuple[int, int]]) -> float:
    return float(sum(float(scores[u, h]) for u, h in pairs))


def _fill(
    scores: npt.NDArray[np.floating], feasible: npt.NDArray[np.bool_], pairs: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Add feasible pairs between units and households both left free (zero-score pairs the solver ignored)."""
    used_units = {u for u, _ in pairs}
    free_households = np.ones(feasible.shape[1], dtype=bool)
    free_households[[h for _, h in pairs]] = False
    for unit in range(feasible.shape[0]):
        if unit in used_units:
            continue
        candidates = np.flatnonzero(feasible[unit] & free_households)
        if candidates.size:
            best = int(candidates[np.argmax(scores[unit, candidates])])
            pairs.append((unit, best))
            free_households[best] = False
    return pairs


def greedy_assignment(
    scores: npt.NDArray[np.floating], feasible: npt.NDArray[np.bool_], unit_order: Sequence[int]
) -> Assignment:
    """One unit at a time in the given order (e.g. by availability date), each taking the best free household."""
    free = np.ones(feasible.shape[1], dtype=bool)
    pairs: list[tuple[int, int]] = []
    for unit in unit_order:
        candidates = np.flatnonzero(feasible[unit] & free)
        if candidates.size:
            best = int(candidates[np.argmax(scores[unit, candidates])])
            pairs.append((int(unit), best))
            free[best] = False
    return Assignment(pairs, _total(scores, pairs))


def compare(scores: npt.NDArray[np.floating], feasible: npt.NDArray[np.bool_], unit_order: Sequence[int]) -> Comparison:
    """The global proposal and what one-by-one allocation in ``unit_order`` would give."""
    return Comparison(optimal_assignment(scores, feasible), greedy_assignment(scores, feasible, unit_order))
