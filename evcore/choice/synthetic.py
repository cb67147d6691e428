"""Synthetic cities of any size for the station-location model, and HM14-like benchmark data."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validate import as_array, as_scalar, check_flag, check_integer, check_seed
from ..errors import InputError
from .model import ChoiceInstance
from .scenarios import growth_tree

__all__ = ["SyntheticCity", "synthetic_city", "random_hm14"]

#: Largest users x sites x types a generator builds (the attraction array's entries).
MAX_ENTRIES = 20_000_000
#: Largest number of scenario-tree nodes a generator builds.
MAX_TREE_NODES = 100_000


@dataclass(frozen=True, eq=False)
class SyntheticCity:
    """A generated instance with the coordinates it came from (for maps).

    Attributes
    ----------
    instance : ChoiceInstance
    user_xy : numpy.ndarray, shape (users, 2)
        User-node coordinates (km).
    site_xy : numpy.ndarray, shape (sites, 2)
        Candidate-site coordinates (km).
    """

    instance: ChoiceInstance
    user_xy: np.ndarray
    site_xy: np.ndarray


def _count(field: str, value, low: int = 1, high: int = 10**6) -> int:
    value = as_scalar(field, value, int)
    if not low <= value <= high:
        raise InputError(field, f"must be an integer in [{low}, {high}], got {value!r}")
    return value


def _number(field: str, value, *, low: float = -math.inf, positive: bool = False) -> float:
    value = as_scalar(field, value)
    if not math.isfinite(value) or value < low or (positive and value <= 0):
        bound = "> 0" if positive else (f">= {low:g}" if math.isfinite(low) else "finite")
        raise InputError(field, f"must be a finite number {bound}, got {value!r}")
    return value


def synthetic_city(users: int = 60, sites: int = 10, types: int = 3, years: int = 4, *, branching=None, seed=0,
                   city_km: float = 10.0, distance_coefficient: float = -0.35, station_cost: float = 100.0,
                   outlet_cost: float = 50.0, budget: float | None = None, growth_mean: float = 0.435,
                   growth_sd: float = 0.096, subcentre: bool = False) -> SyntheticCity:
    """A city of user nodes and candidate sites with logit attraction and growing demand.

    Type k is a station with k + 1 outlets: ``v[i, j, k] = exp(a[j] + 0.4 log(k + 1) +
    b dist[i, j])`` with site constants ``a[j] ~ N(0, 0.3)`` and distance coefficient ``b``
    (per km); charging at home has ``v0[i] = exp(a0[i])``, ``a0 ~ N(0.5, 0.3)``; revenue per unit
    of demand grows mildly with outlets (``1 + 0.1 k``); a station costs
    ``station_cost + outlet_cost × outlets``; the yearly budget defaults to the price of about
    two mid-size stations. Demand starts at 20–100 per node (denser near the centre) and
    grows as in :func:`growth_tree` (``branching`` defaults to two children per year).
    Site ids are ``"L1"`` .. ``"Ln"``, type ids ``"1 outlet"``, ``"2 outlets"``, ...

    Parameters
    ----------
    users, sites, types, years : int
        At least 1 each.
    branching : sequence of int, optional
        Children per tree node at each later year (length ``years - 1``).
    seed : int or numpy.random.Generator
    subcentre : bool
        Put a "new sub-centre" in the north-east quarter that grows faster in one branch per node.
    """
    users = _count("users", users)
    sites = _count("sites", sites)
    types = _count("types", types, high=1000)
    years = _count("years", years, high=1000)
    if users * sites * types > MAX_ENTRIES:
        raise InputError("users", f"users x sites x types = {users * sites * types} exceeds {MAX_ENTRIES}")
    seed = check_seed(seed, allow_generator=True)
    city_km = _number("city_km", city_km, positive=True)
    distance_coefficient = _number("distance_coefficient", distance_coefficient)
    station_cost = _number("station_cost", station_cost, low=0.0)
    outlet_cost = _number("outlet_cost", outlet_cost, low=0.0)
    budget = None if budget is None else _number("budget", budget, low=0.0)
    growth_mean = _number("growth_mean", growth_mean)
    growth_sd = _number("growth_sd", growth_sd, low=0.0)
    subcentre = check_flag("subcentre", subcentre)
    if branching is None:
        branching = (2,) * (years - 1)
    else:
        branching = tuple(int(b) for b in check_integer("branching", as_array("branching", branching, dtype=None,
                                                                                 ndim=1), minimum=1))
        if len(branching) != years - 1:
            raise InputError("branching", f"needs one entry per later year ({years - 1}), got {len(branching)}")
    nodes, width = 1, 1
    for b in branching:
        width *= b
        nodes += width
        if nodes > MAX_TREE_NODES:
            raise InputError("branching", f"the scenario tree would have more than {MAX_TREE_NODES} nodes")
    rng = np.random.default_rng(seed)
    user_xy = rng.uniform(0, city_km, (users, 2))
    site_xy = rng.uniform(0, city_km, (sites, 2))
    distance = np.linalg.norm(user_xy[:, None, :] - site_xy[None, :, :], axis=2)
    site_constant = rng.normal(0.0, 0.3, sites)
    outlets = np.arange(1, types + 1)
    utility = site_constant[None, :, None] + 0.4 * np.log(outlets)[None, None, :] + \
        distance_coefficient * distance[:, :, None]
    if utility.max() > 700:
        raise InputError("distance_coefficient", "makes the utilities overflow exp() (above 700)")
    centre = np.linalg.norm(user_xy - city_km / 2, axis=1)
    base = 20.0 + 80.0 * np.exp(-centre / (city_km / 3)) * rng.uniform(0.6, 1.0, users)
    region = (user_xy[:, 0] > city_km / 2) & (user_xy[:, 1] > city_km / 2) if subcentre else None
    tree = growth_tree(base, branching, seed=rng, growth_mean=growth_mean, growth_sd=growth_sd, subcentre=region)
    expected = np.stack([tree.probability[tree.stage == t] @ tree.demand[tree.stage == t] for t in range(tree.stages)],
                        axis=1)
    cost = np.broadcast_to(station_cost + outlet_cost * outlets, (sites, types))
    yearly = 2.0 * (station_cost + outlet_cost * (types + 1) / 2) if budget is None else budget
    label = seed if isinstance(seed, int) else "generator"
    instance = ChoiceInstance(demand=expected, attraction=np.exp(utility), opt_out=np.exp(rng.normal(0.5, 0.3, users)),
                              revenue=1.0 + 0.1 * np.arange(types), cost=cost, budget=np.full(tree.stages, yearly),
                              tree=tree, name=f"synthetic city ({users} users, {sites} sites, seed {label})",
                              type_ids=tuple(f"{k} outlet" + ("s" if k > 1 else "") for k in outlets))
    return SyntheticCity(instance=instance, user_xy=user_xy, site_xy=site_xy)


def random_hm14(customers: int = 200, candidates: int = 25, competitors: int = 1, *, seed=0, square: float = 40.0):
    """HM14-like maximum-capture data (:class:`evcore.io.hm14.HM14Data`): points in a square.

    Customers, candidate locations and competitor facilities are uniform in a ``square`` x
    ``square`` area; each file value is minus the Euclidean distance (as in the HM14 files,
    whose values are minus a cost), customer weights are 1. Write it with
    :func:`evcore.io.hm14.write`, read it back with :func:`evcore.choice.read_hm14`, or build
    the instance directly with :func:`evcore.choice.hm14_instance`.
    """
    from ..io.hm14 import HM14Data

    customers = _count("customers", customers)
    candidates = _count("candidates", candidates)
    competitors = _count("competitors", competitors, low=1)
    if customers * (candidates + competitors) > MAX_ENTRIES:
        raise InputError("customers", f"customers x (candidates + competitors) exceeds {MAX_ENTRIES}")
    square = _number("square", square, positive=True)
    rng = np.random.default_rng(check_seed(seed, allow_generator=True))
    people = rng.uniform(0, square, (customers, 2))
    places = rng.uniform(0, square, (candidates, 2))
    rivals = rng.uniform(0, square, (competitors, 2))

    def minus_distance(points):
        return -np.round(np.linalg.norm(points[:, None, :] - people[None, :, :], axis=2), 4)

    return HM14Data(weights=np.ones(customers), competitor=minus_distance(rivals), candidate=minus_distance(places))
