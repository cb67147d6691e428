"""Three-phase unbalanced feeder: phase nodes, primitive branch admittances, loads and a source.

A :class:`Feeder` is the validated instance every grid computation starts from. Its network part is
a list of *primitive elements* (lines, switches, transformers, regulators, capacitors, reactors),
each stored as its primitive admittance matrix ``Yprim`` (siemens) over its conductors and the phase
nodes those conductors connect to (ground = ``-1``). This is the same representation OpenDSS uses,
so an imported feeder keeps OpenDSS's own element models exactly; evcore's own file format builds the
matrices from physical data (:mod:`evcore.grid._elements`).

Loads are *not* folded into the admittance matrix: each load phase is a two-terminal branch (phase to
ground or neutral for wye, phase to phase for delta) whose current follows its voltage-dependent
model, applied in the power flow. The source is a Thevenin equivalent (EMF behind its impedance
matrix), kept as a Norton injection ``Y_source @ E`` plus ``Y_source`` in the nodal matrix.

Reference: seed 002, §III-B, eqs. (11)-(15) (current-voltage formulation over a three-phase
equivalent circuit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .._validate import as_array, check_finite, check_integer, check_nonnegative, check_positive, freeze_fields
from ..errors import InputError

__all__ = ["Feeder", "LOAD_MODELS", "ELEMENT_KINDS"]

#: OpenDSS load model numbers evcore applies (see :mod:`evcore.grid._reference`):
#: 1 constant P+jQ (constant Z outside vmin..vmax), 2 constant Z, 3 constant P with quadratic Q,
#: 4 exponential ("CVR") P ~ V^cvr_watts, Q ~ V^cvr_vars, 5 constant current magnitude, 8 ZIP.
#: Model 0 is evcore's pure constant power (no switch to impedance at any voltage).
LOAD_MODELS = (0, 1, 2, 3, 4, 5, 8)

#: Kinds of primitive element.
ELEMENT_KINDS = ("line", "switch", "transformer", "regulator", "capacitor", "reactor", "other")


@dataclass(frozen=True)
class Feeder:
    """A three-phase unbalanced distribution feeder (validated on creation).

    Parameters
    ----------
    node_names : sequence of str, shape (n,)
        Phase nodes in OpenDSS style ``"bus.phase"`` (``"632.1"``), lower case.
    node_base_kv : array, shape (n,)
        Line-to-neutral voltage base of every node, kV (> 0).
    element_names : sequence of str, shape (E,)
        ``"kind.name"`` of each primitive element, e.g. ``"transformer.xfm1"``.
    element_kinds : sequence of str, shape (E,)
        One of :data:`ELEMENT_KINDS`.
    element_terminals : int array, shape (E,)
        Number of terminals; conductors are split evenly between them (terminal 1 first).
    element_offsets : int array, shape (E + 1,)
        Element ``e`` owns conductors ``element_offsets[e]:element_offsets[e+1]``.
    conductor_nodes : int array, shape (C,)
        Node index of every conductor, ``-1`` for ground.
    yprim : complex array, shape (sum over elements of conductors^2,)
        Row-major primitive admittance matrices, siemens, concatenated in element order.
    element_length_km : array, shape (E,)
        Length of lines and switches (0 for other elements), km; used for distances only.
    element_rated_current_a : array, shape (E,)
        Rated phase current of the first winding (transformers, regulators) or normal rating
        (lines), A; ``nan`` where unknown.
    load_names : sequence of str, shape (L,)
    load_branch_load : int array, shape (B,)
        Load owning each load branch (one branch per load phase).
    load_branch_from, load_branch_to : int arrays, shape (B,)
        Nodes the branch connects; the load current flows from ``from`` to ``to``; ``to = -1`` is
        ground.
    load_branch_power_va : complex array, shape (B,)
        Nominal power of the branch at ``load_branch_base_v``: watts + j vars (consumption > 0).
    load_branch_base_v : array, shape (B,)
        Voltage across the branch at which the nominal power is drawn, V.
    load_branch_model : int array, shape (B,)
        One of :data:`LOAD_MODELS`.
    load_branch_vmin_pu, load_branch_vmax_pu, load_branch_vlow_pu : arrays, shape (B,)
        OpenDSS's switching thresholds (per unit of ``base_v``): constant-power models turn into
        constant impedance below ``vmin`` and above ``vmax``; below ``vlow`` every model is the
        nominal impedance.
    load_branch_zipv : array, shape (B, 7)
        ZIP coefficients of model 8 (OpenDSS ``ZIPV``: Zp, Ip, Pp, Zq, Iq, Pq, cut-off pu).
    load_branch_cvr : array, shape (B, 2)
        Exponents (watts, vars) of model 4.
    source_nodes : int array, shape (k,)
        Nodes the source connects to.
    source_emf_v : complex array, shape (k,)
        Source EMF phasors behind the source impedance, V.
    source_yprim : complex array, shape (k, k)
        Admittance of the source impedance, siemens.
    source_name : str
    frequency_hz : float
    name : str
    """

    node_names: tuple
    node_base_kv: np.ndarray
    element_names: tuple
    element_kinds: tuple
    element_terminals: np.ndarray
    element_offsets: np.ndarray
    conductor_nodes: np.ndarray
    yprim: np.ndarray
    element_length_km: np.ndarray
    element_rated_current_a: np.ndarray
    load_names: tuple
    load_branch_load: np.ndarray
    load_branch_from: np.ndarray
    load_branch_to: np.ndarray
    load_branch_power_va: np.ndarray
    load_branch_base_v: np.ndarray
    load_branch_model: np.ndarray
    load_branch_vmin_pu: np.ndarray
    load_branch_vmax_pu: np.ndarray
    load_branch_vlow_pu: np.ndarray
    load_branch_zipv: np.ndarray
    load_branch_cvr: np.ndarray
    source_nodes: np.ndarray
    source_emf_v: np.ndarray
    source_yprim: np.ndarray
    source_name: str = "source"
    frequency_hz: float = 60.0
    name: str = "feeder"
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        node_names = tuple(str(s).lower() for s in self.node_names)
        n = len(node_names)
        if n == 0:
            raise InputError("node_names", "a feeder needs at least one node")
        if len(set(node_names)) != n:
            dup = next(s for s in node_names if node_names.count(s) > 1)
            raise InputError("node_names", f"node {dup!r} appears more than once")
        base = check_positive("node_base_kv", as_array("node_base_kv", self.node_base_kv, float, shape=(n,)))
        names = tuple(str(s) for s in self.element_names)
        n_el = len(names)
        kinds = tuple(str(s) for s in self.element_kinds)
        if len(kinds) != n_el:
            raise InputError("element_kinds", f"needs {n_el} entries, got {len(kinds)}")
        for i, kind in enumerate(kinds):
            if kind not in ELEMENT_KINDS:
                raise InputError("element_kinds", f"must be one of {ELEMENT_KINDS}, got {kind!r}", i)
        terminals = check_integer("element_terminals", as_array("element_terminals", self.element_terminals,
                                                                 float, shape=(n_el,)), minimum=1)
        offsets = check_integer("element_offsets", as_array("element_offsets", self.element_offsets, float,
                                                             shape=(n_el + 1,)), minimum=0)
        counts = np.diff(offsets)
        if offsets[0] != 0 or (counts < 1).any():
            raise InputError("element_offsets", "must start at 0 and increase strictly")
        if (counts % terminals).any():
            bad = int(np.flatnonzero(counts % terminals)[0])
            raise InputError("element_offsets", "conductor count must be a multiple of the terminal count", bad)
        conductors = check_integer("conductor_nodes", as_array("conductor_nodes", self.conductor_nodes, float,
                                                               shape=(int(offsets[-1]),)), minimum=-1)
        if (conductors >= n).any():
            raise InputError("conductor_nodes", f"node index must be below {n}",
                             int(np.flatnonzero(conductors >= n)[0]))
        yprim = check_finite("yprim", as_array("yprim", self.yprim, complex, shape=(int((counts ** 2).sum()),)))
        length = check_nonnegative("element_length_km", as_array("element_length_km", self.element_length_km,
                                                                  float, shape=(n_el,)))
        rating = as_array("element_rated_current_a", self.element_rated_current_a, float, shape=(n_el,))
        if (rating[~np.isnan(rating)] <= 0).any():
            raise InputError("element_rated_current_a", "must be positive or nan")

        load_names = tuple(str(s) for s in self.load_names)
        owner = as_array("load_branch_load", self.load_branch_load, float, ndim=1)
        nb = owner.shape[0]
        owner = check_integer("load_branch_load", owner, minimum=0)
        if nb and owner.max() >= len(load_names):
            raise InputError("load_branch_load", f"load index must be below {len(load_names)}")
        b_from = check_integer("load_branch_from", as_array("load_branch_from", self.load_branch_from, float,
                                                            shape=(nb,)), minimum=0)
        b_to = check_integer("load_branch_to", as_array("load_branch_to", self.load_branch_to, float,
                                                        shape=(nb,)), minimum=-1)
        for fname, arr in (("load_branch_from", b_from), ("load_branch_to", b_to)):
            if (arr >= n).any():
                raise InputError(fname, f"node index must be below {n}", int(np.flatnonzero(arr >= n)[0]))
        if (b_from == b_to).any():
            raise InputError("load_branch_to", "a load branch must connect two different nodes",
                             int(np.flatnonzero(b_from == b_to)[0]))
        power = check_finite("load_branch_power_va", as_array("load_branch_power_va", self.load_branch_power_va,
                                                              complex, shape=(nb,)))
        base_v = check_positive("load_branch_base_v", as_array("load_branch_base_v", self.load_branch_base_v,
                                                               float, shape=(nb,)))
        model = check_integer("load_branch_model", as_array("load_branch_model", self.load_branch_model, float,
                                                            shape=(nb,)), minimum=0)
        bad = ~np.isin(model, LOAD_MODELS)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError("load_branch_model", f"must be one of {LOAD_MODELS}, got {model[i]}", i)
        vmin = check_nonnegative("load_branch_vmin_pu", as_array("load_branch_vmin_pu", self.load_branch_vmin_pu,
                                                                 float, shape=(nb,)))
        vmax = check_positive("load_branch_vmax_pu", as_array("load_branch_vmax_pu", self.load_branch_vmax_pu,
                                                              float, shape=(nb,)))
        vlow = check_nonnegative("load_branch_vlow_pu", as_array("load_branch_vlow_pu", self.load_branch_vlow_pu,
                                                                 float, shape=(nb,)))
        if (vlow >= vmin).any() and (model != 2).any():
            bad = (vlow >= vmin) & (model != 2) & (model != 0)
            if bad.any():
                raise InputError("load_branch_vlow_pu", "must be below load_branch_vmin_pu",
                                 int(np.flatnonzero(bad)[0]))
        if (vmin >= vmax).any():
            raise InputError("load_branch_vmin_pu", "must be below load_branch_vmax_pu",
                             int(np.flatnonzero(vmin >= vmax)[0]))
        zipv = check_finite("load_branch_zipv", as_array("load_branch_zipv", self.load_branch_zipv, float,
                                                          shape=(nb, 7)))
        cvr = check_finite("load_branch_cvr", as_array("load_branch_cvr", self.load_branch_cvr, float,
                                                        shape=(nb, 2)))
        src_nodes = check_integer("source_nodes", as_array("source_nodes", self.source_nodes, float, ndim=1),
                                  minimum=0)
        k = src_nodes.shape[0]
        if k == 0 or (src_nodes >= n).any():
            raise InputError("source_nodes", f"needs at least one node index below {n}")
        emf = check_finite("source_emf_v", as_array("source_emf_v", self.source_emf_v, complex, shape=(k,)))
        ysrc = check_finite("source_yprim", as_array("source_yprim", self.source_yprim, complex, shape=(k, k)))
        freq = check_positive("frequency_hz", np.asarray(float(self.frequency_hz)))
        freeze_fields(
            self, node_names=node_names, node_base_kv=base, element_names=names, element_kinds=kinds,
            element_terminals=terminals, element_offsets=offsets, conductor_nodes=conductors, yprim=yprim,
            element_length_km=length, element_rated_current_a=rating, load_names=load_names,
            load_branch_load=owner, load_branch_from=b_from, load_branch_to=b_to, load_branch_power_va=power,
            load_branch_base_v=base_v, load_branch_model=model, load_branch_vmin_pu=vmin,
            load_branch_vmax_pu=vmax, load_branch_vlow_pu=vlow, load_branch_zipv=zipv, load_branch_cvr=cvr,
            source_nodes=src_nodes, source_emf_v=emf, source_yprim=ysrc, frequency_hz=float(freq),
        )

    # ------------------------------------------------------------------ sizes and lookups
    @property
    def n_nodes(self) -> int:
        return len(self.node_names)

    @property
    def node_base_v(self) -> np.ndarray:
        """Line-to-neutral voltage base of every node, V, shape (n,)."""
        return self.node_base_kv * 1000.0

    @property
    def node_bus(self) -> tuple:
        """Bus name of every node, shape (n,)."""
        return tuple(s.rsplit(".", 1)[0] for s in self.node_names)

    @property
    def node_phase(self) -> np.ndarray:
        """Phase number (1, 2, 3, ...) of every node, shape (n,)."""
        return np.array([int(s.rsplit(".", 1)[1]) for s in self.node_names], dtype=np.int64)

    def node_index(self, name: str) -> int:
        """Index of node ``"bus.phase"``; :class:`InputError` if unknown."""
        lookup = self._cache.get("node_lookup")
        if lookup is None:
            lookup = {s: i for i, s in enumerate(self.node_names)}
            self._cache["node_lookup"] = lookup
        try:
            return lookup[str(name).lower()]
        except KeyError:
            raise InputError("node", f"unknown node {name!r}") from None

    def element_index(self, name: str) -> int:
        lookup = self._cache.get("element_lookup")
        if lookup is None:
            lookup = {s.lower(): i for i, s in enumerate(self.element_names)}
            self._cache["element_lookup"] = lookup
        try:
            return lookup[str(name).lower()]
        except KeyError:
            raise InputError("element", f"unknown element {name!r}") from None

    # ------------------------------------------------------------------ network matrices
    def _element_triplets(self):
        """Row/column node indices and values of every Yprim entry (ground entries included)."""
        cached = self._cache.get("triplets")
        if cached is None:
            counts = np.diff(self.element_offsets)
            sq = counts ** 2
            owner = np.repeat(np.arange(len(counts)), sq)
            local = np.arange(int(sq.sum())) - np.repeat(np.cumsum(sq) - sq, sq)
            row_local = local // np.repeat(counts, sq)
            col_local = local % np.repeat(counts, sq)
            start = self.element_offsets[:-1][owner]
            rows = self.conductor_nodes[start + row_local]
            cols = self.conductor_nodes[start + col_local]
            cached = (rows, cols, owner)
            self._cache["triplets"] = cached
        return cached

    def network_admittance(self) -> sp.csr_matrix:
        """Nodal admittance of the primitive elements alone (no loads, no source), siemens, (n, n)."""
        cached = self._cache.get("Ynet")
        if cached is None:
            rows, cols, _ = self._element_triplets()
            keep = (rows >= 0) & (cols >= 0)
            n = self.n_nodes
            cached = sp.csr_matrix((self.yprim[keep], (rows[keep], cols[keep])), shape=(n, n))
            cached.sum_duplicates()
            self._cache["Ynet"] = cached
        return cached

    def admittance_matrix(self) -> sp.csr_matrix:
        """Nodal admittance of elements plus the source impedance, siemens, (n, n), CSR.

        Assembled in bulk from all primitive matrices (one COO build, duplicates summed).
        """
        cached = self._cache.get("Y")
        if cached is None:
            n = self.n_nodes
            k = len(self.source_nodes)
            src = sp.csr_matrix((self.source_yprim.ravel(), (np.repeat(self.source_nodes, k),
                                                              np.tile(self.source_nodes, k))), shape=(n, n))
            cached = (self.network_admittance() + src).tocsr()
            cached.sum_duplicates()
            cached.sort_indices()
            self._cache["Y"] = cached
        return cached

    def source_injection_a(self) -> np.ndarray:
        """Norton current of the source into its nodes, ``Y_source @ E``, A, shape (n,)."""
        inj = np.zeros(self.n_nodes, dtype=complex)
        np.add.at(inj, self.source_nodes, self.source_yprim @ self.source_emf_v)
        return inj

    def element_yprim(self, e: int) -> np.ndarray:
        """Primitive admittance of element ``e``, siemens, shape (c, c)."""
        counts = np.diff(self.element_offsets)
        start = int((counts[:e] ** 2).sum())
        c = int(counts[e])
        return self.yprim[start:start + c * c].reshape(c, c)

    def element_nodes(self, e: int) -> np.ndarray:
        return self.conductor_nodes[self.element_offsets[e]:self.element_offsets[e + 1]]

    def bus_distance_km(self) -> dict:
        """Electrical-path distance of every bus from the source bus along lines, km.

        Transformers and regulators count as zero length. Buses not reachable get ``nan``.
        """
        cached = self._cache.get("distance")
        if cached is not None:
            return cached
        from scipy.sparse.csgraph import dijkstra

        buses = sorted(set(self.node_bus))
        bus_id = {b: i for i, b in enumerate(buses)}
        node_bus_id = np.array([bus_id[b] for b in self.node_bus])
        rows, cols, weights = [], [], []
        for e in range(len(self.element_names)):
            nodes = self.element_nodes(e)
            nodes = nodes[nodes >= 0]
            if nodes.size == 0:
                continue
            ids = np.unique(node_bus_id[nodes])
            for a in ids:
                for b in ids:
                    if a < b:
                        rows.append(a)
                        cols.append(b)
                        # csgraph drops explicit zeros; a tiny length keeps zero-length links.
                        weights.append(max(self.element_length_km[e], 1e-12))
        graph = sp.csr_matrix((weights, (rows, cols)), shape=(len(buses), len(buses)))
        start = bus_id[self.node_bus[self.source_nodes[0]]]
        dist = dijkstra(graph, directed=False, indices=start)
        cached = {b: (float(dist[i]) if np.isfinite(dist[i]) else float("nan")) for b, i in bus_id.items()}
        self._cache["distance"] = cached
        return cached

    def node_distance_km(self) -> np.ndarray:
        """Distance of every node's bus from the source bus, km, shape (n,)."""
        dist = self.bus_distance_km()
        return np.array([dist[b] for b in self.node_bus])

    def transformer_elements(self) -> np.ndarray:
        """Indices of transformer and regulator elements, shape (T,)."""
        kinds = np.array(self.element_kinds)
        return np.flatnonzero((kinds == "transformer") | (kinds == "regulator"))

    # ------------------------------------------------------------------ readers and writers
    @classmethod
    def from_opendss(cls, path, regulator_taps=None) -> "Feeder":
        """Load a feeder from an OpenDSS ``.dss`` master file through the OpenDSS engine.

        Parameters
        ----------
        path : str or Path
            The master file (compiled as OpenDSS's ``compile`` does, its folder being current).
        regulator_taps : dict of str to int, optional
            Fixed tap step (-16..16, 0.00625 pu each, on winding 2) per regulator transformer name;
            every regulator control is switched off. ``None`` keeps the taps at the values
            OpenDSS's regulator controls settle at in a snapshot solve.

        Requires the optional ``opendss`` extra (``dss-python``).
        """
        from ._opendss import feeder_from_opendss

        return feeder_from_opendss(path, regulator_taps=regulator_taps)

    @classmethod
    def from_json(cls, path_or_dict) -> "Feeder":
        """Read a feeder in evcore's own JSON format (see :mod:`evcore.grid._format`)."""
        from ._format import feeder_from_json

        return feeder_from_json(path_or_dict)

    def to_json(self, path=None):
        """Write the feeder in evcore's own JSON format (lossless, primitive matrices); returns the dict."""
        from ._format import feeder_to_json

        return feeder_to_json(self, path)
