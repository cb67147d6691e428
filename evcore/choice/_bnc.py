"""evcore's exact method for station location under logit choice: a branch-and-cut whose bound is a proof.

The master is SGI's (location binaries x per decision group, one theta per user node and
scenario-tree node), but instead of re-solving a MILP per round (the paper's lazy SGI), one
LP is kept warm (:class:`evcore.solvers.RowGenerationLP`) and

* tangent planes of the concave revenue rate h are separated at *fractional* LP points too
  (valid on the whole cube), submodular cuts at binary points when all revenues are equal;
* branching is evcore's own (earlier stages first, most fractional), best-bound search with
  dives, so every node's bound is known to evcore;
* every node bound is recomputed from the LP's row duals in safe arithmetic (weak duality:
  any multipliers give an upper bound, see :func:`safe_bound`); HiGHS's own objective and its
  tolerances never become a certificate;
* every cut is made safe before it goes in (:func:`evcore.choice._planes.safe_rows`: exact
  coefficient tightening, tiny coefficients moved into the right-hand side, a rounding margin);
* incumbents are plans checked exactly against the planning rules and scored exactly.

So ``bound`` is a valid upper bound on the optimum up to the (bounded, added) rounding of
float64 sums, and ``status="optimal"`` means the proven relative gap is within the stated
tolerance.

Theta columns are scaled to [0, 1] (theta / its upper bound), so HiGHS's absolute tolerances
act relative to each user's possible revenue.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..solvers import Model, RowGenerationLP
from ._planes import EPS, plane_data, revenue_rate, safe_rows, submodular_planes, tangent_planes
from ._sgi import Layout, location_bounds, plan_problem, plan_values, planning_rows

#: Relative violation (of a scaled theta, in [0, 1]) above which a plane counts as violated.
SEPARATION_TOLERANCE = 1e-9
#: Per round, planes go in for the violations of at least this fraction of the largest
#: (weighted by demand and probability) in each decision group.
SELECT_FRACTION = 0.01
#: An x value this close to 0 or 1 counts as integral.
INTEGRALITY_TOLERANCE = 1e-6


@dataclass
class Search:
    """Outcome of :func:`branch_and_cut`."""

    plan: np.ndarray | None
    value: float
    bound: float
    nodes: int
    cuts: int
    lp_solves: int
    stopped: str | None  # None: search complete; "time_limit" / "iteration_limit"
    trace: list


def safe_bound(objective, matrix, lower, upper, col_lower, col_upper, duals) -> float:
    """An upper bound on ``max objective . z`` over ``lower <= matrix z <= upper`` and the box.

    Weak duality for any multipliers y: ``c.z = y.(A z) + (c - A'y).z``, each part bounded
    over its own range (a multiplier whose needed side is infinite is set to 0, which keeps it
    valid). The float64 evaluation is padded by its own error bound (sum lengths times unit
    roundoff times the magnitudes summed).
    """
    y = np.asarray(duals, float)
    y = np.where(((y > 0) & ~np.isfinite(upper)) | ((y < 0) & ~np.isfinite(lower)), 0.0, y)
    y = np.where(np.isfinite(y), y, 0.0)
    row_part = np.where(y > 0, y * np.where(np.isfinite(upper), upper, 0.0),
                        np.where(y < 0, y * np.where(np.isfinite(lower), lower, 0.0), 0.0))
    reduced = objective - matrix.T @ y
    col_part = np.maximum(reduced * col_lower, reduced * col_upper)
    total = float(row_part.sum() + col_part.sum())
    magnitude = (float(np.abs(row_part).sum())
                 + float(((np.abs(objective) + np.abs(matrix).T @ np.abs(y))
                          * np.maximum(np.abs(col_lower), np.abs(col_upper))).sum()))
    length = matrix.shape[0] + matrix.shape[1] + 8
    return total + 2.0 * length * EPS * magnitude


def _farkas(matrix, lower, upper, col_lower, col_upper, ray) -> bool:
    """True when ``ray`` (either sign) proves ``lower <= matrix z <= upper`` empty over the box."""
    if ray is None or not np.all(np.isfinite(ray)):
        return False
    for y in (ray, -ray):
        # y.(A z) >= min over rows, and <= max over the box; empty when max < min.
        if np.any((y > 0) & ~np.isfinite(lower)) or np.any((y < 0) & ~np.isfinite(upper)):
            continue
        rows_min = float(np.sum(np.where(y > 0, y * np.where(np.isfinite(lower), lower, 0.0),
                                         np.where(y < 0, y * np.where(np.isfinite(upper), upper, 0.0), 0.0))))
        coefficient = matrix.T @ y
        box_max = float(np.sum(np.maximum(coefficient * col_lower, coefficient * col_upper)))
        magnitude = float(np.abs(y) @ np.maximum(np.abs(np.where(np.isfinite(lower), lower, 0)),
                                                 np.abs(np.where(np.isfinite(upper), upper, 0)))) + float(
            (np.abs(matrix).T @ np.abs(y)) @ np.maximum(np.abs(col_lower), np.abs(col_upper)))
        if box_max + 2.0 * (matrix.shape[0] + matrix.shape[1] + 8) * EPS * magnitude < rows_min:
            return True
    return False


class BranchAndCut:
    """State of one branch-and-cut run (see the module docstring)."""

    def __init__(self, instance, layout: Layout, stations: int | None, *, gap: float, submodular: bool,
                 clusters: int | None = None, root_rounds: int = 200, node_rounds: int = 8):
        self.instance, self.layout, self.stations, self.gap = instance, layout, stations, gap
        self.data = plane_data(instance)
        self.use_submodular = submodular and self.data.equal
        self.root_rounds, self.node_rounds = root_rounds, node_rounds
        users, pairs = layout.users, layout.pairs
        self.pairs = pairs
        # Users are aggregated into clusters (per tree node) with one theta each: theta_c stands
        # for sum_{i in c} w_i h_i (multi-cut when every user is its own cluster). Clusters hold
        # users that prefer the same site, of about equal weight.
        count = users if clusters is None else max(1, min(int(clusters), users))
        favourite = instance.attraction.max(axis=2).argmax(axis=1)
        order = np.lexsort((np.arange(users), favourite))
        self.cluster_of = np.empty(users, dtype=np.int64)
        self.cluster_of[order] = np.arange(users) * count // users
        self.clusters = count
        self.membership = sp.csr_array((np.ones(users), (self.cluster_of, np.arange(users))), shape=(count, users))
        self.cluster_size = int(np.bincount(self.cluster_of, minlength=count).max())
        # h_i(x) <= r̄ V / (v0 + V) <= r̄ Vmax / (v0 + Vmax), one type per site.
        vmax = instance.attraction.max(axis=2).sum(axis=1)
        upper = self.data.best * vmax / (self.data.opt_out + vmax)
        self.user_weight = layout.node_weight[:, None] * layout.node_demand  # (tree nodes, users)
        cluster_upper = (self.membership @ (self.user_weight * upper[None, :]).T).T  # (tree nodes, clusters)
        cluster_upper = cluster_upper.reshape(-1) * (1.0 + (users + 64) * EPS)
        self.useful = cluster_upper > 0
        self.scale = np.where(self.useful, cluster_upper, 1.0)  # sum of w h over the cluster = scale * column
        self.num_cols = layout.num_x + layout.tree_nodes * count
        num_cols = self.num_cols
        matrix, row_lower, row_upper = planning_rows(instance, layout, stations, num_cols)
        x_lower, x_upper = location_bounds(instance, layout)
        self.col_lower = np.concatenate([x_lower, np.zeros(num_cols - layout.num_x)])
        self.col_upper = np.concatenate([x_upper, np.where(self.useful, 1.0, 0.0)])
        # Objective in units of its largest coefficient (solvers' tolerances are absolute).
        self.unit = float(self.scale[self.useful].max()) if self.useful.any() else 1.0
        self.objective = np.concatenate([np.zeros(layout.num_x), np.where(self.useful, self.scale, 0.0) / self.unit])
        self.blocks = [matrix]
        self.row_lower = [row_lower]
        self.row_upper = [row_upper]
        self._stacked = None
        self.planning_rows = matrix.shape[0]
        self.lp = RowGenerationLP(Model(objective=self.objective, constraint_matrix=matrix, row_lower=row_lower,
                                        row_upper=row_upper, col_lower=self.col_lower, col_upper=self.col_upper,
                                        sense="max"))
        self.cuts = 0
        self.lp_solves = 0
        self.seen_anchors: set = set()
        self.row_keys: list = []  # key of each cut row (LP row planning_rows + k)
        self.row_age = np.zeros(0, dtype=np.int64)  # LP solves since the cut row was last tight
        self.purge_above = max(1000, 3 * int(self.useful.sum()))
        self.best_plan = None
        self.best_value = -math.inf
        # Tree structure of the groups for the rounding heuristic (parents come first).
        self.order = np.argsort(layout.group_stage, kind="stable")

    # -- rows -------------------------------------------------------------------------------------
    def stacked(self):
        if self._stacked is None:
            matrix = sp.vstack(self.blocks, format="csr") if len(self.blocks) > 1 else self.blocks[0]
            self.blocks = [matrix]
            lower, upper = np.concatenate(self.row_lower), np.concatenate(self.row_upper)
            self.row_lower, self.row_upper = [lower], [upper]
            self._stacked = (matrix, lower, upper)
        return self._stacked

    def add_rows(self, matrix, upper, keys) -> None:
        if matrix.shape[0] == 0:
            return
        self.row_keys.extend(keys)
        self.row_age = np.concatenate([self.row_age, np.zeros(matrix.shape[0], dtype=np.int64)])
        lower = np.full(matrix.shape[0], -np.inf)
        self.lp.add_rows(matrix, lower, upper)
        self.blocks.append(matrix)
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        self._stacked = None
        self.cuts += matrix.shape[0]

    def age_rows(self, duals) -> None:
        """Count LP solves since each cut row was last tight; drop long-idle rows when many."""
        if self.row_age.size == 0:
            return
        tight = np.zeros(self.row_age.size, bool) if duals is None else np.abs(duals[self.planning_rows :]) > 0.0
        self.row_age = np.where(tight, 0, self.row_age + 1)
        if self.row_age.size <= self.purge_above:
            return
        idle = np.flatnonzero(self.row_age >= 3)
        if idle.size == 0:
            return
        self.lp.delete_rows(self.planning_rows + idle)
        matrix, lower, upper = self.stacked()
        keep = np.ones(matrix.shape[0], bool)
        keep[self.planning_rows + idle] = False
        self.blocks, self.row_lower, self.row_upper = [matrix[keep]], [lower[keep]], [upper[keep]]
        self._stacked = None
        for k in idle:
            self.seen_anchors.discard(self.row_keys[k])
        kept = np.ones(self.row_age.size, bool)
        kept[idle] = False
        self.row_keys = [key for key, alive in zip(self.row_keys, kept) if alive]
        self.row_age = self.row_age[kept]

    # -- separation -------------------------------------------------------------------------------
    def separate(self, z: np.ndarray, integral: bool) -> int:
        """Add the planes that cut off the LP point ``z``; returns how many."""
        layout, data, count = self.layout, self.data, self.clusters
        x = z[: layout.num_x].reshape(layout.groups, self.pairs)
        theta = z[layout.num_x :].reshape(layout.tree_nodes, count)
        scale = self.scale.reshape(layout.tree_nodes, count)
        useful = self.useful.reshape(layout.tree_nodes, count)
        rates = revenue_rate(data, np.clip(x, 0.0, 1.0))  # (groups, users)
        added = 0
        for group in range(layout.groups):
            nodes = np.flatnonzero(layout.node_group == group)
            if nodes.size == 0:
                continue
            captured = (self.membership @ (self.user_weight[nodes] * rates[group][None, :]).T).T  # (nodes, clusters)
            violation = theta[nodes] - captured / scale[nodes]
            violated = (violation > SEPARATION_TOLERANCE) & useful[nodes]
            if violated.any():
                # The largest weighted violations first: small ones mostly vanish with them.
                weighted = np.where(violated, violation * scale[nodes], 0.0)
                violated &= weighted >= SELECT_FRACTION * weighted.max()
            if not violated.any():
                continue
            anchor = np.clip(x[group], 0.0, 1.0)
            if integral:
                anchor = np.rint(anchor)
            families = [tangent_planes]
            if self.use_submodular and integral:
                families.append(submodular_planes)
            key_base = anchor.tobytes()
            node_index, cluster_index = np.nonzero(violated)
            tree_nodes = nodes[node_index]
            for family in families:
                keys = [(family.__name__, key_base, int(n), int(c)) for n, c in zip(tree_nodes, cluster_index)]
                fresh = np.array([k not in self.seen_anchors for k in keys], bool)
                if not fresh.any():
                    continue
                keys = [k for k, f in zip(keys, fresh) if f]
                picked_nodes, picked_clusters = tree_nodes[fresh], cluster_index[fresh]
                value, slope, magnitude = family(data, anchor)  # per user
                # Aggregate over each cluster with the tree node's weights: rows (picked,).
                weights = self.user_weight[picked_nodes] * (self.cluster_of[None, :] == picked_clusters[:, None])
                s = scale[picked_nodes, picked_clusters]
                rows = safe_rows((weights @ value) / s, (weights @ slope) / s[:, None],
                                 (weights @ magnitude) / s[:, None], anchor,
                                 layout.num_x + picked_nodes * count + picked_clusters,
                                 layout.x_columns(group), np.ones(picked_nodes.size), self.num_cols,
                                 terms=self.cluster_size)
                # Keep only rows that cut the point off (submodular ones may not).
                if rows.matrix.shape[0]:
                    cutting = np.flatnonzero(rows.matrix @ z > rows.upper + SEPARATION_TOLERANCE)
                    if cutting.size:
                        row_keys = [keys[rows.kept[c]] for c in cutting]
                        self.seen_anchors.update(row_keys)
                        self.add_rows(rows.matrix[cutting], rows.upper[cutting], row_keys)
                        added += int(cutting.size)
        return added

    # -- incumbents -------------------------------------------------------------------------------
    def offer(self, plan: np.ndarray) -> bool:
        """Score ``plan`` exactly if it keeps the planning rules; keep it when best."""
        plan = plan.astype(bool)
        if plan_problem(self.instance, self.layout, plan, self.stations) is not None:
            return False
        value = plan_values(self.data, self.layout, plan)
        if value > self.best_value:
            self.best_value, self.best_plan = value, plan.copy()
            return True
        return False

    def round_plan(self, z: np.ndarray) -> np.ndarray:
        """A plan near the LP point: per group (parents first) keep the parent's stations, add
        (site, type) pairs by decreasing LP value while the rules allow (>= 0.5, or up to the
        required number of stations), then greedily add pairs that raise the revenue."""
        layout, instance = self.layout, self.instance
        sites, types = layout.sites, layout.types
        x = np.clip(z[: layout.num_x].reshape(layout.groups, sites, types), 0.0, 1.0)
        plan = np.zeros((sites, types, layout.groups), bool)
        cost = instance.cost
        for g in self.order:
            parent = layout.group_parent[g]
            before = instance.existing.copy() if parent < 0 else plan[:, :, parent].copy()
            current = before.copy()
            budget = np.inf if instance.budget is None else float(instance.budget[layout.group_stage[g]])
            spent = 0.0
            count = int(current.sum())
            order = np.argsort(-x[g].reshape(-1), kind="stable")
            for m in order:
                j, k = divmod(int(m), types)
                if current[j].any():
                    continue
                need = self.stations is not None and count < self.stations
                if x[g, j, k] < 0.5 and not need:
                    break
                if self.stations is not None and count >= self.stations:
                    break
                if spent + cost[j, k] > budget:
                    continue
                current[j, k] = True
                spent += cost[j, k]
                count += 1
            plan[:, :, g] = current
        return plan

    # -- the search -------------------------------------------------------------------------------
    def bound_of(self, state) -> float:
        """The node's bound in revenue, from the LP's duals (safe: any multipliers give one)."""
        matrix, lower, upper = self.stacked()
        return self.unit * safe_bound(self.objective, matrix, lower, upper, self.node_lower, self.node_upper,
                                      state.row_duals if state.row_duals is not None else np.zeros(matrix.shape[0]))

    def solve_node(self, lower_x, upper_x, rounds: int, deadline):
        """Process one node. Returns (status, bound, z) with status "pruned", "infeasible",
        "leaf" (all x fixed), "integral" or "fractional"."""
        layout = self.layout
        self.node_lower = np.concatenate([lower_x, self.col_lower[layout.num_x :]])
        self.node_upper = np.concatenate([upper_x, self.col_upper[layout.num_x :]])
        if np.all(lower_x == upper_x):
            plan = np.moveaxis(np.rint(upper_x).reshape(layout.groups, layout.sites, layout.types), 0, -1)
            if plan_problem(self.instance, layout, plan.astype(bool), self.stations) is not None:
                return "infeasible", -math.inf, None
            self.offer(plan)
            return "leaf", plan_values(self.data, layout, plan.astype(bool)), None
        self.lp.set_col_bounds(np.arange(layout.num_x), lower_x, upper_x)
        bound, z, history = math.inf, None, []
        root = rounds == self.root_rounds
        patience, tail = (5, 1e-6) if root else (2, 1e-4)
        for round_number in range(rounds):
            remaining = None if deadline is None else max(deadline - time.perf_counter(), 1e-3)
            state = self.lp.solve(remaining)
            self.lp_solves += 1
            if state.status == "infeasible":
                matrix, lower, upper = self.stacked()
                if _farkas(matrix, lower, upper, self.node_lower, self.node_upper, state.dual_ray):
                    return "infeasible", -math.inf, None
                # Unproven: keep the node open with a bound from zero multipliers.
                return "fractional", min(bound, self.unit * safe_bound(
                    self.objective, matrix, lower, upper, self.node_lower, self.node_upper,
                    np.zeros(matrix.shape[0]))), z
            if state.status != "optimal":
                return "limit", bound, z
            z = np.clip(state.x, self.node_lower, self.node_upper)
            bound = min(bound, self.bound_of(state))
            self.age_rows(state.row_duals)
            if self.prunable(bound):
                return "pruned", bound, z
            fractional = np.abs(z[: layout.num_x] - np.rint(z[: layout.num_x])) > INTEGRALITY_TOLERANCE
            integral = not fractional.any()
            if round_number == 0 or integral:
                self.offer(self.round_plan(z))
                if self.prunable(bound):
                    return "pruned", bound, z
            added = self.separate(z, integral)
            if added == 0:
                return ("integral" if integral else "fractional"), bound, z
            # Tailing off at fractional points: stop separating and branch.
            history.append(bound)
            if not integral and len(history) > patience and \
                    history[-1 - patience] - bound < tail * max(abs(bound), 1e-12):
                return "fractional", bound, z
        return ("integral" if z is not None and not np.any(
            np.abs(z[: layout.num_x] - np.rint(z[: layout.num_x])) > INTEGRALITY_TOLERANCE) else "fractional"), bound, z

    def prunable(self, bound: float) -> bool:
        if not math.isfinite(self.best_value):
            return False
        return bound <= self.best_value + self.gap * max(abs(self.best_value), 1e-300)

    def choose_branch(self, z, lower_x, upper_x):
        """(column, value) to branch on: the earliest stage first, then the most fractional."""
        layout = self.layout
        x = z[: layout.num_x]
        free = lower_x < upper_x
        frac = np.minimum(x - np.floor(x), np.ceil(x) - x)
        stage = np.repeat(layout.group_stage, layout.pairs)
        candidates = np.flatnonzero(free & (frac > INTEGRALITY_TOLERANCE))
        if candidates.size == 0:
            candidates = np.flatnonzero(free)
            if candidates.size == 0:
                return None
            # An integral LP point whose bound is not closed: split on the free column with the
            # largest value (the plan's own stations first).
            return int(candidates[np.argmax(x[candidates])]), float(x[candidates].max())
        stages = stage[candidates]
        first = candidates[stages == stages.min()]
        best = first[np.argmax(frac[first])]
        return int(best), float(x[best])


def branch_and_cut(instance, layout: Layout, stations: int | None, *, gap: float, time_limit: float | None,
                   max_nodes: int | None, submodular: bool = True, clusters: int | None = None, reporter=None,
                   started: float | None = None) -> Search:
    """Run the branch-and-cut (see the module docstring)."""
    started = time.perf_counter() if started is None else started
    deadline = None if time_limit is None else started + time_limit
    from ._threads import single_threaded_blas

    with single_threaded_blas():
        return _branch_and_cut(instance, layout, stations, gap=gap, deadline=deadline, started=started,
                               max_nodes=max_nodes, submodular=submodular, clusters=clusters, reporter=reporter)


def _branch_and_cut(instance, layout, stations, *, gap, deadline, started, max_nodes, submodular, clusters, reporter):
    search = BranchAndCut(instance, layout, stations, gap=gap, submodular=submodular, clusters=clusters)
    num_x = layout.num_x
    root_lower, root_upper = search.col_lower[:num_x].copy(), search.col_upper[:num_x].copy()
    # A plan to start from: nothing new built (when that keeps the rules).
    nothing = np.repeat(instance.existing[:, :, None], layout.groups, axis=2)
    search.offer(nothing)
    trace = []
    counter = 0
    heap: list = []  # (-bound, -depth, counter, lower, upper)
    pruned_bound = -math.inf
    nodes = 0
    stopped = None
    status, bound, z = search.solve_node(root_lower, root_upper, search.root_rounds, deadline)
    pending = [(bound, 0, root_lower, root_upper, status, z)]
    while True:
        # Expand what was just solved.
        while pending:
            bound, depth, lower_x, upper_x, status, z = pending.pop()
            nodes += 1
            if status in ("infeasible",):
                continue
            if status in ("pruned", "leaf") or search.prunable(bound):
                pruned_bound = max(pruned_bound, bound)
                continue
            if z is None:
                if status == "limit":  # the LP stopped at the time limit: keep the node open
                    counter += 1
                    heapq.heappush(heap, (-bound, -depth, counter, lower_x, upper_x))
                    stopped = stopped or "time_limit"
                    continue
                # No LP point (infeasibility HiGHS claimed but could not prove): split anyway.
                z = np.concatenate([(lower_x + upper_x) / 2, np.zeros(search.num_cols - num_x)])
            choice = search.choose_branch(z, lower_x, upper_x)
            if choice is None:
                pruned_bound = max(pruned_bound, bound)
                continue
            column, value = choice
            children = []
            for fixed in (0.0, 1.0):
                lo, up = lower_x.copy(), upper_x.copy()
                lo[column] = up[column] = fixed
                children.append((fixed, lo, up))
            # Dive into the child the LP leans to; the other waits in the heap.
            children.sort(key=lambda c: abs(c[0] - value))
            for fixed, lo, up in children[1:]:
                counter += 1
                heapq.heappush(heap, (-bound, -(depth + 1), counter, lo, up))
            fixed, lo, up = children[0]
            if deadline is not None and time.perf_counter() > deadline:
                counter += 1
                heapq.heappush(heap, (-bound, -(depth + 1), counter, lo, up))
                stopped = "time_limit"
                break
            if max_nodes is not None and nodes >= max_nodes:
                counter += 1
                heapq.heappush(heap, (-bound, -(depth + 1), counter, lo, up))
                stopped = "iteration_limit"
                break
            child = search.solve_node(lo, up, search.node_rounds, deadline)
            pending.append((min(child[1], bound), depth + 1, lo, up, child[0], child[2]))
        open_bound = -heap[0][0] if heap else -math.inf
        global_bound = max(search.best_value, pruned_bound, open_bound)
        trace.append((nodes, time.perf_counter() - started, search.best_value, global_bound, search.cuts))
        if reporter is not None:
            reporter.report(nodes, objective=search.best_value if math.isfinite(search.best_value) else None,
                            bound=global_bound, message=f"{len(heap)} open nodes, {search.cuts} cuts")
        if stopped or not heap:
            break
        if search.prunable(open_bound):
            break
        if deadline is not None and time.perf_counter() > deadline:
            stopped = "time_limit"
            break
        if max_nodes is not None and nodes >= max_nodes:
            stopped = "iteration_limit"
            break
        negative, depth, _, lower_x, upper_x = heapq.heappop(heap)
        parent_bound = -negative
        if search.prunable(parent_bound):
            pruned_bound = max(pruned_bound, parent_bound)
            continue
        status, bound, z = search.solve_node(lower_x, upper_x, search.node_rounds, deadline)
        pending.append((min(bound, parent_bound), -depth, lower_x, upper_x, status, z))
    open_bound = max((-item[0] for item in heap), default=-math.inf)
    global_bound = max(search.best_value, pruned_bound, open_bound)
    return Search(plan=search.best_plan, value=search.best_value, bound=global_bound, nodes=nodes, cuts=search.cuts,
                  lp_solves=search.lp_solves, stopped=stopped, trace=trace)
