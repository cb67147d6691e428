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
matrix), kept as a Norton injection ``Y_source @ E`` plus ``Y_source`` in the nodal matrix, or an ideal
source (GridLAB-D's SWING bus) that holds its nodes at the EMF.

Readers live in :mod:`evcore.io` and return plain data (a feeder document); the model builds itself from
it (``from_glm``, ``from_opendss``, ``from_json``): imports point one way, grid -> io.

Reference: seed 002, §III-B, eqs. (11)-(15) (current-voltage formulation over a three-phase
equivalent circuit).

(Past 600 lines: the validated dataclass, its load edits (scaled, added) and the readers' entry points are
one instance's contract; split, each part would reach into the others' private checks.)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .._validate import (as_array, as_scalar, check_finite, check_flag, check_integer, check_nonnegative,
                         check_positive, freeze_fields)
from ..errors import InputError
from ._elements import ELEMENT_KINDS  # kinds of primitive element (defined with the element models)

__all__ = ["Feeder", "BusCoordinates", "LOAD_MODELS", "ELEMENT_KINDS"]

#: OpenDSS load model numbers evcore applies (see :mod:`evcore.grid._reference`):
#: 1 constant P+jQ (constant Z outside vmin..vmax), 2 constant Z, 3 constant P with quadratic Q,
#: 4 exponential ("CVR") P ~ V^cvr_watts, Q ~ V^cvr_vars, 5 constant current magnitude, 8 ZIP.
#: Model 0 is evcore's pure constant power (no switch to impedance at any voltage); model 9 a pure constant
#: current magnitude ``|power_va| / base_v`` at the power factor of ``power_va``, following the voltage's
#: angle, never switched (GridLAB-D's ``constant_current``: its phasor is given at the nominal voltage).
LOAD_MODELS = (0, 1, 2, 3, 4, 5, 8, 9)


@dataclass(frozen=True)
class BusCoordinates:
    """Coordinates of some buses of a feeder.

    Attributes
    ----------
    buses : tuple of str, shape (m,)
    xy : array, shape (m, 2)
        ``(x, y)`` per bus in ``unit`` (longitude, latitude when ``unit == "deg"``).
    unit : str
        ``"deg"``, ``"ft"``, ``"m"``, or ``"unknown"`` when the source file does not say.
    system : str
        What the numbers are (``"WGS84 (longitude, latitude)"``, ``"local x, y (OpenDSS Buscoords)"``).
    """

    buses: tuple
    xy: np.ndarray
    unit: str
    system: str

    def __post_init__(self):
        buses = tuple(str(b).lower() for b in self.buses)
        xy = check_finite("coordinates.xy", as_array("coordinates.xy", self.xy, float, shape=(len(buses), 2)))
        if len(set(buses)) != len(buses):
            raise InputError("coordinates.buses", "lists a bus twice")
        freeze_fields(self, buses=buses, xy=xy, unit=str(self.unit), system=str(self.system))



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
        Admittance of the source impedance, siemens (zeros for an ideal source).
    source_name : str
    frequency_hz : float
    name : str
    source_ideal : bool
        ``True``: the source holds its nodes at ``source_emf_v`` (no impedance; GridLAB-D's SWING bus).
    coordinates : BusCoordinates, optional
        Bus coordinates with their unit and system, where the feeder file gives them.
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
    source_ideal: bool = False
    coordinates: BusCoordinates | None = None

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
        if (vlow >= vmin).any():
            bad = (vlow >= vmin) & ~np.isin(model, (0, 2, 9))  # models without voltage thresholds
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
        if len(set(src_nodes.tolist())) != k:
            raise InputError("source_nodes", "lists a node twice")
        emf = check_finite("source_emf_v", as_array("source_emf_v", self.source_emf_v, complex, shape=(k,)))
        if not (np.abs(emf) > 0).any():
            raise InputError("source_emf_v", "every source voltage is zero: there is no operating point to solve for")
        ysrc = check_finite("source_yprim", as_array("source_yprim", self.source_yprim, complex, shape=(k, k)))
        freq = check_positive("frequency_hz", np.asarray(as_scalar("frequency_hz", self.frequency_hz)))
        ideal = check_flag("source_ideal", self.source_ideal)
        if ideal:
            ysrc = np.zeros((k, k), dtype=complex)
        elif not (np.abs(ysrc) > 0).any():
            raise InputError("source_yprim", "is all zeros: give the source impedance, or source_ideal=True")
        if self.coordinates is not None and not isinstance(self.coordinates, BusCoordinates):
            raise InputError("coordinates", f"must be a BusCoordinates or None, got {type(self.coordinates).__name__}")
        if len(set(names)) != n_el:
            dup = next(s for s in names if names.count(s) > 1)
            raise InputError("element_names", f"element {dup!r} appears more than once")
        if len(set(load_names)) != len(load_names):
            dup = next(s for s in load_names if load_names.count(s) > 1)
            raise InputError("load_names", f"load {dup!r} appears more than once")
        freeze_fields(
            self, node_names=node_names, node_base_kv=base, element_names=names, element_kinds=kinds,
            element_terminals=terminals, element_offsets=offsets, conductor_nodes=conductors, yprim=yprim,
            element_length_km=length, element_rated_current_a=rating, load_names=load_names,
            load_branch_load=owner, load_branch_from=b_from, load_branch_to=b_to, load_branch_power_va=power,
            load_branch_base_v=base_v, load_branch_model=model, load_branch_vmin_pu=vmin,
            load_branch_vmax_pu=vmax, load_branch_vlow_pu=vlow, load_branch_zipv=zipv, load_branch_cvr=cvr,
            source_nodes=src_nodes, source_emf_v=emf, source_yprim=ysrc, frequency_hz=float(freq),
            source_ideal=ideal, source_name=str(self.source_name), name=str(self.name),
        )

    # ------------------------------------------------------------------ sizes and lookups
    # (cached_property writes into the instance's own __dict__: the model caches its own derived tables,
    # nothing outside writes into a Feeder; kernel arrays live in evcore.grid._kernel)
    @property
    def n_nodes(self) -> int:
        return len(self.node_names)

    @property
    def node_base_v(self) -> np.ndarray:
        """Line-to-neutral voltage base of every node, V, shape (n,)."""
        return self.node_base_kv * 1000.0

    @cached_property
    def node_bus(self) -> tuple:
        """Bus name of every node, shape (n,)."""
        return tuple(s.rsplit(".", 1)[0] for s in self.node_names)

    @cached_property
    def node_phase(self) -> np.ndarray:
        """Phase number (1, 2, 3, ...) of every node, shape (n,)."""
        out = np.array([int(s.rsplit(".", 1)[1]) for s in self.node_names], dtype=np.int64)
        out.setflags(write=False)
        return out

    @cached_property
    def _node_lookup(self) -> dict:
        return {s: i for i, s in enumerate(self.node_names)}

    @cached_property
    def _element_lookup(self) -> dict:
        return {s.lower(): i for i, s in enumerate(self.element_names)}

    @cached_property
    def _bus_nodes(self) -> dict:
        out = {}
        for i, b in enumerate(self.node_bus):
            out.setdefault(b, []).append(i)
        return out

    @cached_property
    def _yprim_offsets(self) -> np.ndarray:
        counts = np.diff(self.element_offsets)
        return np.concatenate([[0], np.cumsum(counts ** 2)]).astype(np.int64)

    def node_index(self, name: str) -> int:
        """Index of node ``"bus.phase"``; :class:`InputError` if unknown."""
        try:
            return self._node_lookup[str(name).lower()]
        except KeyError:
            raise InputError("node", f"unknown node {name!r}") from None

    def element_index(self, name: str) -> int:
        """Index of element ``"kind.name"``; :class:`InputError` if unknown."""
        try:
            return self._element_lookup[str(name).lower()]
        except KeyError:
            raise InputError("element", f"unknown element {name!r}") from None

    def bus_nodes(self, bus: str) -> np.ndarray:
        """Node indices of ``bus`` (phases ascending); :class:`InputError` if unknown."""
        try:
            return np.array(self._bus_nodes[str(bus).lower()], dtype=np.int64)
        except KeyError:
            raise InputError("bus", f"unknown bus {bus!r}") from None

    # ------------------------------------------------------------------ network matrices
    @cached_property
    def _element_triplets(self):
        """Row/column node indices and owning element of every Yprim entry (ground entries included)."""
        counts = np.diff(self.element_offsets)
        sq = counts ** 2
        owner = np.repeat(np.arange(len(counts)), sq)
        local = np.arange(int(sq.sum())) - np.repeat(np.cumsum(sq) - sq, sq)
        row_local = local // np.repeat(counts, sq)
        col_local = local % np.repeat(counts, sq)
        start = self.element_offsets[:-1][owner]
        return self.conductor_nodes[start + row_local], self.conductor_nodes[start + col_local], owner

    @cached_property
    def _network_admittance(self) -> sp.csr_matrix:
        rows, cols, _ = self._element_triplets
        keep = (rows >= 0) & (cols >= 0)
        n = self.n_nodes
        y = sp.csr_matrix((self.yprim[keep], (rows[keep], cols[keep])), shape=(n, n))
        y.sum_duplicates()
        y.sort_indices()
        return y

    def network_admittance(self) -> sp.csr_matrix:
        """Nodal admittance of the primitive elements alone (no loads, no source), siemens, (n, n)."""
        return self._network_admittance

    @cached_property
    def _admittance_matrix(self) -> sp.csr_matrix:
        n = self.n_nodes
        k = len(self.source_nodes)
        src = sp.csr_matrix((self.source_yprim.ravel(), (np.repeat(self.source_nodes, k),
                                                          np.tile(self.source_nodes, k))), shape=(n, n))
        y = (self._network_admittance + src).tocsr()
        y.sum_duplicates()
        y.sort_indices()
        return y

    def admittance_matrix(self) -> sp.csr_matrix:
        """Nodal admittance of elements plus the source impedance, siemens, (n, n), CSR (for an ideal source
        the network alone: its nodes are held at the EMF instead)."""
        return self._admittance_matrix

    def source_injection_a(self) -> np.ndarray:
        """Norton current of the source into its nodes, ``Y_source @ E``, A, shape (n,) (zeros for an ideal
        source, which holds its nodes at the EMF)."""
        inj = np.zeros(self.n_nodes, dtype=complex)
        np.add.at(inj, self.source_nodes, self.source_yprim @ self.source_emf_v)
        return inj

    def element_yprim(self, e: int) -> np.ndarray:
        """Primitive admittance of element ``e``, siemens, shape (c, c)."""
        c = int(self.element_offsets[e + 1] - self.element_offsets[e])
        start = int(self._yprim_offsets[e])
        return self.yprim[start:start + c * c].reshape(c, c)

    def element_nodes(self, e: int) -> np.ndarray:
        """Node index of each conductor of element ``e`` (``-1`` = ground)."""
        return self.conductor_nodes[self.element_offsets[e]:self.element_offsets[e + 1]]

    @cached_property
    def _bus_distance(self) -> dict:
        from scipy.sparse.csgraph import dijkstra

        buses = list(dict.fromkeys(self.node_bus))
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
        return {b: (float(dist[i]) if np.isfinite(dist[i]) else float("nan")) for b, i in bus_id.items()}

    def bus_distance_km(self) -> dict:
        """Electrical-path distance of every bus from the source bus along lines, km.

        Transformers and regulators count as zero length. Buses not reachable get ``nan``.
        """
        return self._bus_distance

    def node_distance_km(self) -> np.ndarray:
        """Distance of every node's bus from the source bus, km, shape (n,)."""
        dist = self._bus_distance
        return np.array([dist[b] for b in self.node_bus])

    def node_coordinate_columns(self) -> dict:
        """Coordinates of every node's bus as named columns carrying their unit (NaN where unknown).

        ``{"longitude_deg": ..., "latitude_deg": ...}`` for geographic coordinates, else
        ``{"x_<unit>": ..., "y_<unit>": ...}`` (``x_unknown`` when the file does not say); empty without
        coordinates. The coordinate system is ``self.coordinates.system``.
        """
        c = self.coordinates
        if c is None:
            return {}
        where = {b: k for k, b in enumerate(c.buses)}
        xy = np.full((self.n_nodes, 2), np.nan)
        for i, bus in enumerate(self.node_bus):
            k = where.get(bus)
            if k is not None:
                xy[i] = c.xy[k]
        names = ("longitude_deg", "latitude_deg") if c.unit == "deg" else (f"x_{c.unit}", f"y_{c.unit}")
        return {names[0]: xy[:, 0], names[1]: xy[:, 1]}

    def transformer_elements(self) -> np.ndarray:
        """Indices of transformer and regulator elements, shape (T,)."""
        kinds = np.array(self.element_kinds)
        return np.flatnonzero((kinds == "transformer") | (kinds == "regulator"))

    def load_index(self, name: str) -> int:
        """Index of load ``name``; :class:`InputError` if unknown."""
        for key in (str(name), str(name).lower()):
            if key in self._load_lookup:
                return self._load_lookup[key]
        raise InputError("load", f"unknown load {name!r}")

    @cached_property
    def _load_lookup(self) -> dict:
        return {s: i for i, s in enumerate(self.load_names)}

    # ------------------------------------------------------------------ derived feeders
    def _replace_loads(self, **arrays) -> "Feeder":
        import dataclasses

        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        values.update(arrays)
        return Feeder(**values)

    def scaled_loads(self, factor) -> "Feeder":
        """A copy of the feeder with every load's nominal power multiplied.

        Parameters
        ----------
        factor : float, array of shape (L,), or dict of load name -> float
            One factor for all loads, one per load (in :attr:`load_names` order), or factors for the named
            loads (the others keep theirs). Factors must be finite and non-negative.
        """
        per_load = np.ones(len(self.load_names))
        if isinstance(factor, dict):
            for name, f in factor.items():
                per_load[self.load_index(name)] = as_scalar(f"factor[{name}]", f)
        else:
            values = as_array("factor", factor, float)
            if values.ndim == 0:
                per_load[:] = values
            elif values.shape == per_load.shape:
                per_load = values
            else:
                raise InputError("factor", f"must be one number, {per_load.size} (one per load) or a dict of load "
                                           f"name -> factor, got shape {values.shape}")
        check_nonnegative("factor", check_finite("factor", np.asarray(per_load, dtype=float)))
        return self._replace_loads(load_branch_power_va=self.load_branch_power_va * per_load[self.load_branch_load])

    def with_loads(self, loads) -> "Feeder":
        """A copy of the feeder with more loads (e.g. chargers), described as in evcore's feeder document::

            feeder.with_loads([{"name": "ev1", "bus": "632.1", "phases": 1, "conn": "wye", "model": 0,
                                "kw": 7.2, "kvar": 2.37, "kv": 2.4}])

        Every bus must exist; new names must not clash with existing loads. Models, thresholds and branches
        follow :mod:`evcore.grid._format` (``"branches"`` entries are accepted too).
        """
        from ._format import load_rows_from_document

        if isinstance(loads, dict):
            loads = [loads]
        if not isinstance(loads, (list, tuple)) or not loads:
            raise InputError("loads", "must be a non-empty list of load descriptions")
        rows = load_rows_from_document(loads)
        names = list(self.load_names)
        new_names = [r[0] for r in rows]
        for nm in dict.fromkeys(new_names):
            if nm in names:
                raise InputError("loads", f"a load named {nm!r} exists already")
        names += list(dict.fromkeys(new_names))
        pos = {nm: i for i, nm in enumerate(names)}

        def idx(c, field):
            if c[1] == 0:
                return -1
            return self.node_index(f"{c[0]}.{c[1]}") if f"{c[0]}.{c[1]}" in self._node_lookup else _unknown(field, c)

        nb = len(rows)
        return self._replace_loads(
            load_names=tuple(names),
            load_branch_load=np.concatenate([self.load_branch_load, [pos[r[0]] for r in rows]]).astype(np.int64),
            load_branch_from=np.concatenate([self.load_branch_from, [idx(r[1], "from") for r in rows]]).astype(np.int64),
            load_branch_to=np.concatenate([self.load_branch_to, [idx(r[2], "to") for r in rows]]).astype(np.int64),
            load_branch_power_va=np.concatenate([self.load_branch_power_va, [r[3] for r in rows]]),
            load_branch_base_v=np.concatenate([self.load_branch_base_v, [r[4] for r in rows]]),
            load_branch_model=np.concatenate([self.load_branch_model, [r[5]["model"] for r in rows]]).astype(np.int64),
            load_branch_vmin_pu=np.concatenate([self.load_branch_vmin_pu, [r[5]["vmin"] for r in rows]]),
            load_branch_vmax_pu=np.concatenate([self.load_branch_vmax_pu, [r[5]["vmax"] for r in rows]]),
            load_branch_vlow_pu=np.concatenate([self.load_branch_vlow_pu, [r[5]["vlow"] for r in rows]]),
            load_branch_zipv=np.vstack([self.load_branch_zipv, np.array([r[5]["zipv"] for r in rows]).reshape(nb, 7)]),
            load_branch_cvr=np.vstack([self.load_branch_cvr, np.array([r[5]["cvr"] for r in rows]).reshape(nb, 2)]),
        )

    # ------------------------------------------------------------------ readers and writers
    @classmethod
    def from_document(cls, document) -> "Feeder":
        """Build a feeder from an evcore feeder document (the dict :mod:`evcore.io` readers return)."""
        from ._format import feeder_from_document

        return feeder_from_document(document)

    @classmethod
    def from_glm(cls, path, regulator_taps=None) -> "Feeder":
        """Load a GridLAB-D feeder (``.glm``) with GridLAB-D's Newton-Raphson element models.

        Parameters
        ----------
        path : str or Path
        regulator_taps : dict, optional
            Regulator name -> fixed tap step: an int (all phases), three ints (A, B, C) or a dict by phase;
            regulators not named keep the file's taps. Regulator controls are never simulated.

        The import report (skipped objects, id clashes, taps used, merged children, negative-resistance
        lines, the file's asserts) is :func:`evcore.io.glm.read`'s second value; ``Feeder.from_glm`` keeps
        only the model. No optional engine is needed.
        """
        from ..io import glm

        document, _ = glm.read(path, regulator_taps=regulator_taps)
        return cls.from_document(document)

    @classmethod
    def from_opendss(cls, path, regulator_taps=None, *, max_iterations=None,
                     max_control_iterations=None) -> "Feeder":
        """Load a feeder from an OpenDSS ``.dss`` master file through the OpenDSS engine.

        Parameters
        ----------
        path : str or Path
            The master file (compiled as OpenDSS's ``compile`` does, its folder being current).
        regulator_taps : dict of str to int, optional
            Fixed tap step (-16..16, 0.00625 pu each, on winding 2) per regulator transformer name;
            every regulator control is switched off. ``None`` keeps the taps at the values
            OpenDSS's regulator controls settle at in a snapshot solve.
        max_iterations, max_control_iterations : int, optional
            OpenDSS's power-flow iterations per solution and control iterations for the snapshot that settles
            the controls (default: the file's own; when it does not converge with them, both are raised to 100
            and the file compiled again, as IEEE 8500 needs; see :func:`evcore.io.opendss.read`).

        Requires the optional ``opendss`` extra (``dss-python``).
        """
        from ..io import opendss

        document, report = opendss.read(path, regulator_taps=regulator_taps, max_iterations=max_iterations,
                                        max_control_iterations=max_control_iterations)
        for note in report["notes"]:  # e.g. OpenDSS's iteration limits raised (stderr through logging, never stdout)
            logging.getLogger(__name__).warning("%s: %s", path, note)
        return cls.from_document(document)

    @classmethod
    def from_json(cls, path_or_dict) -> "Feeder":
        """Read a feeder in evcore's own JSON format (see :mod:`evcore.grid._format`)."""
        from ..io import feeder_json

        return cls.from_document(feeder_json.read(path_or_dict))

    def to_document(self) -> dict:
        """The feeder as an evcore feeder document (lossless)."""
        from ._format import feeder_to_document

        return feeder_to_document(self)

    def to_json(self, path=None):
        """Write the feeder in evcore's own JSON format (lossless, primitive matrices); returns the dict."""
        from ..io import feeder_json

        doc = self.to_document()
        if path is not None:
            feeder_json.write(doc, path)
        return doc


def _unknown(field, c):
    raise InputError(f"loads.{field}", f"node {c[0]}.{c[1]} is not a node of the feeder")
