"""Plain-Python twins of the deterministic kernels in ``_best_kernels`` (tests compare them).

Move values are recomputed from scratch with the shared twins of :mod:`._reference`, so an
agreement also checks the kernels' incremental bookkeeping.
"""

from __future__ import annotations

import math

from ._reference import loads_reference, shift_delta_reference, swap_delta_reference

_MASK = (1 << 64) - 1
_TIE = 1e-9
_CAPACITY_TOLERANCE = 1e-9


class XorShiftReference:
    """xorshift64* with a Python-int state (``random_next`` / ``random_below``)."""

    def __init__(self, state: int):
        self.state = state & _MASK

    def next(self) -> int:
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & _MASK
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & _MASK

    def below(self, count: int) -> int:
        return (self.next() >> 11) % count


def tighten_candidates_reference(allowed, reduced_cost, threshold):
    """allowed & (reduced_cost <= threshold), as nested lists."""
    return [[bool(allowed[i][j]) and reduced_cost[i][j] <= threshold for j in range(len(allowed[0]))]
            for i in range(len(allowed))]


def _feasible(resource, capacity, assignment) -> bool:
    loads = loads_reference(resource, assignment, len(capacity))
    return all(load - cap <= _CAPACITY_TOLERANCE for load, cap in zip(loads, capacity))


def _cost(cost, assignment) -> float:
    return sum(cost[agent][job] for job, agent in enumerate(assignment))


def best_move_reference(cost, resource, capacity, candidate, penalty, assignment, tabu_until, iteration,
                        best_cost, rng: XorShiftReference):
    """The move ``best_move`` picks: ``(kind, a, b, delta)`` with kind 0 none, 1 shift, 2 swap.

    Scans shifts (job-major, agents ascending) then swaps (pairs ``a < b``); a tabu move is
    admissible only if it gives a feasible assignment cheaper than ``best_cost``; among
    equally good moves (within 1e-9) the k-th one seen replaces the choice with chance 1/k.
    """
    agents, jobs = len(cost), len(assignment)
    chosen, ties, move = math.inf, 0, (0, 0, 0)

    def consider(delta, tabu, moved, kind, a, b):
        nonlocal chosen, ties, move
        if delta > chosen + _TIE:
            return
        if tabu and not (_cost(cost, moved) < best_cost - _TIE and _feasible(resource, capacity, moved)):
            return
        if delta < chosen - _TIE:
            chosen, ties = delta, 1
        else:
            ties += 1
            if rng.below(ties) != 0:
                return
        move = (kind, a, b)

    for job in range(jobs):
        for to_agent in range(agents):
            if to_agent == assignment[job] or not candidate[to_agent][job]:
                continue
            moved = list(assignment)
            moved[job] = to_agent
            delta = shift_delta_reference(cost, resource, capacity, penalty, assignment, job, to_agent)
            consider(delta, tabu_until[to_agent][job] > iteration, moved, 1, job, to_agent)
    for job_a in range(jobs):
        for job_b in range(job_a + 1, jobs):
            agent_a, agent_b = assignment[job_a], assignment[job_b]
            if agent_a == agent_b or not candidate[agent_b][job_a] or not candidate[agent_a][job_b]:
                continue
            moved = list(assignment)
            moved[job_a], moved[job_b] = agent_b, agent_a
            delta = swap_delta_reference(cost, resource, capacity, penalty, assignment, job_a, job_b)
            tabu = tabu_until[agent_b][job_a] > iteration or tabu_until[agent_a][job_b] > iteration
            consider(delta, tabu, moved, 2, job_a, job_b)
    return (*move, chosen)


def relink_toward_reference(cost, resource, capacity, candidate, penalty, assignment, guide, steps):
    """The assignment ``relink_toward`` reaches, and the number of steps it took."""
    current = list(assignment)
    taken = 0
    while taken < steps:
        options = [(shift_delta_reference(cost, resource, capacity, penalty, current, job, guide[job]), job)
                   for job in range(len(current)) if guide[job] != current[job] and candidate[guide[job]][job]]
        if not options:
            break
        best_delta = min(delta for delta, _ in options)
        job = next(job for delta, job in options if delta < best_delta + _TIE)  # first within the tie band
        current[job] = guide[job]
        taken += 1
    return current, taken
