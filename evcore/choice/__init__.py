"""Station location under multinomial-logit choice (seed 001), exact on HiGHS.

Available now: :class:`ChoiceInstance` (multi-period, several station types, budgets,
existing stations, an optional :class:`ScenarioTree` of demand growth from
:func:`growth_tree`), :func:`read_hm14` (maximum-capture benchmark instances) and
:func:`solve` with the deterministic, two-stage and multi-stage models in the SGI formulation
(subgradient inequalities generated on demand through :func:`evcore.solvers.cut_loop`).
"""

from .data import describe_trois_rivieres, read_trois_rivieres
from .model import ChoiceInstance, captured_revenue, read_hm14
from .scenarios import ScenarioTree, growth_tree, path_tree
from .solve import ChoiceResult, perfect_information_bound, solve
from .synthetic import SyntheticCity, synthetic_city

__all__ = ["ChoiceInstance", "ChoiceResult", "ScenarioTree", "captured_revenue", "growth_tree", "path_tree",
           "perfect_information_bound", "read_hm14", "solve", "SyntheticCity", "synthetic_city",
           "read_trois_rivieres", "describe_trois_rivieres"]
