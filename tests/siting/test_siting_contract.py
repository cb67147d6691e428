"""SitingResult and solve follow the one contract: statuses, ids at the edges, JSON, frames, GeoJSON."""

import json
import math

import numpy as np
import pytest

from _figures import assert_readable, capture_figures
from evcore.errors import InputError
from evcore.progress import ProgressRecord
from evcore.results import STATUSES, Result
from evcore.siting import SitingParameters, changchun_case, plan_result, random_case, solve
from evcore.siting import analysis

NAMED = random_case(8, seed=2).with_changes(site_names=[f"S{k}" for k in range(8)],
                                            point_names=[f"P{k}" for k in range(8)])


def test_result_is_a_contract_result_with_ids():
    result = solve(NAMED, "exact")
    assert isinstance(result, Result) and result.status == "optimal" and result.status in STATUSES
    assert result.bound == result.objective and result.gap == 0.0 and result.seed is None
    data = json.loads(json.dumps(result.to_dict()))
    assert data["open_site_ids"] == list(result.open_site_ids) and all(i.startswith("S") for i in data["open_site_ids"])
    assert [row["site_id"] for row in data["stations"]] == data["open_site_ids"]
    assert set(data["assigned_site_id"]) == set(NAMED.point_names)
    assert set(data["assigned_site_id"].values()) <= set(data["open_site_ids"])
    assert "is_open" not in data and "assigned_site" not in data  # no bare positions in the output
    assert data["coordinates"]["unit"] == "km" and "planar" in data["coordinates"]["system"]
    assert data["trace"]["objective"][-1] == result.objective


def test_frames_name_sites_and_points_by_id_with_units():
    result = solve(NAMED, "sa", seed=1, temperature_steps=20)
    stations = result.to_frame()
    assert list(stations.columns) == ["site_id", "x_km", "y_km", "piles", "fast_piles", "slow_piles", "capacity_kva",
                                      "load_vehicles_per_day", "mean_wait_h", "points_served"]
    assert stations["site_id"].tolist() == list(result.open_site_ids)
    assert stations["piles"].tolist() == (stations["fast_piles"] + stations["slow_piles"]).tolist()
    assert stations["capacity_kva"].sum() == pytest.approx(result.total_capacity_kva)
    points = result.to_frame("points")
    assert points["point_id"].tolist() == list(NAMED.point_names)
    assert set(points["assigned_site_id"]) <= set(result.open_site_ids)
    assert points["distance_km"].notna().all()
    costs = result.to_frame("costs")
    assert costs["cost_1e4_yuan_per_year"].sum() == pytest.approx(result.total_cost)
    assert len(result.to_frame("sites")) == NAMED.num_sites and result.to_frame("trace").columns.tolist() == [
        "iteration", "seconds", "objective"]


def test_geojson_of_the_changchun_case_lands_on_the_city():
    case = changchun_case(0, parameters=SitingParameters(max_piles=5000))
    result = plan_result(case, np.ones(50, np.int8))
    geo = json.loads(json.dumps(result.to_geojson()))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 100
    lon = [f["geometry"]["coordinates"][0] for f in geo["features"]]
    lat = [f["geometry"]["coordinates"][1] for f in geo["features"]]
    assert 124.9 < min(lon) and max(lon) < 125.8 and 43.5 < min(lat) and max(lat) < 44.3
    sites = [f["properties"] for f in geo["features"] if f["properties"]["kind"] == "site"]
    assert [s["site_id"] for s in sites] == list(case.site_names) and all(s["open"] for s in sites)
    frame = result.to_frame()
    assert {"longitude_deg", "latitude_deg"} <= set(frame.columns)
    with pytest.raises(InputError, match="origin_lonlat"):
        plan_result(NAMED, np.ones(8, np.int8)).to_geojson()
    assert plan_result(NAMED, np.ones(8, np.int8)).to_geojson(origin_lonlat=(10.0, 50.0))["features"]


def test_a_plan_with_violations_is_infeasible_with_infinite_objective():
    tight = NAMED.with_changes(stations=3)
    result = plan_result(tight, np.ones(8, np.int8))
    assert result.status == "infeasible" and math.isinf(result.objective) and not result.feasible
    assert result.penalised_objective > 5e7 and any("station count" in v for v in result.violations)
    assert json.loads(json.dumps(result.to_dict()))["objective"] == "inf"


@pytest.mark.parametrize("plan", [[0.5, 1, 0, 0, 0, 0, 0, 0], [-1, 1, 0, 0, 0, 0, 0, 0], [np.nan] * 8,
                                  [1, 1], ["1"] * 8])
def test_plan_result_refuses_non_binary_plans(plan):
    with pytest.raises(InputError, match="is_open"):
        plan_result(NAMED, plan)


def test_booleans_are_a_plan():
    assert plan_result(NAMED, [True, False] * 4).open_site_ids == ("S0", "S2", "S4", "S6")


def test_limits_seeds_and_options_are_checked_once():
    with pytest.raises(InputError, match="keyword"):
        solve(NAMED, "sa", 3)
    for bad in (dict(time_limit=0), dict(time_limit=-1), dict(time_limit=float("nan")), dict(max_iterations=0),
                dict(max_iterations=2.5), dict(seed=-1), dict(seed=2.5), dict(seed=2**63), dict(seed=True),
                dict(colour="red"), dict(penalty=0), dict(penalty=float("inf")), dict(progress="yes"),
                dict(polish="no"), dict(temperature_steps=0)):
        with pytest.raises(InputError):
            solve(NAMED, "sa", **bad)


def test_progress_reaches_a_callable_and_ends_with_a_final_record():
    records = []
    result = solve(NAMED, "ga", seed=0, population=30, generations=5, progress=records.append)
    assert records and all(isinstance(r, ProgressRecord) for r in records)
    assert records[-1].final and records[-1].method == "siting.ga" and records[-1].objective == result.objective


def test_penalty_exceeds_any_cost_so_violations_never_win():
    rich = NAMED.with_changes(land_cost=np.full(8, 1e9))  # annual costs far above the paper's 5e7 penalty
    result = solve(rich, "exact")
    assert result.status == "optimal" and not result.violations
    assert solve(rich, "sa", seed=0, temperature_steps=30).violations == ()


def test_siting_figures_are_readable(tmp_path, monkeypatch):
    figures = capture_figures(monkeypatch, analysis)
    exact = solve(NAMED, "exact")
    heuristic = solve(NAMED, "sa", seed=0, temperature_steps=10)
    rows, _ = analysis.pareto_table(NAMED, range(2, 4), methods=("sa",), settings={"sa": {"temperature_steps": 10}})
    analysis.plot_plan(NAMED, exact, tmp_path / "plan.png")
    analysis.plot_convergence({"exact": exact, "sa": heuristic}, tmp_path / "conv.png")
    analysis.plot_pareto(rows, tmp_path / "pareto.png")
    assert len(figures) == 3
    for k, figure in enumerate(figures):
        assert_readable(figure, f"siting figure {k}")


@pytest.mark.parametrize("method, options", [("sa", {"temperature_steps": 60}), ("ga", {"population": 300,
                                                                                    "generations": 30}),
                                             ("aco", {"ants": 300, "iterations": 30}), ("exact", {})])
def test_progress_is_live_and_pausing_does_not_change_the_answer(method, options):
    from evcore.progress import Progress

    records = []
    often = Progress(records.append, f"siting.{method}", interval_s=0.001)
    instance = random_case(18 if method == "exact" else 17, seed=4)
    watched = solve(instance, method, seed=2, progress=often, **options)
    quiet = solve(instance, method, seed=2, **options)
    assert len(records) >= 3 and records[-1].final and not records[0].final
    assert [r.iteration for r in records] == sorted(r.iteration for r in records)
    assert watched.penalised_objective == quiet.penalised_objective and watched.open_site_ids == quiet.open_site_ids
