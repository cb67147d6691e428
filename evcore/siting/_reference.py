"""Plain-Python twins of the siting kernels, written straight from the paper's equations.

Slow and obvious on purpose: tests check the compiled kernels (:mod:`evcore.siting._design`,
``_evaluate``, ``_search``) against these on small instances. Erlang C uses its textbook sum
(eqs. 12-16), not the recursion the compiled code calls.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..heuristics._reference import (
    RandomStream,
    geometric_temperature_reference,
    metropolis_accept_reference,
    random_index_reference,
    roulette_select_reference,
    tournament_select_reference,
    uniform_crossover_reference,
)
from .model import DAYS_PER_YEAR, YUAN_PER_UNIT, SitingInstance

__all__ = ["mmc_wait", "station_design", "plan_costs", "penalised_objective", "enumerate_best",
           "local_descent_reference", "anneal_reference", "genetic_reference", "ant_colony_reference"]


def mmc_wait(servers: int, arrivals_per_hour: float, service_hours: float) -> float:
    """Mean M/M/c wait in queue (h) from the textbook formula with ``P0`` (eqs. 12-16)."""
    if arrivals_per_hour == 0:
        return 0.0
    if servers <= 0:
        return math.inf
    load = arrivals_per_hour * service_hours  # offered load a = c * rho
    if load >= servers:
        return math.inf
    rho = load / servers
    # work in logs so that a few hundred servers do not overflow the factorials
    terms = [k * math.log(load) - math.lgamma(k + 1) for k in range(servers)]
    last = servers * math.log(load) - math.lgamma(servers + 1) - math.log(1 - rho)
    top = max(max(terms), last)
    p0_inverse = sum(math.exp(t - top) for t in terms) + math.exp(last - top)
    p_wait = math.exp(last - top) / p0_inverse
    return p_wait / (servers / service_hours - arrivals_per_hour)


def _pile_counts(instance: SitingInstance):
    p = instance.parameters
    if instance.split == "fixed":
        for piles in range(p.min_piles, p.max_piles + 1):
            slow = math.floor(p.slow_share * piles + 0.5)
            yield slow, piles - slow
    else:
        for piles in range(p.min_piles, p.max_piles + 1):
            for slow in range(piles + 1):
                yield slow, piles - slow


def station_design(instance: SitingInstance, load: float, max_piles: int | None = None):
    """Cheapest design of a station with ``load`` vehicles/day by full enumeration.

    Returns ``(weighted cost, slow piles, fast piles, mean wait h)``; cost ``inf`` when no
    design meets the wait limit. ``max_piles`` caps the enumeration (default: the parameter).
    """
    p = instance.parameters
    w = p.investment_weight
    slow_annual, fast_annual = p.annual_pile_cost
    lam_slow = p.slow_share * load / p.operating_hours_per_day
    lam_fast = p.fast_share * load / p.operating_hours_per_day
    cap = p.max_piles if max_piles is None else max_piles
    best = (math.inf, -1, -1, math.inf)
    cheapest_pile = min(slow_annual, fast_annual)
    for slow, fast in _pile_counts(instance):
        if slow + fast > cap:
            break
        if w * (slow + fast) * cheapest_pile >= best[0]:
            break  # no larger station can be cheaper: the queue term is >= 0
        if (slow * p.slow_pile_kw + fast * p.fast_pile_kw) * p.kva_per_kw > p.max_station_kva:
            if instance.split == "fixed":
                break  # kVA grows with the pile count
            continue
        wait = 0.0
        if lam_slow > 0:
            wait += p.slow_share * mmc_wait(slow, lam_slow, p.slow_charge_hours)
        if lam_fast > 0:
            wait += p.fast_share * mmc_wait(fast, lam_fast, p.fast_charge_hours)
        if not wait <= p.max_wait_hours:
            continue
        cost = (w * (slow * slow_annual + fast * fast_annual)
                + (1 - w) * DAYS_PER_YEAR * p.value_of_time / YUAN_PER_UNIT * wait * load)
        if cost < best[0]:
            best = (cost, slow, fast, wait)
    return best


def plan_costs(instance: SitingInstance, is_open, max_piles: int | None = None, designs: dict | None = None) -> dict:
    """Every cost of the plan ``is_open`` (eqs. 1-20), unweighted and weighted.

    Returns a dict with ``investment`` (F1), ``user`` (F2), ``objective`` (w F1 + (1-w) F2,
    without penalties), ``assigned_site`` (-1 for a point with no open site in range),
    ``slow``/``fast`` piles and ``wait`` per site, and ``violations`` (count: points out of
    range, stations over the wait limit, a wrong number of stations, spacing).
    """
    p = instance.parameters
    designs = {} if designs is None else designs  # station designs by load, shared across calls
    is_open = np.asarray(is_open, dtype=bool)
    n, m = instance.num_points, instance.num_sites
    crf = p.capital_recovery
    slow_op, fast_op = p.operating_cost_per_pile
    assigned = np.full(n, -1)
    load = np.zeros(m)
    violations = 0
    travel = 0.0
    unserved, overloaded, spacing, count_gap = [], [], 0, 0
    for i in range(n):
        candidates = [j for j in range(m) if is_open[j] and instance.distance_km[i, j] <= instance.max_distance_km]
        if not candidates:
            violations += 1
            unserved.append(i)
            continue
        j = min(candidates, key=lambda s: (instance.distance_km[i, s], s))
        assigned[i] = j
        load[j] += instance.demand_per_day[i]
        travel += p.user_cost_per_vehicle_km * instance.demand_per_day[i] * instance.distance_km[i, j]
    slow = np.zeros(m, dtype=int)
    fast = np.zeros(m, dtype=int)
    wait = np.zeros(m)
    investment = 0.0
    queueing = 0.0
    for j in np.flatnonzero(is_open):
        if load[j] not in designs:
            designs[load[j]] = station_design(instance, load[j], max_piles)
        _, slow[j], fast[j], wait[j] = designs[load[j]]
        if slow[j] < 0:
            violations += 1
            overloaded.append(j)
            slow[j] = fast[j] = 0
            continue
        investment += crf * (instance.land_cost[j] + p.station_facilities
                             + slow[j] * (p.slow_pile_price + p.infrastructure_per_pile)
                             + fast[j] * (p.fast_pile_price + p.infrastructure_per_pile))
        investment += slow[j] * slow_op + fast[j] * fast_op
        queueing += p.queue_cost_per_vehicle_hour * wait[j] * load[j]
    if is_open.any():
        investment += p.fixed_operating_cost
    if instance.stations is not None:
        count_gap = abs(int(is_open.sum()) - instance.stations)
    if instance.service_range_km is not None:
        r = instance.service_range_km
        d = instance.site_distance_km
        opened = list(np.flatnonzero(is_open))
        spacing = sum(1 for a, b in itertools.combinations(opened, 2) if d[a, b] < r)
        if len(opened) > 1:
            spacing += sum(1 for a in opened if min(d[a, b] for b in opened if b != a) > 2 * r)
    violations += count_gap + spacing
    user = travel + queueing
    w = p.investment_weight
    return {"investment": investment, "user": user, "objective": w * investment + (1 - w) * user,
            "assigned_site": assigned, "slow": slow, "fast": fast, "wait": wait, "load": load,
            "violations": violations, "unserved": unserved, "overloaded": overloaded, "spacing": spacing,
            "count_gap": count_gap}


def penalised_objective(instance: SitingInstance, is_open, penalty: float = 5.0e7, designs: dict | None = None):
    """What the searches minimise: ``w F1 + (1 - w) F2`` plus penalties (``_evaluate`` docstring).

    A point out of range costs ``penalty (1 + P_i / total)``; a station no design can serve
    costs its fixed part plus ``penalty (1 + L_j / total)``; each missing or extra station
    and each spacing violation ``penalty``.
    """
    p = instance.parameters
    costs = plan_costs(instance, is_open, designs=designs)
    total = max(float(instance.demand_per_day.sum()), 1.0)
    value = costs["objective"]
    for i in costs["unserved"]:
        value += penalty * (1 + instance.demand_per_day[i] / total)
    for j in costs["overloaded"]:
        value += (p.investment_weight * p.capital_recovery * (instance.land_cost[j] + p.station_facilities)
                  + penalty * (1 + costs["load"][j] / total))
    return value + penalty * (costs["count_gap"] + costs["spacing"])


# --------------------------------------------------------------------------- the searches, plainly
# Each draws the same uniforms in the same order as its kernel (rng = RandomStream(seed),
# the kernels' generator), so both follow the same path; objectives are full re-evaluations.


def _random_site(rng, is_open, want_open: bool) -> int:
    sites = [j for j in range(len(is_open)) if bool(is_open[j]) == want_open]
    return sites[random_index_reference(rng, len(sites))]


def _random_plan(rng, m: int, required: int) -> np.ndarray:
    plan = np.zeros(m, np.int8)
    for _ in range(required if required >= 0 else max(1, m // 2)):
        plan[_random_site(rng, plan, False)] = 1
    return plan


def _flipped(plan, *sites):
    out = plan.copy()
    for j in sites:
        out[j] ^= 1
    return out


def _search_setup(instance: SitingInstance, seed: int, penalty: float):
    """Generator, objective (designs memoised), number of sites and required count of a search."""
    designs = {}

    def value_of(plan):
        return penalised_objective(instance, plan, penalty, designs)

    return (RandomStream(seed), value_of, instance.num_sites,
            -1 if instance.stations is None else instance.stations)


def local_descent_reference(instance: SitingInstance, plan, value_of):
    """Best-improvement descent over flips (free count) and swaps, as ``_search.local_descent``."""
    plan = plan.copy()
    required = -1 if instance.stations is None else instance.stations
    current = value_of(plan)
    while True:
        best_gain, move = -1e-9 * max(1.0, abs(current)), None
        if required < 0:
            for j in range(len(plan)):
                gain = value_of(_flipped(plan, j)) - current
                if gain < best_gain:
                    best_gain, move = gain, (j,)
        for a in np.flatnonzero(plan):
            for b in np.flatnonzero(plan == 0):
                gain = value_of(_flipped(plan, a, b)) - current
                if gain < best_gain:
                    best_gain, move = gain, (a, b)
        if move is None:
            return plan, current
        plan = _flipped(plan, *move)
        current = value_of(plan)


def anneal_reference(instance: SitingInstance, seed: int, initial_temperature: float, cooling: float,
                     temperature_steps: int, moves_per_step: int, polish: bool, penalty: float = 5.0e7):
    """Plain simulated annealing, the twin of ``_search.anneal``; returns (best value, best plan)."""
    rng, value_of, m, required = _search_setup(instance, seed, penalty)
    plan = _random_plan(rng, m, required)
    current = value_of(plan)
    best, best_plan = current, plan.copy()
    for step in range(temperature_steps):
        temperature = geometric_temperature_reference(initial_temperature, cooling, step)
        for _ in range(moves_per_step):
            opened = int(plan.sum())
            if required < 0 and (rng.random_sample() < 0.5 or opened in (0, m)):
                candidate = _flipped(plan, random_index_reference(rng, m))
            elif opened in (0, m):
                continue
            else:
                close_site = _random_site(rng, plan, True)
                open_site = _random_site(rng, plan, False)
                candidate = _flipped(plan, close_site, open_site)
            value = value_of(candidate)
            if metropolis_accept_reference(rng, value - current, temperature):
                plan, current = candidate, value
                if current < best - 1e-12 * abs(best):
                    best, best_plan = current, plan.copy()
    if polish:
        polished, value = local_descent_reference(instance, best_plan, value_of)
        if value < best:
            best, best_plan = value, polished
    return best, best_plan


def genetic_reference(instance: SitingInstance, seed: int, population_size: int, generations: int, elite_count: int,
                      crossover_rate: float, mutation_rate: float, penalty: float = 5.0e7):
    """Plain generational GA, the twin of ``_search.genetic`` (without the final polish)."""
    rng, value_of, m, required = _search_setup(instance, seed, penalty)
    population = [_random_plan(rng, m, required) for _ in range(population_size)]
    values = [value_of(plan) for plan in population]
    best_index = int(np.argmin(values))
    best, best_plan = values[best_index], population[best_index].copy()
    for _ in range(generations):
        ranking = np.argsort(values, kind="mergesort")
        offspring = [population[ranking[k]].copy() for k in range(elite_count)]
        for _ in range(elite_count, population_size):
            a = tournament_select_reference(rng, values, 2)
            if rng.random_sample() < crossover_rate:
                b = tournament_select_reference(rng, values, 2)
                child = np.array(uniform_crossover_reference(rng, population[a], population[b]), dtype=np.int8)
            else:
                child = population[a].copy()
            if rng.random_sample() < mutation_rate:
                opened = int(child.sum())
                if required < 0 or opened in (0, m):
                    child[random_index_reference(rng, m)] ^= 1
                else:
                    to_open = _random_site(rng, child, False)
                    to_close = _random_site(rng, child, True)
                    child[to_close], child[to_open] = 0, 1
            _repair_count(rng, child, required)
            offspring.append(child)
        population = offspring
        values = [value_of(plan) for plan in population]
        for plan, value in zip(population, values):
            if value < best:
                best, best_plan = value, plan.copy()
    return best, best_plan


def _repair_count(rng, plan, required: int) -> None:
    if required < 0:
        if plan.sum() == 0:
            plan[random_index_reference(rng, len(plan))] = 1
        return
    while plan.sum() > required:
        plan[_random_site(rng, plan, True)] = 0
    while plan.sum() < required:
        plan[_random_site(rng, plan, False)] = 1


def ant_colony_reference(instance: SitingInstance, seed: int, ants: int, iterations: int, evaporation: float,
                         initial_pheromone: float, exploit_probability: float, min_pheromone: float,
                         polish: bool, penalty: float = 5.0e7):
    """Plain binary ant colony, the twin of ``_search.ant_colony``."""
    rng, value_of, m, required = _search_setup(instance, seed, penalty)
    tau_open = np.full(m, float(initial_pheromone))
    tau_closed = np.full(m, float(initial_pheromone))
    best, best_plan = math.inf, np.zeros(m, np.int8)
    for _ in range(iterations):
        round_value, round_best = math.inf, None
        for _ant in range(ants):
            plan = np.zeros(m, np.int8)
            if required < 0:
                for j in range(m):
                    if rng.random_sample() < exploit_probability:
                        plan[j] = 1 if tau_open[j] > tau_closed[j] else 0
                    else:
                        plan[j] = 1 if rng.random_sample() * (tau_open[j] + tau_closed[j]) < tau_open[j] else 0
                if plan.sum() == 0:
                    plan[random_index_reference(rng, m)] = 1
            else:
                for _ in range(required):
                    weights = [0.0 if plan[j] else tau_open[j] for j in range(m)]
                    if rng.random_sample() < exploit_probability:
                        pick = int(np.argmax(weights))
                    else:
                        pick = roulette_select_reference(rng, weights)
                    plan[pick] = 1
            value = value_of(plan)
            if value < round_value:
                round_value, round_best = value, plan
        if polish:
            round_best, round_value = local_descent_reference(instance, round_best, value_of)
        if round_value < best:
            best, best_plan = round_value, round_best.copy()
        tau_open = np.maximum(min_pheromone, (1 - evaporation) * tau_open + best_plan)
        tau_closed = np.maximum(min_pheromone, (1 - evaporation) * tau_closed + 1 - best_plan)
    return best, best_plan


def enumerate_best(instance: SitingInstance, max_piles: int | None = None):
    """Best violation-free plan over all subsets of sites (``itertools``); ``(objective, plan)``."""
    m = instance.num_sites
    best = (math.inf, None)
    designs = {}
    for bits in itertools.product((0, 1), repeat=m):
        if not any(bits):
            continue
        costs = plan_costs(instance, bits, max_piles, designs)
        if costs["violations"] == 0 and costs["objective"] < best[0]:
            best = (costs["objective"], np.array(bits, dtype=np.int8))
    return best
