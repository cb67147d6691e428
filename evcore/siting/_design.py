"""Station design (Numba): the cheapest pile counts for a station's load, memoised per load.

A station serving ``load`` vehicles a day gets the cheapest numbers of slow and fast piles that
keep the mean M/M/c wait (eqs. 9-17) within the limit, between ``min_piles`` and ``max_piles``
piles and within ``max_station_kva``. Waits come from Erlang B stepped one server at a time
(:func:`evcore.queueing.jit.erlang_b_next`), so each pile count costs O(1). The plain twin is
:func:`evcore.siting._reference.station_design` (full enumeration with the textbook formula).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..queueing.jit import erlang_b_next, mmc_wait_from_b

__all__ = ["station_design", "design_cost"]


@njit(cache=True)
def _fill_waits(waits, blocking, filled, upto, share, arrivals_per_hour, service_hours):
    """Extend ``waits[c] = share * Wq(c servers)`` for ``c <= upto``; returns the new fill mark.

    ``blocking[0]`` carries Erlang B at the last filled count, so each new count costs O(1).
    """
    load = arrivals_per_hour * service_hours
    for c in range(filled + 1, upto + 1):
        if c == 0:
            blocking[0] = 1.0
        else:
            blocking[0] = erlang_b_next(c, load, blocking[0])
        waits[c] = share * mmc_wait_from_b(c, arrivals_per_hour, 1.0 / service_hours, blocking[0])
    return max(filled, upto)


@njit(cache=True)
def station_design(load, d, out):
    """Cheapest pile design of a station serving ``load`` vehicles/day.

    Minimises ``w (n_slow c_slow + n_fast c_fast) + (1 - w) 365 C_t W L`` over pile counts with
    ``min_piles <= n_slow + n_fast <= max_piles``, installed kVA at most ``max_station_kva`` and
    mean wait ``W = A W_slow + B W_fast <= max_wait`` (eqs. 9-17), either along the fixed split
    ``n_slow = round(A Q)`` or over all splits. Scans stop once pile cost alone reaches the best
    cost, which is exact because the queue term is non-negative and pile cost grows with the
    count.

    Parameters
    ----------
    load : float
        Vehicles per day.
    d : DesignParameters
    out : numpy.ndarray, shape (4,)
        Overwritten with (cost, n_slow, n_fast, mean wait h); cost ``inf`` and counts -1 when
        no design meets the wait limit.
    """
    w = d.investment_weight
    share_s = d.slow_share
    share_f = d.fast_share
    lam_s = share_s * load / d.operating_hours_per_day
    lam_f = share_f * load / d.operating_hours_per_day
    queue_coef = (1.0 - w) * d.queue_cost_per_vehicle_hour * load
    min_piles = d.min_piles
    max_piles = d.max_piles
    best = math.inf
    best_s = -1
    best_f = -1
    best_wait = math.inf
    # more Erlangs of either type than max_piles: no design (and no integer overflow below)
    if lam_s * d.slow_charge_hours >= max_piles or lam_f * d.fast_charge_hours >= max_piles:
        out[0] = best
        out[1] = best_s
        out[2] = best_f
        out[3] = best_wait
        return
    slow_waits = np.zeros(max_piles + 1)
    fast_waits = np.zeros(max_piles + 1)
    slow_b = np.ones(1)
    fast_b = np.ones(1)
    slow_filled = -1
    fast_filled = -1
    if not d.optimise_split:
        for piles in range(min_piles, max_piles + 1):
            n_s = int(math.floor(share_s * piles + 0.5))
            n_f = piles - n_s
            pile_cost = w * (n_s * d.slow_pile_annual + n_f * d.fast_pile_annual)
            if pile_cost >= best or n_s * d.slow_pile_kva + n_f * d.fast_pile_kva > d.max_station_kva:
                break  # both grow with the pile count
            wait = 0.0
            if lam_s > 0.0:
                slow_filled = _fill_waits(slow_waits, slow_b, slow_filled, n_s, share_s, lam_s, d.slow_charge_hours)
                wait += slow_waits[n_s]
            if lam_f > 0.0:
                fast_filled = _fill_waits(fast_waits, fast_b, fast_filled, n_f, share_f, lam_f, d.fast_charge_hours)
                wait += fast_waits[n_f]
            if not wait <= d.max_wait_hours:
                continue
            cost = pile_cost + queue_coef * wait
            if cost < best:
                best, best_s, best_f, best_wait = cost, n_s, n_f, wait
    else:
        # the smallest stable counts; fewer piles of a type with arrivals give an infinite wait
        s_low = 0 if lam_s == 0.0 else int(math.floor(lam_s * d.slow_charge_hours)) + 1
        f_low = 0 if lam_f == 0.0 else int(math.floor(lam_f * d.fast_charge_hours)) + 1
        for n_s in range(s_low, max_piles + 1):
            slow_cost = w * n_s * d.slow_pile_annual
            if (slow_cost + w * f_low * d.fast_pile_annual >= best
                    or n_s * d.slow_pile_kva + f_low * d.fast_pile_kva > d.max_station_kva):
                break
            slow_wait = 0.0
            if lam_s > 0.0:
                slow_filled = _fill_waits(slow_waits, slow_b, slow_filled, n_s, share_s, lam_s, d.slow_charge_hours)
                slow_wait = slow_waits[n_s]
            if not slow_wait <= d.max_wait_hours:
                continue
            for n_f in range(max(f_low, min_piles - n_s), max_piles - n_s + 1):
                pile_cost = slow_cost + w * n_f * d.fast_pile_annual
                if pile_cost >= best or n_s * d.slow_pile_kva + n_f * d.fast_pile_kva > d.max_station_kva:
                    break
                fast_wait = 0.0
                if lam_f > 0.0:
                    fast_filled = _fill_waits(fast_waits, fast_b, fast_filled, n_f, share_f, lam_f,
                                              d.fast_charge_hours)
                    fast_wait = fast_waits[n_f]
                wait = slow_wait + fast_wait
                if not wait <= d.max_wait_hours:
                    continue
                cost = pile_cost + queue_coef * wait
                if cost < best:
                    best, best_s, best_f, best_wait = cost, n_s, n_f, wait
    out[0] = best
    out[1] = best_s
    out[2] = best_f
    out[3] = best_wait


@njit(cache=True)
def design_cost(load, d, memo, scratch):
    """Weighted cost of the best design for ``load``, memoised in ``memo`` for integral loads.

    Exact: demands that are whole vehicles give whole loads, and the memo is indexed by them.
    """
    if load < memo.shape[0]:
        index = int(load)
        if index == load:
            value = memo[index]
            if math.isnan(value):
                station_design(load, d, scratch)
                value = scratch[0]
                memo[index] = value
            return value
    station_design(load, d, scratch)
    return scratch[0]
