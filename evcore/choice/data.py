"""Reader for the Trois-Rivières (Québec) charging-station data, as a :class:`ChoiceInstance`.

The folder holds (variant ``"Simple"`` or ``"Distance"``):

``ListNodes.json``
    ``{node id: population}`` for the 317 network nodes (same order and values as the classes).
``Stations_<variant>.json``
    A list of candidate sites: ``Location`` (node id), ``MaxOutlets``, ``isLevel3``,
    ``StartingOutlets`` (outlets standing before year 1; 0 everywhere in this data).
    Identical for both variants.
``UserClasses_<variant>.json``
    A list of user classes, one per node: ``Home``, ``Population``, ``StationChoiceSet``
    (indices of the sites the class considers), ``StationConstants`` (one per site),
    ``StationCoefficients`` (``{site: [utility of 0, 1, ..., MaxOutlets outlets]}``),
    ``OptOutChoiceSet`` and ``OptOutConstants`` (the no-public-station alternatives), and
    ``FactorOrder``/``FactorScale``/``FactorLoading`` (normal error components of the original
    simulation model; not used here). The two variants differ only in ``StationConstants``.
``GrowthFunction_Simple.txt``, ``GrowthFunction_Distance_FixedSolution.txt``
    JSON ``{"0": {Startpoint, Endpoint, Slope, Intercept}, ...}``: a piecewise-linear map
    ``g(p) = Slope * p + Intercept`` on ``[Startpoint, Endpoint)`` of the EV share ``p`` of the
    population from one year to the next. Iterated from ``p = 0`` it gives the year-by-year
    shares, which are exactly the segments' end points (the last segment is the identity).

Mapping to the model (the multinomial logit restated in the issue):

* node ``i`` = user class ``i``; demand ``d[i, t] = Population[i] * p_t`` with
  ``p_t = g(p_{t-1})``, ``p_0 = 0`` (the EV owners of node ``i`` in year ``t``);
* type ``k`` (index ``k - 1``) = a station with ``k`` outlets, ``k = 1 .. MaxOutlets``;
* ``v[i, j, k] = exp(StationConstants[j] + StationCoefficients[j][k])`` for ``j`` in the class's
  choice set, ``outside_weight`` (default 0: the site is not an alternative) elsewhere;
* ``v0[i] = sum of exp(OptOutConstants[c])`` over ``c`` in ``OptOutChoiceSet``;
* revenue ``r[k] = 1``: the data holds no price or revenue, so the objective is captured demand;
* cost ``f[j, k] = station_cost + outlet_cost * k``; ``existing`` from ``StartingOutlets``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..errors import InputError
from .model import ChoiceInstance

__all__ = ["read_trois_rivieres", "describe_trois_rivieres", "growth_shares"]

VARIANTS = {
    "Simple": "GrowthFunction_Simple.txt",
    "Distance": "GrowthFunction_Distance_FixedSolution.txt",
}
SEGMENT_KEYS = ("Startpoint", "Endpoint", "Slope", "Intercept")


def read_trois_rivieres(folder, variant: str = "Simple", *, years: int = 4,
                        budgets=(550.0, 300.0, 250.0, 500.0), station_cost: float = 100.0,
                        outlet_cost: float = 50.0, outside_weight: float = 0.0) -> ChoiceInstance:
    """The Trois-Rivières instance (317 nodes, 10 sites, 6 station types) as a ChoiceInstance.

    Parameters
    ----------
    folder : str or os.PathLike
        Folder holding the files listed in the module docstring.
    variant : {"Simple", "Distance"}
    years : int
        Periods; the growth function is iterated this many times from an EV share of 0.
    budgets : sequence of float, length ``years``
        Construction budget per year (currency).
    station_cost, outlet_cost : float
        ``cost[j, k-1] = station_cost + outlet_cost * k`` for a ``k``-outlet station.
    outside_weight : float
        Attraction given to sites outside a class's ``StationChoiceSet``. The exact model is 0
        (26 classes consider no site, 53 only one); a tiny positive value approximates it where
        zero attraction is not accepted.

    Raises
    ------
    InputError
        A file is missing or unreadable, or a field is missing or malformed (the error's field
        names the file and the key, its index the entry).
    """
    raw = _load(folder, variant, years)
    budgets = np.asarray(budgets, dtype=float)
    if budgets.shape != (years,):
        raise InputError("budgets", f"must hold one value per year ({years}), got shape {budgets.shape}")
    outside_weight = float(outside_weight)
    if not (math.isfinite(outside_weight) and outside_weight >= 0):
        raise InputError("outside_weight", f"must be finite and >= 0, got {outside_weight!r}")

    types = raw["types"]
    outlets = np.arange(1, types + 1)
    utility = raw["constants"][:, :, None] + raw["coefficients"][:, :, 1:]  # (nodes, sites, types)
    attraction = np.where(raw["choice"][:, :, None], np.exp(utility), outside_weight)
    demand = raw["population"][:, None] * raw["shares"][None, :]
    cost = np.tile(station_cost + outlet_cost * outlets, (raw["sites"], 1))
    existing = np.zeros((raw["sites"], types), dtype=bool)
    for j, count in enumerate(raw["starting"]):
        if count > 0:
            existing[j, count - 1] = True
    try:
        return ChoiceInstance(demand=demand, attraction=attraction, opt_out=raw["opt_out"],
                              revenue=np.ones(types), cost=cost, budget=budgets, existing=existing,
                              name=f"Trois-Rivieres {variant}")
    except InputError as error:
        if error.field == "attraction" and outside_weight == 0.0:
            restricted = int((~raw["choice"]).any(axis=1).sum())
            raise InputError(f"{raw['classes_file']}:StationChoiceSet",
                             f"{restricted} classes consider only some sites, which needs zero attraction "
                             f"elsewhere, and ChoiceInstance rejected it ({error}); pass a tiny "
                             f"outside_weight (e.g. 1e-12) to approximate") from None
        raise


def describe_trois_rivieres(folder, variant: str = "Simple", *, years: int = 4) -> dict:
    """Facts about the data, without building an instance (plain Python types)."""
    raw = _load(folder, variant, years)
    sizes = raw["choice"].sum(axis=1)
    return {
        "variant": variant,
        "nodes": int(raw["population"].size),
        "sites": raw["sites"],
        "types": raw["types"],
        "locations": raw["locations"],
        "population": float(raw["population"].sum()),
        "growth_shares": [float(p) for p in raw["shares"]],
        "choice_set_sizes": {int(s): int((sizes == s).sum()) for s in np.unique(sizes)},
        "empty_choice_sets": int((sizes == 0).sum()),
        "opt_out_weights": sorted({float(v) for v in raw["opt_out"]}),
        "starting_outlets": [int(s) for s in raw["starting"]],
    }


def growth_shares(path, years: int) -> np.ndarray:
    """EV shares ``p_1 .. p_years`` from a growth-function file, iterating ``p_t = g(p_{t-1})`` from 0."""
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
        shares.append(p)
    return np.array(shares)


def _read_json(path: Path):
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(path.name, f"cannot read {path}: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(path.name, f"{path} is not valid JSON: {exc}") from None


def _number(value, field: str, index) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(field, f"must be a finite number, got {value!r}", index)
    return float(value)


def _load(folder, variant: str, years: int) -> dict:
    if variant not in VARIANTS:
        raise InputError("variant", f"must be one of {list(VARIANTS)}, got {variant!r}")
    if not isinstance(years, int) or isinstance(years, bool) or years < 1:
        raise InputError("years", f"must be a positive integer, got {years!r}")
    folder = Path(folder)
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
            total += math.exp(_number(weights[str(c)], f"{classes_file}:OptOutConstants", i))
        opt_out[i] = total
    return {
        "classes_file": classes_file,
        "sites": sites,
        "types": types,
        "locations": locations,
        "starting": starting,
        "population": population,
        "constants": constants,
        "coefficients": coefficients,
        "choice": choice,
        "opt_out": opt_out,
        "shares": growth_shares(folder / VARIANTS[variant], years),
    }
