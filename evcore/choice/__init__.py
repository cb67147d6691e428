"""Station location under multinomial-logit choice (seed 001), exact on HiGHS.

Available now: :class:`ChoiceInstance` (multi-period, several station types, budgets,
existing stations), :func:`read_hm14` (maximum-capture benchmark instances) and
:func:`solve` with the deterministic model and the SGI formulation (subgradient inequalities
generated on demand through :func:`evcore.solvers.cut_loop`).
"""

from .model import ChoiceInstance, captured_revenue, read_hm14
from .solve import ChoiceResult, solve

__all__ = ["ChoiceInstance", "ChoiceResult", "captured_revenue", "read_hm14", "solve"]
