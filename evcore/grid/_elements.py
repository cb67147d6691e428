"""Primitive admittance matrices of feeder elements from physical data (evcore's own format).

Every builder returns ``(conductors, yprim, terminals)``: the conductor list as ``(bus, node)`` pairs
(node 0 = ground), the primitive admittance (siemens, complex, conductors x conductors) and the
number of terminals. The models are the textbook ones OpenDSS also uses, so a feeder described in
evcore's format and the same feeder in OpenDSS give the same matrices (tested).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError

__all__ = ["parse_bus", "line_yprim", "switch_yprim", "transformer_yprim", "shunt_yprim", "source_thevenin"]


#: Kinds of primitive element.
ELEMENT_KINDS = ("line", "switch", "transformer", "regulator", "capacitor", "reactor", "other")

def parse_bus(field: str, spec: str, phases: int, *, neutral: bool = False):
    """``"632.1.2"`` -> ``("632", [1, 2])``; a bare bus takes nodes ``1..phases`` (plus ground 0 if ``neutral``)."""
    parts = str(spec).strip().lower().split(".")
    bus = parts[0]
    if not bus:
        raise InputError(field, f"bad bus specification {spec!r}")
    try:
        nodes = [int(p) for p in parts[1:]]
    except ValueError:
        raise InputError(field, f"node numbers must be integers in {spec!r}") from None
    if any(n < 0 for n in nodes):
        raise InputError(field, f"node numbers must be >= 0 in {spec!r}")
    if not nodes:
        nodes = list(range(1, phases + 1))
    want = phases + (1 if neutral else 0)
    if len(nodes) < want:
        nodes = nodes + [0] * (want - len(nodes))
    if len(nodes) != want:
        raise InputError(field, f"{spec!r} names {len(nodes)} nodes, expected {want}")
    return bus, nodes


def _matrix(field, value, size):
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0 and size == 1:
        arr = arr.reshape(1, 1)
    if arr.shape != (size, size):
        raise InputError(field, f"needs a {size}x{size} matrix, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputError(field, "must be finite")
    return arr


def line_yprim(name, bus1, bus2, phases, length_km, r_ohm_per_km, x_ohm_per_km, c_nf_per_km=None,
               frequency_hz=60.0):
    """Pi-model line: series ``Z = (R + jX) * length``, half the shunt ``j w C * length`` at each end."""
    if not (length_km > 0):
        raise InputError(f"lines[{name}].length_km", f"must be positive, got {length_km!r}")
    r = _matrix(f"lines[{name}].r_ohm_per_km", r_ohm_per_km, phases)
    x = _matrix(f"lines[{name}].x_ohm_per_km", x_ohm_per_km, phases)
    z = (r + 1j * x) * length_km
    try:
        ys = np.linalg.inv(z)
    except np.linalg.LinAlgError:
        raise InputError(f"lines[{name}]", "series impedance matrix is singular") from None
    yc = np.zeros((phases, phases), dtype=complex)
    if c_nf_per_km is not None:
        c = _matrix(f"lines[{name}].c_nf_per_km", c_nf_per_km, phases)
        yc = 1j * 2 * math.pi * frequency_hz * c * 1e-9 * length_km / 2.0
    y = np.block([[ys + yc, -ys], [-ys, ys + yc]])
    b1, n1 = parse_bus(f"lines[{name}].bus1", bus1, phases)
    b2, n2 = parse_bus(f"lines[{name}].bus2", bus2, phases)
    return [(b1, n) for n in n1] + [(b2, n) for n in n2], y, 2


def switch_yprim(name, bus1, bus2, phases, closed=True, r_ohm=1e-4):
    """Closed switch or fuse: a small resistance per phase (OpenDSS models them as short lines); open: no path."""
    g = 0.0 if not closed else 1.0 / r_ohm
    ys = g * np.eye(phases, dtype=complex)
    y = np.block([[ys, -ys], [-ys, ys]])
    b1, n1 = parse_bus(f"switches[{name}].bus1", bus1, phases)
    b2, n2 = parse_bus(f"switches[{name}].bus2", bus2, phases)
    return [(b1, n) for n in n1] + [(b2, n) for n in n2], y, 2


def transformer_yprim(name, phases, windings, x_pct):
    """Multi-winding transformer (2-winding wye/delta, single-phase, centre-tapped 3-winding).

    Parameters
    ----------
    phases : int
        1 or 3.
    windings : list of dict
        ``bus`` (spec), ``conn`` ("wye" or "delta"), ``kv`` (line-to-line rating for 3 phases, winding
        voltage for 1 phase), ``kva``, ``r_pct`` (percent on the winding-1 kVA), ``tap`` (pu, default 1).
    x_pct : float or list
        Leakage reactance in percent on the winding-1 kVA: one value for 2 windings; ``[XHL, XHT, XLT]``
        for 3 windings.

    Notes
    -----
    Per phase, the short-circuit impedances between windings give the reduced matrix
    ``Zb[i, j] = (Z_1i + Z_1j - Z_ij) / 2`` (windings 2.. referred to winding 1); the per-unit
    winding admittance is ``A^T Zb^-1 A`` with ``A = [-1 | I]``, scaled to siemens by
    ``S_phase / (t_i V_i t_j V_j)``. A wye winding sits between its phase node and its neutral
    conductor (ground unless given); a delta winding of phase ``p`` between nodes ``p`` and ``p-1``
    (ANSI: low-voltage side lags by 30 degrees in delta-wye).
    """
    nw = len(windings)
    if nw not in (2, 3):
        raise InputError(f"transformers[{name}].windings", f"needs 2 or 3 windings, got {nw}")
    if phases not in (1, 3):
        raise InputError(f"transformers[{name}].phases", f"must be 1 or 3, got {phases}")
    xs = np.atleast_1d(np.asarray(x_pct, dtype=float))
    if xs.size != (1 if nw == 2 else 3):
        raise InputError(f"transformers[{name}].x_pct", "one value for 2 windings, [XHL, XHT, XLT] for 3")
    kva = float(windings[0]["kva"])
    s_phase = kva * 1000.0 / phases
    r = np.array([float(w.get("r_pct", 0.0)) for w in windings]) / 100.0
    x = xs / 100.0
    pairs = {(0, 1): x[0]} if nw == 2 else {(0, 1): x[0], (0, 2): x[1], (1, 2): x[2]}
    zpair = {k: r[k[0]] + r[k[1]] + 1j * v for k, v in pairs.items()}
    zb = np.empty((nw - 1, nw - 1), dtype=complex)
    for i in range(1, nw):
        for j in range(1, nw):
            if i == j:
                zb[i - 1, j - 1] = zpair[(0, i)]
            else:
                zb[i - 1, j - 1] = (zpair[(0, i)] + zpair[(0, j)] - zpair[(min(i, j), max(i, j))]) / 2
    A = np.hstack([-np.ones((nw - 1, 1)), np.eye(nw - 1)])
    y_pu = A.T @ np.linalg.inv(zb) @ A
    vbase = []
    for w in windings:
        conn = str(w.get("conn", "wye")).lower()
        kv = float(w["kv"])
        v = kv * 1000.0 if (phases == 1 or conn == "delta") else kv * 1000.0 / math.sqrt(3.0)
        vbase.append(v * float(w.get("tap", 1.0)))
    vbase = np.array(vbase)
    y_w = y_pu * s_phase / np.outer(vbase, vbase)  # per phase, siemens, between winding voltages

    conductors = []
    incidence_rows = []  # for each (winding, phase): +1 on its 'from' conductor, -1 on its 'to'
    for wi, w in enumerate(windings):
        conn = str(w.get("conn", "wye")).lower()
        if conn not in ("wye", "delta"):
            raise InputError(f"transformers[{name}].windings[{wi}].conn", f"must be wye or delta, got {conn!r}")
        if conn == "wye":
            bus, nodes = parse_bus(f"transformers[{name}].windings[{wi}].bus", w["bus"], phases, neutral=True)
            base = len(conductors)
            conductors += [(bus, n) for n in nodes]
            for p in range(phases):
                incidence_rows.append((wi, p, base + p, base + phases))
        else:
            if phases == 1:
                bus, nodes = parse_bus(f"transformers[{name}].windings[{wi}].bus", w["bus"], 2)
                base = len(conductors)
                conductors += [(bus, n) for n in nodes]
                incidence_rows.append((wi, 0, base, base + 1))
            else:
                bus, nodes = parse_bus(f"transformers[{name}].windings[{wi}].bus", w["bus"], 3)
                base = len(conductors)
                # a 4th, unconnected conductor keeps phases + 1 conductors per winding (as OpenDSS)
                conductors += [(bus, n) for n in nodes] + [(bus, 0)]
                for p in range(3):
                    incidence_rows.append((wi, p, base + p, base + (p - 1) % 3))
    nc = len(conductors)
    # C maps conductor voltages to winding voltages, row per (winding, phase) in winding-major order.
    C = np.zeros((nw * phases, nc))
    order = {}
    for wi, p, a, b in incidence_rows:
        row = wi * phases + p
        C[row, a] += 1.0
        C[row, b] -= 1.0
        order[row] = True
    Yw = np.zeros((nw * phases, nw * phases), dtype=complex)
    for p in range(phases):
        idx = [wi * phases + p for wi in range(nw)]
        Yw[np.ix_(idx, idx)] = y_w
    y = C.T @ Yw @ C
    return conductors, y, nw


def shunt_yprim(name, bus, phases, kvar, kv, conn="wye", frequency_hz=60.0):
    """Capacitor bank (kvar > 0) or reactor (kvar < 0) rated at ``kv`` (line-to-line for 3 phases)."""
    conn = str(conn).lower()
    q_phase = float(kvar) * 1000.0 / phases
    if conn == "wye":
        v = float(kv) * 1000.0 / (math.sqrt(3.0) if phases > 1 else 1.0)
        b = q_phase / v ** 2
        b_node, nodes = parse_bus(f"capacitors[{name}].bus", bus, phases, neutral=True)
        y = np.zeros((phases + 1, phases + 1), dtype=complex)
        for p in range(phases):
            y[p, p] += 1j * b
            y[phases, phases] += 1j * b
            y[p, phases] -= 1j * b
            y[phases, p] -= 1j * b
        return [(b_node, n) for n in nodes], y, 1
    if conn == "delta":
        v = float(kv) * 1000.0
        b = q_phase / v ** 2
        ncond = 2 if phases == 1 else phases
        b_node, nodes = parse_bus(f"capacitors[{name}].bus", bus, ncond)
        y = np.zeros((ncond, ncond), dtype=complex)
        for p in range(phases):
            q = (p + 1) % ncond
            y[p, p] += 1j * b
            y[q, q] += 1j * b
            y[p, q] -= 1j * b
            y[q, p] -= 1j * b
        return [(b_node, n) for n in nodes], y, 1
    raise InputError(f"capacitors[{name}].conn", f"must be wye or delta, got {conn!r}")


def source_thevenin(phases, kv_ll, pu, angle_deg, z1_ohm, z0_ohm):
    """EMF phasors (V) and admittance (S) of a source behind sequence impedances ``z1``, ``z0`` (ohm)."""
    z1 = complex(*z1_ohm)
    z0 = complex(*z0_ohm)
    if phases == 1:
        z = np.array([[z1]])
        vmag = kv_ll * 1000.0 * pu
    else:
        zs, zm = (2 * z1 + z0) / 3.0, (z0 - z1) / 3.0
        z = np.full((phases, phases), zm, dtype=complex) + np.eye(phases) * (zs - zm)
        vmag = kv_ll * 1000.0 * pu / (2.0 * math.sin(math.pi / phases))
    try:
        y = np.linalg.inv(z)
    except np.linalg.LinAlgError:
        raise InputError("source", "source impedance matrix is singular (give z1_ohm and z0_ohm > 0)") from None
    emf = vmag * np.exp(1j * np.deg2rad(angle_deg - np.arange(phases) * 360.0 / phases))
    return emf, y


def load_branch_pairs(conductors, phases, delta):
    """Conductor pairs (from, to) of a load's phases, OpenDSS's rule.

    Wye: phase ``i`` between conductor ``i`` and the neutral (last) conductor. Delta: phase ``i``
    between conductor ``i`` and ``i + 1``, wrapping to the first for a closed (3-conductor) delta.
    """
    n = len(conductors)
    pairs = []
    for p in range(phases):
        if delta:
            q = p + 1 if p + 1 < n else 0
        else:
            q = n - 1
        pairs.append((conductors[p], conductors[q]))
    return pairs


def load_base_v(kv, phases, delta):
    """Voltage across one load phase at which its nominal power is drawn, V (OpenDSS's rule)."""
    return kv * 1000.0 if (delta or phases not in (2, 3)) else kv * 1000.0 / math.sqrt(3.0)
