"""Numba kernels shared by every GAP solver in evcore.assign: one evaluation, one feasibility.

Array contract (validated once in :class:`~evcore.assign.model.GAPInstance`):
``cost`` float64 (agents, jobs) with forbidden pairs set to a finite penalty
(``GAPInstance.kernel_cost()``), ``resource`` float64 (agents, jobs), ``capacity`` float64
(agents,), ``allowed`` bool (agents, jobs), ``assignment`` int64 (jobs,) holding agents.
Twins: :mod:`evcore.assign._reference`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Slack allowed when comparing loads to capacities (resource data are integers in practice).
CAPACITY_TOLERANCE = 1e-9


@njit(cache=True)
def total_cost(cost, assignment):
    """Sum of cost[assignment[j], j] over jobs."""
    total = 0.0
    for j in range(assignment.shape[0]):
        total += cost[assignment[j], j]
    return total


@njit(cache=True)
def compute_loads(resource, assignment, loads):
    """loads[i] = resource used at agent i (loads is overwritten, shape (agents,))."""
    loads[:] = 0.0
    for j in range(assignment.shape[0]):
        loads[assignment[j]] += resource[assignment[j], j]


@njit(cache=True)
def total_overload(loads, capacity):
    """Sum over agents of max(0, load - capacity)."""
    excess = 0.0
    for i in range(loads.shape[0]):
        over = loads[i] - capacity[i]
        if over > CAPACITY_TOLERANCE:
            excess += over
    return excess


@njit(cache=True)
def is_feasible(resource, capacity, allowed, assignment, loads):
    """True when every pair is allowed and no agent is over capacity (loads is scratch)."""
    for j in range(assignment.shape[0]):
        if not allowed[assignment[j], j]:
            return False
    compute_loads(resource, assignment, loads)
    return total_overload(loads, capacity) == 0.0


def warm_up():
    """Compile every kernel on a tiny instance (benchmarks/bench_compile.py)."""
    cost = np.ones((2, 3))
    assignment = np.zeros(3, np.int64)
    loads = np.zeros(2)
    capacity = np.full(2, 3.0)
    penalty = np.ones(2)
    total_cost(cost, assignment)
    is_feasible(cost, capacity, np.ones((2, 3), np.bool_), assignment, loads)
    penalized_value(cost, cost, capacity, penalty, assignment, loads)
    shift_delta(cost, cost, capacity, penalty, loads, assignment, 0, 1)
    swap_delta(cost, cost, capacity, penalty, loads, assignment, 0, 1)
    apply_shift(cost, loads, assignment, 0, 1)
    apply_swap(cost, loads, assignment, 0, 1)


# --- incremental (delta) evaluation of moves ------------------------------------------------
# Heuristics search over assignments that may overload agents, scored by the penalised value
#     sum_j cost[a_j, j] + sum_i penalty[i] * max(0, load_i - capacity_i).
# A move touches one or two jobs and two agents, so its delta costs O(1).


@njit(cache=True, inline="always")
def _overload(load, capacity):
    over = load - capacity
    return over if over > CAPACITY_TOLERANCE else 0.0


@njit(cache=True)
def penalized_value(cost, resource, capacity, penalty, assignment, loads):
    """Penalised value of ``assignment``; ``loads`` is recomputed (shape (agents,))."""
    compute_loads(resource, assignment, loads)
    value = total_cost(cost, assignment)
    for i in range(loads.shape[0]):
        value += penalty[i] * _overload(loads[i], capacity[i])
    return value


@njit(cache=True)
def shift_delta(cost, resource, capacity, penalty, loads, assignment, job, to_agent):
    """Change of the penalised value when ``job`` moves to ``to_agent`` (loads unchanged)."""
    from_agent = assignment[job]
    if from_agent == to_agent:
        return 0.0
    after_from = loads[from_agent] - resource[from_agent, job]
    after_to = loads[to_agent] + resource[to_agent, job]
    return (cost[to_agent, job] - cost[from_agent, job]
            + penalty[from_agent] * (_overload(after_from, capacity[from_agent])
                                     - _overload(loads[from_agent], capacity[from_agent]))
            + penalty[to_agent] * (_overload(after_to, capacity[to_agent])
                                   - _overload(loads[to_agent], capacity[to_agent])))


@njit(cache=True)
def swap_delta(cost, resource, capacity, penalty, loads, assignment, job_a, job_b):
    """Change of the penalised value when ``job_a`` and ``job_b`` exchange agents."""
    agent_a = assignment[job_a]
    agent_b = assignment[job_b]
    if agent_a == agent_b:
        return 0.0
    after_a = loads[agent_a] - resource[agent_a, job_a] + resource[agent_a, job_b]
    after_b = loads[agent_b] - resource[agent_b, job_b] + resource[agent_b, job_a]
    return (cost[agent_b, job_a] + cost[agent_a, job_b] - cost[agent_a, job_a] - cost[agent_b, job_b]
            + penalty[agent_a] * (_overload(after_a, capacity[agent_a]) - _overload(loads[agent_a], capacity[agent_a]))
            + penalty[agent_b] * (_overload(after_b, capacity[agent_b]) - _overload(loads[agent_b], capacity[agent_b])))


@njit(cache=True)
def apply_shift(resource, loads, assignment, job, to_agent):
    """Move ``job`` to ``to_agent``, updating ``loads`` in place."""
    from_agent = assignment[job]
    loads[from_agent] -= resource[from_agent, job]
    loads[to_agent] += resource[to_agent, job]
    assignment[job] = to_agent


@njit(cache=True)
def apply_swap(resource, loads, assignment, job_a, job_b):
    """Exchange the agents of ``job_a`` and ``job_b``, updating ``loads`` in place."""
    agent_a = assignment[job_a]
    agent_b = assignment[job_b]
    loads[agent_a] += resource[agent_a, job_b] - resource[agent_a, job_a]
    loads[agent_b] += resource[agent_b, job_a] - resource[agent_b, job_b]
    assignment[job_a] = agent_b
    assignment[job_b] = agent_a
