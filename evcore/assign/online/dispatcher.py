"""The online dispatcher (seed 003's state transition and queueing model) and its embedding API.

A :class:`Dispatcher` collects charging requests for a short batch window, predicts for every
station the chance ``1 - w_0(tau)`` that a pile is free when the EV gets there (the M/M/c/c
transient of :func:`evcore.queueing.free_server_probability`, started from the station's
current occupancy), applies the remaining-time rule and assigns the batch with a GAP solver
(:func:`evcore.assign.solve`, HASP by default).

A simulator (SimPy, a traffic model, a digital twin) drives it with :meth:`Dispatcher.step`
(the clock, new requests, the observed occupancy), asks :attr:`Dispatcher.next_decision_h`
when the next batch closes instead of polling, and reports what happened with the feedback
calls :meth:`~Dispatcher.arrived`, :meth:`~Dispatcher.turned_away`, :meth:`~Dispatcher.no_show`,
:meth:`~Dispatcher.charge_ended`, :meth:`~Dispatcher.pile_outage` and
:meth:`~Dispatcher.pile_restored`. Every decision carries the request's charging time and the
expected end of its session; :meth:`Dispatcher.to_frame` gives all decisions as a table with EV
and station ids. A dispatcher pickles (checkpoints, worker processes).

(This file runs past 600 lines on purpose: the dispatcher's state, its feedback calls and the
batch model they update are one object; the readings below document that model in one place.)

Readings of the paper (it leaves these open; the choices are ours):

*Batches.* Requests carry the position at the time they are made; a batch is solved once its
oldest request has waited ``batch_window_h``, and the expected arrival is the decision time
plus the driving time from the reported position (the decision delay counts as waiting).

*Remaining time.* For EV ``k`` at ``O`` heading to ``F`` and a candidate station ``P_i``,
``R_ki = t*(O, F) - t(O, P_i) - dT_k``. ``t*(O, F)`` is the time the driver allows for
reaching the destination (:attr:`ChargeRequest.time_budget_h`; by default the estimated
driving time, i.e. no slack), ``t(O, P_i)`` the driving time to the station and ``dT_k`` the
congestion allowance. ``R_ki`` is the time left to walk from the station to the destination
without arriving later than planned. Walks longer than the maximum walking time ``T_w`` are
never offered. When ``R_ki < T_w`` the walk ``w_ki = W[i, F] / v_walk`` may exceed ``R_ki``;
the lateness ``max(0, w_ki - R_ki)`` is charged at ``lateness_cost_per_h``, which favours
stations nearer the destination (``inf`` turns the preference into a restriction).

*Free-pile probability.* Station ``i`` with ``c_i`` piles in service, ``n_i`` of them committed
now (EVs charging plus dispatched EVs still driving there), background arrival rate
``lambda_i`` (EVs the dispatcher does not control) and service rate ``mu_i``:
``p_ki = 1 - P(X(tau_ki) = c_i | X(0) = n_i)`` with ``tau_ki`` the EV's expected driving time
(including ``dT_k``). A pair is offered only if ``p_ki >= min_free_probability``, and its cost
carries the expected cost of being turned away, ``(1 - p_ki) * turned_away_cost``.

*Capacity of a batch.* Station ``i`` takes at most its piles free now (in service, not
charging, not promised to an EV on its way) plus the piles expected to be released before the
batch's first possible arrival there: exactly, for EVs the dispatcher sent (their charging end
is known), and ``floor(others * (1 - exp(-mu_i tau)))`` for busy piles it only observes.

*Cost.* The paper's cost ``C_D D_ki + C_W W[i, F_k] + C_i T_k`` (as
:meth:`EVInstance.cost_matrix`) is what :attr:`Assignment.cost` reports; the solver minimises
that plus the turned-away and lateness terms (:attr:`Assignment.dispatch_cost`). EVs that get
no station are returned as blocked with the reason, never dropped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..._validate import (
    as_array,
    as_scalar,
    check_count,
    check_flag,
    check_integer,
    check_limits,
    check_nonnegative,
    check_number,
    check_positive,
    check_seed,
    first_index,
    frozen_array,
)
from ...errors import InputError
from ...queueing import free_server_probability
from ..model import GAPInstance
from ..solve import METHODS, check_method_options, solve
from .city import City
from .decisions import Assignment, Batch, decisions_frame
from .requests import ChargeRequest, request_arrays

__all__ = [
    "Dispatcher",
    "ConstantRate",
    "MAX_TRANSIENT_STEPS",
    "BLOCKED_OUT_OF_RANGE",
    "BLOCKED_NO_WALKABLE_STATION",
    "BLOCKED_LIKELY_FULL",
    "BLOCKED_LATE",
    "BLOCKED_NO_PILE",
    "BLOCKED_BATCH_FULL",
]

#: Most uniformization steps ((arrival rate + piles x service rate) x travel time) one station's
#: transient may take; past it the request's travel time is refused as implausible.
MAX_TRANSIENT_STEPS = 10**7

#: Reasons a request is blocked at dispatch, checked in this order.
BLOCKED_OUT_OF_RANGE = "no station within the EV's remaining range"
BLOCKED_NO_WALKABLE_STATION = "no station in range lies within the maximum walking time of the destination"
BLOCKED_LIKELY_FULL = "every station in range and in walking reach is likely full on arrival " \
                      "(free-pile probability below min_free_probability)"
BLOCKED_LATE = "every remaining station would make the driver late (lateness_cost_per_h is inf)"
BLOCKED_NO_PILE = "no pile free or about to be released at any remaining station"
BLOCKED_BATCH_FULL = "other EVs of the batch took the last usable piles at its remaining stations"


class _Session(NamedTuple):
    """A dispatched EV: its station, expected (or reported) arrival, expected charging end."""

    station: int
    arrival_h: float
    end_h: float
    charging_time_h: float
    arrived: bool  # the simulator reported the arrival


class ConstantRate:
    """A background arrival rate that does not change over the day (picklable, unlike a lambda)."""

    def __init__(self, rate_per_hour: np.ndarray):
        self.rate_per_hour = frozen_array(np.asarray(rate_per_hour, float))

    def __call__(self, time_h: float) -> np.ndarray:
        return self.rate_per_hour

    def __repr__(self) -> str:
        return f"ConstantRate({self.rate_per_hour.tolist()!r})"


class Dispatcher:
    """Assigns batches of charging requests to stations as a day unfolds.

    Parameters
    ----------
    city : City
    arrival_rate_per_hour : float, array_like of shape (stations,), or callable
        Background arrival rate lambda_i at each station (EVs per hour that the dispatcher does
        not control), or a function of the time of day returning that array (give a picklable
        function, a module-level one or an object, if the dispatcher is to be pickled). Used in
        the M/M/c/c transient; 0 means only dispatched EVs use the stations.
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
        Options of the method (see :func:`evcore.assign.method_options`); checked here.
    feedback : bool
        ``False`` (default): a dispatched EV's pile counts as taken until the predicted end of
        its session (reported arrival plus charging time, when :meth:`arrived` is called), so
        feedback calls are optional. ``True``: the simulator reports every outcome, and a
        dispatched EV holds its pile until :meth:`charge_ended`, :meth:`turned_away` or
        :meth:`no_show` (late arrivals and long sessions are then exact).
    """

    def __init__(self, city: City, *, arrival_rate_per_hour=0.0, service_rate_per_hour=1.0, method: str = "hasp",
                 batch_window_h: float = 5.0 / 60.0, min_free_probability: float = 0.5,
                 turned_away_cost: float = 20.0, lateness_cost_per_h: float = 30.0,
                 time_limit: float | None = None, seed: int = 0, start_time_h: float = 0.0,
                 solver_options: dict | None = None, feedback: bool = False):
        if not isinstance(city, City):
            raise InputError("city", f"must be a City, got {type(city).__name__}")
        if not isinstance(method, str) or method not in METHODS:
            raise InputError("method", f"unknown method {method!r}; choose one of {sorted(METHODS)}")
        self.city = city
        self.method = method
        stations = city.stations
        if callable(arrival_rate_per_hour):
            self._arrival_rate = arrival_rate_per_hour
        else:
            rate = as_array("arrival_rate_per_hour", arrival_rate_per_hour)
            if rate.ndim > 1 or (rate.ndim == 1 and rate.shape != (stations,)):
                raise InputError("arrival_rate_per_hour", f"must be a number or have shape ({stations},), "
                                                          f"got {rate.shape}")
            rate = check_nonnegative("arrival_rate_per_hour", rate)
            self._arrival_rate = ConstantRate(np.broadcast_to(rate, (stations,)).copy())
        service = as_array("service_rate_per_hour", service_rate_per_hour)
        if service.ndim > 1 or (service.ndim == 1 and service.shape != (stations,)):
            raise InputError("service_rate_per_hour", f"must be a number or have shape ({stations},), "
                                                      f"got {service.shape}")
        self.service_rate_per_hour = frozen_array(np.broadcast_to(check_positive("service_rate_per_hour", service),
                                                                  (stations,)).copy())
        self.batch_window_h = check_number("batch_window_h", batch_window_h, minimum=0.0)
        self.min_free_probability = check_number("min_free_probability", min_free_probability, minimum=0.0,
                                                 maximum=1.0)
        self.turned_away_cost = check_number("turned_away_cost", turned_away_cost, minimum=0.0)
        self.lateness_cost_per_h = check_number("lateness_cost_per_h", lateness_cost_per_h, minimum=0.0,
                                                allow_inf=True)
        self.time_limit, _ = check_limits(time_limit, None)
        if solver_options is not None and not isinstance(solver_options, dict):
            raise InputError("solver_options", f"must be a dict, got {type(solver_options).__name__}")
        self.solver_options = check_method_options(method, dict(solver_options or {}))
        self.seed = check_seed(seed)
        self.feedback = check_flag("feedback", feedback)
        self._seeds = np.random.default_rng(self.seed)
        self._time = check_number("start_time_h", start_time_h)
        self._pending: list[ChargeRequest] = []
        self._sessions: dict[int, _Session] = {}
        self._out_of_service = np.zeros(stations, dtype=np.int64)
        self._observed_busy: np.ndarray | None = None
        self._decisions: list[Assignment] = []
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

    @property
    def next_decision_h(self) -> float:
        """When the open batch closes: call :meth:`step` at this time (``inf`` when no request
        waits). A simulator schedules its next call here instead of polling."""
        if not self._pending:
            return math.inf
        return min(r.time_h for r in self._pending) + self.batch_window_h

    @property
    def decisions(self) -> tuple[Assignment, ...]:
        """Every decision made so far, in order."""
        return tuple(self._decisions)

    @property
    def in_service(self) -> np.ndarray:
        """Piles in service at each station (piles minus those reported out of service)."""
        return self.city.piles - self._out_of_service

    def to_frame(self):
        """Every decision so far as a pandas DataFrame (:func:`decisions_table` columns)."""
        return decisions_frame(self._decisions)

    def arrival_rate(self, time_h: float) -> np.ndarray:
        """Background arrival rate at each station at ``time_h``, shape (stations,), EVs/hour."""
        return check_nonnegative("arrival_rate_per_hour", as_array(
            "arrival_rate_per_hour", self._arrival_rate(time_h), shape=(self.city.stations,)))

    def _sessions_array(self) -> np.ndarray:
        """(sessions, 4): station, arrival, expected end, charging now (0/1)."""
        rows = [(s.station, s.arrival_h, s.end_h, float(self._charging(s))) for s in self._sessions.values()]
        return np.array(rows, dtype=float).reshape(-1, 4)

    def _charging(self, session: _Session) -> bool:
        """Reported arrived, or (without feedback) expected to have arrived by now."""
        return session.arrived or (not self.feedback and session.arrival_h <= self._time)

    def station_state(self) -> tuple[np.ndarray, np.ndarray]:
        """Busy piles now and piles promised to EVs on their way, each shape (stations,) int.

        Busy piles are the last observed occupancy (``observed_busy`` of :meth:`step`) when the
        caller supplies one, otherwise the dispatcher's own EVs charging now.
        """
        stations = self.city.stations
        own = self._sessions_array()
        station = own[:, 0].astype(int)
        charging = own[:, 3] > 0
        en_route = np.bincount(station[~charging], minlength=stations)
        if self._observed_busy is not None:
            busy = self._observed_busy.copy()
        else:
            busy = np.bincount(station[charging], minlength=stations)
        return busy, en_route

    # ------------------------------------------------------------------ feedback from the simulator
    def has_session(self, ev: int) -> bool:
        """True while the dispatcher counts a pile as taken (or promised) for EV ``ev``."""
        return as_scalar("ev", ev, int) in self._sessions

    def _session(self, ev, field: str = "ev") -> tuple[int, _Session]:
        ev = as_scalar(field, ev, int)
        session = self._sessions.get(ev)
        if session is None:
            hint = "" if self.feedback else (" (without feedback=True the dispatcher drops a session at its "
                                             "predicted end)")
            raise InputError(field, f"EV {ev} has no open session: never dispatched, or already ended{hint}")
        return ev, session

    def _feedback_time(self, time_h, not_before: float, what: str) -> float:
        time_h = check_number("time_h", time_h)
        if time_h < not_before:
            raise InputError("time_h", f"{what} at {time_h!r} h precedes {not_before!r} h")
        return time_h

    def arrived(self, ev: int, time_h: float) -> Assignment:
        """The EV reached its station and started charging at ``time_h``.

        Its session is now expected to end at ``time_h`` plus its charging time (with
        ``feedback=True`` its pile stays taken until :meth:`charge_ended`). Returns the EV's
        decision.
        """
        ev, session = self._session(ev)
        decided = self._decision_of(ev)
        time_h = self._feedback_time(time_h, decided.decided_at_h, "the arrival")
        self._sessions[ev] = session._replace(arrival_h=time_h, end_h=time_h + session.charging_time_h, arrived=True)
        return decided

    def turned_away(self, ev: int, time_h: float) -> Assignment:
        """The EV reached its station at ``time_h`` and found no free pile: its promise is released."""
        ev, _ = self._session(ev)
        decided = self._decision_of(ev)
        self._feedback_time(time_h, decided.decided_at_h, "the arrival")
        del self._sessions[ev]
        return decided

    def no_show(self, ev: int, time_h: float) -> Assignment:
        """The EV will not come (it changed its plans): the pile promised to it is released."""
        return self.turned_away(ev, time_h)

    def charge_ended(self, ev: int, time_h: float) -> Assignment:
        """The EV's charging session ended at ``time_h``: its pile is free again."""
        ev, session = self._session(ev)
        decided = self._decision_of(ev)
        self._feedback_time(time_h, session.arrival_h if session.arrived else decided.decided_at_h,
                            "the end of charging")
        del self._sessions[ev]
        return decided

    def pile_outage(self, station, time_h: float, piles: int = 1) -> int:
        """``piles`` piles of ``station`` (an id of :attr:`City.station_ids`) went out of service.

        They are not offered until :meth:`pile_restored`; returns the piles still in service.
        """
        i = self.city.station_index(station)
        check_number("time_h", time_h)
        piles = check_count("piles", piles, minimum=1)
        if self._out_of_service[i] + piles > self.city.piles[i]:
            raise InputError("piles", f"station {station!r} has {self.city.piles[i]} piles, "
                                      f"{self._out_of_service[i]} already out of service; cannot take {piles} more")
        self._out_of_service[i] += piles
        return int(self.city.piles[i] - self._out_of_service[i])

    def pile_restored(self, station, time_h: float, piles: int = 1) -> int:
        """``piles`` piles of ``station`` are back in service; returns the piles in service."""
        i = self.city.station_index(station)
        check_number("time_h", time_h)
        piles = check_count("piles", piles, minimum=1)
        if piles > self._out_of_service[i]:
            raise InputError("piles", f"station {station!r} has only {self._out_of_service[i]} piles out of "
                                      f"service, cannot restore {piles}")
        self._out_of_service[i] -= piles
        return int(self.city.piles[i] - self._out_of_service[i])

    def _decision_of(self, ev: int) -> Assignment:
        for decision in reversed(self._decisions):
            if decision.ev == ev:
                return decision
        raise InputError("ev", f"EV {ev} was never dispatched")  # pragma: no cover - sessions imply a decision

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
        time_h = check_number("time_h", time_h)
        if time_h < self._time:
            raise InputError("time_h", f"must not go backwards: the dispatcher is at {self._time!r} h, "
                                       f"got {time_h!r} h")
        force = check_flag("force", force)
        if isinstance(new_requests, ChargeRequest):
            new_requests = [new_requests]
        if isinstance(new_requests, (str, bytes)) or not isinstance(new_requests, (Sequence, tuple, list)):
            try:
                new_requests = list(new_requests)
            except TypeError:
                raise InputError("new_requests", f"must be a sequence of ChargeRequest, got "
                                                 f"{type(new_requests).__name__}") from None
        new_requests = list(new_requests)
        arrays = request_arrays(new_requests, self.city)
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
        if new_requests:
            tau = (self.city.driving_km(arrays["position_km"]) / self.city.driving_speed_kmh
                   + arrays["congestion_delay_h"][:, None])
            self._check_transient_work(new_requests, tau, self.arrival_rate(time_h), self.in_service)
        if observed_busy is not None:
            busy = check_integer("observed_busy", as_array("observed_busy", observed_busy, dtype=None,
                                                           shape=(self.city.stations,)), minimum=0)
            over = busy > self.city.piles
            if over.any():
                k = first_index(over)
                raise InputError("observed_busy", f"exceeds the station's {self.city.piles[k]} piles: {busy[k]}", k)
            self._observed_busy = busy
        # Advance: without feedback, sessions past their predicted end free their piles.
        self._time = float(time_h)
        if not self.feedback:
            self._sessions = {ev: s for ev, s in self._sessions.items() if s.end_h > self._time}
        self._pending.extend(new_requests)
        if not self._pending:
            return []
        if not force and self._time < self.next_decision_h:
            return []
        batch, self._pending = self._pending, []
        sessions = dict(self._sessions)
        try:
            decisions = self._solve_batch(batch)
        except BaseException:
            self._pending, self._sessions = batch, sessions  # a failed batch changes nothing
            raise
        self._decisions.extend(decisions)
        return decisions

    def flush(self, time_h: float | None = None) -> list[Assignment]:
        """Solve the open requests now (at ``time_h``, default the current clock)."""
        return self.step(self._time if time_h is None else time_h, force=True)

    # ------------------------------------------------------------------ one batch
    def _solve_batch(self, batch: list[ChargeRequest]) -> list[Assignment]:
        city, now = self.city, self._time
        req = request_arrays(batch, city)
        n, stations = len(batch), city.stations
        piles = self.in_service
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
        self._check_transient_work(batch, tau, rate, piles)
        p_free = np.zeros((n, stations))
        for i in range(stations):
            if piles[i] > 0:
                p_free[:, i] = free_server_probability(int(piles[i]), rate[i], self.service_rate_per_hour[i],
                                                       tau[:, i], int(committed[i]))
        p_free = np.clip(p_free, 0.0, 1.0)

        # Capacity: free now plus piles released before the batch's first possible arrival.
        first_arrival = now + tau.min(axis=0)                                   # (S,)
        own = self._sessions_array()
        own_station = own[:, 0].astype(int)
        own_charging = own[:, 3] > 0
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
        self.last_batch = Batch(
            time_h=now, evs=frozen_array(req["ev"]), committed=frozen_array(committed),
            in_service=frozen_array(piles.copy()), arrival_rate_per_hour=frozen_array(rate),
            capacity=frozen_array(capacity), tau_h=frozen_array(tau), p_free=frozen_array(p_free),
            remaining_time_h=frozen_array(remaining), offered=frozen_array(offered),
            dispatch_cost=frozen_array(dispatch_cost), method=used_method)
        decisions = []
        for k, request in enumerate(batch):
            i = int(station_of[k])
            charging_h = float(req["charging_time_h"][k])
            if i < 0:
                decisions.append(Assignment(ev=request.ev, request_time_h=float(req["time_h"][k]), decided_at_h=now,
                                            station=-1, reason=reason[k], charging_time_h=charging_h))
                continue
            arrival = now + float(tau[k, i])
            self._sessions[request.ev] = _Session(i, arrival, arrival + charging_h, charging_h, False)
            decisions.append(Assignment(
                ev=request.ev, request_time_h=float(req["time_h"][k]), decided_at_h=now, station=i,
                arrival_time_h=arrival, p_free=float(p_free[k, i]), cost=float(base_cost[k, i]),
                dispatch_cost=float(dispatch_cost[k, i]), driving_km=float(driving_km[k, i]),
                walking_km=float(walking_km[k, i]), remaining_time_h=float(remaining[k, i]),
                station_id=city.station_ids[i], charging_time_h=charging_h, charge_end_h=arrival + charging_h))
        return decisions

    def _check_transient_work(self, requests, tau, rate, piles) -> None:
        """Refuse travel times whose M/M/c/c transient would take more than MAX_TRANSIENT_STEPS."""
        steps = (rate + piles * self.service_rate_per_hour)[None, :] * tau
        if np.any(steps > MAX_TRANSIENT_STEPS):
            k, i = (int(x) for x in np.argwhere(steps > MAX_TRANSIENT_STEPS)[0])
            raise InputError("new_requests", f"EV {requests[k].ev}: an expected {tau[k, i]:.4g} h to station "
                                             f"{self.city.station_ids[i]!r} at {rate[i]:.4g} arrivals/h needs "
                                             f"{steps[k, i]:.3g} transient steps (limit {MAX_TRANSIENT_STEPS:.0e}); "
                                             "check its position, congestion_delay_h and the city's speeds", k)

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
        result = solve(instance, self.method, time_limit=self.time_limit, seed=seed, **self.solver_options)
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


