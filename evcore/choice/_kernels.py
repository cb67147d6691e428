"""Numba kernels of evcore.choice (plain twins in :mod:`evcore.choice._reference`)."""

from __future__ import annotations

import numpy as np
from numba import njit


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
        count = 0
        free = 0.0
        for j in range(sites):
            # Items costing nothing: the best of them is taken outright.
            base = 0.0
            for k in range(types):
                if cost[j, k] <= 0.0 and values[r, j, k] > base:
                    base = values[r, j, k]
            free += base
            at_cost, at_value = 0.0, base
            while True:
                pick, steepest = -1, 0.0
                for k in range(types):
                    c = cost[j, k]
                    v = values[r, j, k]
                    if c > at_cost and v > at_value:
                        s = (v - at_value) / (c - at_cost)
                        if s > steepest or (s == steepest and pick >= 0 and c > cost[j, pick]):
                            pick, steepest = k, s
                if pick < 0:
                    break
                slope[count] = steepest
                seg_cost[count] = cost[j, pick] - at_cost
                seg_value[count] = values[r, j, pick] - at_value
                count += 1
                at_cost, at_value = cost[j, pick], values[r, j, pick]
        order = np.argsort(-slope[:count])
        left = budget[r]
        total = free
        for i in range(count):
            s = order[i]
            if seg_cost[s] <= left:
                total += seg_value[s]
                left -= seg_cost[s]
            else:
                total += seg_value[s] * (left / seg_cost[s])
                break
        out[r] = total


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


def warm_up() -> None:
    """Compile (or load from Numba's cache) every kernel on tiny inputs."""
    values = np.ones((1, 1, 1))
    out = np.empty(1)
    mckp_lp_bounds(values, np.ones((1, 1)), np.ones(1), out)
    gains = np.empty((1, 1, 1))
    knapsack_values(np.zeros((1, 1)), np.ones((1, 1)), np.ones(1), np.ones(1), np.array([0, 1], np.int64),
                    np.array([0], np.int64), np.ones((1, 1)), gains)
