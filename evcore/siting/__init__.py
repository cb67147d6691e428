"""Charging-station siting and sizing with fast and slow piles (seed 004).

- :class:`SitingInstance` / :class:`SitingParameters`: demand points, candidate sites and the
  paper's cost coefficients (Tables 3-4); :func:`changchun_case` and :func:`random_case` make
  instances; :func:`capacity_kva` is eq. (22).
- :func:`solve`: simulated annealing, genetic algorithm and ant colony as the paper configures
  them, or exact enumeration for up to 24 candidate sites; every method shares one incremental
  evaluation (nearest station per point, cheapest pile design per station from Erlang C).
- :mod:`evcore.siting.analysis`: the paper's tables (Pareto over the number of stations,
  20-run statistics, weight sensitivity) and figures.
"""

from .model import (
    SitingInstance,
    SitingParameters,
    capacity_kva,
    capital_recovery_factor,
    changchun_case,
    random_case,
)
from .solve import DEFAULT_SETTINGS, METHODS, SitingResult, plan_result, solve

__all__ = [
    "SitingInstance",
    "SitingParameters",
    "SitingResult",
    "capacity_kva",
    "capital_recovery_factor",
    "changchun_case",
    "random_case",
    "solve",
    "plan_result",
    "METHODS",
    "DEFAULT_SETTINGS",
]
