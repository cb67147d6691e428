"""Numba kernels of evcore.queueing (cached to disk: compiled once per machine).

Twins: :func:`evcore.queueing._reference.uniformization_transient`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _grown(buffer, used):
    """``buffer`` if it has room for one more entry, else a copy twice as long."""
    if used < buffer.shape[0]:
        return buffer
    grown = np.empty(2 * buffer.shape[0])
    grown[:used] = buffer[:used]
    return grown


@njit(cache=True)
def poisson_window(mean, truncation):
    """Normalised Poisson(mean) weights on [first, first + len - 1], built in log space.

    Returns (first, weights); the neglected mass on each side is at most ``truncation``.
    """
    if mean <= 0.0:
        return 0, np.ones(1)
    mode = int(math.floor(mean))
    log_mean = math.log(mean)
    # Right side from the mode (log w_mode = 0); stop once the geometric tail bound is small.
    right = np.empty(64)
    right[0] = 0.0
    count_right = 1
    total = 1.0
    k = mode
    while True:
        ratio = mean / (k + 1)
        w = math.exp(right[count_right - 1])
        if ratio < 1.0 and w * ratio / (1.0 - ratio) <= truncation * total:
            break
        right = _grown(right, count_right)
        right[count_right] = right[count_right - 1] + log_mean - math.log(k + 1)
        total += math.exp(right[count_right])
        count_right += 1
        k += 1
    left = np.empty(64)
    count_left = 0
    last = 0.0
    k = mode
    while k > 0:
        ratio = k / mean
        w = math.exp(last)
        if ratio < 1.0 and w * ratio / (1.0 - ratio) <= truncation * total:
            break
        left = _grown(left, count_left)
        last += math.log(k) - log_mean
        left[count_left] = last
        total += math.exp(last)
        count_left += 1
        k -= 1
    weights = np.empty(count_left + count_right)
    for i in range(count_left):
        weights[i] = math.exp(left[count_left - 1 - i]) / total
    for i in range(count_right):
        weights[count_left + i] = math.exp(right[i]) / total
    return mode - count_left, weights


@njit(cache=True)
def uniformized_transient(generator, initial, times, truncation, out):
    """out[i, :] = initial @ expm(generator * times[i]) by dense uniformization.

    Parameters
    ----------
    generator : float64[:, ::1], shape (n, n)
    initial : float64[::1], shape (n,)
    times : float64[::1], shape (m,)
    truncation : float
    out : float64[:, ::1], shape (m, n), overwritten
    """
    n = initial.shape[0]
    rate = 0.0
    for i in range(n):
        rate = max(rate, -generator[i, i])
    out[:, :] = 0.0
    if rate == 0.0:
        for t in range(times.shape[0]):
            out[t, :] = initial
        return
    jump = generator / rate
    for i in range(n):
        # 1 + q_ii / rate written as (rate + q_ii) / rate keeps the digits of small exit rates.
        jump[i, i] = (rate + generator[i, i]) / rate
    m = times.shape[0]
    firsts = np.empty(m, np.int64)
    lasts = np.empty(m, np.int64)
    windows = []
    last_step = 0
    for t in range(m):
        first, weights = poisson_window(rate * times[t], truncation)
        firsts[t] = first
        lasts[t] = first + weights.shape[0] - 1
        windows.append(weights)
        last_step = max(last_step, lasts[t])
    state = initial.copy()
    following = np.empty(n)
    for step in range(last_step + 1):
        for t in range(m):
            if firsts[t] <= step <= lasts[t]:
                weight = windows[t][step - firsts[t]]
                for k in range(n):
                    out[t, k] += weight * state[k]
        if step < last_step:
            for j in range(n):
                following[j] = 0.0
            for i in range(n):
                s = state[i]
                if s != 0.0:
                    for j in range(n):
                        following[j] += s * jump[i, j]
            state, following = following, state


def warm_up():
    """Call every kernel once on tiny inputs (used by benchmarks/bench_compile.py)."""
    from .jit import mmc_wait_jit

    generator = np.array([[-1.0, 1.0], [2.0, -2.0]])
    out = np.zeros((1, 2))
    uniformized_transient(generator, np.array([1.0, 0.0]), np.array([0.5]), 1e-16, out)
    mmc_wait_jit(3, 2.0, 1.0)
