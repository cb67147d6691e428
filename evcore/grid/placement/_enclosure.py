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
    existence: bool = True

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


def jacobian_variation(red: Reduction, anchor: dict, u_c, radius, lo, hi, mag_range=None) -> np.ndarray:
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
    if mag_range is not None:  # magnitudes also within the voltage limits (outer-only enclosures)
        m1 = np.maximum(m1, mag_range[0])
        m2 = np.minimum(m2, mag_range[1])
    out = np.full(red.M, np.inf)
    ok = m1 > 0
    if not ok.all():
        return out
    diff = np.angle(u_c) - anchor["angle"]
    diff = np.abs((diff + np.pi) % (2.0 * np.pi) - np.pi)
    theta = diff + np.arcsin(np.minimum(1.0, radius / m_c)) if mag_range is None else diff + np.where(
        radius < m_c, np.arcsin(np.minimum(1.0, radius / m_c)), np.pi)
    sin_bound = np.minimum(1.0, theta)
    dg, dphi = red.terms.variation(m1[:nb], m2[:nb], anchor["m"][:nb], anchor["g"][:nb], anchor["phi"][:nb])
    out[:nb] = dg + dphi + np.abs(anchor["phi"][:nb]) * sin_bound[:nb]
    sigma = np.abs(red.charger_unit_va)
    k = red.charger_candidate
    c0 = anchor["n_branch"] / anchor["m"][nb:] ** 2
    d = np.maximum(np.abs(lo[k] / m2[nb:] ** 2 - c0), np.abs(hi[k] / m1[nb:] ** 2 - c0))
    out[nb:] = 3.0 * sigma * d + 2.0 * sigma * c0 * sin_bound[nb:]
    return out * SAFETY


def remainder_coefficients(red: Reduction, u_c, n_c, radius, w, mag_range=None):
    """Second-order remainder of the branch currents about the centre, per branch.

    ``r_b = h_b(u_c + d, n) - h_b(u_c, n_c) - D_cb d - Hc_b dn`` obeys, for ``|d| <= radius_b`` and
    ``|dn_k| <= w_k``: ``|r_b| <= kappa2_b |d|^2 + jump_b max(0, |d| - dist_b) + kappa1_b |dn_k| |d|``
    (:meth:`._loads.LoadTerms.curvature` for loads; chargers: ``kappa2 = |sigma| n_c / (m^2 (m - radius))``,
    ``kappa1 = |sigma| / (m (m - radius))``, exact forms of ``conj(s) / conj(u)``). ``kappa2 = inf`` where no
    bound holds (a jump of a load model's admittance inside the disc).

    Returns ``kappa2, kappa1, jump, dist`` (shape (M,) each).
    """
    nb = red.n_base
    m = np.abs(u_c)
    m1 = m - radius
    m2 = m + radius
    if mag_range is not None:
        m1 = np.maximum(m1, mag_range[0])
        m2 = np.minimum(m2, mag_range[1])
    kappa2 = np.empty(red.M)
    kappa1 = np.zeros(red.M)
    jump = np.zeros(red.M)
    dist = np.zeros(red.M)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa2[:nb], jump[:nb], dist[:nb] = red.terms.curvature(m1[:nb], m2[:nb], m[:nb])
    sigma = np.abs(red.charger_unit_va)
    nc = np.asarray(n_c, dtype=float)[red.charger_candidate]
    mc = m[nb:]
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa2[nb:] = np.where(m1[nb:] > 0, sigma * nc / (mc ** 2 * m1[nb:]), np.inf) * SAFETY
        kappa1[nb:] = np.where(m1[nb:] > 0, sigma / (mc * m1[nb:]), np.inf) * SAFETY
    return kappa2, kappa1, jump, dist


def _rbar(k2, k1, jump, dist, rho, w_branch, nb):
    """Uniform remainder bound per branch at radius ``rho`` (``inf`` where unbounded)."""
    out = k2 * rho ** 2 + jump * np.maximum(0.0, rho - dist)
    out[nb:] += k1[nb:] * w_branch * rho[nb:]
    return out


def _outer_radius(red, ref, lo, hi, n_c, u_c, w, w_branch, mag_range, lin, rg, E_apply, rounds=16):
    """Radius containing every solution whose branch magnitudes lie in ``mag_range`` (see :func:`enclose`)."""
    nb = red.n_base
    lo_v, hi_v = mag_range
    imax = np.empty(red.M)
    imax[:nb] = red.terms.current_bound(lo_v[:nb], hi_v[:nb])
    sigma = np.abs(red.charger_unit_va)
    k = red.charger_candidate
    with np.errstate(divide="ignore", invalid="ignore"):
        imax[nb:] = np.where(lo_v[nb:] > 0, sigma * np.asarray(hi, float)[k] / lo_v[nb:], np.inf) * SAFETY
    if not np.all(np.isfinite(imax)):
        return None
    rho = (np.abs(red.u0 - u_c) + red.W_abs @ imax) * (1.0 + _gamma(red.M + 4)) * SAFETY
    for _ in range(rounds):
        k2, k1, jmp, dst = remainder_coefficients(red, u_c, n_c, rho, w, mag_range)
        if not np.all(np.isfinite(k2)):
            return None
        rbar = _rbar(k2, k1, jmp, dst, rho, w_branch, nb)
        bound = (E_apply(rho) + lin + ref.Q_abs @ rbar + rg) * SAFETY
        new = np.minimum(rho, bound)
        done = np.all(new >= rho * (1.0 - 1e-3))
        rho = new
        if done:
            break
    return rho


def enclose(red: Reduction, ref: Reference, lo, hi, n_c, u_c, rows, *, max_rounds: int = 8, hypothesis=None):
    """Krawczyk enclosure over the box ``[lo, hi]`` around ``(n_c, u_c)``; ``None`` if it cannot be proven.

    ``rows`` selects the monitored quantities to bound (indices into ``red.q0``).

    ``hypothesis = (branch_lo_v, branch_hi_v)``: when Krawczyk's conditions fail, fall back to an *outer-only*
    enclosure of every solution whose branch voltage magnitudes lie within these bounds (the voltage limits of
    wye branches at monitored nodes): such a solution has bounded branch currents ``|i_b| <= imax_b``, so
    ``|u - u_c| <= |u0 - u_c| + |W| imax =: rho_0`` and, by the same fixed-point identity,
    ``|u - u_c| <= B(rho)`` whenever ``|u - u_c| <= rho``; ``rho <- min(rho, B(rho))`` refines the radius (every
    magnitude range clipped to the hypothesis). Nothing is claimed about existence (``existence=False``): the
    bounds hold for every operating point that meets the limits, which is what a relaxation needs.

    With ``R`` the reference's approximate inverse, ``E_c = I - R J_c`` (``J_c``: Jacobian at the centre;
    ``|E_c| <= |E_r| + |Q| ||D_c - D_r||`` blockwise) and ``r(d, n)`` the second-order remainder of the branch
    currents (:func:`remainder_coefficients`), every zero of ``G(u_c + d, n)`` is a fixed point of
    ``Phi(d) = E_c d + S dn - Q r(d, n) - R G_c``. If ``|E_c| rho + |S| w + |Q| rbar(rho) + |R G_c| <= r_K < rho``,
    ``Phi`` maps the disc product of radius ``rho`` into itself (existence); if moreover
    ``(|E_c| + |Q| diag(dD)) rho < rho`` with ``dD`` the variation of the Jacobian about the centre, it
    contracts (uniqueness). Then ``e(n) = d(n) - S dn = E_c d - Q r - R G_c`` is bounded uniformly and, linearly
    in ``|dn|``, pointwise.
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
    S_bound = S_abs + E_S
    lin = S_bound @ w
    # E_c = (I - R J_r) - R W (D_c - D_r): block norms of the Jacobian difference between centre and reference
    Dc = red.jacobian_blocks(u_c, n_c)
    dDr = np.sqrt(((Dc - ref.D) ** 2).sum(axis=(1, 2))) * SAFETY + _gamma(8) * (
        np.sqrt((Dc ** 2).sum(axis=(1, 2))) + np.sqrt((ref.D ** 2).sum(axis=(1, 2))))

    def E_apply(x):
        return (ref.E_abs @ x + ref.Q_abs @ (dDr * x)) * SAFETY

    m_c = np.abs(u_c)
    anchor_c = branch_state(red, u_c, n_c)
    w_branch = w[red.charger_candidate]
    rho = 1.1 * (rg + lin) + 1e-14 * m_c + 1e-300
    ok = False
    contraction = np.inf
    for _ in range(max_rounds):
        if not np.all(rho < m_c):
            break
        dD = jacobian_variation(red, anchor_c, u_c, rho, lo, hi)
        if not np.all(np.isfinite(dD)):
            break
        k2, k1, jmp, dst = remainder_coefficients(red, u_c, n_c, rho, w)
        if not np.all(np.isfinite(k2)):
            break
        rbar = _rbar(k2, k1, jmp, dst, rho, w_branch, nb)
        rK = (E_apply(rho) + lin + ref.Q_abs @ rbar + rg) * SAFETY
        contract = (E_apply(rho) + ref.Q_abs @ (dD * rho)) * SAFETY
        if np.all(rK < rho) and np.all(contract < rho):
            ok = True
            contraction = float(np.max(contract / rho))
            break
        if not (np.all(np.isfinite(rK)) and np.all(np.isfinite(contract))):
            break
        rho = 1.25 * np.maximum(rK, np.where(contract < rho, rK, rho)) + 1e-14 * m_c
    mag_range = None
    if not ok:
        if hypothesis is None:
            return None
        mag_range = (np.asarray(hypothesis[0], float), np.asarray(hypothesis[1], float))
        rK = _outer_radius(red, ref, lo, hi, n_c, u_c, w, w_branch, mag_range, lin, rg, E_apply)
        if rK is None:
            return None
        dD = jacobian_variation(red, anchor_c, u_c, rK, lo, hi, mag_range)
        contraction = np.inf
    # remainder with the final (smaller) radius r_K: every solution lies in it
    k2, k1, jmp, dst = remainder_coefficients(red, u_c, n_c, rK, w, mag_range)
    if not np.all(np.isfinite(k2)):
        return None
    rbar_u = _rbar(k2, k1, jmp, dst, rK, w_branch, nb)
    e_u = (E_apply(rK) + ref.Q_abs @ rbar_u + rg) * SAFETY
    # pointwise: |d(n)| <= |S||dn| + e_u =: a(n) <= rK, so |r_b(n)| <= c_b a_b(n) + k1_b |dn_k| rK_b with
    # c_b = k2_b rK_b + jump_b (rK_b - dist_b)^+ / rK_b (the secant of the convex (a - dist)^+ on [0, rK])
    c_lin = k2 * rK + jmp * np.maximum(0.0, rK - dst) / np.where(rK > 0, rK, 1.0)
    r0 = c_lin * e_u
    r_t = c_lin[:, None] * S_bound
    r_t[nb:] += (k1[nb:] * rK[nb:])[:, None] * onehot
    e0 = (E_apply(e_u) + ref.Q_abs @ r0 + rg) * SAFETY
    Gamma = (ref.E_abs @ S_bound + ref.Q_abs @ (dDr[:, None] * S_bound) + ref.Q_abs @ r_t) * SAFETY  # (M, K)

    # monitored quantities: q(n) - q_c = Sq dn - C D_c e(n) - C r(n)
    rows = np.asarray(rows, dtype=np.int64)
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
    sq_err = _gamma(M + 6) * (C_abs @ (Dn[:, None] * S_abs + np.abs(dic))) + C_abs @ (Dn[:, None] * E_S)
    eq_u = (C_abs @ (Dn * e_u + rbar_u) + q_err + sq_err @ w) * SAFETY
    eq0 = (C_abs @ (Dn * e0 + r0) + q_err) * SAFETY
    Gq = (C_abs @ (Dn[:, None] * Gamma + r_t) + sq_err) * SAFETY
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
                     u_c=np.asarray(u_c).copy(), existence=mag_range is None)


def transfer_caps(red: Reduction, lo, hi, branch_lo_v, branch_hi_v):
    """Largest charger count each candidate can have in any solution that meets the voltage limits, (K,).

    Every solution with branch voltage magnitudes in ``[branch_lo_v, branch_hi_v]`` (V; the voltage limits of
    wye branches at monitored nodes, ``0`` / the sum of the nodes' upper limits elsewhere) has bounded branch
    currents ``|i_b| <= imax_b`` (OpenDSS's load models are bounded; chargers ``|sigma| n / m``). For a wye
    charger branch ``b`` of candidate ``k``, ``u_b + W_bb i_b = u0_b - sum_{b' != b} W_bb' i_b' =: E_b`` and
    ``i_b = conj(sigma n_k) / conj(u_b)``; multiplying by ``conj(u_b)`` and taking real parts,
    ``m^2 + n_k Re(W_bb conj(sigma)) <= m |E_b|`` with ``m = |u_b|``. The candidate's other branches grow with
    ``n_k`` too (``|W_bb'| |sigma'| n_k / m_lo``), which gives
    ``n_k <= max_m (m E0 - m^2) / (Re(W_bb conj(sigma)) - m beta)``. ``inf`` where a premise is missing (a
    branch without a lower voltage bound, a non-positive denominator).
    """
    nb = red.n_base
    K = red.K
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    m_lo = np.asarray(branch_lo_v, dtype=float)
    m_hi = np.asarray(branch_hi_v, dtype=float)
    imax = np.empty(red.M)
    imax[:nb] = red.terms.current_bound(m_lo[:nb], m_hi[:nb])
    sigma = np.abs(red.charger_unit_va)
    k_of = red.charger_candidate
    with np.errstate(divide="ignore", invalid="ignore"):
        imax[nb:] = np.where(m_lo[nb:] > 0, sigma * hi[k_of] / m_lo[nb:], np.inf)
    caps = np.full(K, np.inf)
    if not np.all(np.isfinite(imax[:nb])):
        return caps
    same = k_of[:, None] == k_of[None, :]  # charger branches of one candidate
    for j, b in enumerate(range(nb, red.M)):
        k = k_of[j]
        if red.branch_to[b] >= 0 or m_lo[b] <= 0:
            continue
        others = np.ones(red.M, dtype=bool)
        others[b] = False
        own = np.zeros(red.M, dtype=bool)
        own[nb:] = same[j]
        own[b] = False
        rest = others & ~own
        if not np.all(np.isfinite(imax[rest])):
            continue
        e0 = (np.abs(red.u0[b]) + red.W_abs[b, rest] @ imax[rest]) * SAFETY
        beta = (red.W_abs[b, own] @ (sigma[own[nb:]] / m_lo[own])) * SAFETY if own.any() else 0.0
        real = float(np.real(red.W[b, b] * np.conj(red.charger_unit_va[j]))) / SAFETY
        ms = np.linspace(m_lo[b], m_hi[b], 65)
        denom = real - ms * beta
        if np.any(denom <= 0):
            continue
        cap = float(np.max((ms * e0 - ms ** 2) / denom))
        # the maximum of (m e0 - m^2) / denom over a grid is not the supremum: bound the gap by the slope
        slope = (e0 + 2 * m_hi[b]) / denom.min() + abs(m_hi[b] * e0) * beta / denom.min() ** 2
        cap += slope * (m_hi[b] - m_lo[b]) / 64.0
        caps[k] = min(caps[k], cap)
    return caps
