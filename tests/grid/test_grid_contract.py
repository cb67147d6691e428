"""The grid results follow the one contract (evcore.results): statuses, traces, to_dict/to_frame with ids."""

import json
import math

import numpy as np

from evcore.grid import Feeder, power_flow, power_flow_profile, sensitivity_sweep
from evcore.grid._cli import DEMO_FEEDER
from evcore.results import STATUSES, Result

FEEDER = Feeder.from_json(DEMO_FEEDER)


def _check(result, first_table, id_column):
    assert isinstance(result, Result) and result.status in STATUSES
    assert math.isnan(result.objective) and result.bound is None and result.gap is None
    assert isinstance(result.iterations, int) and result.wall_time >= 0
    assert result.trace.dtype.names and len(result.trace) >= 1
    text = json.dumps(result.to_dict())
    assert json.loads(text)["status"] == result.status
    assert result.frames()[0] == first_table
    frame = result.to_frame()
    assert id_column in frame.columns and frame[id_column].map(type).eq(str).all()
    assert result.to_frame("trace").shape[0] == len(result.trace)
    json.dumps(result.summary())


def test_power_flow_result():
    result = power_flow(FEEDER)
    _check(result, "nodes", "node")
    assert result.status == "optimal" and result.method == "power_flow"
    assert list(result.trace.dtype.names) == ["iteration", "mismatch_pu"]
    assert result.trace["mismatch_pu"][-1] == result.mismatch_pu
    nodes = result.to_frame("nodes")
    assert {"node", "voltage_pu", "angle_deg", "voltage_v", "base_v"} <= set(nodes.columns)
    assert list(nodes["node"]) == list(FEEDER.node_names)
    assert set(result.to_frame("elements")["element"]) == set(FEEDER.element_names)
    assert result.solve_seconds == result.wall_time


def test_sensitivity_result():
    result = sensitivity_sweep(FEEDER, ["n3", "l2.3"], rating_kw=50.0)
    _check(result, "candidates", "candidate")
    assert result.iterations == int(result.candidate_iterations.sum()) and result.seconds == result.wall_time
    table = result.to_frame()
    assert list(table["candidate"]) == ["n3.1", "n3.2", "n3.3", "l2.3"]
    assert {"gi", "priority", "vi_pu", "ci_pu", "bus", "phase"} <= set(table.columns)
    voltages = result.to_frame("voltages")
    assert voltages.shape == (4 * FEEDER.n_nodes, 4) and set(voltages["node"]) == set(FEEDER.node_names)
    np.testing.assert_allclose(table["priority"].sum(), 1.0)


def test_profile_result():
    result = power_flow_profile(FEEDER, np.linspace(0.5, 1.2, 5))
    _check(result, "steps", "min_voltage_node")
    assert list(result.trace.dtype.names) == ["step", "iterations", "mismatch_pu", "seconds"]
    assert result.to_frame("voltages")["node"].iloc[0] == FEEDER.node_names[0]
