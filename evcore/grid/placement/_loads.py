"""OpenDSS load models as piecewise sums of power terms, and their rigorous variation over an interval.

A load branch draws ``i = g(m) v`` with ``m = |v|`` (volts) and ``g`` one of OpenDSS's load models
(:func:`evcore.grid._reference.load_admittance`, the model the power flow uses). On each of its regions
(``m <= vlow``, ``vlow < m <= vmin``, ``vmin < m <= vmax``, ``m > vmax``, in volts) every model is a sum of
at most four terms ``c m^p`` (complex ``c``, real ``p``): constant powers ``p = -2``, constant currents
``p = -1``, also GridLAB-D's pure constant current of model 9), impedances ``p = 0``, OpenDSS's exponential model ``p = a - 2``, the ZIP mixture and the linear
current interpolation between ``vlow`` and ``vmin``. This module stores that form once per branch
(:class:`LoadTerms`) and bounds, for every branch and an interval ``[m1, m2]`` of magnitudes,

* ``sup |g(m) - g(m0)|`` and ``sup |phi(m) - phi(m0)|`` over ``m`` in the interval, where
  ``phi(m) = m g'(m)`` and ``m0`` is a reference magnitude,

by splitting the interval at the region boundaries and using that every ``m^p`` is monotone on a
positive interval: ``|sum c (m^p - a^p)| <= sum |c| max(|m1^p - a^p|, |m2^p - a^p|)``. These are the
quantities the Jacobian enclosure of :mod:`._enclosure` needs: the branch Jacobian is
``D(v) dv = g(m) dv + phi(m) v_hat Re(conj(v_hat) dv)``.

The mean-value form used by the enclosure needs ``i(v)`` to be Lipschitz; every OpenDSS model is
continuous at its region boundaries (checked for each branch by :meth:`LoadTerms.continuity_gap`),
only its derivative jumps. Model 8's low-voltage logistic cut-off (``vx = 500 (m / vb - cut) < 20``)
is not represented: an interval that reaches it is reported as unsupported (the caller cannot certify
and splits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["LoadTerms", "load_terms", "SAFETY"]

#: Relative inflation applied to every bound computed in floating point here (each is a handful of
#: operations with errors of a few ulps; 1e-12 covers them with a wide margin).
SAFETY = 1.0 + 1e-12

_REGIONS = 4
_TERMS = 4


@dataclass(frozen=True)
class LoadTerms:
    """Piecewise power-term form of ``B`` load branches.

    Attributes
    ----------
    lower, upper : arrays, shape (B, 4)
        Magnitude range of each region, V (``lower`` exclusive, ``upper`` inclusive; ``-inf``/``inf`` at
        the ends; ``nan`` for an empty region).
    coefficient : complex array, shape (B, 4, 4)
        ``c`` of each term, S V^-p.
    power : array, shape (B, 4, 4)
        ``p`` of each term.
    cutoff_v : array, shape (B,)
        Magnitude below which model 8's logistic cut-off acts, V (0 where none).
    jump_v : array, shape (B, 3)
        Region boundaries where ``g`` jumps (OpenDSS's model 4 at ``vmin`` and ``vmax``), V; ``nan``
        where ``g`` is continuous. An interval that contains one gets no bound (``inf``).
    """

    lower: np.ndarray
    upper: np.ndarray
    coefficient: np.ndarray
    power: np.ndarray
    cutoff_v: np.ndarray
    jump_v: np.ndarray = None

    def __post_init__(self):
        if self.jump_v is None:
            object.__setattr__(self, "jump_v", self._jumps())

    def region_of(self, m) -> np.ndarray:
        """Region index of magnitude ``m[b]`` for every branch, shape (B,)."""
        m = np.asarray(m, dtype=float)[:, None]
        inside = (m > self.lower) & (m <= self.upper)
        return np.argmax(inside, axis=1)

    def _eval(self, m, region, derivative=False):
        b = np.arange(self.lower.shape[0])
        c = self.coefficient[b, region]
        p = self.power[b, region]
        mp = np.asarray(m, dtype=float)[:, None] ** p
        if derivative:
            return (c * p * mp).sum(axis=1)
        return (c * mp).sum(axis=1)

    def g(self, m) -> np.ndarray:
        """Admittance ``g(m)``, S, shape (B,)."""
        return self._eval(m, self.region_of(m))

    def phi(self, m) -> np.ndarray:
        """``m g'(m)``, S, shape (B,)."""
        return self._eval(m, self.region_of(m), derivative=True)

    def continuity_gap(self) -> np.ndarray:
        """Largest relative jump of ``g`` at a region boundary, per branch (0 for continuous models)."""
        return self._jumps(values=True)

    def _jumps(self, values=False):
        nb = self.lower.shape[0]
        gap = np.zeros(nb)
        where = np.full((nb, _REGIONS - 1), np.nan)
        for r in range(_REGIONS - 1):
            edge = self.upper[:, r]
            for s in range(r + 1, _REGIONS):
                ok = np.isfinite(edge) & (edge > 0) & (self.lower[:, s] == edge) & ~np.isnan(self.lower[:, r])
                if not ok.any():
                    continue
                e = np.where(ok, edge, 1.0)
                left = self._eval(e, np.full(nb, r))
                right = self._eval(e, np.full(nb, s))
                scale = np.maximum(np.abs(left), np.abs(right))
                jump = np.abs(left - right) / np.where(scale > 0, scale, 1.0)
                gap = np.maximum(gap, np.where(ok, jump, 0.0))
                where[:, r] = np.where(ok & (jump > 1e-12), edge, where[:, r])
        return gap if values else where

    def variation(self, m1, m2, m0, g0, phi0):
        """Bounds of ``sup |g(m) - g0|`` and ``sup |phi(m) - phi0|`` over ``m1 <= m <= m2``.

        Parameters
        ----------
        m1, m2 : arrays, shape (B,)
            Magnitude interval per branch, V (``0 < m1 <= m2``).
        m0 : array, shape (B,)
            Reference magnitude (anywhere; need not lie in the interval), V.
        g0, phi0 : complex arrays, shape (B,)
            ``g(m0)`` and ``phi(m0)``.

        Returns
        -------
        dg, dphi : arrays, shape (B,)
            The bounds (S), inflated for rounding; ``inf`` where the interval reaches a cut-off.
        """
        m1 = np.asarray(m1, dtype=float)
        m2 = np.asarray(m2, dtype=float)
        dg = np.zeros(m1.shape)
        dphi = np.zeros(m1.shape)
        for r in range(_REGIONS):
            lo = self.lower[:, r]
            hi = self.upper[:, r]
            a1 = np.maximum(m1, np.where(np.isnan(lo), np.inf, lo))
            a2 = np.minimum(m2, np.where(np.isnan(hi), -np.inf, hi))
            hit = a1 <= a2
            if not hit.any():
                continue
            a1 = np.where(hit, a1, 1.0)
            a2 = np.where(hit, a2, 1.0)
            anchor = np.clip(m0, a1, a2)
            c = self.coefficient[:, r]
            p = self.power[:, r]
            ap = anchor[:, None] ** p
            spread = np.maximum(np.abs(a1[:, None] ** p - ap), np.abs(a2[:, None] ** p - ap))
            g_anchor = (c * ap).sum(axis=1)
            phi_anchor = (c * p * ap).sum(axis=1)
            bound_g = np.abs(g_anchor - g0) + (np.abs(c) * spread).sum(axis=1)
            bound_phi = np.abs(phi_anchor - phi0) + (np.abs(c * p) * spread).sum(axis=1)
            dg = np.where(hit, np.maximum(dg, bound_g), dg)
            dphi = np.where(hit, np.maximum(dphi, bound_phi), dphi)
        reach = (self.cutoff_v > 0) & (m1 <= self.cutoff_v)
        reach |= ((self.jump_v >= m1[:, None]) & (self.jump_v <= m2[:, None])).any(axis=1)
        dg = np.where(reach, np.inf, dg * SAFETY)
        dphi = np.where(reach, np.inf, dphi * SAFETY)
        return dg, dphi


    def curvature(self, m1, m2, m0):
        """Second-order remainder coefficients of ``h(u) = g(|u|) u`` about a point of magnitude ``m0``.

        For a disc ``|w - u0| <= rho`` with magnitudes in ``[m1, m2]`` (``m1 > 0``):

            |h(w) - h(u0) - D(u0)(w - u0)| <= kappa rho^2 + jump * max(0, rho - dist)

        * inside one region: ``kappa = sum_t |c_t| k_t`` with ``k = 1 / (m0^2 m1)`` for a constant-power term
          (``p = -2``, exact form ``conj(s) d^2 / (u^2 (u + d))``), 0 for an impedance (``p = 0``) and
          ``|p| (|p| + 2) / 2 * sup m^(p-1)`` otherwise (half the bound of the second derivative of
          ``c |u|^p u``); ``jump = 0``;
        * across region boundaries (OpenDSS's switch to an impedance at ``vmin``/``vmax``): ``kappa`` the
          largest generic coefficient of the regions met, ``jump`` the sum of the jumps of ``phi = m g'`` at
          the boundaries met (``g`` itself is continuous there) and ``dist`` the distance from ``m0`` to the
          nearest such boundary: along the segment the Jacobian differs from ``D(u0)`` by at most
          ``L t |d|`` plus the jumps passed, and a boundary is reached only after ``dist``.

        ``inf`` where the interval reaches a jump of ``g`` itself or model 8's cut-off.

        Returns
        -------
        kappa, jump, dist : arrays, shape (B,)   (S / V, S, V)
        """
        m1 = np.asarray(m1, dtype=float)
        m2 = np.asarray(m2, dtype=float)
        m0 = np.asarray(m0, dtype=float)
        nb = self.lower.shape[0]
        b = np.arange(nb)
        region = self.region_of(m0)
        lo = self.lower[b, region]
        hi = self.upper[b, region]
        inside = (m1 > np.where(np.isnan(lo), np.inf, lo)) & (m2 <= np.where(np.isnan(hi), -np.inf, hi))
        c = np.abs(self.coefficient[b, region])
        p = self.power[b, region]
        mm = np.where(p - 1.0 < 0, m1[:, None], m2[:, None]) ** (p - 1.0)
        generic = 0.5 * np.abs(p) * (np.abs(p) + 2.0) * mm
        exact = 1.0 / (m0[:, None] ** 2 * m1[:, None])
        k = np.where(p == -2.0, exact, np.where(p == 0.0, 0.0, generic))
        kappa = (c * k).sum(axis=1)
        jump = np.zeros(nb)
        dist = np.full(nb, np.inf)
        cross = ~inside
        if cross.any():
            kap_cross = np.zeros(nb)
            for r in range(self.lower.shape[1]):
                rlo = self.lower[:, r]
                rhi = self.upper[:, r]
                a1 = np.maximum(m1, np.where(np.isnan(rlo), np.inf, rlo))
                a2 = np.minimum(m2, np.where(np.isnan(rhi), -np.inf, rhi))
                hit = cross & (a1 <= a2)
                if not hit.any():
                    continue
                cr = np.abs(self.coefficient[:, r])
                pr = self.power[:, r]
                mr = np.where(pr - 1.0 < 0, m1[:, None], m2[:, None]) ** (pr - 1.0)
                kr = (cr * 0.5 * np.abs(pr) * (np.abs(pr) + 2.0) * mr).sum(axis=1)
                kap_cross = np.where(hit, np.maximum(kap_cross, kr), kap_cross)
            for r in range(self.lower.shape[1] - 1):
                edge = self.upper[:, r]
                for t in range(r + 1, self.lower.shape[1]):
                    met = cross & np.isfinite(edge) & (self.lower[:, t] == edge) & ~np.isnan(self.lower[:, r])
                    met &= (edge >= m1) & (edge <= m2)
                    if not met.any():
                        continue
                    e = np.where(met, edge, 1.0)
                    left = self._eval(e, np.full(nb, r), derivative=True)
                    right = self._eval(e, np.full(nb, t), derivative=True)
                    jump = np.where(met, jump + np.abs(left - right), jump)
                    dist = np.where(met, np.minimum(dist, np.abs(m0 - e)), dist)
            kappa = np.where(cross, kap_cross, kappa)
            dist = np.where(cross & np.isinf(dist), 0.0, dist)
        reach = (self.cutoff_v > 0) & (m1 <= self.cutoff_v)
        reach |= ((self.jump_v >= m1[:, None]) & (self.jump_v <= m2[:, None])).any(axis=1)
        kappa = np.where(reach, np.inf, kappa * SAFETY)
        return kappa, jump * SAFETY, np.where(np.isfinite(dist), dist / SAFETY, 0.0)


    def lipschitz(self, m1, m2):
        """``sup ||D(v)||`` (the real 2x2 Jacobian of ``i = g(|v|) v``) over ``m1 <= |v| <= m2``, S, shape (B,).

        A term ``c m^p v`` has the Jacobian ``dv -> c m^p (dv + p v_hat Re(conj(v_hat) dv))``: it scales the
        component along ``v`` by ``1 + p`` and the other by 1, so its norm is ``|c| m^p max(1, |1 + p|)``
        (exactly ``|s| / m^2`` for a constant power). Term by term on every region met, each ``m^p`` taken
        at the end of the interval where it is largest; ``inf`` where ``m1 <= 0`` reaches a term with
        ``p < 0``, a jump of ``g`` or model 8's cut-off.
        """
        m1 = np.asarray(m1, dtype=float)
        m2 = np.asarray(m2, dtype=float)
        out = np.zeros(m1.shape)
        for r in range(self.lower.shape[1]):
            lo = np.where(np.isnan(self.lower[:, r]), np.inf, self.lower[:, r])
            hi = np.where(np.isnan(self.upper[:, r]), -np.inf, self.upper[:, r])
            a1 = np.maximum(m1, lo)
            a2 = np.minimum(m2, hi)
            hit = a1 <= a2
            if not hit.any():
                continue
            c = np.abs(self.coefficient[:, r])
            p = self.power[:, r]
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                low_end = np.where(a1[:, None] > 0, np.where(hit, a1, 1.0)[:, None] ** p,
                                   np.where(p < 0, np.inf, np.where(p == 0, 1.0, 0.0)))
                high_end = np.where(hit, a2, 1.0)[:, None] ** p
                term = np.where(c > 0, c * np.maximum(low_end, high_end) * np.maximum(1.0, np.abs(1.0 + p)), 0.0)
            out = np.where(hit, np.maximum(out, term.sum(axis=1)), out)
        reach = (self.cutoff_v > 0) & (m1 <= self.cutoff_v)
        reach |= ((self.jump_v >= m1[:, None]) & (self.jump_v <= m2[:, None])).any(axis=1)
        return np.where(reach, np.inf, out * SAFETY)

    def current_bound(self, m_lo, m_hi):
        """``sup |g(m)| m`` (the current's magnitude) over ``m_lo <= m <= m_hi``, A, shape (B,).

        Term by term on each region met (every ``m^(p+1)`` is monotone): finite for OpenDSS's models, whose
        constant-power parts turn into impedances below ``vmin``; ``inf`` for a pure constant-power branch
        (model 0) when ``m_lo`` is 0.
        """
        m_lo = np.asarray(m_lo, dtype=float)
        m_hi = np.asarray(m_hi, dtype=float)
        out = np.zeros(m_lo.shape)
        for r in range(self.lower.shape[1]):
            lo = np.where(np.isnan(self.lower[:, r]), np.inf, self.lower[:, r])
            hi = np.where(np.isnan(self.upper[:, r]), -np.inf, self.upper[:, r])
            a1 = np.maximum(m_lo, np.maximum(lo, 0.0))
            a2 = np.minimum(m_hi, hi)
            hit = a1 <= a2
            if not hit.any():
                continue
            c = np.abs(self.coefficient[:, r])
            q = self.power[:, r] + 1.0
            with np.errstate(divide="ignore", invalid="ignore"):
                e1 = np.where(c > 0, np.where(a1[:, None] > 0, a1[:, None] ** q, np.where(q > 0, 0.0, np.inf)), 0.0)
                e2 = np.where(c > 0, a2[:, None] ** q, 0.0)
            bound = (c * np.maximum(e1, e2)).sum(axis=1)
            out = np.where(hit, np.maximum(out, bound), out)
        return out * SAFETY


def load_terms(power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr) -> LoadTerms:
    """Power-term form of load branches (arrays as in :class:`evcore.grid.Feeder`, shape (B,) or (B, k))."""
    power_va = np.asarray(power_va, dtype=complex)
    nb = power_va.shape[0]
    w, q = power_va.real, power_va.imag
    vb = np.asarray(base_v, dtype=float)
    model = np.asarray(model)
    vmin_pu = np.asarray(vmin_pu, dtype=float)
    vmax_pu = np.asarray(vmax_pu, dtype=float)
    vlow_pu = np.asarray(vlow_pu, dtype=float)
    zipv = np.asarray(zipv, dtype=float).reshape(nb, 7)
    cvr = np.asarray(cvr, dtype=float).reshape(nb, 2)

    yeq = (w - 1j * q) / vb ** 2
    yeq95 = np.where(vmin_pu != 0.0, yeq / np.where(vmin_pu != 0.0, vmin_pu, 1.0) ** 2, 0.0)
    yeq105 = yeq / vmax_pu ** 2
    yeq105i = yeq / vmax_pu
    v_low, v95, v105 = vlow_pu * vb, vmin_pu * vb, vmax_pu * vb
    i_low = yeq * v_low
    span = np.where(v95 - v_low != 0.0, v95 - v_low, 1.0)
    m95 = (yeq95 * v95 - i_low) / span
    m95i = (yeq * vb - i_low) / span
    # interpolated currents i_low + slope (m - v_low), as g = (i_low - slope v_low) / m + slope
    gi = (i_low - m95 * v_low, m95)
    gii = (i_low - m95i * v_low, m95i)

    lower = np.full((nb, _REGIONS), np.nan)
    upper = np.full((nb, _REGIONS), np.nan)
    coef = np.zeros((nb, _REGIONS, _TERMS), dtype=complex)
    power = np.zeros((nb, _REGIONS, _TERMS))
    cutoff = np.zeros(nb)

    # regions of the switching models: low (-inf, v_low], interp (v_low, v95], normal (v95, v105], high (v105, inf)
    interp_empty = v95 <= v_low
    lower[:, 0], upper[:, 0] = -np.inf, v_low
    lower[:, 1] = np.where(interp_empty, np.nan, v_low)
    upper[:, 1] = np.where(interp_empty, np.nan, v95)
    lower[:, 2], upper[:, 2] = np.maximum(v95, v_low), v105
    lower[:, 3], upper[:, 3] = v105, np.inf

    def put(sel, region, terms):
        for t, (c, p) in enumerate(terms):
            coef[sel, region, t] = np.broadcast_to(c, (nb,))[sel]
            power[sel, region, t] = np.broadcast_to(p, (nb,))[sel]

    s_conj = w - 1j * q
    for code in (1, 3, 4, 5, 8):
        sel = model == code
        if not sel.any():
            continue
        put(sel, 0, [(yeq, 0.0)])
        if code in (1, 3, 4):
            put(sel, 1, [(gi[0], -1.0), (gi[1], 0.0)])
            put(sel, 3, [(yeq105, 0.0)])
        if code == 1:
            put(sel, 2, [(s_conj, -2.0)])
        elif code == 3:
            put(sel, 2, [(w + 0j, -2.0), (1j * yeq.imag, 0.0)])
        elif code == 4:
            a, b = cvr[:, 0], cvr[:, 1]
            put(sel, 2, [(w * vb ** (-a) + 0j, a - 2.0), (-1j * q * vb ** (-b), b - 2.0)])
        elif code == 5:
            put(sel, 1, [(gii[0], -1.0), (gii[1], 0.0)])
            put(sel, 2, [(s_conj / vb, -1.0)])
            put(sel, 3, [(yeq105i, 0.0)])
        elif code == 8:
            zp, ip, pp, zq, iq, pq, cut = (zipv[:, k] for k in range(7))
            gz = zp * yeq.real + 1j * zq * yeq.imag

            def mix(p_part, i_part):
                return pp * p_part.real + 1j * pq * p_part.imag + ip * i_part.real + 1j * iq * i_part.imag

            put(sel, 1, [(mix(gi[0], gii[0]), -1.0), (gz + mix(gi[1], gii[1]), 0.0)])
            put(sel, 2, [(gz, 0.0), ((w * ip - 1j * q * iq) / vb, -1.0), (w * pp - 1j * q * pq, -2.0)])
            put(sel, 3, [(gz + mix(yeq105, yeq105i), 0.0)])
            # the logistic drop-out acts while 500 (m / vb - cut) < 20
            cutoff[sel] = np.where(cut[sel] > 0.0, (cut[sel] + 20.0 / 500.0) * vb[sel], 0.0)
    for code, terms in ((2, [(yeq, 0.0)]), (0, [(s_conj, -2.0)]), (9, [(s_conj / vb, -1.0)])):
        sel = model == code
        if sel.any():
            lower[sel] = np.nan
            upper[sel] = np.nan
            lower[sel, 2], upper[sel, 2] = -np.inf, np.inf
            coef[sel] = 0.0
            power[sel] = 0.0
            put(sel, 2, terms)
    return LoadTerms(lower=lower, upper=upper, coefficient=coef, power=power, cutoff_v=cutoff)
