"""The searches (Numba): simulated annealing, genetic algorithm, ant colony, exact enumeration.

All share the evaluation of :mod:`evcore.siting._evaluate` and the scaffolding of
:mod:`evcore.heuristics`: one explicit random stream (``control.rng``), the stop rule
(:func:`~evcore.heuristics.stop_reason`: step limit, deadline, progress pause) and the trace of
improvements (:func:`~evcore.heuristics.record_best`). Every loop state lives in arrays the caller
owns (:func:`new_search`), so a search paused for a progress report (``STOP_REPORT``) resumes as
the same run; the first call of a search initialises it (no trace row yet).

One step is a temperature step (SA), a generation (GA), a round of ants (ACO) or a block of
:data:`ENUMERATION_BLOCK` plans (exact). Plain twins (same draws, same path) live in
:mod:`evcore.siting._reference`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from ..heuristics import (
    RUNNING,
    STOP_ITERATIONS,
    end_step,
    geometric_temperature,
    metropolis_accept,
    random_below,
    random_float,
    record_best,
    roulette_select,
    stop_reason,
    tournament_select,
    uniform_crossover,
)
from ..heuristics._search import BEST, ROWS, STEP
from ..heuristics.clock import now_jit
from ._evaluate import (
    OBJECTIVE,
    OPEN_COUNT,
    VIOLATIONS,
    apply_flip,
    discard_flip,
    evaluate_many,
    evaluate_plan,
    flip,
    flip_delta,
    new_state,
)

__all__ = ["SearchState", "new_search", "anneal", "genetic", "ant_colony", "enumerate_plans", "polish",
           "local_descent", "ENUMERATION_BLOCK"]

#: Plans per step of the exact enumeration (one progress check per block).
ENUMERATION_BLOCK = 1 << 16
#: Flips between two full re-evaluations of the enumeration's running state.
RESYNC_FLIPS = 1024
# slots of SearchState.tally
EVALUATIONS, GRAY = 0, 1


class SearchState(NamedTuple):
    """Everything a search keeps between calls (the caller owns it; see :func:`new_search`)."""

    plan: object            # PlanState: the current plan (SA), the scratch evaluation (GA, ACO, exact)
    check: object           # PlanState: a second evaluation (exact: the from-scratch check)
    best_open: np.ndarray   # int8 (m,): the best plan
    population: np.ndarray  # int8 (k, m): GA population / ACO colony ((1, m) otherwise)
    offspring: np.ndarray   # int8 (k, m): GA offspring ((1, m) otherwise)
    values: np.ndarray      # float64 (k,): objectives of the population
    pheromone: np.ndarray   # float64 (2, m): ACO trails to open / to keep closed
    tally: np.ndarray       # int64 (2,): evaluations, next Gray-code index (exact)


def new_search(arrays, population: int = 1, initial_pheromone: float = 1.0) -> SearchState:
    """Fresh loop state for a search with ``population`` members (GA) or ants (ACO)."""
    m = arrays.assign_cost.shape[1]
    k = max(1, int(population))
    return SearchState(new_state(arrays), new_state(arrays), np.zeros(m, np.int8), np.zeros((k, m), np.int8),
                       np.zeros((k, m), np.int8), np.full(k, np.inf), np.full((2, m), float(initial_pheromone)),
                       np.zeros(2, np.int64))


# --------------------------------------------------------------------------- shared moves

@njit(cache=True)
def _random_site(rng, is_open, want_open, count):
    """A uniformly drawn site that is open (``want_open``) or closed, among ``count`` such sites."""
    target = random_below(rng, count)
    for j in range(is_open.shape[0]):
        if (is_open[j] == 1) == want_open:
            if target == 0:
                return j
            target -= 1
    return -1


@njit(cache=True)
def _random_plan(rng, is_open, required):
    """Open ``required`` sites uniformly at random (a random half when free, at least one)."""
    m = is_open.shape[0]
    is_open[:] = 0
    k = required if required >= 0 else max(1, m // 2)
    for _ in range(k):
        j = _random_site(rng, is_open, False, m - int(is_open.sum()))
        is_open[j] = 1


@njit(cache=True)
def _try_swap(arrays, rng, close_site, open_site, temperature, state):
    """Close one site and open another as one move; keep it if Metropolis accepts."""
    first = flip(arrays, close_site, state)
    second = flip_delta(arrays, open_site, state)
    if metropolis_accept(rng, first + second, temperature):
        apply_flip(open_site, second, state)
        return True
    discard_flip(state)
    flip(arrays, close_site, state)
    return False


@njit(cache=True)
def _move(arrays, rng, temperature, state):
    """One random move: a flip (free station count) or a swap; returns whether accepted."""
    is_open = state.is_open
    m = is_open.shape[0]
    required = arrays.required_open
    opened = int(state.totals[OPEN_COUNT])
    if required < 0 and (random_float(rng) < 0.5 or opened == 0 or opened == m):
        site = random_below(rng, m)
        delta = flip_delta(arrays, site, state)
        if metropolis_accept(rng, delta, temperature):
            apply_flip(site, delta, state)
            return True
        discard_flip(state)
        return False
    if opened == 0 or opened == m:
        return False
    close_site = _random_site(rng, is_open, True, opened)
    open_site = _random_site(rng, is_open, False, m - opened)
    return _try_swap(arrays, rng, close_site, open_site, temperature, state)


@njit(cache=True)
def local_descent(arrays, state, deadline):
    """Best-improvement descent over flips (free count) and swaps until no move improves."""
    is_open = state.is_open
    m = is_open.shape[0]
    improved = True
    while improved and now_jit() < deadline:
        improved = False
        best_gain = -1e-9 * max(1.0, abs(state.totals[OBJECTIVE]))
        best_a = -1
        best_b = -1
        if arrays.required_open < 0:
            for j in range(m):
                delta = flip_delta(arrays, j, state)
                discard_flip(state)
                if delta < best_gain:
                    best_gain, best_a, best_b = delta, j, -1
        for a in range(m):
            if not is_open[a]:
                continue
            first = flip(arrays, a, state)
            for b in range(m):
                if is_open[b] or b == a:
                    continue
                second = flip_delta(arrays, b, state)
                discard_flip(state)
                if first + second < best_gain:
                    best_gain, best_a, best_b = first + second, a, b
            flip(arrays, a, state)
        if best_a >= 0:
            flip(arrays, best_a, state)
            if best_b >= 0:
                flip(arrays, best_b, state)
            improved = True


@njit(cache=True)
def polish(arrays, control, search):
    """A final local descent from the best plan (until ``control.deadline``); True if it improved."""
    state = search.plan
    evaluate_plan(arrays, search.best_open, state)
    local_descent(arrays, state, control.deadline)
    if state.totals[OBJECTIVE] < control.values[BEST]:
        search.best_open[:] = state.is_open
        record_best(control, state.totals[OBJECTIVE])
        return True
    return False


# --------------------------------------------------------------------------- simulated annealing

@njit(cache=True)
def anneal(arrays, control, search, initial_temperature, cooling, moves_per_step):
    """Simulated annealing (§3.3.3): geometric cooling, Metropolis acceptance of flip/swap moves.

    One step is one temperature (``moves_per_step`` moves). Returns the stop code.
    """
    rng = control.rng
    state = search.plan
    if control.counters[ROWS] == 0:
        _random_plan(rng, state.is_open, arrays.required_open)
        evaluate_plan(arrays, state.is_open, state)
        search.best_open[:] = state.is_open
        record_best(control, state.totals[OBJECTIVE])
    best = control.values[BEST]
    while True:
        stop = stop_reason(control)
        if stop != RUNNING:
            return stop
        temperature = geometric_temperature(initial_temperature, cooling, control.counters[STEP])
        improved = False
        for _ in range(moves_per_step):
            _move(arrays, rng, temperature, state)
            if state.totals[OBJECTIVE] < best - 1e-12 * abs(best):
                best = state.totals[OBJECTIVE]
                search.best_open[:] = state.is_open
                improved = True
        search.tally[EVALUATIONS] += moves_per_step
        end_step(control, improved)
        if improved:
            record_best(control, best)


# --------------------------------------------------------------------------- genetic algorithm

@njit(cache=True)
def _repair_count(rng, plan, required):
    """Open or close random sites until exactly ``required`` are open (no-op when free)."""
    m = plan.shape[0]
    opened = int(plan.sum())
    if required < 0:
        if opened == 0:
            plan[random_below(rng, m)] = 1
        return
    while opened > required:
        plan[_random_site(rng, plan, True, opened)] = 0
        opened -= 1
    while opened < required:
        plan[_random_site(rng, plan, False, m - opened)] = 1
        opened += 1


@njit(cache=True)
def _mutate(rng, plan, required):
    """Flip one random site (free count) or swap an open and a closed site."""
    m = plan.shape[0]
    opened = int(plan.sum())
    if required < 0 or opened == 0 or opened == m:
        plan[random_below(rng, m)] ^= 1
        return
    to_open = _random_site(rng, plan, False, m - opened)
    to_close = _random_site(rng, plan, True, opened)
    plan[to_close] = 0
    plan[to_open] = 1


@njit(cache=True)
def genetic(arrays, control, search, elite_count, crossover_rate, mutation_rate):
    """Generational GA (§3.3.1): elitism, tournament parents, uniform crossover, flip/swap mutation.

    One step is one generation. Returns the stop code.
    """
    rng = control.rng
    required = arrays.required_open
    population, offspring, values, state = search.population, search.offspring, search.values, search.plan
    size, m = population.shape
    if control.counters[ROWS] == 0:
        for k in range(size):
            _random_plan(rng, population[k], required)
            evaluate_plan(arrays, population[k], state)
            values[k] = state.totals[OBJECTIVE]
        search.tally[EVALUATIONS] += size
        first = int(np.argmin(values))
        search.best_open[:] = population[first]
        record_best(control, values[first])
    child = np.empty(m, np.int8)
    elite_count = min(elite_count, size)
    while True:
        stop = stop_reason(control)
        if stop != RUNNING:
            return stop
        ranking = np.argsort(values, kind="mergesort")  # stable: ties keep index order
        for k in range(elite_count):
            offspring[k] = population[ranking[k]]
        for k in range(elite_count, size):
            a = tournament_select(rng, values, 2)
            if random_float(rng) < crossover_rate:
                b = tournament_select(rng, values, 2)
                uniform_crossover(rng, population[a], population[b], child)
                offspring[k] = child
            else:
                offspring[k] = population[a]
            if random_float(rng) < mutation_rate:
                _mutate(rng, offspring[k], required)
            _repair_count(rng, offspring[k], required)
        population[:, :] = offspring
        best = control.values[BEST]
        improved = False
        for k in range(size):
            evaluate_plan(arrays, population[k], state)
            values[k] = state.totals[OBJECTIVE]
            if values[k] < best:
                best = values[k]
                search.best_open[:] = population[k]
                improved = True
        search.tally[EVALUATIONS] += size
        end_step(control, improved)
        if improved:
            record_best(control, best)


# --------------------------------------------------------------------------- ant colony

@njit(cache=True)
def _construct(rng, pheromone, exploit_probability, required, plan):
    """One ant's plan from the pheromone trails (pseudo-random proportional rule of ACS)."""
    m = plan.shape[0]
    plan[:] = 0
    if required < 0:
        for j in range(m):
            if random_float(rng) < exploit_probability:
                plan[j] = 1 if pheromone[0, j] > pheromone[1, j] else 0
            else:
                total = pheromone[0, j] + pheromone[1, j]
                plan[j] = 1 if random_float(rng) * total < pheromone[0, j] else 0
        if plan.sum() == 0:
            plan[random_below(rng, m)] = 1
        return
    weights = np.empty(m)
    for _ in range(required):
        for j in range(m):
            weights[j] = 0.0 if plan[j] else pheromone[0, j]
        if random_float(rng) < exploit_probability:
            pick = int(np.argmax(weights))
        else:
            pick = roulette_select(rng, weights)
        plan[pick] = 1


@njit(cache=True)
def ant_colony(arrays, control, search, evaporation, exploit_probability, min_pheromone, polish_rounds):
    """Binary ant colony (§3.3.2): ants open sites by pheromone (drawn in order), the colony is
    evaluated in parallel (:func:`~evcore.siting._evaluate.evaluate_many`: the same values for
    any thread count), the round's best ant is improved by local descent (``polish_rounds``), and
    the best-so-far plan deposits pheromone after evaporation. One step is one round.
    """
    rng = control.rng
    required = arrays.required_open
    colony, values, pheromone, state = search.population, search.values, search.pheromone, search.plan
    ants, m = colony.shape
    round_best = np.zeros(m, np.int8)
    while True:
        stop = stop_reason(control)
        if stop != RUNNING:
            return stop
        for ant in range(ants):  # construction draws in order; evaluation in parallel
            _construct(rng, pheromone, exploit_probability, required, colony[ant])
        evaluate_many(arrays, colony, values)
        search.tally[EVALUATIONS] += ants
        round_value = math.inf
        for ant in range(ants):
            if values[ant] < round_value:
                round_value = values[ant]
                round_best[:] = colony[ant]
        if polish_rounds:
            evaluate_plan(arrays, round_best, state)
            local_descent(arrays, state, control.deadline)
            round_value = state.totals[OBJECTIVE]
            round_best[:] = state.is_open
        improved = round_value < control.values[BEST]
        if improved:
            search.best_open[:] = round_best
        for j in range(m):
            pheromone[0, j] = max(min_pheromone, (1.0 - evaporation) * pheromone[0, j] + search.best_open[j])
            pheromone[1, j] = max(min_pheromone, (1.0 - evaporation) * pheromone[1, j] + 1 - search.best_open[j])
        end_step(control, improved)
        if improved:
            record_best(control, round_value)


# --------------------------------------------------------------------------- exact enumeration

@njit(cache=True)
def enumerate_plans(arrays, control, search, max_plans):
    """Every plan in Gray-code order, one incremental flip per plan; best plan without violations.

    The running objective is re-evaluated from scratch every :data:`RESYNC_FLIPS` flips, and
    every plan whose running objective comes within the rounding band of the best is evaluated
    from scratch before it is compared, so the best is the exact minimum of the full evaluation
    over all violation-free plans (``control.values[BEST]``, ``inf`` when there is none). One
    step is a block of :data:`ENUMERATION_BLOCK` plans. Returns the stop code:
    ``STOP_ITERATIONS`` once ``max_plans`` plans are seen (the enumeration is complete when
    ``search.tally[GRAY] == 2**m``).
    """
    state, check = search.plan, search.check
    m = search.best_open.shape[0]
    n = arrays.demand.shape[0]
    count = min(1 << m, max_plans)
    scale = 5e-13 * (2 * n + 8)
    if control.counters[ROWS] == 0 and search.tally[GRAY] == 0:
        evaluate_plan(arrays, state.is_open, state)  # the empty plan: never violation-free, not a candidate
        search.tally[GRAY] = 1
        search.tally[EVALUATIONS] = 1
    while True:
        if search.tally[GRAY] >= count:
            return STOP_ITERATIONS
        stop = stop_reason(control)
        if stop != RUNNING:
            return stop
        best = control.values[BEST]
        improved = False
        end = min(count, search.tally[GRAY] + ENUMERATION_BLOCK)
        for k in range(search.tally[GRAY], end):
            site = 0
            bits = k
            while bits & 1 == 0:
                bits >>= 1
                site += 1
            flip(arrays, site, state)
            if (k % RESYNC_FLIPS) == 0:
                evaluate_plan(arrays, state.is_open, state)
            if state.totals[VIOLATIONS] == 0:
                band = scale * (arrays.penalty + (abs(best) if best < math.inf else abs(state.totals[OBJECTIVE])))
                if state.totals[OBJECTIVE] < best + band:
                    evaluate_plan(arrays, state.is_open, check)
                    if check.totals[VIOLATIONS] == 0 and check.totals[OBJECTIVE] < best:
                        best = check.totals[OBJECTIVE]
                        search.best_open[:] = state.is_open
                        improved = True
        search.tally[EVALUATIONS] += end - search.tally[GRAY]
        search.tally[GRAY] = end
        end_step(control, improved)
        if improved:
            record_best(control, best)


def warm_up():
    """Compile every search kernel on a tiny instance (the types ``evcore.siting.solve`` passes)."""
    from ..heuristics import search_control
    from . import _evaluate

    _evaluate.warm_up()
    arrays = _evaluate._tiny_arrays()
    for kernel, extra, size, changes in ((anneal, (10.0, 0.9, 4), 1, {}),
                                         (genetic, (1, 0.5, 0.5), 4, {"required_open": 1}),
                                         (ant_colony, (0.5, 0.5, 0.05, True), 3, {}),
                                         (enumerate_plans, (8,), 1, {})):
        local = arrays._replace(**changes)
        control = search_control(0, max_steps=2)
        search = new_search(local, size)
        kernel(local, control, search, *extra)
        polish(local, control, search)
