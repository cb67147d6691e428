"""Exceptions raised by evcore.

Every error a user can cause with bad data is an :class:`InputError`, a subclass of
:class:`ValueError`, that names the field, the index (where one applies) and the problem.
Models that cannot be solved raise :class:`InfeasibleError` (with the reason) or
:class:`UnboundedError`; a solver that fails raises :class:`SolverError` carrying the
solver's own status text.
"""

from __future__ import annotations

__all__ = [
    "EvcoreError",
    "InputError",
    "InfeasibleError",
    "UnboundedError",
    "SolverError",
    "MissingDependencyError",
    "require",
]


class EvcoreError(Exception):
    """Base class of every exception evcore raises on purpose."""


class InputError(EvcoreError, ValueError):
    """Bad input data.

    Parameters
    ----------
    field : str
        Name of the offending argument or instance field, e.g. ``"arrival_rate"``.
    problem : str
        What is wrong, e.g. ``"must be non-negative, got -2.0"``.
    index : int, tuple of int or None
        Position of the first offending entry in ``field`` (numpy index order), or
        ``None`` when the whole field is wrong (bad shape, bad type).
    """

    def __init__(self, field: str, problem: str, index=None):
        self.field = field
        self.problem = problem
        self.index = index
        where = field if index is None else f"{field}[{_format_index(index)}]"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):  # keep picklable across processes (Ray, multiprocessing)
        return (type(self), (self.field, self.problem, self.index))


class _ReasonedError(EvcoreError):
    """An error that states why, in the model's terms, plus the solver's own status text."""

    def __init__(self, reason: str, status: str | None = None):
        self.reason = reason
        self.status = status
        text = reason if status is None else f"{reason} (solver status: {status})"
        super().__init__(text)

    def __reduce__(self):  # keep picklable across processes (Ray, multiprocessing)
        return (type(self), (self.reason, self.status))


class InfeasibleError(_ReasonedError):
    """The model has no feasible solution.

    Parameters
    ----------
    reason : str
        Why, in the model's own terms (which demand cannot be served, which budget is short).
    status : str or None
        The solver's own status text when a solver established infeasibility.
    """


class UnboundedError(_ReasonedError):
    """The objective can be improved without limit.

    Parameters
    ----------
    reason : str
        What is unbounded.
    status : str or None
        The solver's own status text.
    """


class SolverError(EvcoreError):
    """A solver failed or returned no usable answer.

    Parameters
    ----------
    message : str
        What evcore was doing.
    status : str
        The solver's own status text (for HiGHS, ``Highs.modelStatusToString``).
    outcome : str or None
        ``None`` when the solver failed. When a limit stopped it before it had any feasible
        point, the limit's name (``"time_limit"``, ``"iteration_limit"``, ``"solution_limit"``,
        ``"interrupted"``, ...; see :data:`evcore.solvers.LIMIT_OUTCOMES`): the model may well be
        feasible, the solver just found nothing in the time it had. Callers that know a plan of
        their own (doing nothing, a greedy plan) can return it with that status.

    Examples
    --------
    >>> error = SolverError("time limit reached before any feasible solution", "Time limit reached",
    ...                     outcome="time_limit")
    >>> error.outcome, str(error)
    ('time_limit', 'time limit reached before any feasible solution (solver status: Time limit reached)')
    """

    def __init__(self, message: str, status: str, outcome: str | None = None):
        self.message = message
        self.status = status
        self.outcome = outcome
        super().__init__(f"{message} (solver status: {status})")

    def __reduce__(self):
        return (type(self), (self.message, self.status, self.outcome))


class MissingDependencyError(EvcoreError, ImportError):
    """An optional engine is not installed.

    Parameters
    ----------
    module : str
        The module that could not be imported (``"dss"``, ``"gridlabd"``, ``"pyscipopt"``).
    extra : str
        The evcore extra that installs it: ``pip install "evcore[<extra>]"``.
    purpose : str
        What it is needed for, in a few words.
    """

    def __init__(self, module: str, extra: str, purpose: str = ""):
        self.module = module
        self.extra = extra
        self.purpose = purpose
        what = f" for {purpose}" if purpose else ""
        super().__init__(f"{module} is needed{what} and is not installed: pip install \"evcore[{extra}]\"")
        self.name = module

    def __reduce__(self):
        return (type(self), (self.module, self.extra, self.purpose))


def require(module: str, extra: str, purpose: str = ""):
    """Import the optional ``module`` or raise :class:`MissingDependencyError` naming ``extra``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(module, extra, purpose) from None


def _format_index(index) -> str:
    if isinstance(index, tuple):
        return ", ".join(str(int(i)) for i in index)
    return str(index)
