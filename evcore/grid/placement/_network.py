"""The feeder reduced to its load branches: the power flow as a fixed point with a diagonal nonlinearity.

The network is linear; only loads (and chargers) are not. With ``Z = Y^-1`` (``Y``: elements plus the
source impedance, no loads) and ``A`` the incidence of the ``M`` load branches (``+1`` at the branch's
``from`` node, ``-1`` at its ``to`` node), Kirchhoff's current law ``Y V = I_source - A i`` gives

    V = V0 - Z_A i,          u = A^T V = u0 - W i,          W = A^T Z A   (M x M, ohms),

and every branch current depends on its own voltage only: ``i_b = h_b(u_b, n)``, the OpenDSS load model of
the branch, or ``conj(sigma_b n_k) / conj(u_b)`` for the branch of candidate ``k``'s chargers (``sigma_b``:
one charger's power on that branch). So the power flow is the fixed point

    G(u, n) = u - u0 + W h(u, n) = 0,

with Jacobian ``I + W D(u, n)``, ``D`` block diagonal (one real 2x2 block per branch). Every monitored
quantity is affine in the branch currents: node voltages ``V0_i - Z_A[i] i`` (per unit of the node base)
and transformer winding currents ``T (V0 - Z_A i)`` (A), i.e. ``q = q0 - C h(u, n)``.

Vectors of complex branch quantities are handled as complex arrays; real-linear maps (``D``, the
preconditioner) as real matrices on the interleaved form ``(Re z_0, Im z_0, Re z_1, ...)``.

The dense reduction costs ``M`` sparse solves once per instance (``M`` = load branches + charger branches).
Its floating-point accuracy is estimated a posteriori (residual of one refinement step times a 1-norm
estimate of ``Z``) and recorded as :attr:`Reduction.error_estimate_pu`; the certificate's margin (1e-9 pu by
default) must exceed it by three orders of magnitude (checked in :mod:`._exact`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ...errors import SolverError
from .._reference import load_admittance
from ._loads import load_terms

__all__ = ["Reduction", "Reference", "to_real", "to_complex", "real_form", "block_norms"]


def _residual_ld(Y, X, B, chunk=16):
    """``B - Y X`` with the products summed in extended precision (numpy ``clongdouble``), rounded to double."""
    Y = Y.tocsr()
    data = Y.data.astype(np.clongdouble)
    idx = Y.indices
    starts = Y.indptr[:-1]
    out = np.empty(X.shape, dtype=complex)
    for c0 in range(0, X.shape[1], chunk):
        Xc = X[:, c0:c0 + chunk].astype(np.clongdouble)
        prod = data[:, None] * Xc[idx]
        rows = np.add.reduceat(prod, starts, axis=0)
        out[:, c0:c0 + chunk] = (B[:, c0:c0 + chunk].astype(np.clongdouble) - rows).astype(complex)
    return out


def to_real(z: np.ndarray) -> np.ndarray:
    """Interleaved real form of a complex vector (M,) or matrix (M, K) -> (2M,) or (2M, K)."""
    z = np.asarray(z)
    out = np.empty((2 * z.shape[0],) + z.shape[1:])
    out[0::2] = z.real
    out[1::2] = z.imag
    return out


def to_complex(x: np.ndarray) -> np.ndarray:
    return x[0::2] + 1j * x[1::2]


def real_form(W: np.ndarray) -> np.ndarray:
    """Real (2M, 2M) matrix of the complex-linear map ``W`` (interleaved)."""
    m, k = W.shape
    out = np.empty((2 * m, 2 * k))
    out[0::2, 0::2] = W.real
    out[0::2, 1::2] = -W.imag
    out[1::2, 0::2] = W.imag
    out[1::2, 1::2] = W.real
    return out


def block_norms(A: np.ndarray) -> np.ndarray:
    """Frobenius norms (an upper bound of the spectral norms) of the 2x2 blocks of a real (2M, 2K) matrix,
    or of the 2-vectors of a (2M,) vector / the (2, 1) blocks of a (2M, K) matrix of columns."""
    if A.ndim == 1:
        return np.sqrt(A[0::2] ** 2 + A[1::2] ** 2)
    if A.shape[1] % 2 == 0 and A.shape[0] == A.shape[1]:
        return np.sqrt(A[0::2, 0::2] ** 2 + A[0::2, 1::2] ** 2 + A[1::2, 0::2] ** 2 + A[1::2, 1::2] ** 2)
    return np.sqrt(A[0::2] ** 2 + A[1::2] ** 2)


def branch_jacobian_blocks(u: np.ndarray, g: np.ndarray, dg: np.ndarray) -> np.ndarray:
    """Real 2x2 Jacobians of ``i = g(|u|) u`` with respect to ``(Re u, Im u)``, shape (M, 2, 2)."""
    m = np.abs(u)
    ms = np.where(m > 0, m, 1.0)
    gv = dg * u
    ur, ui = u.real / ms, u.imag / ms
    out = np.empty((u.shape[0], 2, 2))
    out[:, 0, 0] = g.real + gv.real * ur
    out[:, 0, 1] = -g.imag + gv.real * ui
    out[:, 1, 0] = g.imag + gv.imag * ur
    out[:, 1, 1] = g.real + gv.imag * ui
    return out


class Reduction:
    """Dense reduced model of a feeder with candidate charger branches and monitored quantities.

    Parameters
    ----------
    feeder : evcore.grid.Feeder
    charger_from, charger_to : int arrays, shape (Mc,)
        Nodes of each charger branch (``to = -1``: ground).
    charger_unit_va : complex array, shape (Mc,)
        Power of one charger on that branch, W + j var.
    charger_candidate : int array, shape (Mc,)
        Candidate owning each charger branch.
    n_candidates : int
    monitor_nodes : int array, shape (Nv,)
        Nodes whose voltage magnitude is limited (per unit of the node base).
    monitor_current : sparse matrix, shape (Nt, n)
        Rows mapping node voltages to limited currents (A).
    """

    def __init__(self, feeder, charger_from, charger_to, charger_unit_va, charger_candidate, n_candidates,
                 monitor_nodes, monitor_current):
        f = feeder
        self.feeder = f
        self.K = int(n_candidates)
        self.n_base = len(f.load_branch_from)
        self.charger_candidate = np.asarray(charger_candidate, dtype=np.int64)
        self.charger_unit_va = np.asarray(charger_unit_va, dtype=complex)
        self.branch_from = np.concatenate([f.load_branch_from, charger_from]).astype(np.int64)
        self.branch_to = np.concatenate([f.load_branch_to, charger_to]).astype(np.int64)
        self.M = len(self.branch_from)
        self.base_loads = (np.array(f.load_branch_power_va, dtype=complex), np.array(f.load_branch_base_v, float),
                           np.array(f.load_branch_model), np.array(f.load_branch_vmin_pu, float),
                           np.array(f.load_branch_vmax_pu, float), np.array(f.load_branch_vlow_pu, float),
                           np.array(f.load_branch_zipv, float), np.array(f.load_branch_cvr, float))
        self.terms = load_terms(*self.base_loads)
        n = f.n_nodes
        rows = np.concatenate([self.branch_from, self.branch_to[self.branch_to >= 0]])
        cols = np.concatenate([np.arange(self.M), np.flatnonzero(self.branch_to >= 0)])
        vals = np.concatenate([np.ones(self.M), -np.ones(int((self.branch_to >= 0).sum()))])
        A = sp.csc_matrix((vals, (rows, cols)), shape=(n, self.M))
        Yfull = f.admittance_matrix().tocsr()
        if getattr(f, "source_ideal", False):
            # an ideal source holds its nodes at the EMF: Kirchhoff's law only at the other nodes,
            # Y_rr V_r = -Y_rs E - A_r i
            src = np.asarray(f.source_nodes, dtype=np.int64)
            free = np.setdiff1d(np.arange(n), src)
            E = np.zeros(n, dtype=complex)
            E[src] = f.source_emf_v
            Y = Yfull[free][:, free].tocsc()
            rhs_src = -(Yfull[free][:, src] @ E[src])
            A_free = A[free].toarray()
        else:
            free = np.arange(n)
            src = np.zeros(0, dtype=np.int64)
            E = np.zeros(n, dtype=complex)
            Y = Yfull.tocsc()
            rhs_src = f.source_injection_a()
            A_free = A.toarray()
        try:
            lu = spla.splu(Y)
        except RuntimeError as exc:
            raise SolverError("the feeder's admittance matrix (elements and source, no loads) is singular",
                              str(exc)) from exc
        rhs = np.column_stack([rhs_src, A_free]).astype(complex)
        sol_free = lu.solve(rhs)
        # iterative refinement with residuals in extended precision: the admittance matrix is ill-conditioned
        # (stiff source, 1e-4 ohm switches, kappa ~ 1e8) and plain double residuals leave ~1e-9 pu errors
        for _ in range(2):
            sol_free = sol_free + lu.solve(_residual_ld(Y, sol_free, rhs))
        correction_free = np.abs(lu.solve(_residual_ld(Y, sol_free, rhs)))
        sol = np.zeros((n, self.M + 1), dtype=complex)
        sol[free] = sol_free
        sol[src, 0] = E[src]
        correction = np.zeros(sol.shape)
        correction[free] = correction_free
        self.V0 = sol[:, 0].copy()
        ZA = sol[:, 1:]
        self.ZA = ZA
        self.A = A
        to = np.where(self.branch_to >= 0, self.branch_to, n)

        def gather(X):
            Xg = np.concatenate([X, np.zeros((1,) + X.shape[1:], dtype=X.dtype)])
            return Xg[self.branch_from] - Xg[to]

        self.u0 = gather(self.V0)
        self.W = np.ascontiguousarray(gather(ZA))
        self.W_abs = np.abs(self.W)
        self.Wr = real_form(self.W)
        # a posteriori error estimate of the reduction: the next refinement correction (times 10)
        base_v = f.node_base_v
        self.error_estimate_v = 10.0 * correction.max(axis=0)  # per column: source (V), each branch (V/A)
        # monitored quantities: voltages (pu), then currents (A)
        self.monitor_nodes = np.asarray(monitor_nodes, dtype=np.int64)
        T = sp.csr_matrix(monitor_current)
        self.n_voltage = len(self.monitor_nodes)
        self.n_current = T.shape[0]
        scale = 1.0 / base_v[self.monitor_nodes]
        self.q0 = np.concatenate([self.V0[self.monitor_nodes] * scale, T @ self.V0])
        self.C = np.vstack([ZA[self.monitor_nodes] * scale[:, None], T @ ZA]) if self.M else np.zeros((0, 0))
        self.C_abs = np.abs(self.C)
        self.T = T
        # relative error estimate of the reduced data (W, u0, C, q0) against their sizes
        size = np.abs(sol).max(axis=0)
        self.error_estimate_relative = float((self.error_estimate_v / np.where(size > 0, size, 1.0)).max())
        self._lu = lu

    # ------------------------------------------------------------------ point functions
    def base_g(self, u_base: np.ndarray):
        m = np.abs(u_base)
        return load_admittance(m, *self.base_loads)

    def currents(self, u: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Branch currents ``h(u, n)``, A, shape (M,)."""
        nb = self.n_base
        g, _ = self.base_g(u[:nb])
        out = np.empty(self.M, dtype=complex)
        out[:nb] = g * u[:nb]
        s = self.charger_unit_va * np.asarray(n, dtype=float)[self.charger_candidate]
        out[nb:] = np.conj(s) / np.conj(u[nb:])
        return out

    def jacobian_blocks(self, u: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Real 2x2 blocks of ``dh/du``, shape (M, 2, 2)."""
        nb = self.n_base
        g, dg = self.base_g(u[:nb])
        s = np.conj(self.charger_unit_va * np.asarray(n, dtype=float)[self.charger_candidate])
        m = np.abs(u[nb:])
        gc = s / m ** 2
        dgc = -2.0 * s / m ** 3
        return branch_jacobian_blocks(u, np.concatenate([g, gc]), np.concatenate([dg, dgc]))

    def residual(self, u: np.ndarray, n: np.ndarray) -> np.ndarray:
        """``G(u, n) = u - u0 + W h(u, n)``, V, shape (M,)."""
        return u - self.u0 + self.W @ self.currents(u, n)

    def monitored(self, u: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Monitored quantities ``q0 - C h(u, n)``: voltages pu, then currents A (complex)."""
        return self.q0 - self.C @ self.currents(u, n)

    def node_voltages(self, u: np.ndarray, n: np.ndarray) -> np.ndarray:
        """All node voltages, V."""
        return self.V0 - self.ZA @ self.currents(u, n)

    def jacobian(self, u, n) -> np.ndarray:
        """Real (2M, 2M) Jacobian ``I + W D``."""
        D = self.jacobian_blocks(u, n)
        M = self.M
        WD = np.einsum("imk,mkl->iml", self.Wr.reshape(2 * M, M, 2), D).reshape(2 * M, 2 * M)
        WD[np.diag_indices(2 * M)] += 1.0
        return WD

    def solve(self, n, u_start, reference=None, *, tolerance=1e-13, max_iterations=60):
        """Reduced power flow at charger counts ``n`` (may be fractional): chord iterations with the
        reference's preconditioner, then Newton steps if they stall. Returns ``u`` or raises SolverError."""
        u = np.array(u_start, dtype=complex)
        scale = np.maximum(np.abs(self.u0), 1.0)
        previous = np.inf
        for it in range(max_iterations):
            G = self.residual(u, n)
            worst = float((np.abs(G) / scale).max()) if self.M else 0.0
            if not np.isfinite(worst):
                break
            if worst <= tolerance:
                return u
            if reference is not None and worst < 0.5 * previous:
                step = reference.R @ to_real(G)
            else:
                step = np.linalg.solve(self.jacobian(u, n), to_real(G))
            previous = worst
            u = u - to_complex(step)
        raise SolverError("reduced power flow did not converge (charger counts "
                          f"{np.round(np.asarray(n, float), 3).tolist()})", "max_iterations")


class Reference:
    """Preconditioner of the Krawczyk operator at a reference point ``(u_r, n_r)``.

    ``R`` approximates ``J_r^-1``, ``J_r = I + W D(u_r, n_r)``. Kept: ``Q = R W`` (real form), the block norms
    ``|Q|`` (M, M) and a bound ``|E|`` (M, M) of the block norms of ``I - R J_r`` (its computed value plus
    the rounding bound of the product), and the point's branch data ``g``, ``phi`` and angles.
    """

    def __init__(self, red: Reduction, u_r, n_r):
        self.u = np.array(u_r, dtype=complex)
        self.n = np.array(n_r, dtype=float)
        self.D = red.jacobian_blocks(self.u, self.n)
        J = red.jacobian(self.u, self.n)
        M2 = J.shape[0]
        self.R = np.linalg.inv(J)
        self.Q = self.R @ red.Wr
        gamma = (M2 + 2) * np.finfo(float).eps / (1.0 - (M2 + 2) * np.finfo(float).eps)
        R_abs = np.abs(self.R)
        # the computed Q differs from the exact product R W by at most gamma |R| |W| (entrywise)
        self.Q_err = block_norms(gamma * (R_abs @ np.abs(red.Wr)))
        self.Q_abs = block_norms(self.Q) + self.Q_err
        E = np.eye(M2) - self.R @ J
        E_bound = np.abs(E) + gamma * (R_abs @ np.abs(J) + np.eye(M2))
        self.E_abs = block_norms(E_bound)
        self.R_abs_rows = block_norms(self.R)  # for rounding bounds of R @ x
        self.branch = branch_state(red, self.u, self.n)


def branch_state(red: Reduction, u, n):
    """Magnitudes, ``g``, ``phi = m g'`` and angles of every branch at ``(u, n)`` (anchor of bounds)."""
    nb = red.n_base
    m = np.abs(u)
    g_base = red.terms.g(m[:nb])
    phi_base = red.terms.phi(m[:nb])
    n_branch = np.asarray(n, dtype=float)[red.charger_candidate]
    s = np.conj(red.charger_unit_va) * n_branch
    g_ch = s / m[nb:] ** 2
    return dict(m=m, angle=np.angle(u), g=np.concatenate([g_base, g_ch]),
                phi=np.concatenate([phi_base, -2.0 * g_ch]), n_branch=n_branch)
