"""Charging requests: what an EV tells the dispatcher, and seeded trips that produce them.

A request starts when an EV enters an *allocation radius* around its destination
(:func:`allocation_radius_km`): ``r = min(r_0 * (1 + g * rho_F), s * range_km)``, with ``rho_F``
the share of busy piles at the stations within walking reach of the destination (busy
surroundings make the EV ask earlier, with more stations open to it) and the cap
``s * range_km`` keeping the circle's stations within the remaining energy, so a low battery
shrinks the radius. Trips follow a weekday demand profile (:func:`daily_profile`).

Units: km, hours (times of day are hours since midnight), kWh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..._validate import (
    as_array,
    check_count,
    check_finite,
    check_integer,
    check_interval,
    check_nonnegative,
    check_number,
    check_options,
    check_positive,
    check_seed,
    first_index,
)
from ...errors import InputError
from .city import City

__all__ = [
    "ChargeRequest",
    "Trips",
    "daily_profile",
    "allocation_radius_km",
    "generate_trips",
    "requests_from_trips",
    "generate_requests",
    "request_arrays",
    "check_radius_options",
    "MAX_EVS",
    "MAX_HOURS",
]

#: Largest number of EVs (trips, requests) the generators make.
MAX_EVS = 1_000_000
#: Longest horizon of the generators and the simulator (hours: a year).
MAX_HOURS = 24.0 * 366


@dataclass(frozen=True)
class ChargeRequest:
    """One EV asking for a charging station.

    Parameters
    ----------
    ev : int
        EV id, unique among the dispatcher's open requests and EVs on their way.
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


def request_arrays(requests: Sequence[ChargeRequest], city: City, field: str = "new_requests") -> dict:
    """Validated arrays of a list of requests; errors name ``<field>.<attribute>`` and the request."""
    if isinstance(requests, (str, bytes)) or not isinstance(requests, Sequence):
        raise InputError(field, f"must be a sequence of ChargeRequest, got {type(requests).__name__}")
    for k, request in enumerate(requests):
        if not isinstance(request, ChargeRequest):
            raise InputError(field, f"must hold ChargeRequest objects, got {type(request).__name__}", k)
    n = len(requests)

    def named(name):
        return f"{field}.{name}"

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
        raise InputError(named("destination"), f"must be below {city.destinations}, got {out['destination'][k]}", k)
    return out


def daily_profile(time_h) -> np.ndarray:
    """Relative intensity of charging demand over a weekday (mean 1 over 24 h).

    A night-time floor plus a morning peak (08:30) and a stronger evening peak (18:00).

    Parameters
    ----------
    time_h : float or array_like
        Hours since midnight (taken modulo 24), finite.

    Returns
    -------
    numpy.ndarray
        Same shape as ``time_h``.
    """
    hours = np.mod(check_finite("time_h", as_array("time_h", time_h)), 24.0)
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
        Remaining driving range of each EV, remaining kWh / (kWh per km) (km, ``>= 0``).
    busy : array_like of int, shape (stations,)
        Busy piles at each station now (``0 <= busy <= piles``).
    base_radius_km, occupancy_gain : float
        r_0 (km) and g, finite and ``>= 0``.
    range_share : float
        s, in ``[0, 1]``.

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    if not isinstance(city, City):
        raise InputError("city", f"must be a City, got {type(city).__name__}")
    base_radius_km = check_number("base_radius_km", base_radius_km, minimum=0.0)
    occupancy_gain = check_number("occupancy_gain", occupancy_gain, minimum=0.0)
    range_share = check_number("range_share", range_share, minimum=0.0, maximum=1.0)
    destination = check_integer("destination", as_array("destination", destination, dtype=None, ndim=1), minimum=0)
    if np.any(destination >= city.destinations):
        k = first_index(destination >= city.destinations)
        raise InputError("destination", f"must be below {city.destinations}, got {destination[k]}", k)
    range_km = check_nonnegative("range_km", as_array("range_km", range_km, shape=destination.shape))
    busy = check_integer("busy", as_array("busy", busy, dtype=None, shape=(city.stations,)), minimum=0)
    if np.any(busy > city.piles):
        k = first_index(busy > city.piles)
        raise InputError("busy", f"exceeds the station's {city.piles[k]} piles: {busy[k]}", k)
    near = city.walking_km <= city.max_walking_km                              # (S, D)
    near_piles = near.T @ city.piles
    near_busy = near.T @ busy
    overall = busy.sum() / city.piles.sum()
    rho = np.where(near_piles > 0, near_busy / np.maximum(near_piles, 1), overall)    # (D,)
    radius = base_radius_km * (1.0 + occupancy_gain * rho[destination])
    return np.minimum(radius, range_share * range_km)


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
    EV ids are ``0 .. evs - 1``.
    """
    if not isinstance(city, City):
        raise InputError("city", f"must be a City, got {type(city).__name__}")
    evs = check_count("evs", evs, minimum=0, maximum=MAX_EVS)
    hours = check_number("hours", hours, minimum=0.0, strict=True, maximum=MAX_HOURS)
    spare_range_km = check_interval("spare_range_km", spare_range_km, minimum=0.0, maximum=1e6)
    charging_time_h = check_interval("charging_time_h", charging_time_h, minimum=0.0, maximum=1e3)
    slack_h = check_interval("slack_h", slack_h, minimum=0.0, maximum=1e3)
    rng = np.random.default_rng(check_seed(seed, allow_generator=True))
    grid = np.linspace(0.0, hours, max(int(hours * 60), 1) + 1)
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
        Allocation radius of each selected trip (km, finite, ``>= 0``).
    index : array_like of int, optional
        Trips to convert (default all).

    Returns
    -------
    list of ChargeRequest
        In the order of ``index``.
    """
    if not isinstance(trips, Trips):
        raise InputError("trips", f"must be Trips, got {type(trips).__name__}")
    if index is None:
        index = np.arange(len(trips))
    else:
        index = check_integer("index", as_array("index", index, dtype=None, ndim=1), minimum=0)
        if np.any(index >= len(trips)):
            k = first_index(index >= len(trips))
            raise InputError("index", f"must be below {len(trips)} (trips), got {index[k]}", k)
    radius = check_nonnegative("radius_km", as_array("radius_km", radius_km, shape=index.shape))
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

    :func:`evcore.assign.simulate_day` recomputes radii from the live occupancy instead; this
    is the stand-alone generator for driving a :class:`~evcore.assign.Dispatcher` from outside.
    ``radius_options`` are the keyword options of :func:`allocation_radius_km`.
    """
    trips = generate_trips(city, evs, seed)
    busy = np.zeros(city.stations, dtype=int) if busy is None else busy
    check_radius_options(radius_options)
    radius = allocation_radius_km(city, trips.destination, trips.range_at_departure_km, busy, **radius_options)
    return sorted(requests_from_trips(city, trips, radius), key=lambda r: r.time_h)


def check_radius_options(options) -> dict:
    """Refuse keyword options :func:`allocation_radius_km` does not take (values are checked there)."""
    if not isinstance(options, dict):
        raise InputError("radius_options", f"must be a dict, got {type(options).__name__}")
    return check_options("allocation_radius_km", options, ("base_radius_km", "occupancy_gain", "range_share"))
