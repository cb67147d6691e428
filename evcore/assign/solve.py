"""``solve_gap``: one entry point for every GAP solver in evcore.assign."""

from __future__ import annotations

import importlib

from .._validate import as_scalar
from ..errors import InputError
from ._result import GAPResult
from .model import EVInstance, GAPInstance

__all__ = ["solve_gap", "METHODS"]

#: method name -> "module:function" taking (instance, *, time_limit, seed, progress, **options).
#: Modules are imported on first use so that choosing one method compiles only its kernels.
METHODS = {
    "best": "evcore.assign.best:solve_best",
    "hasp": "evcore.assign.search:solve_hasp",
    "tabu": "evcore.assign.search:solve_tabu",
    "bees": "evcore.assign.search:solve_bees",
    "de": "evcore.assign.search:solve_de",
    "exact": "evcore.assign.exact:_solve_exact_method",
}


def solve_gap(instance, method: str = "best", time_limit: float | None = None, seed=0, *,
              progress: bool = False, **options) -> GAPResult:
    """Solve a generalized assignment problem.

    Parameters
    ----------
    instance : GAPInstance or EVInstance
        An EV instance is converted with :meth:`EVInstance.to_gap`.
    method : str
        One of :data:`METHODS`: ``"best"`` (evcore's strongest heuristic), ``"hasp"`` (the
        paper's GRASP + GA + Swap hybrid), ``"tabu"``, ``"bees"``, ``"de"`` (DE-SK), or
        ``"exact"`` (MIP on HiGHS).
    time_limit : float, optional
        Seconds. Heuristics stop at it (or at their own iteration budget) with the best
        assignment so far; the exact method returns HiGHS's incumbent, bound and gap.
    seed : int or numpy.random.Generator
        Same seed, same answer (randomised methods).
    progress : bool
        Print progress lines.
    **options
        Method parameters (see each method's documentation).

    Returns
    -------
    GAPResult
        ``objective`` and ``assignment`` (0-based agent of each job), status, trace.
    """
    if isinstance(instance, EVInstance):
        instance = instance.to_gap()
    if not isinstance(instance, GAPInstance):
        raise InputError("instance", f"must be a GAPInstance or EVInstance, got {type(instance).__name__}")
    if method not in METHODS:
        raise InputError("method", f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    if time_limit is not None:
        time_limit = as_scalar("time_limit", time_limit)
        if not time_limit > 0:
            raise InputError("time_limit", f"must be positive, got {time_limit!r}")
    module_name, function_name = METHODS[method].split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    return function(instance, time_limit=time_limit, seed=seed, progress=progress, **options)
