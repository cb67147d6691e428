"""Reader of Grid-ECO candidate-station CSV files (seed 002; github.com/pantheebikram/Grid-ECO).

Columns (header names as in the published files, any order, extra columns ignored):

``StationName`` (id), ``Node`` (feeder bus), ``MinParkCapacity`` and ``MaxParkCapacity`` (chargers,
integers), ``CensusBlockDemand`` (chargers of the candidate's census block, repeated on every candidate of
the block), ``LandCost`` or ``InvestmentCost`` ($), ``Lat`` and ``Long`` (degrees, WGS84); optional
``Phase`` (``A``/``B``/``C`` or ``1``/``2``/``3``; empty = every phase of the bus), ``CensusBlockID`` and
``PoleID`` (kept as text).

Census-block ids written in spreadsheet scientific notation (``5.3033E+14``: the digits beyond the
fifth are lost) cannot tell blocks apart; :attr:`GridEcoCandidates.census_block_valid` is then ``False``.
"""

from __future__ import annotations

import csv
import io
import re
from typing import NamedTuple

import numpy as np

from ..errors import InputError
from ._text import parse_float, parse_int, read_text, where

__all__ = ["GridEcoCandidates", "read", "write", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS = ("StationName", "Node", "MinParkCapacity", "MaxParkCapacity", "CensusBlockDemand", "Lat", "Long")
_COST_COLUMNS = ("LandCost", "InvestmentCost")
_PHASES = {"a": "1", "b": "2", "c": "3", "1": "1", "2": "2", "3": "3"}
_DAMAGED_ID = re.compile(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$")


class GridEcoCandidates(NamedTuple):
    """Candidate stations of one Grid-ECO CSV file (K rows)."""

    station: tuple            # (K,) ids
    node: tuple               # (K,) bus names, lower case
    phase: tuple              # (K,) "" (every phase) or "1"/"2"/"3"
    min_chargers: np.ndarray  # (K,) int
    max_chargers: np.ndarray  # (K,) int
    census_demand: np.ndarray  # (K,) int, chargers
    census_block: tuple       # (K,) text as written
    census_block_valid: bool  # False when the ids are spreadsheet-damaged (or absent)
    land_cost: np.ndarray     # (K,) $
    land_cost_column: str     # "LandCost" or "InvestmentCost"
    latitude_deg: np.ndarray  # (K,)
    longitude_deg: np.ndarray  # (K,)
    pole: tuple               # (K,) text ("" when absent)


def read(path) -> GridEcoCandidates:
    """Read a Grid-ECO candidate CSV; every problem raises :class:`InputError` naming file, line and column."""
    text = read_text(path, what="candidate CSV file", origin=(
        "Grid-ECO candidate tables: the paper's Seattle data; the columns are listed in evcore.io.grid_eco_csv"))
    source = str(path)
    rows = list(csv.reader(io.StringIO(text)))
    # skip blank lines, keep their numbers for messages
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(cell.strip() for cell in r)]
    if not numbered:
        raise InputError(source, "is empty: expected a header line and candidate rows")
    header_line, header = numbered[0]
    header = [h.strip() for h in header]
    col = {}
    for j, h in enumerate(header):
        if h in col:
            raise InputError(where(source, header_line), f"column {h!r} appears twice")
        col[h] = j
    missing = [c for c in REQUIRED_COLUMNS if c not in col]
    if missing:
        raise InputError(where(source, header_line), f"missing column(s) {missing}; a Grid-ECO candidate file has "
                                                     f"{list(REQUIRED_COLUMNS)} and LandCost or InvestmentCost")
    cost_col = next((c for c in _COST_COLUMNS if c in col), None)
    if cost_col is None:
        raise InputError(where(source, header_line), "needs a LandCost or InvestmentCost column")
    body = numbered[1:]
    if not body:
        raise InputError(source, "has a header but no candidate rows")
    out = {k: [] for k in ("station", "node", "phase", "nmin", "nmax", "demand", "block", "cost", "lat", "lon", "pole")}
    for line, r in body:
        if len(r) != len(header):
            raise InputError(where(source, line), f"has {len(r)} fields, the header has {len(header)} (truncated "
                                                  "or extra commas?)")

        def cell(name):
            return r[col[name]].strip()

        station = cell("StationName")
        if not station:
            raise InputError(where(source, line), "StationName: empty")
        node = cell("Node").lower()
        if not node:
            raise InputError(where(source, line), "Node: empty")
        phase = cell("Phase").lower() if "Phase" in col else ""
        if phase and phase not in _PHASES:
            raise InputError(where(source, line), f"Phase: expected A, B, C, 1, 2 or 3, got {phase!r}")
        out["station"].append(station)
        out["node"].append(node)
        out["phase"].append(_PHASES.get(phase, ""))
        out["nmin"].append(parse_int(cell("MinParkCapacity"), source=source, line=line, field="MinParkCapacity"))
        out["nmax"].append(parse_int(cell("MaxParkCapacity"), source=source, line=line, field="MaxParkCapacity"))
        out["demand"].append(parse_int(cell("CensusBlockDemand"), source=source, line=line, field="CensusBlockDemand"))
        out["cost"].append(parse_float(cell(cost_col), source=source, line=line, field=cost_col))
        out["lat"].append(parse_float(cell("Lat"), source=source, line=line, field="Lat"))
        out["lon"].append(parse_float(cell("Long"), source=source, line=line, field="Long"))
        out["block"].append(cell("CensusBlockID") if "CensusBlockID" in col else "")
        out["pole"].append(cell("PoleID") if "PoleID" in col else "")
        for name, key in (("MinParkCapacity", "nmin"), ("MaxParkCapacity", "nmax"), ("CensusBlockDemand", "demand"),
                          (cost_col, "cost")):
            if out[key][-1] < 0:
                raise InputError(where(source, line), f"{name}: must be >= 0, got {out[key][-1]}")
        if not -90.0 <= out["lat"][-1] <= 90.0:
            raise InputError(where(source, line), f"Lat: must be within [-90, 90] degrees, got {out['lat'][-1]}")
        if not -180.0 <= out["lon"][-1] <= 180.0:
            raise InputError(where(source, line), f"Long: must be within [-180, 180] degrees, got {out['lon'][-1]}")
    seen = {}
    for (line, _), s in zip(body, out["station"]):
        if s in seen:
            raise InputError(where(source, line), f"StationName {s!r} repeats line {seen[s]}")
        seen[s] = line
    blocks = tuple(out["block"])
    valid = all(b and not _DAMAGED_ID.match(b) for b in blocks)
    return GridEcoCandidates(
        station=tuple(out["station"]), node=tuple(out["node"]), phase=tuple(out["phase"]),
        min_chargers=np.array(out["nmin"], dtype=np.int64), max_chargers=np.array(out["nmax"], dtype=np.int64),
        census_demand=np.array(out["demand"], dtype=np.int64), census_block=blocks, census_block_valid=valid,
        land_cost=np.array(out["cost"], dtype=float), land_cost_column=cost_col,
        latitude_deg=np.array(out["lat"], dtype=float), longitude_deg=np.array(out["lon"], dtype=float),
        pole=tuple(out["pole"]))


def write(data: GridEcoCandidates, path) -> None:
    """Write candidates in the Grid-ECO column layout (round-trips through :func:`read`)."""
    header = ["StationName", "PoleID", "CensusBlockID", "Node", "Phase", "MinParkCapacity", "CensusBlockDemand",
              "MaxParkCapacity", data.land_cost_column, "Lat", "Long"]
    letters = {"": "", "1": "A", "2": "B", "3": "C"}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for k in range(len(data.station)):
        w.writerow([data.station[k], data.pole[k], data.census_block[k], data.node[k], letters[data.phase[k]],
                    int(data.min_chargers[k]), int(data.census_demand[k]), int(data.max_chargers[k]),
                    repr(float(data.land_cost[k])), repr(float(data.latitude_deg[k])), repr(float(data.longitude_deg[k]))])
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(buf.getvalue())
