"""Seed 001 §V analyses: when does adapting decisions to realised growth pay?

The value of the multi-stage model (VMS) is ``(MS - TS) / TS``: what planning with recourse
(decisions per scenario-tree node) gains over one plan for all scenarios. The expected value
of perfect information (EVPI) compares with solving each scenario knowing it in advance.
"""

from __future__ import annotations

from .solve import perfect_information_bound, solve
from .synthetic import synthetic_city

__all__ = ["value_of_multistage", "growth_volatility_table", "heterogeneity_table"]


def value_of_multistage(instance, *, time_limit: float | None = None) -> dict:
    """Two-stage, multi-stage and perfect-information values of one instance with a tree.

    Returns
    -------
    dict
        ``two_stage``, ``multi_stage``, ``perfect_information``, ``vms_percent``,
        ``evpi_percent`` and the two statuses.
    """
    two_stage = solve(instance, model="two-stage", time_limit=time_limit)
    multi_stage = solve(instance, model="multi-stage", time_limit=time_limit)
    perfect = perfect_information_bound(instance, time_limit=time_limit)
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
