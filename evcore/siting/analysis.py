"""The paper's tables and figures for the siting model (seed 004, §3.4 and §4).

- :func:`pareto_table`: best plan per number of stations and algorithm (Tables 10-11).
- :func:`run_statistics`: best and spread of repeated independent runs (Table 12).
- :func:`plan_table`: points served and piles per station of a plan (Table 13).
- :func:`weight_sensitivity`: investment weight 0.7 / 0.5 / 0.3 (Table 16).
- :func:`ablation_table`: plans chosen by simplified models, priced by the full model (§4.1-4.3;
  our copy lost Models 1-3's equations, so the comparison keeps what the paper says they omit).
- :func:`plot_plan`, :func:`plot_convergence`, :func:`plot_pareto`: Figures 9-11.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..plotting import new_figure, save_figure
from ._result import SitingResult, plan_result
from .model import SitingInstance
from .solve import solve

__all__ = [
    "pareto_table",
    "run_statistics",
    "plan_table",
    "weight_sensitivity",
    "ablation_table",
    "ABLATIONS",
    "plot_plan",
    "plot_convergence",
    "plot_pareto",
]


def _row(result: SitingResult, **labels) -> dict:
    """One table row: costs in 10^4 yuan per year, ids of the built stations."""
    return {**labels, "investment_cost": round(result.investment_cost, 2), "user_cost": round(result.user_cost, 2),
            "total_cost": round(result.total_cost, 2), "objective": round(result.objective, 4),
            "stations": result.stations, "piles": int(result.piles.sum()),
            "fast_piles": int(result.fast_piles.sum()), "slow_piles": int(result.slow_piles.sum()),
            "total_capacity_kva": round(result.total_capacity_kva, 1), "feasible": result.feasible,
            "status": result.status, "open_site_ids": " ".join(result.open_site_ids),
            "seconds": round(result.wall_time, 3)}


def pareto_table(instance: SitingInstance, station_counts=range(13, 18), methods=("sa", "ga", "aco"),
                 seed: int = 0, time_limit: float | None = None, settings: dict | None = None):
    """Best plan of each method for each fixed number of stations (Tables 10-11).

    Parameters
    ----------
    station_counts : iterable of int
        Numbers of stations to fix (the paper: 13-17).
    methods : sequence of str
    settings : dict, optional
        ``{method: {setting: value}}`` overriding the paper's configurations.

    Returns
    -------
    rows : list of dict
        One per (method, stations): investment, user and total cost (10^4 yuan/yr), piles, kVA.
    results : dict
        ``(method, stations) -> SitingResult``.
    """
    settings = settings or {}
    rows, results = [], {}
    for method in methods:
        for count in station_counts:
            result = solve(replace(instance, stations=int(count)), method, seed=seed, time_limit=time_limit,
                           **settings.get(method, {}))
            results[(method, int(count))] = result
            rows.append(_row(result, method=method, station_count=int(count)))
    return rows, results


def run_statistics(instance: SitingInstance, methods=("sa", "ga", "aco"), runs: int = 20, seed: int = 0,
                   time_limit: float | None = None, settings: dict | None = None):
    """Best, mean and standard deviation of the total cost over ``runs`` seeds (Table 12).

    Seeds are ``seed, seed + 1, ...``; returns (rows, {method: [SitingResult, ...]}).
    """
    settings = settings or {}
    rows, results = [], {}
    for method in methods:
        runs_of = [solve(instance, method, seed=seed + k, time_limit=time_limit, **settings.get(method, {}))
                   for k in range(int(runs))]
        results[method] = runs_of
        totals = np.array([r.total_cost for r in runs_of])
        objectives = np.array([r.objective for r in runs_of])
        best = runs_of[int(np.argmin(objectives))]
        rows.append({"method": method, "runs": runs, "best_total_cost": round(best.total_cost, 2),
                     "best_objective": round(float(objectives.min()), 4),
                     "mean_objective": round(float(objectives.mean()), 4),
                     "std_objective": round(float(objectives.std(ddof=1)) if runs > 1 else 0.0, 4),
                     "std_total_cost": round(float(totals.std(ddof=1)) if runs > 1 else 0.0, 4),
                     "runs_at_best": int(np.sum(objectives <= objectives.min() * (1 + 1e-9))),
                     "mean_seconds": round(float(np.mean([r.wall_time for r in runs_of])), 3)})
    return rows, results


def plan_table(instance: SitingInstance, result: SitingResult) -> list[dict]:
    """Points served, fast and slow piles, load, wait and kVA of each built station (Table 13)."""
    rows = []
    for j in np.flatnonzero(result.is_open):
        served = np.flatnonzero(result.assigned_site == j)
        rows.append({"site_id": instance.site_names[j],
                     "points_served": " ".join(instance.point_names[i] for i in served),
                     "fast_piles": int(result.fast_piles[j]), "slow_piles": int(result.slow_piles[j]),
                     "load_vehicles_per_day": float(result.station_load[j]),
                     "mean_wait_min": round(60 * float(result.mean_wait_hours[j]), 2),
                     "capacity_kva": round(float(result.capacity_kva[j]), 1)})
    return rows


def weight_sensitivity(instance: SitingInstance, weights=(0.7, 0.5, 0.3), method: str = "sa", seed: int = 0,
                       time_limit: float | None = None, settings: dict | None = None):
    """Plans for each investment weight ``w`` (Table 16: scenarios 0.7, 0.5, 0.3)."""
    rows, results = [], {}
    for weight in weights:
        changed = instance.with_changes(parameters={"investment_weight": float(weight)})
        result = solve(changed, method, seed=seed, time_limit=time_limit, **(settings or {}))
        results[float(weight)] = result
        rows.append(_row(result, investment_weight=float(weight), method=method))
    return rows, results


#: Simplified models the comparison plans with: name -> parameter changes. Models 1-2 of §4.1
#: leave out the users' electricity cost (§4.3); the others drop users' time (travel and
#: queueing) or the operating cost of piles.
ABLATIONS = {
    "full model": {},
    "no user energy cost (Models 1-2)": {"energy_per_km": 0.0},
    "no user time cost": {"value_of_time": 0.0},
    "no pile operating cost": {"operating_cost_per_pile_hour": 0.0},
}


def ablation_table(instance: SitingInstance, method: str = "sa", seed: int = 0, ablations: dict | None = None,
                   time_limit: float | None = None, settings: dict | None = None):
    """Plan with each simplified model, then price that plan with the full model.

    The gap in full-model total cost is what ignoring a cost component costs (the paper's
    §4.3 argument). Returns (rows, {name: SitingResult priced by the full model}).
    """
    rows, results = [], {}
    for name, changes in (ablations or ABLATIONS).items():
        planned = solve(instance.with_changes(parameters=dict(changes)) if changes else instance, method,
                        seed=seed, time_limit=time_limit, **(settings or {}))
        priced = plan_result(instance, planned.is_open, method=method, status=planned.status)
        results[name] = priced
        rows.append(_row(priced, model=name))
    full = rows[0]["total_cost"]
    for row in rows:
        row["extra_cost_vs_full_model"] = round(row["total_cost"] - full, 2)
    return rows, results


def plot_plan(instance: SitingInstance, result: SitingResult, path, title: str | None = None) -> Path:
    """Map of the plan: demand points sized by demand, stations, and who is served where (Fig. 11)."""
    if instance.point_xy_km is None or instance.site_xy_km is None:
        raise InputError("instance", "plot_plan needs point_xy_km and site_xy_km on the instance")
    figure, axes = new_figure(6.4, 6.0)
    points, sites = instance.point_xy_km, instance.site_xy_km
    for i, j in enumerate(result.assigned_site):
        if j >= 0:
            axes.plot([points[i, 0], sites[j, 0]], [points[i, 1], sites[j, 1]], color="0.7", lw=0.8, zorder=1)
    sizes = 10 + 60 * instance.demand_per_day / max(instance.demand_per_day.max(), 1)
    axes.scatter(points[:, 0], points[:, 1], s=sizes, c="tab:blue", alpha=0.7, label="demand point", zorder=2)
    built = list(np.flatnonzero(result.is_open))
    axes.scatter(sites[built, 0], sites[built, 1], s=40 + 2 * result.piles[built] ** 0.75, marker="s",
                 c="tab:red", label="station (size ~ piles)", zorder=3)
    for j in built:
        axes.annotate(f"{instance.site_names[j]}: {result.fast_piles[j]}F/{result.slow_piles[j]}S",
                      sites[j], fontsize=7, xytext=(3, 3), textcoords="offset points")
    axes.set_xlabel("x, east (km)")
    axes.set_ylabel("y, north (km)")
    axes.set_aspect("equal")
    axes.legend(loc="best", fontsize=8)
    axes.set_title(title or f"{result.stations} stations, total {result.total_cost:,.1f} (10^4 yuan/yr)")
    return save_figure(figure, path)


def plot_convergence(results: dict, path, title: str = "Convergence") -> Path:
    """Best objective against iteration for each method (Fig. 9).

    The traces record each improvement; the curve holds the best value until the next one
    (a step plot) and runs on to the last iteration. Only finite values are drawn; a method
    without any is left out of the plot and the legend.
    """
    figure, axes = new_figure()
    for name, result in results.items():
        trace = result.trace
        keep = np.isfinite(trace["objective"])
        if not keep.any():
            continue
        x = np.append(trace["iteration"][keep], max(float(result.iterations), float(trace["iteration"][keep][-1])))
        y = np.append(trace["objective"][keep], trace["objective"][keep][-1])
        axes.plot(x, y, drawstyle="steps-post", marker="." if keep.sum() == 1 else None,
                  label=f"{name} ({result.wall_time:.2f} s)")
    axes.set_xlabel("iteration (temperature steps, generations or ant rounds)")
    axes.set_ylabel("best objective w F1 + (1-w) F2 (10^4 yuan/yr)")
    axes.set_title(title)
    axes.legend()
    return save_figure(figure, path)


def plot_pareto(rows: list[dict], path, title: str = "Investment against user cost") -> Path:
    """Investment against user cost of the plans in :func:`pareto_table` rows (Fig. 8)."""
    figure, axes = new_figure()
    for method in dict.fromkeys(row["method"] for row in rows):
        mine = [r for r in rows if r["method"] == method]
        axes.plot([r["investment_cost"] for r in mine], [r["user_cost"] for r in mine], marker="o", label=method)
        for r in mine:
            axes.annotate(str(r["station_count"]), (r["investment_cost"], r["user_cost"]), fontsize=7,
                          xytext=(3, 3), textcoords="offset points")
    axes.set_xlabel("annual investment cost F1 (10^4 yuan/yr)")
    axes.set_ylabel("annual user cost F2 (10^4 yuan/yr)")
    axes.set_title(title)
    axes.legend()
    return save_figure(figure, path)
