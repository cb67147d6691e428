"""The seed's bilinear current-voltage model (eqs. 11-25, 30-36), shared by ``method="paper"`` and ``"scip"``.

Variables (all real; voltages per unit of each node's or branch's base, currents in A):

* ``n`` (K, integer), ``x`` (K, binary): chargers and stations;
* ``v`` (2N): real and imaginary node voltages, nominal plus deviation (eqs. 34-35: the nominal is the
  base-case power flow, the deviation bounded by ``deviation_pu``);
* per load branch ``b`` (the feeder's loads that are not pure impedances, and one per charger phase):
  ``ur, ui`` its voltage (pu of the branch base), ``xi = ur^2 + ui^2`` (the lifting variable of eq. 30),
  the surrogate conductance and susceptance ``gr, gi`` (eqs. 16-17, in A per pu) with ``gr xi = P / base``,
  ``gi xi = -Q / base`` (eq. 31; for chargers ``P = n P1``, eq. 22-23) and the current
  ``Ir = gr ur - gi ui``, ``Ii = gr ui + gi ur`` (eqs. 11, 13, 15);
* ``eta = vr^2 + vi^2`` for every monitored node (eq. 18) and, for every limited transformer winding
  phase, its current ``Jr, Ji`` (linear in ``v``) and ``zeta = Jr^2 + Ji^2`` (eq. 19).

Kirchhoff's law at every node (eqs. 12, 14) and the definitions of ``u`` and ``J`` are linear; every other
relation is a product of two variables, kept in :attr:`BilinearModel.products` as ``w = a * b`` (``a`` may
equal ``b``). Impedance loads (OpenDSS model 2) are linear currents; the feeder's other loads are written as
constant powers at their nominal values, as the seed does (eq. 16): evcore's check with the loads' own models
is what decides whether an answer is feasible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["BilinearModel", "build_bilinear", "state_of"]


@dataclass
class BilinearModel:
    """Linear rows, bilinear products and bounds of the placement (see the module docstring).

    ``lower <= A z <= upper`` with ``A`` sparse over every variable; ``products`` rows ``(w, a, b)`` mean
    ``z[w] = z[a] * z[b]``; ``objective`` is maximised; ``integer`` marks ``n`` and ``x``.
    """

    names: list
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    objective: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    products: np.ndarray
    index: dict = field(default_factory=dict)

    @property
    def n_vars(self) -> int:
        return len(self.col_lower)

    def propagate(self, rounds=2):
        """Interval bounds of every product from its factors (in place); returns the model."""
        lo, hi = self.col_lower, self.col_upper
        with np.errstate(invalid="ignore", over="ignore"):
            self._propagate(lo, hi, rounds)
        return self

    def _propagate(self, lo, hi, rounds):
        for _ in range(rounds):
            w, a, b = self.products.T
            square = a == b
            cand = np.stack([lo[a] * lo[b], lo[a] * hi[b], hi[a] * lo[b], hi[a] * hi[b]])
            plo = np.nanmin(cand, axis=0)
            phi = np.nanmax(cand, axis=0)
            crosses = (lo[a] < 0) & (hi[a] > 0)
            plo = np.where(square, np.where(crosses, 0.0, np.minimum(lo[a] ** 2, hi[a] ** 2)), plo)
            phi = np.where(square, np.maximum(lo[a] ** 2, hi[a] ** 2), phi)
            lo[w] = np.where(np.isnan(plo), lo[w], np.maximum(lo[w], plo))
            hi[w] = np.where(np.isnan(phi), hi[w], np.minimum(hi[w], phi))


class _Builder:
    def __init__(self):
        self.names, self.lo, self.hi, self.int = [], [], [], []
        self.rows, self.cols, self.vals, self.rlo, self.rhi = [], [], [], [], []
        self.nrows = 0
        self.products = []

    def var(self, name, lo, hi, integer=False, count=None):
        if count is None:
            self.names.append(name)
            self.lo.append(lo)
            self.hi.append(hi)
            self.int.append(integer)
            return len(self.names) - 1
        start = len(self.names)
        lo = np.broadcast_to(np.asarray(lo, dtype=float), (count,))
        hi = np.broadcast_to(np.asarray(hi, dtype=float), (count,))
        for i in range(count):
            self.names.append(f"{name}[{i}]")
            self.lo.append(float(lo[i]))
            self.hi.append(float(hi[i]))
            self.int.append(integer)
        return np.arange(start, start + count)

    def row(self, cols, vals, lo, hi):
        self.rows.extend([self.nrows] * len(cols))
        self.cols.extend(int(c) for c in cols)
        self.vals.extend(float(v) for v in vals)
        self.rlo.append(lo)
        self.rhi.append(hi)
        self.nrows += 1

    def product(self, w, a, b):
        self.products.append((int(w), int(a), int(b)))


def build_bilinear(instance, *, deviation_pu=0.12, margin=0.0) -> BilinearModel:
    """The bilinear model of ``instance`` with voltage deviations bounded by ``deviation_pu`` (pu)."""
    inst = instance
    f = inst.feeder
    K = inst.n_candidates
    base = inst.base_power_flow
    Nn = f.n_nodes
    node_base = f.node_base_v
    bld = _Builder()
    nvar = bld.var("n", 0.0, np.asarray(inst.max_chargers, float), integer=True, count=K)
    xvar = bld.var("x", 0.0, 1.0, integer=True, count=K)
    nom = base.voltage
    vr = bld.var("vr", nom.real - deviation_pu, nom.real + deviation_pu, count=Nn)
    vi = bld.var("vi", nom.imag - deviation_pu, nom.imag + deviation_pu, count=Nn)

    # load branches: the feeder's non-impedance loads, then one per charger phase
    fb, tb = f.load_branch_from, f.load_branch_to
    model = f.load_branch_model
    keep = model != 2
    z_idx = np.flatnonzero(~keep)
    b_from = np.concatenate([fb[keep], inst._charger_from])
    b_to = np.concatenate([tb[keep], inst._charger_to])
    power = np.concatenate([f.load_branch_power_va[keep], np.zeros(len(inst._charger_from))])
    unit = np.concatenate([np.zeros(int(keep.sum())), inst._charger_unit_va])
    owner = np.concatenate([np.full(int(keep.sum()), -1), inst._charger_candidate])
    bbase = node_base[b_from]
    M = len(b_from)
    u_nom = (nom[b_from] - np.where(b_to >= 0, nom[np.maximum(b_to, 0)] * node_base[np.maximum(b_to, 0)]
                                    / bbase, 0.0))
    span = deviation_pu * np.where(b_to >= 0, 2.0, 1.0)
    ur = bld.var("ur", u_nom.real - span, u_nom.real + span, count=M)
    ui = bld.var("ui", u_nom.imag - span, u_nom.imag + span, count=M)
    # |u|: within the voltage limits where the branch is wye at a monitored node
    mon = set(int(i) for i in inst._monitor_nodes)
    nv = inst.n_monitored_voltages
    node_lim_lo = np.zeros(Nn)
    node_lim_hi = np.full(Nn, np.inf)
    node_lim_lo[inst._monitor_nodes] = np.maximum(inst.lower_limits[:nv] - margin, 0.0)
    node_lim_hi[inst._monitor_nodes] = inst.upper_limits[:nv] + margin
    umag_hi = np.abs(u_nom) + span * math.sqrt(2.0)
    umag_lo = np.maximum(np.abs(u_nom) - span * math.sqrt(2.0), 1e-3)
    wye_mon = (b_to < 0) & np.array([int(a) in mon for a in b_from], dtype=bool)
    umag_lo = np.where(wye_mon, np.maximum(umag_lo, node_lim_lo[b_from]), umag_lo)
    umag_hi = np.where(wye_mon, np.minimum(umag_hi, node_lim_hi[b_from]), umag_hi)
    xi = bld.var("xi", umag_lo ** 2, umag_hi ** 2, count=M)
    p_max = np.where(owner >= 0, np.abs(unit) * np.asarray(inst.max_chargers, float)[np.maximum(owner, 0)],
                     np.abs(power))
    pr = np.where(owner >= 0, unit.real, power.real)
    qr = np.where(owner >= 0, unit.imag, power.imag)
    nmax_b = np.where(owner >= 0, np.asarray(inst.max_chargers, float)[np.maximum(owner, 0)], 1.0)
    g_hi = p_max / (bbase * umag_lo ** 2)
    gr = bld.var("gr", np.minimum(0.0, pr * nmax_b / (bbase * umag_lo ** 2)), np.maximum(0.0, g_hi), count=M)
    gi = bld.var("gi", -np.abs(qr) * nmax_b / (bbase * umag_lo ** 2), np.abs(qr) * nmax_b / (bbase * umag_lo ** 2),
                 count=M)
    i_hi = g_hi * umag_hi * 1.0001 + 1e-9
    Ir = bld.var("Ir", -i_hi, i_hi, count=M)
    Ii = bld.var("Ii", -i_hi, i_hi, count=M)
    # products
    p_rr = bld.var("ur2", 0.0, np.inf, count=M)
    p_ii = bld.var("ui2", 0.0, np.inf, count=M)
    g_xr = bld.var("gr_xi", -np.inf, np.inf, count=M)
    g_xi = bld.var("gi_xi", -np.inf, np.inf, count=M)
    a1 = bld.var("gr_ur", -np.inf, np.inf, count=M)
    a2 = bld.var("gi_ui", -np.inf, np.inf, count=M)
    a3 = bld.var("gr_ui", -np.inf, np.inf, count=M)
    a4 = bld.var("gi_ur", -np.inf, np.inf, count=M)
    for b in range(M):
        bld.product(p_rr[b], ur[b], ur[b])
        bld.product(p_ii[b], ui[b], ui[b])
        bld.product(g_xr[b], gr[b], xi[b])
        bld.product(g_xi[b], gi[b], xi[b])
        bld.product(a1[b], gr[b], ur[b])
        bld.product(a2[b], gi[b], ui[b])
        bld.product(a3[b], gr[b], ui[b])
        bld.product(a4[b], gi[b], ur[b])
        # xi = ur^2 + ui^2
        bld.row([xi[b], p_rr[b], p_ii[b]], [1.0, -1.0, -1.0], 0.0, 0.0)
        # gr xi = P / base, gi xi = -Q / base (chargers: n P1 / base)
        if owner[b] >= 0:
            k = owner[b]
            bld.row([g_xr[b], nvar[k]], [1.0, -unit[b].real / bbase[b]], 0.0, 0.0)
            bld.row([g_xi[b], nvar[k]], [1.0, unit[b].imag / bbase[b]], 0.0, 0.0)
        else:
            bld.row([g_xr[b]], [1.0], power[b].real / bbase[b], power[b].real / bbase[b])
            bld.row([g_xi[b]], [1.0], -power[b].imag / bbase[b], -power[b].imag / bbase[b])
        # Ir = gr ur - gi ui ; Ii = gr ui + gi ur
        bld.row([Ir[b], a1[b], a2[b]], [1.0, -1.0, 1.0], 0.0, 0.0)
        bld.row([Ii[b], a3[b], a4[b]], [1.0, -1.0, -1.0], 0.0, 0.0)
        # u = (V_from - V_to) / base_b
        a = b_from[b]
        cols_r, vals_r = [ur[b], vr[a]], [1.0, -node_base[a] / bbase[b]]
        cols_i, vals_i = [ui[b], vi[a]], [1.0, -node_base[a] / bbase[b]]
        if b_to[b] >= 0:
            t = b_to[b]
            cols_r += [vr[t]]
            vals_r += [node_base[t] / bbase[b]]
            cols_i += [vi[t]]
            vals_i += [node_base[t] / bbase[b]]
        bld.row(cols_r, vals_r, 0.0, 0.0)
        bld.row(cols_i, vals_i, 0.0, 0.0)

    # Kirchhoff: (Y V)_i - Isrc_i + sum_b A_ib I_b + (impedance loads) = 0, rows scaled by 1 / (node current base)
    Y = f.admittance_matrix().tocsr()
    Yz = sp.lil_matrix((Nn, Nn), dtype=complex)
    for j in z_idx:
        y = np.conj(f.load_branch_power_va[j]) / f.load_branch_base_v[j] ** 2
        a, t = fb[j], tb[j]
        Yz[a, a] += y
        if t >= 0:
            Yz[t, t] += y
            Yz[a, t] -= y
            Yz[t, a] -= y
    Yt = (Y + Yz.tocsr()).tocsr()
    isrc = f.source_injection_a()
    inc = [[] for _ in range(Nn)]
    for b in range(M):
        inc[b_from[b]].append((b, 1.0))
        if b_to[b] >= 0:
            inc[b_to[b]].append((b, -1.0))
    scale = node_base / 1e6  # A per MVA at the node's base
    for i in range(Nn):
        lo_, hi_ = Yt.indptr[i], Yt.indptr[i + 1]
        js = Yt.indices[lo_:hi_]
        yv = Yt.data[lo_:hi_] * node_base[js]
        s = scale[i]
        # real: sum (G vr - B vi) + sum A Ir = Re Isrc
        cols = list(vr[js]) + list(vi[js]) + [Ir[b] for b, _ in inc[i]]
        vals = list(yv.real * s) + list(-yv.imag * s) + [sgn * s for _, sgn in inc[i]]
        bld.row(cols, vals, isrc[i].real * s, isrc[i].real * s)
        cols = list(vr[js]) + list(vi[js]) + [Ii[b] for b, _ in inc[i]]
        vals = list(yv.imag * s) + list(yv.real * s) + [sgn * s for _, sgn in inc[i]]
        bld.row(cols, vals, isrc[i].imag * s, isrc[i].imag * s)

    # voltage limits: eta = vr^2 + vi^2 in [vmin^2, vmax^2] (eq. 18)
    mon_nodes = np.asarray(inst._monitor_nodes)
    lo_lim = np.maximum(inst.lower_limits[:nv] - margin, 0.0)
    hi_lim = inst.upper_limits[:nv] + margin
    eta = bld.var("eta", lo_lim ** 2, hi_lim ** 2, count=nv)
    s_r = bld.var("vr2", 0.0, np.inf, count=nv)
    s_i = bld.var("vi2", 0.0, np.inf, count=nv)
    for j, i in enumerate(mon_nodes):
        bld.product(s_r[j], vr[i], vr[i])
        bld.product(s_i[j], vi[i], vi[i])
        bld.row([eta[j], s_r[j], s_i[j]], [1.0, -1.0, -1.0], 0.0, 0.0)
    # transformer currents (eq. 19): J = T V, zeta = Jr^2 + Ji^2 <= limit^2 (in units of the limit)
    T = inst._monitor_current.tocsr()
    lim = inst.upper_limits[nv:] + margin * inst.upper_limits[nv:]
    nt = T.shape[0]
    base_i = T @ base.voltage_v
    jr = bld.var("Jr", -np.inf, np.inf, count=nt)
    ji = bld.var("Ji", -np.inf, np.inf, count=nt)
    zeta = bld.var("zeta", 0.0, 1.0, count=nt)
    t_r = bld.var("Jr2", 0.0, np.inf, count=nt)
    t_i = bld.var("Ji2", 0.0, np.inf, count=nt)
    for t in range(nt):
        lo_, hi_ = T.indptr[t], T.indptr[t + 1]
        js = T.indices[lo_:hi_]
        yv = T.data[lo_:hi_] * node_base[js] / lim[t]
        bld.row([jr[t]] + list(vr[js]) + list(vi[js]), [1.0] + list(-yv.real) + list(yv.imag), 0.0, 0.0)
        bld.row([ji[t]] + list(vr[js]) + list(vi[js]), [1.0] + list(-yv.imag) + list(-yv.real), 0.0, 0.0)
        bld.product(t_r[t], jr[t], jr[t])
        bld.product(t_i[t], ji[t], ji[t])
        bld.row([zeta[t], t_r[t], t_i[t]], [1.0, -1.0, -1.0], 0.0, 0.0)
    # siting rows (eqs. 20, 21, 24, 25)
    nmin = np.asarray(inst.min_chargers, float)
    nmaxv = np.asarray(inst.max_chargers, float)
    for k in range(K):
        bld.row([nvar[k], xvar[k]], [1.0, -nmaxv[k]], -np.inf, 0.0)
        bld.row([nvar[k], xvar[k]], [1.0, -nmin[k]], 0.0, np.inf)
    if inst.demand > 0:
        bld.row(list(nvar), [1.0] * K, float(inst.demand), np.inf)
    if inst.budget is not None:
        bld.row(list(nvar) + list(xvar), [inst.charger_cost] * K + list(inst.land_cost), -np.inf, inst.budget)
    for a, b in inst.conflicts:
        bld.row([xvar[a], xvar[b]], [1.0, 1.0], -np.inf, 1.0)

    nv_total = len(bld.names)
    objective = np.zeros(nv_total)
    objective[nvar] = inst.priority
    A = sp.csr_matrix((bld.vals, (bld.rows, bld.cols)), shape=(bld.nrows, nv_total))
    model = BilinearModel(names=bld.names, col_lower=np.array(bld.lo, float), col_upper=np.array(bld.hi, float),
                          integer=np.array(bld.int, bool), objective=objective, A=A,
                          row_lower=np.array(bld.rlo, float), row_upper=np.array(bld.rhi, float),
                          products=np.array(bld.products, dtype=np.int64).reshape(-1, 3),
                          index=dict(n=nvar, x=xvar, vr=vr, vi=vi, ur=ur, ui=ui, xi=xi, gr=gr, gi=gi, Ir=Ir, Ii=Ii,
                                     eta=eta, zeta=zeta, jr=jr, ji=ji, branch_from=b_from, branch_to=b_to,
                                     branch_base=bbase, owner=owner, power=power, unit=unit, limit_i=lim))
    return model.propagate()


def state_of(model: BilinearModel, instance, chargers, voltage_pu) -> np.ndarray:
    """The model's variables at a placement and its node voltages (pu): the point the model should hold."""
    ix = model.index
    f = instance.feeder
    z = np.zeros(model.n_vars)
    n = np.asarray(chargers, float)
    z[ix["n"]] = n
    z[ix["x"]] = (n > 0).astype(float)
    v = np.asarray(voltage_pu, dtype=complex)
    z[ix["vr"]] = v.real
    z[ix["vi"]] = v.imag
    V = v * f.node_base_v
    bf, bt, bb = ix["branch_from"], ix["branch_to"], ix["branch_base"]
    u = (V[bf] - np.where(bt >= 0, V[np.maximum(bt, 0)], 0.0)) / bb
    z[ix["ur"]] = u.real
    z[ix["ui"]] = u.imag
    xi = np.abs(u) ** 2
    z[ix["xi"]] = xi
    owner = ix["owner"]
    s = np.where(owner >= 0, ix["unit"] * n[np.maximum(owner, 0)], ix["power"])
    g = np.conj(s) / (bb * xi)
    z[ix["gr"]] = g.real
    z[ix["gi"]] = g.imag
    cur = g * u
    z[ix["Ir"]] = cur.real
    z[ix["Ii"]] = cur.imag
    nv = instance.n_monitored_voltages
    z[ix["eta"]] = np.abs(v[instance._monitor_nodes]) ** 2
    J = (instance._monitor_current @ V) / ix["limit_i"]
    z[ix["jr"]] = J.real
    z[ix["ji"]] = J.imag
    z[ix["zeta"]] = np.abs(J) ** 2
    w, a, b = model.products.T
    z[w] = z[a] * z[b]
    return z
