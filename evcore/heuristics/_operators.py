"""Search operators over integer vectors, drawing from an explicit random stream.

Nothing here knows what the vector encodes (an assignment of jobs to agents, a set of open
sites): problem modules supply the vectors, the objective values and, for mutation, the values
each position may take. All operators minimise. Operators that draw take ``rng`` first (the
state array of :mod:`evcore.heuristics._rng`) and draw only :func:`random_float` uniforms, so
the plain twins in :mod:`evcore.heuristics._reference` follow them draw for draw from a
:class:`~evcore.heuristics._reference.RandomStream` of the same seed.

Value lists per position use a CSR layout: position ``j`` may take
``options[option_start[j]:option_start[j + 1]]``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._rng import random_below, random_float, rng_state

__all__ = [
    "minimisation_fitness",
    "roulette_pick",
    "roulette_select",
    "tournament_select",
    "uniform_crossover",
    "one_point_crossover",
    "random_reset_mutation",
    "geometric_temperature",
    "metropolis_accept",
    "insert_unique",
    "warm_up",
]


@njit(cache=True)
def minimisation_fitness(values, fitness):
    """Fitness for proportional selection from objective values (smaller value, larger fitness).

    Linear scaling ``fitness = worst - value + (worst - best) / n``: the worst member keeps a
    small chance, and the scale does not depend on the objective's offset. Non-finite values
    get fitness 0; if all finite values are equal, each gets 1.

    Parameters
    ----------
    values : numpy.ndarray, shape (n,)
    fitness : numpy.ndarray, shape (n,)
        Overwritten.
    """
    n = values.shape[0]
    best = np.inf
    worst = -np.inf
    for k in range(n):
        if np.isfinite(values[k]):
            best = min(best, values[k])
            worst = max(worst, values[k])
    span = worst - best
    for k in range(n):
        if not np.isfinite(values[k]):
            fitness[k] = 0.0
        elif span > 0.0:
            fitness[k] = worst - values[k] + span / n
        else:
            fitness[k] = 1.0


@njit(cache=True)
def roulette_pick(weights, uniform):
    """The index that the uniform draw ``uniform`` in [0, 1) selects, with probability
    proportional to ``weights`` (shape (n,), ``>= 0``); all-zero weights: ``floor(uniform n)``."""
    n = weights.shape[0]
    total = 0.0
    for k in range(n):
        total += weights[k]
    if not total > 0.0:
        index = int(uniform * n)
        return index if index < n else n - 1
    target = uniform * total
    cumulative = 0.0
    last_positive = 0
    for k in range(n):
        if weights[k] > 0.0:
            cumulative += weights[k]
            last_positive = k
            if target < cumulative:
                return k
    return last_positive  # rounding left target at the very top


@njit(cache=True)
def roulette_select(rng, weights):
    """Index drawn with probability proportional to ``weights`` (one draw; all-zero: uniform)."""
    return roulette_pick(weights, random_float(rng))


@njit(cache=True)
def tournament_select(rng, values, size):
    """Best (smallest value) of ``size`` members drawn uniformly with replacement."""
    winner = random_below(rng, values.shape[0])
    for _ in range(size - 1):
        challenger = random_below(rng, values.shape[0])
        if values[challenger] < values[winner]:
            winner = challenger
    return winner


@njit(cache=True)
def uniform_crossover(rng, parent_a, parent_b, child):
    """``child[j]`` from ``parent_a`` or ``parent_b`` with probability 1/2 each (child preallocated)."""
    for j in range(child.shape[0]):
        child[j] = parent_a[j] if random_float(rng) < 0.5 else parent_b[j]


@njit(cache=True)
def one_point_crossover(rng, parent_a, parent_b, child):
    """``child = parent_a[:cut] + parent_b[cut:]`` with ``cut`` uniform in ``[1, n)`` (n >= 2)."""
    n = child.shape[0]
    cut = 1 + random_below(rng, n - 1) if n > 1 else 1
    for j in range(n):
        child[j] = parent_a[j] if j < cut else parent_b[j]


@njit(cache=True)
def random_reset_mutation(rng, vector, rate, option_start, options):
    """Reset each position with probability ``rate`` to a uniform value from its own list.

    Parameters
    ----------
    vector : numpy.ndarray of int, shape (n,)
        Mutated in place.
    rate : float
        Per-position probability.
    option_start : numpy.ndarray of int, shape (n + 1,)
    options : numpy.ndarray of int
        Position ``j`` may take ``options[option_start[j]:option_start[j + 1]]``.

    Returns
    -------
    int
        Number of positions whose value changed.
    """
    changed = 0
    for j in range(vector.shape[0]):
        if random_float(rng) < rate:
            start = option_start[j]
            value = options[start + random_below(rng, option_start[j + 1] - start)]
            if value != vector[j]:
                vector[j] = value
                changed += 1
    return changed


@njit(cache=True)
def geometric_temperature(initial, ratio, step):
    """Annealing temperature ``initial * ratio ** step``."""
    return initial * ratio ** step


@njit(cache=True)
def metropolis_accept(rng, delta, temperature):
    """Accept a move that changes the objective by ``delta`` (Metropolis rule, minimisation).

    Improvements and ties are always accepted without drawing; a worsening move is accepted
    with probability ``exp(-delta / temperature)`` (never at temperature ``<= 0``).
    """
    if delta <= 0.0:
        return True
    if not temperature > 0.0:
        return False
    return random_float(rng) < math.exp(-delta / temperature)


@njit(cache=True)
def insert_unique(pool, pool_values, candidate, value):
    """Keep the best ``k`` distinct vectors: put ``candidate`` in place of the worst member.

    The candidate enters when it beats the worst member and no member is the same vector.
    Empty slots hold value ``+inf``. Serves as an elite pool and as steady-state population
    replacement.

    Parameters
    ----------
    pool : numpy.ndarray of int, shape (k, n)
    pool_values : numpy.ndarray, shape (k,)
    candidate : numpy.ndarray of int, shape (n,)
    value : float

    Returns
    -------
    int
        The slot written, or -1 when the candidate was rejected.
    """
    worst = 0
    for k in range(pool.shape[0]):
        if pool_values[k] > pool_values[worst]:
            worst = k
    if not value < pool_values[worst]:
        return -1
    for k in range(pool.shape[0]):
        if pool_values[k] == value and np.array_equal(pool[k], candidate):
            return -1
    pool[worst, :] = candidate
    pool_values[worst] = value
    return worst


def warm_up():
    """Compile every kernel on tiny inputs (benchmarks/bench_compile.py)."""
    rng = rng_state(0)
    values = np.array([3.0, 1.0, 2.0])
    fitness = np.empty(3)
    minimisation_fitness(values, fitness)
    roulette_select(rng, fitness)
    tournament_select(rng, values, 2)
    a = np.array([0, 1, 2], np.int64)
    b = np.array([2, 1, 0], np.int64)
    child = np.empty(3, np.int64)
    uniform_crossover(rng, a, b, child)
    one_point_crossover(rng, a, b, child)
    random_reset_mutation(rng, child, 0.5, np.array([0, 2, 4, 6], np.int64), np.array([0, 1, 0, 1, 0, 1], np.int64))
    metropolis_accept(rng, 1.0, geometric_temperature(1.0, 0.9, 3))
    insert_unique(np.zeros((2, 3), np.int64), np.full(2, np.inf), a, 1.0)
