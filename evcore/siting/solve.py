"""Solving the siting model: simulated annealing, genetic algorithm, ant colony, exact enumeration.

All four share one evaluation (:mod:`evcore.siting._kernels`): nearest open station per point,
the cheapest pile design per station, penalties for violated constraints, incremental flips.
"""

from __future__ import annotations

import math
import time
import weakref
from dataclasses import dataclass

import numpy as np

from .._compiled import ensure_compiled
from .._validate import as_scalar
from ..errors import InfeasibleError, InputError
from . import _kernels
from .model import SitingInstance

__all__ = ["SitingResult", "solve", "METHODS", "DEFAULT_SETTINGS", "plan_result"]

#: Largest number of candidate sites the exact enumeration accepts (2^24 plans).
MAX_EXACT_SITES = 24

#: Every method's settings and their defaults: the paper's configurations (§3.3), plus a final
#: local descent (``polish``) on the best plan.
DEFAULT_SETTINGS = {
    "sa": {"initial_temperature": 1000.0, "cooling": 0.95, "temperature_steps": 200,
           "moves_per_step": None, "polish": True},
    "ga": {"population": 5000, "generations": 200, "elite": 50, "crossover_rate": 0.4,
           "mutation_rate": 0.8, "polish": True},
    "aco": {"ants": 5000, "iterations": 200, "evaporation": 0.8, "initial_pheromone": 1.0,
            "exploit_probability": 0.7, "min_pheromone": 0.05, "polish": True},
    "exact": {},
}
METHODS = tuple(DEFAULT_SETTINGS)


@dataclass(frozen=True, eq=False)
class SitingResult:
    """A siting plan and its costs (10^4 yuan per year).

    Attributes
    ----------
    total_cost : float
        ``F1 + F2`` (the paper's "total cost").
    investment_cost : float
        ``F1``: annualised land, facilities and piles, operating cost and ``epsilon``.
    user_cost : float
        ``F2``: energy and time to reach the station plus queueing time.
    objective : float
        ``w F1 + (1 - w) F2``, what the methods minimise (plus penalties when infeasible).
    open_sites : tuple of int
        0-based indices of built stations.
    piles, slow_piles, fast_piles : numpy.ndarray of int, shape (sites,)
        Piles per site (0 where nothing is built).
    kva : numpy.ndarray, shape (sites,)
        Installed capacity per site from its pile counts (eq. 22 with counts).
    kva_total : float
        Sum of ``kva``.
    station_load : numpy.ndarray, shape (sites,)
        Vehicles per day each station serves.
    mean_wait_hours : numpy.ndarray, shape (sites,)
        ``W_j`` (h).
    assigned_site : numpy.ndarray of int, shape (points,)
        Station of each demand point, -1 when none is in range.
    cost_breakdown : dict
        ``land``, ``facilities``, ``piles``, ``operating``, ``fixed_operating``, ``energy``,
        ``travel_time``, ``queueing``.
    feasible : bool
        No violated constraint.
    violations : tuple of str
        Each violated constraint, by name.
    status : str
        ``"optimal"`` (exact, complete), ``"completed"`` (a heuristic ran its budget),
        ``"time_limit"``, or ``"infeasible"`` (best plan found violates constraints).
    method : str
    seed : int or None
    iterations : int
        Temperature steps, generations, ant iterations or plans enumerated.
    evaluations : int
        Moves or plans evaluated.
    wall_time : float
        Seconds (compilation excluded).
    trace : numpy.ndarray, shape (k, 2)
        (seconds, best objective so far) per iteration: the convergence curve.
    """

    total_cost: float
    investment_cost: float
    user_cost: float
    objective: float
    open_sites: tuple
    piles: np.ndarray
    slow_piles: np.ndarray
    fast_piles: np.ndarray
    kva: np.ndarray
    kva_total: float
    station_load: np.ndarray
    mean_wait_hours: np.ndarray
    assigned_site: np.ndarray
    cost_breakdown: dict
    feasible: bool
    violations: tuple
    status: str
    method: str
    seed: int | None
    iterations: int
    evaluations: int
    wall_time: float
    trace: np.ndarray

    @property
    def stations(self) -> int:
        return len(self.open_sites)


#: The paper's penalty for a violated constraint (§3.3), in objective units.
PENALTY = 5.0e7


#: Problem tuples per instance: the station-design memo inside fills as searches visit loads,
#: so repeated solves of one instance (Pareto tables, repeated runs) start warm.
_PROBLEMS: "weakref.WeakKeyDictionary[SitingInstance, dict]" = weakref.WeakKeyDictionary()


def _problem(instance: SitingInstance, penalty: float = PENALTY):
    """The kernels' problem tuple for ``instance`` (built once per instance and penalty)."""
    per_instance = _PROBLEMS.setdefault(instance, {})
    if penalty not in per_instance:
        per_instance[penalty] = _build_problem(instance, penalty)
    return per_instance[penalty]


def _build_problem(instance: SitingInstance, penalty: float):
    """The kernels' problem tuple (see ``_kernels``) for ``instance``."""
    p = instance.parameters
    w = p.investment_weight
    distance = instance.distance_km
    n, m = distance.shape
    eligible = distance <= instance.max_distance_km
    # nearest first, ties to the lower index; ineligible sites after every eligible one
    keyed = np.where(eligible, distance, np.inf)
    site_order = np.argsort(keyed, axis=1, kind="stable").astype(np.int64)
    order_length = eligible.sum(axis=1).astype(np.int64)
    site_rank = np.empty((n, m), np.int64)
    np.put_along_axis(site_rank, site_order, np.arange(m, dtype=np.int64)[None, :].repeat(n, 0), axis=1)
    near_counts = eligible.sum(axis=0)
    near_start = np.concatenate([[0], np.cumsum(near_counts)]).astype(np.int64)
    near_points = np.nonzero(eligible.T)[1].astype(np.int64)
    assign_cost = (1 - w) * p.user_cost_per_vehicle_km * instance.demand_per_day[:, None] * distance
    site_fixed = w * p.capital_recovery * (instance.land_cost + p.station_facilities)
    slow_annual, fast_annual = p.annual_pile_cost
    design = np.array([w, p.slow_share, p.fast_share, slow_annual, fast_annual, p.queue_cost_per_vehicle_hour,
                       p.operating_hours_per_day, p.slow_charge_hours, p.fast_charge_hours, p.max_wait_hours,
                       p.min_piles, p.max_piles, 1.0 if instance.split == "optimise" else 0.0,
                       *p.pile_kva, p.max_station_kva])
    demand = np.array(instance.demand_per_day, dtype=np.float64)  # writable: one compiled signature
    total = demand.sum()
    integral = bool(np.all(demand == np.floor(demand))) and total < 5e7
    memo = np.full(int(total) + 1 if integral else 0, np.nan)
    site_distance = instance.site_distance_km
    service_range = 0.0
    if instance.service_range_km is not None:
        service_range = float(instance.service_range_km)
    else:
        site_distance = np.zeros((1, 1))
    return (demand, site_order, order_length, site_rank, near_start, near_points,
            np.ascontiguousarray(assign_cost), site_fixed, w * p.fixed_operating_cost,
            float(penalty), np.ascontiguousarray(site_distance, dtype=np.float64), service_range,
            design, memo)


def _required(instance: SitingInstance) -> int:
    return -1 if instance.stations is None else int(instance.stations)


def _check_servable(instance: SitingInstance) -> None:
    """Raise :class:`InfeasibleError` for what no plan can fix."""
    lonely = np.flatnonzero((instance.distance_km > instance.max_distance_km).all(axis=1))
    if lonely.size:
        names = ", ".join(instance.point_names[i] for i in lonely[:10])
        raise InfeasibleError(
            f"{lonely.size} demand point(s) have no candidate site within max_distance_km="
            f"{instance.max_distance_km:g} km (points {names}{', ...' if lonely.size > 10 else ''})",
            status="no plan")
    p = instance.parameters
    design = _problem(instance)[12]
    scratch = np.empty(4)
    for i in np.argsort(-instance.demand_per_day)[:1]:
        _kernels.station_design(float(instance.demand_per_day[i]), design, scratch)
        if math.isinf(scratch[0]):
            raise InfeasibleError(
                f"demand point {instance.point_names[i]} alone ({instance.demand_per_day[i]:g} vehicles/day) "
                f"cannot be served with a mean wait <= {p.max_wait_hours:g} h by at most {p.max_piles} piles "
                f"and {p.max_station_kva:g} kVA; raise max_piles, max_station_kva or max_wait_hours",
                status="no plan")


def _settings(method: str, overrides: dict, instance: SitingInstance) -> dict:
    if method not in DEFAULT_SETTINGS:
        raise InputError("method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    unknown = set(overrides) - set(DEFAULT_SETTINGS[method])
    if unknown:
        raise InputError("settings", f"{sorted(unknown)} are not settings of {method!r}; "
                         f"it takes {sorted(DEFAULT_SETTINGS[method])}")
    settings = {**DEFAULT_SETTINGS[method], **overrides}
    if method == "sa" and settings["moves_per_step"] is None:
        settings["moves_per_step"] = 20 * instance.num_sites
    for name, value in settings.items():
        if name == "polish":
            settings[name] = bool(value)
            continue
        number = as_scalar(name, value)
        if not np.isfinite(number) or number < 0:
            raise InputError(name, f"must be finite and >= 0, got {value!r}")
        settings[name] = number
    for name in ("temperature_steps", "moves_per_step", "population", "generations", "elite", "ants", "iterations"):
        if name in settings:
            if settings[name] != int(settings[name]) or settings[name] < 1:
                raise InputError(name, f"must be a positive integer, got {settings[name]!r}")
            settings[name] = int(settings[name])
    for name in ("cooling", "crossover_rate", "mutation_rate", "evaporation", "exploit_probability"):
        if name in settings and settings[name] > 1:
            raise InputError(name, f"must be in [0, 1], got {settings[name]!r}")
    return settings


def solve(instance: SitingInstance, method: str = "sa", seed: int = 0, time_limit: float | None = None,
          *, progress: bool = False, penalty: float = PENALTY, **settings) -> SitingResult:
    """Choose sites and pile numbers for ``instance``.

    Parameters
    ----------
    instance : SitingInstance
    method : {"sa", "ga", "aco", "exact"}
        Simulated annealing, genetic algorithm, ant colony (the paper's §3.3 configurations by
        default, see :data:`DEFAULT_SETTINGS`), or enumeration of every plan (at most
        ``MAX_EXACT_SITES`` candidate sites; proves optimality).
    seed : int
        Seed of the random methods (ignored by ``"exact"``).
    time_limit : float, optional
        Seconds; the best plan so far is returned with status ``"time_limit"``.
    progress : bool
        Print the convergence trace (iteration, seconds, best objective) when done.
    penalty : float
        Objective added per violated constraint during the search (the paper's 5e7); it must
        exceed any real cost difference. Results report violations by name either way.
    **settings
        Method settings overriding :data:`DEFAULT_SETTINGS` (e.g. ``generations=50``).

    Returns
    -------
    SitingResult

    Raises
    ------
    InfeasibleError
        A demand point has no candidate site in range, or a single point's demand cannot be
        served within the wait limit (no plan can fix either).
    InputError
        Unknown method or bad settings.
    """
    if not isinstance(instance, SitingInstance):
        raise InputError("instance", f"must be a SitingInstance, got {type(instance).__name__}")
    config = _settings(method, settings, instance)
    if time_limit is not None:
        time_limit = as_scalar("time_limit", time_limit)
        if not time_limit >= 0:
            raise InputError("time_limit", f"must be >= 0 seconds, got {time_limit!r}")
    if method == "exact" and instance.num_sites > MAX_EXACT_SITES:
        raise InputError("method", f"'exact' enumerates 2^sites plans and accepts at most {MAX_EXACT_SITES} "
                         f"candidate sites, got {instance.num_sites}; use 'sa', 'ga' or 'aco'")
    seed = int(seed)
    penalty = as_scalar("penalty", penalty)
    if not np.isfinite(penalty) or penalty <= 0:
        raise InputError("penalty", f"must be finite and > 0, got {penalty!r}")
    _check_servable(instance)
    ensure_compiled(_kernels)
    prob = _problem(instance, penalty)
    required = _required(instance)
    m = instance.num_sites
    best_open = np.zeros(m, np.int8)
    started = time.perf_counter()
    deadline = _kernels_deadline(time_limit)
    trace = np.zeros(4096, dtype=np.float64).reshape(2048, 2)
    if method == "sa":
        trace = np.zeros((config["temperature_steps"] + 2, 2))
        best, evaluations, iterations, timed_out, rows = _kernels.anneal(
            prob, required, seed, config["initial_temperature"], config["cooling"], config["temperature_steps"],
            config["moves_per_step"], config["polish"], deadline, best_open, trace)
    elif method == "ga":
        trace = np.zeros((config["generations"] + 2, 2))
        best, evaluations, iterations, timed_out, rows = _kernels.genetic(
            prob, required, seed, config["population"], config["generations"], min(config["elite"],
                                                                                   config["population"]),
            config["crossover_rate"], config["mutation_rate"], config["polish"], deadline, best_open, trace)
    elif method == "aco":
        trace = np.zeros((config["iterations"] + 2, 2))
        best, evaluations, iterations, timed_out, rows = _kernels.ant_colony(
            prob, required, seed, config["ants"], config["iterations"], config["evaporation"],
            config["initial_pheromone"], config["exploit_probability"], config["min_pheromone"],
            config["polish"], deadline, best_open, trace)
    else:
        best, evaluations, timed_out = _kernels.enumerate_plans(prob, required, deadline, best_open)
        iterations = evaluations
        trace = np.array([[time.perf_counter() - started, best]])
        rows = 1
        seed = None
        if math.isinf(best) and not timed_out:
            raise InfeasibleError(_infeasibility_reason(instance), status="no plan")
    wall = time.perf_counter() - started
    status = "time_limit" if timed_out else ("optimal" if method == "exact" else "completed")
    result = plan_result(instance, best_open, method=method, status=status, seed=seed, iterations=int(iterations),
                         evaluations=int(evaluations), wall_time=wall, trace=trace[:rows].copy(), prob=prob)
    if progress:
        _print_progress(result)
    return result


def _kernels_deadline(time_limit):
    from ..heuristics.clock import now

    return math.inf if time_limit is None else now() + float(time_limit)


def _infeasibility_reason(instance: SitingInstance) -> str:
    everything = plan_result(instance, np.ones(instance.num_sites, np.int8), method="exact", status="infeasible",
                             seed=None, iterations=0, evaluations=0, wall_time=0.0, trace=np.zeros((0, 2)))
    return ("no plan satisfies every constraint; with every site open: " + "; ".join(everything.violations[:5])
            if everything.violations else "no plan satisfies every constraint (station count or spacing)")


def _print_progress(result: SitingResult) -> None:
    rows = result.trace
    step = max(1, len(rows) // 10)
    for k in list(range(0, len(rows), step)) + ([len(rows) - 1] if len(rows) else []):
        print(f"[siting {result.method}] iteration {k:5d}  {rows[k, 0]:8.3f} s  best objective {rows[k, 1]:.4f}")
    print(f"[siting {result.method}] {result.status}: total {result.total_cost:.2f} (10^4 yuan/yr), "
          f"{result.stations} stations, {int(result.piles.sum())} piles, feasible={result.feasible}")


def plan_result(instance: SitingInstance, is_open, *, method: str = "given", status: str = "evaluated",
                seed=None, iterations: int = 0, evaluations: int = 1, wall_time: float = 0.0,
                trace=None, prob=None) -> SitingResult:
    """Evaluate a given plan (0/1 per site) into a :class:`SitingResult` with every cost."""
    p = instance.parameters
    is_open = np.asarray(is_open, dtype=np.int8).copy()
    if is_open.shape != (instance.num_sites,):
        raise InputError("is_open", f"must have shape ({instance.num_sites},), got {is_open.shape}")
    ensure_compiled(_kernels)
    prob = prob or _problem(instance)
    n, m = instance.num_points, instance.num_sites
    assigned = np.empty(n, np.int64)
    load = np.empty(m)
    cost = np.empty(m)
    totals = np.zeros(6)
    scratch = np.empty(4)
    _kernels.evaluate_plan(is_open, prob[0], prob[1], prob[2], prob[6], prob[7], prob[8], prob[9],
                           _required(instance), prob[10], prob[11], prob[12], prob[13], scratch, assigned, load,
                           cost, totals)
    slow = np.zeros(m, np.int64)
    fast = np.zeros(m, np.int64)
    wait = np.zeros(m)
    violations = []
    for j in np.flatnonzero(is_open):
        _kernels.station_design(float(load[j]), prob[12], scratch)
        if math.isinf(scratch[0]):
            violations.append(f"wait limit: station at site {instance.site_names[j]} cannot keep the mean wait <= "
                              f"{p.max_wait_hours:g} h with at most {p.max_piles} piles and "
                              f"{p.max_station_kva:g} kVA "
                              f"(load {load[j]:g} vehicles/day)")
            continue
        slow[j], fast[j], wait[j] = int(scratch[1]), int(scratch[2]), scratch[3]
    for i in np.flatnonzero(assigned < 0):
        violations.append(f"anxiety range: demand point {instance.point_names[i]} has no open station within "
                          f"{instance.max_distance_km:g} km")
    opened = int(is_open.sum())
    if instance.stations is not None and opened != instance.stations:
        violations.append(f"station count: {opened} stations open, {instance.stations} required")
    if instance.service_range_km is not None:
        violations.extend(_spacing_messages(instance, is_open))
    served = assigned >= 0
    distance = np.where(served, instance.distance_km[np.arange(n), np.maximum(assigned, 0)], 0.0)
    vehicle_km = float((instance.demand_per_day * distance).sum())
    per_km_energy = 365.0 * p.congestion_factor * p.energy_per_km * p.energy_price / 1e4
    per_km_time = 365.0 * p.congestion_factor * p.value_of_time / p.speed_kmh / 1e4
    crf = p.capital_recovery
    slow_op, fast_op = p.operating_cost_per_pile
    built = is_open.astype(bool)
    breakdown = {
        "land": float(crf * instance.land_cost[built].sum()),
        "facilities": float(crf * p.station_facilities * opened),
        "piles": float(crf * ((p.slow_pile_price + p.infrastructure_per_pile) * slow.sum()
                              + (p.fast_pile_price + p.infrastructure_per_pile) * fast.sum())),
        "operating": float(slow_op * slow.sum() + fast_op * fast.sum()),
        "fixed_operating": float(p.fixed_operating_cost if opened else 0.0),
        "energy": per_km_energy * vehicle_km,
        "travel_time": per_km_time * vehicle_km,
        "queueing": float(p.queue_cost_per_vehicle_hour * (wait * load).sum()),
    }
    investment = sum(breakdown[k] for k in ("land", "facilities", "piles", "operating", "fixed_operating"))
    user = breakdown["energy"] + breakdown["travel_time"] + breakdown["queueing"]
    kva = (slow * p.slow_pile_kw + fast * p.fast_pile_kw) * p.kva_per_kw
    feasible = not violations
    if not feasible and status in ("optimal", "completed"):
        status = "infeasible"
    return SitingResult(
        total_cost=investment + user, investment_cost=investment, user_cost=user, objective=float(totals[0]),
        open_sites=tuple(int(j) for j in np.flatnonzero(built)), piles=slow + fast, slow_piles=slow,
        fast_piles=fast, kva=kva, kva_total=float(kva.sum()), station_load=load.copy(), mean_wait_hours=wait,
        assigned_site=assigned.copy(), cost_breakdown=breakdown, feasible=feasible, violations=tuple(violations),
        status=status, method=method, seed=seed, iterations=iterations, evaluations=evaluations,
        wall_time=wall_time, trace=np.zeros((0, 2)) if trace is None else trace)


def _spacing_messages(instance: SitingInstance, is_open) -> list[str]:
    r = instance.service_range_km
    d = instance.site_distance_km
    names = instance.site_names
    opened = np.flatnonzero(is_open)
    messages = []
    for a_pos, a in enumerate(opened):
        for b in opened[a_pos + 1:]:
            if d[a, b] < r:
                messages.append(f"spacing: stations {names[a]} and {names[b]} are {d[a, b]:.2f} km apart "
                                f"(< service range {r:g} km)")
    if len(opened) > 1:
        for a in opened:
            nearest = min(d[a, b] for b in opened if b != a)
            if nearest > 2 * r:
                messages.append(f"spacing: station {names[a]}'s nearest open neighbour is {nearest:.2f} km away "
                                f"(> 2 x service range {r:g} km)")
    return messages
