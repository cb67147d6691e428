"""Three-phase power flow in current-injection form with rectangular voltages (Newton-Raphson).

Unknowns are the real and imaginary parts of every node voltage. At a solution the current
mismatch ``F(v) = Y v - I_source + sum of load-branch currents`` is zero at every node (Kirchhoff's
current law, eqs. (12) and (14) of seed 002 with the loads' currents of eq. (11)). The mismatch and
the sparse real Jacobian (2x2 blocks per node pair) are assembled in C++ (``evcore.grid._native``,
numpy twin in :mod:`evcore.grid._reference`).

Iteration: every solve of a feeder starts from the solution with all loads at their nominal
impedance (one linear solve, right phase shifts through every transformer); the Jacobian one Newton
step beyond that start is factorised once per feeder (SuperLU) and reused by chord-Newton steps run
entirely in C++ (a ``ChordSystem`` kept per feeder, so a call passes only the voltages); if they
stall (contraction worse than 10 % per step), full Newton refactorises at every step. Convergence is
always judged on the true mismatch; a re-solve from a converged answer costs one mismatch evaluation.

The mismatch is measured per unit: amperes divided by each node's current base
``base_kva * 1000 / base_v`` (1 MVA and each node's line-to-neutral voltage base by default). A node
whose current sum cannot be evaluated more finely in double precision (a 1e-4 ohm switch next to
2.4 kV makes terms of 1e10 A cancel) counts as converged within its rounding bound
``(nnz_i + 2) eps sum_j |Y_ij| |v_j|``; :attr:`PowerFlowResult.roundoff_limited_nodes` names them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._validate import as_scalar, check_positive
from ..errors import InputError, SolverError
from . import _reference
from .model import Feeder

__all__ = ["power_flow", "PowerFlowResult", "NonConvergenceError"]


class NonConvergenceError(SolverError):
    """Newton-Raphson did not reach the mismatch tolerance (the message names the worst node)."""


def _native():
    from .._compiled import import_extension

    return import_extension("evcore.grid._native")


@dataclass(frozen=True)
class PowerFlowResult:
    """Solution of a power flow.

    Attributes
    ----------
    node_names : tuple of str, shape (n,)
        OpenDSS-style node names (``"632.1"``).
    voltage : complex array, shape (n,)
        Node-to-ground voltage per unit of each node's base.
    voltage_v : complex array, shape (n,)
        The same in volts.
    iterations : int
        Newton (chord) iterations.
    mismatch_pu : float
        Largest per-unit current mismatch at the solution. It can exceed the tolerance at nodes where
        the current sum cannot be evaluated more finely in double precision (tiny-impedance switches
        make terms of ~1e10 A cancel); ``roundoff_limited_nodes`` names them.
    tolerance_pu : float
        The tolerance asked for.
    status : str
        ``"converged"``.
    solve_seconds : float

    Derived quantities (computed on first access, from the feeder and ``voltage_v``):
    ``magnitude_pu``, ``angle_deg`` (shape (n,)); ``element_names`` (E,); ``conductor_currents_a``
    (C,) current into every conductor of every element, terminal 1 first, A, with
    ``element_offsets`` (E + 1,) and ``element_currents_a`` (per element); ``element_losses_va`` (E,)
    power consumed by each element (line and transformer losses, capacitor vars), W + j var;
    ``losses_va`` the sum over lines, switches, transformers and regulators; ``source_power_va`` the
    power the source delivers at its terminal; ``load_power_va`` (L,) power drawn by each load.
    """

    node_names: tuple
    voltage: np.ndarray
    voltage_v: np.ndarray
    iterations: int
    mismatch_pu: float
    status: str
    solve_seconds: float
    tolerance_pu: float = 1e-9
    base_kva: float = 1000.0
    _feeder: Feeder = field(repr=False, compare=False, default=None)
    _engine: str = field(repr=False, compare=False, default="native")
    _derived: dict = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def _make(cls, **fields):
        """Build with every field given, without the frozen dataclass's ``__init__`` (one guarded
        ``object.__setattr__`` per field: microseconds, a noticeable part of a warm re-solve)."""
        if len(fields) != len(cls.__dataclass_fields__) - 1:
            raise TypeError(f"PowerFlowResult._make needs every field but _derived, got {sorted(fields)}")
        obj = object.__new__(cls)
        obj.__dict__.update(fields, _derived={})
        return obj

    def _get(self, name):
        if not self._derived:
            self._derived.update(_derived_quantities(self._feeder, self.voltage_v, self._engine))
        return self._derived[name]

    magnitude_pu = property(lambda self: np.abs(self.voltage), doc="Voltage magnitudes, pu, shape (n,).")
    angle_deg = property(lambda self: np.degrees(np.angle(self.voltage)), doc="Voltage angles, degrees, (n,).")
    element_names = property(lambda self: self._feeder.element_names)
    element_offsets = property(lambda self: self._feeder.element_offsets)
    conductor_currents_a = property(lambda self: self._get("conductor_currents_a"))
    element_losses_va = property(lambda self: self._get("element_losses_va"))
    losses_va = property(lambda self: self._get("losses_va"))
    source_power_va = property(lambda self: self._get("source_power_va"))
    load_power_va = property(lambda self: self._get("load_power_va"))

    @property
    def roundoff_limited_nodes(self) -> tuple:
        """Nodes whose mismatch is above ``tolerance_pu`` but within the rounding bound of their
        current sum (accepted as converged)."""
        sysm = _system(self._feeder)
        mismatch, _, _ = sysm.assemble(self.voltage_v, self._engine, build_jacobian=False)
        scaled = np.abs(mismatch) / (self.base_kva * 1000.0 / sysm.base_v)
        return tuple(self.node_names[i] for i in np.flatnonzero(scaled > self.tolerance_pu))

    @property
    def element_currents_a(self) -> tuple:
        """Conductor currents per element, A (a tuple of complex arrays)."""
        return tuple(np.split(self.conductor_currents_a, self.element_offsets[1:-1]))

    def element_current(self, name: str) -> np.ndarray:
        """Conductor currents of element ``name`` (``"line.650632"``), A."""
        e = self._feeder.element_index(name)
        off = self.element_offsets
        return self.conductor_currents_a[off[e]:off[e + 1]]


class _System:
    """Kernel-ready arrays of a feeder: admittance CSR, Jacobian pattern and positions, load data."""

    def __init__(self, feeder: Feeder):
        self.feeder = feeder
        Y = feeder.admittance_matrix()
        n = feeder.n_nodes
        self.n = n
        self.y_indptr = Y.indptr.astype(np.int64)
        self.y_indices = Y.indices.astype(np.int64)
        self.y_data = Y.data.astype(complex)
        self.i_source = feeder.source_injection_a()
        self.base_v = feeder.node_base_v
        f = feeder
        self.branch_from = f.load_branch_from.astype(np.int64)
        self.branch_to = f.load_branch_to.astype(np.int64)
        self.power_va = np.array(f.load_branch_power_va, dtype=complex)
        self.load_base_v = np.array(f.load_branch_base_v, dtype=float)
        self.model = f.load_branch_model.astype(np.int64)
        self.vmin = np.array(f.load_branch_vmin_pu, dtype=float)
        self.vmax = np.array(f.load_branch_vmax_pu, dtype=float)
        self.vlow = np.array(f.load_branch_vlow_pu, dtype=float)
        self.zipv = np.ascontiguousarray(f.load_branch_zipv, dtype=float)
        self.cvr = np.ascontiguousarray(f.load_branch_cvr, dtype=float)
        self._build_pattern(Y)

    def _build_pattern(self, Y):
        n2 = 2 * self.n
        rows = np.repeat(np.arange(self.n), np.diff(Y.indptr))
        cols = Y.indices
        y = Y.data
        # 2x2 real blocks of the admittance: [[g, -b], [b, g]]
        yr = np.concatenate([2 * rows, 2 * rows, 2 * rows + 1, 2 * rows + 1])
        yc = np.concatenate([2 * cols, 2 * cols + 1, 2 * cols, 2 * cols + 1])
        yval = np.concatenate([y.real, -y.imag, y.imag, y.real])
        a, b = self.branch_from, self.branch_to
        nb = len(a)
        blocks = [(a, a), (a, b), (b, a), (b, b)]
        lr, lc = [], []
        for (p, q) in blocks:
            for (dr, dc) in ((0, 0), (0, 1), (1, 0), (1, 1)):
                lr.append(2 * p + dr)
                lc.append(2 * q + dc)
        lr = np.stack(lr, axis=1) if nb else np.zeros((0, 16), dtype=np.int64)
        lc = np.stack(lc, axis=1) if nb else np.zeros((0, 16), dtype=np.int64)
        touches_ground = np.zeros((nb, 16), dtype=bool)
        ground = b < 0
        touches_ground[:, 4:] = ground[:, None]
        load_keys = np.where(touches_ground, -1, lr.astype(np.int64) * n2 + lc)
        y_keys = yr.astype(np.int64) * n2 + yc
        keys = np.unique(np.concatenate([y_keys, load_keys[load_keys >= 0]]))
        self.jac_indices = (keys % n2).astype(np.int32)
        jrows = keys // n2
        self.jac_indptr = np.concatenate([[0], np.cumsum(np.bincount(jrows, minlength=n2))]).astype(np.int32)
        self.jac_base = np.zeros(len(keys))
        np.add.at(self.jac_base, np.searchsorted(keys, y_keys), yval)
        self.jac_pos = np.where(load_keys >= 0, np.searchsorted(keys, np.maximum(load_keys, 0)), -1).astype(np.int64)
        self.nnz = len(keys)

    def assemble(self, v, engine="native", power_va=None, build_jacobian=True):
        """Mismatch (A), Jacobian CSR (None unless ``build_jacobian``) and branch currents at ``v``."""
        mismatch = np.empty(self.n, dtype=complex)
        jac = np.empty(self.nnz)
        current = np.empty(len(self.branch_from), dtype=complex)
        pw = self.power_va if power_va is None else power_va
        args = (np.ascontiguousarray(v, dtype=complex), self.y_indptr, self.y_indices, self.y_data,
                self.i_source, self.branch_from, self.branch_to, pw, self.load_base_v, self.model,
                self.vmin, self.vmax, self.vlow, self.zipv, self.cvr, self.jac_base, self.jac_pos,
                mismatch, jac, current)
        if engine == "native":
            _native().assemble(*args)
        elif engine == "reference":
            _reference.assemble(*args)
        else:
            raise InputError("engine", f"must be 'native' or 'reference', got {engine!r}")
        if not build_jacobian:
            return mismatch, None, current
        J = sp.csr_matrix((jac, self.jac_indices, self.jac_indptr), shape=(2 * self.n, 2 * self.n))
        return mismatch, J, current

    def network_args(self, base_kva):
        """Arrays the chord kernels take for the network and loads (after ``v``)."""
        cached = getattr(self, "_network_args", None)
        if cached is not None and cached[0] == base_kva:
            return cached[1]
        if not hasattr(self, "_abs_y"):
            self.roundoff_allowance(np.ones(self.n, dtype=complex))
        current_base = base_kva * 1000.0 / self.base_v
        args = (self.y_indptr, self.y_indices, self.y_data, np.abs(self.y_data), self.i_source, current_base,
                self._row_terms,
                self.branch_from, self.branch_to, self.power_va, self.load_base_v, self.model, self.vmin,
                self.vmax, self.vlow, self.zipv, self.cvr)
        self._network_args = (base_kva, args)
        return args

    @staticmethod
    def factor_args(lu):
        """SuperLU's factors as the chord kernels take them: strictly lower ``L`` and strictly upper
        ``U`` (CSC), ``1 / diag(U)``, and the row and column permutations (``P_r J P_c = L U``)."""
        def strict(M, lower):
            M = M.tocsc()
            cols = np.repeat(np.arange(M.shape[1]), np.diff(M.indptr))
            keep = M.indices > cols if lower else M.indices < cols
            # CSC keeps the entries grouped by column; their order within a column does not matter to the
            # substitutions (each updates a different row), so no sort
            indptr = np.zeros(M.shape[1] + 1, dtype=np.int64)
            np.cumsum(np.bincount(cols[keep], minlength=M.shape[1]), out=indptr[1:])
            return (indptr, M.indices[keep].astype(np.int32),  # int32: less memory traffic
                    np.ascontiguousarray(M.data[keep]))

        return (*strict(lu.L, True), *strict(lu.U, False), np.ascontiguousarray(1.0 / lu.U.diagonal()),
                np.ascontiguousarray(lu.perm_r, dtype=np.int64), np.ascontiguousarray(lu.perm_c, dtype=np.int64))

    @staticmethod
    def factorise(J):
        """SuperLU of the real Jacobian: minimum-degree ordering on ``J^T + J`` and diagonal pivots where
        they are at least a tenth of the column's largest (the pattern is symmetric), which keeps the
        fill small. Every solve that uses these factors checks the true mismatch, so a less accurate
        factorisation costs iterations, never correctness."""
        return spla.splu(J.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.1,
                         options=dict(SymmetricMode=True))

    def chord_start(self):
        """Start voltage and the factorised Jacobian of the chord iterations, both cached: every solve of
        this feeder starts from the nominal-impedance solution ``v0``.

        The Jacobian is not factorised at ``v0`` but one Newton step further, at ``v1 = v0 - J(v0)^-1
        F(v0)`` (computed here, once per feeder): chord steps contract in proportion to how far their
        Jacobian's point is from the solution, and on feeders of delta loads (IEEE 37) ``J(v1)`` saves
        two of five steps. The start itself stays ``v0``, and convergence is judged on the true mismatch
        as always, so this changes the iterations, never the answer.
        """
        cached = getattr(self, "_chord_start", None)
        if cached is None:
            v0 = self.initial_voltage()
            mismatch, J, _ = self.assemble(v0, "native")
            lu = self.factorise(J)
            dx = lu.solve(-_interleave(mismatch))
            v1 = v0 + dx[0::2] + 1j * dx[1::2]
            _, J1, _ = self.assemble(v1, "native")
            if np.isfinite(J1.data).all():
                try:
                    lu = self.factorise(J1)
                except RuntimeError:  # singular there: keep the factors at v0
                    pass
            cached = (v0, lu, self.factor_args(lu))
            self._chord_start = cached
        return cached

    def chord_solver(self, base_kva):
        """The C++ ``ChordSystem`` of this feeder (network, loads, chord factors), cached per power base."""
        cached = getattr(self, "_chord_solver", None)
        if cached is None or cached[0] != base_kva:
            _, _, factors = self.chord_start()
            cached = (base_kva, _native().ChordSystem(*self.network_args(base_kva), *factors))
            self._chord_solver = cached
        return cached[1]

    def roundoff_allowance(self, v):
        """Rounding-error bound of every node's current sum ``(nnz_i + 2) * eps * sum_j |Y_ij| |v_j|``, A."""
        if not hasattr(self, "_abs_y"):
            Y = self.feeder.admittance_matrix()
            self._abs_y = abs(Y).tocsr()
            self._row_terms = np.diff(Y.indptr) + 2.0
        return self._row_terms * np.finfo(float).eps * (self._abs_y @ np.abs(v) + np.abs(self.i_source))

    def initial_voltage(self):
        """Solution with every load at its nominal admittance (one linear solve): a start that has the
        right phase shifts through every transformer."""
        f = self.feeder
        yeq = np.conj(self.power_va) / self.load_base_v ** 2
        a, b = self.branch_from, self.branch_to
        rows = [a]
        cols = [a]
        vals = [yeq]
        g = b >= 0
        rows += [a[g], b[g], b[g]]
        cols += [b[g], a[g], b[g]]
        vals += [-yeq[g], -yeq[g], yeq[g]]
        Yl = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(self.n, self.n))
        A = (f.admittance_matrix() + Yl).tocsc()
        try:
            return spla.splu(A).solve(self.i_source.astype(complex))
        except RuntimeError as exc:
            raise SolverError("the nodal admittance matrix is singular (a node without any path to the "
                              "source or to ground?)", str(exc)) from exc


def _system(feeder: Feeder) -> _System:
    sysm = feeder._cache.get("pf_system")
    if sysm is None:
        sysm = _System(feeder)
        feeder._cache["pf_system"] = sysm
    return sysm


def _interleave(z):
    out = np.empty(2 * z.shape[0])
    out[0::2] = z.real
    out[1::2] = z.imag
    return out


def newton(sysm: _System, v0, tolerance_pu, max_iterations, base_kva, engine, power_va=None):
    """Newton-Raphson from ``v0``; returns ``(v, iterations, mismatch_pu, lu)``; raises on failure."""
    v = np.array(v0, dtype=complex)
    current_base = base_kva * 1000.0 / sysm.base_v
    worst = np.inf
    lu = None
    for it in range(max_iterations + 1):
        mismatch, J, _ = sysm.assemble(v, engine, power_va)
        scaled = np.abs(mismatch) / current_base
        worst = float(scaled.max())
        if not np.isfinite(worst):
            break
        # A node's mismatch cannot be evaluated below the rounding error of its current sum
        # (tiny-impedance switches make terms of 1e10 A cancel); that level counts as converged.
        allowance = sysm.roundoff_allowance(v) / current_base
        if (scaled <= np.maximum(tolerance_pu, allowance)).all():
            return v, it, worst, (lu, J)
        if it == max_iterations:
            break
        try:
            lu = spla.splu(J.tocsc())
        except RuntimeError as exc:
            raise NonConvergenceError(f"singular Jacobian at Newton iteration {it + 1}", str(exc)) from exc
        dx = lu.solve(-_interleave(mismatch))
        v = v + dx[0::2] + 1j * dx[1::2]
    k = int(np.nanargmax(np.where(np.isfinite(scaled), scaled, np.inf)))
    raise NonConvergenceError(
        f"power flow did not converge in {max_iterations} Newton iterations: largest current mismatch "
        f"{worst:.3e} pu (tolerance {tolerance_pu:.1e}) at node {sysm.feeder.node_names[k]}",
        "max_iterations" if np.isfinite(worst) else "diverged")


def _positive_scalar(field, value):
    """``as_scalar`` and ``check_positive`` of one number; the array check (several microseconds, more than a
    warm re-solve) runs only to raise its error."""
    if type(value) is float and 0.0 < value < math.inf:  # the common case, without building an array
        return value
    x = as_scalar(field, value, float)
    if not 0.0 < x < math.inf:
        check_positive(field, np.asarray(x))
    return x


def power_flow(feeder: Feeder, *, tolerance_pu: float = 1e-9, max_iterations: int = 30,
               initial_voltage=None, base_kva: float = 1000.0, engine: str = "native") -> PowerFlowResult:
    """Solve the power flow of ``feeder``.

    Parameters
    ----------
    feeder : Feeder
    tolerance_pu : float
        Largest allowed current mismatch at any node, per unit of ``base_kva`` and the node's
        voltage base (default 1e-9).
    max_iterations : int
        Chord iterations allowed, then as many full Newton iterations if the chord steps stall.
    initial_voltage : complex array, shape (n,), optional
        Start (per unit of node bases); default: the feeder solved with loads at nominal impedance.
    base_kva : float
        Power base of the mismatch, kVA.
    engine : {"native", "reference"}
        C++ kernel or its numpy twin.

    Returns
    -------
    PowerFlowResult

    Raises
    ------
    NonConvergenceError
        With the last mismatch and the node where it is largest.

    Reference: seed 002, §III-B, eqs. (11)-(15).
    """
    if not isinstance(feeder, Feeder):
        raise InputError("feeder", f"must be an evcore.grid.Feeder, got {type(feeder).__name__}")
    tolerance_pu = _positive_scalar("tolerance_pu", tolerance_pu)
    if type(max_iterations) is not int:
        max_iterations = as_scalar("max_iterations", max_iterations, int)
    base_kva = _positive_scalar("base_kva", base_kva)
    if engine not in ("native", "reference"):
        raise InputError("engine", f"must be 'native' or 'reference', got {engine!r}")
    started = time.perf_counter()
    sysm = _system(feeder)
    start, _, factors = sysm.chord_start()
    if initial_voltage is None:
        v = start.copy()
    else:
        if np.shape(initial_voltage) != (sysm.n,):
            raise InputError("initial_voltage", f"needs shape ({sysm.n},), got {np.shape(initial_voltage)}")
        v = np.multiply(initial_voltage, sysm.base_v, dtype=complex)  # a new array, in volts
    # Chord Newton with the Jacobian factorised once per feeder (C++ loop); full Newton if it stalls.
    if engine == "native":
        iterations, converged, worst, _ = sysm.chord_solver(base_kva).solve(v, tolerance_pu, max_iterations)
    else:
        iterations, converged, worst, _ = _reference.chord_solve(v, *sysm.network_args(base_kva), *factors,
                                                                 tolerance_pu, max_iterations)
    if not converged:
        v, extra, worst, _ = newton(sysm, v, tolerance_pu, max_iterations, base_kva, engine)
        iterations += extra
    return _result(feeder, sysm, v, iterations, worst, time.perf_counter() - started, engine, tolerance_pu, base_kva)


def element_currents(feeder: Feeder, v):
    """Conductor currents of every element, flat (C,), A: ``Yprim @ v`` element by element, in bulk.

    Returns ``(currents, conductor_voltages)``.
    """
    cached = feeder._cache.get("conductor_map")
    if cached is None:
        rows, cols, owner = feeder._element_triplets()
        counts = np.diff(feeder.element_offsets)
        sq = counts ** 2
        local = np.arange(len(owner)) - np.repeat(np.cumsum(sq) - sq, sq)
        start = feeder.element_offsets[:-1][owner]
        crow = start + local // counts[owner]
        ccol = start + local % counts[owner]
        c = int(feeder.element_offsets[-1])
        M = sp.csr_matrix((feeder.yprim, (crow, ccol)), shape=(c, c))
        gather = np.where(feeder.conductor_nodes >= 0, feeder.conductor_nodes, feeder.n_nodes)
        cached = (M, gather)
        feeder._cache["conductor_map"] = cached
    M, gather = cached
    vc = np.append(v, 0.0)[gather]  # ground = the appended zero
    return M @ vc, vc


def _result(feeder, sysm, v, iterations, worst, seconds, engine, tolerance_pu, base_kva):
    return PowerFlowResult._make(node_names=feeder.node_names, voltage=v / sysm.base_v, voltage_v=v,
                                 iterations=iterations, mismatch_pu=worst, status="converged", solve_seconds=seconds,
                                 tolerance_pu=tolerance_pu, base_kva=base_kva, _feeder=feeder, _engine=engine)


def _derived_quantities(feeder, v, engine):
    """Element currents and powers, losses, source and load powers at voltages ``v`` (V)."""
    sysm = _system(feeder)
    _, _, branch_current = sysm.assemble(v, engine, build_jacobian=False)
    vb_to = np.where(sysm.branch_to >= 0, v[np.maximum(sysm.branch_to, 0)], 0.0)
    v_branch = v[sysm.branch_from] - vb_to
    i_cond, v_cond = element_currents(feeder, v)
    off = feeder.element_offsets
    power_cond = v_cond * np.conj(i_cond)
    element_power = np.add.reduceat(power_cond, off[:-1]) if len(off) > 1 else np.zeros(0, complex)
    series = np.isin(np.array(feeder.element_kinds), ("line", "switch", "transformer", "regulator"))
    branch_power = v_branch * np.conj(branch_current)
    load_power = np.zeros(len(feeder.load_names), dtype=complex)
    np.add.at(load_power, feeder.load_branch_load, branch_power)
    src = feeder.source_nodes
    i_src = feeder.source_yprim @ feeder.source_emf_v - feeder.source_yprim @ v[src]
    return dict(conductor_currents_a=i_cond, element_losses_va=element_power,
                losses_va=complex(element_power[series].sum()),
                source_power_va=complex(np.sum(v[src] * np.conj(i_src))), load_power_va=load_power)
