"""Numba kernels of joint's primal-dual splitting (:mod:`evcore.joint.splitting`).

Every kernel takes the instance as one :class:`~evcore.joint._arrays.KernelArrays` named tuple
``a`` and works on the location block ``z0..z1-1`` (origins of the flows, owners of the prices).
Twins: :mod:`evcore.joint._reference`.

Exact skipping. A (slot, origin) block whose flows are zero stays zero under a flow step when every
arc's reduced cost ``E_t L_p / beta - mu_ti + mu_(t+tau),j`` is >= 0, which holds whenever
``mu_ti <= E_t min_p L_p / beta`` (prices are >= 0). That test costs one comparison, so the flow
kernels skip such blocks at every iteration and the iterates are exactly those of the plain method
(no refresh period that would change the trajectory). ``nz`` flags (slots, zones) say which blocks of
a flow buffer may hold non-zero values; every kernel that writes a buffer keeps its flags.

Thread-count independence. Reductions go through per-slot or per-group partials that one thread
computes in a fixed order; the caller sums them (``np.sum``, fixed order). No array reduction runs
inside a parallel kernel (Numba would split it across threads), so the iterates are bit-for-bit
the same for any number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._kernels import _capped_simplex_project, _earlier, _later

#: locations handled together by the price projections: one 64-byte cache line of a slot's row
PRICE_GROUP = 8


# --------------------------------------------------------------------------- projections


@njit(cache=True, inline="always")
def _project_bounded(values, start, stop, cap, max_shift):
    """The prox of the capacity part for one location, in place on values[start:stop]:
    ``v <- max(v - theta, 0)`` with theta the smallest shift >= 0 making ``sum <= cap``, but at most
    ``max_shift`` (= step * Cmax: beyond it the location buys capacity instead of raising prices).
    ``max_shift = inf`` is the projection onto the capped simplex. Returns theta."""
    total = 0.0
    positive = 0
    for p in range(start, stop):
        if values[p] < 0.0:
            values[p] = 0.0
        elif values[p] > 0.0:
            total += values[p]
            positive += 1
    if total <= cap or max_shift <= 0.0:
        return 0.0
    theta = (total - cap) / positive
    count = positive
    while theta < max_shift:  # Michelot: theta rises monotonically to the root
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
    if theta > max_shift:
        theta = max_shift
    for p in range(start, stop):
        v = values[p] - theta
        values[p] = v if v > 0.0 else 0.0
    return theta


# --------------------------------------------------------------------------- flows


@njit(cache=True, inline="always")
def _hot(a, price, nz, t, i):
    """Block (t, i) must be stepped: it holds flow, or some arc may have a negative reduced cost."""
    return nz[t, i] or price[t, i] > a.recurrences[t] * a.cheapest_arc_per_kw[i]


@njit(cache=True, inline="always")
def _flow_block(a, flow, price, step, t, i, flow_out):
    """flow_out of block (t, i): the projected gradient step of the flows leaving i in slot t;
    returns whether the result holds a non-zero flow."""
    slots = a.demand_kw.shape[0]
    start = a.out_start[i]
    stop = a.out_start[i + 1]
    own = price[t, i]
    e = a.recurrences[t]
    for p in range(start, stop):
        gradient = e * a.flow_cost_per_kw[p] - own + price[_later(t, a.delay[p], slots), a.destination[p]]
        flow_out[t, p] = flow[t, p] - step * gradient
    _capped_simplex_project(flow_out[t], start, stop, a.demand_kw[t, i])
    for p in range(start, stop):
        if flow_out[t, p] != 0.0:
            return True
    return False


@njit(cache=True, inline="always")
def _zero_block(a, buffer, t, i):
    for p in range(a.out_start[i], a.out_start[i + 1]):
        buffer[t, p] = 0.0


@njit(cache=True, parallel=True)
def flow_step(a, flow, price, z0, z1, step, halpern_weight, flow_out, flow_bar, flow_sum, nz, nz_out, nz_bar,
              nz_sum):
    """Flow step of origins z0..z1-1 (fixed steps, any block layout, delays allowed).

    ``flow_out`` = T(z), the projected step; ``flow_bar`` = 2 T(z) - z. PDHG (``halpern_weight`` < 0)
    adds T(z) to the running ``flow_sum``; the reflected Halpern step instead moves the iterate in
    place, ``z <- w flow_bar + (1 - w) anchor`` with the anchor held in ``flow_sum``. Blocks that are
    not hot are skipped (their buffers are zeroed where flagged).
    """
    slots = a.demand_kw.shape[0]
    halpern = halpern_weight >= 0.0
    for t in prange(slots):
        for i in range(z0, z1):
            start = a.out_start[i]
            stop = a.out_start[i + 1]
            if stop == start:
                continue
            if not (_hot(a, price, nz, t, i) or (halpern and nz_sum[t, i])):
                if nz_out[t, i]:
                    _zero_block(a, flow_out, t, i)
                    nz_out[t, i] = False
                if nz_bar[t, i]:
                    _zero_block(a, flow_bar, t, i)
                    nz_bar[t, i] = False
                continue
            nz_out[t, i] = _flow_block(a, flow, price, step, t, i, flow_out)
            bar_nonzero = False
            iterate_nonzero = False
            for p in range(start, stop):
                bar = 2.0 * flow_out[t, p] - flow[t, p]
                flow_bar[t, p] = bar
                bar_nonzero = bar_nonzero or bar != 0.0
                if not halpern:
                    flow_sum[t, p] += flow_out[t, p]
                else:
                    value = halpern_weight * bar + (1.0 - halpern_weight) * flow_sum[t, p]
                    flow[t, p] = value
                    iterate_nonzero = iterate_nonzero or value != 0.0
            nz_bar[t, i] = bar_nonzero
            if not halpern:
                nz_sum[t, i] = nz_sum[t, i] or nz_out[t, i]
            else:
                nz[t, i] = iterate_nonzero


@njit(cache=True, parallel=True)
def flow_step_measured(a, flow, price, step, add_current, flow_out, flow_sum, moved_kw, nz, nz_out, nz_sum,
                       flow_sq):
    """One block holding every origin: a tentative flow step of PDLP's adaptive rule into ``flow_out``.

    Writes ``flow_sq[t] = sum_p (dz_tp)^2`` (the caller sums over t) and, without travel delays,
    ``moved_kw = K dz`` (the load change; with delays see :func:`load_change`). With
    ``add_current`` the current iterate (not the new one) is added to ``flow_sum``, so a rejected
    step leaves the sums as they were once retried without it.
    """
    slots, zones = a.demand_kw.shape
    scatter = not a.has_delays
    for t in prange(slots):
        if scatter:
            for i in range(zones):
                moved_kw[t, i] = 0.0
        acc = 0.0
        for i in range(zones):
            start = a.out_start[i]
            stop = a.out_start[i + 1]
            if stop == start:
                continue
            if not _hot(a, price, nz, t, i):
                if nz_out[t, i]:
                    _zero_block(a, flow_out, t, i)
                    nz_out[t, i] = False
                continue
            nz_out[t, i] = _flow_block(a, flow, price, step, t, i, flow_out)
            for p in range(start, stop):
                dz = flow_out[t, p] - flow[t, p]
                acc += dz * dz
                if scatter:
                    moved_kw[t, i] -= dz
                    moved_kw[t, a.destination[p]] += dz
                if add_current:
                    flow_sum[t, p] += flow[t, p]
            if add_current:
                nz_sum[t, i] = nz_sum[t, i] or nz[t, i]
        flow_sq[t] = acc


@njit(cache=True, parallel=True)
def load_change(a, flow_new, flow, moved_kw):
    """moved_kw = K (flow_new - flow): the load change of a step, arrivals delayed (gathered per
    location, so slots can run in parallel)."""
    slots, zones = a.demand_kw.shape
    for t in prange(slots):
        for i in range(zones):
            value = 0.0
            for p in range(a.out_start[i], a.out_start[i + 1]):
                value -= flow_new[t, p] - flow[t, p]
            for k in range(a.in_start[i], a.in_start[i + 1]):
                p = a.in_order[k]
                s = _earlier(t, a.delay[p], slots)
                value += flow_new[s, p] - flow[s, p]
            moved_kw[t, i] = value


@njit(cache=True, parallel=True)
def nonzero_blocks(a, flow, z0, z1, nz):
    """nz[t, i] = block (t, i) of ``flow`` holds a non-zero value (origins z0..z1-1)."""
    slots = a.demand_kw.shape[0]
    for t in prange(slots):
        for i in range(z0, z1):
            flag = False
            for p in range(a.out_start[i], a.out_start[i + 1]):
                if flow[t, p] != 0.0:
                    flag = True
                    break
            nz[t, i] = flag


# --------------------------------------------------------------------------- loads


@njit(cache=True, parallel=True)
def loads(a, flow, z0, z1, load_kw):
    """load_kw[t, i] = D - out + in for locations z0..z1-1 (arrivals from every origin, delays wrap)."""
    slots = a.demand_kw.shape[0]
    for t in prange(slots):
        for i in range(z0, z1):
            value = a.demand_kw[t, i]
            for p in range(a.out_start[i], a.out_start[i + 1]):
                value -= flow[t, p]
            for k in range(a.in_start[i], a.in_start[i + 1]):
                p = a.in_order[k]
                value += flow[_earlier(t, a.delay[p], slots), p]
            load_kw[t, i] = value


@njit(cache=True, parallel=True)
def loads_scatter(a, flow, nz, receive_pairs, z0, z1, load_kw):
    """:func:`loads` without travel delays, from the flagged (slot, origin) blocks only: own locations start
    at their demand, every flagged own block moves its flows from origin to destination, and the received
    remote arcs (``receive_pairs``) add theirs. Columns of remote locations are scratch."""
    slots = a.demand_kw.shape[0]
    for t in prange(slots):
        for i in range(z0, z1):
            load_kw[t, i] = a.demand_kw[t, i]
        for i in range(z0, z1):
            if not nz[t, i]:
                continue
            for p in range(a.out_start[i], a.out_start[i + 1]):
                f = flow[t, p]
                load_kw[t, i] -= f
                load_kw[t, a.destination[p]] += f
        for k in range(receive_pairs.shape[0]):
            p = receive_pairs[k]
            load_kw[t, a.destination[p]] += flow[t, p]


# --------------------------------------------------------------------------- prices


@njit(cache=True, inline="always")
def _price_group(price, load_kw, step, cost_eff, max_shift, i0, i1, buffer):
    """buffer[k] = prox of price[:, i0 + k] + step load[:, i0 + k] for the locations i0..i1-1 (at most
    PRICE_GROUP): columns are gathered a row segment at a time, so each slot's row is read once per
    group instead of once per location."""
    for t in range(price.shape[0]):
        for k in range(i1 - i0):
            i = i0 + k
            buffer[k, t] = price[t, i] + step[i] * load_kw[t, i]
    for k in range(i1 - i0):
        i = i0 + k
        _project_bounded(buffer[k], 0, price.shape[0], cost_eff[i], max_shift[i])


@njit(cache=True, parallel=True)
def price_step(price, load_kw, step, cost_eff, max_shift, z0, z1, halpern_weight, price_out, price_sum):
    """Locations z0..z1-1: the prox of ``price + step * load`` (capped simplex of ``cost_eff`` per location,
    shift at most ``max_shift``) into ``price_out``. PDHG (``halpern_weight`` < 0) adds it to the running
    ``price_sum``; the reflected Halpern step moves the prices in place, ``mu <- w (2 T(mu) - mu) +
    (1 - w) anchor``, with the anchor held in ``price_sum``."""
    slots = price.shape[0]
    groups = (z1 - z0 + PRICE_GROUP - 1) // PRICE_GROUP
    for g in prange(groups):
        i0 = z0 + g * PRICE_GROUP
        i1 = min(i0 + PRICE_GROUP, z1)
        buffer = np.empty((PRICE_GROUP, slots))
        _price_group(price, load_kw, step, cost_eff, max_shift, i0, i1, buffer)
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
def price_step_measured(price, iterate_load, moved_kw, step, cost_eff, max_shift, add_current, degree, price_out,
                        price_sum, price_sq, cross):
    """One block holding every location, as a tentative adaptive step at the extrapolation's loads
    ``iterate_load + 2 moved_kw``: writes per group g ``price_sq[g] = sum degree_i (dmu_ti)^2`` and
    ``cross[g] = sum dmu * moved`` (dmu^T K dz; the caller sums over groups); with ``add_current`` the
    current prices are added to price_sum."""
    slots, zones = price.shape
    groups = (zones + PRICE_GROUP - 1) // PRICE_GROUP
    for g in prange(groups):
        i0 = g * PRICE_GROUP
        i1 = min(i0 + PRICE_GROUP, zones)
        buffer = np.empty((PRICE_GROUP, slots))
        for t in range(slots):
            for k in range(i1 - i0):
                i = i0 + k
                buffer[k, t] = price[t, i] + step[i] * (iterate_load[t, i] + 2.0 * moved_kw[t, i])
        for k in range(i1 - i0):
            i = i0 + k
            _project_bounded(buffer[k], 0, slots, cost_eff[i], max_shift[i])
        sq = 0.0
        c = 0.0
        for t in range(slots):
            for k in range(i1 - i0):
                i = i0 + k
                d = buffer[k, t] - price[t, i]
                sq += degree[i] * d * d
                c += d * moved_kw[t, i]
                price_out[t, i] = buffer[k, t]
                if add_current:
                    price_sum[t, i] += price[t, i]
        price_sq[g] = sq
        cross[g] = c


@njit(cache=True, parallel=True)
def _budget_prepare(price, iterate_load, moved_kw, step, descending, prefix, positive):
    """Per location i (in parallel): the positive entries of ``price + step (iterate_load + 2 moved)``
    sorted descending into descending[i, :positive[i]], and their prefix sums, so that the shift for any
    cap is a binary search (:func:`_shift_sorted`)."""
    slots, zones = price.shape
    for i in prange(zones):
        values = np.empty(slots)
        m = 0
        for t in range(slots):
            v = price[t, i] + step[i] * (iterate_load[t, i] + 2.0 * moved_kw[t, i])
            if v > 0.0:
                values[m] = v
                m += 1
        ordered = np.sort(values[:m])
        total = 0.0
        for k in range(m):
            descending[i, k] = ordered[m - 1 - k]
            total += descending[i, k]
            prefix[i, k] = total
        positive[i] = m


@njit(cache=True, inline="always")
def _shift_sorted(descending, prefix, m, cap, max_shift):
    """theta of :func:`_project_bounded` from the sorted positive values: with j the number of values above
    theta, theta = (prefix_j - cap) / j, j the last index with value_j > (prefix_j - cap) / j."""
    if m == 0 or prefix[m - 1] <= cap or max_shift <= 0.0:
        return 0.0
    low, high = 1, m  # the condition holds at j = 1 (cap > 0) and fails beyond j*
    while low < high:
        mid = (low + high + 1) // 2
        if descending[mid - 1] * mid > prefix[mid - 1] - cap:
            low = mid
        else:
            high = mid - 1
    theta = (prefix[low - 1] - cap) / low
    return min(theta, max_shift)


@njit(cache=True)
def _budget_spend(descending, prefix, positive, step, cost, cap, lam):
    """sum_i k_i c_i(lam), c_i = clip(theta_i(k_i (1 + lam)) / step_i, 0, cap_i) (fixed order)."""
    total = 0.0
    for i in range(positive.shape[0]):
        theta = _shift_sorted(descending[i], prefix[i], positive[i], cost[i] * (1.0 + lam), step[i] * cap[i])
        total += cost[i] * theta / step[i]
    return total


@njit(cache=True)
def budget_multiplier(price, iterate_load, moved_kw, step, cost, cap, budget, guess, descending, prefix, positive):
    """The budget's multiplier lam >= 0 in the prox of the capacity part: the capacities the locations
    buy at lam (``clip(theta_i / step_i, 0, cap_i)``, theta_i the shift for the capped simplex of
    k_i (1 + lam)) cost at most ``budget``, exactly when lam > 0. Spend is piecewise linear and decreasing
    in lam; Illinois' regula falsi from ``guess`` (the previous lam), each trial a binary search per
    location in its sorted values. ``descending``, ``prefix`` (zones, slots) and ``positive`` (zones,) are
    work arrays (the caller keeps them between iterations)."""
    _budget_prepare(price, iterate_load, moved_kw, step, descending, prefix, positive)
    spend0 = _budget_spend(descending, prefix, positive, step, cost, cap, 0.0)
    if spend0 <= budget:
        return 0.0
    low, f_low = 0.0, spend0 - budget
    high = max(guess, 1e-12) * 2.0
    f_high = _budget_spend(descending, prefix, positive, step, cost, cap, high) - budget
    while f_high > 0.0:
        low, f_low = high, f_high
        high *= 4.0
        f_high = _budget_spend(descending, prefix, positive, step, cost, cap, high) - budget
        if high > 1e300:
            return high
    side = 0
    for _ in range(200):
        lam = (low * f_high - high * f_low) / (f_high - f_low)
        if not (low < lam < high):
            lam = 0.5 * (low + high)
        f = _budget_spend(descending, prefix, positive, step, cost, cap, lam) - budget
        if abs(f) <= 1e-12 * budget:
            return lam
        if high - low <= 1e-15 * high:
            return high
        if f > 0.0:
            low, f_low = lam, f
            if side == 1:
                f_high *= 0.5
            side = 1
        else:
            high, f_high = lam, f
            if side == -1:
                f_low *= 0.5
            side = -1
    return high


# --------------------------------------------------------------------------- certificates


@njit(cache=True, parallel=True)
def bound_parts(a, price, z0, z1, per_slot):
    """Origins z0..z1-1's part of the Lagrangian bound, per slot:
    per_slot[t] = sum_i D_ti min(mu_ti, min_p (E_t L_p / beta + mu_(t+tau),j)) (the caller adds the
    capacity part and sums over slots)."""
    slots = a.demand_kw.shape[0]
    for t in prange(slots):
        acc = 0.0
        e = a.recurrences[t]
        for i in range(z0, z1):
            best = price[t, i]
            for p in range(a.out_start[i], a.out_start[i + 1]):
                r = e * a.flow_cost_per_kw[p] + price[_later(t, a.delay[p], slots), a.destination[p]]
                if r < best:
                    best = r
            acc += a.demand_kw[t, i] * best
        per_slot[t] = acc


@njit(cache=True)
def _cheapest_arc(a, price, t, h, skip):
    """min over arcs q of h other than ``skip`` of E_t L_q / beta + mu_(t + tau_q), d_q (inf if none)."""
    slots = price.shape[0]
    best = np.inf
    for q in range(a.out_start[h], a.out_start[h + 1]):
        if q == skip:
            continue
        r = a.recurrences[t] * a.flow_cost_per_kw[q] + price[_later(t, a.delay[q], slots), a.destination[q]]
        if r < best:
            best = r
    return best


@njit(cache=True)
def dual_ascent_sweep(a, price):
    """One Gauss-Seidel sweep of exact block coordinate ascent on the Lagrangian bound (budget that
    cannot bind; capacity caps allowed).

    For location i, with every other price fixed, the bound is ``sum_s V_s(mu_si) - Cmax_i max(0,
    sum_s mu_si - k_i)``, ``V_s(mu) = sum_k w_k min(mu, x_k)``: its own demand (threshold: its cheapest
    arc) and each neighbour h's demand that arc h -> i would take (threshold: h's next best option minus
    the arc's cost). Maximising that separable concave function over mu_i >= 0 is greedy: the pieces
    of all slots by decreasing slope while k_i lasts, then those steeper than Cmax_i. The bound never
    decreases.
    """
    slots, zones = a.demand_kw.shape
    for i in range(zones):
        cap = a.cost_per_kw[i]
        penalty = a.max_capacity_kw[i]
        limit = cap if not np.isfinite(penalty) else np.inf  # uncapped: no price above k_i is ever used
        indegree = a.in_start[i + 1] - a.in_start[i]
        size = slots * (1 + indegree)
        slot_of = np.empty(size, dtype=np.int64)
        threshold = np.empty(size)
        weight = np.empty(size)
        n = 0
        for t in range(slots):  # own demand, up to i's cheapest arc
            x = min(_cheapest_arc(a, price, t, i, -1), limit)
            if a.demand_kw[t, i] > 0.0 and x > 0.0:
                slot_of[n] = t
                threshold[n] = x
                weight[n] = a.demand_kw[t, i]
                n += 1
        for k in range(a.in_start[i], a.in_start[i + 1]):
            p = a.in_order[k]
            h = a.origin[p]
            for t in range(slots):
                if a.demand_kw[t, h] <= 0.0:
                    continue
                x = min(price[t, h], _cheapest_arc(a, price, t, h, p))
                x = min(x - a.recurrences[t] * a.flow_cost_per_kw[p], limit)
                if x > 0.0:
                    slot_of[n] = _later(t, a.delay[p], slots)
                    threshold[n] = x
                    weight[n] = a.demand_kw[t, h]
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
            take = min(piece_length[m], budget) if budget > 0.0 else 0.0
            price[piece_slot[m], i] += take
            budget -= take
            if take < piece_length[m]:
                if piece_slope[m] > penalty and np.isfinite(piece_length[m]):
                    price[piece_slot[m], i] += piece_length[m] - take  # steeper than buying capacity
                else:
                    break


def warm_up():
    """Compile every kernel on a tiny instance (both array flavours: read-only instance arrays)."""
    from ._arrays import KernelArrays

    zones, slots = 3, 4
    ro = lambda x: _frozen(x)  # noqa: E731
    a = KernelArrays(demand_kw=ro(np.ones((slots, zones))), flow_cost_per_kw=ro(np.ones(3)),
                     recurrences=ro(np.ones(slots)), origin=ro(np.array([0, 1, 2], np.int64)),
                     destination=ro(np.array([1, 2, 0], np.int64)), delay=ro(np.zeros(3, np.int64)),
                     out_start=ro(np.array([0, 1, 2, 3], np.int64)), in_order=ro(np.array([2, 0, 1], np.int64)),
                     in_start=ro(np.array([0, 1, 2, 3], np.int64)), cost_per_kw=ro(np.ones(zones)),
                     max_capacity_kw=ro(np.full(zones, np.inf)), upper_kw=ro(np.full(zones, 10.0)),
                     cheapest_arc_per_kw=ro(np.ones(zones)), degree=ro(np.full(zones, 2.0)), budget=np.inf,
                     budget_binds=False, has_delays=False)
    flow = np.zeros((slots, 3))
    price = np.ones((slots, zones))
    nz = np.zeros((slots, zones), np.bool_)
    per_slot = np.zeros(slots)
    flow_step(a, flow.copy(), price, 0, zones, 0.1, -1.0, flow.copy(), flow.copy(), flow.copy(), nz.copy(), nz.copy(),
              nz.copy(), nz.copy())
    flow_step_measured(a, flow, price, 0.1, True, flow.copy(), flow.copy(), price.copy(), nz.copy(), nz.copy(),
                       nz.copy(), per_slot)
    load_change(a, flow, flow, price.copy())
    nonzero_blocks(a, flow, 0, zones, nz.copy())
    loads(a, flow, 0, zones, price.copy())
    loads_scatter(a, flow, nz, np.zeros(0, np.int64), 0, zones, price.copy())
    ones = np.ones(zones)
    price_step(price.copy(), price, ones, ones, np.full(zones, np.inf), 0, zones, -1.0, price.copy(), price.copy())
    groups = np.zeros(1)
    price_step_measured(price, price, price, ones, ones, np.full(zones, np.inf), True, ones, price.copy(),
                        price.copy(), groups, groups.copy())
    budget_multiplier(price, price, price, ones, ones, ones, 1.0, 0.0, price.T.copy(), price.T.copy(),
                      np.zeros(zones, np.int64))
    bound_parts(a, price, 0, zones, per_slot)
    dual_ascent_sweep(a, price.copy())


def _frozen(x):
    x = np.array(x)
    x.setflags(write=False)
    return x
