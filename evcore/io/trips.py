"""Trip tables (CSV or Parquet) and zone centroids (CSV), read into plain data.

- :func:`read` gives a trip table as a dict of column name -> numpy array (numbers as float64,
  date-times as naive ``datetime64[ns]`` local clock time, text as object arrays). A file that
  cannot be read as a table (missing, binary, UTF-16, empty, ragged rows, duplicate column
  names, a truncated or non-Parquet ``.parquet``) raises :class:`~evcore.errors.InputError`
  naming the file (and the line for CSV); pandas' and pyarrow's own errors never escape.
- :func:`parse_numbers` and :func:`parse_times` turn a column into numbers or date-times and
  say which rows could not be (the method package counts those rows as bad, or refuses them).
- :func:`read_centroids` reads a zone file ``zone_id,lat,lon`` (``zone_id`` optional).

Cells are data: a bad cell is a bad *row*, reported by the method (``evcore.joint`` counts
rows left out and can raise on the first); only a file that is not a table is refused here.
"""

from __future__ import annotations

import bz2
import csv
import datetime as dt
import gzip
import io
import lzma
import os
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import InputError, require
from ._text import parse_float, read_text, where

__all__ = ["read", "read_centroids", "write_centroids", "read_zone_values", "Centroids", "parse_numbers", "parse_times", "id_key",
           "column_values", "TRIP_SUFFIXES"]

#: File name endings :func:`read` knows.
TRIP_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".parquet", ".pq")
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def _kind(path: Path) -> tuple:
    name = path.name.lower()
    for suffix in (".parquet", ".pq"):
        if name.endswith(suffix):
            return "parquet", None
    if name.endswith(".csv"):
        return "csv", None
    for suffix in _OPENERS:
        if name.endswith(".csv" + suffix):
            return "csv", suffix
    raise InputError(str(path), f"unknown trip file type (expected one of {', '.join(TRIP_SUFFIXES)})")


def _existing(path, what: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(what, f"must be a path (str or os.PathLike), got {type(path).__name__}")
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), f"no such {what}")
    if path.is_dir():
        raise InputError(str(path), f"is a folder, expected a {what}")
    return path


def read(path, *, columns=None) -> dict:
    """Read a trip table.

    Parameters
    ----------
    path : str or os.PathLike
        ``.csv`` (or ``.csv.gz``, ``.csv.bz2``, ``.csv.xz``) with a header line, or
        ``.parquet``/``.pq`` (needs pyarrow: ``pip install "evcore[trips]"``).
    columns : sequence of str, optional
        Columns to read (all by default); a missing one raises :class:`InputError`.

    Returns
    -------
    dict of str to numpy.ndarray
        One array per column, all of the same length (rows): float64 for numbers (missing
        cells NaN), naive ``datetime64[ns]`` for date-time columns (time-zone-aware Parquet
        columns become their local clock time), object arrays for text (missing cells None).
    """
    path = _existing(path, "trip file")
    kind, compression = _kind(path)
    if columns is not None:
        if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
            raise InputError("columns", f"must be a list of column names, got {columns!r}")
        columns = list(columns)
    import pandas as pd

    if kind == "parquet":
        require("pyarrow", "trips", "reading Parquet trip tables")
        try:
            frame = pd.read_parquet(path, columns=columns)
        except (MemoryError, KeyboardInterrupt):
            raise
        except Exception as exc:  # pyarrow's many errors: truncated, not Parquet, missing columns
            raise InputError(str(path), f"cannot be read as a Parquet table: {_first_line(exc)}") from None
    else:
        header = _check_csv_shape(path, compression)
        if columns is not None:
            missing = [c for c in columns if c not in header]
            if missing:
                raise InputError(str(path), f"missing column(s) {missing}; the header has {header}")
        try:
            frame = pd.read_csv(path, usecols=columns, index_col=False, low_memory=False,
                                compression={".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}.get(compression))
        except (MemoryError, KeyboardInterrupt):
            raise
        except Exception as exc:  # pandas' parser errors (quotes, encodings) after the checks above
            raise InputError(str(path), f"cannot be read as a CSV table: {_first_line(exc)}") from None
    return {str(name): column_values(frame[name]) for name in frame.columns}


def _first_line(exc) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _check_csv_shape(path: Path, compression) -> list:
    """Refuse what pandas would misread silently: binary or UTF-16 text, an empty file, duplicate
    column names (pandas renames them), rows with more or fewer fields than the header (pandas
    would take the extra field as an index or fill NaN). Returns the header's names."""
    opener = _OPENERS.get(compression, open)
    try:
        with opener(path, "rb") as raw:
            head = raw.read(65536)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(str(path), f"cannot be read: {_first_line(exc)}") from None
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(str(path), "is UTF-16/UTF-32 encoded; save the trip table as UTF-8 text")
    if b"\x00" in head:
        raise InputError(str(path), "is a binary file, not a CSV trip table")
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            header = None
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank lines are skipped (as pandas does)
                if header is None:
                    header = [name.strip() for name in row]
                    seen = {}
                    for k, name in enumerate(header):
                        if not name:
                            raise InputError(where(path, reader.line_num), f"column {k + 1} of the header has no name")
                        if name in seen:
                            raise InputError(where(path, reader.line_num), f"duplicate column name {name!r}")
                        seen[name] = k
                    continue
                if len(row) != len(header):
                    raise InputError(where(path, reader.line_num),
                                     f"{len(row)} fields, the header has {len(header)} (ragged or truncated row)")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"is not valid UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise InputError(str(path), f"is not a valid CSV table: {exc}") from None
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(str(path), f"cannot be read (truncated?): {_first_line(exc)}") from None
    if header is None:
        raise InputError(str(path), "is empty: a header line with the column names is expected")
    return header


def _is_pandas(value, kind: str) -> bool:
    """Whether ``value`` is a pandas ``kind`` (``"Series"``, ``"DataFrame"``), without importing pandas."""
    return any(cls.__name__ == kind and cls.__module__.startswith("pandas") for cls in type(value).__mro__)


def column_values(series) -> np.ndarray:
    """A pandas column as a numpy array the way :func:`read` gives columns (other inputs go
    through ``numpy.asarray``)."""
    if not _is_pandas(series, "Series"):  # pandas is imported only when it is in use
        return np.asarray(series)
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return series.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return series.to_numpy(dtype="datetime64[ns]")
    if pd.api.types.is_bool_dtype(dtype):
        return series.to_numpy(dtype=object, na_value=None) if series.isna().any() else series.to_numpy(bool)
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return series.to_numpy(dtype=object, na_value=None)


# --- cells -----------------------------------------------------------------------------------

def parse_numbers(values) -> tuple:
    """Numbers of a column: ``(float64 array, missing, not_number)``.

    ``missing`` marks empty cells (None, NaN, empty text); ``not_number`` cells that hold
    something else than a finite real number: text that is not a number, ``inf``, booleans,
    complex numbers, date-times. Numbers written as text (``"30.6"``, as CSV cells are) count.
    """
    values = np.asarray(values) if not isinstance(values, np.ndarray) else values
    values = values.reshape(-1) if values.ndim != 1 else values
    kind = values.dtype.kind
    if kind in "fiu":
        out = values.astype(np.float64, copy=False)
        missing = np.isnan(out)
        return out, missing, ~(missing | np.isfinite(out))
    size = values.shape[0]
    if kind in "bcMm":
        return np.full(size, np.nan), np.zeros(size, bool), np.ones(size, bool)
    import pandas as pd

    out = np.full(size, np.nan)
    missing = np.zeros(size, bool)
    bad = np.zeros(size, bool)
    text_rows, texts = [], []
    for k, value in enumerate(values.tolist()):
        if value is None or (isinstance(value, float) and value != value):
            missing[k] = True
        elif isinstance(value, (bool, np.bool_)):
            bad[k] = True
        elif isinstance(value, str):
            text = value.strip()
            if text:
                text_rows.append(k)
                texts.append(text)
            else:
                missing[k] = True
        elif isinstance(value, (int, float, np.integer, np.floating)):
            try:
                out[k] = float(value)
            except OverflowError:
                bad[k] = True
        elif value is pd.NA or value is pd.NaT:
            missing[k] = True
        else:
            bad[k] = True
    if texts:
        numbers = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce")
        out[text_rows] = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    not_number = ~missing & (bad | ~np.isfinite(out))
    out[not_number] = np.nan
    return out, missing, not_number


_OFFSET = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)"
_ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def parse_times(values, *, field: str = "start_time", first_row: int = 0, state: dict | None = None) -> tuple:
    """Local clock times of a column: ``(datetime64[ns] array, valid)``.

    Accepts ``datetime64`` values, ``datetime``/``Timestamp`` objects and ISO 8601 text
    (``2016-11-21 08:05``, ``2016-11-21T08:05:00+08:00``). The slot of the week is taken from the
    clock time as written, so times with a UTC offset must all share it: a column mixing
    offsets, or mixing times with and without one, raises :class:`InputError` (which row has
    which). Cells that are not date-times are invalid rows (``valid`` False).

    A long column can be parsed in parts: pass the part's first row number and the same
    ``state`` dict for every part, so that offsets are compared across parts.
    """
    values = np.asarray(values) if not isinstance(values, np.ndarray) else values
    values = values.reshape(-1) if values.ndim != 1 else values
    size = values.shape[0]
    state = {} if state is None else state
    offsets = state.setdefault("offsets", {})  # offset -> first row where it was seen
    if values.dtype.kind == "M":
        out = values.astype("datetime64[ns]", copy=False)
        valid = ~np.isnat(out)
        if state.get("naive_row") is None and valid.any():
            _note_naive(state, first_row, np.array([int(np.argmax(valid))]))
        _check_offsets(field, state)
        return out, valid
    out = np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]")
    if values.dtype.kind not in "OUS" or size == 0:
        return out, np.zeros(size, bool)  # numbers, booleans: not date-times
    import pandas as pd
    series = pd.Series(values.astype(object), dtype=object)
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind == "string":
        first = series.first_valid_index()
        head = series[first].strip() if first is not None else ""
        # pandas reads the whole column in the format it infers from the first value; when that value is ISO
        # 8601 every other row is either read in that format or left NaT (and re-read alone below), so no
        # value other than an ISO date-time becomes a time. Otherwise each row is checked and read alone.
        fast = _ISO_DATE.match(head) is not None
        retry = series.notna().to_numpy(bool).copy()
        parsed = None
        if fast:
            try:  # the fast path: one format inferred for the column (C speed)
                parsed = pd.to_datetime(series, errors="coerce")
            except (ValueError, TypeError, OverflowError):  # mixed offsets: the careful path tells which rows
                parsed = None
        if parsed is not None:
            zone = getattr(parsed.dt, "tz", None)
            local = parsed.dt.tz_localize(None) if zone is not None else parsed
            out[:] = local.to_numpy(dtype="datetime64[ns]")
            done = ~np.isnat(out)
            if done.any():
                rows = np.flatnonzero(done)
                if zone is not None:
                    offsets.setdefault(_normal_offset(parsed.iloc[rows[0]].strftime("%z")), first_row + int(rows[0]))
                else:
                    _note_naive(state, first_row, rows)
            retry &= ~done
        if retry.any():  # rows the inferred format missed: each read on its own
            _parse_iso_rows(series.iloc[np.flatnonzero(retry)].str.strip(), np.flatnonzero(retry), out, state,
                            first_row)
    else:
        for row, value in enumerate(values.tolist()):
            if isinstance(value, str):
                _parse_iso_rows(pd.Series([value.strip()], dtype=object), np.array([row]), out, state, first_row)
            elif isinstance(value, (dt.datetime, np.datetime64)):
                stamp = pd.Timestamp(value)
                if stamp.tzinfo is None:
                    _note_naive(state, first_row, np.array([row]))
                else:
                    offsets.setdefault(_normal_offset(stamp.strftime("%z")), first_row + row)
                    stamp = stamp.tz_localize(None)
                out[row] = stamp.to_datetime64()
    _check_offsets(field, state)
    return out, ~np.isnat(out)


def _note_naive(state, first_row, rows):
    if rows.size and state.get("naive_row") is None:
        state["naive_row"] = first_row + int(rows[0])


def _parse_iso_rows(text, rows, out, state, first_row):
    """Parse ``text[rows]`` one by one (ISO 8601), noting each row's UTC offset or its absence."""
    import pandas as pd

    part = text.reset_index(drop=True)
    pieces = part.str.extract(rf"^(?P<clock>{_ISO_DATE.pattern}.*?)\s*(?P<offset>{_OFFSET})?$")
    dated = pieces["clock"].notna().to_numpy(bool)
    has_offset = pieces["offset"].notna().to_numpy(bool)
    _note_naive(state, first_row, rows[dated & ~has_offset])
    if (dated & has_offset).any():
        found = pieces["offset"][dated & has_offset]
        offsets = state.setdefault("offsets", {})
        first = found.reset_index().drop_duplicates("offset")  # the first row of each distinct offset
        for position, raw in zip(first["index"].tolist(), first["offset"].tolist()):
            offsets.setdefault(_normal_offset(raw), first_row + int(rows[position]))
    parsed = pd.to_datetime(pieces["clock"].where(pieces["clock"].notna(), None), errors="coerce", format="ISO8601")
    out[rows] = parsed.to_numpy(dtype="datetime64[ns]")


def _check_offsets(field, state):
    offsets, naive_row = state.get("offsets", {}), state.get("naive_row")
    if len(offsets) > 1:
        (a, row_a), (b, row_b) = sorted(offsets.items(), key=lambda item: item[1])[:2]
        raise InputError(field, f"mixes UTC offsets ({a} at row {row_a}, {b} at row {row_b}); the slot of the week "
                                "is read from the clock time, so give every time in one offset (or as local time "
                                "without offset)")
    if offsets and naive_row is not None:
        offset, row = next(iter(offsets.items()))
        raise InputError(field, f"mixes times with a UTC offset ({offset} at row {row}) and without one (row "
                                f"{naive_row}); give every time in one offset, or all as local time")


def _normal_offset(text: str) -> str:
    if text in ("Z", "z"):
        return "+00:00"
    digits = text[1:].replace(":", "")
    hours, minutes = digits[:2], digits[2:4] or "00"
    return f"{text[0]}{hours}:{minutes}"


def id_key(value):
    """An id as evcore compares ids: integral numbers and integer-looking text as ``int``, other
    text stripped; ``None`` for a missing cell or anything else (a float like 2.5, a boolean)."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if np.isfinite(value) and value == int(value) else None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else text
    return None


# --- zone centroids ---------------------------------------------------------------------------

class Centroids(NamedTuple):
    """Zones of a centroid file: ``zone_id`` (tuple of int or str) and WGS84 degrees."""

    zone_id: tuple
    latitude_deg: np.ndarray
    longitude_deg: np.ndarray


_LAT_NAMES = ("lat", "latitude", "lat_deg", "latitude_deg")
_LON_NAMES = ("lon", "lng", "longitude", "lon_deg", "longitude_deg")
_ID_NAMES = ("zone_id", "zone", "id")


def read_centroids(path) -> Centroids:
    """Read zone centroids from a CSV file with a header: ``lat``/``latitude`` and
    ``lon``/``longitude`` (degrees, WGS84) and optionally ``zone_id`` (default: the zones' row
    numbers 0, 1, ...). Every row must hold a zone; ids must be unique."""
    path = _existing(path, "centroid file")
    text = read_text(path, what="centroid file")
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise InputError(str(path), "is empty: a header line (zone_id,lat,lon) and one line per zone are expected")
    rows = list(csv.reader([line for _, line in lines]))
    header = [name.strip().lower() for name in rows[0]]

    def column(names, required):
        found = [header.index(n) for n in names if n in header]
        if not found:
            if required:
                raise InputError(where(path, lines[0][0]), f"needs a column named one of {list(names)}; header: "
                                                            f"{rows[0]}")
            return None
        return found[0]

    lat_col, lon_col, id_col = column(_LAT_NAMES, True), column(_LON_NAMES, True), column(_ID_NAMES, False)
    if len(rows) < 2:
        raise InputError(str(path), "has a header but no zone")
    lat, lon, ids, seen = [], [], [], {}
    for (number, _), row in zip(lines[1:], rows[1:]):
        if len(row) != len(header):
            raise InputError(where(path, number), f"{len(row)} fields, the header has {len(header)}")
        latitude = parse_float(row[lat_col].strip(), source=path, line=number, field="lat")
        longitude = parse_float(row[lon_col].strip(), source=path, line=number, field="lon")
        if abs(latitude) > 90 or abs(longitude) > 180:
            raise InputError(where(path, number), f"lat must lie in [-90, 90] and lon in [-180, 180] degrees, got "
                                                  f"({latitude}, {longitude})")
        zone = len(ids) if id_col is None else id_key(row[id_col])
        if zone is None:
            raise InputError(where(path, number), f"zone_id is empty or not an id: {row[id_col]!r}")
        if zone in seen:
            raise InputError(where(path, number), f"duplicate zone_id {zone!r} (also on line {seen[zone]})")
        seen[zone] = number
        lat.append(latitude)
        lon.append(longitude)
        ids.append(zone)
    return Centroids(tuple(ids), np.array(lat), np.array(lon))


def read_zone_values(path, value_column: str) -> dict:
    """Read one number per zone from a CSV file with a header ``zone_id,<value_column>``.

    Returns
    -------
    dict
        zone id (see :func:`id_key`) -> float; duplicate ids, empty ids, missing or non-finite
        values raise :class:`InputError` naming the line.
    """
    path = _existing(path, "zone file")
    text = read_text(path, what="zone file")
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if len(lines) < 2:
        raise InputError(str(path), f"needs a header line (zone_id,{value_column}) and one line per zone")
    rows = list(csv.reader([line for _, line in lines]))
    header = [name.strip().lower() for name in rows[0]]
    found = [header.index(n) for n in _ID_NAMES if n in header]
    if not found or value_column.lower() not in header:
        raise InputError(where(path, lines[0][0]), f"needs the columns zone_id and {value_column}; header: {rows[0]}")
    id_col, value_col = found[0], header.index(value_column.lower())
    values = {}
    lines_of = {}
    for (number, _), row in zip(lines[1:], rows[1:]):
        if len(row) != len(header):
            raise InputError(where(path, number), f"{len(row)} fields, the header has {len(header)}")
        zone = id_key(row[id_col])
        if zone is None:
            raise InputError(where(path, number), f"zone_id is empty or not an id: {row[id_col]!r}")
        if zone in values:
            raise InputError(where(path, number), f"duplicate zone_id {zone!r} (also on line {lines_of[zone]})")
        values[zone] = parse_float(row[value_col].strip(), source=path, line=number, field=value_column)
        lines_of[zone] = number
    return values


def write_centroids(centroids: Centroids, path) -> Path:
    """Write zone centroids as CSV ``zone_id,lat,lon`` (what :func:`read_centroids` reads)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["zone_id", "lat", "lon"])
    for zone, latitude, longitude in zip(centroids.zone_id, centroids.latitude_deg, centroids.longitude_deg):
        writer.writerow([zone, repr(float(latitude)), repr(float(longitude))])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue())
    return path

