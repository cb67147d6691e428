"""Method "best": published optima, certificates (stop rule, bound validity), determinism, kernel twins."""

import itertools
import math

import numpy as np
import pytest

from evcore.assign import GAPInstance, random_ev_instance, read_orlib_gap, solve_exact, solve_gap
from evcore.assign import _best_kernels as k
from evcore.assign import _best_reference as ref
from evcore.assign import best
from evcore.assign.best import BestParameters, lagrangian_bound, solve_best
from evcore.errors import InfeasibleError, InputError

from _data import GAP_DATA, gap_optima, needs_gap_data
from _fuzz import run_in_subprocess

ORLIB_SMALL = [f"cattrysse1994/gap{group}-{index}" for group in range(1, 13) for index in range(5)]
TYPE_A = [f"chu1997/a{size}" for size in ("05100", "05200", "10100", "10200", "20100", "20200")]


def random_instance(seed, agents=5, jobs=20, tightness=0.8):
    rng = np.random.default_rng(seed)
    cost = rng.integers(10, 50, (agents, jobs)).astype(float)
    resource = rng.integers(5, 25, (agents, jobs)).astype(float)
    capacity = np.floor(tightness * resource.sum(axis=1) / agents)
    return GAPInstance(cost, resource, capacity, name=f"random-{seed}")


def enumerate_optimum(instance: GAPInstance) -> float:
    """Exact optimum by enumerating every assignment (tiny instances only); inf if none is feasible."""
    best_value = math.inf
    jobs = np.arange(instance.jobs)
    for choice in itertools.product(range(instance.agents), repeat=instance.jobs):
        choice = np.array(choice)
        if not instance.allowed[choice, jobs].all():
            continue
        loads = np.bincount(choice, weights=instance.resource[choice, jobs], minlength=instance.agents)
        if np.all(loads <= instance.capacity + 1e-9 * np.maximum(1.0, instance.capacity)):
            best_value = min(best_value, math.fsum(instance.cost[choice, jobs].tolist()))
    return best_value


def extreme_instance(seed, agents=3, jobs=7):
    """Costs spanning many orders of magnitude (and signs), resources too, a tight capacity."""
    rng = np.random.default_rng(seed)
    magnitude = 10.0 ** rng.uniform(-6, 12, (agents, jobs)) if seed % 2 else 10.0 ** rng.uniform(0, 3, (agents, jobs))
    sign = np.where(rng.random((agents, jobs)) < 0.2, -1.0, 1.0) if seed % 3 == 0 else 1.0
    cost = sign * magnitude
    resource = 10.0 ** rng.uniform(-3, 3, (agents, jobs)) if seed % 4 == 1 else rng.uniform(1, 10, (agents, jobs))
    capacity = (0.5 + 0.3 * rng.random()) * resource.sum(axis=1) / agents * 1.5
    capacity = np.maximum(capacity, resource.min(axis=0).max())
    return GAPInstance(cost, resource, capacity, name=f"extreme-{seed}")


@pytest.fixture(scope="module")
def compiled():
    """Compile (or load from cache) the kernels first: runs with a time limit must not pay for it."""
    k.warm_up()
    solve_best(random_instance(0), max_iterations=10)


# --- published optima --------------------------------------------------------------------------


@pytest.mark.slow
@needs_gap_data
def test_reaches_every_orlib_gap1_to_12_optimum(compiled):
    optima = gap_optima()
    missed = []
    for name in ORLIB_SMALL:
        result = solve_best(read_orlib_gap(GAP_DATA / name), time_limit=2.0, target=optima[name])
        if not (result.feasible and result.objective == optima[name]):
            missed.append((name, result.objective, optima[name]))
        assert result.bound <= optima[name]
    assert not missed


@pytest.mark.slow
@needs_gap_data
@pytest.mark.parametrize("name", TYPE_A[::2])
def test_reaches_type_a_optimum(name, compiled):
    optimum = gap_optima()[name]
    result = solve_best(read_orlib_gap(GAP_DATA / name), time_limit=10.0, target=optimum)
    assert result.feasible and result.objective == optimum
    assert result.bound <= optimum


# --- the stop rule and the certificate (issue 12, item 2) ----------------------------------------


def test_real_costs_stop_with_optimal_as_soon_as_the_bound_proves_it():
    # The case: non-integer costs, the LP is integral; the old rule compared with 1e-9.
    instance = random_ev_instance(200, 20, seed=1).to_gap()
    result = solve_best(instance, max_iterations=1_000_000)
    assert result.status == "optimal"
    assert result.iterations < 1_000_000  # stopped by the bound, not by the budget
    assert result.gap <= best.OPTIMAL_GAP
    assert result.bound <= result.objective + 1e-9 * abs(result.objective)
    # The dispatcher's path (solve_gap with a time limit) stops early too.
    assert solve_gap(instance, method="best", time_limit=60.0).status == "optimal"


def test_loose_gap_target_gives_gap_reached_and_exact_gap_can_be_asked():
    instance = random_instance(3, agents=8, jobs=60, tightness=0.9)
    loose = solve_best(instance, gap=0.5, max_iterations=20_000)
    assert loose.status in ("gap_reached", "optimal")
    assert loose.gap <= 0.5
    if loose.status == "gap_reached":
        assert loose.gap > best.OPTIMAL_GAP and loose.iterations < 20_000
    exact = solve_best(instance, gap=0.0, max_iterations=3000)
    assert exact.status in ("iteration_limit", "optimal")
    if exact.status == "optimal":
        assert exact.objective == exact.bound  # integer costs: the rounded bound is met
    with pytest.raises(InputError) as error:
        solve_best(instance, gap=-1e-3)
    assert error.value.field == "gap"


@pytest.mark.parametrize("seed", range(24))
def test_bound_and_certificate_are_valid_against_enumeration(seed):
    instance = extreme_instance(seed)
    optimum = enumerate_optimum(instance)
    if not math.isfinite(optimum):
        with pytest.raises(InfeasibleError):
            solve_best(instance, max_iterations=200)
        return
    result = solve_best(instance, seed=seed, max_iterations=400)
    tolerance = 1e-12 * max(1.0, abs(optimum))
    assert result.bound is None or result.bound <= optimum + tolerance
    if result.feasible:
        assert instance.is_feasible(result.assignment)
        assert result.objective >= optimum - 1e-9 * max(1.0, abs(optimum))
    if result.status == "optimal":
        assert result.objective - optimum <= best.OPTIMAL_GAP * max(abs(result.objective), 1e-12) + tolerance


@pytest.mark.parametrize("seed", range(12))
def test_lagrangian_bound_is_valid_for_any_multipliers(seed):
    instance = extreme_instance(100 + seed, agents=3, jobs=6)
    optimum = enumerate_optimum(instance)
    if not math.isfinite(optimum):
        return
    rng = np.random.default_rng(seed)
    for scale in (1e-6, 1.0, 1e3, 1e9):
        y = -scale * rng.random(instance.agents)
        assert lagrangian_bound(instance, y) <= optimum
    assert lagrangian_bound(instance, np.full(instance.agents, np.nan)) == -math.inf
    assert lagrangian_bound(instance, -np.full(instance.agents, 1e308)) <= optimum  # overflow: -inf


@pytest.mark.parametrize("seed", range(6))
def test_bound_never_exceeds_the_exact_optimum(seed):
    instance = random_instance(100 + seed, agents=4, jobs=18, tightness=0.75 + 0.03 * seed)
    exact = solve_exact(instance)
    result = solve_best(instance, seed=seed, max_iterations=20_000)
    assert result.bound <= exact.objective + 1e-9
    assert result.objective >= exact.objective - 1e-9
    if result.status == "optimal":
        assert result.objective == exact.objective
    assert result.gap == pytest.approx(max(result.objective - result.bound, 0) / result.objective)


def test_reduced_cost_fixing_does_not_lose_the_optimum():
    instance = random_instance(11, agents=5, jobs=25, tightness=0.8)
    optimum = solve_exact(instance).objective
    result = solve_best(instance, max_iterations=200_000, target=optimum)
    assert result.objective == optimum


def test_infeasible_instance_raises():
    instance = GAPInstance(np.ones((2, 3)), np.ones((2, 3)), np.ones(2))  # 3 unit jobs, 2 unit slots
    with pytest.raises(InfeasibleError):
        solve_best(instance)


# --- answers, determinism, progress ----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_answer_is_feasible_and_objective_re_evaluates(seed):
    instance = random_instance(seed, agents=6, jobs=40, tightness=0.85)
    result = solve_best(instance, seed=seed, max_iterations=3000, gap=0.0)
    assert result.feasible and instance.is_feasible(result.assignment)
    assert result.objective == instance.evaluate(result.assignment)[0]
    assert result.method == "best" and result.assignment.dtype == np.int64
    trace = result.trace
    assert trace.dtype.names == ("iteration", "seconds", "objective") and len(trace) >= 1
    assert np.all(np.diff(trace["objective"]) < 0) and np.all(np.diff(trace["seconds"]) >= 0)
    assert trace["objective"][-1] == result.objective


def test_same_seed_and_iteration_limit_same_answer_however_the_run_is_split(monkeypatch):
    instance = random_instance(7, agents=8, jobs=60, tightness=0.9)
    options = dict(max_iterations=4000, gap=0.0)
    first = solve_best(instance, seed=3, **options)
    second = solve_best(instance, seed=3, **options)
    # Progress returns to Python to report (here every 0.1 ms); the search must resume exactly.
    monkeypatch.setattr(best, "REPORT_SECONDS", 1e-4)
    records = []
    reported = solve_best(instance, seed=3, progress=records.append, **options)
    assert first.status == "iteration_limit" and first.iterations == 4000
    for other in (second, reported):
        assert other.objective == first.objective and other.iterations == first.iterations
        np.testing.assert_array_equal(other.assignment, first.assignment)
    assert len(records) > 3 and records[-1].final and records[0].method == "assign.best"
    generator_result = solve_best(instance, seed=np.random.default_rng(3), **options)
    assert generator_result.seed is None and generator_result.feasible


def test_same_answer_with_one_or_two_numba_threads():
    code = """
        import json, numpy as np
        from evcore.assign import GAPInstance
        from evcore.assign.best import solve_best
        rng = np.random.default_rng(5)
        cost = rng.integers(10, 50, (8, 60)).astype(float)
        resource = rng.integers(5, 25, (8, 60)).astype(float)
        capacity = np.floor(0.9 * resource.sum(axis=1) / 8)
        result = solve_best(GAPInstance(cost, resource, capacity), seed=4, max_iterations=3000, gap=0.0)
        print(json.dumps([result.objective, result.assignment.tolist()]))
    """
    one = run_in_subprocess(code, env={"NUMBA_NUM_THREADS": "1"})
    two = run_in_subprocess(code, env={"NUMBA_NUM_THREADS": "2"})
    assert one == two


def test_focus_from_200_jobs_is_the_default_and_thread_count_free():
    """max_candidates=None means every agent below FOCUS_FROM_JOBS jobs and FOCUS_CANDIDATES from there on."""
    options = dict(seed=2, max_iterations=400, gap=0.0)
    small = random_instance(3, agents=8, jobs=60, tightness=0.9)
    default, every = solve_best(small, **options), solve_best(small, max_candidates=8, **options)
    np.testing.assert_array_equal(default.assignment, every.assignment)
    large = random_instance(4, agents=8, jobs=best.FOCUS_FROM_JOBS, tightness=0.9)
    default = solve_best(large, **options)
    focused = solve_best(large, max_candidates=best.FOCUS_CANDIDATES, **options)
    np.testing.assert_array_equal(default.assignment, focused.assignment)
    assert default.feasible and large.is_feasible(default.assignment)
    code = """
        import json, numpy as np
        from evcore.assign import GAPInstance
        from evcore.assign.best import solve_best
        rng = np.random.default_rng(6)
        cost = rng.integers(10, 50, (8, 240)).astype(float)
        resource = rng.integers(5, 25, (8, 240)).astype(float)
        capacity = np.floor(0.9 * resource.sum(axis=1) / 8)
        result = solve_best(GAPInstance(cost, resource, capacity), seed=4, max_iterations=1500, gap=0.0)
        print(json.dumps([result.objective, result.assignment.tolist()]))
    """
    assert run_in_subprocess(code, env={"NUMBA_NUM_THREADS": "1"}) == run_in_subprocess(
        code, env={"NUMBA_NUM_THREADS": "2"})


def test_solve_gap_dispatches_to_best():
    result = solve_gap(random_instance(1), method="best", time_limit=2.0, max_iterations=2000)
    assert result.method == "best" and result.feasible


@pytest.mark.parametrize("field, value", [
    ("max_iterations", 0), ("stall_iterations", -1), ("restart_iterations", 2.5), ("tabu_tenure", 0),
    ("elite_size", 0), ("penalty_increase", 0.0), ("penalty_decrease", 1.0), ("reduced_cost_fixing", "yes"),
    ("target", float("nan")), ("max_iterations", True), ("gap", float("nan")), ("gap", math.inf),
    ("max_candidates", 0), ("ejection", 1.0),
])
def test_bad_parameters_name_the_field(field, value):
    with pytest.raises(InputError) as error:
        solve_best(random_instance(0), **{field: value})
    assert error.value.field == field


def test_bad_arguments():
    with pytest.raises(InputError, match="no_such_option"):
        solve_best(random_instance(0), no_such_option=1)
    for limit in (0, -1, math.nan, "x"):
        with pytest.raises(InputError) as error:
            solve_best(random_instance(0), time_limit=limit)
        assert error.value.field == "time_limit"
    for seed in ("abc", -1, 2.5, 2**70, True):
        with pytest.raises(InputError) as error:
            solve_best(random_instance(0), seed=seed)
        assert error.value.field == "seed"
    with pytest.raises(InputError):
        solve_best(random_instance(0), progress="yes")
    assert BestParameters().tabu_tenure == 6 and BestParameters().gap == best.DEFAULT_GAP


# --- compiled kernels against their plain-Python twins ---------------------------------------------


def test_sources_are_the_overloaded_agents_and_random_draws():
    instance, problem, _, state, _ = _search_state(3)
    rng_before = int(state.rng[0])
    k.choose_sources(problem, state, 2)
    twin = ref.XorShiftReference(rng_before)
    expected = [bool(load - cap > 1e-9) for load, cap in zip(state.loads, problem.capacity)]
    for _ in range(2):
        expected[twin.below(instance.agents)] = True
    assert state.source.tolist() == expected and int(state.rng[0]) == twin.state
    k.choose_sources(problem, state, instance.agents)
    assert state.source.all()


def test_random_numbers_match_twin():
    rng = np.array([12345], np.uint64)
    twin = ref.XorShiftReference(12345)
    for count in (1, 2, 7, 1000, 2**40):
        for _ in range(20):
            assert k.random_below(rng, count) == twin.below(count)
    assert int(rng[0]) == twin.state


def _search_state(seed, agents=5, jobs=14, max_candidates=4):
    rng = np.random.default_rng(seed)
    instance = random_instance(seed, agents, jobs)
    reduced = np.round(rng.uniform(0, 10, (agents, jobs)), 1)
    problem = k.make_problem(instance.kernel_cost(), instance.resource, instance.capacity, instance.allowed, reduced)
    candidates = k.make_candidates(problem, 7.0, max_candidates)
    assignment = rng.integers(0, agents, jobs).astype(np.int64)
    state = k.make_state(problem, assignment, rng.uniform(0.5, 5.0, agents), seed + 1, 3, 8)
    # Shuffle member lists the way moves leave them (swap-remove), so order matters in the twin.
    for _ in range(10):
        job = int(rng.integers(jobs))
        k._move_job(problem, state, job, int(rng.integers(agents)))
    state.counters[k.OVERLOADED] = k.count_overloaded(state.loads, problem.capacity)
    state.values[k.CURRENT_COST] = k.total_cost(problem.cost, state.assignment)
    state.tabu_until[:, :] = rng.integers(0, 10, (agents, jobs))
    state.counters[k.ITERATION] = 5
    return instance, problem, candidates, state, reduced


@pytest.mark.parametrize("seed", range(10))
def test_candidates_match_twin(seed):
    instance, problem, candidates, _, reduced = _search_state(seed)
    lists = ref.candidates_reference(instance.allowed.tolist(), reduced.tolist(), problem.cost.tolist(), 7.0, 4)
    for j in range(instance.jobs):
        assert candidates.agent_list[j, : candidates.agent_count[j]].tolist() == lists[j]
        assert set(np.flatnonzero(candidates.candidate[:, j])) == set(lists[j])


@pytest.mark.parametrize("seed", range(12))
def test_best_move_matches_twin(seed):
    instance, problem, candidates, state, _ = _search_state(seed)
    # A best cost just above the current one makes aspiration decide some tabu moves.
    state.values[k.BEST_COST] = state.values[k.CURRENT_COST] + (5.0 if seed % 2 else np.inf)
    members = [state.members[i, : state.member_count[i]].tolist() for i in range(instance.agents)]
    lists = [candidates.agent_list[j, : candidates.agent_count[j]].tolist() for j in range(instance.jobs)]
    twin_rng = ref.XorShiftReference(int(state.rng[0]))
    ejection = seed % 3 != 0
    if seed % 4 >= 2:  # a step that examines some agents only
        k.choose_sources(problem, state, 2)
    else:
        state.source[:] = True
    twin_rng = ref.XorShiftReference(int(state.rng[0]))
    delta = k.best_move(problem, candidates, state, ejection)
    *move, twin_delta = ref.best_move_reference(
        problem.cost.tolist(), problem.resource.tolist(), problem.capacity.tolist(), state.penalty.tolist(),
        state.assignment.tolist(), members, lists, state.tabu_until.tolist(), 5, float(state.values[k.BEST_COST]),
        twin_rng, ejection, state.source.tolist())
    assert state.move.tolist() == move
    assert delta == pytest.approx(twin_delta, abs=1e-9)
    assert int(state.rng[0]) == twin_rng.state


@pytest.mark.parametrize("seed", range(5))
def test_relink_matches_twin(seed):
    instance, problem, candidates, state, _ = _search_state(seed)
    guide = np.random.default_rng(50 + seed).integers(0, instance.agents, instance.jobs).astype(np.int64)
    start = state.assignment.tolist()
    taken = k.relink_toward(problem, candidates, state, guide, 6)
    expected, expected_taken = ref.relink_toward_reference(
        problem.cost.tolist(), problem.resource.tolist(), problem.capacity.tolist(), candidates.candidate.tolist(),
        state.penalty.tolist(), start, guide.tolist(), 6)
    assert taken == expected_taken and state.assignment.tolist() == expected
    fresh = np.zeros(instance.agents)
    k.compute_loads(problem.resource, state.assignment, fresh)
    np.testing.assert_allclose(state.loads, fresh, atol=1e-9)


def test_incremental_bookkeeping_stays_exact_over_a_long_search():
    instance = random_instance(21, agents=6, jobs=40, tightness=0.85)
    reduced = np.zeros((instance.agents, instance.jobs))
    problem = k.make_problem(instance.kernel_cost(), instance.resource, instance.capacity, instance.allowed, reduced)
    candidates = k.make_candidates(problem, np.inf, 5)
    state = k.make_state(problem, np.zeros(instance.jobs, np.int64), np.ones(instance.agents), 99, 4, 64)
    settings = k.Settings(3, 9, 150, 2**62, 3, 5, 2, True, False, 0.1, 0.05, 1e-3, 1.0, -np.inf, 1e-9)
    for stop in range(50, 3001, 50):
        k.tabu_search(problem, candidates, state, settings,
                      k.Limits(0.0, np.inf, np.inf, stop, -np.inf, -np.inf, 0.0))
        loads = np.zeros(instance.agents)
        k.compute_loads(problem.resource, state.assignment, loads)
        np.testing.assert_allclose(state.loads, loads, atol=1e-9)
        assert state.counters[k.OVERLOADED] == k.count_overloaded(loads, problem.capacity)
        assert state.values[k.CURRENT_COST] == pytest.approx(k.total_cost(problem.cost, state.assignment))
        for i in range(instance.agents):
            members = state.members[i, : state.member_count[i]]
            assert sorted(members.tolist()) == np.flatnonzero(state.assignment == i).tolist()
            assert np.all(state.position[members] == np.arange(members.size))
    assert np.isfinite(state.values[k.BEST_COST]) and instance.is_feasible(state.best_assignment)


def test_warm_up_runs():
    k.warm_up()
