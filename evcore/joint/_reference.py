"""Plain numpy twins of :mod:`evcore.joint._kernels` (readable, slow; used by the tests)."""

from __future__ import annotations

import numpy as np


def count_trips(zone, slot, valid, zones, slots):
    counts = np.zeros((zones, slots))
    np.add.at(counts, (zone[valid], slot[valid]), 1.0)
    return counts


def accumulate_pair_distance(origin, destination, distance_km, valid, zones):
    total = np.zeros((zones, zones))
    trips = np.zeros((zones, zones))
    o, d, km = origin[valid], destination[valid], distance_km[valid]
    np.add.at(total, (o, d), km)
    np.add.at(trips, (o, d), 1.0)
    off = o != d
    np.add.at(total, (d[off], o[off]), km[off])
    np.add.at(trips, (d[off], o[off]), 1.0)
    return total, trips


def capped_simplex_project(values, cap):
    """Projection onto {v >= 0, sum v <= cap} by bisection on the shift."""
    clipped = np.maximum(values, 0.0)
    if clipped.sum() <= cap:
        return clipped
    low, high = 0.0, float(values.max())
    for _ in range(200):
        theta = 0.5 * (low + high)
        if np.maximum(values - theta, 0.0).sum() > cap:
            low = theta
        else:
            high = theta
    return np.maximum(values - high, 0.0)


def slot_loads(flow_kw, demand_kw, origin, destination, delay):
    slots = flow_kw.shape[0]
    load = demand_kw.copy()
    for p in range(flow_kw.shape[1]):
        load[:, origin[p]] -= flow_kw[:, p]
        arrive = (np.arange(slots) + delay[p]) % slots
        np.add.at(load[:, destination[p]], arrive, flow_kw[:, p])
    return load


def capacity_projection(values, cost_per_kw, upper_kw, budget):
    def spend(theta):
        return cost_per_kw @ np.clip(values - theta * cost_per_kw, 0.0, upper_kw)

    if spend(0.0) <= budget:
        return np.clip(values, 0.0, upper_kw)
    low, high = 0.0, float(np.max(values / cost_per_kw))
    for _ in range(200):
        theta = 0.5 * (low + high)
        low, high = (theta, high) if spend(theta) > budget else (low, theta)
    return np.clip(values - high * cost_per_kw, 0.0, upper_kw)


def lagrangian_bound(price, demand_kw, flow_cost_per_kw, recurrences, origin, destination, delay, out_start,
                     cost_per_kw, upper_kw, budget):
    """Same bound as the kernel, with the capacity part solved by scipy's linprog."""
    from scipy.optimize import linprog

    slots, zones = price.shape
    value = float((price * demand_kw).sum())
    for t in range(slots):
        arrive = (t + delay) % slots
        reduced = recurrences[t] * flow_cost_per_kw - price[t, origin] + price[arrive, destination]
        for i in range(zones):
            arcs = reduced[out_start[i]:out_start[i + 1]]
            value += demand_kw[t, i] * min(0.0, arcs.min() if arcs.size else 0.0)
    gain = cost_per_kw - price.sum(axis=0)
    res = linprog(gain, A_ub=cost_per_kw[None, :], b_ub=[budget],
                  bounds=list(zip(np.zeros(zones), upper_kw)), method="highs")
    return value + res.fun, gain


def shed_capacity_minimum(breakpoints_kw, shed_cost_per_kw, linear, rho, anchor, lower, upper, grid=200001):
    """Brute force on a fine grid refined by a golden-section search."""
    def phi(c):
        return (linear * c + shed_cost_per_kw @ np.maximum(breakpoints_kw - c, 0.0) + 0.5 * rho * (c - anchor) ** 2)

    xs = np.linspace(lower, upper, grid)
    values = np.array([phi(x) for x in xs]) if grid < 2000 else (
        linear * xs + np.maximum(breakpoints_kw[None, :] - xs[:, None], 0.0) @ shed_cost_per_kw
        + 0.5 * rho * (xs - anchor) ** 2)
    k = int(np.argmin(values))
    a, b = xs[max(k - 1, 0)], xs[min(k + 1, grid - 1)]
    g = (np.sqrt(5) - 1) / 2
    for _ in range(200):
        c1, c2 = b - g * (b - a), a + g * (b - a)
        if phi(c1) <= phi(c2):
            b = c2
        else:
            a = c1
    return 0.5 * (a + b)


def flow_step(flow_kw, price, recurrences, flow_cost_per_kw, origin, destination, delay, out_start, demand_kw, step):
    slots, zones = demand_kw.shape
    out = np.empty_like(flow_kw)
    for t in range(slots):
        arrive = (t + delay) % slots
        gradient = recurrences[t] * flow_cost_per_kw - price[t, origin] + price[arrive, destination]
        moved = flow_kw[t] - step * gradient
        for i in range(zones):
            a, b = out_start[i], out_start[i + 1]
            if b > a:
                out[t, a:b] = capped_simplex_project(moved[a:b], demand_kw[t, i])
    return out


def price_step(price, capacity_bar, flow_bar, demand_kw, origin, destination, delay, step_per_zone):
    load = slot_loads(flow_bar, demand_kw, origin, destination, delay)
    return np.maximum(price + step_per_zone[None, :] * (load - capacity_bar[None, :]), 0.0)


def lagrangian_bound_eliminated(price, demand_kw, flow_cost_per_kw, recurrences, origin, destination, delay):
    """q(mu) = sum_{t,i} D_ti min(mu_ti, min over arcs i -> j of E_t L / beta + mu_(t + tau), j)."""
    slots = price.shape[0]
    best = price.copy()
    for p in range(origin.shape[0]):
        arrive = (np.arange(slots) + delay[p]) % slots
        best[:, origin[p]] = np.minimum(best[:, origin[p]], recurrences * flow_cost_per_kw[p] + price[arrive,
                                                                                                       destination[p]])
    return float((demand_kw * best).sum())


def dual_ascent_sweep(price, demand_kw, recurrences, flow_cost_per_kw, origin, destination, delay, cost_per_kw):
    """Plain twin of the kernel: for each location in turn, maximise the bound over its own week of
    prices (others fixed) by filling the steepest pieces of its per-slot concave value first."""
    price = price.copy()
    slots, zones = price.shape
    arcs = np.arange(origin.shape[0])

    def cheapest(t, h, skip):
        values = [recurrences[t] * flow_cost_per_kw[q] + price[(t + delay[q]) % slots, destination[q]]
                  for q in arcs[origin == h] if q != skip]
        return min(values, default=np.inf)

    for i in range(zones):
        cap = cost_per_kw[i]
        pieces = {t: [] for t in range(slots)}  # slot -> [(threshold, weight)]
        for t in range(slots):
            x = min(cheapest(t, i, -1), cap)
            if demand_kw[t, i] > 0 and x > 0:
                pieces[t].append((x, demand_kw[t, i]))
        for p in arcs[destination == i]:
            h = origin[p]
            for t in range(slots):
                x = min(min(price[t, h], cheapest(t, h, p)) - recurrences[t] * flow_cost_per_kw[p], cap)
                if demand_kw[t, h] > 0 and x > 0:
                    pieces[(t + delay[p]) % slots].append((x, demand_kw[t, h]))
        segments = []  # (slope, length, slot), slopes decreasing within a slot
        for s, items in pieces.items():
            items.sort()
            above = sum(w for _, w in items)
            previous = 0.0
            for x, w in items:
                segments.append((above, x - previous, s))
                previous = x
                above -= w
        price[:, i] = 0.0
        budget = cap
        for slope, length, s in sorted(segments, key=lambda seg: -seg[0]):
            take = min(length, budget)
            price[s, i] += take
            budget -= take
    return price
