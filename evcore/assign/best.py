"""``"best"``: evcore's strongest GAP heuristic, the yardstick for every other method.

Algorithm
---------
1. **LP relaxation** (HiGHS). Its capacity duals ``y <= 0`` give Lagrangian costs
   ``c_ij - y_i r_ij`` and the bound ``L(y) = sum_i y_i b_i + sum_j min_i (c_ij - y_i r_ij)``,
   valid for *any* ``y <= 0`` (equal to the LP optimum at the LP's duals), so inexact duals
   only weaken it. It is evaluated with a rigorous allowance for floating-point rounding
   (:func:`lagrangian_bound`) and, for integer costs, rounded up. The reduced cost
   ``rho_ij`` of a pair is its Lagrangian cost minus the job's cheapest one; any assignment of
   cost ``<= T`` has ``sum_j rho <= T - L``, so pairs with ``rho_ij > T - L`` are dropped from
   the search as the best cost ``T`` falls (exact: no improving assignment is lost). The
   largest LP value of each job gives the start.
2. **Adaptive-penalty tabu search** (:mod:`evcore.assign._best_kernels`) over shifts, swaps
   and ejection chains scored by the penalised value, whose per-agent weights grow while an
   agent is overloaded and decay while the assignment is feasible (Yagiura, Ibaraki & Glover
   2004, 2006), with random tenures and aspiration by feasible improvement. Moves are
   restricted to each job's ``max_candidates`` agents of smallest reduced cost.
3. **Path relinking**: a run that stops improving hands its best feasible assignment to an
   elite pool and restarts from a point a third to two thirds of the way between two elite
   assignments (or from a perturbed best one while the pool is small).

Stop rule and statuses
----------------------
The search stops when the proven relative gap ``(objective - bound) / max(|objective|, 1e-12)``
is at most ``gap`` (default ``1e-4``, HiGHS's ``mip_rel_gap``, so that ``best`` and ``exact``
certify the same thing), at ``time_limit``, at ``max_iterations``, at ``target``, or, without
a time limit, after ``stall_iterations`` moves without improvement. For integer costs the
bound is rounded up, so an optimum whose cost equals the rounded bound has gap 0.

- ``optimal``: the proven gap is at most ``min(gap, OPTIMAL_GAP)`` (``OPTIMAL_GAP = 1e-4``):
  the answer is an optimum within that relative tolerance (exactly optimal for integer costs
  when the gap is 0).
- ``gap_reached``: the search stopped because the proven gap met a looser ``gap`` the caller
  asked for.
- ``feasible``: stopped at ``target`` or after ``stall_iterations``; ``time_limit`` /
  ``iteration_limit``: stopped by the caller's limit. Each with the gap it can prove.
- An instance whose LP relaxation is infeasible raises :class:`~evcore.errors.InfeasibleError`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, fields

import numpy as np

from .._compiled import ensure_compiled
from .._validate import as_scalar, check_gap, check_limits
from ..errors import InputError, SolverError
from ..heuristics.clock import now
from ..progress import progress_reporter
from ..results import make_trace
from ..solvers import solve
from . import _best_kernels as kernels
from ._result import GAPResult, gap_result
from .exact import gap_model
from .model import GAPInstance

__all__ = ["BestParameters", "solve_best", "lagrangian_bound", "knapsack_bound", "OPTIMAL_GAP", "DEFAULT_GAP"]

#: Seconds between progress reports (and between kernel calls) when progress is on.
REPORT_SECONDS = 1.0
STEP_SCALE = 1.0
#: Rows of the convergence trace (improvements beyond it overwrite the last row).
TRACE_ROWS = 4096
#: Relative gap within which a proven answer is called ``optimal`` (HiGHS's default).
OPTIMAL_GAP = 1e-4
#: Default of the ``gap`` option (stop once the proven relative gap is this small).
DEFAULT_GAP = 1e-4
#: From this many jobs on, the default ``max_candidates`` is FOCUS_CANDIDATES (else every agent).
FOCUS_FROM_JOBS = 200
FOCUS_CANDIDATES = 5
#: Unit roundoff of float64.
_U = np.finfo(np.float64).eps / 2


@dataclass(frozen=True)
class BestParameters:
    """Settings of :func:`solve_best` (pass them as keyword arguments).

    Attributes
    ----------
    gap : float
        Stop once the proven relative gap is at most this (default ``1e-4``, as HiGHS's
        ``mip_rel_gap``); 0 asks for a proof of exact optimality.
    stall_iterations : int or None
        Stop after this many moves without a better feasible assignment. ``None`` (default):
        ``max(20_000, 200 * jobs)`` when neither ``time_limit`` nor ``max_iterations`` is given,
        unlimited otherwise.
    restart_iterations : int or None
        Moves without improving the current run's best before a path-relinking restart.
        ``None`` (default): ``max(100, 3 * jobs)``.
    tabu_tenure : int
        Mean tenure (moves during which a job may not return to an agent it left); each move
        draws one in ``[tenure // 2, tenure // 2 + tenure]`` (default 6).
    penalty_increase : float
        Relative growth of an overloaded agent's weight per move (default 0.1).
    penalty_decrease : float
        Relative decay of every weight per feasible move, in ``(0, 1)`` (default 0.05).
    elite_size : int
        Elite assignments kept for path relinking (default 10).
    max_candidates : int or None
        Agents each job may move to: those of smallest LP reduced cost (a heuristic focus that
        can exclude the optimum when small). ``None`` (default): every agent below
        ``FOCUS_FROM_JOBS`` (200) jobs, the ``FOCUS_CANDIDATES`` (5) best from there on, where a
        step over all agents costs about ``jobs ** 2`` evaluations (measured on the generated
        "tune" set of types D/E, 200-1,600 jobs, 15 s: the focus gave 2.5-11x more moves and a
        value as good or better on 8 of 10 instances, at most 0.01 % worse on the other two).
    sample_agents : int or None
        Agents whose jobs each step examines, drawn at random, besides every overloaded agent
        (``None``, default: all agents). Cuts the cost of a step on instances with many agents.
    ejection : bool
        Use the ejection-chain neighbourhood besides shifts and swaps (default True).
    reduced_cost_fixing : bool
        Drop pairs whose LP reduced cost rules them out of any improving assignment
        (default True; exact, never loses the optimum).
    target : float or None
        Stop as soon as a feasible assignment costs at most this much (default None).
    """

    gap: float = DEFAULT_GAP
    stall_iterations: int | None = None
    restart_iterations: int | None = None
    tabu_tenure: int = 6
    penalty_increase: float = 0.1
    penalty_decrease: float = 0.05
    elite_size: int = 10
    max_candidates: int | None = None
    sample_agents: int | None = None
    descent: bool = False
    ejection: bool = True
    reduced_cost_fixing: bool = True
    target: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "gap", check_gap(self.gap))
        for name in ("stall_iterations", "restart_iterations", "tabu_tenure", "elite_size", "max_candidates",
                     "sample_agents"):
            value = getattr(self, name)
            if value is None and name in ("stall_iterations", "restart_iterations", "max_candidates", "sample_agents"):
                continue
            value = as_scalar(name, value, int)
            if not 1 <= value <= 2**62:
                raise InputError(name, f"must be an integer in [1, 2**62], got {value}")
            object.__setattr__(self, name, value)
        increase = as_scalar("penalty_increase", self.penalty_increase)
        if not 0 < increase <= 10:
            raise InputError("penalty_increase", f"must lie in (0, 10], got {increase!r}")
        decrease = as_scalar("penalty_decrease", self.penalty_decrease)
        if not 0 < decrease < 1:
            raise InputError("penalty_decrease", f"must lie in (0, 1), got {decrease!r}")
        for name in ("reduced_cost_fixing", "ejection", "descent"):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise InputError(name, f"must be True or False, got {value!r}")
            object.__setattr__(self, name, bool(value))
        object.__setattr__(self, "penalty_increase", increase)
        object.__setattr__(self, "penalty_decrease", decrease)
        if self.target is not None:
            target = as_scalar("target", self.target)
            if math.isnan(target):
                raise InputError("target", "must be a number, got nan")
            object.__setattr__(self, "target", target)


# --- the bound ----------------------------------------------------------------------------------


def lagrangian_bound(instance: GAPInstance, multipliers) -> float:
    """A rigorous lower bound on the GAP optimum from capacity multipliers ``y <= 0``.

    ``L(y) = sum_i y_i b_i + sum_j min_{i allowed} (c_ij - y_i r_ij)`` bounds every feasible
    assignment's cost from below (relaxing the capacity rows with non-positive multipliers).
    The value returned is ``L(y)`` minus a bound on the rounding of its float64 evaluation
    (each Lagrangian cost carries at most ``2u (|c| + |y r|)``, the products ``y_i b_i`` at most
    ``u |y_i b_i|``, the exactly rounded sum at most ``u |sum|``; doubled for safety), so it
    never exceeds the true ``L(y)`` whatever the magnitudes. Positive entries of ``y`` are
    treated as 0. Returns ``-inf`` when the evaluation overflows.

    Parameters
    ----------
    instance : GAPInstance
    multipliers : array_like, shape (agents,)
    """
    y = np.minimum(np.asarray(multipliers, dtype=np.float64), 0.0)
    if y.shape != (instance.agents,) or not np.all(np.isfinite(y)):
        return -math.inf
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = -y[:, None] * instance.resource  # >= 0
        lagrangian = np.where(instance.allowed, instance.cost + scaled, np.inf)
        rounding = np.where(instance.allowed, np.abs(instance.cost) + scaled, 0.0)
        cheapest = lagrangian.min(axis=0)
        products = y * instance.capacity
    if not (np.all(np.isfinite(cheapest)) and np.all(np.isfinite(rounding)) and np.all(np.isfinite(products))):
        return -math.inf
    terms = np.concatenate([cheapest, products])
    total = math.fsum(terms.tolist())
    error = 2.0 * (2.0 * _U * float(rounding.max(axis=0).sum()) * (1.0 + 4.0 * _U)
                   + _U * float(np.abs(products).sum()) + _U * abs(total))
    value = total - error
    if not math.isfinite(value):
        return -math.inf
    return math.nextafter(value, -math.inf)


def _integral(values) -> bool:
    values = np.asarray(values, dtype=np.float64)
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53))


def _knapsack_value(instance: GAPInstance, prices: np.ndarray, weight, capacity, chosen) -> float:
    """Rigorous ``L(u) = sum_j u_j - sum_i K_i(u)`` (the knapsack Lagrangian) at ``prices``."""
    with np.errstate(over="ignore", invalid="ignore"):
        profit = np.where(instance.allowed, prices[None, :] - instance.cost, -np.inf)
    profit = np.ascontiguousarray(np.where(np.isfinite(profit), profit, -np.inf))
    best_profit = kernels.knapsack_relaxation(profit, weight, capacity, chosen)
    positive = np.where(profit > 0, profit, 0.0)
    items = (profit > 0).sum(axis=1)
    # Each float profit is within u (|u_j| + |c_ij|) of the true one; a DP sum of k of them adds
    # at most k u times their total. Doubled for safety.
    magnitude = np.where(instance.allowed, np.abs(prices)[None, :] + np.abs(instance.cost), 0.0)
    allowance = 2.0 * (_U * magnitude.sum() + _U * float(((items + 1) * positive.sum(axis=1)).sum()))
    total = math.fsum(prices.tolist()) - math.fsum(best_profit.tolist())
    value = total - allowance - 4.0 * _U * (math.fsum(np.abs(prices).tolist()) + math.fsum(best_profit.tolist()))
    return math.nextafter(value, -math.inf) if math.isfinite(value) else -math.inf


def knapsack_bound(instance: GAPInstance, *, prices=None, upper_bound: float | None = None, iterations: int = 300,
                   time_limit: float | None = None) -> tuple[float, np.ndarray]:
    """The Lagrangian bound that relaxes the assignment rows (one 0-1 knapsack per agent).

    ``L(u) = sum_j u_j - sum_i max {sum_j (u_j - c_ij) x_ij : sum_j r_ij x_ij <= b_i, x binary}``
    bounds the optimum from below for any job prices ``u``, and its best value is at least the
    LP bound (Ross & Soland 1975; Fisher, Jaikumar & Van Wassenhove 1986): on tight instances
    (types D and E) it closes much of the LP's gap. Prices are improved by subgradient ascent
    with Polyak steps toward ``upper_bound``. Each value is evaluated rigorously (exact knapsacks
    by dynamic programming over integer resources, plus an allowance for float rounding).

    Parameters
    ----------
    instance : GAPInstance
        Resources and capacities must be integers (else ``(-inf, prices)`` is returned).
    prices : array_like, shape (jobs,), optional
        Starting job prices (e.g. the LP's duals of the assignment rows); default: each job's
        cheapest cost.
    upper_bound : float, optional
        Cost of a known assignment (steers the step length; default: bound + 1 %).
    iterations : int
        Subgradient steps (default 300).
    time_limit : float, optional
        Seconds.

    Returns
    -------
    (float, numpy.ndarray)
        The best bound found (``-inf`` when not applicable) and its prices.
    """
    started = time.perf_counter()
    agents, jobs = instance.agents, instance.jobs
    capacity_int = np.floor(instance.capacity + 1e-9)
    if not (_integral(instance.resource[instance.allowed]) and np.all(capacity_int < 2**40)
            and float(capacity_int.sum()) * jobs < 5e9):
        return -math.inf, np.zeros(jobs)
    weight = np.ascontiguousarray(np.where(instance.allowed, instance.resource, 0.0).astype(np.int64))
    capacity = np.ascontiguousarray(capacity_int.astype(np.int64))
    if prices is None:
        prices = np.where(instance.allowed, instance.cost, np.inf).min(axis=0)
    prices = np.array(prices, dtype=np.float64)
    if prices.shape != (jobs,) or not np.all(np.isfinite(prices)):
        raise InputError("prices", f"must be {jobs} finite numbers")
    chosen = np.zeros((agents, jobs), np.bool_)
    best_value, best_prices = -math.inf, prices.copy()
    step_scale, stalled = STEP_SCALE, 0
    for _ in range(iterations):
        value = _knapsack_value(instance, prices, weight, capacity, chosen)
        if best_value == -math.inf or value > best_value + 1e-12 * max(1.0, abs(best_value)):
            best_value, best_prices, stalled = value, prices.copy(), 0
        else:
            stalled += 1
            if stalled >= 15:
                step_scale, stalled = step_scale / 2.0, 0
        subgradient = 1.0 - chosen.sum(axis=0)
        norm = float(subgradient @ subgradient)
        if norm == 0.0 or step_scale < 1e-4:
            break  # the knapsacks partition the jobs (the bound is the optimum) or steps vanish
        if time_limit is not None and time.perf_counter() - started > time_limit:
            break
        target = upper_bound if upper_bound is not None and upper_bound > best_value else (
            best_value + 0.01 * max(1.0, abs(best_value)))
        prices = prices + step_scale * max(target - value, 1e-9 * max(1.0, abs(value))) / norm * subgradient
    return best_value, best_prices


@dataclass(frozen=True)
class _Relaxation:
    """What the LP relaxation tells the search."""

    start: np.ndarray  # (jobs,) agent with each job's largest LP value
    lower_bound: float  # valid lower bound (-inf when unknown)
    reduced_cost: np.ndarray  # (agents, jobs), >= 0, zeros when unknown
    scale: float = 0.0  # largest Lagrangian cost magnitude (for the rounding allowance of fixing)
    multipliers: np.ndarray | None = None  # (agents,) capacity duals, <= 0 (None when unknown)
    prices: np.ndarray | None = None  # (jobs,) duals of the assignment rows (None when unknown)


def _relaxation(instance: GAPInstance) -> _Relaxation:
    """Solve the LP relaxation; derive the start, a rigorous bound and reduced costs.

    Raises
    ------
    InfeasibleError
        The relaxation is infeasible, so the GAP is too.
    """
    agents, jobs = instance.agents, instance.jobs
    allowed_cost = np.where(instance.allowed, instance.cost, np.inf)
    trivial = lagrangian_bound(instance, np.zeros(agents))  # sum of each job's cheapest cost
    try:
        model, pairs = gap_model(instance, relax=True)
        result = solve(model)
    except SolverError:
        return _Relaxation(np.argmin(allowed_cost, axis=0).astype(np.int64), trivial, np.zeros((agents, jobs)))
    share = np.full((agents, jobs), -1.0)
    share[pairs[:, 0], pairs[:, 1]] = result.x
    start = np.argmax(share, axis=0).astype(np.int64)
    if result.row_duals is None or not np.all(np.isfinite(result.row_duals)):
        return _Relaxation(start, trivial, np.zeros((agents, jobs)))
    capacity_dual = np.minimum(result.row_duals[jobs:], 0.0)  # <= 0 for "load <= capacity" rows
    bound = lagrangian_bound(instance, capacity_dual)
    if not bound > trivial:
        return _Relaxation(start, trivial, np.zeros((agents, jobs)))
    with np.errstate(over="ignore", invalid="ignore"):
        lagrangian_cost = allowed_cost - capacity_dual[:, None] * instance.resource
        reduced_cost = np.where(instance.allowed, lagrangian_cost - lagrangian_cost.min(axis=0), 0.0)
    if not np.all(np.isfinite(reduced_cost)):
        return _Relaxation(start, bound, np.zeros((agents, jobs)))
    scale = float(np.abs(np.where(instance.allowed, lagrangian_cost, 0.0)).max(initial=0.0))
    return _Relaxation(start, bound, np.ascontiguousarray(reduced_cost), scale, capacity_dual,
                       np.array(result.row_duals[:jobs]))


def _fixing_slack(instance: GAPInstance, relaxation: _Relaxation) -> float:
    """Allowance for rounding in ``reduced cost <= T - L``: generous next to any float error."""
    scale = max(float(np.abs(instance.cost[instance.allowed]).max(initial=0.0)), relaxation.scale) * instance.jobs
    scale += abs(relaxation.lower_bound) if math.isfinite(relaxation.lower_bound) else 0.0
    return 1e-9 * (1.0 + scale)


def _kernel_seed(seed) -> tuple[int, int | None]:
    """(non-zero 64-bit state for the kernel's generator, seed to report)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(1, 2**63)), None
    if seed is None:
        seed = 0
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**63:
        raise InputError("seed", f"must be an integer in [0, 2**63) or a numpy.random.Generator, got {seed!r}")
    return int(np.random.default_rng(int(seed)).integers(1, 2**63)), int(seed)


def _integer_costs(instance: GAPInstance) -> bool:
    costs = instance.cost[instance.allowed]
    return bool(np.all(costs == np.round(costs)) and np.all(np.abs(costs) < 2**52))


def _proven_gap(objective: float, bound: float) -> float:
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    return max(objective - bound, 0.0) / max(abs(objective), 1e-12)


def solve_best(instance: GAPInstance, *, time_limit: float | None = None, max_iterations: int | None = None,
               seed=0, progress=False, **parameters) -> GAPResult:
    """Adaptive-penalty tabu search with ejection chains and path relinking, started and bounded
    by the LP relaxation.

    Parameters
    ----------
    instance : GAPInstance
    time_limit : float, optional
        Seconds (including the LP). Without it and without ``max_iterations`` the run ends
        after ``stall_iterations`` moves without improvement.
    max_iterations : int, optional
        Cap on tabu moves. Same seed and an iteration budget (``max_iterations`` or the stall
        rule) give the same answer.
    seed : int or numpy.random.Generator
    progress : bool or callable
        Report moves, best, bound and gap about every second (see :mod:`evcore.progress`).
    **parameters
        Fields of :class:`BestParameters` (``gap``, ``target``, ...).

    Returns
    -------
    GAPResult
        ``bound`` is the rigorous LP/Lagrangian bound (rounded up for integer costs), ``gap``
        the proven relative gap; statuses as in the module docstring.

    Raises
    ------
    InfeasibleError
        The LP relaxation is infeasible: no assignment respects the capacities.
    """
    ensure_compiled(kernels)  # compile or load the kernels before the clock starts
    started_wall = time.perf_counter()
    started = now()
    if not isinstance(instance, GAPInstance):
        raise InputError("instance", f"must be a GAPInstance, got {type(instance).__name__}")
    known = {f.name for f in fields(BestParameters)}
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise InputError(unknown[0], f"unknown parameter of method 'best'; choose among {sorted(known)}")
    settings = BestParameters(**parameters)
    time_limit, max_iterations = check_limits(time_limit, max_iterations)
    rng_state, reported_seed = _kernel_seed(seed)
    reporter = progress_reporter(progress, "assign.best", time_limit=time_limit, max_iterations=max_iterations)
    agents, jobs = instance.agents, instance.jobs

    relaxation = _relaxation(instance)  # InfeasibleError propagates: the instance is infeasible
    integer_costs = _integer_costs(instance)
    lower_bound = relaxation.lower_bound
    bound = lower_bound
    if integer_costs and math.isfinite(bound):
        bound = float(math.ceil(bound))
    has_bound = math.isfinite(bound)

    fixing = settings.reduced_cost_fixing and has_bound
    reduced_cost = relaxation.reduced_cost if fixing else np.zeros((agents, jobs))
    problem = kernels.make_problem(instance.kernel_cost(), instance.resource, instance.capacity, instance.allowed,
                                   reduced_cost)
    if settings.max_candidates is None:
        max_candidates = agents if jobs < FOCUS_FROM_JOBS else min(FOCUS_CANDIDATES, agents)
    else:
        max_candidates = min(settings.max_candidates, agents)
    if not np.any(reduced_cost):
        max_candidates = agents  # no LP information to rank agents by: no focus
    candidates = kernels.make_candidates(problem, np.inf, max_candidates)
    allowed_costs = instance.cost[instance.allowed]
    # Weights start at the typical cost of a unit of resource and then adapt per agent.
    unit_price = float(np.mean(np.abs(allowed_costs))) / max(float(np.mean(instance.resource[instance.allowed])),
                                                             1e-12)
    unit_price = unit_price if math.isfinite(unit_price) and unit_price > 0 else 1.0
    state = kernels.make_state(problem, relaxation.start, np.full(agents, unit_price), rng_state,
                               settings.elite_size, TRACE_ROWS)
    tenure = settings.tabu_tenure
    stall = settings.stall_iterations
    if stall is None:
        stall = max(20_000, 200 * jobs) if time_limit is None and max_iterations is None else 2**62
    search_settings = kernels.Settings(
        tenure_min=0 if settings.descent else max(1, tenure // 2),
        tenure_max=0 if settings.descent else max(1, tenure // 2) + tenure,
        restart_iterations=settings.restart_iterations or max(100, 3 * jobs), stall_iterations=stall,
        perturbation=max(2, jobs // 20), max_candidates=max_candidates,
        sample_agents=agents if settings.sample_agents is None else min(settings.sample_agents, agents),
        ejection=settings.ejection, descent=settings.descent,
        penalty_increase=settings.penalty_increase, penalty_decrease=settings.penalty_decrease,
        penalty_floor=1e-3 * unit_price, improvement_step=1.0 if integer_costs else 0.0,
        lower_bound=lower_bound if fixing else -math.inf, fixing_slack=_fixing_slack(instance, relaxation))
    values, counters = state.values, state.counters
    if counters[kernels.OVERLOADED] == 0:  # the rounded LP solution is already feasible
        values[kernels.BEST_COST] = values[kernels.CURRENT_COST]
        kernels.record_trace(state.trace, counters, now() - started, values[kernels.BEST_COST])
    if fixing and math.isfinite(values[kernels.BEST_COST]):
        kernels.tighten_candidates(problem, candidates, values[kernels.BEST_COST] - search_settings.improvement_step
                                   - lower_bound + search_settings.fixing_slack, max_candidates)

    deadline = started + time_limit if time_limit is not None else math.inf
    target = -math.inf if settings.target is None else settings.target
    while True:
        report_at = now() + REPORT_SECONDS if reporter.enabled else math.inf
        limits = kernels.Limits(started=started, deadline=deadline, report_at=report_at,
                                iteration_stop=max_iterations if max_iterations is not None else 2**62,
                                target=target, bound=bound if has_bound else -math.inf, gap=settings.gap)
        reason = kernels.tabu_search(problem, candidates, state, search_settings, limits)
        if reason != kernels.STOPPED_FOR_REPORT:
            break
        best = float(values[kernels.BEST_COST])
        reporter.report(int(counters[kernels.ITERATION]), objective=best if math.isfinite(best) else None,
                        bound=bound if has_bound else None,
                        gap=_proven_gap(best, bound) if has_bound and math.isfinite(best) else None,
                        message=f"restarts {int(counters[kernels.RESTARTS])}")

    feasible = math.isfinite(values[kernels.BEST_COST])
    if feasible:
        best_assignment = state.best_assignment.copy()
        objective = float(instance.evaluate(best_assignment)[0])
    else:
        best_assignment = state.assignment.copy()
        objective = math.inf
    gap = _proven_gap(objective, bound) if has_bound else None
    if feasible and gap is not None and gap <= min(settings.gap, OPTIMAL_GAP):
        status = "optimal"
    elif feasible and gap is not None and gap <= settings.gap:
        status = "gap_reached"
    elif reason == kernels.STOPPED_BY_TIME:
        status = "time_limit"
    elif reason == kernels.STOPPED_BY_ITERATIONS:
        status = "iteration_limit"
    elif feasible:
        status = "feasible"  # target or stall
    else:
        status = "infeasible"
    rows = state.trace[: counters[kernels.TRACE_LENGTH]]
    trace = make_trace(("iteration", "seconds", "objective"), rows)
    reporter.report(int(counters[kernels.ITERATION]), objective=objective if feasible else None,
                    bound=bound if has_bound else None, gap=gap, message=status, final=True)
    return gap_result(instance, best_assignment, method="best", status=status, bound=bound if has_bound else None,
                      iterations=int(counters[kernels.ITERATION]), wall_time=time.perf_counter() - started_wall,
                      trace=trace, seed=reported_seed)
