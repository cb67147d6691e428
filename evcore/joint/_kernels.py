"""Numba kernels of evcore.joint: trip counting, the paper's ADMM and the primal-dual splitting.

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
        if m == count:
            break
        count = m
        theta = (above - cap) / m
    for p in range(start, stop):
        v = values[p] - theta
        values[p] = v if v > 0.0 else 0.0


@njit(cache=True, parallel=True)
def slot_loads(flow_kw, demand_kw, origin, destination, delay, load_kw):
    """load_kw[t, i] = demand - outflow + inflow (kW) with arrivals wrapping around the week."""
    slots = flow_kw.shape[0]
    pairs = flow_kw.shape[1]
    for t in prange(slots):
        for i in range(demand_kw.shape[1]):
            load_kw[t, i] = demand_kw[t, i]
        for p in range(pairs):
            load_kw[t, origin[p]] -= flow_kw[t, p]
            sent = _earlier(t, delay[p], slots)
            load_kw[t, destination[p]] += flow_kw[sent, p]


@njit(cache=True)
def capacity_projection(values, cost_per_kw, upper_kw, budget):
    """Euclidean projection of values onto {0 <= c <= upper, cost_per_kw @ c <= budget}.

    Returns the projected vector (new array). The budget multiplier is found by bisection on the
    monotone spend(theta) = cost @ clip(values - theta cost, 0, upper).
    """
    n = values.shape[0]
    out = np.empty(n)
    spend = 0.0
    for i in range(n):
        v = min(max(values[i], 0.0), upper_kw[i])
        out[i] = v
        spend += cost_per_kw[i] * v
    if spend <= budget:
        return out
    low = 0.0
    high = 0.0
    for i in range(n):
        if values[i] > 0.0:
            high = max(high, values[i] / cost_per_kw[i])
    for _ in range(200):
        theta = 0.5 * (low + high)
        spend = 0.0
        for i in range(n):
            v = min(max(values[i] - theta * cost_per_kw[i], 0.0), upper_kw[i])
            spend += cost_per_kw[i] * v
        if spend > budget:
            low = theta
        else:
            high = theta
        if high - low <= 1e-15 * max(high, 1.0):
            break
    for i in range(n):
        out[i] = min(max(values[i] - high * cost_per_kw[i], 0.0), upper_kw[i])
    return out


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


@njit(cache=True, parallel=True)
def lagrangian_bound(price, demand_kw, flow_cost_per_kw, recurrences, origin, destination, delay, out_start,
                     cost_per_kw, upper_kw, budget):
    """Lagrangian dual bound of the joint LP for capacity-row prices ``price >= 0`` (slots, zones).

    q(mu) = sum mu D + min_c sum_i c_i (k_i - sum_t mu_ti) + sum_{t,i} D_ti min(0, min_p r_tp),
    r_tp = E_t L_p / beta - mu_{t, o_p} + mu_{t + tau_p, d_p}; a valid lower bound for any mu >= 0
    (``upper_kw`` must only hold bounds every optimal plan satisfies).
    Returns (bound, capacity_gain (zones,)).
    """
    slots, zones = price.shape
    per_slot = np.zeros(slots)
    for t in prange(slots):
        acc = 0.0
        for i in range(zones):
            d = demand_kw[t, i]
            acc += price[t, i] * d
            best = 0.0
            for p in range(out_start[i], out_start[i + 1]):
                arrive = _later(t, delay[p], slots)
                r = recurrences[t] * flow_cost_per_kw[p] - price[t, i] + price[arrive, destination[p]]
                if r < best:
                    best = r
            acc += d * best
        per_slot[t] = acc
    gain = cost_per_kw.copy()
    for t in range(slots):
        for i in range(zones):
            gain[i] -= price[t, i]
    value, _ = knapsack_minimum(gain, cost_per_kw, upper_kw, budget)
    return per_slot.sum() + value, gain


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


# --------------------------------------------------------------------------- primal-dual splitting


@njit(cache=True, parallel=True)
def flow_step(flow_kw, price, recurrences, flow_cost_per_kw, origin, destination, delay, out_start, demand_kw,
              step, flow_out):
    """Projected gradient step of the flows: for every (slot, origin) in parallel,
    flow_out = P_{v >= 0, sum v <= D_ti}(flow - step (E_t L_p / beta - mu_{t,o} + mu_{t+tau,d}))."""
    slots, zones = demand_kw.shape
    for t in prange(slots):
        for i in range(zones):
            start = out_start[i]
            stop = out_start[i + 1]
            if stop == start:
                continue
            for p in range(start, stop):
                arrive = _later(t, delay[p], slots)
                gradient = recurrences[t] * flow_cost_per_kw[p] - price[t, i] + price[arrive, destination[p]]
                flow_out[t, p] = flow_kw[t, p] - step * gradient
            _capped_simplex_project(flow_out[t], start, stop, demand_kw[t, i])


@njit(cache=True, parallel=True)
def price_step(price, capacity_bar, flow_bar, demand_kw, origin, destination, delay, step_per_zone, price_out,
               load_kw):
    """Projected dual ascent on the capacity rows at the extrapolated primal point:
    mu_out = max(0, mu + sigma_i (D - c_bar - out(z_bar) + in(z_bar))). load_kw is scratch (slots, zones)."""
    slots, zones = demand_kw.shape
    pairs = flow_bar.shape[1]
    for t in prange(slots):
        for i in range(zones):
            load_kw[t, i] = demand_kw[t, i]
        for p in range(pairs):
            load_kw[t, origin[p]] -= flow_bar[t, p]
            sent = _earlier(t, delay[p], slots)
            load_kw[t, destination[p]] += flow_bar[sent, p]
        for i in range(zones):
            v = price[t, i] + step_per_zone[i] * (load_kw[t, i] - capacity_bar[i])
            price_out[t, i] = v if v > 0.0 else 0.0


@njit(cache=True, parallel=True)
def capped_price_step(price, flow_bar, demand_kw, origin, destination, delay, step_per_zone, cost_per_kw,
                      price_out, load_kw):
    """Dual step with capacity eliminated: for every location i (in parallel) project
    mu_i + sigma_i load_i(z_bar) onto {mu >= 0, sum_t mu_t <= k_i} (the dual of a free c_i >= 0)."""
    slots, zones = demand_kw.shape
    slot_loads(flow_bar, demand_kw, origin, destination, delay, load_kw)
    for i in prange(zones):
        column = np.empty(slots)
        for t in range(slots):
            column[t] = price[t, i] + step_per_zone[i] * load_kw[t, i]
        _capped_simplex_project(column, 0, slots, cost_per_kw[i])
        for t in range(slots):
            price_out[t, i] = column[t]


@njit(cache=True, parallel=True)
def clear_blocks(flow_kw, cleared, out_start):
    """Zero the flows of the (slot, origin) blocks where cleared[t, i]."""
    slots, zones = cleared.shape
    for t in prange(slots):
        for i in range(zones):
            if cleared[t, i]:
                for p in range(out_start[i], out_start[i + 1]):
                    flow_kw[t, p] = 0.0


#: locations handled together by the price projections: one 64-byte cache line of a slot's row
PRICE_GROUP = 8


@njit(cache=True, inline="always")
def _price_group_step(price, load_kw, step_per_zone, cost_per_kw, i0, i1, buffer):
    """buffer[k] = projection of price[:, i0 + k] + step load[:, i0 + k] onto {mu >= 0, sum mu <= k_i}
    for the locations i0..i1-1 (at most PRICE_GROUP): the columns are gathered a row segment at a
    time, so each slot's row is read once per group instead of once per location."""
    for t in range(price.shape[0]):
        for k in range(i1 - i0):
            i = i0 + k
            buffer[k, t] = price[t, i] + step_per_zone[i] * load_kw[t, i]
    for k in range(i1 - i0):
        _capped_simplex_project(buffer[k], 0, price.shape[0], cost_per_kw[i0 + k])


@njit(cache=True, parallel=True)
def project_price_columns(price, load_kw, step_per_zone, cost_per_kw, z0, z1, price_out, price_sum,
                          halpern_weight=-1.0):
    """Locations z0..z1-1: price column + step * load projected onto the capped simplex of the
    location's cost per kW, written to ``price_out``. PDHG (``halpern_weight`` < 0) adds it to the running
    ``price_sum``; the reflected Halpern step moves the prices in place, ``mu <- w (2 T(mu) - mu) +
    (1 - w) anchor``, with the anchor held in ``price_sum``."""
    slots = price.shape[0]
    groups = (z1 - z0 + PRICE_GROUP - 1) // PRICE_GROUP
    for g in prange(groups):
        i0 = z0 + g * PRICE_GROUP
        i1 = min(i0 + PRICE_GROUP, z1)
        buffer = np.empty((PRICE_GROUP, slots))
        _price_group_step(price, load_kw, step_per_zone, cost_per_kw, i0, i1, buffer)
        for t in range(slots):
            for k in range(i1 - i0):
                i = i0 + k
                price_out[t, i] = buffer[k, t]
                if halpern_weight < 0.0:
                    price_sum[t, i] += buffer[k, t]
                else:
                    price[t, i] = (halpern_weight * (2.0 * buffer[k, t] - price[t, i])
                                   + (1.0 - halpern_weight) * price_sum[t, i])


@njit(cache=True, parallel=True)
def fused_capped_price_step(price, flow_new, flow_old, demand_kw, origin, destination, delay, active, step_per_zone,
                            cost_per_kw, price_out, price_sum, load_kw):
    """capped_price_step at z_bar = 2 z_new - z_old over active blocks only (inactive flows are zero)."""
    slots, zones = demand_kw.shape
    pairs = flow_new.shape[1]
    for t in prange(slots):
        for i in range(zones):
            load_kw[t, i] = demand_kw[t, i]
        for p in range(pairs):
            o = origin[p]
            if active[t, o]:
                load_kw[t, o] -= 2.0 * flow_new[t, p] - flow_old[t, p]
            sent = _earlier(t, delay[p], slots)
            if active[sent, o]:
                load_kw[t, destination[p]] += 2.0 * flow_new[sent, p] - flow_old[sent, p]
    project_price_columns(price, load_kw, step_per_zone, cost_per_kw, 0, zones, price_out, price_sum)


# --------------------------------------------------------------------------- location blocks
# The splitting without capacity (see evcore.joint.splitting) runs on blocks of locations [z0, z1): a
# block owns the flows leaving its locations (pairs out_start[z0]:out_start[z1]) and their prices. It
# reads prices of remote destinations and the extrapolated flows arriving from remote origins.


@njit(cache=True, parallel=True)
def block_active(flow_kw, anchor_kw, price, recurrences, flow_cost_per_kw, destination, delay, out_start, z0, z1,
                 active):
    """active[t, i] for the origins z0..z1-1: some arc of i has a negative reduced cost E_t L_p / beta -
    mu_ti + mu_(t+tau),j, or the block holds a non-zero flow or anchor flow. Elsewhere a flow step maps the
    zero flows to zero: those blocks are skipped. Returns how many blocks are active."""
    slots = price.shape[0]
    for t in prange(slots):
        for i in range(z0, z1):
            flag = False
            for p in range(out_start[i], out_start[i + 1]):
                if flow_kw[t, p] != 0.0 or anchor_kw[t, p] != 0.0:
                    flag = True
                    break
                arrive = _later(t, delay[p], slots)
                if recurrences[t] * flow_cost_per_kw[p] - price[t, i] + price[arrive, destination[p]] < 0.0:
                    flag = True
                    break
            active[t, i] = flag
    count = 0
    for t in range(slots):
        for i in range(z0, z1):
            count += active[t, i]
    return count


@njit(cache=True, parallel=True)
def block_flow_step(flow_kw, price, recurrences, flow_cost_per_kw, destination, delay, out_start, demand_kw, active,
                    z0, z1, step, flow_out, flow_sum, flow_bar, halpern_weight=-1.0):
    """Flow step of the active (slot, origin) blocks of origins z0..z1-1: ``flow_out`` = T(z), the projected
    step, and the extrapolation flow_bar = 2 flow_out - flow_kw. PDHG (``halpern_weight`` < 0) adds
    flow_out to the running flow_sum; the reflected Halpern step instead moves the iterate in place,
    ``z <- w flow_bar + (1 - w) anchor``, with the anchor held in flow_sum. Inactive blocks are not touched:
    their flows are zero in every buffer (the caller clears a block when it leaves the active set)."""
    slots = demand_kw.shape[0]
    for t in prange(slots):
        for i in range(z0, z1):
            if not active[t, i]:
                continue
            start = out_start[i]
            stop = out_start[i + 1]
            _flow_block_step(flow_kw, price, recurrences, flow_cost_per_kw, destination, delay, out_start, demand_kw,
                             step, t, i, flow_out)
            for p in range(start, stop):
                bar = 2.0 * flow_out[t, p] - flow_kw[t, p]
                flow_bar[t, p] = bar
                if halpern_weight < 0.0:
                    flow_sum[t, p] += flow_out[t, p]
                else:
                    flow_kw[t, p] = halpern_weight * bar + (1.0 - halpern_weight) * flow_sum[t, p]


@njit(cache=True, inline="always")
def _flow_block_step(flow_kw, price, recurrences, flow_cost_per_kw, destination, delay, out_start, demand_kw, step, t,
                     i, flow_out):
    """flow_out of block (t, i): the projected gradient step of the flows leaving i in slot t."""
    slots = demand_kw.shape[0]
    start = out_start[i]
    stop = out_start[i + 1]
    for p in range(start, stop):
        gradient = (recurrences[t] * flow_cost_per_kw[p] - price[t, i]
                    + price[_later(t, delay[p], slots), destination[p]])
        flow_out[t, p] = flow_kw[t, p] - step * gradient
    _capped_simplex_project(flow_out[t], start, stop, demand_kw[t, i])


@njit(cache=True, parallel=True)
def block_flow_step_measured(flow_kw, price, recurrences, flow_cost_per_kw, destination, delay, out_start, demand_kw,
                             active, step, add_current, flow_out, flow_sum, moved_kw):
    """block_flow_step for one block holding every origin, without travel delays, as a tentative step of
    PDLP's adaptive rule: also returns ``sum (dz)^2`` and writes ``moved_kw = K dz`` (the load change,
    slot by slot), and with ``add_current`` adds the current iterate (not the new one) to flow_sum, so a
    rejected step leaves the sums as they were once retried with ``add_current`` False."""
    slots, zones = demand_kw.shape
    flow_part = np.zeros(slots)
    for t in prange(slots):
        for i in range(zones):
            moved_kw[t, i] = 0.0
        acc = 0.0
        for i in range(zones):
            if not active[t, i]:
                continue
            start = out_start[i]
            stop = out_start[i + 1]
            _flow_block_step(flow_kw, price, recurrences, flow_cost_per_kw, destination, delay, out_start, demand_kw,
                             step, t, i, flow_out)
            for p in range(start, stop):
                dz = flow_out[t, p] - flow_kw[t, p]
                acc += dz * dz
                moved_kw[t, i] -= dz
                moved_kw[t, destination[p]] += dz
                if add_current:
                    flow_sum[t, p] += flow_kw[t, p]
        flow_part[t] = acc
    return flow_part.sum()


@njit(cache=True, parallel=True)
def project_price_columns_measured(price, load_kw, step_per_zone, cost_per_kw, add_current, moved_kw, degree,
                                   price_out, price_sum):
    """project_price_columns for one block holding every location, as a tentative adaptive step: returns
    ``sum_i degree_i sum_t (dmu_ti)^2`` and the interaction ``dmu^T K dz = sum dmu * moved_kw``; with
    ``add_current`` the current prices are added to price_sum."""
    slots, zones = price.shape
    groups = (zones + PRICE_GROUP - 1) // PRICE_GROUP
    price_part = np.zeros(groups)
    cross_part = np.zeros(groups)
    for g in prange(groups):
        i0 = g * PRICE_GROUP
        i1 = min(i0 + PRICE_GROUP, zones)
        buffer = np.empty((PRICE_GROUP, slots))
        _price_group_step(price, load_kw, step_per_zone, cost_per_kw, i0, i1, buffer)
        a = 0.0
        c = 0.0
        for t in range(slots):
            for k in range(i1 - i0):
                i = i0 + k
                d = buffer[k, t] - price[t, i]
                a += degree[i] * d * d
                c += d * moved_kw[t, i]
                price_out[t, i] = buffer[k, t]
                if add_current:
                    price_sum[t, i] += price[t, i]
        price_part[g] = a
        cross_part[g] = c
    return price_part.sum(), cross_part.sum()


@njit(cache=True, parallel=True)
def block_loads(flow_kw, demand_kw, out_start, in_order, in_start, delay, z0, z1, load_kw):
    """load_kw[t, i] = D - out + in for locations z0..z1-1 (arrivals from every origin, delays wrap)."""
    slots = demand_kw.shape[0]
    for t in prange(slots):
        for i in range(z0, z1):
            value = demand_kw[t, i]
            for p in range(out_start[i], out_start[i + 1]):
                value -= flow_kw[t, p]
            for k in range(in_start[i], in_start[i + 1]):
                p = in_order[k]
                value += flow_kw[_earlier(t, delay[p], slots), p]
            load_kw[t, i] = value


@njit(cache=True, parallel=True)
def block_loads_active(flow_kw, demand_kw, out_start, destination, active, receive_pairs, z0, z1, load_kw):
    """block_loads without travel delays, from the active (slot, origin) blocks only: own locations start at
    their demand, every active own block moves its flows from origin to destination, and the received remote
    arcs (``receive_pairs``) add theirs. Columns of remote locations are scratch."""
    slots = demand_kw.shape[0]
    for t in prange(slots):
        for i in range(z0, z1):
            load_kw[t, i] = demand_kw[t, i]
        for i in range(z0, z1):
            if not active[t, i]:
                continue
            for p in range(out_start[i], out_start[i + 1]):
                f = flow_kw[t, p]
                load_kw[t, i] -= f
                load_kw[t, destination[p]] += f
        for k in range(receive_pairs.shape[0]):
            p = receive_pairs[k]
            load_kw[t, destination[p]] += flow_kw[t, p]


@njit(cache=True, parallel=True)
def block_bound(price, demand_kw, recurrences, flow_cost_per_kw, destination, delay, out_start, z0, z1):
    """Origins z0..z1-1's part of q(mu) = sum_{t,i} D_ti min(mu_ti, min_p (E_t L_p / beta + mu_(t+tau),j))
    (the Lagrangian bound when every sum_t mu_ti <= k_i, so capacities contribute nothing)."""
    slots = demand_kw.shape[0]
    per_slot = np.zeros(slots)
    for t in prange(slots):
        acc = 0.0
        for i in range(z0, z1):
            best = price[t, i]
            for p in range(out_start[i], out_start[i + 1]):
                arrive = _later(t, delay[p], slots)
                r = recurrences[t] * flow_cost_per_kw[p] + price[arrive, destination[p]]
                if r < best:
                    best = r
            acc += demand_kw[t, i] * best
        per_slot[t] = acc
    return per_slot.sum()


@njit(cache=True)
def _cheapest_arc(price, recurrences, flow_cost_per_kw, destination, delay, out_start, t, h, skip):
    """min over arcs q of h other than ``skip`` of E_t L_q / beta + mu_(t + tau_q), d_q (inf if none)."""
    slots = price.shape[0]
    best = np.inf
    for q in range(out_start[h], out_start[h + 1]):
        if q == skip:
            continue
        r = recurrences[t] * flow_cost_per_kw[q] + price[_later(t, delay[q], slots), destination[q]]
        if r < best:
            best = r
    return best


@njit(cache=True)
def dual_ascent_sweep(price, demand_kw, recurrences, flow_cost_per_kw, origin, destination, delay, out_start,
                      in_order, in_start, cost_per_kw):
    """One Gauss-Seidel sweep of exact block coordinate ascent on the Lagrangian bound (capacity eliminated).

    For location i, with every other price fixed, the bound is sum over slots s of
    ``V_s(mu_si) = sum_k w_k min(mu_si, x_k)``: its own demand (threshold: its cheapest arc) and each
    neighbour h's demand that arc h -> i would take (threshold: h's next best option minus the arc's
    cost). Maximising that separable concave function over {mu_i >= 0, sum_s mu_si <= k_i} is greedy:
    the pieces of all slots by decreasing slope until k_i is spent. The bound never decreases.
    """
    slots, zones = demand_kw.shape
    for i in range(zones):
        cap = cost_per_kw[i]
        indegree = in_start[i + 1] - in_start[i]
        size = slots * (1 + indegree)
        slot_of = np.empty(size, dtype=np.int64)
        threshold = np.empty(size)
        weight = np.empty(size)
        n = 0
        for t in range(slots):  # own demand, up to i's cheapest arc (prices above k_i are never used)
            x = min(_cheapest_arc(price, recurrences, flow_cost_per_kw, destination, delay, out_start, t, i, -1), cap)
            if demand_kw[t, i] > 0.0 and x > 0.0:
                slot_of[n] = t
                threshold[n] = x
                weight[n] = demand_kw[t, i]
                n += 1
        for k in range(in_start[i], in_start[i + 1]):
            p = in_order[k]
            h = origin[p]
            for t in range(slots):
                if demand_kw[t, h] <= 0.0:
                    continue
                x = min(price[t, h], _cheapest_arc(price, recurrences, flow_cost_per_kw, destination, delay,
                                                   out_start, t, h, p))
                x = min(x - recurrences[t] * flow_cost_per_kw[p], cap)
                if x > 0.0:
                    slot_of[n] = _later(t, delay[p], slots)
                    threshold[n] = x
                    weight[n] = demand_kw[t, h]
                    n += 1
        # Within each slot, thresholds ascending; a piece (x_(k-1), x_k] has slope = weight at or above x_k.
        order = np.argsort(threshold[:n], kind="mergesort")
        order = order[np.argsort(slot_of[:n][order], kind="mergesort")]
        piece_slope = np.empty(n)
        piece_length = np.empty(n)
        piece_slot = np.empty(n, dtype=np.int64)
        k = 0
        while k < n:
            first = k
            s = slot_of[order[k]]
            while k < n and slot_of[order[k]] == s:
                k += 1
            above = 0.0
            for m in range(first, k):
                above += weight[order[m]]
            previous = 0.0
            for m in range(first, k):
                x = threshold[order[m]]
                piece_slope[m] = above
                piece_length[m] = x - previous
                piece_slot[m] = s
                previous = x
                above -= weight[order[m]]
        for t in range(slots):
            price[t, i] = 0.0
        budget = cap
        for m in np.argsort(-piece_slope, kind="mergesort"):
            if budget <= 0.0:
                break
            take = min(piece_length[m], budget)
            price[piece_slot[m], i] += take
            budget -= take


def warm_up():
    """Compile every kernel on a tiny instance."""
    zones, slots = 3, 4
    origin = np.array([0, 1, 2], np.int64)
    destination = np.array([1, 2, 0], np.int64)
    delay = np.zeros(3, np.int64)
    out_start = np.array([0, 1, 2, 3], np.int64)
    demand = np.ones((slots, zones))
    flows = np.zeros((slots, 3))
    price = np.ones((slots, zones))
    rec = np.ones(slots)
    fc = np.ones(3)
    cost = np.ones(zones)
    upper = np.full(zones, 10.0)
    count_trips(np.zeros(2, np.int64), np.zeros(2, np.int64), np.ones(2, np.bool_), np.zeros((zones, slots)))
    accumulate_pair_distance(np.zeros(2, np.int64), np.ones(2, np.int64), np.ones(2), np.ones(2, np.bool_),
                             np.zeros((zones, zones)), np.zeros((zones, zones)))
    load = np.zeros((slots, zones))
    slot_loads(flows, demand, origin, destination, delay, load)
    capacity_projection(np.ones(zones), cost, upper, 1.0)
    knapsack_minimum(-np.ones(zones), cost, upper, 1.0)
    lagrangian_bound(price, demand, fc, rec, origin, destination, delay, out_start, cost, upper, 5.0)
    shed_capacity_minimum(np.ones(slots), np.ones(slots), 0.5, 0.1, 1.0, 0.0, 5.0)
    paper_location_step(np.ones(zones), np.zeros(zones), load, demand, cost, rec, fc, np.ones(zones, np.bool_),
                        upper, 0.1, np.zeros(zones), np.zeros((slots, zones)))
    out = np.zeros_like(flows)
    flow_step(flows, price, rec, fc, origin, destination, delay, out_start, demand, 0.1, out)
    price_step(price, np.ones(zones), flows, demand, origin, destination, delay, np.ones(zones), price.copy(), load)
    capped_price_step(price, flows, demand, origin, destination, delay, np.ones(zones), cost, price.copy(), load)
    active = np.ones((slots, zones), np.bool_)
    clear_blocks(flows.copy(), ~active, out_start)
    fused_capped_price_step(price, out, flows, demand, origin, destination, delay, active, np.ones(zones), cost,
                            price.copy(), price.copy(), load)
    in_order = np.array([2, 0, 1], np.int64)
    in_start = np.array([0, 1, 2, 3], np.int64)
    block_active(flows, flows, price, rec, fc, destination, delay, out_start, 0, zones, active)
    block_flow_step(flows.copy(), price, rec, fc, destination, delay, out_start, demand, active, 0, zones, 0.1, out,
                    flows, out.copy(), 0.5)
    project_price_columns(price.copy(), load, np.ones(zones), cost, 0, zones, price.copy(), price.copy(), 0.5)
    block_flow_step(flows, price, rec, fc, destination, delay, out_start, demand, active, 0, zones, 0.1, out,
                    out.copy(), out.copy())
    block_flow_step_measured(flows, price, rec, fc, destination, np.zeros_like(delay), out_start, demand, active, 0.1,
                             True, out, out.copy(), load.copy())
    project_price_columns_measured(price, load, np.ones(zones), cost, True, load.copy(), np.ones(zones), price.copy(),
                                   price.copy())
    block_loads(flows, demand, out_start, in_order, in_start, delay, 0, zones, load)
    block_loads_active(flows, demand, out_start, destination, active, np.zeros(0, np.int64), 0, zones, load)
    block_bound(price, demand, rec, fc, destination, delay, out_start, 0, zones)
    dual_ascent_sweep(price.copy(), demand, rec, fc, origin, destination, delay, out_start, in_order, in_start, cost)
