"""Charging-station siting and sizing with fast and slow piles (seed 004).

- :class:`SitingInstance` / :class:`SitingParameters`: demand points, candidate sites and the
  paper's cost coefficients (Tables 3-4); :func:`changchun_case` (the paper's Table 9 demands,
  embedded) and :func:`random_case` make instances; :func:`capacity_kva` is eq. (22).
- :func:`solve`: ``solve(instance, method, *, time_limit, max_iterations, seed, progress,
  **options)`` with simulated annealing, genetic algorithm and ant colony as the paper
  configures them, or exact enumeration for up to 24 candidate sites; every method shares one
  incremental evaluation (nearest station per point, cheapest pile design per station from
  Erlang C). It returns a :class:`SitingResult` (:class:`evcore.results.Result`: ``to_dict``,
  ``to_frame``, ``to_geojson``); :func:`plan_result` prices any given plan.
- :mod:`evcore.siting.analysis`: the paper's tables (Pareto over the number of stations,
  20-run statistics, weight sensitivity) and figures.
"""

from ._result import COST_UNIT, SitingResult, plan_result
from .cases import CHANGCHUN_AREA_KM2, changchun_case, random_case
from .model import (
    MAX_PILES_PER_STATION,
    SitingInstance,
    SitingParameters,
    capacity_kva,
    capital_recovery_factor,
)
from .solve import DEFAULT_SETTINGS, MAX_EXACT_SITES, METHODS, solve

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
    "MAX_EXACT_SITES",
    "MAX_PILES_PER_STATION",
    "CHANGCHUN_AREA_KM2",
    "COST_UNIT",
]
