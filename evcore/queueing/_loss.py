"""M/M/c/c (Erlang loss) transients and stationary law; generic small-CTMC transients.

The M/M/c/c transient runs in C++ (``_native``, uniformization on the tridiagonal chain);
the generic ``transient`` runs in a cached Numba kernel (``_kernels``), imported on first
use so that ``import evcore.queueing`` compiles and loads nothing heavy.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass

import numpy as np

from .._compiled import import_extension
from .._validate import (
    as_array,
    as_scalar,
    check_at_most,
    check_distribution,
    check_finite,
    check_in_range,
    check_integer,
    check_nonnegative,
    check_shape,
)
from ..errors import InputError
from ..results import OPTIMAL, Result
from ._limits import MAX_SERVERS, MAX_TABLE_ENTRIES, MAX_TRANSIENT_WORK

_native = import_extension("evcore.queueing._native")

__all__ = ["loss_transient", "free_server_probability", "loss_stationary", "transient", "loss_table",
           "LossTable"]

#: Bound on the Poisson mass left out on each side of the uniformization sum.
DEFAULT_TRUNCATION = 1e-16


def _check_uniformization(rate: float, times: np.ndarray, step_cost: float, states: int, truncation: float,
                          columns: int | None = None) -> None:
    """Refuse transients past :data:`MAX_TRANSIENT_WORK` / :data:`MAX_TABLE_ENTRIES`.

    The sum runs to about ``L t_max + k sqrt(L t_max)`` steps (``k`` from the truncation's
    Gaussian tail, at most 40 for any double) and keeps one Poisson window of ``2 k sqrt(L t)``
    weights per time; ``step_cost`` is the work of one step.
    """
    if not math.isfinite(rate):
        raise InputError("arrival_rate", f"the uniformization rate (largest exit rate) overflows: {rate!r}")
    t_max = float(times.max()) if times.size else 0.0
    mean = rate * t_max
    spread = math.sqrt(2.0 * math.log(1.0 / truncation)) + 2.0
    steps = mean + spread * math.sqrt(mean) + 64.0
    check_at_most("times", np.float64(steps * step_cost), MAX_TRANSIENT_WORK,
                  f"uniformization steps x cost of a step, {steps:.3g} x {step_cost:.3g}; "
                  "evcore.queueing.MAX_TRANSIENT_WORK")
    window = times.size * (2.0 * spread * math.sqrt(mean) + 64.0)
    table = times.size * (states if columns is None else columns)
    check_at_most("times", np.float64(max(window, table)), MAX_TABLE_ENTRIES,
                  f"numbers held for {times.size} times; evcore.queueing.MAX_TABLE_ENTRIES")


def _times(times) -> np.ndarray:
    times = as_array("times", times)
    if times.ndim == 0:
        times = times.reshape(1)
    if times.ndim != 1:
        raise InputError("times", f"must be a scalar or a 1-D array, got shape {times.shape}")
    return np.ascontiguousarray(check_nonnegative("times", times))


def _loss_parameters(c, arrival_rate, service_rate, truncation):
    servers = as_scalar("c", c, int)
    if servers < 1:
        raise InputError("c", f"must be at least 1, got {servers}")
    check_at_most("c", np.int64(servers), MAX_SERVERS, "evcore.queueing.MAX_SERVERS")
    arrival = as_scalar("arrival_rate", arrival_rate)
    service = as_scalar("service_rate", service_rate)
    check_nonnegative("arrival_rate", np.asarray(arrival))
    check_nonnegative("service_rate", np.asarray(service))
    truncation = as_scalar("truncation", truncation)
    if not 0.0 < truncation < 1.0:
        raise InputError("truncation", f"must lie in (0, 1), got {truncation!r}")
    return servers, arrival, service, truncation


def loss_transient(c, arrival_rate, service_rate, times, initial_state=0, *, truncation=DEFAULT_TRUNCATION):
    """State distribution of an M/M/c/c loss system at many times at once.

    Parameters
    ----------
    c : int
        Number of servers (e.g. charging piles), ``>= 1``.
    arrival_rate : float
        lambda, arrivals per unit time, ``>= 0``.
    service_rate : float
        mu, services per server per unit time, ``>= 0``.
    times : float or array_like, shape (m,)
        Times ``>= 0`` (units of 1/rate), in any order.
    initial_state : int or array_like, shape (c+1,)
        Busy servers at time 0 (an integer in ``[0, c]``), or an initial distribution.
    truncation : float
        Bound on the Poisson mass neglected on each side of the uniformization sum.

    Returns
    -------
    numpy.ndarray, shape (m, c+1)
        ``out[i, k] = P(k servers busy at times[i])``.

    Notes
    -----
    Uniformization ``p(t) = sum_n Pois(n; L t) p0 P^n`` with ``L = lambda + c mu`` and the
    tridiagonal jump matrix ``P = I + Q/L`` (non-negative entries: no cancellation). Poisson
    weights are formed in log space relative to their mode and normalised, so large ``L t``
    (beyond 745, where ``exp(-L t)`` underflows) is handled. Cost O((L t_max + m sqrt(L t)) c);
    ``c`` past :data:`MAX_SERVERS`, work past :data:`MAX_TRANSIENT_WORK` or tables past
    :data:`MAX_TABLE_ENTRIES` are refused with an ``InputError``.
    """
    servers, arrival, service, truncation = _loss_parameters(c, arrival_rate, service_rate, truncation)
    times = _times(times)
    _check_uniformization(arrival + servers * service, times, 3.0 * (servers + 1), servers + 1, truncation)
    initial = _initial_distribution(initial_state, servers)
    return _native.loss_transient(servers, arrival, service, times, initial, truncation)


def _initial_distribution(initial_state, servers: int) -> np.ndarray:
    if isinstance(initial_state, numbers.Integral) or np.ndim(initial_state) == 0:
        state = as_scalar("initial_state", initial_state, int)
        if not 0 <= state <= servers:
            raise InputError("initial_state", f"must lie in [0, {servers}], got {state}")
        initial = np.zeros(servers + 1)
        initial[state] = 1.0
        return initial
    initial = as_array("initial_state", initial_state, ndim=1, shape=(servers + 1,))
    return np.ascontiguousarray(check_distribution("initial_state", initial))


def free_server_probability(c, arrival_rate, service_rate, times, initial_state=0, *,
                            truncation=DEFAULT_TRUNCATION):
    """Probability that at least one of ``c`` servers is free at each time.

    ``1 - P(X_t = c | X_0 = initial_state)`` for an M/M/c/c system, e.g. the chance that a
    charging station with ``c`` piles, now ``initial_state`` busy, has a free pile when an EV
    arrives ``t`` later (seed 003's ``1 - w_0(tau)``).

    Parameters
    ----------
    c, arrival_rate, service_rate, times, truncation
        As in :func:`loss_transient`.
    initial_state : int or array_like of int, shape (s,)
        Busy servers now; an array evaluates many current occupancies at once (one backward
        sweep serves all of them).

    Returns
    -------
    numpy.ndarray
        Shape (m,) for an integer ``initial_state``, (m, s) for an array of them.
    """
    servers, arrival, service, truncation = _loss_parameters(c, arrival_rate, service_rate, truncation)
    times = _times(times)
    states = check_integer("initial_state", as_array("initial_state", initial_state, dtype=None), minimum=0)
    if np.any(states > servers):
        bad = np.flatnonzero(np.ravel(states > servers))[0]
        raise InputError("initial_state", f"must lie in [0, {servers}], got {np.ravel(states)[bad]}",
                         None if states.ndim == 0 else int(bad))
    if states.ndim > 1:
        raise InputError("initial_state", f"must be an integer or a 1-D array, got shape {states.shape}")
    _check_uniformization(arrival + servers * service, times, 3.0 * (servers + 1), servers + 1, truncation,
                          columns=max(servers + 1, states.size))
    # Backward equation: hitting[t, i] = P(X_t = c | X_0 = i) for every i in one sweep.
    hitting = _native.loss_hitting_probability(servers, arrival, service, times, servers, truncation)
    # Probabilities summed in floating point can exceed 1 by a rounding unit; 1 - p stays >= -eps.
    return 1.0 - hitting[:, states]


def loss_stationary(c, a):
    """Stationary distribution of M/M/c/c: the truncated Poisson law.

    Parameters
    ----------
    c : int
        Servers, ``>= 1``.
    a : float
        Offered load lambda/mu, ``>= 0``.

    Returns
    -------
    numpy.ndarray, shape (c+1,)
        ``p_k = (a^k/k!) / sum_j a^j/j!``; ``p_c`` is Erlang B.
    """
    servers = as_scalar("c", c, int)
    if servers < 1:
        raise InputError("c", f"must be at least 1, got {servers}")
    check_at_most("c", np.int64(servers), MAX_SERVERS, "evcore.queueing.MAX_SERVERS")
    load = as_scalar("a", a)
    check_nonnegative("a", np.asarray(load))
    if load == 0.0:
        out = np.zeros(servers + 1)
        out[0] = 1.0
        return out
    # log p_k up to a constant, by cumulative log ratios log(a/k); shifted by the max (mode).
    log_weights = np.concatenate(([0.0], np.cumsum(np.log(load) - np.log(np.arange(1, servers + 1)))))
    weights = np.exp(log_weights - log_weights.max())
    return weights / weights.sum()


def transient(generator, initial, times, *, truncation=DEFAULT_TRUNCATION):
    """Transient distribution ``p(t) = p0 expm(Q t)`` of any small continuous-time Markov chain.

    Parameters
    ----------
    generator : array_like, shape (n, n)
        Generator Q: off-diagonal entries ``>= 0``, each row summing to 0 (checked to 1e-9
        relative to the row's largest rate).
    initial : array_like, shape (n,)
        Initial distribution p0.
    times : float or array_like, shape (m,)
        Times ``>= 0``.

    Returns
    -------
    numpy.ndarray, shape (m, n)

    Notes
    -----
    Dense uniformization in a cached Numba kernel, O(n^2 L t_max); meant for chains of up to
    a few hundred states. Use :func:`loss_transient` for M/M/c/c. Horizons whose work
    ``n^2 L t_max`` passes :data:`MAX_TRANSIENT_WORK` are refused with an ``InputError``.
    """
    generator = as_array("generator", generator, ndim=2)
    n = generator.shape[0]
    check_shape("generator", generator, (n, n))
    check_finite("generator", generator)
    off_diagonal = generator - np.diag(np.diag(generator))
    check_nonnegative("generator (off-diagonal entries)", off_diagonal)
    row_sums = generator.sum(axis=1)
    scale = np.maximum(np.abs(generator).max(axis=1), 1.0)
    bad = np.abs(row_sums) > 1e-9 * scale
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError("generator", f"row must sum to 0, sums to {row_sums[row]!r}", row)
    initial = as_array("initial", initial, ndim=1, shape=(n,))
    check_distribution("initial", initial)
    times = _times(times)
    truncation = as_scalar("truncation", truncation)
    check_in_range("truncation", np.asarray(truncation), 1e-300, 0.5)
    rate = float(np.max(-np.diag(generator))) if n else 0.0
    _check_uniformization(rate, times, float(n) * n + 16.0, n, truncation)
    from . import _kernels  # Numba import deferred: only this function needs it

    out = np.zeros((times.shape[0], n))
    _kernels.uniformized_transient(np.ascontiguousarray(generator), np.ascontiguousarray(initial), times,
                                   truncation, out)
    return out


@dataclass(frozen=True, eq=False)
class LossTable(Result):
    """An M/M/c/c transient as a table: the state law over time and its headline figures.

    A :class:`evcore.results.Result` with status ``"optimal"`` (every probability is exact up to
    the uniformization's ``truncation``) and method ``"loss_transient"``. Times are in the
    rates' time unit (named by ``time_unit`` when given).

    Attributes
    ----------
    servers : int
        ``c``.
    arrival_rate, service_rate : float
        lambda and mu per unit time.
    initial_state : int
        Busy servers at time 0.
    times : numpy.ndarray, shape (m,)
    law : numpy.ndarray, shape (m, c + 1)
        ``law[i, k] = P(k servers busy at times[i])``.
    stationary_blocking : float or None
        Erlang B ``B(c, lambda/mu)``, the long-run share of time all servers are busy;
        ``None`` when ``service_rate == 0`` (no steady state).
    truncation : float
    time_unit : str
    """

    servers: int
    arrival_rate: float
    service_rate: float
    initial_state: int
    times: np.ndarray
    law: np.ndarray
    stationary_blocking: float | None
    truncation: float = DEFAULT_TRUNCATION
    time_unit: str = ""

    @property
    def p_all_busy(self) -> np.ndarray:
        """P(all c servers busy) at each time, shape (m,)."""
        return self.law[:, -1]

    @property
    def p_free_server(self) -> np.ndarray:
        """P(at least one free server) at each time, shape (m,)."""
        return 1.0 - self.law[:, -1]

    @property
    def mean_busy(self) -> np.ndarray:
        """Expected busy servers at each time, shape (m,)."""
        return self.law @ np.arange(self.servers + 1)

    def _frames(self) -> dict:
        suffix = f"_{self.time_unit}" if self.time_unit else ""

        def law_long():
            m, states = self.law.shape
            return {f"time{suffix}": np.repeat(self.times, states), "busy_servers": np.tile(np.arange(states), m),
                    "probability": self.law.reshape(-1)}

        return {"times": lambda: {f"time{suffix}": self.times, "p_all_busy": self.p_all_busy,
                                  "p_free_server": self.p_free_server, "mean_busy": self.mean_busy},
                "law": law_long}

    def _summary_extra(self) -> dict:
        return {"servers": self.servers, "times": int(self.times.size),
                "stationary_blocking": self.stationary_blocking}


def loss_table(c, arrival_rate, service_rate, times, initial_state=0, *, truncation=DEFAULT_TRUNCATION,
               time_unit: str = "") -> LossTable:
    """:func:`loss_transient` with its figures as a result table (what ``evcore queue loss`` writes).

    Parameters
    ----------
    c, arrival_rate, service_rate, times, truncation
        As in :func:`loss_transient`.
    initial_state : int
        Busy servers at time 0, in ``[0, c]``.
    time_unit : str, optional
        Name of the rates' time unit, used in column names (``time_h``); nothing is converted.

    Returns
    -------
    LossTable
        ``to_frame()`` gives one row per time (``p_all_busy``, ``p_free_server``,
        ``mean_busy``); ``to_frame("law")`` the whole law, one row per (time, busy servers).
    """
    if not isinstance(time_unit, str):
        raise InputError("time_unit", f"must be text such as 'h', got {time_unit!r}")
    started = time.perf_counter()
    servers, arrival, service, truncation_value = _loss_parameters(c, arrival_rate, service_rate, truncation)
    state = as_scalar("initial_state", initial_state, int)
    checked_times = _times(times)
    law = loss_transient(servers, arrival, service, checked_times, state, truncation=truncation_value)
    from ._erlang_api import erlang_b

    blocking = erlang_b(servers, arrival / service) if service > 0 and math.isfinite(arrival / service) else None
    return LossTable(status=OPTIMAL, method="loss_transient", iterations=int(checked_times.size),
                     wall_time=time.perf_counter() - started, servers=servers, arrival_rate=arrival,
                     service_rate=service, initial_state=state, times=checked_times, law=law,
                     stationary_blocking=blocking, truncation=truncation_value, time_unit=time_unit)
