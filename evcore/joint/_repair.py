"""Exactly feasible plans near the splitting's iterates when caps or a budget bind.

The splitting's flows converge to an optimum, but a plan made from them (capacities = peak loads)
breaks a binding cap or budget by a little until the very end, and scaling such a plan down is not
enough when the budget is close to the smallest one that serves every EV. :func:`restricted_plan`
re-optimises only the slots where some location is at (or within ``rho`` of) its peak, with every
other slot's flows kept: a small LP (HiGHS) whose every solution is a feasible plan of the full LP, and
which contains the optimum once the iterates are within ``rho`` of it. Travel delays are allowed (the
kept flows enter as constants, wherever they arrive).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from . import _splitting_kernels as kernels

__all__ = ["restricted_plan", "plan_fits", "RepairedPlan"]


class RepairedPlan(NamedTuple):
    """An exactly feasible plan from :func:`restricted_plan`."""

    capacity_kw: np.ndarray   # (zones,) kW, the plan's peak loads
    flows_kw: np.ndarray      # (slots, pairs) kW
    cost: float               # investment plus flow cost (currency)


def plan_fits(a, capacity_kw) -> bool:
    """Capacities within the caps and the budget (HiGHS's relative tolerance 1e-9)."""
    return (bool(np.all(capacity_kw <= a.max_capacity_kw * (1 + 1e-9) + 1e-9))
            and float(a.cost_per_kw @ capacity_kw) <= a.budget * (1 + 1e-9))


def restricted_plan(a, flows_kw, *, rho=1e-3, max_columns=2_000_000, time_limit=None):
    """A plan respecting caps and budget near ``flows_kw`` (slots, pairs) kW, or None.

    Tries the slots where some location is within ``rho`` of its own peak, then (when that restricted LP
    is infeasible, e.g. small loads left at locations the optimum does not build) within ``rho`` of the
    largest peak anywhere. When those slots would make more than ``max_columns`` flow variables, ``rho``
    is divided by 4 (at most twice) first: near the optimum many slots sit close to a peak, and the LP's
    cost grows faster than its size. See :func:`_restricted_plan`.
    """
    load = np.empty((a.slots, a.zones))
    kernels.loads(a, flows_kw, 0, a.zones, load)
    for global_scale in (False, True):
        for shrink in (1.0, 0.25, 0.0625):
            free = _free_columns(a, _hot_cells(load, rho * shrink, global_scale))
            if free[0].size <= max_columns:
                break
        plan = _restricted_plan(a, flows_kw, free, max_columns, time_limit)
        if plan is not None:
            return plan
    return None


def _hot_cells(load, rho, global_scale):
    """(slot, location) cells whose load is within ``rho`` (relative) of the location's peak
    (``global_scale``: of the largest peak anywhere)."""
    peak = np.maximum(load.max(axis=0), 0.0)
    largest = max(float(peak.max()), 1e-12)
    tolerance = rho * (np.full_like(peak, largest) if global_scale else np.maximum(peak, 1e-9 * largest))
    return (load >= (peak - tolerance)[None, :]) & (peak > 0)[None, :]


def _free_columns(a, hot):
    """The (slot, pair) flows the restricted LP re-optimises: every arc of the slots with a hot cell.
    Returns (slot, pair) index arrays."""
    busy = np.flatnonzero(hot.any(axis=1))
    return np.repeat(busy, a.pairs), np.tile(np.arange(a.pairs), busy.size)


def _restricted_plan(a, flows_kw, free, max_columns, time_limit):
    """A plan respecting caps and budget near ``flows_kw`` (slots, pairs) kW, or None.

    Re-solves the ``free`` (slot, pair) flows together with the capacities; every other flow keeps its
    value. Returns ``(capacity_kw, flows_kw, cost)`` of an exactly feasible plan (capacities = peak loads),
    or None when the restricted LP is infeasible, too large (more than ``max_columns`` flow variables) or
    HiGHS fails.
    """
    from ..errors import EvcoreError
    from ..solvers import Model, SolverOptions, solve as solve_model

    slots, zones, pairs = a.slots, a.zones, a.pairs
    t, p = free
    n = t.size
    if n == 0 or n > max_columns:
        return None
    busy, b = np.unique(t, return_inverse=True)
    nb = busy.size
    kept = np.array(flows_kw, dtype=float)
    kept[t, p] = 0.0
    constant = np.empty((slots, zones))
    kernels.loads(a, kept, 0, zones, constant)  # loads of the kept flows (demand included)
    col = zones + np.arange(n)
    arrive = (t + a.delay[p]) % slots
    # Capacity rows: c_i + out_i(z) - in_i(z) >= constant, for the (slot, location) cells the variables touch.
    cells = np.concatenate([t * zones + a.origin[p], arrive * zones + a.destination[p]])
    row_of_cell, rows_cap = np.unique(cells, return_inverse=True)
    n_cap = row_of_cell.size
    cap_rows = np.concatenate([np.arange(n_cap), rows_cap])
    cap_cols = np.concatenate([row_of_cell % zones, col, col])
    cap_vals = np.concatenate([np.ones(n_cap), np.ones(t.size), -np.ones(t.size)])
    cap_lower = constant.ravel()[row_of_cell]
    # Cells no variable touches only bound c from below.
    floor = np.maximum(constant, 0.0).ravel()
    untouched = np.ones(slots * zones, dtype=bool)
    untouched[row_of_cell] = False
    col_lower = np.zeros(zones + n)
    np.maximum.at(col_lower[:zones], np.arange(slots * zones)[untouched] % zones, floor[untouched])
    # Supply rows: the free flows out of i in slot t <= D_ti less the kept ones.
    sup_rows = n_cap + b * zones + a.origin[p]
    sent_kept = np.stack([np.bincount(a.origin, weights=kept[s], minlength=zones) for s in busy])
    rows = [cap_rows, sup_rows]
    cols = [cap_cols, col]
    vals = [cap_vals, np.ones(t.size)]
    row_lower = [cap_lower, np.full(nb * zones, -np.inf)]
    row_upper = [np.full(n_cap, np.inf), np.maximum(a.demand_kw[busy] - sent_kept, 0.0).ravel()]
    n_rows = n_cap + nb * zones
    if np.isfinite(a.budget):
        rows.append(np.full(zones, n_rows))
        cols.append(np.arange(zones))
        vals.append(np.asarray(a.cost_per_kw, float))
        row_lower.append([-np.inf])
        row_upper.append([a.budget])
        n_rows += 1
    matrix = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(n_rows, zones + n))
    objective = np.concatenate([a.cost_per_kw, a.recurrences[t] * a.flow_cost_per_kw[p]])
    col_upper = np.concatenate([a.max_capacity_kw, np.full(n, np.inf)])
    if np.any(col_lower[:zones] > col_upper[:zones]):
        return None  # a kept slot alone breaks a cap
    model = Model(objective=objective, constraint_matrix=matrix, row_lower=np.concatenate(row_lower),
                  row_upper=np.concatenate(row_upper), col_lower=col_lower, col_upper=col_upper)
    try:
        result = solve_model(model, SolverOptions(time_limit=time_limit, threads=1))
    except EvcoreError:
        return None
    if result.status != "optimal":
        return None
    flows = kept
    flows[t, p] = np.maximum(result.x[zones:], 0.0)
    load = np.empty((slots, zones))
    for s in busy:  # HiGHS's tolerance: never send more than the supply
        for i in range(zones):
            lo, hi = a.out_start[i], a.out_start[i + 1]
            sent = flows[s, lo:hi].sum()
            if sent > a.demand_kw[s, i]:
                flows[s, lo:hi] *= a.demand_kw[s, i] / sent
    kernels.loads(a, flows, 0, zones, load)
    capacity = np.maximum(load.max(axis=0), 0.0)
    if not plan_fits(a, capacity):
        return None
    return RepairedPlan(capacity, flows, float(a.cost_per_kw @ capacity) + a.flow_cost(flows))
