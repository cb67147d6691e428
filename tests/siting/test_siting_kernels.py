"""Compiled siting kernels against their plain twins (evcore.siting._reference)."""

import math

import numpy as np
import pytest

from evcore.queueing import erlang_b, mmc
from evcore.queueing.jit import erlang_b_next, mmc_wait_from_b
from evcore.siting import SitingParameters, plan_result, random_case
from evcore.siting import _design, _evaluate, _search
from evcore.siting import _reference as reference
from evcore.heuristics import STOP_REPORT, now, search_control
from evcore.siting._arrays import kernel_arrays


@pytest.mark.parametrize("load", [10.0, 120.0, 999.5])
def test_erlang_step_helpers_match_the_queueing_module(load):
    b = 1.0
    for servers in range(1, 400):
        b = erlang_b_next(servers, load, b)
        if servers in (1, 7, 150, 399):
            assert b == pytest.approx(erlang_b(servers, load), rel=1e-11, abs=1e-300)
            expected = mmc(servers, load, 1.0).wait
            got = mmc_wait_from_b(servers, load, 1.0, b)
            assert (math.isinf(expected) and math.isinf(got)) or got == pytest.approx(expected, rel=1e-10)


def test_textbook_wait_matches_the_queueing_module():
    for servers, arrivals, hours in [(1, 0.5, 1.0), (5, 3.0, 1.0), (40, 5.5, 6.0), (300, 280.0, 1.0)]:
        assert reference.mmc_wait(servers, arrivals, hours) == pytest.approx(
            mmc(servers, arrivals, 1.0 / hours).wait, rel=1e-10)


@pytest.mark.parametrize("split", ["fixed", "optimise"])
@pytest.mark.parametrize("weight, kva_cap", [(0.5, float("inf")), (0.9, float("inf")), (0.5, 9000.0)])
def test_station_design_matches_enumeration(split, weight, kva_cap):
    instance = random_case(4, seed=0, split=split, parameters=SitingParameters(
        investment_weight=weight, max_piles=400, max_station_kva=kva_cap))
    design = kernel_arrays(instance).design
    out = np.empty(4)
    for load in [0.0, 1.0, 37.0, 240.0, 600.0, 1100.0]:
        _design.station_design(load, design, out)
        cost, slow, fast, wait = reference.station_design(instance, load)
        if math.isinf(cost):
            assert math.isinf(out[0]) and out[1] == -1
            continue
        assert out[0] == pytest.approx(cost, rel=1e-11)
        assert (int(out[1]), int(out[2])) == (slow, fast)
        assert out[3] == pytest.approx(wait, rel=1e-9, abs=1e-15)
        assert wait <= instance.parameters.max_wait_hours
        assert slow + fast >= instance.parameters.min_piles
        slow_kva, fast_kva = instance.parameters.pile_kva
        assert slow * slow_kva + fast * fast_kva <= kva_cap


def test_station_design_refuses_loads_beyond_max_piles_at_once():
    instance = random_case(4, seed=0, parameters=SitingParameters(max_piles=50))
    out = np.empty(4)
    for split in (False, True):
        _design.station_design(1e300, kernel_arrays(instance).design._replace(optimise_split=split), out)
        assert math.isinf(out[0]) and out[1] == -1


def test_optimised_split_is_never_worse_than_fixed():
    fixed = random_case(4, seed=0, split="fixed")
    free = fixed.with_changes(split="optimise")
    out_fixed, out_free = np.empty(4), np.empty(4)
    for load in [0.0, 50.0, 700.0, 2500.0]:
        _design.station_design(load, kernel_arrays(fixed).design, out_fixed)
        _design.station_design(load, kernel_arrays(free).design, out_free)
        assert out_free[0] <= out_fixed[0] + 1e-9


def _instances():
    base = random_case(9, seed=5, sites=7, parameters=SitingParameters(max_piles=800))
    yield base
    yield base.with_changes(max_distance_km=25.0)
    yield base.with_changes(stations=3, split="optimise")
    yield base.with_changes(service_range_km=6.0)


@pytest.mark.parametrize("instance", list(_instances()), ids=["free", "range", "count", "spacing"])
def test_plan_evaluation_matches_reference(instance):
    rng = np.random.default_rng(0)
    designs = {}
    for _ in range(12):
        plan = (rng.random(instance.num_sites) < 0.5).astype(np.int8)
        result = plan_result(instance, plan)
        expected = reference.plan_costs(instance, plan, designs=designs)
        assert np.array_equal(result.assigned_site, expected["assigned_site"])
        assert bool(result.violations) == (expected["violations"] > 0)  # messages group a count mismatch
        assert result.penalised_objective == pytest.approx(
            reference.penalised_objective(instance, plan, kernel_arrays(instance).penalty, designs), rel=1e-12)
        if expected["violations"] == 0:
            assert result.objective == pytest.approx(expected["objective"], rel=1e-12)
            assert result.investment_cost == pytest.approx(expected["investment"], rel=1e-12)
            assert result.user_cost == pytest.approx(expected["user"], rel=1e-12)
            assert np.array_equal(result.slow_piles, expected["slow"])
            assert np.array_equal(result.fast_piles, expected["fast"])
        else:
            assert math.isinf(result.objective) and result.penalised_objective >= 5e7 and not result.feasible
            assert result.status == "infeasible"


@pytest.mark.parametrize("instance", list(_instances()), ids=["free", "range", "count", "spacing"])
def test_incremental_flips_track_full_evaluation(instance):
    arrays = kernel_arrays(instance)
    state = _evaluate.new_state(arrays)
    _evaluate.evaluate_plan(arrays, state.is_open, state)
    rng = np.random.default_rng(1)
    check = _evaluate.new_state(arrays)
    for _ in range(200):
        site = int(rng.integers(instance.num_sites))
        _evaluate.flip(arrays, site, state)
        _evaluate.evaluate_plan(arrays, state.is_open.copy(), check)
        assert state.totals[0] == pytest.approx(check.totals[0], rel=1e-9, abs=1e-6)
        assert state.totals[1] == check.totals[1]  # violations
        assert np.array_equal(state.assigned_site, check.assigned_site)
        assert np.allclose(state.station_load, check.station_load)
        assert not state.load_change.any()  # the sparse scratch is left clean


def test_enumeration_matches_itertools():
    instance = random_case(8, seed=2, sites=8, parameters=SitingParameters(max_piles=800), max_distance_km=30.0)
    arrays = kernel_arrays(instance)
    control = search_control(0)
    search = _search.new_search(arrays)
    _search.enumerate_plans(arrays, control, search, 2**8)
    best = float(control.values[0])
    expected, plan = reference.enumerate_best(instance)
    assert search.tally[1] == 2 ** instance.num_sites
    assert best == pytest.approx(expected, rel=1e-10)
    assert plan_result(instance, search.best_open).objective == best  # exactly the full evaluation


def test_batch_evaluation_matches_plan_result():
    instance = random_case(10, seed=4, sites=6, parameters=SitingParameters(max_piles=800))
    plans = (np.random.default_rng(2).random((8, 6)) < 0.5).astype(np.int8)
    out = np.empty(8)
    arrays = kernel_arrays(instance)
    _evaluate.evaluate_batch(arrays, plans, out)
    assert out == pytest.approx([plan_result(instance, plan).penalised_objective for plan in plans], rel=1e-12)
    parallel = np.empty(8)
    _evaluate.evaluate_many(arrays, plans, parallel)  # blocks in parallel: same values
    assert np.array_equal(parallel, out)


def test_kernel_arrays_are_built_once_per_instance():
    instance = random_case(6, seed=1)
    first = kernel_arrays(instance)
    assert kernel_arrays(instance) is first
    assert kernel_arrays(instance, penalty=1e9).memo is first.memo  # the design memo is shared
    changed = instance.with_changes(stations=2)
    assert kernel_arrays(changed) is not first and kernel_arrays(changed).required_open == 2


SEARCH_CASES = {
    "free": random_case(10, seed=6, sites=8, parameters=SitingParameters(max_piles=800)),
    "count": random_case(10, seed=6, sites=8, parameters=SitingParameters(max_piles=800), stations=3),
    "range": random_case(10, seed=8, sites=8, parameters=SitingParameters(max_piles=800), max_distance_km=15.0),
}


def _run(kernel, instance, seed, steps, size, *extra, polish=False, report_every=None):
    """Run a search kernel to its step limit (resuming after progress pauses when asked)."""
    arrays = kernel_arrays(instance)
    control = search_control(seed, max_steps=steps)
    search = _search.new_search(arrays, size)
    pauses = 0
    while True:
        if report_every is not None:  # pause at the next check after a step: the resumed run is the same run
            control = control._replace(report_at=now() + 1e-4)
        stop = kernel(arrays, control, search, *extra)
        if stop != STOP_REPORT:
            break
        pauses += 1
    if polish:
        _search.polish(arrays, control, search)
    return float(control.values[0]), search.best_open.copy(), pauses


@pytest.mark.parametrize("case", list(SEARCH_CASES))
def test_searches_follow_their_plain_twins(case):
    """Same seed, same draws: the compiled SA, GA and ACO take the same path as the plain loops."""
    instance = SEARCH_CASES[case]
    penalty = kernel_arrays(instance).penalty

    value, plan, _ = _run(_search.anneal, instance, 5, 12, 1, 50.0, 0.8, 25, polish=True)
    twin_value, twin_plan = reference.anneal_reference(instance, 5, 50.0, 0.8, 12, 25, True, penalty)
    assert value == pytest.approx(twin_value, rel=1e-9) and np.array_equal(plan, twin_plan)

    value, plan, _ = _run(_search.genetic, instance, 3, 4, 16, 2, 0.6, 0.5)
    twin_value, twin_plan = reference.genetic_reference(instance, 3, 16, 4, 2, 0.6, 0.5, penalty)
    assert value == pytest.approx(twin_value, rel=1e-9) and np.array_equal(plan, twin_plan)

    value, plan, _ = _run(_search.ant_colony, instance, 4, 3, 8, 0.8, 0.7, 0.05, True)
    twin_value, twin_plan = reference.ant_colony_reference(instance, 4, 8, 3, 0.8, 1.0, 0.7, 0.05, True, penalty)
    assert value == pytest.approx(twin_value, rel=1e-9) and np.array_equal(plan, twin_plan)


@pytest.mark.parametrize("kernel, size, extra", [(_search.anneal, 1, (50.0, 0.8, 2000)),
                                                 (_search.genetic, 400, (2, 0.6, 0.5)),
                                                 (_search.ant_colony, 400, (0.8, 0.7, 0.05, True))],
                         ids=["sa", "ga", "aco"])
def test_a_paused_search_resumes_as_the_same_run(kernel, size, extra):
    instance = SEARCH_CASES["count"]
    straight = _run(kernel, instance, 9, 20, size, *extra)
    paused = _run(kernel, instance, 9, 20, size, *extra, report_every=True)
    assert paused[2] >= 1 and straight[0] == paused[0] and np.array_equal(straight[1], paused[1])


def test_a_paused_enumeration_resumes_as_the_same_run():
    instance = random_case(18, seed=1, parameters=SitingParameters(max_piles=400))
    arrays = kernel_arrays(instance)
    results = []
    for every in (None, True):
        control = search_control(0)
        search = _search.new_search(arrays)
        while True:
            if every:
                control = control._replace(report_at=now() + 1e-4)
            if _search.enumerate_plans(arrays, control, search, 2**18) != STOP_REPORT:
                break
        results.append((float(control.values[0]), search.best_open.copy(), int(search.tally[1])))
    assert results[0][0] == results[1][0] and np.array_equal(results[0][1], results[1][1])
    assert results[0][2] == results[1][2] == 2**18
