"""Demand growth and scenario trees (seed 001, §V-A).

A scenario tree has one root (year 1) and, at each later stage, ``branching[t]`` children per
node. Demand grows from a node to each child by a factor ``1 + g`` drawn independently per
user node, ``g ~ Normal(growth_mean, growth_sd)`` (defaults 43.5% and 9.6% from §V-A). The
"new sub-centre" setting concentrates extra growth in a region in some branches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import as_array, as_flags, as_scalar, check_integer, check_nonnegative, check_seed, first_index, freeze_fields
from ..errors import InputError

__all__ = ["ScenarioTree", "growth_tree", "path_tree"]


@dataclass(frozen=True, eq=False)
class ScenarioTree:
    """Tree of demand scenarios, validated on creation.

    Parameters
    ----------
    stage : array_like of int, shape (tree_nodes,)
        Stage (0-based year) of each tree node; the root is the only node at stage 0.
    parent : array_like of int, shape (tree_nodes,)
        Parent of each node (-1 for the root); a parent is one stage earlier.
    probability : array_like, shape (tree_nodes,)
        Unconditional probability of reaching each node; each stage sums to 1 and a node's
        children sum to its own probability.
    demand : array_like, shape (tree_nodes, users)
        Demand of each user node at each tree node.

    Attributes
    ----------
    stages : int
    scenarios : numpy.ndarray of int
        The leaves (one per scenario).
    paths : numpy.ndarray of int, shape (scenarios, stages)
        Tree node at each stage on each scenario's path; scenarios that share a node at stage
        t share their history up to t (non-anticipativity).
    """

    stage: np.ndarray
    parent: np.ndarray
    probability: np.ndarray
    demand: np.ndarray

    def __post_init__(self):
        stage = check_integer("stage", as_array("stage", self.stage, dtype=None, ndim=1), minimum=0)
        count = stage.shape[0]
        parent = check_integer("parent", as_array("parent", self.parent, dtype=None, shape=(count,)), minimum=-1)
        probability = check_nonnegative("probability", as_array("probability", self.probability, shape=(count,)))
        demand = check_nonnegative("demand", as_array("demand", self.demand, ndim=2, shape=(count, None)))
        roots = np.flatnonzero(parent == -1)
        if roots.size != 1 or stage[roots[0]] != 0 or np.count_nonzero(stage == 0) != 1:
            raise InputError("parent", "the tree needs exactly one root (parent -1), the only node at stage 0")
        if np.any(parent >= count):
            raise InputError("parent", f"must index a tree node below {count}", first_index(parent >= count))
        children = parent >= 0
        wrong = children & (stage != stage[np.where(children, parent, 0)] + 1)
        if wrong.any():
            raise InputError("stage", "must be one more than the parent's stage", first_index(wrong))
        stages = int(stage.max()) + 1
        for t in range(stages):
            total = probability[stage == t].sum()
            if abs(total - 1.0) > 1e-9:
                raise InputError("probability", f"nodes of stage {t} must sum to 1, sum to {total!r}")
        child_sum = np.bincount(parent[children], weights=probability[children], minlength=count)
        inner = np.isin(np.arange(count), parent[children])
        bad = inner & (np.abs(child_sum - probability) > 1e-9)
        if bad.any():
            raise InputError("probability", "children must sum to their parent's probability", first_index(bad))
        leaves = np.flatnonzero(~inner)
        if np.any(stage[leaves] != stages - 1):
            raise InputError("stage", "every leaf must lie at the last stage", int(leaves[stage[leaves] != stages - 1][0]))
        paths = np.empty((leaves.size, stages), dtype=np.int64)
        paths[:, -1] = leaves
        for t in range(stages - 2, -1, -1):
            paths[:, t] = parent[paths[:, t + 1]]
        freeze_fields(self, stage=stage, parent=parent, probability=probability, demand=demand)
        object.__setattr__(self, "stages", stages)
        object.__setattr__(self, "scenarios", leaves)
        object.__setattr__(self, "paths", paths)

    @property
    def size(self) -> int:
        """Number of tree nodes."""
        return int(self.stage.shape[0])

    def scenario_demand(self, scenario: int) -> np.ndarray:
        """Demand along one scenario's path, shape (users, stages)."""
        return self.demand[self.paths[scenario]].T


def path_tree(demand) -> ScenarioTree:
    """The deterministic model as a tree: one node per year, shape of ``demand`` (users, periods)."""
    demand = check_nonnegative("demand", as_array("demand", demand, ndim=2))
    periods = demand.shape[1]
    return ScenarioTree(stage=np.arange(periods), parent=np.arange(periods) - 1, probability=np.ones(periods),
                        demand=demand.T)


def growth_tree(base_demand, branching, *, growth_mean: float = 0.435, growth_sd: float = 0.096, seed=0,
                subcentre=None, subcentre_extra: float = 0.5, subcentre_branches=None) -> ScenarioTree:
    """A scenario tree of stochastic demand growth.

    Parameters
    ----------
    base_demand : array_like, shape (users,)
        Demand in year 1 (the root).
    branching : sequence of int, length stages - 1
        Children per node at each later stage (e.g. ``(3, 3, 3)`` for 4 years, 27 scenarios).
    growth_mean, growth_sd : float
        Yearly growth ``g ~ Normal(growth_mean, growth_sd)`` drawn independently per user node
        and tree edge (seed 001 §V-A: 43.5% and 9.6%). A factor ``1 + g`` below 0 is an error
        (choose a smaller ``growth_sd``), never clipped.
    seed : int or numpy.random.Generator
    subcentre : array_like of bool, shape (users,), optional
        User nodes of a region where a new sub-centre may appear.
    subcentre_extra : float
        Extra yearly growth of the sub-centre's nodes in the branches where it appears.
    subcentre_branches : sequence of int, optional
        Child indices (0-based within each parent) where the sub-centre appears; default: the
        last child. Equal probabilities per child.

    Returns
    -------
    ScenarioTree
    """
    rng = np.random.default_rng(check_seed(seed, allow_generator=True))
    base = check_nonnegative("base_demand", as_array("base_demand", base_demand, ndim=1))
    branching = check_integer("branching", as_array("branching", branching, dtype=None, ndim=1), minimum=1)
    users = base.shape[0]
    if users == 0:
        raise InputError("base_demand", "needs at least one user node")
    growth_mean = as_scalar("growth_mean", growth_mean)
    growth_sd = as_scalar("growth_sd", growth_sd)
    subcentre_extra = as_scalar("subcentre_extra", subcentre_extra)
    for field, value in (("growth_mean", growth_mean), ("growth_sd", growth_sd), ("subcentre_extra", subcentre_extra)):
        if not np.isfinite(value):
            raise InputError(field, f"must be finite, got {value!r}")
    if growth_sd < 0:
        raise InputError("growth_sd", f"must be >= 0, got {growth_sd!r}")
    count, width = 1, 1
    for b in branching:
        width *= int(b)
        count += width
        if count > 100_000:
            raise InputError("branching", "the scenario tree would have more than 100000 nodes")
    region = None
    if subcentre is not None:
        region = as_flags("subcentre", subcentre, shape=(users,))
    if subcentre_branches is None:
        chosen = {int(branching.max(initial=1)) - 1}
    else:
        chosen = set(check_integer("subcentre_branches", as_array("subcentre_branches", subcentre_branches, dtype=None,
                                                                    ndim=1), minimum=0).tolist())
    stage, parent, probability, demand = [0], [-1], [1.0], [base]
    frontier = [0]
    for t, width in enumerate(branching, start=1):
        next_frontier = []
        for node in frontier:
            for child in range(width):
                factor = 1.0 + rng.normal(growth_mean, growth_sd, users)
                if region is not None and child in chosen:
                    factor = factor + subcentre_extra * region
                if np.any(factor < 0):
                    raise InputError("growth_sd", f"a growth factor fell below 0 at stage {t}; use a smaller spread")
                stage.append(t)
                parent.append(node)
                probability.append(probability[node] / width)
                demand.append(demand[node] * factor)
                next_frontier.append(len(stage) - 1)
        frontier = next_frontier
    return ScenarioTree(stage=np.array(stage), parent=np.array(parent), probability=np.array(probability),
                        demand=np.array(demand))
