"""The searches (Numba): simulated annealing, genetic algorithm, ant colony, exact enumeration.

All share the evaluation of :mod:`evcore.siting._evaluate` and the operators of
:mod:`evcore.heuristics`. Each returns its best plan in ``best_open`` and writes one trace row
per iteration (iteration, seconds since start, best objective so far) into ``trace``.
Plain twins (same draws, same path) live in :mod:`evcore.siting._reference`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..heuristics._kernels import (
    geometric_temperature,
    metropolis_accept,
    random_index,
    roulette_select,
    seed_rng,
    tournament_select,
    uniform_crossover,
)
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

__all__ = ["anneal", "genetic", "ant_colony", "enumerate_plans", "local_descent"]


# --------------------------------------------------------------------------- bookkeeping

@njit(cache=True)
def _record(trace, row, iteration, start, value):
    if row < trace.shape[0]:
        trace[row, 0] = iteration
        trace[row, 1] = now_jit() - start
        trace[row, 2] = value
        return row + 1
    return row


@njit(cache=True)
def _random_site(is_open, want_open, count):
    """A uniformly drawn site that is open (``want_open``) or closed, among ``count`` such sites."""
    target = random_index(count)
    for j in range(is_open.shape[0]):
        if (is_open[j] == 1) == want_open:
            if target == 0:
                return j
            target -= 1
    return -1


@njit(cache=True)
def _random_plan(is_open, required):
    """Open ``required`` sites uniformly at random (a random half when free, at least one)."""
    m = is_open.shape[0]
    is_open[:] = 0
    k = required if required >= 0 else max(1, m // 2)
    for _ in range(k):
        j = _random_site(is_open, False, m - int(is_open.sum()))
        is_open[j] = 1


# --------------------------------------------------------------------------- local moves

@njit(cache=True)
def _try_swap(arrays, close_site, open_site, temperature, state):
    """Close one site and open another as one move; keep it if Metropolis accepts."""
    first = flip(arrays, close_site, state)
    second = flip_delta(arrays, open_site, state)
    if metropolis_accept(first + second, temperature):
        apply_flip(open_site, second, state)
        return True
    discard_flip(state)
    flip(arrays, close_site, state)
    return False


@njit(cache=True)
def _move(arrays, temperature, state):
    """One random move: a flip (free station count) or a swap; returns whether accepted."""
    is_open = state.is_open
    m = is_open.shape[0]
    required = arrays.required_open
    opened = int(state.totals[OPEN_COUNT])
    if required < 0 and (np.random.random() < 0.5 or opened == 0 or opened == m):
        site = random_index(m)
        delta = flip_delta(arrays, site, state)
        if metropolis_accept(delta, temperature):
            apply_flip(site, delta, state)
            return True
        discard_flip(state)
        return False
    if opened == 0 or opened == m:
        return False
    close_site = _random_site(is_open, True, opened)
    open_site = _random_site(is_open, False, m - opened)
    return _try_swap(arrays, close_site, open_site, temperature, state)


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
def _polish(arrays, best, best_open, state, deadline, trace, rows, iteration, start):
    """Local descent from the best plan; returns the (possibly improved) best and trace rows."""
    evaluate_plan(arrays, best_open, state)
    local_descent(arrays, state, deadline)
    if state.totals[OBJECTIVE] < best:
        best = state.totals[OBJECTIVE]
        best_open[:] = state.is_open
        rows = _record(trace, rows, iteration, start, best)
    return best, rows


# --------------------------------------------------------------------------- simulated annealing

@njit(cache=True)
def anneal(arrays, seed, initial_temperature, cooling, temperature_steps, moves_per_step, polish, deadline,
           best_open, trace):
    """Simulated annealing (§3.3.3): geometric cooling, Metropolis acceptance of flip/swap moves.

    Returns (best objective, moves evaluated, temperature steps done, stopped by time, trace rows).
    ``best_open`` receives the best plan; with ``polish`` a final descent runs on it.
    """
    start = now_jit()
    seed_rng(seed)
    state = new_state(arrays)
    _random_plan(state.is_open, arrays.required_open)
    evaluate_plan(arrays, state.is_open, state)
    best = state.totals[OBJECTIVE]
    best_open[:] = state.is_open
    rows = _record(trace, 0, 0, start, best)
    moves = 0
    steps = 0
    timed_out = False
    for step in range(temperature_steps):
        temperature = geometric_temperature(initial_temperature, cooling, step)
        for _ in range(moves_per_step):
            _move(arrays, temperature, state)
            moves += 1
            if state.totals[OBJECTIVE] < best - 1e-12 * abs(best):
                best = state.totals[OBJECTIVE]
                best_open[:] = state.is_open
        steps += 1
        rows = _record(trace, rows, steps, start, best)
        if now_jit() >= deadline:
            timed_out = True
            break
    if polish:
        best, rows = _polish(arrays, best, best_open, state, deadline, trace, rows, steps, start)
    return best, moves, steps, timed_out, rows


# --------------------------------------------------------------------------- genetic algorithm

@njit(cache=True)
def _repair_count(plan, required):
    """Open or close random sites until exactly ``required`` are open (no-op when free)."""
    m = plan.shape[0]
    opened = int(plan.sum())
    if required < 0:
        if opened == 0:
            plan[random_index(m)] = 1
        return
    while opened > required:
        plan[_random_site(plan, True, opened)] = 0
        opened -= 1
    while opened < required:
        plan[_random_site(plan, False, m - opened)] = 1
        opened += 1


@njit(cache=True)
def _mutate(plan, required):
    """Flip one random site (free count) or swap an open and a closed site."""
    m = plan.shape[0]
    opened = int(plan.sum())
    if required < 0 or opened == 0 or opened == m:
        plan[random_index(m)] ^= 1
        return
    to_open = _random_site(plan, False, m - opened)
    to_close = _random_site(plan, True, opened)
    plan[to_close] = 0
    plan[to_open] = 1


@njit(cache=True)
def genetic(arrays, seed, population_size, generations, elite_count, crossover_rate, mutation_rate, polish,
            deadline, best_open, trace):
    """Generational GA (§3.3.1): elitism, tournament parents, uniform crossover, flip/swap mutation.

    Returns (best objective, evaluations, generations done, stopped by time, trace rows).
    """
    start = now_jit()
    seed_rng(seed)
    required = arrays.required_open
    m = best_open.shape[0]
    state = new_state(arrays)
    population = np.zeros((population_size, m), np.int8)
    offspring = np.zeros((population_size, m), np.int8)
    values = np.empty(population_size)
    child = np.empty(m, np.int64)
    parent_a = np.empty(m, np.int64)
    parent_b = np.empty(m, np.int64)
    evaluations = 0
    for k in range(population_size):
        _random_plan(population[k], required)
        evaluate_plan(arrays, population[k], state)
        values[k] = state.totals[OBJECTIVE]
        evaluations += 1
    best_index = int(np.argmin(values))
    best = values[best_index]
    best_open[:] = population[best_index]
    rows = _record(trace, 0, 0, start, best)
    done = 0
    timed_out = False
    elite_count = min(elite_count, population_size)
    for _ in range(generations):
        ranking = np.argsort(values, kind="mergesort")  # stable: ties keep index order
        for k in range(elite_count):
            offspring[k] = population[ranking[k]]
        for k in range(elite_count, population_size):
            a = tournament_select(values, 2)
            if np.random.random() < crossover_rate:
                b = tournament_select(values, 2)
                parent_a[:] = population[a]
                parent_b[:] = population[b]
                uniform_crossover(parent_a, parent_b, child)
                for j in range(m):
                    offspring[k, j] = child[j]
            else:
                offspring[k] = population[a]
            if np.random.random() < mutation_rate:
                _mutate(offspring[k], required)
            _repair_count(offspring[k], required)
        population, offspring = offspring, population
        for k in range(population_size):
            evaluate_plan(arrays, population[k], state)
            values[k] = state.totals[OBJECTIVE]
            evaluations += 1
            if values[k] < best:
                best = values[k]
                best_open[:] = population[k]
        done += 1
        rows = _record(trace, rows, done, start, best)
        if now_jit() >= deadline:
            timed_out = True
            break
    if polish:
        best, rows = _polish(arrays, best, best_open, state, deadline, trace, rows, done, start)
    return best, evaluations, done, timed_out, rows


# --------------------------------------------------------------------------- ant colony

@njit(cache=True)
def _construct(pheromone_open, pheromone_closed, exploit_probability, required, plan):
    """One ant's plan from the pheromone trails (pseudo-random proportional rule of ACS)."""
    m = plan.shape[0]
    plan[:] = 0
    if required < 0:
        for j in range(m):
            if np.random.random() < exploit_probability:
                plan[j] = 1 if pheromone_open[j] > pheromone_closed[j] else 0
            else:
                total = pheromone_open[j] + pheromone_closed[j]
                plan[j] = 1 if np.random.random() * total < pheromone_open[j] else 0
        if plan.sum() == 0:
            plan[random_index(m)] = 1
        return
    weights = np.empty(m)
    for _ in range(required):
        for j in range(m):
            weights[j] = 0.0 if plan[j] else pheromone_open[j]
        if np.random.random() < exploit_probability:
            pick = int(np.argmax(weights))
        else:
            pick = roulette_select(weights)
        plan[pick] = 1


@njit(cache=True)
def ant_colony(arrays, seed, ants, iterations, evaporation, initial_pheromone, exploit_probability, min_pheromone,
               polish, deadline, best_open, trace):
    """Binary ant colony (§3.3.2): ants open sites by pheromone, the iteration's best ant is
    improved by local descent, and the best-so-far plan deposits pheromone after evaporation.

    Returns (best objective, evaluations, iterations done, stopped by time, trace rows).
    """
    start = now_jit()
    seed_rng(seed)
    required = arrays.required_open
    m = best_open.shape[0]
    state = new_state(arrays)
    pheromone_open = np.full(m, initial_pheromone)
    pheromone_closed = np.full(m, initial_pheromone)
    colony = np.zeros((ants, m), np.int8)
    values = np.empty(ants)
    round_best = np.zeros(m, np.int8)
    best = math.inf
    rows = 0
    evaluations = 0
    done = 0
    timed_out = False
    for _ in range(iterations):
        for ant in range(ants):  # construction draws in order; evaluation in parallel
            _construct(pheromone_open, pheromone_closed, exploit_probability, required, colony[ant])
        evaluate_many(arrays, colony, values)
        evaluations += ants
        round_value = math.inf
        for ant in range(ants):
            if values[ant] < round_value:
                round_value = values[ant]
                round_best[:] = colony[ant]
        if polish:
            evaluate_plan(arrays, round_best, state)
            local_descent(arrays, state, deadline)
            round_value = state.totals[OBJECTIVE]
            round_best[:] = state.is_open
        if round_value < best:
            best = round_value
            best_open[:] = round_best
        for j in range(m):
            pheromone_open[j] = max(min_pheromone, (1.0 - evaporation) * pheromone_open[j] + best_open[j])
            pheromone_closed[j] = max(min_pheromone, (1.0 - evaporation) * pheromone_closed[j] + 1 - best_open[j])
        done += 1
        rows = _record(trace, rows, done, start, best)
        if now_jit() >= deadline:
            timed_out = True
            break
    return best, evaluations, done, timed_out, rows


# --------------------------------------------------------------------------- exact enumeration

#: Flips between two full re-evaluations of the enumeration's running state.
RESYNC_FLIPS = 1024


@njit(cache=True)
def enumerate_plans(arrays, max_plans, deadline, best_open):
    """Every plan in Gray-code order, one incremental flip per plan; best plan without violations.

    The running objective is re-evaluated from scratch every :data:`RESYNC_FLIPS` flips, and
    every plan whose running objective comes within the rounding band of the best is evaluated
    from scratch before it is compared, so the best is the exact minimum of the full evaluation
    over all violation-free plans. Stops after ``max_plans`` plans or at ``deadline``.

    Returns (best objective, plans visited, stop): stop 0 = complete, 1 = ``max_plans``,
    2 = deadline; ``inf`` when no plan without violations was seen.
    """
    m = best_open.shape[0]
    n = arrays.demand.shape[0]
    state = new_state(arrays)
    check = new_state(arrays)
    evaluate_plan(arrays, state.is_open, state)
    best = math.inf
    count = 1 << m
    visited = 1
    scale = 5e-13 * (2 * n + 8)
    for k in range(1, count):
        if visited >= max_plans:
            return best, visited, 1
        site = 0
        bits = k
        while bits & 1 == 0:
            bits >>= 1
            site += 1
        flip(arrays, site, state)
        visited += 1
        if (k % RESYNC_FLIPS) == 0:
            evaluate_plan(arrays, state.is_open, state)
            if now_jit() >= deadline:
                return best, visited, 2
        if state.totals[VIOLATIONS] == 0:
            band = scale * (arrays.penalty + (abs(best) if best < math.inf else abs(state.totals[OBJECTIVE])))
            if state.totals[OBJECTIVE] < best + band:
                evaluate_plan(arrays, state.is_open, check)
                if check.totals[VIOLATIONS] == 0 and check.totals[OBJECTIVE] < best:
                    best = check.totals[OBJECTIVE]
                    best_open[:] = state.is_open
    return best, visited, 0


def warm_up():
    """Compile every search kernel on a tiny instance (the types ``evcore.siting.solve`` passes)."""
    from . import _evaluate

    _evaluate.warm_up()
    arrays = _evaluate._tiny_arrays()
    best_open = np.zeros(3, np.int8)
    trace = np.zeros((8, 3))
    anneal(arrays, 0, 10.0, 0.9, 2, 4, True, math.inf, best_open, trace)
    genetic(arrays._replace(required_open=1), 0, 4, 2, 1, 0.5, 0.5, True, math.inf, best_open, trace)
    ant_colony(arrays, 0, 3, 2, 0.5, 1.0, 0.5, 0.05, True, math.inf, best_open, trace)
    enumerate_plans(arrays, 8, math.inf, best_open)
