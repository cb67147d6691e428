"""Verified enclosure of the power flow over a box of charger counts (parametric Krawczyk, disc form).

For a box ``B = [lo, hi]`` of charger counts, a centre ``n_c`` in it with an approximate reduced power flow
``u_c`` (:mod:`._network`), and a preconditioner ``R`` from a reference point (:class:`._network.Reference`),
this module proves, or fails to prove, that for every ``n`` in ``B`` the reduced equations
``G(u, n) = u - u0 + W h(u, n) = 0`` have exactly one solution ``u(n)`` in the disc product
``X = {u : |u_b - u_cb| <= rho_b}``, and bounds every monitored quantity over ``B`` by affine functions.

The argument (Krawczyk's, with discs instead of intervals and block norms of the real 2x2 blocks): for
``u`` in ``X`` and ``n`` in ``B`` let ``T(u) = u - R G(u, n)``. Then

    T(u) - u_c = -R G_c + S dn + (I - R Jbar)(u - u_c),     S = -R W Hc,  dn = n - n_c,

with ``G_c = G(u_c, n_c)``, ``Hc`` the charger currents per charger at ``u_c`` and ``Jbar`` the mean-value
Jacobian over the segment ``[u_c, u]`` (``h`` is Lipschitz: continuous load models, see :mod:`._loads`).
``I - R Jbar = (I - R J_r) - R W (Dbar - D_r)`` and, blockwise, ``|I - R Jbar| <= P := |E| + |Q| diag(dD)``
with ``|E|`` the bound of ``I - R J_r`` and ``dD_b = sup ||D_b(w, n) - D_b(u_r, n_r)||`` over the disc and
the box (:func:`jacobian_variation`). If ``r_K = |R G_c| + |S| w + P rho < rho`` componentwise, ``T`` maps
``X`` into itself and contracts (weighted max norm), so the solution exists, is unique in ``X``, and
``|u(n) - u_c| <= r_K``; its linear part is ``S dn`` with the remainder ``e(n)``,
``|e(n)| <= e_u = |R G_c| + P r_K`` uniformly and ``|e(n)| <= e0 + Gamma |dn|`` pointwise.

Monitored quantities ``q = q0 - C h(u, n)`` then satisfy ``q(n) = q_c + Sq dn + eps(n)`` with
``Sq = -C (D_c S + Hc)`` and ``|eps| <= |C| (||D_c|| |e(n)| + dDc |u(n) - u_c|)`` (``dDc``: variation of the
Jacobian about the centre). Magnitudes: with ``phi = conj(q_c) / |q_c|``, ``a = Re(phi Sq dn)``,
``b = Im(phi Sq dn)``, ``|q_c| + a - |eps| <= |q| <= |q_c| + a + b^2 / (2 (|q_c| + a)) + |eps|``.

Every bound is computed in floating point from non-negative terms and inflated by a relative 1e-12;
rounding of the signed quantities (residual, products) is bounded by the standard ``gamma_k`` factors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._loads import SAFETY
from ._network import Reduction, Reference, block_norms, branch_state, to_complex, to_real

__all__ = ["Enclosure", "enclose", "jacobian_variation", "charger_current_matrix"]

_EPS = np.finfo(float).eps


def _gamma(k):
    return k * _EPS / (1.0 - k * _EPS)


@dataclass
class Enclosure:
    """Affine bounds of the monitored magnitudes over a box (rows = the monitored quantities asked for).

    For every ``n`` in the box, with ``dn = n - center`` and ``t = |dn|`` (componentwise):

    * ``lower0 + grad @ dn - lower_t @ t <= |q(n)| <= upper0 + upper_grad @ dn + upper_t @ t`` (pointwise);
    * ``outer_lower0 + grad @ dn <= |q(n)| <= outer_upper0 + upper_grad @ dn`` (uniform over the box).

    Units are those of the quantity (voltages pu, currents A).
    """

    center: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    rows: np.ndarray
    q_abs: np.ndarray
    grad: np.ndarray
    upper_grad: np.ndarray
    lower0: np.ndarray
    lower_t: np.ndarray
    upper0: np.ndarray
    upper_t: np.ndarray
    outer_lower0: np.ndarray
    outer_upper0: np.ndarray
    radius: np.ndarray
    contraction: float
    u_c: np.ndarray

    def range_over_box(self):
        """Bounds of ``|q|`` over the whole box: ``(lowest, highest)``, shape (R,) each."""
        dl = self.lo - self.center
        dh = self.hi - self.center
        g = self.grad
        lo_lin = np.minimum(g * dl, g * dh).sum(axis=1)
        ug = self.upper_grad
        hi_lin = np.maximum(ug * dl, ug * dh).sum(axis=1)
        return self.outer_lower0 + lo_lin, self.outer_upper0 + hi_lin


def charger_current_matrix(red: Reduction, u: np.ndarray) -> np.ndarray:
    """Current of one more charger on each charger branch at voltages ``u``, complex (Mc,)."""
    nb = red.n_base
    return np.conj(red.charger_unit_va) / np.conj(u[nb:])


def jacobian_variation(red: Reduction, anchor: dict, u_c, radius, lo, hi) -> np.ndarray:
    """``sup ||D_b(w, n) - D_b(anchor)||`` over ``|w - u_cb| <= radius_b`` and ``n`` in ``[lo, hi]``, (M,).

    ``anchor`` is a :func:`branch_state` (magnitudes, ``g``, ``phi``, angles, charger counts per branch).
    ``D(w) dw = g(m) dw + phi(m) w_hat Re(conj(w_hat) dw)`` gives ``||D(w) - D(a)|| <= |g(m) - g(m_a)| +
    |phi(m) - phi(m_a)| + |phi(m_a)| sin(angle(w, a))``. ``inf`` where the disc reaches 0 V or a load
    model's discontinuity or cut-off.
    """
    nb = red.n_base
    m_c = np.abs(u_c)
    m1 = m_c - radius
    m2 = m_c + radius
    out = np.full(red.M, np.inf)
    ok = m1 > 0
    if not ok.all():
        return out
    diff = np.angle(u_c) - anchor["angle"]
    diff = np.abs((diff + np.pi) % (2.0 * np.pi) - np.pi)
    theta = diff + np.arcsin(np.minimum(1.0, radius / m_c))
    sin_bound = np.minimum(1.0, theta)
    dg, dphi = red.terms.variation(m1[:nb], m2[:nb], anchor["m"][:nb], anchor["g"][:nb], anchor["phi"][:nb])
    out[:nb] = dg + dphi + np.abs(anchor["phi"][:nb]) * sin_bound[:nb]
    sigma = np.abs(red.charger_unit_va)
    k = red.charger_candidate
    c0 = anchor["n_branch"] / anchor["m"][nb:] ** 2
    d = np.maximum(np.abs(lo[k] / m2[nb:] ** 2 - c0), np.abs(hi[k] / m1[nb:] ** 2 - c0))
    out[nb:] = 3.0 * sigma * d + 2.0 * sigma * c0 * sin_bound[nb:]
    return out * SAFETY


def enclose(red: Reduction, ref: Reference, lo, hi, n_c, u_c, rows, *, max_rounds: int = 8):
    """Krawczyk enclosure over the box ``[lo, hi]`` around ``(n_c, u_c)``; ``None`` if it cannot be proven.

    ``rows`` selects the monitored quantities to bound (indices into ``red.q0``).
    """
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    n_c = np.asarray(n_c, dtype=float)
    M, K, nb = red.M, red.K, red.n_base
    w = np.maximum(n_c - lo, hi - n_c)
    h_c = red.currents(u_c, n_c)
    abs_h = np.abs(h_c)
    G_c = u_c - red.u0 + red.W @ h_c
    g_err = _gamma(M + 3) * (np.abs(u_c) + np.abs(red.u0) + red.W_abs @ abs_h)
    RG = ref.R @ to_real(G_c)
    rg = block_norms(RG) * SAFETY + ref.R_abs_rows @ (g_err + _gamma(2 * M + 2) * np.abs(G_c)) * SAFETY

    # linear response to the chargers: S = -Q Hc (columns per candidate)
    hc = charger_current_matrix(red, u_c)  # (Mc,)
    cols = nb + np.arange(len(hc))
    Qc = ref.Q[:, np.stack([2 * cols, 2 * cols + 1], axis=1).ravel()].reshape(2 * M, len(hc), 2)
    contrib = -(Qc[:, :, 0] * hc.real + Qc[:, :, 1] * hc.imag)  # (2M, Mc)
    onehot = np.zeros((len(hc), K))
    onehot[np.arange(len(hc)), red.charger_candidate] = 1.0
    S = contrib @ onehot  # (2M, K)
    S_abs = block_norms(S) * SAFETY
    hc_onehot = np.abs(hc)[:, None] * onehot  # (Mc, K)
    E_S = ref.Q_err[:, nb:] @ hc_onehot + _gamma(2 * M + 4) * (ref.Q_abs[:, nb:] @ hc_onehot)
    lin = S_abs @ w + E_S @ w
    m_c = np.abs(u_c)
    rho = 1.1 * (rg + lin) + 1e-14 * m_c + 1e-300
    anchor_r = ref.branch
    ok = False
    contraction = np.inf
    for _ in range(max_rounds):
        if not np.all(rho < m_c):
            return None
        dD = jacobian_variation(red, anchor_r, u_c, rho, lo, hi)
        if not np.all(np.isfinite(dD)):
            return None
        P_rho = (ref.E_abs @ rho + ref.Q_abs @ (dD * rho)) * SAFETY
        rK = (rg + lin + P_rho) * SAFETY
        if np.all(rK < rho):
            ok = True
            contraction = float(np.max(P_rho / rho))
            break
        if not np.all(np.isfinite(rK)):
            return None
        rho = 1.25 * rK + 1e-14 * m_c
    if not ok:
        return None

    def P_apply(x):
        return (ref.E_abs @ x + ref.Q_abs @ (dD * x)) * SAFETY

    e_u = (rg + E_S @ w + P_apply(rK)) * SAFETY
    e0 = (rg + P_apply(e_u)) * SAFETY
    Gamma = (E_S + ref.E_abs @ S_abs + ref.Q_abs @ (dD[:, None] * S_abs)) * SAFETY  # (M, K)

    # monitored quantities
    rows = np.asarray(rows, dtype=np.int64)
    anchor_c = branch_state(red, u_c, n_c)
    dDc = jacobian_variation(red, anchor_c, u_c, rK, lo, hi)
    if not np.all(np.isfinite(dDc)):
        return None
    Dc = red.jacobian_blocks(u_c, n_c)
    Dn = np.sqrt((Dc ** 2).sum(axis=(1, 2))) * SAFETY
    S2 = S.reshape(M, 2, K)
    di = np.einsum("mij,mjk->mik", Dc, S2)  # (M, 2, K)
    di[nb:, 0, :] += hc.real[:, None] * onehot
    di[nb:, 1, :] += hc.imag[:, None] * onehot
    dic = di[:, 0, :] + 1j * di[:, 1, :]
    C = red.C[rows]
    C_abs = red.C_abs[rows]
    Sq = -(C @ dic)
    q_c = red.q0[rows] - C @ h_c
    q_err = _gamma(M + 2) * (np.abs(red.q0[rows]) + C_abs @ abs_h)
    sq_err = _gamma(M + 6) * (C_abs @ (Dn[:, None] * S_abs + np.abs(dic)))
    eq_u = (C_abs @ (Dn * e_u + dDc * rK) + q_err + sq_err @ w) * SAFETY
    eq0 = (C_abs @ (Dn * e0 + dDc * e_u) + q_err) * SAFETY
    Gq = (C_abs @ (Dn[:, None] * Gamma + dDc[:, None] * S_abs) + sq_err) * SAFETY
    q_abs = np.abs(q_c)
    phase = np.where(q_abs > 0, np.conj(q_c) / np.where(q_abs > 0, q_abs, 1.0), 1.0)
    rot = phase[:, None] * Sq
    a = rot.real
    beta = np.abs(rot.imag)
    a_min = q_abs - np.abs(a) @ w
    smooth = a_min > 0.0
    bw = beta @ w
    quad_u = np.where(smooth, bw ** 2 / (2.0 * np.where(smooth, a_min, 1.0)), np.inf) * SAFETY
    quad_t = np.where(smooth[:, None], bw[:, None] * beta / (2.0 * np.where(smooth, a_min, 1.0))[:, None], 0.0)
    # upper bounds: smooth rows use the linearisation, others the triangle inequality
    upper_grad = np.where(smooth[:, None], a, 0.0)
    upper_t = np.where(smooth[:, None], Gq + quad_t * SAFETY, Gq + np.abs(Sq) * SAFETY)
    upper0 = q_abs + eq0
    outer_upper0 = np.where(smooth, q_abs + eq_u + quad_u, q_abs + eq_u + (np.abs(Sq) * SAFETY) @ w)
    return Enclosure(center=n_c.copy(), lo=lo.copy(), hi=hi.copy(), rows=rows, q_abs=q_abs, grad=a,
                     upper_grad=upper_grad, lower0=q_abs - eq0, lower_t=Gq, upper0=upper0, upper_t=upper_t,
                     outer_lower0=q_abs - eq_u, outer_upper0=outer_upper0, radius=rK, contraction=contraction,
                     u_c=np.asarray(u_c).copy())
