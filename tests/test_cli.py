"""The ``evcore`` command: version, queue figures, demo, and exit codes on bad input."""

import csv
import io
import json
import subprocess
import sys

import pytest

import evcore
from evcore.cli import main
from evcore.queueing import erlang_b, erlang_c


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"evcore {evcore.__version__}"


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "evcore", "--version"], capture_output=True, text=True, check=True)
    assert evcore.__version__ in result.stdout


def test_queue_mmc_json(capsys):
    code, out, _ = run(["queue", "mmc", "-c", "4,5", "--arrival-rate", "3", "--service-rate", "1",
                        "--target-wait", "0.05", "--wait-limit", "0.5"], capsys)
    assert code == 0
    payload = json.loads(out)
    first, second = payload["results"]
    assert second["p_wait"] == pytest.approx(erlang_c(5, 3.0), rel=1e-15)
    assert first["servers"] == 4 and first["utilization"] == 0.75
    assert payload["min_servers_for_target_wait"] == 6  # Wq(5) = 0.118 > 0.05 >= Wq(6) = 0.033
    assert 0 < second["service_level"] < 1


def test_queue_mmc_csv_to_file(tmp_path, capsys):
    target = tmp_path / "out.csv"
    code, out, _ = run(["queue", "mmc", "-c", "2,3", "--arrival-rate", "2.5", "--service-rate", "1",
                        "--format", "csv", "--output", str(target)], capsys)
    assert code == 0 and out == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [r["servers"] for r in rows] == ["2", "3"]
    assert rows[0]["wait"] == "inf"  # unstable (rho = 1.25): reported, not NaN


def test_queue_loss(capsys):
    code, out, _ = run(["queue", "loss", "-c", "5", "--arrival-rate", "3", "--service-rate", "1",
                        "--times", "0,1,50", "--initial-state", "5"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert payload["results"][0]["p_all_busy"] == 1.0
    assert payload["results"][2]["p_all_busy"] == pytest.approx(erlang_b(5, 3.0), abs=1e-12)
    assert payload["stationary_blocking"] == pytest.approx(erlang_b(5, 3.0))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["queue", "mmc", "-c", "3", "--arrival-rate", "-1", "--service-rate", "1"], "arrival_rate: must be non-negative"),
        (["queue", "loss", "-c", "0", "--arrival-rate", "1", "--service-rate", "1", "--times", "1"], "c: must be at least 1"),
        (["queue", "loss", "-c", "3", "--arrival-rate", "1", "--service-rate", "1", "--times", "1",
          "--initial-state", "9"], "initial_state"),
    ],
)
def test_bad_input_exit_code_and_message(argv, message, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert message in err and err.startswith("evcore: error:")


def test_bad_arguments_exit_code(capsys):
    with pytest.raises(SystemExit) as info:
        main(["queue", "mmc", "-c", "two", "--arrival-rate", "1", "--service-rate", "1"])
    assert info.value.code == 2
    assert "expected comma-separated integers" in capsys.readouterr().err
    assert main([]) == 2  # no command: help, and a non-zero code


def test_demo_writes_results_and_figures(demo_run):
    out_dir, code, out, err = demo_run["out_dir"], demo_run["code"], demo_run["stdout"], demo_run["stderr"]
    assert code == 0
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["evcore_version"] == evcore.__version__
    queue = summary["parts"]["queue"]
    for name in queue["files"]:
        path = out_dir.parent / name if not name.startswith("/") else name
        assert (out_dir / "queue" / name.split("/")[-1]).stat().st_size > 0, path
    pngs = sorted(p.name for p in (out_dir / "queue").glob("*.png"))
    assert pngs == ["pile_availability.png", "station_sizing.png"]
    assert (out_dir / "queue" / "station_sizing.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    sizing = list(csv.DictReader((out_dir / "queue" / "station_sizing.csv").open()))
    assert all(float(r["mean_wait_min"]) <= 5.0 for r in sizing)
    assert "[queue]" in err and out == ""  # notes on stderr; stdout is for results only


def test_demo_includes_assign(demo_run):
    out_dir = demo_run["out_dir"]
    assert demo_run["code"] == 0
    summary = json.loads((out_dir / "summary.json").read_text())
    assign = summary["parts"]["assign"]
    assert "HiGHS optimum" in assign["headline"]
    rows = list(csv.DictReader((out_dir / "assign" / "methods.csv").open()))
    exact = next(r for r in rows if r["method"] == "exact")
    assert exact["status"] == "optimal"
    assert all(float(r["objective"]) >= float(exact["objective"]) - 1e-6 for r in rows)
    assert (out_dir / "assign" / "station_loads.png").read_bytes()[:4] == b"\x89PNG"


def test_assign_command_on_generated_city_and_errors(tmp_path, capsys):
    code, out, _ = run(["assign", "--evs", "15", "--stations", "4", "--method", "exact"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert payload["status"] == "optimal" and len(payload["assignment"]) == 15
    target = tmp_path / "a.csv"
    code, _, _ = run(["assign", "--evs", "15", "--stations", "4", "--method", "hasp", "--format", "csv",
                      "-o", str(target)], capsys)
    assert code == 0 and target.read_text().startswith("job,agent,cost")
    code, out, err = run(["assign", str(tmp_path / "missing.txt")], capsys)
    assert code == 2 and "no such file" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"driving_km": [[1.0]], "walking_km": [[1.0]], "destination": [0], "remaining_kwh": [10],'
                   ' "consumption_kwh_per_km": [0.2], "charging_time_h": [1], "piles": [0], "price_per_hour": [1]}')
    code, out, err = run(["assign", str(bad)], capsys)
    assert code == 3 and "EVs 0" in err  # infeasible: names the EV
