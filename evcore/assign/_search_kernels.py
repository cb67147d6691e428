"""Numba building blocks of the GAP metaheuristics: GRASP, capacity repair, the Swap local search,
swap mutation and the bookkeeping of the best assignment (the searches themselves, HASP of
seed 003 and its rivals tabu, bees and DE-SK, are in :mod:`evcore.assign._method_kernels`).

Kernel inputs are named tuples (no positional bundles):

- ``arrays``, a :class:`GAPArrays` built once per instance by
  :func:`evcore.assign.search.kernel_arrays`: ``cost`` (``GAPInstance.kernel_cost()``,
  agents x jobs), ``resource``, ``capacity``, ``allowed``, the CSR lists of each job's allowed
  agents by increasing cost (``options[option_start[j]:option_start[j + 1]]``), the placement
  order ``job_order``, two penalty scales and the repair budget;
- ``settings``, the method's own named tuple (:class:`HASPSettings` ...);
- ``state``, the method's arrays (:class:`HASPState` ...), preallocated by the caller and
  updated in place, so a run paused for a progress report resumes exactly where it stopped;
- ``control``, the shared :class:`evcore.heuristics.SearchControl` (random stream, trace,
  step/stall counters, limits).

Assignments are int64 (jobs,); ``loads`` float64 (agents,) always matches the assignment it
travels with. Searches score assignments by the penalised value of :mod:`evcore.assign._kernels`
(cost plus ``penalty[i]`` per unit of overload at agent ``i``) and move with its delta and apply
kernels; an assignment becomes the reported best only after ``is_feasible`` accepts it.

Plain-Python twins of every kernel here live in :mod:`evcore.assign._reference`; tests check
that both follow the same trajectory.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ..heuristics import random_below, record_best
from ..heuristics._search import BEST
from ._kernels import (
    CAPACITY_TOLERANCE,
    apply_shift,
    apply_swap,
    is_feasible,
    penalized_value,
    shift_delta,
    swap_delta,
    total_cost,
    total_overload,
)

#: A move must lower the penalised value by more than this to count as an improvement.
IMPROVEMENT_TOLERANCE = 1e-9


class GAPArrays(NamedTuple):
    """An instance as the kernels see it (see the module docstring)."""

    cost: np.ndarray
    resource: np.ndarray
    capacity: np.ndarray
    allowed: np.ndarray
    option_start: np.ndarray
    options: np.ndarray
    job_order: np.ndarray  # jobs with the largest relative resource use first (placed first)
    big_penalty: float  # per unit of overload: more than any cost difference can buy back
    typical_penalty: float  # per unit of overload: about what a unit of capacity is worth
    repair_moves: int  # moves the capacity repair may make


# --- bookkeeping -----------------------------------------------------------------------------


@njit(cache=True)
def keep_if_best(arrays, control, assignment, loads, best):
    """Copy ``assignment`` to ``best`` if it is feasible and cheaper than the best so far.

    ``loads`` is recomputed. Returns whether it improved (and then records it in the trace).
    """
    if not is_feasible(arrays.resource, arrays.capacity, arrays.allowed, assignment, loads):
        return False
    objective = total_cost(arrays.cost, assignment)
    if not objective < control.values[BEST]:
        return False
    best[:] = assignment
    record_best(control, objective)
    return True


@njit(cache=True)
def random_allowed_agent(arrays, rng, job):
    """A uniform agent among those allowed for ``job``."""
    start = arrays.option_start[job]
    return arrays.options[start + random_below(rng, arrays.option_start[job + 1] - start)]


# --- construction, repair, local search -----------------------------------------------------


@njit(cache=True)
def grasp_construct(arrays, rng, alpha, assignment, loads):
    """GRASP construction with a cost-based restricted candidate list (RCL).

    Jobs are placed in ``arrays.job_order``. For each, the candidates are its allowed agents
    with room left; the RCL holds those with ``cost <= c_min + alpha * (c_max - c_min)`` and one
    is drawn uniformly (``alpha = 0``: greedy, ``alpha = 1``: random among agents with room). A
    job no agent has room for goes where it overloads least (capacity repair fixes it later).
    ``assignment`` and ``loads`` are overwritten.
    """
    cost, resource, capacity = arrays.cost, arrays.resource, arrays.capacity
    option_start, options = arrays.option_start, arrays.options
    loads[:] = 0.0
    for job in arrays.job_order:
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
            pick = random_below(rng, size)
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
def best_move_from(arrays, penalty, assignment, loads, agent):
    """Best shift or swap that takes a job off ``agent``, by penalised delta.

    Returns ``(delta, job, to_agent, partner)``: a shift when ``partner < 0``, else a swap of
    ``job`` with ``partner``. ``job < 0`` when ``agent`` holds no movable job.
    """
    cost, resource, capacity, allowed = arrays.cost, arrays.resource, arrays.capacity, arrays.allowed
    option_start, options = arrays.option_start, arrays.options
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
def repair_capacity(arrays, penalty, assignment, loads):
    """Move jobs off overloaded agents at least cost until every capacity holds.

    Repeatedly takes the most overloaded agent and moves one of its jobs to an agent with room
    for it, choosing the cheapest such shift. When no job fits anywhere, it makes the shift or
    swap with the best penalised delta (``penalty`` should be large, so this is the move that
    removes the most overload), and gives up when even that does not help. At most
    ``arrays.repair_moves`` moves. ``assignment`` and ``loads`` are updated in place.

    Returns
    -------
    bool
        True when no agent is overloaded at the end.
    """
    cost, resource, capacity = arrays.cost, arrays.resource, arrays.capacity
    option_start, options = arrays.option_start, arrays.options
    agents = capacity.shape[0]
    for _ in range(arrays.repair_moves):
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
        delta, job, to_agent, partner = best_move_from(arrays, penalty, assignment, loads, worst)
        if job < 0 or not delta < -IMPROVEMENT_TOLERANCE:
            return False
        if partner < 0:
            apply_shift(resource, loads, assignment, job, to_agent)
        else:
            apply_swap(resource, loads, assignment, job, partner)
    return total_overload(loads, capacity) == 0.0


@njit(cache=True)
def swap_local_search(arrays, penalty, assignment, loads):
    """The Swap local search: shift and swap moves until none improves the penalised value.

    Each pass tries, for every job, its best shift to another allowed agent, then every pair of
    jobs on different agents for an exchange (first improvement). Stops after a pass without
    improvement. Returns the number of moves applied.
    """
    cost, resource, capacity, allowed = arrays.cost, arrays.resource, arrays.capacity, arrays.allowed
    option_start, options = arrays.option_start, arrays.options
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
def swap_mutation(arrays, rng, assignment, loads, swaps):
    """Exchange the agents of ``swaps`` random pairs of jobs (pairs on different agents whose
    exchange keeps both pairs allowed; up to 20 draws per swap). Returns the swaps made."""
    resource, allowed = arrays.resource, arrays.allowed
    jobs = assignment.shape[0]
    made = 0
    for _ in range(swaps):
        for _ in range(20):
            job = random_below(rng, jobs)
            partner = random_below(rng, jobs)
            agent = assignment[job]
            other = assignment[partner]
            if agent != other and allowed[other, job] and allowed[agent, partner]:
                apply_swap(resource, loads, assignment, job, partner)
                made += 1
                break
    return made


@njit(cache=True)
def improve(arrays, penalty, assignment, loads):
    """Capacity repair then the Swap local search; returns the penalised value."""
    repair_capacity(arrays, penalty, assignment, loads)
    swap_local_search(arrays, penalty, assignment, loads)
    return penalized_value(arrays.cost, arrays.resource, arrays.capacity, penalty, assignment, loads)


def tiny_arrays() -> GAPArrays:
    """A 2-agent, 4-job problem (for warm-up and smoke tests)."""
    cost = np.array([[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0]])
    order = np.argsort(cost, axis=0, kind="stable")
    return GAPArrays(cost, np.ones((2, 4)), np.array([2.0, 2.0]), np.ones((2, 4), np.bool_),
                     np.arange(0, 9, 2, dtype=np.int64), np.ascontiguousarray(order.T.ravel()).astype(np.int64),
                     np.arange(4, dtype=np.int64), 10.0, 1.0, 26)


def warm_up():
    """Compile every kernel of this module on a tiny instance (benchmarks/bench_compile.py)."""
    from ..heuristics import rng_state, search_control

    arrays = tiny_arrays()
    rng = rng_state(0)
    assignment, loads = np.zeros(4, np.int64), np.zeros(2)
    penalty = np.full(2, 10.0)
    grasp_construct(arrays, rng, 0.3, assignment, loads)
    improve(arrays, penalty, assignment, loads)
    swap_mutation(arrays, rng, assignment, loads, 1)
    keep_if_best(arrays, search_control(0), assignment, loads, np.zeros(4, np.int64))
    random_allowed_agent(arrays, rng, 0)
