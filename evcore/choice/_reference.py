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
