"""evcore.solvers: the only place in evcore that calls HiGHS.

- :class:`Model` holds an LP, MIP or convex QP as arrays and a sparse matrix, validated once.
- :func:`solve` hands it to HiGHS in bulk (``passModel``/``passHessian``, no per-row Python
  loop) and translates HiGHS's status through one table, :data:`STATUS_TABLE`: limits come
  back as :class:`SolveResult` statuses, infeasible/unbounded models raise
  :class:`~evcore.errors.InfeasibleError`/:class:`~evcore.errors.UnboundedError`, failures
  :class:`~evcore.errors.SolverError`, each carrying HiGHS's own status text.
- :class:`SolverOptions` chooses the algorithm among :data:`SOLVER_CAPABILITIES`, which
  declares which model kinds each can solve.
- :class:`Resolver` re-solves one model with new costs or row bounds, warm-started.
- :func:`cut_loop` solves models whose constraints are generated on demand;
  :class:`RowGenerationLP` keeps one LP warm across appended rows and bound changes (the
  node LPs of a branch-and-cut).

Example
-------
>>> from evcore.solvers import Model, solve
>>> result = solve(Model(objective=[-1, -1], constraint_matrix=[[1, 2], [3, 1]],
...                      row_upper=[4, 6]))
>>> round(result.objective, 6), result.row_duals.round(6).tolist()
(-2.8, [-0.4, -0.2])
"""

from __future__ import annotations

from ._cut_loop import Cuts, CutLoopResult, CutRound, LPState, RowGenerationLP, cut_loop
from ._highs import LIMIT_OUTCOMES, STATUS_TABLE, Resolver, SolveResult, solve
from ._model import MODEL_KINDS, Model
from ._options import SOLVER_CAPABILITIES, SolverOptions, available_solvers

__all__ = [
    "Model",
    "MODEL_KINDS",
    "SolverOptions",
    "SOLVER_CAPABILITIES",
    "available_solvers",
    "SolveResult",
    "STATUS_TABLE",
    "LIMIT_OUTCOMES",
    "solve",
    "Resolver",
    "Cuts",
    "CutRound",
    "CutLoopResult",
    "cut_loop",
    "RowGenerationLP",
    "LPState",
]
