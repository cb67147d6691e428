"""Metaheuristic scaffolding shared by evcore's search methods (assign, siting).

- Random numbers: one explicit-state generator (xorshift64*, state in a ``uint64`` array of
  shape (1,)) callable inside Numba kernels: :func:`rng_state`, :func:`random_float`,
  :func:`random_below`, :func:`spawn_states`; :class:`RandomStream` is its plain-Python twin
  (same seed, same numbers).
- Search loops: one control block (:class:`SearchControl`, made by :func:`search_control`)
  carrying the stream, the trace buffer, counters and limits; :func:`stop_reason` with the
  stop codes ``STOP_*``; :func:`record_best` / :func:`end_step` for the bookkeeping;
  :func:`trace_array` (the contract's structured trace, columns :data:`TRACE_COLUMNS`) and
  :func:`stop_status` (stop code -> contract status) on the Python side.
- Operators over integer vectors (selection, crossover, mutation, annealing, elite pool), all
  ``@njit(cache=True)``, drawing from the explicit stream; plain twins in ``_reference``.
- A monotonic clock readable inside kernels: :func:`now_jit` (and :func:`now` from Python).
"""

from ._operators import (
    geometric_temperature,
    insert_unique,
    metropolis_accept,
    minimisation_fitness,
    one_point_crossover,
    random_reset_mutation,
    roulette_pick,
    roulette_select,
    tournament_select,
    uniform_crossover,
)
from ._reference import RandomStream
from ._rng import random_below, random_float, random_u64, rng_state, spawn_states
from ._search import (
    RUNNING,
    STOP_DEADLINE,
    STOP_ITERATIONS,
    STOP_REPORT,
    STOP_STALLED,
    STOP_TARGET,
    TRACE_COLUMNS,
    SearchControl,
    end_step,
    record_best,
    search_control,
    stop_reason,
    stop_status,
    trace_array,
)
from .clock import now, now_jit

__all__ = [
    "now",
    "now_jit",
    "rng_state",
    "random_u64",
    "random_float",
    "random_below",
    "spawn_states",
    "RandomStream",
    "SearchControl",
    "search_control",
    "stop_reason",
    "record_best",
    "end_step",
    "trace_array",
    "stop_status",
    "TRACE_COLUMNS",
    "STOP_STALLED",
    "STOP_ITERATIONS",
    "STOP_DEADLINE",
    "STOP_TARGET",
    "STOP_REPORT",
    "RUNNING",
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
]
