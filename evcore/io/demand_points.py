"""Demand-point tables: ``point,daily_charging_demand_vehicles`` CSV files (evcore.siting).

The format of the Changchun table of seed 004 (its Table 9) and of any user table of the same
shape: a header line ``point,daily_charging_demand_vehicles``, then one line per demand point
with its id (any text without commas; ids must be unique) and its daily charging demand in
vehicles (a finite number ``>= 0``). Blank lines are skipped; nothing else is.

:func:`read` returns plain data; :func:`evcore.siting.changchun_case` builds the instance.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InputError
from ._text import parse_float, read_text, where

__all__ = ["DemandPoints", "read", "write", "HEADER"]

#: The header line the reader expects.
HEADER = ("point", "daily_charging_demand_vehicles")


class DemandPoints(NamedTuple):
    """A demand table: ``ids`` (tuple of str, one per point) and ``demand_per_day`` (vehicles)."""

    ids: tuple
    demand_per_day: np.ndarray


def read(path) -> DemandPoints:
    """Read a demand-point CSV (see the module docstring); errors name the file and line."""
    text = read_text(path, what="demand table (CSV)")
    source = str(path)
    rows = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not rows:
        raise InputError(source, f"is empty; expected the header {','.join(HEADER)}")
    number, header = rows[0]
    names = tuple(part.strip() for part in header.split(","))
    if names != HEADER:
        raise InputError(where(source, number), f"expected the header {','.join(HEADER)}, got {header.strip()!r}")
    ids, demand = [], []
    seen = set()
    for number, line in rows[1:]:
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 2:
            raise InputError(where(source, number), f"expected 2 comma-separated fields, got {len(parts)}")
        point, value = parts
        if not point:
            raise InputError(where(source, number), "point: empty id")
        if point in seen:
            raise InputError(where(source, number), f"point: id {point!r} appears twice")
        seen.add(point)
        number_value = parse_float(value, source=source, line=number, field="daily_charging_demand_vehicles")
        if number_value < 0:
            raise InputError(where(source, number), f"daily_charging_demand_vehicles: must be >= 0, got {value!r}")
        ids.append(point)
        demand.append(number_value)
    if not ids:
        raise InputError(source, "has a header but no demand point")
    return DemandPoints(tuple(ids), np.array(demand, dtype=float))


def write(points: DemandPoints, path) -> None:
    """Write ``points`` in the format :func:`read` reads (round-trips exactly)."""
    from pathlib import Path

    for point in points.ids:
        if "," in str(point) or "\n" in str(point) or not str(point).strip():
            raise InputError("ids", f"cannot be written to CSV: {str(point)!r}")
    lines = [",".join(HEADER)] + [f"{i},{float(d)!r}" for i, d in zip(points.ids, points.demand_per_day)]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")
