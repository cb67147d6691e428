"""Same seed, same answer, also with 1 and 2 Numba threads (fresh processes), for every randomised
assign method and the dispatcher."""

import numpy as np
import pytest

from _fuzz import run_in_subprocess
from evcore.assign import generate_city, random_gap_instance, simulate_day, solve

METHODS = ("hasp", "tabu", "bees", "de")
BUDGET = {"hasp": 300, "tabu": 600, "bees": 15, "de": 15}

PROGRAM = """
import json
from evcore.assign import generate_city, random_gap_instance, simulate_day, solve
out = {}
instance = random_gap_instance(6, 40, "C", seed=11)
for method, steps in %r.items():
    result = solve(instance, method, seed=5, max_iterations=steps)
    out[method] = [result.objective, result.assignment.tolist(), result.iterations, result.trace["objective"].tolist()]
day = simulate_day(generate_city(6, 3, seed=2), evs=25, seed=3, hours=8.0, method="hasp")
out["dispatcher"] = [[d.ev, d.station, d.arrival_time_h] for d in day.decisions] + [day.outcome.tolist()]
print(json.dumps(out))
""" % (BUDGET,)


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_answer_in_process(method):
    instance = random_gap_instance(5, 30, "D", seed=3)
    first = solve(instance, method, seed=9, max_iterations=BUDGET[method])
    second = solve(instance, method, seed=9, max_iterations=BUDGET[method])
    assert np.array_equal(first.assignment, second.assignment) and first.objective == second.objective
    assert np.array_equal(first.trace["objective"], second.trace["objective"])
    other = solve(instance, method, seed=10, max_iterations=BUDGET[method])
    assert other.seed == 10 and first.seed == 9


def test_dispatcher_day_is_repeatable_in_process():
    city = generate_city(6, 3, seed=2)
    first = simulate_day(city, evs=20, seed=3, hours=8.0, method="hasp").to_frame()
    second = simulate_day(city, evs=20, seed=3, hours=8.0, method="hasp").to_frame()
    assert first.equals(second)


def test_thread_count_does_not_change_answers():
    one = run_in_subprocess(PROGRAM, env={"NUMBA_NUM_THREADS": "1"})
    two = run_in_subprocess(PROGRAM, env={"NUMBA_NUM_THREADS": "2"})
    assert one == two
    assert set(one) == {*METHODS, "dispatcher"}
