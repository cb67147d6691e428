"""Erlang B, Erlang C and M/M/c figures: validation, broadcasting, and named results.

The numerical work is done by the ahead-of-time compiled Cython kernels in ``_erlang``; this
module checks inputs once (every entry point, the scalar fast path included, refuses what
:func:`evcore._validate.as_array` refuses and sizes past :data:`MAX_SERVERS`), broadcasts them
with numpy's rules and hands flat contiguous arrays to the kernels.
"""

from __future__ import annotations

import math
import numbers
import os
import time
from dataclasses import dataclass

import numpy as np

from .._compiled import import_extension
from .._threads import RECHECK_SECONDS, available_threads
from .._validate import as_array, check_at_most, check_integer, check_nonnegative, check_positive, first_index
from ..errors import InputError
from ..results import OPTIMAL, Result
from ._limits import MAX_SERVERS

_native_erlang = import_extension("evcore.queueing._erlang")

_LIMIT = "evcore.queueing.MAX_SERVERS"

__all__ = ["erlang_b", "erlang_c", "mmc", "MMCResult", "min_servers", "MAX_SERVERS"]


def _is_plain_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _servers(field: str, value, minimum: int) -> np.ndarray:
    servers = check_integer(field, as_array(field, value, dtype=None), minimum=minimum)
    return check_at_most(field, servers, MAX_SERVERS, _LIMIT)


def _broadcast(*arrays: np.ndarray):
    """Broadcast, then return the common shape and flat C-contiguous copies for the kernels."""
    try:
        shaped = np.broadcast_arrays(*arrays)
    except ValueError as exc:
        raise InputError("arguments", f"shapes do not broadcast together: {exc}") from None
    shape = shaped[0].shape
    return shape, [np.ascontiguousarray(a).reshape(-1) for a in shaped]


def _finish(out: np.ndarray, shape):
    """A 0-d result becomes a Python float, like numpy ufuncs on scalars."""
    out = out.reshape(shape)
    return out.item() if out.ndim == 0 else out


def _scalar_servers(field: str, value, minimum: int) -> int:
    """The fast path's server count: a plain in-range integer, else the full checks (which raise
    or convert exactly as the array path does)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        if minimum <= value <= MAX_SERVERS:
            return int(value)
    return int(_servers(field, value, minimum))


def _scalar_load(field: str, value, positive: bool = False) -> float:
    """The fast path's load or rate: a plain finite float >= 0 (> 0 when ``positive``), else the
    full checks (which raise or convert exactly as the array path does)."""
    if isinstance(value, float) and math.isfinite(value) and (value > 0 if positive else value >= 0):
        return value
    check = check_positive if positive else check_nonnegative
    return float(check(field, as_array(field, value)))


def _plain(*values) -> bool:
    return all(_is_plain_number(v) for v in values)


#: The last thread decision of the Erlang kernels: (clock, threads); reused for RECHECK_SECONDS.
_THREAD_DECISION = [-math.inf, 1]


def _openmp_threads(size: int) -> int:
    """OpenMP threads for an array of ``size`` entries, by evcore's thread policy
    (:func:`evcore._threads.available_threads`: the cores free now, ``EVCORE_THREADS`` when set;
    one thread below the kernels' parallel size). The decision is kept for
    :data:`~evcore._threads.RECHECK_SECONDS`, so a loop of calls measures the machine at most
    that often."""
    if size < _native_erlang.parallel_min_size:
        return 1
    clock = time.monotonic()
    if clock - _THREAD_DECISION[0] < RECHECK_SECONDS and not os.environ.get("EVCORE_THREADS"):
        return _THREAD_DECISION[1]
    threads = available_threads(None, work=size, min_parallel_work=_native_erlang.parallel_min_size)
    _THREAD_DECISION[:] = [time.monotonic(), threads]
    return threads


def _erlang(scalar_kernel, array_kernel, min_servers: int, c, a):
    """Validate (c, a), then run the scalar kernel on plain numbers or the array kernel."""
    if _is_plain_number(c) and _is_plain_number(a):
        return scalar_kernel(_scalar_servers("c", c, min_servers), _scalar_load("a", a))
    servers = _servers("c", c, min_servers)
    load = check_nonnegative("a", as_array("a", a))
    shape, (servers, load) = _broadcast(servers, load)
    out = np.empty(servers.shape[0])
    array_kernel(servers, load, out, _openmp_threads(out.shape[0]))
    return _finish(out, shape)


def erlang_b(c, a):
    """Erlang B: blocking probability of an M/M/c/c loss system.

    Parameters
    ----------
    c : int or array_like of int
        Number of servers, ``0 <= c <=`` :data:`MAX_SERVERS` (``10**7``: the work is O(c)).
        Integral floats (``5.0``) are accepted; ``5.5``, text and booleans are not.
    a : float or array_like
        Offered load ``a = arrival_rate / service_rate`` (Erlangs), finite and ``>= 0``.
        ``c`` and ``a`` broadcast together.

    Returns
    -------
    float or numpy.ndarray
        ``B(c, a)``, a float for scalar inputs, otherwise an array of the broadcast shape.

    Notes
    -----
    Computed by the stable inverse recursion ``1/B(k) = 1 + (k/a)/B(k-1)`` (no factorials),
    accurate to about 1e-13 relative up to 10^5 servers (extended precision above 1024).
    ``B(0, a) = 1``; ``B(c, 0) = 0`` for ``c >= 1``. Values below the double range underflow
    to 0.

    Reference: Erlang's loss formula; the recursion is the standard one (e.g. Kleinrock,
    Queueing Systems I, §3.7).
    """
    return _erlang(_native_erlang.erlang_b_scalar, _native_erlang.erlang_b_kernel, 0, c, a)


def erlang_c(c, a):
    """Erlang C: probability that an arrival waits in an M/M/c queue.

    Parameters
    ----------
    c : int or array_like of int
        Number of servers, ``1 <= c <=`` :data:`MAX_SERVERS`.
    a : float or array_like
        Offered load ``a = arrival_rate / service_rate`` (Erlangs), finite and ``>= 0``.

    Returns
    -------
    float or numpy.ndarray
        ``C(c, a)``. For ``a >= c`` (utilisation ``rho = a/c >= 1``) the queue is unstable and
        every arrival waits: the value is exactly 1 (never NaN).
    """
    return _erlang(_native_erlang.erlang_c_scalar, _native_erlang.erlang_c_kernel, 1, c, a)


@dataclass(frozen=True, eq=False)
class MMCResult(Result):
    """Steady-state figures of M/M/c queues (scalars or arrays of the broadcast shape).

    A :class:`evcore.results.Result` with status ``"optimal"`` (every figure is computed
    exactly, to rounding) and method ``"mmc"``; :meth:`to_frame` gives one row per queue and
    :meth:`to_dict` is JSON-ready. Time units are those of the rates: with rates per hour, waits
    are in hours (``time_unit`` names it in the output when :func:`mmc` was told).

    Attributes
    ----------
    servers : int or ndarray
        Number of servers c.
    arrival_rate, service_rate : float or ndarray
        lambda and mu (per unit time).
    wait : float or ndarray
        Mean wait in queue Wq (time units). ``inf`` when ``utilization >= 1``.
    queue_length : float or ndarray
        Mean number waiting Lq = lambda Wq. ``inf`` when ``utilization >= 1``.
    p_wait : float or ndarray
        Probability of waiting, Erlang C. 1 when ``utilization >= 1``.
    utilization : float or ndarray
        rho = lambda / (c mu); values ``>= 1`` mean the queue is unstable.
    time_unit : str
        The rates' time unit (``"h"``, ``"min"``...), or ``""`` when not given.
    """

    servers: object
    arrival_rate: object
    service_rate: object
    wait: object
    queue_length: object
    p_wait: object
    utilization: object
    time_unit: str = ""

    @property
    def stable(self):
        """True where utilisation < 1 (a steady state exists)."""
        return np.less(self.utilization, 1.0)

    @property
    def sojourn_time(self):
        """Mean time in system W = Wq + 1/mu (time units)."""
        return np.add(self.wait, np.divide(1.0, self.service_rate))

    @property
    def system_length(self):
        """Mean number in system L = Lq + lambda/mu."""
        return np.add(self.queue_length, np.divide(self.arrival_rate, self.service_rate))

    def service_level(self, t):
        """P(wait in queue <= t) = 1 - C exp(-(c mu - lambda) t); 0 for unstable queues.

        Parameters
        ----------
        t : float or array_like
            Time limit (time units), ``>= 0``; broadcasts with the result's shape.
        """
        t = check_nonnegative("t", as_array("t", t), allow_inf=True)
        excess_rate = np.subtract(np.multiply(self.servers, self.service_rate), self.arrival_rate)
        try:
            with np.errstate(invalid="ignore", over="ignore"):
                level = 1.0 - np.multiply(self.p_wait, np.exp(-np.multiply(excess_rate, t)))
        except ValueError as exc:
            raise InputError("t", f"does not broadcast with the result's shape {np.shape(self.wait)}: {exc}") from None
        level = np.where(self.stable, level, 0.0)
        return level.item() if np.ndim(level) == 0 else level

    def _frames(self) -> dict:
        unit = f"_{self.time_unit}" if self.time_unit else ""
        per = f"_per_{self.time_unit}" if self.time_unit else ""

        def table():
            columns = {"servers": self.servers, f"arrival_rate{per}": self.arrival_rate,
                       f"service_rate{per}": self.service_rate, "utilization": self.utilization,
                       "p_wait": self.p_wait, f"wait{unit}": self.wait, "queue_length": self.queue_length,
                       f"sojourn_time{unit}": self.sojourn_time, "system_length": self.system_length}
            shaped = np.broadcast_arrays(*(np.asarray(v) for v in columns.values()))
            return {name: np.ravel(v) for name, v in zip(columns, shaped)}

        return {"queues": table}

    def _summary_extra(self) -> dict:
        return {"queues": int(np.size(self.wait)), "time_unit": self.time_unit,
                "unstable": int(np.size(self.wait) - np.count_nonzero(self.stable))}

    def _dict_extra(self) -> dict:
        return {"sojourn_time": self.sojourn_time, "system_length": self.system_length}


def mmc(c, arrival_rate, service_rate, *, time_unit: str = "") -> MMCResult:
    """Steady-state M/M/c figures: mean wait, queue length, probability of waiting, utilisation.

    Parameters
    ----------
    c : int or array_like of int
        Number of servers (chargers), ``1 <= c <=`` :data:`MAX_SERVERS`.
    arrival_rate : float or array_like
        lambda, arrivals per unit time, finite and ``>= 0``.
    service_rate : float or array_like
        mu, services per server per unit time, finite and ``> 0``.
        All three broadcast together.
    time_unit : str, optional
        Name of the rates' time unit (``"h"``), used in :meth:`MMCResult.to_frame` columns
        (``wait_h``, ``arrival_rate_per_h``); nothing is converted.

    Returns
    -------
    MMCResult
        ``wait`` (Wq), ``queue_length`` (Lq), ``p_wait`` (Erlang C), ``utilization`` (rho);
        unstable queues (rho >= 1) have infinite wait and queue length, never NaN.
    """
    if not isinstance(time_unit, str):
        raise InputError("time_unit", f"must be text such as 'h', got {time_unit!r}")
    started = time.perf_counter()
    if _plain(c, arrival_rate, service_rate):  # one queue: the same checks and kernel, no broadcasting
        shape = ()
        servers_flat = np.array([_scalar_servers("c", c, 1)], dtype=np.int64)
        arrival_flat = np.array([_scalar_load("arrival_rate", arrival_rate)])
        service_flat = np.array([_scalar_load("service_rate", service_rate, positive=True)])
    else:
        servers = _servers("c", c, 1)
        arrival = check_nonnegative("arrival_rate", as_array("arrival_rate", arrival_rate))
        service = check_positive("service_rate", as_array("service_rate", service_rate))
        shape, (servers_flat, arrival_flat, service_flat) = _broadcast(servers, arrival, service)
    outputs = [np.empty(servers_flat.shape[0]) for _ in range(4)]
    _native_erlang.mmc_kernel(servers_flat, arrival_flat, service_flat, *outputs)
    wait, queue_length, p_wait, utilization = (_finish(o, shape) for o in outputs)
    return MMCResult(
        status=OPTIMAL, method="mmc", iterations=int(servers_flat.shape[0]),
        wall_time=time.perf_counter() - started, time_unit=time_unit,
        servers=_finish(servers_flat, shape),
        arrival_rate=_finish(arrival_flat, shape),
        service_rate=_finish(service_flat, shape),
        wait=wait,
        queue_length=queue_length,
        p_wait=p_wait,
        utilization=utilization,
    )


def min_servers(arrival_rate, service_rate, target_wait):
    """Smallest number of servers c whose M/M/c mean wait in queue is at most ``target_wait``.

    Parameters
    ----------
    arrival_rate : float or array_like
        lambda per unit time, finite and ``>= 0``.
    service_rate : float or array_like
        mu per server per unit time, finite and ``> 0``.
    target_wait : float or array_like
        Largest acceptable mean wait Wq (time units), ``> 0``.

    Returns
    -------
    int or numpy.ndarray of int64
        The answer is always a stable c (``c > lambda/mu``); 1 when ``arrival_rate == 0``.

    Raises
    ------
    InputError
        Bad values, or an answer that would exceed :data:`MAX_SERVERS` (an offered load
        ``lambda/mu`` that large, or a target wait only that many servers meet).
    """
    if _plain(arrival_rate, service_rate, target_wait):  # one queue: the same checks and kernel
        shape = ()
        arrival = np.array([_scalar_load("arrival_rate", arrival_rate)])
        service = np.array([_scalar_load("service_rate", service_rate, positive=True)])
        target = np.array([_scalar_load("target_wait", target_wait, positive=True)])
    else:
        arrival = check_nonnegative("arrival_rate", as_array("arrival_rate", arrival_rate))
        service = check_positive("service_rate", as_array("service_rate", service_rate))
        target = check_positive("target_wait", as_array("target_wait", target_wait))
        shape, (arrival, service, target) = _broadcast(arrival, service, target)
    with np.errstate(over="ignore"):
        load = arrival / service
    check_at_most("arrival_rate / service_rate", load.reshape(shape), MAX_SERVERS - 1,
                  f"the answer would exceed {_LIMIT}")
    out = np.empty(arrival.shape[0], dtype=np.int64)
    _native_erlang.min_servers_kernel(arrival, service, target, MAX_SERVERS, out)
    out = out.reshape(shape)
    if np.any(out < 0):
        index = first_index(out < 0)
        raise InputError("target_wait", f"is met only by more than {MAX_SERVERS} servers ({_LIMIT}), got "
                         f"{float(target.reshape(shape)[index] if index is not None else target[0])!r}", index)
    return int(out) if out.ndim == 0 else out
