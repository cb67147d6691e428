"""BLAS on one thread during a solve.

The searches multiply small matrices (plans x pairs by pairs x users) many thousand times.
With OpenBLAS's default of one thread per core, each product hands off to a second thread; on
a machine with a busy core that costs 10-50x (measured: 14 ms instead of 0.25 ms for a 64 x 60
by 60 x 317 product). threadpoolctl (optional) pins BLAS to one thread for the duration.
"""

from __future__ import annotations

from contextlib import nullcontext


def single_threaded_blas():
    """A context manager keeping BLAS on one thread (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
