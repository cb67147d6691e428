"""A simulated day of dispatched and background EVs (the ground truth a :class:`Dispatcher` is tested on).

Event by event: background EVs arrive at each station as a Poisson process and charge for an
exponential time if a pile is free, otherwise they are lost; dispatched EVs arrive at their
expected time plus normal noise and charge for their charging time if a pile is free,
otherwise they are turned away. Every step the dispatcher gets the new requests and the
stations' busy piles, and hears back about arrivals, turned-away EVs and ended sessions
through its feedback calls (as an embedding simulator would report them).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from ..._validate import check_count, check_number, check_options, check_seed, frozen_array
from ...errors import InputError
from ..solve import METHODS
from .city import City
from .dispatcher import Assignment, Dispatcher, decisions_frame
from .requests import (
    MAX_EVS,
    MAX_HOURS,
    ChargeRequest,
    allocation_radius_km,
    check_radius_options,
    daily_profile,
    generate_trips,
    requests_from_trips,
)

__all__ = ["DaySimulation", "simulate_day", "MAX_STEPS"]

#: Most simulation steps one day may take (``hours / step_h``).
MAX_STEPS = 1_000_000
#: Dispatcher parameters simulate_day passes on (the others it sets itself).
_DISPATCHER_OPTIONS = ("min_free_probability", "turned_away_cost", "lateness_cost_per_h", "time_limit",
                       "solver_options")


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

    def to_frame(self, table: str = "decisions"):
        """``"decisions"``: one row per request (EV and station ids, times, costs, outcome);
        ``"occupancy"``: busy piles per station (columns ``station_<id>``) at each step."""
        import pandas as pd

        if table == "decisions":
            frame = decisions_frame(self.decisions)
            frame["outcome"] = self.outcome
            return frame
        if table == "occupancy":
            columns = {"time_h": self.times_h}
            columns.update({f"station_{sid}": self.occupancy[:, i] for i, sid in enumerate(self.city.station_ids)})
            return pd.DataFrame(columns)
        raise InputError("table", f"must be 'decisions' or 'occupancy', got {table!r}")

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


class _BackgroundRate:
    """``utilisation * piles * mu * daily_profile(t)``: the background arrival rate (picklable)."""

    def __init__(self, peak_rate: np.ndarray):
        self.peak_rate = peak_rate

    def __call__(self, time_h: float) -> np.ndarray:
        return self.peak_rate * daily_profile(time_h)


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
    free, otherwise they are turned away (counted); the dispatcher is told of each arrival,
    turned-away EV and session end. Every ``step_h`` the dispatcher gets the new requests and
    the stations' busy piles; its transient uses the true background rate and ``mu`` (it is
    told the demand profile; in practice it would be estimated).

    Allocation radii use the live occupancy at departure (:func:`allocation_radius_km`). After
    the last step, EVs still on their way arrive without further background traffic.

    Parameters
    ----------
    city : City
    evs : int
        Trips that need a charge (dispatched requests), ``0 .. MAX_EVS``.
    seed : int
        Seeds trips, background traffic, arrival noise and the solver.
    method : str
        Batch solver (:data:`evcore.assign.METHODS`).
    hours : float
        Length of the day (hours, at most a year).
    step_h : float
        Simulation step (hours); also the default batch window. ``hours / step_h`` is at most
        :data:`MAX_STEPS`.
    batch_window_h : float, optional
        Passed to the dispatcher (default ``step_h``).
    background_utilization : float
        Mean share of piles used by background EVs over the day (``>= 0``).
    background_session_h : float
        Mean background charging session (hours, ``> 0``).
    arrival_noise_h : float
        Standard deviation of the actual arrival around the expected one (hours, finite ``>= 0``).
    radius_options : dict, optional
        Keyword arguments of :func:`allocation_radius_km` (checked up front).
    **dispatcher_options
        Other :class:`Dispatcher` parameters (``min_free_probability``, ``time_limit``, ...).

    Returns
    -------
    DaySimulation
    """
    if not isinstance(city, City):
        raise InputError("city", f"must be a City, got {type(city).__name__}")
    evs = check_count("evs", evs, minimum=0, maximum=MAX_EVS)
    seed = check_seed(seed)
    if not isinstance(method, str) or method not in METHODS:
        raise InputError("method", f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    hours = check_number("hours", hours, minimum=0.0, strict=True, maximum=MAX_HOURS)
    step_h = check_number("step_h", step_h, minimum=0.0, strict=True)
    if hours / step_h > MAX_STEPS:
        raise InputError("step_h", f"{hours} h in steps of {step_h} h is more than {MAX_STEPS} steps")
    background_utilization = check_number("background_utilization", background_utilization, minimum=0.0,
                                          maximum=1e3)
    mu = 1.0 / check_number("background_session_h", background_session_h, minimum=1e-6)
    arrival_noise_h = check_number("arrival_noise_h", arrival_noise_h, minimum=0.0, maximum=MAX_HOURS)
    radius_options = check_radius_options({} if radius_options is None else radius_options)
    allocation_radius_km(city, [0], [0.0], np.zeros(city.stations, int), **radius_options)  # values checked now
    rng = np.random.default_rng(seed)
    trip_seed, traffic_rng, noise_rng = rng.integers(2**31 - 1), np.random.default_rng(rng.integers(2**31 - 1)), \
        np.random.default_rng(rng.integers(2**31 - 1))
    trips = generate_trips(city, evs, int(trip_seed), hours=hours)
    piles = city.piles
    background_rate = _BackgroundRate(background_utilization * piles * mu)
    if "feedback" in dispatcher_options:
        raise InputError("feedback", "simulate_day reports every outcome to its dispatcher (feedback=True)")
    check_options("simulate_day", dispatcher_options, _DISPATCHER_OPTIONS)
    dispatcher = Dispatcher(city, arrival_rate_per_hour=background_rate, service_rate_per_hour=mu, method=method,
                            batch_window_h=step_h if batch_window_h is None else batch_window_h, seed=seed,
                            feedback=True, **dispatcher_options)
    busy = np.zeros(city.stations, dtype=int)
    # Event heap entries: (time, order, sequence, kind, station, request index). Ends sort first
    # at equal times so a pile freed at t serves an arrival at t.
    events: list = []
    sequence = 0
    request_heap: list = []  # (request time, EV id, ChargeRequest)
    requests: list[ChargeRequest] = []
    decisions: dict[int, Assignment] = {}
    outcome: dict[int, str] = {}
    counts = {"arrivals": 0, "blocked": 0}

    def push(time, order, kind, station, payload=-1):
        nonlocal sequence
        heapq.heappush(events, (time, order, sequence, kind, station, payload))
        sequence += 1

    def process(event):
        time, _, _, kind, station, payload = event
        if kind in ("end", "ev_end"):
            busy[station] -= 1
            if kind == "ev_end":
                dispatcher.charge_ended(requests[payload].ev, time)
        elif busy[station] < piles[station]:
            busy[station] += 1
            if kind == "background":
                push(time + traffic_rng.exponential(1.0 / mu), 0, "end", station)
            else:
                push(time + requests[payload].charging_time_h, 0, "ev_end", station, payload)
                outcome[payload] = "charged"
                dispatcher.arrived(requests[payload].ev, time)
        elif kind == "background":
            counts["blocked"] += 1
        else:
            outcome[payload] = "turned_away"
            dispatcher.turned_away(requests[payload].ev, time)
        if kind == "background":
            counts["arrivals"] += 1

    def run_events(until):
        while events and events[0][0] <= until:
            process(heapq.heappop(events))

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
                                          busy, **radius_options)
            for request in requests_from_trips(city, trips, radius, chosen):
                heapq.heappush(request_heap, (request.time_h, request.ev, request))
            next_trip = last
        if t <= hours:
            # Background arrivals of the step, at uniform times within it.
            arrivals = traffic_rng.poisson(background_rate(0.5 * (t_prev + t)) * step_h)
            for station in np.repeat(np.arange(city.stations), arrivals):
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
    # EVs still on their way arrive (every event time is finite); no new background traffic.
    while any(e[3] == "ev" for e in events):
        process(heapq.heappop(events))
    order = range(len(requests))
    return DaySimulation(
        city=city, method=method, requests=tuple(requests), decisions=tuple(decisions[k] for k in order),
        outcome=frozen_array(np.array([outcome[k] for k in order], dtype="<U20")),
        times_h=frozen_array(np.array(times)),
        occupancy=frozen_array(np.array(occupancy, dtype=int).reshape(len(times), city.stations)),
        background_arrivals=int(counts["arrivals"]), background_blocked=int(counts["blocked"]),
        batches=dispatcher.batches)
