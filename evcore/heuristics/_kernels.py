"""Legacy operators drawing from Numba's hidden global generator (siting's searches still use them).

New code uses the explicit-state operators of :mod:`evcore.heuristics._operators` (the random
stream travels in an array, so runs do not depend on what else draws in the thread). These
global-generator versions stay until evcore.siting moves to that stream; the operators that do
not draw are the same functions, imported from there.

Randomness comes from Numba's global generator, seeded with :func:`seed_rng`, and every
operator draws only ``np.random.random()`` uniforms. Numba's generator is the same MT19937 as
``numpy.random.RandomState``, so the plain-Python twins in :mod:`evcore.heuristics._reference`
reproduce each operator draw for draw from ``RandomState(seed).random_sample``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._operators import geometric_temperature, insert_unique, minimisation_fitness, roulette_pick

__all__ = [
    "seed_rng",
    "random_index",
    "minimisation_fitness",
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
def seed_rng(seed):
    """Seed Numba's generator (the one every kernel draws from) in this thread."""
    np.random.seed(seed)


@njit(cache=True)
def random_index(n):
    """A uniform integer in ``[0, n)`` from one uniform draw (``n >= 1``)."""
    index = int(np.random.random() * n)
    return index if index < n else n - 1


@njit(cache=True)
def roulette_select(weights):
    """Index drawn with probability proportional to ``weights`` (shape (n,), ``>= 0``).

    All-zero weights fall back to a uniform draw.
    """
    return roulette_pick(weights, np.random.random())


@njit(cache=True)
def tournament_select(values, size):
    """Best (smallest value) of ``size`` members drawn uniformly with replacement."""
    winner = random_index(values.shape[0])
    for _ in range(size - 1):
        challenger = random_index(values.shape[0])
        if values[challenger] < values[winner]:
            winner = challenger
    return winner


@njit(cache=True)
def uniform_crossover(parent_a, parent_b, child):
    """``child[j]`` from ``parent_a`` or ``parent_b`` with probability 1/2 each (child preallocated)."""
    for j in range(child.shape[0]):
        child[j] = parent_a[j] if np.random.random() < 0.5 else parent_b[j]


@njit(cache=True)
def one_point_crossover(parent_a, parent_b, child):
    """``child = parent_a[:cut] + parent_b[cut:]`` with ``cut`` uniform in ``[1, n)`` (n >= 2)."""
    n = child.shape[0]
    cut = 1 + random_index(n - 1) if n > 1 else 1
    for j in range(n):
        child[j] = parent_a[j] if j < cut else parent_b[j]


@njit(cache=True)
def random_reset_mutation(vector, rate, option_start, options):
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
        if np.random.random() < rate:
            start = option_start[j]
            value = options[start + random_index(option_start[j + 1] - start)]
            if value != vector[j]:
                vector[j] = value
                changed += 1
    return changed


@njit(cache=True)
def metropolis_accept(delta, temperature):
    """Accept a move that changes the objective by ``delta`` (Metropolis rule, minimisation).

    Improvements and ties are always accepted without drawing; a worsening move is accepted
    with probability ``exp(-delta / temperature)`` (never at temperature ``<= 0``).
    """
    if delta <= 0.0:
        return True
    if not temperature > 0.0:
        return False
    return np.random.random() < math.exp(-delta / temperature)


def warm_up():
    """Compile every kernel on tiny inputs (benchmarks/bench_compile.py)."""
    seed_rng(0)
    values = np.array([3.0, 1.0, 2.0])
    fitness = np.empty(3)
    minimisation_fitness(values, fitness)
    roulette_select(fitness)
    tournament_select(values, 2)
    a = np.array([0, 1, 2], np.int64)
    b = np.array([2, 1, 0], np.int64)
    child = np.empty(3, np.int64)
    uniform_crossover(a, b, child)
    one_point_crossover(a, b, child)
    random_reset_mutation(child, 0.5, np.array([0, 2, 4, 6], np.int64), np.array([0, 1, 0, 1, 0, 1], np.int64))
    metropolis_accept(1.0, geometric_temperature(1.0, 0.9, 3))
    insert_unique(np.zeros((2, 3), np.int64), np.full(2, np.inf), a, 1.0)
