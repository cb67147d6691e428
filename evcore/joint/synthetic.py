"""Model parameters of §5.1 and a Chengdu-like synthetic city (no outside data needed).

- :func:`location_cost_by_distance`: pi_i decaying exponentially with distance from a centre (§5.1.3).
- :func:`sample_charging_share`: alpha[i, t] ~ Beta(10, 90) (§5.1.1).
- :func:`synthetic_trips`: a week of trips over residential / office / recreational zones with
  weekday commuting peaks and weekend leisure traffic.
- :func:`synthetic_city`: those trips through :func:`~evcore.joint.trips.trips_to_model_data`
  into a :class:`~evcore.joint.model.JointInstance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import dataclasses

from .._validate import as_array, as_scalar, check_flag, check_nonnegative, check_options, check_positive, check_seed
from ..errors import InputError
from .model import JointInstance, check_zone_centroids
from .trips import TripData, _haversine, trips_to_model_data

__all__ = ["CHENGDU_CENTRE", "location_cost_by_distance", "sample_charging_share", "synthetic_trips",
           "synthetic_city", "SyntheticCity", "write_sample_trips", "ZONE_TYPES", "MAX_ZONES", "MAX_TRIPS", "BETA_SHARE"]

#: Largest synthetic city (zones) and week of trips evcore generates (memory: about 50 bytes a trip).
MAX_ZONES = 5000
MAX_TRIPS = 50_000_000
#: §5.1.1: alpha ~ Beta(10, 90), a mean charging share of 10%.
BETA_SHARE = (10.0, 90.0)

#: Chunxi Road, Chengdu (lat, lon), the paper's reference point for land cost.
CHENGDU_CENTRE = (30.6570, 104.0817)
ZONE_TYPES = ("residential", "office", "recreational")
#: Trips per zone in a week (1.5 million trips over 201 zones, as in the paper's data).
TRIPS_PER_ZONE = 1_500_000 / 201
_MONDAY = np.datetime64("2016-11-21T00:00:00", "s")  # the paper's data week started on a Monday


def location_cost_by_distance(zone_centroids, centre=CHENGDU_CENTRE, peak_cost_per_kw=1000.0, decay_km=4.0):
    """pi_i = peak * exp(-distance(i, centre) / decay_km) (currency per kW), shape (zones,).

    Reference: seed 000, §5.1.3.
    """
    centroids = check_zone_centroids(zone_centroids)
    centre = check_zone_centroids(as_array("centre", centre, ndim=1, shape=(2,))[None, :])[0]
    peak = float(check_nonnegative("peak_cost_per_kw", np.asarray(as_scalar("peak_cost_per_kw", peak_cost_per_kw))))
    decay = float(check_positive("decay_km", np.asarray(as_scalar("decay_km", decay_km))))
    distance = _haversine(centroids[:, 0], centroids[:, 1], centre[0], centre[1])
    return peak * np.exp(-distance / decay)


def _count(field, value, low, high):
    value = as_scalar(field, value, int)
    if not low <= value <= high:
        raise InputError(field, f"must be an integer in [{low}, {high}], got {value!r}")
    return value


def sample_charging_share(zones, slots, seed=0, a=BETA_SHARE[0], b=BETA_SHARE[1]):
    """alpha[i, t] ~ Beta(a, b) independently (default Beta(10, 90), mean 10%), shape (zones, slots).

    ``seed`` is an integer in [0, 2**63); the same seed gives the same shares.

    Reference: seed 000, §5.1.1.
    """
    zones = _count("zones", zones, 1, MAX_ZONES)
    slots = _count("slots", slots, 1, 7 * 1440)
    seed = check_seed(seed)
    a = float(check_positive("a", np.asarray(as_scalar("a", a))))
    b = float(check_positive("b", np.asarray(as_scalar("b", b))))
    rng = np.random.default_rng(seed)
    return rng.beta(a, b, size=(zones, slots))


@dataclass(frozen=True, eq=False)
class SyntheticCity:
    """A synthetic city: its trip table, zones and the model data made from it."""

    trips: dict
    zone_centroids: np.ndarray
    zone_type: np.ndarray
    data: TripData
    instance: JointInstance


def _zone_layout(zones, rng):
    radius_km = 10.0 * np.sqrt(zones / 201.0)
    k = np.arange(zones)
    r = radius_km * ((k + 0.5) / zones) ** 0.65  # denser near the centre
    angle = k * 2.399963 + rng.normal(0, 0.15, zones)
    r = r * rng.uniform(0.9, 1.1, zones)
    x, y = r * np.cos(angle), r * np.sin(angle)
    lat = CHENGDU_CENTRE[0] + np.degrees(y / 6371.0088)
    lon = CHENGDU_CENTRE[1] + np.degrees(x / (6371.0088 * np.cos(np.radians(CHENGDU_CENTRE[0]))))
    u = rng.uniform(size=zones)
    office_share = np.clip(0.8 * np.exp(-r / 4.0), 0.05, 0.7)
    zone_type = np.where(u < office_share, 1, np.where(u > 0.88, 2, 0))
    population = rng.lognormal(0.0, 0.35, zones) * (1.0 + 2.0 * np.exp(-r / 8.0))
    return np.column_stack([lat, lon]), zone_type, population, r


def _hour_profiles():
    """Trips per hour for a weekday and a weekend day (relative)."""
    h = np.arange(24) + 0.5
    bump = lambda centre, width, height: height * np.exp(-0.5 * ((h - centre) / width) ** 2)  # noqa: E731
    weekday = 0.15 + bump(8.0, 1.0, 1.6) + bump(12.5, 1.5, 0.7) + bump(18.0, 1.3, 1.8) + bump(21.5, 1.5, 0.6)
    weekday[:5] *= 0.3
    weekend = 0.15 + bump(11.0, 2.5, 1.0) + bump(15.5, 2.5, 1.2) + bump(20.5, 2.0, 1.0)
    weekend[:6] *= 0.35
    return weekday, weekend


def _phase_weights(zone_type, population, weekend, hour):
    """(origin, destination) attraction multipliers per zone for a day type and hour."""
    res, office, rec = zone_type == 0, zone_type == 1, zone_type == 2
    o = np.ones_like(population)
    d = np.ones_like(population)
    if not weekend and 6 <= hour < 10:
        o[res] *= 3.0; d[office] *= 4.0; d[res] *= 0.6  # noqa: E702
    elif not weekend and 16 <= hour < 20:
        o[office] *= 4.0; d[res] *= 3.0; o[res] *= 0.7  # noqa: E702
    elif not weekend:
        o[office] *= 1.5; d[office] *= 1.5  # noqa: E702
    else:
        d[rec] *= 4.0; o[office] *= 0.4; d[office] *= 0.5  # noqa: E702
        if hour >= 18:
            o[rec] *= 3.0; d[res] *= 2.0  # noqa: E702
    return o * population, d * population


def synthetic_trips(zones=201, trips=None, seed=0):
    """A week of synthetic trips (Monday 2016-11-21 to Sunday) over a Chengdu-like city.

    Parameters
    ----------
    zones : int
        2 .. :data:`MAX_ZONES`.
    trips : int, optional
        1 .. :data:`MAX_TRIPS` (default about 7,463 per zone).
    seed : int
        In [0, 2**63).

    Returns
    -------
    (table, zone_centroids, zone_type)
        ``table`` maps the default column names of :mod:`evcore.joint.trips` to arrays
        (``start_time`` as ``datetime64[s]``); ``zone_type`` indexes :data:`ZONE_TYPES`.
    """
    zones = _count("zones", zones, 2, MAX_ZONES)
    total = int(round(TRIPS_PER_ZONE * zones)) if trips is None else _count("trips", trips, 1, MAX_TRIPS)
    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    centroids, zone_type, population, _ = _zone_layout(zones, rng)
    weekday, weekend = _hour_profiles()
    profile = np.array([weekday] * 5 + [weekend * 0.9] * 2)  # (7, 24)
    counts = rng.multinomial(total, (profile / profile.sum()).ravel()).reshape(7, 24)
    gravity = np.exp(-_haversine(centroids[:, None, 0], centroids[:, None, 1], centroids[None, :, 0],
                                   centroids[None, :, 1]) / 6.0)
    origin_parts, dest_parts, time_parts = [], [], []
    rows = np.arange(zones)
    for day in range(7):
        for hour in range(24):
            n = int(counts[day, hour])
            if n == 0:
                continue
            o_weight, d_weight = _phase_weights(zone_type, population, day >= 5, hour)
            origin = rng.choice(zones, size=n, p=o_weight / o_weight.sum())
            conditional = gravity * d_weight[None, :]
            cumulative = np.cumsum(conditional, axis=1)
            cumulative /= cumulative[:, -1:]
            flat = (cumulative + rows[:, None]).ravel()  # row r lives in (r, r + 1]
            dest = np.searchsorted(flat, origin + rng.uniform(size=n)) - origin * zones
            dest = np.minimum(dest, zones - 1)
            seconds = ((day * 24 + hour) * 3600 + rng.uniform(0, 3600, n)).astype(np.int64)
            origin_parts.append(origin.astype(np.int32))
            dest_parts.append(dest.astype(np.int32))
            time_parts.append(seconds)
    origin = np.concatenate(origin_parts)
    dest = np.concatenate(dest_parts)
    start_time = _MONDAY + np.concatenate(time_parts).view("timedelta64[s]")
    del origin_parts, dest_parts, time_parts
    # Columns are built in place (and the distances a chunk at a time) to keep the peak memory near the
    # table's own size; the random draws are the same as drawing each column at once.
    n = origin.size
    parts = [slice(lo, lo + 200_000) for lo in range(0, n, 200_000)]
    jitter_deg = 0.35 / 111.0
    columns = []
    for zone, axis in ((origin, 0), (origin, 1), (dest, 0), (dest, 1)):
        column = rng.normal(0, jitter_deg, n)
        for part in parts:
            column[part] += centroids[zone[part], axis]
        columns.append(column)
    o_lat, o_lon, d_lat, d_lon = columns
    del origin, dest, columns
    distance = np.empty(n)
    for part in parts:
        distance[part] = _haversine(o_lat[part], o_lon[part], d_lat[part], d_lon[part]) * 1.3
    for part in parts:  # the same stream as one draw of n lognormals
        distance[part] *= rng.lognormal(0.0, 0.08, distance[part].size)
    distance += 0.1
    table = dict(origin_lat=o_lat, origin_lon=o_lon, dest_lat=d_lat, dest_lon=d_lon, start_time=start_time,
                 distance_km=distance)
    return table, centroids, zone_type


def synthetic_city(zones=201, slots=672, seed=0, *, trips=None, range_km=3.0, budget=20e9,
                   peak_cost_per_kw=1000.0, decay_km=4.0, return_city=False, **instance_options):
    """A Chengdu-like :class:`JointInstance` made through the trip pipeline.

    Parameters
    ----------
    zones : int
        Zones (201 in the paper), 2 .. :data:`MAX_ZONES`; they are named ``Z001``, ``Z002``, ...
        and carry their centroids (``instance.zone_centroids``).
    slots : int
        Slots of the week; must divide 10080 minutes (672 = 15-minute slots).
    seed : int
        Seeds the trips (``seed``) and alpha ~ Beta(10, 90) (``seed + 1``); in [0, 2**63 - 1).
    trips : int, optional
        Trips in the week (default about 7,463 per zone: 1.5 million for 201 zones).
    range_km, budget :
        ``R`` (km) and ``B`` (currency; the paper's 20 billion CNY).
    peak_cost_per_kw, decay_km :
        pi_i at the centre and its exponential decay length (§5.1.3).
    return_city : bool
        Return a :class:`SyntheticCity` (trips, zones, data, instance) instead of the instance.
    **instance_options
        Further :class:`JointInstance` parameters (``base_cost_per_kw`` ...).

    Reference: seed 000, §5.1.
    """
    slots = as_scalar("slots", slots, int)
    if slots < 1 or (7 * 1440) % slots:
        raise InputError("slots", f"must divide the 10080 minutes of a week, got {slots}")
    seed = check_seed(seed)
    if seed >= 2**63 - 1:
        raise InputError("seed", f"must be below 2**63 - 1 (seed + 1 seeds the charging shares), got {seed}")
    allowed = [f.name for f in dataclasses.fields(JointInstance)
               if f.name not in ("traffic_flow", "charging_share", "distance_km", "location_cost_per_kw", "budget",
                                 "range_km", "zone_ids", "zone_centroids")]
    check_options("synthetic_city", instance_options, allowed)
    check_flag("return_city", return_city)
    zones = _count("zones", zones, 2, MAX_ZONES)
    location_cost_by_distance([CHENGDU_CENTRE], peak_cost_per_kw=peak_cost_per_kw, decay_km=decay_km)  # fail fast
    table, centroids, zone_type = synthetic_trips(zones, trips, seed)
    cost_per_kw = location_cost_by_distance(centroids, peak_cost_per_kw=peak_cost_per_kw, decay_km=decay_km)
    width = len(str(zones))
    zone_ids = tuple(f"Z{i + 1:0{width}d}" for i in range(zones))
    data = trips_to_model_data(table, centroids, zone_ids=zone_ids, slot_minutes=7 * 1440 // slots)
    if not return_city:
        del table  # the trips are no longer needed: free them before the instance is built
    instance = JointInstance(
        traffic_flow=data.traffic_flow, charging_share=sample_charging_share(zones, slots, seed + 1),
        distance_km=data.distance_km, location_cost_per_kw=cost_per_kw,
        budget=budget, range_km=range_km, zone_ids=zone_ids, zone_centroids=centroids, **instance_options)
    if return_city:
        return SyntheticCity(table, centroids, zone_type, data, instance)
    return instance


def write_sample_trips(folder, zones=20, trips=20_000, seed=0):
    """Write a sample trip table ``trips.csv`` and its zones ``zones.csv`` (``zone_id,lat,lon``) into
    ``folder``: synthetic trips in the format :func:`~evcore.joint.read_trips` and
    :func:`~evcore.joint.read_centroids` read, to try the pipeline (or the command line's
    ``--trips``) without data of your own.

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The trip table and the zone file.
    """
    import csv
    from pathlib import Path

    from ..io.trips import Centroids, write_centroids

    table, centroids, _ = synthetic_trips(zones, trips, seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    trips_path = folder / "trips.csv"
    names = list(table)
    times = np.datetime_as_string(table["start_time"], unit="s")
    with trips_path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        columns = [times if name == "start_time" else np.round(table[name], 6) for name in names]
        writer.writerows(zip(*(column.tolist() for column in columns)))
    width = len(str(len(centroids)))
    ids = tuple(f"Z{i + 1:0{width}d}" for i in range(len(centroids)))
    zones_path = write_centroids(Centroids(ids, centroids[:, 0], centroids[:, 1]), folder / "zones.csv")
    return trips_path, zones_path
