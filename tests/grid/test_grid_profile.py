"""Feeders with scaled or added loads, and power flows over a load profile, against rebuilding from scratch."""

import copy
import json

import numpy as np
import pytest

from evcore.errors import InputError
from evcore.grid import Feeder, power_flow, power_flow_profile
from evcore.grid._cli import DEMO_FEEDER

from _grid_feeders import GLM_CASES, need_feeders

BASE = json.loads(DEMO_FEEDER.read_text())


def _rebuilt(doc_change):
    doc = copy.deepcopy(BASE)
    doc_change(doc)
    return Feeder.from_json(doc)


def test_scaled_loads_equal_a_rebuilt_document():
    feeder = Feeder.from_json(BASE)
    factors = {load["name"]: 0.5 + 0.1 * k for k, load in enumerate(BASE["loads"])}

    def scale(doc):
        for load in doc["loads"]:
            load["kw"] *= factors[load["name"]]
            load["kvar"] *= factors[load["name"]]
    want = power_flow(_rebuilt(scale), tolerance_pu=1e-12)
    got = power_flow(feeder.scaled_loads(factors), tolerance_pu=1e-12)
    np.testing.assert_allclose(got.voltage, want.voltage, atol=1e-12)
    per_load = np.array([factors[n] for n in feeder.load_names])
    np.testing.assert_array_equal(feeder.scaled_loads(per_load).load_branch_power_va,
                                  feeder.scaled_loads(factors).load_branch_power_va)
    np.testing.assert_array_equal(feeder.scaled_loads(2.0).load_branch_power_va, 2.0 * feeder.load_branch_power_va)


def test_with_loads_equals_a_rebuilt_document():
    feeder = Feeder.from_json(BASE)
    chargers = [{"name": "ev1", "bus": "n3.2", "phases": 1, "conn": "wye", "model": 1, "kw": 50, "kvar": 10,
                 "kv": 2.4018},
                {"name": "ev2", "bus": "n5.1.3", "phases": 1, "conn": "delta", "model": 1, "kw": 80, "kvar": 0,
                 "kv": 4.16}]
    want = power_flow(_rebuilt(lambda d: d["loads"].extend(copy.deepcopy(chargers))), tolerance_pu=1e-12)
    got = power_flow(feeder.with_loads(chargers), tolerance_pu=1e-12)
    np.testing.assert_allclose(got.voltage, want.voltage, atol=1e-12)
    assert got.load_power_va.shape == (len(feeder.load_names) + 2,)
    with pytest.raises(InputError, match="exists already"):
        feeder.with_loads([dict(chargers[0], name=feeder.load_names[0])])
    with pytest.raises(InputError):
        feeder.with_loads([dict(chargers[0], bus="nowhere.1")])
    with pytest.raises(InputError):
        feeder.scaled_loads(-1.0)
    with pytest.raises(InputError):
        feeder.scaled_loads({"no such load": 2.0})
    with pytest.raises(InputError):
        feeder.scaled_loads(np.ones(3))


def _day(loads, seed=0):
    """96 quarter-hours: a smooth daily shape per load (seeded phase and amplitude)."""
    rng = np.random.default_rng(seed)
    hours = np.arange(96) / 4.0
    phase = rng.uniform(0, 24, loads)
    amp = rng.uniform(0.2, 0.6, loads)
    return 0.7 + amp * np.sin(2 * np.pi * (hours[:, None] - phase) / 24.0)


def _check_profile(feeder, multipliers, steps):
    profile = power_flow_profile(feeder, multipliers, tolerance_pu=1e-12)
    assert profile.status == "optimal" and profile.voltage.shape == (multipliers.shape[0], feeder.n_nodes)
    for t in steps:
        rebuilt = power_flow(feeder.scaled_loads(multipliers[t]), tolerance_pu=1e-12)
        np.testing.assert_allclose(profile.voltage[t], rebuilt.voltage, atol=1e-10)
        np.testing.assert_allclose(profile.step(t).losses_va, rebuilt.losses_va, rtol=1e-8)
    return profile


def test_profile_equals_rebuilding_every_step():
    feeder = Feeder.from_json(BASE)
    multipliers = _day(len(feeder.load_names))
    profile = _check_profile(feeder, multipliers, range(0, 96, 5))
    # warm starts: fewer iterations than starting every step afresh
    cold = power_flow_profile(feeder, multipliers, tolerance_pu=1e-12, warm_start=False)
    np.testing.assert_allclose(cold.voltage, profile.voltage, atol=1e-10)
    assert profile.iterations <= cold.iterations
    frame = profile.to_frame("steps")
    assert list(frame["step"]) == list(range(96)) and frame["min_voltage_node"][0] in feeder.node_names
    assert profile.to_frame("voltages").shape == (96 * feeder.n_nodes, 4)
    json.dumps(profile.to_dict())


def test_profile_on_a_glm_feeder_with_one_multiplier_per_step():
    need_feeders()
    feeder = Feeder.from_glm(GLM_CASES["ieee13_glm"][0])
    shape = 0.5 + 0.6 * np.sin(np.linspace(0.0, np.pi, 96)) ** 2
    _check_profile(feeder, shape, [0, 20, 48, 95])


@pytest.mark.parametrize("bad", [np.zeros((3, 2)), np.array([1.0, np.nan]), np.array([1.0, -0.5]), np.zeros(0),
                                 "high", np.ones((2, 2, 2))])
def test_profile_refuses_bad_multipliers(bad):
    with pytest.raises(InputError):
        power_flow_profile(Feeder.from_json(BASE), bad)


def test_day_with_added_chargers_equals_rebuilding_the_document_every_step():
    """Issue 13.6, grid side: a feeder with added charger loads, then a day in 96 quarter-hours solved without
    rebuilding; every step equals a feeder rebuilt from its scaled document and solved from scratch."""
    chargers = [{"name": "ev1", "bus": "n3.2", "phases": 1, "conn": "wye", "model": 1, "kw": 50, "kvar": 10,
                 "kv": 2.4018},
                {"name": "ev2", "bus": "n5.1.3", "phases": 1, "conn": "delta", "model": 1, "kw": 80, "kvar": 0,
                 "kv": 4.16}]
    feeder = Feeder.from_json(BASE).with_loads(chargers)
    multipliers = _day(len(feeder.load_names), seed=7)
    multipliers[:, -2:] = (np.arange(96)[:, None] % 8 < 4) * 1.0  # chargers on and off by the hour
    profile = power_flow_profile(feeder, multipliers, tolerance_pu=1e-12)
    column = {name: k for k, name in enumerate(feeder.load_names)}
    for t in range(96):
        def scale(doc):
            doc["loads"].extend(copy.deepcopy(chargers))
            for load in doc["loads"]:
                load["kw"] *= multipliers[t, column[load["name"]]]
                load["kvar"] *= multipliers[t, column[load["name"]]]
        rebuilt = power_flow(_rebuilt(scale), tolerance_pu=1e-12)
        np.testing.assert_allclose(profile.voltage[t], rebuilt.voltage, atol=1e-10, err_msg=f"step {t}")
