"""Eq. (1) of seed 002: census-block charging demand as a small MILP (HiGHS through :mod:`evcore.solvers`).

``max sum_b (weight * demand_score_b + (1 - weight) * equity_score_b) * ports_b`` subject to
``0 <= ports_b <= capacity_b`` (1b), ``sum_b ports_b = total`` (1c), ``ports_b`` integer. The seed's
Seattle run uses ``weight = 0.85`` and ``total = 3,085`` (five ports per 1,000 households). Its output for
the study feeders is published as the candidate files' ``CensusBlockDemand``, which
:class:`~evcore.grid.PlacementInstance` uses by default (eq. 2: the feeder's demand is the sum over its
blocks).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..._validate import as_array, as_scalar, check_in_range, check_integer, check_nonnegative
from ...errors import InfeasibleError, InputError
from ...results import Result, make_trace
from ...solvers import Model, SolverOptions, solve

__all__ = ["census_demand", "CensusDemandResult"]


@dataclass(frozen=True, eq=False, kw_only=True)
class CensusDemandResult(Result):
    """Charging ports per census block (eq. 1).

    Attributes
    ----------
    block_ids : tuple of str, shape (B,)
    ports : int array, shape (B,)
        Ports allocated to each block.
    score : array, shape (B,)
        ``weight * demand_score + (1 - weight) * equity_score``.
    """

    sense = "max"
    block_ids: tuple = ()
    ports: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def _frames(self):
        return {"blocks": lambda: {"block_id": list(self.block_ids), "ports": self.ports, "score": self.score}}

    def demand_of(self, blocks) -> int:
        """Eq. (2): the sum of the ports of the given blocks (ids)."""
        lookup = dict(zip(self.block_ids, self.ports))
        total = 0
        for i, b in enumerate(blocks):
            if b not in lookup:
                raise InputError("blocks", f"unknown census block {b!r}", i)
            total += int(lookup[b])
        return total


def census_demand(demand_score, equity_score, capacity, total, *, weight=0.85, block_ids=None) -> CensusDemandResult:
    """Solve eq. (1): ports per census block.

    Parameters
    ----------
    demand_score, equity_score : arrays, shape (B,)
        Near-term demand and equity-need scores of every block (normalised, dimensionless, finite).
    capacity : int array, shape (B,)
        Most ports a block can take (1b), >= 0.
    total : int
        Ports to place city-wide (1c).
    weight : float
        Weight of the demand score, in [0, 1] (seed: 0.85).
    block_ids : sequence of str, optional

    Raises
    ------
    InfeasibleError
        ``total`` exceeds the summed capacities.
    """
    d = as_array("demand_score", demand_score, float, ndim=1)
    B = d.shape[0]
    if B == 0:
        raise InputError("demand_score", "needs at least one census block")
    e = as_array("equity_score", equity_score, float, ndim=1, shape=(B,))
    for name, arr in (("demand_score", d), ("equity_score", e)):
        if not np.isfinite(arr).all():
            i = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise InputError(name, f"must be finite, got {arr[i]!r}", i)
    cap = check_integer("capacity", as_array("capacity", capacity, float, ndim=1, shape=(B,)), minimum=0)
    total = as_scalar("total", total, int)
    if total < 0:
        raise InputError("total", f"must be >= 0, got {total}")
    weight = as_scalar("weight", weight, float)
    check_in_range("weight", np.asarray(weight), 0.0, 1.0)
    ids = tuple(str(i) for i in range(B)) if block_ids is None else tuple(str(b) for b in block_ids)
    if len(ids) != B:
        raise InputError("block_ids", f"needs {B} entries, got {len(ids)}")
    if cap.sum() < total:
        raise InfeasibleError(f"{total} ports do not fit in the blocks' capacities (sum {int(cap.sum())}) (eq. 1b-1c)")
    started = time.perf_counter()
    score = weight * d + (1.0 - weight) * e
    model = Model(objective=score, constraint_matrix=np.ones((1, B)), row_lower=[float(total)],
                  row_upper=[float(total)], col_lower=np.zeros(B), col_upper=cap.astype(float),
                  integrality=np.ones(B, dtype=bool), sense="max")
    res = solve(model, SolverOptions(mip_rel_gap=0.0))
    ports = np.round(res.x).astype(np.int64)
    check_nonnegative("ports", ports.astype(float))
    wall = time.perf_counter() - started
    objective = float(score @ ports)
    bound = float(res.mip_bound) if res.mip_bound is not None else objective
    return CensusDemandResult(status="optimal" if res.status == "optimal" else "feasible", objective=objective,
                              bound=max(bound, objective), gap=0.0 if res.status == "optimal" else None,
                              iterations=int(res.iterations.get("mip_nodes", 0)), wall_time=wall,
                              trace=make_trace(("seconds", "objective"), [(wall, objective)]), method="highs",
                              block_ids=ids, ports=ports, score=score)
