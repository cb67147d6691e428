"""One entry point for every joint solver: ``solve(instance, method=..., *, time_limit, max_iterations,
seed, progress, **method_options)``."""

from __future__ import annotations

import inspect
import logging
from contextlib import contextmanager

from .._validate import as_scalar, check_choice, check_flag, check_gap, check_limits, check_options, check_seed, \
    check_threads
from ..errors import InputError, require
from ..progress import progress_reporter
from ._result import JointResult
from .model import JointInstance

__all__ = ["solve", "METHODS", "BACKENDS", "known_options"]

METHODS = ("highs", "admm", "paper-admm")
BACKENDS = ("local", "ray")

logger = logging.getLogger(__name__)

# Handled by solve itself, never passed on as method options.
_OWN = ("instance", "time_limit", "max_iterations", "progress", "seed")


def _function(method: str, backend: str = "local"):
    if method == "highs":
        from .central import solve_central

        return solve_central
    if method == "paper-admm":
        from .paper_admm import solve_paper_admm

        return solve_paper_admm
    if backend == "ray":
        from ._ray import solve_splitting_ray

        return solve_splitting_ray
    from .splitting import solve_splitting

    return solve_splitting


def known_options(method: str, backend: str = "local") -> tuple:
    """The keyword options ``method`` takes in :func:`solve` (beyond the limits, seed and progress)."""
    check_choice("method", method, METHODS)
    names = [name for name, p in inspect.signature(_function(method, backend)).parameters.items()
             if p.kind == p.KEYWORD_ONLY and name not in _OWN]
    names.append("threads")
    if method == "admm":
        names += ["backend"] + (["blocks", "ray_address"] if backend == "ray" else [])
    return tuple(dict.fromkeys(names))


def solve(instance: JointInstance, method: str = "highs", *, time_limit=None, max_iterations=None, seed=None,
          progress=False, **method_options) -> JointResult:
    """Solve a joint investment / assignment instance.

    Parameters
    ----------
    instance : JointInstance
    method : {"highs", "admm", "paper-admm"}
        ``"highs"``: the LP centrally. ``"admm"``: evcore's convergent primal-dual splitting with
        a certified gap (:mod:`evcore.joint.splitting`). ``"paper-admm"``: the seed's Algorithm 1
        (:mod:`evcore.joint.paper_admm`; not convergent for this LP, its status is at best
        ``"feasible"``).
    time_limit : float, optional
        Seconds (> 0); the best plan so far comes back with status ``"time_limit"``.
    max_iterations : int, optional
        Iteration limit (>= 1) of ``"admm"`` and ``"paper-admm"`` (HiGHS: not used).
    seed : int, optional
        Accepted for the one solve shape and validated; every joint method is deterministic
        (``result.seed`` is ``None``).
    progress : bool or callable
        ``True``: lines on stderr; a callable receives :class:`evcore.progress.ProgressRecord`.
    **method_options
        ``"highs"``: ``solver`` ({"choose", "simplex", "ipm", "pdlp"}), ``threads``, ``verbose``.
        ``"admm"``: ``gap`` (target certified relative gap, default 1e-3), ``backend``
        ({"local", "ray"}), ``blocks`` and ``ray_address`` (Ray), ``threads`` (Numba threads),
        ``check_every``, ``scheme``, ``polish`` and the other keywords of
        :func:`~evcore.joint.splitting.solve_splitting`. ``"paper-admm"``: ``rho`` (> 0),
        ``threshold`` (kW), ``threads``. :func:`known_options` lists them; an unknown one raises
        :class:`~evcore.errors.InputError`.

    Returns
    -------
    JointResult
        ``objective`` (= ``total_cost``), ``bound`` (= ``lower_bound``, proven), ``gap``,
        ``status``, ``capacity_kw``, ``investment_cost``, ``assignment_cost``, ``flows`` and more.
    """
    if not isinstance(instance, JointInstance):
        raise InputError("instance", f"must be a JointInstance, got {type(instance).__name__}")
    check_choice("method", method, METHODS)
    time_limit, max_iterations = check_limits(time_limit, max_iterations)
    check_seed(seed)
    progress_reporter(progress, f"joint.{method}")  # refuses anything but a bool or a callable
    options = dict(method_options)
    backend = options.get("backend", "local")
    if method == "admm":
        check_choice("backend", backend, BACKENDS)
    check_options(method, options, known_options(method, backend))
    threads = check_threads(options.pop("threads", None))
    options.pop("backend", None)
    _check_common(options)
    if method == "highs":
        options["threads"] = threads
    elif max_iterations is not None:
        options["max_iterations"] = max_iterations
    if method == "admm" and backend == "ray":
        require("ray", "ray", 'the Ray backend of joint (backend="ray")')
        if "ray_address" in options:
            options["address"] = options.pop("ray_address")
    with _kernel_threads(instance, None if method == "highs" else threads):
        return _function(method, backend)(instance, time_limit=time_limit, progress=progress, **options)


def _check_common(options: dict) -> None:
    """Checks of the options several methods share (values, not names: those are checked above)."""
    if "gap" in options:
        options["gap"] = check_gap(options["gap"])
    for name in ("check_every", "blocks", "max_recoveries", "threads_per_actor"):
        if name in options:
            value = as_scalar(name, options[name], int)
            if value < 1:
                raise InputError(name, f"must be at least 1, got {value!r}")
            options[name] = value
    for name in ("polish", "verbose"):
        if name in options:
            options[name] = check_flag(name, options[name])
    if "scheme" in options:
        check_choice("scheme", options["scheme"], ("average", "halpern"))


@contextmanager
def _kernel_threads(instance, threads):
    """Numba threads for the kernels: ``threads`` if given; else one thread for small instances (thread
    start-up and contention on a shared machine cost more than they bring there), all for large ones."""
    import numba

    before = numba.get_num_threads()
    size = instance.slots * max(instance.pairs.count, instance.zones)
    wanted = threads if threads is not None else (1 if size < _PARALLEL_FROM else before)
    if wanted > numba.config.NUMBA_NUM_THREADS:
        logger.warning("joint: threads=%d but Numba has %d (set NUMBA_NUM_THREADS to allow more); using %d",
                       wanted, numba.config.NUMBA_NUM_THREADS, numba.config.NUMBA_NUM_THREADS)
        wanted = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(int(wanted))
    try:
        yield
    finally:
        numba.set_num_threads(before)


#: Flow variables from which the kernels run on all Numba threads by default.
_PARALLEL_FROM = 200_000
