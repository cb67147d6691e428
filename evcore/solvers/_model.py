"""The optimisation model evcore hands to HiGHS, validated once on creation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._validate import (_reject_kind, as_array, as_scalar, check_finite, check_integer, check_in_range,
                         check_shape, first_index)
from ..errors import InputError

__all__ = ["Model", "MODEL_KINDS"]

#: Kinds of model, as used by :data:`evcore.solvers.SOLVER_CAPABILITIES`.
MODEL_KINDS = ("lp", "mip", "qp", "miqp")

# HiGHS takes int32 index arrays, so no matrix may hold more non-zeros than this.
_MAX_NNZ = np.iinfo(np.int32).max


@dataclass(frozen=True, eq=False)
class Model:
    """A linear, mixed-integer or convex quadratic programme.

    ``sense`` of ``offset + objective @ x + 0.5 * x @ hessian @ x``
    subject to ``row_lower <= constraint_matrix @ x <= row_upper`` and
    ``col_lower <= x <= col_upper``, with ``x[j]`` integral where ``integrality[j]``.

    Inputs are converted on creation (numpy arrays are copied and made read-only, matrices
    become ``scipy.sparse.csr_array`` of float64) and validated; any problem raises
    :class:`~evcore.errors.InputError` naming the field and the first offending index.

    Parameters
    ----------
    objective : array_like, shape (n,)
        Linear cost ``c``; finite.
    constraint_matrix : sparse or array_like, shape (m, n), optional
        Row coefficients ``A``; finite. ``None`` means no rows (m = 0).
    row_lower, row_upper : array_like, shape (m,), optional
        Row bounds; ``-inf``/``+inf`` for a missing side (the defaults). ``row_lower[i] ==
        row_upper[i]`` makes row ``i`` an equality.
    col_lower, col_upper : array_like, shape (n,), optional
        Variable bounds; default ``0`` and ``+inf``.
    integrality : array_like of bool or {0, 1}, shape (n,), optional
        ``True`` where the variable must be integral. ``None`` (or all false) means an LP/QP.
    sense : {"min", "max"}
        Direction of optimisation.
    objective_offset : float
        Constant added to the objective.
    hessian : sparse or array_like, shape (n, n), optional
        Symmetric ``H`` of the quadratic term ``0.5 * x @ H @ x``. HiGHS needs it positive
        semidefinite for ``"min"`` (negative semidefinite for ``"max"``); that is checked by
        HiGHS, not here. An all-zero Hessian is stored as ``None``.
    """

    objective: np.ndarray
    constraint_matrix: sp.csr_array | None = None
    row_lower: np.ndarray | None = None
    row_upper: np.ndarray | None = None
    col_lower: np.ndarray | None = None
    col_upper: np.ndarray | None = None
    integrality: np.ndarray | None = None
    sense: str = "min"
    objective_offset: float = 0.0
    hessian: sp.csr_array | None = None

    def __post_init__(self):
        objective = check_finite("objective", _frozen_vector("objective", self.objective))
        n = objective.shape[0]
        matrix = _as_csr("constraint_matrix", self.constraint_matrix, (None, n), empty_rows=n)
        m = matrix.shape[0]
        row_lower = _bound_vector("row_lower", self.row_lower, m, -np.inf)
        row_upper = _bound_vector("row_upper", self.row_upper, m, np.inf)
        _check_ordered("row", row_lower, row_upper)
        col_lower = _bound_vector("col_lower", self.col_lower, n, 0.0)
        col_upper = _bound_vector("col_upper", self.col_upper, n, np.inf)
        _check_ordered("col", col_lower, col_upper)

        integrality = None
        if self.integrality is not None:
            raw = as_array("integrality", self.integrality, dtype=None, ndim=1, shape=(n,))
            if raw.dtype.kind != "b":
                raw = check_in_range("integrality", check_integer("integrality", raw), 0, 1)
            integrality = _read_only(raw.astype(bool))

        if self.sense not in ("min", "max"):
            raise InputError("sense", f'must be "min" or "max", got {self.sense!r}')
        offset = as_scalar("objective_offset", self.objective_offset)
        check_finite("objective_offset", np.asarray(offset))

        hessian = None
        if self.hessian is not None:
            hessian = _as_csr("hessian", self.hessian, (n, n))
            _check_symmetric(hessian)
            if hessian.nnz == 0:
                hessian = None

        for name, value in [("objective", objective), ("constraint_matrix", matrix),
                            ("row_lower", row_lower), ("row_upper", row_upper),
                            ("col_lower", col_lower), ("col_upper", col_upper),
                            ("integrality", integrality), ("objective_offset", float(offset)),
                            ("hessian", hessian)]:
            object.__setattr__(self, name, value)

    @property
    def num_cols(self) -> int:
        """Number of variables ``n``."""
        return int(self.objective.shape[0])

    @property
    def num_rows(self) -> int:
        """Number of constraint rows ``m``."""
        return int(self.constraint_matrix.shape[0])

    @property
    def is_mip(self) -> bool:
        """True when at least one variable is integral."""
        return self.integrality is not None and bool(self.integrality.any())

    @property
    def is_qp(self) -> bool:
        """True when the objective has a (non-zero) quadratic term."""
        return self.hessian is not None

    @property
    def kind(self) -> str:
        """One of ``"lp"``, ``"mip"``, ``"qp"``, ``"miqp"``."""
        if self.is_mip:
            return "miqp" if self.is_qp else "mip"
        return "qp" if self.is_qp else "lp"

    def evaluate(self, x) -> float:
        """Objective value at ``x`` (shape (n,), finite), offset included.

        Examples
        --------
        >>> Model(objective=[1.0, 2.0], objective_offset=0.5).evaluate([1.0, 1.0])
        3.5
        """
        x = check_finite("x", as_array("x", x, ndim=1, shape=(self.num_cols,)))
        value = self.objective_offset + float(self.objective @ x)
        if self.hessian is not None:
            value += 0.5 * float(x @ (self.hessian @ x))
        return value


def _read_only(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def _frozen_vector(field: str, value) -> np.ndarray:
    # np.array copies, so a caller mutating their array later cannot change the model.
    return _read_only(np.array(as_array(field, value, ndim=1), dtype=np.float64, copy=True))


def _bound_vector(field: str, value, size: int, default: float) -> np.ndarray:
    if value is None:
        return _read_only(np.full(size, default))
    arr = _frozen_vector(field, value)
    check_shape(field, arr, (size,))
    nan = np.isnan(arr)
    if nan.any():
        raise InputError(field, "must be a number, got nan", first_index(nan))
    # A lower bound of +inf (upper of -inf) can never be met; HiGHS would report the
    # model infeasible, which hides a data error.
    impossible = arr == (np.inf if field.endswith("lower") else -np.inf)
    if impossible.any():
        raise InputError(field, f"cannot be {arr[first_index(impossible)]}", first_index(impossible))
    return arr


def _check_ordered(kind: str, lower: np.ndarray, upper: np.ndarray) -> None:
    bad = lower > upper
    if bad.any():
        i = first_index(bad)
        raise InputError(f"{kind}_lower", f"greater than {kind}_upper[{i}] ({lower[i]} > {upper[i]})", i)


def _as_csr(field: str, value, shape, *, empty_rows: int | None = None) -> sp.csr_array:
    """Any sparse or dense 2-D input as a canonical float64 CSR array of ``shape``."""
    if value is None and empty_rows is not None:
        return sp.csr_array((0, empty_rows), dtype=np.float64)
    if sp.issparse(value):
        if value.ndim != 2:
            raise InputError(field, f"must have 2 dimension(s), got {value.ndim} (shape {value.shape})")
        # the same refusals as for dense input: booleans, complex numbers, objects
        _reject_kind(field, np.asarray(value.data) if value.dtype.kind != "O" else np.asarray(value.data, dtype=object),
                     np.dtype(np.float64))
        try:
            matrix = sp.csr_array(value, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise InputError(field, f"cannot be read as a float64 matrix: {exc}") from None
    else:
        matrix = sp.csr_array(as_array(field, value, ndim=2))
    check_shape(field, matrix, shape)
    matrix.sum_duplicates()
    bad = ~np.isfinite(matrix.data)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(matrix.indptr, k, side="right") - 1)
        raise InputError(field, f"must be finite, got {float(matrix.data[k])!r}", (row, int(matrix.indices[k])))
    matrix.eliminate_zeros()
    if matrix.nnz > _MAX_NNZ:
        raise InputError(field, f"has {matrix.nnz} non-zeros; HiGHS takes at most {_MAX_NNZ}")
    return matrix


def _check_symmetric(hessian: sp.csr_array) -> None:
    scale = float(abs(hessian).max()) if hessian.nnz else 0.0
    asymmetry = (hessian - hessian.T).tocoo()
    bad = np.abs(asymmetry.data) > 1e-12 * max(scale, 1.0)
    if bad.any():
        order = np.lexsort((asymmetry.col[bad], asymmetry.row[bad]))[0]
        i, j = int(asymmetry.row[bad][order]), int(asymmetry.col[bad][order])
        raise InputError("hessian", f"must be symmetric: hessian[{i}, {j}] = {float(hessian[i, j])!r} "
                                    f"but hessian[{j}, {i}] = {float(hessian[j, i])!r}", (i, j))
