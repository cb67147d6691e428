"""The R4 formulation: binary expansion of the integer-scaled denominator, McCormick products.

Scaling and rounding (what makes R4 an approximation). Utilities are scaled by ``scale`` and
rounded to integers, ``ṽ = round(scale · v)`` and ``ṽ0 = round(scale · v0)``, so the
denominator ``D̃_i(x) = ṽ0_i + sum_m ṽ_im x_m`` is an integer in ``[ṽ0_i, ṽ0_i + sum_j max_k
ṽ_ijk]``. With ``bits_i = ceil(log2(max D̃_i + 1))`` binary digits ``w_ib``:

    sum_b 2^b w_ib = D̃_i(x)                       (the expansion, exact in integers)
    sum_b 2^b u_ib = sum_m r_m ṽ_im x_m            (theta_i D̃_i = captured revenue)
    u_ib = theta_i w_ib                            (McCormick with theta in [0, r̄]: exact, w binary)

so theta_i is exactly the revenue rate of the *rounded* utilities. A utility below
``0.5 / scale`` rounds to 0 (that station becomes invisible to that node): choose ``scale``
so that ``scale · min v`` is large, at the price of more digits. The plan R4 returns is scored
with the true utilities; its bound is a bound for the rounded model only.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from ..solvers import Model
from ._sgi import Layout, location_bounds, planning_rows
from .model import ChoiceInstance


def default_scale(instance: ChoiceInstance, digits: float = 3.0) -> float:
    """A scale giving the smallest positive utility ``10**digits`` units after rounding."""
    positive = instance.attraction[instance.attraction > 0]
    smallest = min(float(instance.opt_out.min()), float(positive.min()) if positive.size else np.inf)
    return 10.0**digits / smallest


def r4_model(instance: ChoiceInstance, layout: Layout, stations: int | None, scale: float) -> Model:
    """The R4 MILP. Columns: x (layout order), theta[node, user], w[node, user, bit], u[node, user, bit]."""
    users, pairs, nodes = layout.users, layout.pairs, layout.tree_nodes
    attraction = np.rint(scale * instance.attraction.reshape(users, pairs))
    opt_out = np.rint(scale * instance.opt_out)
    if np.any(opt_out < 1):
        raise InputError("scale", f"too small: an opt-out weight rounds to 0 (scale {scale:g})")
    largest = opt_out + np.rint(scale * instance.attraction).max(axis=2).sum(axis=1)
    if largest.max() >= 2.0**52:
        raise InputError("scale", f"too large: denominators exceed 2^52 and lose integrality (scale {scale:g})")
    bits = int(np.ceil(np.log2(largest.max() + 1)))
    revenue = np.tile(instance.revenue, instance.sites)
    best = float(instance.revenue.max())

    num_x, num_theta, num_w = layout.num_x, users * nodes, users * nodes * bits
    num_cols = num_x + num_theta + 2 * num_w
    theta = num_x + np.arange(num_theta).reshape(nodes, users)
    w = num_x + num_theta + np.arange(num_w).reshape(nodes, users, bits)
    u = w + num_w
    x = layout.node_group[:, None] * pairs + np.arange(pairs)[None, :]  # (nodes, pairs)
    powers = 2.0 ** np.arange(bits)
    rows_of = np.arange(num_theta).reshape(nodes, users)

    blocks, lower, upper = [], [], []

    def add(rows, cols, vals, count, low, high):
        blocks.append(sp.csr_array((np.asarray(vals, float).reshape(-1), (np.asarray(rows).reshape(-1),
                                    np.asarray(cols).reshape(-1))), shape=(count, num_cols)))
        lower.append(low)
        upper.append(high)

    # Expansion: sum_b 2^b w - sum_m ṽ x = ṽ0, one row per (tree node, user).
    expansion_rows = np.concatenate([np.repeat(rows_of[..., None], bits, axis=2).reshape(-1),
                                     np.repeat(rows_of[..., None], pairs, axis=2).reshape(-1)])
    expansion_cols = np.concatenate([w.reshape(-1), np.broadcast_to(x[:, None, :], (nodes, users, pairs)).reshape(-1)])
    expansion_vals = np.concatenate([np.broadcast_to(powers, (nodes, users, bits)).reshape(-1),
                                     -np.broadcast_to(attraction, (nodes, users, pairs)).reshape(-1)])
    rhs = np.tile(opt_out, nodes)
    add(expansion_rows, expansion_cols, expansion_vals, num_theta, rhs, rhs)
    # Revenue: sum_b 2^b u - sum_m r ṽ x = 0.
    add(expansion_rows, np.concatenate([u.reshape(-1), expansion_cols[num_w:]]),
        np.concatenate([expansion_vals[:num_w], -np.broadcast_to(revenue * attraction, (nodes, users, pairs)).reshape(-1)]),
        num_theta, np.zeros(num_theta), np.zeros(num_theta))
    # McCormick for u = theta w with theta in [0, r̄], w binary.
    k = np.arange(num_w)
    theta_of_bit = np.broadcast_to(theta[..., None], (nodes, users, bits)).reshape(-1)
    ones, inf = np.ones(num_w), np.full(num_w, np.inf)
    add(np.tile(k, 2), np.concatenate([u.reshape(-1), w.reshape(-1)]), np.concatenate([ones, -best * ones]),
        num_w, -inf, np.zeros(num_w))  # u <= r̄ w
    add(np.tile(k, 2), np.concatenate([u.reshape(-1), theta_of_bit]), np.concatenate([ones, -ones]),
        num_w, -inf, np.zeros(num_w))  # u <= theta
    add(np.tile(k, 3), np.concatenate([u.reshape(-1), theta_of_bit, w.reshape(-1)]),
        np.concatenate([ones, -ones, -best * ones]), num_w, -best * ones, inf)  # u >= theta - r̄ (1 - w)
    planning, plan_lower, plan_upper = planning_rows(instance, layout, stations, num_cols)
    blocks.append(planning)
    lower.append(plan_lower)
    upper.append(plan_upper)

    objective = np.zeros(num_cols)
    objective[num_x : num_x + num_theta] = layout.objective_weights()
    x_lower, x_upper = location_bounds(instance, layout)
    col_lower = np.concatenate([x_lower, np.zeros(num_theta + 2 * num_w)])
    col_upper = np.concatenate([x_upper, np.full(num_theta, best), np.ones(num_w), np.full(num_w, best)])
    integrality = np.zeros(num_cols, dtype=bool)
    integrality[:num_x] = True
    integrality[num_x + num_theta : num_x + num_theta + num_w] = True
    return Model(objective=objective, constraint_matrix=sp.vstack(blocks, format="csr"),
                 row_lower=np.concatenate(lower), row_upper=np.concatenate(upper), col_lower=col_lower,
                 col_upper=col_upper, integrality=integrality, sense="max")
