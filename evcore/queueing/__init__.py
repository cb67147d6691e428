"""Queueing mathematics for charging stations.

Steady state (Cython, compiled ahead of time):
    :func:`erlang_b`, :func:`erlang_c`, :func:`mmc` (M/M/c figures), :func:`min_servers`.
Loss-system transients (C++):
    :func:`loss_transient` (M/M/c/c state law at many times), :func:`free_server_probability`,
    :func:`loss_stationary` (truncated Poisson).
Any small chain (Numba, cached):
    :func:`transient`.
Inside Numba kernels (import :mod:`evcore.queueing.jit`; it loads Numba, this package does not):
    ``erlang_b_jit``, ``erlang_c_jit``, ``mmc_wait_jit``: the same compiled Erlang recursion.

All rates are per unit time; times and waits come back in that unit.
"""

from ._erlang_api import MMCResult, erlang_b, erlang_c, min_servers, mmc
from ._loss import free_server_probability, loss_stationary, loss_transient, transient

__all__ = [
    "erlang_b",
    "erlang_c",
    "mmc",
    "MMCResult",
    "min_servers",
    "loss_transient",
    "free_server_probability",
    "loss_stationary",
    "transient",
]
