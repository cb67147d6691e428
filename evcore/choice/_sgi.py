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

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..solvers import Cuts, Model
from . import _planes
from .model import ChoiceInstance, captured_revenue


@dataclass(frozen=True, eq=False)
class Layout:
    """Decision groups over tree nodes, and the column order of the MILP.

    A *group* owns one location plan x[j, k] (deterministic model: one per year; two-stage:
    one per stage, shared by every scenario; multi-stage: one per scenario-tree node, so
    scenarios share decisions exactly as long as they share history). Each *tree node* has
    demand, a probability weight and one theta per user node, scored against the plan of its
    group. Columns: x of group 0, group 1, ... (site-major, then type), then theta of tree
    node 0, 1, ... (user nodes in order).
    """

    sites: int
    types: int
    users: int
    group_parent: np.ndarray  # (groups,), -1 for the first group
    group_stage: np.ndarray  # (groups,)
    node_group: np.ndarray  # (tree_nodes,)
    node_weight: np.ndarray  # (tree_nodes,)
    node_demand: np.ndarray  # (tree_nodes, users)

    @property
    def pairs(self) -> int:
        return self.sites * self.types

    @property
    def groups(self) -> int:
        return int(self.group_parent.shape[0])

    @property
    def tree_nodes(self) -> int:
        return int(self.node_group.shape[0])

    @property
    def num_x(self) -> int:
        return self.pairs * self.groups

    @property
    def num_cols(self) -> int:
        return self.num_x + self.users * self.tree_nodes

    def x_columns(self, group: int) -> np.ndarray:
        return group * self.pairs + np.arange(self.pairs)

    def theta_columns(self, tree_node: int) -> np.ndarray:
        return self.num_x + tree_node * self.users + np.arange(self.users)

    def objective_weights(self) -> np.ndarray:
        """Coefficient of every theta: probability times demand."""
        return (self.node_weight[:, None] * self.node_demand).reshape(-1)

    def plan(self, x: np.ndarray) -> np.ndarray:
        """Binary plan (sites, types, groups) from a solution vector (rounded)."""
        values = np.rint(x[: self.num_x]).reshape(self.groups, self.sites, self.types)
        return np.moveaxis(values, 0, -1)


def layout_for(instance: ChoiceInstance, model: str) -> Layout:
    """The decision structure of ``model`` ("deterministic", "two-stage" or "multi-stage")."""
    common = {"sites": instance.sites, "types": instance.types, "users": instance.nodes}
    if model == "deterministic":
        periods = instance.periods
        return Layout(**common, group_parent=np.arange(periods) - 1, group_stage=np.arange(periods),
                      node_group=np.arange(periods), node_weight=np.ones(periods), node_demand=instance.demand.T)
    tree = instance.tree
    if model == "multi-stage":
        return Layout(**common, group_parent=tree.parent, group_stage=tree.stage, node_group=np.arange(tree.size),
                      node_weight=tree.probability, node_demand=tree.demand)
    return Layout(**common, group_parent=np.arange(tree.stages) - 1, group_stage=np.arange(tree.stages),
                  node_group=tree.stage, node_weight=tree.probability, node_demand=tree.demand)


def planning_rows(instance: ChoiceInstance, layout: Layout, stations: int | None, num_cols: int):
    """Rows on the location variables x (the first ``layout.num_x`` columns), built in bulk.

    At most one type per site in each group; never dismantled nor changed
    (x[g] >= x[parent(g)] per (site, type)); construction budget B[stage(g)] for what group g
    builds beyond its parent (when the instance has budgets); exactly ``stations`` open
    (site, type) pairs per group (when given). Shared by every formulation.

    Returns
    -------
    matrix : scipy.sparse.csr_array, shape (rows, num_cols)
    lower, upper : numpy.ndarray, shape (rows,)
    """
    pairs, groups, sites, types = layout.pairs, layout.groups, instance.sites, instance.types
    blocks, lower, upper = [], [], []
    x_index = np.arange(layout.num_x).reshape(groups, pairs)
    has_parent = np.flatnonzero(layout.group_parent >= 0)

    def add(rows, cols, vals, count, low, high):
        blocks.append(sp.csr_array((vals, (rows, cols)), shape=(count, num_cols)))
        lower.append(low)
        upper.append(high)

    add(np.repeat(np.arange(groups * sites), types), x_index.reshape(-1), np.ones(layout.num_x), groups * sites,
        np.full(groups * sites, -np.inf), np.ones(groups * sites))
    if has_parent.size:  # never dismantled: x[g] - x[parent(g)] >= 0
        now = x_index[has_parent].reshape(-1)
        before = x_index[layout.group_parent[has_parent]].reshape(-1)
        count = now.size
        add(np.tile(np.arange(count), 2), np.concatenate([now, before]),
            np.concatenate([np.ones(count), -np.ones(count)]), count, np.zeros(count), np.full(count, np.inf))
    if instance.budget is not None:
        # sum_m f_m (x[g, m] - x[parent(g), m]) <= B[stage(g)], with x[parent of the first] = existing.
        cost = instance.cost.reshape(-1)
        rows = np.concatenate([np.repeat(np.arange(groups), pairs), np.repeat(has_parent, pairs)])
        cols = np.concatenate([x_index.reshape(-1), x_index[layout.group_parent[has_parent]].reshape(-1)])
        vals = np.concatenate([np.tile(cost, groups), -np.tile(cost, has_parent.size)])
        already = np.where(layout.group_parent < 0, cost @ instance.existing.reshape(-1).astype(float), 0.0)
        add(rows, cols, vals, groups, np.full(groups, -np.inf), instance.budget[layout.group_stage] + already)
    if stations is not None:
        add(np.repeat(np.arange(groups), pairs), x_index.reshape(-1), np.ones(layout.num_x), groups,
            np.full(groups, float(stations)), np.full(groups, float(stations)))
    return sp.vstack(blocks, format="csr"), np.concatenate(lower), np.concatenate(upper)


def location_bounds(instance: ChoiceInstance, layout: Layout):
    """Bounds and integrality of x: existing stations are fixed open."""
    existing = np.tile(instance.existing.reshape(-1).astype(float), layout.groups)
    return existing, np.ones(layout.num_x)


def theta_scale(instance: ChoiceInstance, layout: Layout) -> np.ndarray:
    """Upper bound of each theta, per theta column (tree node-major), 0 where it cannot matter.

    ``h_i(x) <= r̄ V / (v0 + V) <= r̄ Vmax / (v0 + Vmax)`` with one type per site. The masters
    hold ``theta / scale`` in [0, 1], so the solvers' absolute tolerances act relative to each
    user's possible revenue (utilities spanning 78 orders of magnitude make some revenues 1e-70).
    """
    vmax = instance.attraction.max(axis=2).sum(axis=1)
    upper = float(instance.revenue.max()) * vmax / (instance.opt_out + vmax) * (1.0 + (layout.pairs + 64) * 2.3e-16)
    scale = np.tile(upper, layout.tree_nodes)
    return np.where(layout.objective_weights() > 0, scale, 0.0)


def objective_unit(instance: ChoiceInstance, layout: Layout) -> float:
    """Revenue per unit of the masters' objective: their largest coefficient is 1.

    Solvers judge reduced costs and gaps with absolute tolerances (HiGHS: 1e-7, and a MIP
    absolute gap of 1e-6); an instance whose whole revenue is 1e-7 would be "solved" at once.
    """
    largest = float(np.max(layout.objective_weights() * theta_scale(instance, layout), initial=0.0))
    return largest if largest > 0 else 1.0


def base_model(instance: ChoiceInstance, layout: Layout, stations: int | None) -> Model:
    """The SGI master: planning rows on x, ``theta / scale`` in [0, 1] (:func:`theta_scale`)
    with weight probability × demand × scale, in units of :func:`objective_unit`."""
    matrix, lower, upper = planning_rows(instance, layout, stations, layout.num_cols)
    thetas = layout.num_cols - layout.num_x
    x_lower, x_upper = location_bounds(instance, layout)
    scale = theta_scale(instance, layout)
    objective = np.concatenate([np.zeros(layout.num_x), layout.objective_weights() * scale
                                / objective_unit(instance, layout)])
    integrality = np.concatenate([np.ones(layout.num_x, bool), np.zeros(thetas, bool)])
    return Model(objective=objective, constraint_matrix=matrix, row_lower=lower, row_upper=upper,
                 col_lower=np.concatenate([x_lower, np.zeros(thetas)]),
                 col_upper=np.concatenate([x_upper, (scale > 0).astype(float)]),
                 integrality=integrality, sense="max")


def plan_value(instance: ChoiceInstance, layout: Layout, plan: np.ndarray) -> float:
    """Expected revenue of a plan (sites, types, groups) under logit choice, exactly."""
    rates = np.stack([captured_revenue(instance, plan[:, :, g]) for g in range(layout.groups)])  # (groups, users)
    return float(np.sum(layout.node_weight[:, None] * layout.node_demand * rates[layout.node_group]))


def plan_problem(instance, layout: Layout, plan: np.ndarray, stations: int | None, *,
                 relative: float = 1e-12) -> str | None:
    """Why ``plan`` (bool, shape (sites, types, groups)) breaks the planning rules, or ``None``.

    Budgets are compared with a relative slack of ``relative`` (float64 sums of the costs).
    """
    plan = np.asarray(plan, bool)
    per_site = plan.sum(axis=1)
    if (per_site > 1).any():
        j, g = np.argwhere(per_site > 1)[0]
        return f"two station types at site {j} in group {g}"
    existing = instance.existing
    for g in range(layout.groups):
        parent = layout.group_parent[g]
        before = existing if parent < 0 else plan[:, :, parent]
        if (before & ~plan[:, :, g]).any():
            return f"group {g} removes or changes a station standing before it"
        if instance.budget is not None:
            spent = float(np.sum(instance.cost[plan[:, :, g] & ~before]))
            limit = float(instance.budget[layout.group_stage[g]])
            if spent > limit + relative * max(abs(limit), float(np.sum(instance.cost)), 1.0):
                return f"group {g} spends {spent!r} over its budget {limit!r}"
        if stations is not None and int(plan[:, :, g].sum()) != stations:
            return f"group {g} has {int(plan[:, :, g].sum())} stations, not {stations}"
    return None


def plan_values(data, layout: Layout, plan: np.ndarray) -> float:
    """Expected revenue of a plan (sites, types, groups), exactly (non-negative sums)."""
    x = plan.reshape(layout.sites * layout.types, layout.groups).T.astype(float)  # (groups, pairs)
    rates = _planes.revenue_rate(data, x)  # (groups, users)
    return float(np.sum(layout.node_weight[:, None] * layout.node_demand * rates[layout.node_group]))


def tangent_planes(instance: ChoiceInstance, open_pairs: np.ndarray):
    """h_i and its gradient at a point x̂ (binary or fractional), for every node.

    Parameters
    ----------
    open_pairs : numpy.ndarray, shape (sites * types,)
        x̂, site-major then type.

    Returns
    -------
    value : numpy.ndarray, shape (nodes,)
        h_i(x̂) (= R_i(x̂) at binary x̂).
    gradient : numpy.ndarray, shape (nodes, sites * types)
    """
    value, gradient, _ = _planes.tangent_planes(_planes.plane_data(instance), open_pairs)
    return value, gradient


def submodular_planes(instance: ChoiceInstance, open_pairs: np.ndarray):
    """Nemhauser-Wolsey cut at a binary point, for equal revenues (see :mod:`evcore.choice._planes`).

    Returns
    -------
    value : numpy.ndarray, shape (nodes,)
        f_i(Ŝ).
    slope : numpy.ndarray, shape (nodes, sites * types)
        ρ_m(Ŝ) for closed pairs, ρ_m(N - m) for open ones: the cut reads
        ``theta_i <= value_i + slope_i . (x - x̂)``.
    """
    value, slope, _ = _planes.submodular_planes(_planes.plane_data(instance), open_pairs)
    return value, slope


class SGISeparator:
    """``separate(x)`` for :func:`evcore.solvers.cut_loop`: planes where theta exceeds h.

    Every row it returns comes from :func:`evcore.choice._planes.safe_rows` (exact coefficient
    tightening, tiny coefficients moved to the right-hand side, a rounding margin), so it holds
    at every binary plan whatever the spread of the utilities. It also keeps the best plan seen
    (scored exactly; a lower bound on the optimum). ``tolerance`` (absolute, on theta) must not
    be below HiGHS's MIP feasibility tolerance (1e-6): a row already in the model may be
    violated by that much at HiGHS's answer, and adding it again would not move the solution.
    """

    def __init__(self, instance: ChoiceInstance, layout: Layout, *, gap: float = 0.0, tolerance: float = 1e-6,
                 fractional: bool = False, submodular: bool = False, stations: int | None = None, reporter=None):
        if submodular and (fractional or np.ptp(instance.revenue) > 0):
            raise ValueError("submodular cuts need equal revenues and binary points")
        self.families = (_planes.tangent_planes, _planes.submodular_planes) if submodular else (
            _planes.tangent_planes,)
        self.instance = instance
        self.layout = layout
        self.data = _planes.plane_data(instance)
        self.gap = gap
        self.tolerance = tolerance
        self.fractional = fractional
        self.stations = stations
        self.reporter = reporter
        self.best_value = -np.inf
        self.best_plan = None
        self.last_relaxation = np.inf
        self.cuts_added = 0
        self.calls = 0
        self.history: list[Cuts] = []
        self.scale = theta_scale(instance, layout).reshape(layout.tree_nodes, layout.users)

    def offer(self, plan: np.ndarray) -> None:
        """Score a plan exactly when it keeps the planning rules; keep the best."""
        plan = np.asarray(plan).astype(bool)
        if plan_problem(self.instance, self.layout, plan, self.stations) is None:
            value = plan_values(self.data, self.layout, plan)
            if value > self.best_value:
                self.best_value, self.best_plan = value, plan

    def __call__(self, x: np.ndarray):
        layout = self.layout
        self.calls += 1
        relaxation = float((layout.objective_weights() * self.scale.reshape(-1)) @ x[layout.num_x :])
        self.last_relaxation = relaxation
        if self.fractional:
            # LP phase: h is concave on the whole cube, so tangents at fractional points are valid.
            plan = np.moveaxis(np.clip(x[: layout.num_x], 0.0, 1.0).reshape(layout.groups, layout.sites,
                                                                             layout.types), 0, -1)
        else:
            plan = layout.plan(x)
            self.offer(plan)
        if self.reporter is not None:
            self.reporter.report(self.calls, objective=self.best_value if np.isfinite(self.best_value) else None,
                                 message=f"relaxation {relaxation:.10g}, {self.cuts_added} planes")
        found = self.violated_cuts(x, plan)
        if found is None:
            return None
        matrix, upper = found
        count = matrix.shape[0]
        self.cuts_added += count
        cuts = Cuts(matrix, np.full(count, -np.inf), upper)
        self.history.append(cuts)
        return cuts

    def violated_cuts(self, x: np.ndarray, plan: np.ndarray):
        """Safe planes at ``plan`` that the point ``x`` violates by more than ``tolerance``.

        Shared by the cut loop (``__call__``) and the SCIP constraint handler
        (:mod:`evcore.choice._scip`).

        Parameters
        ----------
        x : numpy.ndarray, shape (num_cols,)
            The point to separate (x then theta, the :class:`Layout`'s column order).
        plan : numpy.ndarray, shape (sites, types, groups)
            Where the planes touch h (binary, or fractional in the LP phase).

        Returns
        -------
        None when nothing is violated, else ``(matrix, upper)``: the rows
        ``matrix @ x <= upper``, a CSR array of shape (cuts, num_cols) and shape (cuts,).
        """
        layout = self.layout
        blocks, uppers = [], []
        binary = not self.fractional
        for family in self.families:
            for group in range(layout.groups):
                anchor = np.asarray(plan[:, :, group], float).reshape(-1)
                nodes = np.flatnonzero(layout.node_group == group)
                if nodes.size == 0:
                    continue
                value = _planes.revenue_rate(self.data, anchor)
                scale = self.scale[nodes]
                theta = x[layout.num_x :].reshape(layout.tree_nodes, layout.users)[nodes]
                useful = scale > 0
                violated = useful & (theta > np.where(useful, value[None, :] / np.where(useful, scale, 1.0), 0.0)
                                     + self.tolerance)
                if not violated.any():
                    continue
                if family is _planes.submodular_planes and not binary:
                    continue
                plane_value, slope, magnitude = family(self.data, anchor)
                node_index, users = np.nonzero(violated)
                s = scale[node_index, users]
                rows = _planes.safe_rows(plane_value[users] / s, slope[users] / s[:, None], magnitude[users] / s[:, None],
                                         anchor, layout.num_x + nodes[node_index] * layout.users + users,
                                         layout.x_columns(group), np.ones(users.size), layout.num_cols)
                if rows.matrix.shape[0] == 0:
                    continue
                cutting = rows.matrix @ x > rows.upper + self.tolerance
                if cutting.any():
                    blocks.append(rows.matrix[cutting])
                    uppers.append(rows.upper[cutting])
        if not blocks:
            return None
        return sp.vstack(blocks, format="csr"), np.concatenate(uppers)


def with_cuts(model: Model, cuts: list[Cuts]) -> Model:
    """``model`` with the rows of ``cuts`` appended (to seed a MIP with cuts found on its LP)."""
    if not cuts:
        return model
    return dataclasses.replace(
        model,
        constraint_matrix=sp.vstack([model.constraint_matrix, *(c.matrix for c in cuts)], format="csr"),
        row_lower=np.concatenate([model.row_lower, *(c.lower for c in cuts)]),
        row_upper=np.concatenate([model.row_upper, *(c.upper for c in cuts)]))


@dataclass
class MasterRounds:
    """Outcome of :func:`master_rounds`.

    ``x``: the last master's solution (None when no round produced one); ``bound``: the
    smallest MIP dual bound of the masters (objective units, no margin; ``inf`` when none);
    ``rounds``: one ``(round, time.perf_counter() at its end, bound so far, planes added)`` per
    master solved; ``stopped``: None when a master's solution violated no plane, else
    ``"time_limit"`` or ``"iteration_limit"``.
    """

    x: np.ndarray | None
    bound: float
    rounds: list
    stopped: str | None


def start_point(separator: "SGISeparator", plan: np.ndarray) -> np.ndarray:
    """A master point at a binary ``plan`` (sites, types, groups): x, and theta = h(plan) / scale
    shrunk by 1e-9 (every safe plane holds at a binary plan with theta = h, by construction)."""
    layout = separator.layout
    x = np.moveaxis(np.asarray(plan, float), -1, 0).reshape(-1)
    rates = _planes.revenue_rate(separator.data, x.reshape(layout.groups, layout.pairs))  # (groups, users)
    scale = separator.scale
    theta = np.where(scale > 0, rates[layout.node_group] / np.where(scale > 0, scale, 1.0), 0.0)
    return np.concatenate([x, np.clip(theta * (1.0 - 1e-9), 0.0, 1.0).reshape(-1)])


def master_rounds(model: Model, separator: "SGISeparator", options, *, deadline: float | None,
                  max_rounds: int) -> MasterRounds:
    """The SGI master re-solved as a MILP, planes added at each incumbent, until none is violated.

    Each round is a fresh HiGHS run given what remains of the time limit, started from the best
    plan so far. Not :func:`evcore.solvers.cut_loop`, which keeps one HiGHS object and adds the
    object's cumulative run time to each run's limit: HiGHS 1.16 compares a *MIP*'s
    ``time_limit`` with the current run's time only (an LP's with the cumulative time), so a
    late round ran for the whole limit again (``sgi`` at a 3 s limit took 5 s). A fresh model
    per round costs milliseconds; the incumbent carried over is the best plan, with exact theta.

    Raises InfeasibleError when the first master is infeasible; SolverError (``outcome`` set)
    when the first round hits a limit before HiGHS has any point.
    """
    from ..errors import SolverError
    from ..solvers import solve as solve_model

    x, bound, rounds, stopped = None, math.inf, [], "iteration_limit"
    planes = 0
    for number in range(1, max_rounds + 1):
        start = None if separator.best_plan is None else start_point(separator, separator.best_plan)
        remaining = None if deadline is None else deadline - time.perf_counter()
        if remaining is not None and remaining <= 0 and x is not None:
            stopped = "time_limit"
            break
        run_options = dataclasses.replace(options, time_limit=None if remaining is None else max(remaining, 1e-3))
        try:
            result = solve_model(model, run_options, start=start)
        except SolverError as error:
            if x is None or getattr(error, "outcome", None) is None:
                raise
            stopped = "time_limit" if error.outcome == "time_limit" else "iteration_limit"
            break
        x = result.x
        if result.mip_bound is not None and math.isfinite(result.mip_bound):
            bound = min(bound, float(result.mip_bound))
        cuts = separator(x.copy())
        added = 0 if cuts is None else cuts.num_rows
        planes += added
        rounds.append((number, time.perf_counter(), bound, planes))
        if result.status != "optimal":
            stopped = "time_limit" if result.status == "time_limit" else "iteration_limit"
            break
        if added == 0:
            stopped = None
            break
        model = with_cuts(model, [cuts])
    return MasterRounds(x=x, bound=bound, rounds=rounds, stopped=stopped)
