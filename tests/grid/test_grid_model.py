"""Feeder validation, non-convergence reporting, power balance and the embedded demo feeder."""

import json

import numpy as np
import pytest

from evcore.errors import InputError
from evcore.grid import Feeder, NonConvergenceError, power_flow
from evcore.grid._cli import DEMO_FEEDER


def _doc():
    return json.loads(DEMO_FEEDER.read_text())


def test_demo_feeder_solves_with_power_balance_and_kirchhoff():
    feeder = Feeder.from_json(DEMO_FEEDER)
    result = power_flow(feeder)
    assert result.mismatch_pu <= 1e-9 and not result.roundoff_limited_nodes
    # source power = loads + every element's consumption (losses, capacitors' negative vars)
    balance = result.source_power_va - result.load_power_va.sum() - result.element_losses_va.sum()
    assert abs(balance) <= 1e-9 * abs(result.source_power_va)
    # KCL at every node from the element currents (Yprim @ v per element, not the nodal matrix):
    # element currents + load currents leaving the node = current the source injects
    from evcore.grid.powerflow import _system

    node_current = np.zeros(feeder.n_nodes, dtype=complex)
    live = feeder.conductor_nodes >= 0
    np.add.at(node_current, feeder.conductor_nodes[live], result.conductor_currents_a[live])
    _, _, branch = _system(feeder).assemble(result.voltage_v, build_jacobian=False)
    np.add.at(node_current, feeder.load_branch_from, branch)
    to = feeder.load_branch_to >= 0
    np.add.at(node_current, feeder.load_branch_to[to], -branch[to])
    src = feeder.source_nodes
    injected = np.zeros(feeder.n_nodes, dtype=complex)
    injected[src] = feeder.source_yprim @ (feeder.source_emf_v - result.voltage_v[src])
    assert np.abs(node_current - injected).max() <= 1e-6 * np.abs(injected).max()
    # pure constant power (model 0) draws its nominal power at any voltage
    doc = _doc()
    for load in doc["loads"]:
        load["model"] = 0
    pure = power_flow(Feeder.from_json(doc))
    nominal = np.array([complex(ld["kw"], ld["kvar"]) * 1000 for ld in doc["loads"]])
    assert np.allclose(pure.load_power_va, nominal, rtol=1e-8)


def test_non_convergence_names_the_worst_node():
    doc = _doc()
    for load in doc["loads"]:
        load["model"] = 0
        load["kw"] *= 60
        load["kvar"] *= 60
    with pytest.raises(NonConvergenceError, match=r"largest current mismatch .* at node [a-z0-9]+\.[0-9]"):
        power_flow(Feeder.from_json(doc), max_iterations=15)


def test_feeder_validation_names_fields():
    feeder = Feeder.from_json(DEMO_FEEDER)
    fields = {name: getattr(feeder, name) for name in feeder.__dataclass_fields__ if not name.startswith("_")}
    bad = dict(fields, node_base_kv=-feeder.node_base_kv)
    with pytest.raises(InputError, match="node_base_kv"):
        Feeder(**bad)
    model = feeder.load_branch_model.copy()
    model[0] = 6
    with pytest.raises(InputError, match=r"load_branch_model\[0\]"):
        Feeder(**dict(fields, load_branch_model=model))
    nodes = feeder.conductor_nodes.copy()
    nodes[3] = feeder.n_nodes
    with pytest.raises(InputError, match="conductor_nodes"):
        Feeder(**dict(fields, conductor_nodes=nodes))
    with pytest.raises(InputError, match="initial_voltage"):
        power_flow(feeder, initial_voltage=np.ones(3))


def test_demo_without_opendss_uses_the_embedded_feeder(tmp_path, monkeypatch):
    from evcore.grid import _cli

    monkeypatch.setattr(_cli, "_ieee13_master", lambda: None)
    part = _cli.demo(tmp_path)
    assert "evcore demo feeder" in part["headline"]
    assert (tmp_path / "voltage_profile.png").read_bytes()[:4] == b"\x89PNG"
