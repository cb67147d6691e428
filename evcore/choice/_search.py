"""Exact search over build plans for few candidate sites: the scenario tree decomposes, bounds prune.

Where the candidate sites are few and budgets let only a few stations go up per year (the
README's and the CLI's synthetic cities, Trois-Rivieres), the feasible additions of one
decision group can be listed, and the problem decomposes along the tree: once group g's
plan S is fixed, the subtrees of g's children are independent given S. So

    best(g, S_parent) = max over additions A of [ F_g(S_parent + A) + sum_c best(c, S_parent + A) ],

with F_g the (probability- and demand-weighted) revenue of the tree nodes of group g. Every
option is scored exactly; an option is skipped only when a valid upper bound on what it can
reach is no better than the best value already found for the same subproblem, so the answer
is proven optimal by construction (no LP, no solver tolerance).

The upper bound of an option S' for a later tree node n (budget b left until n) rests on a
diminishing-returns inequality that holds for any revenues (not only equal ones): with
``f_i(S) = R_S / D_S`` and ``Δ_im(S) = f_i(S + m) - f_i(S) = v_m (r_m - f_i(S)) / (D_S + v_m)``,

    f_i(S + A) - f_i(S) = sum_{m in A} v_m (r_m - f_i(S)) / (D_S + V_A) <= sum_{m in A} max(Δ_im(S), 0),

so ``F_n(S_n) <= F_n(S') + max { sum_m a_m y_m : one type per free site, cost <= b }`` with
``a_m = sum_i w_ni max(Δ_im(S'), 0)``, and that multiple-choice knapsack is bounded by its
Lagrangian ``λ b + sum_j max(0, max_k (a_jk - λ c_jk))`` at any λ >= 0 (the smallest over the
ratios ``a/c`` is taken). Bounds are padded by a relative 1e-12 against rounding.

Reference: seed 001, models (TS) and (MS-SAA); the bound is Nemhauser-Wolsey's for submodular
functions, extended to unequal revenues by the inequality above.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ._kernels import subtree_gain_bounds
from ._planes import plane_data, revenue_rate

#: Relative padding of every upper bound (float64 rounding of the sums behind it).
BOUND_PADDING = 1e-12


class SearchTooLarge(Exception):
    """The plans of some decision group are too many to list (use the branch-and-cut)."""


class _Stop(Exception):
    pass


class PlanSearch:
    """State of one exact search (see the module docstring)."""

    def __init__(self, instance, layout, stations, *, max_options: int = 20000, deadline=None, max_calls=None,
                 reporter=None, started=None):
        self.instance, self.layout, self.stations = instance, layout, stations
        self.data = plane_data(instance)
        self.sites, self.types = instance.sites, instance.types
        self.cost = np.ascontiguousarray(instance.cost, dtype=float)
        self.max_options = max_options
        self.deadline, self.max_calls = deadline, max_calls
        self.reporter = reporter
        self.started = time.perf_counter() if started is None else started
        self.calls = 0
        self.evaluated = 0
        groups = layout.groups
        self.children = [np.flatnonzero(layout.group_parent == g) for g in range(groups)]
        # Budget available from the root to each group (cumulated along the path).
        budget = instance.budget
        self.path_budget = np.zeros(groups)
        order = np.argsort(layout.group_stage, kind="stable")
        for g in order:
            own = math.inf if budget is None else float(budget[layout.group_stage[g]])
            parent = layout.group_parent[g]
            self.path_budget[g] = own + (0.0 if parent < 0 else self.path_budget[parent])
        # Tree nodes of each group and of each group's subtree.
        self.group_nodes = [np.flatnonzero(layout.node_group == g) for g in range(groups)]
        self.subtree_groups = [self._subtree(g) for g in range(groups)]
        self.node_weight = layout.node_weight[:, None] * layout.node_demand  # (tree nodes, users)
        # A group's tree nodes share its plan: their weights add up (one bound per group).
        self.group_weight = np.stack([self.node_weight[nodes].sum(axis=0) for nodes in self.group_nodes])
        self.memo: dict = {}
        self.option_cache: dict = {}
        site_best = instance.attraction.max(axis=2)  # (users, sites): the best type's weight
        self.site_order = np.ascontiguousarray(np.argsort(-site_best, axis=1, kind="stable").astype(np.int64))
        self.site_sorted = np.ascontiguousarray(np.take_along_axis(site_best, self.site_order, axis=1))
        self.incumbent = None  # (value, plans per group) of the best complete plan so far
        self.root_cheap = None  # bound of each first-group option, and which are settled
        self.root_settled = None
        columns = self.data.weights.T  # users with v_im > 0 for each pair m (CSC)
        present = columns > 0
        self.pair_ptr = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int64)
        self.pair_users = np.nonzero(present)[1].astype(np.int64)
        self.budget_slack = 1e-12 * max(float(np.sum(self.cost)), 1.0)

    def between(self, group: int, later: int) -> float:
        """Money for additions after ``group``'s plan up to ``later``'s (inf without budgets)."""
        if self.instance.budget is None:
            return math.inf
        return float(self.path_budget[later] - self.path_budget[group])

    def _subtree(self, g):
        out, stack = [], [g]
        while stack:
            h = stack.pop()
            out.append(h)
            stack.extend(self.children[h].tolist())
        return np.array(sorted(out))

    # -- options ------------------------------------------------------------------------------
    def additions(self, state: np.ndarray, group: int) -> np.ndarray:
        """Every feasible addition at ``group`` to ``state`` (types per site, -1 none): shape
        (options, sites) of int8, the empty addition first."""
        key = (self.layout.group_stage[group], state.any(axis=1).tobytes(), int(state.sum()))
        cached = self.option_cache.get(key)
        if cached is None:
            cached = self.option_cache[key] = self._additions(state, group)
        return cached

    def _additions(self, state: np.ndarray, group: int) -> np.ndarray:
        instance, layout = self.instance, self.layout
        budget = math.inf if instance.budget is None else float(instance.budget[layout.group_stage[group]])
        budget += self.budget_slack
        occupied = state.any(axis=1)
        count = int(state.sum())
        need = None if self.stations is None else self.stations - count
        if need is not None and need < 0:
            return np.zeros((0, self.sites), np.int8)
        choices = np.full((1, self.sites), -1, np.int8)
        spent = np.zeros(1)
        added = np.zeros(1, np.int64)
        for j in range(self.sites):
            if occupied[j]:
                continue
            parts = [(choices, spent, added)]
            for k in range(self.types):
                ok = spent + self.cost[j, k] <= budget
                if need is not None:
                    ok &= added < need
                if not ok.any():
                    continue
                extended = choices[ok].copy()
                extended[:, j] = k
                parts.append((extended, spent[ok] + self.cost[j, k], added[ok] + 1))
            choices = np.concatenate([p[0] for p in parts])
            spent = np.concatenate([p[1] for p in parts])
            added = np.concatenate([p[2] for p in parts])
            if choices.shape[0] > self.max_options:
                raise SearchTooLarge(f"more than {self.max_options} plans for one decision group")
        if need is not None:
            keep = added == need
            choices = choices[keep]
        return choices

    def states(self, state: np.ndarray, options: np.ndarray) -> np.ndarray:
        """Plans (options, sites, types) of bool: ``state`` plus each addition."""
        plans = np.repeat(state[None], options.shape[0], axis=0)
        rows, sites = np.nonzero(options >= 0)
        plans[rows, sites, options[rows, sites]] = True
        return plans

    # -- values and bounds ---------------------------------------------------------------------
    def rates(self, plans: np.ndarray) -> np.ndarray:
        """f_i of each plan, shape (plans, users) (exact: sums of non-negative terms)."""
        data = self.data
        x = plans.reshape(plans.shape[0], -1).astype(float)
        numerator = (x * data.revenue) @ data.weights_t
        return numerator / (data.opt_out + x @ data.weights_t)

    def knapsack_bound(self, plans, rates, groups, budgets):
        """Upper bound on the revenue gain beyond each plan in the decision groups ``groups``
        (shape (plans,)); ``budgets`` (len(groups),): money from the plan on to each group.

        The smallest of three valid bounds per group (see
        :func:`evcore.choice._kernels.subtree_gain_bounds`): the multiple-choice knapsack of the
        positive marginal gains, each user's saturation with the stations the budget allows,
        and (with ``stations``) the largest per-site gains.
        """
        total = np.zeros(plans.shape[0])
        if len(groups) == 0:
            return total
        data = self.data
        cheapest = float(self.cost.min()) if self.cost.size else 0.0
        budgets = np.asarray(budgets, float)
        counts = np.full(len(groups), self.sites, dtype=np.int64)
        if cheapest > 0:
            finite = np.isfinite(budgets)
            counts[finite] = np.minimum(self.sites, np.floor((budgets[finite] + self.budget_slack) / cheapest))
        room = np.full(plans.shape[0], -1, dtype=np.int64) if self.stations is None else \
            (self.stations - plans.sum(axis=(1, 2))).astype(np.int64)
        x = np.ascontiguousarray(plans.reshape(plans.shape[0], -1), dtype=float)
        out = np.empty((plans.shape[0], len(groups)))
        subtree_gain_bounds(x, data.weights, data.revenue, data.opt_out, self.pair_ptr, self.pair_users,
                            np.ascontiguousarray(self.group_weight[groups]), budgets, counts, room, self.cost,
                            self.site_order, self.site_sorted, data.best, out)
        return out.sum(axis=1)

    # -- the recursion -------------------------------------------------------------------------
    def gains(self, state: np.ndarray, nodes) -> np.ndarray:
        """a_nm = sum_i w_ni max(Δ_im(state), 0) for the tree nodes ``nodes``: shape (nodes, pairs)."""
        data = self.data
        x = state.reshape(-1).astype(float)
        denominator = data.opt_out + data.weights @ x
        f = ((x * data.revenue) @ data.weights.T) / denominator
        gain = data.weights * np.maximum(data.revenue[None, :] - f[:, None], 0.0) / (denominator[:, None] + data.weights)
        return self.node_weight[nodes] @ gain

    def solve_group(self, group: int, parent_state: np.ndarray, need: float = -math.inf):
        """Best value of the subtree of ``group`` given its parent's plan.

        Returns ``(value, plans, exact)``: with ``exact`` the optimum and the plan of every group
        of the subtree; otherwise ``value`` is an upper bound no larger than ``need`` (nothing in
        the subtree reaches ``need``) and ``plans`` is None. ``value`` is ``-inf`` when no plan
        keeps the rules.
        """
        key = (group, parent_state.tobytes())
        cached = self.memo.get(key)
        if cached is not None and (cached[2] or cached[0] <= need):
            return cached
        self.calls += 1
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise _Stop("time_limit")
        if self.max_calls is not None and self.calls > self.max_calls:
            raise _Stop("iteration_limit")
        options = self.additions(parent_state, group)
        if options.shape[0] == 0:
            self.memo[key] = (-math.inf, None, True)
            return self.memo[key]
        own_nodes = self.group_nodes[group]
        children = self.children[group]
        child_nodes = [np.asarray(self.subtree_groups[c]) for c in children]  # groups of each child's subtree
        child_budget = [np.array([self.between(group, h) for h in self.subtree_groups[c]]) for c in children]
        # Cheap bound of every option from the parent's plan: additive gains for the group's
        # own nodes, one knapsack bound (with the group's budget too) for each later node.
        parent_rates = self.rates(parent_state[None])[0]
        own_gain = self.gains(parent_state, own_nodes).sum(axis=0).reshape(self.sites, self.types)
        rows, sites = np.nonzero(options >= 0)
        cheap = np.full(options.shape[0], float(parent_rates @ self.node_weight[own_nodes].sum(axis=0)))
        np.add.at(cheap, rows, own_gain[sites, options[rows, sites]])
        later_cheap = 0.0
        parent = self.layout.group_parent[group]
        before = 0.0 if parent < 0 else self.path_budget[parent]
        for nodes, budgets in zip(child_nodes, child_budget):
            later_cheap += float(parent_rates @ self.group_weight[nodes].sum(axis=0))
            # Money from the parent's plan on: this group's budget too.
            extra = self.path_budget[group] - before if math.isfinite(before) else math.inf
            later_cheap += float(self.knapsack_bound(parent_state[None], parent_rates[None], nodes,
                                                     budgets + extra)[0])
        cheap = self.pad(cheap + later_cheap)
        order = np.argsort(-cheap, kind="stable")
        is_root = self.layout.group_parent[group] < 0
        if is_root:
            self.root_cheap, self.root_settled = cheap, np.zeros(cheap.size, bool)
        best, best_plans = -math.inf, None
        upper = -math.inf  # largest bound of what was skipped (for an inexact answer)
        position = 0
        while position < order.size:
            target = max(best, need)
            if cheap[order[position]] <= target:
                upper = max(upper, float(cheap[order[position]]))
                break
            batch = order[position : position + 64]
            position += batch.size
            plans = self.states(parent_state, options[batch])
            rates = self.rates(plans)
            self.evaluated += batch.size
            own = rates @ self.node_weight[own_nodes].sum(axis=0)
            child_bounds = np.zeros((batch.size, len(children)))
            for c, (nodes, budgets) in enumerate(zip(child_nodes, child_budget)):
                child_bounds[:, c] = self.pad(rates @ self.group_weight[nodes].sum(axis=0)
                                              + self.knapsack_bound(plans, rates, nodes, budgets))
            refined = np.minimum(self.pad(own + child_bounds.sum(axis=1)), cheap[batch])
            for k in np.argsort(-refined, kind="stable"):
                target = max(best, need)
                if refined[k] <= target:
                    upper = max(upper, float(refined[k]))
                    continue
                value, chosen, reached = float(own[k]), {group: plans[k]}, True
                for c, child in enumerate(children):
                    rest = float(child_bounds[k, c + 1 :].sum())
                    child_need = target - value - rest
                    child_value, child_plans, exact = self.solve_group(int(child), plans[k], child_need)
                    if not exact or child_plans is None:
                        if child_plans is None and exact:  # no feasible plan below
                            value = -math.inf
                        else:
                            value += child_value + rest
                        reached = False
                        break
                    value += child_value
                    chosen.update(child_plans)
                if reached:
                    if value > best:
                        best, best_plans = value, chosen
                        if is_root:
                            self.incumbent = (best, best_plans)
                else:
                    upper = max(upper, value)
                if is_root:
                    self.root_settled[batch[k]] = True
        if best_plans is not None and best >= need:
            result = (best, best_plans, True)
        elif need == -math.inf:  # nothing keeps the rules
            result = (-math.inf, None, True)
        else:
            result = (max(best, upper), None, False)
        self.memo[key] = result
        if self.reporter is not None and self.layout.group_parent[group] < 0:
            self.reporter.report(self.calls, objective=best if best_plans is not None else None,
                                 message=f"{self.evaluated} plans scored")
        return result

    def open_bound(self) -> float:
        """Upper bound on every first-group option not settled yet (-inf when all are)."""
        if self.root_cheap is None:
            return math.inf
        best = self.incumbent[0] if self.incumbent is not None else -math.inf
        open_options = ~self.root_settled & (self.root_cheap > best)
        return float(self.root_cheap[open_options].max()) if open_options.any() else -math.inf

    @staticmethod
    def pad(bound):
        return bound + BOUND_PADDING * np.abs(bound) + 1e-300


@dataclass
class SearchOutcome:
    """What :func:`plan_search` found.

    ``plan`` (sites, types, groups) or None, its exact ``value``, a valid upper ``bound`` on the
    optimum, ``stopped`` (None: finished, the plan is optimal; else "time_limit" or
    "iteration_limit"), subproblems solved (``calls``) and plans scored (``evaluated``).
    """

    plan: np.ndarray | None
    value: float
    bound: float
    stopped: str | None
    calls: int
    evaluated: int


def greedy_plan(instance, layout, stations) -> np.ndarray | None:
    """A plan that keeps the planning rules, built greedily (None when greed finds none).

    Groups in tree order; each starts from its parent's plan and adds the (site, type) pair with
    the best revenue gain over its subtree's tree nodes per unit of cost while the budget lasts
    (and exactly up to ``stations`` when given).
    """
    from ._sgi import plan_problem

    data = plane_data(instance)
    cost = np.asarray(instance.cost, float).reshape(-1)
    weights = layout.node_weight[:, None] * layout.node_demand
    groups = layout.groups
    children = [np.flatnonzero(layout.group_parent == g) for g in range(groups)]
    subtree_nodes = []
    for g in range(groups):
        members, stack = [], [g]
        while stack:
            h = stack.pop()
            members.append(h)
            stack.extend(children[h].tolist())
        subtree_nodes.append(np.flatnonzero(np.isin(layout.node_group, members)))
    plan = np.zeros((instance.sites, instance.types, groups), bool)
    for g in np.argsort(layout.group_stage, kind="stable"):
        parent = layout.group_parent[g]
        current = (instance.existing if parent < 0 else plan[:, :, parent]).copy()
        left = math.inf if instance.budget is None else float(instance.budget[layout.group_stage[g]])
        node_weight = weights[subtree_nodes[g]].sum(axis=0)
        while stations is None or current.sum() < stations:
            x = current.reshape(-1).astype(float)
            base = float(node_weight @ revenue_rate(data, x))
            free = ~np.repeat(current.any(axis=1), instance.types) & (cost <= left + 1e-12 * max(left, 1.0))
            if not free.any():
                break
            trials = np.repeat(x[None], free.sum(), axis=0)
            trials[np.arange(free.sum()), np.flatnonzero(free)] = 1.0
            gain = revenue_rate(data, trials) @ node_weight - base
            score = gain / np.maximum(cost[free], 1e-12) if stations is None else gain
            pick = int(np.argmax(score))
            if stations is None and gain[pick] <= 0:
                break
            m = int(np.flatnonzero(free)[pick])
            current.reshape(-1)[m] = True
            left -= cost[m]
        plan[:, :, g] = current
    return plan if plan_problem(instance, layout, plan, stations) is None else None


def plan_search(instance, layout, stations, *, time_limit=None, max_calls=None, max_options: int = 20000,
                reporter=None, started=None) -> SearchOutcome:
    """Run the exact search (see the module docstring).

    Raises
    ------
    SearchTooLarge
        A decision group has more than ``max_options`` feasible additions.
    """
    from ._threads import single_threaded_blas

    started = time.perf_counter() if started is None else started
    deadline = None if time_limit is None else started + time_limit
    search = PlanSearch(instance, layout, stations, max_options=max_options, deadline=deadline, max_calls=max_calls,
                        reporter=reporter, started=started)
    roots = np.flatnonzero(layout.group_parent < 0)
    existing = np.asarray(instance.existing, bool)
    # Probe the size first: the root's options are the most numerous (largest budget first).
    search.additions(existing, int(roots[0]))
    try:
        with single_threaded_blas():
            value, plans = _run(search, roots, existing)
    except _Stop as stop:
        plan, value = None, -math.inf
        if search.incumbent is not None:
            value, chosen = search.incumbent
            plan = np.stack([chosen[g] for g in range(layout.groups)], axis=-1)
        bound = max(value, search.open_bound())
        return SearchOutcome(plan, value, bound, str(stop), search.calls, search.evaluated)
    if plans is None:
        return SearchOutcome(None, -math.inf, -math.inf, None, search.calls, search.evaluated)
    plan = np.stack([plans[g] for g in range(layout.groups)], axis=-1)
    return SearchOutcome(plan, value, value, None, search.calls, search.evaluated)


def _run(search, roots, existing):
    if roots.size != 1:  # pragma: no cover - layouts have one first group
        raise ValueError("the search needs exactly one first decision group")
    value, plans, _ = search.solve_group(int(roots[0]), existing)
    return value, plans
