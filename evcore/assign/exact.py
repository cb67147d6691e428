"""The GAP as a MIP on HiGHS: the exact reference every heuristic is measured against."""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

from .._validate import check_gap, check_limits, check_options, check_threads
from ..errors import InfeasibleError, SolverError
from ..progress import progress_reporter
from ..results import make_trace, relative_gap
from ..solvers import Model, SolverOptions, solve
from ._result import GAPResult, gap_result
from .model import GAPInstance, as_gap_instance

__all__ = ["gap_model", "solve_exact", "lp_bound", "prove_feasibility"]


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
    """The LP relaxation's optimum: a valid lower bound on the GAP optimum.

    Raises
    ------
    InfeasibleError
        The relaxation is infeasible, so the GAP is too.
    """
    model, _ = gap_model(instance, relax=True)
    return float(solve(model).objective)


def prove_feasibility(instance: GAPInstance) -> None:
    """Raise :class:`InfeasibleError` when the LP relaxation shows that no assignment fits.

    Used by the heuristics when they found nothing: a proof turns "found nothing" into
    "there is nothing to find". Without a proof it returns quietly (the LP relaxation of a GAP
    can be feasible when the GAP is not). For unit resources (EV instances) the relaxation is
    a b-matching and integral, so the test is exact there.
    """
    demand = float(np.sum(np.min(np.where(instance.allowed, instance.resource, np.inf), axis=0)))
    supply = float(np.sum(instance.capacity))
    if demand > supply * (1 + 1e-12) + 1e-9:
        raise InfeasibleError(f"the {instance.job_label}s need at least {demand:g} units of capacity in all, the "
                              f"{instance.agent_label}s offer {supply:g}")
    try:
        lp_bound(instance)
    except InfeasibleError as exc:
        raise InfeasibleError("no assignment respects the capacities: even the LP relaxation is infeasible",
                              exc.status) from None


def solve_exact(instance: GAPInstance, *, time_limit: float | None = None, max_iterations: int | None = None,
                start=None, mip_rel_gap: float = 1e-9, threads: int | None = None, progress=False) -> GAPResult:
    """Solve the GAP as a MIP with HiGHS.

    Parameters
    ----------
    instance : GAPInstance or EVInstance
    time_limit : float, optional
        Seconds; on expiry the best incumbent comes back with status ``"time_limit"`` and
        HiGHS's bound and gap (objective ``inf`` when HiGHS had no incumbent yet).
    max_iterations : int, optional
        Branch-and-bound nodes at most (HiGHS ``mip_max_nodes``); status ``"iteration_limit"``.
    start : array_like of int, shape (jobs,), optional
        A feasible assignment handed to HiGHS as its first incumbent.
    mip_rel_gap : float
        Relative gap at which HiGHS stops (default 1e-9: prove optimality). The status is
        ``"optimal"`` when the proven gap is within 1e-9, ``"gap_reached"`` when HiGHS stopped
        at a looser ``mip_rel_gap``.
    threads : int, optional
        HiGHS threads.
    progress : bool or callable
        A final progress record (HiGHS runs as one call).

    Raises
    ------
    InfeasibleError
        HiGHS proved that no assignment respects the capacities.
    """
    instance = as_gap_instance(instance)
    time_limit, max_iterations = check_limits(time_limit, max_iterations)
    mip_rel_gap = check_gap(mip_rel_gap, "mip_rel_gap")
    threads = check_threads(threads)
    reporter = progress_reporter(progress, "assign.exact", time_limit=time_limit, max_iterations=max_iterations)
    started = time.perf_counter()
    model, pairs = gap_model(instance)
    start_vector = None
    if start is not None:
        chosen = instance.check_assignment(start)
        start_vector = (pairs[:, 0] == chosen[pairs[:, 1]]).astype(float)
    extra = {} if max_iterations is None else {"mip_max_nodes": int(min(max_iterations, 2**31 - 1))}
    options = SolverOptions(time_limit=time_limit, mip_rel_gap=mip_rel_gap, threads=threads, extra=extra)
    cheapest = np.argmin(np.where(instance.allowed, instance.cost, np.inf), axis=0)
    try:
        result = solve(model, options, start=start_vector)
    except InfeasibleError as exc:
        prove_feasibility(instance)  # a sharper reason when the capacities or the LP already show it
        raise InfeasibleError(f"no assignment of the {instance.job_label}s respects the {instance.agent_label}s' "
                              "capacities (HiGHS proved the MIP infeasible)", exc.status) from None
    except SolverError as exc:
        outcome = getattr(exc, "outcome", None)
        if outcome is None:
            raise
        # A limit hit before HiGHS found any assignment: report it, with nothing found.
        wall = time.perf_counter() - started
        reporter.report(0, final=True, message=f"{outcome}: no assignment found")
        return gap_result(instance, cheapest, method="exact", status=_LIMIT_STATUS.get(outcome, "time_limit"),
                          wall_time=wall, trace=make_trace(_TRACE_COLUMNS, [(0, wall, math.inf)]))
    chosen = result.x > 0.5
    assignment = np.empty(instance.jobs, dtype=np.int64)
    assignment[pairs[chosen, 1]] = pairs[chosen, 0]
    bound = float(result.mip_bound)
    wall = time.perf_counter() - started
    status = "optimal" if result.status == "optimal" else _LIMIT_STATUS.get(result.status, "time_limit")
    if status == "optimal" and relative_gap(float(result.objective), bound) > OPTIMALITY_GAP:
        status = "gap_reached"  # HiGHS stopped at the caller's looser mip_rel_gap
    nodes = int(result.iterations["mip_nodes"])
    out = gap_result(instance, assignment, method="exact", status=status, bound=bound, iterations=nodes,
                     wall_time=wall, trace=make_trace(_TRACE_COLUMNS, [(nodes, wall, float(result.objective))]))
    reporter.report(nodes, objective=out.objective, bound=out.bound, gap=out.gap, final=True, message=status)
    return out


#: Relative gap within which an answer counts as optimal (and the default mip_rel_gap).
OPTIMALITY_GAP = 1e-9
#: HiGHS's limit outcomes as contract statuses.
_LIMIT_STATUS = {"time_limit": "time_limit", "iteration_limit": "iteration_limit",
                 "solution_limit": "iteration_limit", "interrupted": "time_limit"}
_TRACE_COLUMNS = ("iteration", "seconds", "objective")


def _solve_exact_method(instance, *, time_limit=None, max_iterations=None, seed=None, progress=False,
                        **options) -> GAPResult:
    """Adapter for :func:`evcore.assign.solve` (the seed is not used: HiGHS is deterministic)."""
    check_options("exact", options, ("start", "mip_rel_gap", "threads"))
    return solve_exact(instance, time_limit=time_limit, max_iterations=max_iterations, progress=progress, **options)
