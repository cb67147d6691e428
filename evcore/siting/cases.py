"""Siting instances to work with: the paper's Changchun case and random cities.

- :func:`changchun_case`: the 50 demand points of seed 004's Table 9 (embedded in evcore, typed
  from the paper) on a generated layout;
- :func:`random_case`: clustered random cities of any size.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_array, check_integer, check_nonnegative, check_positive, check_seed
from ..errors import InputError
from ._changchun_data import TABLE9_DEMAND_VEHICLES_PER_DAY
from .model import SitingInstance, SitingParameters

__all__ = ["changchun_case", "random_case", "CHANGCHUN_AREA_KM2", "CHANGCHUN_CENTRE_LONLAT",
           "changchun_demand"]

#: The Changchun study area of §3.1 (km²).
CHANGCHUN_AREA_KM2 = 3219.0
#: Longitude and latitude of Changchun's city centre (People's Square, about 125.32 E, 43.89 N);
#: the generated layout's square is centred here so that maps and GeoJSON land on the city.
CHANGCHUN_CENTRE_LONLAT = (125.3245, 43.8868)
#: Largest random case (points): the kernels hold points x sites arrays.
MAX_RANDOM_POINTS = 20_000


def _layout(points: int, side_km: float, clusters: int, spread_km: float, rng: np.random.Generator):
    """Points around ``clusters`` district centres inside a square of ``side_km`` (km)."""
    centres = rng.uniform(0.2 * side_km, 0.8 * side_km, size=(clusters, 2))
    members = rng.integers(0, clusters, size=points)
    xy = centres[members] + rng.normal(0.0, spread_km, size=(points, 2))
    return np.clip(xy, 0.0, side_km)  # stay inside the study area (a layout choice, not data)


def _land_cost(xy: np.ndarray, side_km: float, rng: np.random.Generator, area_m2: float) -> np.ndarray:
    """Land price falling with distance from the centre: 0.2-0.8 (10^4 yuan/m²) times the plot area."""
    centre = np.array([side_km / 2, side_km / 2])
    radius = np.linalg.norm(xy - centre, axis=1) / (side_km / 2)
    price_per_m2 = 0.2 + 0.6 * np.exp(-2.0 * radius) * rng.uniform(0.8, 1.2, size=len(xy))
    return price_per_m2 * area_m2


def _distances(xy_a: np.ndarray, xy_b: np.ndarray) -> np.ndarray:
    return np.sqrt(((xy_a[:, None, :] - xy_b[None, :, :]) ** 2).sum(axis=2))


def _area(station_area_m2) -> float:
    return float(check_positive("station_area_m2", as_array("station_area_m2", station_area_m2, ndim=0)))


def changchun_demand(demand_path=None):
    """Ids and daily demands of the Changchun demand points: ``(ids, demand_per_day)``.

    Without ``demand_path``: Table 9 of seed 004 as embedded in evcore
    (:mod:`evcore.siting._changchun_data`, typed from the published table; ids "1".."50").
    With a path: a CSV ``point,daily_charging_demand_vehicles`` read by
    :func:`evcore.io.demand_points.read` (the format of the shared data file
    ``changchun_demand_points.csv``; any table of that shape works).
    """
    if demand_path is None:
        demand = np.array(TABLE9_DEMAND_VEHICLES_PER_DAY, dtype=float)
        return tuple(str(k + 1) for k in range(demand.size)), demand
    from ..io import demand_points

    table = demand_points.read(demand_path)
    return table.ids, table.demand_per_day


def changchun_case(seed: int = 0, *, demand_path=None, parameters: SitingParameters | None = None,
                   max_distance_km: float = np.inf, stations: int | None = None,
                   split: str = "fixed", station_area_m2: float = 300.0) -> SitingInstance:
    """The Changchun case of seed 004 (§3): 50 demand points that are also the 50 candidate sites.

    Demands are Table 9 of the paper, embedded in evcore (typed from the published table, with
    its citation in :mod:`evcore.siting._changchun_data`), so this works in any installation;
    ``demand_path`` reads another table of the same shape instead. The paper publishes no
    coordinates, so a plausible layout is generated with ``seed``: nine district centres (the
    study area's districts, Table 5) in the middle 60 % of a square of 3,219 km² (56.7 km
    side), points scattered around them (σ = 4 km); land cost falls from 0.8 to 0.2
    (10^4 yuan/m²) with distance from the centre, for a ``station_area_m2`` plot. The square is
    centred on Changchun's centre (:data:`CHANGCHUN_CENTRE_LONLAT`) for maps and GeoJSON. The
    layout is synthetic: it makes the case runnable; it does not reproduce the paper's map.

    **The paper's data and its plan are inconsistent, under any queue formula.** With its own
    service times (slow t1 = 6 h for the share A = 0.28, fast t2 = 1 h for B = 0.72), Table 9's
    33,177 vehicles a day need 33,177 x (0.28 x 6 + 0.72 x 1) = 79,625 pile-hours of charging
    a day, while its plan's 150 piles (110 fast, 40 slow) offer 150 x 20 = 3,000 pile-hours in
    the 20-hour operating day (We): 26.5 times too few, so the demand cannot be served at all,
    whatever the queueing model (M/M/c or any other: a pile cannot work more hours than the
    day has). By type: slow charging needs 55,737 pile-hours against 40 x 20 = 800, fast 23,887
    against 110 x 20 = 2,200. In M/M/c terms the offered loads are about 2,787 Erlangs (slow)
    and 1,194 (fast). evcore solves the model as stated, so its plans have thousands of piles
    and costs far above the paper's Table 11.

    Parameters
    ----------
    seed : int
        Layout seed.
    demand_path : path-like, optional
        A CSV ``point,daily_charging_demand_vehicles`` to use instead of the embedded Table 9.
    parameters : SitingParameters, optional
    max_distance_km, stations, split
        As in :class:`SitingInstance`.
    station_area_m2 : float
        ``s_j``, the same for every site (m²).
    """
    seed = check_seed(seed)
    ids, demand = changchun_demand(demand_path)
    area = _area(station_area_m2)
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(CHANGCHUN_AREA_KM2))
    xy = _layout(len(demand), side, clusters=9, spread_km=4.0, rng=rng)
    lon0, lat0 = CHANGCHUN_CENTRE_LONLAT
    origin = (lon0 - (side / 2) / (111.320 * np.cos(np.radians(lat0))), lat0 - (side / 2) / 110.574)
    return SitingInstance(
        demand_per_day=demand, distance_km=_distances(xy, xy), land_cost=_land_cost(xy, side, rng, area),
        parameters=SitingParameters() if parameters is None else parameters, max_distance_km=max_distance_km,
        stations=stations, split=split, point_xy_km=xy, site_xy_km=xy, point_names=ids, site_names=ids,
        name=f"changchun(seed={seed})", origin_lonlat=origin)


def random_case(points: int, seed: int = 0, *, sites: int | None = None, side_km: float = 60.0,
                demand_range=(50, 400), parameters: SitingParameters | None = None,
                max_distance_km: float = np.inf, stations: int | None = None,
                split: str = "fixed", station_area_m2: float = 300.0) -> SitingInstance:
    """A random siting instance: clustered points in a ``side_km`` square, integer demands.

    Candidate sites are the first ``sites`` points (all points by default), as in the paper
    where demand points double as candidates. Coordinates are local km (no geographic origin).

    Parameters
    ----------
    points : int
        Number of demand points, ``1 <= points <= 20,000``.
    seed : int
        Seed of everything random.
    sites : int, optional
        Number of candidate sites (``<= points``).
    side_km : float
        Side of the square study area.
    demand_range : (int, int)
        Daily vehicles per point, uniform integers in ``[low, high]``.
    """
    points = int(check_integer("points", as_array("points", points, ndim=0), minimum=1))
    if points > MAX_RANDOM_POINTS:
        raise InputError("points", f"must be at most {MAX_RANDOM_POINTS}, got {points}")
    seed = check_seed(seed)
    sites = points if sites is None else int(check_integer("sites", as_array("sites", sites, ndim=0), minimum=1))
    if sites > points:
        raise InputError("sites", f"must be <= points ({points}), got {sites}")
    bounds = check_integer("demand_range", check_nonnegative(
        "demand_range", as_array("demand_range", demand_range, shape=(2,))))
    low, high = (int(v) for v in bounds)
    if high < low:
        raise InputError("demand_range", f"high must be >= low, got {(low, high)}")
    if high > 10**9:
        raise InputError("demand_range", f"must be at most 10**9 vehicles a day, got {high}")
    side_km = float(check_positive("side_km", as_array("side_km", side_km, ndim=0)))
    if side_km > 1e5:
        raise InputError("side_km", f"must be at most 100,000 km, got {side_km!r}")
    area = _area(station_area_m2)
    rng = np.random.default_rng(seed)
    xy = _layout(points, side_km, clusters=max(1, points // 8), spread_km=side_km / 8, rng=rng)
    demand = rng.integers(low, high + 1, size=points).astype(float)
    site_xy = xy[:sites]
    return SitingInstance(
        demand_per_day=demand, distance_km=_distances(xy, site_xy), land_cost=_land_cost(site_xy, side_km, rng, area),
        parameters=SitingParameters() if parameters is None else parameters, max_distance_km=max_distance_km,
        stations=stations, split=split, point_xy_km=xy, site_xy_km=site_xy,
        name=f"random(points={points}, sites={sites}, seed={seed})")
