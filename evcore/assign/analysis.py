"""Seed 003's experiments: EV scenarios and the method comparison table."""

from __future__ import annotations

import numpy as np

from .exact import solve_exact
from .model import random_ev_instance
from .solve import solve_gap

__all__ = ["SCENARIOS", "scenario_instances", "compare_methods", "plot_assignment", "plot_station_loads"]

#: Seed 003's three scenarios: (EV range, station range, number of instances).
SCENARIOS = {
    1: ((10, 50), (5, 25), 6),
    2: ((100, 200), (5, 20), 6),
    3: ((100, 400), (5, 40), 9),
}


def scenario_instances(scenario: int, *, seed: int = 0):
    """The instances of one scenario: sizes spread evenly over the paper's ranges, seeded.

    Returns
    -------
    list of (name, EVInstance)
    """
    (ev_low, ev_high), (st_low, st_high), count = SCENARIOS[scenario]
    evs = np.linspace(ev_low, ev_high, count).round().astype(int)
    stations = np.linspace(st_low, st_high, count).round().astype(int)
    return [(f"S{scenario}-{k + 1} ({e} EVs, {s} st.)", random_ev_instance(int(e), int(s), seed=seed + 97 * k + scenario))
            for k, (e, s) in enumerate(zip(evs, stations))]


def compare_methods(instances, methods, *, time_limit: float, seed: int = 0, exact_time_limit: float = 60.0):
    """Best objective per method and instance, and whether it reaches the HiGHS optimum.

    Parameters
    ----------
    instances : list of (name, EVInstance or GAPInstance)
    methods : sequence of str
        Names accepted by :func:`evcore.assign.solve_gap` (not "exact", which is the reference).
    time_limit : float
        Seconds per method and instance.

    Returns
    -------
    rows : list of dict
        One per instance: ``instance``, ``optimum`` (HiGHS; with its status), then for each
        method ``<method>`` (objective, ``nan`` when nothing feasible was found),
        ``<method>_optimal`` (bool) and ``<method>_seconds``.
    """
    rows = []
    for name, instance in instances:
        gap = instance.to_gap() if hasattr(instance, "to_gap") else instance
        reference = solve_exact(gap, time_limit=exact_time_limit)
        row = {"instance": name, "optimum": reference.objective, "optimum_status": reference.status}
        for method in methods:
            result = solve_gap(gap, method=method, time_limit=time_limit, seed=seed)
            value = result.objective if result.feasible else float("nan")
            row[method] = value
            row[f"{method}_optimal"] = bool(result.feasible and value <= reference.objective + 1e-6 * max(
                1.0, abs(reference.objective)))
            row[f"{method}_seconds"] = result.wall_time
        rows.append(row)
    return rows


def plot_assignment(assignment, station_xy, ev_xy, path, *, title="EV assignment"):
    """Map of EVs and stations with a line from each EV to its station.

    Parameters
    ----------
    assignment : array_like of int, shape (evs,)
    station_xy : array_like, shape (stations, 2)
        Station coordinates (km).
    ev_xy : array_like, shape (evs, 2)
        EV positions (km).
    """
    from ..plotting import new_figure, save_figure

    assignment = np.asarray(assignment)
    station_xy, ev_xy = np.asarray(station_xy, float), np.asarray(ev_xy, float)
    fig, ax = new_figure(6.0, 6.0)
    for job, station in enumerate(assignment):
        ax.plot(*zip(ev_xy[job], station_xy[station]), color="0.75", linewidth=0.6, zorder=1)
    ax.scatter(ev_xy[:, 0], ev_xy[:, 1], s=10, c=assignment, cmap="tab20", zorder=2, label="EVs")
    ax.scatter(station_xy[:, 0], station_xy[:, 1], s=120, marker="s", c=np.arange(len(station_xy)), cmap="tab20",
               edgecolors="black", zorder=3, label="stations")
    ax.set_xlabel("km")
    ax.set_ylabel("km")
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.legend(loc="upper right")
    return save_figure(fig, path)


def plot_station_loads(instance, assignments: dict, path, *, title="Capacity used per station"):
    """Bars of the capacity each method's assignment uses at every station, against capacity.

    Parameters
    ----------
    instance : GAPInstance
    assignments : dict of str to array_like of int, shape (jobs,)
        Method name -> assignment.
    """
    from ..plotting import new_figure, save_figure

    fig, ax = new_figure(7.0, 4.0)
    stations = np.arange(instance.agents)
    width = 0.8 / max(len(assignments), 1)
    for n, (name, assignment) in enumerate(assignments.items()):
        _, loads = instance.evaluate(assignment)
        ax.bar(stations + (n - (len(assignments) - 1) / 2) * width, loads, width, label=name)
    ax.step(np.append(stations, stations[-1] + 1) - 0.5, np.append(instance.capacity, instance.capacity[-1]),
            where="post", color="black", linewidth=1.2, label="capacity (piles)")
    ax.set_xticks(stations)
    ax.set_xlabel("station")
    ax.set_ylabel("EVs assigned")
    ax.set_title(title)
    ax.legend()
    return save_figure(fig, path)
