"""Same seed, same path: every GAP search kernel against its plain-Python twin (evcore.assign._reference).

The twins follow the kernels move for move and draw for draw from a RandomStream of the same
seed; a run of each must give the same trace (step and objective of every improvement), the
same answer, the same stop code and leave the random stream in the same state.
"""

import numpy as np
import pytest

from evcore.assign import GAPInstance
from evcore.assign import _reference as twin
from evcore.assign import _method_kernels as mk
from evcore.assign import _search_kernels as sk
from evcore.assign.search import kernel_arrays
from evcore.heuristics import STOP_STALLED, RandomStream, rng_state, search_control


def small_gap(seed, agents=4, jobs=14, tightness=0.8, forbid=0.1, integer=True):
    rng = np.random.default_rng(seed)
    cost = rng.integers(10, 50, (agents, jobs)).astype(float)
    if not integer:
        cost = cost + rng.uniform(0, 1, cost.shape).round(3) / 7.0
    resource = rng.integers(5, 25, (agents, jobs)).astype(float)
    cost[rng.uniform(size=cost.shape) < forbid] = np.inf
    cost[0, :] = np.where(np.isfinite(cost[0, :]), cost[0, :], 60.0)
    capacity = np.floor(tightness * resource.sum(axis=1) / agents)
    return GAPInstance(cost, resource, capacity)


SETTINGS = {
    "hasp": mk.HASPSettings(population_size=6, alpha=0.3, mutation_rate=0.5, mutation_swaps=2),
    "tabu": None,  # depends on the instance's penalty scales
    "bees": mk.BeesSettings(scouts=6, selected_sites=3, elite_sites=1, elite_recruits=4, other_recruits=2,
                            initial_patch=3, patch_shrink=0.8, abandon_after=3, scout_alpha=0.5, local_search=True),
    "de": mk.DESettings(population_size=5, scale=0.5, crossover_rate=0.3, local_search_rate=0.7, alpha=0.5),
}
KERNELS = {"hasp": (mk.hasp_state, mk.hasp_start, mk.hasp_run, twin.hasp_reference),
           "tabu": (mk.tabu_state, mk.tabu_start, mk.tabu_run, twin.tabu_reference),
           "bees": (mk.bees_state, mk.bees_start, mk.bees_run, twin.bees_reference),
           "de": (mk.de_state, mk.de_start, mk.de_run, twin.de_reference)}
STEPS = {"hasp": 60, "tabu": 150, "bees": 8, "de": 6}


def settings_for(method, arrays, **changes):
    if method == "tabu":
        settings = mk.TabuSettings(2, 5, 1.1, arrays.typical_penalty * 0.25, arrays.big_penalty)
    else:
        settings = SETTINGS[method]
    return settings._replace(**changes)


def run_both(method, instance, seed, max_steps, stall_limit=10**9, **changes):
    arrays = kernel_arrays(instance)
    settings = settings_for(method, arrays, **changes)
    make_state, start, run, reference = KERNELS[method]
    state = make_state(arrays, settings)
    control = search_control(seed, max_steps=max_steps, stall_limit=stall_limit)
    start(arrays, settings, state, control)
    stop = run(arrays, settings, state, control)
    expected = reference(arrays, settings, RandomStream(seed), max_steps, stall_limit)
    return state, control, stop, expected


def assert_same_path(state, control, stop, expected):
    rows = int(control.counters[0])
    trace = [(int(i), float(v)) for i, v in zip(control.trace[:rows, 0], control.trace[:rows, 2])]
    assert trace == expected["run"].trace
    assert stop == expected["stop"] and int(control.counters[1]) == expected["run"].step
    assert int(control.counters[2]) == expected["run"].stall
    assert state.best.tolist() == expected["best"] and control.values[0] == expected["run"].best_value
    assert int(control.rng[0]) == expected["run"].rng.state  # the same number of draws


@pytest.mark.parametrize("method", KERNELS)
@pytest.mark.parametrize("seed, integer", [(1, True), (2, True), (3, False)])
def test_kernel_and_twin_follow_the_same_path(method, seed, integer):
    instance = small_gap(seed, integer=integer)
    state, control, stop, expected = run_both(method, instance, seed, STEPS[method])
    assert_same_path(state, control, stop, expected)
    assert len(expected["run"].trace) >= 1  # the runs found something to compare
    if method == "hasp":
        assert state.population.tolist() == expected["population"] and state.values.tolist() == expected["values"]
    elif method == "tabu":
        assert state.assignment.tolist() == expected["assignment"]
        assert state.penalty.tolist() == expected["penalty"]
    elif method == "bees":
        assert state.sites.tolist() == expected["sites"] and state.values.tolist() == expected["values"]
    else:
        assert state.positions.tolist() == expected["positions"] and state.values.tolist() == expected["values"]


@pytest.mark.parametrize("method", KERNELS)
def test_same_path_through_a_stall_stop_and_a_tight_instance(method):
    instance = small_gap(11, agents=5, jobs=16, tightness=0.72, forbid=0.2)
    state, control, stop, expected = run_both(method, instance, 5, 10**6, stall_limit=STEPS[method] // 2)
    assert stop == STOP_STALLED
    assert_same_path(state, control, stop, expected)


def test_bees_without_local_search_matches_its_twin():
    state, control, stop, expected = run_both("bees", small_gap(4), 4, 10, local_search=False)
    assert_same_path(state, control, stop, expected)


# --- the building blocks --------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_grasp_repair_swap_and_mutation_match_their_twins(seed):
    instance = small_gap(20 + seed, agents=5, jobs=20, tightness=0.75, forbid=0.15, integer=seed % 2 == 0)
    arrays = kernel_arrays(instance)
    problem = twin.Problem(arrays)
    rng, stream = rng_state(seed), RandomStream(seed)
    assignment, loads = np.zeros(instance.jobs, np.int64), np.zeros(instance.agents)
    twin_assignment, twin_loads = [0] * instance.jobs, [0.0] * instance.agents
    for alpha in (0.0, 0.4, 1.0):
        sk.grasp_construct(arrays, rng, alpha, assignment, loads)
        twin.grasp_construct_reference(problem, stream, alpha, twin_assignment, twin_loads)
        assert assignment.tolist() == twin_assignment and loads.tolist() == twin_loads
    penalty = np.full(instance.agents, arrays.big_penalty)
    # Start repair from the all-cheapest (overloaded) assignment.
    assignment[:] = arrays.options[arrays.option_start[:-1]]
    twin_assignment = assignment.tolist()
    loads[:] = instance.evaluate(assignment)[1]
    twin_loads = loads.tolist()
    assert sk.repair_capacity(arrays, penalty, assignment, loads) == twin.repair_capacity_reference(
        problem, penalty.tolist(), twin_assignment, twin_loads)
    assert assignment.tolist() == twin_assignment and loads.tolist() == twin_loads
    assert sk.swap_mutation(arrays, rng, assignment, loads, 4) == twin.swap_mutation_reference(
        problem, stream, twin_assignment, twin_loads, 4)
    assert assignment.tolist() == twin_assignment and loads.tolist() == twin_loads
    weights = np.full(instance.agents, arrays.typical_penalty)
    assert sk.swap_local_search(arrays, weights, assignment, loads) == twin.swap_local_search_reference(
        problem, weights.tolist(), twin_assignment, twin_loads)
    assert assignment.tolist() == twin_assignment and loads.tolist() == twin_loads
    assert int(rng[0]) == stream.state
