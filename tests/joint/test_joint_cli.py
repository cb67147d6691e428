import json

from evcore.cli import main


def test_cli_flags_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["joint", "--zones", "8", "--slots", "24", "--method", "highs", "--output", str(out)])
    assert code == 0
    payload = json.loads(out.read_text())
    assert payload["status"] == "optimal" and len(payload["capacity_kw"]) == 8


def test_cli_config_file_sweep_csv(tmp_path):
    config = tmp_path / "joint.json"
    config.write_text(json.dumps({"zones": 8, "slots": 24, "method": "highs", "sweep": "0,3,11"}))
    out = tmp_path / "table.csv"
    assert main(["joint", "--config", str(config), "--format", "csv", "--output", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("range_km,zone_pairs_within_range,share_of_pairs_pct,arcs,investment_cost")
    assert len(lines) == 4


def test_cli_admm_with_figures(tmp_path):
    out = tmp_path / "r.json"
    figures = tmp_path / "fig"
    assert main(["joint", "--zones", "8", "--slots", "24", "--method", "admm", "--figures", str(figures),
                 "--output", str(out)]) == 0
    payload = json.loads(out.read_text())
    assert payload["gap"] <= 1e-3
    assert {p.split("/")[-1] for p in payload["figures"]} == {"capacity_base_vs_joint.png", "flows_by_period.png",
                                                               "residuals.png"}


def test_cli_bad_config_and_infeasible_budget(tmp_path, capsys):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"zone": 8}))
    assert main(["joint", "--config", str(config)]) == 2
    assert main(["joint", "--zones", "6", "--slots", "24", "--method", "highs", "--budget", "1000"]) == 3
    assert "short by" in capsys.readouterr().err


def test_demo(tmp_path):
    from evcore.joint._cli import demo

    part = demo(tmp_path)
    assert "certified" in part["headline"]
    assert all((tmp_path / name).exists() for name in ("table1_range_sweep.csv", "capacity_base_vs_joint.png",
                                                        "flows_by_period.png", "residuals.png"))
