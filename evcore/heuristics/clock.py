"""A monotonic clock readable inside Numba kernels, so that search loops honour time limits.

``now_jit()`` returns seconds of ``std::chrono::steady_clock`` (the same clock as
``evcore._runtime.monotonic_seconds()`` in Python). It is bound by symbol name, so kernels
that call it keep ``cache=True``.
"""

from __future__ import annotations

import llvmlite.binding as llvm
from numba import types

from .._compiled import import_extension

__all__ = ["now_jit", "now"]

_runtime = import_extension("evcore._runtime")
llvm.add_symbol("evcore_monotonic_seconds", _runtime.monotonic_seconds_address())

#: Monotonic seconds, callable from nopython code.
now_jit = types.ExternalFunction("evcore_monotonic_seconds", types.float64())

#: The same clock from Python (seconds).
now = _runtime.monotonic_seconds
