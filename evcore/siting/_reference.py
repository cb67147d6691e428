"""Plain-Python twins of the siting kernels, written straight from the paper's equations.

Slow and obvious on purpose: tests check the compiled kernels (:mod:`evcore.siting._kernels`)
against these on small instances. Erlang C uses its textbook sum (eqs. 12-16), not the
recursion the compiled code calls.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .model import DAYS_PER_YEAR, YUAN_PER_UNIT, SitingInstance

__all__ = ["mmc_wait", "station_design", "plan_costs", "enumerate_best"]


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
    for i in range(n):
        candidates = [j for j in range(m) if is_open[j] and instance.distance_km[i, j] <= instance.max_distance_km]
        if not candidates:
            violations += 1
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
        violations += abs(int(is_open.sum()) - instance.stations)
    if instance.service_range_km is not None:
        r = instance.service_range_km
        d = instance.site_distance_km
        opened = list(np.flatnonzero(is_open))
        violations += sum(1 for a, b in itertools.combinations(opened, 2) if d[a, b] < r)
        if len(opened) > 1:
            violations += sum(1 for a in opened if min(d[a, b] for b in opened if b != a) > 2 * r)
    user = travel + queueing
    w = p.investment_weight
    return {"investment": investment, "user": user, "objective": w * investment + (1 - w) * user,
            "assigned_site": assigned, "slow": slow, "fast": fast, "wait": wait, "load": load,
            "violations": violations}


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
