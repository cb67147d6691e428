"""Fuzz: hostile feeder documents, garbage GLM/DSS files and hostile run arguments reach only evcore's errors.

Every public entry of the grid part (``Feeder.from_json``/``from_document``/``from_glm``/``from_opendss``,
``power_flow``, ``power_flow_profile``, ``sensitivity_sweep``, ``Feeder.scaled_loads``/``with_loads``) is fed
values from ``tests/_fuzz.py``; a call either raises an :class:`evcore.errors.EvcoreError` or returns a valid
answer (converged, finite voltages).
"""

import copy
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from _fuzz import assert_refused_or_valid, garbage_bytes, hostile_arrays, hostile_scalars, hostile_time_limits
from evcore.grid import Feeder, power_flow, power_flow_profile, sensitivity_sweep
from evcore.grid._cli import DEMO_FEEDER
from evcore.io import glm

BASE = json.loads(DEMO_FEEDER.read_text())
FEEDER = Feeder.from_json(BASE)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _valid_flow(result):
    return result.status == "optimal" and np.isfinite(result.voltage).all() and (np.abs(result.voltage) > 1e-3).all()


def _fields(doc):
    """Every (path, value) leaf of the document, paths as tuples of keys and indices."""
    out = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + (k,))
        elif isinstance(node, list) and node and isinstance(node[0], (dict, list)):
            for i, v in enumerate(node):
                walk(v, path + (i,))
        else:
            out.append(path)
    walk(doc, ())
    return out


PATHS = _fields(BASE)


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


@SETTINGS
@given(st.sampled_from(PATHS), hostile_scalars())
def test_hostile_document_fields(path, value):
    doc = copy.deepcopy(BASE)
    _set(doc, path, value)
    feeder = assert_refused_or_valid("grid", Feeder.from_json, doc)
    if feeder is not None:
        assert_refused_or_valid("grid", power_flow, feeder, accept=_valid_flow)


@SETTINGS
@given(st.sampled_from(PATHS), st.sampled_from([None, {}, [], [[]], {"a": 1}, "", [1, 2, 3], [[1, 2], [3]]]))
def test_hostile_document_shapes(path, value):
    doc = copy.deepcopy(BASE)
    _set(doc, path, value)
    feeder = assert_refused_or_valid("grid", Feeder.from_json, doc)
    if feeder is not None:
        assert_refused_or_valid("grid", power_flow, feeder, accept=_valid_flow)


@SETTINGS
@given(data=garbage_bytes())
def test_garbage_json_and_glm_files(data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("garbage")
    for suffix, reader in ((".json", Feeder.from_json), (".glm", Feeder.from_glm)):
        path = folder / f"feeder{suffix}"
        path.write_bytes(data)
        feeder = assert_refused_or_valid("grid", reader, path)
        if feeder is not None:
            assert_refused_or_valid("grid", power_flow, feeder, accept=_valid_flow)


GLM = """clock { timestamp '2000-01-01 0:00:00'; stoptime '2000-01-01 0:00:01'; }
module powerflow { solver_method NR; }
object node { name src; bustype SWING; phases ABCN; nominal_voltage 7199.558; }
object overhead_line_conductor { name c1; geometric_mean_radius 0.03; resistance 0.2; diameter 0.9; }
object line_spacing { name sp; distance_AB 2.5; distance_AC 4.5; distance_BC 7; distance_AN 4.27;
    distance_BN 5.66; distance_CN 5; }
object line_configuration { name cfg; conductor_A c1; conductor_B c1; conductor_C c1; conductor_N c1; spacing sp; }
object overhead_line { name l1; phases ABCN; from src; to n1; length 500; configuration cfg; }
object node { name n1; phases ABCN; nominal_voltage 7199.558; }
object transformer_configuration { name tc; connect_type WYE_WYE; install_type PADMOUNT; primary_voltage 12470;
    secondary_voltage 480; power_rating 300; resistance 0.011; reactance 0.02; }
object transformer { name t1; phases ABCN; from n1; to n2; configuration tc; }
object node { name n2; phases ABCN; nominal_voltage 277.128; }
object load { name ld; parent n2; phases ABCN; nominal_voltage 277.128; constant_power_A 50000+10000j;
    constant_current_B 20+5j; constant_impedance_C 3+1j; }
"""


@SETTINGS
@given(position=st.integers(0, len(GLM) - 1), cut=st.integers(0, 40),
       insert=st.sampled_from(["", ";", "{", "}", "object ", "//", "/*", "'", '"', "#set x=1\n", "nan", "-1",
                               "1e999", " parent n1;", " phases XYZ;", "\x00", "ABCD", " 0 ", "\n"]))
def test_mutated_glm_files(position, cut, insert, tmp_path_factory):
    text = GLM[:position] + insert + GLM[position + cut:]
    path = tmp_path_factory.mktemp("glm") / "mutated.glm"
    path.write_text(text)
    feeder = assert_refused_or_valid("grid", Feeder.from_glm, path)
    if feeder is not None:
        assert_refused_or_valid("grid", power_flow, feeder, accept=_valid_flow)


DSS = """clear
new circuit.t basekv=12.47 pu=1.0 phases=3 bus1=src
new linecode.lc nphases=3 r1=0.3 x1=0.6 r0=0.6 x0=1.2 units=km
new line.l1 bus1=src bus2=b1 linecode=lc length=1 units=km
new load.ld1 bus1=b1 phases=3 kv=12.47 kw=500 kvar=200 model=1
set voltagebases=[12.47]
calcvoltagebases
"""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(position=203, cut=13, insert="=")  # OpenDSS's "No active bus found!" escaped the isolated reader
@given(position=st.integers(0, len(DSS) - 1), cut=st.integers(0, 20),
       insert=st.sampled_from(["", "(", ")", "=", "[", "!", "nan", "-1", "1e300", "\n", "new vsource.s2 bus1=b1\n",
                               "open line.l1 1\n", "bus1=b1 ", "0"]))
def test_mutated_dss_files(position, cut, insert, tmp_path_factory):
    pytest.importorskip("dss", reason="OpenDSS engine (dss-python) not installed")
    text = DSS[:position] + insert + DSS[position + cut:]
    path = tmp_path_factory.mktemp("dss") / "mutated.dss"
    path.write_text(text)
    feeder = assert_refused_or_valid("grid", Feeder.from_opendss, path)
    if feeder is not None:
        assert_refused_or_valid("grid", power_flow, feeder, accept=_valid_flow)


@SETTINGS
@given(st.sampled_from(["tolerance_pu", "max_iterations", "base_kva", "engine", "initial_voltage"]), hostile_scalars())
def test_hostile_power_flow_arguments(name, value):
    assert_refused_or_valid("grid", power_flow, FEEDER, **{name: value}, accept=_valid_flow)


@SETTINGS
@given(hostile_arrays((FEEDER.n_nodes,)))
def test_hostile_start_voltages(value):
    assert_refused_or_valid("grid", power_flow, FEEDER, initial_voltage=value, accept=_valid_flow)


def _valid_sweep(result):
    return (result.status in ("optimal", "time_limit") and np.isfinite(result.gi).all()
            and abs(result.priority.sum() - 1.0) < 1e-9)


SWEEP_ARGS = ["rating_kw", "power_factor", "vmin_pu", "vmax_pu", "penalty", "temperature", "tolerance_pu",
              "workers", "max_chord_iterations", "engine", "penalty_mode", "candidates", "progress"]


@SETTINGS
@given(st.sampled_from(SWEEP_ARGS), hostile_scalars())
def test_hostile_sweep_arguments(name, value):
    assert_refused_or_valid("grid", sensitivity_sweep, FEEDER, ["n3", "l1.1"] if name != "candidates" else value,
                            **({name: value} if name != "candidates" else {}), accept=_valid_sweep)


@SETTINGS
@given(hostile_time_limits())
def test_hostile_sweep_time_limits(value):
    assert_refused_or_valid("grid", sensitivity_sweep, FEEDER, ["n3"], time_limit=value, accept=_valid_sweep)


@SETTINGS
@given(st.one_of(hostile_arrays((4,)), hostile_arrays((4, len(FEEDER.load_names))), hostile_scalars()))
def test_hostile_profiles_and_scalings(value):
    def valid(result):
        return result.status == "optimal" and np.isfinite(result.voltage).all()
    assert_refused_or_valid("grid", power_flow_profile, FEEDER, value, accept=valid)
    assert_refused_or_valid("grid", FEEDER.scaled_loads, value,
                            accept=lambda f: np.isfinite(f.load_branch_power_va).all())


@SETTINGS
@given(st.sampled_from(["name", "bus", "phases", "conn", "model", "kw", "kvar", "kv", "branches", "vminpu"]),
       hostile_scalars())
def test_hostile_added_loads(name, value):
    load = {"name": "ev", "bus": "n3.2", "phases": 1, "conn": "wye", "model": 1, "kw": 50, "kvar": 10, "kv": 2.4018}
    load[name] = value
    feeder = assert_refused_or_valid("grid", FEEDER.with_loads, [load])
    if feeder is not None:
        assert_refused_or_valid("grid", power_flow, feeder, accept=_valid_flow)
    assert math.isfinite(1.0)
