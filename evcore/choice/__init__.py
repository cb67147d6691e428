"""Station location under multinomial-logit choice and stochastic demand growth (seed 001).

- :class:`ChoiceInstance`: years, station types, budgets, stations standing before year 1,
  site and type ids, an optional :class:`ScenarioTree` of demand growth (:func:`growth_tree`).
- :func:`solve` (deterministic, two-stage and multi-stage models) returns a
  :class:`ChoiceResult` whose ``bound`` is a proof: ``"best"`` is an exact search over build
  plans along the scenario tree where they can be listed, else evcore's branch-and-cut with
  bounds recomputed from LP duals in safe arithmetic; the paper's SGI cut loop, R1, R4 and
  SCIP lazy constraints are there to compare.
- Data: :func:`read_hm14` / :func:`hm14_instance` / :func:`random_hm14` (maximum-capture
  benchmarks; files through :mod:`evcore.io.hm14`), :func:`read_trois_rivieres`
  (:mod:`evcore.io.trois_rivieres`), :func:`synthetic_city`.
"""

from .data import describe_trois_rivieres, read_trois_rivieres
from .model import ChoiceInstance, captured_revenue, hm14_instance, read_hm14
from .scenarios import ScenarioTree, growth_tree, path_tree
from .solve import AVAILABLE_METHODS, AVAILABLE_MODELS, OPTIMALITY_GAP, ChoiceResult, perfect_information_bound, solve
from .synthetic import SyntheticCity, random_hm14, synthetic_city

__all__ = ["ChoiceInstance", "ChoiceResult", "ScenarioTree", "captured_revenue", "growth_tree", "path_tree",
           "perfect_information_bound", "read_hm14", "hm14_instance", "random_hm14", "solve", "SyntheticCity",
           "synthetic_city", "read_trois_rivieres", "describe_trois_rivieres", "AVAILABLE_METHODS",
           "AVAILABLE_MODELS", "OPTIMALITY_GAP"]
