"""What the dispatcher decides: one :class:`Assignment` per request, a :class:`Batch` per solve,
and the decisions as a table (EV and station ids, times in hours, costs, distances in km)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from ...errors import InputError

__all__ = ["Assignment", "Batch", "decisions_table", "decisions_frame"]


@dataclass(frozen=True)
class Assignment:
    """The dispatcher's answer to one request (a station, or blocked with a reason).

    Attributes
    ----------
    ev : int
        The request's EV id.
    request_time_h, decided_at_h : float
        When the request was made and when its batch was solved (hours since midnight).
    station : int
        0-based station position (``-1`` when blocked); the id is :attr:`station_id`.
    arrival_time_h : float
        Expected arrival at the station: decision time + driving time from the reported
        position + congestion delay (hours since midnight; NaN when blocked).
    p_free : float
        Predicted chance of a free pile on arrival, ``1 - w_0(tau)`` (NaN when blocked).
    cost : float
        The paper's cost ``C_D D + C_W W + C_i T_C`` of this EV at this station (currency).
    dispatch_cost : float
        ``cost`` plus the expected turned-away cost and the lateness charge: what the batch
        solver minimised (currency).
    driving_km, walking_km : float
        Road distance to the station and walk from the station to the destination (km).
    remaining_time_h : float
        R = t*(O, F) - t(O, P) - dT for the chosen station (hours).
    reason : str or None
        Why the request is blocked (one of the ``BLOCKED_*`` texts); ``None`` when assigned.
    station_id : str, int or None
        The station's id (:attr:`City.station_ids`); ``None`` when blocked.
    charging_time_h : float
        The request's charging time T_C (hours).
    charge_end_h : float
        Expected end of the session, ``arrival_time_h + charging_time_h`` (NaN when blocked).
    """

    ev: int
    request_time_h: float
    decided_at_h: float
    station: int
    arrival_time_h: float = math.nan
    p_free: float = math.nan
    cost: float = math.nan
    dispatch_cost: float = math.nan
    driving_km: float = math.nan
    walking_km: float = math.nan
    remaining_time_h: float = math.nan
    reason: str | None = None
    station_id: object = None
    charging_time_h: float = math.nan
    charge_end_h: float = math.nan

    @property
    def blocked(self) -> bool:
        return self.station < 0


#: Columns of :func:`decisions_table`, in order (``station`` is written as ``station_id``).
_TABLE_COLUMNS = ("ev_id", "station_id", "request_time_h", "decided_at_h", "arrival_time_h", "charging_time_h",
                  "charge_end_h", "p_free", "cost", "dispatch_cost", "driving_km", "walking_km", "remaining_time_h",
                  "blocked", "reason")


def decisions_table(decisions) -> dict:
    """Decisions as columns (EV and station ids, times in hours, costs, distances in km, reasons).

    ``pandas.DataFrame(decisions_table(...))`` gives the table; blocked requests have
    ``station_id`` ``None`` and NaN times.
    """
    decisions = list(decisions)
    out = {name: [] for name in _TABLE_COLUMNS}
    for d in decisions:
        if not isinstance(d, Assignment):
            raise InputError("decisions", f"must hold Assignment objects, got {type(d).__name__}")
        out["ev_id"].append(d.ev)
        out["blocked"].append(d.blocked)
        out["reason"].append(d.reason or "")
        for name in _TABLE_COLUMNS[1:-2]:
            out[name].append(getattr(d, name))
    return out


def decisions_frame(decisions):
    """:func:`decisions_table` as a pandas DataFrame; station ids keep their type (``None`` when blocked)."""
    import pandas as pd

    table = decisions_table(decisions)
    table["station_id"] = pd.Series(table["station_id"], dtype=object)
    return pd.DataFrame(table, columns=list(_TABLE_COLUMNS))


@dataclass(frozen=True, eq=False)
class Batch:
    """What the dispatcher saw and decided in one batch (for inspection and tests).

    Attributes
    ----------
    time_h : float
        Decision time.
    evs : numpy.ndarray of int, shape (n,)
        EV ids in batch order.
    committed : numpy.ndarray of int, shape (stations,)
        Piles busy or promised at decision time: the transient's initial state.
    in_service : numpy.ndarray of int, shape (stations,)
        Piles not out of service (:meth:`Dispatcher.pile_outage`).
    arrival_rate_per_hour : numpy.ndarray, shape (stations,)
        Background arrival rate used in the transient.
    capacity : numpy.ndarray of int, shape (stations,)
        EVs each station could take in this batch.
    tau_h : numpy.ndarray, shape (n, stations)
        Expected driving time to each station, congestion included (hours).
    p_free : numpy.ndarray, shape (n, stations)
        ``1 - w_0(tau)`` of each pair.
    remaining_time_h : numpy.ndarray, shape (n, stations)
        R of each pair (hours).
    offered : numpy.ndarray of bool, shape (n, stations)
        Pairs passed to the solver (range, walking reach, p_free threshold, lateness, capacity).
    dispatch_cost : numpy.ndarray, shape (n, stations)
        Cost the solver saw (``inf`` where not offered).
    method : str
        Solver used (``"greedy"`` when the cheapest station of every EV already fitted,
        which is then optimal, so no solver ran).
    """

    time_h: float
    evs: np.ndarray
    committed: np.ndarray
    in_service: np.ndarray
    arrival_rate_per_hour: np.ndarray
    capacity: np.ndarray
    tau_h: np.ndarray
    p_free: np.ndarray
    remaining_time_h: np.ndarray
    offered: np.ndarray
    dispatch_cost: np.ndarray
    method: str


assert {f.name for f in fields(Assignment)} >= set(_TABLE_COLUMNS) - {"ev_id", "blocked"}
