"""Queueing mathematics for charging stations.

Steady state (Cython, compiled ahead of time):
    :func:`erlang_b`, :func:`erlang_c`, :func:`mmc` (M/M/c figures), :func:`min_servers`.
Loss-system transients (C++):
    :func:`loss_transient` (M/M/c/c state law at many times), :func:`loss_table` (the same as a
    result table), :func:`free_server_probability`, :func:`loss_stationary` (truncated Poisson).
Any small chain (Numba, cached):
    :func:`transient`.
Inside Numba kernels (import :mod:`evcore.queueing.jit`; it loads Numba, this package does not):
    ``erlang_b_jit``, ``erlang_c_jit``, ``mmc_wait_jit``: the same compiled Erlang recursion.

All rates are per unit time; times and waits come back in that unit. :class:`MMCResult` and
:class:`LossTable` are :class:`evcore.results.Result` tables (status ``"optimal"``: computed
exactly; ``to_dict()``, ``to_frame()``).

Limits (every figure is exact, so work grows with the question; larger questions raise
:class:`~evcore.errors.InputError` instead of running without bound):
:data:`MAX_SERVERS` (10^7 servers per queue, and per staffing answer),
:data:`MAX_TRANSIENT_WORK` (10^10 steps x states, about 10 s), :data:`MAX_TABLE_ENTRIES`
(10^8 numbers returned or held by a transient).
"""

from ._erlang_api import MMCResult, erlang_b, erlang_c, min_servers, mmc
from ._limits import MAX_SERVERS, MAX_TABLE_ENTRIES, MAX_TRANSIENT_WORK
from ._loss import LossTable, free_server_probability, loss_stationary, loss_table, loss_transient, transient

__all__ = [
    "erlang_b",
    "erlang_c",
    "mmc",
    "MMCResult",
    "min_servers",
    "loss_table",
    "LossTable",
    "MAX_SERVERS",
    "MAX_TRANSIENT_WORK",
    "MAX_TABLE_ENTRIES",
    "loss_transient",
    "free_server_probability",
    "loss_stationary",
    "transient",
]
