"""The joint LP solved centrally by HiGHS (through :mod:`evcore.solvers`).

The LP itself and the helpers every joint method shares (:func:`build_lp`,
:func:`minimum_budget`, :func:`recover_flows`, ...) live in :mod:`evcore.joint._lp` and
:mod:`evcore.joint.model`; they stay importable from here under their old names.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from .._validate import as_array, check_choice, check_finite, check_flag, check_limits, check_threads
from ..errors import InfeasibleError, SolverError
from ..progress import progress_reporter
from ..solvers import LIMIT_OUTCOMES, SOLVER_CAPABILITIES, SolverOptions, solve as solve_model
from ._lp import build_lp, check_budget, check_instance, minimum_budget, recover_flows, slot_flows_kw
from ._result import JointResult, make_result
from .model import no_assignment_plan

__all__ = ["build_lp", "solve_central", "minimum_budget", "check_budget", "no_assignment_plan", "recover_flows",
           "slot_flows_kw", "lagrangian_bound"]

logger = logging.getLogger(__name__)


def lagrangian_bound(instance, price=None) -> float:
    """A proven lower bound on the optimum from prices ``mu >= 0`` of the capacity rows (4).

    For any ``mu >= 0`` the Lagrangian dual function (capacity rows relaxed, budget and caps
    kept) is a valid lower bound. ``price`` has shape (slots, zones) (currency per kW; negative
    entries are taken as 0); by default each zone's cost per kW is put on its peak slot, the
    prices of the no-assignment plan, which is exact when no assignment pays. ``-inf`` when the
    prices are so large that the dual function overflows.
    """
    from .splitting import SplittingProblem

    check_instance(instance)
    problem = SplittingProblem.from_instance(instance)
    if price is None:
        price = np.zeros((instance.slots, instance.zones))
        price[np.argmax(problem.demand_kw, axis=0), np.arange(instance.zones)] = problem.cost_per_kw
    price = check_finite("price", as_array("price", price, ndim=2, shape=(instance.slots, instance.zones)))
    price = np.ascontiguousarray(np.maximum(price, 0.0))
    with np.errstate(over="ignore", invalid="ignore"):
        bound = float(problem.bound(price))
    return bound if math.isfinite(bound) else -math.inf  # prices so large that q overflows prove nothing


def _known_plan(instance):
    """The no-assignment plan, when it respects the caps and the budget (else ``None``)."""
    capacity = no_assignment_plan(instance)
    ok = bool(np.all(capacity <= instance.max_capacity_kw)) and float(instance.cost_per_kw @ capacity) <= \
        instance.budget
    return capacity if ok else None


def solve_central(instance, *, solver="choose", time_limit=None, threads=None, verbose=False,
                  progress=False) -> JointResult:
    """Solve the joint LP with HiGHS.

    Parameters
    ----------
    solver : {"choose", "simplex", "ipm", "pdlp"}
        HiGHS algorithm (``"hipo"`` where the HiGHS build has it; otherwise InputError).
    time_limit : float, optional
        Seconds (> 0).
    threads : int, optional
        HiGHS threads (1 .. 256).
    verbose : bool
        HiGHS's own log (on stdout; the command line sends it to stderr).
    progress : bool or callable
        See :mod:`evcore.progress`: one record when the LP is built and one at the end.

    Returns
    -------
    JointResult
        Status ``"optimal"`` (HiGHS's tolerances; ``bound`` is HiGHS's optimum). When a limit
        stops HiGHS, the best plan known (HiGHS's point, or the no-assignment plan when HiGHS
        has none or a worse one) with status ``"time_limit"``/``"iteration_limit"`` and the
        Lagrangian bound of the best prices at hand (:func:`lagrangian_bound`).
        ``shadow_price_per_kw`` holds the duals of the capacity rows (4).

    Raises
    ------
    InfeasibleError
        The budget is too small (the message says by how much) or the caps cannot serve demand.
    """
    check_instance(instance)
    time_limit, _ = check_limits(time_limit)
    threads = check_threads(threads)
    verbose = check_flag("verbose", verbose)
    check_choice("solver", solver, tuple(SOLVER_CAPABILITIES))
    reporter = progress_reporter(progress, "joint.highs", time_limit=time_limit)
    started = time.perf_counter()
    options = SolverOptions(time_limit=time_limit, threads=threads, solver=solver, verbose=verbose)
    model = build_lp(instance)
    built = time.perf_counter() - started
    size = f"LP with {model.num_cols} columns, {model.num_rows} rows, {model.constraint_matrix.nnz} nonzeros"
    logger.info("joint highs: %s built in %.2f s", size, built)
    reporter.report(0, message=f"{size} built; HiGHS {solver} running", force=True)
    zones, slots, n_pairs = instance.zones, instance.slots, instance.pairs.count
    info = dict(solver=solver, build_seconds=built, columns=model.num_cols, rows=model.num_rows,
                nonzeros=int(model.constraint_matrix.nnz))
    try:
        result = solve_model(model, options)
    except InfeasibleError:
        check_budget(instance, SolverOptions(threads=threads, solver=solver))
        raise
    except SolverError as exc:
        outcome = getattr(exc, "outcome", None)
        if outcome not in LIMIT_OUTCOMES:
            raise
        # A limit before HiGHS had a feasible point: the no-assignment plan is one (when it fits the caps
        # and the budget; otherwise the result says "infeasible" and which constraint it breaks).
        capacity = no_assignment_plan(instance)
        logger.info("joint highs: %s before a feasible point; returning the no-assignment plan", outcome)
        return _finish(instance, capacity, np.zeros((slots, n_pairs)), lagrangian_bound(instance), outcome, 0,
                       started, None, dict(info, highs_status=exc.status, plan="no-assignment"), reporter)
    capacity = result.x[:zones].copy()
    flows = result.x[zones:].reshape(slots, n_pairs).copy()
    shadow = None
    if result.row_duals is not None:
        shadow = result.row_duals[zones * slots:2 * zones * slots].reshape(slots, zones).T.copy()
    # HiGHS meets the capacity rows to its tolerance; c_i = max(c_i, max_t load_ti) meets them exactly.
    load_kw = instance.power_per_ev_kw * instance.load_ev(flows)
    capacity = np.maximum(capacity, load_kw.max(axis=1, initial=0.0))
    info.update(highs_status=result.highs_status, solve_seconds=result.wall_time, objective=result.objective)
    iterations = sum(result.iterations.values())
    if result.status == "optimal":
        return _finish(instance, capacity, flows, result.objective, "optimal", iterations, started, shadow, info,
                       reporter)
    bound = lagrangian_bound(instance)
    if shadow is not None and np.isfinite(shadow).all():
        bound = max(bound, lagrangian_bound(instance, shadow.T))
    known = _known_plan(instance)
    if known is not None and float(instance.cost_per_kw @ known) < instance.evaluate(capacity, flows)["total_cost"]:
        capacity, flows, info["plan"] = known, np.zeros((slots, n_pairs)), "no-assignment"
    return _finish(instance, capacity, flows, bound, result.status, iterations, started, shadow, info, reporter)


def _finish(instance, capacity, flows, bound, status, iterations, started, shadow, info, reporter):
    out = make_result(instance, capacity, flows, lower_bound=bound, status=status, iterations=iterations,
                      method="highs", wall_time=time.perf_counter() - started, shadow_price_per_kw=shadow, info=info)
    reporter.report(out.iterations, objective=out.objective, bound=out.bound, gap=out.gap, message=out.status,
                    final=True)
    return out
