"""Progress of long runs: lines on stderr, or typed records for a caller's own function.

Every ``solve`` takes ``progress``:

- ``False`` (default): silent;
- ``True``: a line on stderr at most every ``interval_s`` seconds (and at the end) with the
  iteration, the elapsed time, the objective, the bound and gap where known, and an estimate
  of what is left where a limit makes one possible;
- a callable: called with a :class:`ProgressRecord` at every report (for simulators and
  notebooks). Its return value is ignored: evcore never stops on its say-so (use
  ``time_limit``/``max_iterations`` for that).

**An exception raised by the callable propagates**, unchanged (same type, same traceback, with a
note naming the method that called it), and ends the run: the callable is the caller's own code,
and a bug in it (or a deliberate ``raise`` to abandon a run) must reach the caller rather than
vanish into a log while the run goes on without its observer. Nothing of the run is returned.

``--quiet`` on the command line silences the lines (not the callables) process-wide through
:func:`set_quiet`; progress that is not a :class:`ProgressRecord` (a one-off line) goes through
:func:`write_line`, which obeys the same switch.

Methods create one :class:`Progress` with :func:`progress_reporter` and call
:meth:`Progress.report` at their natural checkpoints.

Examples
--------
>>> records = []
>>> reporter = progress_reporter(records.append, "demo.method", max_iterations=10)
>>> reporter.report(5, objective=2.0, bound=1.0, gap=0.5)
>>> reporter.report(10, objective=1.5, final=True)
>>> [(r.iteration, r.objective, r.final) for r in records]
[(5, 2.0, False), (10, 1.5, True)]
>>> records[0].line()[:30]
'[demo.method]  it        5    '
"""

from __future__ import annotations

import inspect
import math
import numbers
import sys
import time
from dataclasses import dataclass

import numpy as np

from .errors import InputError

__all__ = ["ProgressRecord", "Progress", "progress_reporter", "set_quiet", "is_quiet", "write_line"]

#: ``True`` while progress lines are silenced (the command line's ``--quiet``); see :func:`set_quiet`.
_QUIET = False


def set_quiet(quiet: bool) -> bool:
    """Silence (``True``) or restore (``False``) progress lines on stderr, process-wide.

    Callables passed as ``progress`` still get their records. Returns the previous setting, so
    that a caller can restore it.

    >>> previous = set_quiet(True)
    >>> progress_reporter(True, "demo").enabled
    False
    >>> set_quiet(previous)
    True
    """
    global _QUIET
    if not isinstance(quiet, bool):
        raise InputError("quiet", f"must be True or False, got {quiet!r}")
    previous, _QUIET = _QUIET, quiet
    return previous


def is_quiet() -> bool:
    """Whether progress lines are silenced (see :func:`set_quiet`)."""
    return _QUIET


def write_line(text: str) -> None:
    """One progress line on stderr, unless progress is silenced (:func:`set_quiet`).

    For progress that is not a :class:`ProgressRecord` (a note between phases of a run); library
    code never writes progress with ``print``.
    """
    if not _QUIET:
        print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class ProgressRecord:
    """One progress report.

    Attributes
    ----------
    method : str
        Which method reports (``"assign.best"``, ``"joint.admm"``, ``"grid.place"``...).
    iteration : int
        The method's own count so far.
    elapsed_s : float
        Seconds since the run started.
    objective : float or None
        Best objective so far (``None`` before any answer).
    bound : float or None
        Proven bound so far, where the method has one.
    gap : float or None
        Proven relative gap so far.
    remaining_s : float or None
        An upper estimate of the seconds left: the time limit's remainder, or the iteration
        limit's remainder at the rate so far, whichever is smaller; ``None`` when no limit is set.
    message : str
        Extra, method-specific text (nodes open, restarts, ...).
    final : bool
        True for the last report of the run.
    """

    method: str
    iteration: int
    elapsed_s: float
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    remaining_s: float | None = None
    message: str = ""
    final: bool = False

    def line(self) -> str:
        """The record as one human-readable line."""
        parts = [f"[{self.method}]", f"it {self.iteration:>8d}", f"{self.elapsed_s:9.2f} s"]
        if self.objective is not None:
            parts.append(f"objective {self.objective:.10g}")
        if self.bound is not None:
            parts.append(f"bound {self.bound:.10g}")
        if self.gap is not None:
            parts.append(f"gap {self.gap:.3e}" if math.isfinite(self.gap) else "gap inf")
        if self.remaining_s is not None:
            parts.append(f"<= {self.remaining_s:.1f} s left")
        if self.message:
            parts.append(self.message)
        if self.final:
            parts.append("(done)")
        return "  ".join(parts)


class Progress:
    """Reporter of one run (see :func:`progress_reporter`)."""

    def __init__(self, sink, method: str, *, time_limit=None, max_iterations=None, interval_s: float = 1.0,
                 started: float | None = None):
        self._sink = sink
        self.method = method
        self.time_limit = time_limit
        self.max_iterations = max_iterations
        self.interval_s = interval_s
        self.started = time.perf_counter() if started is None else started
        self._last_line = -math.inf

    @property
    def enabled(self) -> bool:
        """False when nobody listens (no sink, or lines while silenced by :func:`set_quiet`);
        methods may skip computing what they would report."""
        return self._sink is not None and not (self._sink is _STDERR and _QUIET)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def remaining(self, iteration: int, elapsed: float) -> float | None:
        estimates = []
        if self.time_limit is not None:
            estimates.append(max(self.time_limit - elapsed, 0.0))
        if self.max_iterations is not None and iteration > 0:
            estimates.append(elapsed / iteration * max(self.max_iterations - iteration, 0))
        return min(estimates) if estimates else None

    def report(self, iteration: int, *, objective=None, bound=None, gap=None, message: str = "",
               final: bool = False, force: bool = False) -> None:
        """Report the state at ``iteration``; a line sink is throttled to one line per
        ``interval_s`` (``final`` and ``force`` always print), a callable gets every record."""
        if not self.enabled:
            return
        elapsed = self.elapsed()
        is_line_sink = self._sink is _STDERR
        if is_line_sink and not (final or force) and elapsed - self._last_line < self.interval_s:
            return
        iteration = _iteration(iteration)
        record = ProgressRecord(
            method=self.method, iteration=iteration, elapsed_s=elapsed,
            objective=_optional_float("objective", objective),
            bound=_optional_float("bound", bound),
            gap=_optional_float("gap", gap),
            remaining_s=None if final else self.remaining(iteration, elapsed),
            message=str(message), final=bool(final))
        if is_line_sink:
            self._last_line = elapsed
            print(record.line(), file=sys.stderr, flush=True)
            return
        try:
            self._sink(record)
        except BaseException as exc:  # the caller's own code: propagate, saying where it came from
            if hasattr(exc, "add_note"):
                exc.add_note(f"(raised by the progress callable of {self.method}, at iteration {record.iteration})")
            raise


_STDERR = object()


def _iteration(value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or value != value \
            or abs(value) == math.inf or int(value) != value:
        raise InputError("iteration", f"must be an integer, got {value!r}")
    return int(value)


def _optional_float(field: str, value):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputError(field, f"must be a number or None, got {value!r}")
    return float(value)


def progress_reporter(progress, method: str, *, time_limit=None, max_iterations=None,
                      interval_s: float = 1.0, started: float | None = None) -> Progress:
    """The :class:`Progress` for a ``progress`` argument: ``False``/``None``, ``True`` or a callable.

    Parameters
    ----------
    progress : bool, None, callable or Progress
        ``True``/``False`` (numpy booleans too), or a callable taking one
        :class:`ProgressRecord`. A :class:`Progress` is passed through (a method handing its
        reporter to a building block).
    method : str
        Shown in every record (``"<part>.<method>"``).
    time_limit : float or None
        Seconds (``>= 0``; see :func:`evcore._validate.check_limits`), for the estimate of what
        is left.
    max_iterations : int or None
        Iterations (``>= 0``), for the same estimate.
    interval_s : float
        Shortest interval between two lines on stderr (finite, ``>= 0``).
    started : float, optional
        ``time.perf_counter()`` at the start of the run; now by default.

    Raises
    ------
    InputError
        ``progress`` is anything else (``"yes"``, ``1``, a list), a callable that cannot take a
        single argument, or the limits or interval are not numbers as described.

    Examples
    --------
    >>> progress_reporter(False, "demo").enabled
    False
    >>> progress_reporter("yes", "demo")
    Traceback (most recent call last):
    ...
    evcore.errors.InputError: progress: must be True, False or a callable taking a ProgressRecord, got 'yes'
    """
    if isinstance(progress, Progress):
        return progress
    if isinstance(progress, np.bool_):
        progress = bool(progress)
    if progress is None or progress is False:
        sink = None
    elif progress is True:
        sink = _STDERR
    elif callable(progress):
        _check_callable(progress)
        sink = progress
    else:
        raise InputError("progress", f"must be True, False or a callable taking a ProgressRecord, got {progress!r}")
    if not isinstance(method, str):
        raise InputError("method", f"must be a string, got {method!r}")
    time_limit = _optional_number("time_limit", time_limit, positive=False, allow_inf=True)
    if max_iterations is not None:
        if isinstance(max_iterations, (bool, np.bool_)) or not isinstance(max_iterations, numbers.Integral) \
                or max_iterations < 0:
            raise InputError("max_iterations", f"must be an integer >= 0 or None, got {max_iterations!r}")
        max_iterations = int(max_iterations)
    interval_s = _optional_number("interval_s", interval_s, positive=False, allow_inf=False)
    if interval_s is None:
        raise InputError("interval_s", "must be a number of seconds >= 0, got None")
    if started is not None:
        started = _optional_number("started", started, positive=False, allow_inf=False, allow_negative=True)
    return Progress(sink, method, time_limit=time_limit, max_iterations=max_iterations, interval_s=interval_s,
                    started=started)


def _optional_number(field: str, value, *, positive: bool, allow_inf: bool, allow_negative: bool = False):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputError(field, f"must be a number, got {value!r}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf) or (not allow_negative and value < 0) or (
            positive and value == 0):
        raise InputError(field, f"must be a number {'> 0' if positive else '>= 0'}, got {value!r}")
    return value


def _check_callable(sink) -> None:
    """Refuse a callable that cannot be called with one record (``lambda: None``, ``dict.get``)."""
    try:
        signature = inspect.signature(sink)
    except (TypeError, ValueError):  # builtins without a signature: trust them
        return
    try:
        signature.bind(None)
    except TypeError:
        raise InputError("progress", f"must take one argument (a ProgressRecord); {sink!r} takes {signature}") \
            from None
