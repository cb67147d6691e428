"""Seed 001 §V analyses: when does adapting decisions to realised growth pay?

The value of the multi-stage model (VMS) is ``(MS - TS) / TS``: what planning with recourse
(decisions per scenario-tree node) gains over one plan for all scenarios. The expected value
of perfect information (EVPI) compares with solving each scenario knowing it in advance.
"""

from __future__ import annotations

import logging

from .solve import perfect_information_bound, solve
from .synthetic import synthetic_city

logger = logging.getLogger(__name__)

__all__ = ["value_of_multistage", "growth_volatility_table", "heterogeneity_table", "trois_rivieres_tables",
           "plans_by_scenario_figure"]


def plans_by_scenario_figure(city, result, scenarios=None):
    """Map of a multi-stage plan along two scenarios of a :class:`SyntheticCity` (a Figure).

    One panel per scenario: user nodes sized by their final demand, candidate sites, and each
    station once, coloured by the year it was built, labelled with its site and type ids.
    """
    import numpy as np

    from ..plotting import new_figure

    tree = city.instance.tree
    scenarios = [0, len(tree.scenarios) - 1] if scenarios is None else list(scenarios)
    figure, axes = new_figure(5.0 * len(scenarios), 4.6)
    figure.delaxes(axes)
    years = tree.stages
    for panel, scenario in enumerate(scenarios):
        ax = figure.add_subplot(1, len(scenarios), panel + 1)
        path = tree.paths[scenario]
        demand = tree.demand[path[-1]]
        ax.scatter(city.user_xy[:, 0], city.user_xy[:, 1], s=demand / demand.max() * 60, color="0.65",
                   label="user nodes (area: final-year demand)")
        ax.scatter(city.site_xy[:, 0], city.site_xy[:, 1], s=20, marker="x", color="black", label="candidate sites")
        built_year = np.full(city.instance.sites, -1)
        built_type = np.full(city.instance.sites, -1)
        for year, node in enumerate(path):
            opened = result.plan[:, :, node]
            new = opened.any(axis=1) & (built_year < 0)
            built_year[new] = year
            built_type[new] = opened[new].argmax(axis=1)
        for year in range(years):
            chosen = built_year == year
            ax.scatter(city.site_xy[chosen, 0], city.site_xy[chosen, 1], s=150, marker="s", facecolors="none",
                       edgecolors=f"C{year}", linewidths=2, label=f"station built in year {year + 1}")
        for j in np.flatnonzero(built_year >= 0):
            ax.annotate(f"{city.instance.site_ids[j]} ({city.instance.type_ids[built_type[j]]})",
                        city.site_xy[j], textcoords="offset points", xytext=(7, 7), fontsize=7)
        ax.set_xlabel("x (km)")
        ax.set_ylabel("y (km)")
        ax.set_title(f"scenario {scenario + 1} of {len(tree.scenarios)}")
        ax.set_aspect("equal")
        if panel == 0:
            ax.legend(fontsize=7, loc="lower left")
    figure.suptitle("Multi-stage plan along two scenarios of demand growth")
    return figure


def value_of_multistage(instance, *, time_limit: float | None = None, method: str = "best") -> dict:
    """Two-stage, multi-stage and perfect-information values of one instance with a tree.

    Returns
    -------
    dict
        ``two_stage``, ``multi_stage``, ``perfect_information``, ``vms_percent``,
        ``evpi_percent`` and the two statuses.
    """
    two_stage = solve(instance, method, model="two-stage", time_limit=time_limit)
    multi_stage = solve(instance, method, model="multi-stage", time_limit=time_limit)
    perfect = perfect_information_bound(instance, time_limit=time_limit, method=method)
    return {
        "two_stage": two_stage.objective, "multi_stage": multi_stage.objective, "perfect_information": perfect,
        "vms_percent": 100.0 * (multi_stage.objective - two_stage.objective) / two_stage.objective,
        "evpi_percent": 100.0 * (perfect - multi_stage.objective) / multi_stage.objective,
        "two_stage_status": two_stage.status, "multi_stage_status": multi_stage.status,
    }


def growth_volatility_table(growth_sds=(0.096, 0.15, 0.2, 0.3), *, seeds=(0, 1, 2), time_limit=None,
                            **city_options) -> list[dict]:
    """VMS against the standard deviation of yearly growth (like seed 001's Table III).

    Each row averages over synthetic cities with the given seeds; ``city_options`` go to
    :func:`synthetic_city` (defaults: 40 users, 8 sites, one type, 3 years, two branches per
    year, one station a year).
    """
    options = {"users": 40, "sites": 8, "types": 1, "years": 3, "branching": (2, 2), "budget": 150.0,
               "subcentre": True, **city_options}
    rows = []
    for sd in growth_sds:
        values = [value_of_multistage(synthetic_city(seed=seed, growth_sd=sd, **options).instance,
                                      time_limit=time_limit) for seed in seeds]
        rows.append({"growth_sd": sd, **_mean(values)})
    return rows


def heterogeneity_table(extra_growth=(0.0, 0.25, 0.5, 1.0), *, seeds=(0, 1, 2), time_limit=None,
                        **city_options) -> list[dict]:
    """VMS against how much faster a new sub-centre grows than the rest (like Table V)."""
    options = {"users": 40, "sites": 8, "types": 1, "years": 3, "branching": (2, 2), "budget": 150.0, **city_options}
    rows = []
    for extra in extra_growth:
        values = []
        for seed in seeds:
            city = synthetic_city(seed=seed, subcentre=extra > 0, **options)
            if extra > 0:  # rebuild the tree with this sub-centre growth
                from dataclasses import replace

                from .scenarios import growth_tree

                region = (city.user_xy[:, 0] > 5.0) & (city.user_xy[:, 1] > 5.0)
                tree = growth_tree(city.instance.tree.demand[0], options["branching"], seed=seed, subcentre=region,
                                   subcentre_extra=extra)
                instance = replace(city.instance, tree=tree)
            else:
                instance = city.instance
            values.append(value_of_multistage(instance, time_limit=time_limit))
        rows.append({"subcentre_extra_growth": extra, **_mean(values)})
    return rows


def _mean(values: list[dict]) -> dict:
    keys = ("two_stage", "multi_stage", "perfect_information", "vms_percent", "evpi_percent")
    summary = {key: sum(v[key] for v in values) / len(values) for key in keys}
    summary["all_optimal"] = all(v["two_stage_status"] == v["multi_stage_status"] == "optimal" for v in values)
    return summary


def trois_rivieres_tables(folder, *, years: int = 4, branching=(2, 2, 2), growth_sds=(0.096, 0.15, 0.2, 0.3),
                          subcentre_extra=(0.0, 0.25, 0.5), subcentre_site: int | None = None, seed: int = 0,
                          method: str = "best", time_limit: float | None = None, progress: bool = False) -> dict:
    """Seed 001's Tables III-V on the Trois-Rivieres data itself.

    Year-1 demand is the data's (population x EV share of year 1); later years follow a
    scenario tree of growth ``g ~ Normal(43.5 %, sd)`` (:func:`growth_tree`), replacing the
    data's deterministic growth function. Each row gives TS, MS, perfect information, VMS and
    EVPI (:func:`value_of_multistage`).

    - ``table_iii``: VMS against the growth standard deviation (variant "Simple").
    - ``table_iv``: "Simple" against "Distance" at sd 9.6 %.
    - ``table_v``: VMS against the extra yearly growth of a sub-centre. The data has no map,
      so the sub-centre is the catchment of one candidate site: the user classes whose choice
      set holds ``subcentre_site`` (default: the site with the smallest catchment population,
      a peripheral one), growing faster in the last child of every branching.

    ``budgets`` are the data's first ``years`` values. ``method="scip-lazy"`` (extra
    ``evcore[scip]``) is much faster than the cut loop here (several station types and a
    binding budget).
    """
    import numpy as np
    from dataclasses import replace

    from .data import read_trois_rivieres
    from .scenarios import growth_tree

    budgets = (550.0, 300.0, 250.0, 500.0)[:years]

    def with_tree(variant, sd, region=None, extra=0.0):
        instance = read_trois_rivieres(folder, variant, years=years, budgets=budgets)
        tree = growth_tree(instance.demand[:, 0], branching, growth_sd=sd, seed=seed, subcentre=region,
                           subcentre_extra=extra)
        return replace(instance, tree=tree)

    def row(label: dict, instance) -> dict:
        values = value_of_multistage(instance, time_limit=time_limit, method=method)
        if progress:
            logger.info("[trois-rivieres] %s: TS %.2f, MS %.2f, VMS %.3f %%, EVPI %.3f %%", label,
                        values["two_stage"], values["multi_stage"], values["vms_percent"], values["evpi_percent"])
        return {**label, **values}

    table_iii = [row({"growth_sd": sd}, with_tree("Simple", sd)) for sd in growth_sds]
    by_sd = {r["growth_sd"]: r for r in table_iii}
    table_iv = [by_sd[0.096] | {"variant": "Simple"} if 0.096 in by_sd else row({"variant": "Simple"},
                                                                                 with_tree("Simple", 0.096)),
                row({"variant": "Distance"}, with_tree("Distance", 0.096))]
    base = read_trois_rivieres(folder, "Simple", years=years, budgets=budgets)
    choice = base.attraction.sum(axis=2) > 0  # (users, sites)
    if subcentre_site is None:
        catchment = (choice * base.demand[:, :1]).sum(axis=0)
        subcentre_site = int(np.argmin(np.where(catchment > 0, catchment, np.inf)))
    region = choice[:, subcentre_site]
    table_v = []
    for extra in subcentre_extra:
        if extra == 0.0 and 0.096 in by_sd:
            table_v.append(by_sd[0.096] | {"subcentre_extra_growth": 0.0})
        else:
            table_v.append(row({"subcentre_extra_growth": extra},
                               with_tree("Simple", 0.096, region if extra > 0 else None, extra)))
    return {"table_iii": table_iii, "table_iv": table_iv, "table_v": table_v, "subcentre_site": subcentre_site,
            "subcentre_users": int(region.sum())}
