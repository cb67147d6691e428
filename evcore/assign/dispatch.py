"""Dynamic dispatch of charging requests over a day (seed 003's state transition and queueing model).

A request starts when an EV enters an *allocation radius* around its destination
(:func:`allocation_radius_km`). A :class:`Dispatcher` collects requests for a short batch
window, predicts for every station the chance ``1 - w_0(tau)`` that a pile is free when the
EV gets there (the M/M/c/c transient of :func:`evcore.queueing.free_server_probability`,
started from the station's current occupancy), applies the remaining-time rule and assigns the
batch with a GAP solver (:func:`evcore.assign.solve_gap`, HASP by default). A traffic simulator
drives it through :meth:`Dispatcher.step`; :func:`simulate_day` is a self-contained day with
background (non-dispatched) EVs that produces summary statistics and occupancy plots.

Units: distances in km, times in hours (times of day are hours since midnight), energy in
kWh, money in the currency of the prices.

Readings of the paper (it leaves these open; the choices are ours):

*Allocation radius.* An EV requests when its straight-line distance to its destination falls
to ``r = min(r_0 * (1 + g * rho_F), s * range_km)``: ``rho_F`` is the share of busy piles at
the stations within walking reach of the destination (busy surroundings make the EV ask
earlier, with more stations open to it) and the cap ``s * range_km`` (``s = 0.5``) keeps the
circle's stations within the remaining energy, so a low battery shrinks the radius
(:func:`allocation_radius_km`).

*Batches.* Requests carry the position at the time they are made; a batch is solved once its
oldest request has waited ``batch_window_h``, and the expected arrival is the decision time
plus the driving time from the reported position (the decision delay counts as waiting).

*Remaining time.* For EV ``k`` at ``O`` heading to ``F`` and a candidate station ``P_i``,
``R_ki = t*(O, F) - t(O, P_i) - dT_k``. ``t*(O, F)`` is the time the driver allows for
reaching the destination (:attr:`ChargeRequest.time_budget_h`; by default the estimated
driving time, i.e. no slack), ``t(O, P_i)`` the driving time to the station and ``dT_k`` the
congestion allowance (:attr:`ChargeRequest.congestion_delay_h`). ``R_ki`` is the time left to
walk from the station to the destination without arriving later than planned. Walks longer
than the maximum walking time ``T_w`` are never offered, so when ``R_ki >= T_w`` the driver
has time for any offered walk and nothing changes. When ``R_ki < T_w`` the walk
``w_ki = W[i, F] / v_walk`` may exceed ``R_ki``; the lateness ``max(0, w_ki - R_ki)`` is
charged at ``lateness_cost_per_h``, which favours stations nearer the destination.
``lateness_cost_per_h=inf`` turns the preference into a restriction (late pairs are not
offered). Without slack, the triangle inequality gives ``R_ki <= t(P_i, F)`` (driving), which
is below ``T_w`` whenever walking is slower than driving: a driver on a schedule is always
steered towards the destination; drivers with slack are not.

*Free-pile probability.* Station ``i`` with ``c_i`` piles, ``n_i`` of them committed now
(EVs charging plus dispatched EVs still driving there), background arrival rate ``lambda_i``
(EVs the dispatcher does not control) and service rate ``mu_i``:
``p_ki = 1 - P(X(tau_ki) = c_i | X(0) = n_i)`` with ``tau_ki`` the EV's expected driving time
(including ``dT_k``). A pair is offered only if ``p_ki >= min_free_probability``, and its cost
carries the expected cost of being turned away, ``(1 - p_ki) * turned_away_cost``.

*Capacity of a batch.* Station ``i`` takes at most its piles free now (not charging, not
promised to an EV on its way) plus the piles expected to be released before the batch's first
possible arrival there: exactly, for EVs the dispatcher sent (their charging end is known),
and ``floor(others * (1 - exp(-mu_i tau)))`` for busy piles it only observes.

*Cost.* The paper's cost ``C_D D_ki + C_W W[i, F_k] + C_i T_k`` (as
:meth:`EVInstance.cost_matrix`) is what :attr:`Assignment.cost` reports; the solver minimises
that plus the turned-away and lateness terms (:attr:`Assignment.dispatch_cost`). EVs that get
no station are returned as blocked with the reason, never dropped.
"""

from __future__ import annotations

import heapq
import importlib.util
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .._validate import (
    as_array,
    freeze_fields,
    frozen_array,
    as_scalar,
    check_finite,
    check_integer,
    check_nonnegative,
    check_positive,
    check_probability,
    first_index,
)
from ..errors import InputError
from ..queueing import free_server_probability
from .model import GAPInstance
from .solve import METHODS, solve_gap

__all__ = [
    "City",
    "ChargeRequest",
    "Assignment",
    "Batch",
    "Dispatcher",
    "Trips",
    "DaySimulation",
    "generate_city",
    "generate_trips",
    "generate_requests",
    "requests_from_trips",
    "allocation_radius_km",
    "daily_profile",
    "simulate_day",
    "plot_occupancy",
    "plot_summary",
    "hasp_available",
    "BLOCKED_OUT_OF_RANGE",
    "BLOCKED_NO_WALKABLE_STATION",
    "BLOCKED_LIKELY_FULL",
    "BLOCKED_LATE",
    "BLOCKED_NO_PILE",
    "BLOCKED_BATCH_FULL",
]

#: Reasons a request is blocked at dispatch, checked in this order.
BLOCKED_OUT_OF_RANGE = "no station within the EV's remaining range"
BLOCKED_NO_WALKABLE_STATION = "no station in range lies within the maximum walking time of the destination"
BLOCKED_LIKELY_FULL = "every station in range and in walking reach is likely full on arrival " \
                      "(free-pile probability below min_free_probability)"
BLOCKED_LATE = "every remaining station would make the driver late (lateness_cost_per_h is inf)"
BLOCKED_NO_PILE = "no pile free or about to be released at any remaining station"
BLOCKED_BATCH_FULL = "other EVs of the batch took the last usable piles at its remaining stations"


def _pairwise_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances, shape (len(a), len(b)), from (n, 2) and (m, 2) coordinates."""
    return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)


@dataclass(frozen=True, eq=False)
class City:
    """Stations, destinations and travel parameters of a city, validated on creation.

    Parameters
    ----------
    station_xy : array_like, shape (stations, 2)
        Station coordinates (km).
    piles : array_like of int, shape (stations,)
        Charging piles at each station (``>= 1``).
    price_per_hour : array_like, shape (stations,)
        Charging price C_i (currency per hour of charging).
    destination_xy : array_like, shape (destinations, 2)
        Coordinates of the final destinations (km).
    driving_speed_kmh, walking_speed_kmh : float
        Average speeds (km/h).
    detour_factor : float
        Road distance over straight-line distance for driving (``>= 1``); walking is straight.
    driving_cost_per_km, walking_cost_per_km : float
        C_D and C_W (currency per km).
    max_walking_time_h : float
        T_w: longest walk from a station to the destination that is ever offered (hours).

    Attributes
    ----------
    walking_km : numpy.ndarray, shape (stations, destinations)
        Walking distance W from each station to each destination (km).
    """

    station_xy: np.ndarray
    piles: np.ndarray
    price_per_hour: np.ndarray
    destination_xy: np.ndarray
    driving_speed_kmh: float = 25.0
    walking_speed_kmh: float = 5.0
    detour_factor: float = 1.3
    driving_cost_per_km: float = 1.0
    walking_cost_per_km: float = 2.0
    max_walking_time_h: float = 1.0 / 3.0
    walking_km: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        station_xy = check_finite("station_xy", as_array("station_xy", self.station_xy, ndim=2, shape=(None, 2)))
        stations = station_xy.shape[0]
        if stations < 1:
            raise InputError("station_xy", "needs at least one station")
        piles = check_integer("piles", as_array("piles", self.piles, dtype=None, shape=(stations,)), minimum=1)
        price = check_nonnegative("price_per_hour", as_array("price_per_hour", self.price_per_hour,
                                                             shape=(stations,)))
        destination_xy = check_finite("destination_xy", as_array("destination_xy", self.destination_xy, ndim=2,
                                                                 shape=(None, 2)))
        if destination_xy.shape[0] < 1:
            raise InputError("destination_xy", "needs at least one destination")
        for name, check in (("driving_speed_kmh", check_positive), ("walking_speed_kmh", check_positive),
                            ("max_walking_time_h", check_positive), ("driving_cost_per_km", check_nonnegative),
                            ("walking_cost_per_km", check_nonnegative)):
            value = check(name, np.asarray(as_scalar(name, getattr(self, name))))
            object.__setattr__(self, name, float(value))
        detour = as_scalar("detour_factor", self.detour_factor)
        if not (math.isfinite(detour) and detour >= 1.0):
            raise InputError("detour_factor", f"must be a finite number >= 1, got {detour!r}")
        object.__setattr__(self, "detour_factor", float(detour))
        freeze_fields(self, station_xy=station_xy, piles=piles, price_per_hour=price, destination_xy=destination_xy,
                      walking_km=_pairwise_km(station_xy, destination_xy))

    @property
    def stations(self) -> int:
        return int(self.station_xy.shape[0])

    @property
    def destinations(self) -> int:
        return int(self.destination_xy.shape[0])

    @property
    def max_walking_km(self) -> float:
        """Distance walked in the maximum walking time (km)."""
        return self.max_walking_time_h * self.walking_speed_kmh

    def driving_km(self, positions) -> np.ndarray:
        """Road distance from each position to each station, shape (n, stations), km."""
        return self.detour_factor * _pairwise_km(np.asarray(positions, float).reshape(-1, 2), self.station_xy)

    def driving_km_to_destination(self, positions, destination) -> np.ndarray:
        """Road distance from each position (n, 2) to its destination (n,), shape (n,), km."""
        positions = np.asarray(positions, float).reshape(-1, 2)
        target = self.destination_xy[np.asarray(destination, int)]
        return self.detour_factor * np.linalg.norm(positions - target, axis=1)


@dataclass(frozen=True)
class ChargeRequest:
    """One EV asking for a charging station.

    Parameters
    ----------
    ev : int
        EV identifier, unique among the dispatcher's open requests and EVs on their way.
    time_h : float
        When the request was made (hours since midnight).
    position_km : tuple of float
        (x, y) of the EV at ``time_h`` (km).
    destination : int
        0-based index of the final destination in :attr:`City.destination_xy`.
    remaining_kwh : float
        Remaining battery energy Q (kWh).
    consumption_kwh_per_km : float
        Energy use per km of road, Delta E (kWh/km).
    charging_time_h : float
        Charging time needed, T_C (hours).
    congestion_delay_h : float
        dT: expected extra driving time due to congestion (hours); enters the expected arrival
        and the remaining time R.
    time_budget_h : float, optional
        t*(O, F): time the driver allows for reaching the destination from ``position_km``
        (hours). ``None`` means the estimated driving time (no slack).
    """

    ev: int
    time_h: float
    position_km: tuple[float, float]
    destination: int
    remaining_kwh: float
    consumption_kwh_per_km: float
    charging_time_h: float
    congestion_delay_h: float = 0.0
    time_budget_h: float | None = None


@dataclass(frozen=True)
class Assignment:
    """The dispatcher's answer to one request (a station, or blocked with a reason).

    Attributes
    ----------
    ev : int
    request_time_h, decided_at_h : float
        When the request was made and when its batch was solved (hours since midnight).
    station : int
        0-based station, ``-1`` when blocked.
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

    @property
    def blocked(self) -> bool:
        return self.station < 0


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
    arrival_rate_per_hour: np.ndarray
    capacity: np.ndarray
    tau_h: np.ndarray
    p_free: np.ndarray
    remaining_time_h: np.ndarray
    offered: np.ndarray
    dispatch_cost: np.ndarray
    method: str


def _request_arrays(requests: Sequence[ChargeRequest], city: City) -> dict[str, np.ndarray]:
    """Validated arrays of a list of requests; errors name ``new_requests[k].field``."""
    for k, request in enumerate(requests):
        if not isinstance(request, ChargeRequest):
            raise InputError("new_requests", f"must hold ChargeRequest objects, got {type(request).__name__}", k)
    n = len(requests)

    def named(name):
        return f"new_requests.{name}"

    def column(name, dtype=float):
        values = [getattr(r, name) for r in requests]
        return as_array(named(name), values if n else np.empty(0), dtype=dtype if n else float, shape=(n,))

    out = {}
    try:
        out["ev"] = check_integer(named("ev"), column("ev", None))
        out["time_h"] = check_finite(named("time_h"), column("time_h"))
        out["position_km"] = check_finite(named("position_km"), as_array(
            named("position_km"), [r.position_km for r in requests] if n else np.empty((0, 2)), shape=(n, 2)))
        out["destination"] = check_integer(named("destination"), column("destination", None), minimum=0)
        out["remaining_kwh"] = check_nonnegative(named("remaining_kwh"), column("remaining_kwh"))
        out["consumption_kwh_per_km"] = check_positive(named("consumption_kwh_per_km"),
                                                       column("consumption_kwh_per_km"))
        out["charging_time_h"] = check_nonnegative(named("charging_time_h"), column("charging_time_h"))
        out["congestion_delay_h"] = check_nonnegative(named("congestion_delay_h"), column("congestion_delay_h"))
        budget = as_array(named("time_budget_h"), [np.nan if r.time_budget_h is None else r.time_budget_h
                                                   for r in requests] if n else np.empty(0), shape=(n,))
        check_nonnegative(named("time_budget_h"), np.where(np.isnan(budget), 0.0, budget), allow_inf=True)
        out["time_budget_h"] = budget  # NaN: use the estimated driving time
    except InputError as error:
        # Point at the request (first index) rather than the column.
        index = error.index[0] if isinstance(error.index, tuple) else error.index
        raise InputError(error.field, error.problem, index) from None
    bad = out["destination"] >= city.destinations
    if bad.any():
        k = first_index(bad)
        raise InputError("new_requests.destination", f"must be below {city.destinations}, got "
                                                      f"{out['destination'][k]}", k)
    return out


class Dispatcher:
    """Assigns batches of charging requests to stations as a day unfolds.

    Parameters
    ----------
    city : City
    arrival_rate_per_hour : float, array_like of shape (stations,), or callable
        Background arrival rate lambda_i at each station (EVs per hour that the dispatcher does
        not control), or a function of the time of day returning that array. Used in the
        M/M/c/c transient; 0 means only dispatched EVs use the stations.
    service_rate_per_hour : float or array_like, shape (stations,)
        mu_i: charging sessions ended per busy pile per hour (1 / mean session length).
    method : str
        Batch solver, a :data:`evcore.assign.METHODS` name (``"hasp"`` by default).
    batch_window_h : float
        A batch is solved once the oldest open request has waited this long (hours); ``0``
        solves at every step that has requests.
    min_free_probability : float
        Stations whose predicted free-pile probability on arrival is below this are not offered.
    turned_away_cost : float
        Cost of arriving at a full station (currency); the solver adds ``(1 - p_free)`` times it.
    lateness_cost_per_h : float
        Charge per hour of lateness ``max(0, walk - R)`` (currency/hour); ``inf`` forbids late pairs.
    time_limit : float, optional
        Seconds per batch solve.
    seed : int
        Seeds the batch solves (randomised methods); same seed and inputs, same decisions.
    start_time_h : float
        Clock at creation (hours since midnight).
    solver_options : dict, optional
        Extra keyword arguments for the method (see :func:`evcore.assign.solve_gap`).
    """

    def __init__(self, city: City, *, arrival_rate_per_hour=0.0, service_rate_per_hour=1.0, method: str = "hasp",
                 batch_window_h: float = 5.0 / 60.0, min_free_probability: float = 0.5,
                 turned_away_cost: float = 20.0, lateness_cost_per_h: float = 30.0,
                 time_limit: float | None = None, seed: int = 0, start_time_h: float = 0.0,
                 solver_options: dict | None = None):
        if not isinstance(city, City):
            raise InputError("city", f"must be a City, got {type(city).__name__}")
        if method not in METHODS:
            raise InputError("method", f"unknown method {method!r}; choose one of {sorted(METHODS)}")
        self.city = city
        self.method = method
        stations = city.stations
        if callable(arrival_rate_per_hour):
            self._arrival_rate = arrival_rate_per_hour
        else:
            rate = np.broadcast_to(check_nonnegative("arrival_rate_per_hour", as_array(
                "arrival_rate_per_hour", arrival_rate_per_hour)), (stations,)).copy()
            self._arrival_rate = lambda _time, rate=rate: rate
        service = as_array("service_rate_per_hour", service_rate_per_hour)
        if service.ndim > 1 or (service.ndim == 1 and service.shape != (stations,)):
            raise InputError("service_rate_per_hour", f"must be a number or have shape ({stations},), "
                                                      f"got {service.shape}")
        self.service_rate_per_hour = frozen_array(np.broadcast_to(check_positive("service_rate_per_hour", service),
                                                             (stations,)).copy())
        self.batch_window_h = float(check_nonnegative("batch_window_h", np.asarray(
            as_scalar("batch_window_h", batch_window_h))))
        self.min_free_probability = float(check_probability("min_free_probability", np.asarray(
            as_scalar("min_free_probability", min_free_probability))))
        self.turned_away_cost = float(check_nonnegative("turned_away_cost", np.asarray(
            as_scalar("turned_away_cost", turned_away_cost))))
        self.lateness_cost_per_h = float(check_nonnegative("lateness_cost_per_h", np.asarray(
            as_scalar("lateness_cost_per_h", lateness_cost_per_h)), allow_inf=True))
        self.time_limit = time_limit
        self.solver_options = dict(solver_options or {})
        self._seeds = np.random.default_rng(seed)
        self._time = float(check_finite("start_time_h", np.asarray(as_scalar("start_time_h", start_time_h))))
        self._pending: list[ChargeRequest] = []
        # Dispatched EVs: station, expected arrival (= charging start) and charging end.
        self._sessions: dict[int, tuple[int, float, float]] = {}
        self._observed_busy: np.ndarray | None = None
        self.last_batch: Batch | None = None
        self.batches = 0

    # ------------------------------------------------------------------ state
    @property
    def time_h(self) -> float:
        """The dispatcher's clock (hours since midnight)."""
        return self._time

    @property
    def pending(self) -> tuple[ChargeRequest, ...]:
        """Requests waiting for the batch window to close."""
        return tuple(self._pending)

    def arrival_rate(self, time_h: float) -> np.ndarray:
        """Background arrival rate at each station at ``time_h``, shape (stations,), EVs/hour."""
        rate = check_nonnegative("arrival_rate_per_hour", as_array(
            "arrival_rate_per_hour", self._arrival_rate(time_h), shape=(self.city.stations,)))
        return rate

    def station_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Busy piles now and piles promised to EVs on their way, each shape (stations,) int.

        Busy piles are the last observed occupancy (``observed_busy`` of :meth:`step`) when the
        caller supplies one, otherwise the dispatcher's own EVs charging now.
        """
        stations = self.city.stations
        own = np.array(list(self._sessions.values()), dtype=float).reshape(-1, 3)
        station = own[:, 0].astype(int)
        charging = own[:, 1] <= self._time
        en_route = np.bincount(station[~charging], minlength=stations)
        if self._observed_busy is not None:
            busy = self._observed_busy.copy()
        else:
            busy = np.bincount(station[charging], minlength=stations)
        return busy, en_route

    # ------------------------------------------------------------------ stepping
    def step(self, time_h: float, new_requests: Sequence[ChargeRequest] = (), *, observed_busy=None,
             force: bool = False) -> list[Assignment]:
        """Advance the clock, take new requests and solve a batch when its window closes.

        Parameters
        ----------
        time_h : float
            New clock value (hours since midnight), not earlier than the current one.
        new_requests : sequence of ChargeRequest
            Requests made since the previous step: each ``time_h`` must lie in
            ``[previous step time, time_h]``; EV ids must not already be open or on their way.
        observed_busy : array_like of int, shape (stations,), optional
            Busy piles each station reports now (including EVs not sent by the dispatcher). If
            omitted, only the dispatcher's own EVs are counted.
        force : bool
            Solve the open requests now, whether or not the batch window has closed.

        Returns
        -------
        list of Assignment
            One per request of the batch solved in this step (empty if none was solved), in
            the order the requests were received; blocked requests carry their reason.

        Raises
        ------
        InputError
            Time going backwards, a request from the future or from before the previous step,
            a duplicate EV id, bad request fields or occupancy.
        """
        time_h = as_scalar("time_h", time_h)
        if not math.isfinite(time_h):
            raise InputError("time_h", f"must be finite, got {time_h!r}")
        if time_h < self._time:
            raise InputError("time_h", f"must not go backwards: the dispatcher is at {self._time!r} h, "
                                       f"got {time_h!r} h")
        new_requests = list(new_requests)
        arrays = _request_arrays(new_requests, self.city)
        late = arrays["time_h"] > time_h
        if late.any():
            k = first_index(late)
            raise InputError("new_requests.time_h", f"request made at {arrays['time_h'][k]!r} h is after the "
                                                    f"step time {time_h!r} h", k)
        early = arrays["time_h"] < self._time
        if early.any():
            k = first_index(early)
            raise InputError("new_requests.time_h", f"request made at {arrays['time_h'][k]!r} h precedes the "
                                                    f"previous step ({self._time!r} h); deliver requests at the "
                                                    f"first step after they are made", k)
        open_ids = {r.ev for r in self._pending} | set(self._sessions)
        seen: set[int] = set()
        for k, ev in enumerate(arrays["ev"].tolist()):
            if ev in open_ids or ev in seen:
                raise InputError("new_requests.ev", f"EV {ev} already has an open request or a station", k)
            seen.add(ev)
        if observed_busy is not None:
            busy = check_integer("observed_busy", as_array("observed_busy", observed_busy, dtype=None,
                                                           shape=(self.city.stations,)), minimum=0)
            over = busy > self.city.piles
            if over.any():
                k = first_index(over)
                raise InputError("observed_busy", f"exceeds the station's {self.city.piles[k]} piles: {busy[k]}", k)
            self._observed_busy = busy
        # Advance: sessions that have ended free their piles.
        self._time = float(time_h)
        self._sessions = {ev: s for ev, s in self._sessions.items() if s[2] > self._time}
        self._pending.extend(new_requests)
        if not self._pending:
            return []
        oldest = min(r.time_h for r in self._pending)
        if not force and self._time < oldest + self.batch_window_h:
            return []
        batch, self._pending = self._pending, []
        return self._solve_batch(batch)

    def flush(self, time_h: float | None = None) -> list[Assignment]:
        """Solve the open requests now (at ``time_h``, default the current clock)."""
        return self.step(self._time if time_h is None else time_h, force=True)

    # ------------------------------------------------------------------ one batch
    def _solve_batch(self, batch: list[ChargeRequest]) -> list[Assignment]:
        city, now = self.city, self._time
        req = _request_arrays(batch, city)
        n, stations = len(batch), city.stations
        piles = city.piles
        busy, en_route = self.station_state()
        committed = np.minimum(busy + en_route, piles)

        # Travel: road distance and expected driving time (with the congestion allowance).
        driving_km = city.driving_km(req["position_km"])                       # (n, S)
        tau = driving_km / city.driving_speed_kmh + req["congestion_delay_h"][:, None]
        budget = req["time_budget_h"]
        estimated = city.driving_km_to_destination(req["position_km"], req["destination"]) / city.driving_speed_kmh
        budget = np.where(np.isnan(budget), estimated, budget)                  # t*(O, F)
        remaining = budget[:, None] - tau                                       # R = t*(O,F) - t(O,P) - dT
        walking_km = city.walking_km[:, req["destination"]].T                   # (n, S)
        walk_h = walking_km / city.walking_speed_kmh
        lateness = np.maximum(walk_h - remaining, 0.0)

        # Transient availability: one backward sweep per station serves all EVs' arrival times.
        rate = self.arrival_rate(now)
        p_free = np.empty((n, stations))
        for i in range(stations):
            p_free[:, i] = free_server_probability(int(piles[i]), rate[i], self.service_rate_per_hour[i],
                                                   tau[:, i], int(committed[i]))
        p_free = np.clip(p_free, 0.0, 1.0)

        # Capacity: free now plus piles released before the batch's first possible arrival.
        first_arrival = now + tau.min(axis=0)                                   # (S,)
        own = np.array(list(self._sessions.values()), dtype=float).reshape(-1, 3)
        own_station = own[:, 0].astype(int)
        own_charging = own[:, 1] <= now
        known_release = np.bincount(own_station[own_charging & (own[:, 2] <= first_arrival[own_station])],
                                    minlength=stations)
        own_busy = np.bincount(own_station[own_charging], minlength=stations)
        unknown_busy = np.maximum(busy - own_busy, 0)
        expected_release = np.floor(unknown_busy * -np.expm1(-self.service_rate_per_hour * (first_arrival - now)))
        capacity = np.maximum(piles - busy - en_route, 0) + np.minimum(known_release + expected_release.astype(int),
                                                                        np.minimum(busy, piles))
        capacity = np.minimum(capacity, piles).astype(int)

        # Offered pairs, filter by filter, remembering the first filter that empties each EV.
        range_km = req["remaining_kwh"] / req["consumption_kwh_per_km"]
        masks = [
            (driving_km <= range_km[:, None], BLOCKED_OUT_OF_RANGE),
            (walk_h <= city.max_walking_time_h * (1 + 1e-12), BLOCKED_NO_WALKABLE_STATION),
            (p_free >= self.min_free_probability, BLOCKED_LIKELY_FULL),
            (np.isfinite(self.lateness_cost_per_h) | (lateness <= 0.0), BLOCKED_LATE),
            (np.broadcast_to(capacity > 0, (n, stations)), BLOCKED_NO_PILE),
        ]
        offered = np.ones((n, stations), dtype=bool)
        reason: list[str | None] = [None] * n
        for mask, text in masks:
            offered &= mask
            for k in np.flatnonzero(~offered.any(axis=1)):
                reason[k] = reason[k] or text

        base_cost = (city.driving_cost_per_km * driving_km + city.walking_cost_per_km * walking_km
                     + req["charging_time_h"][:, None] * city.price_per_hour[None, :])
        lateness_charge = np.zeros((n, stations))
        is_late = lateness > 0
        lateness_charge[is_late] = self.lateness_cost_per_h * lateness[is_late]  # avoids inf * 0
        dispatch_cost = np.where(offered, base_cost + (1.0 - p_free) * self.turned_away_cost + lateness_charge,
                                 np.inf)

        candidates = np.flatnonzero(offered.any(axis=1))
        station_of = np.full(n, -1)
        used_method = "none"
        if candidates.size:
            station_of[candidates], used_method = self._assign(dispatch_cost[candidates], capacity)
        for k in np.flatnonzero((station_of < 0) & (offered.any(axis=1))):
            reason[k] = BLOCKED_BATCH_FULL

        self.batches += 1
        self.last_batch = Batch(time_h=now, evs=frozen_array(req["ev"]), committed=frozen_array(committed),
                                arrival_rate_per_hour=frozen_array(rate), capacity=frozen_array(capacity), tau_h=frozen_array(tau),
                                p_free=frozen_array(p_free), remaining_time_h=frozen_array(remaining),
                                offered=frozen_array(offered), dispatch_cost=frozen_array(dispatch_cost), method=used_method)
        decisions = []
        for k, request in enumerate(batch):
            i = int(station_of[k])
            if i < 0:
                decisions.append(Assignment(ev=request.ev, request_time_h=float(req["time_h"][k]), decided_at_h=now,
                                            station=-1, reason=reason[k]))
                continue
            arrival = now + float(tau[k, i])
            self._sessions[request.ev] = (i, arrival, arrival + float(req["charging_time_h"][k]))
            decisions.append(Assignment(
                ev=request.ev, request_time_h=float(req["time_h"][k]), decided_at_h=now, station=i,
                arrival_time_h=arrival, p_free=float(p_free[k, i]), cost=float(base_cost[k, i]),
                dispatch_cost=float(dispatch_cost[k, i]), driving_km=float(driving_km[k, i]),
                walking_km=float(walking_km[k, i]), remaining_time_h=float(remaining[k, i])))
        return decisions

    def _assign(self, cost: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, str]:
        """Station of each EV (``-1``: none left) minimising total cost, EVs served first.

        Parameters
        ----------
        cost : numpy.ndarray, shape (n, stations)
            ``inf`` where not offered; every row has a finite entry.
        capacity : numpy.ndarray of int, shape (stations,)
        """
        n, stations = cost.shape
        cheapest = np.argmin(cost, axis=1)
        if np.all(np.bincount(cheapest, minlength=stations) <= capacity):
            return cheapest, "greedy"  # every EV's cheapest station fits: optimal without a solver
        # GAP with a last "unserved" agent whose cost exceeds any saving from serving fewer EVs,
        # so the solver serves as many EVs as the capacities allow, then minimises cost.
        unserved_cost = 1.0 + (n + 1) * float(np.max(cost[np.isfinite(cost)]))
        gap_cost = np.vstack([cost.T, np.full((1, n), unserved_cost)])
        gap_capacity = np.append(capacity, n).astype(float)
        instance = GAPInstance(gap_cost, np.ones_like(gap_cost), gap_capacity, name="dispatch batch")
        seed = int(self._seeds.integers(2**31 - 1))
        result = solve_gap(instance, self.method, time_limit=self.time_limit, seed=seed, **self.solver_options)
        assignment = np.asarray(result.assignment, dtype=int)
        if not result.feasible:
            assignment, method = _greedy_assignment(gap_cost, gap_capacity), f"{self.method}+greedy"
        else:
            method = self.method
        return np.where(assignment == stations, -1, assignment), method


def _greedy_assignment(cost: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Cheapest-pair-first assignment (a fallback when a heuristic returns nothing feasible).

    ``cost`` is (agents, jobs) with a last agent that can take every job.
    """
    agents, jobs = cost.shape
    left = capacity.copy()
    assignment = np.full(jobs, -1)
    for flat in np.argsort(cost, axis=None, kind="stable"):
        i, j = divmod(int(flat), jobs)
        if assignment[j] < 0 and left[i] >= 1 and np.isfinite(cost[i, j]):
            assignment[j] = i
            left[i] -= 1
    return assignment


# ====================================================================== the day's demand
def daily_profile(time_h) -> np.ndarray:
    """Relative intensity of charging demand over a weekday (mean 1 over 24 h).

    A night-time floor plus a morning peak (08:30) and a stronger evening peak (18:00).

    Parameters
    ----------
    time_h : float or array_like
        Hours since midnight (taken modulo 24).

    Returns
    -------
    numpy.ndarray
        Same shape as ``time_h``.
    """
    hours = np.mod(np.asarray(time_h, float), 24.0)
    grid = np.linspace(0.0, 24.0, 24 * 60, endpoint=False)

    def shape(h):
        return 0.25 + 1.4 * np.exp(-0.5 * ((h - 8.5) / 1.3) ** 2) + 1.8 * np.exp(-0.5 * ((h - 18.0) / 1.7) ** 2) \
            + 0.5 * np.exp(-0.5 * ((h - 13.0) / 2.5) ** 2)

    return shape(hours) / shape(grid).mean()


def allocation_radius_km(city: City, destination, range_km, busy, *, base_radius_km: float = 2.5,
                         occupancy_gain: float = 1.0, range_share: float = 0.5) -> np.ndarray:
    """Radius around each EV's destination at which it sends its charging request (km).

    ``r = min(base_radius_km * (1 + occupancy_gain * rho_F), range_share * range_km)``

    ``rho_F`` is the share of busy piles at the stations within walking reach of the
    destination (all stations if none is): busy stations near the destination make the EV ask
    earlier so that more stations are open to it. The cap keeps every station of the circle's
    neighbourhood within the EV's remaining energy, so a low battery shrinks the radius.

    Parameters
    ----------
    city : City
    destination : array_like of int, shape (n,)
    range_km : array_like, shape (n,)
        Remaining driving range of each EV, remaining kWh / (kWh per km) (km).
    busy : array_like of int, shape (stations,)
        Busy piles at each station now.

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    destination = np.asarray(destination, int)
    range_km = np.asarray(range_km, float)
    busy = np.asarray(busy, float)
    near = city.walking_km <= city.max_walking_km                              # (S, D)
    near_piles = near.T @ city.piles
    near_busy = near.T @ busy
    overall = busy.sum() / city.piles.sum()
    rho = np.where(near_piles > 0, near_busy / np.maximum(near_piles, 1), overall)    # (D,)
    radius = base_radius_km * (1.0 + occupancy_gain * rho[destination])
    return np.minimum(radius, range_share * range_km)


def generate_city(stations: int = 24, destinations: int = 12, seed=0, *, city_km: float = 8.0,
                  piles: tuple[int, int] = (2, 6), price_per_hour: tuple[float, float] = (1.0, 3.0),
                  clustered_share: float = 0.5, **travel) -> City:
    """A random city: destinations uniform in a square, stations partly clustered around them.

    Parameters
    ----------
    stations, destinations : int
    seed : int or numpy.random.Generator
    city_km : float
        Side of the square (km).
    piles : (int, int)
        Inclusive range of piles per station.
    price_per_hour : (float, float)
        Range of charging prices (currency/hour).
    clustered_share : float
        Share of stations placed near a destination (round robin, normal offset of 0.6 km per
        axis) rather than uniformly, so that destinations have a station within walking reach,
        as in a real city.
    **travel
        Speeds, detour factor, cost weights and maximum walking time passed to :class:`City`.
    """
    rng = np.random.default_rng(seed)
    destination_xy = rng.uniform(0.0, city_km, (destinations, 2))
    clustered = int(round(clustered_share * stations))
    # Round robin over destinations, so each gets a nearby station when clustered >= destinations.
    near = destination_xy[np.arange(clustered) % destinations] + rng.normal(0.0, 0.6, (clustered, 2))
    station_xy = np.clip(np.vstack([near, rng.uniform(0.0, city_km, (stations - clustered, 2))]), 0.0, city_km)
    return City(station_xy=station_xy, piles=rng.integers(piles[0], piles[1] + 1, stations),
                price_per_hour=rng.uniform(*price_per_hour, stations), destination_xy=destination_xy, **travel)


@dataclass(frozen=True, eq=False)
class Trips:
    """EV trips of a day towards destinations (before they become charging requests).

    Attributes
    ----------
    ev : numpy.ndarray of int, shape (evs,)
        EV ids.
    departure_h : numpy.ndarray, shape (evs,)
        Departure times (hours since midnight), sorted.
    origin_km : numpy.ndarray, shape (evs, 2)
        Start coordinates (km).
    destination : numpy.ndarray of int, shape (evs,)
        Destination index.
    range_at_departure_km : numpy.ndarray, shape (evs,)
        Remaining driving range at departure (km).
    consumption_kwh_per_km, charging_time_h, congestion_delay_h : numpy.ndarray, shape (evs,)
        As in :class:`ChargeRequest` (kWh/km, hours, hours).
    slack_h : numpy.ndarray, shape (evs,)
        Time the driver allows beyond the estimated driving time to the destination (hours).
    """

    ev: np.ndarray
    departure_h: np.ndarray
    origin_km: np.ndarray
    destination: np.ndarray
    range_at_departure_km: np.ndarray
    consumption_kwh_per_km: np.ndarray
    charging_time_h: np.ndarray
    congestion_delay_h: np.ndarray
    slack_h: np.ndarray

    def __len__(self) -> int:
        return int(self.ev.size)


def generate_trips(city: City, evs: int, seed=0, *, hours: float = 24.0, spare_range_km: tuple = (2.0, 30.0),
                   charging_time_h: tuple = (0.5, 3.0), slack_h: tuple = (0.0, 0.5)) -> Trips:
    """Seeded trips of ``evs`` EVs needing a charge, departing along :func:`daily_profile`.

    Origins are uniform over the city's bounding box, destinations uniform over the city's
    destinations. Each EV can reach its destination plus ``spare_range_km`` (uniform range).
    The congestion allowance grows with the demand profile (up to about 3 minutes at peaks);
    drivers allow a uniform ``slack_h`` beyond the estimated driving time (those with little
    slack are steered towards stations near the destination). Trips are sorted by departure.
    """
    evs = as_scalar("evs", evs, int)
    if evs < 0:
        raise InputError("evs", f"must be non-negative, got {evs}")
    rng = np.random.default_rng(seed)
    grid = np.linspace(0.0, hours, int(hours * 60) + 1)
    weights = daily_profile(grid[:-1])
    minute = rng.choice(grid.size - 1, size=evs, p=weights / weights.sum())
    departure = np.sort(grid[minute] + rng.uniform(0.0, grid[1] - grid[0], evs))
    low = np.minimum(city.station_xy.min(axis=0), city.destination_xy.min(axis=0))
    high = np.maximum(city.station_xy.max(axis=0), city.destination_xy.max(axis=0))
    origin = rng.uniform(low, high, (evs, 2))
    destination = rng.integers(0, city.destinations, evs)
    to_destination = city.driving_km_to_destination(origin, destination)
    return Trips(
        ev=np.arange(evs), departure_h=departure, origin_km=origin, destination=destination,
        range_at_departure_km=to_destination + rng.uniform(*spare_range_km, evs),
        consumption_kwh_per_km=rng.uniform(0.13, 0.22, evs), charging_time_h=rng.uniform(*charging_time_h, evs),
        congestion_delay_h=rng.uniform(0.0, 0.025, evs) * daily_profile(departure),
        slack_h=rng.uniform(*slack_h, evs),
    )


def requests_from_trips(city: City, trips: Trips, radius_km, index=None) -> list[ChargeRequest]:
    """Charging requests made where the trips cross their allocation radius.

    An EV drives straight towards its destination; it requests when its straight-line distance
    to the destination falls to the radius (at departure if it starts inside the circle).

    Parameters
    ----------
    radius_km : array_like, shape (len(index),)
        Allocation radius of each selected trip (km).
    index : array_like of int, optional
        Trips to convert (default all).

    Returns
    -------
    list of ChargeRequest
        In the order of ``index``.
    """
    index = np.arange(len(trips)) if index is None else np.asarray(index, int)
    radius = np.asarray(radius_km, float)
    origin = trips.origin_km[index]
    target = city.destination_xy[trips.destination[index]]
    distance = np.linalg.norm(target - origin, axis=1)
    travelled = np.maximum(distance - radius, 0.0)                             # straight-line km to the circle
    share = np.divide(travelled, distance, out=np.zeros_like(distance), where=distance > 0)
    position = origin + share[:, None] * (target - origin)
    road_km = city.detour_factor * travelled
    time_h = trips.departure_h[index] + road_km / city.driving_speed_kmh
    remaining_kwh = (trips.range_at_departure_km[index] - road_km) * trips.consumption_kwh_per_km[index]
    budget_h = city.detour_factor * np.minimum(distance, radius) / city.driving_speed_kmh + trips.slack_h[index]
    return [ChargeRequest(ev=int(trips.ev[j]), time_h=float(time_h[n]), position_km=(float(position[n, 0]),
                                                                                   float(position[n, 1])),
                          destination=int(trips.destination[j]), remaining_kwh=float(max(remaining_kwh[n], 0.0)),
                          consumption_kwh_per_km=float(trips.consumption_kwh_per_km[j]),
                          charging_time_h=float(trips.charging_time_h[j]),
                          congestion_delay_h=float(trips.congestion_delay_h[j]), time_budget_h=float(budget_h[n]))
            for n, j in enumerate(index.tolist())]


def generate_requests(city: City, evs: int, seed=0, *, busy=None, **radius_options) -> list[ChargeRequest]:
    """Seeded requests of a day, sorted by time, with radii from a fixed occupancy ``busy``.

    :func:`simulate_day` recomputes radii from the live occupancy instead; this is the
    stand-alone generator for driving a :class:`Dispatcher` from outside.
    """
    trips = generate_trips(city, evs, seed)
    busy = np.zeros(city.stations) if busy is None else busy
    radius = allocation_radius_km(city, trips.destination, trips.range_at_departure_km, busy, **radius_options)
    return sorted(requests_from_trips(city, trips, radius), key=lambda r: r.time_h)


# ====================================================================== the simulated day
@dataclass(frozen=True, eq=False)
class DaySimulation:
    """A simulated day of dispatched and background EVs.

    Attributes
    ----------
    city : City
    method : str
        Batch solver.
    requests : tuple of ChargeRequest
        Every request, in the order the dispatcher received them.
    decisions : tuple of Assignment
        The dispatcher's answer to each request (same order).
    outcome : numpy.ndarray of str, shape (requests,)
        ``"charged"``, ``"blocked_at_dispatch"`` or ``"turned_away"`` (arrived at a full station).
    times_h : numpy.ndarray, shape (steps,)
        Step times (hours since midnight; runs past 24 h until the last request is decided).
    occupancy : numpy.ndarray of int, shape (steps, stations)
        Busy piles at each station at each step (dispatched and background EVs).
    background_arrivals, background_blocked : int
        EVs not using the dispatcher that arrived at a station, and those that found it full.
    batches : int
        Batch solves.
    """

    city: City
    method: str
    requests: tuple
    decisions: tuple
    outcome: np.ndarray
    times_h: np.ndarray
    occupancy: np.ndarray
    background_arrivals: int
    background_blocked: int
    batches: int

    def summary(self) -> dict:
        """Summary statistics (counts, shares, means over assigned requests)."""
        outcome = self.outcome
        assigned = [d for d in self.decisions if not d.blocked]
        requests = len(self.requests)
        blocked_dispatch = int(np.sum(outcome == "blocked_at_dispatch"))
        turned_away = int(np.sum(outcome == "turned_away"))
        reasons: dict[str, int] = {}
        for d in self.decisions:
            if d.blocked:
                reasons[d.reason] = reasons.get(d.reason, 0) + 1

        def mean(values):
            return float(np.mean(values)) if len(values) else math.nan

        share = self.occupancy / self.city.piles[None, :]
        return {
            "requests": requests,
            "assigned": len(assigned),
            "charged": int(np.sum(outcome == "charged")),
            "blocked_at_dispatch": blocked_dispatch,
            "turned_away_on_arrival": turned_away,
            "blocked": blocked_dispatch + turned_away,
            "blocked_share": (blocked_dispatch + turned_away) / requests if requests else math.nan,
            "mean_cost": mean([d.cost for d in assigned]),
            "mean_walking_km": mean([d.walking_km for d in assigned]),
            "mean_driving_km": mean([d.driving_km for d in assigned]),
            "mean_p_free": mean([d.p_free for d in assigned]),
            "background_arrivals": self.background_arrivals,
            "background_blocked": self.background_blocked,
            "background_blocked_share": (self.background_blocked / self.background_arrivals
                                         if self.background_arrivals else math.nan),
            "mean_occupancy_share": float(share.mean()),
            "peak_occupancy_share": float((self.occupancy.sum(axis=1) / self.city.piles.sum()).max()),
            "batches": self.batches,
            "blocked_reasons": reasons,
        }


def simulate_day(city: City, *, evs: int = 300, seed=0, method: str = "hasp", hours: float = 24.0,
                 step_h: float = 5.0 / 60.0, batch_window_h: float | None = None,
                 background_utilization: float = 0.3, background_session_h: float = 1.0,
                 arrival_noise_h: float = 2.0 / 60.0, radius_options: dict | None = None,
                 **dispatcher_options) -> DaySimulation:
    """Simulate a day: trips become requests, a :class:`Dispatcher` assigns them, EVs arrive.

    Ground truth, event by event: background EVs arrive at each station as a Poisson process
    of rate ``background_utilization * piles * mu * daily_profile(t)`` (``mu = 1 /
    background_session_h``) and charge for an exponential time if a pile is free, otherwise
    they are lost. Dispatched EVs arrive at their expected time plus normal noise
    (``arrival_noise_h`` standard deviation); they charge for their charging time if a pile is
    free, otherwise they are turned away (counted). Every ``step_h`` the dispatcher gets the new
    requests and the stations' busy piles; its transient uses the true background rate and
    ``mu`` (it is told the demand profile; in practice it would be estimated).

    Allocation radii use the live occupancy at departure (:func:`allocation_radius_km`). After
    the last step, EVs still on their way arrive without further background traffic.

    Parameters
    ----------
    city : City
    evs : int
        Trips that need a charge (dispatched requests).
    seed : int
        Seeds trips, background traffic, arrival noise and the solver.
    method : str
        Batch solver (:data:`evcore.assign.METHODS`).
    hours : float
        Length of the day (hours).
    step_h : float
        Simulation step (hours); also the default batch window.
    batch_window_h : float, optional
        Passed to the dispatcher (default ``step_h``).
    background_utilization : float
        Mean share of piles used by background EVs over the day.
    background_session_h : float
        Mean background charging session (hours).
    arrival_noise_h : float
        Standard deviation of the actual arrival around the expected one (hours).
    radius_options : dict, optional
        Keyword arguments of :func:`allocation_radius_km`.
    **dispatcher_options
        Other :class:`Dispatcher` parameters (``min_free_probability``, ``time_limit``, ...).

    Returns
    -------
    DaySimulation
    """
    step_h = float(check_positive("step_h", np.asarray(as_scalar("step_h", step_h))))
    hours = float(check_positive("hours", np.asarray(as_scalar("hours", hours))))
    background_utilization = float(check_nonnegative("background_utilization", np.asarray(
        as_scalar("background_utilization", background_utilization))))
    mu = 1.0 / float(check_positive("background_session_h", np.asarray(
        as_scalar("background_session_h", background_session_h))))
    rng = np.random.default_rng(seed)
    trip_seed, traffic_rng, noise_rng = rng.integers(2**31 - 1), np.random.default_rng(rng.integers(2**31 - 1)), \
        np.random.default_rng(rng.integers(2**31 - 1))
    trips = generate_trips(city, evs, trip_seed, hours=hours)
    piles = city.piles
    peak_rate = background_utilization * piles * mu

    def background_rate(time_h):
        return peak_rate * daily_profile(time_h)

    dispatcher = Dispatcher(city, arrival_rate_per_hour=background_rate, service_rate_per_hour=mu, method=method,
                            batch_window_h=step_h if batch_window_h is None else batch_window_h, seed=seed,
                            **dispatcher_options)
    busy = np.zeros(city.stations, dtype=int)
    # Event heap entries: (time, order, sequence, kind, station, request index). Ends sort first
    # at equal times so a pile freed at t serves an arrival at t.
    events: list = []
    sequence = 0
    request_heap: list = []  # (request time, sequence, ChargeRequest)
    requests: list[ChargeRequest] = []
    decisions: dict[int, Assignment] = {}
    outcome: dict[int, str] = {}
    background_arrivals = background_blocked = 0

    def push(time, order, kind, station, payload=-1):
        nonlocal sequence
        heapq.heappush(events, (time, order, sequence, kind, station, payload))
        sequence += 1

    def run_events(until):
        nonlocal background_arrivals, background_blocked
        while events and events[0][0] <= until:
            time, _, _, kind, station, payload = heapq.heappop(events)
            if kind == "end":
                busy[station] -= 1
            elif busy[station] < piles[station]:
                busy[station] += 1
                duration = traffic_rng.exponential(1.0 / mu) if kind == "background" else \
                    requests[payload].charging_time_h
                push(time + duration, 0, "end", station)
                if kind == "ev":
                    outcome[payload] = "charged"
            elif kind == "background":
                background_blocked += 1
            else:
                outcome[payload] = "turned_away"
            if kind == "background":
                background_arrivals += 1

    times, occupancy = [0.0], [busy.copy()]
    next_trip, t_prev, step = 0, 0.0, 0
    index_of_ev: dict[int, int] = {}
    while True:
        step += 1
        t = step * step_h
        # Trips departing in (t_prev, t] pick their radius from the live occupancy.
        last = int(np.searchsorted(trips.departure_h, t, side="right"))
        if last > next_trip:
            chosen = np.arange(next_trip, last)
            radius = allocation_radius_km(city, trips.destination[chosen], trips.range_at_departure_km[chosen],
                                          busy, **(radius_options or {}))
            for request in requests_from_trips(city, trips, radius, chosen):
                heapq.heappush(request_heap, (request.time_h, request.ev, request))
            next_trip = last
        if t <= hours:
            # Background arrivals of the step, at uniform times within it.
            counts = traffic_rng.poisson(background_rate(0.5 * (t_prev + t)) * step_h)
            for station in np.repeat(np.arange(city.stations), counts):
                push(traffic_rng.uniform(t_prev, t), 1, "background", int(station))
        run_events(t)
        new = []
        while request_heap and request_heap[0][0] <= t:
            new.append(heapq.heappop(request_heap)[2])
        for request in new:
            index_of_ev[request.ev] = len(requests)
            requests.append(request)
        done = t >= hours and not request_heap and next_trip == len(trips)
        for decision in dispatcher.step(t, new, observed_busy=busy, force=done):
            k = index_of_ev[decision.ev]
            decisions[k] = decision
            if decision.blocked:
                outcome[k] = "blocked_at_dispatch"
            else:
                arrival = max(decision.arrival_time_h + noise_rng.normal(0.0, arrival_noise_h), t)
                push(arrival, 1, "ev", decision.station, k)
        times.append(t)
        occupancy.append(busy.copy())
        t_prev = t
        if done:
            break
    # EVs still on their way arrive; no new background traffic after the day.
    while any(e[3] == "ev" for e in events):
        run_events(events[0][0])
    order = range(len(requests))
    return DaySimulation(
        city=city, method=method, requests=tuple(requests), decisions=tuple(decisions[k] for k in order),
        outcome=frozen_array(np.array([outcome[k] for k in order], dtype="<U20")), times_h=frozen_array(np.array(times)),
        occupancy=frozen_array(np.array(occupancy, dtype=int).reshape(len(times), city.stations)),
        background_arrivals=int(background_arrivals), background_blocked=int(background_blocked),
        batches=dispatcher.batches)


# ====================================================================== plots
def plot_occupancy(simulation: DaySimulation, path):
    """Station occupancy over the day (heat map) above hourly requests and blocked EVs; PNG.

    Returns the written path.
    """
    from ..plotting import new_figure, save_figure

    figure, _ = new_figure(8.0, 6.0)
    figure.clear()
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[2.2, 1.0])
    city = simulation.city
    share = simulation.occupancy / city.piles[None, :]
    times = simulation.times_h
    order = np.argsort(-city.piles, kind="stable")
    image = top.imshow(share[:, order].T, aspect="auto", origin="lower", cmap="viridis", vmin=0.0, vmax=1.0,
                       extent=(times[0], times[-1], -0.5, city.stations - 0.5), interpolation="nearest")
    top.set_ylabel("station (most piles at bottom)")
    top.set_title("Share of busy piles per station")
    figure.colorbar(image, ax=top, label="busy / piles")

    hours = np.arange(0, int(np.ceil(times[-1])) + 1)
    request_time = np.array([r.time_h for r in simulation.requests])
    outcome = simulation.outcome
    for mask, label, colour in ((np.ones(outcome.size, bool), "requests", "tab:blue"),
                                (outcome == "blocked_at_dispatch", "blocked at dispatch", "tab:orange"),
                                (outcome == "turned_away", "turned away on arrival", "tab:red")):
        counts, _ = np.histogram(request_time[mask], bins=hours)
        bottom.stairs(counts, hours, label=label, color=colour)
    total = simulation.occupancy.sum(axis=1) / city.piles.sum()
    twin = bottom.twinx()
    twin.plot(times, total, color="black", linewidth=1.0, label="all piles busy share")
    twin.set_ylim(0.0, 1.05)
    twin.set_ylabel("busy share (all)")
    bottom.set_xlabel("hour of day")
    bottom.set_ylabel("EVs per hour")
    handles = bottom.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    bottom.legend(handles=handles, fontsize="small", loc="upper left")
    bottom.set_xlim(times[0], times[-1])
    return save_figure(figure, path)


def plot_summary(simulation: DaySimulation, path):
    """Histograms of the assigned EVs' cost and walking distance; PNG. Returns the path."""
    from ..plotting import new_figure, save_figure

    figure, _ = new_figure(8.0, 3.2)
    figure.clear()
    left, right = figure.subplots(1, 2)
    assigned = [d for d in simulation.decisions if not d.blocked]
    left.hist([d.cost for d in assigned], bins=25, color="tab:blue")
    left.set_xlabel("cost per EV (C_D D + C_W W + C_i T)")
    left.set_ylabel("EVs")
    right.hist([d.walking_km for d in assigned], bins=25, color="tab:green")
    right.axvline(simulation.city.max_walking_km, color="black", linestyle="--", label="max walk")
    right.set_xlabel("walking distance (km)")
    right.legend(fontsize="small")
    return save_figure(figure, path)


def hasp_available() -> bool:
    """True when the HASP solver module (:mod:`evcore.assign.search`) is present."""
    return importlib.util.find_spec("evcore.assign.search") is not None
