"""evcore's own feeder file format (JSON), reader and writer.

A user without any other tool can describe a feeder in one JSON document::

    {
      "format": "evcore-feeder", "version": 1, "name": "my feeder", "frequency_hz": 60,
      "buses": {"sub": {"base_kv_ll": 12.47}, "a": {"base_kv_ll": 12.47}, ...},
      "nodes": ["sub.1", "sub.2", ...]          (optional: node order; default buses in order, phases ascending)
      "source": {"bus": "sub", "phases": 3, "kv_ll": 12.47, "pu": 1.0, "angle_deg": 0,
                 "z1_ohm": [0.01, 0.1], "z0_ohm": [0.03, 0.3]},
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
      "primitives": [{"name": "transformer.x", "kind": "transformer", "terminals": 2,
                      "nodes": ["b.1", "b.2", "b.3", "0", ...], "yprim_re": [[...]], "yprim_im": [[...]],
                      "length_km": 0, "rated_current_a": null}]
    }

Bus specifications follow OpenDSS (``"632.1.2.3"``; a bare bus means phases ``1..phases``, node 0 is
ground). Units: kV, kVA, kW, kvar, ohm, nF, km. Load models are those of :data:`evcore.grid.LOAD_MODELS`
(0 is pure constant power, never switched to impedance). The writer stores every element as a
primitive admittance, the source by its EMF and admittance, and loads branch by branch, so that
``Feeder.from_json(feeder.to_json())`` reproduces the feeder exactly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..errors import InputError
from . import _elements as el

__all__ = ["feeder_from_json", "feeder_to_json", "FORMAT_NAME"]

FORMAT_NAME = "evcore-feeder"


def _load_document(path_or_dict):
    if isinstance(path_or_dict, dict):
        return path_or_dict
    path = Path(path_or_dict)
    if not path.is_file():
        raise InputError("path", f"no feeder file at {str(path)!r}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError("path", f"{path.name} is not valid JSON: {exc}") from exc


def feeder_from_json(path_or_dict):
    """Read a feeder in evcore's JSON format (a path or an already parsed dict)."""
    from .model import Feeder

    doc = _load_document(path_or_dict)
    if doc.get("format") != FORMAT_NAME:
        raise InputError("format", f"must be {FORMAT_NAME!r}, got {doc.get('format')!r}")
    freq = float(doc.get("frequency_hz", 60.0))
    buses = doc.get("buses")
    if not isinstance(buses, dict) or not buses:
        raise InputError("buses", "needs a mapping of bus name -> {base_kv_ll}")
    bus_kv = {}
    for b, spec in buses.items():
        try:
            kv = float(spec["base_kv_ll"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"buses[{b}].base_kv_ll", "is required (line-to-line kV)") from None
        if not kv > 0:
            raise InputError(f"buses[{b}].base_kv_ll", f"must be positive, got {kv!r}")
        bus_kv[str(b).lower()] = kv

    elements = []  # (name, kind, conductors, y, terminals, length_km, rating)
    for i, ln in enumerate(doc.get("lines", [])):
        name = str(ln.get("name", f"l{i}")).lower()
        cond, y, t = el.line_yprim(name, ln["bus1"], ln["bus2"], int(ln.get("phases", 3)), float(ln["length_km"]),
                                   ln["r_ohm_per_km"], ln["x_ohm_per_km"], ln.get("c_nf_per_km"), freq)
        elements.append((f"line.{name}", "line", cond, y, t, float(ln["length_km"]),
                         float(ln.get("rated_current_a") or np.nan)))
    for i, sw in enumerate(doc.get("switches", [])):
        name = str(sw.get("name", f"s{i}")).lower()
        cond, y, t = el.switch_yprim(name, sw["bus1"], sw["bus2"], int(sw.get("phases", 3)),
                                     bool(sw.get("closed", True)), float(sw.get("r_ohm", 1e-4)))
        elements.append((f"{sw.get('kind', 'switch')}.{name}", "switch", cond, y, t, 0.0,
                         float(sw.get("rated_current_a") or np.nan)))
    for i, tr in enumerate(doc.get("transformers", [])):
        name = str(tr.get("name", f"t{i}")).lower()
        phases = int(tr.get("phases", 3))
        cond, y, t = el.transformer_yprim(name, phases, tr["windings"], tr["x_pct"])
        w1 = tr["windings"][0]
        rating = float(w1["kva"]) / (math.sqrt(3.0) * float(w1["kv"]) if phases > 1 else float(w1["kv"]))
        elements.append((f"transformer.{name}", "transformer", cond, y, t, 0.0, rating))
    for i, rg in enumerate(doc.get("regulators", [])):
        name = str(rg.get("name", f"r{i}")).lower()
        step = rg.get("tap_step", 0)
        if int(step) != step or abs(int(step)) > 16:
            raise InputError(f"regulators[{name}].tap_step", f"must be an integer in [-16, 16], got {step!r}")
        wind = [dict(bus=rg["bus1"], conn="wye", kv=rg["kv"], kva=rg["kva"], r_pct=rg.get("r_pct", 0.0)),
                dict(bus=rg["bus2"], conn="wye", kv=rg["kv"], kva=rg["kva"], r_pct=rg.get("r_pct", 0.0),
                     tap=1.0 + 0.00625 * int(step))]
        cond, y, t = el.transformer_yprim(name, 1, wind, rg.get("x_pct", 0.01))
        elements.append((f"transformer.{name}", "regulator", cond, y, t, 0.0, float(rg["kva"]) / float(rg["kv"])))
    for i, cp in enumerate(doc.get("capacitors", [])):
        name = str(cp.get("name", f"c{i}")).lower()
        cond, y, t = el.shunt_yprim(name, cp["bus"], int(cp.get("phases", 3)), float(cp["kvar"]), float(cp["kv"]),
                                    cp.get("conn", "wye"), freq)
        kind = "capacitor" if float(cp["kvar"]) >= 0 else "reactor"
        elements.append((f"{kind}.{name}", kind, cond, y, t, 0.0, np.nan))
    for i, pr in enumerate(doc.get("primitives", [])):
        nodes = []
        for s in pr["nodes"]:
            s = str(s).lower()
            nodes.append(("", 0) if s == "0" else (s.rsplit(".", 1)[0], int(s.rsplit(".", 1)[1])))
        y = np.asarray(pr["yprim_re"], dtype=float) + 1j * np.asarray(pr["yprim_im"], dtype=float)
        rating = pr.get("rated_current_a")
        elements.append((str(pr["name"]).lower(), str(pr.get("kind", "other")), nodes, y,
                         int(pr.get("terminals", 1)), float(pr.get("length_km", 0.0)),
                         float(rating) if rating is not None else np.nan))

    src = doc.get("source")
    if not isinstance(src, dict):
        raise InputError("source", "is required")
    if "yprim_re" in src:
        src_cond = [(s.rsplit(".", 1)[0], int(s.rsplit(".", 1)[1])) for s in (str(x).lower() for x in src["nodes"])]
        emf = np.array([complex(*e) for e in src["emf_v"]])
        ysrc = np.asarray(src["yprim_re"], dtype=float) + 1j * np.asarray(src["yprim_im"], dtype=float)
    else:
        phases = int(src.get("phases", 3))
        bus, nodes = el.parse_bus("source.bus", src["bus"], phases)
        src_cond = [(bus, n) for n in nodes]
        emf, ysrc = el.source_thevenin(phases, float(src["kv_ll"]), float(src.get("pu", 1.0)),
                                       float(src.get("angle_deg", 0.0)), src["z1_ohm"], src["z0_ohm"])

    # loads: physical description or explicit branches
    load_rows = []
    for i, ld in enumerate(doc.get("loads", [])):
        name = str(ld.get("name", f"ld{i}")).lower()
        model = int(ld.get("model", 1))
        common = dict(model=model, vmin=float(ld.get("vminpu", 0.95)), vmax=float(ld.get("vmaxpu", 1.05)),
                      vlow=float(ld.get("vlowpu", 0.5)), zipv=np.asarray(ld.get("zipv", [0.0] * 7), dtype=float),
                      cvr=np.asarray(ld.get("cvr", [1.0, 2.0]), dtype=float))
        if common["zipv"].shape != (7,):
            raise InputError(f"loads[{name}].zipv", "needs 7 values (Zp, Ip, Pp, Zq, Iq, Pq, cut-off)")
        if "branches" in ld:
            for br in ld["branches"]:
                a = str(br["from"]).lower()
                b = str(br["to"]).lower()
                load_rows.append((name, (a.rsplit(".", 1)[0], int(a.rsplit(".", 1)[1])),
                                  ("", 0) if b == "0" else (b.rsplit(".", 1)[0], int(b.rsplit(".", 1)[1])),
                                  complex(*br["power_va"]), float(br["base_v"]), common))
            continue
        phases = int(ld.get("phases", 1))
        delta = str(ld.get("conn", "wye")).lower() == "delta"
        if delta:
            bus, nodes = el.parse_bus(f"loads[{name}].bus", ld["bus"], 2 if phases == 1 else phases)
        else:
            bus, nodes = el.parse_bus(f"loads[{name}].bus", ld["bus"], phases, neutral=True)
        s_phase = complex(float(ld.get("kw", 0.0)), float(ld.get("kvar", 0.0))) * 1000.0 / phases
        vb = el.load_base_v(float(ld["kv"]), phases, delta)
        for a, b in el.load_branch_pairs(nodes, phases, delta):
            if a == 0:
                a, b = b, a
            load_rows.append((name, (bus, a), (bus, b) if b else ("", 0), s_phase, vb, common))

    # node numbering: buses in document order, phases ascending, only nodes something connects to
    used = set()
    for _, _, cond, _, _, _, _ in elements:
        used.update(c for c in cond if c[1] != 0)
    used.update(src_cond)
    for row in load_rows:
        used.update(c for c in row[1:3] if c[1] != 0)
    order = {b: i for i, b in enumerate(bus_kv)}
    for b, _ in used:
        if b not in order:
            raise InputError("buses", f"bus {b!r} is used but not declared in 'buses'")
    nodes_sorted = sorted(used, key=lambda c: (order[c[0]], c[1]))
    if "nodes" in doc:  # an explicit node order (the writer's, so that round trips are exact)
        listed = [(s.rsplit(".", 1)[0], int(s.rsplit(".", 1)[1])) for s in (str(x).lower() for x in doc["nodes"])]
        missing = used - set(listed)
        if missing:
            b, n = sorted(missing)[0]
            raise InputError("nodes", f"node {b}.{n} is used but missing from 'nodes'")
        nodes_sorted = listed
    index = {c: i for i, c in enumerate(nodes_sorted)}
    node_names = [f"{b}.{n}" for b, n in nodes_sorted]
    node_base_kv = np.array([bus_kv[b] / math.sqrt(3.0) for b, _ in nodes_sorted])

    def idx(c):
        return -1 if c[1] == 0 else index[c]

    counts = [len(e[2]) for e in elements]
    load_names = list(dict.fromkeys(r[0] for r in load_rows))
    lpos = {n: i for i, n in enumerate(load_names)}
    nb = len(load_rows)
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
        frequency_hz=freq,
        name=str(doc.get("name", "feeder")),
    )


def feeder_to_json(feeder, path=None):
    """The feeder as an evcore JSON document (lossless); written to ``path`` when given."""
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
        j = sel[0]
        loads.append(dict(
            name=name, model=int(feeder.load_branch_model[j]), vminpu=float(feeder.load_branch_vmin_pu[j]),
            vmaxpu=float(feeder.load_branch_vmax_pu[j]), vlowpu=float(feeder.load_branch_vlow_pu[j]),
            zipv=feeder.load_branch_zipv[j].tolist(), cvr=feeder.load_branch_cvr[j].tolist(),
            branches=[dict(**{"from": node(int(feeder.load_branch_from[b])), "to": node(int(feeder.load_branch_to[b]))},
                           power_va=[float(feeder.load_branch_power_va[b].real),
                                     float(feeder.load_branch_power_va[b].imag)],
                           base_v=float(feeder.load_branch_base_v[b])) for b in sel]))
    doc = dict(
        format=FORMAT_NAME, version=1, name=feeder.name, frequency_hz=feeder.frequency_hz, buses=buses,
        nodes=list(names),
        source=dict(name=feeder.source_name, nodes=[node(int(i)) for i in feeder.source_nodes],
                    emf_v=[[float(z.real), float(z.imag)] for z in feeder.source_emf_v],
                    yprim_re=feeder.source_yprim.real.tolist(), yprim_im=feeder.source_yprim.imag.tolist()),
        primitives=prims, loads=loads)
    if path is not None:
        Path(path).write_text(json.dumps(doc, indent=1))
    return doc
