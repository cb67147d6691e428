"""EV-to-station assignment as a generalized assignment problem (seed 003).

- :class:`EVInstance` (the paper's model) maps to a :class:`GAPInstance`; OR-Library files are
  read with :func:`read_orlib_gap` / :func:`read_orlib_gaps` and written with
  :func:`write_orlib_gap`; :func:`random_ev_instance` and :func:`random_gap_instance` (OR-Library's
  families A-E) generate instances.
- :func:`solve` (``solve_gap`` is its old name) runs any method on a GAP: ``best``, ``hasp``,
  ``tabu``, ``bees``, ``de``, ``exact``; all share one evaluation and feasibility check and
  return a :class:`GAPResult` (the shared result contract, with EV/station ids in its tables).
- :class:`Dispatcher` assigns EVs as they request a charge over a day, using M/M/c/c
  availability transients, with the calls a simulator needs; :func:`simulate_day` runs a day
  (:mod:`evcore.assign.online`).
"""

from ._result import GAPResult
from .exact import lp_bound, solve_exact
from .model import (
    EVInstance,
    GAPInstance,
    random_ev_instance,
    random_gap_instance,
    read_orlib_gap,
    read_orlib_gaps,
    write_orlib_gap,
)
from .online import (
    Assignment,
    ChargeRequest,
    City,
    DaySimulation,
    Dispatcher,
    decisions_table,
    generate_city,
    generate_requests,
    simulate_day,
)
from .solve import METHODS, method_options, solve, solve_gap

__all__ = [
    "GAPInstance",
    "EVInstance",
    "GAPResult",
    "read_orlib_gap",
    "read_orlib_gaps",
    "write_orlib_gap",
    "random_ev_instance",
    "random_gap_instance",
    "solve",
    "solve_gap",
    "METHODS",
    "method_options",
    "solve_exact",
    "lp_bound",
    "City",
    "ChargeRequest",
    "Assignment",
    "Dispatcher",
    "DaySimulation",
    "decisions_table",
    "generate_city",
    "generate_requests",
    "simulate_day",
]
