"""Trois-Rivieres (Quebec) charging-station data (Lamontagne et al. 2023): reader of the folder's JSON files.

The folder holds (variant ``"Simple"`` or ``"Distance"``):

``ListNodes.json``
    ``{node id: population}`` for the 317 network nodes (same order and values as the classes).
``Stations_<variant>.json``
    A list of candidate sites: ``Location`` (node id), ``MaxOutlets``, ``isLevel3``,
    ``StartingOutlets`` (outlets standing before year 1; 0 everywhere in this data).
``UserClasses_<variant>.json``
    A list of user classes, one per node: ``Home``, ``Population``, ``StationChoiceSet``
    (indices of the sites the class considers), ``StationConstants`` (one per site),
    ``StationCoefficients`` (``{site: [utility of 0, 1, ..., MaxOutlets outlets]}``),
    ``OptOutChoiceSet`` and ``OptOutConstants`` (the no-public-station alternatives).
``GrowthFunction_Simple.txt``, ``GrowthFunction_Distance_FixedSolution.txt``
    JSON ``{"0": {Startpoint, Endpoint, Slope, Intercept}, ...}``: a piecewise-linear map
    ``g(p) = Slope * p + Intercept`` on ``[Startpoint, Endpoint)`` of the EV share ``p``.

:func:`read` returns the numbers as plain data (:class:`TroisRivieresData`);
:func:`evcore.choice.read_trois_rivieres` builds the station-location instance from them.
The data set is distributed with Lamontagne, Carvalho, Frejinger, Gendron, Anjos and Atallah,
"Optimising electric vehicle charging station placement using advanced discrete choice
models" (INFORMS Journal on Computing, 2023); evcore does not ship it.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .._validate import check_choice
from ..errors import InputError
from ._text import read_text, where

__all__ = ["TroisRivieresData", "read", "growth_shares", "VARIANTS"]

VARIANTS = {
    "Simple": "GrowthFunction_Simple.txt",
    "Distance": "GrowthFunction_Distance_FixedSolution.txt",
}
SEGMENT_KEYS = ("Startpoint", "Endpoint", "Slope", "Intercept")


class TroisRivieresData(NamedTuple):
    """The numbers of one variant.

    Attributes
    ----------
    classes_file : str
        Name of the user-class file (for messages).
    locations : list of str
        Node id of each candidate site.
    max_outlets : int
        Outlets a site can hold (the same at every site).
    starting : list of int
        Outlets standing at each site before year 1.
    population : numpy.ndarray, shape (classes,)
    constants : numpy.ndarray, shape (classes, sites)
        ``StationConstants``.
    coefficients : numpy.ndarray, shape (classes, sites, max_outlets + 1)
        ``StationCoefficients`` for 0 .. max_outlets outlets.
    choice : numpy.ndarray of bool, shape (classes, sites)
        The sites each class considers.
    opt_out : numpy.ndarray, shape (classes,)
        ``sum exp(OptOutConstants)`` over the class's opt-out options.
    shares : numpy.ndarray, shape (years,)
        EV share of the population in each year (the growth function iterated from 0).
    homes : list of str
        Home node id of each class.
    """

    classes_file: str
    locations: list
    max_outlets: int
    starting: list
    population: np.ndarray
    constants: np.ndarray
    coefficients: np.ndarray
    choice: np.ndarray
    opt_out: np.ndarray
    shares: np.ndarray
    homes: list


def growth_shares(path, years: int) -> np.ndarray:
    """EV shares ``p_1 .. p_years`` from a growth-function file, iterating ``p_t = g(p_{t-1})`` from 0."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputError("path", f"must be a path, got {type(path).__name__}")
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or not 1 <= years <= 1000:
        raise InputError("years", f"must be an integer in [1, 1000], got {years!r}")
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict) or not data:
        raise InputError(path.name, "must be a non-empty JSON object of segments {\"0\": {...}, ...}")
    segments = []
    for s in range(len(data)):
        segment = data.get(str(s))
        if not isinstance(segment, dict):
            raise InputError(f"{path.name}:segments", f"segment {s} is missing (keys must be 0..{len(data) - 1})")
        values = []
        for key in SEGMENT_KEYS:
            value = segment.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"{path.name}:{key}", f"must be a finite number, got {value!r}", s)
            values.append(float(value))
        segments.append(values)
    shares, p = [], 0.0
    for _ in range(years):
        for s, (start, end, slope, intercept) in enumerate(segments):
            if start <= p < end or (s == len(segments) - 1 and start <= p <= end):
                p = slope * p + intercept
                break
        else:
            raise InputError(f"{path.name}:Startpoint", f"no segment covers the share {p!r}")
        if not (math.isfinite(p) and p >= 0):
            raise InputError(f"{path.name}:Slope", f"the growth function gives the share {p!r}")
        shares.append(p)
    return np.array(shares)


def _read_json(path: Path):
    if not path.exists():
        raise InputError(path.name, f"cannot read {path}: no such file (the Trois-Rivieres data come with "
                                    "Lamontagne et al., INFORMS J. Computing 2023; evcore does not ship them)")
    text = read_text(path, what="JSON file")

    def no_constants(token):  # NaN, Infinity: json accepts them, the data must not hold them
        raise ValueError(f"{token} is not a finite number")

    try:
        return json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise InputError(where(path.name, exc.lineno), f"is not valid JSON: {exc.msg} (column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(path.name, f"is not valid data: {exc}") from None


def _number(value, field: str, index) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(field, f"must be a finite number, got {value!r}", index)
    return float(value)


def read(folder, variant: str = "Simple", *, years: int = 4) -> TroisRivieresData:
    """Read one variant from ``folder``; raises :class:`InputError` naming file, key and entry."""
    check_choice("variant", variant, VARIANTS)
    if not isinstance(years, (int, np.integer)) or isinstance(years, bool) or not 1 <= years <= 1000:
        raise InputError("years", f"must be an integer in [1, 1000], got {years!r}")
    if not isinstance(folder, (str, os.PathLike)):
        raise InputError("folder", f"must be a path, got {type(folder).__name__}")
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "is not a folder holding the Trois-Rivieres files (they come with "
                                      "Lamontagne et al., INFORMS J. Computing 2023; evcore does not ship them)")
    stations_file, classes_file = f"Stations_{variant}.json", f"UserClasses_{variant}.json"
    stations = _read_json(folder / stations_file)
    classes = _read_json(folder / classes_file)
    nodes = _read_json(folder / "ListNodes.json")

    if not isinstance(stations, list) or not stations:
        raise InputError(stations_file, "must be a non-empty JSON list of stations")
    locations, max_outlets, starting = [], [], []
    for j, station in enumerate(stations):
        if not isinstance(station, dict):
            raise InputError(stations_file, "every entry must be an object", j)
        for key in ("Location", "MaxOutlets", "StartingOutlets"):
            if key not in station:
                raise InputError(f"{stations_file}:{key}", "missing", j)
        most, start = station["MaxOutlets"], station["StartingOutlets"]
        if isinstance(most, bool) or not isinstance(most, int) or most < 1:
            raise InputError(f"{stations_file}:MaxOutlets", f"must be a positive integer, got {most!r}", j)
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start <= most:
            raise InputError(f"{stations_file}:StartingOutlets", f"must be an integer in [0, {most}], got {start!r}", j)
        locations.append(str(station["Location"]))
        max_outlets.append(most)
        starting.append(start)
    if len(set(max_outlets)) > 1:
        # ChoiceInstance has no per-site set of types; the data has 6 everywhere.
        raise InputError(f"{stations_file}:MaxOutlets", f"must be the same at every site, got {max_outlets}")
    sites, types = len(stations), max_outlets[0]

    if not isinstance(classes, list) or not classes:
        raise InputError(classes_file, "must be a non-empty JSON list of user classes")
    if not isinstance(nodes, dict):
        raise InputError("ListNodes.json", "must be a JSON object {node id: population}")
    if len(classes) != len(nodes):
        raise InputError(classes_file, f"holds {len(classes)} classes but ListNodes.json {len(nodes)} nodes")
    count = len(classes)
    population = np.empty(count)
    constants = np.empty((count, sites))
    coefficients = np.empty((count, sites, types + 1))
    choice = np.zeros((count, sites), dtype=bool)
    opt_out = np.empty(count)
    homes = []
    for i, user in enumerate(classes):
        if not isinstance(user, dict):
            raise InputError(classes_file, "every entry must be an object", i)
        for key in ("Home", "Population", "StationChoiceSet", "StationConstants", "StationCoefficients",
                    "OptOutChoiceSet", "OptOutConstants"):
            if key not in user:
                raise InputError(f"{classes_file}:{key}", "missing", i)
        population[i] = _number(user["Population"], f"{classes_file}:Population", i)
        if population[i] < 0:
            raise InputError(f"{classes_file}:Population", f"must be >= 0, got {population[i]!r}", i)
        home = str(user["Home"])
        if home not in nodes:
            raise InputError(f"{classes_file}:Home", f"node {home!r} is not in ListNodes.json", i)
        if not isinstance(user["StationChoiceSet"], list):
            raise InputError(f"{classes_file}:StationChoiceSet", "must be a list of site indices", i)
        for j in user["StationChoiceSet"]:
            if isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < sites:
                raise InputError(f"{classes_file}:StationChoiceSet", f"site {j!r} is not in [0, {sites})", i)
            choice[i, j] = True
        row = user["StationConstants"]
        if not isinstance(row, list) or len(row) != sites:
            raise InputError(f"{classes_file}:StationConstants", f"must be a list of {sites} numbers", i)
        constants[i] = [_number(c, f"{classes_file}:StationConstants", i) for c in row]
        table = user["StationCoefficients"]
        if not isinstance(table, dict):
            raise InputError(f"{classes_file}:StationCoefficients", "must be an object {site: [per outlet count]}", i)
        for j in range(sites):
            values = table.get(str(j))
            if not isinstance(values, list) or len(values) < types + 1:
                raise InputError(f"{classes_file}:StationCoefficients",
                                 f"site {j} needs a list of {types + 1} values (0..{types} outlets)", i)
            coefficients[i, j] = [_number(c, f"{classes_file}:StationCoefficients", i) for c in values[: types + 1]]
        options, weights = user["OptOutChoiceSet"], user["OptOutConstants"]
        if not isinstance(options, list) or not options or not isinstance(weights, dict):
            raise InputError(f"{classes_file}:OptOutChoiceSet", "needs a non-empty list and an OptOutConstants object", i)
        total = 0.0
        for c in options:
            if str(c) not in weights:
                raise InputError(f"{classes_file}:OptOutConstants", f"no constant for opt-out option {c!r}", i)
            constant = _number(weights[str(c)], f"{classes_file}:OptOutConstants", i)
            if constant > 700:
                raise InputError(f"{classes_file}:OptOutConstants", f"{constant!r} overflows exp()", i)
            total += math.exp(constant)
        opt_out[i] = total
        homes.append(home)
    return TroisRivieresData(classes_file=classes_file, locations=locations, max_outlets=types, starting=starting,
                             population=population, constants=constants, coefficients=coefficients, choice=choice,
                             opt_out=opt_out, shares=growth_shares(folder / VARIANTS[variant], years), homes=homes)
