"""evcore.siting.solve: exact enumeration against itertools, heuristics against the exact optimum."""

from pathlib import Path

import numpy as np
import pytest

from evcore.errors import InfeasibleError, InputError
from evcore.siting import SitingInstance, SitingParameters, plan_result, random_case, solve
from evcore.siting import _reference as reference

SMALL = dict(parameters=SitingParameters(max_piles=800))
QUICK = {"sa": {}, "ga": {"population": 400, "generations": 60}, "aco": {"ants": 300, "iterations": 60}}


@pytest.mark.parametrize("changes", [{}, {"stations": 3}, {"max_distance_km": 25.0}, {"split": "optimise"}],
                         ids=["free", "count", "range", "split"])
def test_exact_equals_brute_force(changes):
    instance = random_case(9, seed=7, sites=8, **SMALL).with_changes(**changes)
    result = solve(instance, "exact")
    expected, plan = reference.enumerate_best(instance)
    assert result.status == "optimal" and result.feasible
    assert result.bound == result.objective and result.gap == 0.0
    assert result.objective == pytest.approx(expected, rel=1e-12)
    assert result.open_sites == tuple(np.flatnonzero(plan))
    assert result.open_site_ids == tuple(instance.site_names[j] for j in np.flatnonzero(plan))
    assert result.iterations == 2 ** 8
    costs = reference.plan_costs(instance, plan)
    assert result.total_cost == pytest.approx(costs["investment"] + costs["user"], rel=1e-12)
    w = instance.parameters.investment_weight
    assert result.objective == pytest.approx(w * result.investment_cost + (1 - w) * result.user_cost, rel=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("split", ["fixed", "optimise"])
def test_heuristics_reach_the_exact_optimum_on_20_candidates(split):
    """SA and GA (reduced budgets) reach the optimum; ACO as the paper configures it ends within
    0.1 % of it on every run and at the optimum on one of two seeds (measured over 10 instances x
    10 seeds: about one run in ten stops 0.03-0.07 % above the optimum, with either generator)."""
    for seed in range(3):
        instance = random_case(20, seed=seed, split=split)
        exact = solve(instance, "exact")
        assert exact.status == "optimal"
        for method, settings in {**QUICK, "aco": {}}.items():
            seeds = (0, 1) if method == "aco" else (0,)
            found = [solve(instance, method, seed=s, **settings).objective for s in seeds]
            assert min(found) >= exact.objective * (1 - 1e-12)  # nobody beats the optimum
            assert max(found) <= exact.objective * (1 + 1e-3), method
            assert min(found) == pytest.approx(exact.objective, rel=1e-9), method


@pytest.mark.parametrize("method", ["sa", "ga", "aco"])
def test_same_seed_same_answer(method):
    instance = random_case(15, seed=3)
    first = solve(instance, method, seed=11, **QUICK[method])
    again = solve(instance, method, seed=11, **QUICK[method])
    assert first.objective == again.objective and first.open_sites == again.open_sites
    assert np.array_equal(first.trace["objective"], again.trace["objective"])
    assert np.all(np.diff(first.trace["objective"]) <= 0)  # best-so-far never worsens
    assert first.status == "feasible" and first.seed == 11 and first.bound is None


def test_result_fields_and_station_count():
    instance = random_case(12, seed=1, stations=4)
    result = solve(instance, "sa", seed=0)
    assert result.stations == 4 and result.feasible and result.violations == ()
    opened = list(result.open_sites)
    assert np.all(result.piles[opened] >= instance.parameters.min_piles)
    assert np.all(np.delete(result.piles, opened) == 0)
    assert np.all(result.mean_wait_hours <= instance.parameters.max_wait_hours)
    assert result.total_capacity_kva == pytest.approx(result.capacity_kva.sum()) == result.kva_total
    assert set(result.assigned_site) <= set(opened)
    assert result.station_load.sum() == pytest.approx(instance.demand_per_day.sum())
    parts = result.cost_breakdown
    assert result.investment_cost == pytest.approx(
        parts["land"] + parts["facilities"] + parts["piles"] + parts["operating"] + parts["fixed_operating"])
    assert result.user_cost == pytest.approx(parts["energy"] + parts["travel_time"] + parts["queueing"])


def test_time_limit_returns_best_so_far():
    instance = random_case(30, seed=2)
    result = solve(instance, "ga", seed=0, time_limit=1e-6, population=200, generations=10_000)
    assert result.status == "time_limit" and result.iterations < 10_000
    assert np.isfinite(result.objective) and result.stations >= 1
    capped = solve(instance, "ga", seed=0, max_iterations=3, population=50)
    assert capped.status == "iteration_limit" and capped.iterations == 3


def test_violations_are_named():
    instance = random_case(6, seed=0, sites=6, max_distance_km=10.0, **SMALL)
    far = int(np.argmax(instance.distance_km[:, 0]))
    plan = np.zeros(6, np.int8)
    plan[0] = 1
    result = plan_result(instance, plan)
    if instance.distance_km[far, 0] > 10.0:
        assert not result.feasible
        assert any(v.startswith(f"anxiety range: demand point {far + 1} ") for v in result.violations)
    crowded = instance.with_changes(parameters={"max_piles": 6})
    overloaded = plan_result(crowded, np.ones(6, np.int8))
    assert any(v.startswith("wait limit: station at site") for v in overloaded.violations)


def test_unservable_demand_raises_with_reason():
    instance = random_case(5, seed=0, sites=2, **SMALL).with_changes(max_distance_km=1e-3)
    with pytest.raises(InfeasibleError, match="no candidate site within max_distance_km"):
        solve(instance, "sa")
    tiny = random_case(5, seed=0, parameters=SitingParameters(max_piles=5))
    with pytest.raises(InfeasibleError, match="cannot be served with a mean wait"):
        solve(tiny, "exact")


def test_bad_arguments():
    instance = random_case(5, seed=0)
    with pytest.raises(InputError, match="method"):
        solve(instance, "tabu")
    with pytest.raises(InputError, match="population"):
        solve(instance, "sa", population=3)
    with pytest.raises(InputError, match="keyword"):
        solve(instance, "sa", 3)  # a bare third argument is not taken as the seed
    with pytest.raises(InputError, match="cooling"):
        solve(instance, "sa", cooling=1.5)
    with pytest.raises(InputError, match="time_limit"):
        solve(instance, "sa", time_limit=-1)
    with pytest.raises(InputError, match="at most 24"):
        solve(random_case(30, seed=0), "exact")


def test_analysis_tables_and_figures(tmp_path):
    from evcore.siting.analysis import (
        ablation_table, pareto_table, plan_table, plot_convergence, plot_pareto, plot_plan, run_statistics,
        weight_sensitivity)

    instance = random_case(12, seed=2)
    rows, results = pareto_table(instance, range(2, 4), methods=("sa", "ga"), settings={"ga": QUICK["ga"]})
    assert [(r["method"], r["station_count"]) for r in rows] == [("sa", 2), ("sa", 3), ("ga", 2), ("ga", 3)]
    assert all(r["stations"] == r["station_count"] and r["feasible"] for r in rows)
    exact = solve(instance.with_changes(stations=3), "exact")
    assert results[("sa", 3)].objective == pytest.approx(exact.objective, rel=1e-9)
    stats, runs = run_statistics(instance, methods=("sa",), runs=3)
    assert stats[0]["runs"] == 3 and len(runs["sa"]) == 3
    assert stats[0]["best_objective"] == pytest.approx(min(r.objective for r in runs["sa"]), abs=1e-4)
    table = plan_table(instance, exact)
    served = " ".join(row["points_served"] for row in table).split()
    assert sorted(served, key=int) == list(instance.point_names)  # every point served once
    assert [row["site_id"] for row in table] == list(exact.open_site_ids)
    ablations, _ = ablation_table(instance)
    full = ablations[0]["total_cost"]
    # planning with a simplified model can never beat the full model's plan, priced by the full model
    assert all(row["objective"] >= ablations[0]["objective"] - 1e-6 for row in ablations)
    assert ablations[0]["extra_cost_vs_full_model"] == 0 and full > 0
    sensitivity, _ = weight_sensitivity(instance, weights=(0.7, 0.3))
    assert [row["investment_weight"] for row in sensitivity] == [0.7, 0.3]
    for path in (plot_plan(instance, exact, tmp_path / "plan.png"),
                 plot_convergence(results and {"sa": results[("sa", 2)]}, tmp_path / "conv.png"),
                 plot_pareto(rows, tmp_path / "pareto.png")):
        assert path.stat().st_size > 1000


def test_cli_and_demo(tmp_path, capsys):
    import json

    from evcore.cli import main

    code = main(["siting", "--points", "10", "--method", "exact", "--stations", "2", "--pareto", "1-3",
                 "--figures", str(tmp_path / "fig")])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["status"] == "optimal" and len(payload["open_site_ids"]) == 2
    assert [row["site_id"] for row in payload["stations"]] == payload["open_site_ids"]
    assert [row["station_count"] for row in payload["pareto"]] == [1, 2, 3]
    assert all(Path(f).exists() for f in payload["figures"])
    assert main(["siting", "--pareto", "5-x"]) == 2
    from evcore.siting._cli import demo

    part = demo(tmp_path / "demo")
    assert "optimum" in part["headline"] and all(Path(f).exists() for f in part["files"])


def _extreme_instance(seed: int):
    """Small instances at numerical corners: weights 0 and 1, land costs over nine orders of
    magnitude, zero and tiny demands, tight ranges, both splits, a fixed station count."""
    rng = np.random.default_rng(seed)
    points = int(rng.integers(3, 8))
    sites = int(rng.integers(2, points + 1))
    weight = float(rng.choice([0.0, 1e-9, 0.3, 0.5, 1.0 - 1e-9, 1.0]))
    parameters = SitingParameters(investment_weight=weight, max_piles=int(rng.choice([20, 60, 120])),
                                  value_of_time=float(rng.choice([0.0, 21.25, 2e4])),
                                  max_wait_hours=float(rng.choice([0.01, 0.5, 50.0])))
    demand = rng.choice([0.0, 1.0, 3.0, 40.0, 150.0], size=points).astype(float)
    xy = rng.uniform(0, 40, size=(points, 2))
    instance = SitingInstance(
        demand_per_day=demand, distance_km=np.sqrt(((xy[:, None, :] - xy[None, :sites, :]) ** 2).sum(-1)),
        land_cost=10.0 ** rng.uniform(-3, 6, size=sites), parameters=parameters,
        max_distance_km=float(rng.choice([np.inf, 30.0, 60.0])), split=str(rng.choice(["fixed", "optimise"])),
        stations=None if rng.random() < 0.6 else int(rng.integers(1, sites + 1)))
    return instance


@pytest.mark.parametrize("seed", range(20))
def test_exact_certificate_on_extreme_instances(seed):
    """'optimal' only when enumeration agrees: the exact method against itertools on corner cases."""
    instance = _extreme_instance(seed)
    expected, plan = reference.enumerate_best(instance)
    try:
        result = solve(instance, "exact")
    except InfeasibleError:
        assert plan is None  # nothing feasible by the reference either
        return
    assert plan is not None and result.status == "optimal"
    assert result.objective == pytest.approx(expected, rel=1e-11, abs=1e-12)
    value = reference.plan_costs(instance, result.is_open)
    assert value["violations"] == 0 and value["objective"] <= expected * (1 + 1e-11) + 1e-12
