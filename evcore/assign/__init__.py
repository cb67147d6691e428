"""EV-to-station assignment as a generalized assignment problem (seed 003).

- :class:`EVInstance` (the paper's model) maps to a :class:`GAPInstance`; outside benchmarks
  load with :func:`read_orlib_gap`.
- :func:`solve_gap` runs any of the solvers on a GAP; all share one evaluation and one
  feasibility check (``_kernels``) and return a :class:`GAPResult`.
"""

from ._result import GAPResult
from .exact import lp_bound, solve_exact
from .model import EVInstance, GAPInstance, random_ev_instance, read_orlib_gap
from .solve import METHODS, solve_gap

__all__ = [
    "GAPInstance",
    "EVInstance",
    "GAPResult",
    "read_orlib_gap",
    "random_ev_instance",
    "solve_gap",
    "METHODS",
    "solve_exact",
    "lp_bound",
]
