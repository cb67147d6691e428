"""Numba kernels of the ``"best"`` GAP method: adaptive-penalty tabu search with ejection
chains and path relinking.

The search walks over assignments that may overload agents, scored by the penalised value
(cost plus ``penalty[i]`` times agent ``i``'s overload) whose per-agent weights adapt: they
grow while an agent is overloaded and decay while the assignment is feasible, so the walk
keeps crossing the feasibility boundary, where good GAP solutions lie (Yagiura, Ibaraki and
Glover 2004, 2006). Each step takes the best non-tabu move of three neighbourhoods:

- **shift**: one job to another agent;
- **swap**: two jobs on different agents exchange agents;
- **ejection** (a chain of two shifts): job ``j1`` moves to agent ``B`` that it would
  overload, and ``B`` ejects one of its jobs ``j2`` to a third agent ``C``. The best ``C``
  of every job is prepared once per step, so the neighbourhood costs no more than the swaps.

Feasible assignments found on the way feed an elite pool; a run that stops improving restarts
from a point on the path between two elite assignments (path relinking).

Moves use *candidate* pairs only: for each job, the agents of smallest LP reduced cost (at
most ``max_candidates``, and only those whose reduced cost still allows an assignment better
than the best one found; the second restriction is exact, the first a heuristic focus). Every
neighbourhood is enumerated through per-job candidate lists and per-agent member lists, so a
step costs about ``jobs * candidates * jobs / agents`` evaluations, not ``jobs ** 2``.

Inputs are named tuples (:class:`Problem`, :class:`Candidates`, :class:`State`,
:class:`Settings`, :class:`Limits`): the arrays in them are the whole state of a run, so a call
that returns to report progress continues exactly where it stopped. Plain-Python twins:
:mod:`evcore.assign._best_reference`.

(Past 600 lines on purpose: the three neighbourhoods, the penalty update and path relinking all read and
update the same per-step candidate and member lists; kept in one file, the search reads as the one
algorithm it is, in the order of a step.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ..heuristics import random_below
from ..heuristics.clock import now, now_jit
from ._kernels import CAPACITY_TOLERANCE, compute_loads, total_cost

#: Two move values closer than this are ties.
TIE_TOLERANCE = 1e-9

# Move kinds written to ``move[0]`` by :func:`best_move`.
NO_MOVE, SHIFT, SWAP, EJECTION = 0, 1, 2, 3
MOVE_SLOTS = 5  # (kind, job, agent | job_b, job_2, agent_2)

# Why :func:`tabu_search` returned.
STOPPED_BY_TIME, STOPPED_BY_ITERATIONS, STOPPED_AT_TARGET, STOPPED_BY_STALL, STOPPED_FOR_REPORT = 0, 1, 2, 3, 4
STOPPED_AT_GAP = 5

# Slots of the int64 ``counters`` array.
ITERATION, LAST_IMPROVEMENT, SEGMENT_IMPROVEMENT, OVERLOADED, TRACE_LENGTH, RESTARTS = range(6)
COUNTER_SLOTS = 6
# Slots of the float64 ``values`` array.
CURRENT_COST, BEST_COST, SEGMENT_BEST_COST = range(3)
VALUE_SLOTS = 3
# Columns of the trace.
TRACE_ITERATION, TRACE_SECONDS, TRACE_OBJECTIVE = range(3)
TRACE_COLUMNS = 3


class Problem(NamedTuple):
    """The instance as the kernels see it (fixed for a run).

    Attributes
    ----------
    cost, resource : numpy.ndarray, shape (agents, jobs)
        ``cost`` from ``GAPInstance.kernel_cost()`` (forbidden pairs finite, never used).
    capacity : numpy.ndarray, shape (agents,)
    allowed : numpy.ndarray of bool, shape (agents, jobs)
    reduced_cost : numpy.ndarray, shape (agents, jobs)
        Non-negative LP reduced costs against ``lower_bound`` (zeros: no information).
    preference : numpy.ndarray of int64, shape (jobs, agents)
        Allowed agents of each job by increasing reduced cost, then cost, then agent index;
        padded with -1.
    preference_count : numpy.ndarray of int64, shape (jobs,)
        Allowed agents of each job.
    """

    cost: np.ndarray
    resource: np.ndarray
    capacity: np.ndarray
    allowed: np.ndarray
    reduced_cost: np.ndarray
    preference: np.ndarray
    preference_count: np.ndarray


class Candidates(NamedTuple):
    """Pairs the moves may use (shrinks as the best cost falls).

    Attributes
    ----------
    candidate : numpy.ndarray of bool, shape (agents, jobs)
    agent_list : numpy.ndarray of int64, shape (jobs, agents)
        Candidate agents of each job, a prefix of ``Problem.preference``.
    agent_count : numpy.ndarray of int64, shape (jobs,)
    """

    candidate: np.ndarray
    agent_list: np.ndarray
    agent_count: np.ndarray


class State(NamedTuple):
    """Everything a run carries between steps and between kernel calls.

    Attributes
    ----------
    assignment : int64 (jobs,)
        Current assignment (may overload agents).
    loads, penalty : float64 (agents,)
        Loads of ``assignment``; adaptive penalty weights per unit of overload.
    members : int64 (agents, jobs); member_count : int64 (agents,); position : int64 (jobs,)
        Jobs of each agent (``members[i, :member_count[i]]``) and each job's slot there.
    tabu_until : int64 (agents, jobs)
        Step until which a job may not return to an agent it left.
    best_assignment, segment_best : int64 (jobs,)
        Best feasible assignment of the run and of the current segment (since the last restart).
    elite : int64 (elite_size, jobs); elite_cost : float64 (elite_size,)
        Elite pool (``inf`` marks an empty slot).
    counters : int64 (COUNTER_SLOTS,); values : float64 (VALUE_SLOTS,)
    rng : uint64 (1,)
        State of the xorshift64* generator.
    trace : float64 (rows, TRACE_COLUMNS)
        (step, seconds, objective) at each improvement of the best feasible cost.
    outward_value : float64 (jobs, 2); outward_agent : int64 (jobs, 2)
        Scratch: best two destinations of each job for the ejection neighbourhood.
    move : int64 (MOVE_SLOTS,)
        Scratch: the chosen move.
    source : bool (agents,)
        Scratch: agents whose jobs the current step may move first.
    """

    assignment: np.ndarray
    loads: np.ndarray
    penalty: np.ndarray
    members: np.ndarray
    member_count: np.ndarray
    position: np.ndarray
    tabu_until: np.ndarray
    best_assignment: np.ndarray
    segment_best: np.ndarray
    elite: np.ndarray
    elite_cost: np.ndarray
    counters: np.ndarray
    values: np.ndarray
    rng: np.ndarray
    trace: np.ndarray
    outward_value: np.ndarray
    outward_agent: np.ndarray
    move: np.ndarray
    source: np.ndarray


class Settings(NamedTuple):
    """Search settings (see :class:`evcore.assign.best.BestParameters`)."""

    tenure_min: int
    tenure_max: int
    restart_iterations: int
    stall_iterations: int
    perturbation: int
    max_candidates: int
    sample_agents: int  # random source agents per step besides the overloaded ones (>= agents: all)
    ejection: bool
    descent: bool  # improving moves only; weights adapt at local optima (else: tabu, weights adapt per move)
    penalty_increase: float
    penalty_decrease: float
    penalty_floor: float
    improvement_step: float  # smallest improvement worth looking for (1 for integer costs, else 0)
    lower_bound: float  # the bound the reduced costs refer to (-inf: none)
    fixing_slack: float  # rounding allowance of reduced-cost fixing


class Limits(NamedTuple):
    """When :func:`tabu_search` returns (clock readings are ``now_jit`` seconds)."""

    started: float
    deadline: float
    report_at: float
    iteration_stop: int
    target: float  # stop once the best cost is <= target
    bound: float  # proven lower bound (-inf: none)
    gap: float  # stop once best - bound <= gap * max(|best|, 1e-12)


# Random numbers: the shared explicit-state xorshift64* of evcore.heuristics (``random_below(rng, n)``;
# plain twin ``evcore.heuristics.RandomStream``).


# --- feasibility and penalised-value bookkeeping ------------------------------------------------


@njit(cache=True, inline="always")
def _is_over(load, capacity):
    return load - capacity > CAPACITY_TOLERANCE


@njit(cache=True, inline="always")
def _overload(load, capacity):
    over = load - capacity
    return over if over > CAPACITY_TOLERANCE else 0.0


@njit(cache=True, inline="always")
def _penalty_change(loads, capacity, penalty, agent, change):
    """Change of agent's penalty term when its load changes by ``change``."""
    load = loads[agent]
    return penalty[agent] * (_overload(load + change, capacity[agent]) - _overload(load, capacity[agent]))


@njit(cache=True)
def count_overloaded(loads, capacity):
    """Number of agents whose load exceeds capacity."""
    count = 0
    for i in range(loads.shape[0]):
        if _is_over(loads[i], capacity[i]):
            count += 1
    return count


@njit(cache=True, inline="always")
def _feasible_after(loads, capacity, overloaded, agent_a, change_a, agent_b, change_b):
    """Whether the assignment is feasible once two distinct agents' loads change."""
    others = overloaded - _is_over(loads[agent_a], capacity[agent_a]) - _is_over(loads[agent_b], capacity[agent_b])
    return (others == 0 and not _is_over(loads[agent_a] + change_a, capacity[agent_a])
            and not _is_over(loads[agent_b] + change_b, capacity[agent_b]))


# --- candidate pairs ------------------------------------------------------------------------------


@njit(cache=True)
def tighten_candidates(problem, candidates, threshold, max_candidates):
    """Keep, for each job, its agents of reduced cost ``<= threshold``, at most ``max_candidates``.

    Any assignment of cost ``<= T`` has reduced costs summing to ``<= T - lower_bound``, so a
    pair whose reduced cost exceeds ``threshold = T - lower_bound`` (plus rounding slack) cannot
    be part of it: that cut is exact. The cap keeps the cheapest pairs by reduced cost (a
    heuristic focus; ``max_candidates >= agents`` disables it).
    """
    agents, jobs = problem.allowed.shape
    candidates.candidate[:, :] = False
    for j in range(jobs):
        count = 0
        for t in range(problem.preference_count[j]):
            agent = problem.preference[j, t]
            if count >= max_candidates or problem.reduced_cost[agent, j] > threshold:
                break
            candidates.agent_list[j, count] = agent
            candidates.candidate[agent, j] = True
            count += 1
        candidates.agent_count[j] = count


# --- member lists ---------------------------------------------------------------------------------


@njit(cache=True)
def rebuild_members(state):
    """Recompute loads are not touched; members, member_count and position from ``assignment``."""
    state.member_count[:] = 0
    for j in range(state.assignment.shape[0]):
        agent = state.assignment[j]
        state.position[j] = state.member_count[agent]
        state.members[agent, state.member_count[agent]] = j
        state.member_count[agent] += 1


@njit(cache=True, inline="always")
def _move_job(problem, state, job, to_agent):
    """Shift ``job`` to ``to_agent``: assignment, loads and member lists."""
    from_agent = state.assignment[job]
    state.loads[from_agent] -= problem.resource[from_agent, job]
    state.loads[to_agent] += problem.resource[to_agent, job]
    state.assignment[job] = to_agent
    # Remove from the old agent's list (the last member takes the freed slot) and append.
    slot = state.position[job]
    last = state.member_count[from_agent] - 1
    moved = state.members[from_agent, last]
    state.members[from_agent, slot] = moved
    state.position[moved] = slot
    state.member_count[from_agent] = last
    state.members[to_agent, state.member_count[to_agent]] = job
    state.position[job] = state.member_count[to_agent]
    state.member_count[to_agent] += 1


# --- the neighbourhood ----------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _consider(delta, chosen, ties, rng):
    """Tie-breaking for an admissible move of value ``delta`` within the tie band of ``chosen``.

    A clearly better move is taken and restarts the count; the k-th tie is taken with chance
    1/k (one ``random_below`` draw). Returns ``(take, chosen, ties)``.
    """
    if delta < chosen - TIE_TOLERANCE:
        return True, delta, 1
    ties += 1
    return random_below(rng, ties) == 0, chosen, ties


@njit(cache=True, inline="always")
def _set_move(move, kind, a, b, c, d):
    move[0] = kind
    move[1] = a
    move[2] = b
    move[3] = c
    move[4] = d


@njit(cache=True)
def prepare_outward(problem, candidates, state, iteration):
    """For every job, its two best non-tabu destinations for the ejection neighbourhood.

    ``outward_value[j, k]`` is ``cost[C, j] + penalty change of C on receiving j`` for the k-th
    best candidate agent ``C`` other than j's own (``outward_agent[j, k]``, -1 when none).
    Neither value depends on the rest of a chain as long as ``C`` is not an agent it touches;
    a chain that starts at ``C`` uses the second one.
    """
    loads, capacity, penalty = state.loads, problem.capacity, state.penalty
    for j in range(state.assignment.shape[0]):
        own = state.assignment[j]
        best_value, best_agent, second_value, second_agent = np.inf, -1, np.inf, -1
        for t in range(candidates.agent_count[j]):
            agent = candidates.agent_list[j, t]
            if agent == own or state.tabu_until[agent, j] > iteration:
                continue
            value = problem.cost[agent, j] + _penalty_change(loads, capacity, penalty, agent, problem.resource[agent, j])
            if value < best_value:
                second_value, second_agent = best_value, best_agent
                best_value, best_agent = value, agent
            elif value < second_value:
                second_value, second_agent = value, agent
        state.outward_value[j, 0] = best_value
        state.outward_agent[j, 0] = best_agent
        state.outward_value[j, 1] = second_value
        state.outward_agent[j, 1] = second_agent


@njit(cache=True)
def choose_sources(problem, state, sample):
    """Mark the agents whose jobs this step moves first: every overloaded agent and ``sample``
    random draws (all agents when ``sample >= agents``)."""
    agents = state.source.shape[0]
    if sample >= agents:
        state.source[:] = True
        return
    for i in range(agents):
        state.source[i] = _is_over(state.loads[i], problem.capacity[i])
    for _ in range(sample):
        state.source[random_below(state.rng, agents)] = True


@njit(cache=True)
def best_move(problem, candidates, state, ejection):
    """Best admissible move under the penalised value; ties are broken at random.

    A move is admissible when it uses candidate pairs only and is not tabu (it would send a
    job back to an agent it left less than a tenure ago). A tabu shift or swap is admissible
    anyway when it yields a feasible assignment cheaper than the best one (aspiration).
    Only moves whose (first) job sits on a *source* agent (``state.source``, see
    :func:`choose_sources`) are examined. Enumeration order (which the twin repeats): shifts by
    job and candidate rank; swaps by job ``a``, candidate agent, then ``b`` in that agent's
    member list (pairs seen from both sides counted once, with ``a < b``); ejections (when
    ``ejection``) by job, candidate agent ``B`` it would overload, then ``B``'s members.

    Returns
    -------
    float
        Change of the penalised value (``inf`` when nothing is admissible); the move is
        written to ``state.move``: ``(SHIFT, job, agent)``, ``(SWAP, job_a, job_b)`` or
        ``(EJECTION, job_1, agent_B, job_2, agent_C)``; ``NO_MOVE`` when nothing is admissible.
    """
    cost, resource, capacity = problem.cost, problem.resource, problem.capacity
    assignment, loads, tabu_until, penalty = state.assignment, state.loads, state.tabu_until, state.penalty
    iteration = state.counters[ITERATION]
    overloaded = state.counters[OVERLOADED]
    current_cost = state.values[CURRENT_COST]
    best_cost = state.values[BEST_COST]
    rng, move = state.rng, state.move
    jobs = assignment.shape[0]
    chosen = np.inf
    ties = 0
    move[0] = NO_MOVE
    source = state.source
    for job in range(jobs):
        agent = assignment[job]
        if not source[agent]:
            continue
        for t in range(candidates.agent_count[job]):
            to_agent = candidates.agent_list[job, t]
            if to_agent == agent:
                continue
            delta = (cost[to_agent, job] - cost[agent, job]
                     + _penalty_change(loads, capacity, penalty, agent, -resource[agent, job])
                     + _penalty_change(loads, capacity, penalty, to_agent, resource[to_agent, job]))
            if delta > chosen + TIE_TOLERANCE:
                continue
            if tabu_until[to_agent, job] > iteration and not (
                    current_cost + cost[to_agent, job] - cost[agent, job] < best_cost - TIE_TOLERANCE
                    and _feasible_after(loads, capacity, overloaded, agent, -resource[agent, job], to_agent,
                                        resource[to_agent, job])):
                continue
            take, chosen, ties = _consider(delta, chosen, ties, rng)
            if take:
                _set_move(move, SHIFT, job, to_agent, -1, -1)
    for job_a in range(jobs):
        agent_a = assignment[job_a]
        if not source[agent_a]:
            continue
        for t in range(candidates.agent_count[job_a]):
            agent_b = candidates.agent_list[job_a, t]
            if agent_b == agent_a:
                continue
            both = source[agent_b]  # then the pair is also seen from job_b's side: count it once
            for s in range(state.member_count[agent_b]):
                job_b = state.members[agent_b, s]
                if (both and job_b <= job_a) or not candidates.candidate[agent_a, job_b]:
                    continue
                change_a = resource[agent_a, job_b] - resource[agent_a, job_a]
                change_b = resource[agent_b, job_a] - resource[agent_b, job_b]
                cost_change = cost[agent_b, job_a] + cost[agent_a, job_b] - cost[agent_a, job_a] - cost[agent_b, job_b]
                delta = (cost_change + _penalty_change(loads, capacity, penalty, agent_a, change_a)
                         + _penalty_change(loads, capacity, penalty, agent_b, change_b))
                if delta > chosen + TIE_TOLERANCE:
                    continue
                if (tabu_until[agent_b, job_a] > iteration or tabu_until[agent_a, job_b] > iteration) and not (
                        current_cost + cost_change < best_cost - TIE_TOLERANCE
                        and _feasible_after(loads, capacity, overloaded, agent_a, change_a, agent_b, change_b)):
                    continue
                take, chosen, ties = _consider(delta, chosen, ties, rng)
                if take:
                    _set_move(move, SWAP, job_a, job_b, -1, -1)
    if not ejection:
        return chosen
    prepare_outward(problem, candidates, state, iteration)
    for job_1 in range(jobs):
        agent_a = assignment[job_1]
        if not source[agent_a]:
            continue
        for t in range(candidates.agent_count[job_1]):
            agent_b = candidates.agent_list[job_1, t]
            if agent_b == agent_a or tabu_until[agent_b, job_1] > iteration:
                continue
            if not _is_over(loads[agent_b] + resource[agent_b, job_1], capacity[agent_b]):
                continue  # no need to eject: a plain shift
            base = (cost[agent_b, job_1] - cost[agent_a, job_1]
                    + _penalty_change(loads, capacity, penalty, agent_a, -resource[agent_a, job_1]))
            for s in range(state.member_count[agent_b]):
                job_2 = state.members[agent_b, s]
                k = 0 if state.outward_agent[job_2, 0] != agent_a else 1
                agent_c = state.outward_agent[job_2, k]
                if agent_c < 0:
                    continue
                delta = (base - cost[agent_b, job_2] + state.outward_value[job_2, k]
                         + _penalty_change(loads, capacity, penalty, agent_b, resource[agent_b, job_1] - resource[agent_b, job_2]))
                if delta > chosen + TIE_TOLERANCE:
                    continue
                take, chosen, ties = _consider(delta, chosen, ties, rng)
                if take:
                    _set_move(move, EJECTION, job_1, agent_b, job_2, agent_c)
    return chosen


@njit(cache=True)
def relink_toward(problem, candidates, state, guide, steps):
    """Walk from ``state.assignment`` toward ``guide``: ``steps`` greedy shifts onto guide's agents.

    Each step moves, among the jobs where the two differ (and whose guide pair is a
    candidate), the one whose shift changes the penalised value least; the first such job
    wins ties, so the walk is deterministic. Loads and member lists follow.

    Returns
    -------
    int
        Steps taken (fewer than ``steps`` when the two assignments meet first).
    """
    cost, resource, capacity = problem.cost, problem.resource, problem.capacity
    loads, penalty = state.loads, state.penalty
    jobs = state.assignment.shape[0]
    taken = 0
    while taken < steps:
        best_job = -1
        best_delta = np.inf
        for job in range(jobs):
            target = guide[job]
            agent = state.assignment[job]
            if target == agent or not candidates.candidate[target, job]:
                continue
            delta = (cost[target, job] - cost[agent, job]
                     + _penalty_change(loads, capacity, penalty, agent, -resource[agent, job])
                     + _penalty_change(loads, capacity, penalty, target, resource[target, job]))
            if delta < best_delta - TIE_TOLERANCE:
                best_delta = delta
                best_job = job
        if best_job < 0:
            break
        _move_job(problem, state, best_job, guide[best_job])
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
def _restart(problem, candidates, state, perturbation):
    """New start for a stalled run: relink two elite assignments, or perturb the best one."""
    rng = state.rng
    jobs = state.assignment.shape[0]
    members = 0
    for slot in range(state.elite.shape[0]):
        if state.elite_cost[slot] < np.inf:
            members += 1
    if members >= 2:
        # Elite slots fill from the front and are only ever replaced, so 0..members-1 are used.
        origin = random_below(rng, members)
        guide = random_below(rng, members - 1)
        if guide >= origin:
            guide += 1
        state.assignment[:] = state.elite[origin]
        compute_loads(problem.resource, state.assignment, state.loads)
        rebuild_members(state)
        distance = _differences(state.assignment, state.elite[guide])
        if distance >= 2:
            # Stop somewhere in the middle third: far from both ends, where new assignments lie.
            steps = distance // 3 + random_below(rng, distance // 3 + 1)
            relink_toward(problem, candidates, state, state.elite[guide], steps)
            return
    state.assignment[:] = state.best_assignment
    compute_loads(problem.resource, state.assignment, state.loads)
    rebuild_members(state)
    for _ in range(perturbation):
        job = random_below(rng, jobs)
        count = candidates.agent_count[job]
        if count > 0:
            to_agent = candidates.agent_list[job, random_below(rng, count)]
            if to_agent != state.assignment[job]:
                _move_job(problem, state, job, to_agent)


@njit(cache=True)
def record_trace(trace, counters, seconds, objective):
    """Append (step, seconds, objective) to the trace; once full, the last row keeps the latest."""
    row = min(counters[TRACE_LENGTH], trace.shape[0] - 1)
    trace[row, TRACE_ITERATION] = counters[ITERATION]
    trace[row, TRACE_SECONDS] = seconds
    trace[row, TRACE_OBJECTIVE] = objective
    counters[TRACE_LENGTH] = row + 1


@njit(cache=True)
def gap_closed(best, bound, gap):
    """True when ``best - bound <= gap * max(|best|, 1e-12)`` (the stop rule)."""
    return best - bound <= gap * max(abs(best), 1e-12)


@njit(cache=True)
def _apply(problem, state, tenure):
    """Make ``state.move``; keep the cost, the overloaded count and the tabu list."""
    cost, capacity, loads = problem.cost, problem.capacity, state.loads
    counters, values, move = state.counters, state.values, state.move
    iteration = counters[ITERATION]
    kind = move[0]
    if kind == SHIFT:
        job, agent_b = move[1], move[2]
        agent_a = state.assignment[job]
        values[CURRENT_COST] += cost[agent_b, job] - cost[agent_a, job]
        counters[OVERLOADED] -= _is_over(loads[agent_a], capacity[agent_a]) + _is_over(loads[agent_b], capacity[agent_b])
        _move_job(problem, state, job, agent_b)
        counters[OVERLOADED] += _is_over(loads[agent_a], capacity[agent_a]) + _is_over(loads[agent_b], capacity[agent_b])
        state.tabu_until[agent_a, job] = iteration + tenure
    elif kind == SWAP:
        job_a, job_b = move[1], move[2]
        agent_a, agent_b = state.assignment[job_a], state.assignment[job_b]
        values[CURRENT_COST] += cost[agent_b, job_a] + cost[agent_a, job_b] - cost[agent_a, job_a] - cost[agent_b, job_b]
        counters[OVERLOADED] -= _is_over(loads[agent_a], capacity[agent_a]) + _is_over(loads[agent_b], capacity[agent_b])
        _move_job(problem, state, job_a, agent_b)
        _move_job(problem, state, job_b, agent_a)
        counters[OVERLOADED] += _is_over(loads[agent_a], capacity[agent_a]) + _is_over(loads[agent_b], capacity[agent_b])
        state.tabu_until[agent_a, job_a] = iteration + tenure
        state.tabu_until[agent_b, job_b] = iteration + tenure
    else:
        job_1, agent_b, job_2, agent_c = move[1], move[2], move[3], move[4]
        agent_a = state.assignment[job_1]
        values[CURRENT_COST] += cost[agent_b, job_1] - cost[agent_a, job_1] + cost[agent_c, job_2] - cost[agent_b, job_2]
        counters[OVERLOADED] -= (_is_over(loads[agent_a], capacity[agent_a]) + _is_over(loads[agent_b], capacity[agent_b])
                                 + _is_over(loads[agent_c], capacity[agent_c]))
        _move_job(problem, state, job_1, agent_b)
        _move_job(problem, state, job_2, agent_c)
        counters[OVERLOADED] += (_is_over(loads[agent_a], capacity[agent_a]) + _is_over(loads[agent_b], capacity[agent_b])
                                 + _is_over(loads[agent_c], capacity[agent_c]))
        state.tabu_until[agent_a, job_1] = iteration + tenure
        state.tabu_until[agent_b, job_2] = iteration + tenure


@njit(cache=True)
def tabu_search(problem, candidates, state, settings, limits):
    """Run the adaptive-penalty tabu search until a stopping rule fires; resumable.

    Returns
    -------
    int
        One of the ``STOPPED_*`` codes.
    """
    counters, values, penalty = state.counters, state.values, state.penalty
    capacity, loads = problem.capacity, state.loads
    agents = capacity.shape[0]
    first_iteration = counters[ITERATION]
    while True:
        iteration = counters[ITERATION]
        if values[BEST_COST] <= limits.target:
            return STOPPED_AT_TARGET
        if values[BEST_COST] < np.inf and gap_closed(values[BEST_COST], limits.bound, limits.gap):
            return STOPPED_AT_GAP
        if iteration >= limits.iteration_stop:
            return STOPPED_BY_ITERATIONS
        if iteration - counters[LAST_IMPROVEMENT] >= settings.stall_iterations:
            return STOPPED_BY_STALL
        clock = now_jit()
        if clock >= limits.deadline:
            return STOPPED_BY_TIME
        if clock >= limits.report_at and iteration > first_iteration:  # at least one move per call
            return STOPPED_FOR_REPORT

        if iteration - counters[SEGMENT_IMPROVEMENT] >= settings.restart_iterations:
            if values[SEGMENT_BEST_COST] < np.inf:
                offer_elite(state.elite, state.elite_cost, state.segment_best, values[SEGMENT_BEST_COST])
            _restart(problem, candidates, state, settings.perturbation)
            values[CURRENT_COST] = total_cost(problem.cost, state.assignment)
            counters[OVERLOADED] = count_overloaded(loads, capacity)
            counters[SEGMENT_IMPROVEMENT] = iteration
            counters[RESTARTS] += 1
            values[SEGMENT_BEST_COST] = np.inf

        choose_sources(problem, state, settings.sample_agents)
        delta = best_move(problem, candidates, state, settings.ejection)
        if settings.descent and not delta < -TIE_TOLERANCE:
            # A local optimum of the penalised value: reshape it (the breakout step).
            if counters[OVERLOADED] == 0:
                for i in range(agents):
                    penalty[i] = max(settings.penalty_floor, penalty[i] * (1.0 - settings.penalty_decrease))
            else:
                for i in range(agents):
                    if _is_over(loads[i], capacity[i]):
                        penalty[i] *= 1.0 + settings.penalty_increase
            counters[ITERATION] = iteration + 1
            continue
        if state.move[0] == NO_MOVE:
            # Everything is tabu (tiny instances): forget the tabu list.
            state.tabu_until[:, :] = 0
            counters[ITERATION] = iteration + 1
            continue
        tenure = settings.tenure_min + random_below(state.rng, settings.tenure_max - settings.tenure_min + 1)
        _apply(problem, state, tenure)
        iteration += 1
        counters[ITERATION] = iteration

        if counters[OVERLOADED] == 0:
            # Re-add from scratch when recording, so rounding never drifts into the answer.
            if values[CURRENT_COST] < values[SEGMENT_BEST_COST] - TIE_TOLERANCE:
                values[CURRENT_COST] = total_cost(problem.cost, state.assignment)
                values[SEGMENT_BEST_COST] = values[CURRENT_COST]
                state.segment_best[:] = state.assignment
                counters[SEGMENT_IMPROVEMENT] = iteration
            if values[CURRENT_COST] < values[BEST_COST] - TIE_TOLERANCE:
                values[BEST_COST] = values[CURRENT_COST]
                state.best_assignment[:] = state.assignment
                counters[LAST_IMPROVEMENT] = iteration
                record_trace(state.trace, counters, now_jit() - limits.started, values[BEST_COST])
                if settings.lower_bound > -np.inf:
                    tighten_candidates(problem, candidates, values[BEST_COST] - settings.improvement_step
                                       - settings.lower_bound + settings.fixing_slack, settings.max_candidates)
            # Feasible: relax every weight so that the walk dares to cross the boundary again.
            if not settings.descent:
                for i in range(agents):
                    penalty[i] = max(settings.penalty_floor, penalty[i] * (1.0 - settings.penalty_decrease))
        elif not settings.descent:
            for i in range(agents):
                if _is_over(loads[i], capacity[i]):
                    penalty[i] *= 1.0 + settings.penalty_increase


# --- the knapsack (Lagrangian) bound -------------------------------------------------------------


@njit(cache=True)
def knapsack_relaxation(profit, weight, capacity, chosen):
    """Each agent's 0-1 knapsack: the most profit its capacity can hold, and which jobs.

    The Lagrangian relaxation of the assignment rows leaves one knapsack per agent: agent ``i``
    takes jobs of positive ``profit[i, j]`` (job price minus cost) within its capacity. Solved
    exactly by dynamic programming over integer weights.

    Parameters
    ----------
    profit : numpy.ndarray, shape (agents, jobs)
        ``-inf`` (or any value ``<= 0``) for pairs never worth taking.
    weight : numpy.ndarray of int64, shape (agents, jobs)
        Non-negative integer resources.
    capacity : numpy.ndarray of int64, shape (agents,)
    chosen : numpy.ndarray of bool, shape (agents, jobs)
        Output: the jobs each agent's optimal knapsack takes.

    Returns
    -------
    numpy.ndarray, shape (agents,)
        Optimal knapsack profit of each agent.
    """
    agents, jobs = profit.shape
    best = np.zeros(agents)
    items = np.empty(jobs, np.int64)
    for i in range(agents):
        chosen[i, :] = False
        cap = capacity[i]
        count = 0
        for j in range(jobs):
            if profit[i, j] > 0.0 and weight[i, j] <= cap:
                items[count] = j
                count += 1
        value = np.zeros(cap + 1)
        keep = np.zeros((count, cap + 1), np.bool_)
        for t in range(count):
            j = items[t]
            w = weight[i, j]
            p = profit[i, j]
            for room in range(cap, w - 1, -1):
                candidate_value = value[room - w] + p
                if candidate_value > value[room]:
                    value[room] = candidate_value
                    keep[t, room] = True
        best[i] = value[cap]
        room = cap
        for t in range(count - 1, -1, -1):
            if keep[t, room]:
                j = items[t]
                chosen[i, j] = True
                room -= weight[i, j]
    return best


# --- building the tuples (shared by best.py, the tests and warm_up) -------------------------------


def make_problem(cost, resource, capacity, allowed, reduced_cost) -> Problem:
    """A :class:`Problem` with each job's allowed agents ranked by reduced cost."""
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    resource = np.ascontiguousarray(resource, dtype=np.float64)
    capacity = np.ascontiguousarray(capacity, dtype=np.float64)
    allowed = np.ascontiguousarray(allowed, dtype=np.bool_)
    reduced_cost = np.ascontiguousarray(reduced_cost, dtype=np.float64)
    agents, jobs = cost.shape
    key = np.where(allowed, reduced_cost, np.inf).T  # (jobs, agents)
    tie = np.where(allowed, cost, np.inf).T
    order = np.lexsort((tie, key), axis=1)  # by reduced cost, then cost, then agent index
    count = allowed.sum(axis=0).astype(np.int64)
    preference = np.where(np.arange(agents)[None, :] < count[:, None], order, -1).astype(np.int64)
    return Problem(cost, resource, capacity, allowed, reduced_cost, np.ascontiguousarray(preference), count)


def make_candidates(problem: Problem, threshold: float, max_candidates: int) -> Candidates:
    """:class:`Candidates` tightened to ``threshold`` and ``max_candidates``."""
    agents, jobs = problem.allowed.shape
    candidates = Candidates(np.zeros((agents, jobs), np.bool_), np.full((jobs, agents), -1, np.int64),
                            np.zeros(jobs, np.int64))
    tighten_candidates(problem, candidates, threshold, max_candidates)
    return candidates


def make_state(problem: Problem, assignment, penalty, rng_state: int, elite_size: int, trace_rows: int) -> State:
    """A fresh :class:`State` at ``assignment`` (no feasible assignment known yet)."""
    agents, jobs = problem.cost.shape
    assignment = np.array(assignment, dtype=np.int64)
    loads = np.zeros(agents)
    compute_loads(problem.resource, assignment, loads)
    counters = np.zeros(COUNTER_SLOTS, np.int64)
    counters[OVERLOADED] = count_overloaded(loads, problem.capacity)
    values = np.array([total_cost(problem.cost, assignment), np.inf, np.inf])
    state = State(assignment=assignment, loads=loads, penalty=np.array(penalty, dtype=np.float64),
                  members=np.zeros((agents, jobs), np.int64), member_count=np.zeros(agents, np.int64),
                  position=np.zeros(jobs, np.int64), tabu_until=np.zeros((agents, jobs), np.int64),
                  best_assignment=assignment.copy(), segment_best=assignment.copy(),
                  elite=np.zeros((elite_size, jobs), np.int64), elite_cost=np.full(elite_size, np.inf),
                  counters=counters, values=values, rng=np.array([rng_state], np.uint64),
                  trace=np.zeros((trace_rows, TRACE_COLUMNS)), outward_value=np.zeros((jobs, 2)),
                  outward_agent=np.zeros((jobs, 2), np.int64), move=np.zeros(MOVE_SLOTS, np.int64),
                  source=np.ones(agents, np.bool_))
    rebuild_members(state)
    return state


def warm_up():
    """Compile every kernel on a tiny instance (benchmarks/bench_compile.py)."""
    agents, jobs = 2, 3
    cost = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    resource = np.ones((agents, jobs))
    allowed = np.ones((agents, jobs), np.bool_)
    problem = make_problem(cost, resource, np.full(agents, 2.0), allowed, np.zeros((agents, jobs)))
    candidates = make_candidates(problem, np.inf, agents)
    state = make_state(problem, np.zeros(jobs, np.int64), np.ones(agents), 88172645463325252, 2, 4)
    settings = Settings(1, 2, 5, 50, 1, agents, 1, True, False, 0.1, 0.05, 1e-3, 1.0, 0.0, 1e-9)
    limits = Limits(now(), np.inf, np.inf, 20, -np.inf, -np.inf, 0.0)
    choose_sources(problem, state, 1)
    best_move(problem, candidates, state, True)
    relink_toward(problem, candidates, state, np.ones(jobs, np.int64), 1)
    offer_elite(state.elite, state.elite_cost, state.assignment, 1.0)
    tabu_search(problem, candidates, state, settings, limits)
    knapsack_relaxation(np.ones((agents, jobs)), np.ones((agents, jobs), np.int64), np.full(agents, 2, np.int64),
                        np.zeros((agents, jobs), np.bool_))
