"""The result contract every evcore method shares.

Every method's result is a frozen dataclass that extends :class:`Result`: the same status
vocabulary, the same optimality fields, a structured ``trace`` with named columns, and two
ways out: :meth:`Result.to_dict` (JSON-ready) and :meth:`Result.to_frame` (pandas DataFrames of
the solution, with ids and units in the column names).

Statuses (:data:`STATUSES`), with the same meaning for every method:

``optimal``
    The answer is proven: an optimum within the method's optimality tolerance (stated on the
    method), or, for a computation without an objective (a power flow, a queueing table, a
    sweep), the answer to the tolerance asked for.
``gap_reached``
    The proven gap ``gap`` is within the target the caller asked for (looser than optimal).
``feasible``
    A feasible answer; the method (a heuristic) used its own budget and proves nothing more.
``time_limit`` / ``iteration_limit``
    Stopped by the caller's limit; the best answer so far is returned with the gap it has.
    ``objective`` is ``inf`` (minimising) or ``-inf`` (maximising) when none was found.
``infeasible``
    The method ended without a feasible answer; what it returns (if anything) violates
    constraints, and the result says which. When infeasibility of the *instance* is proven,
    methods raise :class:`~evcore.errors.InfeasibleError` instead, saying why.

A method's result in a few lines (each method adds its own fields and tables):

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True, eq=False, kw_only=True)
... class PlanResult(Result):
...     sense = "min"
...     open_sites: tuple = ()
...     def _frames(self):
...         return {"sites": lambda: {"site_id": list(self.open_sites)}}
>>> trace = TraceRecorder(("iteration", "seconds", "objective", "bound"))
>>> trace.append(iteration=1, seconds=0.01, objective=12.0, bound=9.0)
>>> trace.append(iteration=2, seconds=0.02, objective=10.0, bound=10.0)
>>> result = PlanResult(status=OPTIMAL, objective=10.0, bound=10.0, gap=relative_gap(10.0, 10.0),
...                     iterations=2, wall_time=0.02, trace=trace.array(), method="demo",
...                     open_sites=("s1", "s4"))
>>> result.summary()["gap"], result.to_dict()["trace"]["objective"]
(0.0, [12.0, 10.0])
>>> result.to_frame().site_id.tolist()
['s1', 's4']
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError

__all__ = [
    "STATUSES",
    "OPTIMAL",
    "GAP_REACHED",
    "FEASIBLE",
    "TIME_LIMIT",
    "ITERATION_LIMIT",
    "INFEASIBLE",
    "Result",
    "relative_gap",
    "make_trace",
    "TraceRecorder",
    "to_jsonable",
]

OPTIMAL, GAP_REACHED, FEASIBLE = "optimal", "gap_reached", "feasible"
TIME_LIMIT, ITERATION_LIMIT, INFEASIBLE = "time_limit", "iteration_limit", "infeasible"

#: The one status vocabulary of evcore (see the module docstring for their meanings).
STATUSES = (OPTIMAL, GAP_REACHED, FEASIBLE, TIME_LIMIT, ITERATION_LIMIT, INFEASIBLE)

#: Statuses whose answer satisfies every constraint of the model.
_FEASIBLE_STATUSES = frozenset({OPTIMAL, GAP_REACHED, FEASIBLE})


def _real(field: str, value) -> float:
    """``value`` as a float; text, booleans, complex numbers and other objects are refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputError(field, f"must be a real number, got {value!r}")
    return float(value)


def relative_gap(objective, bound, sense: str = "min") -> float | None:
    """Proven relative gap between an answer's ``objective`` and a valid ``bound``.

    ``(objective - bound) / max(|objective|, 1e-12)`` when minimising, the mirror image when
    maximising, never below 0; ``None`` when there is no bound; ``inf`` when either side is not
    finite (nothing found, no finite bound, or NaN).

    >>> relative_gap(10.0, 9.0), relative_gap(9.0, 10.0, "max"), relative_gap(10.0, None)
    (0.1, 0.1111111111111111, None)
    >>> relative_gap(float("inf"), 3.0)
    inf
    """
    if sense not in ("min", "max"):
        raise InputError("sense", f'must be "min" or "max", got {sense!r}')
    if bound is None or objective is None:
        return None
    objective, bound = _real("objective", objective), _real("bound", bound)
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    difference = objective - bound if sense == "min" else bound - objective
    return max(difference, 0.0) / max(abs(objective), 1e-12)


def _trace_dtype(columns) -> np.dtype:
    if isinstance(columns, (str, bytes)) or not hasattr(columns, "__iter__"):
        raise InputError("columns", f"must be a sequence of column names, got {columns!r}")
    names = []
    for name in columns:
        if not isinstance(name, str) or not name:
            raise InputError("columns", f"column names must be non-empty strings, got {name!r}")
        if name in names:
            raise InputError("columns", f"column {name!r} appears twice")
        names.append(name)
    if not names:
        raise InputError("columns", "a trace needs at least one column")
    return np.dtype([(name, np.float64) for name in names])


def make_trace(columns, rows=()) -> np.ndarray:
    """A structured trace array with float64 ``columns`` (names with units, e.g. ``seconds``).

    ``rows`` is a sequence of tuples (one value per column) or a 2-D array of shape
    (k, len(columns)); with a single column, a flat sequence of values also works. Rows of
    another width, text, complex numbers and ragged rows raise :class:`InputError`; booleans
    are taken as 0/1.

    >>> trace = make_trace(("seconds", "objective"), [(0.5, 3.0), (1.0, 2.5)])
    >>> trace["objective"].tolist(), trace.dtype.names
    ([3.0, 2.5], ('seconds', 'objective'))
    >>> make_trace(("seconds", "objective"), [(0.5, 3.0, 1.0)])
    Traceback (most recent call last):
    ...
    evcore.errors.InputError: rows: expected shape (any, 2), got (1, 3)
    """
    from ._validate import as_array

    dtype = _trace_dtype(columns)
    width = len(dtype.names)
    if not isinstance(rows, np.ndarray):
        if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
            raise InputError("rows", f"must be a sequence of rows, got {rows!r}")
        rows = list(rows)
    table = as_array("rows", rows, allow_bool=True)
    if table.size == 0:
        table = table.reshape(0, width)
    elif table.ndim == 1 and width == 1:
        table = table.reshape(-1, 1)
    as_array("rows", table, ndim=2, shape=(None, width))
    out = np.empty(table.shape[0], dtype=dtype)
    for k, name in enumerate(dtype.names):
        out[name] = table[:, k]
    return out


class TraceRecorder:
    """Collects trace rows in Python and hands out the structured array once.

    Columns a row does not name (or names with ``None``) are NaN; a name that is not a column
    raises :class:`InputError` (a typo would otherwise lose the value).

    >>> trace = TraceRecorder(("iteration", "seconds", "objective"))
    >>> trace.append(iteration=1, seconds=0.5, objective=3.0)
    >>> trace.append(iteration=2, seconds=0.9)
    >>> trace.array()["objective"].tolist(), len(trace)
    ([3.0, nan], 2)
    >>> trace.append(iteration=3, objectiv=2.0)
    Traceback (most recent call last):
    ...
    evcore.errors.InputError: objectiv: not a column of this trace; columns: ('iteration', 'seconds', 'objective')
    """

    def __init__(self, columns):
        self.columns = _trace_dtype(columns).names
        self._rows: list[tuple] = []

    def append(self, **values) -> None:
        unknown = [name for name in values if name not in self.columns]
        if unknown:
            raise InputError(unknown[0], f"not a column of this trace; columns: {self.columns}")
        row = []
        for name in self.columns:
            value = values.get(name)
            row.append(math.nan if value is None else _real(name, value))
        self._rows.append(tuple(row))

    def __len__(self) -> int:
        return len(self._rows)

    def array(self) -> np.ndarray:
        """The rows so far as a structured array (see :func:`make_trace`)."""
        return make_trace(self.columns, self._rows)


def to_jsonable(value):
    """Plain JSON values from numpy scalars and arrays, tuples, dataclasses and mappings.

    Non-finite floats become the strings ``"inf"``, ``"-inf"`` and ``"nan"`` (JSON has none),
    structured arrays become a mapping of column name to list, complex numbers a pair
    ``[real, imag]``, paths and dates their text (ISO 8601), enums their value, bytes their
    UTF-8 text. Anything else (an object JSON cannot hold, bytes that are not UTF-8, a mapping
    or list that contains itself) raises :class:`InputError` naming where it sits, so that
    ``json.dumps(to_jsonable(x))`` never fails half-way through a file.

    >>> to_jsonable({"cost": np.float64(2.5), "gap": float("inf"), "sites": np.array([1, 4])})
    {'cost': 2.5, 'gap': 'inf', 'sites': [1, 4]}
    >>> to_jsonable({"v": 1 + 2j, "when": datetime.date(2024, 5, 1)})
    {'v': [1.0, 2.0], 'when': '2024-05-01'}
    >>> to_jsonable({"handle": object()})
    Traceback (most recent call last):
    ...
    evcore.errors.InputError: value['handle']: cannot be written as JSON: object
    """
    return _jsonable(value, "value", set())


def _jsonable(value, where: str, active: set):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):  # before numbers.Integral: plain ints (and IntEnum, below) stay ints
        return value.value if isinstance(value, enum.Enum) else int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return float(value)
    if isinstance(value, np.datetime64):
        return str(value)
    if isinstance(value, np.timedelta64):
        return float(value / np.timedelta64(1, "s"))
    if isinstance(value, np.void) and value.dtype.names:
        return {name: _jsonable(value[name], f"{where}[{name!r}]", active) for name in value.dtype.names}
    if isinstance(value, np.generic):
        return _jsonable(value.item(), where, active)
    if isinstance(value, decimal.Decimal):
        return _jsonable(float(value), where, active)
    if isinstance(value, enum.Enum):
        return _jsonable(value.value, where, active)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(where, "cannot be written as JSON: bytes that are not UTF-8 text") from None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return _jsonable(float(value), where, active)
    if isinstance(value, numbers.Complex):
        return [_jsonable(float(value.real), where, active), _jsonable(float(value.imag), where, active)]
    if isinstance(value, Result):
        return value.to_dict()
    container = (dataclasses.is_dataclass(value) and not isinstance(value, type)) or isinstance(
        value, (Mapping, list, tuple, set, frozenset, np.ndarray))
    if not container:
        raise InputError(where, f"cannot be written as JSON: {type(value).__name__}")
    if id(value) in active:
        raise InputError(where, "cannot be written as JSON: it contains itself")
    active.add(id(value))
    try:
        if dataclasses.is_dataclass(value):
            return {f.name: _jsonable(getattr(value, f.name), f"{where}.{f.name}", active)
                    for f in dataclasses.fields(value) if not f.name.startswith("_")}
        if isinstance(value, Mapping):
            return {_key(k, where): _jsonable(v, f"{where}[{k!r}]", active) for k, v in value.items()}
        if isinstance(value, np.ndarray):
            if value.dtype.names:
                return {name: _jsonable(value[name], f"{where}[{name!r}]", active) for name in value.dtype.names}
            if value.dtype.kind == "c":
                return _jsonable(np.stack([value.real, value.imag], axis=-1), where, active)
            if value.dtype.kind == "M":  # .tolist() would give bare integers for ns precision
                return _jsonable(np.datetime_as_string(value).tolist(), where, active)
            if value.dtype.kind == "m":
                return _jsonable((value / np.timedelta64(1, "s")).tolist(), where, active)
            return _jsonable(value.tolist(), where, active)
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [_jsonable(v, f"{where}[{k}]", active) for k, v in enumerate(items)]
    finally:
        active.discard(id(value))


def _key(key, where: str) -> str:
    """A JSON object key: strings as they are, numbers, booleans and None as JSON writes them."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, np.bool_)):
        return json.dumps(None if key is None else bool(key))
    if isinstance(key, numbers.Real):
        return str(_jsonable(key, where, set()))
    if isinstance(key, enum.Enum):
        return _key(key.value, where)
    if isinstance(key, tuple):  # (row, column) positions and the like
        return str(tuple(_jsonable(k, where, set()) for k in key))
    raise InputError(where, f"cannot be written as JSON: a key of type {type(key).__name__}")


@dataclass(frozen=True, eq=False, kw_only=True)
class Result:
    """What every evcore method returns (each method's result extends it).

    Attributes
    ----------
    status : str
        One of :data:`STATUSES` (see :mod:`evcore.results`).
    objective : float
        Objective of the returned answer, in the method's unit (stated on the subclass);
        ``inf``/``-inf`` (minimising/maximising) when no answer was found; ``nan`` for
        computations without an objective.
    bound : float or None
        A proven bound on the optimum (lower when minimising, upper when maximising), or
        ``None`` when the method proves none.
    gap : float or None
        Proven relative gap between ``objective`` and ``bound`` (:func:`relative_gap`), or
        ``None`` without a bound.
    iterations : int
        The method's own count (iterations, generations, MILP rounds, nodes, Newton steps).
    wall_time : float
        Seconds of the run (compilation of kernels excluded).
    trace : numpy.ndarray (structured)
        One row per logged step, float columns named with their unit (``seconds``,
        ``objective``, ``bound``, ``gap``, ...).
    seed : int or None
        Seed used by a randomised method, ``None`` for deterministic ones.
    method : str
        The method that produced the result.
    """

    #: ``"min"`` or ``"max"``: how ``objective`` and ``bound`` compare (set per subclass).
    sense = "min"

    status: str
    objective: float = math.nan
    bound: float | None = None
    gap: float | None = None
    iterations: int = 0
    wall_time: float = 0.0
    trace: np.ndarray = field(default_factory=lambda: make_trace(("seconds",)))
    seed: int | None = None
    method: str = ""

    def __post_init__(self):
        """Check the contract's fields (a method's bug surfaces here, not in a user's JSON file):
        numbers must be real numbers, ``iterations`` a count, ``wall_time`` seconds, ``gap``
        ``>= 0``, ``bound`` and ``gap`` not NaN, ``trace`` a structured array. Numpy scalars
        are stored as Python ones. Subclasses that define ``__post_init__`` call this one."""
        if not isinstance(self.status, str) or self.status not in STATUSES:
            raise InputError("status", f"must be one of {list(STATUSES)}, got {self.status!r}")
        values = {"objective": _real("objective", self.objective)}
        for name in ("bound", "gap"):
            value = getattr(self, name)
            if value is not None:
                value = _real(name, value)
                if math.isnan(value):
                    raise InputError(name, "must be a number or None, got nan (a NaN proves nothing)")
            values[name] = value
        if values["gap"] is not None and values["gap"] < 0:
            raise InputError("gap", f"must be >= 0, got {values['gap']!r}")
        iterations = self.iterations
        if isinstance(iterations, (bool, np.bool_)) or not isinstance(iterations, numbers.Real) or \
                not math.isfinite(iterations) or iterations != int(iterations) or iterations < 0:
            raise InputError("iterations", f"must be a count (an integer >= 0), got {iterations!r}")
        values["iterations"] = int(iterations)
        wall_time = _real("wall_time", self.wall_time)
        if not (wall_time >= 0 and math.isfinite(wall_time)):
            raise InputError("wall_time", f"must be seconds (finite, >= 0), got {wall_time!r}")
        values["wall_time"] = wall_time
        if not isinstance(self.trace, np.ndarray) or not self.trace.dtype.names or self.trace.ndim != 1:
            raise InputError("trace", f"must be a structured array with named columns (see make_trace), "
                                      f"got {type(self.trace).__name__}")
        if self.seed is not None:
            if isinstance(self.seed, (bool, np.bool_)) or not isinstance(self.seed, numbers.Integral):
                raise InputError("seed", f"must be an integer or None, got {self.seed!r}")
            values["seed"] = int(self.seed)
        if not isinstance(self.method, str):
            raise InputError("method", f"must be a string, got {self.method!r}")
        for name, value in values.items():
            object.__setattr__(self, name, value)

    # -- the shared views ------------------------------------------------------------------------
    @property
    def feasible(self) -> bool:
        """True when the returned answer satisfies the model's constraints."""
        if self.status in _FEASIBLE_STATUSES:
            return True
        if self.status == INFEASIBLE:
            return False
        return self.objective is not None and math.isfinite(self.objective)

    def summary(self) -> dict:
        """The contract's scalars (JSON-ready): status, objective, bound, gap, iterations, wall
        time, seed, method, and the subclass's own headline scalars (:meth:`_summary_extra`)."""
        out = {
            "method": self.method,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "iterations": int(self.iterations),
            "wall_time": float(self.wall_time),
            "seed": self.seed,
        }
        out.update(self._summary_extra())
        return to_jsonable(out)

    def to_dict(self) -> dict:
        """Every public field, JSON-ready (``json.dumps(result.to_dict())`` works).

        Arrays become lists, the trace a mapping of column name to list, non-finite floats the
        strings ``"inf"``/``"-inf"``/``"nan"``; subclasses add derived quantities and ids
        through :meth:`_dict_extra`.
        """
        out = {}
        for f in dataclasses.fields(self):
            if f.name.startswith("_") or not f.repr:
                continue
            out[f.name] = to_jsonable(getattr(self, f.name))
        out.update(to_jsonable(self._dict_extra()))
        return out

    def to_json(self, **kwargs) -> str:
        """:meth:`to_dict` as JSON text (``kwargs`` go to :func:`json.dumps`)."""
        return json.dumps(self.to_dict(), **kwargs)

    def frames(self) -> tuple:
        """Names of the tables :meth:`to_frame` can give (the first is the default)."""
        return tuple(self._frames())

    def to_frame(self, table: str | None = None):
        """The solution as a pandas DataFrame, ids and units in the columns.

        Parameters
        ----------
        table : str, optional
            One of :meth:`frames`; the first (the main solution table) by default. ``"trace"``
            is always available.
        """
        # pandas is a core dependency, imported here rather than at the top of the module: it takes
        # 1.7-2.3 s to import on a loaded 2-core machine (evcore.results itself 0.4 s), and every
        # method and every CLI command imports this module, most without ever making a frame.
        import pandas as pd

        tables = self._frames()
        tables.setdefault("trace", lambda: {name: self.trace[name] for name in (self.trace.dtype.names or ())})
        if table is None:
            table = next(iter(tables))
        if not isinstance(table, str) or table not in tables:
            raise InputError("table", f"must be one of {list(tables)}, got {table!r}")
        return pd.DataFrame(tables[table]())

    # -- what a subclass adds -------------------------------------------------------------------
    def _frames(self) -> dict:
        """Table name -> zero-argument callable returning a mapping of column -> array."""
        return {}

    def _summary_extra(self) -> dict:
        return {}

    def _dict_extra(self) -> dict:
        return {}
