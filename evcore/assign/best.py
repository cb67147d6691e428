"""``"best"``: evcore's strongest GAP heuristic, the yardstick for every other method.

Algorithm
---------
1. **LP relaxation** (HiGHS). Its capacity duals ``y <= 0`` give Lagrangian costs
   ``c_ij - y_i r_ij`` and the bound ``L = sum_i y_i b_i + sum_j min_i (c_ij - y_i r_ij)``
   (equal to the LP optimum, and valid for any ``y <= 0`` so rounding cannot break it). The
   reduced cost ``rho_ij`` of a pair is its Lagrangian cost minus the job's cheapest one;
   any assignment of cost ``<= T`` has ``sum_j rho <= T - L``, so pairs with
   ``rho_ij > T - L`` are dropped from the search as the best cost ``T`` falls (exact: no
   improving assignment is lost). The largest LP value of each job gives the start.
2. **Adaptive-penalty tabu search** (:mod:`evcore.assign._best_kernels`) over shifts and
   swaps scored by the shared penalised value, whose per-agent weights grow while an agent
   is overloaded and decay while the assignment is feasible (Yagiura, Ibaraki & Glover 2004,
   2006), with random tenures and aspiration by feasible improvement.
3. **Path relinking**: a run that stops improving hands its best feasible assignment to an
   elite pool and restarts from a point a third to two thirds of the way between two elite
   assignments (or from a perturbed best one while the pool is small).

The search stops when the best cost meets the lower bound (proven optimal: for integer
costs, ``objective == ceil(L)``), at ``time_limit``, at ``max_iterations``, at ``target``, or,
without a time limit, after ``stall_iterations`` moves without improvement.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields

import numpy as np

from .._compiled import ensure_compiled
from .._validate import as_scalar
from ..errors import InfeasibleError, InputError, SolverError
from ..heuristics.clock import now
from ..solvers import solve
from . import _best_kernels as kernels
from ._kernels import compute_loads, total_cost
from ._result import GAPResult, gap_result
from .exact import gap_model
from .model import GAPInstance

__all__ = ["BestParameters", "solve_best"]

#: Seconds between progress lines (and between kernel calls) when ``progress=True``.
REPORT_SECONDS = 1.0
#: Rows of the convergence trace (improvements beyond it overwrite the last row).
TRACE_ROWS = 4096


@dataclass(frozen=True)
class BestParameters:
    """Settings of :func:`solve_best` (pass them as keyword arguments).

    Attributes
    ----------
    max_iterations : int
        Hard cap on tabu moves (default 10,000,000).
    stall_iterations : int or None
        Stop after this many moves without a better feasible assignment. ``None`` (default):
        ``max(20_000, 200 * jobs)`` when no ``time_limit`` is given, unlimited otherwise (the
        time limit ends the run).
    restart_iterations : int or None
        Moves without improving the current run's best before a path-relinking restart.
        ``None`` (default): ``max(100, 3 * jobs)``.
    tabu_tenure : int
        Mean tenure (moves during which a job may not return to an agent it left); each move
        draws one in ``[tenure // 2, tenure // 2 + tenure]`` (default 6: short tenures with
        frequent restarts did best on the OR-Library type B and C sets).
    penalty_increase : float
        Relative growth of an overloaded agent's weight per move (default 0.1).
    penalty_decrease : float
        Relative decay of every weight per feasible move, in ``(0, 1)`` (default 0.05).
    elite_size : int
        Elite assignments kept for path relinking (default 10).
    reduced_cost_fixing : bool
        Drop pairs whose LP reduced cost rules them out of any improving assignment
        (default True; exact, never loses the optimum).
    target : float or None
        Stop as soon as a feasible assignment costs at most this much (default None).
    """

    max_iterations: int = 10_000_000
    stall_iterations: int | None = None
    restart_iterations: int | None = None
    tabu_tenure: int = 6
    penalty_increase: float = 0.1
    penalty_decrease: float = 0.05
    elite_size: int = 10
    reduced_cost_fixing: bool = True
    target: float | None = None

    def __post_init__(self):
        for name in ("max_iterations", "stall_iterations", "restart_iterations", "tabu_tenure", "elite_size"):
            value = getattr(self, name)
            if value is None and name in ("stall_iterations", "restart_iterations"):
                continue
            value = as_scalar(name, value, int)
            if value < 1:
                raise InputError(name, f"must be at least 1, got {value}")
            object.__setattr__(self, name, value)
        increase = as_scalar("penalty_increase", self.penalty_increase)
        if not 0 < increase <= 10:
            raise InputError("penalty_increase", f"must lie in (0, 10], got {increase!r}")
        decrease = as_scalar("penalty_decrease", self.penalty_decrease)
        if not 0 < decrease < 1:
            raise InputError("penalty_decrease", f"must lie in (0, 1), got {decrease!r}")
        if not isinstance(self.reduced_cost_fixing, (bool, np.bool_)):
            raise InputError("reduced_cost_fixing", f"must be True or False, got {self.reduced_cost_fixing!r}")
        object.__setattr__(self, "penalty_increase", increase)
        object.__setattr__(self, "penalty_decrease", decrease)
        object.__setattr__(self, "reduced_cost_fixing", bool(self.reduced_cost_fixing))
        if self.target is not None:
            target = as_scalar("target", self.target)
            if math.isnan(target):
                raise InputError("target", "must be a number, got nan")
            object.__setattr__(self, "target", target)


@dataclass(frozen=True)
class _Relaxation:
    """What the LP relaxation tells the search."""

    start: np.ndarray  # (jobs,) agent with each job's largest LP value
    lower_bound: float  # -inf when the LP could not be solved
    reduced_cost: np.ndarray  # (agents, jobs), zeros when unknown


def _relaxation(instance: GAPInstance) -> _Relaxation:
    """Solve the LP relaxation; derive the start, the Lagrangian bound and reduced costs.

    Raises
    ------
    InfeasibleError
        The relaxation is infeasible, so the GAP is too.
    """
    agents, jobs = instance.agents, instance.jobs
    allowed_cost = np.where(instance.allowed, instance.cost, np.inf)
    try:
        model, pairs = gap_model(instance, relax=True)
        result = solve(model)
    except SolverError:
        return _Relaxation(np.argmin(allowed_cost, axis=0).astype(np.int64), -np.inf, np.zeros((agents, jobs)))
    share = np.full((agents, jobs), -1.0)
    share[pairs[:, 0], pairs[:, 1]] = result.x
    start = np.argmax(share, axis=0).astype(np.int64)
    if result.row_duals is None:
        return _Relaxation(start, float(result.objective), np.zeros((agents, jobs)))
    capacity_dual = np.minimum(result.row_duals[jobs:], 0.0)  # <= 0 for "load <= capacity" rows
    lagrangian_cost = allowed_cost - capacity_dual[:, None] * instance.resource
    cheapest = lagrangian_cost.min(axis=0)
    lower_bound = float(capacity_dual @ instance.capacity + cheapest.sum())
    reduced_cost = np.where(instance.allowed, lagrangian_cost - cheapest, 0.0)  # forbidden pairs never move
    return _Relaxation(start, lower_bound, np.ascontiguousarray(reduced_cost))


def _kernel_seed(seed) -> tuple[int, int | None]:
    """(non-zero 64-bit state for the kernel's generator, seed to report)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(1, 2**63)), None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise InputError("seed", f"must be an int or a numpy.random.Generator, got {type(seed).__name__}")
    return int(np.random.default_rng(int(seed)).integers(1, 2**63)), int(seed)


def solve_best(instance: GAPInstance, *, time_limit: float | None = None, seed=0, progress: bool = False,
               **parameters) -> GAPResult:
    """Adaptive-penalty tabu search with path relinking, started and bounded by the LP relaxation.

    Parameters
    ----------
    instance : GAPInstance
    time_limit : float, optional
        Seconds (including the LP). Without it the run ends at ``stall_iterations``.
    seed : int or numpy.random.Generator
        Same seed and an iteration limit (``max_iterations`` or the default stall budget)
        give the same answer.
    progress : bool
        Print a line (moves, best, bound, gap, seconds) about every second.
    **parameters
        Fields of :class:`BestParameters`.

    Returns
    -------
    GAPResult
        ``bound`` is the LP bound (rounded up for integer costs), ``status`` is
        ``"optimal"`` when the objective meets it, else ``"time_limit"``,
        ``"iteration_limit"``, ``"feasible"`` (stall or target) or ``"no_feasible"``.
    """
    ensure_compiled(kernels)  # compile or load the kernels before the clock starts
    started_wall = time.perf_counter()
    started = now()
    if not isinstance(instance, GAPInstance):
        raise InputError("instance", f"must be a GAPInstance, got {type(instance).__name__}")
    known = {f.name for f in fields(BestParameters)}
    for name in parameters:
        if name not in known:
            raise InputError(name, f"unknown parameter of method 'best'; choose among {sorted(known)}")
    settings = BestParameters(**parameters)
    if time_limit is not None:
        time_limit = as_scalar("time_limit", time_limit)
        if not time_limit > 0:
            raise InputError("time_limit", f"must be positive, got {time_limit!r}")
    rng_state, reported_seed = _kernel_seed(seed)
    agents, jobs = instance.agents, instance.jobs

    try:
        relaxation = _relaxation(instance)
    except InfeasibleError:
        cheapest = np.argmin(np.where(instance.allowed, instance.cost, np.inf), axis=0).astype(np.int64)
        return gap_result(instance, cheapest, method="best", status="infeasible",
                          wall_time=time.perf_counter() - started_wall, iterations=0, trace=np.zeros((0, 2)),
                          seed=reported_seed)

    allowed_costs = instance.cost[instance.allowed]
    integer_costs = bool(np.all(allowed_costs == np.round(allowed_costs)))
    lower_bound = relaxation.lower_bound
    if integer_costs and math.isfinite(lower_bound):
        bound = float(math.ceil(lower_bound - 1e-6 * (1.0 + abs(lower_bound))))
    else:
        bound = lower_bound - 1e-9 * (1.0 + abs(lower_bound)) if math.isfinite(lower_bound) else None
    proven_target = bound if bound is not None else -math.inf
    target = proven_target if settings.target is None else max(proven_target, settings.target)

    cost = instance.kernel_cost()
    resource = np.ascontiguousarray(instance.resource, dtype=np.float64)
    capacity = np.ascontiguousarray(instance.capacity, dtype=np.float64)
    allowed = np.ascontiguousarray(instance.allowed)
    reduced_cost = (relaxation.reduced_cost if settings.reduced_cost_fixing and math.isfinite(lower_bound)
                    else np.zeros((agents, jobs)))
    candidate = allowed.copy()

    assignment = relaxation.start.copy()
    loads = np.zeros(agents)
    compute_loads(resource, assignment, loads)
    # Weights start at the typical cost of a unit of resource and then adapt per agent.
    unit_price = float(np.mean(np.abs(allowed_costs))) / max(float(np.mean(resource[instance.allowed])), 1e-12)
    unit_price = unit_price if unit_price > 0 else 1.0
    penalty = np.full(agents, unit_price)
    tenure = settings.tabu_tenure
    restart_iterations = settings.restart_iterations or max(100, 3 * jobs)
    stall_iterations = settings.stall_iterations or (max(20_000, 200 * jobs) if time_limit is None else 2**62)
    settings_int = np.array([max(1, tenure // 2), max(1, tenure // 2) + tenure, restart_iterations,
                             stall_iterations, max(2, jobs // 20)], np.int64)
    settings_float = np.array([settings.penalty_increase, settings.penalty_decrease, 1e-3 * unit_price])

    counters = np.zeros(kernels.COUNTER_SLOTS, np.int64)
    counters[kernels.OVERLOADED] = kernels.count_overloaded(loads, capacity)
    values = np.array([total_cost(cost, assignment), np.inf, np.inf])
    best_assignment = assignment.copy()
    segment_best = assignment.copy()
    elite = np.zeros((settings.elite_size, jobs), np.int64)
    elite_cost = np.full(settings.elite_size, np.inf)
    tabu_until = np.zeros((agents, jobs), np.int64)
    rng = np.array([rng_state], np.uint64)
    trace = np.zeros((TRACE_ROWS, 2))
    if counters[kernels.OVERLOADED] == 0:  # the rounded LP solution is already feasible
        values[kernels.BEST_COST] = values[kernels.CURRENT_COST]
        kernels.record_trace(trace, counters, now() - started, values[kernels.BEST_COST])
    if math.isfinite(lower_bound) and math.isfinite(values[kernels.BEST_COST]):
        kernels.tighten_candidates(allowed, reduced_cost, values[kernels.BEST_COST] - float(integer_costs)
                                   - lower_bound + 1e-7 * (1.0 + abs(lower_bound)), candidate)

    deadline = started + time_limit if time_limit is not None else math.inf
    while True:
        report_at = now() + REPORT_SECONDS if progress else math.inf
        reason = kernels.tabu_search(
            cost, resource, capacity, allowed, reduced_cost, lower_bound if math.isfinite(lower_bound) else 0.0,
            float(integer_costs), candidate, assignment, loads, penalty, tabu_until, best_assignment, segment_best,
            elite, elite_cost, counters, values, rng, trace, settings_int, settings_float, started, deadline,
            report_at, settings.max_iterations, target)
        if progress:
            _print_progress(counters, values, bound, now() - started)
        if reason != kernels.STOPPED_FOR_REPORT:
            break

    objective = float(values[kernels.BEST_COST])
    feasible = math.isfinite(objective)
    if feasible:
        objective = float(instance.evaluate(best_assignment)[0])
    else:
        best_assignment = assignment
    if feasible and bound is not None and objective <= proven_target:
        status = "optimal"
    elif not feasible:
        status = "infeasible"
    else:
        status = {kernels.STOPPED_BY_TIME: "time_limit", kernels.STOPPED_BY_ITERATIONS: "iteration_limit"}.get(
            reason, "feasible")
    gap = max(objective - bound, 0.0) / max(abs(objective), 1e-9) if feasible and bound is not None else None
    return gap_result(instance, best_assignment.copy(), method="best", status=status, bound=bound,
                      wall_time=time.perf_counter() - started_wall, iterations=int(counters[kernels.ITERATION]),
                      trace=trace[: counters[kernels.TRACE_LENGTH]].copy(), seed=reported_seed)


def _print_progress(counters, values, bound, seconds) -> None:
    best = values[kernels.BEST_COST]
    gap = "-" if bound is None or not math.isfinite(best) else f"{max(best - bound, 0) / max(abs(best), 1e-9):.3%}"
    print(f"best: iteration {counters[kernels.ITERATION]:>10d}  best {best:>12.6g}  "
          f"bound {bound if bound is not None else float('nan'):>12.6g}  gap {gap:>8}  time {seconds:8.2f} s",
          flush=True)
