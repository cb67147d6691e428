"""Plain-Python twins of the compiled queueing kernels.

Readable, slow, and used by the tests to check the Cython (``_erlang``), C++ (``_native``)
and Numba (``_kernels``) versions; also the baselines of ``benchmarks/bench_queueing.py``.
Nothing here is on a hot path.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def erlang_b_reference(servers: int, load: float) -> float:
    """Erlang B by the textbook recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1."""
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c_reference(servers: int, load: float) -> float:
    """Erlang C from Erlang B: C = c B / (c - a (1 - B)); 1 when a >= c."""
    if load >= servers:
        return 1.0
    blocking = erlang_b_reference(servers, load)
    return servers * blocking / (servers - load * (1.0 - blocking))


def mmc_reference(servers: int, arrival_rate: float, service_rate: float):
    """(mean wait in queue, mean queue length, P(wait > 0), utilisation) of an M/M/c queue."""
    load = arrival_rate / service_rate
    utilization = load / servers
    if load >= servers:
        return math.inf, math.inf, 1.0, utilization
    p_wait = erlang_c_reference(servers, load)
    wait = p_wait / (servers * service_rate - arrival_rate)
    return wait, arrival_rate * wait, p_wait, utilization


def min_servers_reference(arrival_rate: float, service_rate: float, target_wait: float) -> int:
    """Smallest c whose M/M/c mean wait is at most ``target_wait``, by trying c = 1, 2, ..."""
    servers = 1
    while mmc_reference(servers, arrival_rate, service_rate)[0] > target_wait:
        servers += 1
    return servers


def loss_generator(servers: int, arrival_rate: float, service_rate: float) -> np.ndarray:
    """Dense generator matrix Q, shape (c+1, c+1), of the M/M/c/c (Erlang loss) chain."""
    n = servers + 1
    generator = np.zeros((n, n))
    for k in range(n):
        if k < servers:
            generator[k, k + 1] = arrival_rate
        if k > 0:
            generator[k, k - 1] = k * service_rate
        generator[k, k] = -generator[k].sum()
    return generator


def loss_stationary_reference(servers: int, load: float) -> np.ndarray:
    """Truncated Poisson p_k = (a^k / k!) / sum_j (a^j / j!), k = 0..c, from log-weights."""
    log_weights = [k * math.log(load) - math.lgamma(k + 1) for k in range(servers + 1)]
    largest = max(log_weights)
    weights = [math.exp(w - largest) for w in log_weights]
    total = sum(weights)
    return np.array(weights) / total


def uniformization_transient(generator, initial, times, truncation: float = 1e-16) -> np.ndarray:
    """p(t) = p0 expm(Q t) by uniformization, one time after another.

    Parameters
    ----------
    generator : array_like, shape (n, n)
        CTMC generator (off-diagonal >= 0, rows sum to 0).
    initial : array_like, shape (n,)
        Initial distribution p0.
    times : array_like, shape (m,)
        Times >= 0.

    Returns
    -------
    numpy.ndarray, shape (m, n)
    """
    generator = np.asarray(generator, dtype=float)
    initial = np.asarray(initial, dtype=float)
    rate = float(np.max(-np.diag(generator))) if generator.size else 0.0
    out = np.zeros((len(times), len(initial)))
    if rate == 0.0:
        out[:] = initial
        return out
    jump = np.eye(len(initial)) + generator / rate
    for row, t in enumerate(times):
        mean = rate * t
        last = int(stats.poisson.isf(truncation, mean)) + 2 if mean > 0 else 0
        weights = stats.poisson.pmf(np.arange(last + 1), mean)  # log-space inside scipy
        state = initial.copy()
        for n in range(last + 1):
            out[row] += weights[n] * state
            state = state @ jump
    return out
