"""Synthetic cities of any size for the station-location model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import ChoiceInstance
from .scenarios import growth_tree

__all__ = ["SyntheticCity", "synthetic_city"]


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

    Parameters
    ----------
    subcentre : bool
        Put a "new sub-centre" in the north-east quarter that grows faster in one branch per node.
    seed : int or numpy.random.Generator
    """
    rng = np.random.default_rng(seed)
    user_xy = rng.uniform(0, city_km, (users, 2))
    site_xy = rng.uniform(0, city_km, (sites, 2))
    distance = np.linalg.norm(user_xy[:, None, :] - site_xy[None, :, :], axis=2)
    site_constant = rng.normal(0.0, 0.3, sites)
    outlets = np.arange(1, types + 1)
    utility = site_constant[None, :, None] + 0.4 * np.log(outlets)[None, None, :] + \
        distance_coefficient * distance[:, :, None]
    centre = np.linalg.norm(user_xy - city_km / 2, axis=1)
    base = 20.0 + 80.0 * np.exp(-centre / (city_km / 3)) * rng.uniform(0.6, 1.0, users)
    branching = (2,) * (years - 1) if branching is None else tuple(branching)
    region = (user_xy[:, 0] > city_km / 2) & (user_xy[:, 1] > city_km / 2) if subcentre else None
    tree = growth_tree(base, branching, seed=rng, growth_mean=growth_mean, growth_sd=growth_sd, subcentre=region)
    expected = np.stack([tree.probability[tree.stage == t] @ tree.demand[tree.stage == t] for t in range(tree.stages)],
                        axis=1)
    cost = np.broadcast_to(station_cost + outlet_cost * outlets, (sites, types))
    yearly = 2.0 * (station_cost + outlet_cost * (types + 1) / 2) if budget is None else budget
    instance = ChoiceInstance(demand=expected, attraction=np.exp(utility), opt_out=np.exp(rng.normal(0.5, 0.3, users)),
                              revenue=1.0 + 0.1 * np.arange(types), cost=cost, budget=np.full(tree.stages, yearly),
                              tree=tree, name=f"synthetic city ({users} users, {sites} sites, seed {seed})")
    return SyntheticCity(instance=instance, user_xy=user_xy, site_xy=site_xy)
