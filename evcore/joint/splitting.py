"""evcore's convergent decomposition of the joint LP: a restarted, diagonally preconditioned
primal-dual splitting (linearised ADMM / PDHG) with a certified optimality gap.

The capacity rows (4) are the only coupling between locations and slots. Each is priced by a
multiplier ``mu[t, i] >= 0`` (currency per kW) held by location i. The capacities are eliminated: for
flows z the cheapest capacities are the peak loads, and the capacity part of the problem,
``min over c in C of sum_i c_i k_i`` with ``C = {max_t load_ti <= c_i <= Cmax_i, k c <= B}``, enters
through its conjugate. One iteration is

1. flows (per slot and origin, in parallel): ``z <- P(z - tau (E_t L / beta - mu_origin +
   mu_destination))``, a projection onto the capped simplex {z >= 0, sum_j z_ij <= a_ti} (3);
2. prices (per location, in parallel): ``mu_i <- max(mu_i + sigma_i load_i(2 z' - z) - sigma_i c_i, 0)``
   where ``c_i`` is the capacity location i buys at those prices: the shift that brings
   ``sum_t mu_ti`` down to ``k_i (1 + lam)``, at most ``Cmax_i`` (caps), with ``lam >= 0`` the budget's
   multiplier (0 unless the budget binds). Without caps and budget this is the projection of each
   location's week of prices onto {mu >= 0, sum_t mu_t <= k_i}.

This is PDHG (Chambolle-Pock) on ``min_z f(z) + h(K z)``, which converges for any LP with the
Pock-Chambolle diagonal steps (tau = 1/2 per flow, sigma_i = 1 / degree_i per location, scaled by the
operator's norm). PDLP's adaptive restarts, primal-weight balancing and (in-process, one block) its
adaptive step rule make it fast in practice. Flow blocks that would stay at zero are skipped exactly
(:mod:`evcore.joint._splitting_kernels`); location blocks are the unit the Ray backend distributes.
The iterates aim at caps and budget shrunk by a small margin (``feasibility_margin``), so that plans
made from them respect the true ones before full convergence.

Certificate. For any ``mu >= 0`` the Lagrangian dual function q(mu) is a closed form (the cheapest
option of every EV, priced by mu, plus a continuous knapsack in c), so ``q(mu)`` is a valid lower
bound on the optimum. A plan from the flows with ``c_i = max(0, max_t load_ti)`` meets (4) exactly; when
it respects the caps and the budget its cost is an upper bound. Near the target
(:func:`evcore.joint._driver.certify`) both sides are sharpened: exact per-location dual ascent on q,
and the latest plan's capacities with every slot's flows solved exactly. The run stops when
(upper - lower) / upper <= gap. The one driver for every backend is :mod:`evcore.joint._driver`.
"""

from __future__ import annotations

import time

import numpy as np

from .._compiled import ensure_compiled
from .._threads import kernel_threads
from .._validate import as_scalar, check_flag, check_gap, check_limits, check_threads
from ..errors import InputError
from ..progress import progress_reporter
from . import _kernels, _splitting_kernels
from ._arrays import KernelArrays, capacity_upper_bound, kernel_arrays
from ._blocks import BlockLayout, LocalExecutor, Settings
from ._driver import EngineOptions, run
from ._result import JointResult, make_result

__all__ = ["solve_splitting", "kernel_arrays", "KernelArrays", "SplittingProblem", "capacity_upper_bound",
           "DEFAULT_MAX_ITERATIONS"]

#: Iteration cap when ``max_iterations`` is None.
DEFAULT_MAX_ITERATIONS = 100_000

#: The arrays the kernels read (the former name).
SplittingProblem = KernelArrays


def solve_splitting(instance, *, gap=1e-3, time_limit=None, max_iterations=None, progress=False, threads=None,
                    blocks=1, polish=False, check_every=80, scheme="average", adaptive_steps=True, averages=False,
                    eta=None, restart_beta=(0.2, 0.8, 0.36), certify_within=2.5, certify_every=3,
                    feasibility_margin=None) -> JointResult:
    """Solve the joint LP by evcore's restarted primal-dual splitting to a certified gap.

    Parameters
    ----------
    instance : JointInstance
    gap : float
        Target certified relative gap (upper - lower) / upper, >= 0.
    time_limit : float, optional
        Seconds (after kernel compilation), > 0.
    max_iterations : int, optional
        Iteration limit (default :data:`DEFAULT_MAX_ITERATIONS`).
    progress : bool or callable
        Progress lines on stderr (``True``) or records for a callable (:mod:`evcore.progress`).
    threads : int, optional
        Numba threads; default: the cores other processes leave free, re-measured at every check
        (:mod:`evcore._threads`). The answer does not depend on it.
    blocks : int
        Location blocks (in-process; each the unit a Ray actor holds). One block uses PDLP's adaptive
        steps; several take the fixed steps and give the same iterates as the Ray backend.
    polish : bool
        Re-solve the final plan's flows per slot exactly with its capacities fixed (no travel delays).
    check_every, scheme, adaptive_steps, averages, eta, restart_beta, certify_within, certify_every, \
feasibility_margin :
        Engine options, see :class:`evcore.joint._driver.EngineOptions`.

    Returns
    -------
    JointResult
        The best feasible plan found, ``lower_bound`` = best Lagrangian bound, status ``"gap_reached"``,
        ``"iteration_limit"`` or ``"time_limit"`` (``"infeasible"`` when no plan respecting the caps
        and the budget was found; the returned one says what it breaks).

    Raises
    ------
    InputError
        Bad options (e.g. ``check_every=0``).
    InfeasibleError
        The budget or the caps cannot serve every EV (the message says by how much).

    Reference: seed 000 model (8), (1)-(7); the splitting is evcore's (see module docstring).
    """
    run_setup = _setup(instance, gap, time_limit, max_iterations, progress, threads, blocks, polish, dict(
        check_every=check_every, scheme=scheme, adaptive_steps=adaptive_steps, averages=averages, eta=eta,
        restart_beta=restart_beta, certify_within=certify_within, certify_every=certify_every,
        feasibility_margin=feasibility_margin))
    if isinstance(run_setup, JointResult):
        return run_setup
    a, options, settings, limits, reporter, started = run_setup
    executor = LocalExecutor(a, settings, BlockLayout(a, limits["blocks"]))
    return execute(instance, a, executor, options, limits, reporter, started)


#: Flow variables up to which an instance whose no-assignment plan breaks caps or budget is checked for
#: feasibility by an LP before the run (larger ones: only when the run ends without a feasible plan, or
#: when its prices prove infeasibility, see :func:`evcore.joint._driver.run`).
_CHECK_FIRST = 200_000


def _no_assignment_fits(a) -> bool:
    plan = a.demand_kw.max(axis=0)
    return bool(np.all(plan <= a.max_capacity_kw)) and float(a.cost_per_kw @ plan) <= a.budget


def _setup(instance, gap, time_limit, max_iterations, progress, threads, blocks, polish, engine):
    """Validate, compile and build what a run needs; a JointResult when there is nothing to iterate."""
    from .central import check_budget

    gap = check_gap(gap)
    time_limit, max_iterations = check_limits(time_limit, max_iterations)
    max_iterations = DEFAULT_MAX_ITERATIONS if max_iterations is None else max_iterations
    threads = check_threads(threads)
    blocks = as_scalar("blocks", blocks, int)
    if blocks < 1:
        raise InputError("blocks", f"must be an integer >= 1, got {blocks!r}")
    polish = check_flag("polish", polish)
    options = EngineOptions(**engine)
    reporter = progress_reporter(progress, "joint.admm", time_limit=time_limit, max_iterations=max_iterations)
    ensure_compiled(_kernels)
    ensure_compiled(_splitting_kernels)
    a = kernel_arrays(instance)
    if a.pairs * a.slots <= _CHECK_FIRST and not _no_assignment_fits(a):
        check_budget(instance)  # small: the LP that finds the smallest budget is cheap; else see execute()
    started = time.perf_counter()
    reporter.started = started
    if a.pairs == 0:  # no arc within range: every EV charges where it is, c_i = max_t D_ti is optimal
        from .central import no_assignment_plan

        capacity = no_assignment_plan(instance)
        optimum = float(instance.cost_per_kw @ capacity)
        result = make_result(instance, capacity, np.zeros((a.slots, 0)), lower_bound=optimum, status="optimal",
                             iterations=0, method="admm", wall_time=time.perf_counter() - started)
        reporter.report(0, objective=optimum, bound=optimum, gap=0.0, final=True)
        return result
    margin = options.margin(gap)
    settings = Settings(halpern=options.scheme == "halpern", cap_kw=a.max_capacity_kw * (1.0 - margin),
                        budget=a.budget * (1.0 - margin) if a.budget_binds else np.inf)
    limits = dict(gap=gap, time_limit=time_limit, max_iterations=max_iterations, threads=threads, blocks=blocks,
                  polish=polish)
    return a, options, settings, limits, reporter, started


def execute(instance, a, executor, options, limits, reporter, started, fault_hook=None) -> JointResult:
    """Run the driver over ``executor`` (closing it) and build the result."""
    try:
        with kernel_threads(limits["threads"], work=a.slots * max(a.pairs, a.zones)) as governor:
            outcome = run(a, executor, options, gap=limits["gap"], time_limit=limits["time_limit"],
                          max_iterations=limits["max_iterations"], reporter=reporter, governor=governor,
                          started=started, fault_hook=fault_hook)
    finally:
        executor.close()
    if outcome.plan is None and not _no_assignment_fits(a):
        from .central import check_budget

        check_budget(instance)  # raises InfeasibleError (saying by how much) when no plan can exist
    result = _result(instance, a, executor.layout, outcome, started, governor)
    if limits["polish"]:
        result = polish_result(instance, result, started)
    reporter.report(result.iterations, objective=result.total_cost, bound=result.lower_bound, gap=result.gap,
                    message=result.status, final=True)
    return result


def _result(instance, a, layout, outcome, started, governor):
    status = outcome.status
    if outcome.plan is None:  # no plan within caps and budget yet: the no-assignment plan, if it is one
        from .central import no_assignment_plan

        capacity = no_assignment_plan(instance)
        flows_kw = np.zeros((a.slots, a.pairs))
        fits = bool(np.all(capacity <= a.max_capacity_kw)) and float(a.cost_per_kw @ capacity) <= a.budget
        status = status if fits else "infeasible"
    else:
        capacity = outcome.plan.capacity_kw
        parts = outcome.plan.flow_parts
        flows_kw = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)  # the run's own copy
        if not flows_kw.flags.writeable:  # e.g. an array Ray handed over read-only
            flows_kw = flows_kw.copy()
    flows_kw /= instance.power_per_ev_kw  # now EVs, in place
    return make_result(instance, capacity, flows_kw, lower_bound=outcome.lower, status=status,
                       iterations=outcome.iterations, method="admm", wall_time=time.perf_counter() - started,
                       trace=outcome.trace, shadow_price_per_kw=np.ascontiguousarray(outcome.prices.T),
                       info=dict(omega=outcome.omega, blocks=layout.count, recoveries=outcome.recoveries,
                                 threads=list(governor.history)))


def polish_result(instance, result, started):
    """Keep the capacities and re-solve the flows per slot exactly (HiGHS); the plan stays exactly
    feasible and costs no more (the splitting's flows are feasible for these capacities)."""
    from .central import recover_flows

    if instance.has_delays or instance.pairs.count == 0:
        return result
    flows = recover_flows(instance, result.capacity_kw)
    polished = make_result(instance, result.capacity_kw, flows, lower_bound=result.lower_bound, status=result.status,
                           iterations=result.iterations, method=result.method,
                           wall_time=time.perf_counter() - started, shadow_price_per_kw=result.shadow_price_per_kw,
                           trace=result.trace, info=dict(result.info, polished_from=result.total_cost))
    return polished if polished.total_cost <= result.total_cost else result
