"""Numba kernels of evcore.choice (plain twins in :mod:`evcore.choice._reference`)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _mckp_row(values, cost, budget, slope, seg_cost, seg_value):
    """LP optimum of one multiple-choice knapsack (values, cost: (sites, types)); scratch arrays given."""
    sites, types = values.shape
    count = 0
    free = 0.0
    for j in range(sites):
        # Items costing nothing: the best of them is taken outright.
        base = 0.0
        for k in range(types):
            if cost[j, k] <= 0.0 and values[j, k] > base:
                base = values[j, k]
        free += base
        at_cost, at_value = 0.0, base
        while True:
            pick, steepest = -1, 0.0
            for k in range(types):
                c = cost[j, k]
                v = values[j, k]
                if c > at_cost and v > at_value:
                    s = (v - at_value) / (c - at_cost)
                    if s > steepest or (s == steepest and pick >= 0 and c > cost[j, pick]):
                        pick, steepest = k, s
            if pick < 0:
                break
            slope[count] = steepest
            seg_cost[count] = cost[j, pick] - at_cost
            seg_value[count] = values[j, pick] - at_value
            count += 1
            at_cost, at_value = cost[j, pick], values[j, pick]
    order = np.argsort(-slope[:count])
    left = budget
    total = free
    for i in range(count):
        s = order[i]
        if seg_cost[s] <= left:
            total += seg_value[s]
            left -= seg_cost[s]
        else:
            total += seg_value[s] * (left / seg_cost[s])
            break
    return total


@njit(cache=True)
def mckp_lp_bounds(values, cost, budget, out):
    """LP optimum of a multiple-choice knapsack per row: an upper bound on the 0/1 optimum.

    Row r picks at most one type k per site j, value ``values[r, j, k]``, cost ``cost[j, k]``
    (>= 0), total cost at most ``budget[r]`` (``inf`` for none). The LP relaxation is solved
    exactly (Sinha and Zoltners): per site the upper concave hull of {(0, 0), (cost, value)},
    its segments taken by decreasing slope, the last one in part.

    Parameters
    ----------
    values : float64 array, shape (rows, sites, types)
    cost : float64 array, shape (sites, types)
    budget : float64 array, shape (rows,)
    out : float64 array, shape (rows,)
        Written in place.
    """
    rows, sites, types = values.shape
    slope = np.empty(sites * types)
    seg_cost = np.empty(sites * types)
    seg_value = np.empty(sites * types)
    for r in range(rows):
        out[r] = _mckp_row(values[r], cost, budget[r], slope, seg_cost, seg_value)


@njit(cache=True)
def knapsack_values(x, weights, revenue, opt_out, pair_users_ptr, pair_users, node_weight, out):
    """Weighted positive marginal gains of every free (site, type) pair at each plan.

    ``out[b, n, m] = sum_i node_weight[n, i] * max(Δ_im(x_b), 0)`` with
    ``Δ_im(x) = v_im (r_m - f_i(x)) / (D_i(x) + v_im)``, the revenue-rate gain of opening m at
    plan x (0 for pairs already open, and for users with v_im = 0).

    Parameters
    ----------
    x : float64 array, shape (plans, pairs)
        0/1 plans.
    weights : float64 array, shape (users, pairs)
    revenue : float64 array, shape (pairs,)
    opt_out : float64 array, shape (users,)
    pair_users_ptr, pair_users : int64 arrays
        For each pair m, the users with v_im > 0 (CSC layout of ``weights``).
    node_weight : float64 array, shape (nodes, users)
    out : float64 array, shape (plans, nodes, pairs)
        Written in place.
    """
    plans, pairs = x.shape
    users = weights.shape[0]
    nodes = node_weight.shape[0]
    denominator = np.empty(users)
    rate = np.empty(users)
    for b in range(plans):
        for i in range(users):
            d = opt_out[i]
            num = 0.0
            for m in range(pairs):
                if x[b, m] > 0.5:
                    d += weights[i, m]
                    num += revenue[m] * weights[i, m]
            denominator[i] = d
            rate[i] = num / d
        for n in range(nodes):
            for m in range(pairs):
                out[b, n, m] = 0.0
        for m in range(pairs):
            if x[b, m] > 0.5:
                continue
            for t in range(pair_users_ptr[m], pair_users_ptr[m + 1]):
                i = pair_users[t]
                excess = revenue[m] - rate[i]
                if excess <= 0.0:
                    continue
                v = weights[i, m]
                g = v * excess / (denominator[i] + v)
                for n in range(nodes):
                    out[b, n, m] += node_weight[n, i] * g


@njit(cache=True)
def subtree_gain_bounds(x, weights, revenue, opt_out, pair_ptr, pair_users, rows_weight, budgets, counts, room,
                        cost, site_order, site_sorted, best_revenue, out):
    """Upper bounds on the revenue later decision groups can add to each plan (the search's bound).

    For plan b and weight row r (a later group: probability x demand of its tree nodes), the
    smallest of three valid bounds on ``sum_i w_ri (f_i(S_r) - f_i(x_b))`` over the plans S_r the
    group can reach (a superset of x_b, one type per site, cost within ``budgets[r]``, at most
    ``room[b]`` more stations when ``room[b] >= 0``):

    * the LP optimum of the multiple-choice knapsack of the positive marginal gains
      ``w_ri Δ⁺_im(x_b)`` (diminishing returns: f_i(S + A) - f_i(S) <= sum_{m in A} Δ⁺_im(S));
    * with at most K = ``counts[r]`` (or ``room[b]``) more stations, each user's saturation:
      ``max(f_i, (R_i + r̄ W_i) / (D_i + W_i))`` with W_i its K largest free per-site weights;
    * with ``room[b] >= 0``: the ``room[b]`` largest per-site gains.

    Parameters
    ----------
    x : float64 (plans, pairs); weights : float64 (users, pairs); revenue : float64 (pairs,);
    opt_out : float64 (users,); pair_ptr, pair_users : int64 CSC of weights' positive entries;
    rows_weight : float64 (rows, users); budgets : float64 (rows,); counts : int64 (rows,);
    room : int64 (plans,), -1 for no limit; cost : float64 (sites, types);
    site_order : int64 (users, sites), each user's sites by decreasing best weight;
    site_sorted : float64 (users, sites), those weights; best_revenue : float;
    out : float64 (plans, rows), written in place.
    """
    plans, pairs = x.shape
    users = weights.shape[0]
    rows = rows_weight.shape[0]
    sites, types = cost.shape
    denominator = np.empty(users)
    captured = np.empty(users)
    rate = np.empty(users)
    occupied = np.zeros(sites, np.bool_)
    values = np.empty((rows, sites, types))
    slope = np.empty(sites * types)
    seg_cost = np.empty(sites * types)
    seg_value = np.empty(sites * types)
    best_site = np.empty(sites)
    opened = np.empty(pairs, np.int64)
    for b in range(plans):
        for j in range(sites):
            occupied[j] = False
            for k in range(types):
                if x[b, j * types + k] > 0.5:
                    occupied[j] = True
        count = 0
        for m in range(pairs):
            if x[b, m] > 0.5:
                opened[count] = m
                count += 1
        for i in range(users):
            d = opt_out[i]
            num = 0.0
            for q in range(count):
                m = opened[q]
                d += weights[i, m]
                num += revenue[m] * weights[i, m]
            denominator[i] = d
            captured[i] = num
            rate[i] = num / d
        values[:] = 0.0
        for m in range(pairs):
            j = m // types
            k = m - j * types
            if occupied[j]:
                continue
            for t in range(pair_ptr[m], pair_ptr[m + 1]):
                i = pair_users[t]
                excess = revenue[m] - rate[i]
                if excess <= 0.0:
                    continue
                v = weights[i, m]
                g = v * excess / (denominator[i] + v)
                for r in range(rows):
                    values[r, j, k] += rows_weight[r, i] * g
        for r in range(rows):
            bound = _mckp_row(values[r], cost, budgets[r], slope, seg_cost, seg_value)
            limit = counts[r]
            if room[b] >= 0:
                limit = min(limit, room[b])
                for j in range(sites):
                    top = 0.0
                    for k in range(types):
                        if values[r, j, k] > top:
                            top = values[r, j, k]
                    best_site[j] = top
                ranked = np.sort(best_site)
                cardinal = 0.0
                for q in range(min(max(room[b], 0), sites)):
                    cardinal += ranked[sites - 1 - q]
                if cardinal < bound:
                    bound = cardinal
            saturation = 0.0
            for i in range(users):
                w = rows_weight[r, i]
                if w == 0.0:
                    continue
                extra = 0.0
                taken = 0
                for q in range(sites):
                    if taken >= limit:
                        break
                    if occupied[site_order[i, q]]:
                        continue
                    extra += site_sorted[i, q]
                    taken += 1
                full = (captured[i] + best_revenue * extra) / (denominator[i] + extra)
                if full > rate[i]:
                    saturation += w * (full - rate[i])
            if saturation < bound:
                bound = saturation
            out[b, r] = bound


def warm_up() -> None:
    """Compile (or load from Numba's cache) every kernel on tiny inputs."""
    values = np.ones((1, 1, 1))
    out = np.empty(1)
    mckp_lp_bounds(values, np.ones((1, 1)), np.ones(1), out)
    gains = np.empty((1, 1, 1))
    knapsack_values(np.zeros((1, 1)), np.ones((1, 1)), np.ones(1), np.ones(1), np.array([0, 1], np.int64),
                    np.array([0], np.int64), np.ones((1, 1)), gains)
    bounds = np.empty((1, 1))
    subtree_gain_bounds(np.zeros((1, 1)), np.ones((1, 1)), np.ones(1), np.ones(1), np.array([0, 1], np.int64),
                        np.array([0], np.int64), np.ones((1, 1)), np.ones(1), np.ones(1, np.int64),
                        np.full(1, -1, np.int64), np.ones((1, 1)), np.zeros((1, 1), np.int64), np.ones((1, 1)), 1.0,
                        bounds)
