"""The GAP as a MIP on HiGHS: the exact reference every heuristic is measured against."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from ..solvers import Model, SolverOptions, solve
from .model import GAPInstance
from ._result import GAPResult

__all__ = ["gap_model", "solve_exact", "lp_bound"]


def gap_model(instance: GAPInstance, *, relax: bool = False) -> tuple[Model, np.ndarray]:
    """The GAP as a HiGHS model over the allowed pairs only.

    Variables ``x_p`` for each allowed pair ``p = (i, j)`` (row-major order of
    ``instance.allowed``); rows: one assignment equality per job, then one capacity row per
    agent. Built in bulk (no Python loop over pairs).

    Returns
    -------
    model : Model
    pairs : numpy.ndarray, shape (P, 2)
        (agent, job) of each variable.
    """
    agents, jobs = instance.agents, instance.jobs
    agent_of, job_of = np.nonzero(instance.allowed)
    pairs = np.column_stack([agent_of, job_of])
    columns = np.arange(agent_of.size)
    assign_rows = sp.csr_array((np.ones(columns.size), (job_of, columns)), shape=(jobs, columns.size))
    capacity_rows = sp.csr_array((instance.resource[agent_of, job_of], (agent_of, columns)),
                                 shape=(agents, columns.size))
    matrix = sp.vstack([assign_rows, capacity_rows], format="csr")
    row_lower = np.concatenate([np.ones(jobs), np.full(agents, -np.inf)])
    row_upper = np.concatenate([np.ones(jobs), instance.capacity])
    model = Model(objective=instance.cost[agent_of, job_of], constraint_matrix=matrix, row_lower=row_lower,
                  row_upper=row_upper, col_lower=np.zeros(columns.size), col_upper=np.ones(columns.size),
                  integrality=None if relax else np.ones(columns.size, dtype=bool))
    return model, pairs


def lp_bound(instance: GAPInstance) -> float:
    """The LP relaxation's optimum: a valid lower bound on the GAP optimum."""
    model, _ = gap_model(instance, relax=True)
    return float(solve(model).objective)


def solve_exact(instance: GAPInstance, *, time_limit: float | None = None, start=None, mip_rel_gap: float = 1e-9,
                threads: int | None = None, progress: bool = False) -> GAPResult:
    """Solve the GAP as a MIP with HiGHS.

    Parameters
    ----------
    instance : GAPInstance
    time_limit : float, optional
        Seconds; on expiry the best incumbent comes back with status ``"time_limit"`` and
        HiGHS's bound and gap.
    start : array_like of int, shape (jobs,), optional
        A feasible assignment handed to HiGHS as its first incumbent.
    mip_rel_gap : float
        Relative gap at which HiGHS stops (default 1e-9: prove optimality).

    Raises
    ------
    InfeasibleError
        HiGHS proved that no assignment respects the capacities.
    SolverError
        A limit was reached before any feasible assignment was found.
    """
    started = time.perf_counter()
    model, pairs = gap_model(instance)
    start_vector = None
    if start is not None:
        chosen = instance.check_assignment(start)
        start_vector = (pairs[:, 0] == chosen[pairs[:, 1]]).astype(float)
    options = SolverOptions(time_limit=time_limit, mip_rel_gap=mip_rel_gap, threads=threads)
    result = solve(model, options, start=start_vector, progress=progress)
    chosen = result.x > 0.5
    assignment = np.empty(instance.jobs, dtype=np.int64)
    assignment[pairs[chosen, 1]] = pairs[chosen, 0]
    objective, _ = instance.evaluate(assignment)
    feasible = instance.is_feasible(assignment)
    bound = float(result.mip_bound)
    wall = time.perf_counter() - started
    gap = max(objective - bound, 0.0) / max(abs(objective), 1e-9)
    status = "optimal" if result.status == "optimal" else result.status
    return GAPResult(objective=objective, assignment=assignment, feasible=feasible, method="exact", status=status,
                     bound=bound, gap=gap, wall_time=wall, iterations=int(result.iterations["mip_nodes"]),
                     trace=np.array([[wall, objective]]), seed=None)


def _solve_exact_method(instance: GAPInstance, *, time_limit=None, seed=None, progress=False, **options) -> GAPResult:
    """Adapter for :func:`evcore.assign.solve_gap` (the seed is not used: HiGHS is deterministic)."""
    return solve_exact(instance, time_limit=time_limit, progress=progress, **options)
