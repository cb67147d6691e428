"""evcore's power flow against OpenDSS's own solution of the same files (outside truth)."""

import csv
import json
import os
import shutil

import numpy as np
import pytest

from evcore.grid import Feeder, power_flow

from _grid_feeders import CASES, need_feeders, need_opendss


@pytest.mark.parametrize("case", sorted(CASES))
def test_node_voltages_equal_opendss(case):
    feeders = need_feeders()
    need_opendss()
    from evcore.grid._opendss import opendss_solve

    rel, taps = CASES[case]
    cwd = os.getcwd()
    feeder = Feeder.from_opendss(feeders / rel, regulator_taps=taps)
    assert os.getcwd() == cwd  # OpenDSS's compile moves the working directory; the reader puts it back
    result = power_flow(feeder)
    names, volts, base = opendss_solve(feeders / rel, regulator_taps=taps, tolerance=1e-10)
    assert list(result.node_names) == names
    ref = volts / base
    assert np.abs(np.abs(ref) - result.magnitude_pu).max() <= 1e-6
    assert np.abs(np.angle(ref / result.voltage, deg=True)).max() <= 1e-4
    assert result.mismatch_pu < 1e-6


def test_ieee13_matches_published_profile():
    feeders = need_feeders()
    need_opendss()
    rel, taps = CASES["ieee13"]
    result = power_flow(Feeder.from_opendss(feeders / rel, regulator_taps=taps))
    index = {s: i for i, s in enumerate(result.node_names)}
    phase = {"A": 1, "B": 2, "C": 3}
    path = feeders / "ieee13" / "ieee13_published_voltages_from_gridlabd_asserts.csv"
    rows = [r for r in csv.DictReader(line for line in path.open() if not line.startswith("#"))]
    assert len(rows) >= 30
    deviation = {}
    for row in rows:
        node = f"{row['bus']}.{phase[row['phase']]}"
        deviation[node] = abs(result.magnitude_pu[index[node]] - float(row["v_pu"]))
    # 652.1 is GridLAB-D's own assert (its cable 607 model is marked "unsure" in the .glm), 0.9840 pu,
    # where IEEE's published report gives 0.9825; OpenDSS's model of the same file gives 0.9819.
    assert deviation.pop("652.1") <= 0.0025
    assert max(deviation.values()) <= 0.002


def _pmd_solution(path):
    data = json.loads(path.read_text())
    return {f"{bus}.{ph}": vm * np.exp(1j * data["bus"][bus]["va"][ph])
            for bus in data["bus"] for ph, vm in data["bus"][bus]["vm"].items()}


@pytest.mark.parametrize("name", ["case3_unbalanced", "case3_balanced"])
def test_pmd_case3_matches_stored_opendss_solution(name, tmp_path):
    feeders = need_feeders()
    need_opendss()
    folder = feeders / "pmd_case3"
    dss = folder / f"{name}.dss"
    if "load_profile.csv" in dss.read_text():
        # The balanced case names a daily load shape file that is not shipped; a snapshot solve
        # never reads its values, so a copy next to a placeholder shape compiles unchanged.
        shutil.copy(dss, tmp_path / dss.name)
        (tmp_path / "load_profile.csv").write_text("\n".join(["1.0"] * 10) + "\n")
        dss = tmp_path / dss.name
    result = power_flow(Feeder.from_opendss(dss))
    stored = _pmd_solution(folder / f"{name}_opendss_solution.json")
    index = {s: i for i, s in enumerate(result.node_names)}
    for node, ref in stored.items():
        got = result.voltage_v[index[node]]
        # the stored solution was made at OpenDSS's tolerance 1e-6 (see the .dss file)
        assert abs(abs(got) - abs(ref)) / abs(ref) <= 1e-5, node
        assert abs(np.angle(got / ref)) <= 1e-5, node


def test_mismatch_above_tolerance_only_where_rounding_limits_it():
    feeders = need_feeders()
    need_opendss()
    rel, taps = CASES["ieee13"]
    result = power_flow(Feeder.from_opendss(feeders / rel, regulator_taps=taps))
    limited = result.roundoff_limited_nodes
    # the 1e-4 ohm switch 671-692 (1e4 S next to 2.4 kV): only its nodes may sit above 1e-9 pu
    assert set(limited) <= {"671.1", "671.2", "671.3", "692.1", "692.2", "692.3"}
    assert result.mismatch_pu < 1e-6
