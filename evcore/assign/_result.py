"""The result every GAP solver returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GAPResult"]


@dataclass(frozen=True, eq=False)
class GAPResult:
    """Best assignment a GAP solver found.

    Attributes
    ----------
    objective : float
        Total cost of ``assignment`` (``inf`` when no feasible assignment was found).
    assignment : numpy.ndarray of int64, shape (jobs,)
        0-based agent of each job.
    feasible : bool
        Every pair allowed and every capacity respected.
    method : str
        Solver name (``"hasp"``, ``"tabu"``, ``"bees"``, ``"de"``, ``"best"``, ``"exact"``).
    status : str
        ``"optimal"`` (proven: exact method), ``"feasible"`` (a heuristic finished its budget),
        ``"time_limit"`` / ``"iteration_limit"`` (stopped by a limit), ``"no_feasible"``.
    bound : float or None
        A valid lower bound on the optimum when the method has one (exact: HiGHS's dual bound).
    gap : float or None
        ``(objective - bound) / max(|objective|, 1e-9)`` when ``bound`` is known.
    wall_time : float
        Seconds.
    iterations : int
        Method-specific count (generations, moves, nodes).
    trace : numpy.ndarray, shape (k, 2)
        Convergence: rows of (seconds since start, best feasible objective so far).
    seed : int or None
        Seed used (None for deterministic methods).
    """

    objective: float
    assignment: np.ndarray
    feasible: bool
    method: str
    status: str
    bound: float | None
    gap: float | None
    wall_time: float
    iterations: int
    trace: np.ndarray
    seed: int | None = None
