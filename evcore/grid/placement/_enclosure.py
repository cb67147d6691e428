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

    ``existence``: Krawczyk's conditions hold (for every ``n`` of the box exactly one solution lies in the disc
    product around ``u_c``, and the bounds hold for it). ``all_solutions``: the bounds hold for *every*
    power-flow solution of every ``n`` in the box whose voltages meet the limits (the hypothesis given to
    :func:`enclose`); only such an enclosure may exclude placements (prune, cut, declare infeasible).
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
    all_solutions: bool = False
    krawczyk: bool = True

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
    model's discontinuity or cut-off. With ``mag_range`` (the hypothesis of an outer-only enclosure, see
    :func:`magnitude_ranges`) the sup is over the segments from ``u_c`` to points ``w`` of the disc that obey
    it (what the mean-value form needs).
    """
    nb = red.n_base
    m_c = np.abs(u_c)
    m1, m2, _ = magnitude_ranges(m_c, radius, mag_range)
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


def magnitude_ranges(m_c, radius, mag_range=None):
    """Magnitude ranges for the remainder bounds about a centre of magnitudes ``m_c`` over a disc of ``radius``.

    Returns ``(seg_lo, seg_hi, end_lo)`` (V, shape (M,) each): ``[seg_lo, seg_hi]`` holds the magnitude of
    every point of every segment from the centre ``u_c`` to a point ``w`` of the disc (Taylor remainders
    integrate the Jacobian along that segment); ``end_lo`` bounds ``|w|`` from below (the exact remainder
    forms of constant-power terms only need the end point).

    Without ``mag_range`` these are ``m_c -+ radius``. With ``mag_range = (lo_v, hi_v)``, the hypothesis
    that ``|w|`` lies within ``[lo_v, hi_v]`` (outer-only enclosures), the *end point* obeys it but the centre
    need not (it may violate a limit) and a segment may pass closer to 0 V than both its ends: with both ends
    at least ``L = min(m_c, lo_v)`` from 0 and at most ``radius`` apart, the part of the segment inside the
    circle of radius ``L`` is a chord of length at most ``radius``, so every point is at least
    ``sqrt(L^2 - radius^2 / 4)`` from 0; and ``|.|`` is convex, so no point exceeds ``max(m_c, hi_v)``.
    """
    m1 = m_c - radius
    m2 = m_c + radius
    if mag_range is None:
        return m1, m2, m1
    lo_v = np.asarray(mag_range[0], dtype=float)
    hi_v = np.asarray(mag_range[1], dtype=float)
    end_lo = np.maximum(m1, lo_v)
    L = np.minimum(m_c, lo_v)
    with np.errstate(invalid="ignore"):
        chord = np.where(radius < 2.0 * L, np.sqrt(np.maximum(L * L - 0.25 * radius * radius, 0.0)), 0.0)
    seg_lo = np.maximum(m1, chord * (1.0 - 1e-12))
    seg_hi = np.minimum(m2, np.maximum(m_c, hi_v))
    return seg_lo, seg_hi, end_lo


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
    m1, m2, end_lo = magnitude_ranges(m, radius, mag_range)
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
        # a charger branch at n = 0 need not obey the hypothesis (no charger, no operating condition): its
        # remainder is then |sigma n_c d| / m_c^2, covered by the bound below whenever end_lo <= m_c
        ends = np.minimum(end_lo[nb:], mc)
        kappa2[nb:] = np.where(ends > 0, sigma * nc / (mc ** 2 * ends), np.inf) * SAFETY
        kappa1[nb:] = np.where(ends > 0, sigma / (mc * ends), np.inf) * SAFETY
    return kappa2, kappa1, jump, dist


def _rbar(k2, k1, jump, dist, rho, w_branch, nb):
    """Uniform remainder bound per branch at radius ``rho`` (``inf`` where unbounded)."""
    out = k2 * rho ** 2 + jump * np.maximum(0.0, rho - dist)
    out[nb:] += k1[nb:] * w_branch * rho[nb:]
    return out


def _lipschitz(red, m_c, radius, mag_range, hi_branch):
    """Lipschitz constant of each branch current in its voltage along the segments from the centre to the
    solutions meeting the hypothesis within ``radius`` (every ``n`` of the box), S, shape (M,). Chargers:
    ``|sigma n / conj(w) - sigma n / conj(u_c)| = |sigma| n |d| / (|w| m_c)`` exactly (0 at ``n = 0``)."""
    nb = red.n_base
    seg_lo, seg_hi, end_lo = magnitude_ranges(m_c, radius, mag_range)
    out = np.empty(red.M)
    out[:nb] = red.terms.lipschitz(seg_lo[:nb], seg_hi[:nb])
    sigma = np.abs(red.charger_unit_va)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[nb:] = np.where(end_lo[nb:] > 0, sigma * hi_branch / (end_lo[nb:] * m_c[nb:]), np.inf) * SAFETY
    return out


def _outer_radius(red, ref, lo, hi, n_c, u_c, w, w_branch, mag_range, lin, rg, E_apply, dDr, rounds=24,
                  target=None, prior=None):
    """Radius containing every solution whose branch magnitudes lie in ``mag_range`` (see :func:`enclose`);
    ``None`` where no finite radius follows. ``target``: stop as soon as the radius is within it (the caller
    asks whether every such solution lies in a disc). ``prior = (u_p, r_p)``: a disc already known to hold
    every such solution for every ``n`` of the box (a parent box's), a start much closer than the a-priori
    radius.

    Each round takes the smaller of two valid bounds for a solution ``d = u - u_c`` with ``|d| <= rho``: the
    Taylor form ``|d| <= |E_c| rho + |S| w + |Q| rbar(rho) + |R G_c|`` and the mean-value form
    ``|d| <= P |d| + |S| w + |R G_c|``, ``P = |E_c| + |Q| diag(dD(rho))`` (``dD``: variation of the Jacobian
    over the segments, :func:`jacobian_variation`), iterated as ``x <- min(x, P x + c)`` from ``x = rho``
    (each step holds because ``P >= 0``). The Taylor form is sharp near the centre, the mean-value form
    far from it (its bound grows linearly, not quadratically, with the radius)."""
    nb = red.n_base
    lo_v, hi_v = mag_range
    imax = np.empty(red.M)
    imax[:nb] = red.terms.current_bound(lo_v[:nb], hi_v[:nb])
    sigma = np.abs(red.charger_unit_va)
    k = red.charger_candidate
    with np.errstate(divide="ignore", invalid="ignore"):
        imax[nb:] = np.where(lo_v[nb:] > 0, sigma * np.asarray(hi, float)[k] / lo_v[nb:], np.inf) * SAFETY
    rho = np.full(red.M, np.inf)
    if np.all(np.isfinite(imax)):
        # |u - u_c| = |u0 - u_c - W i| for every solution u, whatever its currents within their bounds
        rho = (np.abs(red.u0 - u_c) + red.W_abs @ imax) * (1.0 + _gamma(red.M + 4)) * SAFETY
    if prior is not None:
        rho = np.minimum(rho, (np.abs(u_c - prior[0]) + prior[1]) * SAFETY)
    if not np.all(np.isfinite(rho)):
        return None
    anchor = branch_state(red, u_c, n_c)
    c = lin + rg
    # un-preconditioned (Z-bus) form: u - u_c = -W (h(u, n) - h(u_c, n)) - W (h(u_c, n) - h(u_c, n_c)) - G_c
    G_c = u_c - red.u0 + red.W @ red.currents(u_c, n_c)
    m_c = np.abs(u_c)
    h_abs = np.abs(red.currents(u_c, n_c))
    dn_cur = np.zeros(red.M)
    dn_cur[nb:] = sigma * w_branch / m_c[nb:]
    c_z = (red.W_abs @ dn_cur + np.abs(G_c) + _gamma(red.M + 3) * (m_c + np.abs(red.u0) + red.W_abs @ h_abs)) \
        * (1.0 + _gamma(red.M + 2)) * SAFETY
    hi_branch = np.asarray(hi, float)[k]
    for _ in range(rounds):
        new = rho
        lip = _lipschitz(red, m_c, rho, mag_range, hi_branch)
        if np.all(np.isfinite(lip)):
            x = new
            for _ in range(200):
                y = np.minimum(x, (red.W_abs @ (lip * x)) * (1.0 + _gamma(red.M + 2)) * SAFETY + c_z)
                stalled = np.all(y >= x * (1.0 - 1e-3))
                x = y
                if stalled or (target is not None and np.all(x <= target)):
                    break
            new = x
        k2, k1, jmp, dst = remainder_coefficients(red, u_c, n_c, rho, w, mag_range)
        if np.all(np.isfinite(k2)):
            rbar = _rbar(k2, k1, jmp, dst, rho, w_branch, nb)
            new = np.minimum(new, (E_apply(rho) + lin + ref.Q_abs @ rbar + rg) * SAFETY)
        dD = jacobian_variation(red, anchor, u_c, rho, lo, hi, mag_range)
        if np.all(np.isfinite(dD)):
            x = new
            scale = dDr + dD
            for _ in range(200):
                y = np.minimum(x, (ref.E_abs @ x + ref.Q_abs @ (scale * x)) * SAFETY * SAFETY + c * SAFETY)
                stalled = np.all(y >= x * (1.0 - 1e-3))
                x = y
                if stalled or (target is not None and np.all(x <= target)):
                    break
            new = x
        done = np.all(new >= rho * (1.0 - 1e-3))
        rho = new
        if target is not None and np.all(rho <= target):
            break
        if done:
            break
    k2 = remainder_coefficients(red, u_c, n_c, rho, w, mag_range)[0]
    return rho if np.all(np.isfinite(k2)) else None


def enclose(red: Reduction, ref: Reference, lo, hi, n_c, u_c, rows, *, max_rounds: int = 8, hypothesis=None,
            need_all: bool = False, prior=None):
    """Krawczyk enclosure over the box ``[lo, hi]`` around ``(n_c, u_c)``; ``None`` if it cannot be proven.

    ``rows`` selects the monitored quantities to bound (indices into ``red.q0``).

    ``hypothesis = (branch_lo_v, branch_hi_v)``: bounds of the branch voltage magnitudes that every operating
    point meeting the voltage limits obeys (the limits of wye branches at monitored nodes, 0 / the sum of
    the nodes' upper limits elsewhere). Such a solution ``u`` has bounded branch currents ``|i_b| <= imax_b``,
    so ``|u - u_c| <= |u0 - u_c| + |W| imax =: rho_0`` (an a-priori radius: ``u = u0 - W i`` for every
    solution), and, by the fixed-point identity below, ``|u - u_c| <= B(rho)`` whenever ``|u - u_c| <= rho``;
    ``rho <- min(rho, B(rho))`` refines the radius (remainders over the segment from ``u_c`` to ``u``, whose
    magnitudes :func:`magnitude_ranges` bounds using the hypothesis at ``u`` only). This holds for *every*
    solution meeting the hypothesis, however many the power flow has (none: the bounds are vacuous). Then:

    * if Krawczyk succeeded and the refined radius lies within its disc, every solution meeting the limits
      is Krawczyk's unique one: its bounds hold for all of them (``all_solutions=True``);
    * otherwise, if Krawczyk failed or ``need_all`` is set, the bounds are computed from the refined radius:
      an *outer-only* enclosure (``existence=False``, ``all_solutions=True``) that proves nothing about
      existence and certifies no point, but bounds every operating point that meets the limits, which is
      what a relaxation and a pruning argument need;
    * otherwise Krawczyk's bounds are returned with ``all_solutions=False``: they hold for the solution near
      the centre only (enough to certify a point, never to exclude one).

    Without a hypothesis only Krawczyk's enclosure is tried (``all_solutions=False``).

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
    all_solutions = False
    krawczyk = ok
    if hypothesis is not None:
        hyp = (np.asarray(hypothesis[0], float), np.asarray(hypothesis[1], float))
        r_out = _outer_radius(red, ref, lo, hi, n_c, u_c, w, w_branch, hyp, lin, rg, E_apply, dDr,
                              target=rho if ok else None, prior=prior)
        if ok and r_out is not None:
            # every solution meeting the hypothesis lies in the disc where Krawczyk's solution is unique; a
            # wider disc still holds only that solution where the contraction condition holds on it (the mean
            # value form between two solutions: |u1 - u2| <= P |u1 - u2| with P y < y forces u1 = u2)
            all_solutions = bool(np.all(r_out <= rho))
            if not all_solutions:
                wide = np.maximum(rho, r_out) * (1.0 + 1e-9)
                if np.all(wide < m_c):
                    dDw = jacobian_variation(red, anchor_c, u_c, wide, lo, hi)
                    if np.all(np.isfinite(dDw)):
                        all_solutions = bool(np.all((E_apply(wide) + ref.Q_abs @ (dDw * wide)) * SAFETY < wide))
        if not all_solutions and (need_all or not ok):
            if r_out is None:
                return None
            ok = False
            mag_range = hyp
            rK = r_out
            contraction = np.inf
            all_solutions = True
    elif not ok:
        return None
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
                     u_c=np.asarray(u_c).copy(), existence=mag_range is None, all_solutions=all_solutions,
                     krawczyk=krawczyk)


def transfer_caps(red: Reduction, lo, hi, branch_lo_v, branch_hi_v):
    """Largest charger count each candidate can have in any solution that meets the voltage limits, (K,).

    Every solution with branch voltage magnitudes in ``[branch_lo_v, branch_hi_v]`` (V; the voltage limits of
    wye branches at monitored nodes, ``0`` / the sum of the nodes' upper limits elsewhere) has bounded branch
    currents ``|i_b| <= imax_b`` (OpenDSS's load models are bounded; chargers ``|sigma| n / m``). For a charger
    branch ``b`` of candidate ``k`` (wye or delta: ``u_b`` is its branch voltage), ``u_b + W_bb i_b = u0_b - sum_{b' != b} W_bb' i_b' =: E_b`` and
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
        # delta (phase-to-phase) branches obey the same identity in their own branch voltage: the reduced
        # network's variables are branch voltages, and the hypothesis bounds them (operating condition below,
        # the sum of the two nodes' upper limits above)
        if m_lo[b] <= 0 or not np.isfinite(m_hi[b]):
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
        # |f'(m)| <= |e0 - 2m| / denom + beta |m e0 - m^2| / denom^2, and every m is within h / 2 of the grid
        slope = (e0 + 2 * m_hi[b]) / denom.min() + m_hi[b] * (e0 + m_hi[b]) * beta / denom.min() ** 2
        cap += slope * (m_hi[b] - m_lo[b]) / 64.0 * SAFETY
        caps[k] = min(caps[k], cap)
    # a cap below 0 would say that not even n_k = 0 meets the hypothesis; at n_k = 0 a charger branch's own
    # operating condition does not apply, so only n_k >= 1 is excluded
    return np.maximum(caps, 0.0)
