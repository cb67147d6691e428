"""``solve``: station location under logit choice, with certificates that are proofs.

Methods (``method=``):

``"best"`` (default)
    ``"search"`` when every decision group's feasible additions can be listed (budgets or a
    fixed number of stations, few sites), else ``"branch-and-cut"``.
``"search"``
    Exact search over build plans along the scenario tree (:mod:`evcore.choice._search`):
    every plan it keeps is scored exactly, every plan it skips is bounded by a valid
    diminishing-returns knapsack bound. Its optimum is proven by construction.
``"branch-and-cut"``
    evcore's branch-and-cut on one warm LP (:mod:`evcore.choice._bnc`): tangent planes at
    fractional points, submodular cuts (equal revenues), node bounds recomputed from the LP's
    duals in safe arithmetic.
``"sgi"``, ``"submodular"``
    The paper's method: the SGI master re-solved as a MILP on HiGHS with planes added at each
    incumbent (plus Nemhauser-Wolsey cuts for ``"submodular"``). Rows are made safe and HiGHS's
    presolve is off (its probing cut off the optimum of ill-scaled masters, issue 12.1); the
    bound is HiGHS's MIP dual bound plus a margin, which evcore does not re-derive
    (``certificate`` says so). A bound below the exact value of the method's own plan is
    discarded, never lifted to it.
``"r1"``, ``"r4"``
    Linearisations from the literature (one MILP each) for comparison. R1's bound is kept only
    when the utilities span at most 1e8 (McCormick bounds on 1/D are meaningless beyond); R4's
    only when the integer scaling is exact. Otherwise they return ``feasible`` without a bound.
``"scip-lazy"``
    The SGI master in one SCIP tree with the planes as lazy constraints (extra
    ``evcore[scip]``); the bound is SCIP's.

Statuses (:mod:`evcore.results`): ``optimal`` when the proven relative gap is at most
:data:`OPTIMALITY_GAP` (1e-5), ``gap_reached`` when it is within the ``gap`` asked for,
``time_limit``/``iteration_limit`` when a limit stopped the run (best plan so far, proven gap),
``feasible`` when a method returns a plan it cannot bound.

(A little past 600 lines: the method table, the argument checks shared by every method and the
certificate rules above are kept together, so what "optimal" means is decided in one place.)
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._compiled import ensure_compiled
from .._validate import as_scalar, check_choice, check_gap, check_limits, check_options, check_seed
from ..errors import InfeasibleError, InputError, SolverError
from ..progress import progress_reporter
from ..results import Result, TraceRecorder, relative_gap
from ..solvers import SolverOptions, cut_loop
from ..solvers import solve as solve_model
from . import _kernels
from ._planes import plane_data
from ._sgi import (Layout, SGISeparator, base_model, layout_for, master_rounds, plan_problem, plan_values,
                   with_cuts)
from .model import ChoiceInstance

__all__ = ["ChoiceResult", "solve", "perfect_information_bound", "OPTIMALITY_GAP"]

logger = logging.getLogger(__name__)

#: Models and methods available.
AVAILABLE_MODELS = ("deterministic", "two-stage", "multi-stage")
AVAILABLE_METHODS = ("best", "search", "branch-and-cut", "sgi", "submodular", "r1", "r4", "scip-lazy")
#: A result is ``optimal`` when its proven relative gap is at most this (the SGI masters and
#: SCIP accept each plane violated by their feasibility tolerance, about 1e-6 of theta, so the
#: exact revenue of their plan can sit that far below their own objective).
OPTIMALITY_GAP = 1e-5
#: Options every method takes, and each method's own.
COMMON_OPTIONS = frozenset({"stations", "model", "gap"})
METHOD_OPTIONS = {
    "best": frozenset({"clusters", "max_options"}),
    "search": frozenset({"max_options"}),
    "branch-and-cut": frozenset({"clusters"}),
    "sgi": frozenset({"lp_rounds", "max_rounds"}),
    "submodular": frozenset({"lp_rounds", "max_rounds"}),
    "r1": frozenset(),
    "r4": frozenset({"r4_scale"}),
    "scip-lazy": frozenset({"verbose"}),
}
TRACE_COLUMNS = ("iteration", "seconds", "objective", "bound", "gap", "cuts")
#: HiGHS settings for the masters and the linearisations: presolve off (see ``_Run.cut_loop``),
#: no absolute MIP gap, tolerances of 1e-9 so that a certificate needs only a small margin
#: (with HiGHS's defaults, 1e-6 integrality and 1e-7 feasibility, a master's bound was seen
#: 2.3e-7 below a plan it contains).
TIGHT_HIGHS = {"mip_abs_gap": 0.0, "mip_feasibility_tolerance": 1e-9, "primal_feasibility_tolerance": 1e-9,
               "dual_feasibility_tolerance": 1e-9}


@dataclass(frozen=True, eq=False, kw_only=True)
class ChoiceResult(Result):
    """Outcome of :func:`solve` (maximisation: ``bound`` is an upper bound on the optimum).

    Attributes
    ----------
    objective : float
        Expected revenue of ``plan`` under logit choice, computed exactly from the plan (currency
        per unit of demand times demand); ``-inf`` when no plan was found.
    bound : float or None
        Proven upper bound on the optimum (see ``certificate``), ``None`` when the method proves none.
    plan : numpy.ndarray of bool, shape (sites, types, groups), or None
        x[j, k, g] per decision group: per year (deterministic, two-stage) or per scenario-tree
        node (multi-stage, in the tree's node order).
    model : str
    cuts : int
        Planes added (cutting-plane methods).
    size : dict
        ``rows``, ``columns``, ``nonzeros`` of the formulation handed to the solver (for the
        SGI methods: the master before cuts).
    site_ids, type_ids : tuple of str
        Labels of the sites and station types (outputs use them, not positions).
    group_stage, group_parent : numpy.ndarray of int, shape (groups,)
        Year (0-based) and parent group of each decision group (-1 for the first).
    group_probability : numpy.ndarray, shape (groups,)
        Probability of reaching each group's tree node (1 for the per-year groups).
    group_revenue : numpy.ndarray, shape (groups,)
        Expected revenue earned in each group's tree nodes (sums to ``objective``).
    certificate : str
        What ``bound`` rests on: ``"exact search"``, ``"safe LP duals"``, ``"HiGHS MIP bound"``,
        ``"SCIP dual bound"`` or ``"none"``.
    """

    sense = "max"

    plan: np.ndarray | None = None
    model: str = "deterministic"
    cuts: int = 0
    size: dict = field(default_factory=dict)
    site_ids: tuple = ()
    type_ids: tuple = ()
    group_stage: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    group_parent: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    group_probability: np.ndarray = field(default_factory=lambda: np.zeros(0))
    group_revenue: np.ndarray = field(default_factory=lambda: np.zeros(0))
    certificate: str = "none"

    # -- names kept from before the contract ----------------------------------------------------
    @property
    def rounds(self) -> int:
        """Old name of :attr:`iterations` (MILP rounds, nodes or search calls)."""
        return self.iterations

    @property
    def open_sites(self) -> np.ndarray:
        """0-based positions of the sites with a station in the last year (in any scenario).
        Outputs use :attr:`open_site_ids`."""
        if self.plan is None:
            return np.zeros(0, dtype=np.int64)
        last = self.group_stage == self.group_stage.max()
        return np.flatnonzero(self.plan[:, :, last].any(axis=(1, 2)))

    @property
    def open_site_ids(self) -> list:
        """Ids of the sites with a station in the last year (in any scenario)."""
        return [self.site_ids[j] for j in self.open_sites]

    # -- the contract's views -------------------------------------------------------------------
    def plan_rows(self) -> list:
        """One row per open station and decision group, with ids."""
        if self.plan is None:
            return []
        rows = []
        for g in range(self.plan.shape[2]):
            parent = int(self.group_parent[g])
            for j, k in zip(*np.nonzero(self.plan[:, :, g])):
                new = parent < 0 or not self.plan[j, k, parent]
                rows.append({"group": g, "year": int(self.group_stage[g]) + 1, "parent_group": parent,
                             "site_id": self.site_ids[j], "type_id": self.type_ids[k], "built_this_year": bool(new)})
        return rows

    def group_rows(self) -> list:
        """One row per decision group: year, parent, probability, expected revenue, stations open."""
        return [{"group": g, "year": int(self.group_stage[g]) + 1, "parent_group": int(self.group_parent[g]),
                 "probability": float(self.group_probability[g]), "expected_revenue": float(self.group_revenue[g]),
                 "stations_open": 0 if self.plan is None else int(self.plan[:, :, g].sum())}
                for g in range(len(self.group_stage))]

    def _frames(self) -> dict:
        def table(rows, keys):
            return {key: [row[key] for row in rows] for key in keys}

        return {"plan": lambda: table(self.plan_rows(), ("group", "year", "parent_group", "site_id", "type_id",
                                                         "built_this_year")),
                "groups": lambda: table(self.group_rows(), ("group", "year", "parent_group", "probability",
                                                            "expected_revenue", "stations_open"))}

    def _summary_extra(self) -> dict:
        return {"model": self.model, "open_site_ids": self.open_site_ids, "cuts": self.cuts,
                "certificate": self.certificate}

    def _dict_extra(self) -> dict:
        return {"open_site_ids": self.open_site_ids, "plan_rows": self.plan_rows(), "group_rows": self.group_rows()}


# -- arguments --------------------------------------------------------------------------------
def _legacy(method, legacy: tuple, options: dict):
    """Old calls ``solve(instance, stations, model, method, time_limit)``: map them, or refuse."""
    if not legacy and (method is None or isinstance(method, str)):
        return ("best" if method is None else method), options, None
    if isinstance(method, str):
        raise InputError("args", "after the method, pass stations=, model=, time_limit= by keyword "
                                 f"(got {len(legacy)} more positional argument(s))")
    if isinstance(method, (bool, np.bool_)) or not (method is None or isinstance(method, (int, np.integer))):
        raise InputError("method", f"must be one of {list(AVAILABLE_METHODS)}, got {method!r}")
    names = ("model", "method", "time_limit")
    if len(legacy) > len(names):
        raise InputError("args", f"solve takes at most 5 positional arguments (old order: instance, stations, model, "
                                 f"method, time_limit), got {2 + len(legacy)}")
    mapped = dict(zip(names, legacy))
    for name in ("model", "method", "time_limit"):
        if name in mapped and name in options:
            raise InputError(name, "given both by position and by keyword")
    if "stations" in options:
        raise InputError("stations", "given both by position and by keyword")
    warnings.warn("solve(instance, stations, model, method, time_limit) is the old positional order; use "
                  "solve(instance, method, stations=..., model=..., time_limit=...)", DeprecationWarning, stacklevel=3)
    options = dict(options)
    options["stations"] = method
    if "model" in mapped:
        options["model"] = mapped["model"]
    return mapped.get("method", "best"), options, mapped.get("time_limit")


def _stations(instance: ChoiceInstance, value):
    if value is None:
        return None
    value = as_scalar("stations", value, int)
    if not 1 <= value <= instance.sites:
        raise InputError("stations", f"must lie in [1, {instance.sites}], got {value}")
    return value


def solve(instance: ChoiceInstance, method: str = "best", *legacy, time_limit: float | None = None,
          max_iterations: int | None = None, seed=None, progress=False, **options) -> ChoiceResult:
    """Choose where (and which type of) stations stand each year to maximise expected revenue.

    Parameters
    ----------
    instance : ChoiceInstance
    method : str
        One of :data:`AVAILABLE_METHODS` (see the module docstring); ``"best"`` by default.
    time_limit : float, optional
        Seconds; the best plan so far comes back with its proven gap and status ``time_limit``.
    max_iterations : int, optional
        Most MILP rounds (SGI methods), nodes (branch-and-cut, SCIP) or subproblems (search).
    seed : int, optional
        Validated and ignored: every method here is deterministic.
    progress : bool or callable
        Progress lines on stderr, or a callable receiving :class:`evcore.progress.ProgressRecord`.
    **options
        ``stations`` (int: exactly this many stations open in every decision group, the HM14
        setting), ``model`` (``"deterministic"``, ``"two-stage"``: one plan per year for every
        scenario of ``instance.tree``; ``"multi-stage"``: decisions per scenario-tree node),
        ``gap`` (relative gap at which to stop, default 1e-6, at least 1e-9); per method:
        ``clusters`` (branch-and-cut: theta per cluster of user nodes instead of per user node),
        ``max_options`` (search: most additions listed per decision group, default 20000),
        ``lp_rounds`` (SGI: rounds of tangent planes at the LP relaxation first),
        ``max_rounds`` (SGI: old name of ``max_iterations``), ``r4_scale`` (R4's utility
        scale), ``verbose`` (scip-lazy: SCIP's own log on stdout).

    The old positional order ``solve(instance, stations, model, method, time_limit)`` still
    works (with a DeprecationWarning) when ``stations`` is an integer.

    Returns
    -------
    ChoiceResult

    Raises
    ------
    InputError
        Bad arguments. InfeasibleError: no plan keeps the planning rules (budgets, the number of
        stations, stations standing before year 1). MissingDependencyError: ``scip-lazy``
        without PySCIPOpt. SolverError: HiGHS or SCIP failed.
    """
    if not isinstance(instance, ChoiceInstance):
        raise InputError("instance", f"must be a ChoiceInstance, got {type(instance).__name__}")
    method, options, legacy_limit = _legacy(method, legacy, options)
    if legacy_limit is not None:
        if time_limit is not None:
            raise InputError("time_limit", "given both by position and by keyword")
        time_limit = legacy_limit
    check_choice("method", method, AVAILABLE_METHODS)
    check_options(method, options, COMMON_OPTIONS | METHOD_OPTIONS[method])
    time_limit, max_iterations = check_limits(time_limit, max_iterations)
    if "max_rounds" in options:
        if max_iterations is not None:
            raise InputError("max_rounds", "is the old name of max_iterations; give one of them")
        _, max_iterations = check_limits(None, options.pop("max_rounds"))
    check_seed(seed)
    model = check_choice("model", options.pop("model", "deterministic"), AVAILABLE_MODELS)
    if model != "deterministic" and instance.tree is None:
        raise InputError("tree", f"the {model} model needs instance.tree (a ScenarioTree)")
    stations = _stations(instance, options.pop("stations", None))
    gap = check_gap(options.pop("gap", 1e-6))
    if gap < 1e-9:
        raise InputError("gap", f"must be at least 1e-9, got {gap!r}")
    if method in ("best", "search"):
        ensure_compiled(_kernels)  # before the clock: a time limit measures the search, not Numba
    started = time.perf_counter()
    reporter = progress_reporter(progress, f"choice.{method}", time_limit=time_limit, max_iterations=max_iterations,
                                 started=started)
    layout = layout_for(instance, model)
    run = _Run(instance, layout, model, stations, gap, time_limit, max_iterations, reporter, started)
    if method == "best":
        method = "search" if _search_applies(instance, stations) else "branch-and-cut"
        if method == "search":
            try:
                return run.search(options.pop("max_options", 20000))
            except _TooLarge:
                method = "branch-and-cut"
        options.pop("max_options", None)
    if method == "search":
        try:
            return run.search(options.pop("max_options", 20000))
        except _TooLarge as exc:
            raise InputError("method", f"'search' cannot list the plans here ({exc}); use 'best' or "
                                       "'branch-and-cut'") from None
    if method == "branch-and-cut":
        return run.branch_and_cut(options.pop("clusters", None))
    if method in ("sgi", "submodular"):
        return run.cut_loop(method, as_scalar("lp_rounds", options.pop("lp_rounds", 0), int))
    if method in ("r1", "r4"):
        return run.single_milp(method, options.pop("r4_scale", None))
    return run.scip(bool(options.pop("verbose", False)))


class _TooLarge(Exception):
    pass


def _search_applies(instance: ChoiceInstance, stations) -> bool:
    return instance.budget is not None or stations is not None


class _Run:
    """One call of :func:`solve`: the shared bookkeeping and one method per function."""

    def __init__(self, instance, layout: Layout, model, stations, gap, time_limit, max_iterations, reporter, started):
        self.instance, self.layout, self.model, self.stations = instance, layout, model, stations
        self.gap, self.time_limit, self.max_iterations = gap, time_limit, max_iterations
        self.reporter, self.started = reporter, started
        self.data = plane_data(instance)
        self.trace = TraceRecorder(TRACE_COLUMNS)

    def remaining(self):
        if self.time_limit is None:
            return None
        return max(self.time_limit - (time.perf_counter() - self.started), 0.0)

    def record(self, iteration, objective, bound, cuts=0):
        gap = relative_gap(objective, bound, "max") if bound is not None and math.isfinite(objective) else None
        self.trace.append(iteration=iteration, seconds=time.perf_counter() - self.started, objective=objective,
                          bound=bound, gap=gap, cuts=cuts)

    # -- fallbacks --------------------------------------------------------------------------
    def greedy_plan(self):
        """A plan that keeps the rules, built greedily (None when none is found that way)."""
        from ._search import greedy_plan

        return greedy_plan(self.instance, self.layout, self.stations)

    # -- result -----------------------------------------------------------------------------
    def finish(self, method, plan, bound, stopped, *, iterations, cuts=0, size=None, certificate="none"):
        """The ChoiceResult of ``plan`` (checked and scored exactly) with a proven ``bound``."""
        instance, layout = self.instance, self.layout
        if plan is not None:
            plan = np.asarray(plan).astype(bool)
            problem = plan_problem(instance, layout, plan, self.stations)
            if problem is not None:
                logger.warning("%s returned a plan that breaks the planning rules (%s); it is replaced", method,
                               problem)
                plan = None
        if plan is None:
            plan = self.greedy_plan()
        objective = -math.inf if plan is None else plan_values(self.data, layout, plan)
        if bound is not None and not math.isnan(bound):
            bound = float(bound)
            if math.isfinite(objective) and bound < objective:
                # A bound below the exact value of a plan in hand is itself proof that the bound
                # is wrong. Lifting it to the objective is what turned issue 12.1's broken HiGHS
                # bounds into "optimal, bound == objective"; only rounding noise is lifted.
                if bound >= objective - 1e-12 * abs(objective):
                    bound = objective
                else:
                    logger.warning("%s: its bound %.17g is below the exact revenue %.17g of its own plan; the "
                                   "bound is discarded (no certificate)", method, bound, objective)
                    bound, certificate = None, "none"
        else:
            bound = None
        gap = relative_gap(objective, bound, "max") if math.isfinite(objective) else None
        if gap is None and bound is not None:
            gap = math.inf
        if stopped is not None:
            status = stopped
            if gap is not None and gap <= OPTIMALITY_GAP:
                status = "optimal"
            elif gap is not None and gap <= self.gap:
                status = "gap_reached"
        elif gap is None or not math.isfinite(gap):
            status = "feasible"
        elif gap <= OPTIMALITY_GAP:
            status = "optimal"
        elif gap <= self.gap:
            status = "gap_reached"
        else:
            status = "feasible"
        self.record(iterations, objective, bound, cuts)
        weights = layout.node_weight[:, None] * layout.node_demand
        if plan is not None:
            from ._planes import revenue_rate

            rates = revenue_rate(self.data, plan.reshape(layout.pairs, layout.groups).T.astype(float))
            per_node = np.sum(weights * rates[layout.node_group], axis=1)
            group_revenue = np.bincount(layout.node_group, weights=per_node, minlength=layout.groups)
        else:
            group_revenue = np.zeros(layout.groups)
        group_probability = np.zeros(layout.groups)
        if self.model == "multi-stage":
            group_probability = np.asarray(layout.node_weight, float).copy()
        else:
            group_probability[:] = 1.0
        self.reporter.report(iterations, objective=objective if math.isfinite(objective) else None, bound=bound,
                             gap=gap, message=status, final=True)
        return ChoiceResult(status=status, objective=objective, bound=bound, gap=gap, iterations=int(iterations),
                            wall_time=time.perf_counter() - self.started, trace=self.trace.array(), seed=None,
                            method=method, plan=plan, model=self.model, cuts=int(cuts), size=size or {},
                            site_ids=tuple(instance.site_ids), type_ids=tuple(instance.type_ids),
                            group_stage=np.asarray(layout.group_stage, np.int64),
                            group_parent=np.asarray(layout.group_parent, np.int64),
                            group_probability=group_probability, group_revenue=group_revenue,
                            certificate=certificate)

    def master_bound(self, milp, bound: float) -> float:
        """A solver's dual bound of a master (objective in :func:`objective_unit`), in revenue,
        plus a margin for its tolerances (set to 1e-9): 1e-8 on every objective coefficient, and
        1e-9 relative."""
        from ._sgi import objective_unit

        if not math.isfinite(bound):
            return math.inf
        margin = 1e-8 * float(np.abs(milp.objective).sum()) + 1e-9 * abs(bound)
        return (bound + margin) * objective_unit(self.instance, self.layout)

    def size_of(self, milp):
        return {"rows": milp.num_rows, "columns": milp.num_cols, "nonzeros": int(milp.constraint_matrix.nnz)}

    # -- methods ----------------------------------------------------------------------------
    def search(self, max_options):
        from ._search import SearchTooLarge, plan_search

        max_options = as_scalar("max_options", max_options, int)
        if max_options < 1:
            raise InputError("max_options", f"must be at least 1, got {max_options}")
        try:
            outcome = plan_search(self.instance, self.layout, self.stations, time_limit=self.time_limit,
                                  max_calls=self.max_iterations, max_options=max_options, reporter=self.reporter,
                                  started=self.started)
        except SearchTooLarge as exc:
            raise _TooLarge(str(exc)) from None
        if outcome.plan is None and outcome.stopped is None:
            raise InfeasibleError("no plan keeps the planning rules (budgets, the number of stations, stations "
                                  "standing before year 1): every plan was listed")
        return self.finish("search", outcome.plan, outcome.bound, outcome.stopped, iterations=outcome.calls,
                           certificate="exact search")

    def branch_and_cut(self, clusters):
        from ._bnc import branch_and_cut

        if clusters is not None:
            clusters = as_scalar("clusters", clusters, int)
            if clusters < 1:
                raise InputError("clusters", f"must be at least 1, got {clusters}")
        outcome = branch_and_cut(self.instance, self.layout, self.stations, gap=self.gap, time_limit=self.time_limit,
                                 max_nodes=self.max_iterations, submodular=True, clusters=clusters,
                                 reporter=self.reporter, started=self.started)
        for nodes, seconds, value, bound, cuts in outcome.trace:
            self.trace.append(iteration=nodes, seconds=seconds, objective=value, bound=bound,
                              gap=relative_gap(value, bound, "max") if math.isfinite(value) else None, cuts=cuts)
        if outcome.plan is None and outcome.stopped is None and not math.isfinite(outcome.bound):
            raise InfeasibleError("no plan keeps the planning rules (budgets, the number of stations, stations "
                                  "standing before year 1): every branch was proven empty")
        return self.finish("branch-and-cut", outcome.plan, outcome.bound, outcome.stopped, iterations=outcome.nodes,
                           cuts=outcome.cuts, certificate="safe LP duals")

    def cut_loop(self, method, lp_rounds):
        instance, layout = self.instance, self.layout
        equal = float(np.ptp(instance.revenue)) == 0.0
        if method == "submodular" and not equal:
            raise InputError("method", "submodular cuts need equal revenues for every station type; use 'sgi'")
        if lp_rounds < 0:
            raise InputError("lp_rounds", f"must be >= 0, got {lp_rounds}")
        milp = base_model(instance, layout, self.stations)
        # Issue 12.1: on masters whose planes span 1e-9..1e13 with right-hand sides down to
        # 1e-34, HiGHS 1.16's probing (presolve rules 15 and 20) cut off plans the master
        # contains and returned a MIP bound 0.3-18 % low (tests/choice/test_choice_certificates.py
        # has the diagnosis). The masters are now scaled and their rows safe; presolve stays off.
        options = SolverOptions(mip_rel_gap=min(self.gap, 1e-4) / 4, presolve="off", extra=TIGHT_HIGHS)
        seeded = milp
        lp_separator = SGISeparator(instance, layout, fractional=True, stations=self.stations)
        if lp_rounds > 0:
            try:
                cut_loop(dataclasses.replace(milp, integrality=None), lp_separator, max_rounds=lp_rounds,
                         time_limit=None if self.time_limit is None else self.time_limit / 4, tolerance=1e-5)
            except InfeasibleError:
                raise InfeasibleError("no plan keeps the planning rules (the LP relaxation is infeasible)") from None
            seeded = with_cuts(milp, lp_separator.history)
        separator = SGISeparator(instance, layout, submodular=method == "submodular", stations=self.stations,
                                 reporter=self.reporter, tolerance=1e-8)
        greedy = self.greedy_plan()
        if greedy is not None:
            separator.offer(greedy)  # the first master starts from it
        deadline = None if self.time_limit is None else self.started + self.time_limit
        try:
            loop = master_rounds(seeded, separator, options, deadline=deadline,
                                 max_rounds=self.max_iterations or 500)
        except InfeasibleError:
            raise InfeasibleError("no plan keeps the planning rules (budgets, the number of stations, stations "
                                  "standing before year 1): the master is infeasible") from None
        except SolverError as error:
            if getattr(error, "outcome", None) is None:
                raise
            # A limit before HiGHS found any plan: the greedy plan, no bound.
            return self.finish(method, None, None, "time_limit" if error.outcome == "time_limit" else
                               "iteration_limit", iterations=0, size=self.size_of(milp), certificate="none")
        # One trace row per MILP round, in revenue (the masters' bounds are in objective units
        # and carry no margin yet); ``cuts`` counts the planes in the master so far.
        for number, ended, bound, planes in loop.rounds:
            self.trace.append(iteration=number, seconds=ended - self.started, objective=math.nan,
                              bound=self.master_bound(milp, bound), gap=math.nan,
                              cuts=planes + lp_separator.cuts_added)
        # HiGHS's MIP dual bound of the masters (relaxations: their rows are safe planes), with
        # a margin for the tolerances of its LPs.
        bound = self.master_bound(milp, loop.bound)
        return self.finish(method, separator.best_plan, bound, loop.stopped, iterations=len(loop.rounds),
                           cuts=separator.cuts_added + lp_separator.cuts_added, size=self.size_of(milp),
                           certificate="HiGHS MIP bound")

    def single_milp(self, method, r4_scale):
        from ._r1 import r1_model
        from ._r4 import default_scale, r4_model

        instance, layout = self.instance, self.layout
        positive = np.concatenate([instance.attraction[instance.attraction > 0], instance.opt_out])
        span = float(np.log10(positive.max() / positive.min()))
        if method == "r1":
            milp = r1_model(instance, layout, self.stations)[0]
            trusted = span <= 8.0
        else:
            scale = default_scale(instance) if r4_scale is None else as_scalar("r4_scale", r4_scale)
            if not (math.isfinite(scale) and scale > 0):
                raise InputError("r4_scale", f"must be a finite number > 0, got {scale!r}")
            milp = r4_model(instance, layout, self.stations, scale)
            scaled = np.concatenate([scale * instance.attraction.reshape(-1), scale * instance.opt_out])
            trusted = bool(np.all(scaled == np.rint(scaled))) and span <= 8.0
        remaining = self.remaining()
        options = SolverOptions(time_limit=remaining, mip_rel_gap=max(min(self.gap, 1e-4) / 4, 1e-10), presolve="off",
                                extra=TIGHT_HIGHS)
        try:
            result = solve_model(milp, options)
        except InfeasibleError as error:
            # Every plan that keeps the planning rows is feasible for R1/R4, so HiGHS's claim is
            # either about the planning rows (then it stands) or numerical.
            solve_model(dataclasses.replace(base_model(instance, layout, self.stations),
                                            objective=np.zeros(layout.num_cols)))
            raise SolverError(f"HiGHS declared the {method.upper()} formulation infeasible although the planning rows "
                              f"are feasible: numerical trouble (utilities span {span:.0f} orders of magnitude); "
                              "method='best' is exact here", error.status) from None
        except SolverError as error:
            if getattr(error, "outcome", None) is None:
                raise SolverError(f"HiGHS could not take the {method.upper()} formulation ({error.message}): "
                                  f"utilities span {span:.0f} orders of magnitude; method='best' is exact here",
                                  error.status) from None
            return self.finish(method, None, None, "time_limit", iterations=0, size=self.size_of(milp))
        plan = layout.plan(result.x)
        bound = float(result.mip_bound) if trusted and result.mip_bound is not None else None
        if bound is not None:
            bound += 1e-8 * float(np.abs(milp.objective).sum()) + 1e-9 * abs(bound)
        stopped = None if result.status == "optimal" else (
            "time_limit" if result.status == "time_limit" else "iteration_limit")
        if not trusted:
            logger.info("%s: utilities span %.0f orders of magnitude%s: no bound is claimed", method, span,
                        "" if method == "r1" else " or the integer scaling rounds")
        return self.finish(method, plan, bound, stopped, iterations=1, size=self.size_of(milp),
                           certificate="HiGHS MIP bound" if bound is not None else "none")

    def scip(self, verbose):
        from ._scip import solve_scip_lazy

        instance, layout = self.instance, self.layout
        milp = base_model(instance, layout, self.stations)
        equal = float(np.ptp(instance.revenue)) == 0.0
        start_plan = self.greedy_plan()
        plan, bound, status, rounds, cuts = solve_scip_lazy(instance, layout, milp, submodular=equal,
                                                            time_limit=self.remaining(), gap=self.gap,
                                                            reporter=self.reporter, verbose=verbose,
                                                            stations=self.stations, max_nodes=self.max_iterations,
                                                            start_plan=start_plan)
        stopped = None if status in ("optimal", "feasible") else status
        # SCIP's dual bound (of a relaxation: the planes are safe), with a margin for its tolerances.
        bound = self.master_bound(milp, bound)
        return self.finish("scip-lazy", plan, bound, stopped, iterations=rounds, cuts=cuts, size=self.size_of(milp),
                           certificate="SCIP dual bound")


def perfect_information_bound(instance: ChoiceInstance, *legacy, gap: float = 1e-6, time_limit: float | None = None,
                              method: str = "best", stations=None) -> float:
    """Expected revenue with perfect information: each scenario solved on its own, weighted.

    An upper bound on the multi-stage optimum (which is at least the two-stage optimum). It
    sums each scenario's proven *bound* (equal to its optimum when that solve is optimal), so
    it stays a valid upper bound when a scenario stops at ``time_limit``; ``inf`` when a
    method proves no bound. ``method`` is any method of :func:`solve`. The old positional
    ``stations`` (second argument) still works.
    """
    if not isinstance(instance, ChoiceInstance):
        raise InputError("instance", f"must be a ChoiceInstance, got {type(instance).__name__}")
    if legacy:
        if len(legacy) > 1 or stations is not None:
            raise InputError("args", "perfect_information_bound(instance, stations=None, *, gap, time_limit, method)")
        stations = legacy[0]
    if instance.tree is None:
        raise InputError("tree", "the perfect-information bound needs instance.tree (a ScenarioTree)")
    tree = instance.tree
    total = 0.0
    for scenario, leaf in enumerate(tree.scenarios):
        path = dataclasses.replace(instance, demand=tree.scenario_demand(scenario), tree=None)
        result = solve(path, method, stations=stations, time_limit=time_limit, gap=gap)
        total += float(tree.probability[leaf]) * (math.inf if result.bound is None else result.bound)
    return total
