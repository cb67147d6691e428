"""Trip records to model data (seed 000, §5.1): traffic flow per zone and 15-minute slot of a
weekly cycle, and mean observed assignment distances between zones.

A trip table has one row per trip with columns (names configurable) ``origin_lat``,
``origin_lon``, ``dest_lat``, ``dest_lon`` (degrees, WGS84), ``start_time`` (a date-time; its
weekday and local clock time give the slot, Monday 00:00 = slot 0), and optionally
``distance_km`` (observed trip length) and ``origin_zone``/``dest_zone`` (zone ids, used instead
of nearest-centroid mapping). Rows with missing or impossible coordinates, times, zone ids or
distances are never silently dropped: they are counted and shown in :class:`TripReport`, and
``on_bad="raise"`` turns the first into an :class:`~evcore.errors.InputError`. Files are read
by :mod:`evcore.io.trips` (:func:`read_trips`, :func:`read_centroids`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .._compiled import ensure_compiled
from .._validate import as_array, as_scalar, check_choice, check_positive, freeze_fields
from ..errors import InputError
from ..io import trips as trip_files
from . import _kernels
from .model import check_zone_centroids, check_zone_ids

__all__ = ["TripReport", "TripData", "read_trips", "read_centroids", "trips_to_model_data", "haversine_km",
           "EARTH_RADIUS_KM", "DEFAULT_COLUMNS"]

EARTH_RADIUS_KM = 6371.0088
DEFAULT_COLUMNS = dict(origin_lat="origin_lat", origin_lon="origin_lon", dest_lat="dest_lat", dest_lon="dest_lon",
                       start_time="start_time", distance_km="distance_km", origin_zone="origin_zone",
                       dest_zone="dest_zone")


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance (km) between points given in degrees (WGS84; arrays broadcast).

    Coordinates must be finite numbers with latitudes in [-90, 90]."""
    arrays = []
    for name, value in (("lat1", lat1), ("lon1", lon1), ("lat2", lat2), ("lon2", lon2)):
        arr = as_array(name, value)
        bad = ~np.isfinite(arr) | ((np.abs(arr) > 90) if name.startswith("lat") else False)
        if np.any(bad):
            index = None if arr.ndim == 0 else int(np.flatnonzero(np.ravel(bad))[0])
            raise InputError(name, f"must be finite degrees{' in [-90, 90]' if name.startswith('lat') else ''}, got "
                                   f"{arr.reshape(-1)[index or 0]!r}", index)
        arrays.append(arr)
    try:
        np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        raise InputError("lat1", f"shapes {[a.shape for a in arrays]} do not broadcast together") from None
    return _haversine(*arrays)


def _haversine(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


@dataclass(frozen=True)
class TripReport:
    """What happened to the rows of a trip table.

    Attributes
    ----------
    rows : int
        Rows read.
    used : int
        Rows counted.
    bad : int
        Rows left out because of bad data (``rows - used``).
    reasons : dict of str to int
        Rows left out per reason (a row is counted under its first reason).
    examples : list of (int, str)
        Up to ``max_examples`` (row position, reason) pairs.
    observed_pairs : int
        Unordered zone pairs (i != j) with at least one observed trip.
    """

    rows: int
    used: int
    bad: int
    reasons: dict = field(default_factory=dict)
    examples: list = field(default_factory=list)
    observed_pairs: int = 0

    def summary(self) -> str:
        text = f"{self.used} of {self.rows} trips used"
        if self.bad:
            text += f"; {self.bad} bad rows left out (" + ", ".join(f"{k}: {v}" for k, v in self.reasons.items())
            text += "); e.g. " + "; ".join(f"row {r}: {why}" for r, why in self.examples[:3])
        return text


@dataclass(frozen=True, eq=False)
class TripData:
    """Model data made from trips.

    Attributes
    ----------
    traffic_flow : numpy.ndarray, shape (zones, slots)
        Trips starting in zone i during slot t of the week (vehicles per slot, averaged over
        the number of weeks the table spans when ``weeks`` is given).
    distance_km : numpy.ndarray, shape (zones, zones)
        Mean observed trip length between i and j (both directions pooled), else
        haversine(centroids) x detour factor; 0 on the diagonal.
    observed : numpy.ndarray of bool, shape (zones, zones)
        Where ``distance_km`` is observed rather than the fallback.
    zone_centroids : numpy.ndarray, shape (zones, 2)
        (lat, lon) in degrees (NaN when the zones were given by id only).
    report : TripReport
    zone_ids : tuple
        Ids of the zones, in row order.
    """

    traffic_flow: np.ndarray
    distance_km: np.ndarray
    observed: np.ndarray
    zone_centroids: np.ndarray
    report: TripReport
    zone_ids: tuple = ()

    def __post_init__(self):
        freeze_fields(self, traffic_flow=self.traffic_flow, distance_km=self.distance_km, observed=self.observed,
                      zone_centroids=self.zone_centroids)
        if not self.zone_ids:
            object.__setattr__(self, "zone_ids", tuple(range(self.traffic_flow.shape[0])))

    @property
    def has_coordinates(self) -> bool:
        return bool(np.isfinite(self.zone_centroids).all())


def read_trips(path, columns=None) -> dict:
    """Read a trip table from CSV or Parquet (by suffix): :func:`evcore.io.trips.read`.

    Returns
    -------
    dict of str to numpy.ndarray
        The columns (pass it to :func:`trips_to_model_data`).
    """
    return trip_files.read(path, columns=columns)


def read_centroids(path) -> trip_files.Centroids:
    """Read zone centroids (CSV ``zone_id,lat,lon``): :func:`evcore.io.trips.read_centroids`."""
    return trip_files.read_centroids(path)


def _slot_of_week(times, slot_minutes, *, first_row=0, state=None, field="start_time"):
    """Slot of the week (Monday 00:00 = 0) and a validity mask for a time column (local clock time)."""
    values, valid = trip_files.parse_times(times, field=field, first_row=first_row, state=state)
    minute = values.astype(np.int64) // 60_000_000_000
    # 1970-01-01 was a Thursday: shift by 3 days so that Mondays start the week.
    minute_of_week = (minute + 3 * 1440) % (7 * 1440)
    slot = (minute_of_week // slot_minutes).astype(np.int64)
    slot[~valid] = 0
    return slot, valid


def _local_xy_km(lat, lon, lat0, lon0):
    """Equirectangular projection to km around (lat0, lon0), accurate for a city."""
    x = np.radians(lon - lon0) * EARTH_RADIUS_KM * np.cos(np.radians(lat0))
    y = np.radians(lat - lat0) * EARTH_RADIUS_KM
    return np.column_stack([x, y])


def _zone_rows(values, lookup, zone_count):
    """Row of each trip's zone id and a mask of ids that name no zone.

    ``lookup`` maps ids to rows; ``None`` means the ids are the rows 0 .. zone_count - 1.
    """
    values = np.asarray(values)
    if lookup is None and values.dtype.kind in "fiu":
        ids = values.astype(float)
        bad = ~np.isfinite(ids) | (ids != np.round(ids)) | (ids < 0) | (ids >= zone_count)
        return np.where(bad, 0, ids).astype(np.int64), bad
    import pandas as pd

    keys = pd.Series(values.astype(object), dtype=object).map(trip_files.id_key)
    if lookup is None:
        lookup = {i: i for i in range(zone_count)}
    rows = keys.map(lambda key: lookup.get(key, -1) if key is not None else -1).to_numpy(np.int64)
    bad = rows < 0
    return np.where(bad, 0, rows), bad


def _table_columns(trips, names):
    """The trip table's columns by role, checked to be one-dimensional and of one length."""
    is_frame = trip_files._is_pandas(trips, "DataFrame")
    if not (is_frame or isinstance(trips, Mapping)):
        raise InputError("trips", f"must be a pandas DataFrame or a mapping of column name to array, got "
                                  f"{type(trips).__name__}")
    columns = {}
    for key, name in names.items():
        if name in trips:
            try:
                values = trip_files.column_values(trips[name])
            except (TypeError, ValueError):
                raise InputError("trips", f"column {name!r} cannot be read as one value per row (ragged?)") from None
            if values.ndim != 1:
                raise InputError("trips", f"column {name!r} must be one-dimensional, got shape {values.shape}")
            columns[key] = values
    lengths = {names[key]: values.shape[0] for key, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise InputError("trips", f"columns have different lengths (a ragged table): {lengths}")
    return columns


def trips_to_model_data(trips, zone_centroids=None, *, zones=None, zone_ids=None, slot_minutes=15,
                        detour_factor=1.3, weeks=1.0, columns=None, max_zone_distance_km=np.inf, on_bad="report",
                        max_examples=5, chunk_rows=200_000) -> TripData:
    """Map trips to zones, count them per slot of the week and average pair distances.

    Parameters
    ----------
    trips : pandas.DataFrame or mapping of column name to array
        The trip table (see the module docstring for the columns), e.g. from :func:`read_trips`.
    zone_centroids : array_like, shape (zones, 2), or evcore.io.trips.Centroids, optional
        (lat, lon) of each zone in degrees; trips go to the nearest centroid (KD-tree on a local
        metric projection). A :class:`~evcore.io.trips.Centroids` (from :func:`read_centroids`)
        brings its zone ids. Required unless the table has zone-id columns.
    zones : int, optional
        Number of zones when zone-id columns are used without centroids or ``zone_ids``.
    zone_ids : sequence of str or int, optional
        Ids of the zones, in row order (default: the centroids' ids, else 0 .. zones - 1); the
        table's zone-id columns name zones by these ids.
    slot_minutes : int
        Slot length (minutes); 10080 must be a multiple of it (15 gives 672 slots).
    detour_factor : float
        Road distance / straight distance (> 0), for trips without ``distance_km`` and for pairs
        without any observed trip (§5.1.2).
    weeks : float
        Weeks the table spans (> 0); counts are divided by it (a mean week).
    columns : dict, optional
        Renames of the default column names (keys among :data:`DEFAULT_COLUMNS`).
    max_zone_distance_km : float
        A trip end farther than this from every centroid is a bad row (> 0, ``inf`` allowed).
    on_bad : {"report", "raise"}
        Report bad rows (a warning and :class:`TripReport`) or raise :class:`InputError` naming
        the first one.
    max_examples : int
        Examples kept in the report (>= 0).
    chunk_rows : int
        Rows processed at a time (>= 1; bounds the working memory, the result does not depend on it).

    Returns
    -------
    TripData

    Raises
    ------
    InputError
        Bad parameters, a table without the needed columns or with columns of different
        lengths, no usable trip at all, times mixing UTC offsets, or (``on_bad="raise"``) a bad row.

    Reference: seed 000, §5.1.1 (flows by 15-minute slot), §5.1.2 (mean observed distances).
    """
    from scipy.spatial import cKDTree

    ensure_compiled(_kernels)
    if columns is not None:
        if not isinstance(columns, Mapping):
            raise InputError("columns", f"must be a mapping of role to column name, got {type(columns).__name__}")
        unknown = sorted(set(columns) - set(DEFAULT_COLUMNS), key=str)
        if unknown:
            raise InputError("columns", f"unknown role(s) {unknown}; roles: {list(DEFAULT_COLUMNS)}")
        if not all(isinstance(v, str) for v in columns.values()):
            raise InputError("columns", "column names must be text")
    names = dict(DEFAULT_COLUMNS, **(columns or {}))
    check_choice("on_bad", on_bad, ("report", "raise"))
    slot_minutes = as_scalar("slot_minutes", slot_minutes, int)
    if slot_minutes <= 0 or (7 * 1440) % slot_minutes:
        raise InputError("slot_minutes", f"must divide the 10080 minutes of a week, got {slot_minutes}")
    detour_factor = float(check_positive("detour_factor", np.asarray(as_scalar("detour_factor", detour_factor))))
    weeks = float(check_positive("weeks", np.asarray(as_scalar("weeks", weeks))))
    max_zone_distance_km = float(check_positive("max_zone_distance_km", np.asarray(
        as_scalar("max_zone_distance_km", max_zone_distance_km)), allow_inf=True))
    max_examples = as_scalar("max_examples", max_examples, int)
    if max_examples < 0:
        raise InputError("max_examples", f"must be >= 0, got {max_examples}")
    chunk = as_scalar("chunk_rows", chunk_rows, int)
    if chunk < 1:
        raise InputError("chunk_rows", f"must be at least 1, got {chunk}")
    slots = 7 * 1440 // slot_minutes

    table = _table_columns(trips, names)
    for key in ("start_time",):
        if key not in table:
            raise InputError("trips", f"missing column {names[key]!r}")
    use_zone_ids = "origin_zone" in table and "dest_zone" in table
    coord_keys = ("origin_lat", "origin_lon", "dest_lat", "dest_lon")
    if not use_zone_ids:
        missing = [names[k] for k in coord_keys if k not in table]
        if missing:
            raise InputError("trips", f"missing column(s) {missing} (or give zone-id columns "
                                      f"{names['origin_zone']!r}, {names['dest_zone']!r})")
    have_coords = all(k in table for k in coord_keys)
    rows = table["start_time"].shape[0]
    if rows == 0:
        raise InputError("trips", "the table has no rows (no trip to count)")

    if isinstance(zone_centroids, trip_files.Centroids):
        if zone_ids is None:
            zone_ids = zone_centroids.zone_id
        zone_centroids = np.column_stack([zone_centroids.latitude_deg, zone_centroids.longitude_deg])
    if zone_centroids is not None:
        centroids = check_zone_centroids(zone_centroids)
        zone_count = centroids.shape[0]
    elif use_zone_ids:
        if zone_ids is not None:
            if isinstance(zone_ids, (str, bytes)) or not hasattr(zone_ids, "__len__"):
                raise InputError("zone_ids", f"must be a sequence of ids, got {type(zone_ids).__name__}")
            zone_count = len(zone_ids)
        elif zones is None:
            raise InputError("zones", "needed when zone ids are given without zone_centroids or zone_ids")
        else:
            zone_count = as_scalar("zones", zones, int)
        if zone_count < 1:
            raise InputError("zones", f"must be at least 1, got {zone_count}")
        centroids = None
    else:
        raise InputError("zone_centroids", "give zone centroids or origin_zone/dest_zone columns")
    if zones is not None and as_scalar("zones", zones, int) != zone_count:
        raise InputError("zones", f"is {zones} but the centroids or zone_ids give {zone_count} zones")
    ids = check_zone_ids(zone_ids, zone_count)
    lookup = None if zone_ids is None else {key: row for row, key in enumerate(ids)}
    tree = None
    if not use_zone_ids:
        lat0, lon0 = centroids.mean(axis=0)
        tree = cKDTree(_local_xy_km(centroids[:, 0], centroids[:, 1], lat0, lon0))

    counts = np.zeros((zone_count, slots))
    with_distance = "distance_km" in table or have_coords
    total_km = np.zeros((zone_count, zone_count))
    trips_per_pair = np.zeros((zone_count, zone_count))
    reasons = {}
    examples = []
    bad_total = 0
    time_state = {}

    # Rows go through in chunks so that the working arrays stay small whatever the table's length.
    for lo in range(0, rows, chunk):
        hi = min(lo + chunk, rows)
        bad = np.zeros(hi - lo, dtype=bool)
        first_reason = np.full(hi - lo, "", dtype=object)

        def flag(mask, reason):
            new = mask & ~bad
            if new.any():
                reasons[reason] = reasons.get(reason, 0) + int(new.sum())
                first_reason[new] = reason
                bad[:] |= new

        slot, valid_time = _slot_of_week(table["start_time"][lo:hi], slot_minutes, first_row=lo, state=time_state,
                                         field=names["start_time"])
        flag(~valid_time, "start_time missing or not a date-time")
        coords = {}
        if have_coords:
            for side in ("origin", "dest"):
                parsed = [trip_files.parse_numbers(table[f"{side}_{axis}"][lo:hi]) for axis in ("lat", "lon")]
                (lat, lat_missing, lat_text), (lon, lon_missing, lon_text) = parsed
                flag(lat_missing | lon_missing, f"{side} coordinates missing")
                flag(lat_text | lon_text, f"{side} coordinates not numbers")
                flag((np.abs(lat) > 90) | (np.abs(lon) > 180), f"{side} coordinates out of range")  # NaN: False
                coords[f"{side}_lat"], coords[f"{side}_lon"] = lat, lon

        if use_zone_ids:
            ends = []
            for side in ("origin", "dest"):
                zone, unknown = _zone_rows(table[f"{side}_zone"][lo:hi], lookup, zone_count)
                flag(unknown, f"{side}_zone not a zone id" + ("" if lookup is not None else
                                                              f" in 0..{zone_count - 1}"))
                ends.append(zone)
            origin, dest = ends
        else:
            ends = []
            for side in ("origin", "dest"):
                lat = np.where(bad, lat0, coords[f"{side}_lat"])
                lon = np.where(bad, lon0, coords[f"{side}_lon"])
                gap_km, zone = tree.query(_local_xy_km(lat, lon, lat0, lon0), workers=-1)
                flag(gap_km > max_zone_distance_km,
                     f"{side} farther than {max_zone_distance_km} km from every zone")
                ends.append(zone.astype(np.int64))
            origin, dest = ends

        if "distance_km" in table:
            distance, missing, text = trip_files.parse_numbers(table["distance_km"][lo:hi])
            flag(missing, "distance_km missing")
            flag(text, "distance_km not a number")
            flag(distance < 0, "distance_km negative")
        elif have_coords:
            distance = detour_factor * _haversine(coords["origin_lat"], coords["origin_lon"], coords["dest_lat"],
                                                  coords["dest_lon"])  # NaN for bad rows, which are left out
        else:
            distance = None

        valid = ~bad
        if on_bad == "raise" and bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise InputError("trips", str(first_reason[r]), lo + r)
        bad_total += int(bad.sum())
        for r in np.flatnonzero(bad)[:max(max_examples - len(examples), 0)]:
            examples.append((lo + int(r), str(first_reason[r])))

        _kernels.count_trips(origin, slot, valid, counts)
        if distance is not None:
            _kernels.accumulate_pair_distance(origin, dest, np.where(valid, distance, 0.0), valid, total_km,
                                              trips_per_pair)
    if bad_total == rows:
        raise InputError("trips", f"no usable trip: all {rows} rows are bad (" +
                         ", ".join(f"{k}: {v}" for k, v in reasons.items()) + ")")
    counts /= weeks

    observed = trips_per_pair > 0 if with_distance else np.zeros((zone_count, zone_count), dtype=bool)
    mean_km = np.zeros((zone_count, zone_count))
    np.divide(total_km, trips_per_pair, out=mean_km, where=observed)
    if centroids is not None:
        fallback = detour_factor * _haversine(centroids[:, None, 0], centroids[:, None, 1],
                                              centroids[None, :, 0], centroids[None, :, 1])
    else:
        fallback = np.full((zone_count, zone_count), np.inf)  # no geometry: unobserved pairs unreachable
    np.fill_diagonal(observed, False)
    distance_km = np.where(observed, mean_km, fallback)
    np.fill_diagonal(distance_km, 0.0)

    report = TripReport(rows=rows, used=rows - bad_total, bad=bad_total, reasons=reasons, examples=examples,
                        observed_pairs=int(np.triu(observed, 1).sum()))
    if report.bad:
        warnings.warn(f"trip table: {report.summary()}", stacklevel=2)
    if centroids is None:
        centroids = np.full((zone_count, 2), np.nan)
    return TripData(counts, distance_km, observed, centroids, report, ids)
