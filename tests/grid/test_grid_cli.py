"""``evcore grid pf`` / ``evcore grid sensitivity`` and the grid demo."""

import csv
import io
import json

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
    for f in part["files"]:
        assert (tmp_path / f.split("/")[-1]).stat().st_size > 0
