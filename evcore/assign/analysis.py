"""Seed 003's experiments (EV scenarios, the method comparison table) and the assign figures."""

from __future__ import annotations

import numpy as np

from .exact import solve_exact
from .model import random_ev_instance
from .solve import solve

__all__ = ["SCENARIOS", "scenario_instances", "compare_methods", "plot_assignment", "plot_station_loads",
           "plot_occupancy", "plot_summary"]

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
        Names accepted by :func:`evcore.assign.solve` (not "exact", which is the reference).
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
            result = solve(gap, method=method, time_limit=time_limit, seed=seed)
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
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
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
    ax.set_xticks(stations, [str(i) for i in instance.agent_ids])
    ax.set_xlabel(f"{instance.agent_label} id")
    ax.set_ylabel("capacity used (EVs assigned)")
    ax.set_title(title)
    ax.legend()
    return save_figure(fig, path)


def plot_occupancy(simulation, path):
    """Station occupancy over a simulated day (heat map) above hourly requests and blocked EVs; PNG.

    ``simulation`` is a :class:`evcore.assign.DaySimulation`. Returns the written path.
    """
    from ..plotting import new_figure, save_figure

    figure, _ = new_figure(8.0, 6.0)
    figure.clear()
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[2.2, 1.0])
    city = simulation.city
    share = simulation.occupancy / city.piles[None, :]
    times = simulation.times_h
    order = np.argsort(-city.piles, kind="stable")
    image = top.imshow(share[:, order].T, aspect="auto", origin="lower", cmap="viridis", vmin=0.0, vmax=1.0,
                       extent=(times[0], times[-1], -0.5, city.stations - 0.5), interpolation="nearest")
    shown = np.unique(np.linspace(0, city.stations - 1, min(city.stations, 25)).astype(int))
    top.set_yticks(shown, [str(city.station_ids[order[k]]) for k in shown], fontsize="small")
    top.set_ylabel("station id (most piles at bottom)")
    top.set_title("Share of busy piles per station")
    figure.colorbar(image, ax=top, label="busy piles / piles (share)")

    hours = np.arange(0, int(np.ceil(times[-1])) + 1)
    request_time = np.array([r.time_h for r in simulation.requests])
    outcome = simulation.outcome
    for mask, label, colour in ((np.ones(outcome.size, bool), "requests", "tab:blue"),
                                (outcome == "blocked_at_dispatch", "blocked at dispatch", "tab:orange"),
                                (outcome == "turned_away", "turned away on arrival", "tab:red")):
        counts, _ = np.histogram(request_time[mask], bins=hours)
        bottom.stairs(counts, hours, label=label, color=colour)
    total = simulation.occupancy.sum(axis=1) / city.piles.sum()
    twin = bottom.twinx()
    twin.plot(times, total, color="black", linewidth=1.0, label="all piles busy share")
    twin.set_ylim(0.0, 1.05)
    twin.set_ylabel("busy share, all piles")
    bottom.set_xlabel("hour of day (h)")
    bottom.set_ylabel("EVs per hour")
    handles = bottom.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    bottom.legend(handles=handles, fontsize="small", loc="upper left")
    bottom.set_xlim(times[0], times[-1])
    return save_figure(figure, path)


def plot_summary(simulation, path):
    """Histograms of the assigned EVs' cost and walking distance in a simulated day; PNG.

    Returns the written path.
    """
    from ..plotting import new_figure, save_figure

    figure, _ = new_figure(8.0, 3.2)
    figure.clear()
    left, right = figure.subplots(1, 2)
    assigned = [d for d in simulation.decisions if not d.blocked]
    left.hist([d.cost for d in assigned], bins=25, color="tab:blue", label="assigned EVs")
    left.set_xlabel("cost per EV, C_D D + C_W W + C_i T (currency)")
    left.set_ylabel("EVs")
    left.legend(fontsize="small")
    right.hist([d.walking_km for d in assigned], bins=25, color="tab:green", label="assigned EVs")
    right.axvline(simulation.city.max_walking_km, color="black", linestyle="--", label="max walk")
    right.set_xlabel("walking distance (km)")
    right.set_ylabel("EVs")
    right.legend(fontsize="small")
    return save_figure(figure, path)
