"""One entry point for every joint solver."""

from __future__ import annotations

from contextlib import contextmanager

from ..errors import InputError
from ._result import JointResult
from .model import JointInstance

__all__ = ["solve", "METHODS", "BACKENDS"]

METHODS = ("highs", "admm", "paper-admm")
BACKENDS = ("local", "ray")


def solve(instance: JointInstance, method: str = "highs", gap: float = 1e-3, time_limit: float | None = None,
          backend: str = "local", *, progress: bool = False, max_iterations: int | None = None,
          solver: str = "choose", threads: int | None = None, blocks: int = 2, ray_address: str | None = None,
          **options) -> JointResult:
    """Solve a joint investment / assignment instance.

    Parameters
    ----------
    instance : JointInstance
    method : {"highs", "admm", "paper-admm"}
        ``"highs"``: the LP centrally (``solver`` picks HiGHS's algorithm). ``"admm"``: evcore's
        convergent primal-dual splitting with a certified gap (:mod:`evcore.joint.splitting`).
        ``"paper-admm"``: the seed's Algorithm 1 (:mod:`evcore.joint.paper_admm`).
    gap : float
        Target certified relative gap for ``"admm"``.
    time_limit : float, optional
        Seconds.
    backend : {"local", "ray"}
        ``"ray"`` runs ``"admm"`` on Ray actors over location blocks (``blocks`` of them), attached
        to ``ray_address`` (``None``: an existing or new local Ray).
    progress : bool
        Print progress lines to stderr.
    max_iterations : int, optional
        Iteration limit of the iterative methods.
    **options
        Passed to the method's function.

    Returns
    -------
    JointResult
        With ``total_cost``, ``investment_cost``, ``assignment_cost``, ``capacity_kw``,
        ``lower_bound``, ``gap``, ``status``, ``iterations`` and more.
    """
    if not isinstance(instance, JointInstance):
        raise InputError("instance", f"must be a JointInstance, got {type(instance).__name__}")
    if method not in METHODS:
        raise InputError("method", f"must be one of {list(METHODS)}, got {method!r}")
    if backend not in BACKENDS:
        raise InputError("backend", f"must be one of {list(BACKENDS)}, got {backend!r}")
    if not (gap >= 0):
        raise InputError("gap", f"must be non-negative, got {gap!r}")
    if backend == "ray" and method != "admm":
        raise InputError("backend", f'"ray" runs method "admm" only, got method {method!r}')
    limits = {} if max_iterations is None else {"max_iterations": int(max_iterations)}
    with _kernel_threads(instance, threads):
        return _dispatch(instance, method, gap, time_limit, backend, progress, limits, solver, threads, blocks,
                         ray_address, options)


@contextmanager
def _kernel_threads(instance, threads):
    """Numba threads for the kernels: ``threads`` if given; else one thread for small instances (thread
    start-up and contention on a shared machine cost more than they bring there), all for large ones."""
    import numba

    before = numba.get_num_threads()
    size = instance.slots * max(instance.pairs.count, instance.zones)
    wanted = threads if threads is not None else (1 if size < _PARALLEL_FROM else before)
    numba.set_num_threads(max(1, min(int(wanted), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


#: Flow variables from which the kernels run on all Numba threads by default.
_PARALLEL_FROM = 200_000


def _dispatch(instance, method, gap, time_limit, backend, progress, limits, solver, threads, blocks, ray_address,
              options):
    if method == "highs":
        from .central import solve_central

        return solve_central(instance, solver=solver, time_limit=time_limit, threads=threads, progress=progress,
                             **options)
    if method == "paper-admm":
        from .paper_admm import solve_paper_admm

        return solve_paper_admm(instance, time_limit=time_limit, progress=progress, **limits, **options)
    if backend == "ray":
        from ._ray import solve_splitting_ray

        return solve_splitting_ray(instance, gap=gap, time_limit=time_limit, progress=progress, blocks=blocks,
                                   address=ray_address, **limits, **options)
    from .splitting import solve_splitting

    return solve_splitting(instance, gap=gap, time_limit=time_limit, progress=progress, **limits, **options)
