"""The seed paper's analysis: Table 1 (costs against the assignment range) and Figs. 4-6.

Reference: seed 000, §5.2 (Table 1; Fig. 4 residuals; Fig. 5 capacity base vs joint; Fig. 6 flows).
"""

from __future__ import annotations

import numpy as np

from .solve import solve

__all__ = ["PAPER_RANGES_KM", "range_sweep", "period_slots", "net_outflow", "plot_capacity", "plot_flows",
           "plot_residuals", "PERIODS"]

#: Table 1's assignment ranges (km); R = 0 is the base model without assignment.
PAPER_RANGES_KM = (0.0, 1.0, 3.0, 5.0, 7.0, 9.0, 11.0)
#: Fig. 6's periods: (label, day of week 0 = Monday, first hour, last hour (exclusive)).
PERIODS = (("Monday 15:00-16:00", 0, 15, 16), ("Monday 22:00-23:00", 0, 22, 23), ("Saturday 15:00-16:00", 5, 15, 16))


def range_sweep(instance, ranges=PAPER_RANGES_KM, method="highs", gap=1e-3, time_limit=None, **options):
    """Table 1: investment, assignment and total cost per assignment range, and the reduction per step.

    Returns
    -------
    (rows, results)
        ``rows``: list of dict with ``range_km``, ``investment_cost``, ``assignment_cost``,
        ``total_cost``, ``reduction_pct`` (against the previous, smaller range), ``lower_bound``,
        ``gap``, ``status``, ``seconds``; ``results``: the :class:`JointResult` per range.
    """
    rows, results = [], {}
    previous = None
    for range_km in ranges:
        result = solve(instance.with_range(range_km), method, gap=gap, time_limit=time_limit, **options)
        results[float(range_km)] = result
        reduction = None if previous is None else 100.0 * (previous - result.total_cost) / previous
        rows.append(dict(range_km=float(range_km), investment_cost=result.investment_cost,
                         assignment_cost=result.assignment_cost, total_cost=result.total_cost,
                         reduction_pct=reduction, lower_bound=result.lower_bound, gap=result.gap,
                         status=result.status, seconds=round(result.wall_time, 3)))
        previous = result.total_cost
    return rows, results


def period_slots(slots, day, first_hour, last_hour):
    """Slots of the week covering ``day`` (0 = Monday) from ``first_hour`` to ``last_hour``."""
    per_hour = slots / 168.0
    start = int(round((day * 24 + first_hour) * per_hour))
    stop = max(int(round((day * 24 + last_hour) * per_hour)), start + 1)
    return np.arange(start, stop)


def net_outflow(instance, flows, slots):
    """EVs sent away minus EVs received per zone over the given slots, shape (zones,)."""
    pairs = instance.pairs
    sent = np.zeros(instance.zones)
    np.add.at(sent, pairs.origin, flows[slots].sum(axis=0))
    received = np.zeros(instance.zones)
    np.add.at(received, pairs.destination, flows[slots].sum(axis=0))
    return sent - received


def _positions(instance, zone_centroids):
    if zone_centroids is not None:
        return np.asarray(zone_centroids)[:, 1], np.asarray(zone_centroids)[:, 0], "longitude", "latitude"
    order = np.argsort(-np.asarray(instance.location_cost_per_kw))
    x = np.empty(instance.zones)
    x[order] = np.arange(instance.zones)
    return x, np.zeros(instance.zones), "zones by location cost (centre first)", ""


def plot_capacity(instance, base, joint, path, zone_centroids=None):
    """Fig. 5: capacity per location for the base model (R = 0) and the joint model."""
    from ..plotting import new_figure, save_figure

    fig, axes = new_figure(11.0, 4.5)
    fig.delaxes(axes)
    x, y, xl, yl = _positions(instance, zone_centroids)
    top = max(float(base.capacity_kw.max()), float(joint.capacity_kw.max()), 1e-9)
    for k, (title, result) in enumerate((("base model (R = 0)", base), (f"joint model (R = {instance.range_km:g} km)",
                                                                           joint))):
        ax = fig.add_subplot(1, 2, k + 1)
        if zone_centroids is not None:
            art = ax.scatter(x, y, s=8 + 120 * result.capacity_kw / top, c=result.capacity_kw, cmap="viridis",
                             vmin=0, vmax=top)
            fig.colorbar(art, ax=ax, label="capacity (kW)")
        else:
            ax.bar(x, result.capacity_kw)
            ax.set_ylabel("capacity (kW)")
        ax.set_title(f"{title}: total {result.capacity_kw.sum() / 1000:.1f} MW")
        ax.set_xlabel(xl)
        if yl:
            ax.set_ylabel(yl)
    return save_figure(fig, path)


def plot_flows(instance, result, path, zone_centroids=None, periods=PERIODS):
    """Fig. 6: net EVs sent away per location (negative: received) and the arcs used, per period."""
    from ..plotting import new_figure, save_figure

    fig, axes = new_figure(5.0 * len(periods), 4.5)
    fig.delaxes(axes)
    x, y, xl, yl = _positions(instance, zone_centroids)
    pairs = instance.pairs
    for k, (label, day, h0, h1) in enumerate(periods):
        ax = fig.add_subplot(1, len(periods), k + 1)
        slots = period_slots(instance.slots, day, h0, h1)
        net = net_outflow(instance, result.flows, slots)
        per_arc = result.flows[slots].sum(axis=0)
        if zone_centroids is not None:
            for p in np.flatnonzero(per_arc > 1e-6 * max(per_arc.max(), 1e-12)):
                o, d = pairs.origin[p], pairs.destination[p]
                ax.plot([x[o], x[d]], [y[o], y[d]], color="grey", lw=0.3 + 2 * per_arc[p] / per_arc.max())
            bound = max(float(np.abs(net).max()), 1e-9)
            art = ax.scatter(x, y, c=net, cmap="coolwarm", vmin=-bound, vmax=bound, s=18, zorder=3)
            fig.colorbar(art, ax=ax, label="EVs sent - received")
        else:
            ax.bar(x, net)
        ax.set_title(f"{label}: {per_arc.sum():.0f} EVs assigned")
        ax.set_xlabel(xl)
        if yl:
            ax.set_ylabel(yl)
    return save_figure(fig, path)


def plot_residuals(paper_result, path, splitting_result=None):
    """Fig. 4: primal and dual errors (14)-(15) of Algorithm 1 per iteration, and evcore's certified gap."""
    from ..plotting import new_figure, save_figure

    fig, ax = new_figure(9.0 if splitting_result is not None else 5.0, 4.0)
    if splitting_result is not None:
        fig.delaxes(ax)
        ax = fig.add_subplot(1, 2, 1)
    it = [row["iteration"] for row in paper_result.trace]
    ax.semilogy(it, [max(row["primal_error"], 1e-16) for row in paper_result.trace], label="primal error (14)")
    ax.semilogy(it, [max(row["dual_error"], 1e-16) for row in paper_result.trace], label="dual error (15)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("kW")
    ax.set_title("paper's ADMM (Algorithm 1)")
    ax.legend()
    if splitting_result is not None:
        ax2 = fig.add_subplot(1, 2, 2)
        it = [row["iteration"] for row in splitting_result.trace]
        ax2.semilogy(it, [max(row["gap"], 1e-16) for row in splitting_result.trace], label="certified gap")
        ax2.semilogy(it, [max(row["violation"], 1e-16) for row in splitting_result.trace],
                     label="relative violation of (4)")
        ax2.set_xlabel("iteration")
        ax2.set_title("evcore splitting")
        ax2.legend()
    return save_figure(fig, path)
