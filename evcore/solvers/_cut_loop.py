"""Constraints generated on demand: solve, separate, add the violated rows, re-solve.

HiGHS 1.15 has no lazy-constraint callback evcore can rely on, so the loop re-solves the
same ``highspy.Highs`` object after appending rows in bulk with ``addRows``. An LP re-solve
starts from the previous basis; a MIP re-solve gets the previous incumbent as a start
(HiGHS tries to repair it when the new rows cut it off).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from .._validate import as_array, as_scalar, check_finite, check_nonnegative, first_index
from ..errors import InputError, SolverError
from ..progress import progress_reporter
from ._highs import (SolveResult, _build_highs, _check_bounds, _check_matrix, _check_model, _check_options,
                     _NoFeasiblePointError, _run_and_read, _set_start)
from ._model import Model, _as_csr, _bound_vector
from ._options import SolverOptions

__all__ = ["Cuts", "CutRound", "CutLoopResult", "cut_loop", "RowGenerationLP", "LPState"]


@dataclass(frozen=True, eq=False)
class Cuts:
    """Rows returned by a separator: ``lower <= matrix @ x <= upper``.

    Parameters
    ----------
    matrix : sparse or array_like, shape (k, n)
        Coefficients (finite); stored as a float64 CSR array.
    lower, upper : array_like, shape (k,)
        Row bounds, ``-inf``/``+inf`` for a missing side (no NaN, ``lower <= upper``, no lower
        bound of ``+inf`` nor upper bound of ``-inf``).

    Examples
    --------
    >>> cuts = Cuts([[1.0, 1.0]], lower=[1.0], upper=[float("inf")])
    >>> cuts.violation([0.25, 0.25]).tolist()
    [0.5]
    """

    matrix: sp.csr_array
    lower: np.ndarray
    upper: np.ndarray

    def __post_init__(self):
        matrix = _as_csr("matrix", self.matrix, (None, None))
        k = matrix.shape[0]
        lower = _cut_bounds("lower", self.lower, k)
        upper = _cut_bounds("upper", self.upper, k)
        bad = lower > upper
        if bad.any():
            i = first_index(bad)
            raise InputError("lower", f"greater than upper[{i}] ({lower[i]} > {upper[i]})", i)
        object.__setattr__(self, "matrix", matrix)
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)

    @property
    def num_rows(self) -> int:
        """Number of rows ``k``."""
        return int(self.matrix.shape[0])

    def violation(self, x: np.ndarray) -> np.ndarray:
        """How far each row is from holding at ``x`` (shape (n,), finite); 0 where it holds. Shape (k,)."""
        x = check_finite("x", as_array("x", x, ndim=1, shape=(self.matrix.shape[1],)))
        activity = self.matrix @ x
        return np.maximum(np.maximum(self.lower - activity, activity - self.upper), 0.0)


@dataclass(frozen=True)
class CutRound:
    """One round of :func:`cut_loop`: a solve of the current relaxation, then separation.

    Attributes
    ----------
    round : int
        1 for the first solve.
    status : str
        Status of this round's solve (see :class:`SolveResult`).
    objective : float
        Objective of the relaxation's solution. The relaxation has a subset of the full
        problem's constraints, so its feasible set contains the full problem's and, solved to
        optimality, its objective is a lower bound on the full optimum for ``"min"`` (upper
        for ``"max"``). For a MIP solved within a gap the valid bound is ``mip_bound``.
    mip_bound : float or None
        The relaxation's own MIP dual bound (``None`` for an LP/QP).
    bound : float
        Best valid bound on the full problem so far (monotone across rounds: non-decreasing
        for min, non-increasing for max; ``-inf``/``+inf`` while none is known).
    rows_added : int
        Violated rows found at this round's solution and appended to the model.
    max_violation : float
        Largest violation at this round's solution among the rows the separator returned.
    wall_time : float
        Seconds for this round (solve plus separation).
    """

    round: int
    status: str
    objective: float
    mip_bound: float | None
    bound: float
    rows_added: int
    max_violation: float
    wall_time: float


@dataclass(frozen=True, eq=False)
class CutLoopResult:
    """Outcome of :func:`cut_loop`.

    Attributes
    ----------
    status : str
        ``"optimal"``: the separator found no row violated beyond ``tolerance`` at the
        relaxation's optimum, so ``x`` solves the full problem (within the MIP gap).
        ``"round_limit"`` or ``"time_limit"`` (or another HiGHS limit outcome): stopped early;
        ``x`` is the last relaxation's solution and may violate generated rows.
    result : SolveResult
        The last relaxation solve that produced a point.
    x : numpy.ndarray, shape (n,)
        ``result.x``.
    objective : float
        ``result.objective``.
    bound : float
        Best valid bound on the full problem (lower for min, upper for max).
    rounds : tuple of CutRound
        One record per solve.
    rows_added : int
        Rows appended to the model over all rounds.
    max_violation : float
        Largest violation at ``x`` among the rows the separator returned for it.
    wall_time : float
        Seconds for the whole loop.
    """

    status: str
    result: SolveResult
    x: np.ndarray
    objective: float
    bound: float
    rounds: tuple[CutRound, ...]
    rows_added: int
    max_violation: float
    wall_time: float


def _cut_bounds(field: str, value, k: int) -> np.ndarray:
    default = -np.inf if field == "lower" else np.inf
    if value is None:
        raise InputError(field, f"must be {k} row bounds (use {default} for a missing side), got None")
    return np.ascontiguousarray(_bound_vector(field, value, k, default))


def _read_cuts(value, n: int, limits: dict | None = None) -> Cuts | None:
    """``separate``'s return value as :class:`Cuts` with n columns; errors name "separate"."""
    if value is None or (isinstance(value, (tuple, list)) and len(value) == 0):
        return None
    try:
        if not isinstance(value, Cuts):
            if not isinstance(value, (tuple, list)) or len(value) != 3:
                raise InputError("separate", "must return None, a Cuts or a (matrix, lower, upper) "
                                             f"triple, got {type(value).__name__}")
            value = Cuts(*value)
        if limits is not None:
            _check_matrix("matrix", value.matrix, limits)
            _check_bounds("lower", value.lower, limits, "lower")
            _check_bounds("upper", value.upper, limits, "upper")
    except InputError as exc:
        if exc.field == "separate":
            raise
        where = exc.field if exc.index is None else f"{exc.field}[{', '.join(map(str, np.atleast_1d(exc.index)))}]"
        raise InputError("separate", f"returned {where}: {exc.problem}") from None
    if value.matrix.shape[1] != n:
        raise InputError("separate", f"returned a matrix with {value.matrix.shape[1]} columns; "
                                     f"the model has {n} variables")
    return value


def _add_rows(highs: highspy.Highs, cuts: Cuts, rows: np.ndarray) -> None:
    block = cuts.matrix[rows]
    status = highs.addRows(block.shape[0], cuts.lower[rows], cuts.upper[rows], block.nnz,
                           block.indptr.astype(np.int32), block.indices.astype(np.int32), block.data)
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the generated rows (addRows)",
                          highs.modelStatusToString(highs.getModelStatus()))


def _relaxation_bound(result: SolveResult) -> float | None:
    if result.mip_bound is not None:
        return result.mip_bound
    return result.objective if result.status == "optimal" else None


def cut_loop(model: Model, separate: Callable[[np.ndarray], object],
             options: SolverOptions | None = None, *, max_rounds: int = 100,
             time_limit: float | None = None, tolerance: float = 1e-7,
             progress: bool = False) -> CutLoopResult:
    """Solve ``model`` plus constraints produced on demand by ``separate``.

    Each round solves the current relaxation, calls ``separate(x)`` and checks the returned
    rows at ``x``; rows violated by more than ``tolerance`` are appended to the model and the
    model is re-solved. The loop ends ``"optimal"`` when no returned row is violated.

    Parameters
    ----------
    model : Model
        The LP, MIP or QP without the generated constraints. It must be bounded: an
        unbounded relaxation has no point to separate.
    separate : callable
        ``separate(x)`` with ``x`` of shape (n,) returns ``None`` (or ``()``, or zero rows) when ``x``
        satisfies every generated constraint, else a :class:`Cuts` or a ``(matrix, lower,
        upper)`` triple of shapes (k, n), (k,), (k,). Rows that ``x`` satisfies are dropped,
        so each round only adds rows that cut off the current point.
    options : SolverOptions, optional
        For every solve; ``options.time_limit`` caps each solve.
    max_rounds : int
        Most solves.
    time_limit : float, optional
        Seconds for the whole loop; each solve gets what remains.
    tolerance : float
        Violation above which a row counts as violated. Keep it at or above HiGHS's
        feasibility tolerances (1e-7 for LP rows, 1e-6 for MIPs) when the separator can
        return rows already in the model.
    progress : bool or callable
        ``True``: one line per round on stderr; a callable gets one
        :class:`~evcore.progress.ProgressRecord` per round (see :mod:`evcore.progress`).

    Returns
    -------
    CutLoopResult
        Limits never raise: the best answer so far comes back with its status.

    Raises
    ------
    InputError
        Bad arguments, or ``separate`` returned something malformed (field ``"separate"``:
        rows of the wrong width, NaN or infinite coefficients, NaN bounds, ``lower > upper``,
        entries HiGHS would read as infinite). An exception raised inside ``separate`` itself
        propagates unchanged.
    InfeasibleError
        A relaxation is infeasible, hence so is the full problem.
    UnboundedError
        A relaxation is unbounded.
    SolverError
        HiGHS failed, or the first solve hit a limit before any feasible point (then
        ``outcome`` names the limit).
    """
    started = time.perf_counter()
    model = _check_model(model)
    if not callable(separate):
        raise InputError("separate", f"must be callable, got {type(separate).__name__}")
    options = _check_options(options)
    max_rounds = as_scalar("max_rounds", max_rounds, int)
    if max_rounds < 1:
        raise InputError("max_rounds", f"must be at least 1, got {max_rounds}")
    if time_limit is not None:
        time_limit = as_scalar("time_limit", time_limit)
        check_nonnegative("time_limit", np.asarray(time_limit), allow_inf=True)
    tolerance = as_scalar("tolerance", tolerance)
    check_nonnegative("tolerance", np.asarray(tolerance))
    reporter = progress_reporter(progress, "solvers.cut_loop", time_limit=time_limit, max_iterations=max_rounds,
                                 started=started)
    limits = options._limits()

    deadline = None if time_limit is None or math.isinf(time_limit) else started + time_limit
    better = max if model.sense == "min" else min  # a larger lower bound / smaller upper bound
    bound = -math.inf if model.sense == "min" else math.inf
    highs = _build_highs(model, options)
    rounds: list[CutRound] = []
    result: SolveResult | None = None
    max_violation = math.inf
    total_added = 0
    status = "round_limit"

    for number in range(1, max_rounds + 1):
        round_started = time.perf_counter()
        solve_limit = options.time_limit
        if deadline is not None:
            remaining = deadline - round_started
            if result is not None and remaining <= 0:
                status = "time_limit"
                break
            solve_limit = remaining if solve_limit is None else min(solve_limit, remaining)
        try:
            current = _run_and_read(highs, options, model.kind, round_started,
                                    time_limit=math.inf if solve_limit is None else solve_limit)
        except _NoFeasiblePointError as exc:
            if result is None:
                raise
            status = exc.outcome
            break
        result = current
        relaxation_bound = _relaxation_bound(result)
        if relaxation_bound is not None:
            bound = better(bound, relaxation_bound)

        cuts = _read_cuts(separate(result.x.copy()), model.num_cols, limits)
        violation = np.zeros(0) if cuts is None else cuts.violation(result.x)
        max_violation = float(violation.max()) if violation.size else 0.0
        violated = np.flatnonzero(violation > tolerance)
        if violated.size:
            _add_rows(highs, cuts, violated)
            total_added += violated.size
        rounds.append(CutRound(round=number, status=result.status, objective=result.objective,
                               mip_bound=result.mip_bound, bound=bound, rows_added=int(violated.size),
                               max_violation=max_violation,
                               wall_time=time.perf_counter() - round_started))
        if reporter.enabled:
            reporter.report(number, objective=result.objective, bound=bound,
                            message=f"rows added {violated.size}, max violation {max_violation:.3g}",
                            force=True)
        if result.status != "optimal":
            status = result.status  # a limit inside the solve ends the loop
            break
        if not violated.size:
            status = "optimal"
            break
        if model.is_mip:
            # HiGHS refuses a start outside the column bounds, and x may sit a tolerance
            # outside; it is only a hint, so clip it and ignore a refusal.
            _set_start(highs, np.clip(result.x, model.col_lower, model.col_upper))

    return CutLoopResult(status=status, result=result, x=result.x, objective=result.objective,
                         bound=bound, rounds=tuple(rounds), rows_added=total_added,
                         max_violation=max_violation, wall_time=time.perf_counter() - started)


@dataclass(frozen=True, eq=False)
class LPState:
    """One solve of a :class:`RowGenerationLP`.

    Attributes
    ----------
    status : str
        ``"optimal"``, ``"infeasible"`` or one of :data:`~evcore.solvers.LIMIT_OUTCOMES`.
    objective : float
        HiGHS's objective value (``nan`` unless optimal).
    x : numpy.ndarray, shape (n,)
        Column values (of the last basis; meaningful when optimal).
    row_duals : numpy.ndarray, shape (m,) or None
        Row duals in the model's own sense (see :class:`SolveResult`), when HiGHS has them.
    dual_ray : numpy.ndarray, shape (m,) or None
        A Farkas ray when the LP is infeasible and HiGHS gives one (to be verified by the caller).
    iterations : int
        Simplex iterations of this solve.
    """

    status: str
    objective: float
    x: np.ndarray
    row_duals: np.ndarray | None
    dual_ray: np.ndarray | None
    iterations: int


class RowGenerationLP:
    """An LP kept in one HiGHS object and re-solved warm as rows are appended and column
    bounds change: the node LPs of a branch-and-cut.

    Unlike :func:`solve` it never raises on an infeasible LP (a branch-and-cut node may well be
    infeasible): the status says so and a dual ray comes back for the caller to verify. HiGHS's
    answers are numbers to be checked, not proofs: a caller that certifies bounds should do so
    from :attr:`LPState.row_duals` with its own safe arithmetic.

    Parameters
    ----------
    model : Model
        An LP (no integrality, no hessian).
    options : SolverOptions, optional
        Presolve is forced off (a warm re-solve needs the original model's basis).
    """

    def __init__(self, model: Model, options: SolverOptions | None = None):
        if not isinstance(model, Model):
            raise InputError("model", f"must be an evcore.solvers.Model, got {type(model).__name__}")
        if model.kind != "lp":
            raise InputError("model", f"must be an LP, got a {model.kind.upper()}")
        options = SolverOptions() if options is None else options
        self.options = options
        self._highs = _build_highs(model, options)
        self._highs.setOptionValue("presolve", "off")
        self.num_cols = model.num_cols
        self.num_rows = model.num_rows

    def add_rows(self, matrix, lower, upper) -> None:
        """Append rows ``lower <= matrix @ x <= upper`` (matrix: CSR, shape (k, n))."""
        cuts = Cuts(matrix, lower, upper)
        if cuts.matrix.shape[1] != self.num_cols:
            raise InputError("matrix", f"has {cuts.matrix.shape[1]} columns; the model has {self.num_cols}")
        if cuts.num_rows:
            _add_rows(self._highs, cuts, np.arange(cuts.num_rows))
            self.num_rows += cuts.num_rows

    def delete_rows(self, rows) -> None:
        """Delete rows by index (the later rows move up, keeping their order)."""
        rows = np.unique(np.asarray(rows, dtype=np.int32))
        if rows.size:
            if self._highs.deleteRows(rows.size, rows) == highspy.HighsStatus.kError:
                raise SolverError("HiGHS refused to delete rows", _status_text_of(self._highs))
            self.num_rows -= rows.size

    def set_col_bounds(self, cols, lower, upper) -> None:
        """Change the bounds of columns ``cols`` (arrays of equal length)."""
        cols = np.ascontiguousarray(cols, dtype=np.int32)
        status = self._highs.changeColsBounds(cols.size, cols, np.ascontiguousarray(lower, dtype=np.float64),
                                              np.ascontiguousarray(upper, dtype=np.float64))
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS refused the column bounds", _status_text_of(self._highs))

    def solve(self, time_limit: float | None = None) -> LPState:
        """Re-solve from the last basis."""
        from ._highs import STATUS_TABLE, _run

        highs = self._highs
        # HiGHS's time_limit is on the object's cumulative run time (see _run_and_read).
        highs.setOptionValue("time_limit", math.inf if time_limit is None else
                             highs.getRunTime() + max(float(time_limit), 0.0))
        before = highs.getInfo().simplex_iteration_count
        _run(highs, self.options.threads)
        outcome = STATUS_TABLE.get(highs.getModelStatus(), "error")
        info = highs.getInfo()
        iterations = max(int(info.simplex_iteration_count) - max(int(before), 0), 0)
        if outcome == "unbounded_or_infeasible":
            outcome = "infeasible"  # every column of a branch-and-cut LP is bounded
        if outcome == "infeasible":
            has_ray = False
            ray = None
            try:
                _, has_ray, values = highs.getDualRay()
                ray = np.asarray(values, dtype=np.float64) if has_ray else None
            except Exception:  # noqa: BLE001 - a missing ray only weakens the caller's check
                ray = None
            return LPState("infeasible", math.nan, np.zeros(self.num_cols), None, ray, iterations)
        if outcome in ("error", "unbounded", "empty"):
            raise SolverError("HiGHS failed on a branch-and-cut LP", _status_text_of(highs))
        solution = highs.getSolution()
        x = np.asarray(solution.col_value, dtype=np.float64)
        duals = np.asarray(solution.row_dual, dtype=np.float64) if solution.dual_valid else None
        objective = float(info.objective_function_value) if outcome == "optimal" else math.nan
        return LPState(outcome, objective, x, duals, None, iterations)


def _status_text_of(highs: highspy.Highs) -> str:
    return highs.modelStatusToString(highs.getModelStatus())
