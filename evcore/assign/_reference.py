"""Plain-Python twins of the shared evaluation kernels in ``_kernels`` (tests compare them)."""

from __future__ import annotations


def total_cost_reference(cost, assignment) -> float:
    return float(sum(cost[agent][job] for job, agent in enumerate(assignment)))


def loads_reference(resource, assignment, agents: int) -> list[float]:
    loads = [0.0] * agents
    for job, agent in enumerate(assignment):
        loads[agent] += resource[agent][job]
    return loads


def is_feasible_reference(resource, capacity, allowed, assignment) -> bool:
    if not all(allowed[agent][job] for job, agent in enumerate(assignment)):
        return False
    loads = loads_reference(resource, assignment, len(capacity))
    return all(load <= cap + 1e-9 for load, cap in zip(loads, capacity))


def penalized_value_reference(cost, resource, capacity, penalty, assignment) -> float:
    """Total cost plus penalty[i] * overload of agent i, from scratch."""
    loads = loads_reference(resource, assignment, len(capacity))
    overload = [max(0.0, load - cap) if load - cap > 1e-9 else 0.0 for load, cap in zip(loads, capacity)]
    return total_cost_reference(cost, assignment) + sum(p * o for p, o in zip(penalty, overload))


def shift_delta_reference(cost, resource, capacity, penalty, assignment, job, to_agent) -> float:
    """Penalised value after moving ``job`` to ``to_agent`` minus before, both from scratch."""
    moved = list(assignment)
    moved[job] = to_agent
    return (penalized_value_reference(cost, resource, capacity, penalty, moved)
            - penalized_value_reference(cost, resource, capacity, penalty, assignment))


def swap_delta_reference(cost, resource, capacity, penalty, assignment, job_a, job_b) -> float:
    """Penalised value after exchanging the agents of two jobs minus before, from scratch."""
    swapped = list(assignment)
    swapped[job_a], swapped[job_b] = assignment[job_b], assignment[job_a]
    return (penalized_value_reference(cost, resource, capacity, penalty, swapped)
            - penalized_value_reference(cost, resource, capacity, penalty, assignment))
