"""EV-to-station assignment as a generalized assignment problem (seed 003).

- :class:`EVInstance` (the paper's model) maps to a :class:`GAPInstance`; outside benchmarks
  load with :func:`read_orlib_gap`.
- :func:`solve_gap` runs any of the solvers on a GAP; all share one evaluation and one
  feasibility check (``_kernels``) and return a :class:`GAPResult`.
- :class:`Dispatcher` assigns EVs as they request a charge over a day (``step(time,
  new_requests)``), using M/M/c/c availability transients; :func:`simulate_day` runs a day.
"""

from ._result import GAPResult
from .exact import lp_bound, solve_exact
from .model import EVInstance, GAPInstance, random_ev_instance, read_orlib_gap
from .solve import METHODS, solve_gap
from .dispatch import Assignment, ChargeRequest, City, DaySimulation, Dispatcher, generate_city, simulate_day

__all__ = [
    "GAPInstance",
    "EVInstance",
    "GAPResult",
    "read_orlib_gap",
    "random_ev_instance",
    "solve_gap",
    "METHODS",
    "solve_exact",
    "City",
    "ChargeRequest",
    "Assignment",
    "Dispatcher",
    "DaySimulation",
    "generate_city",
    "simulate_day",
    "lp_bound",
]
