"""Hand a :class:`Model` to HiGHS in bulk, run it and translate the outcome.

Every HiGHS status goes through :data:`STATUS_TABLE`; nothing else in evcore interprets
HiGHS statuses.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import logging

import highspy
import numpy as np
import scipy.sparse as sp

from .._validate import as_array, check_finite, check_shape, first_index
from ..errors import InfeasibleError, InputError, SolverError, UnboundedError
from ..progress import progress_reporter
from ._model import Model, _bound_vector, _check_ordered, _frozen_vector
from ._options import SolverOptions, check_capability, new_highs, stdout_redirected

logger = logging.getLogger(__name__)

__all__ = ["SolveResult", "STATUS_TABLE", "LIMIT_OUTCOMES", "solve"]

_MS = highspy.HighsModelStatus

#: What evcore makes of each HiGHS model status. Outcomes in :data:`LIMIT_OUTCOMES` return a
#: :class:`SolveResult` when HiGHS holds a feasible point (else raise :class:`SolverError`);
#: "infeasible" raises :class:`InfeasibleError`, "unbounded" :class:`UnboundedError`,
#: "unbounded_or_infeasible" triggers one re-solve without presolve to tell the two apart,
#: "empty" (no variables) gives the trivial answer, and "error" raises :class:`SolverError`.
#: Every exception carries HiGHS's own status text.
STATUS_TABLE: Mapping[highspy.HighsModelStatus, str] = MappingProxyType({
    _MS.kOptimal: "optimal",
    _MS.kTimeLimit: "time_limit",
    _MS.kIterationLimit: "iteration_limit",
    _MS.kSolutionLimit: "solution_limit",      # MIP node, leaf or improving-solution limit
    _MS.kInterrupt: "interrupted",             # a user callback asked HiGHS to stop
    _MS.kHighsInterrupt: "interrupted",        # HiGHS stopped itself (e.g. cancelSolve)
    _MS.kObjectiveBound: "objective_bound",    # option objective_bound reached
    _MS.kObjectiveTarget: "objective_target",  # option objective_target reached
    _MS.kInfeasible: "infeasible",
    _MS.kUnbounded: "unbounded",
    _MS.kUnboundedOrInfeasible: "unbounded_or_infeasible",
    _MS.kModelEmpty: "empty",
    _MS.kLoadError: "error",
    _MS.kModelError: "error",
    _MS.kPresolveError: "error",
    _MS.kSolveError: "error",
    _MS.kPostsolveError: "error",
    _MS.kMemoryLimit: "error",
    _MS.kNotset: "error",
    _MS.kUnknown: "error",
})

#: Outcomes where HiGHS stopped early; the answer is the best feasible point found.
LIMIT_OUTCOMES = frozenset({"time_limit", "iteration_limit", "solution_limit", "interrupted",
                            "objective_bound", "objective_target"})


class _NoFeasiblePointError(SolverError):
    """A limit stopped HiGHS before it had a feasible point; ``outcome`` names the limit (the
    public attribute of every :class:`SolverError`; this subclass only marks the case)."""

    def __init__(self, message: str, status: str, outcome: str):
        super().__init__(message, status, outcome)


@dataclass(frozen=True, eq=False)
class SolveResult:
    """What one HiGHS solve produced.

    Attributes
    ----------
    status : str
        ``"optimal"`` or one of :data:`LIMIT_OUTCOMES` (other statuses raise).
    highs_status : str
        HiGHS's own text, from ``Highs.modelStatusToString``.
    objective : float
        Objective at ``x``, offset included, in the model's own sense.
    x : numpy.ndarray, shape (n,)
        Values of the variables (for a MIP: the incumbent).
    row_activity : numpy.ndarray, shape (m,)
        ``constraint_matrix @ x``.
    row_duals : numpy.ndarray, shape (m,), or None
        For an LP/QP: HiGHS's row duals, ``d objective / d (active bound of row i)`` in the
        model's own sense (zero for an inactive row). For ``min -x - y`` with rows
        ``x + 2y <= 4`` and ``3x + y <= 6`` they are ``[-0.4, -0.2]``; for the same model
        as ``max x + y``, ``[0.4, 0.2]``. ``None`` for a MIP or when HiGHS has no dual values.
    reduced_costs : numpy.ndarray, shape (n,), or None
        Column duals, ``d objective / d (active bound of x_j)``, same convention.
    mip_bound : float or None
        For a MIP: HiGHS's dual bound (lower bound for min, upper for max; infinite when
        none was proven). ``None`` for an LP/QP.
    mip_gap : float or None
        For a MIP: HiGHS's relative gap between ``objective`` and ``mip_bound``. A MIP is
        reported ``"optimal"`` once the gap is within ``SolverOptions.mip_rel_gap``, so it
        can be positive. ``None`` for an LP/QP.
    iterations : mapping of str to int
        ``simplex``, ``ipm``, ``crossover``, ``pdlp``, ``qp`` iteration counts and
        ``mip_nodes`` (0 for an algorithm that did not run).
    wall_time : float
        Seconds spent, including any re-solve.
    solver : str
        The algorithm requested (``SolverOptions.solver``).
    """

    status: str
    highs_status: str
    objective: float
    x: np.ndarray
    row_activity: np.ndarray
    row_duals: np.ndarray | None
    reduced_costs: np.ndarray | None
    mip_bound: float | None
    mip_gap: float | None
    iterations: Mapping[str, int]
    wall_time: float
    solver: str


# --- HiGHS's per-thread scheduler ---------------------------------------------------------
# HiGHS starts a task scheduler for each OS thread on its first run and refuses (run() returns
# kError, status "Not Set") a later run asking for a different, non-zero thread count. The
# scheduler lives in C++ thread-local storage (checked: a reset in one thread does not help
# another), so the record of its size is thread-local too and needs no lock.
class _SchedulerRecord(threading.local):
    # Thread count the calling thread's scheduler was started with: None = not started by
    # evcore, 0 = HiGHS's default (runs asking for 0 accept any existing scheduler).
    threads: int | None = None


_scheduler = _SchedulerRecord()


def _prepare_scheduler(threads: int | None) -> None:
    wanted = threads or 0
    if wanted and _scheduler.threads != wanted:
        # Also when the record is None: HiGHS may have been run in this thread outside evcore.
        highspy.Highs.resetGlobalScheduler(True)
        _scheduler.threads = wanted
    elif _scheduler.threads is None:
        _scheduler.threads = 0


def _run(highs: highspy.Highs, threads: int | None) -> highspy.HighsStatus:
    _prepare_scheduler(threads)
    if highs.getOptionValue("output_flag")[1]:
        # verbose: HiGHS (and cuPDLP-C, which prints itself) write their log on stdout
        with stdout_redirected(2):
            return highs.run()
    return highs.run()


# --- HiGHS's numerical conventions ----------------------------------------------------------
class _ModelRangeError(InputError, SolverError):
    """An entry HiGHS would read as infinite or refuse (see below): bad input, named like every
    :class:`InputError`, and also a :class:`SolverError` (status ``"Model error"``, ``outcome``
    None) because HiGHS itself would have refused the model, and callers written before evcore
    checked this catch it as one."""

    def __init__(self, field: str, problem: str, index=None):
        self.field, self.problem, self.index = field, problem, index
        where = field if index is None else f"{field}[{', '.join(map(str, np.atleast_1d(index)))}]"
        self.message, self.status, self.outcome = f"{where}: {problem}", "Model error", None
        Exception.__init__(self, self.message)

    def __reduce__(self):
        return (type(self), (self.field, self.problem, self.index))



# HiGHS reads |cost| >= infinite_cost and |bound| >= infinite_bound as infinite, refuses matrix
# entries >= large_matrix_value and drops those <= small_matrix_value (option values, defaults
# 1e20, 1e20, 1e15, 1e-9). A model that only makes sense with those values taken literally is
# refused here, naming the entry, rather than solved as something else.
def _check_costs(field: str, cost: np.ndarray, limits: dict) -> None:
    bad = np.abs(cost) >= limits["infinite_cost"]
    if bad.any():
        j = first_index(bad)
        raise _ModelRangeError(field, f"{float(cost[j])!r} is at least HiGHS's infinite_cost "
                                f"({limits['infinite_cost']:g}), which HiGHS would read as infinite", j)


def _check_bounds(field: str, bound: np.ndarray, limits: dict, side: str) -> None:
    """A lower bound of +1e25 (upper of -1e25) would be +inf (-inf) to HiGHS: never met. The other
    side (a lower bound of -1e25) means "no bound" both ways and is accepted."""
    big = limits["infinite_bound"]
    bad = np.isfinite(bound) & ((bound >= big) if side == "lower" else (bound <= -big))
    if bad.any():
        j = first_index(bad)
        raise _ModelRangeError(field, f"{float(bound[j])!r} is beyond HiGHS's infinite_bound ({big:g}): HiGHS would "
                                f"read it as {'+' if side == 'lower' else '-'}inf, a bound no point meets", j)


def _check_matrix(field: str, matrix: sp.csr_array, limits: dict) -> None:
    magnitude = np.abs(matrix.data)
    bad = magnitude >= limits["large_matrix_value"]
    if bad.any():
        raise _ModelRangeError(field, f"{float(matrix.data[first_index(bad)])!r} is at least HiGHS's large_matrix_value "
                                f"({limits['large_matrix_value']:g}); rescale the model", _position(matrix, bad))
    tiny = magnitude <= limits["small_matrix_value"]
    if tiny.any():
        logger.warning("%s: %d entries of magnitude <= %g (HiGHS's small_matrix_value), e.g. %r at %s, are "
                       "dropped by HiGHS (treated as 0); rescale the model if they matter",
                       field, int(tiny.sum()), limits["small_matrix_value"], float(matrix.data[first_index(tiny)]),
                       list(_position(matrix, tiny)))


def _position(matrix: sp.csr_array, mask: np.ndarray) -> tuple:
    k = first_index(mask)
    row = int(np.searchsorted(matrix.indptr, k, side="right") - 1)
    return row, int(matrix.indices[k])


def _check_numbers(model: Model, limits: dict) -> None:
    _check_costs("objective", model.objective, limits)
    for field, side in (("col_lower", "lower"), ("col_upper", "upper"), ("row_lower", "lower"),
                        ("row_upper", "upper")):
        _check_bounds(field, getattr(model, field), limits, side)
    _check_matrix("constraint_matrix", model.constraint_matrix, limits)
    if model.hessian is not None:
        _check_matrix("hessian", model.hessian, limits)


# --- building -----------------------------------------------------------------------------
def _int32(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.int32)


def _build_highs(model: Model, options: SolverOptions | None = None) -> highspy.Highs:
    """A ``highspy.Highs`` holding ``model`` with ``options`` applied, ready to run.

    The model goes over in one ``passModel`` call (row-wise CSR) plus one ``passHessian``
    for a QP; there is no per-variable or per-row Python loop.

    Raises
    ------
    InputError
        ``options.solver`` cannot solve this kind of model (see ``SOLVER_CAPABILITIES``).
    SolverError
        HiGHS rejected the model.
    """
    options = _check_options(options)
    check_capability(options.solver, model.kind)
    _check_numbers(model, options._limits())
    highs = new_highs()
    options._apply(highs, model.kind)
    matrix = model.constraint_matrix
    n, m = model.num_cols, model.num_rows
    integrality = (model.integrality if model.is_mip else np.zeros(n, dtype=bool)).astype(np.int32)
    sense = highspy.ObjSense.kMinimize if model.sense == "min" else highspy.ObjSense.kMaximize
    status = highs.passModel(
        n, m, matrix.nnz, int(highspy.MatrixFormat.kRowwise), int(sense), model.objective_offset,
        model.objective, model.col_lower, model.col_upper, model.row_lower, model.row_upper,
        _int32(matrix.indptr), _int32(matrix.indices), matrix.data, integrality)
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (passModel)", _status_text(highs))
    if model.is_qp:
        # kTriangular = the lower triangle, stored column-wise.
        lower = sp.tril(model.hessian, format="csc")
        status = highs.passHessian(n, lower.nnz, int(highspy.HessianFormat.kTriangular),
                                   _int32(lower.indptr), _int32(lower.indices), lower.data)
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the hessian (passHessian)", _status_text(highs))
    return highs


def _set_start(highs: highspy.Highs, start: np.ndarray) -> bool:
    """Hand ``start`` (shape (n,), inside the column bounds) to HiGHS; False if it refused."""
    n = start.shape[0]
    return highs.setSolution(n, np.arange(n, dtype=np.int32), start) != highspy.HighsStatus.kError


# --- running and reading ------------------------------------------------------------------
def _status_text(highs: highspy.Highs) -> str:
    return highs.modelStatusToString(highs.getModelStatus())


def _iterations(info) -> dict[str, int]:
    counts = {"simplex": info.simplex_iteration_count, "ipm": info.ipm_iteration_count,
              "crossover": info.crossover_iteration_count, "pdlp": info.pdlp_iteration_count,
              "qp": info.qp_iteration_count, "mip_nodes": info.mip_node_count}
    return {name: max(int(count), 0) for name, count in counts.items()}  # HiGHS: -1 = not run


def _limit_phrase(outcome: str) -> str:
    return "interrupted" if outcome == "interrupted" else f"{outcome.replace('_', ' ')} reached"


def _run_and_read(highs: highspy.Highs, options: SolverOptions, kind: str, started: float,
                  *, time_limit: float | None = None) -> SolveResult:
    """Run ``highs`` (already loaded) and turn its status into a result or an exception.

    ``time_limit`` overrides ``options.time_limit`` for this run (used by the cut loop).
    For an LP HiGHS compares its ``time_limit`` option with the object's *cumulative* run time
    (``getRunTime`` grows over every ``run`` of the same object), so an LP re-solve (cut loop,
    :class:`Resolver`) gets the limit added to the time already spent. A MIP's limit is compared
    with the current run's time only (HiGHS 1.16: three re-runs of one MIP at a 0.5 s limit plus
    the time spent took 0.51, 1.01 and 2.01 s), so it is passed as it is.
    """
    limit = options.time_limit if time_limit is None else time_limit
    spent = 0.0 if kind == "mip" else highs.getRunTime()
    highs.setOptionValue("time_limit", math.inf if limit is None else spent + max(limit, 0.0))
    run_status = _run(highs, options.threads)
    outcome = STATUS_TABLE.get(highs.getModelStatus(), "error")
    if outcome == "unbounded_or_infeasible":
        outcome = _disambiguate(highs, options, kind)
    text = _status_text(highs)
    if outcome == "infeasible":
        what = "rows, bounds and integrality" if kind == "mip" else "rows and bounds"
        raise InfeasibleError(f"no point satisfies the model's {what}", text)
    if outcome == "unbounded":
        raise UnboundedError("the objective improves without limit over the feasible set", text)
    if outcome == "empty":
        return _empty_result(highs, options, text, started)
    if outcome == "error" or run_status == highspy.HighsStatus.kError:
        hint = ""
        if kind == "qp":
            hint = " (a QP needs a positive semidefinite hessian for min, negative for max)"
        raise SolverError(f"HiGHS failed to solve the {kind.upper()}{hint}", text)

    info = highs.getInfo()
    solution = highs.getSolution()
    if info.primal_solution_status != int(highspy.SolutionStatus.kSolutionStatusFeasible):
        if outcome == "optimal":
            raise SolverError("HiGHS reported optimal without a feasible solution", text)
        raise _NoFeasiblePointError(f"{_limit_phrase(outcome)} before any feasible solution", text, outcome)
    is_mip = kind == "mip"
    has_duals = not is_mip and solution.dual_valid
    return SolveResult(
        status=outcome, highs_status=text,
        objective=float(info.objective_function_value),
        x=np.asarray(solution.col_value, dtype=np.float64) + 0.0,  # + 0.0 turns -0.0 into 0.0
        row_activity=np.asarray(solution.row_value, dtype=np.float64),
        row_duals=np.asarray(solution.row_dual, dtype=np.float64) if has_duals else None,
        reduced_costs=np.asarray(solution.col_dual, dtype=np.float64) if has_duals else None,
        mip_bound=float(info.mip_dual_bound) if is_mip else None,
        mip_gap=float(info.mip_gap) if is_mip else None,
        iterations=_iterations(info), wall_time=time.perf_counter() - started,
        solver=options.solver)


def _disambiguate(highs: highspy.Highs, options: SolverOptions, kind: str) -> str:
    """Re-solve once without presolve, which is what reports "primal infeasible or unbounded".

    Like scipy's HiGHS wrapper. An LP goes to dual simplex: PDLP itself answers "infeasible or
    unbounded" and IPX without presolve can run to the time limit on an unbounded LP.
    """
    saved = {"presolve": highs.getOptionValue("presolve")[1]}
    highs.setOptionValue("presolve", "off")
    if kind == "lp":
        saved["solver"] = highs.getOptionValue("solver")[1]
        highs.setOptionValue("solver", "simplex")
    highs.clearSolver()
    try:
        _run(highs, options.threads)
    finally:
        for name, value in saved.items():
            highs.setOptionValue(name, value)
    outcome = STATUS_TABLE.get(highs.getModelStatus(), "error")
    if outcome not in ("unbounded_or_infeasible", "error"):
        return outcome  # normally "infeasible" or "unbounded"; anything else is read as usual
    raise SolverError("HiGHS could not tell whether the model is infeasible or unbounded, "
                      "even without presolve", _status_text(highs))


def _empty_result(highs: highspy.Highs, options: SolverOptions, text: str, started: float) -> SolveResult:
    # No variables: every row's activity is 0, so the model is feasible iff 0 fits every row.
    # HiGHS reports "Empty" without checking that, and its objective value omits the offset.
    lp = highs.getLp()
    lower, upper = np.asarray(lp.row_lower_, dtype=float), np.asarray(lp.row_upper_, dtype=float)
    bad = (lower > 0) | (upper < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InfeasibleError(f"the model has no variables, so row {i} (activity 0) cannot lie in "
                              f"[{lower[i]}, {upper[i]}]", text)
    m = lower.shape[0]
    return SolveResult(status="optimal", highs_status=text, objective=float(highs.getObjectiveOffset()[1]),
                       x=np.zeros(0), row_activity=np.zeros(m), row_duals=np.zeros(m),
                       reduced_costs=np.zeros(0), mip_bound=None, mip_gap=None, iterations=_iterations(highs.getInfo()),
                       wall_time=time.perf_counter() - started, solver=options.solver)


def _check_start(start, model: Model) -> np.ndarray:
    start = as_array("start", start, ndim=1, shape=(model.num_cols,))
    check_finite("start", start)
    # HiGHS refuses a start outside the column bounds (setSolution returns kError).
    outside = (start < model.col_lower) | (start > model.col_upper)
    if outside.any():
        j = first_index(outside)
        raise InputError("start", f"outside the column bounds [{model.col_lower[j]}, {model.col_upper[j]}], "
                                  f"got {float(start[j])}", j)
    return np.ascontiguousarray(start, dtype=np.float64)


def _check_options(options) -> SolverOptions:
    if options is None:
        return SolverOptions()
    if not isinstance(options, SolverOptions):
        raise InputError("options", f"must be an evcore.solvers.SolverOptions, got {type(options).__name__}")
    return options


def _check_model(model) -> Model:
    if not isinstance(model, Model):
        raise InputError("model", f"must be an evcore.solvers.Model, got {type(model).__name__}")
    return model


def solve(model: Model, options: SolverOptions | None = None, *, start=None,
          progress=False) -> SolveResult:
    """Solve ``model`` with HiGHS.

    Parameters
    ----------
    model : Model
        The LP, MIP or convex QP (n variables, m rows).
    options : SolverOptions, optional
        Defaults to ``SolverOptions()``.
    start : array_like, shape (n,), optional
        A start point within the column bounds (rows may be violated). For a MIP, an
        incumbent HiGHS checks and keeps if feasible (else it may try to repair it); for an
        LP, HiGHS builds its starting basis from it.
    progress : bool or callable
        ``True``: one summary line on stderr when the solve ends (HiGHS's own log is
        ``SolverOptions.verbose``); a callable gets that report as a
        :class:`~evcore.progress.ProgressRecord` (see :mod:`evcore.progress`).

    Returns
    -------
    SolveResult
        Status ``"optimal"`` or a limit outcome with a feasible ``x``.

    Raises
    ------
    InputError
        Bad ``start``, or ``options.solver`` cannot solve this kind of model (MIQP: none can).
    InfeasibleError, UnboundedError
        HiGHS proved it; ``status`` holds HiGHS's text.
    SolverError
        HiGHS failed, or stopped at a limit before finding a feasible point.
    """
    started = time.perf_counter()
    model = _check_model(model)
    options = _check_options(options)
    reporter = progress_reporter(progress, "solvers.solve", time_limit=options.time_limit, started=started)
    start = None if start is None else _check_start(start, model)
    highs = _build_highs(model, options)
    if start is not None and not _set_start(highs, start):
        raise InputError("start", "HiGHS rejected the start solution")
    result = _run_and_read(highs, options, model.kind, started)
    _report(reporter, result)
    return result


def _report(reporter, result: SolveResult) -> None:
    if reporter.enabled:
        reporter.report(sum(result.iterations.values()), objective=result.objective, bound=result.mip_bound,
                        gap=result.mip_gap, message=f"HiGHS {result.status} ({result.highs_status})", final=True)


class Resolver:
    """One model solved again and again with new costs or bounds, warm-started from the last basis.

    For families of LPs that share their constraint matrix (e.g. one flow problem per time slot):
    the matrix goes to HiGHS once and each :meth:`solve` only changes vectors, in bulk.

    Parameters
    ----------
    model : Model
        The first member of the family (its matrix is kept).
    options : SolverOptions, optional

    Examples
    --------
    >>> resolver = Resolver(Model(objective=[1.0, 1.0], constraint_matrix=[[1.0, 1.0]], row_lower=[1.0]))
    >>> resolver.solve(row_lower=[3.0]).objective
    3.0
    >>> resolver.solve(objective=[float("nan"), 1.0])
    Traceback (most recent call last):
    ...
    evcore.errors.InputError: objective[0]: must be finite, got nan
    """

    def __init__(self, model: Model, options: SolverOptions | None = None):
        model = _check_model(model)
        self.options = _check_options(options)
        self.kind = model.kind
        self._highs = _build_highs(model, self.options)
        self._limits = self.options._limits()
        self._cols = np.arange(model.num_cols, dtype=np.int32)
        self._rows = np.arange(model.num_rows, dtype=np.int32)
        # the row bounds HiGHS holds now: a new lower bound is checked against the kept upper one
        self._row_lower, self._row_upper = model.row_lower, model.row_upper

    def solve(self, *, objective=None, row_lower=None, row_upper=None) -> SolveResult:
        """Solve with the given objective and row bounds (the others kept).

        Parameters
        ----------
        objective : array_like, shape (n,), optional
            New costs; finite.
        row_lower, row_upper : array_like, shape (m,), optional
            New row bounds (``-inf``/``+inf`` for a missing side, no NaN); with the kept other
            side, ``row_lower <= row_upper`` must hold.

        Every array is checked before anything changes: a bad one raises
        :class:`~evcore.errors.InputError` naming it and leaves the resolver as it was.
        Otherwise raises as :func:`solve` does (InfeasibleError with HiGHS's status text, ...).
        """
        started = time.perf_counter()
        highs = self._highs
        cost = None
        if objective is not None:
            cost = _frozen_vector("objective", objective)
            check_finite("objective", check_shape("objective", cost, (self._cols.size,)))
            _check_costs("objective", cost, self._limits)
        lower, upper = self._row_lower, self._row_upper
        if row_lower is not None:
            lower = _bound_vector("row_lower", row_lower, self._rows.size, -np.inf)
            _check_bounds("row_lower", lower, self._limits, "lower")
        if row_upper is not None:
            upper = _bound_vector("row_upper", row_upper, self._rows.size, np.inf)
            _check_bounds("row_upper", upper, self._limits, "upper")
        _check_ordered("row", lower, upper)
        if cost is not None:
            highs.changeColsCost(cost.size, self._cols, np.ascontiguousarray(cost))
        if row_lower is not None or row_upper is not None:
            highs.changeRowsBounds(lower.size, self._rows, np.ascontiguousarray(lower), np.ascontiguousarray(upper))
            self._row_lower, self._row_upper = lower, upper
        return _run_and_read(highs, self.options, self.kind, started)
