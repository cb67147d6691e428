"""evcore's own feeder format: element models against OpenDSS's primitive matrices, power flow against
OpenDSS's solution of the same feeder, and lossless round trips."""

import copy
import json
import math
import os

import numpy as np
import pytest

from evcore.errors import InputError
from evcore.grid import Feeder, power_flow

from _grid_feeders import CASES, need_feeders, need_opendss

R3 = [[0.30, 0.10, 0.09], [0.10, 0.31, 0.10], [0.09, 0.10, 0.30]]
X3 = [[0.60, 0.25, 0.20], [0.25, 0.62, 0.24], [0.20, 0.24, 0.61]]
C3 = [[10.0, -2.0, -1.0], [-2.0, 11.0, -2.0], [-1.0, -2.0, 10.0]]


def _mat(m):
    return "[" + " | ".join(" ".join(repr(v) for v in row[: i + 1]) for i, row in enumerate(m)) + "]"


DSS_SCRIPT = f"""
clear
new circuit.mini basekv=12.47 pu=1.02 angle=0 bus1=sub r1=0.05 x1=0.4 r0=0.1 x0=1.2
new line.l1 bus1=sub.1.2.3 bus2=a.1.2.3 phases=3 length=1.5 units=km
~ rmatrix={_mat(R3)} xmatrix={_mat(X3)} cmatrix={_mat(C3)}
new line.s1 bus1=a bus2=b phases=3 switch=yes r1=1e-4 r0=1e-4 x1=0 x0=0 c1=0 c0=0 length=1 units=km
new transformer.t1 phases=3 windings=2 buses=[b c] conns=[delta wye] kvs=[12.47 0.48] kvas=[500 500]
~ %rs=[0.5 0.6] xhl=2 ppm=0
new transformer.t2 phases=3 windings=2 buses=[b d] conns=[wye wye] kvs=[12.47 4.16] kvas=[1000 1000]
~ %rs=[0.4 0.4] xhl=3 ppm=0
new transformer.t3 phases=3 windings=2 buses=[b e] conns=[delta delta] kvs=[12.47 0.48] kvas=[300 300]
~ %rs=[0.7 0.7] xhl=2.5 ppm=0
new transformer.rg phases=1 windings=2 buses=[a.1 ar.1] kvs=[7.2 7.2] kvas=[2000 2000] xhl=0.01 %rs=[0 0] ppm=0
transformer.rg.wdg=2 tap=1.03125
new transformer.t4 phases=1 windings=2 buses=[ar.1 f.1] kvs=[7.2 0.24] kvas=[50 50] %rs=[1 1] xhl=2 ppm=0
new transformer.ct phases=1 windings=3 buses=[ar.1.0 g.1.0 g.0.2] kvs=[7.2 0.12 0.12] kvas=[25 25 25]
~ %rs=[0.6 1.2 1.2] xhl=2.04 xht=2.04 xlt=1.36 ppm=0
new capacitor.cy bus1=e phases=3 kvar=60 kv=0.48
new capacitor.cd bus1=c phases=3 kvar=45 kv=0.48 conn=delta
new load.lc bus1=c phases=3 conn=wye model=1 kv=0.48 kw=300 kvar=120
new load.ld bus1=d.1.2 phases=1 conn=delta model=2 kv=4.16 kw=200 kvar=80
new load.ld5 bus1=d.3 phases=1 conn=wye model=5 kv=2.4 kw=150 kvar=50
new load.le bus1=e phases=3 conn=delta model=1 kv=0.48 kw=150 kvar=60
new load.lf bus1=f.1 phases=1 conn=wye model=1 kv=0.24 kw=30 kvar=10
new load.lg bus1=g.1.2 phases=1 conn=delta model=1 kv=0.24 kw=15 kvar=5
new load.lg1 bus1=g.1 phases=1 conn=wye model=8 kv=0.12 kw=4 kvar=1 zipv=[0.3 0.3 0.4 0.3 0.3 0.4 0]
set voltagebases=[12.47 4.16 0.48 0.24]
calcvoltagebases
set controlmode=off
"""

JSON_DOC = {
    "format": "evcore-feeder", "version": 1, "name": "mini", "frequency_hz": 60,
    "buses": {"sub": {"base_kv_ll": 12.47}, "a": {"base_kv_ll": 12.47}, "b": {"base_kv_ll": 12.47},
              "ar": {"base_kv_ll": 12.47}, "c": {"base_kv_ll": 0.48}, "d": {"base_kv_ll": 4.16},
              "e": {"base_kv_ll": 0.48}, "f": {"base_kv_ll": 0.24 * math.sqrt(3)},
              "g": {"base_kv_ll": 0.24}},
    "source": {"bus": "sub", "phases": 3, "kv_ll": 12.47, "pu": 1.02, "angle_deg": 0,
               "z1_ohm": [0.05, 0.4], "z0_ohm": [0.1, 1.2]},
    "lines": [{"name": "l1", "bus1": "sub.1.2.3", "bus2": "a.1.2.3", "phases": 3, "length_km": 1.5,
               "r_ohm_per_km": R3, "x_ohm_per_km": X3, "c_nf_per_km": C3}],
    "switches": [{"name": "s1", "bus1": "a", "bus2": "b", "phases": 3, "closed": True, "r_ohm": 1e-4}],
    "transformers": [
        {"name": "t1", "phases": 3, "x_pct": 2, "windings": [
            {"bus": "b", "conn": "delta", "kv": 12.47, "kva": 500, "r_pct": 0.5},
            {"bus": "c", "conn": "wye", "kv": 0.48, "kva": 500, "r_pct": 0.6}]},
        {"name": "t2", "phases": 3, "x_pct": 3, "windings": [
            {"bus": "b", "conn": "wye", "kv": 12.47, "kva": 1000, "r_pct": 0.4},
            {"bus": "d", "conn": "wye", "kv": 4.16, "kva": 1000, "r_pct": 0.4}]},
        {"name": "t3", "phases": 3, "x_pct": 2.5, "windings": [
            {"bus": "b", "conn": "delta", "kv": 12.47, "kva": 300, "r_pct": 0.7},
            {"bus": "e", "conn": "delta", "kv": 0.48, "kva": 300, "r_pct": 0.7}]},
        {"name": "t4", "phases": 1, "x_pct": 2, "windings": [
            {"bus": "ar.1", "conn": "wye", "kv": 7.2, "kva": 50, "r_pct": 1},
            {"bus": "f.1", "conn": "wye", "kv": 0.24, "kva": 50, "r_pct": 1}]},
        {"name": "ct", "phases": 1, "x_pct": [2.04, 2.04, 1.36], "windings": [
            {"bus": "ar.1.0", "conn": "wye", "kv": 7.2, "kva": 25, "r_pct": 0.6},
            {"bus": "g.1.0", "conn": "wye", "kv": 0.12, "kva": 25, "r_pct": 1.2},
            {"bus": "g.0.2", "conn": "wye", "kv": 0.12, "kva": 25, "r_pct": 1.2}]},
    ],
    "regulators": [{"name": "rg", "bus1": "a.1", "bus2": "ar.1", "kv": 7.2, "kva": 2000, "x_pct": 0.01,
                    "r_pct": 0.0, "tap_step": 5}],
    "capacitors": [{"name": "cy", "bus": "e", "phases": 3, "kvar": 60, "kv": 0.48, "conn": "wye"},
                   {"name": "cd", "bus": "c", "phases": 3, "kvar": 45, "kv": 0.48, "conn": "delta"}],
    "loads": [
        {"name": "lc", "bus": "c", "phases": 3, "conn": "wye", "model": 1, "kw": 300, "kvar": 120, "kv": 0.48},
        {"name": "ld", "bus": "d.1.2", "phases": 1, "conn": "delta", "model": 2, "kw": 200, "kvar": 80, "kv": 4.16},
        {"name": "ld5", "bus": "d.3", "phases": 1, "conn": "wye", "model": 5, "kw": 150, "kvar": 50, "kv": 2.4},
        {"name": "le", "bus": "e", "phases": 3, "conn": "delta", "model": 1, "kw": 150, "kvar": 60, "kv": 0.48},
        {"name": "lf", "bus": "f.1", "phases": 1, "conn": "wye", "model": 1, "kw": 30, "kvar": 10, "kv": 0.24},
        {"name": "lg", "bus": "g.1.2", "phases": 1, "conn": "delta", "model": 1, "kw": 15, "kvar": 5, "kv": 0.24},
        {"name": "lg1", "bus": "g.1", "phases": 1, "conn": "wye", "model": 8, "kw": 4, "kvar": 1, "kv": 0.12,
         "zipv": [0.3, 0.3, 0.4, 0.3, 0.3, 0.4, 0]},
    ],
}


@pytest.fixture(scope="module")
def mini_dss(tmp_path_factory):
    need_opendss()
    path = tmp_path_factory.mktemp("mini") / "mini.dss"
    path.write_text(DSS_SCRIPT)
    return path


def _node_matrix(nodes, y):
    """Element admittance summed onto named nodes (ground dropped)."""
    out = {}
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            if a != "0" and b != "0":
                out[(a, b)] = out.get((a, b), 0) + y[i, j]
    return out


def test_element_models_equal_opendss_primitive_matrices(mini_dss):
    from dss import DSS

    ours = Feeder.from_json(JSON_DOC)
    cwd = os.getcwd()
    DSS.Text.Command = f'compile "{mini_dss}"'
    os.chdir(cwd)  # OpenDSS's compile moves the working directory
    circuit = DSS.ActiveCircuit
    names = [s.lower() for s in circuit.YNodeOrder]
    element = circuit.ActiveCktElement
    checked = 0
    for e, full in enumerate(ours.element_names):
        dss_name = full.replace("switch.", "line.")
        circuit.SetActiveElement(dss_name)
        refs = np.asarray(element.NodeRef) - 1
        nc = len(refs)
        y_dss = np.asarray(element.Yprim, dtype=float).view(complex).reshape(nc, nc)
        want = _node_matrix(["0" if r < 0 else names[r] for r in refs], y_dss)
        got = _node_matrix(["0" if i < 0 else ours.node_names[i] for i in ours.element_nodes(e)],
                           ours.element_yprim(e))
        scale = max(abs(v) for v in want.values())
        for key in set(want) | set(got):
            assert abs(want.get(key, 0) - got.get(key, 0)) <= 1e-9 * scale, (full, key)
        checked += 1
    assert checked == 10


def test_own_format_feeder_solves_to_opendss_answer(mini_dss):
    from evcore.grid._opendss import opendss_solve

    ours = power_flow(Feeder.from_json(JSON_DOC))
    names, volts, base = opendss_solve(mini_dss, tolerance=1e-10)
    index = {s: i for i, s in enumerate(names)}
    order = [index[s] for s in ours.node_names]
    assert sorted(names) == sorted(ours.node_names)
    # per-unit bases are each tool's choice (CalcVoltageBases); compare volts relative to the voltage
    assert (np.abs(np.abs(volts[order]) - np.abs(ours.voltage_v)) / np.abs(volts[order])).max() <= 1e-6
    assert np.abs(np.angle(volts[order] / ours.voltage_v, deg=True)).max() <= 1e-4


def test_opendss_import_round_trips_through_json_exactly(tmp_path):
    feeders = need_feeders()
    need_opendss()
    rel, taps = CASES["ieee123"]
    feeder = Feeder.from_opendss(feeders / rel, regulator_taps=taps)
    feeder.to_json(tmp_path / "f.json")
    again = Feeder.from_json(tmp_path / "f.json")
    assert again.node_names == feeder.node_names
    assert np.array_equal(again.yprim, feeder.yprim)
    assert np.array_equal(again.load_branch_power_va, feeder.load_branch_power_va)
    assert np.array_equal(power_flow(again).voltage, power_flow(feeder).voltage)


def test_format_errors_name_the_field():
    doc = json.loads(json.dumps(JSON_DOC))
    doc["lines"][0]["r_ohm_per_km"] = [[1.0, 0.0], [0.0, 1.0]]
    with pytest.raises(InputError, match="r_ohm_per_km"):
        Feeder.from_json(doc)
    doc = json.loads(json.dumps(JSON_DOC))
    del doc["buses"]["g"]
    with pytest.raises(InputError, match="'g'"):
        Feeder.from_json(doc)
    doc = json.loads(json.dumps(JSON_DOC))
    doc["regulators"][0]["tap_step"] = 17
    with pytest.raises(InputError, match="tap_step"):
        Feeder.from_json(doc)


def test_fast_document_paths_equal_the_checked_ones():
    """Primitives with numpy matrices and loads in branch form (what the readers hand over) take a fast path;
    it builds the same feeder as the field-by-field path and refuses the same mistakes, naming the element."""
    from evcore.grid._cli import DEMO_FEEDER

    base = Feeder.from_json(DEMO_FEEDER).to_document()  # primitives with lists: the checked path

    def fast_doc():
        doc = copy.deepcopy(base)
        for p in doc["primitives"]:
            p["yprim_re"], p["yprim_im"] = np.array(p["yprim_re"]), np.array(p["yprim_im"])
        return doc

    slow, fast = Feeder.from_document(copy.deepcopy(base)), Feeder.from_document(fast_doc())
    for name in ("node_names", "element_names", "element_kinds", "load_names"):
        assert getattr(slow, name) == getattr(fast, name)
    for name in ("yprim", "conductor_nodes", "element_offsets", "element_length_km", "load_branch_power_va",
                 "load_branch_from", "load_branch_to", "load_branch_zipv"):
        assert np.array_equal(getattr(slow, name), getattr(fast, name), equal_nan=True), name
    line = next(i for i, p in enumerate(base["primitives"]) if p["kind"] == "line")
    name = base["primitives"][line]["name"]
    half = len(base["primitives"][line]["nodes"]) // 2
    for mutate, match in [
        (lambda d: d["primitives"][line]["yprim_re"].__setitem__((0, 0), np.nan), "not finite"),
        (lambda d: d["primitives"][line]["yprim_im"].__setitem__((0, 0), 1e12), "not a physical element"),
        (lambda d: d["primitives"][line].__setitem__("nodes", d["primitives"][line]["nodes"][:half] * 2), "itself"),
        (lambda d: d["primitives"][line].__setitem__("length_km", -1.0), "length_km"),
        (lambda d: d["primitives"][line]["nodes"].__setitem__(0, "nobus"), "bus.phase"),
        (lambda d: d["loads"][0]["branches"][0].__setitem__("power_va", [float("nan"), 0.0]), "power_va"),
        (lambda d: d["loads"][0]["branches"][0].__setitem__("to", d["loads"][0]["branches"][0]["from"]), "different"),
        (lambda d: d["loads"][0].__setitem__("vminpu", "0.9"), "vminpu"),
        (lambda d: d["loads"][0]["branches"][0].__setitem__("kw", 1.0), "not a field"),
    ]:
        doc = fast_doc()
        mutate(doc)
        with pytest.raises(InputError, match=match) as info:
            Feeder.from_document(doc)
        assert name in str(info.value) or "loads[" in str(info.value), str(info.value)
