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


def project_bounded(values, cap, max_shift=np.inf):
    """Twin of ``_project_bounded``: max(v - theta, 0) with theta >= 0 the smallest shift making the sum
    <= cap, but at most max_shift (bisection). Returns (projected, theta)."""
    values = np.asarray(values, dtype=float)
    if np.maximum(values, 0.0).sum() <= cap or max_shift <= 0:
        return np.maximum(values, 0.0), 0.0
    low, high = 0.0, float(values.max())
    for _ in range(200):
        theta = 0.5 * (low + high)
        if np.maximum(values - theta, 0.0).sum() > cap:
            low = theta
        else:
            high = theta
    theta = min(high, max_shift)
    return np.maximum(values - theta, 0.0), theta


def loads(a, flow_kw):
    """load[t, i] = D - out + in (kW), arrivals wrapping around the week."""
    slots = flow_kw.shape[0]
    load = np.array(a.demand_kw, dtype=float)
    for p in range(flow_kw.shape[1]):
        load[:, a.origin[p]] -= flow_kw[:, p]
        arrive = (np.arange(slots) + a.delay[p]) % slots
        np.add.at(load[:, a.destination[p]], arrive, flow_kw[:, p])
    return load


def flow_step(a, flow_kw, price, step):
    """T(z): every (slot, origin) block's projected gradient step (no skipping)."""
    slots, zones = a.demand_kw.shape
    out = np.zeros_like(flow_kw)
    for t in range(slots):
        arrive = (t + a.delay) % slots
        gradient = a.recurrences[t] * a.flow_cost_per_kw - price[t, a.origin] + price[arrive, a.destination]
        moved = flow_kw[t] - step * gradient
        for i in range(zones):
            lo, hi = a.out_start[i], a.out_start[i + 1]
            if hi > lo:
                out[t, lo:hi] = capped_simplex_project(moved[lo:hi], a.demand_kw[t, i])
    return out


def price_prox(price, load_kw, step, cost_eff, max_shift):
    """Each location's column of price + step * load through :func:`project_bounded`."""
    out = np.zeros_like(price)
    for i in range(price.shape[1]):
        out[:, i], _ = project_bounded(price[:, i] + step[i] * load_kw[:, i], cost_eff[i], max_shift[i])
    return out


def budget_multiplier(values, step, cost, cap, budget):
    """lam >= 0 with sum_i k_i clip(theta_i(k_i (1 + lam)) / step_i, 0, cap_i) <= budget (equality when
    lam > 0), by bisection; ``values`` (slots, zones) are the points the prox is taken at."""
    def spend(lam):
        total = 0.0
        for i in range(values.shape[1]):
            _, theta = project_bounded(values[:, i], cost[i] * (1 + lam), step[i] * cap[i])
            total += cost[i] * theta / step[i]
        return total

    if spend(0.0) <= budget:
        return 0.0
    low, high = 0.0, 1.0
    while spend(high) > budget:
        low, high = high, 4 * high
    for _ in range(200):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if spend(mid) > budget else (low, mid)
    return high


def lagrangian_bound(a, price):
    """q(mu) = sum mu D + sum_{t,i} D_ti min(0, min_p r_tp) + min_{c} sum_i c_i (k_i - sum_t mu_ti) over
    {0 <= c <= upper, k c <= B}, the capacity part solved by scipy's linprog."""
    from scipy.optimize import linprog

    slots, zones = price.shape
    value = float((price * a.demand_kw).sum())
    for t in range(slots):
        arrive = (t + a.delay) % slots
        reduced = a.recurrences[t] * a.flow_cost_per_kw - price[t, a.origin] + price[arrive, a.destination]
        for i in range(zones):
            arcs = reduced[a.out_start[i]:a.out_start[i + 1]]
            value += a.demand_kw[t, i] * min(0.0, arcs.min() if arcs.size else 0.0)
    gain = a.cost_per_kw - price.sum(axis=0)
    budget = a.budget if np.isfinite(a.budget) else None
    res = linprog(gain, A_ub=None if budget is None else a.cost_per_kw[None, :], b_ub=None if budget is None
                  else [budget], bounds=list(zip(np.zeros(zones), a.upper_kw)), method="highs")
    return value + res.fun


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


def dual_ascent_sweep(a, price):
    """Plain twin of the kernel: for each location in turn, maximise the bound over its own week of
    prices (others fixed) by filling the steepest pieces of its per-slot concave value first, while
    k_i lasts, then the pieces steeper than its cap (uncapped: none)."""
    price = price.copy()
    slots, zones = price.shape
    arcs = np.arange(a.origin.shape[0])

    def cheapest(t, h, skip):
        values = [a.recurrences[t] * a.flow_cost_per_kw[q] + price[(t + a.delay[q]) % slots, a.destination[q]]
                  for q in arcs[a.origin == h] if q != skip]
        return min(values, default=np.inf)

    for i in range(zones):
        cap = a.cost_per_kw[i]
        penalty = a.max_capacity_kw[i]
        limit = cap if not np.isfinite(penalty) else np.inf
        pieces = {t: [] for t in range(slots)}  # slot -> [(threshold, weight)]
        for t in range(slots):
            x = min(cheapest(t, i, -1), limit)
            if a.demand_kw[t, i] > 0 and x > 0:
                pieces[t].append((x, a.demand_kw[t, i]))
        for p in arcs[a.destination == i]:
            h = a.origin[p]
            for t in range(slots):
                x = min(min(price[t, h], cheapest(t, h, p)) - a.recurrences[t] * a.flow_cost_per_kw[p], limit)
                if a.demand_kw[t, h] > 0 and x > 0:
                    pieces[(t + a.delay[p]) % slots].append((x, a.demand_kw[t, h]))
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
            take = min(length, budget) if budget > 0 else 0.0
            price[s, i] += take
            budget -= take
            if take < length:
                if slope > penalty and np.isfinite(length):
                    price[s, i] += length - take
                else:
                    break
    return price
