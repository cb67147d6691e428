"""Instance generators shared by the solver tests (imported by name; not a conftest so that
it cannot clash with another test directory's helpers)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from evcore.solvers import Model


def random_lp(seed: int, sense: str = "min", m: int = 30, n: int = 20) -> Model:
    """A feasible, bounded LP with mixed rows (<=, >=, ranged, equality) and column bounds.

    Feasible: rows are built around a point ``x0`` inside the column bounds. Bounded: the cost
    is ``A.T @ y + d`` with row duals ``y`` and reduced costs ``d`` of the signs optimality
    needs, so a dual feasible point exists (weak duality then bounds the objective).
    """
    rng = np.random.default_rng(seed)
    A = sp.random(m, n, density=0.35, random_state=rng, format="csr",
                  data_rvs=lambda k: rng.uniform(-3, 3, k))
    A = (A + sp.csr_array((np.ones(n), (np.arange(n) % m, np.arange(n))), shape=(m, n))).tocsr()

    col_kind = rng.choice(["lower", "upper", "box", "free"], size=n, p=[0.4, 0.15, 0.3, 0.15])
    col_lower = np.where(np.isin(col_kind, ["lower", "box"]), rng.uniform(-2, 1, n), -np.inf)
    col_upper = np.where(col_kind == "upper", rng.uniform(0, 3, n), np.inf)
    col_upper = np.where(col_kind == "box", col_lower + rng.uniform(0.5, 4, n), col_upper)
    x0 = np.where(np.isfinite(col_lower), col_lower, np.where(np.isfinite(col_upper), col_upper, 0.0))
    x0 = x0 + np.where(col_kind == "box", rng.uniform(0, 1, n) * (col_upper - col_lower),
                       np.where(col_kind == "upper", -rng.uniform(0, 2, n), rng.uniform(0, 2, n)))

    activity = A @ x0
    row_kind = rng.choice(["le", "ge", "range", "eq"], size=m, p=[0.35, 0.3, 0.2, 0.15])
    slack = rng.uniform(0.1, 2.0, m)
    row_lower = np.where(np.isin(row_kind, ["ge", "range"]), activity - slack, -np.inf)
    row_upper = np.where(np.isin(row_kind, ["le", "range"]), activity + slack, np.inf)
    row_lower = np.where(row_kind == "eq", activity, row_lower)
    row_upper = np.where(row_kind == "eq", activity, row_upper)

    # Dual signs for a min problem (HiGHS convention): >= row y >= 0, <= row y <= 0.
    y = rng.uniform(0, 1, m)
    y = np.where(row_kind == "le", -y, y)
    y = np.where(np.isin(row_kind, ["range", "eq"]), rng.uniform(-1, 1, m), y)
    d = rng.uniform(0, 1, n)
    d = np.where(col_kind == "upper", -d, np.where(col_kind == "free", 0.0, d))
    d = np.where(col_kind == "box", rng.uniform(-1, 1, n), d)
    cost = A.T @ y + d
    if sense == "max":
        cost = -cost  # same optimum point, maximised
    return Model(objective=cost, constraint_matrix=A, row_lower=row_lower, row_upper=row_upper,
                 col_lower=col_lower, col_upper=col_upper, sense=sense,
                 objective_offset=float(rng.uniform(-5, 5)))


def textbook_lp(sense: str = "min") -> Model:
    """min -x - y (or max x + y) s.t. x + 2y <= 4, 3x + y <= 6, x, y >= 0; optimum (1.6, 1.2)."""
    sign = -1.0 if sense == "min" else 1.0
    return Model(objective=[sign, sign], constraint_matrix=[[1.0, 2.0], [3.0, 1.0]],
                 row_upper=[4.0, 6.0], sense=sense)


def hard_knapsack(seed: int = 0, n: int = 60, m: int = 6) -> Model:
    """A multi-dimensional 0/1 knapsack HiGHS does not close within a few seconds."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(10, 100, size=(m, n)).astype(float)
    value = weights.mean(axis=0) + rng.integers(0, 30, n)
    return Model(objective=value, constraint_matrix=weights, row_upper=weights.sum(axis=1) * 0.3,
                 col_upper=np.ones(n), integrality=np.ones(n, dtype=bool), sense="max")
