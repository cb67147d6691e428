"""``solve``: station location under logit choice, exact on HiGHS."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from .._validate import as_scalar
from ..errors import InfeasibleError, InputError, SolverError
from ..solvers import SolverOptions, cut_loop
from ..solvers import solve as solve_model
from ._r1 import r1_model
from ._r4 import default_scale, r4_model
from ._sgi import SGISeparator, base_model, layout_for, plan_value, with_cuts
from .model import ChoiceInstance

__all__ = ["ChoiceResult", "solve", "perfect_information_bound"]

#: Models and methods available.
AVAILABLE_MODELS = ("deterministic", "two-stage", "multi-stage")
AVAILABLE_METHODS = ("best", "sgi", "submodular", "r1", "r4", "scip-lazy")


@dataclass(frozen=True, eq=False)
class ChoiceResult:
    """Outcome of :func:`solve`.

    Attributes
    ----------
    objective : float
        Total revenue of ``plan`` under logit choice (computed exactly, not from the MILP).
    bound : float
        Valid upper bound on the optimum (the last relaxation's value).
    gap : float
        ``(bound - objective) / objective``.
    status : str
        ``"optimal"`` (within the requested gap), ``"round_limit"`` or ``"time_limit"``.
    plan : numpy.ndarray of bool, shape (sites, types, groups)
        x[j, k, g] per decision group: per year (deterministic, two-stage) or per scenario-tree
        node (multi-stage, in the tree's node order).
    open_sites : numpy.ndarray of int
        0-based sites with a station in the last period (in any scenario, multi-stage).
    rounds : int
        MILP solves (the cut loop's rounds for SGI, 1 for R1; for scip-lazy the enforcement
        calls that added planes).
    cuts : int
        Subgradient inequalities added (SGI, scip-lazy).
    size : dict
        ``rows``, ``columns``, ``nonzeros`` of the formulation handed to HiGHS (for SGI: the
        master before cuts).
    method : str
    wall_time : float
        Seconds.
    """

    objective: float
    bound: float
    gap: float
    status: str
    plan: np.ndarray
    open_sites: np.ndarray
    rounds: int
    cuts: int
    size: dict
    method: str
    wall_time: float


def solve(instance: ChoiceInstance, stations: int | None = None, model: str = "deterministic", method: str = "best",
          time_limit: float | None = None, *, gap: float = 1e-6, max_rounds: int = 500, lp_rounds: int = 0,
          r4_scale: float | None = None, progress: bool = False) -> ChoiceResult:
    """Choose where (and which type of) stations stand each year to maximise captured revenue.

    Parameters
    ----------
    instance : ChoiceInstance
    stations : int, optional
        Exactly this many (site, type) stations open in every period (the HM14 setting).
    model : str
        ``"deterministic"`` (multi-period, ``instance.demand``); ``"two-stage"`` (one location
        plan per year for every scenario of ``instance.tree``, maximising expected revenue);
        ``"multi-stage"`` (decisions per scenario-tree node: they may differ once histories
        diverge, never before).
    method : str
        ``"sgi"``: the MILP with subgradient inequalities generated on demand (the
        foundation's cut loop on HiGHS); ``"r1"``: y = 1/D with McCormick products, one MILP;
        ``"r4"``: binary expansion of the integer-scaled denominator (an approximation: see
        ``r4_scale``); ``"submodular"``: the same cut loop adding, for each violated node,
        both the tangent plane and the Nemhauser-Wolsey submodular cut (tighter on openings)
        (equal revenues only); ``"best"``: ``"submodular"`` when all revenues are equal, else
        ``"sgi"``; ``"scip-lazy"`` (needs the extra ``evcore[scip]``): the same master in one
        SCIP branch-and-bound tree, the tangent planes (plus the submodular cuts for equal
        revenues) added by a constraint handler as lazy constraints, a comparison.
    time_limit : float, optional
        Seconds for the whole cut loop; the best plan so far comes back with its bound.
    gap : float
        Relative optimality gap at which the loop stops (>= 1e-9; HiGHS's tolerances make
        gaps much below 1e-6 unattainable on large instances).
    max_rounds : int
        MILP rounds of the cut loop at most.
    lp_rounds : int
        Rounds of the first phase, which separates tangent planes at the LP relaxation's
        fractional optima (valid because h is concave on the whole cube) and hands them to the
        MILP; 0 (the default, the paper's plain SGI) turns the phase off. It did not pay off on
        the synthetic multi-type instances tried so far.
    r4_scale : float, optional
        R4 only: utilities are multiplied by it and rounded to integers (default: the smallest
        utility becomes 1000 units). The plan is scored with the true utilities; the bound is
        the rounded model's.
    progress : bool
        One line per round (objective of the relaxation, rows added).

    Returns
    -------
    ChoiceResult
    """
    if not isinstance(instance, ChoiceInstance):
        raise InputError("instance", f"must be a ChoiceInstance, got {type(instance).__name__}")
    if model not in AVAILABLE_MODELS:
        raise InputError("model", f"unknown model {model!r}; available: {list(AVAILABLE_MODELS)}")
    if model != "deterministic" and instance.tree is None:
        raise InputError("tree", f"the {model} model needs instance.tree (a ScenarioTree)")
    if method not in AVAILABLE_METHODS:
        raise InputError("method", f"{method!r} is not available yet; available: {list(AVAILABLE_METHODS)}")
    if stations is not None:
        stations = as_scalar("stations", stations, int)
        if not 1 <= stations <= instance.sites:
            raise InputError("stations", f"must lie in [1, {instance.sites}], got {stations}")
    gap = as_scalar("gap", gap)
    if not gap >= 1e-9:
        raise InputError("gap", f"must be at least 1e-9, got {gap!r}")
    started = time.perf_counter()
    layout = layout_for(instance, model)
    if method in ("r1", "r4"):
        return _solve_single_milp(instance, layout, stations, method, r4_scale, time_limit, gap, progress, started)
    equal_revenues = float(np.ptp(instance.revenue)) == 0.0
    milp = base_model(instance, layout, stations)
    if method == "scip-lazy":
        from ._scip import solve_scip_lazy  # pyscipopt is optional

        remaining = None if time_limit is None else time_limit - (time.perf_counter() - started)
        plan, bound, status, rounds, cuts = solve_scip_lazy(instance, layout, milp, submodular=equal_revenues,
                                                            time_limit=remaining, gap=gap, progress=progress)
        return _result(instance, layout, plan, bound, status, gap, milp, rounds, cuts, method, started)
    # Phase 1 (cheap): tangent planes at the LP relaxation's fractional optima, until the LP
    # bound stops moving; they are valid for the MILP and spare it most of its rounds.
    lp_separator = SGISeparator(instance, layout, gap=gap, fractional=True)
    if lp_rounds > 0:
        cut_loop(dataclasses.replace(milp, integrality=None), lp_separator, max_rounds=lp_rounds,
                 time_limit=None if time_limit is None else time_limit / 4, tolerance=1e-5)
    seeded = with_cuts(milp, lp_separator.history)
    remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - started), 1e-3)
    if method == "submodular" and not equal_revenues:
        raise InputError("method", "submodular cuts need equal revenues for every station type; use 'sgi'")
    submodular = method == "submodular" or (method == "best" and equal_revenues)
    separator = SGISeparator(instance, layout, gap=gap, submodular=submodular)
    loop = cut_loop(seeded, separator, SolverOptions(mip_rel_gap=min(gap, 1e-4)), max_rounds=max_rounds,
                    time_limit=remaining, progress=progress)
    separator.cuts_added += lp_separator.cuts_added
    separator(loop.x)  # score the final incumbent too (it may be the best plan)
    # Only proven bounds: the loop's (each round's MIP dual bound); the last relaxation's value
    # is one only when that solve finished.
    bound = loop.bound if np.isfinite(loop.bound) else np.inf
    if loop.status == "optimal":
        bound = min(bound, separator.last_relaxation)
    return _result(instance, layout, separator.best_plan, bound, loop.status, gap, milp, len(loop.rounds),
                   separator.cuts_added, "submodular" if submodular else "sgi", started)


def _solve_single_milp(instance, layout, stations, method, r4_scale, time_limit, gap, progress,
                       started) -> ChoiceResult:
    """R1 or R4: one MILP on HiGHS, its plan scored with the true utilities."""
    if method == "r1":
        milp = r1_model(instance, layout, stations)[0]
    else:
        scale = default_scale(instance) if r4_scale is None else as_scalar("r4_scale", r4_scale)
        milp = r4_model(instance, layout, stations, scale)
    try:
        result = solve_model(milp, SolverOptions(time_limit=time_limit, mip_rel_gap=max(gap, 1e-9)),
                             progress=progress)
    except InfeasibleError as error:
        # Every plan that satisfies the planning rows is feasible for R1/R4, so HiGHS's claim is
        # either about the planning rows (then it stands) or numerical (utilities spanning many
        # orders of magnitude make the McCormick bounds nearly coincide).
        solve_model(dataclasses.replace(base_model(instance, layout, stations), objective=np.zeros(layout.num_cols)))
        span = float(np.log10(instance.attraction[instance.attraction > 0].max()
                              / instance.attraction[instance.attraction > 0].min()))
        raise SolverError(f"HiGHS declared the {method.upper()} formulation infeasible although the planning rows are "
                          f"feasible: numerical trouble (utilities span {span:.0f} orders of magnitude); "
                          "method='sgi' is exact here", error.status) from None
    plan = layout.plan(result.x)
    return _result(instance, layout, plan, float(result.mip_bound), result.status, gap, milp, 1, 0, method, started)


def _result(instance, layout, plan, bound, status, gap, milp, rounds, cuts, method, started) -> ChoiceResult:
    objective = plan_value(instance, layout, plan)
    bound = max(bound, objective)
    relative_gap = (bound - objective) / max(abs(objective), 1e-12)
    # HiGHS's feasibility tolerance (1e-6 on rows) bounds how far the bound can be closed, so
    # "optimal" means within max(gap, 1e-6) (with slack for tolerances summed over rows).
    if relative_gap <= 10 * max(gap, 1e-6):
        status = "optimal"  # proven by the bound, even if a limit stopped the loop afterwards
    elif status == "optimal":
        status = "gap_not_closed"
    plan = plan.astype(bool)
    last_stage = layout.group_stage == layout.group_stage.max()
    size = {"rows": milp.num_rows, "columns": milp.num_cols, "nonzeros": int(milp.constraint_matrix.nnz)}
    return ChoiceResult(objective=objective, bound=bound, gap=relative_gap, status=status, plan=plan,
                        open_sites=np.flatnonzero(plan[:, :, last_stage].any(axis=(1, 2))), rounds=rounds, cuts=cuts,
                        size=size, method=method, wall_time=time.perf_counter() - started)


def perfect_information_bound(instance: ChoiceInstance, stations: int | None = None, *, gap: float = 1e-6,
                              time_limit: float | None = None, method: str = "best") -> float:
    """Expected revenue with perfect information: each scenario solved on its own, weighted.

    An upper bound on the multi-stage optimum (which is at least the two-stage optimum);
    ``method`` is any method of :func:`solve`.
    """
    if instance.tree is None:
        raise InputError("tree", "the perfect-information bound needs instance.tree (a ScenarioTree)")
    tree = instance.tree
    total = 0.0
    for scenario, leaf in enumerate(tree.scenarios):
        path = dataclasses.replace(instance, demand=tree.scenario_demand(scenario), tree=None)
        total += float(tree.probability[leaf]) * solve(path, stations, method=method, time_limit=time_limit,
                                                       gap=gap).objective
    return total
