"""Plain-Python twins of the deterministic kernels in ``_best_kernels`` (tests compare them).

Move values are recomputed from scratch with the shared twins of :mod:`._reference`, so an
agreement also checks the kernels' incremental bookkeeping. The twins take plain lists and
repeat the kernels' enumeration order (which decides how ties consume random numbers).
"""

from __future__ import annotations

import math

from ..heuristics import RandomStream
from ._reference import loads_reference, penalized_value_reference

_TIE = 1e-9
_CAPACITY_TOLERANCE = 1e-9


class XorShiftReference(RandomStream):
    """The kernels' generator state as a twin stream (``below(n)`` is ``random_below(rng, n)``)."""

    def __init__(self, state: int):
        super().__init__(state=state)

    def below(self, count: int) -> int:
        return self.random_below(count)


def candidates_reference(allowed, reduced_cost, cost, threshold, max_candidates):
    """Each job's candidate agents: its allowed agents ranked by reduced cost (ties by cost, then
    index), cut at the first one above ``threshold`` and at ``max_candidates``."""
    agents, jobs = len(allowed), len(allowed[0])
    lists = []
    for j in range(jobs):
        ranked = sorted((reduced_cost[i][j], cost[i][j], i) for i in range(agents) if allowed[i][j])
        prefix = []
        for rc, _, i in ranked:
            if len(prefix) >= max_candidates or rc > threshold:
                break
            prefix.append(i)
        lists.append(prefix)
    return lists


def _feasible(resource, capacity, assignment) -> bool:
    loads = loads_reference(resource, assignment, len(capacity))
    return all(load - cap <= _CAPACITY_TOLERANCE for load, cap in zip(loads, capacity))


def _cost(cost, assignment) -> float:
    return sum(cost[agent][job] for job, agent in enumerate(assignment))


def _delta(cost, resource, capacity, penalty, assignment, moved) -> float:
    return (penalized_value_reference(cost, resource, capacity, penalty, moved)
            - penalized_value_reference(cost, resource, capacity, penalty, assignment))


def best_move_reference(cost, resource, capacity, penalty, assignment, members, agent_lists, tabu_until, iteration,
                        best_cost, rng: XorShiftReference, ejection: bool, source=None):
    """The move ``best_move`` picks: ``(kind, a, b, c, d, delta)``.

    kind 0 none, 1 shift ``(job, agent)``, 2 swap ``(job_a, job_b)``, 3 ejection
    ``(job_1, agent_B, job_2, agent_C)``. ``members[i]`` is agent i's member list in the
    kernel's order; ``agent_lists[j]`` job j's candidate agents. A tabu shift or swap is
    admissible only if it gives a feasible assignment cheaper than ``best_cost``; ejections
    need both shifts non-tabu; among equally good moves (within 1e-9) the k-th one seen replaces
    the choice with chance 1/k. Only moves whose first job sits on a ``source`` agent count
    (default: every agent).
    """
    agents, jobs = len(cost), len(assignment)
    source = [True] * agents if source is None else list(source)
    candidate = [[False] * jobs for _ in range(agents)]
    for j, agent_list in enumerate(agent_lists):
        for i in agent_list:
            candidate[i][j] = True
    chosen, ties, move = math.inf, 0, (0, -1, -1, -1, -1)

    def consider(delta, admissible, new_move):
        nonlocal chosen, ties, move
        if delta > chosen + _TIE or not admissible():
            return
        if delta < chosen - _TIE:
            chosen, ties = delta, 1
        else:
            ties += 1
            if rng.below(ties) != 0:
                return
        move = new_move

    def aspires(moved):
        return _cost(cost, moved) < best_cost - _TIE and _feasible(resource, capacity, moved)

    for job in range(jobs):
        if not source[assignment[job]]:
            continue
        for to_agent in agent_lists[job]:
            if to_agent == assignment[job]:
                continue
            moved = list(assignment)
            moved[job] = to_agent
            consider(_delta(cost, resource, capacity, penalty, assignment, moved),
                     lambda: tabu_until[to_agent][job] <= iteration or aspires(moved), (1, job, to_agent, -1, -1))
    for job_a in range(jobs):
        agent_a = assignment[job_a]
        if not source[agent_a]:
            continue
        for agent_b in agent_lists[job_a]:
            if agent_b == agent_a:
                continue
            for job_b in members[agent_b]:
                if (source[agent_b] and job_b <= job_a) or not candidate[agent_a][job_b]:
                    continue
                moved = list(assignment)
                moved[job_a], moved[job_b] = agent_b, agent_a
                tabu = tabu_until[agent_b][job_a] > iteration or tabu_until[agent_a][job_b] > iteration
                consider(_delta(cost, resource, capacity, penalty, assignment, moved),
                         lambda: not tabu or aspires(moved), (2, job_a, job_b, -1, -1))
    if not ejection:
        return (*move, chosen)
    loads = loads_reference(resource, assignment, agents)

    def over(load, cap):
        return load - cap > _CAPACITY_TOLERANCE

    outward = []  # per job: [(value, agent), ...] best two non-tabu destinations
    for j in range(jobs):
        options = []
        for agent in agent_lists[j]:
            if agent == assignment[j] or tabu_until[agent][j] > iteration:
                continue
            before = max(loads[agent] - capacity[agent], 0.0) if over(loads[agent], capacity[agent]) else 0.0
            after_load = loads[agent] + resource[agent][j]
            after = max(after_load - capacity[agent], 0.0) if over(after_load, capacity[agent]) else 0.0
            options.append((cost[agent][j] + penalty[agent] * (after - before), agent))
        best = []
        for value, agent in options:  # stable: earlier agents win ties, as in the kernel
            if not best or value < best[0][0]:
                best = [(value, agent)] + best[:1]
            elif len(best) < 2 or value < best[1][0]:
                best = [best[0], (value, agent)]
        outward.append(best)
    for job_1 in range(jobs):
        agent_a = assignment[job_1]
        if not source[agent_a]:
            continue
        for agent_b in agent_lists[job_1]:
            if agent_b == agent_a or tabu_until[agent_b][job_1] > iteration:
                continue
            if not over(loads[agent_b] + resource[agent_b][job_1], capacity[agent_b]):
                continue
            for job_2 in members[agent_b]:
                best = outward[job_2]
                if best and best[0][1] == agent_a:
                    best = best[1:]
                if not best:
                    continue
                agent_c = best[0][1]
                moved = list(assignment)
                moved[job_1], moved[job_2] = agent_b, agent_c
                consider(_delta(cost, resource, capacity, penalty, assignment, moved), lambda: True,
                         (3, job_1, agent_b, job_2, agent_c))
    return (*move, chosen)


def relink_toward_reference(cost, resource, capacity, candidate, penalty, assignment, guide, steps):
    """The assignment ``relink_toward`` reaches, and the number of steps it took."""
    current = list(assignment)
    taken = 0
    while taken < steps:
        options = []
        for job in range(len(current)):
            if guide[job] != current[job] and candidate[guide[job]][job]:
                moved = list(current)
                moved[job] = guide[job]
                options.append((_delta(cost, resource, capacity, penalty, current, moved), job))
        if not options:
            break
        best_delta = min(delta for delta, _ in options)
        job = next(job for delta, job in options if delta < best_delta + _TIE)  # first within the tie band
        current[job] = guide[job]
        taken += 1
    return current, taken


def knapsack_reference(profit, weight, capacity):
    """Each agent's best knapsack profit by enumerating every subset of its profitable jobs (tiny)."""
    import itertools

    values = []
    for i in range(len(profit)):
        items = [j for j in range(len(profit[i])) if profit[i][j] > 0 and weight[i][j] <= capacity[i]]
        best_value = 0.0
        for size in range(1, len(items) + 1):
            for subset in itertools.combinations(items, size):
                if sum(weight[i][j] for j in subset) <= capacity[i]:
                    best_value = max(best_value, sum(profit[i][j] for j in subset))
        values.append(best_value)
    return values
