"""M/M/c/c transients against scipy's matrix exponential, closed forms and the stationary law."""

import numpy as np
import pytest
from scipy.linalg import expm

from evcore.errors import InputError
from evcore.queueing import erlang_b, free_server_probability, loss_stationary, loss_transient, transient
from evcore.queueing import _native
from evcore.queueing._reference import (
    loss_generator,
    loss_stationary_reference,
    uniformization_transient,
)


def expm_law(c, arrival, service, times, initial):
    generator = loss_generator(c, arrival, service)
    return np.array([initial @ expm(generator * t) for t in times])


def point_mass(c, state):
    p = np.zeros(c + 1)
    p[state] = 1.0
    return p


@pytest.mark.parametrize(
    ("c", "arrival", "service", "state"),
    [(1, 0.7, 1.3, 0), (1, 2.0, 0.5, 1), (5, 3.0, 1.0, 0), (5, 3.0, 1.0, 5), (20, 30.0, 1.0, 7),
     (50, 40.0, 1.0, 50), (200, 180.0, 1.0, 0), (200, 250.0, 1.5, 120)],
)
def test_transient_matches_expm(c, arrival, service, state):
    times = np.array([0.0, 0.01, 0.3, 1.0, 2.5, 7.0])
    law = loss_transient(c, arrival, service, times, state)
    reference = expm_law(c, arrival, service, times, point_mass(c, state))
    assert law.shape == (len(times), c + 1)
    assert np.max(np.abs(law - reference)) <= 1e-10


def test_single_server_closed_form():
    arrival, service = 1.7, 0.6
    times = np.linspace(0.0, 12.0, 40)
    law = loss_transient(1, arrival, service, times, initial_state=0)
    closed = arrival / (arrival + service) * (1.0 - np.exp(-(arrival + service) * times))
    np.testing.assert_allclose(law[:, 1], closed, rtol=0, atol=1e-13)
    np.testing.assert_allclose(law.sum(axis=1), 1.0, rtol=0, atol=1e-13)


@pytest.mark.parametrize(("c", "load"), [(1, 0.4), (8, 6.0), (60, 55.0), (200, 230.0), (1000, 950.0)])
def test_long_run_limit_is_truncated_poisson_and_erlang_b(c, load):
    service = 1.0
    law = loss_transient(c, load * service, service, [60.0], initial_state=0)[0]
    stationary = loss_stationary(c, load)
    np.testing.assert_allclose(law, stationary, rtol=0, atol=1e-10)
    assert stationary[-1] == pytest.approx(erlang_b(c, load), rel=1e-10)
    np.testing.assert_allclose(stationary, loss_stationary_reference(c, load), rtol=1e-10, atol=1e-300)


def test_no_underflow_when_uniformized_mean_is_large():
    # Lambda t = (950 + 1000) * 3 = 5850 >> 745, where exp(-Lambda t) underflows.
    law = loss_transient(1000, 950.0, 1.0, [3.0, 20.0], initial_state=0)
    assert np.all(np.isfinite(law)) and np.all(law >= 0)
    np.testing.assert_allclose(law.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(law[1], loss_stationary(1000, 950.0), atol=1e-10)
    first, weights = _native.poisson_weights(1e6, 1e-16)
    assert weights.sum() == pytest.approx(1.0, abs=1e-14) and first > 990_000
    assert first + np.argmax(weights) in (999_999, 1_000_000)


def test_unsorted_and_repeated_times():
    times = np.array([2.0, 0.0, 0.5, 2.0])
    law = loss_transient(6, 4.0, 1.0, times, 2)
    reference = expm_law(6, 4.0, 1.0, times, point_mass(6, 2))
    assert np.max(np.abs(law - reference)) <= 1e-12


def test_initial_distribution():
    c = 10
    initial = np.full(c + 1, 1.0 / (c + 1))
    law = loss_transient(c, 8.0, 1.0, [0.0, 0.4, 3.0], initial)
    reference = expm_law(c, 8.0, 1.0, [0.0, 0.4, 3.0], initial)
    assert np.max(np.abs(law - reference)) <= 1e-12


def test_free_server_probability_backward_equals_forward():
    c, arrival, service = 12, 10.0, 1.0
    times = np.linspace(0.0, 3.0, 13)
    states = np.array([0, 3, 12])
    free = free_server_probability(c, arrival, service, times, states)
    assert free.shape == (13, 3)
    for j, state in enumerate(states):
        forward = loss_transient(c, arrival, service, times, int(state))
        np.testing.assert_allclose(free[:, j], 1.0 - forward[:, -1], atol=1e-13)
    single = free_server_probability(c, arrival, service, times, 3)
    assert single.shape == (13,)
    np.testing.assert_allclose(single, free[:, 1], atol=0)
    assert free[0, 2] == pytest.approx(0.0, abs=1e-15)  # full now: nothing free at t = 0


def test_native_kernel_matches_python_twin():
    c, arrival, service = 30, 25.0, 1.2
    times = np.array([0.0, 0.2, 1.0, 4.0])
    law = loss_transient(c, arrival, service, times, 4)
    twin = uniformization_transient(loss_generator(c, arrival, service), point_mass(c, 4), times)
    np.testing.assert_allclose(law, twin, rtol=0, atol=1e-12)


def test_generic_transient_numba_kernel():
    rng = np.random.default_rng(2)
    n = 15
    generator = rng.uniform(0, 2, (n, n)) * (rng.uniform(size=(n, n)) < 0.4)
    np.fill_diagonal(generator, 0.0)
    np.fill_diagonal(generator, -generator.sum(axis=1))
    initial = rng.dirichlet(np.ones(n))
    times = np.array([0.0, 0.05, 0.7, 3.0])
    law = transient(generator, initial, times)
    reference = np.array([initial @ expm(generator * t) for t in times])
    assert np.max(np.abs(law - reference)) <= 1e-10
    twin = uniformization_transient(generator, initial, times)
    np.testing.assert_allclose(law, twin, rtol=0, atol=1e-12)
    # Absorbing chain and a chain that never moves.
    np.testing.assert_allclose(transient(np.zeros((3, 3)), [0.2, 0.3, 0.5], [1.0, 5.0]), [[0.2, 0.3, 0.5]] * 2)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: loss_transient(0, 1.0, 1.0, [1.0]), "c"),
        (lambda: loss_transient(2.5, 1.0, 1.0, [1.0]), "c"),
        (lambda: loss_transient(3, -1.0, 1.0, [1.0]), "arrival_rate"),
        (lambda: loss_transient(3, 1.0, float("nan"), [1.0]), "service_rate"),
        (lambda: loss_transient(3, 1.0, 1.0, [1.0, -0.5]), "times"),
        (lambda: loss_transient(3, 1.0, 1.0, [[1.0]]), "times"),
        (lambda: loss_transient(3, 1.0, 1.0, [1.0], initial_state=4), "initial_state"),
        (lambda: loss_transient(3, 1.0, 1.0, [1.0], initial_state=[0.5, 0.5, 0.5, 0.0]), "initial_state"),
        (lambda: loss_transient(3, 1.0, 1.0, [1.0], initial_state=[0.5, 0.5]), "initial_state"),
        (lambda: free_server_probability(3, 1.0, 1.0, [1.0], [0, 5]), "initial_state"),
        (lambda: transient([[-1.0, 1.0], [1.0, -2.0]], [1.0, 0.0], [1.0]), "generator"),
        (lambda: transient([[1.0, -1.0], [1.0, -1.0]], [1.0, 0.0], [1.0]), "generator (off-diagonal entries)"),
        (lambda: transient([[-1.0, 1.0], [1.0, -1.0]], [0.7, 0.7], [1.0]), "initial"),
        (lambda: loss_stationary(3, -2.0), "a"),
    ],
)
def test_bad_input(call, field):
    with pytest.raises(InputError) as info:
        call()
    assert info.value.field == field
