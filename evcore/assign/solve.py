"""``solve``: one entry point for every GAP solver in evcore.assign (``solve_gap`` is its old name)."""

from __future__ import annotations

import dataclasses
import importlib

from .._validate import check_choice, check_limits, check_options
from ..errors import InputError
from ._result import GAPResult
from .model import as_gap_instance

__all__ = ["solve", "solve_gap", "METHODS", "method_options", "check_method_options"]

#: method name -> ("module:function", "module:parameters-or-None"). The function takes
#: ``(instance, *, time_limit, seed, progress, **options)`` (and ``max_iterations`` when given).
#: Modules are imported on first use so that choosing one method compiles only its kernels.
_REGISTRY = {
    "best": ("evcore.assign.best:solve_best", "evcore.assign.best:BestParameters"),
    "hasp": ("evcore.assign.search:solve_hasp", "evcore.assign.search:HASPParameters"),
    "tabu": ("evcore.assign.search:solve_tabu", "evcore.assign.search:TabuParameters"),
    "bees": ("evcore.assign.search:solve_bees", "evcore.assign.search:BeesParameters"),
    "de": ("evcore.assign.search:solve_de", "evcore.assign.search:DEParameters"),
    "exact": ("evcore.assign.exact:_solve_exact_method", None),
}
#: Method name -> "module:function" (the solvers :func:`solve` dispatches to).
METHODS = {name: entry[0] for name, entry in _REGISTRY.items()}
#: Options of the exact method (HiGHS).
_EXACT_OPTIONS = ("start", "mip_rel_gap", "threads")


def _load(reference: str):
    module_name, attribute = reference.split(":")
    return getattr(importlib.import_module(module_name), attribute)


def method_options(method: str) -> tuple:
    """Names of the keyword options ``method`` takes (its parameter class's fields)."""
    check_choice("method", method, sorted(_REGISTRY))
    parameters = _REGISTRY[method][1]
    if parameters is None:
        return _EXACT_OPTIONS
    return tuple(f.name for f in dataclasses.fields(_load(parameters)))


def check_method_options(method: str, options: dict) -> dict:
    """Refuse options ``method`` does not know (an :class:`InputError` listing those it does)."""
    return check_options(method, options, method_options(method))


def solve(instance, method: str = "best", *, time_limit=None, max_iterations=None, seed=None, progress=False,
          **options) -> GAPResult:
    """Solve a generalized assignment problem (EVs to charging stations).

    Parameters
    ----------
    instance : GAPInstance or EVInstance
        An EV instance is converted with :meth:`EVInstance.to_gap`.
    method : str
        One of :data:`METHODS`: ``"best"`` (evcore's strongest heuristic), ``"hasp"`` (the
        paper's GRASP + GA + Swap hybrid), ``"tabu"``, ``"bees"``, ``"de"`` (DE-SK), or
        ``"exact"`` (MIP on HiGHS).
    time_limit : float, optional
        Seconds. Heuristics stop at it (or at their own budget) with the best assignment so
        far; the exact method returns HiGHS's incumbent, bound and gap.
    max_iterations : int, optional
        The method's own steps at most: generations (hasp, de), moves (tabu, best), cycles
        (bees), branch-and-bound nodes (exact).
    seed : int or numpy.random.Generator, optional
        Same seed, same answer (randomised methods); ``None`` means 0.
    progress : bool or callable
        ``True``: progress lines on stderr; a callable receives
        :class:`evcore.progress.ProgressRecord` objects.
    **options
        Method parameters (:func:`method_options` lists them; unknown names raise
        :class:`~evcore.errors.InputError`).

    Returns
    -------
    GAPResult
        ``objective``, ``assignment`` (0-based agents inside; ids in ``to_frame()`` and
        ``to_dict()``), ``status``, ``bound``/``gap`` where proven, and the trace.

    Raises
    ------
    InputError
        Bad instance, method, limits, seed or options.
    InfeasibleError
        The instance provably has no feasible assignment.
    """
    instance = as_gap_instance(instance)
    if not isinstance(method, str) or method not in _REGISTRY:
        raise InputError("method", f"unknown method {method!r}; choose one of {sorted(_REGISTRY)}")
    time_limit, max_iterations = check_limits(time_limit, max_iterations)
    check_method_options(method, options)
    if method != "exact":
        from .search import run_seed

        seed = run_seed(seed)
    elif seed is not None:
        from .search import run_seed

        run_seed(seed)  # validated, not used: HiGHS is deterministic
    function = _load(_REGISTRY[method][0])
    limits = {} if max_iterations is None else {"max_iterations": max_iterations}
    return function(instance, time_limit=time_limit, seed=seed, progress=progress, **limits, **options)


#: The name of :func:`solve` before the shared contract (kept for existing code).
solve_gap = solve
