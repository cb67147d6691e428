"""Numba kernels of the GAP metaheuristics: HASP (seed 003) and its rivals tabu, bees, DE-SK.

Array contract (built once by :mod:`evcore.assign.search`): ``problem`` is the tuple
``(cost, resource, capacity, allowed, option_start, options)`` where ``cost`` is
``GAPInstance.kernel_cost()`` (agents, jobs), ``resource`` (agents, jobs), ``capacity``
(agents,), ``allowed`` bool (agents, jobs), and job ``j`` may go to agents
``options[option_start[j]:option_start[j + 1]]``, listed by increasing cost. Assignments are
int64 (jobs,); ``loads`` float64 (agents,) always matches the assignment it travels with.

Searches score assignments by the penalised value of :mod:`evcore.assign._kernels`
(cost plus ``penalty[i]`` per unit of overload at agent ``i``) and move with its delta and
apply kernels; an assignment only becomes the reported best after ``is_feasible`` accepts it.
Every main loop stops at an iteration limit, at a stall limit (no better feasible assignment
for that many iterations) or when ``now_jit()`` passes ``deadline``, and returns a stop code:
:data:`STOP_STALLED`, :data:`STOP_ITERATIONS` or :data:`STOP_DEADLINE`. Improvements of the
best feasible objective are recorded in ``trace`` (k, 2): (seconds since ``start``, objective).
Randomness: Numba's generator, seeded by the caller with ``evcore.heuristics.seed_rng``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..heuristics._kernels import (
    insert_unique,
    minimisation_fitness,
    random_index,
    roulette_select,
    seed_rng,
    uniform_crossover,
)
from ..heuristics.clock import now_jit
from ._kernels import (
    CAPACITY_TOLERANCE,
    apply_shift,
    apply_swap,
    compute_loads,
    is_feasible,
    penalized_value,
    shift_delta,
    swap_delta,
    total_cost,
    total_overload,
)

STOP_STALLED = 0
STOP_ITERATIONS = 1
STOP_DEADLINE = 2
#: Returned by :func:`stop_reason` when the loop goes on.
RUNNING = -1

#: A move must lower the penalised value by more than this to count as an improvement.
IMPROVEMENT_TOLERANCE = 1e-9


# --- bookkeeping -----------------------------------------------------------------------------


@njit(cache=True)
def record_trace(trace, count, start, objective):
    """Append (seconds since ``start``, ``objective``) to ``trace``; returns the new count.

    A full trace keeps overwriting its last row, so it always ends with the final best.
    """
    row = count if count < trace.shape[0] else trace.shape[0] - 1
    trace[row, 0] = now_jit() - start
    trace[row, 1] = objective
    return min(count + 1, trace.shape[0])


@njit(cache=True)
def keep_if_best(problem, assignment, loads, best_assignment, best, trace, count, start):
    """Copy ``assignment`` to ``best_assignment`` if it is feasible and cheaper than ``best[0]``.

    ``best`` is a length-1 array holding the best feasible objective (``inf`` at first);
    ``loads`` is recomputed. Returns ``(improved, trace count)``.
    """
    cost, resource, capacity, allowed, _, _ = problem
    if not is_feasible(resource, capacity, allowed, assignment, loads):
        return False, count
    objective = total_cost(cost, assignment)
    if not objective < best[0]:
        return False, count
    best[0] = objective
    best_assignment[:] = assignment
    return True, record_trace(trace, count, start, objective)


@njit(cache=True)
def random_allowed_agent(problem, job):
    """A uniform agent among those allowed for ``job``."""
    _, _, _, _, option_start, options = problem
    start = option_start[job]
    return options[start + random_index(option_start[job + 1] - start)]


@njit(cache=True, inline="always")
def stop_reason(step, max_steps, deadline, stall, stall_limit):
    """Why a main loop should stop before its next step, or :data:`RUNNING` to go on.

    Checked in this order: the step limit, the deadline (``now_jit()`` is only read when the
    limit is not reached), the stall limit.
    """
    if step >= max_steps:
        return STOP_ITERATIONS
    if now_jit() >= deadline:
        return STOP_DEADLINE
    if stall >= stall_limit:
        return STOP_STALLED
    return RUNNING


# --- construction, repair, local search -----------------------------------------------------


@njit(cache=True)
def grasp_construct(problem, job_order, alpha, assignment, loads):
    """GRASP construction with a cost-based restricted candidate list (RCL).

    Jobs are placed in ``job_order``. For each, the candidates are its allowed agents with room
    left; the RCL holds those with ``cost <= c_min + alpha * (c_max - c_min)`` and one is drawn
    uniformly (``alpha = 0``: greedy, ``alpha = 1``: random among agents with room). A job no
    agent has room for goes where it overloads least (capacity repair fixes it afterwards).

    Parameters
    ----------
    job_order : numpy.ndarray of int, shape (jobs,)
    alpha : float in [0, 1]
    assignment : numpy.ndarray of int64, shape (jobs,)
        Overwritten.
    loads : numpy.ndarray, shape (agents,)
        Overwritten with the loads of the result.
    """
    cost, resource, capacity, _, option_start, options = problem
    loads[:] = 0.0
    for job in job_order:
        low = np.inf
        high = -np.inf
        least_overload = np.inf
        fallback = -1
        for p in range(option_start[job], option_start[job + 1]):
            agent = options[p]
            after = loads[agent] + resource[agent, job]
            if after <= capacity[agent] + CAPACITY_TOLERANCE:
                low = min(low, cost[agent, job])
                high = max(high, cost[agent, job])
            elif after - capacity[agent] < least_overload:
                least_overload = after - capacity[agent]
                fallback = agent
        chosen = fallback
        if low < np.inf:
            threshold = low + alpha * (high - low)
            size = 0
            for p in range(option_start[job], option_start[job + 1]):
                agent = options[p]
                if (loads[agent] + resource[agent, job] <= capacity[agent] + CAPACITY_TOLERANCE
                        and cost[agent, job] <= threshold):
                    size += 1
            pick = random_index(size)
            for p in range(option_start[job], option_start[job + 1]):
                agent = options[p]
                if (loads[agent] + resource[agent, job] <= capacity[agent] + CAPACITY_TOLERANCE
                        and cost[agent, job] <= threshold):
                    if pick == 0:
                        chosen = agent
                        break
                    pick -= 1
        assignment[job] = chosen
        loads[chosen] += resource[chosen, job]


@njit(cache=True)
def best_move_from(problem, penalty, assignment, loads, agent):
    """Best shift or swap that takes a job off ``agent``, by penalised delta.

    Returns ``(delta, job, to_agent, partner)``: a shift when ``partner < 0``, else a swap of
    ``job`` with ``partner``. ``job < 0`` when ``agent`` holds no movable job.
    """
    cost, resource, capacity, allowed, option_start, options = problem
    jobs = assignment.shape[0]
    best = np.inf
    best_job = -1
    best_to = -1
    best_partner = -1
    for job in range(jobs):
        if assignment[job] != agent:
            continue
        for p in range(option_start[job], option_start[job + 1]):
            to_agent = options[p]
            if to_agent != agent:
                delta = shift_delta(cost, resource, capacity, penalty, loads, assignment, job, to_agent)
                if delta < best:
                    best, best_job, best_to, best_partner = delta, job, to_agent, -1
        for partner in range(jobs):
            other = assignment[partner]
            if other != agent and allowed[other, job] and allowed[agent, partner]:
                delta = swap_delta(cost, resource, capacity, penalty, loads, assignment, job, partner)
                if delta < best:
                    best, best_job, best_to, best_partner = delta, job, other, partner
    return best, best_job, best_to, best_partner


@njit(cache=True)
def repair_capacity(problem, penalty, assignment, loads, max_moves):
    """Move jobs off overloaded agents at least cost until every capacity holds.

    Repeatedly takes the most overloaded agent and moves one of its jobs to an agent with room
    for it, choosing the cheapest such shift. When no job fits anywhere, it makes the shift or
    swap with the best penalised delta (``penalty`` should be large, so this is the move that
    removes the most overload), and gives up when even that does not help.

    Parameters
    ----------
    penalty : numpy.ndarray, shape (agents,)
    assignment, loads : numpy.ndarray
        Updated in place (``loads`` must match ``assignment`` on entry).
    max_moves : int

    Returns
    -------
    bool
        True when no agent is overloaded at the end.
    """
    cost, resource, capacity, _, option_start, options = problem
    agents = capacity.shape[0]
    for _ in range(max_moves):
        worst = -1
        worst_overload = CAPACITY_TOLERANCE
        for agent in range(agents):
            if loads[agent] - capacity[agent] > worst_overload:
                worst_overload = loads[agent] - capacity[agent]
                worst = agent
        if worst < 0:
            return True
        best_increase = np.inf
        best_job = -1
        best_to = -1
        for job in range(assignment.shape[0]):
            if assignment[job] != worst:
                continue
            for p in range(option_start[job], option_start[job + 1]):
                to_agent = options[p]
                if (to_agent != worst and loads[to_agent] + resource[to_agent, job]
                        <= capacity[to_agent] + CAPACITY_TOLERANCE):
                    increase = cost[to_agent, job] - cost[worst, job]
                    if increase < best_increase:
                        best_increase, best_job, best_to = increase, job, to_agent
                    break  # options are sorted by cost: the first that fits is the cheapest
        if best_job >= 0:
            apply_shift(resource, loads, assignment, best_job, best_to)
            continue
        delta, job, to_agent, partner = best_move_from(problem, penalty, assignment, loads, worst)
        if job < 0 or not delta < -IMPROVEMENT_TOLERANCE:
            return False
        if partner < 0:
            apply_shift(resource, loads, assignment, job, to_agent)
        else:
            apply_swap(resource, loads, assignment, job, partner)
    return total_overload(loads, capacity) == 0.0


@njit(cache=True)
def swap_local_search(problem, penalty, assignment, loads):
    """The Swap local search: shift and swap moves until none improves the penalised value.

    Each pass tries, for every job, its best shift to another allowed agent, then every pair of
    jobs on different agents for an exchange (first improvement). Stops after a pass without
    improvement.

    Returns
    -------
    int
        Number of moves applied.
    """
    cost, resource, capacity, allowed, option_start, options = problem
    jobs = assignment.shape[0]
    moves = 0
    improved = True
    while improved:
        improved = False
        for job in range(jobs):
            best = -IMPROVEMENT_TOLERANCE
            best_to = -1
            for p in range(option_start[job], option_start[job + 1]):
                delta = shift_delta(cost, resource, capacity, penalty, loads, assignment, job, options[p])
                if delta < best:
                    best, best_to = delta, options[p]
            if best_to >= 0:
                apply_shift(resource, loads, assignment, job, best_to)
                moves += 1
                improved = True
        for job in range(jobs):
            for partner in range(job + 1, jobs):
                agent = assignment[job]
                other = assignment[partner]
                if agent == other or not (allowed[other, job] and allowed[agent, partner]):
                    continue
                if swap_delta(cost, resource, capacity, penalty, loads, assignment, job,
                              partner) < -IMPROVEMENT_TOLERANCE:
                    apply_swap(resource, loads, assignment, job, partner)
                    moves += 1
                    improved = True
    return moves


@njit(cache=True)
def swap_mutation(problem, assignment, loads, swaps):
    """Exchange the agents of ``swaps`` random pairs of jobs (pairs on different agents whose
    exchange keeps both pairs allowed; up to 20 draws per swap). Returns the swaps made."""
    _, resource, _, allowed, _, _ = problem
    jobs = assignment.shape[0]
    made = 0
    for _ in range(swaps):
        for _ in range(20):
            job = random_index(jobs)
            partner = random_index(jobs)
            agent = assignment[job]
            other = assignment[partner]
            if agent != other and allowed[other, job] and allowed[agent, partner]:
                apply_swap(resource, loads, assignment, job, partner)
                made += 1
                break
    return made


@njit(cache=True)
def improve(problem, penalty, assignment, loads, max_repair_moves):
    """Capacity repair then the Swap local search; returns the penalised value."""
    cost, resource, capacity, _, _, _ = problem
    repair_capacity(problem, penalty, assignment, loads, max_repair_moves)
    swap_local_search(problem, penalty, assignment, loads)
    return penalized_value(cost, resource, capacity, penalty, assignment, loads)


@njit(cache=True)
def grasp_population(problem, penalty, job_order, alpha, population, values, loads, max_repair_moves,
                     best_assignment, best, trace, count, start, deadline):
    """Fill ``population`` (P, jobs) with distinct GRASP + repair + Swap solutions.

    Up to ``3 P`` constructions; slots left empty keep value ``inf``. Returns the trace count.
    """
    size = population.shape[0]
    values[:] = np.inf
    candidate = np.empty(population.shape[1], np.int64)
    for attempt in range(3 * size):
        if attempt > 0 and now_jit() >= deadline:
            break
        grasp_construct(problem, job_order, alpha, candidate, loads)
        value = improve(problem, penalty, candidate, loads, max_repair_moves)
        _, count = keep_if_best(problem, candidate, loads, best_assignment, best, trace, count, start)
        insert_unique(population, values, candidate, value)
        if np.isfinite(values).all():
            break
    return count


# --- HASP -------------------------------------------------------------------------------------


@njit(cache=True)
def hasp_search(problem, penalty, job_order, population_size, alpha, mutation_rate, mutation_swaps,
                max_generations, stall_generations, max_repair_moves, start, deadline, trace, best_assignment):
    """Hybrid assignment search procedure (seed 003): GRASP population, GA operators, Swap search.

    Each generation draws two parents by fitness-proportional selection, mixes them by uniform
    crossover, mutates the child with probability ``mutation_rate`` by ``mutation_swaps``
    assignment swaps, repairs its capacities, improves it with the Swap local search and puts
    it in place of the worst member if better and not a duplicate (steady-state update).

    Returns
    -------
    generations : int
    trace_count : int
    stop : int
        Stop code.
    best : float
        Best feasible objective (``inf`` if none; then ``best_assignment`` is untouched).
    """
    agents = problem[2].shape[0]
    jobs = job_order.shape[0]
    population = np.zeros((population_size, jobs), np.int64)
    values = np.empty(population_size)
    fitness = np.empty(population_size)
    loads = np.empty(agents)
    child = np.empty(jobs, np.int64)
    best = np.full(1, np.inf)
    count = grasp_population(problem, penalty, job_order, alpha, population, values, loads, max_repair_moves,
                             best_assignment, best, trace, 0, start, deadline)
    stall = 0
    generation = 0
    while True:
        stop = stop_reason(generation, max_generations, deadline, stall, stall_generations)
        if stop != RUNNING:
            break
        generation += 1
        minimisation_fitness(values, fitness)
        first = roulette_select(fitness)
        second = roulette_select(fitness)
        for _ in range(5):  # prefer two different parents
            if second != first:
                break
            second = roulette_select(fitness)
        uniform_crossover(population[first], population[second], child)
        compute_loads(problem[1], child, loads)
        if np.random.random() < mutation_rate:
            swap_mutation(problem, child, loads, mutation_swaps)
        value = improve(problem, penalty, child, loads, max_repair_moves)
        improved, count = keep_if_best(problem, child, loads, best_assignment, best, trace, count, start)
        stall = 0 if improved else stall + 1
        insert_unique(population, values, child, value)
    return generation, count, stop, best[0]


# --- tabu search ------------------------------------------------------------------------------


@njit(cache=True)
def reaches_new_best(problem, zero_cost, no_penalty, unit_penalty, loads, assignment, job, to_agent, partner,
                     current_cost, current_overload, best):
    """Aspiration test: does the move give a feasible assignment cheaper than ``best``?

    The move is a shift of ``job`` to ``to_agent`` when ``partner < 0``, else a swap of ``job``
    and ``partner``. The cost change is the penalised delta with ``no_penalty`` (zeros), the
    overload change the penalised delta of ``zero_cost`` with ``unit_penalty`` (ones).
    """
    cost, resource, capacity, _, _, _ = problem
    if partner < 0:
        cost_change = shift_delta(cost, resource, capacity, no_penalty, loads, assignment, job, to_agent)
        overload_change = shift_delta(zero_cost, resource, capacity, unit_penalty, loads, assignment, job, to_agent)
    else:
        cost_change = swap_delta(cost, resource, capacity, no_penalty, loads, assignment, job, partner)
        overload_change = swap_delta(zero_cost, resource, capacity, unit_penalty, loads, assignment, job, partner)
    return (current_cost + cost_change < best - IMPROVEMENT_TOLERANCE
            and current_overload + overload_change <= CAPACITY_TOLERANCE)


@njit(cache=True)
def tabu_search(problem, penalty, min_penalty, max_penalty, penalty_factor, job_order, tenure_min, tenure_max,
                max_iterations, stall_iterations, max_repair_moves, start, deadline, trace, best_assignment):
    """Tabu search over shift and swap moves with adaptive per-agent penalties.

    Starts from the greedy GRASP solution (``alpha = 0``) after capacity repair. Each iteration
    makes the best admissible move of the whole shift + swap neighbourhood, even if it worsens
    the penalised value. After job ``j`` leaves agent ``a``, moving ``j`` back to ``a`` is tabu
    for a tenure drawn in ``[tenure_min, tenure_max]``, unless the move reaches a feasible
    assignment cheaper than the best one (aspiration). Strategic oscillation: each agent's
    penalty grows by ``penalty_factor`` while it is overloaded and shrinks otherwise, within
    ``[min_penalty, max_penalty]``, so the search crosses the capacity boundary both ways.

    Parameters
    ----------
    penalty : numpy.ndarray, shape (agents,)
        Initial penalties, updated in place.

    Returns
    -------
    iterations, trace_count, stop, best : int, int, int, float
        As :func:`hasp_search`.
    """
    cost, resource, capacity, allowed, option_start, options = problem
    agents = capacity.shape[0]
    jobs = job_order.shape[0]
    assignment = np.empty(jobs, np.int64)
    loads = np.empty(agents)
    best = np.full(1, np.inf)
    tabu_until = np.zeros((agents, jobs), np.int64)
    # Cost and overload changes of a move come from the shared delta kernels with these.
    zero_cost = np.zeros((agents, jobs))
    no_penalty = np.zeros(agents)
    unit_penalty = np.ones(agents)
    repair_penalty = np.full(agents, max_penalty)
    grasp_construct(problem, job_order, 0.0, assignment, loads)
    repair_capacity(problem, repair_penalty, assignment, loads, max_repair_moves)
    count = 0
    _, count = keep_if_best(problem, assignment, loads, best_assignment, best, trace, count, start)
    compute_loads(resource, assignment, loads)
    stall = 0
    iteration = 0
    while True:
        stop = stop_reason(iteration, max_iterations, deadline, stall, stall_iterations)
        if stop != RUNNING:
            break
        iteration += 1
        current_cost = total_cost(cost, assignment)
        current_overload = total_overload(loads, capacity)
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
                        problem, zero_cost, no_penalty, unit_penalty, loads, assignment, job, to_agent, -1,
                        current_cost, current_overload, best[0])):
                    best_delta, best_job, best_to, best_partner = delta, job, to_agent, -1
            for partner in range(job + 1, jobs):
                other = assignment[partner]
                if other == agent or not (allowed[other, job] and allowed[agent, partner]):
                    continue
                delta = swap_delta(cost, resource, capacity, penalty, loads, assignment, job, partner)
                if delta < best_delta and ((tabu_until[other, job] <= iteration
                                            and tabu_until[agent, partner] <= iteration)
                                           or reaches_new_best(problem, zero_cost, no_penalty, unit_penalty, loads,
                                                               assignment, job, other, partner, current_cost,
                                                               current_overload, best[0])):
                    best_delta, best_job, best_to, best_partner = delta, job, other, partner
        if best_job < 0:  # everything tabu: let the oldest restrictions lapse
            tabu_until[:] = 0
            stall += 1
            continue
        from_agent = assignment[best_job]
        tabu_until[from_agent, best_job] = iteration + tenure_min + random_index(tenure_max - tenure_min + 1)
        if best_partner < 0:
            apply_shift(resource, loads, assignment, best_job, best_to)
        else:
            tabu_until[best_to, best_partner] = iteration + tenure_min + random_index(tenure_max - tenure_min + 1)
            apply_swap(resource, loads, assignment, best_job, best_partner)
        improved = False
        if total_overload(loads, capacity) == 0.0:
            improved, count = keep_if_best(problem, assignment, loads, best_assignment, best, trace, count, start)
        stall = 0 if improved else stall + 1
        for agent in range(agents):
            if loads[agent] > capacity[agent] + CAPACITY_TOLERANCE:
                penalty[agent] = min(max_penalty, penalty[agent] * penalty_factor)
            else:
                penalty[agent] = max(min_penalty, penalty[agent] / penalty_factor)
    return iteration, count, stop, best[0]


# --- bees algorithm ---------------------------------------------------------------------------


@njit(cache=True)
def neighbourhood_move(problem, zero_cost, unit_penalty, assignment, loads, moves):
    """``moves`` random moves, each a shift to a random allowed agent or a swap of two jobs'
    agents, drawn (up to 20 tries each) among moves that do not add overload.

    Overload change = penalised delta of ``zero_cost`` (zeros) with ``unit_penalty`` (ones).
    """
    _, resource, capacity, allowed, _, _ = problem
    jobs = assignment.shape[0]
    for _ in range(moves):
        for _ in range(20):
            job = random_index(jobs)
            if np.random.random() < 0.5:
                to_agent = random_allowed_agent(problem, job)
                if shift_delta(zero_cost, resource, capacity, unit_penalty, loads, assignment, job,
                               to_agent) <= CAPACITY_TOLERANCE:
                    apply_shift(resource, loads, assignment, job, to_agent)
                    break
            else:
                partner = random_index(jobs)
                agent = assignment[job]
                other = assignment[partner]
                if (agent != other and allowed[other, job] and allowed[agent, partner]
                        and swap_delta(zero_cost, resource, capacity, unit_penalty, loads, assignment, job,
                                       partner) <= CAPACITY_TOLERANCE):
                    apply_swap(resource, loads, assignment, job, partner)
                    break


@njit(cache=True)
def scout_site(problem, penalty, job_order, scout_alpha, initial_patch, sites, values, patch, site, loads,
               best_assignment, best, trace, count, start):
    """A scout samples ``sites[site]`` anew (GRASP with ``scout_alpha``): its value, a full patch.

    ``loads`` is overwritten. Returns :func:`keep_if_best`'s ``(improved, trace count)``.
    """
    cost, resource, capacity, _, _, _ = problem
    grasp_construct(problem, job_order, scout_alpha, sites[site], loads)
    values[site] = penalized_value(cost, resource, capacity, penalty, sites[site], loads)
    patch[site] = initial_patch
    return keep_if_best(problem, sites[site], loads, best_assignment, best, trace, count, start)


@njit(cache=True)
def bees_search(problem, penalty, job_order, scouts, selected_sites, elite_sites, elite_recruits, other_recruits,
                initial_patch, patch_shrink, abandon_after, scout_alpha, max_cycles, stall_cycles, start, deadline,
                trace, best_assignment):
    """The bees algorithm (Pham et al.) on assignments, scored by the penalised value.

    ``scouts`` bees sample sites (GRASP with ``scout_alpha``). Each cycle the best
    ``selected_sites`` are searched: ``elite_recruits`` foragers for each of the best
    ``elite_sites``, ``other_recruits`` for the rest; a forager applies as many random
    neighbourhood moves (shift or swap, not adding overload) as the site's patch size, and the
    best forager replaces the site when better. A site that does not improve shrinks its patch
    by ``patch_shrink`` and is abandoned (re-scouted) after ``abandon_after`` such cycles. The
    other sites are re-scouted every cycle.

    Returns
    -------
    cycles, trace_count, stop, best : int, int, int, float
        As :func:`hasp_search`.
    """
    cost, resource, capacity, _, _, _ = problem
    agents = capacity.shape[0]
    jobs = job_order.shape[0]
    sites = np.empty((scouts, jobs), np.int64)
    values = np.empty(scouts)
    patch = np.empty(scouts, np.int64)
    stagnant = np.zeros(scouts, np.int64)
    loads = np.empty(agents)
    forager = np.empty(jobs, np.int64)
    best_forager = np.empty(jobs, np.int64)
    zero_cost = np.zeros((agents, jobs))
    unit_penalty = np.ones(agents)
    best = np.full(1, np.inf)
    count = 0
    stall = 0
    cycle = 0
    for site in range(scouts):
        _, count = scout_site(problem, penalty, job_order, scout_alpha, initial_patch, sites, values, patch, site,
                              loads, best_assignment, best, trace, count, start)
    while True:
        stop = stop_reason(cycle, max_cycles, deadline, stall, stall_cycles)
        if stop != RUNNING:
            break
        cycle += 1
        improved = False
        order = np.argsort(values)
        for rank in range(scouts):
            site = order[rank]
            if rank < selected_sites:
                recruits = elite_recruits if rank < elite_sites else other_recruits
                best_value = np.inf
                for _ in range(recruits):
                    forager[:] = sites[site]
                    compute_loads(resource, forager, loads)
                    neighbourhood_move(problem, zero_cost, unit_penalty, forager, loads, patch[site])
                    value = penalized_value(cost, resource, capacity, penalty, forager, loads)
                    if value < best_value:
                        best_value = value
                        best_forager[:] = forager
                if best_value < values[site] - IMPROVEMENT_TOLERANCE:
                    sites[site] = best_forager
                    values[site] = best_value
                    stagnant[site] = 0
                    found, count = keep_if_best(problem, best_forager, loads, best_assignment, best, trace, count,
                                                start)
                    improved = improved or found
                    continue
                stagnant[site] += 1
                patch[site] = max(1, int(patch[site] * patch_shrink))
                if stagnant[site] <= abandon_after:
                    continue
            # Unselected or abandoned: a scout samples a new site.
            stagnant[site] = 0
            found, count = scout_site(problem, penalty, job_order, scout_alpha, initial_patch, sites, values, patch,
                                      site, loads, best_assignment, best, trace, count, start)
            improved = improved or found
        stall = 0 if improved else stall + 1
    return cycle, count, stop, best[0]


# --- DE-SK ------------------------------------------------------------------------------------


@njit(cache=True)
def decode_positions(problem, position, assignment):
    """Discrete mapping: job ``j`` takes its ``floor(position[j] * n_j)``-th cheapest allowed agent."""
    _, _, _, _, option_start, options = problem
    for job in range(assignment.shape[0]):
        size = option_start[job + 1] - option_start[job]
        rank = min(int(position[job] * size), size - 1)
        assignment[job] = options[option_start[job] + rank]


@njit(cache=True)
def encode_assignment(problem, assignment, position):
    """Inverse of :func:`decode_positions`: the middle of each chosen agent's interval."""
    _, _, _, _, option_start, options = problem
    for job in range(assignment.shape[0]):
        size = option_start[job + 1] - option_start[job]
        for rank in range(size):
            if options[option_start[job] + rank] == assignment[job]:
                position[job] = (rank + 0.5) / size
                break


@njit(cache=True)
def de_search(problem, penalty, job_order, population_size, scale, crossover_rate, local_search_rate, alpha,
              max_generations, stall_generations, max_repair_moves, start, deadline, trace, best_assignment):
    """DE-SK: differential evolution on [0, 1)^jobs with a discrete mapping and local search.

    Vectors decode to assignments by :func:`decode_positions` (smaller coordinates, cheaper
    agents). The initial population encodes GRASP solutions. Each generation builds, for every
    target, the DE/rand/1/bin trial ``x_r1 + scale * (x_r2 - x_r3)`` (wrapped into [0, 1))
    mixed with the target at ``crossover_rate``; the decoded trial is repaired and, with
    probability ``local_search_rate``, improved by the Swap local search, then written back
    into the vector (Lamarckian). The trial replaces its target when not worse.

    Returns
    -------
    generations, trace_count, stop, best : int, int, int, float
        As :func:`hasp_search`.
    """
    cost, resource, capacity, _, _, _ = problem
    agents = capacity.shape[0]
    jobs = job_order.shape[0]
    positions = np.empty((population_size, jobs))
    values = np.empty(population_size)
    trial = np.empty(jobs)
    assignment = np.empty(jobs, np.int64)
    loads = np.empty(agents)
    best = np.full(1, np.inf)
    count = 0
    for member in range(population_size):
        grasp_construct(problem, job_order, alpha, assignment, loads)
        repair_capacity(problem, penalty, assignment, loads, max_repair_moves)
        values[member] = penalized_value(cost, resource, capacity, penalty, assignment, loads)
        encode_assignment(problem, assignment, positions[member])
        _, count = keep_if_best(problem, assignment, loads, best_assignment, best, trace, count, start)
    stall = 0
    generation = 0
    while True:
        stop = stop_reason(generation, max_generations, deadline, stall, stall_generations)
        if stop != RUNNING:
            break
        generation += 1
        improved = False
        for target in range(population_size):
            r1 = random_index(population_size)
            while r1 == target:
                r1 = random_index(population_size)
            r2 = random_index(population_size)
            while r2 == target or r2 == r1:
                r2 = random_index(population_size)
            r3 = random_index(population_size)
            while r3 == target or r3 == r1 or r3 == r2:
                r3 = random_index(population_size)
            forced = random_index(jobs)
            for job in range(jobs):
                if job == forced or np.random.random() < crossover_rate:
                    value = positions[r1, job] + scale * (positions[r2, job] - positions[r3, job])
                    trial[job] = value - np.floor(value)
                else:
                    trial[job] = positions[target, job]
            decode_positions(problem, trial, assignment)
            compute_loads(resource, assignment, loads)
            repair_capacity(problem, penalty, assignment, loads, max_repair_moves)
            if np.random.random() < local_search_rate:
                swap_local_search(problem, penalty, assignment, loads)
            value = penalized_value(cost, resource, capacity, penalty, assignment, loads)
            if value <= values[target]:
                encode_assignment(problem, assignment, positions[target])
                values[target] = value
            found, count = keep_if_best(problem, assignment, loads, best_assignment, best, trace, count, start)
            improved = improved or found
        stall = 0 if improved else stall + 1
    return generation, count, stop, best[0]


# --- compile on a tiny instance ---------------------------------------------------------------


def tiny_problem():
    """A 2-agent, 4-job problem tuple (for warm-up and smoke tests)."""
    cost = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]])
    resource = np.ones((2, 4))
    capacity = np.array([2.0, 2.0])
    allowed = np.ones((2, 4), np.bool_)
    order = np.argsort(cost, axis=0, kind="stable")
    option_start = np.arange(0, 9, 2, dtype=np.int64)
    options = np.ascontiguousarray(order.T.ravel()).astype(np.int64)
    return cost, resource, capacity, allowed, option_start, options


def warm_up():
    """Compile every kernel of this module on a tiny instance (benchmarks/bench_compile.py)."""
    problem = tiny_problem()
    jobs = 4
    penalty = np.full(2, 10.0)
    order = np.arange(jobs, dtype=np.int64)
    trace = np.zeros((8, 2))
    best = np.zeros(jobs, np.int64)
    seed_rng(0)
    hasp_search(problem, penalty, order, 4, 0.3, 0.5, 1, 3, 3, 10, 0.0, np.inf, trace, best)
    tabu_search(problem, penalty.copy(), 1.0, 100.0, 1.1, order, 2, 4, 3, 3, 10, 0.0, np.inf, trace, best)
    bees_search(problem, penalty, order, 5, 3, 1, 2, 1, 2, 0.8, 2, 1.0, 3, 3, 0.0, np.inf, trace, best)
    de_search(problem, penalty, order, 4, 0.5, 0.9, 0.5, 0.3, 3, 3, 10, 0.0, np.inf, trace, best)
