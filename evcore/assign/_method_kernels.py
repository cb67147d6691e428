"""Numba kernels of the GAP metaheuristics: HASP (seed 003) and its rivals tabu, bees and DE-SK.

Each method has a settings named tuple, a state named tuple of preallocated arrays (made by
``*_state``), a ``*_start`` kernel (initial solutions) and a ``*_run`` kernel (the main loop,
returning a stop code of :mod:`evcore.heuristics`). Every kernel takes
``(arrays, settings, state, control)``: the instance's :class:`~._search_kernels.GAPArrays`,
the settings, the state (updated in place, so a run paused for a progress report resumes
exactly where it stopped) and the shared :class:`evcore.heuristics.SearchControl`. The
building blocks (GRASP, repair, Swap, mutation) are in :mod:`evcore.assign._search_kernels`;
plain-Python twins of all of them in :mod:`evcore.assign._reference`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ..heuristics import (
    RUNNING,
    end_step,
    insert_unique,
    minimisation_fitness,
    random_below,
    random_float,
    roulette_select,
    stop_reason,
    uniform_crossover,
)
from ..heuristics._search import BEST, STEP
from ..heuristics.clock import now_jit
from ._kernels import (
    CAPACITY_TOLERANCE,
    apply_shift,
    apply_swap,
    compute_loads,
    penalized_value,
    shift_delta,
    swap_delta,
    total_cost,
    total_overload,
)
from ._search_kernels import (
    IMPROVEMENT_TOLERANCE,
    grasp_construct,
    improve,
    keep_if_best,
    random_allowed_agent,
    repair_capacity,
    swap_local_search,
    swap_mutation,
    tiny_arrays,
)


class HASPSettings(NamedTuple):
    population_size: int
    alpha: float
    mutation_rate: float
    mutation_swaps: int


class HASPState(NamedTuple):
    population: np.ndarray  # (population_size, jobs)
    values: np.ndarray  # (population_size,) penalised values, inf = empty slot
    fitness: np.ndarray  # (population_size,)
    loads: np.ndarray  # (agents,)
    child: np.ndarray  # (jobs,)
    penalty: np.ndarray  # (agents,)
    best: np.ndarray  # (jobs,) best feasible assignment


class TabuSettings(NamedTuple):
    tenure_min: int
    tenure_max: int
    penalty_factor: float
    min_penalty: float
    max_penalty: float


class TabuState(NamedTuple):
    assignment: np.ndarray  # (jobs,) current point
    loads: np.ndarray  # (agents,)
    tabu_until: np.ndarray  # (agents, jobs) step until which a job may not return to an agent
    penalty: np.ndarray  # (agents,) adaptive weights
    zero_cost: np.ndarray  # (agents, jobs) zeros: overload-only deltas
    no_penalty: np.ndarray  # (agents,) zeros: cost-only deltas
    unit_penalty: np.ndarray  # (agents,) ones
    best: np.ndarray  # (jobs,)


class BeesSettings(NamedTuple):
    scouts: int
    selected_sites: int
    elite_sites: int
    elite_recruits: int
    other_recruits: int
    initial_patch: int
    patch_shrink: float
    abandon_after: int
    scout_alpha: float
    local_search: bool


class BeesState(NamedTuple):
    sites: np.ndarray  # (scouts, jobs)
    values: np.ndarray  # (scouts,)
    patch: np.ndarray  # (scouts,) int64: random moves per forager
    stagnant: np.ndarray  # (scouts,) int64: cycles without improvement
    loads: np.ndarray  # (agents,)
    forager: np.ndarray  # (jobs,)
    best_forager: np.ndarray  # (jobs,)
    zero_cost: np.ndarray  # (agents, jobs)
    unit_penalty: np.ndarray  # (agents,)
    penalty: np.ndarray  # (agents,)
    best: np.ndarray  # (jobs,)


class DESettings(NamedTuple):
    population_size: int
    scale: float
    crossover_rate: float
    local_search_rate: float
    alpha: float


class DEState(NamedTuple):
    positions: np.ndarray  # (population_size, jobs) in [0, 1)
    values: np.ndarray  # (population_size,)
    trial: np.ndarray  # (jobs,)
    assignment: np.ndarray  # (jobs,)
    loads: np.ndarray  # (agents,)
    penalty: np.ndarray  # (agents,)
    best: np.ndarray  # (jobs,)


# --- HASP -------------------------------------------------------------------------------------


@njit(cache=True)
def hasp_start(arrays, settings, state, control):
    """Fill the population with distinct GRASP + repair + Swap solutions (up to ``3 P`` tries;
    empty slots keep value ``inf``)."""
    population, values, loads = state.population, state.values, state.loads
    size = population.shape[0]
    values[:] = np.inf
    candidate = np.empty(population.shape[1], np.int64)
    for attempt in range(3 * size):
        if attempt > 0 and now_jit() >= control.deadline:
            break
        grasp_construct(arrays, control.rng, settings.alpha, candidate, loads)
        value = improve(arrays, state.penalty, candidate, loads)
        keep_if_best(arrays, control, candidate, loads, state.best)
        insert_unique(population, values, candidate, value)
        if np.isfinite(values).all():
            break


@njit(cache=True)
def hasp_run(arrays, settings, state, control):
    """Hybrid assignment search procedure (seed 003): GA operators and the Swap search.

    Each generation draws two parents by fitness-proportional selection, mixes them by uniform
    crossover, mutates the child with probability ``mutation_rate`` by ``mutation_swaps``
    assignment swaps, repairs its capacities, improves it with the Swap local search and puts
    it in place of the worst member if better and not a duplicate (steady-state update).
    Returns the stop code.
    """
    rng = control.rng
    population, values, fitness, child, loads = (state.population, state.values, state.fitness, state.child,
                                                 state.loads)
    while True:
        stop = stop_reason(control)
        if stop != RUNNING:
            return stop
        minimisation_fitness(values, fitness)
        first = roulette_select(rng, fitness)
        second = roulette_select(rng, fitness)
        for _ in range(5):  # prefer two different parents
            if second != first:
                break
            second = roulette_select(rng, fitness)
        uniform_crossover(rng, population[first], population[second], child)
        compute_loads(arrays.resource, child, loads)
        if random_float(rng) < settings.mutation_rate:
            swap_mutation(arrays, rng, child, loads, settings.mutation_swaps)
        value = improve(arrays, state.penalty, child, loads)
        improved = keep_if_best(arrays, control, child, loads, state.best)
        insert_unique(population, values, child, value)
        end_step(control, improved)


# --- tabu search ------------------------------------------------------------------------------


@njit(cache=True)
def reaches_new_best(arrays, state, job, to_agent, partner, current_cost, current_overload, best):
    """Aspiration test: does the move give a feasible assignment cheaper than ``best``?

    The move is a shift of ``job`` to ``to_agent`` when ``partner < 0``, else a swap of ``job``
    and ``partner``. The cost change is the penalised delta with no penalty, the overload
    change the penalised delta of zero costs with unit penalties.
    """
    resource, capacity, loads, assignment = arrays.resource, arrays.capacity, state.loads, state.assignment
    if partner < 0:
        cost_change = shift_delta(arrays.cost, resource, capacity, state.no_penalty, loads, assignment, job, to_agent)
        overload_change = shift_delta(state.zero_cost, resource, capacity, state.unit_penalty, loads, assignment, job,
                                      to_agent)
    else:
        cost_change = swap_delta(arrays.cost, resource, capacity, state.no_penalty, loads, assignment, job, partner)
        overload_change = swap_delta(state.zero_cost, resource, capacity, state.unit_penalty, loads, assignment, job,
                                     partner)
    return (current_cost + cost_change < best - IMPROVEMENT_TOLERANCE
            and current_overload + overload_change <= CAPACITY_TOLERANCE)


@njit(cache=True)
def tabu_start(arrays, settings, state, control):
    """The greedy solution (GRASP with ``alpha = 0``) after capacity repair at the largest penalty."""
    repair_penalty = np.full(arrays.capacity.shape[0], settings.max_penalty)
    grasp_construct(arrays, control.rng, 0.0, state.assignment, state.loads)
    repair_capacity(arrays, repair_penalty, state.assignment, state.loads)
    keep_if_best(arrays, control, state.assignment, state.loads, state.best)
    compute_loads(arrays.resource, state.assignment, state.loads)


@njit(cache=True)
def tabu_run(arrays, settings, state, control):
    """Tabu search over shift and swap moves with adaptive per-agent penalties.

    Each step makes the best admissible move of the whole shift + swap neighbourhood, even if
    it worsens the penalised value. After job ``j`` leaves agent ``a``, moving ``j`` back to
    ``a`` is tabu for a tenure drawn in ``[tenure_min, tenure_max]``, unless the move reaches a
    feasible assignment cheaper than the best one (aspiration). Strategic oscillation: each
    agent's penalty grows by ``penalty_factor`` while it is overloaded and shrinks otherwise,
    within ``[min_penalty, max_penalty]``, so the search crosses the capacity boundary both
    ways. Returns the stop code.
    """
    cost, resource, capacity, allowed = arrays.cost, arrays.resource, arrays.capacity, arrays.allowed
    option_start, options = arrays.option_start, arrays.options
    assignment, loads, penalty, tabu_until = state.assignment, state.loads, state.penalty, state.tabu_until
    rng = control.rng
    agents = capacity.shape[0]
    jobs = assignment.shape[0]
    span = settings.tenure_max - settings.tenure_min + 1
    while True:
        stop = stop_reason(control)
        if stop != RUNNING:
            return stop
        iteration = control.counters[STEP] + 1
        current_cost = total_cost(cost, assignment)
        current_overload = total_overload(loads, capacity)
        best_value = control.values[BEST]
        best_delta = np.inf
        best_job = -1
        best_to = -1
        best_partner = -1
        for job in range(jobs):
            agent = assignment[job]
            for p in range(option_start[job], option_start[job + 1]):
                to_agent = options[p]
                if to_agent == agent:
                    continue
                delta = shift_delta(cost, resource, capacity, penalty, loads, assignment, job, to_agent)
                if delta < best_delta and (tabu_until[to_agent, job] <= iteration or reaches_new_best(
                        arrays, state, job, to_agent, -1, current_cost, current_overload, best_value)):
                    best_delta, best_job, best_to, best_partner = delta, job, to_agent, -1
            for partner in range(job + 1, jobs):
                other = assignment[partner]
                if other == agent or not (allowed[other, job] and allowed[agent, partner]):
                    continue
                delta = swap_delta(cost, resource, capacity, penalty, loads, assignment, job, partner)
                if delta < best_delta and ((tabu_until[other, job] <= iteration
                                            and tabu_until[agent, partner] <= iteration)
                                           or reaches_new_best(arrays, state, job, other, partner, current_cost,
                                                               current_overload, best_value)):
                    best_delta, best_job, best_to, best_partner = delta, job, other, partner
        if best_job < 0:  # everything tabu: let the restrictions lapse
            tabu_until[:] = 0
            end_step(control, False)
            continue
        from_agent = assignment[best_job]
        tabu_until[from_agent, best_job] = iteration + settings.tenure_min + random_below(rng, span)
        if best_partner < 0:
            apply_shift(resource, loads, assignment, best_job, best_to)
        else:
            tabu_until[best_to, best_partner] = iteration + settings.tenure_min + random_below(rng, span)
            apply_swap(resource, loads, assignment, best_job, best_partner)
        improved = False
        if total_overload(loads, capacity) == 0.0:
            improved = keep_if_best(arrays, control, assignment, loads, state.best)
        for agent in range(agents):
            if loads[agent] > capacity[agent] + CAPACITY_TOLERANCE:
                penalty[agent] = min(settings.max_penalty, penalty[agent] * settings.penalty_factor)
            else:
                penalty[agent] = max(settings.min_penalty, penalty[agent] / settings.penalty_factor)
        end_step(control, improved)


# --- bees algorithm ---------------------------------------------------------------------------


@njit(cache=True)
def neighbourhood_move(arrays, rng, state, assignment, loads, moves):
    """``moves`` random moves, each a shift to a random allowed agent or a swap of two jobs'
    agents, drawn (up to 20 tries each) among moves that do not add overload."""
    resource, capacity, allowed = arrays.resource, arrays.capacity, arrays.allowed
    jobs = assignment.shape[0]
    for _ in range(moves):
        for _ in range(20):
            job = random_below(rng, jobs)
            if random_float(rng) < 0.5:
                to_agent = random_allowed_agent(arrays, rng, job)
                if shift_delta(state.zero_cost, resource, capacity, state.unit_penalty, loads, assignment, job,
                               to_agent) <= CAPACITY_TOLERANCE:
                    apply_shift(resource, loads, assignment, job, to_agent)
                    break
            else:
                partner = random_below(rng, jobs)
                agent = assignment[job]
                other = assignment[partner]
                if (agent != other and allowed[other, job] and allowed[agent, partner]
                        and swap_delta(state.zero_cost, resource, capacity, state.unit_penalty, loads, assignment,
                                       job, partner) <= CAPACITY_TOLERANCE):
                    apply_swap(resource, loads, assignment, job, partner)
                    break


@njit(cache=True)
def scout_site(arrays, settings, state, control, site):
    """A scout samples ``sites[site]`` anew: GRASP with ``scout_alpha`` (cost-guided by its
    restricted candidate list); its value, a full patch. Returns whether the best feasible
    assignment improved."""
    sites, loads = state.sites, state.loads
    grasp_construct(arrays, control.rng, settings.scout_alpha, sites[site], loads)
    state.values[site] = penalized_value(arrays.cost, arrays.resource, arrays.capacity, state.penalty, sites[site],
                                         loads)
    state.patch[site] = settings.initial_patch
    state.stagnant[site] = 0
    return keep_if_best(arrays, control, sites[site], loads, state.best)


@njit(cache=True)
def bees_start(arrays, settings, state, control):
    """Every scout samples a site."""
    for site in range(state.sites.shape[0]):
        scout_site(arrays, settings, state, control, site)


@njit(cache=True)
def bees_run(arrays, settings, state, control):
    """The bees algorithm (Pham et al.) on assignments, scored by the penalised value.

    Each cycle the best ``selected_sites`` sites (stable order of their values) are searched:
    ``elite_recruits`` foragers for each of the best ``elite_sites``, ``other_recruits`` for
    the rest; a forager makes as many random neighbourhood moves (shift or swap, not adding
    overload) as the site's patch size and then, with ``local_search``, descends with the Swap
    local search (the cost-guided step HASP and DE-SK also take: the random moves explore the
    patch, the descent finds its best point); without it foragers are blind to cost and only
    selection pulls toward cheap sites. The best forager replaces the site when better. A site that does not improve shrinks its patch by
    ``patch_shrink`` and is abandoned (re-scouted) after ``abandon_after`` such cycles. The
    other sites are re-scouted every cycle. Returns the stop code.
    """
    cost, resource, capacity = arrays.cost, arrays.resource, arrays.capacity
    sites, values, patch, stagnant = state.sites, state.values, state.patch, state.stagnant
    forager, best_forager, loads, penalty = state.forager, state.best_forager, state.loads, state.penalty
    rng = control.rng
    scouts = sites.shape[0]
    while True:
        stop = stop_reason(control)
        if stop != RUNNING:
            return stop
        improved = False
        order = np.argsort(values, kind="mergesort")
        for rank in range(scouts):
            site = order[rank]
            if rank < settings.selected_sites:
                recruits = settings.elite_recruits if rank < settings.elite_sites else settings.other_recruits
                best_value = np.inf
                for _ in range(recruits):
                    forager[:] = sites[site]
                    compute_loads(resource, forager, loads)
                    neighbourhood_move(arrays, rng, state, forager, loads, patch[site])
                    if settings.local_search:
                        swap_local_search(arrays, penalty, forager, loads)
                    value = penalized_value(cost, resource, capacity, penalty, forager, loads)
                    if value < best_value:
                        best_value = value
                        best_forager[:] = forager
                if best_value < values[site] - IMPROVEMENT_TOLERANCE:
                    sites[site] = best_forager
                    values[site] = best_value
                    stagnant[site] = 0
                    found = keep_if_best(arrays, control, best_forager, loads, state.best)
                    improved = improved or found
                    continue
                stagnant[site] += 1
                patch[site] = max(1, int(patch[site] * settings.patch_shrink))
                if stagnant[site] <= settings.abandon_after:
                    continue
            # Unselected or abandoned: a scout samples a new site.
            found = scout_site(arrays, settings, state, control, site)
            improved = improved or found
        end_step(control, improved)


# --- DE-SK ------------------------------------------------------------------------------------


@njit(cache=True)
def decode_positions(arrays, position, assignment):
    """Discrete mapping: job ``j`` takes its ``floor(position[j] * n_j)``-th cheapest allowed agent."""
    option_start, options = arrays.option_start, arrays.options
    for job in range(assignment.shape[0]):
        size = option_start[job + 1] - option_start[job]
        rank = min(int(position[job] * size), size - 1)
        assignment[job] = options[option_start[job] + rank]


@njit(cache=True)
def encode_assignment(arrays, assignment, position):
    """Inverse of :func:`decode_positions`: the middle of each chosen agent's interval."""
    option_start, options = arrays.option_start, arrays.options
    for job in range(assignment.shape[0]):
        size = option_start[job + 1] - option_start[job]
        for rank in range(size):
            if options[option_start[job] + rank] == assignment[job]:
                position[job] = (rank + 0.5) / size
                break


@njit(cache=True)
def de_start(arrays, settings, state, control):
    """The initial population encodes repaired GRASP solutions (``alpha``)."""
    assignment, loads = state.assignment, state.loads
    for member in range(state.positions.shape[0]):
        grasp_construct(arrays, control.rng, settings.alpha, assignment, loads)
        repair_capacity(arrays, state.penalty, assignment, loads)
        state.values[member] = penalized_value(arrays.cost, arrays.resource, arrays.capacity, state.penalty,
                                               assignment, loads)
        encode_assignment(arrays, assignment, state.positions[member])
        keep_if_best(arrays, control, assignment, loads, state.best)


@njit(cache=True)
def de_run(arrays, settings, state, control):
    """DE-SK: differential evolution on [0, 1)^jobs with a discrete mapping and local search.

    Vectors decode to assignments by :func:`decode_positions` (smaller coordinates, cheaper
    agents). Each generation builds, for every target, the DE/rand/1/bin trial
    ``x_r1 + scale * (x_r2 - x_r3)`` (wrapped into [0, 1)) mixed with the target at
    ``crossover_rate``; the decoded trial is repaired and, with probability
    ``local_search_rate``, improved by the Swap local search, then written back into the vector
    (Lamarckian). The trial replaces its target when not worse. Returns the stop code.
    """
    positions, values, trial, assignment, loads = (state.positions, state.values, state.trial, state.assignment,
                                                   state.loads)
    rng = control.rng
    size = positions.shape[0]
    jobs = positions.shape[1]
    while True:
        stop = stop_reason(control)
        if stop != RUNNING:
            return stop
        improved = False
        for target in range(size):
            r1 = random_below(rng, size)
            while r1 == target:
                r1 = random_below(rng, size)
            r2 = random_below(rng, size)
            while r2 == target or r2 == r1:
                r2 = random_below(rng, size)
            r3 = random_below(rng, size)
            while r3 == target or r3 == r1 or r3 == r2:
                r3 = random_below(rng, size)
            forced = random_below(rng, jobs)
            for job in range(jobs):
                if job == forced or random_float(rng) < settings.crossover_rate:
                    value = positions[r1, job] + settings.scale * (positions[r2, job] - positions[r3, job])
                    trial[job] = value - np.floor(value)
                else:
                    trial[job] = positions[target, job]
            decode_positions(arrays, trial, assignment)
            compute_loads(arrays.resource, assignment, loads)
            repair_capacity(arrays, state.penalty, assignment, loads)
            if random_float(rng) < settings.local_search_rate:
                swap_local_search(arrays, state.penalty, assignment, loads)
            value = penalized_value(arrays.cost, arrays.resource, arrays.capacity, state.penalty, assignment, loads)
            if value <= values[target]:
                encode_assignment(arrays, assignment, positions[target])
                values[target] = value
            found = keep_if_best(arrays, control, assignment, loads, state.best)
            improved = improved or found
        end_step(control, improved)


# --- state allocation (plain Python) and warm-up ----------------------------------------------


def hasp_state(arrays, settings) -> HASPState:
    """Fresh HASP arrays (penalty: the large repair penalty)."""
    agents, jobs = arrays.cost.shape
    size = settings.population_size
    return HASPState(np.zeros((size, jobs), np.int64), np.full(size, np.inf), np.zeros(size), np.zeros(agents),
                     np.zeros(jobs, np.int64), np.full(agents, arrays.big_penalty), np.zeros(jobs, np.int64))


def tabu_state(arrays, settings) -> TabuState:
    """Fresh tabu arrays (penalty: the typical unit value of capacity, then adaptive)."""
    agents, jobs = arrays.cost.shape
    return TabuState(np.zeros(jobs, np.int64), np.zeros(agents), np.zeros((agents, jobs), np.int64),
                     np.full(agents, arrays.typical_penalty), np.zeros((agents, jobs)), np.zeros(agents),
                     np.ones(agents), np.zeros(jobs, np.int64))


def bees_state(arrays, settings) -> BeesState:
    """Fresh bees arrays."""
    agents, jobs = arrays.cost.shape
    scouts = settings.scouts
    return BeesState(np.zeros((scouts, jobs), np.int64), np.full(scouts, np.inf), np.zeros(scouts, np.int64),
                     np.zeros(scouts, np.int64), np.zeros(agents), np.zeros(jobs, np.int64), np.zeros(jobs, np.int64),
                     np.zeros((agents, jobs)), np.ones(agents), np.full(agents, arrays.big_penalty),
                     np.zeros(jobs, np.int64))


def de_state(arrays, settings) -> DEState:
    """Fresh DE-SK arrays."""
    agents, jobs = arrays.cost.shape
    size = settings.population_size
    return DEState(np.zeros((size, jobs)), np.full(size, np.inf), np.zeros(jobs), np.zeros(jobs, np.int64),
                   np.zeros(agents), np.full(agents, arrays.big_penalty), np.zeros(jobs, np.int64))


def warm_up():
    """Compile every kernel of this module on a tiny instance (benchmarks/bench_compile.py)."""
    from ..heuristics import search_control

    arrays = tiny_arrays()
    runs = ((HASPSettings(4, 0.3, 0.5, 1), hasp_state, hasp_start, hasp_run),
            (TabuSettings(2, 4, 1.1, 0.25, 10.0), tabu_state, tabu_start, tabu_run),
            (BeesSettings(4, 2, 1, 2, 1, 2, 0.8, 2, 0.5, True), bees_state, bees_start, bees_run),
            (DESettings(4, 0.5, 0.9, 0.5, 0.3), de_state, de_start, de_run))
    for settings, make_state, start, run in runs:
        state = make_state(arrays, settings)
        control = search_control(0, max_steps=3, stall_limit=3)
        start(arrays, settings, state, control)
        run(arrays, settings, state, control)
