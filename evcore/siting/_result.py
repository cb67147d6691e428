"""What a siting solve returns: :class:`SitingResult`, and :func:`plan_result` that prices any plan."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._compiled import ensure_compiled
from .._validate import check_binary
from ..errors import InputError
from ..results import FEASIBLE, INFEASIBLE, STATUSES, Result, make_trace
from . import _design, _evaluate
from ._arrays import kernel_arrays
from .model import COORDINATE_SYSTEM, DAYS_PER_YEAR, YUAN_PER_UNIT, SitingInstance

__all__ = ["SitingResult", "plan_result", "TRACE_COLUMNS", "COST_UNIT"]

#: Columns of a siting trace: iteration (temperature step, generation, ant round; plans for the
#: enumeration), seconds since the start, best objective so far.
TRACE_COLUMNS = ("iteration", "seconds", "objective")
#: Unit of every cost of evcore.siting.
COST_UNIT = "10^4 yuan per year"


@dataclass(frozen=True, eq=False)
class SitingResult(Result):
    """A siting plan, its piles and its costs (a :class:`evcore.results.Result`).

    Costs are annual, in 10^4 yuan (:data:`COST_UNIT`). Sites and points are named by their
    ids (``instance.site_names`` / ``point_names``) in every output (:meth:`to_dict`,
    :meth:`to_frame`, :meth:`to_geojson`); the per-site and per-point arrays below are
    positional (0-based, in the instance's order) and are not part of :meth:`to_dict`.

    Statuses: ``optimal`` (exact enumeration, complete: ``bound == objective``, ``gap == 0``),
    ``feasible`` (a heuristic ran its budget; nothing proven), ``time_limit`` /
    ``iteration_limit`` (stopped by the caller's limit), ``infeasible`` (the returned plan
    violates a constraint: ``violations`` says which). Whenever the plan violates a constraint
    ``objective`` is ``inf``; ``penalised_objective`` is what the search minimised.

    Attributes
    ----------
    objective : float
        ``w F1 + (1 - w) F2`` of the plan (``inf`` when it violates a constraint).
    total_cost : float
        ``F1 + F2`` (the paper's "total cost").
    investment_cost : float
        ``F1``: annualised land, facilities and piles, operating cost and ``epsilon``.
    user_cost : float
        ``F2``: energy and time to reach the station plus queueing time.
    penalised_objective : float
        The objective plus ``penalty`` terms for violated constraints (what the search minimised).
    total_capacity_kva : float
        Installed capacity of the plan (eq. 22 with its pile counts).
    cost_breakdown : dict
        ``land``, ``facilities``, ``piles``, ``operating``, ``fixed_operating``, ``energy``,
        ``travel_time``, ``queueing`` (10^4 yuan/yr).
    violations : tuple of str
        Each violated constraint, by name and id.
    evaluations : int
        Moves or plans evaluated.
    is_open : numpy.ndarray of int8, shape (sites,)
        1 where a station is built.
    slow_piles, fast_piles, capacity_kva, station_load, mean_wait_hours : numpy.ndarray, shape (sites,)
        Per site (0 where nothing is built): piles, kVA, vehicles/day served, mean wait (h).
    assigned_site : numpy.ndarray of int, shape (points,)
        Position of each point's station, -1 when none is in range.
    instance : SitingInstance
        The instance (for ids, coordinates and maps).
    """

    total_cost: float
    investment_cost: float
    user_cost: float
    penalised_objective: float
    total_capacity_kva: float
    cost_breakdown: dict
    violations: tuple
    evaluations: int
    is_open: np.ndarray = field(repr=False)
    slow_piles: np.ndarray = field(repr=False)
    fast_piles: np.ndarray = field(repr=False)
    capacity_kva: np.ndarray = field(repr=False)
    station_load: np.ndarray = field(repr=False)
    mean_wait_hours: np.ndarray = field(repr=False)
    assigned_site: np.ndarray = field(repr=False)
    instance: SitingInstance = field(repr=False)

    # -- ids and counts -----------------------------------------------------------------------
    @property
    def open_site_ids(self) -> tuple:
        """Ids of the built stations, in the instance's site order."""
        return tuple(self.instance.site_names[j] for j in np.flatnonzero(self.is_open))

    @property
    def open_sites(self) -> tuple:
        """0-based positions of the built stations (kept for old code; outputs use :attr:`open_site_ids`)."""
        return tuple(int(j) for j in np.flatnonzero(self.is_open))

    @property
    def stations(self) -> int:
        """Number of stations built."""
        return int(np.count_nonzero(self.is_open))

    @property
    def piles(self) -> np.ndarray:
        """Piles per site, shape (sites,)."""
        return self.slow_piles + self.fast_piles

    @property
    def assigned_site_ids(self) -> tuple:
        """Id of each point's station (``None`` when no station is in range)."""
        names = self.instance.site_names
        return tuple(names[j] if j >= 0 else None for j in self.assigned_site)

    @property
    def kva(self) -> np.ndarray:
        """Alias of :attr:`capacity_kva`."""
        return self.capacity_kva

    @property
    def kva_total(self) -> float:
        """Alias of :attr:`total_capacity_kva`."""
        return self.total_capacity_kva

    # -- the contract's views -------------------------------------------------------------------
    def _coordinates(self, xy, kind: str) -> dict:
        columns = {}
        if xy is not None:
            columns["x_km"] = xy[:, 0]
            columns["y_km"] = xy[:, 1]
            if self.instance.origin_lonlat is not None:
                lonlat = self.instance.lonlat(xy)
                columns["longitude_deg"] = lonlat[:, 0]
                columns["latitude_deg"] = lonlat[:, 1]
        return columns

    def _station_columns(self, only_open: bool = True) -> dict:
        instance = self.instance
        sites = np.flatnonzero(self.is_open) if only_open else np.arange(instance.num_sites)
        served = np.bincount(self.assigned_site[self.assigned_site >= 0], minlength=instance.num_sites)
        columns = {"site_id": [instance.site_names[j] for j in sites]}
        if not only_open:
            columns["open"] = self.is_open[sites].astype(bool)
        xy = None if instance.site_xy_km is None else instance.site_xy_km[sites]
        columns.update(self._coordinates(xy, "site"))
        columns.update({
            "piles": self.piles[sites], "fast_piles": self.fast_piles[sites], "slow_piles": self.slow_piles[sites],
            "capacity_kva": self.capacity_kva[sites], "load_vehicles_per_day": self.station_load[sites],
            "mean_wait_h": self.mean_wait_hours[sites], "points_served": served[sites],
        })
        return columns

    def _point_columns(self) -> dict:
        instance = self.instance
        n = instance.num_points
        served = self.assigned_site >= 0
        distance = np.where(served, instance.distance_km[np.arange(n), np.maximum(self.assigned_site, 0)], np.nan)
        columns = {"point_id": list(instance.point_names)}
        columns.update(self._coordinates(instance.point_xy_km, "point"))
        columns.update({"demand_vehicles_per_day": instance.demand_per_day,
                        "assigned_site_id": list(self.assigned_site_ids), "distance_km": distance})
        return columns

    def _frames(self) -> dict:
        return {
            "stations": self._station_columns,
            "points": self._point_columns,
            "sites": lambda: self._station_columns(only_open=False),
            "costs": lambda: {"component": list(self.cost_breakdown),
                              "cost_1e4_yuan_per_year": list(self.cost_breakdown.values())},
        }

    def _summary_extra(self) -> dict:
        return {"total_cost": self.total_cost, "investment_cost": self.investment_cost, "user_cost": self.user_cost,
                "stations": self.stations, "piles": int(self.piles.sum()), "fast_piles": int(self.fast_piles.sum()),
                "slow_piles": int(self.slow_piles.sum()), "total_capacity_kva": self.total_capacity_kva,
                "violations": len(self.violations), "cost_unit": COST_UNIT}

    def _dict_extra(self) -> dict:
        instance = self.instance
        stations = self._station_columns()
        rows = [dict(zip(stations, values)) for values in zip(*stations.values())]
        return {
            "instance": instance.name,
            "cost_unit": COST_UNIT,
            "open_site_ids": list(self.open_site_ids),
            "stations": rows,
            "assigned_site_id": dict(zip(instance.point_names, self.assigned_site_ids)),
            "coordinates": {"unit": "km", "system": COORDINATE_SYSTEM,
                            "origin_lonlat": instance.origin_lonlat,
                            "geographic": "WGS 84 longitude/latitude, degrees" if instance.origin_lonlat else None},
        }

    def to_geojson(self, *, include_points: bool = True, origin_lonlat=None) -> dict:
        """The candidate sites (and demand points) as a GeoJSON FeatureCollection (WGS 84 lon/lat).

        Sites carry ``site_id``, ``open``, pile counts, ``capacity_kva``, load and wait; points
        carry ``point_id``, ``demand_vehicles_per_day`` and ``assigned_site_id``.

        Parameters
        ----------
        include_points : bool
        origin_lonlat : (float, float), optional
            Longitude/latitude of the local origin when the instance has none.
        """
        from ..io.geojson import point_collection

        instance = self.instance
        if instance.site_xy_km is None:
            raise InputError("site_xy_km", "the instance has no coordinates to map")
        planar = ("x_km", "y_km", "longitude_deg", "latitude_deg")
        sites = {k: v for k, v in self._station_columns(only_open=False).items() if k not in planar}
        lonlat = instance.lonlat(instance.site_xy_km, origin_lonlat)
        collection = point_collection(lonlat[:, 1], lonlat[:, 0], {"kind": ["site"] * instance.num_sites, **sites})
        if include_points and instance.point_xy_km is not None:
            points = {k: v for k, v in self._point_columns().items() if k not in planar}
            point_lonlat = instance.lonlat(instance.point_xy_km, origin_lonlat)
            collection["features"] += point_collection(point_lonlat[:, 1], point_lonlat[:, 0],
                                                       {"kind": ["demand point"] * instance.num_points,
                                                        **points})["features"]
        collection["properties"] = {"instance": instance.name, "method": self.method, "status": self.status,
                                    "cost_unit": COST_UNIT}
        return collection


def plan_result(instance: SitingInstance, is_open, *, method: str = "given", status: str | None = None,
                seed=None, iterations: int = 0, evaluations: int = 1, wall_time: float = 0.0, trace=None,
                bound=None, arrays=None) -> SitingResult:
    """Price a plan (0/1 per site, booleans accepted) into a :class:`SitingResult` with every cost.

    ``status`` defaults to ``"feasible"`` (or ``"infeasible"`` when the plan violates a
    constraint); a status that claims feasibility is replaced by ``"infeasible"`` for such a
    plan, and a limit status keeps its name with ``objective = inf``.
    """
    if not isinstance(instance, SitingInstance):
        raise InputError("instance", f"must be a SitingInstance, got {type(instance).__name__}")
    is_open = check_binary("is_open", is_open, shape=(instance.num_sites,))
    if status is not None and status not in STATUSES:
        raise InputError("status", f"must be one of {list(STATUSES)}, got {status!r}")
    ensure_compiled(_evaluate)
    arrays = kernel_arrays(instance) if arrays is None else arrays
    p = instance.parameters
    n, m = instance.num_points, instance.num_sites
    state = _evaluate.new_state(arrays)
    _evaluate.evaluate_plan(arrays, is_open, state)
    assigned, load = state.assigned_site.copy(), state.station_load.copy()
    slow = np.zeros(m, np.int64)
    fast = np.zeros(m, np.int64)
    wait = np.zeros(m)
    violations = []
    scratch = np.empty(4)
    for j in np.flatnonzero(is_open):
        _design.station_design(float(load[j]), arrays.design, scratch)
        if math.isinf(scratch[0]):
            violations.append(f"wait limit: station at site {instance.site_names[j]} cannot keep the mean wait <= "
                              f"{p.max_wait_hours:g} h with at most {p.max_piles} piles and "
                              f"{p.max_station_kva:g} kVA (load {load[j]:g} vehicles/day)")
            continue
        slow[j], fast[j], wait[j] = int(scratch[1]), int(scratch[2]), scratch[3]
    for i in np.flatnonzero(assigned < 0):
        violations.append(f"anxiety range: demand point {instance.point_names[i]} has no open station within "
                          f"{instance.max_distance_km:g} km")
    opened = int(is_open.sum())
    if instance.stations is not None and opened != instance.stations:
        violations.append(f"station count: {opened} stations open, {instance.stations} required")
    if instance.service_range_km is not None:
        violations.extend(_spacing_messages(instance, is_open))
    served = assigned >= 0
    distance = np.where(served, instance.distance_km[np.arange(n), np.maximum(assigned, 0)], 0.0)
    vehicle_km = float((instance.demand_per_day * distance).sum())
    per_km_energy = DAYS_PER_YEAR * p.congestion_factor * p.energy_per_km * p.energy_price / YUAN_PER_UNIT
    per_km_time = DAYS_PER_YEAR * p.congestion_factor * p.value_of_time / p.speed_kmh / YUAN_PER_UNIT
    crf = p.capital_recovery
    slow_op, fast_op = p.operating_cost_per_pile
    built = is_open.astype(bool)
    breakdown = {
        "land": float(crf * instance.land_cost[built].sum()),
        "facilities": float(crf * p.station_facilities * opened),
        "piles": float(crf * ((p.slow_pile_price + p.infrastructure_per_pile) * slow.sum()
                              + (p.fast_pile_price + p.infrastructure_per_pile) * fast.sum())),
        "operating": float(slow_op * slow.sum() + fast_op * fast.sum()),
        "fixed_operating": float(p.fixed_operating_cost if opened else 0.0),
        "energy": per_km_energy * vehicle_km,
        "travel_time": per_km_time * vehicle_km,
        "queueing": float(p.queue_cost_per_vehicle_hour * (wait * load).sum()),
    }
    investment = sum(breakdown[k] for k in ("land", "facilities", "piles", "operating", "fixed_operating"))
    user = breakdown["energy"] + breakdown["travel_time"] + breakdown["queueing"]
    kva = (slow * p.slow_pile_kw + fast * p.fast_pile_kw) * p.kva_per_kw
    penalised = float(state.totals[_evaluate.OBJECTIVE])
    if violations:
        objective = math.inf
        if status is None or status in (FEASIBLE, "optimal", "gap_reached"):
            status = INFEASIBLE
        bound = None
    else:
        objective = penalised
        status = FEASIBLE if status is None else status
    gap = None
    if bound is not None:
        gap = 0.0 if objective == bound else abs(objective - bound) / max(abs(objective), 1e-12)
    if trace is None:
        trace = make_trace(TRACE_COLUMNS)
    return SitingResult(
        status=status, objective=objective, bound=bound, gap=gap, iterations=int(iterations),
        wall_time=float(wall_time), trace=trace, seed=seed, method=method,
        total_cost=investment + user, investment_cost=investment, user_cost=user, penalised_objective=penalised,
        total_capacity_kva=float(kva.sum()), cost_breakdown=breakdown, violations=tuple(violations),
        evaluations=int(evaluations), is_open=is_open, slow_piles=slow, fast_piles=fast, capacity_kva=kva,
        station_load=load, mean_wait_hours=wait, assigned_site=assigned, instance=instance)


def _spacing_messages(instance: SitingInstance, is_open) -> list[str]:
    r = instance.service_range_km
    d = instance.site_distance_km
    names = instance.site_names
    opened = np.flatnonzero(is_open)
    messages = []
    for a_pos, a in enumerate(opened):
        for b in opened[a_pos + 1:]:
            if d[a, b] < r:
                messages.append(f"spacing: stations {names[a]} and {names[b]} are {d[a, b]:.2f} km apart "
                                f"(< service range {r:g} km)")
    if len(opened) > 1:
        for a in opened:
            nearest = min(d[a, b] for b in opened if b != a)
            if nearest > 2 * r:
                messages.append(f"spacing: station {names[a]}'s nearest open neighbour is {nearest:.2f} km away "
                                f"(> 2 x service range {r:g} km)")
    return messages
