"""The R1 formulation: y_i = 1 / D_i(x) with McCormick products z = y x (exact at binary x).

With D_i(x) = v0_i + sum_m v_im x_m, the identity D_i y_i = 1 is linear once z_im = y_i x_m:
``v0_i y_i + sum_m v_im z_im = 1``; revenue is ``sum_m r_m v_im z_im``. For binary x the four
McCormick inequalities with y_i in [L_i, U_i] make z_im = y_i x_m exactly, where
U_i = 1 / v0_i (nothing open) and L_i = 1 / (v0_i + sum_j max_k v_ijk) (every site open with
its most attractive type, as at most one type stands at a site). One z per user node, (site,
type) pair and tree node: the model is large, which is what SGI avoids.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..solvers import Model
from ._sgi import Layout, location_bounds, planning_rows
from .model import ChoiceInstance


def r1_model(instance: ChoiceInstance, layout: Layout, stations: int | None) -> tuple[Model, slice]:
    """The R1 MILP. Columns: x (layout order), then y[tree node, user], then z[tree node, user, pair].

    Returns
    -------
    model : Model
    x_columns : slice
    """
    users, pairs, nodes = layout.users, layout.pairs, layout.tree_nodes
    num_x, num_y, num_z = layout.num_x, users * nodes, users * pairs * nodes
    num_cols = num_x + num_y + num_z
    weights = instance.attraction.reshape(users, pairs)  # v[i, m]
    revenue = np.tile(instance.revenue, instance.sites)  # r[m]
    upper_y = 1.0 / instance.opt_out
    lower_y = 1.0 / (instance.opt_out + instance.attraction.max(axis=2).sum(axis=1))

    y_col = num_x + np.arange(num_y).reshape(nodes, users)
    z_col = num_x + num_y + np.arange(num_z).reshape(nodes, users, pairs)
    x_col = (layout.node_group[:, None] * pairs + np.arange(pairs)[None, :])  # (nodes, pairs)
    x_of_z = np.broadcast_to(x_col[:, None, :], (nodes, users, pairs))
    y_of_z = np.broadcast_to(y_col[:, :, None], (nodes, users, pairs))
    low = np.broadcast_to(lower_y[None, :, None], (nodes, users, pairs)).reshape(-1)
    high = np.broadcast_to(upper_y[None, :, None], (nodes, users, pairs)).reshape(-1)
    z, x, y = z_col.reshape(-1), x_of_z.reshape(-1), y_of_z.reshape(-1)
    ones = np.ones(num_z)

    blocks, lower, upper = [], [], []

    def add(cols_and_vals, row_lower, row_upper):
        rows = np.tile(np.arange(num_z), len(cols_and_vals))
        cols = np.concatenate([c for c, _ in cols_and_vals])
        vals = np.concatenate([v for _, v in cols_and_vals])
        blocks.append(sp.csr_array((vals, (rows, cols)), shape=(num_z, num_cols)))
        lower.append(row_lower)
        upper.append(row_upper)

    minus_inf, plus_inf = np.full(num_z, -np.inf), np.full(num_z, np.inf)
    add([(z, ones), (x, -high)], minus_inf, np.zeros(num_z))  # z <= U x
    add([(z, ones), (x, -low)], np.zeros(num_z), plus_inf)  # z >= L x
    add([(z, ones), (y, -ones), (x, -low)], minus_inf, -low)  # z <= y - L (1 - x)
    add([(z, ones), (y, -ones), (x, -high)], -high, plus_inf)  # z >= y - U (1 - x)
    # v0_i y_i + sum_m v_im z_im = 1 for every tree node and user node.
    rows = np.concatenate([np.arange(num_y), np.repeat(np.arange(num_y), pairs)])
    cols = np.concatenate([y_col.reshape(-1), z_col.reshape(-1)])
    vals = np.concatenate([np.tile(instance.opt_out, nodes), np.tile(weights.reshape(-1), nodes)])
    blocks.append(sp.csr_array((vals, (rows, cols)), shape=(num_y, num_cols)))
    lower.append(np.ones(num_y))
    upper.append(np.ones(num_y))
    planning, plan_lower, plan_upper = planning_rows(instance, layout, stations, num_cols)
    blocks.append(planning)
    lower.append(plan_lower)
    upper.append(plan_upper)

    objective = np.zeros(num_cols)
    objective[num_x + num_y:] = ((layout.node_weight[:, None] * layout.node_demand)[:, :, None]
                                 * (revenue * weights)[None, :, :]).reshape(-1)
    x_lower, x_upper = location_bounds(instance, layout)
    col_lower = np.concatenate([x_lower, np.tile(lower_y, nodes), np.zeros(num_z)])
    col_upper = np.concatenate([x_upper, np.tile(upper_y, nodes), np.tile(np.repeat(upper_y, pairs), nodes)])
    integrality = np.zeros(num_cols, dtype=bool)
    integrality[:num_x] = True
    model = Model(objective=objective, constraint_matrix=sp.vstack(blocks, format="csr"),
                  row_lower=np.concatenate(lower), row_upper=np.concatenate(upper), col_lower=col_lower,
                  col_upper=col_upper, integrality=integrality, sense="max")
    return model, slice(0, num_x)
