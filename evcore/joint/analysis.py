"""The seed paper's analysis: Table 1 (costs against the assignment range) and Figs. 4-6.

Reference: seed 000, §5.2 (Table 1; Fig. 4 residuals; Fig. 5 capacity base vs joint; Fig. 6 flows).
"""

from __future__ import annotations

import numpy as np

from .._validate import as_array, as_scalar, check_nonnegative
from ..errors import InputError
from .solve import solve

__all__ = ["PAPER_RANGES_KM", "range_sweep", "pairs_within", "period_slots", "net_outflow", "plot_capacity", "plot_flows",
           "plot_residuals", "PERIODS"]

#: Table 1's assignment ranges (km); R = 0 is the base model without assignment.
PAPER_RANGES_KM = (0.0, 1.0, 3.0, 5.0, 7.0, 9.0, 11.0)
#: Fig. 6's periods: (label, day of week 0 = Monday, first hour, last hour (exclusive)).
PERIODS = (("Monday 15:00-16:00", 0, 15, 16), ("Monday 22:00-23:00", 0, 22, 23), ("Saturday 15:00-16:00", 5, 15, 16))


def pairs_within(instance, range_km) -> dict:
    """How many zone pairs an assignment range opens: ``zone_pairs_within_range`` (unordered
    pairs {i, j}, i != j, with d_ij <= R or d_ji <= R), its share of all pairs (%), and ``arcs``
    (ordered pairs i -> j with d_ij <= R, the model's assignment variables per slot)."""
    _check_instance(instance)
    range_km = check_nonnegative("range_km", np.asarray(as_scalar("range_km", range_km)), allow_inf=True)
    distance = np.asarray(instance.distance_km)
    within = distance <= float(range_km)
    np.fill_diagonal(within, False)
    unordered = int(np.triu(within | within.T, 1).sum())
    total = instance.zones * (instance.zones - 1) // 2
    return dict(zone_pairs_within_range=unordered, share_of_pairs_pct=100.0 * unordered / total if total else 0.0,
                arcs=int(within.sum()))


def range_sweep(instance, ranges=PAPER_RANGES_KM, method="highs", *, time_limit=None, progress=False,
                **method_options):
    """Table 1: investment, assignment and total cost per assignment range, and the reduction per step.

    Parameters
    ----------
    instance : JointInstance
    ranges : sequence of float
        Assignment ranges R (km), each >= 0 (``inf`` allowed).
    method, time_limit, progress, **method_options
        As in :func:`evcore.joint.solve` (the time limit applies to each range).

    Returns
    -------
    (rows, results)
        ``rows``: list of dict with ``range_km``, ``zone_pairs_within_range``,
        ``share_of_pairs_pct``, ``arcs`` (see :func:`pairs_within`: the cost trend depends on
        how many pairs a range opens), ``investment_cost``, ``assignment_cost``, ``total_cost``,
        ``reduction_pct`` (against the previous, smaller range), ``lower_bound``, ``gap``,
        ``status``, ``seconds``; ``results``: the :class:`JointResult` per range.
    """
    _check_instance(instance)
    ranges = as_array("ranges", ranges, ndim=1)
    if ranges.size == 0:
        raise InputError("ranges", "needs at least one assignment range (km)")
    check_nonnegative("ranges", ranges, allow_inf=True)
    rows, results = [], {}
    previous = None
    for range_km in ranges.tolist():
        result = solve(instance.with_range(range_km), method, time_limit=time_limit, progress=progress,
                       **method_options)
        results[float(range_km)] = result
        reduction = None if previous is None else 100.0 * (previous - result.total_cost) / previous
        rows.append(dict(range_km=float(range_km), **pairs_within(instance, range_km),
                         investment_cost=result.investment_cost, assignment_cost=result.assignment_cost,
                         total_cost=result.total_cost, reduction_pct=reduction, lower_bound=result.bound,
                         gap=result.gap, status=result.status, seconds=round(result.wall_time, 3)))
        previous = result.total_cost
    return rows, results


def period_slots(slots, day, first_hour, last_hour):
    """Slots of the week covering ``day`` (0 = Monday .. 6 = Sunday) from ``first_hour`` to
    ``last_hour`` (0 <= first_hour < last_hour <= 24), for a week of ``slots`` slots."""
    slots = as_scalar("slots", slots, int)
    if slots < 1:
        raise InputError("slots", f"must be at least 1, got {slots}")
    day = as_scalar("day", day, int)
    if not 0 <= day <= 6:
        raise InputError("day", f"must be 0 (Monday) .. 6 (Sunday), got {day}")
    first_hour, last_hour = as_scalar("first_hour", first_hour), as_scalar("last_hour", last_hour)
    if not 0 <= first_hour < last_hour <= 24:
        raise InputError("first_hour", f"need 0 <= first_hour < last_hour <= 24, got {first_hour}, {last_hour}")
    per_hour = slots / 168.0
    start = min(int(round((day * 24 + first_hour) * per_hour)), slots - 1)
    stop = min(max(int(round((day * 24 + last_hour) * per_hour)), start + 1), slots)
    return np.arange(start, stop)


def _flows_of(instance, flows):
    return as_array("flows", flows, ndim=2, shape=(instance.slots, instance.pairs.count))


def net_outflow(instance, flows, slots):
    """EVs sent away minus EVs received per zone over the given slots, shape (zones,).

    ``flows`` has shape (slots, pairs) (``result.flows``), ``slots`` are slot numbers."""
    flows = _flows_of(instance, flows)
    slots = as_array("slots", slots, dtype=np.int64, ndim=1)
    if slots.size and (slots.min() < 0 or slots.max() >= instance.slots):
        raise InputError("slots", f"must lie in 0 .. {instance.slots - 1}")
    pairs = instance.pairs
    sent = np.zeros(instance.zones)
    np.add.at(sent, pairs.origin, flows[slots].sum(axis=0))
    received = np.zeros(instance.zones)
    np.add.at(received, pairs.destination, flows[slots].sum(axis=0))
    return sent - received


def _check_result(name, result, instance=None):
    from ._result import JointResult

    if not isinstance(result, JointResult):
        raise InputError(name, f"must be a JointResult (from evcore.joint.solve), got {type(result).__name__}")
    if instance is not None and len(result.capacity_kw) != instance.zones:
        raise InputError(name, f"has {len(result.capacity_kw)} zones, the instance {instance.zones}")


def _check_instance(instance):
    from .model import JointInstance

    if not isinstance(instance, JointInstance):
        raise InputError("instance", f"must be a JointInstance, got {type(instance).__name__}")


def _positions(instance, zone_centroids):
    if zone_centroids is not None:
        from .model import check_zone_centroids

        zone_centroids = check_zone_centroids(zone_centroids, instance.zones)
    else:
        zone_centroids = instance.zone_centroids
    if zone_centroids is not None:
        centroids = np.asarray(zone_centroids)
        return centroids[:, 1], centroids[:, 0], "longitude (degrees)", "latitude (degrees)", True
    order = np.argsort(-np.asarray(instance.location_cost_per_kw), kind="stable")
    x = np.empty(instance.zones)
    x[order] = np.arange(instance.zones)
    return x, np.zeros(instance.zones), "zone rank by location cost (0 = dearest, count)", "", False


def plot_capacity(instance, base, joint, path, zone_centroids=None):
    """Fig. 5: capacity per location for the base model (R = 0) and the joint model.

    With zone coordinates (``zone_centroids`` or the instance's own): maps, marker size and
    colour the capacity (kW); without: bars over zones ranked by location cost.
    """
    from ..plotting import new_figure, save_figure

    _check_instance(instance)
    _check_result("base", base, instance)
    _check_result("joint", joint, instance)
    fig, axes = new_figure(11.0, 4.5)
    fig.delaxes(axes)
    x, y, xl, yl, on_map = _positions(instance, zone_centroids)
    top = max(float(base.capacity_kw.max(initial=0.0)), float(joint.capacity_kw.max(initial=0.0)), 1e-9)
    for k, (title, result) in enumerate((("base model (R = 0)", base), (f"joint model (R = {instance.range_km:g} km)",
                                                                           joint))):
        ax = fig.add_subplot(1, 2, k + 1)
        if on_map:
            art = ax.scatter(x, y, s=8 + 120 * result.capacity_kw / top, c=result.capacity_kw, cmap="viridis",
                             vmin=0, vmax=top)
            fig.colorbar(art, ax=ax, label="capacity (kW)")
            ax.set_ylabel(yl)
            ax.locator_params(axis="x", nbins=4)  # degree labels are long: keep them apart
            ax.ticklabel_format(useOffset=False)
        else:
            ax.bar(x, result.capacity_kw)
            ax.set_ylabel("capacity (kW)")
        ax.set_title(f"{title}: total {result.capacity_kw.sum() / 1000:.1f} MW")
        ax.set_xlabel(xl)
    return save_figure(fig, path)


def plot_flows(instance, result, path, zone_centroids=None, periods=PERIODS):
    """Fig. 6: net EVs sent away per location (negative: received) and the arcs used, per period."""
    from ..plotting import new_figure, save_figure

    _check_instance(instance)
    _check_result("result", result, instance)
    if isinstance(periods, (str, bytes)) or not hasattr(periods, "__len__") or not len(periods):
        raise InputError("periods", "must be a list of (label, day, first_hour, last_hour)")
    for k, period in enumerate(periods):
        if not (isinstance(period, (tuple, list)) and len(period) == 4):
            raise InputError("periods", "each must be (label, day, first_hour, last_hour)", k)
        period_slots(instance.slots, *period[1:])
    fig, axes = new_figure(5.0 * len(periods), 4.5)
    fig.delaxes(axes)
    x, y, xl, yl, on_map = _positions(instance, zone_centroids)
    pairs = instance.pairs
    flows = _flows_of(instance, result.flows)
    for k, (label, day, h0, h1) in enumerate(periods):
        ax = fig.add_subplot(1, len(periods), k + 1)
        slots = period_slots(instance.slots, day, h0, h1)
        net = net_outflow(instance, flows, slots)
        per_arc = flows[slots].sum(axis=0)
        largest = float(per_arc.max(initial=0.0))
        if on_map:
            for p in np.flatnonzero(per_arc > 1e-6 * max(largest, 1e-12)):
                o, d = pairs.origin[p], pairs.destination[p]
                ax.plot([x[o], x[d]], [y[o], y[d]], color="grey", lw=0.3 + 2 * per_arc[p] / largest)
            bound = max(float(np.abs(net).max(initial=0.0)), 1e-9)
            art = ax.scatter(x, y, c=net, cmap="coolwarm", vmin=-bound, vmax=bound, s=18, zorder=3)
            fig.colorbar(art, ax=ax, label="EVs sent - received in the period (EVs)")
            ax.set_ylabel(yl)
            ax.locator_params(axis="x", nbins=4)
            ax.ticklabel_format(useOffset=False)
        else:
            ax.bar(x, net)
            ax.set_ylabel("EVs sent - received in the period (EVs)")
        ax.set_title(f"{label}: {per_arc.sum():.0f} EVs assigned")
        ax.set_xlabel(xl)
    return save_figure(fig, path)


def _trace_column(trace, *names):
    """A trace column by the first of ``names`` it has (structured array or list of dicts), or None."""
    if isinstance(trace, np.ndarray) and trace.dtype.names:
        for name in names:
            if name in trace.dtype.names:
                return np.asarray(trace[name], dtype=float)
        return None
    rows = list(trace or [])
    for name in names:
        if rows and name in rows[0]:
            return np.array([row.get(name, np.nan) for row in rows], dtype=float)
    return None


def _log_series(ax, x, values, label):
    """Plot ``values`` on a log axis when it has a positive finite value; returns whether it did."""
    if values is None or x is None:
        return False
    shown = np.where(np.isfinite(values) & (values > 0), values, np.nan)
    if not np.isfinite(shown).any():
        return False
    ax.semilogy(x, np.maximum(shown, 1e-16), marker="." if shown.size < 30 else None, label=label)
    return True


def plot_residuals(paper_result, path, splitting_result=None):
    """Fig. 4: primal and dual errors (14)-(15) of Algorithm 1 per iteration (kW), and, for
    evcore's splitting, the certified relative gap and the relative violation of (4) where the
    run measured it. Only series with values are drawn (and listed in the legend)."""
    from ..plotting import new_figure, save_figure

    _check_result("paper_result", paper_result)
    if splitting_result is not None:
        _check_result("splitting_result", splitting_result)
    fig, ax = new_figure(10.0 if splitting_result is not None else 5.5, 4.0)
    if splitting_result is not None:
        fig.delaxes(ax)
        ax = fig.add_subplot(1, 2, 1)
    trace = paper_result.trace
    it = _trace_column(trace, "iteration")
    drawn = [_log_series(ax, it, _trace_column(trace, "primal_error_kw", "primal_error"), "primal error (14)"),
             _log_series(ax, it, _trace_column(trace, "dual_error_kw", "dual_error"), "dual error (15)")]
    ax.set_xlabel("iteration (count)")
    ax.set_ylabel("error (kW)")
    ax.set_title("paper's ADMM (Algorithm 1)" + ("" if any(drawn) else ": no iterations"))
    if any(drawn):
        ax.legend()
    if splitting_result is not None:
        ax2 = fig.add_subplot(1, 2, 2)
        trace = splitting_result.trace
        it = _trace_column(trace, "iteration")
        drawn = [_log_series(ax2, it, _trace_column(trace, "gap"), "certified gap"),
                 _log_series(ax2, it, _trace_column(trace, "relative_violation", "violation"),
                             "relative violation of (4)")]
        ax2.set_xlabel("iteration (count)")
        ax2.set_ylabel("relative gap or violation (-)")
        ax2.set_title("evcore splitting" + ("" if any(drawn) else ": no logged iterations"))
        if any(drawn):
            ax2.legend()
    return save_figure(fig, path)
