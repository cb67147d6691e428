"""Erlang B/C inside Numba kernels are the Cython kernels themselves."""

import numpy as np
import pytest
from numba import njit

from evcore.queueing import erlang_b, erlang_c, mmc
from evcore.queueing.jit import erlang_b_jit, erlang_c_jit, mmc_wait_jit


@njit(cache=True)
def _evaluate(servers, loads, arrival, service, out):
    for i in range(servers.shape[0]):
        out[0, i] = erlang_b_jit(servers[i], loads[i])
        out[1, i] = erlang_c_jit(servers[i], loads[i])
        out[2, i] = mmc_wait_jit(servers[i], arrival[i], service[i])


def test_numba_entry_points_equal_the_python_api():
    rng = np.random.default_rng(4)
    servers = rng.integers(1, 3000, 500)
    service = rng.uniform(0.5, 3.0, 500)
    arrival = rng.uniform(0.0, 1.2, 500) * servers * service
    arrival[:5] = 0.0
    loads = arrival / service
    out = np.empty((3, 500))
    _evaluate(servers, loads, arrival, service, out)
    assert np.array_equal(out[0], erlang_b(servers, loads))
    assert np.array_equal(out[1], erlang_c(servers, loads))
    expected = mmc(servers, arrival, service).wait
    assert np.allclose(out[2], expected, rtol=1e-14, atol=0) and np.array_equal(np.isinf(out[2]), np.isinf(expected))


def test_known_value_through_numba():
    assert mmc_wait_jit(5, 3.0, 1.0) == pytest.approx(mmc(5, 3.0, 1.0).wait, rel=1e-15)
