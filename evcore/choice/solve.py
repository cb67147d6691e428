"""``solve``: station location under logit choice, exact on HiGHS."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._validate import as_scalar
from ..errors import InputError
from ..solvers import SolverOptions, cut_loop
from ._sgi import SGISeparator, base_model
from .model import ChoiceInstance

__all__ = ["ChoiceResult", "solve"]

#: Models and methods available so far (the issue's two-stage / multi-stage models and the
#: R1 / R4 formulations are not built yet).
AVAILABLE_MODELS = ("deterministic",)
AVAILABLE_METHODS = ("best", "sgi")


@dataclass(frozen=True, eq=False)
class ChoiceResult:
    """Outcome of :func:`solve`.

    Attributes
    ----------
    objective : float
        Total revenue of ``plan`` under logit choice (computed exactly, not from the MILP).
    bound : float
        Valid upper bound on the optimum (the last relaxation's value).
    gap : float
        ``(bound - objective) / objective``.
    status : str
        ``"optimal"`` (within the requested gap), ``"round_limit"`` or ``"time_limit"``.
    plan : numpy.ndarray of bool, shape (sites, types, periods)
        x[j, k, t].
    open_sites : numpy.ndarray of int
        0-based sites with a station in the last period.
    rounds : int
        MILP solves in the cut loop.
    cuts : int
        Subgradient inequalities added.
    wall_time : float
        Seconds.
    """

    objective: float
    bound: float
    gap: float
    status: str
    plan: np.ndarray
    open_sites: np.ndarray
    rounds: int
    cuts: int
    wall_time: float


def solve(instance: ChoiceInstance, stations: int | None = None, model: str = "deterministic", method: str = "best",
          time_limit: float | None = None, *, gap: float = 1e-6, max_rounds: int = 500,
          progress: bool = False) -> ChoiceResult:
    """Choose where (and which type of) stations stand each year to maximise captured revenue.

    Parameters
    ----------
    instance : ChoiceInstance
    stations : int, optional
        Exactly this many (site, type) stations open in every period (the HM14 setting).
    model : str
        ``"deterministic"`` (multi-period, the instance's demand).
    method : str
        ``"sgi"``: the MILP with subgradient inequalities generated on demand (the
        foundation's cut loop on HiGHS); ``"best"`` is currently ``"sgi"``.
    time_limit : float, optional
        Seconds for the whole cut loop; the best plan so far comes back with its bound.
    gap : float
        Relative optimality gap at which the loop stops (>= 1e-9; HiGHS's tolerances make
        gaps much below 1e-6 unattainable on large instances).
    max_rounds : int
        Cut-loop rounds at most.
    progress : bool
        One line per round (objective of the relaxation, rows added).

    Returns
    -------
    ChoiceResult
    """
    if not isinstance(instance, ChoiceInstance):
        raise InputError("instance", f"must be a ChoiceInstance, got {type(instance).__name__}")
    if model not in AVAILABLE_MODELS:
        raise InputError("model", f"{model!r} is not available yet; available: {list(AVAILABLE_MODELS)}")
    if method not in AVAILABLE_METHODS:
        raise InputError("method", f"{method!r} is not available yet; available: {list(AVAILABLE_METHODS)}")
    if stations is not None:
        stations = as_scalar("stations", stations, int)
        if not 1 <= stations <= instance.sites:
            raise InputError("stations", f"must lie in [1, {instance.sites}], got {stations}")
    gap = as_scalar("gap", gap)
    if not gap >= 1e-9:
        raise InputError("gap", f"must be at least 1e-9, got {gap!r}")
    started = time.perf_counter()
    milp, layout = base_model(instance, stations)
    separator = SGISeparator(instance, layout, gap=gap)
    loop = cut_loop(milp, separator, SolverOptions(mip_rel_gap=min(gap, 1e-4)), max_rounds=max_rounds,
                    time_limit=time_limit, progress=progress)
    separator(loop.x)  # score the final incumbent too (it may be the best plan)
    objective = separator.best_value
    bound = min(loop.bound, separator.last_relaxation) if np.isfinite(loop.bound) else separator.last_relaxation
    bound = max(bound, objective)
    relative_gap = (bound - objective) / max(abs(objective), 1e-12)
    status = loop.status if loop.status != "optimal" or relative_gap <= max(gap, 1e-9) * 10 else "optimal"
    plan = separator.best_plan.astype(bool)
    return ChoiceResult(objective=objective, bound=bound, gap=relative_gap, status=status, plan=plan,
                        open_sites=np.flatnonzero(plan[:, :, -1].any(axis=1)), rounds=len(loop.rounds),
                        cuts=separator.cuts_added, wall_time=time.perf_counter() - started)
