"""``method="scip"``: the seed's bilinear model (:mod:`._bilinear`) handed to SCIP through
:mod:`evcore.solvers._scip`, with loose bounds (node voltages within +-1 pu of nominal) or tight ones
(``deviation_pu`` around nominal, default 0.12 pu, then the seed's bound tightening). SCIP's answer is
checked by evcore's power flow like every other (:func:`._solve.finalize`)."""

from __future__ import annotations

import math

import numpy as np

from ._bilinear import build_bilinear
from ._paper import propagate_bounds

__all__ = ["solve_scip"]


def solve_scip(instance, *, gap=1e-4, time_limit=None, reporter=None, bounds="tight", feasibility_tolerance=1e-6,
               deviation_pu=None, threads=1):
    from ..._validate import check_choice
    from ...solvers._scip import solve_bilinear

    check_choice("bounds", bounds, ("loose", "tight"))
    dev = deviation_pu if deviation_pu is not None else (1.0 if bounds == "loose" else 0.12)
    model = build_bilinear(instance, deviation_pu=float(dev))
    lo, hi = propagate_bounds(model, model.col_lower.copy(), model.col_upper.copy())
    res = solve_bilinear(lo, hi, model.integer, model.objective, model.A, model.row_lower, model.row_upper,
                         model.products, time_limit=time_limit, gap=gap,
                         feasibility_tolerance=float(feasibility_tolerance), threads=int(threads))
    n = None if res["x"] is None else np.round(res["x"][model.index["n"]])
    status = res["status"]
    if status == "gap_reached":
        status = "optimal"
    if status == "error":
        status = "time_limit" if n is None else "feasible"
    bound = res["bound"] if math.isfinite(res["bound"]) else None
    return dict(status=status, chargers=n, bound=bound, nodes=res["nodes"], solver_status=res["solver_status"],
                scip_objective=res["objective"], scip_seconds=res["seconds"], bounds=bounds,
                feasibility_tolerance=feasibility_tolerance, proven_infeasible=False,
                reason="SCIP reported the bilinear model infeasible")
