"""Plain twins of the compiled kernels of evcore.choice, for the tests.

:func:`mckp_lp_bounds` solves the same LP relaxation of a multiple-choice knapsack with
scipy's ``linprog`` (HiGHS) row by row: slow and obvious.
"""

from __future__ import annotations

import numpy as np


def mckp_lp_bounds(values, cost, budget):
    """LP optimum per row (see :func:`evcore.choice._kernels.mckp_lp_bounds`), via ``linprog``."""
    from scipy.optimize import linprog

    rows, sites, types = values.shape
    out = np.empty(rows)
    for r in range(rows):
        c = -values[r].reshape(-1)
        # one type per site: sum_k y_jk <= 1; budget: cost . y <= budget
        a_ub = np.zeros((sites + 1, sites * types))
        for j in range(sites):
            a_ub[j, j * types : (j + 1) * types] = 1.0
        a_ub[sites] = cost.reshape(-1)
        b_ub = np.concatenate([np.ones(sites), [budget[r] if np.isfinite(budget[r]) else 1e300]])
        result = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
        out[r] = -result.fun
    return out


def knapsack_values(x, weights, revenue, opt_out, node_weight):
    """Twin of :func:`evcore.choice._kernels.knapsack_values` in numpy (dense)."""
    x = np.asarray(x, float)
    denominator = opt_out[None, :] + x @ weights.T  # (plans, users)
    rate = ((x * revenue) @ weights.T) / denominator
    gain = weights[None] * np.maximum(revenue[None, None, :] - rate[:, :, None], 0.0) / (
        denominator[:, :, None] + weights[None])
    values = np.einsum("bup,nu->bnp", gain, node_weight)
    return np.where(x[:, None, :] > 0.5, 0.0, values)


def subtree_gain_bounds(x, weights, revenue, opt_out, rows_weight, budgets, counts, room, cost, best_revenue):
    """Twin of :func:`evcore.choice._kernels.subtree_gain_bounds` (numpy, LP by ``linprog``)."""
    x = np.asarray(x, float)
    plans = x.shape[0]
    sites, types = cost.shape
    occupied = x.reshape(plans, sites, types).any(axis=2)
    values = knapsack_values(x, weights, revenue, opt_out, rows_weight).reshape(plans, -1, sites, types)
    values = np.where(occupied[:, None, :, None], 0.0, values)
    out = np.empty((plans, rows_weight.shape[0]))
    denominator = opt_out[None, :] + x @ weights.T
    captured = (x * revenue) @ weights.T
    rate = captured / denominator
    site_best = weights.reshape(weights.shape[0], sites, types).max(axis=2)
    for b in range(plans):
        for r in range(rows_weight.shape[0]):
            bound = mckp_lp_bounds(values[b, r][None], cost, np.array([budgets[r]]))[0]
            limit = counts[r] if room[b] < 0 else min(counts[r], room[b])
            if room[b] >= 0:
                best = np.sort(values[b, r].max(axis=1))[::-1]
                bound = min(bound, best[: max(room[b], 0)].sum())
            free = np.where(occupied[b][None, :], 0.0, site_best)
            extra = -np.sort(-free, axis=1)[:, : max(limit, 0)].sum(axis=1)
            full = (captured[b] + best_revenue * extra) / (denominator[b] + extra)
            bound = min(bound, float(rows_weight[r] @ np.maximum(full - rate[b], 0.0)))
            out[b, r] = bound
    return out
