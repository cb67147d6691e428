"""What the compiled siting kernels read: named tuples built once per instance.

:func:`kernel_arrays` turns a :class:`~evcore.siting.model.SitingInstance` into a
:class:`SitingArrays` (the instance's data in the layouts the kernels want: nearest-first site
lists, a CSR of the points near each site, weighted costs) plus a :class:`DesignParameters`
(the station-design coefficients). It is built once per instance and kept on the instance
(``SitingInstance._kernel_cache``), together with the station-design memo that fills as
searches visit loads, so repeated solves of one instance (Pareto tables, repeated runs) start
warm; a changed instance (``with_changes``) is a new instance with a fresh cache.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import InputError
from .model import SitingInstance

__all__ = ["DesignParameters", "SitingArrays", "kernel_arrays", "PAPER_PENALTY", "cost_bound"]

#: The paper's penalty for a violated constraint (§3.3), in objective units.
PAPER_PENALTY = 5.0e7

#: Largest cost scale the kernels accept: far below overflow, so penalties and incremental
#: sums stay finite.
MAX_COST = 1.0e250


class DesignParameters(NamedTuple):
    """Coefficients of the station design (weighted annual costs in 10^4 yuan, times in h)."""

    investment_weight: float
    slow_share: float
    fast_share: float
    slow_pile_annual: float
    fast_pile_annual: float
    queue_cost_per_vehicle_hour: float
    operating_hours_per_day: float
    slow_charge_hours: float
    fast_charge_hours: float
    max_wait_hours: float
    min_piles: int
    max_piles: int
    optimise_split: bool
    slow_pile_kva: float
    fast_pile_kva: float
    max_station_kva: float


class SitingArrays(NamedTuple):
    """The instance as the kernels read it (``n`` points, ``m`` sites).

    Attributes
    ----------
    demand : float64 (n,)
        Vehicles per day per point.
    site_order : int64 (n, m)
        Sites of each point, nearest first (ties to the lower index); ineligible (beyond the
        anxiety range) after every eligible one.
    order_length : int64 (n,)
        Eligible sites per point.
    site_rank : int64 (n, m)
        Position of site ``j`` in ``site_order[i]``.
    near_start, near_points : int64 (m + 1,), int64
        CSR: the points that may use site ``j`` are ``near_points[near_start[j]:near_start[j+1]]``.
    assign_cost : float64 (n, m)
        Weighted annual travel cost of serving point ``i`` at site ``j``.
    site_fixed : float64 (m,)
        Weighted annualised land and facilities cost of opening ``j``.
    fixed_network : float
        Weighted cost added once when any station is open (``epsilon``).
    penalty : float
        Objective added per violated constraint.
    site_distance : float64 (m, m) or (1, 1)
        Site-to-site distances when spacing is on.
    service_range : float
        Spacing range ``r``; ``0`` switches spacing off.
    required_open : int
        Number of stations required, ``-1`` for free.
    total_demand : float
        Total vehicles per day (at least 1), scaling the penalties of overloads.
    design : DesignParameters
    memo : float64 (total demand + 1,) or (0,)
        Weighted design cost per integral load, NaN until computed (empty when demands are
        not whole vehicles or too many).
    """

    demand: np.ndarray
    site_order: np.ndarray
    order_length: np.ndarray
    site_rank: np.ndarray
    near_start: np.ndarray
    near_points: np.ndarray
    assign_cost: np.ndarray
    site_fixed: np.ndarray
    fixed_network: float
    penalty: float
    site_distance: np.ndarray
    service_range: float
    required_open: int
    total_demand: float
    design: DesignParameters
    memo: np.ndarray


def design_parameters(instance: SitingInstance) -> DesignParameters:
    p = instance.parameters
    slow_annual, fast_annual = p.annual_pile_cost
    slow_kva, fast_kva = p.pile_kva
    return DesignParameters(
        investment_weight=float(p.investment_weight), slow_share=float(p.slow_share),
        fast_share=float(p.fast_share), slow_pile_annual=float(slow_annual), fast_pile_annual=float(fast_annual),
        queue_cost_per_vehicle_hour=float(p.queue_cost_per_vehicle_hour),
        operating_hours_per_day=float(p.operating_hours_per_day), slow_charge_hours=float(p.slow_charge_hours),
        fast_charge_hours=float(p.fast_charge_hours), max_wait_hours=float(p.max_wait_hours),
        min_piles=int(p.min_piles), max_piles=int(p.max_piles), optimise_split=instance.split == "optimise",
        slow_pile_kva=float(slow_kva), fast_pile_kva=float(fast_kva), max_station_kva=float(p.max_station_kva))


def cost_bound(arrays: SitingArrays) -> float:
    """An upper bound on the weighted objective of any plan without violations.

    Every site open at its fixed cost, every point at its dearest eligible site, every station
    at ``max_piles`` of the dearer pile type, and every vehicle waiting the longest tolerated
    mean wait. A penalty above this makes every plan with a violation dearer than every plan
    without one.
    """
    d = arrays.design
    m = arrays.site_order.shape[1]
    ordered = np.take_along_axis(arrays.assign_cost, arrays.site_order, axis=1)
    eligible = np.arange(m)[None, :] < arrays.order_length[:, None]
    travel = float(np.where(eligible, ordered, 0.0).max(axis=1, initial=0.0).sum())
    piles = d.investment_weight * max(d.slow_pile_annual, d.fast_pile_annual) * d.max_piles
    queue = (1.0 - d.investment_weight) * d.queue_cost_per_vehicle_hour * d.max_wait_hours * float(arrays.demand.sum())
    return (float(arrays.site_fixed.sum()) + arrays.fixed_network + travel + piles * arrays.site_fixed.shape[0]
            + queue)


def _build(instance: SitingInstance) -> SitingArrays:
    p = instance.parameters
    w = p.investment_weight
    distance = instance.distance_km
    n, m = distance.shape
    eligible = distance <= instance.max_distance_km
    keyed = np.where(eligible, distance, np.inf)
    site_order = np.argsort(keyed, axis=1, kind="stable").astype(np.int64)
    order_length = eligible.sum(axis=1).astype(np.int64)
    site_rank = np.empty((n, m), np.int64)
    np.put_along_axis(site_rank, site_order, np.arange(m, dtype=np.int64)[None, :].repeat(n, 0), axis=1)
    near_counts = eligible.sum(axis=0)
    near_start = np.concatenate([[0], np.cumsum(near_counts)]).astype(np.int64)
    near_points = np.nonzero(eligible.T)[1].astype(np.int64)
    with np.errstate(over="ignore", invalid="ignore"):
        assign_cost = (1 - w) * p.user_cost_per_vehicle_km * instance.demand_per_day[:, None] * distance
        site_fixed = w * p.capital_recovery * (instance.land_cost + p.station_facilities)
    demand = np.array(instance.demand_per_day, dtype=np.float64)  # writable: one compiled signature
    total = float(demand.sum())
    integral = bool(np.all(demand == np.floor(demand))) and total < 5e7
    memo = np.full(int(total) + 1 if integral else 0, np.nan)
    spacing = instance.service_range_km is not None
    site_distance = instance.site_distance_km if spacing else np.zeros((1, 1))
    arrays = SitingArrays(
        demand=demand, site_order=site_order, order_length=order_length, site_rank=site_rank,
        near_start=near_start, near_points=near_points, assign_cost=np.ascontiguousarray(assign_cost),
        site_fixed=np.ascontiguousarray(site_fixed), fixed_network=float(w * p.fixed_operating_cost),
        penalty=PAPER_PENALTY, site_distance=np.ascontiguousarray(site_distance, dtype=np.float64),
        service_range=float(instance.service_range_km) if spacing else 0.0,
        required_open=-1 if instance.stations is None else int(instance.stations),
        total_demand=max(total, 1.0), design=design_parameters(instance), memo=memo)
    bound = cost_bound(arrays) if np.isfinite(assign_cost).all() and np.isfinite(site_fixed).all() else math.inf
    if not bound < MAX_COST:
        raise InputError("parameters", f"the instance's annual costs overflow (a bound on a plan's cost is "
                         f"{bound:.3g}, evcore accepts up to {MAX_COST:.0e}); check land_cost, distance_km, "
                         "demand_per_day and the cost coefficients")
    return arrays


def kernel_arrays(instance: SitingInstance, penalty: float | None = None) -> SitingArrays:
    """The kernels' arrays for ``instance``, built once and cached on the instance.

    Parameters
    ----------
    penalty : float, optional
        Objective per violated constraint. ``None``: the paper's 5e7, raised to twice
        :func:`cost_bound` when the instance's costs are larger, so that no plan with a
        violation can ever look cheaper than one without.
    """
    cache = instance._kernel_cache
    base = cache.get("arrays")
    if base is None:
        base = cache["arrays"] = _build(instance)
        cache["bound"] = cost_bound(base)
    value = max(PAPER_PENALTY, 2.0 * cache["bound"]) if penalty is None else float(penalty)
    return base if value == base.penalty else base._replace(penalty=value)
