"""Trip records to model data (seed 000, §5.1): traffic flow per zone and 15-minute slot of a
weekly cycle, and mean observed assignment distances between zones.

A trip table has one row per trip with columns (names configurable) ``origin_lat``,
``origin_lon``, ``dest_lat``, ``dest_lon`` (degrees, WGS84), ``start_time`` (a date-time; its
weekday and time of day give the slot, Monday 00:00 = slot 0), and optionally ``distance_km``
(observed trip length) and ``origin_zone``/``dest_zone`` (zone ids 0..zones-1, used instead of
nearest-centroid mapping). Rows with missing or impossible coordinates, times, zone ids or
distances are never silently dropped: they are counted and shown in :class:`TripReport`, and
``on_bad="raise"`` turns them into an :class:`~evcore.errors.InputError`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._compiled import ensure_compiled
from .._validate import as_array, as_scalar, check_finite, check_positive, freeze_fields
from ..errors import InputError
from . import _kernels

__all__ = ["TripReport", "TripData", "read_trips", "trips_to_model_data", "haversine_km", "EARTH_RADIUS_KM"]

EARTH_RADIUS_KM = 6371.0088
DEFAULT_COLUMNS = dict(origin_lat="origin_lat", origin_lon="origin_lon", dest_lat="dest_lat", dest_lon="dest_lon",
                       start_time="start_time", distance_km="distance_km", origin_zone="origin_zone",
                       dest_zone="dest_zone")


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance (km) between points given in degrees (broadcasting)."""
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
        (lat, lon) in degrees.
    report : TripReport
    """

    traffic_flow: np.ndarray
    distance_km: np.ndarray
    observed: np.ndarray
    zone_centroids: np.ndarray
    report: TripReport

    def __post_init__(self):
        freeze_fields(self, traffic_flow=self.traffic_flow, distance_km=self.distance_km, observed=self.observed,
                      zone_centroids=self.zone_centroids)


def read_trips(path, columns=None):
    """Read a trip table from CSV or Parquet (by suffix) with pandas / pyarrow.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (optionally compressed, e.g. ``.csv.gz``) or ``.parquet``/``.pq``.
    columns : list of str, optional
        Columns to read (all by default).

    Returns
    -------
    pandas.DataFrame
    """
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError('reading trip files needs pandas (and pyarrow for Parquet): pip install "evcore[trips]"') \
            from exc

    path = Path(path)
    if not path.exists():
        raise InputError("path", f"no such trip file: {path}")
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".parquet", ".pq")):
        return pd.read_parquet(path, columns=columns)
    if ".csv" in suffixes:
        return pd.read_csv(path, usecols=columns)
    raise InputError("path", f"unknown trip file type {path.name!r} (expected .csv or .parquet)")


def _slot_of_week(times, slot_minutes):
    """Slot of the week (Monday 00:00 = 0) and a validity mask for a time column.

    ``datetime64`` arrays are read directly; text or objects are parsed by pandas (``evcore[trips]``),
    unparsable entries becoming invalid rows.
    """
    values = np.asarray(times)
    if values.dtype.kind != "M":
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError('parsing text date-times needs pandas: pip install "evcore[trips]" (or pass '
                              'datetime64 values)') from exc
        values = pd.to_datetime(pd.Series(values), errors="coerce").to_numpy()
    values = values.astype("datetime64[ns]")
    valid = ~np.isnat(values)
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


def trips_to_model_data(trips, zone_centroids=None, *, zones=None, slot_minutes=15, detour_factor=1.3,
                        weeks=1.0, columns=None, max_zone_distance_km=np.inf, on_bad="report",
                        max_examples=5, chunk_rows=200_000) -> TripData:
    """Map trips to zones, count them per slot of the week and average pair distances.

    Parameters
    ----------
    trips : pandas.DataFrame or mapping of column name to array
        The trip table (see the module docstring for the columns).
    zone_centroids : array_like, shape (zones, 2), optional
        (lat, lon) of each zone; trips go to the nearest centroid (KD-tree on a local metric
        projection). Required unless the table has zone-id columns.
    zones : int, optional
        Number of zones when zone-id columns are used without centroids.
    slot_minutes : int
        Slot length (minutes); 10080 must be a multiple of it (15 gives 672 slots).
    detour_factor : float
        Road distance / straight distance, for trips without ``distance_km`` and for pairs
        without any observed trip (§5.1.2).
    weeks : float
        Weeks the table spans; counts are divided by it (a mean week).
    columns : dict, optional
        Renames of the default column names.
    max_zone_distance_km : float
        A trip end farther than this from every centroid is a bad row.
    on_bad : {"report", "raise"}
        Report bad rows (and warn) or raise :class:`InputError` naming the first one.
    max_examples : int
        Examples kept in the report.
    chunk_rows : int
        Rows processed at a time (bounds the working memory; the result does not depend on it).

    Returns
    -------
    TripData

    Reference: seed 000, §5.1.1 (flows by 15-minute slot), §5.1.2 (mean observed distances).
    """
    from scipy.spatial import cKDTree

    ensure_compiled(_kernels)
    names = dict(DEFAULT_COLUMNS, **(columns or {}))
    if on_bad not in ("report", "raise"):
        raise InputError("on_bad", f'must be "report" or "raise", got {on_bad!r}')
    slot_minutes = as_scalar("slot_minutes", slot_minutes, int)
    if slot_minutes <= 0 or (7 * 1440) % slot_minutes:
        raise InputError("slot_minutes", f"must divide the 10080 minutes of a week, got {slot_minutes}")
    detour_factor = float(check_positive("detour_factor", np.asarray(as_scalar("detour_factor", detour_factor))))
    weeks = float(check_positive("weeks", np.asarray(as_scalar("weeks", weeks))))
    slots = 7 * 1440 // slot_minutes

    def column(key, required=True):
        name = names[key]
        if name in trips:
            return np.asarray(trips[name])
        if required:
            raise InputError("trips", f"missing column {name!r}")
        return None

    rows = len(column("start_time"))
    origin_zone_col = column("origin_zone", required=False)
    dest_zone_col = column("dest_zone", required=False)
    use_zone_ids = origin_zone_col is not None and dest_zone_col is not None
    coord_cols = {key: column(key, required=not use_zone_ids)
                  for key in ("origin_lat", "origin_lon", "dest_lat", "dest_lon")}
    have_coords = all(coord_cols[k] is not None for k in coord_cols)
    distance_col = column("distance_km", required=False)
    time_col = column("start_time")

    if zone_centroids is not None:
        centroids = check_finite("zone_centroids", as_array("zone_centroids", zone_centroids, ndim=2,
                                                            shape=(None, 2)))
        zone_count = centroids.shape[0]
    elif use_zone_ids:
        if zones is None:
            raise InputError("zones", "needed when zone ids are given without zone_centroids")
        zone_count = as_scalar("zones", zones, int)
        centroids = None
    else:
        raise InputError("zone_centroids", "give zone centroids or origin_zone/dest_zone columns")
    tree = None
    if not use_zone_ids:
        lat0, lon0 = centroids.mean(axis=0)
        tree = cKDTree(_local_xy_km(centroids[:, 0], centroids[:, 1], lat0, lon0))

    counts = np.zeros((zone_count, slots))
    with_distance = distance_col is not None or have_coords
    total_km = np.zeros((zone_count, zone_count))
    trips_per_pair = np.zeros((zone_count, zone_count))
    reasons = {}
    examples = []
    bad_total = 0

    # Rows go through in chunks so that the working arrays stay small whatever the table's length.
    chunk = max(int(chunk_rows), 1)
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

        slot, valid_time = _slot_of_week(time_col[lo:hi], slot_minutes)
        flag(~valid_time, "start_time missing or not a date-time")
        coords = {key: None if col is None else np.asarray(col[lo:hi], dtype=float)
                  for key, col in coord_cols.items()}
        if have_coords:
            for side in ("origin", "dest"):
                lat, lon = coords[f"{side}_lat"], coords[f"{side}_lon"]
                flag(~np.isfinite(lat) | ~np.isfinite(lon), f"{side} coordinates missing")
                flag((np.abs(lat) > 90) | (np.abs(lon) > 180), f"{side} coordinates out of range")

        if use_zone_ids:
            origin = np.asarray(origin_zone_col[lo:hi], dtype=float)
            dest = np.asarray(dest_zone_col[lo:hi], dtype=float)
            for side, ids in (("origin", origin), ("dest", dest)):
                flag(~np.isfinite(ids) | (ids != np.round(ids)) | (ids < 0) | (ids >= zone_count),
                     f"{side}_zone not a zone id in 0..{zone_count - 1}")
            origin = np.where(bad, 0, origin).astype(np.int64)
            dest = np.where(bad, 0, dest).astype(np.int64)
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

        if distance_col is not None:
            distance = np.asarray(distance_col[lo:hi], dtype=float)
            flag(~np.isfinite(distance) | (distance < 0), "distance_km missing or negative")
        elif have_coords:
            distance = detour_factor * haversine_km(coords["origin_lat"], coords["origin_lon"], coords["dest_lat"],
                                                    coords["dest_lon"])
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
    counts /= weeks

    observed = trips_per_pair > 0 if with_distance else np.zeros((zone_count, zone_count), dtype=bool)
    mean_km = np.zeros((zone_count, zone_count))
    np.divide(total_km, trips_per_pair, out=mean_km, where=observed)
    if centroids is not None:
        fallback = detour_factor * haversine_km(centroids[:, None, 0], centroids[:, None, 1],
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
    return TripData(counts, distance_km, observed, centroids, report)
