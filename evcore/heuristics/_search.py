"""The scaffolding every search loop shares: its control block, stop rule, stop codes and trace.

A search kernel receives one :class:`SearchControl` (a named tuple, so Numba sees typed
fields): its random stream ``rng``, its ``trace`` buffer, a few counters that survive between
calls, and its limits. Each main-loop turn asks :func:`stop_reason` whether to go on; every
improvement of the best objective is recorded with :func:`record_best`. A kernel returns a stop
code (:data:`STOP_STALLED` ... :data:`STOP_REPORT`); :data:`STOP_REPORT` means "give the caller
a chance to show progress, then call me again": all loop state lives in arrays the caller
owns, so the resumed run is the same run.

Python side: :func:`search_control` builds the control block from validated limits,
:func:`trace_array` turns the buffer into the contract's structured trace (columns
:data:`TRACE_COLUMNS`) and :func:`stop_status` maps a stop code to a contract status.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from ..results import FEASIBLE, INFEASIBLE, ITERATION_LIMIT, TIME_LIMIT, make_trace
from ._rng import rng_state
from .clock import now, now_jit

__all__ = [
    "SearchControl",
    "search_control",
    "stop_reason",
    "record_best",
    "end_step",
    "trace_array",
    "stop_status",
    "TRACE_COLUMNS",
    "TRACE_ROWS",
    "STOP_STALLED",
    "STOP_ITERATIONS",
    "STOP_DEADLINE",
    "STOP_TARGET",
    "STOP_REPORT",
    "RUNNING",
    "ROWS",
    "STEP",
    "STALL",
    "BEST",
]

# Why a search loop stopped (what a kernel returns).
STOP_STALLED = 0      #: its own stall budget: this many steps without a better answer
STOP_ITERATIONS = 1   #: the step limit (the caller's max_iterations or the method's own cap)
STOP_DEADLINE = 2     #: the time limit
STOP_TARGET = 3       #: the best objective reached the target (a proven bound or the caller's wish)
STOP_REPORT = 4       #: paused for a progress report; call again to resume
#: Returned by :func:`stop_reason` while the loop goes on.
RUNNING = -1

#: Columns of every search trace: the step at which the best improved, seconds since the
#: start, the new best objective.
TRACE_COLUMNS = ("iteration", "seconds", "objective")
#: Rows of a trace buffer (a full buffer keeps overwriting its last row, so it ends at the final best).
TRACE_ROWS = 2000

# Slots of ``SearchControl.counters`` (int64) and ``SearchControl.values`` (float64).
ROWS, STEP, STALL = 0, 1, 2
BEST = 0


class SearchControl(NamedTuple):
    """What a search kernel needs besides its problem: randomness, bookkeeping, limits.

    Attributes
    ----------
    rng : numpy.ndarray of uint64, shape (1,)
        State of the run's random stream (:mod:`evcore.heuristics._rng`).
    trace : numpy.ndarray, shape (rows, 3)
        Improvements: step, seconds since ``start``, best objective.
    counters : numpy.ndarray of int64, shape (3,)
        ``[ROWS]`` trace rows used, ``[STEP]`` steps done, ``[STALL]`` steps since the best improved.
    values : numpy.ndarray, shape (1,)
        ``[BEST]`` best objective so far (``inf`` when minimising and nothing found).
    start : float
        Clock value (:func:`evcore.heuristics.now`) at the start of the run.
    deadline : float
        Clock value at which to stop (``inf``: none).
    report_at : float
        Clock value at which to pause for a progress report (``inf``: never).
    max_steps : int
        Step limit.
    stall_limit : int
        Steps without improvement before the search ends on its own.
    target : float
        Stop once the best objective is at most this (``-inf``: never).
    """

    rng: np.ndarray
    trace: np.ndarray
    counters: np.ndarray
    values: np.ndarray
    start: float
    deadline: float
    report_at: float
    max_steps: int
    stall_limit: int
    target: float


def search_control(seed: int, *, time_limit: float | None = None, max_steps: int | None = None,
                   stall_limit: int | None = None, target: float | None = None,
                   rows: int = TRACE_ROWS) -> SearchControl:
    """A fresh control block (limits already validated: seconds, counts, an int seed).

    ``None`` means no limit. The clock starts now.
    """
    start = now()
    big = np.iinfo(np.int64).max
    return SearchControl(
        rng=rng_state(seed), trace=np.zeros((max(int(rows), 1), len(TRACE_COLUMNS))),
        counters=np.zeros(3, np.int64), values=np.full(1, np.inf), start=float(start),
        deadline=math.inf if time_limit is None else float(start + time_limit), report_at=math.inf,
        max_steps=big if max_steps is None else int(max_steps), stall_limit=big if stall_limit is None else int(stall_limit),
        target=-math.inf if target is None else float(target))


@njit(cache=True)
def stop_reason(control):
    """Why the loop should stop before its next step, or :data:`RUNNING` to go on.

    Checked in this order: target reached, step limit, deadline, progress pause, stall budget
    (the clock is read only when the step limit is not reached).
    """
    if control.values[BEST] <= control.target:
        return STOP_TARGET
    if control.counters[STEP] >= control.max_steps:
        return STOP_ITERATIONS
    clock = now_jit()
    if clock >= control.deadline:
        return STOP_DEADLINE
    if control.counters[STALL] >= control.stall_limit:
        return STOP_STALLED
    if clock >= control.report_at:
        return STOP_REPORT
    return RUNNING


@njit(cache=True)
def record_best(control, objective):
    """Take ``objective`` as the new best: store it and append a trace row (step, seconds, value)."""
    control.values[BEST] = objective
    trace = control.trace
    rows = control.counters[ROWS]
    row = rows if rows < trace.shape[0] else trace.shape[0] - 1
    trace[row, 0] = control.counters[STEP]
    trace[row, 1] = now_jit() - control.start
    trace[row, 2] = objective
    control.counters[ROWS] = min(rows + 1, trace.shape[0])


@njit(cache=True)
def end_step(control, improved):
    """Count one finished step and update the stall counter."""
    control.counters[STEP] += 1
    control.counters[STALL] = 0 if improved else control.counters[STALL] + 1


def trace_array(control: SearchControl) -> np.ndarray:
    """The recorded improvements as the contract's structured trace (:data:`TRACE_COLUMNS`)."""
    return make_trace(TRACE_COLUMNS, control.trace[: int(control.counters[ROWS])])


def stop_status(stop: int, found: bool) -> str:
    """The contract status of a heuristic run that ended with ``stop`` (no bound proven).

    Nothing found: ``infeasible`` (the run found no feasible answer; it proves nothing about
    the instance). Otherwise: its own stall budget or a target -> ``feasible``; the step limit
    -> ``iteration_limit``; the clock -> ``time_limit``.
    """
    if not found:
        return INFEASIBLE
    return {STOP_ITERATIONS: ITERATION_LIMIT, STOP_DEADLINE: TIME_LIMIT}.get(int(stop), FEASIBLE)


def warm_up():
    """Compile every kernel of this module (benchmarks/bench_compile.py)."""
    control = search_control(0, max_steps=1)
    stop_reason(control)
    record_best(control, 1.0)
    end_step(control, True)
