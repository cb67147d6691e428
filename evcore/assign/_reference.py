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


# ====================================================================== search twins
# Plain-Python twins of evcore.assign._search_kernels and ._method_kernels, written to follow the kernels step for
# step: same moves in the same order, the same arithmetic (the incremental deltas, not a
# from-scratch re-evaluation, so ties break alike), the same draws from a RandomStream of the
# same seed. Tests run both and require the same trajectory: trace, answer, final random state.
# They take a GAPArrays tuple and work on Python lists.

import math as _math

from ..heuristics._reference import (
    insert_unique_reference,
    minimisation_fitness_reference,
    roulette_select_reference,
    uniform_crossover_reference,
)

_TOLERANCE = 1e-9  # CAPACITY_TOLERANCE and IMPROVEMENT_TOLERANCE of the kernels
STOP_STALLED, STOP_ITERATIONS = 0, 1


class Problem:
    """The arrays of a GAPArrays tuple as Python lists (cost[i][j], options of job j, ...)."""

    def __init__(self, arrays):
        self.cost = arrays.cost.tolist()
        self.resource = arrays.resource.tolist()
        self.capacity = arrays.capacity.tolist()
        self.allowed = arrays.allowed.tolist()
        starts = arrays.option_start.tolist()
        options = arrays.options.tolist()
        self.options = [options[starts[j]:starts[j + 1]] for j in range(len(starts) - 1)]
        self.job_order = arrays.job_order.tolist()
        self.big_penalty = arrays.big_penalty
        self.typical_penalty = arrays.typical_penalty
        self.repair_moves = arrays.repair_moves
        self.agents = len(self.capacity)
        self.jobs = len(self.options)


class Run:
    """The twin of SearchControl: the stream, counters, best value and trace (no clock)."""

    def __init__(self, stream, max_steps: int, stall_limit: int):
        self.rng = stream
        self.max_steps = max_steps
        self.stall_limit = stall_limit
        self.step = 0
        self.stall = 0
        self.best_value = _math.inf
        self.trace: list[tuple[int, float]] = []

    def stop_reason(self):
        if self.step >= self.max_steps:
            return STOP_ITERATIONS
        if self.stall >= self.stall_limit:
            return STOP_STALLED
        return None

    def end_step(self, improved: bool) -> None:
        self.step += 1
        self.stall = 0 if improved else self.stall + 1


def _over(load, capacity):
    over = load - capacity
    return over if over > _TOLERANCE else 0.0


def _loads(p: Problem, assignment) -> list[float]:
    loads = [0.0] * p.agents
    for job, agent in enumerate(assignment):
        loads[agent] += p.resource[agent][job]
    return loads


def _total_cost(cost, assignment) -> float:
    total = 0.0
    for job, agent in enumerate(assignment):
        total += cost[agent][job]
    return total


def _penalized(p: Problem, cost, penalty, assignment, loads) -> float:
    loads[:] = _loads(p, assignment)
    value = _total_cost(cost, assignment)
    for i in range(p.agents):
        value += penalty[i] * _over(loads[i], p.capacity[i])
    return value


def _feasible(p: Problem, assignment, loads) -> bool:
    if not all(p.allowed[agent][job] for job, agent in enumerate(assignment)):
        return False
    loads[:] = _loads(p, assignment)
    excess = 0.0
    for i in range(p.agents):
        over = loads[i] - p.capacity[i]
        if over > _TOLERANCE:
            excess += over
    return excess == 0.0


def _total_overload(p: Problem, loads) -> float:
    excess = 0.0
    for i in range(p.agents):
        over = loads[i] - p.capacity[i]
        if over > _TOLERANCE:
            excess += over
    return excess


def _shift_delta(p: Problem, cost, penalty, loads, assignment, job, to_agent) -> float:
    """The kernel's incremental formula (same operations, same order)."""
    r, cap = p.resource, p.capacity
    frm = assignment[job]
    if frm == to_agent:
        return 0.0
    after_from = loads[frm] - r[frm][job]
    after_to = loads[to_agent] + r[to_agent][job]
    return (cost[to_agent][job] - cost[frm][job]
            + penalty[frm] * (_over(after_from, cap[frm]) - _over(loads[frm], cap[frm]))
            + penalty[to_agent] * (_over(after_to, cap[to_agent]) - _over(loads[to_agent], cap[to_agent])))


def _swap_delta(p: Problem, cost, penalty, loads, assignment, job_a, job_b) -> float:
    r, cap = p.resource, p.capacity
    a, b = assignment[job_a], assignment[job_b]
    if a == b:
        return 0.0
    after_a = loads[a] - r[a][job_a] + r[a][job_b]
    after_b = loads[b] - r[b][job_b] + r[b][job_a]
    return (cost[b][job_a] + cost[a][job_b] - cost[a][job_a] - cost[b][job_b]
            + penalty[a] * (_over(after_a, cap[a]) - _over(loads[a], cap[a]))
            + penalty[b] * (_over(after_b, cap[b]) - _over(loads[b], cap[b])))


def _apply_shift(p: Problem, loads, assignment, job, to_agent) -> None:
    frm = assignment[job]
    loads[frm] -= p.resource[frm][job]
    loads[to_agent] += p.resource[to_agent][job]
    assignment[job] = to_agent


def _apply_swap(p: Problem, loads, assignment, job_a, job_b) -> None:
    a, b = assignment[job_a], assignment[job_b]
    loads[a] += p.resource[a][job_b] - p.resource[a][job_a]
    loads[b] += p.resource[b][job_a] - p.resource[b][job_b]
    assignment[job_a], assignment[job_b] = b, a


def keep_if_best_reference(p: Problem, run: Run, assignment, loads, best) -> bool:
    if not _feasible(p, assignment, loads):
        return False
    objective = _total_cost(p.cost, assignment)
    if not objective < run.best_value:
        return False
    best[:] = assignment
    run.best_value = objective
    run.trace.append((run.step, objective))
    return True


def grasp_construct_reference(p: Problem, rng, alpha, assignment, loads) -> None:
    """GRASP with a cost-based restricted candidate list (see the kernel)."""
    loads[:] = [0.0] * p.agents
    for job in p.job_order:
        fits = [a for a in p.options[job] if loads[a] + p.resource[a][job] <= p.capacity[a] + _TOLERANCE]
        chosen = -1
        least = _math.inf
        for agent in p.options[job]:
            after = loads[agent] + p.resource[agent][job]
            if not after <= p.capacity[agent] + _TOLERANCE and after - p.capacity[agent] < least:
                least, chosen = after - p.capacity[agent], agent
        if fits:
            low = min(p.cost[a][job] for a in fits)
            high = max(p.cost[a][job] for a in fits)
            threshold = low + alpha * (high - low)
            candidates = [a for a in fits if p.cost[a][job] <= threshold]
            chosen = candidates[rng.random_below(len(candidates))]
        assignment[job] = chosen
        loads[chosen] += p.resource[chosen][job]


def _best_move_from(p: Problem, penalty, assignment, loads, agent):
    best, best_job, best_to, best_partner = _math.inf, -1, -1, -1
    for job in range(p.jobs):
        if assignment[job] != agent:
            continue
        for to_agent in p.options[job]:
            if to_agent != agent:
                delta = _shift_delta(p, p.cost, penalty, loads, assignment, job, to_agent)
                if delta < best:
                    best, best_job, best_to, best_partner = delta, job, to_agent, -1
        for partner in range(p.jobs):
            other = assignment[partner]
            if other != agent and p.allowed[other][job] and p.allowed[agent][partner]:
                delta = _swap_delta(p, p.cost, penalty, loads, assignment, job, partner)
                if delta < best:
                    best, best_job, best_to, best_partner = delta, job, other, partner
    return best, best_job, best_to, best_partner


def repair_capacity_reference(p: Problem, penalty, assignment, loads) -> bool:
    """Moves jobs off the most overloaded agent, cheapest fitting shift first (see the kernel)."""
    for _ in range(p.repair_moves):
        worst, worst_overload = -1, _TOLERANCE
        for agent in range(p.agents):
            if loads[agent] - p.capacity[agent] > worst_overload:
                worst_overload, worst = loads[agent] - p.capacity[agent], agent
        if worst < 0:
            return True
        best_increase, best_job, best_to = _math.inf, -1, -1
        for job in range(p.jobs):
            if assignment[job] != worst:
                continue
            for to_agent in p.options[job]:
                if to_agent != worst and loads[to_agent] + p.resource[to_agent][job] <= p.capacity[to_agent] + _TOLERANCE:
                    increase = p.cost[to_agent][job] - p.cost[worst][job]
                    if increase < best_increase:
                        best_increase, best_job, best_to = increase, job, to_agent
                    break
        if best_job >= 0:
            _apply_shift(p, loads, assignment, best_job, best_to)
            continue
        delta, job, to_agent, partner = _best_move_from(p, penalty, assignment, loads, worst)
        if job < 0 or not delta < -_TOLERANCE:
            return False
        if partner < 0:
            _apply_shift(p, loads, assignment, job, to_agent)
        else:
            _apply_swap(p, loads, assignment, job, partner)
    return _total_overload(p, loads) == 0.0


def swap_local_search_reference(p: Problem, penalty, assignment, loads) -> int:
    """Best shift per job, then first-improvement swaps, until a pass changes nothing."""
    moves = 0
    improved = True
    while improved:
        improved = False
        for job in range(p.jobs):
            best, best_to = -_TOLERANCE, -1
            for to_agent in p.options[job]:
                delta = _shift_delta(p, p.cost, penalty, loads, assignment, job, to_agent)
                if delta < best:
                    best, best_to = delta, to_agent
            if best_to >= 0:
                _apply_shift(p, loads, assignment, job, best_to)
                moves += 1
                improved = True
        for job in range(p.jobs):
            for partner in range(job + 1, p.jobs):
                a, b = assignment[job], assignment[partner]
                if a == b or not (p.allowed[b][job] and p.allowed[a][partner]):
                    continue
                if _swap_delta(p, p.cost, penalty, loads, assignment, job, partner) < -_TOLERANCE:
                    _apply_swap(p, loads, assignment, job, partner)
                    moves += 1
                    improved = True
    return moves


def swap_mutation_reference(p: Problem, rng, assignment, loads, swaps: int) -> int:
    made = 0
    for _ in range(swaps):
        for _ in range(20):
            job = rng.random_below(p.jobs)
            partner = rng.random_below(p.jobs)
            a, b = assignment[job], assignment[partner]
            if a != b and p.allowed[b][job] and p.allowed[a][partner]:
                _apply_swap(p, loads, assignment, job, partner)
                made += 1
                break
    return made


def _improve(p: Problem, penalty, assignment, loads) -> float:
    repair_capacity_reference(p, penalty, assignment, loads)
    swap_local_search_reference(p, penalty, assignment, loads)
    return _penalized(p, p.cost, penalty, assignment, loads)


def hasp_reference(arrays, settings, stream, max_steps: int, stall_limit: int) -> dict:
    """HASP (see ``hasp_start`` and ``hasp_run``): population, best, run record."""
    p, run = Problem(arrays), Run(stream, max_steps, stall_limit)
    rng = run.rng
    size = settings.population_size
    penalty = [p.big_penalty] * p.agents
    population = [[0] * p.jobs for _ in range(size)]
    values = [_math.inf] * size
    best = [0] * p.jobs
    loads = [0.0] * p.agents
    candidate = [0] * p.jobs
    for _ in range(3 * size):
        grasp_construct_reference(p, rng, settings.alpha, candidate, loads)
        value = _improve(p, penalty, candidate, loads)
        keep_if_best_reference(p, run, candidate, loads, best)
        insert_unique_reference(population, values, candidate, value)
        if all(_math.isfinite(v) for v in values):
            break
    while (stop := run.stop_reason()) is None:
        fitness = minimisation_fitness_reference(values)
        first = roulette_select_reference(rng, fitness)
        second = roulette_select_reference(rng, fitness)
        for _ in range(5):
            if second != first:
                break
            second = roulette_select_reference(rng, fitness)
        child = uniform_crossover_reference(rng, population[first], population[second])
        loads = _loads(p, child)
        if rng.random_float() < settings.mutation_rate:
            swap_mutation_reference(p, rng, child, loads, settings.mutation_swaps)
        value = _improve(p, penalty, child, loads)
        improved = keep_if_best_reference(p, run, child, loads, best)
        insert_unique_reference(population, values, child, value)
        run.end_step(improved)
    return {"best": best, "run": run, "stop": stop, "population": population, "values": values}


def tabu_reference(arrays, settings, stream, max_steps: int, stall_limit: int) -> dict:
    """Tabu search with strategic oscillation (see ``tabu_start`` and ``tabu_run``)."""
    p, run = Problem(arrays), Run(stream, max_steps, stall_limit)
    rng = run.rng
    zero_cost = [[0.0] * p.jobs for _ in range(p.agents)]
    no_penalty, unit_penalty = [0.0] * p.agents, [1.0] * p.agents
    penalty = [p.typical_penalty] * p.agents
    tabu_until = [[0] * p.jobs for _ in range(p.agents)]
    assignment, loads, best = [0] * p.jobs, [0.0] * p.agents, [0] * p.jobs
    grasp_construct_reference(p, rng, 0.0, assignment, loads)
    repair_capacity_reference(p, [settings.max_penalty] * p.agents, assignment, loads)
    keep_if_best_reference(p, run, assignment, loads, best)
    loads = _loads(p, assignment)
    span = settings.tenure_max - settings.tenure_min + 1

    def aspires(job, to_agent, partner, current_cost, current_overload, best_value):
        if partner < 0:
            change = _shift_delta(p, p.cost, no_penalty, loads, assignment, job, to_agent)
            overload = _shift_delta(p, zero_cost, unit_penalty, loads, assignment, job, to_agent)
        else:
            change = _swap_delta(p, p.cost, no_penalty, loads, assignment, job, partner)
            overload = _swap_delta(p, zero_cost, unit_penalty, loads, assignment, job, partner)
        return current_cost + change < best_value - _TOLERANCE and current_overload + overload <= _TOLERANCE

    while (stop := run.stop_reason()) is None:
        iteration = run.step + 1
        current_cost = _total_cost(p.cost, assignment)
        current_overload = _total_overload(p, loads)
        best_value = run.best_value
        best_delta, best_job, best_to, best_partner = _math.inf, -1, -1, -1
        for job in range(p.jobs):
            agent = assignment[job]
            for to_agent in p.options[job]:
                if to_agent == agent:
                    continue
                delta = _shift_delta(p, p.cost, penalty, loads, assignment, job, to_agent)
                if delta < best_delta and (tabu_until[to_agent][job] <= iteration or aspires(
                        job, to_agent, -1, current_cost, current_overload, best_value)):
                    best_delta, best_job, best_to, best_partner = delta, job, to_agent, -1
            for partner in range(job + 1, p.jobs):
                other = assignment[partner]
                if other == agent or not (p.allowed[other][job] and p.allowed[agent][partner]):
                    continue
                delta = _swap_delta(p, p.cost, penalty, loads, assignment, job, partner)
                if delta < best_delta and ((tabu_until[other][job] <= iteration
                                            and tabu_until[agent][partner] <= iteration)
                                           or aspires(job, other, partner, current_cost, current_overload,
                                                      best_value)):
                    best_delta, best_job, best_to, best_partner = delta, job, other, partner
        if best_job < 0:
            tabu_until = [[0] * p.jobs for _ in range(p.agents)]
            run.end_step(False)
            continue
        tabu_until[assignment[best_job]][best_job] = iteration + settings.tenure_min + rng.random_below(span)
        if best_partner < 0:
            _apply_shift(p, loads, assignment, best_job, best_to)
        else:
            tabu_until[best_to][best_partner] = iteration + settings.tenure_min + rng.random_below(span)
            _apply_swap(p, loads, assignment, best_job, best_partner)
        improved = False
        if _total_overload(p, loads) == 0.0:
            improved = keep_if_best_reference(p, run, assignment, loads, best)
        for agent in range(p.agents):
            if loads[agent] > p.capacity[agent] + _TOLERANCE:
                penalty[agent] = min(settings.max_penalty, penalty[agent] * settings.penalty_factor)
            else:
                penalty[agent] = max(settings.min_penalty, penalty[agent] / settings.penalty_factor)
        run.end_step(improved)
    return {"best": best, "run": run, "stop": stop, "assignment": assignment, "penalty": penalty}


def bees_reference(arrays, settings, stream, max_steps: int, stall_limit: int) -> dict:
    """The bees algorithm (see ``bees_start`` and ``bees_run``)."""
    p, run = Problem(arrays), Run(stream, max_steps, stall_limit)
    rng = run.rng
    scouts = settings.scouts
    zero_cost = [[0.0] * p.jobs for _ in range(p.agents)]
    unit_penalty = [1.0] * p.agents
    penalty = [p.big_penalty] * p.agents
    sites = [[0] * p.jobs for _ in range(scouts)]
    values, patch, stagnant = [_math.inf] * scouts, [0] * scouts, [0] * scouts
    best, loads = [0] * p.jobs, [0.0] * p.agents

    def scout(site):
        grasp_construct_reference(p, rng, settings.scout_alpha, sites[site], loads)
        values[site] = _penalized(p, p.cost, penalty, sites[site], loads)
        patch[site] = settings.initial_patch
        stagnant[site] = 0
        return keep_if_best_reference(p, run, sites[site], loads, best)

    def move(assignment, loads, moves):
        for _ in range(moves):
            for _ in range(20):
                job = rng.random_below(p.jobs)
                if rng.random_float() < 0.5:
                    options = p.options[job]
                    to_agent = options[rng.random_below(len(options))]
                    if _shift_delta(p, zero_cost, unit_penalty, loads, assignment, job, to_agent) <= _TOLERANCE:
                        _apply_shift(p, loads, assignment, job, to_agent)
                        break
                else:
                    partner = rng.random_below(p.jobs)
                    a, b = assignment[job], assignment[partner]
                    if (a != b and p.allowed[b][job] and p.allowed[a][partner]
                            and _swap_delta(p, zero_cost, unit_penalty, loads, assignment, job, partner) <= _TOLERANCE):
                        _apply_swap(p, loads, assignment, job, partner)
                        break

    for site in range(scouts):
        scout(site)
    while (stop := run.stop_reason()) is None:
        improved = False
        order = sorted(range(scouts), key=lambda k: values[k])
        for rank, site in enumerate(order):
            if rank < settings.selected_sites:
                recruits = settings.elite_recruits if rank < settings.elite_sites else settings.other_recruits
                best_value, best_forager = _math.inf, None
                for _ in range(recruits):
                    forager = list(sites[site])
                    loads = _loads(p, forager)
                    move(forager, loads, patch[site])
                    if settings.local_search:
                        swap_local_search_reference(p, penalty, forager, loads)
                    value = _penalized(p, p.cost, penalty, forager, loads)
                    if value < best_value:
                        best_value, best_forager = value, list(forager)
                if best_value < values[site] - _TOLERANCE:
                    sites[site], values[site], stagnant[site] = list(best_forager), best_value, 0
                    improved = keep_if_best_reference(p, run, best_forager, loads, best) or improved
                    continue
                stagnant[site] += 1
                patch[site] = max(1, int(patch[site] * settings.patch_shrink))
                if stagnant[site] <= settings.abandon_after:
                    continue
            improved = scout(site) or improved
        run.end_step(improved)
    return {"best": best, "run": run, "stop": stop, "sites": sites, "values": values}


def _decode(p: Problem, position, assignment) -> None:
    for job in range(p.jobs):
        size = len(p.options[job])
        assignment[job] = p.options[job][min(int(position[job] * size), size - 1)]


def _encode(p: Problem, assignment, position) -> None:
    for job in range(p.jobs):
        size = len(p.options[job])
        position[job] = (p.options[job].index(assignment[job]) + 0.5) / size


def de_reference(arrays, settings, stream, max_steps: int, stall_limit: int) -> dict:
    """DE-SK (see ``de_start`` and ``de_run``)."""
    p, run = Problem(arrays), Run(stream, max_steps, stall_limit)
    rng = run.rng
    size = settings.population_size
    penalty = [p.big_penalty] * p.agents
    positions = [[0.0] * p.jobs for _ in range(size)]
    values = [_math.inf] * size
    best, assignment, loads = [0] * p.jobs, [0] * p.jobs, [0.0] * p.agents
    for member in range(size):
        grasp_construct_reference(p, rng, settings.alpha, assignment, loads)
        repair_capacity_reference(p, penalty, assignment, loads)
        values[member] = _penalized(p, p.cost, penalty, assignment, loads)
        _encode(p, assignment, positions[member])
        keep_if_best_reference(p, run, assignment, loads, best)
    trial = [0.0] * p.jobs
    while (stop := run.stop_reason()) is None:
        improved = False
        for target in range(size):
            r1 = rng.random_below(size)
            while r1 == target:
                r1 = rng.random_below(size)
            r2 = rng.random_below(size)
            while r2 in (target, r1):
                r2 = rng.random_below(size)
            r3 = rng.random_below(size)
            while r3 in (target, r1, r2):
                r3 = rng.random_below(size)
            forced = rng.random_below(p.jobs)
            for job in range(p.jobs):
                if job == forced or rng.random_float() < settings.crossover_rate:
                    value = positions[r1][job] + settings.scale * (positions[r2][job] - positions[r3][job])
                    trial[job] = value - _math.floor(value)
                else:
                    trial[job] = positions[target][job]
            _decode(p, trial, assignment)
            loads = _loads(p, assignment)
            repair_capacity_reference(p, penalty, assignment, loads)
            if rng.random_float() < settings.local_search_rate:
                swap_local_search_reference(p, penalty, assignment, loads)
            value = _penalized(p, p.cost, penalty, assignment, loads)
            if value <= values[target]:
                _encode(p, assignment, positions[target])
                values[target] = value
            improved = keep_if_best_reference(p, run, assignment, loads, best) or improved
        run.end_step(improved)
    return {"best": best, "run": run, "stop": stop, "positions": positions, "values": values}
