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

__all__ = ["load_admittance", "branch_currents", "assemble"]


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

    sel = model == 9  # pure constant current magnitude (GridLAB-D's constant_current, rotating with v)
    g9 = (w - 1j * q) / (vb * ms)
    g = np.where(sel, g9, g)
    dg = np.where(sel, -g9 / ms, dg)

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


def branch_currents(vab, power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr):
    """Current of every load branch at ``vab`` (A) and its 2x2 real Jacobian, shape (B, 2, 2).

    ``i = g(|v|) v`` for every model (see :func:`load_admittance`).
    """
    m = np.abs(vab)
    g, dg = load_admittance(m, power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr)
    cur = g * vab
    ms = np.where(m > 0.0, m, 1.0)
    gv = dg * vab
    u, w = vab.real / ms, vab.imag / ms
    d = np.empty((len(g), 2, 2))
    d[:, 0, 0] = g.real + gv.real * u   # dIre/dx
    d[:, 0, 1] = -g.imag + gv.real * w  # dIre/dy
    d[:, 1, 0] = g.imag + gv.imag * u   # dIim/dx
    d[:, 1, 1] = g.real + gv.imag * w   # dIim/dy
    return cur, d


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
    cur, dmat = branch_currents(vab, power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr)
    out_current[:] = cur
    mismatch = yv - i_source
    np.add.at(mismatch, branch_from, cur)
    to = branch_to >= 0
    np.add.at(mismatch, branch_to[to], -cur[to])
    out_mismatch[:] = mismatch

    d = dmat.reshape(len(cur), 4)
    jac = jac_base.copy()
    signed = np.concatenate([d, -d, -d, d], axis=1)  # blocks (a,a), (a,b), (b,a), (b,b)
    ok = jac_pos >= 0
    np.add.at(jac, jac_pos[ok], signed[ok])
    out_jac[:] = jac


def _residual(v, y_indptr, y_indices, y_data, abs_y, i_source, current_base, row_terms, branch_from, branch_to,
              power_va,
              base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr, tolerance):
    n = v.shape[0]
    rows = np.repeat(np.arange(n), np.diff(y_indptr))
    mismatch = np.zeros(n, dtype=complex)
    np.add.at(mismatch, rows, y_data * v[y_indices])
    mismatch -= i_source
    vb = np.where(branch_to >= 0, v[np.maximum(branch_to, 0)], 0.0)
    vab = v[branch_from] - vb
    cur, _ = branch_currents(vab, power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr)
    np.add.at(mismatch, branch_from, cur)
    to = branch_to >= 0
    np.add.at(mismatch, branch_to[to], -cur[to])
    scaled = np.abs(mismatch) / current_base
    bound = np.zeros(n)
    np.add.at(bound, rows, abs_y * np.abs(v[y_indices]))
    bound = (bound + np.abs(i_source)) * row_terms * np.finfo(float).eps / current_base
    ok = bool(np.all((scaled <= tolerance) | (scaled <= bound)))
    worst_node = int(np.argmax(np.where(np.isnan(scaled), np.inf, scaled)))
    return mismatch, float(scaled[worst_node]), ok, worst_node


def _lu_solve(l_indptr, l_indices, l_data, u_indptr, u_indices, u_data, u_inv_diag, perm_r, perm_c, rhs):
    """``J^-1 rhs`` from SuperLU's factors ``P_r J P_c = L U`` (strictly lower L, strictly upper U, 1/diag U)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve_triangular

    n2 = rhs.shape[0]
    L = (sp.csc_matrix((l_data, l_indices, l_indptr), shape=(n2, n2)) + sp.eye(n2)).tocsr()
    U = (sp.csc_matrix((u_data, u_indices, u_indptr), shape=(n2, n2)) + sp.diags(1.0 / u_inv_diag)).tocsr()
    y = np.empty(n2)
    y[perm_r] = rhs
    z = spsolve_triangular(L, y, lower=True, unit_diagonal=True)
    z = spsolve_triangular(U, z, lower=False)
    return z[perm_c]


def chord_solve(v, y_indptr, y_indices, y_data, abs_y, i_source, current_base, row_terms, branch_from, branch_to,
                power_va,
                base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr, l_indptr, l_indices, l_data, u_indptr,
                u_indices, u_data, u_inv_diag, perm_r, perm_c, tolerance, max_iterations):
    """Chord Newton in place from ``v`` with fixed factors of a Jacobian (twin of the C++ ``chord_solve``).

    Each iteration evaluates the current mismatch and applies ``J^-1`` from the factors; it stops when
    every node is within ``max(tolerance, rounding bound)`` (per unit), after ``max_iterations``, or when
    the largest mismatch fails to fall by 10 % (stalled). Returns ``(iterations, converged, worst, node)``.
    """
    previous = np.inf
    net = (y_indptr, y_indices, y_data, abs_y, i_source, current_base, row_terms, branch_from, branch_to, power_va,
           base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr)
    for it in range(max_iterations + 1):
        mismatch, worst, ok, node = _residual(v, *net, tolerance)
        if ok or it == max_iterations or not (it == 0 or worst < 0.9 * previous):
            return it, ok, worst, node
        previous = worst
        rhs = np.empty(2 * v.shape[0])
        rhs[0::2] = -mismatch.real
        rhs[1::2] = -mismatch.imag
        dx = _lu_solve(l_indptr, l_indices, l_data, u_indptr, u_indices, u_data, u_inv_diag, perm_r, perm_c, rhs)
        v += dx[0::2] + 1j * dx[1::2]
    return max_iterations, False, worst, node


def sweep(v_base, y_indptr, y_indices, y_data, abs_y, i_source, current_base, row_terms, branch_from, branch_to,
          power_va,
          base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr, l_indptr, l_indices, l_data, u_indptr, u_indices,
          u_data, u_inv_diag, perm_r, perm_c, nodes, charger_va, charger_base_v, tolerance, max_iterations, threads,
          linear, out_v, out_iterations, out_converged):
    """One solve per candidate with a constant-power (model 1) charger at ``nodes[k]`` (twin of C++ ``sweep``).

    Every step solves with the fixed factors plus the charger's own 2x2 Jacobian, added by a rank-2
    (Woodbury) update. The first step takes the mismatch at the base solution to be the charger's
    current alone (the base case is solved to the tolerance). Exact (``linear=False``): a second step
    from the mismatch estimated branch by branch (the admittance part cancels after the first step),
    then chord iterations on the true mismatch to the tolerance (giving up after 8 steps without a
    10 % gain). Linear: the first step only (the first-order response).
    """
    lu = (l_indptr, l_indices, l_data, u_indptr, u_indices, u_data, u_inv_diag, perm_r, perm_c)
    n2 = 2 * v_base.shape[0]
    base_net = (y_indptr, y_indices, y_data, abs_y, i_source, current_base, row_terms, branch_from, branch_to,
                power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr)
    loads = (power_va, base_v, model, vmin_pu, vmax_pu, vlow_pu, zipv, cvr)
    if not linear:
        # the base case once: its true mismatch and every load branch's voltage, current and Jacobian
        f_base = _residual(v_base, *base_net, tolerance)[0]
        vab_base = v_base[branch_from] - np.where(branch_to >= 0, v_base[np.maximum(branch_to, 0)], 0.0)
        cur_base, jac_base = branch_currents(vab_base, *loads)
    for k, node in enumerate(nodes):
        ext = (np.append(branch_from, node), np.append(branch_to, -1), np.append(power_va, charger_va),
               np.append(base_v, charger_base_v[k]), np.append(model, 1), np.append(vmin_pu, 0.95),
               np.append(vmax_pu, 1.05), np.append(vlow_pu, 0.5), np.vstack([zipv, np.zeros((1, 7))]),
               np.vstack([cvr, [[1.0, 2.0]]]))
        net = (y_indptr, y_indices, y_data, abs_y, i_source, current_base, row_terms, *ext)
        unit = np.zeros((n2, 2))
        unit[2 * node, 0] = 1.0
        unit[2 * node + 1, 1] = 1.0
        za = np.column_stack([_lu_solve(*lu, unit[:, 0]), _lu_solve(*lu, unit[:, 1])])
        v = v_base.copy()
        # first step without evaluating the mismatch: at the base solution it is the charger's current
        # alone (to the base tolerance), so J^-1 of it is -Z i and the Woodbury step is -Z (i + c)
        va = v[node]
        g, dg = load_admittance(np.atleast_1d(abs(va)), np.atleast_1d(charger_va), charger_base_v[k:k + 1],
                                np.ones(1, np.int64), np.full(1, 0.95), np.full(1, 1.05), np.full(1, 0.5),
                                np.zeros((1, 7)), np.array([[1.0, 2.0]]))
        cur = g[0] * va
        D = _branch_jacobian(va, g[0], dg[0])
        zaa = za[[2 * node, 2 * node + 1], :]
        i_vec = np.array([cur.real, cur.imag])
        c = np.linalg.solve(np.eye(2) + D @ zaa, D @ (-zaa @ i_vec))
        step = -za @ (i_vec + c)
        v += step[0::2] + 1j * step[1::2]
        if linear:
            it, ok = 1, True
        else:
            # second step from the mismatch estimated without the admittance product: after the first
            # step it is F_base + sum_k [i_k(v) - i_k(v_base) - D_k dv_k] + [i_c(v) - i_c(v_base) - D dv_a]
            vab = v[branch_from] - np.where(branch_to >= 0, v[np.maximum(branch_to, 0)], 0.0)
            cur1, _ = branch_currents(vab, *loads)
            dv = vab - vab_base
            lin = (jac_base[:, 0, 0] * dv.real + jac_base[:, 0, 1] * dv.imag
                   + 1j * (jac_base[:, 1, 0] * dv.real + jac_base[:, 1, 1] * dv.imag))
            r = cur1 - cur_base - lin
            mismatch = f_base.copy()
            np.add.at(mismatch, branch_from, r)
            to = branch_to >= 0
            np.add.at(mismatch, branch_to[to], -r[to])
            g_c, _ = load_admittance(np.atleast_1d(abs(v[node])), np.atleast_1d(charger_va), charger_base_v[k:k + 1],
                                     np.ones(1, np.int64), np.full(1, 0.95), np.full(1, 1.05), np.full(1, 0.5),
                                     np.zeros((1, 7)), np.array([[1.0, 2.0]]))
            dva = v[node] - va
            mismatch[node] += g_c[0] * v[node] - cur - complex(*(D @ [dva.real, dva.imag]))
            rhs = np.empty(n2)
            rhs[0::2] = -mismatch.real
            rhs[1::2] = -mismatch.imag
            dx = _woodbury_step(v, net, lu, za, node, rhs)
            v += dx[0::2] + 1j * dx[1::2]
            it, ok = _woodbury_chord(v, net, lu, za, node, tolerance, max_iterations, 8)
            it += 2
        out_v[k] = v
        out_iterations[k] = it
        out_converged[k] = ok


def _branch_jacobian(va, g, dg):
    """2x2 real Jacobian of ``i = g(|v|) v`` with respect to ``(Re v, Im v)``."""
    m = abs(va)
    gv = dg * va
    return np.array([[g.real + gv.real * va.real / m, -g.imag + gv.real * va.imag / m],
                     [g.imag + gv.imag * va.real / m, g.real + gv.imag * va.imag / m]])


def _woodbury_chord(v, net, lu, za, node, tolerance, max_iterations, patience):
    """Chord Newton whose steps solve with ``J + E_a D E_a^T`` (D: the charger's own 2x2 Jacobian)."""
    best, idle = np.inf, 0
    for it in range(max_iterations + 1):
        mismatch, worst, ok, _ = _residual(v, *net, tolerance)
        if ok or it == max_iterations or not np.isfinite(worst):
            return it, ok
        if worst < 0.9 * best:
            best, idle = worst, 0
        else:
            idle += 1
            if idle >= patience:
                return it, False
        rhs = np.empty(2 * v.shape[0])
        rhs[0::2] = -mismatch.real
        rhs[1::2] = -mismatch.imag
        dx = _woodbury_step(v, net, lu, za, node, rhs)
        v += dx[0::2] + 1j * dx[1::2]
    return max_iterations, False


def _woodbury_step(v, net, lu, za, node, rhs):
    """``(J + E_a D E_a^T)^-1 rhs``, D the charger's own 2x2 Jacobian at ``v`` (the last branch of ``net``)."""
    charger = tuple(np.atleast_1d(a[-1]) for a in net[7:])
    y = _lu_solve(*lu, rhs)
    va = v[node]
    g, dg = load_admittance(np.atleast_1d(abs(va)), charger[2], charger[3], charger[4], charger[5], charger[6],
                            charger[7], charger[8].reshape(1, 7), charger[9].reshape(1, 2))
    D = _branch_jacobian(va, g[0], dg[0])
    zaa = za[[2 * node, 2 * node + 1], :]
    c = np.linalg.solve(np.eye(2) + D @ zaa, D @ y[[2 * node, 2 * node + 1]])
    return y - za @ c
