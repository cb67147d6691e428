"""Plain numpy twin of the C++ power-flow kernel (``csrc/grid_pf.cpp``).

Both compute, for node voltages ``v`` (complex, V):

* the current of every load branch ``i = g(|v_ab|) * v_ab`` (A, from ``from`` to ``to``), where the
  complex function ``g`` is OpenDSS's load model (see :func:`load_admittance`);
* the current mismatch ``F = Y v - I_source + A i`` (A, per node; ``A`` scatters ``+i`` to the
  ``from`` node and ``-i`` to the ``to`` node), zero at a power-flow solution;
* the values of the real Jacobian ``dF/dx`` with ``x = (Re v_0, Im v_0, Re v_1, ...)`` on a fixed
  sparsity pattern (interleaved real and imaginary parts, 2x2 blocks).

The tests require both implementations to agree to rounding.

Reference: seed 002, §III-B, eqs. (11)-(15) (current injections of loads, KCL in rectangular form).
"""

from __future__ import annotations

import numpy as np

__all__ = ["load_admittance", "assemble"]


def load_admittance(vmag, power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr):
    """Equivalent admittance ``g(m)`` of load branches and its derivative ``dg/dm``.

    The branch current is ``g(m) * v`` with ``m = |v|``. This reproduces OpenDSS's load models
    (``Load.pas``): below ``vlow`` every model is its nominal admittance; constant-power parts turn
    into an impedance below ``vmin`` (interpolated current between ``vlow`` and ``vmin``) and above
    ``vmax``.

    Parameters
    ----------
    vmag : array, shape (B,)
        Voltage magnitude across each branch, V.
    power_va : complex array, shape (B,)
        Nominal power at ``base_v``, W + j var.
    base_v : array, shape (B,)
    model : int array, shape (B,)
    vmin_pu, vmax_pu, vlow_pu : arrays, shape (B,)
    zipv : array, shape (B, 7)
    cvr : array, shape (B, 2)

    Returns
    -------
    g, dg : complex arrays, shape (B,)
        Admittance (S) and its derivative with respect to ``m`` (S / V).
    """
    m = np.asarray(vmag, dtype=float)
    w, q = power_va.real, power_va.imag
    vb = base_v
    yeq = (w - 1j * q) / vb ** 2
    safe_vmin = np.where(vmin_pu != 0.0, vmin_pu, 1.0)
    yeq95 = np.where(vmin_pu != 0.0, yeq / safe_vmin ** 2, 0.0)
    yeq105 = yeq / vmax_pu ** 2
    yeq105i = yeq / vmax_pu
    v_low, v95, v105 = vlow_pu * vb, vmin_pu * vb, vmax_pu * vb
    i_low = yeq * v_low
    span = np.where(v95 - v_low != 0.0, v95 - v_low, 1.0)
    m95 = (yeq95 * v95 - i_low) / span
    m95i = (yeq * vb - i_low) / span

    g = np.zeros(m.shape, dtype=complex)
    dg = np.zeros(m.shape, dtype=complex)
    ms = np.where(m > 0.0, m, 1.0)

    low = m <= v_low
    interp = (~low) & (m <= v95)
    high = (~low) & (~interp) & (m > v105)
    normal = (~low) & (~interp) & (~high)

    def interpolated(mslope):
        c = i_low + mslope * (ms - v_low)
        return c / ms, mslope / ms - c / ms ** 2

    gi, dgi = interpolated(m95)
    gii, dgii = interpolated(m95i)

    # Models 1, 3, 4 (constant-power family) and 5 (constant current) share the switching rules.
    for code, g_norm, dg_norm, g_high, g_int, dg_int in (
        (1, (w - 1j * q) / ms ** 2, -2.0 * (w - 1j * q) / ms ** 3, yeq105, gi, dgi),
        (3, w / ms ** 2 + 1j * yeq.imag, -2.0 * w / ms ** 3 + 0j, yeq105, gi, dgi),
        (5, (w - 1j * q) / (vb * ms), -(w - 1j * q) / (vb * ms ** 2), yeq105i, gii, dgii),
    ):
        sel = model == code
        g = np.where(sel & low, yeq, g)
        g = np.where(sel & interp, g_int, g)
        dg = np.where(sel & interp, dg_int, dg)
        g = np.where(sel & high, g_high, g)
        g = np.where(sel & normal, g_norm, g)
        dg = np.where(sel & normal, dg_norm, dg)

    sel = model == 4
    if sel.any():
        a, b = cvr[:, 0], cvr[:, 1]
        vr = ms / vb
        pw, pq = w * vr ** a, q * vr ** b
        g4 = (pw - 1j * pq) / ms ** 2
        dg4 = (pw * (a - 2.0) - 1j * pq * (b - 2.0)) / ms ** 3
        g = np.where(sel & low, yeq, g)
        g = np.where(sel & interp, gi, g)
        dg = np.where(sel & interp, dgi, dg)
        g = np.where(sel & high, yeq105, g)
        g = np.where(sel & normal, g4, g)
        dg = np.where(sel & normal, dg4, dg)

    sel = model == 2
    g = np.where(sel, yeq, g)
    dg = np.where(sel, 0.0, dg)

    sel = model == 0  # evcore's pure constant power
    g = np.where(sel, (w - 1j * q) / ms ** 2, g)
    dg = np.where(sel, -2.0 * (w - 1j * q) / ms ** 3, dg)

    sel = model == 8
    if sel.any():
        zp, ip, pp, zq, iq, pq, cut = (zipv[:, k] for k in range(7))
        gz = zp * yeq.real + 1j * zq * yeq.imag

        def mix(p_part, i_part, dp_part, di_part):
            gg = gz + pp * p_part.real + 1j * pq * p_part.imag + ip * i_part.real + 1j * iq * i_part.imag
            dd = pp * dp_part.real + 1j * pq * dp_part.imag + ip * di_part.real + 1j * iq * di_part.imag
            return gg, dd

        g8_int, dg8_int = mix(gi, gii, dgi, dgii)
        zero = np.zeros_like(gz)
        g8_high, dg8_high = mix(yeq105, yeq105i, zero, zero)
        g8_i = (w * ip - 1j * q * iq) / (vb * ms)
        g8_p = (w * pp - 1j * q * pq) / ms ** 2
        g8_norm = gz + g8_i + g8_p
        dg8_norm = -g8_i / ms - 2.0 * g8_p / ms
        g8 = np.where(interp, g8_int, np.where(high, g8_high, g8_norm))
        dg8 = np.where(interp, dg8_int, np.where(high, dg8_high, dg8_norm))
        # low-voltage drop-out (OpenDSS: logistic in the voltage, skipped when it is 1 in float64)
        vx = 500.0 * (ms / vb - cut)
        apply = (cut > 0.0) & (vx < 20.0)
        t = np.tanh(np.where(apply, vx, 0.0))
        yv = 0.5 * (1.0 + t)
        dyv = 0.5 * (1.0 - t ** 2) * 500.0 / vb
        dg8 = np.where(apply, dg8 * yv + g8 * dyv, dg8)
        g8 = np.where(apply, g8 * yv, g8)
        g = np.where(sel & low, yeq, np.where(sel, g8, g))
        dg = np.where(sel & low, 0.0, np.where(sel, dg8, dg))
    return g, dg


def assemble(v, y_indptr, y_indices, y_data, i_source, branch_from, branch_to, power_va, base_v, model,
             vmin_pu, vmax_pu, vlow_pu, zipv, cvr, jac_base, jac_pos, out_mismatch, out_jac, out_current):
    """Current mismatch, Jacobian values and load-branch currents at voltages ``v``.

    Parameters
    ----------
    v : complex array, shape (n,)
        Node voltages, V.
    y_indptr, y_indices, y_data : CSR arrays of the nodal admittance (complex, S), shape (n, n).
    i_source : complex array, shape (n,)
        Norton injection of the source, A.
    branch_from, branch_to : int arrays, shape (B,)   (``to = -1`` is ground)
    power_va ... cvr : load-branch data as in :func:`load_admittance`.
    jac_base : array, shape (nnz,)
        Jacobian values of the admittance part (constant).
    jac_pos : int array, shape (B, 16)
        Positions in the Jacobian data of the 2x2 blocks (from,from), (from,to), (to,from),
        (to,to), row-major within each block; ``-1`` where the block touches ground.
    out_mismatch : complex array, shape (n,)       (written)
    out_jac : array, shape (nnz,)                 (written)
    out_current : complex array, shape (B,)        (written)
    """
    n = v.shape[0]
    rows = np.repeat(np.arange(n), np.diff(y_indptr))
    yv = np.zeros(n, dtype=complex)
    np.add.at(yv, rows, y_data * v[y_indices])
    vb_node = np.where(branch_to >= 0, v[np.maximum(branch_to, 0)], 0.0)
    vab = v[branch_from] - vb_node
    m = np.abs(vab)
    g, dg = load_admittance(m, power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr)
    cur = g * vab
    out_current[:] = cur
    mismatch = yv - i_source
    np.add.at(mismatch, branch_from, cur)
    to = branch_to >= 0
    np.add.at(mismatch, branch_to[to], -cur[to])
    out_mismatch[:] = mismatch

    ms = np.where(m > 0.0, m, 1.0)
    gv = dg * vab
    u, w = vab.real / ms, vab.imag / ms
    d = np.empty((len(g), 4))
    d[:, 0] = g.real + gv.real * u   # dIre/dx
    d[:, 1] = -g.imag + gv.real * w  # dIre/dy
    d[:, 2] = g.imag + gv.imag * u   # dIim/dx
    d[:, 3] = g.real + gv.imag * w   # dIim/dy
    jac = jac_base.copy()
    signed = np.concatenate([d, -d, -d, d], axis=1)  # blocks (a,a), (a,b), (b,a), (b,b)
    ok = jac_pos >= 0
    np.add.at(jac, jac_pos[ok], signed[ok])
    out_jac[:] = jac
