"""Solver options and the declared table of what each HiGHS solver choice can solve."""

from __future__ import annotations

import functools
import threading
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import highspy
import numpy as np

from .._validate import as_scalar, check_choice, check_nonnegative, check_threads
from ..errors import InputError

__all__ = ["SolverOptions", "SOLVER_CAPABILITIES", "available_solvers", "check_capability"]

#: Model kinds each value of ``SolverOptions.solver`` really solves, declared rather than
#: guessed, and checked against the installed HiGHS (``tests/solvers/test_highs.py`` runs every
#: pair and reads which algorithm's iteration counter moved). HiGHS *ignores* a ``solver`` choice
#: it cannot apply (it logs "Solver ... is not available for MIP/QP/LP. Option "solver" ignored",
#: or for "ipm" on a QP says nothing) and runs something else, so evcore refuses those pairs
#: instead of silently running another algorithm. As of HiGHS 1.16:
#:
#: - "simplex" also serves a MIP: the LP relaxations of HiGHS's branch-and-cut are dual simplex,
#:   and evcore passes it as HiGHS's ``mip_lp_solver`` (``"ipm"`` there leaves no trace of an
#:   interior point run, so it is not declared).
#: - "ipm" is HiGHS's default interior point solver (HiPO where the build has it, else IPX),
#:   "ipx" asks for IPX, "hipo" for HiPO (only builds compiled with it accept it; the PyPI
#:   wheels of highspy 1.15 and 1.16 do not).
#: - "pdlp" is cuPDLP-C, "hipdlp" HiGHS's own PDLP (both first-order: answers to about 1e-7
#:   relative, not to simplex accuracy).
#: - "qpasm" is the active-set QP solver (the only QP solver HiGHS 1.16 runs).
#: - No choice solves a MIQP: HiGHS 1.16 cannot.
#:
#: Names the installed HiGHS does not know are left out by :func:`available_solvers`.
SOLVER_CAPABILITIES: Mapping[str, frozenset[str]] = MappingProxyType({
    "choose": frozenset({"lp", "mip", "qp"}),
    "simplex": frozenset({"lp", "mip"}),
    "ipm": frozenset({"lp"}),
    "ipx": frozenset({"lp"}),
    "hipo": frozenset({"lp"}),
    "pdlp": frozenset({"lp"}),
    "hipdlp": frozenset({"lp"}),
    "qpasm": frozenset({"qp"}),
})

_PRESOLVE_CHOICES = ("choose", "on", "off")

# Options evcore sets from SolverOptions fields; passing them through ``extra`` would bypass
# the validation and bookkeeping done for the field (threads in particular).
_MANAGED_OPTIONS = frozenset({"time_limit", "threads", "solver", "mip_lp_solver", "output_flag",
                              "mip_rel_gap", "presolve"})

# HiGHS's numerical conventions (options of the same names): costs, bounds and matrix entries
# at or past these magnitudes are read as infinite, matrix entries at or below the small one as
# zero. evcore checks models against them (see ``_highs._check_numbers``).
_LIMIT_OPTIONS = ("infinite_cost", "infinite_bound", "large_matrix_value", "small_matrix_value")


_BANNER_LOCK = threading.Lock()
_BANNER_SHOWN = False


def new_highs() -> highspy.Highs:
    """A fresh ``highspy.Highs`` with its output off.

    HiGHS prints a banner on stdout when the first instance of a process is created, which would
    corrupt a caller's machine-readable stdout (``evcore ... > out.json``); the first instance is
    therefore created with file descriptor 1 pointed at the null device.
    """
    global _BANNER_SHOWN
    if not _BANNER_SHOWN:
        with _BANNER_LOCK:
            if not _BANNER_SHOWN:
                with stdout_redirected(None):
                    highs = highspy.Highs()
                _BANNER_SHOWN = True
                highs.setOptionValue("output_flag", False)
                return highs
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


class stdout_redirected:
    """Point file descriptor 1 at stderr (``target=2``) or the null device (``None``) meanwhile.

    For compiled code that prints on stdout (HiGHS's banner; its log and cuPDLP-C's with
    ``SolverOptions(verbose=True)``): library code never writes to a caller's stdout. Python's
    own ``sys.stdout`` is flushed first; where stdout is not a real descriptor (captured), this
    does nothing. Descriptor 1 belongs to the whole process, so overlapping uses (solves in
    several threads) share one redirection: the first sets it up, the last one out restores it.
    """

    _lock = threading.Lock()
    _depth = 0
    _saved: int | None = None

    def __init__(self, target: int | None):
        self.target = target
        self._entered = False

    def __enter__(self):
        import os
        import sys

        cls = type(self)
        with cls._lock:
            if cls._depth == 0:
                try:
                    sys.stdout.flush()
                    saved = os.dup(1)
                except (OSError, ValueError, AttributeError):
                    return self
                _flush_c_stdio()
                if self.target is None:
                    null = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(null, 1)
                    os.close(null)
                else:
                    os.dup2(self.target, 1)
                cls._saved = saved
            cls._depth += 1
            self._entered = True
        return self

    def __exit__(self, *exc):
        import os

        if not self._entered:
            return False
        cls = type(self)
        with cls._lock:
            cls._depth -= 1
            if cls._depth == 0 and cls._saved is not None:
                _flush_c_stdio()
                os.dup2(cls._saved, 1)
                os.close(cls._saved)
                cls._saved = None
        self._entered = False
        return False


def _flush_c_stdio() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # pragma: no cover - no C library (not Linux/macOS)
        pass


@functools.cache
def available_solvers() -> frozenset[str]:
    """Values of ``SolverOptions.solver`` the installed HiGHS build accepts.

    Probed once by setting HiGHS's ``solver`` option on a scratch instance.

    Returns
    -------
    frozenset of str

    Examples
    --------
    >>> {"choose", "simplex", "ipm"} <= available_solvers()
    True
    """
    probe = new_highs()
    return frozenset(name for name in SOLVER_CAPABILITIES
                     if probe.setOptionValue("solver", name) == highspy.HighsStatus.kOk)


@functools.cache
def _default_limits() -> dict:
    probe = new_highs()
    return {name: float(probe.getOptionValue(name)[1]) for name in _LIMIT_OPTIONS}


def check_capability(solver: str, kind: str) -> None:
    """Raise :class:`InputError` (field ``"solver"``) unless ``solver`` can solve a ``kind`` model."""
    if kind not in SOLVER_CAPABILITIES["choose"] | {"miqp"}:
        raise ValueError(f"unknown model kind {kind!r}")
    if not any(kind in kinds for kinds in SOLVER_CAPABILITIES.values()):
        raise InputError("solver", f"HiGHS {new_highs().version()} cannot solve a mixed-integer QP "
                                   "(the model has both integrality and a hessian)")
    if kind not in SOLVER_CAPABILITIES[solver]:
        able = sorted(name for name, kinds in SOLVER_CAPABILITIES.items()
                      if kind in kinds and name in available_solvers())
        raise InputError("solver", f"{solver!r} cannot solve a {kind.upper()} (HiGHS would ignore it "
                                   f"and use another algorithm); use one of {able}")
    _check_available(solver)


def _check_available(solver: str) -> None:
    if solver not in available_solvers():
        raise InputError("solver", f"{solver!r} is not available in this HiGHS build "
                                   f"({new_highs().version()}); available: {_available_list()}")


def _available_list() -> list:
    return [name for name in SOLVER_CAPABILITIES if name in available_solvers()]


@dataclass(frozen=True)
class SolverOptions:
    """How to run HiGHS.

    Parameters
    ----------
    time_limit : float or None
        Wall-clock limit in seconds (``>= 0``); ``None`` or ``inf`` for none.
    threads : int or None
        Threads for HiGHS, in ``[1, evcore._validate.MAX_THREADS]`` (256: HiGHS starts that
        many workers, and a typo such as ``10**6`` would hang the machine); ``None`` keeps
        HiGHS's default. Changing it between solves is safe: evcore restarts HiGHS's scheduler
        when needed.
    solver : str
        HiGHS algorithm, one of :func:`available_solvers` (from :data:`SOLVER_CAPABILITIES`:
        ``"choose"``, ``"simplex"``, ``"ipm"``, ``"ipx"``, ``"hipo"``, ``"pdlp"``, ``"hipdlp"``,
        ``"qpasm"``); it must be able to solve the model kind. A name the installed HiGHS does
        not accept raises :class:`InputError` listing the available ones.
    verbose : bool
        Show HiGHS's own log (HiGHS option ``output_flag``), on stderr.
    mip_rel_gap : float
        Relative MIP gap at which HiGHS stops and reports optimal (HiGHS default 1e-4); finite,
        ``>= 0``.
    presolve : {"choose", "on", "off"}
        HiGHS presolve.
    extra : mapping of str to bool, int, float or str
        Further raw HiGHS options, passed with ``setOptionValue``. Checked against HiGHS on
        creation: an unknown name, a value of the wrong type (``"1e-6"`` for a number, ``1`` for
        a bool, ``2.5`` for an integer), NaN, or a value HiGHS rejects raises :class:`InputError`.

    Examples
    --------
    >>> SolverOptions(time_limit=float("inf"), threads=2).time_limit is None
    True
    >>> SolverOptions(threads=10**6)
    Traceback (most recent call last):
    ...
    evcore.errors.InputError: threads: must be an integer in [1, 256], got 1000000
    """

    time_limit: float | None = None
    threads: int | None = None
    solver: str = "choose"
    verbose: bool = False
    mip_rel_gap: float = 1e-4
    presolve: str = "choose"
    extra: Mapping[str, bool | int | float | str] = field(default_factory=dict)

    def __post_init__(self):
        if self.time_limit is not None:
            limit = as_scalar("time_limit", self.time_limit)
            check_nonnegative("time_limit", _array(limit), allow_inf=True)
            object.__setattr__(self, "time_limit", None if math.isinf(limit) else float(limit))
        object.__setattr__(self, "threads", check_threads(self.threads))
        if not isinstance(self.solver, str) or self.solver not in SOLVER_CAPABILITIES:
            raise InputError("solver", f"must be one of {_available_list()} (the HiGHS algorithms this "
                                       f"build accepts), got {self.solver!r}")
        _check_available(self.solver)
        if not isinstance(self.verbose, (bool, np.bool_)):
            raise InputError("verbose", f"must be a bool, got {self.verbose!r}")
        object.__setattr__(self, "verbose", bool(self.verbose))
        gap = as_scalar("mip_rel_gap", self.mip_rel_gap)
        check_nonnegative("mip_rel_gap", _array(gap))
        object.__setattr__(self, "mip_rel_gap", float(gap))
        check_choice("presolve", self.presolve, _PRESOLVE_CHOICES)
        if not isinstance(self.extra, Mapping):
            raise InputError("extra", f"must be a mapping of HiGHS option names to values, got {type(self.extra).__name__}")
        extra = dict(self.extra)  # a private copy: later edits to the caller's dict do not leak in
        if extra:
            _check_extra(extra)
        object.__setattr__(self, "extra", extra)

    def __hash__(self):  # the generated hash would fail on the dict
        return hash((self.time_limit, self.threads, self.solver, self.verbose, self.mip_rel_gap,
                     self.presolve, frozenset(self.extra.items())))

    def _apply(self, highs: highspy.Highs, kind: str) -> None:
        """Set these options on ``highs`` for a model of ``kind`` (see :attr:`Model.kind`)."""
        settings = {"output_flag": self.verbose, "mip_rel_gap": self.mip_rel_gap,
                    "presolve": self.presolve, "threads": self.threads or 0,
                    "time_limit": math.inf if self.time_limit is None else self.time_limit}
        if self.solver != "choose":
            # For a MIP, HiGHS ignores "solver"; the LP algorithm of its relaxations is
            # "mip_lp_solver". The capability table only lets "simplex" through for a MIP.
            settings["mip_lp_solver" if kind == "mip" else "solver"] = self.solver
        settings.update(self.extra)
        for name, value in settings.items():
            if highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
                raise InputError("extra" if name in self.extra else name,
                                 f"HiGHS rejected option {name!r} = {value!r}")

    def _limits(self) -> dict:
        """HiGHS's infinity and matrix-size conventions under these options (see ``_LIMIT_OPTIONS``)."""
        limits = dict(_default_limits())
        limits.update({name: float(value) for name, value in self.extra.items() if name in limits})
        return limits


def _array(value) -> np.ndarray:
    return np.asarray(value, dtype=float)


# HiGHS option types, as ``getOptionType`` reports them, and what evcore takes for each.
_TYPE_NAMES = {highspy.HighsOptionType.kBool: "bool", highspy.HighsOptionType.kInt: "int",
               highspy.HighsOptionType.kDouble: "double", highspy.HighsOptionType.kString: "string"}


def _check_extra(extra: dict) -> None:
    probe = new_highs()  # output off: HiGHS prints its own complaint otherwise
    for name, value in extra.items():
        if not isinstance(name, str):
            raise InputError("extra", f"option names must be strings, got {name!r}")
        if name in _MANAGED_OPTIONS:
            raise InputError("extra", f"HiGHS option {name!r} is set by a SolverOptions field; use that field")
        status, option_type = probe.getOptionType(name)
        if status != highspy.HighsStatus.kOk:
            raise InputError("extra", f"unknown HiGHS option {name!r}")
        value = _plain(name, value, _TYPE_NAMES.get(option_type, "string"))
        extra[name] = value
        if probe.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise InputError("extra", f"HiGHS option {name!r}: HiGHS rejected the value {value!r}")


def _plain(name: str, value, kind: str):
    """``value`` as the Python type HiGHS's option ``name`` of type ``kind`` takes; anything whose
    meaning would change on the way (text parsed as a number, a bool as 0/1, 2.5 as 2, NaN) is refused."""
    def refuse(what: str):
        return InputError("extra", f"HiGHS option {name!r} takes {what}, got {value!r} ({type(value).__name__})")

    if kind == "bool":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        raise refuse("true or false")
    if isinstance(value, (bool, np.bool_)):
        raise refuse({"int": "an integer", "string": "a string"}.get(kind, "a number"))
    if kind == "string":
        if isinstance(value, str):
            return value
        raise refuse("a string")
    if kind == "int":
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real) and math.isfinite(float(value)) and float(value).is_integer() \
                and abs(float(value)) < 2**53:
            return int(value)
        raise refuse("an integer")
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            raise refuse("a number")
        return number
    raise refuse("a number")
