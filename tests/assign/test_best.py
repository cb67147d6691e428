"""Method "best": published optima, validity of answers, determinism, bounds, kernel twins."""

import numpy as np
import pytest

from evcore.assign import GAPInstance, read_orlib_gap, solve_exact, solve_gap
from evcore.assign import _best_kernels as k
from evcore.assign import _best_reference as ref
from evcore.assign import best
from evcore.assign.best import BestParameters, solve_best
from evcore.errors import InputError

from _data import GAP_DATA, gap_optima, needs_gap_data

ORLIB_SMALL = [f"cattrysse1994/gap{group}-{index}" for group in range(1, 13) for index in range(5)]
TYPE_A = [f"chu1997/a{size}" for size in ("05100", "05200", "10100", "10200", "20100", "20200")]


def random_instance(seed, agents=5, jobs=20, tightness=0.8):
    rng = np.random.default_rng(seed)
    cost = rng.integers(10, 50, (agents, jobs)).astype(float)
    resource = rng.integers(5, 25, (agents, jobs)).astype(float)
    capacity = np.floor(tightness * resource.sum(axis=1) / agents)
    return GAPInstance(cost, resource, capacity, name=f"random-{seed}")


@pytest.fixture(scope="module")
def compiled():
    """Compile (or load from cache) the kernels first: timed tests must not pay for it."""
    k.warm_up()
    solve_best(random_instance(0), max_iterations=10)


@pytest.mark.slow
@needs_gap_data
def test_reaches_every_orlib_gap1_to_12_optimum_within_a_second(compiled):
    optima = gap_optima()
    missed = []
    for name in ORLIB_SMALL:
        result = solve_best(read_orlib_gap(GAP_DATA / name), time_limit=1.0, target=optima[name])
        if not (result.feasible and result.objective == optima[name]):
            missed.append((name, result.objective, optima[name]))
    assert not missed


@pytest.mark.slow
@needs_gap_data
@pytest.mark.parametrize("name", TYPE_A)
def test_reaches_type_a_optimum(name, compiled):
    optimum = gap_optima()[name]
    result = solve_best(read_orlib_gap(GAP_DATA / name), time_limit=10.0, target=optimum)
    assert result.feasible and result.objective == optimum
    assert result.bound <= optimum


@pytest.mark.parametrize("seed", range(4))
def test_answer_is_feasible_and_objective_re_evaluates(seed):
    instance = random_instance(seed, agents=6, jobs=40, tightness=0.85)
    result = solve_best(instance, seed=seed, max_iterations=3000)
    assert result.feasible and instance.is_feasible(result.assignment)
    assert result.objective == instance.evaluate(result.assignment)[0]
    assert result.method == "best" and result.assignment.dtype == np.int64
    trace = result.trace  # the contract's structured trace (columns seconds, objective)
    assert trace.shape[0] >= 1
    assert np.all(np.diff(trace["objective"]) < 0) and np.all(np.diff(trace["seconds"]) >= 0)
    assert trace["objective"][-1] == result.objective


def test_same_seed_and_iteration_limit_same_answer_however_the_run_is_split(capsys, monkeypatch):
    instance = random_instance(7, agents=8, jobs=60, tightness=0.9)
    options = dict(max_iterations=4000, reduced_cost_fixing=False)
    first = solve_best(instance, seed=3, **options)
    second = solve_best(instance, seed=3, **options)
    # progress=True returns to Python to print (here every 0.1 ms); the search must resume exactly.
    monkeypatch.setattr(best, "REPORT_SECONDS", 1e-4)
    printed = solve_best(instance, seed=3, progress=True, **options)
    assert first.status == "iteration_limit" and first.iterations == 4000
    for other in (second, printed):
        assert other.objective == first.objective and other.iterations == first.iterations
        np.testing.assert_array_equal(other.assignment, first.assignment)
    assert capsys.readouterr().out.count("best: iteration") > 3
    generator_result = solve_best(instance, seed=np.random.default_rng(3), **options)
    assert generator_result.seed is None and generator_result.feasible


@pytest.mark.parametrize("seed", range(6))
def test_bound_never_exceeds_the_exact_optimum(seed):
    instance = random_instance(100 + seed, agents=4, jobs=18, tightness=0.75 + 0.03 * seed)
    exact = solve_exact(instance)
    result = solve_best(instance, seed=seed)
    assert result.bound <= exact.objective + 1e-9
    assert result.objective >= exact.objective - 1e-9
    if result.status == "optimal":
        assert result.objective == exact.objective
    assert result.gap == pytest.approx(max(result.objective - result.bound, 0) / result.objective)


def test_reduced_cost_fixing_does_not_lose_the_optimum():
    instance = random_instance(11, agents=5, jobs=25, tightness=0.8)
    optimum = solve_exact(instance).objective
    result = solve_best(instance, time_limit=5.0, target=optimum)
    assert result.objective == optimum


def test_infeasible_instance_reports_no_feasible():
    instance = GAPInstance(np.ones((2, 3)), np.ones((2, 3)), np.ones(2))  # 3 unit jobs, 2 unit slots
    result = solve_best(instance)
    assert result.status == "infeasible" and not result.feasible and result.objective == np.inf


def test_solve_gap_dispatches_to_best():
    result = solve_gap(random_instance(1), method="best", time_limit=2.0, max_iterations=2000)
    assert result.method == "best" and result.feasible


@pytest.mark.parametrize("field, value", [
    ("max_iterations", 0), ("stall_iterations", -1), ("restart_iterations", 2.5), ("tabu_tenure", 0),
    ("elite_size", 0), ("penalty_increase", 0.0), ("penalty_decrease", 1.0), ("reduced_cost_fixing", "yes"),
    ("target", float("nan")), ("max_iterations", True),
])
def test_bad_parameters_name_the_field(field, value):
    with pytest.raises(InputError) as error:
        solve_best(random_instance(0), **{field: value})
    assert error.value.field == field


def test_bad_arguments():
    with pytest.raises(InputError, match="no_such_option"):
        solve_best(random_instance(0), no_such_option=1)
    with pytest.raises(InputError) as error:
        solve_best(random_instance(0), time_limit=0)
    assert error.value.field == "time_limit"
    with pytest.raises(InputError) as error:
        solve_best(random_instance(0), seed="abc")
    assert error.value.field == "seed"
    assert BestParameters().tabu_tenure == 6


# --- compiled kernels against their plain-Python twins ---------------------------------------


def test_random_numbers_match_twin():
    rng = np.array([12345], np.uint64)
    twin = ref.XorShiftReference(12345)
    for count in (1, 2, 7, 1000, 2**40):
        for _ in range(20):
            assert k.random_below(rng, count) == twin.below(count)
    assert int(rng[0]) == twin.state


def _random_search_state(seed, agents=5, jobs=14):
    rng = np.random.default_rng(seed)
    instance = random_instance(seed, agents, jobs)
    penalty = rng.uniform(0.5, 5.0, agents)
    assignment = rng.integers(0, agents, jobs).astype(np.int64)
    candidate = rng.uniform(size=(agents, jobs)) < 0.8
    tabu_until = rng.integers(0, 10, (agents, jobs)).astype(np.int64)
    return instance, penalty, assignment, candidate, tabu_until


@pytest.mark.parametrize("seed", range(8))
def test_best_move_matches_twin(seed):
    instance, penalty, assignment, candidate, tabu_until = _random_search_state(seed)
    cost, resource, capacity = instance.kernel_cost(), instance.resource, instance.capacity
    loads = np.zeros(instance.agents)
    k.compute_loads(resource, assignment, loads)
    overloaded = k.count_overloaded(loads, capacity)
    current = k.total_cost(cost, assignment)
    # A best cost just above the current one makes aspiration decide some tabu moves.
    best_cost = current + (5.0 if seed % 2 else np.inf)
    move = np.zeros(3, np.int64)
    rng = np.array([seed + 1], np.uint64)
    twin_rng = ref.XorShiftReference(seed + 1)
    delta = k.best_move(cost, resource, capacity, candidate, penalty, loads, assignment, tabu_until, 5,
                        overloaded, current, best_cost, rng, move)
    kind, a, b, twin_delta = ref.best_move_reference(cost.tolist(), resource.tolist(), capacity.tolist(),
                                                     candidate.tolist(), penalty.tolist(), assignment.tolist(),
                                                     tabu_until.tolist(), 5, best_cost, twin_rng)
    assert (move[0], move[1], move[2]) == (kind, a, b)
    assert delta == pytest.approx(twin_delta, abs=1e-9)
    assert int(rng[0]) == twin_rng.state


@pytest.mark.parametrize("seed", range(5))
def test_relink_and_candidates_match_twins(seed):
    instance, penalty, assignment, candidate, _ = _random_search_state(seed)
    cost, resource, capacity = instance.kernel_cost(), instance.resource, instance.capacity
    guide = np.random.default_rng(50 + seed).integers(0, instance.agents, instance.jobs).astype(np.int64)
    loads = np.zeros(instance.agents)
    k.compute_loads(resource, assignment, loads)
    walked = assignment.copy()
    taken = k.relink_toward(cost, resource, capacity, candidate, penalty, loads, walked, guide, 6)
    expected, expected_taken = ref.relink_toward_reference(cost.tolist(), resource.tolist(), capacity.tolist(),
                                                           candidate.tolist(), penalty.tolist(),
                                                           assignment.tolist(), guide.tolist(), 6)
    assert taken == expected_taken and walked.tolist() == expected
    fresh = np.zeros(instance.agents)
    k.compute_loads(resource, walked, fresh)
    np.testing.assert_allclose(loads, fresh, atol=1e-9)

    reduced = np.random.default_rng(seed).uniform(0, 10, (instance.agents, instance.jobs))
    out = np.zeros_like(candidate)
    k.tighten_candidates(instance.allowed, reduced, 4.0, out)
    assert out.tolist() == ref.tighten_candidates_reference(instance.allowed.tolist(), reduced.tolist(), 4.0)


def test_warm_up_runs():
    k.warm_up()
