"""Metaheuristics for the GAP: HASP (seed 003) and the rivals it is compared with.

- :func:`solve_hasp`: the hybrid assignment search procedure: GRASP-built population,
  fitness-proportional selection, crossover, swap mutation, capacity repair and the Swap
  local search.
- :func:`solve_tabu`: tabu search over shift and swap moves with adaptive penalties.
- :func:`solve_bees`: the bees algorithm (its foragers descend with the Swap local search,
  so that it is not blind to cost).
- :func:`solve_de`: DE-SK, differential evolution with a discrete mapping and local search.

Each takes ``(instance, *, time_limit=None, max_iterations=None, seed=0, progress=False,
**parameters)``, where the parameters are the fields of its frozen parameter class, and returns
a :class:`~evcore.assign.GAPResult`. The loops run in Numba (:mod:`._method_kernels`), on the
shared scaffolding of :mod:`evcore.heuristics` (one explicit random stream per run).

Reproducibility: the same seed gives the same answer when the run ends at its iteration or
stall limit, whatever the number of Numba threads (the kernels are serial). A run cut short by
``time_limit`` stops wherever the clock says, so its answer can differ between runs.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._compiled import ensure_compiled
from .._validate import as_scalar, check_limits, check_options, check_seed
from ..errors import InputError
from ..heuristics import STOP_REPORT, now, search_control, stop_status, trace_array
from ..heuristics._search import BEST, STEP
from ..progress import progress_reporter
from . import _method_kernels as kernels
from ._search_kernels import GAPArrays
from ._result import GAPResult, gap_result
from .exact import prove_feasibility
from .model import GAPInstance, as_gap_instance

__all__ = [
    "HASPParameters",
    "TabuParameters",
    "BeesParameters",
    "DEParameters",
    "kernel_arrays",
    "solve_hasp",
    "solve_tabu",
    "solve_bees",
    "solve_de",
]

#: Seconds between progress reports (the kernels pause and resume) when progress is on.
REPORT_SECONDS = 1.0


# --- parameters -------------------------------------------------------------------------------


def _check_field(name: str, value, kind: type, low: float, high: float = math.inf, *,
                 low_open: bool = False) -> None:
    """Type and range check of one parameter (InputError naming it)."""
    if kind is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise InputError(name, f"must be True or False, got {value!r}")
        return
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
    def from_options(cls, method: str, options: dict):
        """Build from keyword options, naming any that the method does not know."""
        check_options(method, options, [field.name for field in dataclasses.fields(cls)])
        return cls(**options)


_COUNT = (int, 0, 2**62)


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
    _limits = {"population_size": (int, 2, 10**6), "alpha": (float, 0.0, 1.0),
               "mutation_rate": (float, 0.0, 1.0), "mutation_swaps": (int, 0, 10**6),
               "max_generations": _COUNT, "stall_generations": (int, 1, 2**62)}


@dataclass(frozen=True)
class TabuParameters(_Parameters):
    """Parameters of :func:`solve_tabu`.

    Attributes
    ----------
    tenure_min, tenure_max : int
        A job may not return to an agent it left for a tenure drawn in this range (3, 8;
        short tenures did best on both Cattrysse's small and Chu-Beasley's type C problems).
    penalty_factor : float
        Per-move factor by which an overloaded agent's penalty grows, and a respected agent's
        penalty shrinks (1.1).
    max_moves : int
        Moves at most (200 000); ``solve``'s ``max_iterations`` caps it too.
    stall_iterations : int
        Stop after this many moves without a better feasible solution (20 000).
    """

    tenure_min: int = 3
    tenure_max: int = 8
    penalty_factor: float = 1.1
    max_moves: int = 200_000
    stall_iterations: int = 20_000
    _limits = {"tenure_min": (int, 0, 10**9), "tenure_max": (int, 0, 10**9),
               "penalty_factor": (float, 1.0, 1e6, True), "max_moves": _COUNT,
               "stall_iterations": (int, 1, 2**62)}

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
        Sites kept, n (20).
    selected_sites : int
        Best sites searched each cycle, m <= n (6).
    elite_sites : int
        Best of those getting more foragers, e <= m (2).
    elite_recruits, other_recruits : int
        Foragers per elite / other selected site, nep and nsp (6, 3).
    initial_patch : int
        Random moves per forager on a fresh site, ngh (4).
    patch_shrink : float
        Patch size factor after a cycle without improvement at a site, in (0, 1] (0.8).
    abandon_after : int
        Cycles without improvement before a site is abandoned and re-scouted (20).
    scout_alpha : float
        GRASP RCL width of the scouts (0.5).
    local_search : bool
        Each forager descends with the Swap local search after its random moves, the
        cost-guided step HASP and DE-SK take (True). False gives the textbook variant whose
        foragers move at random (blind to cost; use Pham et al.'s larger colony, e.g.
        ``scouts=40, selected_sites=12, elite_sites=4, elite_recruits=15, other_recruits=5``).
    max_cycles : int
        Cycles at most (100 000).
    stall_cycles : int
        Stop after this many cycles without a better feasible solution (500).

    Notes
    -----
    The colony defaults (a smaller one than Pham et al.'s, since every forager now runs a
    local search) were chosen on six OR-Library problems (a05100, a20200, b10100, b05200,
    c05100, c10200) at 10 s each.
    """

    scouts: int = 20
    selected_sites: int = 6
    elite_sites: int = 2
    elite_recruits: int = 6
    other_recruits: int = 3
    initial_patch: int = 4
    patch_shrink: float = 0.8
    abandon_after: int = 20
    scout_alpha: float = 0.5
    local_search: bool = True
    max_cycles: int = 100_000
    stall_cycles: int = 500
    _limits = {"scouts": (int, 1, 10**6), "selected_sites": (int, 0, 10**6),
               "elite_sites": (int, 0, 10**6), "elite_recruits": (int, 1, 10**6),
               "other_recruits": (int, 1, 10**6), "initial_patch": (int, 1, 10**9),
               "patch_shrink": (float, 0.0, 1.0, True), "abandon_after": (int, 0, 2**62),
               "scout_alpha": (float, 0.0, 1.0), "local_search": (bool, 0, 1), "max_cycles": _COUNT,
               "stall_cycles": (int, 1, 2**62)}

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
    _limits = {"population_size": (int, 4, 10**6), "scale": (float, 0.0, 2.0, True),
               "crossover_rate": (float, 0.0, 1.0), "local_search_rate": (float, 0.0, 1.0),
               "alpha": (float, 0.0, 1.0), "max_generations": _COUNT, "stall_generations": (int, 1, 2**62)}


# --- kernel inputs ----------------------------------------------------------------------------

_ARRAYS: "weakref.WeakKeyDictionary[GAPInstance, GAPArrays]" = weakref.WeakKeyDictionary()


def kernel_arrays(instance: GAPInstance) -> GAPArrays:
    """The kernels' view of ``instance`` (:class:`~evcore.assign._search_kernels.GAPArrays`).

    Computed once per instance and cached here, keyed weakly by the instance (nothing is
    written into the frozen instance). Each job's allowed agents are listed by increasing cost;
    jobs with the largest relative resource use are placed first; ``big_penalty`` (per unit of
    overload) exceeds any cost difference, ``typical_penalty`` is about what a unit of capacity
    is worth.
    """
    cached = _ARRAYS.get(instance)
    if cached is not None:
        return cached
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
    arrays = GAPArrays(cost, resource, capacity, allowed, option_start, options, job_order,
                       float(big_penalty), float(typical_penalty), int(4 * instance.jobs + 10))
    _ARRAYS[instance] = arrays
    return arrays


def _hasp_settings(p: HASPParameters, arrays) -> kernels.HASPSettings:
    return kernels.HASPSettings(p.population_size, p.alpha, p.mutation_rate, p.mutation_swaps)


def _tabu_settings(p: TabuParameters, arrays) -> kernels.TabuSettings:
    return kernels.TabuSettings(p.tenure_min, p.tenure_max, p.penalty_factor, arrays.typical_penalty * 0.25,
                                arrays.big_penalty)


def _bees_settings(p: BeesParameters, arrays) -> kernels.BeesSettings:
    return kernels.BeesSettings(p.scouts, p.selected_sites, p.elite_sites, p.elite_recruits, p.other_recruits,
                                p.initial_patch, p.patch_shrink, p.abandon_after, p.scout_alpha, p.local_search)


def _de_settings(p: DEParameters, arrays) -> kernels.DESettings:
    return kernels.DESettings(p.population_size, p.scale, p.crossover_rate, p.local_search_rate, p.alpha)


class _Method(NamedTuple):
    """How to run one method: its parameters, set-up, kernels and the names of its own limits."""

    name: str
    parameters: type
    settings: object  # (parameters, arrays) -> the kernels' settings tuple
    state: object  # (arrays, settings) -> the kernels' state tuple
    start: object
    run: object
    max_steps: str  # parameter holding the method's own step cap
    stall: str  # parameter holding its stall budget


_METHODS = {
    "hasp": _Method("hasp", HASPParameters, _hasp_settings, kernels.hasp_state, kernels.hasp_start,
                    kernels.hasp_run, "max_generations", "stall_generations"),
    "tabu": _Method("tabu", TabuParameters, _tabu_settings, kernels.tabu_state, kernels.tabu_start,
                    kernels.tabu_run, "max_moves", "stall_iterations"),
    "bees": _Method("bees", BeesParameters, _bees_settings, kernels.bees_state, kernels.bees_start,
                    kernels.bees_run, "max_cycles", "stall_cycles"),
    "de": _Method("de", DEParameters, _de_settings, kernels.de_state, kernels.de_start, kernels.de_run,
                  "max_generations", "stall_generations"),
}


def method_parameters(method: str) -> type:
    """The parameter class of a method of this module (for option checks elsewhere)."""
    return _METHODS[method].parameters


# --- shared orchestration ---------------------------------------------------------------------


def run_seed(seed) -> int:
    """The run's seed as an int in ``[0, 2**63)`` (drawn from ``seed`` when it is a Generator), so
    that ``GAPResult.seed`` reproduces the run; ``None`` means 0."""
    seed = check_seed(seed, allow_generator=True)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    return seed


def _run(name: str, instance, *, time_limit, max_iterations, seed, progress, options) -> GAPResult:
    """Validate, prepare, run the method's start and main kernels (pausing for progress reports)
    and build the result."""
    method = _METHODS[name]
    parameters = method.parameters.from_options(name, options)
    instance = as_gap_instance(instance)
    time_limit, max_iterations = check_limits(time_limit, max_iterations)
    seed = run_seed(seed)
    progress_reporter(progress, f"assign.{name}")  # validates progress before any work
    arrays = kernel_arrays(instance)
    settings = method.settings(parameters, arrays)
    state = method.state(arrays, settings)
    ensure_compiled(kernels)  # compile or load the kernels before the clock starts
    reporter = progress_reporter(progress, f"assign.{name}", time_limit=time_limit, max_iterations=max_iterations)
    own_cap = getattr(parameters, method.max_steps)
    control = search_control(seed, time_limit=time_limit,
                             max_steps=own_cap if max_iterations is None else min(own_cap, max_iterations),
                             stall_limit=getattr(parameters, method.stall))
    method.start(arrays, settings, state, control)
    while True:
        if reporter.enabled:
            control = control._replace(report_at=now() + REPORT_SECONDS)
        stop = method.run(arrays, settings, state, control)
        if stop != STOP_REPORT:
            break
        best = float(control.values[BEST])
        reporter.report(int(control.counters[STEP]), objective=best if math.isfinite(best) else None)
    wall_time = now() - control.start
    found = math.isfinite(float(control.values[BEST]))
    if found:
        assignment = state.best.copy()
    else:
        prove_feasibility(instance)  # raises InfeasibleError when the LP relaxation proves there is none
        assignment = arrays.options[arrays.option_start[:-1]].copy()  # cheapest agents (over capacity)
    result = gap_result(instance, assignment, method=name, status=stop_status(stop, found),
                        iterations=int(control.counters[STEP]), wall_time=wall_time, trace=trace_array(control),
                        seed=seed)
    reporter.report(result.iterations, objective=result.objective if found else None, final=True,
                    message=result.status)
    return result


# --- the four methods -------------------------------------------------------------------------


def solve_hasp(instance, *, time_limit=None, max_iterations=None, seed=0, progress=False, **parameters) -> GAPResult:
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
    max_iterations : int, optional
        Generations at most (also capped by ``max_generations``).
    seed : int or numpy.random.Generator
        Same seed, same answer when no time limit cuts the run.
    progress : bool or callable
        ``True``: lines on stderr about every second; a callable receives
        :class:`evcore.progress.ProgressRecord` objects.
    **parameters
        Fields of :class:`HASPParameters`.

    Returns
    -------
    GAPResult
        ``status``: ``"feasible"`` (stalled), ``"iteration_limit"``, ``"time_limit"`` or
        ``"infeasible"`` (nothing feasible found); ``iterations`` counts generations (children).

    Raises
    ------
    InfeasibleError
        Nothing feasible was found and the LP relaxation proves there is nothing to find.
    """
    return _run("hasp", instance, time_limit=time_limit, max_iterations=max_iterations, seed=seed,
                progress=progress, options=parameters)


def solve_tabu(instance, *, time_limit=None, max_iterations=None, seed=0, progress=False, **parameters) -> GAPResult:
    """Tabu search (TABU) with strategic oscillation across the capacity constraints.

    From the greedy solution (repaired), each move is the best non-tabu shift or swap under
    penalised costs; per-agent penalties adapt to the agents' overloads. Parameters are the
    fields of :class:`TabuParameters`; ``iterations`` counts moves. See :func:`solve_hasp` for
    the other arguments and the result.
    """
    return _run("tabu", instance, time_limit=time_limit, max_iterations=max_iterations, seed=seed,
                progress=progress, options=parameters)


def solve_bees(instance, *, time_limit=None, max_iterations=None, seed=0, progress=False, **parameters) -> GAPResult:
    """The bees algorithm (BA): neighbourhood search around the best sites plus random scouting.

    Parameters are the fields of :class:`BeesParameters`; ``iterations`` counts cycles. See
    :func:`solve_hasp` for the other arguments and the result.
    """
    return _run("bees", instance, time_limit=time_limit, max_iterations=max_iterations, seed=seed,
                progress=progress, options=parameters)


def solve_de(instance, *, time_limit=None, max_iterations=None, seed=0, progress=False, **parameters) -> GAPResult:
    """DE-SK: differential evolution with a discrete mapping, repair and the Swap local search.

    Parameters are the fields of :class:`DEParameters`; ``iterations`` counts generations.
    See :func:`solve_hasp` for the other arguments and the result.
    """
    return _run("de", instance, time_limit=time_limit, max_iterations=max_iterations, seed=seed,
                progress=progress, options=parameters)

