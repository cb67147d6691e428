"""Numba kernels of evcore.joint: trip counting, the paper's ADMM and pieces shared with the splitting
(whose own kernels are in :mod:`evcore.joint._splitting_kernels`).

Array contract (validated once in :class:`~evcore.joint.model.JointInstance`; kernels trust it):
slot-major arrays ``demand_kw[t, i] = beta a[i, t]`` (kW), flows ``flow_kw[t, p] = beta z[t, p]``
(kW), prices ``price[t, i]`` (currency per kW), pairs sorted by origin with ``out_start``
(zones + 1,), arrivals listed by ``in_order``/``in_start``, ``delay[p]`` in slots (wrapping
around the week). Twins: :mod:`evcore.joint._reference`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# --------------------------------------------------------------------------- trip pipeline


@njit(cache=True)
def count_trips(zone, slot, valid, counts):
    """counts[i, t] += 1 for every valid trip (added to ``counts``, shape (zones, slots), so a table can
    be counted chunk by chunk)."""
    for r in range(zone.shape[0]):
        if valid[r]:
            counts[zone[r], slot[r]] += 1.0


@njit(cache=True)
def accumulate_pair_distance(origin, destination, distance_km, valid, total_km, trips):
    """Sum of observed distances and trip counts per unordered zone pair, added to ``total_km`` and
    ``trips`` (both (zones, zones), symmetric)."""
    for r in range(origin.shape[0]):
        if valid[r]:
            i = origin[r]
            j = destination[r]
            total_km[i, j] += distance_km[r]
            trips[i, j] += 1.0
            if i != j:
                total_km[j, i] += distance_km[r]
                trips[j, i] += 1.0


# --------------------------------------------------------------------------- shared pieces


@njit(cache=True, inline="always")
def _later(t, delay, slots):
    """(t + delay) mod slots for 0 <= t, delay < slots (cheaper than Python's modulo)."""
    s = t + delay
    return s - slots if s >= slots else s


@njit(cache=True, inline="always")
def _earlier(t, delay, slots):
    """(t - delay) mod slots for 0 <= t, delay < slots."""
    s = t - delay
    return s + slots if s < 0 else s


@njit(cache=True)
def _capped_simplex_project(values, start, stop, cap):
    """Euclidean projection of values[start:stop] onto {v >= 0, sum v <= cap}, in place.

    Michelot's method: the shift theta solves sum max(v - theta, 0) = cap; starting below it,
    theta <- (sum of the entries above theta - cap) / their count rises monotonically and stops
    when that set no longer shrinks (a few passes, no sort, no allocation).
    """
    total = 0.0
    positive = 0
    for p in range(start, stop):
        if values[p] < 0.0:
            values[p] = 0.0
        elif values[p] > 0.0:
            total += values[p]
            positive += 1
    if total <= cap:
        return
    if cap <= 0.0:
        for p in range(start, stop):
            values[p] = 0.0
        return
    theta = (total - cap) / positive
    count = positive
    while True:
        above = 0.0
        m = 0
        for p in range(start, stop):
            if values[p] > theta:
                above += values[p]
                m += 1
        if m >= count or m == 0:  # (m > count or 0 only by rounding: theta is already the root)
            break
        count = m
        theta = (above - cap) / m
    for p in range(start, stop):
        v = values[p] - theta
        values[p] = v if v > 0.0 else 0.0


@njit(cache=True)
def knapsack_minimum(gain, cost_per_kw, upper_kw, budget):
    """min sum gain_i c_i over {0 <= c <= upper, cost_per_kw @ c <= budget} (closed form, greedy).

    Returns (value, c). Items with negative gain are filled in order of gain per unit of budget.
    """
    n = gain.shape[0]
    ratio = np.empty(n)
    for i in range(n):
        ratio[i] = gain[i] / cost_per_kw[i]
    order = np.argsort(ratio)
    c = np.zeros(n)
    left = budget
    value = 0.0
    for k in range(n):
        i = order[k]
        if gain[i] >= 0.0 or left <= 0.0:
            break
        amount = min(upper_kw[i], left / cost_per_kw[i])
        c[i] = amount
        left -= amount * cost_per_kw[i]
        value += gain[i] * amount
    return value, c



# --------------------------------------------------------------------------- the paper's ADMM


@njit(cache=True)
def shed_capacity_minimum(breakpoints_kw, shed_cost_per_kw, linear, rho, anchor, lower, upper):
    """argmin over lower <= c <= upper of
    linear c + sum_t shed_cost_t max(0, breakpoint_t - c) + rho/2 (c - anchor)^2 (closed form).

    The derivative ``linear - sum_{b_t > c} shed_cost_t + rho (c - anchor)`` increases with c; it is
    piecewise linear between sorted breakpoints, so the root is found in one sweep.
    """
    order = np.argsort(breakpoints_kw)[::-1]
    n = order.shape[0]
    slope_sum = 0.0
    for t in range(n):
        slope_sum += shed_cost_per_kw[t]
    # Walk down from the right: on (b_(k+1), b_(k)] the active set is the k largest breakpoints.
    active = 0.0
    root = anchor - linear / rho  # above every breakpoint
    found = False
    for k in range(n + 1):
        high = np.inf if k == 0 else breakpoints_kw[order[k - 1]]
        low = -np.inf if k == n else breakpoints_kw[order[k]]
        candidate = anchor + (active - linear) / rho
        if candidate > high:  # the derivative changes sign at the kink high
            root = high
            found = True
            break
        if candidate >= low:
            root = candidate
            found = True
            break
        if k < n:
            active += shed_cost_per_kw[order[k]]
    if not found:
        root = anchor + (active - linear) / rho
    return min(max(root, lower), upper)


@njit(cache=True, parallel=True)
def paper_location_step(capacity_aux, multiplier, inflow_kw, demand_kw, cost_per_kw, recurrences, cheapest_cost,
                        has_arc, upper_kw, rho, capacity_out, shed_kw):
    """Location sub-problems (11) of Algorithm 1, all locations in parallel, in closed form.

    For a fixed c_i the cheapest way to meet (4) is to shed max(0, D_ti + in_ti - c_i) kW along
    the cheapest arc of i; the sub-problem is then one-dimensional and piecewise quadratic.
    Writes capacity_out (zones,) and shed_kw (slots, zones).
    """
    slots, zones = demand_kw.shape
    for i in prange(zones):
        breakpoints = np.empty(slots)
        shed_cost = np.empty(slots)
        lower = 0.0
        for t in range(slots):
            breakpoints[t] = demand_kw[t, i] + inflow_kw[t, i]
            shed_cost[t] = recurrences[t] * cheapest_cost[i]
            floor = inflow_kw[t, i] if has_arc[i] else breakpoints[t]
            if floor > lower:
                lower = floor
        upper = max(upper_kw[i], lower)
        c = shed_capacity_minimum(breakpoints, shed_cost, cost_per_kw[i] - multiplier[i], rho,
                                  capacity_aux[i], lower, upper)
        capacity_out[i] = c
        for t in range(slots):
            shed = breakpoints[t] - c
            shed_kw[t, i] = shed if shed > 0.0 else 0.0


def warm_up():
    """Compile every kernel on a tiny instance."""
    zones, slots = 3, 4
    demand = np.ones((slots, zones))
    rec = np.ones(slots)
    fc = np.ones(3)
    cost = np.ones(zones)
    upper = np.full(zones, 10.0)
    count_trips(np.zeros(2, np.int64), np.zeros(2, np.int64), np.ones(2, np.bool_), np.zeros((zones, slots)))
    accumulate_pair_distance(np.zeros(2, np.int64), np.ones(2, np.int64), np.ones(2), np.ones(2, np.bool_),
                             np.zeros((zones, zones)), np.zeros((zones, zones)))
    knapsack_minimum(-np.ones(zones), cost, upper, 1.0)
    shed_capacity_minimum(np.ones(slots), np.ones(slots), 0.5, 0.1, 1.0, 0.0, 5.0)
    paper_location_step(np.ones(zones), np.zeros(zones), np.zeros((slots, zones)), demand, cost, rec, fc,
                        np.ones(zones, np.bool_), upper, 0.1, np.zeros(zones), np.zeros((slots, zones)))
