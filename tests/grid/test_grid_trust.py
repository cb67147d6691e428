"""Answers that are not a physical operating point are errors naming the island or element (issue 12.8b),
hostile feeder documents are InputErrors naming element and field (12.8e), and the run arguments of
power_flow and sensitivity_sweep are checked (12.8f)."""

import copy
import json
import math

import numpy as np
import pytest

from evcore.errors import InputError
from evcore.grid import Feeder, power_flow, sensitivity_sweep
from evcore.grid._cli import DEMO_FEEDER

from _grid_feeders import need_opendss

BASE = json.loads(DEMO_FEEDER.read_text())


def _doc(change):
    doc = copy.deepcopy(BASE)
    change(doc)
    return doc


def _line(doc, name):
    return next(x for x in doc["lines"] if x["name"] == name)


def _solve(doc):
    return power_flow(Feeder.from_json(doc))


# ------------------------------------------------------------------------------------------ 12.8b (JSON)
NOT_PHYSICAL = {
    "tiny_line": (lambda d: _line(d, "trunk2").update(r_ohm_per_km=[[1e-300] * 3] * 3, x_ohm_per_km=[[1e-300] * 3] * 3,
                                                      c_nf_per_km=[[0.0] * 3] * 3), ["trunk2"]),
    "huge_length": (lambda d: _line(d, "trunk2").update(length_km=1e300), ["trunk2", "not a physical"]),
    "huge_length_no_capacitance": (lambda d: _line(d, "trunk2").update(length_km=1e300, c_nf_per_km=[[0.0] * 3] * 3),
                                   ["no path to the source"]),
    "zero_source_voltage": (lambda d: d["source"].update(kv_ll=0), ["source.kv_ll"]),
    "zero_source_pu": (lambda d: d["source"].update(pu=0), ["source.pu"]),
    "same_bus": (lambda d: _line(d, "trunk2").update(bus2=_line(d, "trunk2")["bus1"]), ["trunk2", "itself"]),
    "island": (lambda d: (d["lines"].append(dict(_line(d, "trunk2"), name="isl", bus1="x1.1.2.3", bus2="x2.1.2.3")),
                          d["buses"].update(x1={"base_kv_ll": 4.16}, x2={"base_kv_ll": 4.16})), ["x1", "x2", "island"]),
    "isolated_load_bus": (lambda d: (d["loads"].append(dict(d["loads"][0], name="lonely", bus="alone")),
                                     d["buses"].update(alone={"base_kv_ll": 4.16})), ["alone"]),
    "declared_unused_bus": (lambda d: d["buses"].update(lonely={"base_kv_ll": 4.16}), ["buses[lonely]", "isolated"]),
    "open_switch_isolates": (lambda d: d["switches"][0].update(closed=False), ["switch.tie", "no path"]),
    "second_source": (lambda d: d.update(sources=[d["source"], d["source"]]), ["sources"]),
}


@pytest.mark.parametrize("case", sorted(NOT_PHYSICAL))
def test_no_operating_point_is_an_error_naming_where(case):
    change, words = NOT_PHYSICAL[case]
    with pytest.raises(InputError) as info:
        _solve(_doc(change))
    for word in words:
        assert word in str(info.value), str(info.value)


def test_a_collapsed_node_is_never_converged():
    # connected, but through 1e9 ohm: an impedance load then sits at ~1e-6 pu, which is no operating point
    def weak(d):
        _line(d, "trunk2").update(r_ohm_per_km=[[1e9, 0, 0], [0, 1e9, 0], [0, 0, 1e9]],
                                  x_ohm_per_km=[[0.0] * 3] * 3, c_nf_per_km=[[0.0] * 3] * 3)
        for load in d["loads"]:
            load["model"] = 2
    with pytest.raises(InputError) as info:
        _solve(_doc(weak))
    assert "line.trunk2" in str(info.value) and "0 V" in str(info.value), str(info.value)


# ------------------------------------------------------------------------------------------ 12.8e (JSON)
HOSTILE = {
    "closed_no": (lambda d: d["switches"][0].update(closed="no"), "switches[tie].closed"),
    "closed_one": (lambda d: d["switches"][0].update(closed=1), "switches[tie].closed"),
    "conn_star": (lambda d: d["loads"][0].update(conn="star"), "loads[n2_delta].conn"),
    "missing_bus1": (lambda d: _line(d, "trunk2").pop("bus1"), "lines[trunk2].bus1"),
    "text_number": (lambda d: _line(d, "trunk2").update(length_km="0.4"), "lines[trunk2].length_km"),
    "nan": (lambda d: d["loads"][0].update(kw=float("nan")), "loads[n2_delta].kw"),
    "inf": (lambda d: d["loads"][0].update(kvar=float("inf")), "loads[n2_delta].kvar"),
    "ragged_matrix": (lambda d: _line(d, "trunk2").update(r_ohm_per_km=[[1, 2], [3]]), "lines[trunk2].r_ohm_per_km"),
    "bool_matrix": (lambda d: _line(d, "trunk2").update(r_ohm_per_km=[[True] * 3] * 3), "lines[trunk2].r_ohm_per_km"),
    "zero_kva": (lambda d: d["transformers"][0]["windings"][0].update(kva=0), "transformers[xlv].windings[0].kva"),
    "zero_kv": (lambda d: d["transformers"][0]["windings"][1].update(kv=0), "transformers[xlv].windings[1].kv"),
    "misplaced_field": (lambda d: d["transformers"][0].update(kva=0), "transformers[xlv].kva"),
    "misspelt_field": (lambda d: d["loads"][0].update(kww=600), "loads[n2_delta].kww"),
    "zero_impedance_transformer": (lambda d: (d["transformers"][0].update(x_pct=0),
                                              [w.update(r_pct=0) for w in d["transformers"][0]["windings"]]),
                                   "transformers[xlv]"),
    "singular_line": (lambda d: _line(d, "trunk2").update(r_ohm_per_km=[[1.0] * 3] * 3, x_ohm_per_km=[[1.0] * 3] * 3),
                      "lines[trunk2]"),
    "bad_phase_count": (lambda d: _line(d, "trunk2").update(phases=7), "lines[trunk2].phases"),
    "element_not_object": (lambda d: d["lines"].append(["not", "an", "object"]), "lines[9]"),
    "lines_not_list": (lambda d: d.update(lines={"a": 1}), "lines"),
    "bad_bus_spec": (lambda d: _line(d, "trunk2").update(bus1="n1.1.2.x"), "lines[trunk2].bus1"),
    "unknown_model": (lambda d: d["loads"][0].update(model=42), "loads[n2_delta].model"),
    "duplicate_name": (lambda d: d["lines"].append(dict(_line(d, "trunk2"))), "line.trunk2"),
    "wrong_format": (lambda d: d.update(format="pandapower"), "format"),
    "negative_rating": (lambda d: _line(d, "trunk2").update(rated_current_a=-5), "lines[trunk2].rated_current_a"),
    "regulator_tap_text": (lambda d: d["regulators"][0].update(tap_step="8"), "regulators[reg1].tap_step"),
    "huge_tap": (lambda d: d["regulators"][0].update(tap_step=1000), "regulators[reg1].tap_step"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_documents_name_element_and_field(case):
    change, field = HOSTILE[case]
    with pytest.raises(InputError) as info:
        Feeder.from_json(_doc(change))
    assert field in str(info.value), str(info.value)


def test_undecodable_and_truncated_files(tmp_path):
    (tmp_path / "utf16.json").write_bytes(json.dumps(BASE).encode("utf-16"))
    (tmp_path / "binary.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "truncated.json").write_text(json.dumps(BASE)[:500])
    (tmp_path / "nan.json").write_text(json.dumps(BASE).replace('"kw": 600', '"kw": NaN'))
    for name in ("utf16", "binary", "truncated", "nan"):
        with pytest.raises(InputError):
            Feeder.from_json(tmp_path / f"{name}.json")


# ------------------------------------------------------------------------------------------ 12.8f
@pytest.mark.parametrize("kwargs", [dict(max_iterations=-1), dict(max_iterations=0), dict(max_iterations=2.5),
                                    dict(max_iterations=True), dict(tolerance_pu=0), dict(tolerance_pu=math.nan),
                                    dict(tolerance_pu=-1e-9), dict(base_kva=0), dict(base_kva=math.inf),
                                    dict(engine="fast"), dict(max_iterations="10")])
def test_power_flow_arguments(kwargs):
    with pytest.raises(InputError):
        power_flow(Feeder.from_json(BASE), **kwargs)


@pytest.mark.parametrize("kwargs", [dict(vmin_pu=1.1, vmax_pu=1.0), dict(vmin_pu=1.0, vmax_pu=1.0),
                                    dict(vmin_pu=math.nan), dict(vmax_pu=math.nan), dict(vmax_pu=math.inf),
                                    dict(vmin_pu=-0.1), dict(rating_kw=math.nan), dict(rating_kw=0),
                                    dict(power_factor=0), dict(power_factor=1.5), dict(penalty=math.nan),
                                    dict(penalty=-1), dict(temperature=0), dict(workers=0), dict(time_limit=-1),
                                    dict(time_limit=math.nan), dict(candidates=[]), dict(candidates=["nope"]),
                                    dict(candidates=[1]), dict(candidates="n1.1"), dict(candidates=["sub.1"]),
                                    dict(engine="fast"), dict(penalty_mode="both"), dict(max_chord_iterations=0),
                                    dict(tolerance_pu=0), dict(progress="yes")])
def test_sweep_arguments(kwargs):
    with pytest.raises(InputError):
        sensitivity_sweep(Feeder.from_json(BASE), **kwargs)


# ------------------------------------------------------------------------------------------ OpenDSS
DSS = """clear
new circuit.t basekv=12.47 pu=1.0 phases=3 bus1=src
new linecode.lc nphases=3 r1=0.3 x1=0.6 r0=0.6 x0=1.2 units=km
new line.l1 bus1=src bus2=b1 linecode=lc length=1 units=km
new line.l2 bus1=b1 bus2=b2 linecode=lc length=1 units=km
new load.ld1 bus1=b2 phases=3 kv=12.47 kw=500 kvar=200 model=1
set voltagebases=[12.47]
calcvoltagebases
"""

DSS_CASES = {
    "tiny_line": (("linecode=lc length=1 units=km\nnew load", "phases=3 r1=1e-300 x1=1e-300 r0=1e-300 x0=1e-300 "
                   "c1=0 c0=0 length=1 units=km\nnew load"), []),
    "huge_length": (("length=1 units=km\nnew load", "length=1e300 units=km\nnew load"), []),
    "same_bus": (("bus1=b1 bus2=b2", "bus1=b1 bus2=b1"), ["line.l2", "itself"]),
    "island": (("new load.ld1", "new line.l3 bus1=x1 bus2=x2 linecode=lc length=1 units=km\n"
                "new load.ldx bus1=x2 kv=12.47 kw=10\nnew load.ld1"), ["x1", "x2"]),
    "isolated_bus": (("new load.ld1", "new load.ldx bus1=lonely kv=12.47 kw=10\nnew load.ld1"), ["lonely"]),
    "open_switch": (("new load.ld1", "open line.l2 1\nnew load.ld1"), ["line.l2", "b2"]),
    "second_vsource": (("new load.ld1", "new vsource.s2 bus1=b2 basekv=12.47\nnew load.ld1"), ["s2", "one"]),
    "unbalanced_parenthesis": (("bus1=b1 bus2=b2", "bus1=b1 bus2=(b2"), ["Line.l2", "parenthesis"]),
    "zero_kv": (("basekv=12.47 pu=1.0", "basekv=0 pu=1.0"), []),
    "zero_pu": (("basekv=12.47 pu=1.0", "basekv=12.47 pu=0"), ["source"]),
    "unknown_class": (("new load.ld1", "new lod.x bus1=b2\nnew load.ld1"), ["lod"]),
    "unknown_property": (("kw=500", "kww=500"), ["kww"]),
    "empty": (None, ["no circuit"]),
}


@pytest.mark.parametrize("case", sorted(DSS_CASES))
def test_opendss_files_without_an_operating_point(case, tmp_path):
    need_opendss()
    replace, words = DSS_CASES[case]
    text = "" if replace is None else DSS.replace(*replace)
    assert replace is None or text != DSS
    path = tmp_path / f"{case}.dss"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        power_flow(Feeder.from_opendss(path))
    for word in words:
        assert word in str(info.value), str(info.value)
    assert np.isfinite(len(str(info.value)))
