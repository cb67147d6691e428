"""Metaheuristics for the GAP: HASP (seed 003) and the rivals it is compared with.

- :func:`solve_hasp`: the hybrid assignment search procedure: GRASP-built population,
  fitness-proportional selection, crossover, swap mutation, capacity repair and the Swap
  local search.
- :func:`solve_tabu`: tabu search over shift and swap moves with adaptive penalties.
- :func:`solve_bees`: the bees algorithm.
- :func:`solve_de`: DE-SK, differential evolution with a discrete mapping and local search.

Each takes ``(instance, *, time_limit=None, seed=0, progress=False, **parameters)``, where the
parameters are the fields of its frozen parameter class, and returns a
:class:`~evcore.assign.GAPResult`. The loops run in Numba (:mod:`._search_kernels`).

Reproducibility: the same seed gives the same answer when the run ends at its iteration or
stall limit. A run cut short by ``time_limit`` stops wherever the clock says, so its answer can
differ between runs and machines.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

import numpy as np

from .._compiled import ensure_compiled
from .._validate import as_scalar
from ..errors import InputError
from ..heuristics._kernels import seed_rng
from ..heuristics.clock import now
from . import _search_kernels as kernels
from ._result import GAPResult
from .model import EVInstance, GAPInstance

__all__ = [
    "HASPParameters",
    "TabuParameters",
    "BeesParameters",
    "DEParameters",
    "solve_hasp",
    "solve_tabu",
    "solve_bees",
    "solve_de",
]

#: Rows of the convergence trace kept per run (the last row always holds the final best).
TRACE_ROWS = 2000


# --- parameters -------------------------------------------------------------------------------


def _check_field(name: str, value, kind: type, low: float, high: float = math.inf, *,
                 low_open: bool = False) -> None:
    """Type and range check of one parameter (InputError naming it)."""
    value = as_scalar(name, value, dtype=kind)
    below = value <= low if low_open else value < low
    if below or value > high or (kind is float and math.isnan(value)):
        opening = "(" if low_open else "["
        closing = "]" if high < math.inf else ")"
        raise InputError(name, f"must lie in {opening}{low}, {high}{closing}, got {value!r}")


class _Parameters:
    """Common validation: ``_limits`` maps each field to (type, low, high[, low_open])."""

    _limits: dict = {}

    def __post_init__(self):
        for field in dataclasses.fields(self):
            kind, low, high, *low_open = self._limits[field.name]
            value = getattr(self, field.name)
            _check_field(field.name, value, kind, low, high, low_open=bool(low_open and low_open[0]))
            object.__setattr__(self, field.name, kind(value))

    @classmethod
    def from_options(cls, options: dict):
        """Build from keyword options, naming any that the method does not know."""
        known = {field.name for field in dataclasses.fields(cls)}
        for name in options:
            if name not in known:
                raise InputError(name, f"is not a parameter of {cls.__name__}; known: {sorted(known)}")
        return cls(**options)


@dataclass(frozen=True)
class HASPParameters(_Parameters):
    """Parameters of :func:`solve_hasp`.

    Attributes
    ----------
    population_size : int
        Distinct solutions kept (30).
    alpha : float
        GRASP restricted-candidate-list width in [0, 1]: 0 greedy, 1 random (0.3).
    mutation_rate : float
        Probability that a child is mutated (0.5).
    mutation_swaps : int
        Assignment swaps per mutation (2).
    max_generations : int
        Children produced at most (one per generation, steady-state) (200 000).
    stall_generations : int
        Stop after this many children without a better feasible solution (20 000).
    """

    population_size: int = 30
    alpha: float = 0.3
    mutation_rate: float = 0.5
    mutation_swaps: int = 2
    max_generations: int = 200_000
    stall_generations: int = 20_000
    _limits = {"population_size": (int, 2, math.inf), "alpha": (float, 0.0, 1.0),
               "mutation_rate": (float, 0.0, 1.0), "mutation_swaps": (int, 0, math.inf),
               "max_generations": (int, 0, math.inf), "stall_generations": (int, 1, math.inf)}


@dataclass(frozen=True)
class TabuParameters(_Parameters):
    """Parameters of :func:`solve_tabu`.

    Attributes
    ----------
    tenure_min, tenure_max : int
        A job may not return to an agent it left for a tenure drawn in this range (3, 8;
        short tenures did best on both Cattrysse's small and Chu-Beasley's type C problems).
    penalty_factor : float
        Per-iteration factor by which an overloaded agent's penalty grows, and a respected
        agent's penalty shrinks (1.1).
    max_iterations : int
        Moves at most (200 000).
    stall_iterations : int
        Stop after this many moves without a better feasible solution (20 000).
    """

    tenure_min: int = 3
    tenure_max: int = 8
    penalty_factor: float = 1.1
    max_iterations: int = 200_000
    stall_iterations: int = 20_000
    _limits = {"tenure_min": (int, 0, math.inf), "tenure_max": (int, 0, math.inf),
               "penalty_factor": (float, 1.0, math.inf, True), "max_iterations": (int, 0, math.inf),
               "stall_iterations": (int, 1, math.inf)}

    def __post_init__(self):
        super().__post_init__()
        if self.tenure_max < self.tenure_min:
            raise InputError("tenure_max", f"must be at least tenure_min ({self.tenure_min}), got {self.tenure_max}")


@dataclass(frozen=True)
class BeesParameters(_Parameters):
    """Parameters of :func:`solve_bees` (names after Pham et al.'s n, m, e, nep, nsp, ngh).

    Attributes
    ----------
    scouts : int
        Sites kept, n (40).
    selected_sites : int
        Best sites searched each cycle, m <= n (12).
    elite_sites : int
        Best of those getting more foragers, e <= m (4).
    elite_recruits, other_recruits : int
        Foragers per elite / other selected site, nep and nsp (15, 5).
    initial_patch : int
        Random moves per forager on a fresh site, ngh (4).
    patch_shrink : float
        Patch size factor after a cycle without improvement at a site, in (0, 1] (0.8).
    abandon_after : int
        Cycles without improvement before a site is abandoned and re-scouted (20).
    scout_alpha : float
        GRASP RCL width of the scouts (0.5).
    max_cycles : int
        Cycles at most (100 000).
    stall_cycles : int
        Stop after this many cycles without a better feasible solution (2 000).
    """

    scouts: int = 40
    selected_sites: int = 12
    elite_sites: int = 4
    elite_recruits: int = 15
    other_recruits: int = 5
    initial_patch: int = 4
    patch_shrink: float = 0.8
    abandon_after: int = 20
    scout_alpha: float = 0.5
    max_cycles: int = 100_000
    stall_cycles: int = 2_000
    _limits = {"scouts": (int, 1, math.inf), "selected_sites": (int, 0, math.inf),
               "elite_sites": (int, 0, math.inf), "elite_recruits": (int, 1, math.inf),
               "other_recruits": (int, 1, math.inf), "initial_patch": (int, 1, math.inf),
               "patch_shrink": (float, 0.0, 1.0, True), "abandon_after": (int, 0, math.inf),
               "scout_alpha": (float, 0.0, 1.0), "max_cycles": (int, 0, math.inf),
               "stall_cycles": (int, 1, math.inf)}

    def __post_init__(self):
        super().__post_init__()
        if self.selected_sites > self.scouts:
            raise InputError("selected_sites", f"must be at most scouts ({self.scouts}), got {self.selected_sites}")
        if self.elite_sites > self.selected_sites:
            raise InputError("elite_sites", f"must be at most selected_sites ({self.selected_sites}), "
                                            f"got {self.elite_sites}")


@dataclass(frozen=True)
class DEParameters(_Parameters):
    """Parameters of :func:`solve_de` (DE/rand/1/bin).

    Attributes
    ----------
    population_size : int
        Vectors, at least 4 (20).
    scale : float
        Differential weight F in (0, 2] (0.5).
    crossover_rate : float
        Binomial crossover rate CR in [0, 1] (0.2).
    local_search_rate : float
        Probability that a trial gets the Swap local search (1.0).
    alpha : float
        GRASP RCL width of the initial population (0.5).
    max_generations : int
        Generations at most (20 000).
    stall_generations : int
        Stop after this many generations without a better feasible solution (500).
    """

    population_size: int = 20
    scale: float = 0.5
    crossover_rate: float = 0.2
    local_search_rate: float = 1.0
    alpha: float = 0.5
    max_generations: int = 20_000
    stall_generations: int = 500
    _limits = {"population_size": (int, 4, math.inf), "scale": (float, 0.0, 2.0, True),
               "crossover_rate": (float, 0.0, 1.0), "local_search_rate": (float, 0.0, 1.0),
               "alpha": (float, 0.0, 1.0), "max_generations": (int, 0, math.inf),
               "stall_generations": (int, 1, math.inf)}


# --- shared orchestration ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    """Kernel inputs derived once from an instance."""

    problem: tuple
    job_order: np.ndarray  # jobs with the largest relative resource use first (placed first)
    big_penalty: float  # per unit of overload: more than any cost difference can buy back
    typical_penalty: float  # per unit of overload: about what a unit of capacity is worth


def _as_gap(instance) -> GAPInstance:
    if isinstance(instance, EVInstance):
        return instance.to_gap()
    if not isinstance(instance, GAPInstance):
        raise InputError("instance", f"must be a GAPInstance or EVInstance, got {type(instance).__name__}")
    return instance


def _prepare(instance: GAPInstance) -> _Prepared:
    """The kernels' problem tuple (see :mod:`._search_kernels`), job order and penalty scales."""
    cost = instance.kernel_cost()
    # Writable copies: read-only arrays are a different Numba type (a second compilation).
    resource = np.array(instance.resource, dtype=np.float64)
    capacity = np.array(instance.capacity, dtype=np.float64)
    allowed = np.array(instance.allowed)
    # Allowed agents of each job by increasing cost (CSR): forbidden pairs sort last and are cut.
    by_cost = np.argsort(cost, axis=0, kind="stable").T  # (jobs, agents)
    counts = allowed.sum(axis=0)
    keep = np.arange(instance.agents)[None, :] < counts[:, None]
    options = np.ascontiguousarray(by_cost[keep], dtype=np.int64)
    option_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    relative_use = np.where(allowed, resource / np.maximum(capacity, 1e-12)[:, None], 0.0).sum(axis=0) / counts
    job_order = np.argsort(-relative_use, kind="stable").astype(np.int64)
    finite = np.where(allowed, instance.cost, np.nan)
    spread = np.nanmax(finite, axis=0) - np.nanmin(finite, axis=0)
    positive = resource[allowed & (resource > 0)]
    quantum = min(1.0, float(positive.min())) if positive.size else 1.0
    big_penalty = (float(spread.sum()) + 1.0) / quantum
    mean_resource = float(positive.mean()) if positive.size else 1.0
    typical_penalty = max(float(spread.mean()) / mean_resource, 1e-6)
    return _Prepared((cost, resource, capacity, allowed, option_start, options), job_order, big_penalty,
                     typical_penalty)


def _integer_seed(seed) -> int:
    """The run's seed as a non-negative int (drawn from ``seed`` when it is a Generator), so
    that ``GAPResult.seed`` reproduces the run."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InputError("seed", f"must be a non-negative integer or a numpy.random.Generator, got {seed!r}")
    return int(seed)


def _checked_time_limit(time_limit) -> float:
    """Seconds (``inf`` for None)."""
    if time_limit is None:
        return math.inf
    time_limit = as_scalar("time_limit", time_limit)
    if not time_limit > 0:
        raise InputError("time_limit", f"must be positive, got {time_limit!r}")
    return time_limit


_STATUS = {kernels.STOP_STALLED: "feasible", kernels.STOP_ITERATIONS: "iteration_limit",
           kernels.STOP_DEADLINE: "time_limit"}


def _run(method: str, instance, parameters_class, options: dict, time_limit, seed, progress, search) -> GAPResult:
    """Validate, prepare, seed, run ``search(prepared, parameters, start, deadline, trace, best)``
    (a kernel call returning ``(iterations, trace_count, stop, best)``) and build the result."""
    parameters = parameters_class.from_options(options)
    instance = _as_gap(instance)
    time_limit = _checked_time_limit(time_limit)
    seed = _integer_seed(seed)
    prepared = _prepare(instance)
    trace = np.zeros((TRACE_ROWS, 2))
    options_of = prepared.problem[5]
    best = options_of[prepared.problem[4][:-1]].copy()  # cheapest agents: returned only if nothing feasible
    ensure_compiled(kernels)
    start = now()
    # Numba's generator takes 32-bit seeds; SeedSequence spreads nearby seeds apart.
    seed_rng(int(np.random.SeedSequence(seed).generate_state(1)[0]))
    iterations, count, stop, best_value = search(prepared, parameters, start, start + time_limit, trace, best)
    wall_time = now() - start
    trace = trace[:count].copy()
    found = math.isfinite(best_value)
    feasible = found and instance.is_feasible(best)
    objective = instance.evaluate(best)[0] if feasible else math.inf
    status = _STATUS[stop] if feasible else "no_feasible"
    if progress:
        _print_progress(method, trace, iterations, status, objective, wall_time)
    return GAPResult(objective=float(objective), assignment=best, feasible=bool(feasible), method=method,
                     status=status, bound=None, gap=None, wall_time=float(wall_time), iterations=int(iterations),
                     trace=trace, seed=seed)


def _print_progress(method, trace, iterations, status, objective, wall_time, lines: int = 20) -> None:
    """Improvements of the best feasible objective (at most ``lines``), then a summary."""
    shown = np.unique(np.linspace(0, len(trace) - 1, min(lines, len(trace))).astype(int)) if len(trace) else []
    for row in shown:
        print(f"{method}: {trace[row, 0]:9.3f} s  best {trace[row, 1]:.6g}")
    print(f"{method}: {status} after {iterations} iterations, {wall_time:.3f} s, best {objective:.6g}")


def _repair_budget(instance_jobs: int) -> int:
    return 4 * instance_jobs + 10


# --- the four methods -------------------------------------------------------------------------


def solve_hasp(instance, *, time_limit=None, seed=0, progress: bool = False, **parameters) -> GAPResult:
    """The hybrid assignment search procedure of seed 003.

    GRASP (cost-based restricted candidate list of width ``alpha``) builds a population of
    distinct solutions, each repaired and improved by the Swap local search. Each generation
    picks two parents by fitness-proportional (roulette) selection, combines them by uniform
    crossover, mutates the child by swapping assignments between jobs, repairs capacities
    (moving jobs off overloaded agents at least cost), applies the Swap local search (shift and
    swap moves) and lets the child replace the worst member when it is better and new.

    Parameters
    ----------
    instance : GAPInstance or EVInstance
    time_limit : float, optional
        Seconds of search; it stops at it with the best feasible assignment so far. The
        kernels are compiled on first use on a machine (Numba caches them on disk) and loaded
        once per process, before the clock starts.
    seed : int or numpy.random.Generator
        Same seed, same answer when no time limit cuts the run.
    progress : bool
        Print the convergence trace and a summary at the end.
    **parameters
        Fields of :class:`HASPParameters`.

    Returns
    -------
    GAPResult
        ``status``: ``"feasible"`` (stalled), ``"iteration_limit"``, ``"time_limit"`` or
        ``"no_feasible"``; ``iterations`` counts generations (children).
    """
    def search(prepared, p, start, deadline, trace, best):
        penalty = np.full(prepared.problem[2].size, prepared.big_penalty)
        return kernels.hasp_search(prepared.problem, penalty, prepared.job_order, p.population_size, p.alpha,
                                   p.mutation_rate, p.mutation_swaps, p.max_generations, p.stall_generations,
                                   _repair_budget(best.size), start, deadline, trace, best)

    return _run("hasp", instance, HASPParameters, parameters, time_limit, seed, progress, search)


def solve_tabu(instance, *, time_limit=None, seed=0, progress: bool = False, **parameters) -> GAPResult:
    """Tabu search (TABU) with strategic oscillation across the capacity constraints.

    From the greedy solution (repaired), each iteration makes the best non-tabu shift or swap
    under penalised costs; per-agent penalties adapt to the agents' overloads. Parameters are
    the fields of :class:`TabuParameters`; ``iterations`` counts moves. See :func:`solve_hasp`
    for the other arguments and the result.
    """
    def search(prepared, p, start, deadline, trace, best):
        agents = prepared.problem[2].size
        penalty = np.full(agents, prepared.typical_penalty)
        return kernels.tabu_search(prepared.problem, penalty, prepared.typical_penalty * 0.25,
                                   prepared.big_penalty, p.penalty_factor, prepared.job_order, p.tenure_min,
                                   p.tenure_max, p.max_iterations, p.stall_iterations, _repair_budget(best.size),
                                   start, deadline, trace, best)

    return _run("tabu", instance, TabuParameters, parameters, time_limit, seed, progress, search)


def solve_bees(instance, *, time_limit=None, seed=0, progress: bool = False, **parameters) -> GAPResult:
    """The bees algorithm (BA): neighbourhood search around the best sites plus random scouting.

    Parameters are the fields of :class:`BeesParameters`; ``iterations`` counts cycles. See
    :func:`solve_hasp` for the other arguments and the result.
    """
    def search(prepared, p, start, deadline, trace, best):
        penalty = np.full(prepared.problem[2].size, prepared.big_penalty)
        return kernels.bees_search(prepared.problem, penalty, prepared.job_order, p.scouts, p.selected_sites,
                                   p.elite_sites, p.elite_recruits, p.other_recruits, p.initial_patch,
                                   p.patch_shrink, p.abandon_after, p.scout_alpha, p.max_cycles, p.stall_cycles,
                                   start, deadline, trace, best)

    return _run("bees", instance, BeesParameters, parameters, time_limit, seed, progress, search)


def solve_de(instance, *, time_limit=None, seed=0, progress: bool = False, **parameters) -> GAPResult:
    """DE-SK: differential evolution with a discrete mapping, repair and the Swap local search.

    Parameters are the fields of :class:`DEParameters`; ``iterations`` counts generations.
    See :func:`solve_hasp` for the other arguments and the result.
    """
    def search(prepared, p, start, deadline, trace, best):
        penalty = np.full(prepared.problem[2].size, prepared.big_penalty)
        return kernels.de_search(prepared.problem, penalty, prepared.job_order, p.population_size, p.scale,
                                 p.crossover_rate, p.local_search_rate, p.alpha, p.max_generations,
                                 p.stall_generations, _repair_budget(best.size), start, deadline, trace, best)

    return _run("de", instance, DEParameters, parameters, time_limit, seed, progress, search)
