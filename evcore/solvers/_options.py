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

from .._validate import as_scalar, check_nonnegative
from ..errors import InputError

__all__ = ["SolverOptions", "SOLVER_CAPABILITIES", "available_solvers", "check_capability"]

#: Model kinds each value of ``SolverOptions.solver`` really solves, declared rather than
#: guessed. HiGHS 1.15 *ignores* a ``solver`` choice it cannot apply (it logs "Solver ... is
#: not available for MIP/QP. Option "solver" ignored" and runs its MIP or active-set QP
#: solver instead), so evcore refuses those pairs instead of silently running something else.
#: "simplex" is kept for MIP because the MIP solver's LP relaxations are dual simplex; evcore
#: passes it as HiGHS's ``mip_lp_solver``. No choice solves a MIQP: HiGHS 1.15 cannot.
#: "hipo" is listed as HiGHS declares it, but only builds compiled with HiPO accept it
#: (see :func:`available_solvers`); the highspy 1.15.1 wheels do not.
SOLVER_CAPABILITIES: Mapping[str, frozenset[str]] = MappingProxyType({
    "choose": frozenset({"lp", "mip", "qp"}),
    "simplex": frozenset({"lp", "mip"}),
    "ipm": frozenset({"lp"}),
    "hipo": frozenset({"lp"}),
    "pdlp": frozenset({"lp"}),
})

_PRESOLVE_CHOICES = ("choose", "on", "off")

# Options evcore sets from SolverOptions fields; passing them through ``extra`` would bypass
# the validation and bookkeeping done for the field (threads in particular).
_MANAGED_OPTIONS = frozenset({"time_limit", "threads", "solver", "mip_lp_solver", "output_flag",
                              "mip_rel_gap", "presolve"})


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
                highs = _quietly(highspy.Highs)
                _BANNER_SHOWN = True
                highs.setOptionValue("output_flag", False)
                return highs
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


def _quietly(make):
    import ctypes
    import os
    import sys

    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):
        return make()
    libc = ctypes.CDLL(None)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        libc.fflush(None)
        os.dup2(null, 1)
        return make()
    finally:
        libc.fflush(None)
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


@functools.cache
def available_solvers() -> frozenset[str]:
    """Values of ``SolverOptions.solver`` the installed HiGHS build accepts.

    Probed once by setting HiGHS's ``solver`` option on a scratch instance.

    Returns
    -------
    frozenset of str
    """
    probe = new_highs()
    return frozenset(name for name in SOLVER_CAPABILITIES
                     if probe.setOptionValue("solver", name) == highspy.HighsStatus.kOk)


def check_capability(solver: str, kind: str) -> None:
    """Raise :class:`InputError` (field ``"solver"``) unless ``solver`` can solve a ``kind`` model."""
    if kind not in SOLVER_CAPABILITIES["choose"] | {"miqp"}:
        raise ValueError(f"unknown model kind {kind!r}")
    if not any(kind in kinds for kinds in SOLVER_CAPABILITIES.values()):
        raise InputError("solver", f"HiGHS {new_highs().version()} cannot solve a mixed-integer QP "
                                   "(the model has both integrality and a hessian)")
    if kind not in SOLVER_CAPABILITIES[solver]:
        able = sorted(name for name, kinds in SOLVER_CAPABILITIES.items() if kind in kinds)
        raise InputError("solver", f"{solver!r} cannot solve a {kind.upper()} (HiGHS would ignore it "
                                   f"and use another algorithm); use one of {able}")
    if solver not in available_solvers():
        raise InputError("solver", f"{solver!r} is not available in this HiGHS build; available: "
                                   f"{sorted(available_solvers())}")


@dataclass(frozen=True)
class SolverOptions:
    """How to run HiGHS.

    Parameters
    ----------
    time_limit : float or None
        Wall-clock limit in seconds (``>= 0``); ``None`` for none.
    threads : int or None
        Threads for HiGHS (``>= 1``); ``None`` keeps HiGHS's default. Changing it between
        solves is safe: evcore restarts HiGHS's scheduler when needed.
    solver : {"choose", "simplex", "ipm", "hipo", "pdlp"}
        HiGHS algorithm; must be able to solve the model kind (see
        :data:`SOLVER_CAPABILITIES`).
    verbose : bool
        Show HiGHS's own log (HiGHS option ``output_flag``).
    mip_rel_gap : float
        Relative MIP gap at which HiGHS stops and reports optimal (HiGHS default 1e-4).
    presolve : {"choose", "on", "off"}
        HiGHS presolve.
    extra : mapping of str to bool, int, float or str
        Further raw HiGHS options, passed with ``setOptionValue``. Checked against HiGHS on
        creation: an unknown name or a rejected value raises :class:`InputError`.
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
        if self.threads is not None:
            threads = as_scalar("threads", self.threads, int)
            if threads < 1:
                raise InputError("threads", f"must be at least 1, got {threads}")
            object.__setattr__(self, "threads", threads)
        if self.solver not in SOLVER_CAPABILITIES:
            raise InputError("solver", f"must be one of {list(SOLVER_CAPABILITIES)}, got {self.solver!r}")
        if not isinstance(self.verbose, (bool, np.bool_)):
            raise InputError("verbose", f"must be a bool, got {self.verbose!r}")
        object.__setattr__(self, "verbose", bool(self.verbose))
        gap = as_scalar("mip_rel_gap", self.mip_rel_gap)
        check_nonnegative("mip_rel_gap", _array(gap))
        object.__setattr__(self, "mip_rel_gap", float(gap))
        if self.presolve not in _PRESOLVE_CHOICES:
            raise InputError("presolve", f"must be one of {list(_PRESOLVE_CHOICES)}, got {self.presolve!r}")
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


def _array(value) -> np.ndarray:
    return np.asarray(value, dtype=float)


def _check_extra(extra: dict) -> None:
    probe = new_highs()  # output off: HiGHS prints its own complaint otherwise
    for name, value in extra.items():
        if not isinstance(name, str):
            raise InputError("extra", f"option names must be strings, got {name!r}")
        if name in _MANAGED_OPTIONS:
            raise InputError("extra", f"HiGHS option {name!r} is set by a SolverOptions field; use that field")
        if probe.getOptionType(name)[0] != highspy.HighsStatus.kOk:
            raise InputError("extra", f"unknown HiGHS option {name!r}")
        value = _plain(name, value)
        extra[name] = value
        if probe.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            raise InputError("extra", f"HiGHS option {name!r}: HiGHS rejected the value {value!r}")


def _plain(name: str, value):
    """``value`` as the Python type HiGHS's ``setOptionValue`` overloads expect."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return value
    raise InputError("extra", f"HiGHS option {name!r}: value must be a bool, number or string, "
                              f"got {type(value).__name__}")
