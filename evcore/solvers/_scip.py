"""SCIP for bilinear mixed-integer programs (the only place evcore's grid part drives SCIP).

:func:`solve_bilinear` takes a model as arrays: linear rows ``row_lower <= A z <= row_upper``, products
``z[w] = z[a] * z[b]``, column bounds, integrality and a linear objective to maximise, and hands it to SCIP
(``pyscipopt``, extra ``evcore[scip]``) in bulk: one linear constraint per row, one quadratic constraint per
product. SCIP's spatial branch and bound then solves it to its own tolerances (``feasibility_tolerance``).
The choice part keeps its own SCIP code (``evcore.choice._scip``).
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..errors import require

__all__ = ["solve_bilinear", "SCIP_STATUS"]


class _stdout_to_stderr:
    """File descriptor 1 pointed at 2 for the block (C libraries' prints never reach a caller's stdout)."""

    def __enter__(self):
        import os
        import sys

        try:
            sys.stdout.flush()
            self.saved = os.dup(1)
            os.dup2(2, 1)
        except (OSError, ValueError, AttributeError):
            self.saved = None
        return self

    def __exit__(self, *exc):
        import ctypes
        import os

        if self.saved is not None:
            try:
                ctypes.CDLL(None).fflush(None)
            except Exception:  # noqa: BLE001
                pass
            os.dup2(self.saved, 1)
            os.close(self.saved)
        return False

#: SCIP status -> evcore outcome (``optimal``, a limit, ``infeasible`` or ``error``).
SCIP_STATUS = {
    "optimal": "optimal",
    "timelimit": "time_limit",
    "nodelimit": "iteration_limit",
    "totalnodelimit": "iteration_limit",
    "stallnodelimit": "iteration_limit",
    "gaplimit": "gap_reached",
    "sollimit": "iteration_limit",
    "bestsollimit": "iteration_limit",
    "userinterrupt": "time_limit",
    "infeasible": "infeasible",
    "inforunbd": "infeasible",
    "unbounded": "error",
    "unknown": "error",
}


def solve_bilinear(col_lower, col_upper, integer, objective, A, row_lower, row_upper, products, *,
                   time_limit=None, gap=1e-4, feasibility_tolerance=1e-6, threads=1, node_limit=None):
    """Maximise ``objective @ z`` over the bilinear model with SCIP.

    Returns
    -------
    dict
        ``status`` (evcore outcome), ``solver_status`` (SCIP's text), ``x`` (best solution or ``None``),
        ``objective``, ``bound`` (SCIP's dual bound), ``nodes``, ``seconds``.
    """
    pyscipopt = require("pyscipopt", "scip", "SCIP as the off-the-shelf baseline of grid placement")
    started = time.perf_counter()
    model = pyscipopt.Model("evcore_bilinear")
    model.hideOutput()
    n = len(col_lower)
    z = []
    for j in range(n):
        lb = None if not math.isfinite(col_lower[j]) else float(col_lower[j])
        ub = None if not math.isfinite(col_upper[j]) else float(col_upper[j])
        z.append(model.addVar(name=f"z{j}", vtype="I" if integer[j] else "C", lb=lb, ub=ub))
    A = A.tocsr()
    for r in range(A.shape[0]):
        s, e = A.indptr[r], A.indptr[r + 1]
        expr = pyscipopt.quicksum(float(v) * z[c] for c, v in zip(A.indices[s:e], A.data[s:e]))
        lo, hi = row_lower[r], row_upper[r]
        if lo == hi:
            model.addCons(expr == float(lo))
        else:
            if math.isfinite(lo):
                model.addCons(expr >= float(lo))
            if math.isfinite(hi):
                model.addCons(expr <= float(hi))
    for w, a, b in products:
        model.addCons(z[w] == z[a] * z[b])
    model.setObjective(pyscipopt.quicksum(float(c) * z[j] for j, c in enumerate(objective) if c != 0.0),
                       sense="maximize")
    if time_limit is not None:
        model.setParam("limits/time", max(float(time_limit), 1.0))
    if node_limit is not None:
        model.setParam("limits/nodes", int(node_limit))
    model.setParam("limits/gap", float(gap))
    model.setParam("numerics/feastol", float(feasibility_tolerance))
    try:
        model.setParam("parallel/maxnthreads", int(threads))
    except Exception:  # noqa: BLE001 - older SCIP builds lack the parameter
        pass
    with _stdout_to_stderr():  # SoPlex prints notes on the C stdout even with SCIP's output hidden
        model.optimize()
    text = model.getStatus()
    outcome = SCIP_STATUS.get(text, "error")
    x = None
    objective_value = -math.inf
    if model.getNSols() > 0:
        sol = model.getBestSol()
        x = np.array([model.getSolVal(sol, v) for v in z])
        objective_value = float(model.getSolObjVal(sol))
    try:
        bound = float(model.getDualbound())
    except Exception:  # noqa: BLE001
        bound = math.inf
    return dict(status=outcome, solver_status=text, x=x, objective=objective_value, bound=bound,
                nodes=int(model.getNTotalNodes()), seconds=time.perf_counter() - started)
