"""Progress of long runs: lines on stderr, or typed records for a caller's own function.

Every ``solve`` takes ``progress``:

- ``False`` (default): silent;
- ``True``: a line on stderr at most every ``interval_s`` seconds (and at the end) with the
  iteration, the elapsed time, the objective, the bound and gap where known, and an estimate
  of what is left where a limit makes one possible;
- a callable: called with a :class:`ProgressRecord` at every report (for simulators and
  notebooks). If it returns ``False`` nothing happens; evcore never stops on its say-so.

Methods create one :class:`Progress` with :func:`progress_reporter` and call
:meth:`Progress.report` at their natural checkpoints.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

from .errors import InputError

__all__ = ["ProgressRecord", "Progress", "progress_reporter"]


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
        """False when nobody listens (methods may skip computing what they would report)."""
        return self._sink is not None

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
        if self._sink is None:
            return
        elapsed = self.elapsed()
        is_line_sink = self._sink is _STDERR
        if is_line_sink and not (final or force) and elapsed - self._last_line < self.interval_s:
            return
        record = ProgressRecord(
            method=self.method, iteration=int(iteration), elapsed_s=elapsed,
            objective=None if objective is None else float(objective),
            bound=None if bound is None else float(bound),
            gap=None if gap is None else float(gap),
            remaining_s=None if final else self.remaining(int(iteration), elapsed),
            message=message, final=final)
        if is_line_sink:
            self._last_line = elapsed
            print(record.line(), file=sys.stderr, flush=True)
        else:
            self._sink(record)


_STDERR = object()


def progress_reporter(progress, method: str, *, time_limit=None, max_iterations=None,
                      interval_s: float = 1.0, started: float | None = None) -> Progress:
    """The :class:`Progress` for a ``progress`` argument: ``False``/``None``, ``True`` or a callable.

    Anything else raises :class:`~evcore.errors.InputError`.
    """
    if isinstance(progress, Progress):
        return progress
    if progress is None or progress is False:
        sink = None
    elif progress is True:
        sink = _STDERR
    elif callable(progress):
        sink = progress
    else:
        raise InputError("progress", f"must be True, False or a callable taking a ProgressRecord, got {progress!r}")
    return Progress(sink, method, time_limit=time_limit, max_iterations=max_iterations, interval_s=interval_s,
                    started=started)
