"""Plan evaluation (Numba): full evaluation, incremental flips, batches.

A plan is a 0/1 vector ``is_open`` over candidate sites. Everything else follows from it: each
point goes to its nearest open site within the anxiety range (``arrays.site_order[i]`` lists the
eligible sites of point ``i`` nearest first), each open station gets the cheapest pile design
for its load (:mod:`evcore.siting._design`), and the weighted objective adds up fixed site
costs, station costs, users' travel costs and penalties for violated constraints.

The search state is a :class:`PlanState` (preallocated arrays, updated in place):
``assigned_site`` (points,), -1 when a point has no open site in range; ``station_load``
(sites,) vehicles/day; ``station_cost`` (sites,) the weighted cost of each open station (fixed
part + design); ``totals = [objective, violations, open count, spacing violations]``; and the
scratch of a pending move. A flip of one site touches only the points that list it
(``arrays.near_start``/``near_points``), so a move costs work proportional to those points.

Plain twins of the definitions live in :mod:`evcore.siting._reference`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from ..heuristics.clock import now_jit
from ._arrays import DesignParameters, SitingArrays
from ._design import design_cost

__all__ = ["PlanState", "new_state", "evaluate_plan", "flip_delta", "apply_flip", "discard_flip", "flip",
           "evaluate_batch", "evaluate_many", "move_throughput", "BATCH_BLOCKS"]

# totals[] layout
OBJECTIVE, VIOLATIONS, OPEN_COUNT, SPACING = 0, 1, 2, 3

#: Plans per block when a batch is evaluated in parallel: blocks are fixed (not per thread), so
#: results never depend on the thread count.
BATCH_BLOCKS = 8


class PlanState(NamedTuple):
    """A plan and everything derived from it, plus the scratch of one pending move."""

    is_open: np.ndarray        # int8 (m,)
    assigned_site: np.ndarray  # int64 (n,), -1 = no open site in range
    station_load: np.ndarray   # float64 (m,), vehicles/day
    station_cost: np.ndarray   # float64 (m,), weighted cost of each open station
    totals: np.ndarray         # float64 (4,): objective, violations, open count, spacing violations
    moved_point: np.ndarray    # int64 (n,): points a pending flip moves
    moved_to: np.ndarray       # int64 (n,): their new sites (-1 = unserved)
    touched: np.ndarray        # int64 (m + 1,): stations whose load a pending flip changes
    load_change: np.ndarray    # float64 (m,): their load changes (sites-indexed, kept at 0 between moves)
    touched_cost: np.ndarray   # float64 (m + 1,): their new costs
    counts: np.ndarray         # int64 (4,): moves, touched, violation change, new spacing count
    scratch: np.ndarray        # float64 (4,): station-design output


@njit(cache=True)
def new_state(arrays):
    """A fresh :class:`PlanState` (nothing open, nothing evaluated)."""
    n = arrays.demand.shape[0]
    m = arrays.assign_cost.shape[1]
    return PlanState(np.zeros(m, np.int8), np.full(n, -1, np.int64), np.zeros(m), np.zeros(m), np.zeros(4),
                     np.empty(n, np.int64), np.empty(n, np.int64), np.empty(m + 1, np.int64), np.zeros(m),
                     np.empty(m + 1), np.zeros(4, np.int64), np.empty(4))


@njit(cache=True)
def station_term(site_fixed, penalty, total_demand, design, memo, site, load, scratch):
    """Objective contribution of an open station and its violation count (0 or 1).

    A load no design can serve within the wait limit costs ``penalty`` scaled up with the
    load's share of total demand, so that the search still prefers splitting it.
    """
    value = design_cost(load, design, memo, scratch)
    if math.isinf(value):
        return site_fixed[site] + penalty * (1.0 + load / total_demand), 1
    return site_fixed[site] + value, 0


@njit(cache=True)
def unserved_term(penalty, demand, total_demand):
    """Penalty of a demand point (of ``demand`` vehicles/day) with no open station in range."""
    return penalty * (1.0 + demand / total_demand)


@njit(cache=True)
def spacing_violations(is_open, site_distance, service_range):
    """Pairs of open stations closer than ``r`` plus open stations whose nearest open
    neighbour is farther than ``2 r`` (§2.3); 0 when ``service_range <= 0`` (switched off)."""
    if service_range <= 0.0:
        return 0
    m = is_open.shape[0]
    count = 0
    opened = 0
    for a in range(m):
        if is_open[a]:
            opened += 1
    for a in range(m):
        if not is_open[a]:
            continue
        nearest = math.inf
        for b in range(m):
            if b != a and is_open[b]:
                distance = site_distance[a, b]
                if distance < nearest:
                    nearest = distance
                if b > a and distance < service_range:
                    count += 1
        if opened > 1 and nearest > 2.0 * service_range:
            count += 1
    return count


@njit(cache=True)
def evaluate_plan(arrays, is_open, state):
    """Evaluate ``is_open`` from scratch into ``state`` (``state.is_open`` becomes a copy of it)."""
    # fields are read into locals once: each read of an array field is a reference-count update
    demand, site_order, order_length = arrays.demand, arrays.site_order, arrays.order_length
    assign_cost, site_fixed, memo, design = arrays.assign_cost, arrays.site_fixed, arrays.memo, arrays.design
    penalty, total_demand = arrays.penalty, arrays.total_demand
    own_open, assigned, load, cost, totals = (state.is_open, state.assigned_site, state.station_load,
                                              state.station_cost, state.totals)
    scratch = state.scratch
    n = demand.shape[0]
    m = is_open.shape[0]
    objective = 0.0
    violations = 0
    opened = 0
    for j in range(m):
        own_open[j] = is_open[j]
        load[j] = 0.0
        cost[j] = 0.0
        if is_open[j]:
            opened += 1
    for i in range(n):
        chosen = -1
        for r in range(order_length[i]):
            if is_open[site_order[i, r]]:
                chosen = site_order[i, r]
                break
        assigned[i] = chosen
        if chosen < 0:
            objective += unserved_term(penalty, demand[i], total_demand)
            violations += 1
        else:
            load[chosen] += demand[i]
            objective += assign_cost[i, chosen]
    for j in range(m):
        if is_open[j]:
            value, bad = station_term(site_fixed, penalty, total_demand, design, memo, j, load[j], scratch)
            cost[j] = value
            objective += value
            violations += bad
    if opened > 0:
        objective += arrays.fixed_network
    required = arrays.required_open
    if required >= 0 and opened != required:
        objective += penalty * abs(opened - required)
        violations += abs(opened - required)
    spacing = spacing_violations(is_open, arrays.site_distance, arrays.service_range)
    objective += penalty * spacing
    violations += spacing
    totals[OBJECTIVE] = objective
    totals[VIOLATIONS] = violations
    totals[OPEN_COUNT] = opened
    totals[SPACING] = spacing


@njit(cache=True)
def _touch(touched, load_change, site, n_touched, flipped):
    """Add ``site`` to the touched stations (once); returns the new count."""
    if load_change[site] == 0.0 and site != flipped:
        for t in range(n_touched):
            if touched[t] == site:
                return n_touched
        touched[n_touched] = site
        return n_touched + 1
    return n_touched


@njit(cache=True)
def flip_delta(arrays, site, state):
    """Objective change of opening/closing ``site``, without changing the plan.

    Fills the move description for :func:`apply_flip`: ``moved_point[:counts[0]]`` go to
    ``moved_to`` (-1 = unserved); ``touched[:counts[1]]`` stations get load change
    ``load_change[s]`` (sites-indexed, reset by ``apply_flip``/``discard_flip``) and new cost
    ``touched_cost[t]``; ``counts[2]`` is the change in violations and ``counts[3]`` the new
    spacing count. Work is proportional to the points listing ``site`` plus, with spacing on,
    the open sites.
    """
    demand, site_order, order_length, site_rank = (arrays.demand, arrays.site_order, arrays.order_length,
                                                   arrays.site_rank)
    near_start, near_points, assign_cost = arrays.near_start, arrays.near_points, arrays.assign_cost
    site_fixed, memo, design = arrays.site_fixed, arrays.memo, arrays.design
    penalty, total_demand = arrays.penalty, arrays.total_demand
    is_open, assigned, station_load, station_cost, totals = (state.is_open, state.assigned_site,
                                                             state.station_load, state.station_cost, state.totals)
    moved_point, moved_to, touched, load_change = state.moved_point, state.moved_to, state.touched, state.load_change
    touched_cost, counts, scratch = state.touched_cost, state.counts, state.scratch
    opening = is_open[site] == 0
    delta = 0.0
    dviol = 0
    moves = 0
    for k in range(near_start[site], near_start[site + 1]):
        i = near_points[k]
        current = assigned[i]
        if opening:
            if current < 0 or site_rank[i, site] < site_rank[i, current]:
                moved_point[moves] = i
                moved_to[moves] = site
                moves += 1
        elif current == site:
            chosen = -1
            for r in range(site_rank[i, site] + 1, order_length[i]):
                s = site_order[i, r]
                if is_open[s]:
                    chosen = s
                    break
            moved_point[moves] = i
            moved_to[moves] = chosen
            moves += 1
    n_touched = 1
    touched[0] = site
    for k in range(moves):
        i = moved_point[k]
        old = assigned[i]
        new = moved_to[k]
        if old < 0:
            delta -= unserved_term(penalty, demand[i], total_demand)
            dviol -= 1
        else:
            delta -= assign_cost[i, old]
            n_touched = _touch(touched, load_change, old, n_touched, site)
            load_change[old] -= demand[i]
        if new < 0:
            delta += unserved_term(penalty, demand[i], total_demand)
            dviol += 1
        else:
            delta += assign_cost[i, new]
            n_touched = _touch(touched, load_change, new, n_touched, site)
            load_change[new] += demand[i]
    for t in range(n_touched):
        s = touched[t]
        old_value = station_cost[s]
        old_bad = 0
        if is_open[s] and math.isinf(design_cost(station_load[s], design, memo, scratch)):
            old_bad = 1
        if s == site and not opening:
            new_value = 0.0
            new_bad = 0
        else:
            new_value, new_bad = station_term(site_fixed, penalty, total_demand, design, memo, s,
                                              station_load[s] + load_change[s], scratch)
        touched_cost[t] = new_value
        delta += new_value - old_value
        dviol += new_bad - old_bad
    opened = int(totals[OPEN_COUNT])
    new_open = opened + 1 if opening else opened - 1
    if opened == 0 and new_open == 1:
        delta += arrays.fixed_network
    elif opened == 1 and new_open == 0:
        delta -= arrays.fixed_network
    required = arrays.required_open
    if required >= 0:
        delta += penalty * (abs(new_open - required) - abs(opened - required))
        dviol += abs(new_open - required) - abs(opened - required)
    new_spacing = 0
    if arrays.service_range > 0.0:
        is_open[site] = 1 - is_open[site]
        new_spacing = spacing_violations(is_open, arrays.site_distance, arrays.service_range)
        is_open[site] = 1 - is_open[site]
        delta += penalty * (new_spacing - totals[SPACING])
        dviol += new_spacing - int(totals[SPACING])
    counts[0] = moves
    counts[1] = n_touched
    counts[2] = dviol
    counts[3] = new_spacing
    return delta


@njit(cache=True)
def apply_flip(site, delta, state):
    """Commit the move :func:`flip_delta` described."""
    counts, assigned, moved_point, moved_to = state.counts, state.assigned_site, state.moved_point, state.moved_to
    touched, load_change, station_load = state.touched, state.load_change, state.station_load
    station_cost, touched_cost, is_open, totals = state.station_cost, state.touched_cost, state.is_open, state.totals
    for k in range(counts[0]):
        assigned[moved_point[k]] = moved_to[k]
    for t in range(counts[1]):
        s = touched[t]
        station_load[s] += load_change[s]
        load_change[s] = 0.0
        station_cost[s] = touched_cost[t]
    opening = is_open[site] == 0
    is_open[site] = 1 if opening else 0
    if not opening:
        station_load[site] = 0.0
    totals[OBJECTIVE] += delta
    totals[VIOLATIONS] += counts[2]
    totals[OPEN_COUNT] += 1 if opening else -1
    totals[SPACING] = counts[3]


@njit(cache=True)
def discard_flip(state):
    """Forget a move :func:`flip_delta` described (resets the sparse load changes)."""
    touched, load_change = state.touched, state.load_change
    for t in range(state.counts[1]):
        load_change[touched[t]] = 0.0


@njit(cache=True)
def flip(arrays, site, state):
    """Open or close ``site``; returns the objective change."""
    delta = flip_delta(arrays, site, state)
    apply_flip(site, delta, state)
    return delta


@njit(cache=True)
def evaluate_batch(arrays, plans, out):
    """Objective of every row of ``plans`` (int8, shape (k, sites)) into ``out`` (k,)."""
    state = new_state(arrays)
    for k in range(plans.shape[0]):
        evaluate_plan(arrays, plans[k], state)
        out[k] = state.totals[OBJECTIVE]


@njit(cache=True, parallel=True)
def evaluate_many(arrays, plans, out):
    """:func:`evaluate_batch` in parallel over fixed blocks of rows, one search state per block.

    Station designs found on the way are memoised by whichever thread finds them first; every
    thread would write the same value, so the result does not depend on the thread count.
    """
    count = plans.shape[0]
    blocks = min(BATCH_BLOCKS, count)
    # Numba's parallel loops cannot capture a nested named tuple: hoist the fields, rebuild inside.
    (demand, site_order, order_length, site_rank, near_start, near_points, assign_cost, site_fixed, fixed_network,
     penalty, site_distance, service_range, required_open, total_demand, design, memo) = arrays
    (d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12, d13, d14, d15) = design
    for block in prange(blocks):
        local = SitingArrays(demand, site_order, order_length, site_rank, near_start, near_points, assign_cost,
                             site_fixed, fixed_network, penalty, site_distance, service_range, required_open,
                             total_demand, DesignParameters(d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12,
                                                            d13, d14, d15), memo)
        state = new_state(local)
        for k in range(block * count // blocks, (block + 1) * count // blocks):
            evaluate_plan(local, plans[k], state)
            out[k] = state.totals[OBJECTIVE]


@njit(cache=True)
def move_throughput(arrays, plan, sites, incremental):
    """Evaluate the flips of ``sites`` from ``plan`` (kept only when improving), for the benchmark.

    ``incremental``: with :func:`flip_delta`; otherwise each move re-evaluates the plan from
    scratch. Returns the seconds spent.
    """
    state = new_state(arrays)
    evaluate_plan(arrays, plan, state)
    work = plan.copy()
    start = now_jit()
    for site in sites:
        if incremental:
            delta = flip_delta(arrays, site, state)
            if delta < 0.0:
                apply_flip(site, delta, state)
            else:
                discard_flip(state)
        else:  # evaluate the flipped plan, then the plan kept (as a search without deltas must)
            before = state.totals[OBJECTIVE]
            work[site] ^= 1
            evaluate_plan(arrays, work, state)
            delta = state.totals[OBJECTIVE] - before
            if not delta < 0.0:
                work[site] ^= 1
            evaluate_plan(arrays, work, state)
    return now_jit() - start


def _tiny_arrays():
    """Kernel arrays of a 3-point instance (the types every solve passes)."""
    from ._arrays import kernel_arrays
    from .model import SitingInstance, SitingParameters

    instance = SitingInstance(demand_per_day=[10.0, 20.0, 5.0], distance_km=[[0, 1, 2], [1, 0, 1], [2, 1, 0]],
                              land_cost=[1.0, 1.0, 1.0], parameters=SitingParameters(max_piles=50))
    return kernel_arrays(instance)


def warm_up():
    """Compile every kernel of this module (and of ``_design``) on a tiny instance."""
    from . import _design

    arrays = _tiny_arrays()
    plans = np.ones((2, 3), np.int8)
    out = np.empty(2)
    evaluate_batch(arrays, plans, out)
    evaluate_many(arrays, plans, out)
    state = new_state(arrays)
    evaluate_plan(arrays, plans[0], state)
    flip(arrays, 1, state)
    discard_flip(state)
    move_throughput(arrays, plans[0], np.array([0, 1], np.int64), True)
    move_throughput(arrays, plans[0], np.array([0, 1], np.int64), False)
    _design.station_design(15.0, arrays.design, np.empty(4))
    _design.station_design(15.0, arrays.design._replace(optimise_split=True), np.empty(4))
