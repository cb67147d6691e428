"""Kernel arrays of a feeder: everything the C++ power-flow kernels and their numpy twins take, computed once.

:func:`kernel_arrays` turns a validated :class:`~evcore.grid.Feeder` into one named tuple
(:class:`FeederArrays`) and caches it per feeder in :func:`feeder_cache`, a table kept here (keyed by the
feeder's identity, dropped when the feeder is garbage collected): nothing is ever written into a frozen
Feeder from outside. The power flow keeps its solver state (start voltage, factorised chord Jacobian, the
C++ ``ChordSystem``) in the same per-feeder table.

The system matrix is the network admittance plus the Thevenin source; an ideal source (GridLAB-D's SWING
bus) replaces the rows of its nodes by ``s * v_i = s * E_i`` (``s`` the row's own diagonal scale), so the
kernels need no special case and those nodes stay exactly at the EMF. Load branches lying entirely on
ideal-source nodes do not change the solution and are left out of the kernel arrays (the result's powers
still include them).

Before any array is built the feeder's topology is checked: every node must reach the source through
elements (an island, an isolated bus, nodes behind an open switch or behind an element of admittance below
``OPEN_ADMITTANCE_S`` are refused, naming the island and the open elements at its edge).
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ..errors import InputError

__all__ = ["FeederArrays", "kernel_arrays", "feeder_cache", "conductor_map", "transformer_monitor",
           "OPEN_ADMITTANCE_S"]

#: An element entry smaller than this (siemens, an impedance above 1e12 ohm) does not connect nodes.
OPEN_ADMITTANCE_S = 1e-12

_SLOTS: dict = {}


def feeder_cache(feeder) -> dict:
    """The per-feeder cache (a dict) of the grid package's kernels, created on first use."""
    key = id(feeder)
    hit = _SLOTS.get(key)
    if hit is not None and hit[0]() is feeder:
        return hit[1]
    slot = {}
    _SLOTS[key] = (weakref.ref(feeder), slot)
    weakref.finalize(feeder, _SLOTS.pop, key, None)
    return slot


class FeederArrays(NamedTuple):
    """Kernel inputs of a feeder (read-only arrays; ``B`` kernel load branches, ``nnz`` Jacobian entries)."""

    n: int
    base_v: np.ndarray          # (n,) node base voltage, V
    y_indptr: np.ndarray        # CSR of the system admittance (n, n), int64
    y_indices: np.ndarray
    y_data: np.ndarray          # complex, S
    abs_y: np.ndarray           # |y_data|
    row_terms: np.ndarray       # (n,) rounding-bound multiplier: entries per row + 2
    i_source: np.ndarray        # (n,) Norton injection of the source (s * E on ideal-source rows), A
    fixed_nodes: np.ndarray     # (k,) nodes held by an ideal source (empty for a Thevenin source)
    branch_load: np.ndarray     # (B,) feeder load-branch index of each kernel branch
    branch_from: np.ndarray     # (B,) int64
    branch_to: np.ndarray       # (B,) int64, -1 = ground
    power_va: np.ndarray        # (B,) complex
    load_base_v: np.ndarray     # (B,)
    model: np.ndarray           # (B,) int64
    vmin: np.ndarray
    vmax: np.ndarray
    vlow: np.ndarray
    zipv: np.ndarray            # (B, 7)
    cvr: np.ndarray             # (B, 2)
    jac_indptr: np.ndarray      # CSR pattern of the real Jacobian (2n, 2n), int32
    jac_indices: np.ndarray
    jac_base: np.ndarray        # (nnz,) admittance part of the Jacobian
    jac_pos: np.ndarray         # (B, 16) positions of each branch's 2x2 blocks in the Jacobian data (-1: ground)
    nnz: int


def _frozen(a):
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def check_topology(feeder):
    """Refuse nodes without a path to the source (islands, isolated buses, open switches, ~open elements)."""
    from scipy.sparse.csgraph import connected_components

    n = feeder.n_nodes
    y = feeder.network_admittance()
    coo = y.tocoo()
    keep = (np.abs(coo.data) > OPEN_ADMITTANCE_S) & (coo.row != coo.col)
    adj = sp.csr_matrix((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep])), shape=(n, n))
    count, labels = connected_components(adj, directed=False)
    if count == 1:
        return
    fed = np.zeros(count, dtype=bool)
    fed[labels[feeder.source_nodes]] = True
    bad = np.flatnonzero(~fed[labels])
    if bad.size == 0:
        return
    island = labels[bad[0]]
    members = np.flatnonzero(labels == island)
    buses = list(dict.fromkeys(feeder.node_bus[i] for i in members))
    member_set = set(members.tolist())
    open_elements = []
    for e in range(len(feeder.element_names)):
        nodes = feeder.element_nodes(e)
        inside = np.array([int(i) in member_set for i in nodes])
        outside = np.array([int(i) >= 0 and int(i) not in member_set for i in nodes])
        if inside.any() and outside.any():
            coupling = np.abs(feeder.element_yprim(e)[np.ix_(inside, outside)]).max(initial=0.0)
            if coupling <= 1e3 * OPEN_ADMITTANCE_S or feeder.element_kinds[e] == "switch":
                open_elements.append(feeder.element_names[e])
    shown = ", ".join(buses[:8]) + (f" and {len(buses) - 8} more" if len(buses) > 8 else "")
    why = f"; open or near-open element(s) at its edge: {', '.join(open_elements[:5])}" if open_elements else \
        " (nothing connects it: an isolated bus or a missing element)"
    raise InputError("feeder", f"{int((~fed[labels]).sum())} node(s) have no path to the source: the island of "
                               f"bus(es) {shown}{why}. Remove them or close the open element.")


def _with_diagonal(indptr, indices, data, nodes):
    """CSR arrays with a (zero) diagonal entry in each row of ``nodes`` that has none (a source phase that
    nothing is attached to: GridLAB-D's swing nodes often have such phases)."""
    missing = [int(k) for k in nodes if not (indices[indptr[k]:indptr[k + 1]] == k).any()]
    if not missing:
        return indptr, indices, data
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    rows = np.concatenate([rows, missing])
    cols = np.concatenate([indices, missing])
    vals = np.concatenate([data, np.zeros(len(missing), dtype=data.dtype)])
    order = np.lexsort((cols, rows))
    counts = np.bincount(rows, minlength=len(indptr) - 1)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return indptr, cols[order].astype(np.int64), vals[order]


def kernel_arrays(feeder) -> FeederArrays:
    """The :class:`FeederArrays` of ``feeder`` (built once per feeder, then cached)."""
    slot = feeder_cache(feeder)
    arrays = slot.get("arrays")
    if arrays is None:
        arrays = slot["arrays"] = _build(feeder)
    return arrays


def _build(feeder) -> FeederArrays:
    check_topology(feeder)
    n = feeder.n_nodes
    Y = feeder.admittance_matrix()
    indptr = Y.indptr.astype(np.int64)
    indices = Y.indices.astype(np.int64)
    data = Y.data.astype(complex).copy()
    i_source = feeder.source_injection_a()
    fixed = np.zeros(0, dtype=np.int64)
    if feeder.source_ideal:
        fixed = np.asarray(feeder.source_nodes, dtype=np.int64)
        indptr, indices, data = _with_diagonal(indptr, indices, data, fixed)
        for node, emf in zip(fixed, feeder.source_emf_v):
            lo, hi = indptr[node], indptr[node + 1]
            row = slice(lo, hi)
            diag = lo + np.flatnonzero(indices[row] == node)
            scale = float(np.abs(data[row]).max(initial=0.0)) or 1.0
            data[row] = 0.0  # explicit zeros keep the Jacobian's pattern symmetric
            data[diag[0]] = scale
            i_source[node] = scale * emf
    abs_y = np.abs(data)
    row_terms = np.diff(indptr).astype(float) + 2.0

    bf = feeder.load_branch_from.astype(np.int64)
    bt = feeder.load_branch_to.astype(np.int64)
    keep = np.ones(len(bf), dtype=bool)
    if fixed.size:
        is_fixed = np.zeros(n, dtype=bool)
        is_fixed[fixed] = True
        f_from = is_fixed[bf]
        f_to = is_fixed[np.maximum(bt, 0)]
        mixed = (bt >= 0) & (f_from != f_to)
        if mixed.any():
            b = int(np.flatnonzero(mixed)[0])
            raise InputError("load_branch_from", f"load {feeder.load_names[feeder.load_branch_load[b]]} connects a "
                                                 "source node to a node of the network: not supported", b)
        keep = ~f_from
    sel = np.flatnonzero(keep)
    bf, bt = bf[sel], bt[sel]
    jac_indptr, jac_indices, jac_base, jac_pos, nnz = _jacobian_pattern(n, indptr, indices, data, bf, bt)
    return FeederArrays(
        n=n, base_v=_frozen(feeder.node_base_v), y_indptr=_frozen(indptr), y_indices=_frozen(indices),
        y_data=_frozen(data), abs_y=_frozen(abs_y), row_terms=_frozen(row_terms), i_source=_frozen(i_source),
        fixed_nodes=_frozen(fixed), branch_load=_frozen(sel.astype(np.int64)), branch_from=_frozen(bf),
        branch_to=_frozen(bt), power_va=_frozen(feeder.load_branch_power_va[sel].astype(complex)),
        load_base_v=_frozen(feeder.load_branch_base_v[sel].astype(float)),
        model=_frozen(feeder.load_branch_model[sel].astype(np.int64)),
        vmin=_frozen(feeder.load_branch_vmin_pu[sel].astype(float)),
        vmax=_frozen(feeder.load_branch_vmax_pu[sel].astype(float)),
        vlow=_frozen(feeder.load_branch_vlow_pu[sel].astype(float)),
        zipv=_frozen(feeder.load_branch_zipv[sel].astype(float)), cvr=_frozen(feeder.load_branch_cvr[sel].astype(float)),
        jac_indptr=_frozen(jac_indptr), jac_indices=_frozen(jac_indices), jac_base=_frozen(jac_base),
        jac_pos=_frozen(jac_pos), nnz=nnz)


def _jacobian_pattern(n, y_indptr, y_indices, y_data, branch_from, branch_to):
    """Pattern of the real Jacobian (2x2 blocks per admittance entry and per load-branch node pair), its
    admittance part, and where each branch's blocks sit in the data array."""
    n2 = 2 * n
    rows = np.repeat(np.arange(n), np.diff(y_indptr))
    cols = y_indices
    y = y_data
    # 2x2 real blocks of the admittance: [[g, -b], [b, g]]
    yr = np.concatenate([2 * rows, 2 * rows, 2 * rows + 1, 2 * rows + 1])
    yc = np.concatenate([2 * cols, 2 * cols + 1, 2 * cols, 2 * cols + 1])
    yval = np.concatenate([y.real, -y.imag, y.imag, y.real])
    a, b = branch_from, branch_to
    nb = len(a)
    lr, lc = [], []
    for (p, q) in ((a, a), (a, b), (b, a), (b, b)):
        for (dr, dc) in ((0, 0), (0, 1), (1, 0), (1, 1)):
            lr.append(2 * p + dr)
            lc.append(2 * q + dc)
    lr = np.stack(lr, axis=1) if nb else np.zeros((0, 16), dtype=np.int64)
    lc = np.stack(lc, axis=1) if nb else np.zeros((0, 16), dtype=np.int64)
    touches_ground = np.zeros((nb, 16), dtype=bool)
    touches_ground[:, 4:] = (b < 0)[:, None]
    load_keys = np.where(touches_ground, -1, lr.astype(np.int64) * n2 + lc)
    y_keys = yr.astype(np.int64) * n2 + yc
    keys = np.unique(np.concatenate([y_keys, load_keys[load_keys >= 0]]))
    jac_indices = (keys % n2).astype(np.int32)
    jrows = keys // n2
    jac_indptr = np.concatenate([[0], np.cumsum(np.bincount(jrows, minlength=n2))]).astype(np.int32)
    jac_base = np.zeros(len(keys))
    np.add.at(jac_base, np.searchsorted(keys, y_keys), yval)
    jac_pos = np.where(load_keys >= 0, np.searchsorted(keys, np.maximum(load_keys, 0)), -1).astype(np.int64)
    return jac_indptr, jac_indices, jac_base, jac_pos, len(keys)


def conductor_map(feeder):
    """``(M, gather)``: the block-diagonal matrix of every element's Yprim over its conductors (C, C), and the
    node of each conductor with ground as index ``n`` (for ``Yprim @ v`` element by element, in bulk)."""
    slot = feeder_cache(feeder)
    cached = slot.get("conductor_map")
    if cached is None:
        rows, cols, owner = feeder._element_triplets
        counts = np.diff(feeder.element_offsets)
        sq = counts ** 2
        local = np.arange(len(owner)) - np.repeat(np.cumsum(sq) - sq, sq)
        start = feeder.element_offsets[:-1][owner]
        crow = start + local // counts[owner]
        ccol = start + local % counts[owner]
        c = int(feeder.element_offsets[-1])
        M = sp.csr_matrix((feeder.yprim, (crow, ccol)), shape=(c, c))
        gather = np.where(feeder.conductor_nodes >= 0, feeder.conductor_nodes, feeder.n_nodes)
        cached = slot["conductor_map"] = (M, gather)
    return cached


def transformer_monitor(feeder):
    """``(T, rating, labels)``: sparse map ``v -> first-winding phase currents`` of transformers and
    regulators (T, n), their rated currents (A, ``nan`` unknown) and labels ``"element:node"``."""
    slot = feeder_cache(feeder)
    cached = slot.get("transformer_monitor")
    if cached is None:
        rows, cols, vals, ratings, labels = [], [], [], [], []
        k = 0
        for e in feeder.transformer_elements():
            y = feeder.element_yprim(e)
            nodes = feeder.element_nodes(e)
            per_terminal = len(nodes) // int(feeder.element_terminals[e])
            live = nodes >= 0
            for c in range(per_terminal):
                if nodes[c] < 0:
                    continue
                rows.extend([k] * int(live.sum()))
                cols.extend(nodes[live].tolist())
                vals.extend(y[c, live].tolist())
                ratings.append(feeder.element_rated_current_a[e])
                labels.append(f"{feeder.element_names[e]}:{feeder.node_names[nodes[c]]}")
                k += 1
        T = sp.csr_matrix((np.array(vals, dtype=complex), (rows, cols)), shape=(k, feeder.n_nodes))
        cached = slot["transformer_monitor"] = (T, np.array(ratings, dtype=float), tuple(labels))
    return cached
