"""Three-phase power flow in current-injection form with rectangular voltages (Newton-Raphson).

Unknowns are the real and imaginary parts of every node voltage. At a solution the current
mismatch ``F(v) = Y v - I_source + sum of load-branch currents`` is zero at every node (Kirchhoff's
current law, eqs. (12) and (14) of seed 002 with the loads' currents of eq. (11)). The mismatch and
the sparse real Jacobian (2x2 blocks per node pair) are assembled in C++ (``evcore.grid._native``,
numpy twin in :mod:`evcore.grid._reference`) from the feeder's kernel arrays
(:func:`evcore.grid._kernel.kernel_arrays`).

Iteration: every solve of a feeder starts from the solution with all loads at their nominal
impedance (one linear solve, right phase shifts through every transformer); the Jacobian one Newton
step beyond that start is factorised once per feeder (SuperLU, minimum-degree ordering of J + J^T) and
reused by chord-Newton steps run entirely in C++ (a ``ChordSystem`` kept per feeder, so a call passes only
the voltages); if they stall (contraction worse than 10 % per step), full Newton refactorises at every
step. Convergence is always judged on the true mismatch; a re-solve from a converged answer costs one
mismatch evaluation.

The mismatch is measured per unit: amperes divided by each node's current base
``base_kva * 1000 / base_v`` (1 MVA and each node's line-to-neutral voltage base by default). A node
whose current sum cannot be evaluated more finely in double precision (a 1e-4 ohm switch next to
2.4 kV makes terms of 1e10 A cancel) counts as converged within its rounding bound
``(nnz_i + 2) eps sum_j |Y_ij| |v_j|``; :attr:`PowerFlowResult.roundoff_limited_nodes` names them.

An answer that is not a physical operating point is an error, never "converged": nodes without a path to
the source are refused before solving (:func:`evcore.grid._kernel.check_topology`), and a solution with
nodes at (near) zero voltage is refused after it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._validate import as_array, as_scalar, check_limits, check_positive
from ..errors import InputError, SolverError
from ..results import OPTIMAL, Result, make_trace
from . import _reference
from ._kernel import conductor_map, feeder_cache, kernel_arrays
from .model import Feeder

__all__ = ["power_flow", "PowerFlowResult", "NonConvergenceError", "TRACE_COLUMNS", "ZERO_VOLTAGE_PU"]

#: Columns of a power flow's trace: iteration number and the largest scaled current mismatch there (pu).
TRACE_COLUMNS = ("iteration", "mismatch_pu")
#: A solution with a node below this magnitude (pu of its base) is not an operating point.
ZERO_VOLTAGE_PU = 1e-3


class NonConvergenceError(SolverError):
    """Newton-Raphson did not reach the mismatch tolerance (the message names the worst node)."""


def _native():
    from .._compiled import import_extension

    return import_extension("evcore.grid._native")


@dataclass(frozen=True, eq=False, kw_only=True)
class PowerFlowResult(Result):
    """Solution of a power flow (extends :class:`evcore.results.Result`).

    ``status`` is ``"optimal"``: every node's current mismatch is within ``tolerance_pu`` (or within the
    rounding bound of its current sum, see ``roundoff_limited_nodes``); a power flow that does not get
    there raises :class:`NonConvergenceError` instead. ``objective`` is ``nan`` (nothing is optimised),
    ``iterations`` the Newton (chord) steps, ``trace`` the largest mismatch per iteration
    (columns :data:`TRACE_COLUMNS`), ``wall_time`` seconds.

    Attributes
    ----------
    node_names : tuple of str, shape (n,)
        Node ids (``"632.1"``).
    voltage : complex array, shape (n,)
        Node-to-ground voltage per unit of each node's base.
    voltage_v : complex array, shape (n,)
        The same in volts.
    mismatch_pu : float
        Largest per-unit current mismatch at the solution. It can exceed the tolerance at nodes where
        the current sum cannot be evaluated more finely in double precision (tiny-impedance switches
        make terms of ~1e10 A cancel); ``roundoff_limited_nodes`` names them.
    tolerance_pu : float
    base_kva : float
    engine : str
        ``"native"`` (C++) or ``"reference"`` (numpy twin).

    Derived quantities (computed on first access, from the feeder and ``voltage_v``):
    ``magnitude_pu``, ``angle_deg`` (shape (n,)); ``element_names`` (E,); ``conductor_currents_a``
    (C,) current into every conductor of every element, terminal 1 first, A, with
    ``element_offsets`` (E + 1,) and ``element_currents_a`` (per element); ``element_losses_va`` (E,)
    power consumed by each element (line and transformer losses, capacitor vars), W + j var;
    ``losses_va`` the sum over lines, switches, transformers and regulators; ``source_power_va`` the
    power the source delivers at its terminal; ``load_power_va`` (L,) power drawn by each load.
    ``solve_seconds`` is ``wall_time`` (the earlier name).
    """

    node_names: tuple
    voltage: np.ndarray
    voltage_v: np.ndarray
    mismatch_pu: float
    tolerance_pu: float = 1e-9
    base_kva: float = 1000.0
    engine: str = "native"
    _feeder: Feeder = field(repr=False, default=None)
    _derived: dict = field(repr=False, default_factory=dict)

    @classmethod
    def _make(cls, **fields):
        """Build with every field given, without the frozen dataclass's ``__init__`` (one guarded
        ``object.__setattr__`` per field: microseconds, a noticeable part of a warm re-solve)."""
        obj = object.__new__(cls)
        obj.__dict__.update(objective=math.nan, bound=None, gap=None, seed=None, method="power_flow",
                            _derived={}, **fields)
        return obj

    def _get(self, name):
        if not self._derived:
            self._derived.update(_derived_quantities(self._feeder, self.voltage_v, self.engine))
        return self._derived[name]

    magnitude_pu = property(lambda self: np.abs(self.voltage), doc="Voltage magnitudes, pu, shape (n,).")
    angle_deg = property(lambda self: np.degrees(np.angle(self.voltage)), doc="Voltage angles, degrees, (n,).")
    solve_seconds = property(lambda self: self.wall_time, doc="``wall_time`` (the earlier name), s.")
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
        mismatch, _, _ = sysm.assemble(self.voltage_v, self.engine, build_jacobian=False)
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

    # -- the contract's tables and extras
    def _frames(self) -> dict:
        f = self._feeder

        def nodes():
            return {"node": list(self.node_names), "bus": list(f.node_bus), "phase": f.node_phase,
                    "voltage_pu": self.magnitude_pu, "angle_deg": self.angle_deg,
                    "voltage_v": np.abs(self.voltage_v), "base_v": f.node_base_v, **f.node_coordinate_columns()}

        def elements():
            s = self.element_losses_va
            return {"element": list(f.element_names), "kind": list(f.element_kinds), "losses_kw": s.real / 1e3,
                    "losses_kvar": s.imag / 1e3, "rated_current_a": f.element_rated_current_a}

        def loads():
            s = self.load_power_va
            return {"load": list(f.load_names), "power_kw": s.real / 1e3, "power_kvar": s.imag / 1e3}

        return {"nodes": nodes, "elements": elements, "loads": loads}

    def _summary_extra(self) -> dict:
        vm = self.magnitude_pu
        lo, hi = int(np.argmin(vm)), int(np.argmax(vm))
        return {"mismatch_pu": self.mismatch_pu, "tolerance_pu": self.tolerance_pu,
                "min_voltage_pu": float(vm[lo]), "min_voltage_node": self.node_names[lo],
                "max_voltage_pu": float(vm[hi]), "max_voltage_node": self.node_names[hi],
                "losses_kw": self.losses_va.real / 1e3, "losses_kvar": self.losses_va.imag / 1e3,
                "source_power_kw": self.source_power_va.real / 1e3,
                "source_power_kvar": self.source_power_va.imag / 1e3}

    def _dict_extra(self) -> dict:
        return dict(self._summary_extra(), roundoff_limited_nodes=list(self.roundoff_limited_nodes),
                    voltage_pu=self.magnitude_pu, angle_deg=self.angle_deg)


class _System:
    """Solver state of a feeder on top of its kernel arrays: assembly, start voltage, chord factors."""

    def __init__(self, feeder: Feeder):
        self.feeder = feeder
        self.arrays = k = kernel_arrays(feeder)
        self.n = k.n
        self.base_v = k.base_v
        self.y_indptr, self.y_indices, self.y_data = k.y_indptr, k.y_indices, k.y_data
        self.i_source = k.i_source
        self.branch_from, self.branch_to, self.power_va = k.branch_from, k.branch_to, k.power_va
        self.load_base_v, self.model, self.vmin, self.vmax, self.vlow = k.load_base_v, k.model, k.vmin, k.vmax, k.vlow
        self.zipv, self.cvr = k.zipv, k.cvr
        self.jac_indptr, self.jac_indices, self.jac_base, self.jac_pos, self.nnz = (
            k.jac_indptr, k.jac_indices, k.jac_base, k.jac_pos, k.nnz)
        self._abs_y = sp.csr_matrix((k.abs_y, k.y_indices, k.y_indptr), shape=(k.n, k.n))
        self._row_terms = k.row_terms
        self._trace = np.empty(0)

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

    def network_args(self, base_kva, power_va=None):
        """Arrays the chord kernels take for the network and loads (after ``v``)."""
        key = (base_kva, None if power_va is None else id(power_va))
        cached = getattr(self, "_network_args", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        k = self.arrays
        args = (k.y_indptr, k.y_indices, k.y_data, k.abs_y, k.i_source, base_kva * 1000.0 / k.base_v, k.row_terms,
                k.branch_from, k.branch_to, k.power_va if power_va is None else power_va, k.load_base_v, k.model,
                k.vmin, k.vmax, k.vlow, k.zipv, k.cvr)
        if power_va is None:
            self._network_args = (key, args)
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
            try:
                lu = self.factorise(J)
            except RuntimeError as exc:
                raise NonConvergenceError("the Jacobian at the start is singular (a part of the network without "
                                          "a reference to ground or to the source?)", str(exc)) from exc
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

    def trace_buffer(self, max_iterations):
        if self._trace.shape[0] < max_iterations + 1:
            self._trace = np.empty(max_iterations + 1)
        return self._trace

    def roundoff_allowance(self, v):
        """Rounding-error bound of every node's current sum ``(nnz_i + 2) * eps * sum_j |Y_ij| |v_j|``, A."""
        return self._row_terms * np.finfo(float).eps * (self._abs_y @ np.abs(v) + np.abs(self.i_source))

    def initial_voltage(self):
        """Solution with every load at its nominal admittance (one linear solve): a start that has the
        right phase shifts through every transformer."""
        yeq = np.conj(self.power_va) / self.load_base_v ** 2
        a, b = self.branch_from, self.branch_to
        rows, cols, vals = [a], [a], [yeq]
        g = b >= 0
        rows += [a[g], b[g], b[g]]
        cols += [b[g], a[g], b[g]]
        vals += [-yeq[g], -yeq[g], yeq[g]]
        Yl = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(self.n, self.n))
        Y = sp.csr_matrix((self.y_data, self.y_indices, self.y_indptr), shape=(self.n, self.n))
        rhs = self.i_source.astype(complex)
        try:
            v = spla.splu((Y + Yl).tocsc()).solve(rhs)
        except RuntimeError as exc:
            raise SolverError("the nodal admittance matrix is singular (a node without any path to the "
                              "source or to ground?)", str(exc)) from exc
        if not np.isfinite(v).all():
            raise SolverError("the nominal-impedance start is not finite (a degenerate element?)", "non-finite")
        return v


def _system(feeder: Feeder) -> _System:
    slot = feeder_cache(feeder)
    sysm = slot.get("pf_system")
    if sysm is None:
        sysm = slot["pf_system"] = _System(feeder)
    return sysm


def _interleave(z):
    out = np.empty(2 * z.shape[0])
    out[0::2] = z.real
    out[1::2] = z.imag
    return out


def newton(sysm: _System, v0, tolerance_pu, max_iterations, base_kva, engine, power_va=None, trace=None):
    """Newton-Raphson from ``v0``; returns ``(v, iterations, mismatch_pu, lu)``; raises on failure."""
    v = np.array(v0, dtype=complex)
    current_base = base_kva * 1000.0 / sysm.base_v
    worst = np.inf
    lu = None
    for it in range(max_iterations + 1):
        mismatch, J, _ = sysm.assemble(v, engine, power_va)
        scaled = np.abs(mismatch) / current_base
        worst = float(scaled.max())
        if trace is not None:
            trace.append(worst)
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


def _check_operating_point(feeder, sysm, v):
    """Nodes at (near) zero voltage are not an operating point: refuse, naming them."""
    low = np.abs(v) < ZERO_VOLTAGE_PU * sysm.base_v
    if low.any():
        names = [feeder.node_names[i] for i in np.flatnonzero(low)[:6]]
        # the elements between live and dead nodes: where the supply stops
        edge = []
        for e in range(len(feeder.element_names)):
            nodes = feeder.element_nodes(e)
            nodes = nodes[nodes >= 0]
            if low[nodes].any() and not low[nodes].all():
                edge.append(feeder.element_names[e])
        at = f"; between live and dead nodes: {', '.join(edge[:5])}" if edge else ""
        raise InputError("feeder", f"the power flow leaves {int(low.sum())} node(s) at about 0 V ({', '.join(names)}"
                                   f"{', ...' if low.sum() > 6 else ''}){at}: not an operating point (an element of "
                                   "near-infinite impedance, or a load no source can supply?)")


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
        Chord iterations allowed (>= 1), then as many full Newton iterations if the chord steps stall.
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
    InputError
        Bad arguments; nodes without a path to the source; a solution with nodes at zero voltage.

    Reference: seed 002, §III-B, eqs. (11)-(15).
    """
    if not isinstance(feeder, Feeder):
        raise InputError("feeder", f"must be an evcore.grid.Feeder, got {type(feeder).__name__}")
    tolerance_pu = _positive_scalar("tolerance_pu", tolerance_pu)
    if type(max_iterations) is not int or not 1 <= max_iterations <= 10**6:
        _, max_iterations = check_limits(None, max_iterations)
        if max_iterations > 10**6:
            raise InputError("max_iterations", f"must be at most 1000000, got {max_iterations}")
    base_kva = _positive_scalar("base_kva", base_kva)
    if engine not in ("native", "reference"):
        raise InputError("engine", f"must be 'native' or 'reference', got {engine!r}")
    started = time.perf_counter()
    sysm = _system(feeder)
    start, _, factors = sysm.chord_start()
    if initial_voltage is None:
        v = start.copy()
    else:
        try:
            v0 = as_array("initial_voltage", initial_voltage, complex, shape=(sysm.n,))
        except InputError:
            raise InputError("initial_voltage", f"needs {sysm.n} complex per-unit values, got shape "
                                                f"{np.shape(initial_voltage)}") from None
        v = np.multiply(v0, sysm.base_v, dtype=complex)  # a new array, in volts
    # Chord Newton with the Jacobian factorised once per feeder (C++ loop); full Newton if it stalls.
    if engine == "native":
        buf = sysm.trace_buffer(max_iterations)
        iterations, converged, worst, _ = sysm.chord_solver(base_kva).solve_traced(v, tolerance_pu, max_iterations, buf)
        history = buf[:iterations + 1]
    else:
        history = []
        iterations, converged, worst, _ = _reference.chord_solve(v, *sysm.network_args(base_kva), *factors,
                                                                 tolerance_pu, max_iterations)
        history = [worst]
    if not converged:
        more = []
        v, extra, worst, _ = newton(sysm, v, tolerance_pu, max_iterations, base_kva, engine, trace=more)
        history = np.concatenate([np.asarray(history)[:-1], more])
        iterations += extra
    _check_operating_point(feeder, sysm, v)
    trace = np.empty(len(history), dtype=_TRACE_DTYPE)
    trace["iteration"] = np.arange(len(history))
    trace["mismatch_pu"] = history
    return PowerFlowResult._make(node_names=feeder.node_names, voltage=v / sysm.base_v, voltage_v=v,
                                 iterations=iterations, mismatch_pu=worst, status=OPTIMAL,
                                 wall_time=time.perf_counter() - started, trace=trace, tolerance_pu=tolerance_pu,
                                 base_kva=base_kva, engine=engine, _feeder=feeder)


_TRACE_DTYPE = make_trace(TRACE_COLUMNS).dtype


def element_currents(feeder: Feeder, v):
    """Conductor currents of every element, flat (C,), A: ``Yprim @ v`` element by element, in bulk.

    Returns ``(currents, conductor_voltages)``.
    """
    M, gather = conductor_map(feeder)
    vc = np.append(v, 0.0)[gather]  # ground = the appended zero
    return M @ vc, vc


def _derived_quantities(feeder, v, engine):
    """Element currents and powers, losses, source and load powers at voltages ``v`` (V)."""
    f = feeder
    vb_to = np.where(f.load_branch_to >= 0, v[np.maximum(f.load_branch_to, 0)], 0.0)
    v_branch = v[f.load_branch_from] - vb_to
    branch_current, _ = _reference.branch_currents(v_branch, f.load_branch_power_va, f.load_branch_base_v,
                                                   f.load_branch_model, f.load_branch_vmin_pu, f.load_branch_vmax_pu,
                                                   f.load_branch_vlow_pu, f.load_branch_zipv, f.load_branch_cvr)
    i_cond, v_cond = element_currents(f, v)
    off = f.element_offsets
    power_cond = v_cond * np.conj(i_cond)
    element_power = np.add.reduceat(power_cond, off[:-1]) if len(off) > 1 else np.zeros(0, complex)
    series = np.isin(np.array(f.element_kinds), ("line", "switch", "transformer", "regulator"))
    branch_power = v_branch * np.conj(branch_current)
    load_power = np.zeros(len(f.load_names), dtype=complex)
    np.add.at(load_power, f.load_branch_load, branch_power)
    src = f.source_nodes
    if f.source_ideal:
        # the source supplies what leaves its nodes through elements and loads
        out = f.network_admittance() @ v
        inj = np.zeros(f.n_nodes, dtype=complex)
        np.add.at(inj, f.load_branch_from, branch_current)
        to = f.load_branch_to >= 0
        np.add.at(inj, f.load_branch_to[to], -branch_current[to])
        i_src = out[src] + inj[src]
    else:
        i_src = f.source_yprim @ f.source_emf_v - f.source_yprim @ v[src]
    return dict(conductor_currents_a=i_cond, element_losses_va=element_power,
                losses_va=complex(element_power[series].sum()),
                source_power_va=complex(np.sum(v[src] * np.conj(i_src))), load_power_va=load_power)
