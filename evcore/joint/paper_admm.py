"""The seed paper's location-wise ADMM (Algorithm 1, eqs. (9)-(15)), faithfully, in closed form.

Each location i holds its capacity ``c_i`` and its outgoing flows; the centre holds the auxiliary
``c^_i`` and multipliers ``lambda_i`` of ``c^_i - c_i = 0``. One iteration:

1. Location sub-problems (11), in parallel: minimise ``f_i(z_i, c_i) - lambda_i c_i + rho/2 (c^_i -
   c_i)^2`` subject to (1)-(7) with the *inflows frozen* at the previous iteration's flows. For a
   fixed ``c_i`` the cheapest way to meet (4) sheds ``max(0, beta (a_ti + in_ti) - c_i)`` along the
   cheapest arc of i, so the sub-problem is a one-dimensional piecewise-quadratic minimisation
   (``_kernels.shed_capacity_minimum``), bounded below by ``beta max_t in_ti`` (shedding at most
   ``a_ti``) and above by ``min(Cmax_i, B / k_i)``.
2. Transform (line 8): the new flows become the inflows seen by the master and the next iteration.
3. Master (12): ``min sum lambda_i (c^_i - c_i) + rho/2 (c^_i - c_i)^2`` s.t. (4) with the flows
   fixed, i.e. the projection ``c^_i = max(beta max_t load_ti, c_i - lambda_i / rho)``.
4. Multipliers (13): ``lambda_i += rho (c^_i - c_i)``.
5. Errors: primal (14) ``sum_i |c^_i - c_i|`` and dual (15) ``rho sum_i |c^_i[k] - c^_i[k-1]|``
   (Boyd et al.'s dual residual; the seed's typeset (15) is ambiguous), both in kW.

Because inflows are frozen, this is not a convergent ADMM for the joint LP: the plan (c^, z) it
returns is feasible (c^ covers every load) but not optimal; its gap to the central optimum is
what it is (the paper reports 0.45%). ``lower_bound`` is the Lagrangian bound of the prices its
location problems imply, valid but usually loose.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from .._compiled import ensure_compiled
from .._validate import as_scalar, check_limits
from ..errors import InputError, SolverError
from ..progress import progress_reporter
from ..results import TraceRecorder
from . import _kernels
from ._result import JointResult, make_result

__all__ = ["solve_paper_admm", "PAPER_RHO", "PAPER_THRESHOLD", "DEFAULT_MAX_ITERATIONS"]

logger = logging.getLogger(__name__)

#: §5.2.1: penalty and convergence threshold.
PAPER_RHO = 0.1
PAPER_THRESHOLD = 1e-4
#: ``k_max`` when the caller sets none.
DEFAULT_MAX_ITERATIONS = 200


def _positive(field, value, *, allow_zero=False):
    value = as_scalar(field, value)
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise InputError(field, f"must be a finite number {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return float(value)


def solve_paper_admm(instance, *, rho=PAPER_RHO, threshold=PAPER_THRESHOLD, max_iterations=None, time_limit=None,
                     progress=False) -> JointResult:
    """Run Algorithm 1 of the seed paper.

    Parameters
    ----------
    rho : float
        Penalty ``rho`` (> 0; 0.1 in §5.2.1).
    threshold : float
        Stop when both errors (14), (15) are at most this (kW, >= 0).
    max_iterations : int, optional
        ``k_max`` (default 200).
    time_limit : float, optional
        Seconds (> 0).
    progress : bool or callable
        See :mod:`evcore.progress`: iteration, errors, plan cost and bound.

    Returns
    -------
    JointResult
        Status ``"feasible"`` when the residual test (14)-(15) passes (it proves nothing about
        optimality: ``gap`` is what the Lagrangian bound of its prices certifies),
        ``"iteration_limit"`` or ``"time_limit"``, ``"infeasible"`` when the plan breaks the budget.
        Without any arc within range (``range_km = 0``, one zone) the plan is the no-assignment
        plan, proven ``"optimal"``. ``trace`` columns: ``iteration``, ``seconds``,
        ``primal_error_kw``, ``dual_error_kw``.

    Reference: seed 000, §4, Algorithm 1, eqs. (9)-(15).
    """
    from ._lp import check_budget, check_instance
    from .splitting import SplittingProblem

    check_instance(instance)
    rho = _positive("rho", rho)
    threshold = _positive("threshold", threshold, allow_zero=True)
    time_limit, max_iterations = check_limits(time_limit, max_iterations)
    max_iterations = DEFAULT_MAX_ITERATIONS if max_iterations is None else max_iterations
    reporter = progress_reporter(progress, "joint.paper-admm", time_limit=time_limit, max_iterations=max_iterations)
    ensure_compiled(_kernels)
    check_budget(instance)
    started = time.perf_counter()
    zones, slots = instance.zones, instance.slots
    pairs = instance.pairs
    beta = instance.power_per_ev_kw
    trace = TraceRecorder(("iteration", "seconds", "primal_error_kw", "dual_error_kw"))
    if pairs.count == 0:  # nothing to assign: every EV charges where it is, which is optimal
        from .model import no_assignment_plan

        capacity = no_assignment_plan(instance)
        out = make_result(instance, capacity, np.zeros((slots, 0)), lower_bound=float(instance.cost_per_kw @ capacity),
                          status="optimal", iterations=0, method="paper-admm",
                          wall_time=time.perf_counter() - started, trace=trace.array(),
                          info=dict(rho=rho, threshold=threshold, note="no arc within range_km"))
        reporter.report(0, objective=out.objective, bound=out.bound, gap=out.gap, final=True)
        return out
    problem = SplittingProblem.from_instance(instance)
    # Cheapest arc of each location (ties: the first) and its cost per kW shed.
    cheapest_arc = np.full(zones, -1, dtype=np.int64)
    cheapest_cost = np.zeros(zones)
    for i in range(zones):
        start, stop = pairs.out_start[i], pairs.out_start[i + 1]
        if stop > start:
            arc = start + int(np.argmin(pairs.cost_per_ev[start:stop]))
            cheapest_arc[i] = arc
            cheapest_cost[i] = pairs.cost_per_ev[arc] / beta
    has_arc = cheapest_arc >= 0
    upper = np.minimum(instance.max_capacity_kw, instance.budget / instance.cost_per_kw)
    demand = problem.demand_kw
    arc_dest = np.where(has_arc, pairs.destination[np.maximum(cheapest_arc, 0)], 0)
    arc_delay = np.where(has_arc, pairs.delay_slots[np.maximum(cheapest_arc, 0)], 0)

    def inflow_of(shed):
        inflow = np.zeros((slots, zones))
        senders = np.flatnonzero(has_arc)
        for i in senders:  # one arc per location: a short loop over locations
            inflow[:, arc_dest[i]] += np.roll(shed[:, i], arc_delay[i])
        return inflow

    capacity_aux = demand.max(axis=0).copy()      # c^ (the R = 0 plan)
    multiplier = np.zeros(zones)
    inflow = np.zeros((slots, zones))
    capacity = np.zeros(zones)
    shed = np.zeros((slots, zones))
    status = "iteration_limit"
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        _kernels.paper_location_step(capacity_aux, multiplier, inflow, demand, problem.cost_per_kw,
                                     problem.recurrences, cheapest_cost, has_arc, upper, rho, capacity, shed)
        inflow = inflow_of(shed)
        load = demand - shed + inflow
        previous_aux = capacity_aux
        capacity_aux = np.maximum(load.max(axis=0), capacity - multiplier / rho)
        multiplier = multiplier + rho * (capacity_aux - capacity)
        primal = float(np.abs(capacity_aux - capacity).sum())
        dual = float(rho * np.abs(capacity_aux - previous_aux).sum())
        seconds = time.perf_counter() - started
        trace.append(iteration=iterations, seconds=seconds, primal_error_kw=primal, dual_error_kw=dual)
        reporter.report(iterations, message=f"primal error {primal:.3e} kW, dual error {dual:.3e} kW")
        if not (math.isfinite(primal) and math.isfinite(dual)):
            raise SolverError("the paper's ADMM diverged at iteration %d (use method 'admm' or 'highs')" % iterations,
                              "non-finite residuals")
        if primal <= threshold and dual <= threshold:
            status = "feasible"  # the paper's residual test: a feasible plan, no proof of optimality
            break
        if time_limit is not None and seconds >= time_limit:
            status = "time_limit"
            break
    flows = np.zeros((slots, pairs.count))
    senders = np.flatnonzero(has_arc)
    flows[:, cheapest_arc[senders]] = shed[:, senders] / beta
    # Prices implied by the location problems: shedding is active where the load exceeds c.
    active = (demand + inflow - capacity[None, :]) > 1e-9
    price = np.where(active, problem.recurrences[:, None] * cheapest_cost[None, :], 0.0)
    lower = problem.bound(price)
    if float(instance.cost_per_kw @ capacity_aux) > instance.budget * (1 + 1e-9):
        status = "infeasible"
    out = make_result(instance, capacity_aux, flows, lower_bound=lower, status=status, iterations=iterations,
                      method="paper-admm", wall_time=time.perf_counter() - started, trace=trace.array(),
                      info=dict(rho=rho, threshold=threshold, residual_test_passed=status == "feasible",
                                subproblem_capacity_kw=capacity, multiplier=multiplier))
    logger.info("joint paper-admm: %s", out.summary_text())
    reporter.report(out.iterations, objective=out.objective, bound=out.bound, gap=out.gap, message=out.status,
                    final=True)
    return out
