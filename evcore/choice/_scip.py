"""SGI as true lazy constraints: a PySCIPOpt constraint handler (the optional ``evcore[scip]``).

The same master as :func:`evcore.choice._sgi.base_model` (planning rows on x, theta in
[0, r̄]) goes to SCIP in one branch-and-bound tree; a constraint handler with negative check
and enforcement priorities (so integrality is enforced first and it sees integral LP
solutions) rejects any candidate whose theta exceeds h at the candidate's rounded plan and,
during enforcement, adds the violated tangent planes (and, for equal revenues, the submodular
cuts) as global linear constraints: lazy constraints in SCIP's sense. The cuts come from
:meth:`evcore.choice._sgi.SGISeparator.violated_cuts`, exactly as in the HiGHS cut loop, then
are already safe (:func:`evcore.choice._planes.safe_rows`: exact coefficient tightening, tiny
coefficients in the right-hand side, a rounding margin), which SCIP's LP needs on ill-scaled
data; the orchestration differs (one tree instead of a MILP re-solved per round).
Lazy rows make SCIP's dual reductions, symmetry handling and restarts unsafe: they are off.

Reference: seed 001, SGI formulation (the issue's restatement of Theorems 1-2).
"""

from __future__ import annotations

import logging
import time

import numpy as np
import scipy.sparse as sp

from ..errors import InfeasibleError, InputError, SolverError
from ..solvers import Model
from ._sgi import Layout, SGISeparator, start_point

logger = logging.getLogger(__name__)

#: SCIP's statuses that leave a proven answer or a limit with the best plan so far.
_LIMIT_STATUSES = {"timelimit": "time_limit", "gaplimit": "optimal", "optimal": "optimal", "nodelimit": "iteration_limit",
                   "userinterrupt": "time_limit", "memlimit": "feasible", "stallnodelimit": "iteration_limit",
                   "totalnodelimit": "iteration_limit", "sollimit": "feasible", "bestsollimit": "feasible",
                   "restartlimit": "feasible"}


def _pyscipopt():
    from ..errors import require

    return require("pyscipopt", "scip", "method 'scip-lazy'")


def scip_master(milp: Model):
    """``milp`` (an :class:`evcore.solvers.Model`) as a PySCIPOpt model, variables in bulk.

    Returns
    -------
    scip : pyscipopt.Model
    variables : numpy.ndarray of pyscipopt.Variable, shape (num_cols,)
    terms : list of pyscipopt.Term, one per column (to build rows from CSR data cheaply)
    """
    pyscipopt = _pyscipopt()
    scip = pyscipopt.Model("evcore-choice-sgi")
    integral = np.zeros(milp.num_cols, bool) if milp.integrality is None else np.asarray(milp.integrality, bool)
    upper = np.where(np.isfinite(milp.col_upper), milp.col_upper, None)
    lower = np.where(np.isfinite(milp.col_lower), milp.col_lower, None)
    variables = scip.addMatrixVar((milp.num_cols,), name="v", vtype=np.where(integral, "I", "C"), lb=lower, ub=upper,
                                  obj=np.asarray(milp.objective, float))
    variables = np.asarray(variables, dtype=object).reshape(-1)
    terms = [pyscipopt.scip.Term(v) for v in variables]
    if milp.sense == "max":
        scip.setMaximize()
    add_rows(scip, terms, milp.constraint_matrix.tocsr(), milp.row_lower, milp.row_upper, "planning")
    return scip, variables, terms


def add_rows(scip, terms, matrix, lower, upper, name, **flags) -> list:
    """Linear constraints ``lower <= matrix @ v <= upper`` (one Python object per row, not per entry)."""
    pyscipopt = _pyscipopt()
    Expr, ExprCons = pyscipopt.scip.Expr, pyscipopt.scip.ExprCons
    added = []
    for row in range(matrix.shape[0]):
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        expression = Expr({terms[c]: float(a) for c, a in zip(matrix.indices[start:stop], matrix.data[start:stop])})
        low = None if not np.isfinite(lower[row]) else float(lower[row])
        high = None if not np.isfinite(upper[row]) else float(upper[row])
        added.append(scip.addCons(ExprCons(expression, low, high), name=f"{name}{row}", **flags))
    return added


def tighten_rows(matrix, upper, col_lower, col_upper, integral, epsilon: float = 1e-9):
    """Rows ``matrix @ v <= upper`` with the same integer points, and coefficients SCIP can trust.

    Tangent planes of h at a plan where a user's denominator is tiny (HM14 with beta = 5: utilities
    down to 1e-79) carry coefficients up to 1e14 on closed sites; SCIP's LP then cut off the
    optimum (a plan 32% below it was declared optimal). Two exact reformulations fix that:

    * a coefficient below ``epsilon`` in magnitude is dropped, its worst case over the column's
      bounds moved into the right-hand side (a relaxation by at most ``epsilon`` per entry);
    * a negative coefficient a_j of a 0/1 column is raised to ``upper - maxact`` (maxact: the
      row's largest activity over the bounds) when below it: with v_j = 1 the row then still
      cannot be violated, with v_j = 0 nothing changes (classical coefficient tightening). For a
      plane at x̂ open sites keep their coefficients (the plane would exceed r̄ at x̂ otherwise),
      so the plane stays exact at x̂; closed sites get at most ``r̄ - c + sum |negative g|``.

    Parameters
    ----------
    matrix : scipy.sparse.csr_array, shape (rows, columns)
    upper : numpy.ndarray, shape (rows,)
    col_lower, col_upper : numpy.ndarray, shape (columns,)
        Finite bounds of every column in the rows.
    integral : numpy.ndarray of bool, shape (columns,)

    Returns
    -------
    matrix : scipy.sparse.csr_array, upper : numpy.ndarray
    """
    count = matrix.shape[0]
    rows = np.repeat(np.arange(count), np.diff(matrix.indptr))
    cols, coefficients = matrix.indices, matrix.data.astype(float)
    low, high = coefficients * col_lower[cols], coefficients * col_upper[cols]
    tiny = np.abs(coefficients) < epsilon
    upper = upper - np.bincount(rows[tiny], weights=np.minimum(low, high)[tiny], minlength=count)
    coefficients = np.where(tiny, 0.0, coefficients)
    most = np.bincount(rows, weights=np.where(tiny, 0.0, np.maximum(low, high)), minlength=count)
    binary = integral[cols] & (col_lower[cols] == 0.0) & (col_upper[cols] == 1.0)
    floor = np.minimum((upper - most)[rows], 0.0)
    coefficients = np.where(binary & (coefficients < 0.0), np.maximum(coefficients, floor), coefficients)
    tightened = sp.csr_array((coefficients, cols.copy(), matrix.indptr.copy()), shape=matrix.shape)
    tightened.eliminate_zeros()
    return tightened, upper


def lazy_handler_class():
    """The constraint handler class (defined lazily: pyscipopt is optional)."""
    pyscipopt = _pyscipopt()
    Result = pyscipopt.SCIP_RESULT

    class SGIConshdlr(pyscipopt.Conshdlr):
        """Tangent planes of h (and submodular cuts) as lazy constraints.

        ``conscheck`` says INFEASIBLE when a candidate violates a plane not yet in the model;
        ``consenfolp``/``consenfops`` add those planes as global linear constraints and say
        CONSADDED. A plane already added that the point still violates by more than the
        separator's tolerance is within SCIP's own (relative) feasibility tolerance on that
        row, so it is not added again (that would loop) and the point is accepted.
        """

        def __init__(self, separator: SGISeparator, milp: Model, variables, terms, reporter):
            self.separator = separator
            self.milp = milp
            self.variables = variables
            self.terms = terms
            self.reporter = reporter
            self.fractional = None  # an SGISeparator(fractional=True) to separate at LP points
            self.separations = 0
            self.seen: set = set()
            self.cuts_added = 0
            self.rounds = 0

        def _point(self, solution):
            return np.asarray([self.model.getSolVal(solution, v) for v in self.variables], float)

        def _new_cuts(self, solution):
            layout: Layout = self.separator.layout
            x = self._point(solution)
            found = self.separator.violated_cuts(x, layout.plan(x))
            if found is None:
                return []
            matrix, upper = found
            fresh = []
            for row in range(matrix.shape[0]):
                start, stop = matrix.indptr[row], matrix.indptr[row + 1]
                key = (matrix.indices[start:stop].tobytes(), matrix.data[start:stop].tobytes(), float(upper[row]))
                if key not in self.seen:
                    fresh.append((row, key))
            return [(matrix, upper, fresh)] if fresh else []

        def conscheck(self, constraints, solution, checkintegrality, checklprows, printreason, completely):
            feasible = not self._new_cuts(solution)
            return {"result": Result.FEASIBLE if feasible else Result.INFEASIBLE}

        def _enforce(self):
            found = self._new_cuts(None)  # None: the current LP (or pseudo) solution
            if not found:
                return {"result": Result.FEASIBLE}
            matrix, upper, fresh = found[0]
            rows = np.array([row for row, _ in fresh])
            self.seen.update(key for _, key in fresh)
            # The rows are safe already (exact tightening, rounding margin).
            add_rows(self.model, self.terms, matrix[rows], np.full(rows.size, -np.inf), upper[rows],
                     f"sgi{self.rounds}_", removable=False)
            self.cuts_added += rows.size
            self.rounds += 1
            logger.debug("scip-lazy enforcement %d: %d planes added (%d in all)", self.rounds, rows.size,
                         self.cuts_added)
            if self.reporter is not None:
                self.reporter.report(self.rounds, message=f"{self.cuts_added} planes added")
            return {"result": Result.CONSADDED}

        def consenfolp(self, constraints, nusefulconss, solinfeasible):
            return self._enforce()

        def conssepalp(self, constraints, nusefulconss):
            # Tangent planes at the fractional LP point: valid on the whole cube (h is concave).
            if self.fractional is None:
                return {"result": Result.DIDNOTRUN}
            layout: Layout = self.separator.layout
            x = self._point(None)
            anchor = np.moveaxis(np.clip(x[: layout.num_x], 0.0, 1.0).reshape(layout.groups, layout.sites,
                                                                                  layout.types), 0, -1)
            found = self.fractional.violated_cuts(x, anchor)
            if found is None:
                return {"result": Result.DIDNOTFIND}
            matrix, upper = found
            add_rows(self.model, self.terms, matrix, np.full(matrix.shape[0], -np.inf), upper,
                     f"sgilp{self.separations}_", removable=True)
            self.separations += 1
            self.cuts_added += matrix.shape[0]
            return {"result": Result.CONSADDED}

        def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
            return self._enforce()

        def conslock(self, constraint, locktype, nlockspos, nlocksneg):
            # Raising theta can violate a plane; moving x either way can (gradients of h change
            # sign with several revenues), so theta is locked up and x both ways.
            layout: Layout = self.separator.layout
            both = nlockspos + nlocksneg
            for v in self.variables[: layout.num_x]:
                self.model.addVarLocksType(v, locktype, both, both)
            for v in self.variables[layout.num_x :]:
                self.model.addVarLocksType(v, locktype, nlocksneg, nlockspos)

    return SGIConshdlr


def solve_scip_lazy(instance, layout: Layout, milp: Model, *, submodular: bool, time_limit: float | None, gap: float,
                    reporter=None, verbose: bool = False, stations=None, max_nodes=None, fractional: bool = False,
                    start_plan=None):
    """Solve the SGI master in SCIP with the planes as lazy constraints.

    ``start_plan`` (sites, types, groups), a plan that keeps the planning rules, is handed to
    SCIP as its first solution (with theta = h, which every plane allows): on Trois-Rivieres
    trees SCIP found no plan better than building nothing in 60 s without it.

    Returns
    -------
    plan : numpy.ndarray, shape (sites, types, groups)
        The best plan SCIP found (rounded).
    bound : float
        SCIP's dual bound (an upper bound on the optimum, maximisation).
    status : str
        ``"optimal"`` (SCIP proved optimality or reached ``gap``), else the limit reached.
    rounds : int
        Enforcement calls that added planes.
    cuts : int
        Planes added.
    """
    started = time.perf_counter()
    scip, variables, terms = scip_master(milp)
    separator = SGISeparator(instance, layout, gap=gap, submodular=submodular, stations=stations, tolerance=1e-8)
    handler = lazy_handler_class()(separator, milp, variables, terms, reporter)
    if fractional:
        handler.fractional = SGISeparator(instance, layout, fractional=True, stations=stations, tolerance=1e-6)
    scip.includeConshdlr(handler, "evcore_sgi", "subgradient inequalities of h as lazy constraints",
                         chckpriority=-10, enfopriority=-10, sepapriority=-10, sepafreq=1 if fractional else -1,
                         needscons=False)
    if not verbose:
        scip.hideOutput()
    if max_nodes is not None:
        scip.setParam("limits/totalnodes", int(min(max_nodes, 2**31 - 1)))
    scip.setParam("limits/gap", float(gap) / 4)
    scip.setParam("limits/absgap", 0.0)
    # Tolerances of 1e-9 (SCIP's defaults: 1e-6 feasibility, 1e-7 dual): the certificate then
    # needs only a small margin.
    scip.setParam("numerics/feastol", 1e-9)
    scip.setParam("numerics/dualfeastol", 1e-9)
    # Constraints added during the search refer to the original variables; a restart would
    # re-presolve the problem under them, which buys nothing for these small masters.
    scip.setParam("presolving/maxrestarts", 0)
    # Dual reductions and symmetry handling reason about the rows SCIP knows; rows that arrive
    # later invalidate them (seen on HM14: a plan at 38% of the optimum declared optimal), so
    # lazy constraints need them off.
    scip.setParam("misc/allowstrongdualreds", False)
    scip.setParam("misc/allowweakdualreds", False)
    scip.setParam("misc/usesymmetry", 0)
    if time_limit is not None:
        # What remains once the master is built (row by row in Python: seconds on large trees),
        # so that the limit holds for the whole call; SCIP's clock starts at optimize().
        scip.setParam("limits/time", max(float(time_limit) - (time.perf_counter() - started), 1e-3))
    if start_plan is not None:
        solution = scip.createSol()
        for variable, value in zip(variables, start_point(separator, start_plan)):
            scip.setSolVal(solution, variable, float(value))
        scip.addSol(solution)
    scip.optimize()
    raw = scip.getStatus()
    if raw == "infeasible":
        raise InfeasibleError("no plan satisfies the planning rows (at most one type per site, never dismantled, "
                              "budgets, the number of stations)", raw)
    if raw not in _LIMIT_STATUSES:
        raise SolverError(f"SCIP ended the scip-lazy solve with status {raw!r}", raw)
    bound = float(scip.getDualbound())
    if scip.getNSols() == 0:
        return None, bound, _LIMIT_STATUSES[raw], handler.rounds, handler.cuts_added
    best = scip.getBestSol()
    x = np.asarray([scip.getSolVal(best, v) for v in variables], float)
    return layout.plan(x), bound, _LIMIT_STATUSES[raw], handler.rounds, handler.cuts_added
