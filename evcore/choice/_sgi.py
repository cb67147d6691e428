"""The SGI formulation: a MILP whose capture constraints are tangent planes added on demand.

With r̄ = max_k r[k] and binary x (x² = x), the revenue rate of node i equals

    h_i(x) = r̄ (1 - v0_i / D_i(x)) - sum_m (r̄ - r_m) v_im x_m² / D_i(x),

which is concave on [0, 1]^n (restated in the issue from the paper's Theorems 1-2). So
``theta_i <= h_i(x)`` at binary x is exactly the intersection of the tangent planes of h_i at
binary points (subgradient inequalities), added only where an incumbent violates them. Here
``m`` runs over (site, type) pairs. The gradient at x̂:

    dh_i/dx_m = v_im (r̄ v0_i + Q_i) / D_i² - 2 (r̄ - r_m) v_im x̂_m / D_i,
    Q_i = sum_l (r̄ - r_l) v_il x̂_l².
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..solvers import Cuts, Model
from .model import ChoiceInstance


@dataclass(frozen=True)
class Layout:
    """Column order: x[j, k, t] first (t-major, then site, then type), then theta[i, t]."""

    sites: int
    types: int
    periods: int
    nodes: int

    @property
    def pairs(self) -> int:
        return self.sites * self.types

    @property
    def num_x(self) -> int:
        return self.pairs * self.periods

    @property
    def num_cols(self) -> int:
        return self.num_x + self.nodes * self.periods

    def x_columns(self, period: int) -> np.ndarray:
        return period * self.pairs + np.arange(self.pairs)

    def theta_columns(self, period: int) -> np.ndarray:
        return self.num_x + period * self.nodes + np.arange(self.nodes)

    def plan(self, x: np.ndarray) -> np.ndarray:
        """Binary plan (sites, types, periods) from a solution vector (rounded)."""
        values = np.rint(x[: self.num_x]).reshape(self.periods, self.sites, self.types)
        return np.moveaxis(values, 0, -1)


def base_model(instance: ChoiceInstance, stations: int | None) -> tuple[Model, Layout]:
    """The MILP without capture constraints: planning rows, theta bounded by r̄.

    Rows (built in bulk): at most one type per site and year; never dismantled
    (x[j,k,t] >= x[j,k,t-1]); construction budget per year (when the instance has one);
    exactly ``stations`` open (site, type) pairs per year (when given).
    """
    layout = Layout(instance.sites, instance.types, instance.periods, instance.nodes)
    pairs, periods = layout.pairs, layout.periods
    blocks, lower, upper = [], [], []
    x_index = np.arange(layout.num_x).reshape(periods, instance.sites, instance.types)

    # One type per site and year.
    rows = np.repeat(np.arange(periods * instance.sites), instance.types)
    blocks.append(sp.csr_array((np.ones(layout.num_x), (rows, x_index.reshape(-1))),
                               shape=(periods * instance.sites, layout.num_cols)))
    lower.append(np.full(periods * instance.sites, -np.inf))
    upper.append(np.ones(periods * instance.sites))
    if periods > 1:  # never dismantled: x[t] - x[t-1] >= 0
        now, before = x_index[1:].reshape(-1), x_index[:-1].reshape(-1)
        count = now.size
        rows = np.concatenate([np.arange(count), np.arange(count)])
        blocks.append(sp.csr_array((np.concatenate([np.ones(count), -np.ones(count)]),
                                    (rows, np.concatenate([now, before]))), shape=(count, layout.num_cols)))
        lower.append(np.zeros(count))
        upper.append(np.full(count, np.inf))
    existing = instance.existing.reshape(-1).astype(float)
    if instance.budget is not None:
        # sum_m f_m (x[m, t] - x[m, t-1]) <= B[t], with x[m, -1] = existing.
        cost = instance.cost.reshape(-1)
        rows = [np.repeat(np.arange(periods), pairs)]
        cols = [x_index.reshape(-1)]
        vals = [np.tile(cost, periods)]
        if periods > 1:
            rows.append(np.repeat(np.arange(1, periods), pairs))
            cols.append(x_index[:-1].reshape(-1))
            vals.append(-np.tile(cost, periods - 1))
        blocks.append(sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                                   shape=(periods, layout.num_cols)))
        lower.append(np.full(periods, -np.inf))
        upper.append(instance.budget + np.concatenate([[cost @ existing], np.zeros(periods - 1)]))
    if stations is not None:
        rows = np.repeat(np.arange(periods), pairs)
        blocks.append(sp.csr_array((np.ones(layout.num_x), (rows, x_index.reshape(-1))),
                                   shape=(periods, layout.num_cols)))
        lower.append(np.full(periods, float(stations)))
        upper.append(np.full(periods, float(stations)))

    best_revenue = float(instance.revenue.max())
    objective = np.concatenate([np.zeros(layout.num_x), instance.demand.T.reshape(-1)])
    col_lower = np.concatenate([np.tile(existing, periods), np.zeros(layout.num_cols - layout.num_x)])
    col_upper = np.concatenate([np.ones(layout.num_x), np.full(layout.num_cols - layout.num_x, best_revenue)])
    integrality = np.concatenate([np.ones(layout.num_x, bool), np.zeros(layout.num_cols - layout.num_x, bool)])
    model = Model(objective=objective, constraint_matrix=sp.vstack(blocks, format="csr"),
                  row_lower=np.concatenate(lower), row_upper=np.concatenate(upper), col_lower=col_lower,
                  col_upper=col_upper, integrality=integrality, sense="max")
    return model, layout


def tangent_planes(instance: ChoiceInstance, open_pairs: np.ndarray):
    """h_i and its gradient at a binary point, for every node.

    Parameters
    ----------
    open_pairs : numpy.ndarray, shape (sites * types,)
        x̂ (0/1), site-major then type.

    Returns
    -------
    value : numpy.ndarray, shape (nodes,)
        h_i(x̂) = R_i(x̂).
    gradient : numpy.ndarray, shape (nodes, sites * types)
    """
    weights = instance.attraction.reshape(instance.nodes, -1)
    revenue = np.tile(instance.revenue, instance.sites)
    best = float(instance.revenue.max())
    shortfall = best - revenue  # r̄ - r_m >= 0
    denominator = instance.opt_out + weights @ open_pairs
    penalty = weights @ (shortfall * open_pairs * open_pairs)
    value = best * (1.0 - instance.opt_out / denominator) - penalty / denominator
    gradient = (weights * ((best * instance.opt_out + penalty) / denominator**2)[:, None]
                - weights * (2.0 * shortfall * open_pairs)[None, :] / denominator[:, None])
    return value, gradient


class SGISeparator:
    """``separate(x)`` for :func:`evcore.solvers.cut_loop`: tangent cuts where theta exceeds h.

    It also keeps the best plan seen (its true revenue is a valid lower bound on the optimum)
    and ends the loop once the relaxation's value is within ``gap`` of that revenue.
    ``tolerance`` (absolute, on theta) must not be below HiGHS's MIP feasibility tolerance
    (1e-6): a cut already in the model may be violated by that much at HiGHS's answer, and
    adding it again would not move the solution.
    """

    def __init__(self, instance: ChoiceInstance, layout: Layout, *, gap: float, tolerance: float = 1e-6):
        self.instance = instance
        self.layout = layout
        self.gap = gap
        self.tolerance = tolerance
        self.best_value = -np.inf
        self.best_plan = None
        self.last_relaxation = np.inf
        self.cuts_added = 0

    def __call__(self, x: np.ndarray):
        layout, instance = self.layout, self.instance
        plan = layout.plan(x)
        value = instance.objective(plan)
        if value > self.best_value:
            self.best_value, self.best_plan = value, plan
        relaxation = float(instance.demand.T.reshape(-1) @ x[layout.num_x :])
        self.last_relaxation = relaxation
        if relaxation - self.best_value <= self.gap * max(abs(self.best_value), 1e-12):
            return None  # the incumbent is optimal within the gap: nothing left to separate
        rows, cols, vals, upper = [], [], [], []
        count = 0
        for period in range(layout.periods):
            open_pairs = plan[:, :, period].reshape(-1)
            h_value, gradient = tangent_planes(instance, open_pairs)
            theta = x[layout.theta_columns(period)]
            violated = np.flatnonzero(theta > h_value + self.tolerance)
            if violated.size == 0:
                continue
            # theta_i - g_i . x <= h_i - g_i . x̂
            x_cols = layout.x_columns(period)
            k = violated.size
            rows.append(np.repeat(np.arange(count, count + k), layout.pairs + 1))
            cols.append(np.column_stack([layout.theta_columns(period)[violated][:, None],
                                         np.broadcast_to(x_cols, (k, layout.pairs))]).reshape(-1))
            vals.append(np.column_stack([np.ones((k, 1)), -gradient[violated]]).reshape(-1))
            upper.append(h_value[violated] - gradient[violated] @ open_pairs)
            count += k
        if count == 0:
            return None
        self.cuts_added += count
        matrix = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                              shape=(count, layout.num_cols))
        return Cuts(matrix, np.full(count, -np.inf), np.concatenate(upper))
