"""Metaheuristic building blocks shared by evcore's search methods.

- :mod:`evcore.heuristics.clock`: ``now_jit()``, a monotonic clock callable inside Numba
  kernels (time limits), and ``now()``, the same clock from Python.
- :mod:`evcore.heuristics._kernels`: operators over integer vectors (seeding, roulette and
  tournament selection, crossover, mutation, annealing, elite pool), all ``@njit(cache=True)``
  so that problem-specific kernels call them directly; plain twins in ``_reference``.
"""

from ._kernels import (
    geometric_temperature,
    insert_unique,
    metropolis_accept,
    minimisation_fitness,
    one_point_crossover,
    random_index,
    random_reset_mutation,
    roulette_select,
    seed_rng,
    tournament_select,
    uniform_crossover,
)
from .clock import now, now_jit

__all__ = [
    "now",
    "now_jit",
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
]
