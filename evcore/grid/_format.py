"""evcore's feeder document (the JSON format) to a :class:`~evcore.grid.Feeder` and back.

A user without any other tool can describe a feeder in one JSON document::

    {
      "format": "evcore-feeder", "version": 1, "name": "my feeder", "frequency_hz": 60,
      "buses": {"sub": {"base_kv_ll": 12.47}, "a": {"base_kv_ll": 12.47}, ...},
      "nodes": ["sub.1", "sub.2", ...]          (optional: node order; default buses in order, phases ascending)
      "source": {"bus": "sub", "phases": 3, "kv_ll": 12.47, "pu": 1.0, "angle_deg": 0,
                 "z1_ohm": [0.01, 0.1], "z0_ohm": [0.03, 0.3]},
                (or {"nodes": [...], "emf_v": [[re, im], ...], "yprim_re": [[...]], "yprim_im": [[...]]},
                 or {"nodes": [...], "emf_v": [[re, im], ...], "ideal": true} for a stiff source)
      "lines": [{"name": "l1", "bus1": "sub.1.2.3", "bus2": "a.1.2.3", "phases": 3, "length_km": 0.5,
                 "r_ohm_per_km": [[...]], "x_ohm_per_km": [[...]], "c_nf_per_km": [[...]],
                 "rated_current_a": 400}],
      "switches": [{"name": "s1", "bus1": "a", "bus2": "b", "phases": 3, "closed": true, "r_ohm": 1e-4,
                    "kind": "switch" | "fuse"}],
      "transformers": [{"name": "t1", "phases": 3, "x_pct": 2.0,
                        "windings": [{"bus": "b", "conn": "delta", "kv": 12.47, "kva": 500, "r_pct": 0.5},
                                     {"bus": "c", "conn": "wye", "kv": 0.48, "kva": 500, "r_pct": 0.5,
                                      "tap": 1.0}]}],
                        (3 windings with "x_pct": [XHL, XHT, XLT] for a centre-tapped service transformer)
      "regulators": [{"name": "r1", "bus1": "a.1", "bus2": "ar.1", "kv": 7.2, "kva": 2000, "x_pct": 0.01,
                      "r_pct": 0.0, "tap_step": 5}],            (single-phase wye, +-16 steps of 0.00625 pu)
      "capacitors": [{"name": "c1", "bus": "c", "phases": 3, "kvar": 300, "kv": 0.48, "conn": "wye"}],
      "loads": [{"name": "ld1", "bus": "c.1", "phases": 1, "conn": "wye", "model": 1, "kw": 50, "kvar": 20,
                 "kv": 0.277, "vminpu": 0.95, "vmaxpu": 1.05, "vlowpu": 0.5,
                 "zipv": [..7..], "cvr": [1, 2]}],
                (or "branches": [{"from": "c.1", "to": "0", "power_va": [w, var], "base_v": 277.1}])
      "primitives": [{"name": "transformer.x", "kind": "transformer", "terminals": 2,
                      "nodes": ["b.1", "b.2", "b.3", "0", ...], "yprim_re": [[...]], "yprim_im": [[...]],
                      "length_km": 0, "rated_current_a": null}],
      "coordinates": {"unit": "ft", "system": "local x, y", "buses": {"sub": [0, 0], ...}}
    }

Bus specifications follow OpenDSS (``"632.1.2.3"``; a bare bus means phases ``1..phases``, node 0 is
ground). Units: kV, kVA, kW, kvar, ohm, nF, km. Load models are those of :data:`evcore.grid.LOAD_MODELS`
(0 pure constant power; 9 a pure constant current magnitude following the voltage's angle). The writer stores every
element as a primitive admittance, the source by its EMF and admittance (or as ideal), and loads branch by
branch, so that ``Feeder.from_json(feeder.to_json())`` reproduces the feeder exactly.

Every problem with a document (a missing or mistyped field, a singular impedance, text where a number
belongs, ``"closed": "no"``, an unknown connection) is an :class:`InputError` naming the element and field.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import InputError
from . import _elements as el

__all__ = ["feeder_from_document", "feeder_to_document", "load_rows_from_document", "FORMAT_NAME"]

FORMAT_NAME = "evcore-feeder"
_MISSING = object()
_CONNECTIONS = ("wye", "delta")
_NOTE_FIELDS = frozenset({"name", "comment", "description"})


class _Doc:
    """Typed access to one element of the document; every failure names ``where.field``."""

    def __init__(self, data, where):
        if not isinstance(data, dict):
            raise InputError(where, f"must be a JSON object, got {type(data).__name__}")
        self.d = data
        self.where = where
        self.seen = set()

    def has(self, key):
        self.seen.add(key)
        return key in self.d and self.d[key] is not None

    def done(self, result=None):
        """Refuse fields nothing read (a misspelt or misplaced field would otherwise be ignored silently)."""
        for key in self.d:
            if key not in self.seen and key not in _NOTE_FIELDS:
                known = ", ".join(sorted(k for k in self.seen if k not in _NOTE_FIELDS))
                raise InputError(f"{self.where}.{key}", f"is not a field here (misspelt or misplaced?); this "
                                                        f"element reads: {known}")
        return result

    def raw(self, key, default=_MISSING):
        self.seen.add(key)
        if key not in self.d or self.d[key] is None:
            if default is _MISSING:
                raise InputError(f"{self.where}.{key}", "is required")
            return default
        return self.d[key]

    def num(self, key, default=_MISSING, *, positive=False, nonnegative=False):
        value = self.raw(key, default)
        return _number(f"{self.where}.{key}", value, positive=positive, nonnegative=nonnegative)

    def int(self, key, default=_MISSING, *, choices=None, low=None, high=None):
        value = self.raw(key, default)
        field = f"{self.where}.{key}"
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
            raise InputError(field, f"must be an integer, got {value!r}")
        if not float(value).is_integer():
            raise InputError(field, f"must be an integer, got {value!r}")
        value = int(value)
        if choices is not None and value not in choices:
            raise InputError(field, f"must be one of {list(choices)}, got {value}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise InputError(field, f"must lie in [{low}, {high}], got {value}")
        return value

    def str(self, key, default=_MISSING):
        value = self.raw(key, default)
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{self.where}.{key}", f"must be a non-empty string, got {value!r}")
        return value.strip()

    def flag(self, key, default=_MISSING):
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise InputError(f"{self.where}.{key}", f"must be true or false, got {value!r}")
        return value

    def conn(self, key="conn", default="wye"):
        value = self.raw(key, default)
        if not isinstance(value, str) or value.strip().lower() not in _CONNECTIONS:
            raise InputError(f"{self.where}.{key}", f"must be 'wye' or 'delta', got {value!r}")
        return value.strip().lower()

    def matrix(self, key, size, default=_MISSING):
        value = self.raw(key, default)
        if value is None:
            return None
        return _matrix(f"{self.where}.{key}", value, size)

    def pair(self, key, default=_MISSING):
        value = self.raw(key, default)
        field = f"{self.where}.{key}"
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise InputError(field, f"must be a pair [real, imag], got {value!r}")
        return complex(_number(field, value[0]), _number(field, value[1]))


def _number(field, value, *, positive=False, nonnegative=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(field, f"must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(field, f"must be finite, got {value!r}")
    if positive and not value > 0:
        raise InputError(field, f"must be positive, got {value!r}")
    if nonnegative and value < 0:
        raise InputError(field, f"must be non-negative, got {value!r}")
    return value


def _matrix(field, value, size):
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and size == 1:
        value = [[value]]
    if not isinstance(value, (list, tuple)) or len(value) != size:
        raise InputError(field, f"needs a {size}x{size} matrix (list of {size} rows)")
    # fast path: rows of plain floats/ints (booleans and text fall through to the checks below)
    if all(isinstance(row, list) and len(row) == size and all(type(v) in (float, int) for v in row)
           for row in value):
        out = np.array(value, dtype=float)
        if np.isfinite(out).all():
            return out
    out = np.empty((size, size))
    for i, row in enumerate(value):
        if not isinstance(row, (list, tuple)) or len(row) != size:
            raise InputError(field, f"row {i} must have {size} numbers", i)
        for j, v in enumerate(row):
            out[i, j] = _number(f"{field}[{i}][{j}]", v)
    return out


def _node_ref(field, text, bus_kv):
    """``"bus.phase"`` -> ``(bus, phase)``; ``"0"`` -> ground."""
    if not isinstance(text, str):
        raise InputError(field, f"must be a node name such as '632.1' (or '0' for ground), got {text!r}")
    s = text.strip().lower()
    if s == "0":
        return ("", 0)
    bus, dot, ph = s.rpartition(".")
    if not dot or not bus or not ph.isdigit() or int(ph) < 1:
        raise InputError(field, f"must be 'bus.phase' with a phase >= 1 (or '0'), got {text!r}")
    return (bus, int(ph))


def _name(d, default):
    value = d.get("name", default) if isinstance(d, dict) else default
    return str(value).lower() if value is not None else default


def _guard(where, fn, *args):
    """Run one element's builder; numerical library errors become InputErrors naming the element."""
    try:
        return fn(*args)
    except InputError:
        raise
    except np.linalg.LinAlgError:
        raise InputError(where, "its impedance or admittance matrix is singular") from None
    except (ZeroDivisionError, FloatingPointError, OverflowError) as exc:
        raise InputError(where, f"a value makes its model degenerate ({exc})") from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(where, f"is malformed ({type(exc).__name__}: {exc})") from None


def _check_admittance(where, y):
    y = np.asarray(y, dtype=complex)
    if not np.isfinite(y).all():
        raise InputError(where, "its admittance is not finite (an impedance of zero?)")
    big = np.abs(y).max() if y.size else 0.0
    if big > 1e9:
        raise InputError(where, f"admittance {big:.3g} S is not a physical element (a series impedance below "
                                "1e-9 ohm, or a shunt that large: check lengths and per-km values; use a switch "
                                "or merge the buses for a zero-impedance link)")
    return y


def _distinct_ends(where, cond, terminals):
    per = len(cond) // terminals
    ends = [set(c for c in cond[t * per:(t + 1) * per] if c[1] != 0) for t in range(terminals)]
    for a in range(terminals):
        for b in range(a + 1, terminals):
            common = ends[a] & ends[b]
            if common and per > 0:
                bus, ph = sorted(common)[0]
                raise InputError(where, f"connects node {bus}.{ph} to itself (bus1 == bus2?)")


def feeder_from_document(doc):
    """A :class:`~evcore.grid.Feeder` from an evcore feeder document (a parsed JSON dict)."""
    from .model import BusCoordinates, Feeder

    if not isinstance(doc, dict):
        raise InputError("document", f"must be a JSON object, got {type(doc).__name__}")
    if doc.get("format") != FORMAT_NAME:
        raise InputError("format", f"must be {FORMAT_NAME!r}, got {doc.get('format')!r}")
    top = _Doc(doc, "document")
    top.seen.update(("format", "version", "name", "buses", "nodes", "source", "lines", "switches", "transformers",
                     "regulators", "capacitors", "primitives", "loads", "coordinates"))
    freq = top.num("frequency_hz", 60.0, positive=True)
    top.done()
    buses = doc.get("buses")
    if not isinstance(buses, dict) or not buses:
        raise InputError("buses", "needs a mapping of bus name -> {base_kv_ll}")
    bus_kv = {}
    for b, spec in buses.items():
        bd = _Doc(spec, f"buses[{b}]")
        kv = bd.num("base_kv_ll", positive=True)
        bd.done()
        key = str(b).lower()
        if key in bus_kv:
            raise InputError(f"buses[{b}]", "is declared twice (bus names are case-insensitive)")
        bus_kv[key] = kv

    def section(key):
        value = doc.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            raise InputError(key, f"must be a list, got {type(value).__name__}")
        return value

    elements = []  # (name, kind, conductors, y, terminals, length_km, rating)
    for i, raw in enumerate(section("lines")):
        where = f"lines[{_name(raw, i)}]"
        elements.append(_guard(where, _line, raw, where, i, freq))
    for i, raw in enumerate(section("switches")):
        where = f"switches[{_name(raw, i)}]"
        elements.append(_guard(where, _switch, raw, where, i))
    for i, raw in enumerate(section("transformers")):
        where = f"transformers[{_name(raw, i)}]"
        elements.append(_guard(where, _transformer, raw, where, i))
    for i, raw in enumerate(section("regulators")):
        where = f"regulators[{_name(raw, i)}]"
        elements.append(_guard(where, _regulator, raw, where, i))
    for i, raw in enumerate(section("capacitors")):
        where = f"capacitors[{_name(raw, i)}]"
        elements.append(_guard(where, _capacitor, raw, where, i, freq))
    for i, raw in enumerate(section("primitives")):
        where = f"primitives[{_name(raw, i)}]"
        elements.append(_guard(where, _primitive, raw, where, i, bus_kv))
    seen = {}
    for e in elements:
        if e[0] in seen:
            raise InputError(f"element {e[0]}", "the name is used twice")
        seen[e[0]] = True

    src = doc.get("source")
    if not isinstance(src, dict):
        raise InputError("source", "is required (a JSON object)")
    src_cond, emf, ysrc, ideal = _guard("source", _source, src, bus_kv)

    load_rows = []
    for i, raw in enumerate(section("loads")):
        where = f"loads[{_name(raw, i)}]"
        load_rows.extend(_guard(where, _load, raw, where, i))

    # node numbering: buses in document order, phases ascending, only nodes something connects to
    used = set()
    for _, _, cond, _, _, _, _ in elements:
        used.update(c for c in cond if c[1] != 0)
    used.update(src_cond)
    for row in load_rows:
        used.update(c for c in row[1:3] if c[1] != 0)
    order = {b: i for i, b in enumerate(bus_kv)}
    listed_buses = {c[0] for c in used}
    if isinstance(doc.get("nodes"), list):
        listed_buses |= {str(s).strip().lower().rpartition(".")[0] for s in doc["nodes"]}
    for b in bus_kv:
        if b not in listed_buses:
            raise InputError(f"buses[{b}]", "is declared but no element, load or source connects to it (an isolated "
                                            "bus: remove it)")
    for b, ph in sorted(used):
        if b not in order:
            raise InputError("buses", f"bus {b!r} is used (node {b}.{ph}) but not declared in 'buses'")
    nodes_sorted = sorted(used, key=lambda c: (order[c[0]], c[1]))
    if "nodes" in doc:  # an explicit node order (the writer's, so that round trips are exact)
        listed_raw = doc["nodes"]
        if not isinstance(listed_raw, list):
            raise InputError("nodes", "must be a list of node names")
        listed = [_node_ref(f"nodes[{i}]", s, bus_kv) for i, s in enumerate(listed_raw)]
        if any(c[1] == 0 for c in listed):
            raise InputError("nodes", "ground ('0') is not a node")
        if len(set(listed)) != len(listed):
            raise InputError("nodes", "lists a node twice")
        missing = used - set(listed)
        if missing:
            b, n = sorted(missing)[0]
            raise InputError("nodes", f"node {b}.{n} is used but missing from 'nodes'")
        for b, ph in listed:
            if b not in bus_kv:
                raise InputError("nodes", f"node {b}.{ph}: bus {b!r} is not declared in 'buses'")
        nodes_sorted = listed
    if not nodes_sorted:
        raise InputError("document", "describes no node")
    index = {c: i for i, c in enumerate(nodes_sorted)}
    node_names = [f"{b}.{n}" for b, n in nodes_sorted]
    node_base_kv = np.array([bus_kv[b] / math.sqrt(3.0) for b, _ in nodes_sorted])

    def idx(c):
        return -1 if c[1] == 0 else index[c]

    counts = [len(e[2]) for e in elements]
    load_names = list(dict.fromkeys(r[0] for r in load_rows))
    lpos = {n: i for i, n in enumerate(load_names)}
    nb = len(load_rows)
    coordinates = None
    if doc.get("coordinates") is not None:
        coordinates = _guard("coordinates", _coordinates, doc["coordinates"], bus_kv, BusCoordinates)
    return Feeder(
        node_names=node_names,
        node_base_kv=node_base_kv,
        element_names=[e[0] for e in elements],
        element_kinds=[e[1] for e in elements],
        element_terminals=np.array([e[4] for e in elements], dtype=np.int64),
        element_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        conductor_nodes=np.array([idx(c) for e in elements for c in e[2]], dtype=np.int64),
        yprim=np.concatenate([np.asarray(e[3], dtype=complex).ravel() for e in elements]) if elements
        else np.zeros(0, complex),
        element_length_km=np.array([e[5] for e in elements], dtype=float),
        element_rated_current_a=np.array([e[6] for e in elements], dtype=float),
        load_names=load_names,
        load_branch_load=np.array([lpos[r[0]] for r in load_rows], dtype=np.int64),
        load_branch_from=np.array([idx(r[1]) for r in load_rows], dtype=np.int64),
        load_branch_to=np.array([idx(r[2]) for r in load_rows], dtype=np.int64),
        load_branch_power_va=np.array([r[3] for r in load_rows], dtype=complex),
        load_branch_base_v=np.array([r[4] for r in load_rows], dtype=float),
        load_branch_model=np.array([r[5]["model"] for r in load_rows], dtype=np.int64),
        load_branch_vmin_pu=np.array([r[5]["vmin"] for r in load_rows], dtype=float),
        load_branch_vmax_pu=np.array([r[5]["vmax"] for r in load_rows], dtype=float),
        load_branch_vlow_pu=np.array([r[5]["vlow"] for r in load_rows], dtype=float),
        load_branch_zipv=np.array([r[5]["zipv"] for r in load_rows], dtype=float).reshape(nb, 7),
        load_branch_cvr=np.array([r[5]["cvr"] for r in load_rows], dtype=float).reshape(nb, 2),
        source_nodes=np.array([index[c] for c in src_cond], dtype=np.int64),
        source_emf_v=emf,
        source_yprim=ysrc,
        source_name=str(src.get("name", "source")).lower(),
        source_ideal=ideal,
        frequency_hz=freq,
        name=str(doc.get("name", "feeder")),
        coordinates=coordinates,
    )


def _bus(where, d, key, phases, *, neutral=False):
    spec = d.str(key)
    return el.parse_bus(f"{where}.{key}", spec, phases, neutral=neutral)


def _line(raw, where, i, freq):
    d = _Doc(raw, where)
    name = _name(raw, f"l{i}")
    phases = d.int("phases", 3, low=1, high=3)
    length = d.num("length_km", positive=True)
    cond, y, t = el.line_yprim(name, d.str("bus1"), d.str("bus2"), phases, length, d.matrix("r_ohm_per_km", phases),
                               d.matrix("x_ohm_per_km", phases), d.matrix("c_nf_per_km", phases, None), freq)
    _distinct_ends(where, cond, t)
    return d.done((f"line.{name}", "line", cond, _check_admittance(where, y), t, length,
                   d.num("rated_current_a", float("nan"), positive=True) if d.has("rated_current_a") else float("nan")))


def _switch(raw, where, i):
    d = _Doc(raw, where)
    name = _name(raw, f"s{i}")
    phases = d.int("phases", 3, low=1, high=3)
    kind = d.str("kind", "switch").lower()
    if kind not in ("switch", "fuse", "recloser", "breaker"):
        raise InputError(f"{where}.kind", f"must be 'switch', 'fuse', 'recloser' or 'breaker', got {kind!r}")
    cond, y, t = el.switch_yprim(name, d.str("bus1"), d.str("bus2"), phases, d.flag("closed", True),
                                 d.num("r_ohm", 1e-4, positive=True))
    _distinct_ends(where, cond, t)
    rating = d.num("rated_current_a", positive=True) if d.has("rated_current_a") else float("nan")
    return d.done((f"{kind}.{name}", "switch", cond, _check_admittance(where, y), t, 0.0, rating))


def _transformer(raw, where, i):
    d = _Doc(raw, where)
    name = _name(raw, f"t{i}")
    phases = d.int("phases", 3, choices=(1, 3))
    windings_raw = d.raw("windings")
    if not isinstance(windings_raw, list) or len(windings_raw) not in (2, 3):
        raise InputError(f"{where}.windings", "needs a list of 2 or 3 windings")
    windings = []
    for k, w in enumerate(windings_raw):
        wd = _Doc(w, f"{where}.windings[{k}]")
        windings.append(dict(bus=wd.str("bus"), conn=wd.conn("conn", "wye"), kv=wd.num("kv", positive=True),
                             kva=wd.num("kva", positive=True), r_pct=wd.num("r_pct", 0.0, nonnegative=True),
                             tap=wd.num("tap", 1.0, positive=True)))
        wd.done()
    x = d.raw("x_pct")
    if isinstance(x, (list, tuple)):
        x_pct = [_number(f"{where}.x_pct[{k}]", v, nonnegative=True) for k, v in enumerate(x)]
    else:
        x_pct = _number(f"{where}.x_pct", x, nonnegative=True)
    if np.all(np.asarray(x_pct) == 0) and all(w["r_pct"] == 0 for w in windings):
        raise InputError(where, "a transformer needs a non-zero impedance (r_pct or x_pct)")
    cond, y, t = el.transformer_yprim(name, phases, windings, x_pct)
    _distinct_ends(where, cond, t)
    w1 = windings[0]
    rating = w1["kva"] / (math.sqrt(3.0) * w1["kv"] if phases > 1 else w1["kv"])
    return d.done((f"transformer.{name}", "transformer", cond, _check_admittance(where, y), t, 0.0, rating))


def _regulator(raw, where, i):
    d = _Doc(raw, where)
    name = _name(raw, f"r{i}")
    step = d.int("tap_step", 0, low=-16, high=16)
    kv, kva = d.num("kv", positive=True), d.num("kva", positive=True)
    r_pct = d.num("r_pct", 0.0, nonnegative=True)
    x_pct = d.num("x_pct", 0.01, nonnegative=True)
    if r_pct == 0 and x_pct == 0:
        raise InputError(where, "a regulator needs a non-zero impedance (r_pct or x_pct)")
    wind = [dict(bus=d.str("bus1"), conn="wye", kv=kv, kva=kva, r_pct=r_pct),
            dict(bus=d.str("bus2"), conn="wye", kv=kv, kva=kva, r_pct=r_pct, tap=1.0 + 0.00625 * step)]
    cond, y, t = el.transformer_yprim(name, 1, wind, x_pct)
    _distinct_ends(where, cond, t)
    return d.done((f"transformer.{name}", "regulator", cond, _check_admittance(where, y), t, 0.0, kva / kv))


def _capacitor(raw, where, i, freq):
    d = _Doc(raw, where)
    name = _name(raw, f"c{i}")
    kvar = d.num("kvar")
    phases = d.int("phases", 3, low=1, high=3)
    cond, y, t = el.shunt_yprim(name, d.str("bus"), phases, kvar, d.num("kv", positive=True), d.conn("conn", "wye"),
                                freq)
    kind = "capacitor" if kvar >= 0 else "reactor"
    return d.done((f"{kind}.{name}", kind, cond, _check_admittance(where, y), t, 0.0, float("nan")))


def _primitive(raw, where, i, bus_kv):
    d = _Doc(raw, where)
    name = d.str("name").lower()
    nodes_raw = d.raw("nodes")
    if not isinstance(nodes_raw, list) or not nodes_raw:
        raise InputError(f"{where}.nodes", "must be a non-empty list of node names")
    nodes = [_node_ref(f"{where}.nodes[{k}]", s, bus_kv) for k, s in enumerate(nodes_raw)]
    size = len(nodes)
    y = d.matrix("yprim_re", size) + 1j * d.matrix("yprim_im", size)
    kind = d.str("kind", "other")
    from .model import ELEMENT_KINDS

    if kind not in ELEMENT_KINDS:
        raise InputError(f"{where}.kind", f"must be one of {ELEMENT_KINDS}, got {kind!r}")
    terminals = d.int("terminals", 1, low=1, high=size)
    if size % terminals:
        raise InputError(f"{where}.terminals", f"{size} nodes cannot be split into {terminals} terminals")
    if kind in ("line", "switch"):
        _distinct_ends(where, nodes, terminals)
    rating = d.raw("rated_current_a", None)
    rating = float("nan") if rating is None else _number(f"{where}.rated_current_a", rating, positive=True)
    return d.done((name, kind, nodes, _check_admittance(where, y), terminals,
                   d.num("length_km", 0.0, nonnegative=True), rating))


def _source(src, bus_kv):
    d = _Doc(src, "source")
    if d.has("ideal") or d.has("emf_v"):
        ideal = d.flag("ideal", False)
        nodes_raw = d.raw("nodes")
        if not isinstance(nodes_raw, list) or not nodes_raw:
            raise InputError("source.nodes", "must be a non-empty list of node names")
        cond = [_node_ref(f"source.nodes[{k}]", s, bus_kv) for k, s in enumerate(nodes_raw)]
        if any(c[1] == 0 for c in cond):
            raise InputError("source.nodes", "ground ('0') cannot be a source node")
        if len(set(cond)) != len(cond):
            raise InputError("source.nodes", "lists a node twice")
        emf_raw = d.raw("emf_v")
        if not isinstance(emf_raw, list) or len(emf_raw) != len(cond):
            raise InputError("source.emf_v", f"needs {len(cond)} [real, imag] pairs")
        emf = np.array([_Doc({"v": e}, "source").pair("v") for e in emf_raw])
        if ideal:
            y = np.zeros((len(cond), len(cond)), dtype=complex)
        else:
            y = d.matrix("yprim_re", len(cond)) + 1j * d.matrix("yprim_im", len(cond))
            _check_admittance("source", y)
    else:
        ideal = False
        phases = d.int("phases", 3, low=1, high=3)
        bus, nodes = el.parse_bus("source.bus", d.str("bus"), phases)
        cond = [(bus, n) for n in nodes]
        z1 = d.pair("z1_ohm")
        z0 = d.pair("z0_ohm")
        emf, y = el.source_thevenin(phases, d.num("kv_ll", positive=True), d.num("pu", 1.0, positive=True),
                                    d.num("angle_deg", 0.0), (z1.real, z1.imag), (z0.real, z0.imag))
        _check_admittance("source", y)
    if not (np.abs(emf) > 0).any():
        raise InputError("source.emf_v", "every source voltage is zero: no operating point to solve for")
    return d.done((cond, emf, y, ideal))


def _load(raw, where, i):
    d = _Doc(raw, where)
    name = _name(raw, f"ld{i}")
    model = d.int("model", 1)
    from .model import LOAD_MODELS

    if model not in LOAD_MODELS:
        raise InputError(f"{where}.model", f"must be one of {LOAD_MODELS}, got {model}")
    zipv = d.raw("zipv", [0.0] * 7)
    if not isinstance(zipv, (list, tuple)) or len(zipv) != 7:
        raise InputError(f"{where}.zipv", "needs 7 values (Zp, Ip, Pp, Zq, Iq, Pq, cut-off)")
    cvr = d.raw("cvr", [1.0, 2.0])
    if not isinstance(cvr, (list, tuple)) or len(cvr) != 2:
        raise InputError(f"{where}.cvr", "needs 2 exponents (watts, vars)")
    common = dict(model=model, vmin=d.num("vminpu", 0.95, nonnegative=True), vmax=d.num("vmaxpu", 1.05, positive=True),
                  vlow=d.num("vlowpu", 0.5, nonnegative=True),
                  zipv=np.array([_number(f"{where}.zipv[{k}]", v) for k, v in enumerate(zipv)]),
                  cvr=np.array([_number(f"{where}.cvr[{k}]", v) for k, v in enumerate(cvr)]))
    rows = []
    if d.has("branches"):
        branches = d.raw("branches")
        if not isinstance(branches, list) or not branches:
            raise InputError(f"{where}.branches", "must be a non-empty list")
        for k, br in enumerate(branches):
            bd = _Doc(br, f"{where}.branches[{k}]")
            a = _node_ref(f"{bd.where}.from", bd.raw("from"), None)
            b = _node_ref(f"{bd.where}.to", bd.raw("to"), None)
            if a[1] == 0:
                raise InputError(f"{bd.where}.from", "must be a node, not ground")
            if a == b:
                raise InputError(f"{bd.where}.to", "a load branch must connect two different nodes")
            rows.append((name, a, b, bd.pair("power_va"), bd.num("base_v", positive=True), common))
            bd.done()
        return d.done(rows)
    phases = d.int("phases", 1, low=1, high=3)
    delta = d.conn("conn", "wye") == "delta"
    if delta:
        bus, nodes = el.parse_bus(f"{where}.bus", d.str("bus"), 2 if phases == 1 else phases)
    else:
        bus, nodes = el.parse_bus(f"{where}.bus", d.str("bus"), phases, neutral=True)
    s_phase = complex(d.num("kw", 0.0), d.num("kvar", 0.0)) * 1000.0 / phases
    vb = el.load_base_v(d.num("kv", positive=True), phases, delta)
    for a, b in el.load_branch_pairs(nodes, phases, delta):
        if a == 0:
            a, b = b, a
        if a == 0 or a == b:
            raise InputError(f"{where}.bus", f"a load phase connects node {a} to {b}: give distinct nodes")
        rows.append((name, (bus, a), (bus, b) if b else ("", 0), s_phase, vb, common))
    return d.done(rows)


def load_rows_from_document(loads):
    """Load branch rows ``(name, (bus, from), (bus, to), power_va, base_v, params)`` of document-style loads."""
    rows = []
    for i, raw in enumerate(loads):
        where = f"loads[{_name(raw, i)}]"
        rows.extend(_guard(where, _load, raw, where, i))
    return rows


def _coordinates(raw, bus_kv, cls):
    d = _Doc(raw, "coordinates")
    pts = d.raw("buses")
    if not isinstance(pts, dict) or not pts:
        raise InputError("coordinates.buses", "must map bus names to [x, y]")
    names, xy = [], []
    for b, p in pts.items():
        key = str(b).lower()
        if key not in bus_kv:
            raise InputError(f"coordinates.buses[{b}]", "is not a bus of the feeder")
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise InputError(f"coordinates.buses[{b}]", f"must be [x, y], got {p!r}")
        names.append(key)
        xy.append((_number(f"coordinates.buses[{b}]", p[0]), _number(f"coordinates.buses[{b}]", p[1])))
    return d.done(cls(buses=tuple(names), xy=np.array(xy, dtype=float), unit=d.str("unit"), system=d.str("system")))


def feeder_to_document(feeder):
    """The feeder as an evcore feeder document (lossless)."""
    names = feeder.node_names

    def node(i):
        return "0" if i < 0 else names[i]

    buses = {}
    for b, kv in zip(feeder.node_bus, feeder.node_base_kv):
        buses.setdefault(b, {"base_kv_ll": float(kv) * math.sqrt(3.0)})
    prims = []
    for e in range(len(feeder.element_names)):
        y = feeder.element_yprim(e)
        rating = feeder.element_rated_current_a[e]
        prims.append(dict(name=feeder.element_names[e], kind=feeder.element_kinds[e],
                          terminals=int(feeder.element_terminals[e]),
                          nodes=[node(int(i)) for i in feeder.element_nodes(e)],
                          yprim_re=y.real.tolist(), yprim_im=y.imag.tolist(),
                          length_km=float(feeder.element_length_km[e]),
                          rated_current_a=None if np.isnan(rating) else float(rating)))
    loads = []
    for k, name in enumerate(feeder.load_names):
        sel = np.flatnonzero(feeder.load_branch_load == k)
        if sel.size == 0:
            continue
        # branches with the same model parameters share one entry (a load may mix models, e.g. GridLAB-D ZIP)
        groups = {}
        for b in sel:
            key = (int(feeder.load_branch_model[b]), float(feeder.load_branch_vmin_pu[b]),
                   float(feeder.load_branch_vmax_pu[b]), float(feeder.load_branch_vlow_pu[b]),
                   tuple(feeder.load_branch_zipv[b].tolist()), tuple(feeder.load_branch_cvr[b].tolist()))
            groups.setdefault(key, []).append(b)
        for (model, vmin, vmax, vlow, zipv, cvr), members in groups.items():
            loads.append(dict(
                name=name, model=model, vminpu=vmin, vmaxpu=vmax, vlowpu=vlow, zipv=list(zipv), cvr=list(cvr),
                branches=[dict(**{"from": node(int(feeder.load_branch_from[b])),
                                  "to": node(int(feeder.load_branch_to[b]))},
                               power_va=[float(feeder.load_branch_power_va[b].real),
                                         float(feeder.load_branch_power_va[b].imag)],
                               base_v=float(feeder.load_branch_base_v[b])) for b in members]))
    source = dict(name=feeder.source_name, nodes=[node(int(i)) for i in feeder.source_nodes],
                  emf_v=[[float(z.real), float(z.imag)] for z in feeder.source_emf_v])
    if feeder.source_ideal:
        source["ideal"] = True
    else:
        source.update(yprim_re=feeder.source_yprim.real.tolist(), yprim_im=feeder.source_yprim.imag.tolist())
    doc = dict(format=FORMAT_NAME, version=1, name=feeder.name, frequency_hz=feeder.frequency_hz, buses=buses,
               nodes=list(names), source=source, primitives=prims, loads=loads)
    if feeder.coordinates is not None:
        c = feeder.coordinates
        doc["coordinates"] = dict(unit=c.unit, system=c.system,
                                  buses={b: [float(x), float(y)] for b, (x, y) in zip(c.buses, c.xy)})
    return doc
