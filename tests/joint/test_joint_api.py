"""joint on the one contract: solve's shape, JointResult, statuses that are proofs, progress, figures."""

import json
import math

import numpy as np
import pytest

from evcore.errors import InfeasibleError, InputError
from evcore.joint import JointInstance, JointResult, recover_flows, solve
from evcore.joint.analysis import pairs_within, plot_capacity, plot_flows, plot_residuals, range_sweep
from evcore.progress import ProgressRecord
from evcore.results import STATUSES, Result

from _joint_data import random_instance, two_zone_instance


@pytest.fixture(scope="module")
def small():
    return random_instance(0, zones=5, slots=6).replace(zone_ids=["a", "b", "c", "d", "e"],
                                                        zone_centroids=[[30.60, 104.00], [30.61, 104.01],
                                                                        [30.62, 104.02], [30.63, 104.03],
                                                                        [30.64, 104.04]])


@pytest.fixture(scope="module")
def results(small):
    return {method: solve(small, method) for method in ("highs", "admm", "paper-admm")}


def test_every_method_returns_the_contract(results, small):
    for method, result in results.items():
        assert isinstance(result, JointResult) and isinstance(result, Result)
        assert result.status in STATUSES and result.method == method and result.sense == "min"
        assert result.objective == result.total_cost
        assert result.lower_bound == (-math.inf if result.bound is None else result.bound)
        data = json.loads(json.dumps(result.to_dict()))
        assert data["status"] == result.status and data["zone_ids"] == list("abcde")
        assert set(data["flows"]) == {"slot", "origin_zone_id", "destination_zone_id", "flow_ev", "distance_km"}
        assert set(result.frames()) >= {"zones", "zone_slots", "flows"}
        zones = result.to_frame()
        assert list(zones["zone_id"]) == list("abcde") and "capacity_kw" in zones and "latitude_deg" in zones
        assert zones["capacity_kw"].tolist() == pytest.approx(result.capacity_kw.tolist())
        slots = result.to_frame("zone_slots")
        assert len(slots) == small.zones * small.slots and {"zone_id", "slot", "load_kw", "utilisation"} <= set(slots)
        flows = result.to_frame("flows")
        assert set(flows["origin_zone_id"]) <= set("abcde")
        assert flows["flow_ev"].sum() == pytest.approx(result.flows.sum())
        trace = result.to_frame("trace")
        assert list(trace.columns) == list(result.trace.dtype.names)
        summary = result.summary()
        assert summary["total_cost"] == result.objective and "seconds" in summary
        json.dumps(summary)


def test_statuses_say_what_is_proven(results):
    assert results["highs"].status == "optimal" and results["highs"].gap == pytest.approx(0.0, abs=1e-9)
    assert results["admm"].status == "gap_reached" and results["admm"].gap <= 1e-3
    # The paper's residual test proves nothing: at best "feasible", with the gap its bound certifies.
    assert results["paper-admm"].status in ("feasible", "iteration_limit")
    optimum = results["highs"].objective
    for result in results.values():
        assert result.bound is None or result.bound <= optimum * (1 + 1e-9)
        assert result.objective >= optimum * (1 - 1e-9)


def test_geojson_of_zones(results):
    collection = results["admm"].to_geojson()
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 5
    first = collection["features"][0]
    assert first["geometry"]["coordinates"] == [104.00, 30.60]  # GeoJSON orders lon, lat
    assert first["properties"]["zone_id"] == "a" and "capacity_kw" in first["properties"]
    json.dumps(collection)
    with pytest.raises(InputError, match="zone_centroids"):
        solve(two_zone_instance(), "highs").to_geojson()


def test_solve_takes_options_by_keyword_only():
    instance = two_zone_instance()
    with pytest.raises(TypeError):
        solve(instance, "admm", 1e-3)  # gap by position is gone
    with pytest.raises(InputError, match="unknown option"):
        solve(instance, "highs", gap=1e-3)
    with pytest.raises(InputError, match="unknown option"):
        solve(instance, "paper-admm", solver="ipm")
    with pytest.raises(InputError, match="backend"):
        solve(instance, "admm", backend="mpi")


@pytest.mark.parametrize("kwargs,field", [
    (dict(time_limit=-1), "time_limit"), (dict(time_limit=float("nan")), "time_limit"),
    (dict(time_limit="x"), "time_limit"), (dict(time_limit=0), "time_limit"),
    (dict(max_iterations=-1), "max_iterations"), (dict(max_iterations=2.5), "max_iterations"),
    (dict(threads=0), "threads"), (dict(threads=-1), "threads"), (dict(threads=2.5), "threads"),
    (dict(seed=-1), "seed"), (dict(seed=2.5), "seed"), (dict(progress="yes"), "progress"),
    (dict(check_every=0), "check_every"), (dict(gap=-1.0), "gap"), (dict(gap=float("nan")), "gap"),
])
def test_bad_limits_and_options_are_refused(kwargs, field):
    with pytest.raises(InputError) as info:
        solve(two_zone_instance(), "admm", **kwargs)
    assert info.value.field == field


@pytest.mark.parametrize("rho", [-1.0, float("nan"), 0.0, float("inf"), "x", True])
def test_paper_admm_refuses_a_penalty_that_is_not_positive(rho):
    with pytest.raises(InputError, match="rho"):
        solve(random_instance(1, zones=4, slots=4), "paper-admm", rho=rho)


def test_paper_admm_without_arcs_is_the_optimal_base_plan():
    instance = random_instance(2, zones=4, slots=5)
    base = solve(instance.with_range(0.0), "highs")
    for case in (instance.with_range(0.0), JointInstance([[1.0, 3.0]], [[0.5, 0.5]], [[0.0]], [2.0], 1e9)):
        result = solve(case, "paper-admm")
        assert result.status == "optimal" and result.gap == 0.0
        assert result.flows.shape == (case.slots, 0)
    assert solve(instance.with_range(0.0), "paper-admm").objective == pytest.approx(base.objective)


def test_recover_flows_refuses_capacities_that_are_not_numbers():
    instance = random_instance(3, zones=3, slots=4)
    for bad in ([math.nan] * 3, [-1.0, 1.0, 1.0], [math.inf] * 3, ["1"] * 3, [1.0, 2.0]):
        with pytest.raises(InputError, match="capacity_kw"):
            recover_flows(instance, bad)


def test_highs_time_limit_before_a_feasible_point_returns_the_known_plan():
    instance = random_instance(4, zones=40, slots=48)
    result = solve(instance, "highs", time_limit=1e-6)
    assert result.status == "time_limit" and result.feasible
    assert result.info["plan"] == "no-assignment"
    optimum = solve(instance, "highs").objective
    assert result.bound is not None and result.bound <= optimum * (1 + 1e-9) <= result.objective * (1 + 1e-9)
    assert max(result.violation.values()) == 0.0


def test_a_plan_that_breaks_a_constraint_is_reported_infeasible():
    from evcore.joint._result import make_result

    instance = two_zone_instance()
    flows = np.zeros((2, instance.pairs.count))
    result = make_result(instance, np.array([1.0, 1.0]), flows, lower_bound=0.0, status="gap_reached",
                         iterations=1, method="test", wall_time=0.0)
    assert result.status == "infeasible" and not result.feasible and result.info["ended"] == "gap_reached"
    fine = make_result(instance, np.array([10.0, 10.0]), flows, lower_bound=16000.0, status="optimal",
                       iterations=1, method="test", wall_time=0.0)
    assert fine.bound is None and fine.status == "feasible"  # a bound above a feasible plan's cost is no bound
    assert make_result(instance, np.array([10.0, 10.0]), flows, lower_bound=1.0, status="converged", iterations=1,
                       method="test", wall_time=0.0).status == "feasible"


def test_progress_callable_gets_records_and_nothing_reaches_stdout(capsys):
    records = []
    instance = random_instance(5, zones=5, slots=4)
    for method in ("highs", "paper-admm"):
        solve(instance, method, progress=records.append)
    assert records and all(isinstance(r, ProgressRecord) for r in records)
    assert {r.method for r in records} == {"joint.highs", "joint.paper-admm"}
    assert any(r.final for r in records)
    solve(instance, "paper-admm", progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "[joint.paper-admm]" in captured.err


def test_range_sweep_reports_zone_pairs_within_each_range():
    instance = random_instance(6, zones=6, slots=4)
    rows, results = range_sweep(instance, [0, 1, 3, 50], method="highs")
    assert [row["range_km"] for row in rows] == [0, 1, 3, 50]
    counts = [row["zone_pairs_within_range"] for row in rows]
    assert counts[0] == 0 and counts == sorted(counts) and counts[-1] == 15  # 6 zones: 15 pairs
    assert rows[-1]["share_of_pairs_pct"] == 100.0
    assert rows[2]["arcs"] == instance.with_range(3).pairs.count
    assert pairs_within(instance, 3)["zone_pairs_within_range"] == counts[2]
    for bad in (["x"], [-1.0], [math.nan], []):
        with pytest.raises(InputError, match="ranges"):
            range_sweep(instance, bad)


def _captured_figures(monkeypatch):
    import evcore.plotting

    figures = []
    monkeypatch.setattr(evcore.plotting, "save_figure", lambda figure, path: figures.append(figure) or path)
    return figures


def _assert_labelled(figure):
    from evcore.plotting import figure_problems

    assert figure_problems(figure) == []
    for ax in figure.axes:
        if ax.get_label() == "<colorbar>":
            assert ax.get_ylabel() or ax.get_xlabel(), "colour bar without a label"
            continue
        assert ax.get_xlabel(), f"axes {ax.get_title()!r} has no x label"
        assert ax.get_ylabel(), f"axes {ax.get_title()!r} has no y label"
        assert "(" in ax.get_ylabel() and "(" in ax.get_xlabel(), "labels carry units in brackets"
        legend = ax.get_legend()
        if legend is not None:
            labels = [text.get_text() for text in legend.get_texts()]
            drawn = [line.get_label() for line in ax.get_lines() if np.isfinite(line.get_ydata()).any()]
            assert labels == drawn, f"legend {labels} does not match the lines drawn {drawn}"


def test_every_joint_figure_has_labelled_axes_and_an_honest_legend(monkeypatch, results, small):
    figures = _captured_figures(monkeypatch)
    base = solve(small.with_range(0.0), "highs")
    plot_capacity(small, base, results["admm"], "capacity.png")
    plot_flows(small, results["admm"], "flows.png")
    plot_residuals(results["paper-admm"], "residuals.png", results["admm"])
    plot_residuals(results["paper-admm"], "residuals_alone.png")
    bare = small.replace(zone_centroids=None)  # no coordinates: bars over zones
    plot_capacity(bare, base, results["highs"], "capacity_bars.png")
    plot_flows(bare, results["highs"], "flows_bars.png")
    assert len(figures) == 6
    for figure in figures:
        _assert_labelled(figure)
    # the splitting's trace has no measured violation on this path: no legend entry for it
    legend = [t.get_text() for t in figures[2].axes[1].get_legend().get_texts()]
    assert legend == ["certified gap"] or "relative violation of (4)" in legend and np.isfinite(
        results["admm"].trace["relative_violation"]).any()


def test_infeasible_budget_still_raises():
    with pytest.raises(InfeasibleError, match="short by"):
        solve(two_zone_instance(budget=4000.0), "paper-admm")
