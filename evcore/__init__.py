"""evcore: planning electric-vehicle charging infrastructure.

Subpackages are imported on first use, so ``import evcore`` is fast and compiles nothing:

- :mod:`evcore.solvers`   HiGHS layer (bulk LP/MIP/QP hand-off, status table, cut loop)
- :mod:`evcore.queueing`  Erlang B/C, M/M/c, M/M/c/c transients
- :mod:`evcore.assign`    EV-to-station generalized assignment (seed 003)
- :mod:`evcore.heuristics` search kernels shared by the planning methods
- :mod:`evcore.errors`    the exceptions evcore raises
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBPACKAGES = ("errors", "solvers", "queueing", "heuristics", "assign", "cli")

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'evcore' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
