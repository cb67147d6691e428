"""``evcore.grid.place``: one entry for the three methods, and the power-flow check every answer goes through."""

from __future__ import annotations

import math
import time

import numpy as np

from ..._validate import check_choice, check_gap, check_limits, check_options, check_seed, as_scalar
from ...errors import InfeasibleError, InputError
from ...progress import progress_reporter
from ...results import make_trace, relative_gap
from ._instance import PlacementInstance
from ._result import PlacementResult
from ._verify import check_placement

__all__ = ["place", "METHODS"]

METHODS = ("exact", "paper", "scip")

_OPTIONS = {
    "exact": {"margin"},
    "paper": {"margin", "obbt_rounds", "obbt_tolerance", "obbt_variables", "deviation_pu", "max_nodes_sbb",
              "lp_time_limit"},
    "scip": {"bounds", "feasibility_tolerance", "deviation_pu", "threads"},
}


def place(instance, method: str = "exact", *, time_limit=None, max_iterations=None, gap=1e-4, seed=None,
          progress=False, **options) -> PlacementResult:
    """Grid-aware charger placement (seed 002): where to build stations and how many chargers each.

    Parameters
    ----------
    instance : PlacementInstance
    method : {"exact", "paper", "scip"}
        ``"exact"``: evcore's certified branch and bound over boxes of charger counts with Krawczyk
        enclosures of the power flow (:mod:`evcore.grid.placement._exact`). ``"paper"``: the seed's
        bilinear current-voltage model with McCormick envelopes, sequential bound tightening and spatial
        branch and bound on HiGHS MILPs. ``"scip"``: the same bilinear model handed to SCIP (extra
        ``evcore[scip]``).
    time_limit : float, optional
        Seconds; the best verified placement so far is returned with its proven gap.
    max_iterations : int, optional
        Branch-and-bound nodes (exact, paper).
    gap : float
        Relative optimality gap at which the search stops (default 1e-4): the status is ``"optimal"`` when
        the proven gap is within ``min(gap, 1e-4)``, ``"gap_reached"`` when only within a looser ``gap``.
    seed : int, optional
        Accepted for the common signature; every method here is deterministic.
    progress : bool or callable
        Report nodes, incumbent, bound and gap (see :mod:`evcore.progress`).
    **options
        exact: ``margin`` (certificate margin, default 1e-8 pu / fraction of the rating).
        paper: ``obbt_rounds``, ``obbt_tolerance``, ``obbt_variables``, ``deviation_pu``, ``max_nodes_sbb``,
        ``lp_time_limit``, ``margin``. scip: ``bounds`` (``"loose"`` or ``"tight"``),
        ``feasibility_tolerance``, ``deviation_pu``, ``threads``.

    Returns
    -------
    PlacementResult
        Every returned placement is re-checked by evcore's power flow; a method's claimed optimum that
        fails the check comes back with ``verified=False`` and status ``"infeasible"``. Only ``"exact"``
        proves bounds of this model: the baselines' verified answers are ``"feasible"`` with ``bound=None``
        (their own claim in ``method_status``, their bound in ``certificate["method_bound"]``).

    Raises
    ------
    InfeasibleError
        The method proved that no placement meets every constraint.
    """
    if not isinstance(instance, PlacementInstance):
        raise InputError("instance", f"must be an evcore.grid.PlacementInstance, got {type(instance).__name__}")
    check_choice("method", method, METHODS)
    time_limit, max_iterations = check_limits(time_limit, max_iterations)
    gap = check_gap(gap)
    check_seed(seed)
    if not (isinstance(progress, (bool, np.bool_)) or callable(progress)):
        raise InputError("progress", f"must be true, false or a callable, got {progress!r}")
    check_options(method, options, _OPTIONS[method])
    reporter = progress_reporter(progress, f"grid.place.{method}", time_limit=time_limit,
                                 max_iterations=max_iterations)
    started = time.perf_counter()
    if method == "exact":
        from ._exact import DEFAULT_MARGIN, solve_exact

        margin = _margin(options.get("margin", DEFAULT_MARGIN))
        raw = solve_exact(instance, margin=margin, gap=gap, time_limit=time_limit, max_nodes=max_iterations,
                          reporter=reporter)
    elif method == "paper":
        from ._paper import solve_paper

        raw = solve_paper(instance, gap=gap, time_limit=time_limit, max_nodes=max_iterations, reporter=reporter,
                          **options)
    else:
        from ._scip_model import solve_scip

        raw = solve_scip(instance, gap=gap, time_limit=time_limit, reporter=reporter, **options)
    result = finalize(instance, raw, method, gap, time.perf_counter() - started)
    reporter.report(result.iterations, objective=result.objective if math.isfinite(result.objective) else None,
                    bound=result.bound, gap=result.gap, message=f"{result.status}, verified {result.verified}",
                    final=True)
    return result


def _margin(value):
    margin = as_scalar("margin", value, float)
    if not (0.0 <= margin < 1e-2):
        raise InputError("margin", f"must be in [0, 0.01), got {margin!r}")
    return margin


def finalize(instance, raw, method, gap, wall_time) -> PlacementResult:
    """Check the method's placement with evcore's power flow and build the result."""
    inst = instance
    K = inst.n_candidates
    claimed = raw["status"]
    n = raw.get("chargers")
    if n is None and claimed == "infeasible" and raw.get("proven_infeasible", False):
        if method == "exact":
            raise InfeasibleError(raw.get("reason", "no placement meets the siting rows, the demand and every grid "
                                                    "limit"), raw.get("solver_status"))
        # a baseline's infeasibility holds for its own model (assumed voltage boxes, McCormick, tolerances), not
        # evcore's: only evcore's siting MILP may turn it into an InfeasibleError; otherwise the claim is kept
        # (method_status, certificate["method_proven_infeasible"]) and the status says no answer was found
        from ._milp import SitingMilp

        if SitingMilp(inst).solve(np.zeros(K), np.asarray(inst.max_chargers, dtype=float)) is None:
            raise InfeasibleError("no placement meets the siting rows (parking limits, demand, budget, "
                                  "anti-clustering)", raw.get("solver_status"))
        raw = dict(raw, proven_infeasible=False, method_proven_infeasible=True)
    violations = ()
    verified = False
    check = None
    if n is not None:
        n = np.round(np.asarray(n, dtype=float))
        check = raw.get("check") or check_placement(inst, n)
        siting = inst.siting_violations(n)
        violations = tuple(siting) + tuple(f"{label}: {value:.9g} (limit {limit:.9g})"
                                           for label, value, limit in check["violations"])
        verified = bool(check["ok"]) and not siting
    objective = float(inst.priority @ n) if n is not None else -math.inf
    bound = raw.get("bound")
    bound = None if bound is None or (isinstance(bound, float) and math.isnan(bound)) else float(bound)
    status = claimed
    if n is None:
        status = claimed if claimed in ("time_limit", "iteration_limit") else "infeasible"
    elif not verified:
        status = "infeasible"
    method_bound = bound
    if method != "exact":
        # the baselines' bounds hold for their bilinear model (constant-power loads, nominal-plus-deviation
        # boxes that are assumed, not proven, HiGHS/SCIP tolerances): their claim is kept as method_status and
        # certificate["method_bound"], but no bound of evcore's model follows and the status is at best feasible
        bound = None
    if verified and bound is not None and bound < objective:
        bound = objective  # a bound below a verified placement is no bound (method tolerance)
    the_gap = relative_gap(objective, bound, "max") if (n is not None and verified and bound is not None) else (
        None if bound is None else math.inf)
    if method != "exact" and status in ("optimal", "gap_reached"):
        status = "feasible" if verified else "infeasible"
    if verified and status in ("optimal", "gap_reached", "feasible"):
        if the_gap is not None and the_gap <= min(gap, 1e-4):
            status = "optimal" if claimed in ("optimal", "gap_reached") else status
        elif the_gap is not None and the_gap <= gap and claimed in ("optimal", "gap_reached"):
            status = "gap_reached"
        elif claimed in ("optimal", "gap_reached"):
            status = "feasible"
    chargers = np.zeros(K, dtype=np.int64) if n is None else n.astype(np.int64)
    nv = inst.n_monitored_voltages
    labels = inst.limit_labels
    upper = inst.upper_limits
    if check is not None and check["monitored"] is not None:
        mon = check["monitored"]
        vmon = mon[:nv]
        imon = mon[nv:]
        voltage = check["voltage_pu"]
        lim = np.concatenate([upper[:nv], upper[nv:]])
        close_up = np.abs(mon - upper) <= 1e-3 * np.abs(upper)
        close_lo = np.abs(mon - inst.lower_limits) <= 1e-3 * np.maximum(np.abs(inst.lower_limits), 1e-12)
        binding = tuple(labels[i] for i in np.flatnonzero(close_up | (close_lo & (inst.lower_limits > 0))))
        del lim
    else:
        vmon = np.full(nv, np.nan)
        imon = np.full(len(labels) - nv, np.nan)
        voltage = np.full(inst.feeder.n_nodes, np.nan)
        binding = ()
    ratings = upper[nv:]
    base = inst.base_power_flow
    trace = raw.get("trace")
    if trace is None or len(trace) == 0:
        trace = make_trace(("seconds", "nodes", "objective", "bound", "gap"),
                           [(wall_time, raw.get("nodes", 0), objective if math.isfinite(objective) else np.nan,
                             bound if bound is not None else np.nan,
                             the_gap if the_gap is not None and math.isfinite(the_gap) else np.nan)])
    certificate = {k: v for k, v in raw.items() if k not in ("chargers", "check", "trace", "status", "bound",
                                                             "objective", "gap")}
    if method != "exact":
        certificate["method_bound"] = method_bound
    return PlacementResult(
        status=status, objective=objective, bound=bound, gap=the_gap, iterations=int(raw.get("nodes", 0)),
        wall_time=wall_time, trace=trace, seed=None, method=method,
        candidate_ids=tuple(inst.ids), buses=tuple(inst.buses), phases=tuple(inst.phases), chargers=chargers,
        stations=chargers > 0, latitude_deg=inst.latitude_deg, longitude_deg=inst.longitude_deg,
        priority=np.asarray(inst.priority), cost_usd=inst.cost(chargers), demand=int(inst.demand),
        min_voltage_pu=float(np.min(vmon)) if len(vmon) else math.nan,
        max_voltage_pu=float(np.max(vmon)) if len(vmon) else math.nan,
        transformer_labels=tuple(labels[nv:]), transformer_current_a=np.asarray(imon),
        transformer_rating_a=np.asarray(ratings), transformer_loading=np.asarray(imon) / np.asarray(ratings),
        node_names=tuple(inst.feeder.node_names), voltage_pu=np.asarray(voltage),
        base_voltage_pu=np.asarray(base.magnitude_pu), nodes=int(raw.get("nodes", 0)), verified=verified,
        violations=violations, binding_limits=binding, relaxed_limits=tuple(inst.relaxed_limits),
        method_status=str(claimed), certificate=certificate)
