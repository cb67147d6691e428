"""The city an online dispatcher works in: stations, destinations, speeds and cost weights.

Units: distances in km, speeds in km/h, times in hours, money in the currency of the prices.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from ..._validate import (
    as_array,
    check_count,
    check_finite,
    check_ids,
    check_integer,
    check_interval,
    check_nonnegative,
    check_number,
    check_options,
    check_seed,
    freeze_fields,
)
from ...errors import InputError

__all__ = ["City", "generate_city", "pairwise_km", "MAX_STATIONS"]

#: Largest number of stations or destinations :func:`generate_city` makes.
MAX_STATIONS = 100_000
#: Largest coordinate magnitude (km) a City accepts: far beyond any city, small enough that
#: distances never overflow.
MAX_COORDINATE_KM = 1e7


def pairwise_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances, shape (len(a), len(b)), from (n, 2) and (m, 2) coordinates (km)."""
    return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)


@dataclass(frozen=True, eq=False)
class City:
    """Stations, destinations and travel parameters of a city, validated on creation.

    Parameters
    ----------
    station_xy : array_like, shape (stations, 2)
        Station coordinates (km, a local planar system).
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
    station_ids : sequence of str or int, optional
        Ids of the stations in every output (default ``1 .. stations``).

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
    station_ids: tuple | None = None
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
        for name in ("driving_speed_kmh", "walking_speed_kmh", "max_walking_time_h"):
            object.__setattr__(self, name, check_number(name, getattr(self, name), minimum=0.0, strict=True))
        for name in ("driving_cost_per_km", "walking_cost_per_km"):
            object.__setattr__(self, name, check_number(name, getattr(self, name), minimum=0.0))
        object.__setattr__(self, "detour_factor", check_number("detour_factor", self.detour_factor, minimum=1.0))
        station_ids = (tuple(range(1, stations + 1)) if self.station_ids is None
                       else check_ids("station_ids", self.station_ids, stations))
        for name, xy in (("station_xy", station_xy), ("destination_xy", destination_xy)):
            far = np.abs(xy) > MAX_COORDINATE_KM
            if far.any():
                index = tuple(int(i) for i in np.argwhere(far)[0])
                raise InputError(name, f"coordinates are km in a local system, |x| <= {MAX_COORDINATE_KM:g}; got "
                                       f"{xy[index]!r}", index)
        freeze_fields(self, station_xy=station_xy, piles=piles, price_per_hour=price, destination_xy=destination_xy,
                      walking_km=pairwise_km(station_xy, destination_xy), station_ids=station_ids)

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

    def station_index(self, station_id) -> int:
        """0-based position of the station with id ``station_id``."""
        try:
            return self.station_ids.index(station_id)
        except ValueError:
            raise InputError("station", f"no station has id {station_id!r}") from None

    def driving_km(self, positions) -> np.ndarray:
        """Road distance from each position to each station, shape (n, stations), km."""
        return self.detour_factor * pairwise_km(np.asarray(positions, float).reshape(-1, 2), self.station_xy)

    def driving_km_to_destination(self, positions, destination) -> np.ndarray:
        """Road distance from each position (n, 2) to its destination (n,), shape (n,), km."""
        positions = np.asarray(positions, float).reshape(-1, 2)
        target = self.destination_xy[np.asarray(destination, int)]
        return self.detour_factor * np.linalg.norm(positions - target, axis=1)


#: Travel parameters :func:`generate_city` passes on to :class:`City`.
_TRAVEL = ("driving_speed_kmh", "walking_speed_kmh", "detour_factor", "driving_cost_per_km", "walking_cost_per_km",
           "max_walking_time_h", "station_ids")


def generate_city(stations: int = 24, destinations: int = 12, seed=0, *, city_km: float = 8.0,
                  piles: tuple[int, int] = (2, 6), price_per_hour: tuple[float, float] = (1.0, 3.0),
                  clustered_share: float = 0.5, **travel) -> City:
    """A random city: destinations uniform in a square, stations partly clustered around them.

    Parameters
    ----------
    stations, destinations : int
        At least 1, at most :data:`MAX_STATIONS`.
    seed : int or numpy.random.Generator
    city_km : float
        Side of the square (km).
    piles : (int, int)
        Inclusive range of piles per station (``1 <= low <= high``).
    price_per_hour : (float, float)
        Range of charging prices (currency/hour).
    clustered_share : float
        Share of stations placed near a destination (round robin, normal offset of 0.6 km per
        axis) rather than uniformly, so that destinations have a station within walking reach,
        as in a real city.
    **travel
        Speeds, detour factor, cost weights, maximum walking time and station ids passed to
        :class:`City`.
    """
    stations = check_count("stations", stations, minimum=1, maximum=MAX_STATIONS)
    destinations = check_count("destinations", destinations, minimum=1, maximum=MAX_STATIONS)
    rng = np.random.default_rng(check_seed(seed, allow_generator=True))
    city_km = check_number("city_km", city_km, minimum=0.0, strict=True, maximum=1e5)
    low_piles, high_piles = check_interval("piles", piles, minimum=1, maximum=10**4, integer=True)
    low_price, high_price = check_interval("price_per_hour", price_per_hour, minimum=0.0, maximum=1e12)
    clustered_share = check_number("clustered_share", clustered_share, minimum=0.0, maximum=1.0)
    check_options("generate_city", travel, _TRAVEL)
    destination_xy = rng.uniform(0.0, city_km, (destinations, 2))
    clustered = int(round(clustered_share * stations))
    # Round robin over destinations, so each gets a nearby station when clustered >= destinations.
    near = destination_xy[np.arange(clustered) % destinations] + rng.normal(0.0, 0.6, (clustered, 2))
    station_xy = np.clip(np.vstack([near, rng.uniform(0.0, city_km, (stations - clustered, 2))]), 0.0, city_km)
    return City(station_xy=station_xy, piles=rng.integers(low_piles, high_piles + 1, stations),
                price_per_hour=rng.uniform(low_price, high_price, stations), destination_xy=destination_xy, **travel)


assert set(_TRAVEL) <= {f.name for f in fields(City)}
