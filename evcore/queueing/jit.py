"""Erlang B/C callable from Numba kernels (nopython mode), with on-disk caching intact.

The functions below are the Cython kernels' own C entry points (``_erlang.pxd``), bound by
symbol name: a Numba kernel that calls them runs exactly the recursion the Python API runs,
with no second implementation to keep in step. Binding by name (``llvmlite.binding.add_symbol``
plus ``numba.types.ExternalFunction``) rather than by a ctypes pointer keeps ``cache=True``
working: the cached machine code refers to the symbol, which is registered again on import.

Inputs are not checked here: kernels must pass ``servers >= 1`` (``>= 0`` for Erlang B) and a
finite ``load >= 0``, validated once where the instance is built.

Example
-------
>>> from numba import njit
>>> from evcore.queueing.jit import mmc_wait_jit
>>> @njit(cache=True)
... def station_wait(servers, arrival_rate, service_rate):
...     return mmc_wait_jit(servers, arrival_rate, service_rate)
"""

from __future__ import annotations

import math

import llvmlite.binding as llvm
from numba import njit, types
from numba.extending import get_cython_function_address

from .._compiled import import_extension

__all__ = ["erlang_b_jit", "erlang_c_jit", "mmc_wait_jit", "erlang_b_next", "mmc_wait_from_b"]

import_extension("evcore.queueing._erlang")  # a clear message if the extension was not built

_SIGNATURE = types.float64(types.int64, types.float64)
for _name in ("erlang_b_c", "erlang_c_c"):
    llvm.add_symbol(f"evcore_queueing_{_name}", get_cython_function_address("evcore.queueing._erlang", _name))

#: B(servers, load) inside Numba kernels.
erlang_b_jit = types.ExternalFunction("evcore_queueing_erlang_b_c", _SIGNATURE)
#: C(servers, load) inside Numba kernels; 1.0 when load >= servers.
erlang_c_jit = types.ExternalFunction("evcore_queueing_erlang_c_c", _SIGNATURE)


@njit(cache=True)
def mmc_wait_jit(servers, arrival_rate, service_rate):
    """Mean M/M/c wait in queue Wq (time units of the rates); ``inf`` when unstable."""
    if arrival_rate == 0.0:
        return 0.0
    load = arrival_rate / service_rate
    if load >= servers:
        return math.inf
    return erlang_c_jit(servers, load) / (service_rate * (servers - load))


@njit(cache=True)
def erlang_b_next(servers, load, previous):
    """``B(servers, load)`` from ``B(servers - 1, load)``: one step of the stable recursion.

    Scans over growing server counts (staffing, station sizing) then cost O(1) per count
    instead of O(servers); start from ``B(0, load) = 1`` or from :data:`erlang_b_jit`.
    """
    return load * previous / (servers + load * previous)


@njit(cache=True)
def mmc_wait_from_b(servers, arrival_rate, service_rate, erlang_b):
    """Mean M/M/c wait in queue from ``erlang_b = B(servers, arrival_rate / service_rate)``.

    Uses ``C = c B / (c - a (1 - B))``; 0 without arrivals, ``inf`` when unstable.
    """
    if arrival_rate == 0.0:
        return 0.0
    load = arrival_rate / service_rate
    if load >= servers:
        return math.inf
    erlang_c = servers * erlang_b / (servers - load * (1.0 - erlang_b))
    return erlang_c / (service_rate * (servers - load))
