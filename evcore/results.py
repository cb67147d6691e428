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
"""

from __future__ import annotations

import dataclasses
import json
import math
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


def relative_gap(objective, bound, sense: str = "min") -> float | None:
    """Proven relative gap between an answer's ``objective`` and a valid ``bound``.

    ``(objective - bound) / max(|objective|, 1e-12)`` when minimising, the mirror image when
    maximising, never below 0; ``None`` when there is no bound; ``inf`` when either side is not
    finite (nothing found, or no finite bound).
    """
    if bound is None or objective is None:
        return None
    objective, bound = float(objective), float(bound)
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    difference = objective - bound if sense == "min" else bound - objective
    return max(difference, 0.0) / max(abs(objective), 1e-12)


def make_trace(columns, rows=()) -> np.ndarray:
    """A structured trace array with float64 ``columns`` (names with units, e.g. ``seconds``).

    ``rows`` is a sequence of tuples (one value per column) or a 2-D array.
    """
    dtype = np.dtype([(str(name), np.float64) for name in columns])
    rows = np.asarray(rows, dtype=float).reshape(-1, len(dtype.names)) if len(rows) else np.empty((0, len(columns)))
    out = np.empty(rows.shape[0], dtype=dtype)
    for k, name in enumerate(dtype.names):
        out[name] = rows[:, k]
    return out


class TraceRecorder:
    """Collects trace rows in Python and hands out the structured array once.

    >>> trace = TraceRecorder(("iteration", "seconds", "objective"))
    >>> trace.append(iteration=1, seconds=0.5, objective=3.0)
    >>> trace.array()["objective"].tolist()
    [3.0]
    """

    def __init__(self, columns):
        self.columns = tuple(columns)
        self._rows: list[tuple] = []

    def append(self, **values) -> None:
        self._rows.append(tuple(float(values.get(name, math.nan)) if values.get(name) is not None else math.nan
                                for name in self.columns))

    def __len__(self) -> int:
        return len(self._rows)

    def array(self) -> np.ndarray:
        return make_trace(self.columns, self._rows)


def to_jsonable(value):
    """Plain JSON values from numpy scalars and arrays, tuples, dataclasses and mappings.

    Non-finite floats become the strings ``"inf"``, ``"-inf"`` and ``"nan"`` (JSON has none),
    structured arrays become a mapping of column name to list, complex numbers a pair
    ``[real, imag]``.
    """
    if isinstance(value, Result):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.name.startswith("_")}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.names:
            return {name: to_jsonable(value[name]) for name in value.dtype.names}
        if value.dtype.kind == "c":
            return to_jsonable(np.stack([value.real, value.imag], axis=-1))
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, complex):
        return [to_jsonable(value.real), to_jsonable(value.imag)]
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


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
        if self.status not in STATUSES:
            raise InputError("status", f"must be one of {list(STATUSES)}, got {self.status!r}")

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
        import pandas as pd

        tables = self._frames()
        tables.setdefault("trace", lambda: {name: self.trace[name] for name in (self.trace.dtype.names or ())})
        if table is None:
            table = next(iter(tables))
        if table not in tables:
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
