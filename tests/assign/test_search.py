"""HASP and its rivals (tabu, bees, DE-SK): feasibility, exactness on small problems, limits."""

import numpy as np
import pytest

from evcore.assign import GAPInstance, random_ev_instance, read_orlib_gap, solve_exact, solve_gap
from evcore.assign import _kernels as shared
from evcore.assign import _method_kernels as mk
from evcore.assign import _search_kernels as sk
from evcore.assign.search import kernel_arrays, solve_bees, solve_de, solve_hasp, solve_tabu
from evcore.errors import InputError
from evcore.heuristics import rng_state

from _data import GAP_DATA, gap_optima, needs_gap_data

SOLVERS = {"hasp": solve_hasp, "tabu": solve_tabu, "bees": solve_bees, "de": solve_de}
#: Iteration budgets that keep the suite fast yet solve 4 x 15 problems exactly.
SMALL_BUDGET = {
    "hasp": {"max_generations": 1500, "stall_generations": 500},
    "tabu": {"max_moves": 4000, "stall_iterations": 2000},
    "bees": {"max_cycles": 300, "stall_cycles": 100},
    "de": {"max_generations": 300, "stall_generations": 80},
}


@pytest.fixture(scope="module", autouse=True)
def compiled():
    """Compile (or load from cache) before anything is timed."""
    sk.warm_up()
    mk.warm_up()


def random_gap(seed, agents=4, jobs=15, tightness=0.8, forbid=0.0):
    rng = np.random.default_rng(seed)
    cost = rng.integers(10, 50, (agents, jobs)).astype(float)
    resource = rng.integers(5, 25, (agents, jobs)).astype(float)
    cost[rng.uniform(size=cost.shape) < forbid] = np.inf
    cost[0, :] = np.where(np.isfinite(cost[0, :]), cost[0, :], 60.0)  # every job keeps an agent
    capacity = np.floor(tightness * resource.sum(axis=1) / agents)
    return GAPInstance(cost, resource, capacity)


def check_result(instance, result, method):
    """The reported objective and feasibility match an independent re-evaluation."""
    assert result.method == method
    assert result.assignment.shape == (instance.jobs,) and result.assignment.dtype == np.int64
    assert result.feasible == instance.is_feasible(result.assignment)
    if result.feasible:
        assert result.status in ("feasible", "iteration_limit", "time_limit")
        assert result.objective == pytest.approx(instance.evaluate(result.assignment)[0], abs=1e-9)
        loads = np.empty(instance.agents)
        assert shared.is_feasible(instance.resource, instance.capacity, instance.allowed, result.assignment, loads)
        assert shared.total_cost(instance.kernel_cost(), result.assignment) == pytest.approx(result.objective)
        # The trace improves monotonically and ends at the answer.
        assert len(result.trace) >= 1
        assert np.all(np.diff(result.trace["seconds"]) >= 0) and np.all(np.diff(result.trace["objective"]) < 0)
        assert np.all(np.diff(result.trace["iteration"]) >= 0)
        assert result.trace["objective"][-1] == pytest.approx(result.objective)
    else:
        assert result.status in ("infeasible", "time_limit") and result.objective == np.inf


@pytest.mark.parametrize("method", SOLVERS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reaches_exact_optimum_on_small_instances(method, seed):
    instance = random_gap(seed, forbid=0.15 if seed == 3 else 0.0)
    optimum = solve_exact(instance).objective
    result = SOLVERS[method](instance, seed=seed, **SMALL_BUDGET[method])
    check_result(instance, result, method)
    assert result.objective == pytest.approx(optimum)
    assert instance.allowed[result.assignment, np.arange(instance.jobs)].all()


@pytest.mark.parametrize("method", SOLVERS)
def test_same_seed_same_answer(method):
    instance = random_gap(7, agents=5, jobs=30)
    runs = [SOLVERS[method](instance, seed=11, **SMALL_BUDGET[method]) for _ in range(2)]
    assert np.array_equal(runs[0].assignment, runs[1].assignment)
    assert runs[0].objective == runs[1].objective and runs[0].iterations == runs[1].iterations
    assert runs[0].seed == 11
    from_generator = SOLVERS[method](instance, seed=np.random.default_rng(5), **SMALL_BUDGET[method])
    again = SOLVERS[method](instance, seed=np.random.default_rng(5), **SMALL_BUDGET[method])
    assert from_generator.seed == again.seed and np.array_equal(from_generator.assignment, again.assignment)
    replay = SOLVERS[method](instance, seed=from_generator.seed, **SMALL_BUDGET[method])
    assert np.array_equal(replay.assignment, from_generator.assignment)


@needs_gap_data
@pytest.mark.parametrize("name", ["cattrysse1994/gap1-0", "cattrysse1994/gap6-2", "cattrysse1994/gap12-4"])
def test_hasp_reaches_published_optima(name):
    instance = read_orlib_gap(GAP_DATA / name)
    result = solve_hasp(instance, seed=0, stall_generations=3000, time_limit=20)
    check_result(instance, result, "hasp")
    assert result.objective == gap_optima()[name]


@needs_gap_data
@pytest.mark.parametrize("method", ["tabu", "bees", "de"])
def test_rivals_on_a_published_instance(method):
    name = "cattrysse1994/gap3-1"
    instance = read_orlib_gap(GAP_DATA / name)
    result = SOLVERS[method](instance, seed=0, time_limit=10)
    check_result(instance, result, method)
    assert result.objective <= 1.02 * gap_optima()[name]


@pytest.mark.parametrize("method", SOLVERS)
def test_time_limit_is_respected(method):
    instance = random_gap(9, agents=20, jobs=300)
    limit = 0.4
    result = SOLVERS[method](instance, seed=0, time_limit=limit)
    check_result(instance, result, method)
    assert result.wall_time < 3 * limit + 0.5
    assert result.status in ("time_limit", "feasible", "infeasible")


@pytest.mark.parametrize("method", SOLVERS)
def test_iteration_limit_status(method):
    instance = random_gap(4, agents=5, jobs=30)
    limit = {"hasp": "max_generations", "tabu": "max_moves", "bees": "max_cycles", "de": "max_generations"}
    for options in ({limit[method]: 3}, {"max_iterations": 3}):
        result = SOLVERS[method](instance, seed=0, **options)
        check_result(instance, result, method)
        assert result.iterations == 3
        assert result.status == "iteration_limit" or not result.feasible


@pytest.mark.parametrize("method", SOLVERS)
def test_infeasible_instance_is_never_reported_feasible(method):
    # Every job fits every agent alone, but each agent holds only one job: 4 jobs, 3 agents.
    impossible = GAPInstance(np.ones((3, 4)), np.full((3, 4), 2.0), np.full(3, 3.0))
    result = SOLVERS[method](impossible, seed=0, **SMALL_BUDGET[method])
    check_result(impossible, result, method)
    assert result.status == "infeasible" and not result.feasible
    # Exactly one feasible assignment: job j fits only agent j.
    cost = np.array([[9.0, 1.0, 1.0], [1.0, 9.0, 1.0], [1.0, 1.0, 9.0]])
    resource = np.array([[1.0, 2.0, 2.0], [2.0, 1.0, 2.0], [2.0, 2.0, 1.0]])
    tight = GAPInstance(cost, resource, np.full(3, 1.5))
    result = SOLVERS[method](tight, seed=0, **SMALL_BUDGET[method])
    check_result(tight, result, method)
    if result.feasible:
        assert list(result.assignment) == [0, 1, 2] and result.objective == 27.0


def test_ev_instance_and_solve_gap_entry_point(capsys):
    ev = random_ev_instance(30, 6, seed=2)
    gap = ev.to_gap()
    result = solve_gap(ev, method="hasp", seed=0, progress=True, stall_generations=300)
    check_result(gap, result, "hasp")
    assert result.objective == pytest.approx(solve_exact(gap).objective)
    captured = capsys.readouterr()
    assert captured.out == "" and "[assign.hasp]" in captured.err and "(done)" in captured.err


@pytest.mark.parametrize("method, options, field", [
    ("hasp", {"population_size": 1}, "population_size"),
    ("hasp", {"alpha": 1.5}, "alpha"),
    ("hasp", {"mutation_rate": float("nan")}, "mutation_rate"),
    ("hasp", {"mutation_swaps": 2.5}, "mutation_swaps"),
    ("hasp", {"generations": 10}, "generations"),
    ("bees", {"local_search": "yes"}, "local_search"),
    ("tabu", {"tenure_min": 9, "tenure_max": 3}, "tenure_max"),
    ("tabu", {"penalty_factor": 1.0}, "penalty_factor"),
    ("bees", {"selected_sites": 50}, "selected_sites"),
    ("bees", {"elite_sites": 20}, "elite_sites"),
    ("bees", {"patch_shrink": 0.0}, "patch_shrink"),
    ("de", {"population_size": 3}, "population_size"),
    ("de", {"scale": -0.5}, "scale"),
    ("de", {"crossover_rate": "high"}, "crossover_rate"),
])
def test_bad_parameters_name_the_field(method, options, field):
    with pytest.raises(InputError, match=field):
        SOLVERS[method](random_gap(0), **options)


@pytest.mark.parametrize("kwargs, field", [({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"),
                                           ({"seed": 2**70}, "seed"), ({"time_limit": 0}, "time_limit"),
                                           ({"time_limit": float("nan")}, "time_limit"),
                                           ({"max_iterations": 2.5}, "max_iterations")])
def test_bad_run_arguments(kwargs, field):
    with pytest.raises(InputError, match=field):
        solve_hasp(random_gap(0), **kwargs)
    with pytest.raises(InputError, match="instance"):
        solve_tabu(np.ones((2, 2)))


# --- kernels ----------------------------------------------------------------------------------


def test_greedy_construction_and_repair():
    instance = random_gap(5, agents=6, jobs=40, tightness=0.7)
    arrays = kernel_arrays(instance)
    assignment = np.empty(instance.jobs, np.int64)
    loads = np.empty(instance.agents)
    rng = rng_state(0)
    # Loose capacities: greedy (alpha = 0) gives every job a cheapest agent (ties drawn at random).
    loose = kernel_arrays(GAPInstance(instance.cost, instance.resource, instance.resource.sum(axis=1)))
    sk.grasp_construct(loose, rng, 0.0, assignment, loads)
    np.testing.assert_array_equal(instance.cost[assignment, np.arange(instance.jobs)], instance.cost.min(axis=0))
    # Tight capacities: repair turns the cheapest (overloaded) assignment into a feasible one.
    assignment[:] = np.argmin(instance.cost, axis=0)
    shared.compute_loads(arrays.resource, assignment, loads)
    penalty = np.full(instance.agents, arrays.big_penalty)
    assert sk.repair_capacity(arrays, penalty, assignment, loads)
    assert instance.is_feasible(assignment)
    np.testing.assert_allclose(loads, instance.evaluate(assignment)[1])


def test_kernel_arrays_are_cached_per_instance():
    instance = random_gap(5)
    assert kernel_arrays(instance) is kernel_arrays(instance)
    assert kernel_arrays(random_gap(5)) is not kernel_arrays(instance)


def test_swap_local_search_ends_at_a_local_optimum():
    instance = random_gap(6, agents=5, jobs=35)
    arrays = kernel_arrays(instance)
    cost, resource, capacity, allowed = arrays.cost, arrays.resource, arrays.capacity, arrays.allowed
    penalty = np.full(instance.agents, 50.0)
    assignment = np.random.default_rng(0).integers(0, instance.agents, instance.jobs).astype(np.int64)
    loads = np.empty(instance.agents)
    shared.compute_loads(resource, assignment, loads)
    before = shared.penalized_value(cost, resource, capacity, penalty, assignment, loads)
    assert sk.swap_local_search(arrays, penalty, assignment, loads) > 0
    after = shared.penalized_value(cost, resource, capacity, penalty, assignment, loads)
    assert after < before
    for job in range(instance.jobs):
        for agent in range(instance.agents):
            assert shared.shift_delta(cost, resource, capacity, penalty, loads, assignment, job, agent) > -1e-9
        for partner in range(instance.jobs):
            a, b = assignment[job], assignment[partner]
            if allowed[b, job] and allowed[a, partner]:
                assert shared.swap_delta(cost, resource, capacity, penalty, loads, assignment, job, partner) > -1e-9


def test_de_mapping_round_trip():
    arrays = kernel_arrays(random_gap(8, forbid=0.3))
    option_start, options = arrays.option_start, arrays.options
    rng = np.random.default_rng(1)
    jobs = option_start.size - 1
    assignment = np.array([rng.choice(options[option_start[j]:option_start[j + 1]]) for j in range(jobs)])
    position = np.empty(jobs)
    decoded = np.empty(jobs, np.int64)
    mk.encode_assignment(arrays, assignment, position)
    mk.decode_positions(arrays, position, decoded)
    assert np.array_equal(decoded, assignment) and np.all((position > 0) & (position < 1))


@pytest.mark.parametrize("method", SOLVERS)
def test_progress_pauses_resume_the_same_run(method, monkeypatch):
    from evcore.assign import search
    from evcore.progress import ProgressRecord

    instance = random_gap(13, agents=6, jobs=40)
    quiet = SOLVERS[method](instance, seed=4, **SMALL_BUDGET[method])
    records = []
    monkeypatch.setattr(search, "REPORT_SECONDS", 1e-4)  # pause and resume the kernel very often
    reported = SOLVERS[method](instance, seed=4, progress=records.append, **SMALL_BUDGET[method])
    assert np.array_equal(quiet.assignment, reported.assignment) and quiet.iterations == reported.iterations
    assert np.array_equal(quiet.trace["objective"], reported.trace["objective"])
    assert all(isinstance(r, ProgressRecord) for r in records) and records[-1].final
    assert len(records) >= 2 and records[-1].iteration == reported.iterations
    assert records[-1].method == f"assign.{method}"
