"""The explicit-state generator against its Python twin, and the search control block."""

import math

import numpy as np
import pytest
from numba import njit

from evcore.heuristics import (
    STOP_DEADLINE,
    STOP_ITERATIONS,
    STOP_REPORT,
    STOP_STALLED,
    STOP_TARGET,
    RUNNING,
    TRACE_COLUMNS,
    RandomStream,
    end_step,
    random_below,
    random_float,
    random_u64,
    record_best,
    rng_state,
    search_control,
    spawn_states,
    stop_reason,
    stop_status,
    trace_array,
)


@pytest.mark.parametrize("seed", [0, 1, 2, 12345, 2**63 - 1])
def test_stream_matches_twin_number_for_number(seed):
    rng = rng_state(seed)
    twin = RandomStream(seed)
    assert int(rng[0]) == twin.state and rng.dtype == np.uint64 and rng.shape == (1,)
    for n in range(1, 400):
        assert int(random_u64(rng)) == twin.random_u64()
        assert random_float(rng) == twin.random_float()
        assert random_below(rng, n) == twin.random_below(n)
    children = spawn_states(rng, 5)
    assert children[:, 0].tolist() == twin.spawn_states(5)
    assert RandomStream.from_array(rng).state == twin.state


def test_nearby_seeds_start_apart_and_the_state_is_never_zero():
    states = [int(rng_state(seed)[0]) for seed in range(1000)]
    assert len(set(states)) == 1000 and 0 not in states
    firsts = [random_float(rng_state(seed)) for seed in range(1000)]
    # Nearby seeds give unrelated first draws: roughly uniform over [0, 1).
    assert np.histogram(firsts, bins=10, range=(0, 1))[0].min() > 60


def test_uniforms_are_uniform_and_indices_cover_the_range():
    rng = rng_state(3)
    draws = np.array([random_float(rng) for _ in range(50000)])
    assert draws.min() >= 0.0 and draws.max() < 1.0
    assert abs(draws.mean() - 0.5) < 0.01 and abs(draws.var() - 1 / 12) < 0.002
    counts = np.bincount([random_below(rng, 7) for _ in range(70000)], minlength=7)
    chi2 = ((counts - 10000) ** 2 / 10000).sum()
    assert chi2 < 22.5  # 0.999 quantile, 6 degrees of freedom


def test_children_are_independent_of_the_order_they_are_used_in():
    rng = rng_state(9)
    children = spawn_states(rng, 4)
    forward = [random_float(children[k]) for k in range(4)]
    again = spawn_states(rng_state(9), 4)
    backward = [random_float(again[k]) for k in reversed(range(4))]
    assert forward == backward[::-1]
    assert len(set(children[:, 0].tolist())) == 4


@njit(cache=True)
def _toy_search(control, improve_every):
    """Counts steps, 'improving' every improve_every steps; returns the stop code."""
    while True:
        stop = stop_reason(control)
        if stop != RUNNING:
            return stop
        step = control.counters[1]
        improved = step % improve_every == 0
        if improved:
            record_best(control, 100.0 - step)
        end_step(control, improved)


def test_stop_codes_and_trace():
    control = search_control(0, max_steps=50, stall_limit=1000)
    assert _toy_search(control, 10) == STOP_ITERATIONS
    trace = trace_array(control)
    assert trace.dtype.names == TRACE_COLUMNS
    assert trace["iteration"].tolist() == [0, 10, 20, 30, 40]
    assert trace["objective"].tolist() == [100, 90, 80, 70, 60]
    assert np.all(np.diff(trace["seconds"]) >= 0)
    control = search_control(0, max_steps=1000, stall_limit=7)
    assert _toy_search(control, 10**9) == STOP_STALLED and control.counters[1] == 8
    control = search_control(0, max_steps=1000, target=95.0)
    assert _toy_search(control, 3) == STOP_TARGET and control.values[0] <= 95.0
    control = search_control(0, time_limit=1e-9)
    assert _toy_search(control, 1) == STOP_DEADLINE
    control = search_control(0, max_steps=10**12)._replace(report_at=0.0)
    assert _toy_search(control, 1) == STOP_REPORT and control.counters[1] == 0


def test_full_trace_keeps_the_final_best_in_its_last_row():
    control = search_control(0, max_steps=100, rows=4)
    _toy_search(control, 1)
    trace = trace_array(control)
    assert len(trace) == 4 and trace["objective"][-1] == 100.0 - 99


def test_stop_status_mapping():
    assert stop_status(STOP_STALLED, True) == "feasible"
    assert stop_status(STOP_TARGET, True) == "feasible"
    assert stop_status(STOP_ITERATIONS, True) == "iteration_limit"
    assert stop_status(STOP_DEADLINE, True) == "time_limit"
    assert stop_status(STOP_DEADLINE, False) == "infeasible"
    assert math.isinf(search_control(1).values[0])
