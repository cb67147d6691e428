"""Numba kernels of the ``"best"`` GAP method: adaptive-penalty tabu search with path relinking.

The search walks over assignments that may overload agents, scored by the shared penalised
value of :mod:`evcore.assign._kernels` (cost plus ``penalty[i]`` times agent ``i``'s
overload) whose per-agent weights adapt: they grow while an agent is overloaded and decay
while the assignment is feasible, so the walk keeps crossing the feasibility boundary, where
good GAP solutions lie (Yagiura, Ibaraki and Glover's idea). Each step takes the best
non-tabu shift or swap; feasible assignments found on the way feed an elite pool, and
stalled runs restart from a path relinking between two elite assignments.

Moves are restricted to *candidate* pairs: those whose reduced cost of the LP relaxation
(:func:`evcore.assign.best` computes it) is small enough that the pair can still appear in an
assignment better than the best one found. That restriction is exact (it never removes an
improving assignment) and shrinks the neighbourhood several-fold on the OR-Library sets.

Array contract: that of :mod:`evcore.assign._kernels`, plus ``candidate`` bool
(agents, jobs), ``reduced_cost`` float64 (agents, jobs), ``tabu_until`` int64 (agents, jobs)
(iteration until which a job may not return to an agent) and ``rng`` uint64 (1,), the state
of a xorshift64* generator. Plain-Python twins: :mod:`evcore.assign._best_reference`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..heuristics.clock import now, now_jit
from ._kernels import (
    CAPACITY_TOLERANCE,
    apply_shift,
    apply_swap,
    compute_loads,
    shift_delta,
    swap_delta,
    total_cost,
)

#: Two move values closer than this are ties (costs are integers in every benchmark).
TIE_TOLERANCE = 1e-9

# Move kinds written to ``move[0]`` by :func:`best_move`.
NO_MOVE, SHIFT, SWAP = 0, 1, 2

# Why :func:`tabu_search` returned.
STOPPED_BY_TIME, STOPPED_BY_ITERATIONS, STOPPED_AT_TARGET, STOPPED_BY_STALL, STOPPED_FOR_REPORT = 0, 1, 2, 3, 4

# Slots of the int64 ``counters`` array that carries the search between calls.
ITERATION, LAST_IMPROVEMENT, SEGMENT_IMPROVEMENT, OVERLOADED, TRACE_LENGTH, RESTARTS = range(6)
COUNTER_SLOTS = 6
# Slots of the float64 ``values`` array.
CURRENT_COST, BEST_COST, SEGMENT_BEST_COST = range(3)
VALUE_SLOTS = 3

_MULTIPLIER = np.uint64(0x2545F4914F6CDD1D)


# --- random numbers (xorshift64*: tiny, reproducible, with a Python twin) -----------------------


@njit(cache=True)
def random_next(rng):
    """Advance the xorshift64* state ``rng`` (uint64, shape (1,)) and return 64 random bits."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    return x * _MULTIPLIER


@njit(cache=True)
def random_below(rng, count):
    """Uniform integer in ``[0, count)`` (``count >= 1``)."""
    return np.int64((random_next(rng) >> np.uint64(11)) % np.uint64(count))


# --- feasibility bookkeeping ----------------------------------------------------------------


@njit(cache=True, inline="always")
def _is_over(load, capacity):
    return load - capacity > CAPACITY_TOLERANCE


@njit(cache=True)
def count_overloaded(loads, capacity):
    """Number of agents whose load exceeds capacity."""
    count = 0
    for i in range(loads.shape[0]):
        if _is_over(loads[i], capacity[i]):
            count += 1
    return count


@njit(cache=True, inline="always")
def _over_pair(loads, capacity, agent_a, agent_b):
    """How many of agents a and b (0, 1 or 2) are overloaded."""
    return _is_over(loads[agent_a], capacity[agent_a]) + _is_over(loads[agent_b], capacity[agent_b])


@njit(cache=True, inline="always")
def _feasible_after(loads, capacity, overloaded, agent_a, load_a, agent_b, load_b):
    """Whether the assignment is feasible once agents a and b carry ``load_a`` and ``load_b``."""
    others = overloaded - _over_pair(loads, capacity, agent_a, agent_b)
    return others == 0 and not _is_over(load_a, capacity[agent_a]) and not _is_over(load_b, capacity[agent_b])


@njit(cache=True)
def tighten_candidates(allowed, reduced_cost, threshold, candidate):
    """Keep the pairs that can still appear in an improving assignment.

    Any assignment of cost ``<= T`` has reduced costs summing to ``<= T - lower_bound``, so a
    pair whose reduced cost exceeds ``threshold = T - lower_bound`` cannot be part of it.

    Parameters
    ----------
    allowed : numpy.ndarray of bool, shape (agents, jobs)
    reduced_cost : numpy.ndarray, shape (agents, jobs)
        Non-negative reduced costs (zeros disable the restriction).
    threshold : float
    candidate : numpy.ndarray of bool, shape (agents, jobs)
        Overwritten: ``allowed & (reduced_cost <= threshold)``.
    """
    agents, jobs = allowed.shape
    for i in range(agents):
        for j in range(jobs):
            candidate[i, j] = allowed[i, j] and reduced_cost[i, j] <= threshold


# --- the neighbourhood ----------------------------------------------------------------------


@njit(cache=True, inline="always")
def _aspires(new_cost, best_cost, loads, capacity, overloaded, agent_a, load_a, agent_b, load_b):
    """Aspiration: a tabu move is admissible when it gives a feasible assignment cheaper than ``best_cost``."""
    return new_cost < best_cost - TIE_TOLERANCE and _feasible_after(loads, capacity, overloaded, agent_a, load_a,
                                                                    agent_b, load_b)


@njit(cache=True, inline="always")
def _break_tie(delta, chosen, ties, rng):
    """Tie-breaking of :func:`best_move` for an admissible move within the tie band of ``chosen``.

    A clearly better move is taken and restarts the count; the k-th tie is taken with chance
    1/k (one ``random_below`` draw). Returns ``(take, chosen, ties)``.
    """
    if delta < chosen - TIE_TOLERANCE:
        return True, delta, 1
    ties += 1
    return random_below(rng, ties) == 0, chosen, ties


@njit(cache=True, inline="always")
def _set_move(move, kind, a, b):
    move[0] = kind
    move[1] = a
    move[2] = b


@njit(cache=True)
def best_move(cost, resource, capacity, candidate, penalty, loads, assignment, tabu_until, iteration,
              overloaded, current_cost, best_cost, rng, move):
    """Best admissible shift or swap under the penalised value; ties are broken at random.

    A move is admissible when it uses candidate pairs only and is not tabu (it would send a
    job back to an agent it left less than a tenure ago), unless it yields a feasible
    assignment cheaper than ``best_cost`` (aspiration).

    Parameters
    ----------
    cost, resource : numpy.ndarray, shape (agents, jobs)
    capacity, penalty, loads : numpy.ndarray, shape (agents,)
    candidate : numpy.ndarray of bool, shape (agents, jobs)
    assignment : numpy.ndarray of int64, shape (jobs,)
    tabu_until : numpy.ndarray of int64, shape (agents, jobs)
    iteration : int
    overloaded : int
        Number of overloaded agents in ``assignment``.
    current_cost, best_cost : float
        Cost of ``assignment``; best feasible cost so far (``inf`` if none).
    rng : numpy.ndarray of uint64, shape (1,)
    move : numpy.ndarray of int64, shape (3,)
        Output: ``(kind, job, agent)`` for a shift, ``(kind, job_a, job_b)`` for a swap,
        ``kind == NO_MOVE`` when nothing is admissible.

    Returns
    -------
    float
        Change of the penalised value (``inf`` when no move is admissible).
    """
    agents, jobs = cost.shape
    chosen = np.inf
    ties = 0
    move[0] = NO_MOVE
    for job in range(jobs):
        agent = assignment[job]
        for to_agent in range(agents):
            if to_agent == agent or not candidate[to_agent, job]:
                continue
            delta = shift_delta(cost, resource, capacity, penalty, loads, assignment, job, to_agent)
            if delta > chosen + TIE_TOLERANCE:
                continue
            if tabu_until[to_agent, job] > iteration and not _aspires(
                    current_cost + cost[to_agent, job] - cost[agent, job], best_cost, loads, capacity, overloaded,
                    agent, loads[agent] - resource[agent, job], to_agent, loads[to_agent] + resource[to_agent, job]):
                continue
            take, chosen, ties = _break_tie(delta, chosen, ties, rng)
            if take:
                _set_move(move, SHIFT, job, to_agent)
    for job_a in range(jobs):
        agent_a = assignment[job_a]
        for job_b in range(job_a + 1, jobs):
            agent_b = assignment[job_b]
            if agent_a == agent_b or not candidate[agent_b, job_a] or not candidate[agent_a, job_b]:
                continue
            delta = swap_delta(cost, resource, capacity, penalty, loads, assignment, job_a, job_b)
            if delta > chosen + TIE_TOLERANCE:
                continue
            if (tabu_until[agent_b, job_a] > iteration or tabu_until[agent_a, job_b] > iteration) and not _aspires(
                    current_cost + cost[agent_b, job_a] + cost[agent_a, job_b] - cost[agent_a, job_a]
                    - cost[agent_b, job_b], best_cost, loads, capacity, overloaded,
                    agent_a, loads[agent_a] - resource[agent_a, job_a] + resource[agent_a, job_b],
                    agent_b, loads[agent_b] - resource[agent_b, job_b] + resource[agent_b, job_a]):
                continue
            take, chosen, ties = _break_tie(delta, chosen, ties, rng)
            if take:
                _set_move(move, SWAP, job_a, job_b)
    return chosen


@njit(cache=True)
def relink_toward(cost, resource, capacity, candidate, penalty, loads, assignment, guide, steps):
    """Walk from ``assignment`` toward ``guide``: ``steps`` greedy shifts onto guide's agents.

    Each step moves, among the jobs where the two differ (and whose guide pair is a
    candidate), the one whose shift changes the penalised value least; the first such job
    wins ties, so the walk is deterministic.

    Parameters
    ----------
    assignment : numpy.ndarray of int64, shape (jobs,)
        Modified in place (``loads`` follows it).
    guide : numpy.ndarray of int64, shape (jobs,)
    steps : int

    Returns
    -------
    int
        Steps taken (fewer than ``steps`` when the two assignments meet first).
    """
    jobs = assignment.shape[0]
    taken = 0
    while taken < steps:
        best_job = -1
        best_delta = np.inf
        for job in range(jobs):
            target = guide[job]
            if target == assignment[job] or not candidate[target, job]:
                continue
            delta = shift_delta(cost, resource, capacity, penalty, loads, assignment, job, target)
            if delta < best_delta - TIE_TOLERANCE:
                best_delta = delta
                best_job = job
        if best_job < 0:
            break
        apply_shift(resource, loads, assignment, best_job, guide[best_job])
        taken += 1
    return taken


@njit(cache=True)
def _differences(first, second):
    count = 0
    for job in range(first.shape[0]):
        if first[job] != second[job]:
            count += 1
    return count


@njit(cache=True)
def offer_elite(elite, elite_cost, assignment, objective):
    """Put a feasible assignment into the elite pool in place of its worst member.

    Skipped when it is no better than the worst member or already in the pool.

    Parameters
    ----------
    elite : numpy.ndarray of int64, shape (size, jobs)
    elite_cost : numpy.ndarray, shape (size,)
        ``inf`` marks an empty slot.
    assignment : numpy.ndarray of int64, shape (jobs,)
    objective : float
    """
    worst = 0
    for slot in range(elite.shape[0]):
        if elite_cost[slot] == objective and _differences(elite[slot], assignment) == 0:
            return
        if elite_cost[slot] > elite_cost[worst]:
            worst = slot
    if objective < elite_cost[worst]:
        elite[worst, :] = assignment
        elite_cost[worst] = objective


@njit(cache=True)
def _restart(cost, resource, capacity, candidate, penalty, loads, assignment, best_assignment, elite, elite_cost,
             perturbation, rng):
    """New start for a stalled run: relink two elite assignments, or perturb the best one."""
    agents, jobs = cost.shape
    members = 0
    for slot in range(elite.shape[0]):
        if elite_cost[slot] < np.inf:
            members += 1
    if members >= 2:
        # Elite slots fill from the front and are only ever replaced, so 0..members-1 are used.
        origin = random_below(rng, members)
        guide = random_below(rng, members - 1)
        if guide >= origin:
            guide += 1
        assignment[:] = elite[origin]
        compute_loads(resource, assignment, loads)
        distance = _differences(assignment, elite[guide])
        if distance >= 2:
            # Stop somewhere in the middle third: far from both ends, where new assignments lie.
            steps = distance // 3 + random_below(rng, distance // 3 + 1)
            relink_toward(cost, resource, capacity, candidate, penalty, loads, assignment, elite[guide], steps)
            return
    assignment[:] = best_assignment
    compute_loads(resource, assignment, loads)
    for _ in range(perturbation):
        job = random_below(rng, jobs)
        to_agent = random_below(rng, agents)
        if candidate[to_agent, job]:
            apply_shift(resource, loads, assignment, job, to_agent)


@njit(cache=True)
def record_trace(trace, counters, seconds, objective):
    """Append (seconds, objective) to the trace; once full, the last row keeps the latest."""
    row = min(counters[TRACE_LENGTH], trace.shape[0] - 1)
    trace[row, 0] = seconds
    trace[row, 1] = objective
    counters[TRACE_LENGTH] = row + 1


@njit(cache=True)
def tabu_search(cost, resource, capacity, allowed, reduced_cost, lower_bound, improvement_step, candidate,
                assignment, loads, penalty, tabu_until, best_assignment, segment_best, elite, elite_cost,
                counters, values, rng, trace, settings_int, settings_float, started, deadline, report_at,
                iteration_stop, target):
    """Run the adaptive-penalty tabu search until a stopping rule fires; resumable.

    Every piece of state lives in the arrays passed in, so a call that returns to report
    progress (``report_at``) continues exactly where it stopped: the same seed and iteration
    limit give the same answer however the run is split.

    Parameters
    ----------
    cost, resource : numpy.ndarray, shape (agents, jobs)
        ``cost`` from ``GAPInstance.kernel_cost()``.
    capacity : numpy.ndarray, shape (agents,)
    allowed : numpy.ndarray of bool, shape (agents, jobs)
    reduced_cost : numpy.ndarray, shape (agents, jobs)
        Non-negative LP reduced costs against ``lower_bound`` (zeros: no restriction).
    lower_bound : float
        Lower bound the reduced costs refer to.
    improvement_step : float
        Smallest improvement worth looking for (1 for integer costs, else 0).
    candidate : numpy.ndarray of bool, shape (agents, jobs)
        Pairs moves may use; tightened whenever the best cost improves.
    assignment, best_assignment, segment_best : numpy.ndarray of int64, shape (jobs,)
        Current assignment, best feasible one, best feasible one of the current run segment.
    loads, penalty : numpy.ndarray, shape (agents,)
        Loads of ``assignment``; adaptive penalty weights.
    tabu_until : numpy.ndarray of int64, shape (agents, jobs)
    elite : numpy.ndarray of int64, shape (elite_size, jobs)
    elite_cost : numpy.ndarray, shape (elite_size,)
    counters : numpy.ndarray of int64, shape (COUNTER_SLOTS,)
    values : numpy.ndarray, shape (VALUE_SLOTS,)
    rng : numpy.ndarray of uint64, shape (1,)
    trace : numpy.ndarray, shape (k, 2)
        (seconds since ``started``, best feasible cost) at each improvement.
    settings_int : numpy.ndarray of int64
        ``(tenure_min, tenure_max, restart_iterations, stall_iterations, perturbation)``.
    settings_float : numpy.ndarray
        ``(penalty_increase, penalty_decrease, penalty_floor)``.
    started, deadline, report_at : float
        Clock readings (``now_jit`` seconds): start of the solve, hard stop, return to report.
    iteration_stop : int
        Stop once this many moves were made in total.
    target : float
        Stop once the best feasible cost is ``<= target`` (a proven optimum or the user's goal).

    Returns
    -------
    int
        One of the ``STOPPED_*`` codes.
    """
    tenure_min, tenure_max = settings_int[0], settings_int[1]
    restart_iterations, stall_iterations, perturbation = settings_int[2], settings_int[3], settings_int[4]
    penalty_increase, penalty_decrease, penalty_floor = settings_float[0], settings_float[1], settings_float[2]
    agents = cost.shape[0]
    move = np.zeros(3, np.int64)
    first_iteration = counters[ITERATION]
    while True:
        iteration = counters[ITERATION]
        if values[BEST_COST] <= target:
            return STOPPED_AT_TARGET
        if iteration >= iteration_stop:
            return STOPPED_BY_ITERATIONS
        if iteration - counters[LAST_IMPROVEMENT] >= stall_iterations:
            return STOPPED_BY_STALL
        clock = now_jit()
        if clock >= deadline:
            return STOPPED_BY_TIME
        if clock >= report_at and iteration > first_iteration:  # at least one move per call
            return STOPPED_FOR_REPORT

        if iteration - counters[SEGMENT_IMPROVEMENT] >= restart_iterations:
            if values[SEGMENT_BEST_COST] < np.inf:
                offer_elite(elite, elite_cost, segment_best, values[SEGMENT_BEST_COST])
            _restart(cost, resource, capacity, candidate, penalty, loads, assignment, best_assignment, elite,
                     elite_cost, perturbation, rng)
            values[CURRENT_COST] = total_cost(cost, assignment)
            counters[OVERLOADED] = count_overloaded(loads, capacity)
            counters[SEGMENT_IMPROVEMENT] = iteration
            counters[RESTARTS] += 1
            values[SEGMENT_BEST_COST] = np.inf

        best_move(cost, resource, capacity, candidate, penalty, loads, assignment, tabu_until, iteration,
                  counters[OVERLOADED], values[CURRENT_COST], values[BEST_COST], rng, move)
        if move[0] == NO_MOVE:
            # Everything is tabu (tiny instances): forget the tabu list.
            tabu_until[:, :] = 0
            counters[ITERATION] = iteration + 1
            continue
        tenure = tenure_min + random_below(rng, tenure_max - tenure_min + 1)
        if move[0] == SHIFT:
            job, to_agent = move[1], move[2]
            from_agent = assignment[job]
            values[CURRENT_COST] += cost[to_agent, job] - cost[from_agent, job]
            counters[OVERLOADED] -= _over_pair(loads, capacity, from_agent, to_agent)
            apply_shift(resource, loads, assignment, job, to_agent)
            counters[OVERLOADED] += _over_pair(loads, capacity, from_agent, to_agent)
            tabu_until[from_agent, job] = iteration + tenure
        else:
            job_a, job_b = move[1], move[2]
            agent_a, agent_b = assignment[job_a], assignment[job_b]
            values[CURRENT_COST] += (cost[agent_b, job_a] + cost[agent_a, job_b]
                                     - cost[agent_a, job_a] - cost[agent_b, job_b])
            counters[OVERLOADED] -= _over_pair(loads, capacity, agent_a, agent_b)
            apply_swap(resource, loads, assignment, job_a, job_b)
            counters[OVERLOADED] += _over_pair(loads, capacity, agent_a, agent_b)
            tabu_until[agent_a, job_a] = iteration + tenure
            tabu_until[agent_b, job_b] = iteration + tenure
        iteration += 1
        counters[ITERATION] = iteration

        if counters[OVERLOADED] == 0:
            # Re-add from scratch when recording, so rounding never drifts into the answer.
            if values[CURRENT_COST] < values[SEGMENT_BEST_COST] - TIE_TOLERANCE:
                values[CURRENT_COST] = total_cost(cost, assignment)
                values[SEGMENT_BEST_COST] = values[CURRENT_COST]
                segment_best[:] = assignment
                counters[SEGMENT_IMPROVEMENT] = iteration
            if values[CURRENT_COST] < values[BEST_COST] - TIE_TOLERANCE:
                values[BEST_COST] = values[CURRENT_COST]
                best_assignment[:] = assignment
                counters[LAST_IMPROVEMENT] = iteration
                record_trace(trace, counters, now_jit() - started, values[BEST_COST])
                slack = 1e-7 * (1.0 + abs(lower_bound))  # reduced costs carry the LP's rounding
                tighten_candidates(allowed, reduced_cost, values[BEST_COST] - improvement_step - lower_bound + slack,
                                   candidate)
            # Feasible: relax every weight so that the walk dares to cross the boundary again.
            for i in range(agents):
                penalty[i] = max(penalty_floor, penalty[i] * (1.0 - penalty_decrease))
        else:
            for i in range(agents):
                if _is_over(loads[i], capacity[i]):
                    penalty[i] *= 1.0 + penalty_increase


def warm_up():
    """Compile every kernel on a tiny instance (benchmarks/bench_compile.py)."""
    agents, jobs = 2, 3
    cost = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    resource = np.ones((agents, jobs))
    capacity = np.full(agents, 2.0)
    allowed = np.ones((agents, jobs), np.bool_)
    reduced_cost = np.zeros((agents, jobs))
    candidate = allowed.copy()
    assignment = np.zeros(jobs, np.int64)
    loads = np.zeros(agents)
    compute_loads(resource, assignment, loads)
    rng = np.array([88172645463325252], np.uint64)
    counters = np.zeros(COUNTER_SLOTS, np.int64)
    counters[OVERLOADED] = count_overloaded(loads, capacity)
    values = np.array([total_cost(cost, assignment), np.inf, np.inf])
    elite = np.zeros((2, jobs), np.int64)
    elite_cost = np.full(2, np.inf)
    tighten_candidates(allowed, reduced_cost, 0.0, candidate)
    best_move(cost, resource, capacity, candidate, np.ones(agents), loads, assignment,
              np.zeros((agents, jobs), np.int64), 0, 1, values[0], np.inf, rng, np.zeros(3, np.int64))
    relink_toward(cost, resource, capacity, candidate, np.ones(agents), loads, assignment.copy(),
                  np.ones(jobs, np.int64), 1)
    offer_elite(elite, elite_cost, assignment, 1.0)
    tabu_search(cost, resource, capacity, allowed, reduced_cost, 0.0, 1.0, candidate, assignment, loads,
                np.ones(agents), np.zeros((agents, jobs), np.int64), assignment.copy(), assignment.copy(), elite,
                elite_cost, counters, values, rng, np.zeros((4, 2)), np.array([1, 2, 5, 50, 1], np.int64),
                np.array([0.1, 0.05, 1e-3]), now(), np.inf, np.inf, 20, -np.inf)
