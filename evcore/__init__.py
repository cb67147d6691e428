"""evcore: planning electric-vehicle charging infrastructure.

Subpackages are imported on first use, so ``import evcore`` is fast and compiles nothing:

The five planning methods, each with the same ``solve(instance, method=..., *, time_limit,
max_iterations, seed, progress, **options)`` and a result extending :class:`evcore.results.Result`:

- :mod:`evcore.joint`     charging-capacity investment + spatio-temporal EV assignment (seed 000)
- :mod:`evcore.choice`    station location under logit choice and stochastic growth (seed 001)
- :mod:`evcore.grid`      three-phase feeders: power flow, sensitivities, grid-aware placement (seed 002)
- :mod:`evcore.assign`    EV-to-station generalized assignment and an online dispatcher (seed 003)
- :mod:`evcore.siting`    fast/slow charger siting and sizing with queueing costs (seed 004)

The shared rooms:

- :mod:`evcore.results`   the result contract (statuses, objective, bound, gap, trace, to_dict/to_frame)
- :mod:`evcore.progress`  progress lines on stderr or typed records for a callable
- :mod:`evcore.solvers`   HiGHS layer (bulk LP/MIP/QP hand-off, status table, cut loop)
- :mod:`evcore.queueing`  Erlang B/C, M/M/c, M/M/c/c transients
- :mod:`evcore.heuristics` search kernels shared by the planning methods
- :mod:`evcore.io`        readers and writers of outside formats
- :mod:`evcore.errors`    the exceptions evcore raises
"""

from __future__ import annotations

import importlib

from . import _threads

_threads.configure_openmp()  # before any OpenMP runtime loads: waiting threads sleep, never spin
_threads.prime()  # the first thread-count decision then needs no 0.1 s sampling sleep

__version__ = "0.1.0"

_SUBPACKAGES = ("joint", "choice", "grid", "assign", "siting", "results", "progress", "errors", "solvers",
                "queueing", "heuristics", "io", "cli")

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'evcore' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
