"""Joint charging-capacity investment and spatio-temporal EV assignment (seed 000, §3.3).

Locations ``i`` (zones), 15-minute slots ``t`` of a weekly cycle. Variables: capacity ``c_i >= 0``
(kW) and assignment flows ``z[t, i, j] >= 0`` (EVs sent from ``i`` to charge at ``j`` in slot
``t``), only for ``j != i`` with ``d_ij <= R``::

    minimise   sum_i c_i (pi0 + pi_i) + sum_t E_t sum_ij z[t, i, j] L_ij,   L_ij = cost_per_ev_km d_ij
    subject to sum_i c_i (pi0 + pi_i) <= B                                    (1)
               c_i <= Cmax_i                                                   (2)
               sum_j z[t, i, j] <= a[i, t] = alpha[i, t] F[i, t]              (3)
               beta (a[i, t] - sum_j z[t, i, j] + sum_j z[t - tau_ji, j, i]) <= c_i   (4)

Slots wrap around the weekly cycle: an EV sent from ``j`` in slot ``t`` with delay ``tau_ji``
arrives at ``i`` in slot ``(t + tau_ji) mod T`` (the week recurs ``E_t`` times, so the last
slots of the week feed the first ones of the next, identical, week).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._validate import (as_array, as_scalar, check_finite, check_integer, check_nonnegative,
                         check_positive, check_probability, check_shape, freeze_fields)
from ..errors import InputError

__all__ = ["JointInstance", "PairTable", "no_assignment_plan", "check_zone_ids", "check_zone_centroids"]


@dataclass(frozen=True)
class PairTable:
    """The assignment arcs of an instance (only ``j != i`` with ``d_ij <= R``).

    Attributes
    ----------
    origin, destination : numpy.ndarray of int64, shape (pairs,)
        Zone sending the EVs and zone charging them; sorted by origin, then destination.
    cost_per_ev : numpy.ndarray, shape (pairs,)
        ``L_ij = cost_per_ev_km * d_ij`` (currency per EV).
    delay_slots : numpy.ndarray of int64, shape (pairs,)
        ``tau_ij`` in slots.
    out_start : numpy.ndarray of int64, shape (zones + 1,)
        Pairs of origin ``i`` are ``out_start[i]:out_start[i + 1]``.
    in_order, in_start : numpy.ndarray of int64
        ``in_order[in_start[j]:in_start[j + 1]]`` are the pairs arriving at ``j``.
    """

    origin: np.ndarray
    destination: np.ndarray
    cost_per_ev: np.ndarray
    delay_slots: np.ndarray
    out_start: np.ndarray
    in_order: np.ndarray
    in_start: np.ndarray

    @property
    def count(self) -> int:
        return int(self.origin.shape[0])


@dataclass(frozen=True, eq=False)
class JointInstance:
    """A joint investment / assignment instance, validated on creation.

    Parameters
    ----------
    traffic_flow : array_like, shape (zones, slots)
        Traffic flow ``F[i, t]`` (vehicles per slot), >= 0, finite.
    charging_share : array_like, shape (zones, slots)
        Share ``alpha[i, t]`` of that flow needing a charge, in [0, 1].
    distance_km : array_like, shape (zones, zones)
        Assignment distance ``d_ij`` (km), >= 0; ``inf`` where no assignment is possible. The
        diagonal is ignored.
    location_cost_per_kw : array_like, shape (zones,)
        Location-dependent investment cost ``pi_i`` (currency per kW), >= 0.
    budget : float
        Investment budget ``B`` (currency), > 0.
    base_cost_per_kw : float
        ``pi0`` (currency per kW), >= 0.
    power_per_ev_kw : float
        ``beta``, capacity one charging EV needs (kW), > 0.
    cost_per_ev_km : float
        Assignment cost per EV and km (currency), >= 0.
    range_km : float
        Assignment range ``R`` (km), >= 0; ``R = 0`` is the no-assignment baseline.
    recurrences : float or array_like, shape (slots,)
        ``E_t``, how often slot ``t`` recurs over the investment horizon, >= 0.
    max_capacity_kw : array_like, shape (zones,), optional
        ``Cmax_i`` (kW), >= 0, ``inf`` allowed; default no cap.
    travel_delay_slots : array_like of int, shape (zones, zones), optional
        ``tau_ij`` (slots) for EVs sent from ``i`` to ``j``, >= 0; default 0.
    zone_ids : sequence of str or int, shape (zones,), optional
        Names of the zones (unique), used by every output (tables, JSON, GeoJSON); default the
        row numbers ``0 .. zones - 1``.
    zone_centroids : array_like, shape (zones, 2), optional
        ``(latitude, longitude)`` of each zone in degrees (WGS84), for maps and GeoJSON.

    Reference: seed 000, §3.3, constraints (1)-(7) and objective (8).
    """

    traffic_flow: np.ndarray
    charging_share: np.ndarray
    distance_km: np.ndarray
    location_cost_per_kw: np.ndarray
    budget: float
    base_cost_per_kw: float = 500.0
    power_per_ev_kw: float = 250.0
    cost_per_ev_km: float = 0.2
    range_km: float = 3.0
    recurrences: object = 520.0
    max_capacity_kw: np.ndarray | None = None
    travel_delay_slots: np.ndarray | None = None
    zone_ids: tuple | None = None
    zone_centroids: np.ndarray | None = None

    def __post_init__(self):
        flow = check_nonnegative("traffic_flow", as_array("traffic_flow", self.traffic_flow, ndim=2))
        zones, slots = flow.shape
        if zones < 1 or slots < 1:
            raise InputError("traffic_flow", f"needs at least one zone and one slot, got shape {flow.shape}")
        share = check_probability("charging_share", as_array("charging_share", self.charging_share,
                                                             shape=(zones, slots)))
        distance = check_nonnegative("distance_km", as_array("distance_km", self.distance_km,
                                                             shape=(zones, zones)), allow_inf=True)
        location_cost = check_nonnegative("location_cost_per_kw", as_array(
            "location_cost_per_kw", self.location_cost_per_kw, ndim=1, shape=(zones,)))
        budget = float(check_positive("budget", np.asarray(as_scalar("budget", self.budget)), allow_inf=True))
        base = float(check_nonnegative("base_cost_per_kw", np.asarray(as_scalar("base_cost_per_kw",
                                                                                   self.base_cost_per_kw))))
        beta = float(check_positive("power_per_ev_kw", np.asarray(as_scalar("power_per_ev_kw",
                                                                              self.power_per_ev_kw))))
        per_km = float(check_nonnegative("cost_per_ev_km", np.asarray(as_scalar("cost_per_ev_km",
                                                                                 self.cost_per_ev_km))))
        range_km = float(check_nonnegative("range_km", np.asarray(as_scalar("range_km", self.range_km)),
                                           allow_inf=True))
        rec = as_array("recurrences", self.recurrences)
        if rec.ndim == 0:
            rec = np.full(slots, float(rec))
        check_nonnegative("recurrences", check_shape("recurrences", rec, (slots,)))
        if self.max_capacity_kw is None:
            cap = np.full(zones, np.inf)
        else:
            cap = check_nonnegative("max_capacity_kw", as_array("max_capacity_kw", self.max_capacity_kw,
                                                                ndim=1, shape=(zones,)), allow_inf=True)
        if self.travel_delay_slots is None:
            delay = np.zeros((zones, zones), dtype=np.int64)
        else:
            delay = check_integer("travel_delay_slots", as_array("travel_delay_slots", self.travel_delay_slots,
                                                                 shape=(zones, zones)), minimum=0)
        if (location_cost + base <= 0).any():
            i = int(np.flatnonzero(location_cost + base <= 0)[0])
            raise InputError("location_cost_per_kw", "base + location cost per kW must be positive", i)
        zone_ids = check_zone_ids(self.zone_ids, zones)
        centroids = None if self.zone_centroids is None else check_zone_centroids(self.zone_centroids, zones)
        object.__setattr__(self, "zone_ids", zone_ids)
        freeze_fields(self, zone_centroids=None if centroids is None else np.array(centroids))
        freeze_fields(self, traffic_flow=np.array(flow), charging_share=np.array(share),
                      distance_km=np.array(distance), location_cost_per_kw=np.array(location_cost),
                      budget=budget, base_cost_per_kw=base, power_per_ev_kw=beta, cost_per_ev_km=per_km,
                      range_km=range_km, recurrences=np.array(rec, dtype=float),
                      max_capacity_kw=np.array(cap, dtype=float), travel_delay_slots=np.array(delay))

    # --- derived data (computed once) ---------------------------------------------------------
    @property
    def zones(self) -> int:
        return int(self.traffic_flow.shape[0])

    @property
    def slots(self) -> int:
        return int(self.traffic_flow.shape[1])

    @cached_property
    def demand_ev(self) -> np.ndarray:
        """``a[i, t] = alpha[i, t] F[i, t]``, EVs needing a charge, shape (zones, slots)."""
        out = self.charging_share * self.traffic_flow
        out.setflags(write=False)
        return out

    @cached_property
    def cost_per_kw(self) -> np.ndarray:
        """``pi0 + pi_i`` (currency per kW), shape (zones,)."""
        out = self.base_cost_per_kw + self.location_cost_per_kw
        out.setflags(write=False)
        return out

    @cached_property
    def pairs(self) -> PairTable:
        """The assignment arcs within range (see :class:`PairTable`)."""
        zones = self.zones
        within = self.distance_km <= self.range_km
        np.fill_diagonal(within, False)
        origin, destination = np.nonzero(within)  # row-major: sorted by origin, then destination
        origin = origin.astype(np.int64)
        destination = destination.astype(np.int64)
        cost = self.cost_per_ev_km * self.distance_km[origin, destination]
        delay = self.travel_delay_slots[origin, destination].astype(np.int64)
        out_start = np.zeros(zones + 1, dtype=np.int64)
        np.cumsum(np.bincount(origin, minlength=zones), out=out_start[1:])
        in_order = np.argsort(destination, kind="stable").astype(np.int64)
        in_start = np.zeros(zones + 1, dtype=np.int64)
        np.cumsum(np.bincount(destination, minlength=zones), out=in_start[1:])
        table = PairTable(origin, destination, cost, delay, out_start, in_order, in_start)
        for arr in (origin, destination, cost, delay, out_start, in_order, in_start):
            arr.setflags(write=False)
        return table

    def zone_index(self, zone_id) -> int:
        """Row of the zone named ``zone_id`` (raises :class:`InputError` for an unknown id)."""
        index = self._zone_rows.get(_id_key(zone_id))
        if index is None:
            raise InputError("zone_id", f"no zone named {zone_id!r}")
        return index

    @cached_property
    def _zone_rows(self) -> dict:
        return {_id_key(z): i for i, z in enumerate(self.zone_ids)}

    def to_geojson(self) -> dict:
        """The zones as GeoJSON points (``[longitude, latitude]``, WGS84 degrees) with ``zone_id``,
        ``location_cost_per_kw``, ``cost_per_kw`` and ``peak_demand_ev``; needs ``zone_centroids``."""
        from ..io.geojson import point_collection

        if self.zone_centroids is None:
            raise InputError("zone_centroids", "the instance has no zone coordinates (give zone_centroids=...)")
        return point_collection(self.zone_centroids[:, 0], self.zone_centroids[:, 1], {
            "zone_id": list(self.zone_ids), "location_cost_per_kw": self.location_cost_per_kw,
            "cost_per_kw": self.cost_per_kw, "peak_demand_ev": self.demand_ev.max(axis=1)})

    @property
    def has_delays(self) -> bool:
        return bool(self.pairs.count and self.pairs.delay_slots.any())

    def with_range(self, range_km: float) -> "JointInstance":
        """The same instance with another assignment range ``R`` (km)."""
        return self.replace(range_km=range_km)

    def replace(self, **changes) -> "JointInstance":
        """A copy with some parameters changed (validated again)."""
        fields = dict(traffic_flow=self.traffic_flow, charging_share=self.charging_share,
                      distance_km=self.distance_km, location_cost_per_kw=self.location_cost_per_kw,
                      budget=self.budget, base_cost_per_kw=self.base_cost_per_kw,
                      power_per_ev_kw=self.power_per_ev_kw, cost_per_ev_km=self.cost_per_ev_km,
                      range_km=self.range_km, recurrences=self.recurrences, max_capacity_kw=self.max_capacity_kw,
                      travel_delay_slots=self.travel_delay_slots, zone_ids=self.zone_ids,
                      zone_centroids=self.zone_centroids)
        fields.update(changes)
        return JointInstance(**fields)

    # --- evaluation of a plan -----------------------------------------------------------------
    def load_ev(self, flows: np.ndarray) -> np.ndarray:
        """EVs charged at each zone and slot, ``a - out + in`` (delays wrap), shape (zones, slots).

        Parameters
        ----------
        flows : numpy.ndarray, shape (slots, pairs)
            ``z[t, p]`` for the arcs of :attr:`pairs`.
        """
        pairs = self.pairs
        flows = check_finite("flows", as_array("flows", flows, ndim=2, shape=(self.slots, pairs.count)))
        load = np.array(self.demand_ev, dtype=float)
        out = np.zeros((self.zones, self.slots))
        np.add.at(out, pairs.origin, flows.T)
        inflow = np.zeros((self.zones, self.slots))
        if self.has_delays:
            arrive = (np.arange(self.slots)[None, :] + pairs.delay_slots[:, None]) % self.slots
            np.add.at(inflow, (pairs.destination[:, None], arrive), flows.T)
        else:  # arrivals in the same slot: no (pairs, slots) index arrays
            np.add.at(inflow, pairs.destination, flows.T)
        return load - out + inflow

    def evaluate(self, capacity_kw: np.ndarray, flows: np.ndarray) -> dict:
        """Costs and constraint violations of a plan.

        Parameters
        ----------
        capacity_kw : array_like, shape (zones,)
        flows : array_like, shape (slots, pairs)
            Finite numbers (negative values are reported as ``bounds`` violations).

        Returns
        -------
        dict
            ``investment_cost``, ``assignment_cost``, ``total_cost`` (currency) and the largest
            violations: ``capacity_kw`` (of (4), kW), ``supply_ev`` (of (3), EVs), ``budget`` (of
            (1), currency), ``bounds`` (negative values or above ``Cmax``).
        """
        pairs = self.pairs
        capacity_kw = check_finite("capacity_kw", as_array("capacity_kw", capacity_kw, ndim=1, shape=(self.zones,)))
        flows = check_finite("flows", as_array("flows", flows, ndim=2, shape=(self.slots, pairs.count)))
        investment = float(self.cost_per_kw @ capacity_kw)
        assignment = float(self.recurrences @ flows @ pairs.cost_per_ev) if pairs.count else 0.0
        load = self.load_ev(flows)
        out = np.zeros((self.zones, self.slots))
        np.add.at(out, pairs.origin, flows.T)
        capacity_violation = float(np.max(self.power_per_ev_kw * load - capacity_kw[:, None], initial=0.0))
        supply_violation = float(np.max(out - self.demand_ev, initial=0.0))
        bound_violation = max(float(np.max(-capacity_kw, initial=0.0)), -float(np.min(flows, initial=0.0)),
                              float(np.max(capacity_kw - self.max_capacity_kw, initial=0.0)))
        return dict(investment_cost=investment, assignment_cost=assignment, total_cost=investment + assignment,
                    capacity_kw=max(capacity_violation, 0.0), supply_ev=max(supply_violation, 0.0),
                    budget=max(investment - self.budget, 0.0), bounds=bound_violation)


def no_assignment_plan(instance) -> np.ndarray:
    """The R = 0 plan: every EV charges where it is, ``c_i = beta max_t a_ti`` (kW), shape (zones,).

    It serves every EV without any assignment, so it is feasible whenever it respects
    ``max_capacity_kw`` and the budget; its cost bounds the optimum from above.
    """
    return instance.power_per_ev_kw * instance.demand_ev.max(axis=1)


def _id_key(value):
    """Ids compare as given, except that numpy integers count as Python ints."""
    return int(value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value


def check_zone_ids(zone_ids, zones: int) -> tuple:
    """``zone_ids`` as a tuple of ``zones`` unique str or int ids (``None``: ``0 .. zones - 1``)."""
    if zone_ids is None:
        return tuple(range(zones))
    if isinstance(zone_ids, (str, bytes)) or not hasattr(zone_ids, "__len__"):
        raise InputError("zone_ids", f"must be a sequence of {zones} ids (str or int), got {type(zone_ids).__name__}")
    ids = list(np.asarray(zone_ids, dtype=object).reshape(-1)) if isinstance(zone_ids, np.ndarray) else list(zone_ids)
    if len(ids) != zones:
        raise InputError("zone_ids", f"expected {zones} ids (one per zone), got {len(ids)}")
    seen = {}
    out = []
    for k, value in enumerate(ids):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (str, numbers.Integral)):
            raise InputError("zone_ids", f"must be a str or an int, got {value!r}", k)
        if isinstance(value, str) and not value.strip():
            raise InputError("zone_ids", "must not be empty", k)
        key = _id_key(value)
        if key in seen:
            raise InputError("zone_ids", f"duplicate id {value!r} (also at {seen[key]})", k)
        seen[key] = k
        out.append(key)
    return tuple(out)


def check_zone_centroids(zone_centroids, zones: int | None = None) -> np.ndarray:
    """``(latitude, longitude)`` degrees, shape (zones, 2): finite, latitudes in [-90, 90],
    longitudes in [-180, 180]."""
    centroids = check_finite("zone_centroids", as_array("zone_centroids", zone_centroids, ndim=2,
                                                        shape=(zones, 2)))
    if centroids.shape[0] < 1:
        raise InputError("zone_centroids", "needs at least one zone (got none)")
    for column, name, limit in ((0, "latitude", 90.0), (1, "longitude", 180.0)):
        bad = np.abs(centroids[:, column]) > limit
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError("zone_centroids", f"{name} must lie in [-{limit:g}, {limit:g}] degrees, got "
                                               f"{float(centroids[i, column])!r}", (i, column))
    return centroids
