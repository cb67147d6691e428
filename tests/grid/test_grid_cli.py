"""``evcore grid pf`` / ``evcore grid sensitivity`` and the grid demo."""

import csv
import io
import json
from pathlib import Path

from evcore.cli import main
from evcore.grid import Feeder, power_flow
from evcore.grid._cli import DEMO_FEEDER, demo

from _grid_feeders import CASES, need_feeders, need_opendss


def test_pf_on_embedded_json_feeder(tmp_path, capsys):
    png = tmp_path / "profile.png"
    assert main(["grid", "pf", str(DEMO_FEEDER), "--plot", str(png)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "optimal" and payload["mismatch_pu"] <= 1e-9
    result = power_flow(Feeder.from_json(DEMO_FEEDER))
    assert abs(payload["losses_kw"] - result.losses_va.real / 1e3) < 1e-9
    # power balance: source = loads + losses + capacitors' (negative) vars
    assert abs(result.source_power_va - result.load_power_va.sum() - result.element_losses_va.sum()) < 1e-6 * abs(
        result.source_power_va)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_sensitivity_csv_on_opendss_feeder(tmp_path, capsys):
    feeders = need_feeders()
    need_opendss()
    rel, taps = CASES["ieee13"]
    out = tmp_path / "gi.csv"
    png = tmp_path / "gi.png"
    code = main(["grid", "sensitivity", str(feeders / rel), "--taps", ",".join(f"{k}={v}" for k, v in taps.items()),
                 "--candidates", "632,675.1", "--format", "csv", "-o", str(out), "--plot", str(png),
                 "--engine", "both"])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["candidate"] for r in rows] == ["632.1", "632.2", "632.3", "675.1"]
    assert abs(sum(float(r["priority"]) for r in rows) - 1.0) < 1e-12
    assert png.stat().st_size > 0


def test_bad_feeder_path_is_an_input_error(tmp_path, capsys):
    assert main(["grid", "pf", str(tmp_path / "missing.json")]) == 2
    assert "no feeder file" in capsys.readouterr().err


def test_demo_runs_and_writes_files(tmp_path):
    part = demo(tmp_path)
    assert "GI sweep" in part["headline"]
    for f in part["files"]:  # the placement case writes into its own sub-folder
        assert Path(f).is_relative_to(tmp_path) and Path(f).stat().st_size > 0


def test_pf_and_sensitivity_read_glm_dss_and_json_alike(tmp_path, capsys):
    """One feeder (IEEE 13 from GridLAB-D's model) through all three formats: same voltages."""
    from _grid_feeders import GLM_CASES

    need_feeders()
    path = GLM_CASES["ieee13_glm"][0]
    assert main(["grid", "pf", str(path)]) == 0
    from_glm = json.loads(capsys.readouterr().out)
    feeder = Feeder.from_glm(path)
    as_json = tmp_path / "ieee13.json"
    feeder.to_json(as_json)
    assert main(["grid", "pf", str(as_json)]) == 0
    from_json = json.loads(capsys.readouterr().out)
    assert from_glm["status"] == from_json["status"] == "optimal"
    assert [r["node"] for r in from_glm["nodes"]] == [r["node"] for r in from_json["nodes"]]
    assert max(abs(a["voltage_pu"] - b["voltage_pu"]) for a, b in zip(from_glm["nodes"], from_json["nodes"])) == 0.0
    assert main(["grid", "sensitivity", str(path), "--candidates", "l671,l675.1", "--format", "csv",
                 "-o", str(tmp_path / "gi.csv")]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "gi.csv").read_text())))
    assert [r["candidate"] for r in rows] == ["l671.1", "l671.2", "l671.3", "l675.1"]


def test_glm_taps_per_phase_on_the_command_line(capsys):
    from _grid_feeders import GLM_CASES, need_grid_eco

    need_grid_eco()
    path = GLM_CASES["residential"][0]
    assert main(["grid", "pf", str(path), "--taps", "R1-25-00-1_reg_1=6,R1-25-00-1_reg_2=7/2/7"]) == 0
    payload = json.loads(capsys.readouterr().out)
    result = power_flow(Feeder.from_glm(path, regulator_taps=GLM_CASES["residential"][1]))
    assert abs(payload["min_voltage_pu"] - float(result.magnitude_pu.min())) < 1e-12
    assert main(["grid", "pf", str(path), "--taps", "R1-25-00-1_reg_2=7/2"]) == 2
    assert "three" in capsys.readouterr().err


def test_unknown_suffix_and_missing_opendss_are_one_line_exit_2(tmp_path, capsys, monkeypatch):
    odd = tmp_path / "feeder.xml"
    odd.write_text("<feeder/>")
    assert main(["grid", "pf", str(odd)]) == 2
    err = capsys.readouterr().err
    assert ".glm, .dss, .json" in err and len(err.strip().splitlines()) == 1
    dss = tmp_path / "feeder.dss"
    dss.write_text("clear\n")
    import sys

    monkeypatch.setitem(sys.modules, "dss", None)  # as if dss-python were not installed
    assert main(["grid", "pf", str(dss)]) == 2
    err = capsys.readouterr().err
    assert "opendss" in err and len(err.strip().splitlines()) == 1, err
