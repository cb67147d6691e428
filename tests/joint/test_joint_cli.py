import csv
import io
import json

import numpy as np
import pytest

from evcore.cli import main

SMALL = ["--zones", "8", "--slots", "24"]


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_flags_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    code, stdout, _ = run(["joint", *SMALL, "--method", "highs", "--output", str(out)], capsys)
    assert code == 0 and stdout == ""
    payload = json.loads(out.read_text())
    assert payload["status"] == "optimal" and len(payload["capacity_kw"]) == 8
    assert set(payload["capacity_kw"]) == {f"Z{i}" for i in range(1, 9)}  # zones by id
    assert [row["zone_id"] for row in payload["plan"]] == [f"Z{i}" for i in range(1, 9)]


def test_stdout_holds_only_the_result(capsys):
    code, stdout, err = run(["joint", *SMALL, "--method", "highs", "--progress"], capsys)
    assert code == 0 and json.loads(stdout)["status"] == "optimal"
    assert "[joint.highs]" in err
    code, stdout, _ = run(["joint", *SMALL, "--method", "paper-admm", "--format", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert code == 0 and len(rows) == 8 and {"zone_id", "capacity_kw", "peak_utilisation"} <= set(rows[0])


def test_every_assumed_parameter_is_reported(capsys):
    code, stdout, err = run(["joint", *SMALL, "--method", "highs", "--budget", "3e10"], capsys)
    payload = json.loads(stdout)
    assert payload["parameter_sources"]["budget"] == "flag" and payload["parameters"]["budget"] == 3e10
    assert payload["parameter_sources"]["power_per_ev_kw"] == "default"
    for key in ("power_per_ev_kw", "cost_per_ev_km", "base_cost_per_kw", "recurrences", "charging_share",
                "location_cost", "range_km"):
        assert key in payload["assumed_defaults"] and f"{key}=" in err
    assert "budget" not in payload["assumed_defaults"]
    assert payload["derived"]["charging_share"].startswith("Beta(10, 90)")
    code, _, err = run(["-q", "joint", *SMALL, "--method", "highs", "-o", "/dev/null"], capsys)
    assert code == 0 and err == ""


def _user_trips(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    n = 400
    centroids = np.array([[30.60, 104.00], [30.61, 104.02], [30.63, 104.01], [30.62, 103.99]])
    o, d = rng.integers(0, 4, n), rng.integers(0, 4, n)
    start = np.datetime64("2016-11-21T00:00") + rng.integers(0, 7 * 1440, n).astype("timedelta64[m]")
    pd.DataFrame({"origin_lat": centroids[o, 0] + 0.001, "origin_lon": centroids[o, 1],
                  "dest_lat": centroids[d, 0], "dest_lon": centroids[d, 1] + 0.001,
                  "start_time": start.astype(str)}).to_csv(tmp_path / "trips.csv", index=False)
    (tmp_path / "zones.csv").write_text("zone_id,lat,lon\n" + "".join(
        f"{name},{lat},{lon}\n" for name, (lat, lon) in zip(["north", "east", "south", "west"], centroids)))
    return str(tmp_path / "trips.csv"), str(tmp_path / "zones.csv")


def test_user_trips_are_never_mixed_with_chengdu_parameters_silently(tmp_path, capsys):
    trips, zones = _user_trips(tmp_path)
    base = ["joint", "--trips", trips, "--centroids", zones, "--slots", "168", "--method", "highs"]
    code, stdout, err = run(base, capsys)
    assert code == 2 and stdout == "" and "--charging-share" in err and len(err.strip().splitlines()) == 1
    code, stdout, err = run(base + ["--charging-share", "0.1"], capsys)
    assert code == 2 and "--location-cost" in err
    code, stdout, err = run(base + ["--charging-share", "0.1", "--location-cost", "200"], capsys)
    assert code == 0, err
    payload = json.loads(stdout)
    assert payload["data"]["source"] == "trips" and payload["data"]["rows"] == 400
    assert payload["parameter_sources"]["charging_share"] == "flag"
    assert payload["derived"] == {"charging_share": "0.1 everywhere", "location_cost": "200 per kW everywhere"}
    assert {"weeks", "detour_factor", "budget"} <= set(payload["assumed_defaults"]) and "detour_factor=1.3" in err
    assert [row["zone_id"] for row in payload["plan"]] == ["north", "east", "south", "west"]
    costs = tmp_path / "costs.csv"
    costs.write_text("zone_id,location_cost_per_kw\nnorth,100\neast,200\nsouth,300\nwest,400\n")
    code, stdout, err = run(base + ["--charging-share", "beta:10,90", "--location-cost", str(costs), "--seed", "3"],
                            capsys)
    assert code == 0, err
    payload = json.loads(stdout)
    assert payload["derived"]["charging_share"] == "Beta(10, 90) drawn with seed 4"
    assert [row["cost_per_kw"] for row in payload["plan"]] == [600.0, 700.0, 800.0, 900.0]
    costs.write_text("zone_id,location_cost_per_kw\nnorth,100\n")
    code, _, err = run(base + ["--charging-share", "0.1", "--location-cost", str(costs)], capsys)
    assert code == 2 and "east" in err


def test_write_config_then_run_it(tmp_path, capsys):
    config = tmp_path / "joint.json"
    code, stdout, _ = run(["joint", "--write-config", str(config)], capsys)
    assert code == 0 and stdout == ""
    settings = json.loads(config.read_text())
    assert settings["power_per_ev_kw"] == 250.0 and settings["charging_share"] is None and "_about" in settings
    settings.update(zones=8, slots=24, method="highs")
    config.write_text(json.dumps(settings))
    code, stdout, _ = run(["joint", "--config", str(config), "--sweep", "0,3", "--format", "csv"], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(stdout)))
    assert [float(r["range_km"]) for r in rows] == [0.0, 3.0] and rows[0]["zone_pairs_within_range"] == "0"


def test_cli_config_file_sweep_csv(tmp_path):
    config = tmp_path / "joint.json"
    config.write_text(json.dumps({"zones": 8, "slots": 24, "method": "highs", "sweep": "0,3,11"}))
    out = tmp_path / "table.csv"
    assert main(["joint", "--config", str(config), "--format", "csv", "--output", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("range_km,zone_pairs_within_range,share_of_pairs_pct,arcs,investment_cost")
    assert len(lines) == 4


def test_cli_admm_with_figures_and_geojson(tmp_path):
    out = tmp_path / "r.json"
    figures = tmp_path / "fig"
    geojson = tmp_path / "zones.geojson"
    assert main(["joint", *SMALL, "--method", "admm", "--figures", str(figures), "--geojson", str(geojson),
                 "--output", str(out)]) == 0
    payload = json.loads(out.read_text())
    assert payload["gap"] <= 1e-3 and payload["status"] == "gap_reached"
    assert {p.split("/")[-1] for p in payload["figures"]} == {"capacity_base_vs_joint.png", "flows_by_period.png",
                                                               "residuals.png"}
    features = json.loads(geojson.read_text())["features"]
    assert len(features) == 8 and features[0]["properties"]["zone_id"] == "Z1"


@pytest.mark.parametrize("argv,message", [
    (["--zones", "-1"], "zones"), (["--zones", "abc"], "zones"), (["--zones", "0"], "zones"),
    (["--time-limit", "-1"], "time_limit"), (["--time-limit", "nan"], "time_limit"),
    (["--max-iterations", "-1"], "max_iterations"), (["--max-iterations", "2.5"], "max_iterations"),
    (["--seed", "-1"], "seed"), (["--threads", "0"], "threads"), (["--method", "gurobi"], "method"),
    (["--solver", "ipm"], "solver"), (["--rho", "0.5"], "rho"), (["--range-km", "-3"], "range_km"),
    (["--sweep", "a,b"], "sweep"), (["--trips", "missing.csv", "--centroids", "missing.csv",
                                     "--charging-share", "0.1", "--location-cost", "1"], "missing.csv"),
    (["--weeks", "2"], "weeks"), (["--charging-share", "beta:1"], "charging_share"),
    (["--charging-share", "1.5"], "charging_share"), (["--location-cost", "exp:1,2"], "location_cost"),
    (["--figures", "/dev/null/x"], "figures"), (["-o", "/nonexistent/folder/out.json"], "output"),
    (["--method", "paper-admm", "--rho", "-1"], "rho"), (["--budget", "x"], "budget"),
])
def test_bad_flags_give_one_line_and_exit_2(argv, message, capsys):
    code, stdout, err = run(["-q", "joint", *([] if "--trips" in argv else SMALL), *argv], capsys)
    assert code == 2 and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evcore: error:") and message in lines[0]


@pytest.mark.parametrize("argv", [["--bogus"], ["--zones"], ["--format", "xml"], ["--bogus", "1", "--zones", "3"]])
def test_argument_errors_are_one_line(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(["joint", *argv])
    captured = capsys.readouterr()
    assert info.value.code == 2 and captured.out == "" and len(captured.err.strip().splitlines()) == 1


@pytest.mark.parametrize("content,message", [
    ('{"zone": 8}', "unknown keys"), ("{not json", "not valid JSON"), ('[1, 2]', "JSON object"),
    ('{"zones": "eight"}', "zones"), ('{"zones": true}', "zones"), ('{"budget": [1]}', "budget"),
])
def test_bad_config_files(tmp_path, capsys, content, message):
    config = tmp_path / "bad.json"
    config.write_text(content)
    code, stdout, err = run(["-q", "joint", "--config", str(config)], capsys)
    assert code == 2 and stdout == "" and message in err and len(err.strip().splitlines()) == 1
    code, _, err = run(["-q", "joint", "--config", str(tmp_path / "none.json")], capsys)
    assert code == 2 and "--write-config" in err


def test_garbage_trip_and_centroid_files(tmp_path, capsys):
    trips = tmp_path / "trips.csv"
    zones = tmp_path / "zones.csv"
    zones.write_text("zone_id,lat,lon\n1,30.6,104.0\n")
    for content in (b"", b"\x00\x01", b"a,b\n1,2,3\n", "a,b\n".encode("utf-16")):
        trips.write_bytes(content)
        code, stdout, err = run(["-q", "joint", "--trips", str(trips), "--centroids", str(zones), "--charging-share",
                                 "0.1", "--location-cost", "1"], capsys)
        assert code == 2 and stdout == "" and len(err.strip().splitlines()) == 1 and "trips.csv" in err
    zones.write_text("")
    code, _, err = run(["-q", "joint", "--trips", str(trips), "--centroids", str(zones), "--charging-share", "0.1",
                        "--location-cost", "1"], capsys)
    assert code == 2 and "zones.csv" in err


def test_infeasible_budget_exits_3(capsys):
    code, stdout, err = run(["joint", "--zones", "6", "--slots", "24", "--method", "highs", "--budget", "1000"], capsys)
    assert code == 3 and stdout == "" and "short by" in err


def test_demo(tmp_path):
    from evcore.joint._cli import demo

    part = demo(tmp_path)
    assert "certified" in part["headline"] and any("zone pairs within R" in line for line in part["lines"])
    assert all((tmp_path / name).exists() for name in ("table1_range_sweep.csv", "capacity_base_vs_joint.png",
                                                        "flows_by_period.png", "residuals.png", "plan_zones.geojson",
                                                        "plan_zones.csv"))


def test_sample_trips_run_through_the_command_line(tmp_path, capsys):
    folder = tmp_path / "sample"
    code, stdout, _ = run(["joint", "--write-sample-trips", str(folder)], capsys)
    assert code == 0 and stdout == "" and (folder / "trips.csv").exists() and (folder / "zones.csv").exists()
    code, stdout, err = run(["joint", "--trips", str(folder / "trips.csv"), "--centroids", str(folder / "zones.csv"),
                             "--charging-share", "0.1", "--location-cost", "300", "--slots", "168", "--method",
                             "highs"], capsys)
    assert code == 0, err
    payload = json.loads(stdout)
    assert payload["status"] == "optimal" and payload["data"]["used"] == 20000 and payload["zones"] == 20
