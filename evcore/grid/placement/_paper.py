"""The seed's method (``method="paper"``, §IV): McCormick relaxation of the bilinear model, sequential bound
tightening with an objective cut, spatial branch and bound; every relaxation a HiGHS LP/MILP.

1. The bilinear model (:mod:`._bilinear`, eqs. 30-36) with node voltages as nominal plus deviation.
2. McCormick envelopes (eq. 37) of every product: four inequalities, or for a square ``x^2`` the two
   tangents at the bounds, one at the midpoint and the secant.
3. Sequential bound tightening (Algorithm 1, eq. 38): with the objective cut ``priority @ n >= z0`` from a
   feasible placement (eq. 38c; the seed takes a local NLP solution, here the best verified placement of a
   greedy pass with evcore's power flow), minimise and maximise every *filtered* variable (the real and
   imaginary node-voltage deviations, eq. 34) over the LP relaxation; the bounds of a round are applied
   together (the seed solves them in parallel), the dependent variables' bounds follow by interval
   propagation, the envelopes are rebuilt, until no bound moves by more than ``obbt_tolerance``.
4. Spatial branch and bound: each node solves the McCormick MILP (integers kept) for its bound; its placement
   is checked by the power flow (a verified one becomes the incumbent); the product most violated at the
   relaxation's solution has its factor with the widest relative range split at the solution's value.

Bounds and statuses are those of the seed's model (constant-power loads, HiGHS tolerances); evcore's check of
the returned placement decides ``verified``.
"""

from __future__ import annotations

import logging
import math
import time

import heapq
import numpy as np
import scipy.sparse as sp

from ...errors import InfeasibleError, SolverError
from ...results import TraceRecorder, relative_gap
from ...solvers import Model, Resolver, SolverOptions, solve
from ._bilinear import BilinearModel, build_bilinear
from ._verify import check_placement

__all__ = ["solve_paper", "mccormick_rows", "relaxation", "tighten_bounds", "propagate_bounds"]

log = logging.getLogger(__name__)


def _native():
    from ..._compiled import import_extension

    return import_extension("evcore.grid.placement._native")


def mccormick_rows(model: BilinearModel, lo, hi, engine="native"):
    """Envelope rows ``(A, lower, upper)`` of every product for the bounds ``lo``, ``hi`` (eq. 37): four
    inequalities per product, or for a square ``x^2`` three tangents and the secant (C++ kernel; twin in
    :mod:`._reference`)."""
    from . import _reference

    kernel = _native().mccormick_rows if engine == "native" else _reference.mccormick_rows
    rows, cols, vals, rlo, rhi, count = kernel(np.ascontiguousarray(model.products, dtype=np.int64),
                                               np.ascontiguousarray(lo, dtype=float),
                                               np.ascontiguousarray(hi, dtype=float))
    A = sp.csr_matrix((vals, (rows, cols)), shape=(int(count), model.n_vars))
    return A, rlo, rhi


def relaxation(model: BilinearModel, lo, hi, *, integer=True, cut=None) -> Model:
    """The McCormick MILP (or LP) over the bounds, maximising the model's objective; ``cut`` adds
    ``objective @ z >= cut`` (eq. 38c)."""
    Amc, mlo, mhi = mccormick_rows(model, lo, hi)
    blocks = [model.A, Amc]
    rlo = [model.row_lower, mlo]
    rhi = [model.row_upper, mhi]
    if cut is not None:
        blocks.append(sp.csr_matrix(model.objective[None, :]))
        rlo.append(np.array([cut]))
        rhi.append(np.array([np.inf]))
    A = sp.vstack(blocks).tocsr()
    finite_lo = np.where(np.isfinite(lo), lo, -1e20)
    finite_hi = np.where(np.isfinite(hi), hi, 1e20)
    return Model(objective=model.objective, constraint_matrix=A, row_lower=np.concatenate(rlo),
                 row_upper=np.concatenate(rhi), col_lower=np.maximum(finite_lo, -1e20),
                 col_upper=np.minimum(finite_hi, 1e20), integrality=model.integer if integer else None, sense="max")


def propagate_bounds(model: BilinearModel, lo, hi, rounds=3):
    """Interval propagation of the dependent variables from the filtered ones (in place)."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return _propagate_bounds(model, lo, hi, rounds)


def _propagate_bounds(model, lo, hi, rounds, engine="native"):
    from . import _reference

    m = BilinearModel(names=model.names, col_lower=lo, col_upper=hi, integer=model.integer,
                      objective=model.objective, A=model.A, row_lower=model.row_lower, row_upper=model.row_upper,
                      products=model.products, index=model.index)
    A = model.A.tocsr()
    eq = np.flatnonzero(model.row_lower == model.row_upper).astype(np.int64)
    kernel = _native().propagate_rows if engine == "native" else _reference.propagate_rows
    indptr = A.indptr.astype(np.int64)
    indices = A.indices.astype(np.int64)
    rhs = np.ascontiguousarray(model.row_lower, dtype=float)
    for _ in range(rounds):
        m.propagate(rounds=1)
        kernel(indptr, indices, A.data, rhs, eq, lo, hi, 1)
    return lo, hi


def tighten_bounds(model: BilinearModel, lo, hi, *, cut, rounds=3, tolerance=1e-4, variables=None,
                   lp_time_limit=None, deadline=None, counter=None):
    """Sequential bound tightening (Algorithm 1, eq. 38) of the filtered variables; returns new bounds."""
    ix = model.index
    filt = np.concatenate([ix["vr"], ix["vi"]]) if variables is None else np.asarray(variables)
    lo, hi = lo.copy(), hi.copy()
    for _ in range(rounds):
        lp = relaxation(model, lo, hi, integer=False, cut=cut)
        options = SolverOptions(threads=1, time_limit=lp_time_limit)
        try:
            resolver = Resolver(lp, options)
        except SolverError:
            break
        new_lo, new_hi = lo.copy(), hi.copy()
        for j in filt:
            if deadline is not None and time.perf_counter() > deadline:
                return lo, hi
            for sense in (1.0, -1.0):
                c = np.zeros(model.n_vars)
                c[j] = sense  # max z_j, then max -z_j (= min z_j)
                try:
                    res = resolver.solve(objective=c)
                except InfeasibleError:
                    raise
                except SolverError:
                    continue
                if counter is not None:
                    counter["lps"] += 1
                if res.status != "optimal":
                    continue
                value = sense * res.objective
                pad = 1e-7 * max(1.0, abs(value))  # LP tolerance: never cut off a point the LP barely excludes
                if sense > 0:
                    new_hi[j] = min(new_hi[j], value + pad)
                else:
                    new_lo[j] = max(new_lo[j], value - pad)
        moved = np.max(np.maximum(new_lo[filt] - lo[filt], hi[filt] - new_hi[filt]))
        lo, hi = propagate_bounds(model, new_lo, new_hi)
        if moved <= tolerance:
            break
    return lo, hi


def _greedy_feasible(instance):
    """A verified placement for the objective cut: stations in priority order, chargers added one at a time
    while evcore's power flow stays within every limit and the siting rows allow (few power flows)."""
    inst = instance
    K = inst.n_candidates
    n = np.zeros(K)
    best = None
    order = np.argsort(-np.asarray(inst.priority))
    for k in order:
        lo_k = max(int(inst.min_chargers[k]), 1)
        trial = n.copy()
        trial[k] = lo_k
        if not check_placement(inst, trial)["ok"]:
            continue
        n = trial
        step = max(1, int(inst.max_chargers[k] - lo_k) // 4)
        while n[k] < inst.max_chargers[k]:
            t = n.copy()
            t[k] = min(inst.max_chargers[k], n[k] + step)
            if check_placement(inst, t)["ok"] and (inst.budget is None or inst.cost(t) <= inst.budget):
                n = t
            elif step > 1:
                step = max(1, step // 2)
            else:
                break
        if inst.budget is not None and inst.cost(n) > inst.budget:
            n[k] = 0
        if not inst.siting_violations(n):
            if best is None or inst.priority @ n > inst.priority @ best:
                best = n.copy()
    return best


def solve_paper(instance, *, gap=1e-4, time_limit=None, max_nodes=None, reporter=None, margin=0.0,
                obbt_rounds=3, obbt_tolerance=1e-4, obbt_variables=None, deviation_pu=0.12, max_nodes_sbb=None,
                lp_time_limit=None):
    started = time.perf_counter()
    deadline = None if time_limit is None else started + time_limit
    inst = instance
    model = build_bilinear(inst, deviation_pu=deviation_pu, margin=margin)
    ix = model.index
    trace = TraceRecorder(("seconds", "nodes", "objective", "bound", "gap"))
    counter = {"lps": 0, "milps": 0}
    incumbent = _greedy_feasible(inst)
    inc_value = float(inst.priority @ incumbent) if incumbent is not None else -math.inf
    inc_check = None
    lo, hi = propagate_bounds(model, model.col_lower.copy(), model.col_upper.copy())
    if (lo > hi + 1e-9).any():
        return dict(status="infeasible", chargers=None, bound=-math.inf, nodes=0, proven_infeasible=False,
                    reason="the bilinear model's bounds are inconsistent", lps=0, milps=0)
    cut = inc_value if math.isfinite(inc_value) else None
    t0 = time.perf_counter()
    try:
        lo, hi = tighten_bounds(model, lo, hi, cut=cut, rounds=obbt_rounds, tolerance=obbt_tolerance,
                                variables=obbt_variables, lp_time_limit=lp_time_limit, deadline=deadline,
                                counter=counter)
    except InfeasibleError:
        # the relaxation with the objective cut is empty: the greedy placement is optimal for the model
        if incumbent is not None:
            return dict(status="optimal", chargers=incumbent, bound=inc_value, nodes=0, lps=counter["lps"],
                        milps=0, sbt_seconds=time.perf_counter() - t0)
        # the model's relaxation is empty: the seed's method claims infeasibility (for its own model, with its
        # assumed voltage boxes); evcore does not take it as a proof (see _solve.finalize)
        return dict(status="infeasible", chargers=None, bound=-math.inf, nodes=0, proven_infeasible=True,
                    reason="the bilinear model's McCormick relaxation is empty (the seed's claim)",
                    lps=counter["lps"], milps=0, sbt_seconds=time.perf_counter() - t0)
    sbt_seconds = time.perf_counter() - t0
    node_limit = max_nodes if max_nodes is not None else max_nodes_sbb
    heap = [(-np.inf, 0, lo, hi)]
    counter_id = 1
    nodes = 0
    status = None
    global_bound = np.inf
    while heap:
        neg_bound, _, nlo, nhi = heapq.heappop(heap)
        bound = -neg_bound
        if math.isfinite(inc_value) and bound <= inc_value + gap * max(abs(inc_value), 1e-12):
            heap = []
            break
        if deadline is not None and time.perf_counter() > deadline:
            heapq.heappush(heap, (neg_bound, 0, nlo, nhi))
            status = "time_limit"
            break
        if node_limit is not None and nodes >= node_limit:
            heapq.heappush(heap, (neg_bound, 0, nlo, nhi))
            status = "iteration_limit"
            break
        nodes += 1
        milp = relaxation(model, nlo, nhi, integer=True)
        remaining = None if deadline is None else max(deadline - time.perf_counter(), 0.01)
        try:
            res = solve(milp, SolverOptions(threads=1, mip_rel_gap=1e-9, time_limit=remaining))
        except InfeasibleError:
            continue
        except SolverError as exc:
            log.info("McCormick MILP failed at node %d: %s", nodes, exc)
            status = "time_limit" if deadline is not None and time.perf_counter() > deadline else None
            if status:
                heapq.heappush(heap, (neg_bound, 0, nlo, nhi))
                break
            continue
        counter["milps"] += 1
        node_bound = min(bound, res.mip_bound if res.mip_bound is not None else res.objective)
        z = res.x
        n = np.round(z[ix["n"]])
        value = float(inst.priority @ n)
        if value > inc_value and not inst.siting_violations(n):
            check = check_placement(inst, n)
            if check["ok"]:
                incumbent, inc_value, inc_check = n, value, check
        if reporter is not None:
            top = max([-h[0] for h in heap] + [node_bound])
            reporter.report(nodes, objective=inc_value if math.isfinite(inc_value) else None, bound=top,
                            gap=relative_gap(inc_value, top, "max") if math.isfinite(inc_value) else None,
                            message=f"sBnB nodes {nodes}, open {len(heap)}, LPs {counter['lps']}")
        if math.isfinite(inc_value) and node_bound <= inc_value + gap * max(abs(inc_value), 1e-12):
            continue
        if res.status != "optimal":
            heapq.heappush(heap, (-node_bound, counter_id, nlo, nhi))
            counter_id += 1
            continue
        # branch on the most violated product's widest factor
        w, a, b = model.products.T
        viol = np.abs(z[w] - z[a] * z[b])
        with np.errstate(invalid="ignore", over="ignore"):
            full_a = model.col_upper[a] - model.col_lower[a]
            full_b = model.col_upper[b] - model.col_lower[b]
            width_a = np.where(np.isfinite(full_a) & np.isfinite(nhi[a] - nlo[a]),
                               (nhi[a] - nlo[a]) / np.maximum(full_a, 1e-12), 0.0)
            width_b = np.where(np.isfinite(full_b) & np.isfinite(nhi[b] - nlo[b]),
                               (nhi[b] - nlo[b]) / np.maximum(full_b, 1e-12), 0.0)
        score = np.nan_to_num(viol * np.maximum(width_a, width_b))
        p = int(np.argmax(score))
        if score[p] <= 1e-9:
            continue  # the relaxation's solution satisfies the bilinear model: nothing left to split
        var = a[p] if width_a[p] >= width_b[p] else b[p]
        l, u = nlo[var], nhi[var]
        cut_at = float(np.clip(z[var], l + 0.1 * (u - l), u - 0.1 * (u - l)))
        for child_lo, child_hi in ((l, cut_at), (cut_at, u)):
            clo, chi = nlo.copy(), nhi.copy()
            clo[var], chi[var] = child_lo, child_hi
            clo, chi = propagate_bounds(model, clo, chi, rounds=1)
            if (clo > chi + 1e-9).any():
                continue
            heapq.heappush(heap, (-node_bound, counter_id, clo, chi))
            counter_id += 1
        trace.append(seconds=time.perf_counter() - started, nodes=nodes,
                     objective=inc_value if math.isfinite(inc_value) else None, bound=node_bound)
    open_bound = max([-h[0] for h in heap] + [-math.inf])
    bound = max(open_bound, inc_value) if heap else (inc_value if math.isfinite(inc_value) else -math.inf)
    if status is None:
        status = "optimal" if incumbent is not None else "infeasible"
    return dict(status=status, chargers=incumbent, bound=bound if math.isfinite(bound) else None, nodes=nodes,
                check=inc_check, lps=counter["lps"], milps=counter["milps"], sbt_seconds=sbt_seconds,
                proven_infeasible=False, trace=trace.array(),
                reason="the seed's relaxation found no placement that passes evcore's power flow")
