"""Solving the siting model: simulated annealing, genetic algorithm, ant colony, exact enumeration.

All four share one evaluation (:mod:`evcore.siting._evaluate`): nearest open station per point,
the cheapest pile design per station, penalties for violated constraints, incremental flips.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np

from .._compiled import ensure_compiled
from .._threads import RECHECK_SECONDS, kernel_threads
from .._validate import as_scalar, check_limits, check_options, check_seed, check_threads
from ..errors import InfeasibleError, InputError
from ..heuristics import STOP_DEADLINE, STOP_REPORT, search_control, trace_array
from ..heuristics.clock import now
from ..progress import progress_reporter
from ..results import FEASIBLE, ITERATION_LIMIT, OPTIMAL, TIME_LIMIT
from . import _design, _search
from ._arrays import PAPER_PENALTY, kernel_arrays
from ._result import SitingResult, plan_result
from .model import SitingInstance

__all__ = ["solve", "METHODS", "DEFAULT_SETTINGS", "MAX_EXACT_SITES", "PENALTY"]

logger = logging.getLogger(__name__)

#: Largest number of candidate sites the exact enumeration accepts (2^24 plans).
MAX_EXACT_SITES = 24
#: The paper's penalty for a violated constraint (§3.3); see the ``penalty`` option of :func:`solve`.
PENALTY = PAPER_PENALTY

#: Every method's settings and their defaults: the paper's configurations (§3.3), plus a final
#: local descent (``polish``) on the best plan. Every method also takes ``penalty``.
DEFAULT_SETTINGS = {
    "sa": {"initial_temperature": 1000.0, "cooling": 0.95, "temperature_steps": 200,
           "moves_per_step": None, "polish": True},
    "ga": {"population": 5000, "generations": 200, "elite": 50, "crossover_rate": 0.4,
           "mutation_rate": 0.8, "polish": True},
    "aco": {"ants": 5000, "iterations": 200, "evaporation": 0.8, "initial_pheromone": 1.0,
            "exploit_probability": 0.7, "min_pheromone": 0.05, "polish": True, "threads": None},
    "exact": {},
}
METHODS = tuple(DEFAULT_SETTINGS)

#: The setting each method counts its iterations in (``max_iterations`` caps it).
_ITERATION_SETTING = {"sa": "temperature_steps", "ga": "generations", "aco": "iterations"}
_COUNTS = ("temperature_steps", "moves_per_step", "population", "generations", "elite", "ants", "iterations")
_RATES = ("cooling", "crossover_rate", "mutation_rate", "evaporation", "exploit_probability")
#: Largest population, ant count or moves per step (memory grows with population x sites).
MAX_POPULATION = 1_000_000
#: Ants x demand points below which ACO evaluates its colony on one thread.
ACO_PARALLEL_WORK = 2_000


def _settings(method: str, options: dict, instance: SitingInstance) -> dict:
    if not isinstance(method, str) or method not in DEFAULT_SETTINGS:
        raise InputError("method", f"must be one of {list(METHODS)}, got {method!r}")
    check_options(method, options, set(DEFAULT_SETTINGS[method]) | {"penalty"})
    settings = {**DEFAULT_SETTINGS[method], **{k: v for k, v in options.items() if k != "penalty"}}
    if method == "sa" and settings["moves_per_step"] is None:
        settings["moves_per_step"] = 20 * instance.num_sites
    for name, value in settings.items():
        if name == "threads":
            settings[name] = check_threads(value)
            continue
        if name == "polish":
            if not isinstance(value, (bool, np.bool_)):
                raise InputError("polish", f"must be True or False, got {value!r}")
            settings[name] = bool(value)
            continue
        if name in _COUNTS:
            number = as_scalar(name, value, int)
            if not 1 <= number <= MAX_POPULATION:
                raise InputError(name, f"must be an integer in [1, {MAX_POPULATION}], got {value!r}")
            settings[name] = number
            continue
        number = as_scalar(name, value)
        if not math.isfinite(number) or number < 0:
            raise InputError(name, f"must be finite and >= 0, got {value!r}")
        if name in _RATES and number > 1:
            raise InputError(name, f"must be in [0, 1], got {value!r}")
        settings[name] = number
    if method == "aco" and settings["min_pheromone"] <= 0 and settings["initial_pheromone"] <= 0:
        raise InputError("initial_pheromone", "and min_pheromone cannot both be 0 (no trail to follow)")
    return settings


def _penalty(options: dict):
    if "penalty" not in options or options["penalty"] is None:
        return None
    value = as_scalar("penalty", options["penalty"])
    if not math.isfinite(value) or value <= 0:
        raise InputError("penalty", f"must be finite and > 0, got {options['penalty']!r}")
    return value


def _check_servable(instance: SitingInstance, arrays) -> None:
    """Raise :class:`InfeasibleError` for what no plan can fix."""
    lonely = np.flatnonzero((instance.distance_km > instance.max_distance_km).all(axis=1))
    if lonely.size:
        names = ", ".join(instance.point_names[i] for i in lonely[:10])
        raise InfeasibleError(
            f"{lonely.size} demand point(s) have no candidate site within max_distance_km="
            f"{instance.max_distance_km:g} km (points {names}{', ...' if lonely.size > 10 else ''})",
            status="no plan")
    p = instance.parameters
    scratch = np.empty(4)
    i = int(np.argmax(instance.demand_per_day))
    _design.station_design(float(instance.demand_per_day[i]), arrays.design, scratch)
    if math.isinf(scratch[0]):
        raise InfeasibleError(
            f"demand point {instance.point_names[i]} alone ({instance.demand_per_day[i]:g} vehicles/day) "
            f"cannot be served with a mean wait <= {p.max_wait_hours:g} h by at most {p.max_piles} piles "
            f"and {p.max_station_kva:g} kVA; raise max_piles, max_station_kva or max_wait_hours",
            status="no plan")


def solve(instance: SitingInstance, method: str = "sa", *args, time_limit=None, max_iterations=None, seed=None,
          progress=False, **options) -> SitingResult:
    """Choose sites and pile numbers for ``instance``.

    Parameters
    ----------
    instance : SitingInstance
    method : {"sa", "ga", "aco", "exact"}
        Simulated annealing, genetic algorithm, ant colony (the paper's §3.3 configurations by
        default, see :data:`DEFAULT_SETTINGS`), or enumeration of every plan (at most
        :data:`MAX_EXACT_SITES` candidate sites; proves optimality).
    time_limit : float, optional
        Seconds (``> 0``); the best plan so far is returned with status ``"time_limit"``.
    max_iterations : int, optional
        Caps the method's iterations (SA temperature steps, GA generations, ACO rounds, plans
        enumerated); stopping early gives status ``"iteration_limit"``.
    seed : int, optional
        Seed of the random methods (default 0; ``0 <= seed < 2**63``); ignored by ``"exact"``.
        The same seed gives the same answer, whatever the number of threads.
    progress : bool or callable
        ``True``: lines on stderr; a callable receives :class:`evcore.progress.ProgressRecord`\\ s.
    **options
        Method settings overriding :data:`DEFAULT_SETTINGS` (e.g. ``generations=50``; ACO's
        ``threads``: Numba threads evaluating the colony, default chosen from the cores free now
        and re-checked during the run, see :mod:`evcore._threads`), and
        ``penalty``: objective added per violated constraint during the search (default: the
        paper's 5e7, raised to twice a bound on any plan's cost when the instance's costs are
        larger, so that a plan with a violation never looks cheaper than one without). Results
        report violations by name either way.

    Returns
    -------
    SitingResult
        Statuses: ``optimal`` (exact, complete), ``feasible`` (a heuristic ran its budget),
        ``time_limit``, ``iteration_limit``, ``infeasible`` (the best plan found violates a
        constraint; ``violations`` says which).

    Raises
    ------
    InfeasibleError
        A demand point has no candidate site in range, or a single point's demand cannot be
        served within the wait limit (no plan can fix either), or (exact) no plan satisfies
        every constraint.
    InputError
        Bad instance, method, limits, seed or options (positional arguments after ``method``
        included: they are keyword-only).
    """
    if args:
        raise InputError("solve", f"takes instance and method positionally; pass seed, time_limit and the rest "
                         f"as keywords (solve(instance, {method!r}, seed=...)), got {len(args)} more positional "
                         "argument(s)")
    if not isinstance(instance, SitingInstance):
        raise InputError("instance", f"must be a SitingInstance, got {type(instance).__name__}")
    config = _settings(method, options, instance)
    penalty = _penalty(options)
    time_limit, max_iterations = check_limits(time_limit, max_iterations)
    seed = check_seed(seed)
    reporter = progress_reporter(progress, f"siting.{method}", time_limit=time_limit, max_iterations=max_iterations)
    if method == "exact" and instance.num_sites > MAX_EXACT_SITES:
        raise InputError("method", f"'exact' enumerates 2^sites plans and accepts at most {MAX_EXACT_SITES} "
                         f"candidate sites, got {instance.num_sites}; use 'sa', 'ga' or 'aco'")
    arrays = kernel_arrays(instance, penalty)
    _check_servable(instance, arrays)
    ensure_compiled(_search)
    if method == "exact":
        plans = 2**instance.num_sites if max_iterations is None else min(2**instance.num_sites, max_iterations)
        steps, limited, seed = None, plans < 2**instance.num_sites, None
    else:
        name = _ITERATION_SETTING[method]
        limited = max_iterations is not None and max_iterations < config[name]
        steps = min(config[name], max_iterations) if max_iterations is not None else config[name]
    search = _search.new_search(arrays, config.get("population", config.get("ants", 1)),
                                config.get("initial_pheromone", 1.0))
    started = time.perf_counter()
    work = config.get("ants", 1) * instance.num_points if method == "aco" else 1
    with kernel_threads(config.get("threads"), work=work, min_parallel_work=ACO_PARALLEL_WORK) as governor:
        # the search's clock (trace seconds, time limit) starts once the thread count is chosen:
        # the policy's first look at the machine may take 0.1 s, counted in wall_time only
        control = search_control(0 if seed is None else seed, time_limit=time_limit, max_steps=steps)
        pause = RECHECK_SECONDS if method == "aco" and governor.fixed is None else math.inf
        if reporter.enabled:
            pause = min(pause, reporter.interval_s)
        while True:
            control = control._replace(report_at=now() + pause if math.isfinite(pause) else math.inf)
            if method == "sa":
                stop = _search.anneal(arrays, control, search, config["initial_temperature"], config["cooling"],
                                      config["moves_per_step"])
            elif method == "ga":
                stop = _search.genetic(arrays, control, search, config["elite"], config["crossover_rate"],
                                       config["mutation_rate"])
            elif method == "aco":
                stop = _search.ant_colony(arrays, control, search, config["evaporation"],
                                          config["exploit_probability"], config["min_pheromone"], config["polish"])
            else:
                stop = _search.enumerate_plans(arrays, control, search, plans)
            if stop != STOP_REPORT:
                break
            best = float(control.values[0])
            done = search.tally[1] if method == "exact" else control.counters[1]
            reporter.report(int(done), objective=best if math.isfinite(best) else None,
                            message=f"{int(search.tally[0])} evaluations, {governor.threads} thread(s)")
            governor.update()
    timed_out = stop == STOP_DEADLINE
    if method in ("sa", "ga") and config["polish"] and not timed_out:
        _search.polish(arrays, control, search)
    iterations = int(search.tally[1]) if method == "exact" else int(control.counters[1])
    evaluations = int(search.tally[0])
    best = float(control.values[0])
    if method == "exact" and math.isinf(best) and not (timed_out or limited):
        raise InfeasibleError(_infeasibility_reason(instance, arrays), status="no plan")
    wall = time.perf_counter() - started
    if timed_out:
        status = TIME_LIMIT
    elif limited:
        status = ITERATION_LIMIT
    else:
        status = OPTIMAL if method == "exact" else FEASIBLE
    best_open = search.best_open
    if method == "exact" and math.isinf(best):  # stopped before any violation-free plan
        best_open = np.ones(instance.num_sites, np.int8)
    result = plan_result(instance, best_open, method=method, status=status, seed=seed, iterations=iterations,
                         evaluations=evaluations, wall_time=wall, trace=trace_array(control),
                         bound=(best if status == OPTIMAL else None), arrays=arrays)
    reporter.report(iterations, objective=result.objective if math.isfinite(result.objective) else None,
                    message=f"{result.status}, {result.stations} stations, {int(result.piles.sum())} piles",
                    final=True)
    logger.info("siting %s: %s, objective %.6g, %d stations, %.3f s", method, result.status, result.objective,
                result.stations, wall)
    return result


def _infeasibility_reason(instance: SitingInstance, arrays) -> str:
    everything = plan_result(instance, np.ones(instance.num_sites, np.int8), arrays=arrays)
    return ("no plan satisfies every constraint; with every site open: " + "; ".join(everything.violations[:5])
            if everything.violations else "no plan satisfies every constraint (station count or spacing)")
