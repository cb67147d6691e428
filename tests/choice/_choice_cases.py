"""Randomised choice instances with extreme utility spreads, and their optima by enumeration.

Shared by the certificate tests and the benchmark's sanity checks. The generator mimics the HM14
family (utilities ``exp(beta * (minus a distance))``, an opt-out of competitors discounted by
``alpha``) and adds station types with unequal revenues, budgets, several years and scenario
trees, with ``beta`` up to 20 so the utilities span hundreds of orders of magnitude.
"""

from __future__ import annotations

import itertools

import numpy as np

from evcore.choice import ChoiceInstance, growth_tree
from evcore.choice._sgi import layout_for, plan_problem, plan_values
from evcore.choice._planes import plane_data

BETAS = (1.0, 2.0, 5.0, 10.0, 20.0)
ALPHAS = (0.05, 0.1, 0.2, 0.5)


def extreme_instance(seed: int, *, users=None, sites=None, types=None, periods=None, tree=None, stations=None):
    """A random instance (see the module docstring); returns (instance, model, stations)."""
    rng = np.random.default_rng(seed)
    users = int(rng.integers(8, 30)) if users is None else users
    types = int(rng.integers(1, 3)) if types is None else types
    periods = int(rng.integers(1, 3)) if periods is None else periods
    groups = periods if tree is None else 1 + sum(int(np.prod(tree[: k + 1])) for k in range(len(tree)))
    if sites is None:  # small enough to list every plan: (types + 1) ** (sites * groups) <= 4096
        most = max(1, int(np.log(4096) / (groups * np.log(types + 1))))
        sites = int(rng.integers(min(3, most), most + 1))
    beta, alpha = float(rng.choice(BETAS)), float(rng.choice(ALPHAS))
    square = 10.0
    people = rng.uniform(0, square, (users, 2))
    places = rng.uniform(0, square, (sites, 2))
    rivals = rng.uniform(0, square, (2, 2))
    distance = np.linalg.norm(people[:, None] - places[None], axis=2)
    utility = -beta * distance[:, :, None] + 0.5 * np.log(np.arange(1, types + 1))[None, None, :]
    attraction = np.exp(utility)
    opt_out = np.exp(-alpha * beta * np.linalg.norm(people[:, None] - rivals[None], axis=2)).sum(axis=1)
    equal = rng.uniform() < 0.5
    revenue = np.ones(types) * 1.5 if equal else np.linspace(1.0, 2.0, types)
    cost = np.round(rng.uniform(50, 150, (sites, types)) * np.linspace(1, 1.5, types))
    budget = None
    if stations is None and rng.uniform() < 0.8:
        budget = np.full(periods, float(np.round(rng.uniform(120, 260))))
    if budget is None and stations is None:
        stations = int(rng.integers(1, sites + 1))
    demand = rng.uniform(1, 10, (users, periods))
    model = "deterministic"
    if tree is not None and periods > 1:
        scenario_tree = growth_tree(demand[:, 0], tree, seed=seed, growth_sd=0.3)
        demand = np.stack([scenario_tree.probability[scenario_tree.stage == t]
                           @ scenario_tree.demand[scenario_tree.stage == t] for t in range(periods)], axis=1)
        model = str(rng.choice(["two-stage", "multi-stage"]))
    else:
        scenario_tree = None
    instance = ChoiceInstance(demand=demand, attraction=attraction, opt_out=opt_out, revenue=revenue, cost=cost,
                              budget=budget, tree=scenario_tree, name=f"extreme {seed} beta={beta} alpha={alpha}")
    return instance, model, stations


def enumerate_optimum(instance: ChoiceInstance, model: str, stations) -> float:
    """The optimum by listing every plan (per decision group: a type or none per site)."""
    layout = layout_for(instance, model)
    data = plane_data(instance)
    best = -np.inf
    choices = range(instance.types + 1)
    for state in itertools.product(choices, repeat=instance.sites * layout.groups):
        codes = np.array(state).reshape(layout.groups, instance.sites)
        plan = np.zeros((instance.sites, instance.types, layout.groups), bool)
        groups, sites = np.nonzero(codes)
        plan[sites, codes[groups, sites] - 1, groups] = True
        if plan_problem(instance, layout, plan, stations) is None:
            best = max(best, plan_values(data, layout, plan))
    return best
