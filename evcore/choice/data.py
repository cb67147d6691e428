"""The Trois-Rivières (Québec) charging-station data as a :class:`ChoiceInstance`.

The files are read by :mod:`evcore.io.trois_rivieres`; this module maps them to the model.
The folder's files and fields are described in :mod:`evcore.io.trois_rivieres`. The two variants
(``"Simple"``, ``"Distance"``) differ only in ``StationConstants``.

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

import math

import numpy as np

from .._validate import as_array, as_scalar, check_nonnegative
from ..errors import InputError
from ..io import trois_rivieres as _io
from ..io.trois_rivieres import growth_shares
from .model import ChoiceInstance

__all__ = ["read_trois_rivieres", "describe_trois_rivieres", "growth_shares"]

VARIANTS = _io.VARIANTS


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
        (26 classes consider no site, 53 only one).

    Site ids are the data's ``Location`` node ids, type ids ``"1 outlet"`` .. ``"6 outlets"``.

    Raises
    ------
    InputError
        A file is missing or unreadable, or a field is missing or malformed (the error's field
        names the file and the key, its index the entry).
    """
    raw = _io.read(folder, variant, years=years)
    budgets = check_nonnegative("budgets", as_array("budgets", budgets, ndim=1))
    if budgets.shape != (years,):
        raise InputError("budgets", f"must hold one value per year ({years}), got shape {budgets.shape}")
    outside_weight = as_scalar("outside_weight", outside_weight)
    if not (math.isfinite(outside_weight) and outside_weight >= 0):
        raise InputError("outside_weight", f"must be finite and >= 0, got {outside_weight!r}")
    station_cost = as_scalar("station_cost", station_cost)
    outlet_cost = as_scalar("outlet_cost", outlet_cost)
    for name, value in (("station_cost", station_cost), ("outlet_cost", outlet_cost)):
        if not (math.isfinite(value) and value >= 0):
            raise InputError(name, f"must be finite and >= 0, got {value!r}")

    types = raw.max_outlets
    sites = len(raw.locations)
    outlets = np.arange(1, types + 1)
    utility = raw.constants[:, :, None] + raw.coefficients[:, :, 1:]  # (nodes, sites, types)
    if np.any(utility[np.broadcast_to(raw.choice[:, :, None], utility.shape)] > 700):
        raise InputError(f"{raw.classes_file}:StationCoefficients", "a utility overflows exp() (above 700)")
    attraction = np.where(raw.choice[:, :, None], np.exp(np.minimum(utility, 700.0)), outside_weight)
    demand = raw.population[:, None] * raw.shares[None, :]
    cost = np.tile(station_cost + outlet_cost * outlets, (sites, 1))
    existing = np.zeros((sites, types), dtype=bool)
    for j, count in enumerate(raw.starting):
        if count > 0:
            existing[j, count - 1] = True
    return ChoiceInstance(demand=demand, attraction=attraction, opt_out=raw.opt_out, revenue=np.ones(types), cost=cost,
                          budget=budgets, existing=existing, name=f"Trois-Rivieres {variant}",
                          site_ids=tuple(raw.locations),
                          type_ids=tuple(f"{k} outlet" + ("s" if k > 1 else "") for k in outlets))


def describe_trois_rivieres(folder, variant: str = "Simple", *, years: int = 4) -> dict:
    """Facts about the data, without building an instance (plain Python types)."""
    raw = _io.read(folder, variant, years=years)
    sizes = raw.choice.sum(axis=1)
    return {
        "variant": variant,
        "nodes": int(raw.population.size),
        "sites": len(raw.locations),
        "types": raw.max_outlets,
        "locations": raw.locations,
        "population": float(raw.population.sum()),
        "growth_shares": [float(p) for p in raw.shares],
        "choice_set_sizes": {int(s): int((sizes == s).sum()) for s in np.unique(sizes)},
        "empty_choice_sets": int((sizes == 0).sum()),
        "opt_out_weights": sorted({float(v) for v in raw.opt_out}),
        "starting_outlets": [int(s) for s in raw.starting],
    }
