"""The answer of every joint solver: :class:`JointResult` (extends :class:`evcore.results.Result`)
and :func:`make_result`, which every method calls to evaluate its plan on the instance and
state what it proves."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..results import FEASIBLE, GAP_REACHED, INFEASIBLE, OPTIMAL, STATUSES, Result, make_trace

__all__ = ["JointResult", "make_result", "relative_gap", "VIOLATION_TOLERANCE"]

logger = logging.getLogger(__name__)

#: Largest violation a returned plan may have and still count as feasible, relative to the
#: instance's scale (peak charging load in kW for (4), peak demand in EVs for (3), the budget for
#: (1)); HiGHS's own feasibility tolerance is 1e-7.
VIOLATION_TOLERANCE = 1e-6

# Statuses the methods used before the one vocabulary, and HiGHS's limit outcomes, in its terms.
# A residual threshold ("converged") proves nothing about optimality: the plan is feasible.
_OLD_STATUSES = {
    "converged": FEASIBLE,
    "infeasible_plan": INFEASIBLE,
    "no_feasible": INFEASIBLE,
    "completed": FEASIBLE,
    "complete": FEASIBLE,
    "solution_limit": FEASIBLE,
    "interrupted": FEASIBLE,
    "objective_bound": FEASIBLE,
    "objective_target": FEASIBLE,
}

# Trace keys of the iterative methods -> the contract's column names (units in the name).
_TRACE_NAMES = {"upper": "objective", "lower": "bound", "violation": "relative_violation",
                "primal_error": "primal_error_kw", "dual_error": "dual_error_kw"}


def relative_gap(upper: float, lower: float) -> float:
    """``(upper - lower) / |upper|`` (>= 0); ``inf`` when either side is not finite."""
    if not np.isfinite(upper) or not np.isfinite(lower):
        return float("inf")
    return max(upper - lower, 0.0) / max(abs(upper), 1e-12)


@dataclass(frozen=True, eq=False, kw_only=True)
class JointResult(Result):
    """A capacity plan with its assignment flows, costs and what the method proves about it.

    The contract's fields (see :class:`evcore.results.Result`): ``objective`` is the plan's
    total cost (8) in currency, ``bound`` a proven lower bound on the optimum (``None`` when the
    method proves none), ``gap`` their relative gap; ``status`` is one of
    :data:`evcore.results.STATUSES` (``"optimal"`` for HiGHS within its tolerances,
    ``"gap_reached"`` when the certified gap met the target, ``"feasible"`` for the paper's ADMM
    whose residual test proves nothing, ``"time_limit"``/``"iteration_limit"`` with the best plan
    so far, ``"infeasible"`` when the returned plan breaks a constraint, which ``violation``
    names). ``trace`` has one row per logged iteration, columns among ``iteration``,
    ``seconds``, ``objective``, ``bound``, ``gap``, ``relative_violation``, ``primal_error_kw``,
    ``dual_error_kw``.

    Attributes
    ----------
    capacity_kw : numpy.ndarray, shape (zones,)
        Capacities ``c_i`` (kW), in the order of ``zone_ids``.
    flows : numpy.ndarray, shape (slots, pairs)
        ``z[t, p]`` (EVs) on the arcs of ``instance.pairs``.
    investment_cost, assignment_cost : float
        The two parts of the objective (currency).
    utilisation : numpy.ndarray, shape (zones, slots)
        Charging load / capacity (0 where the capacity is 0).
    violation : dict
        Largest violations of the plan: ``capacity_kw`` (4), ``supply_ev`` (3), ``budget`` (1),
        ``bounds``.
    shadow_price_per_kw : numpy.ndarray, shape (zones, slots), or None
        Price of each capacity row (4) (currency per kW): cost of one more kW of demand at (i, t).
    info : dict
        Method-specific extras (HiGHS status text, step sizes, ...).
    zone_ids : tuple
        The instance's zone ids (outputs name zones by them).
    instance : JointInstance
        The instance solved (not part of :meth:`to_dict`; the tables use its pairs and costs).
    """

    sense = "min"

    capacity_kw: np.ndarray
    flows: np.ndarray = field(repr=False)
    investment_cost: float
    assignment_cost: float
    utilisation: np.ndarray = field(repr=False)
    violation: dict
    shadow_price_per_kw: np.ndarray | None = field(default=None, repr=False)
    info: dict = field(default_factory=dict, repr=False)
    zone_ids: tuple = ()
    instance: object = field(default=None, repr=False)

    # -- the names used before the contract (read-only aliases) --------------------------------
    @property
    def total_cost(self) -> float:
        """Alias of ``objective``: the plan's total cost (currency)."""
        return self.objective

    @property
    def lower_bound(self) -> float:
        """Alias of ``bound``, ``-inf`` when the method proves none."""
        return -math.inf if self.bound is None else self.bound

    # -- contract hooks ------------------------------------------------------------------------
    def _summary_extra(self) -> dict:
        return dict(total_cost=self.objective, investment_cost=self.investment_cost,
                    assignment_cost=self.assignment_cost, lower_bound=self.lower_bound,
                    capacity_total_kw=float(np.sum(self.capacity_kw)), max_violation=dict(self.violation),
                    seconds=float(self.wall_time))

    def _dict_extra(self) -> dict:
        out = dict(total_cost=self.objective, lower_bound=self.bound,
                   capacity_total_kw=float(np.sum(self.capacity_kw)),
                   info={k: v for k, v in self.info.items() if _small(v)})
        out["utilisation"] = self.utilisation
        out["shadow_price_per_kw"] = self.shadow_price_per_kw
        out["flows"] = self._flow_columns()
        return out

    def _frames(self) -> dict:
        return {"zones": self._zone_columns, "zone_slots": self._zone_slot_columns, "flows": self._flow_columns}

    # -- tables --------------------------------------------------------------------------------
    def _zone_columns(self) -> dict:
        load_kw = self._load_kw()
        columns = {"zone_id": list(self.zone_ids), "capacity_kw": self.capacity_kw,
                   "peak_load_kw": load_kw.max(axis=1) if load_kw.size else np.zeros(len(self.zone_ids)),
                   "peak_utilisation": self.utilisation.max(axis=1) if self.utilisation.size
                   else np.zeros(len(self.zone_ids))}
        instance = self.instance
        columns["cost_per_kw"] = np.asarray(instance.cost_per_kw)
        columns["investment_cost"] = np.asarray(instance.cost_per_kw) * self.capacity_kw
        if instance.zone_centroids is not None:
            columns["latitude_deg"] = instance.zone_centroids[:, 0]
            columns["longitude_deg"] = instance.zone_centroids[:, 1]
        return columns

    def _zone_slot_columns(self) -> dict:
        zones, slots = self.utilisation.shape
        columns = {"zone_id": np.repeat(np.asarray(self.zone_ids, dtype=object), slots),
                   "slot": np.tile(np.arange(slots), zones),
                   "load_kw": self._load_kw().ravel(), "utilisation": self.utilisation.ravel()}
        if self.shadow_price_per_kw is not None:
            columns["shadow_price_per_kw"] = np.asarray(self.shadow_price_per_kw).ravel()
        return columns

    def _flow_columns(self) -> dict:
        """Non-zero flows by (slot, origin zone, destination zone), EVs per slot."""
        ids = np.asarray(self.zone_ids, dtype=object)
        flows = np.asarray(self.flows)
        slot, pair = np.nonzero(flows > 0)
        pairs = self.instance.pairs
        origin, destination = pairs.origin[pair], pairs.destination[pair]
        return {"slot": slot, "origin_zone_id": ids[origin], "destination_zone_id": ids[destination],
                "flow_ev": flows[slot, pair], "distance_km": self.instance.distance_km[origin, destination]}

    def _load_kw(self) -> np.ndarray:
        return self.instance.power_per_ev_kw * self.instance.load_ev(self.flows)

    # -- maps ----------------------------------------------------------------------------------
    def to_geojson(self) -> dict:
        """The zones as GeoJSON points (lat/lon degrees) with ``zone_id``, ``capacity_kw``,
        ``peak_load_kw``, ``peak_utilisation`` and ``investment_cost``; needs ``zone_centroids``
        on the instance."""
        from ..io.geojson import point_collection

        if self.instance.zone_centroids is None:
            raise InputError("zone_centroids", "the instance has no zone coordinates (give JointInstance("
                                               "zone_centroids=...) to export GeoJSON)")
        columns = self._zone_columns()
        latitude, longitude = columns.pop("latitude_deg"), columns.pop("longitude_deg")
        return point_collection(latitude, longitude, columns)

    def summary_text(self) -> str:
        gap = "none" if self.gap is None else f"{self.gap:.2e}"
        return (f"{self.method}: {self.status}, total cost {self.objective:.6g} (investment {self.investment_cost:.6g}"
                f", assignment {self.assignment_cost:.6g}), certified gap {gap}, {self.iterations} iterations, "
                f"{self.wall_time:.3f} s")


def _small(value) -> bool:
    """Info entries worth putting in :meth:`JointResult.to_dict` (scalars, text, short lists)."""
    if isinstance(value, np.ndarray):
        return value.size <= 64
    if isinstance(value, (list, tuple)):
        return len(value) <= 64 and all(_small(v) for v in value)
    if isinstance(value, dict):
        return all(_small(v) for v in value.values())
    return isinstance(value, (str, int, float, bool, np.generic)) or value is None


def _as_trace(trace, info: dict) -> np.ndarray:
    """A structured trace array from a list of per-iteration dicts (or a structured array)."""
    if trace is None:
        return make_trace(("iteration", "seconds"))
    if isinstance(trace, np.ndarray) and trace.dtype.names:
        return trace
    rows = list(trace)
    keys = []
    for row in rows:
        for key in row:
            if key not in keys:
                keys.append(key)
    if not keys:
        return make_trace(("iteration", "seconds"))
    categories = {}
    values = []
    for row in rows:
        line = []
        for key in keys:
            value = row.get(key)
            if isinstance(value, str):  # a label (e.g. which candidate a restart took): its code
                labels = categories.setdefault(key, [])
                if value not in labels:
                    labels.append(value)
                value = labels.index(value)
            line.append(math.nan if value is None else float(value))
        values.append(tuple(line))
    if categories:
        info.setdefault("trace_categories", {}).update({_TRACE_NAMES.get(k, k): v for k, v in categories.items()})
    return make_trace([_TRACE_NAMES.get(k, k) for k in keys], values)


def _scale(instance) -> tuple:
    peak_ev = float(instance.demand_ev.max(initial=0.0))
    return max(instance.power_per_ev_kw * peak_ev, 1.0), max(peak_ev, 1.0)


def plan_violations(instance, check: dict) -> dict:
    """Each violation of :meth:`JointInstance.evaluate` relative to the instance's scale."""
    load_scale_kw, demand_scale_ev = _scale(instance)
    budget = instance.budget if math.isfinite(instance.budget) else max(check["investment_cost"], 1.0)
    return dict(capacity_kw=check["capacity_kw"] / load_scale_kw, supply_ev=check["supply_ev"] / demand_scale_ev,
                budget=check["budget"] / max(budget, 1.0),
                bounds=check["bounds"] / max(load_scale_kw, demand_scale_ev))


def make_result(instance, capacity_kw, flows, *, lower_bound, status, iterations, method, wall_time,
                shadow_price_per_kw=None, trace=None, info=None, seed=None) -> JointResult:
    """Evaluate a plan on ``instance`` and wrap it in a :class:`JointResult`.

    ``status`` may be a contract status or one of the methods' older words (``"converged"``
    becomes ``"feasible"``, ``"infeasible_plan"`` ``"infeasible"``). Whatever the method says,
    a plan that breaks a constraint by more than :data:`VIOLATION_TOLERANCE` (relative) is
    reported ``"infeasible"`` (``info["ended"]`` keeps how the run ended), and a bound above a
    feasible plan's cost, which cannot be valid, is dropped with a warning.
    """
    info = dict(info or {})
    status = _OLD_STATUSES.get(status, status)
    if status not in STATUSES:
        raise InputError("status", f"must be one of {list(STATUSES)}, got {status!r}")
    capacity_kw = np.asarray(capacity_kw, dtype=float)
    flows = np.asarray(flows, dtype=float)
    check = instance.evaluate(capacity_kw, flows)
    load_kw = instance.power_per_ev_kw * instance.load_ev(flows)
    utilisation = np.divide(load_kw, capacity_kw[:, None], out=np.zeros_like(load_kw),
                            where=capacity_kw[:, None] > 0)
    violation = {k: check[k] for k in ("capacity_kw", "supply_ev", "budget", "bounds")}
    total = check["total_cost"]
    relative = plan_violations(instance, check)
    worst = max(relative, key=relative.get)
    feasible_plan = math.isfinite(total) and relative[worst] <= VIOLATION_TOLERANCE
    if not feasible_plan and status != INFEASIBLE:
        logger.warning("joint %s: the returned plan breaks %s by %.3g (relative); reported infeasible", method,
                       worst, relative[worst])
        info["ended"] = status
        status = INFEASIBLE
    bound = None if lower_bound is None else float(lower_bound)
    if bound is not None and not math.isfinite(bound):
        bound = None
    if bound is not None and feasible_plan and bound > total + 1e-9 * max(abs(total), 1.0):
        logger.warning("joint %s: bound %.10g exceeds the feasible plan's cost %.10g; no bound reported", method,
                       bound, total)
        info["dropped_bound"] = bound
        bound = None
        if status in (OPTIMAL, GAP_REACHED):
            status = FEASIBLE
    if status == INFEASIBLE:
        gap = None if bound is None else math.inf
    else:
        gap = None if bound is None else relative_gap(total, bound)
    if status in (OPTIMAL, GAP_REACHED) and bound is None:
        status = FEASIBLE  # nothing proves it
    shadow = None if shadow_price_per_kw is None else np.asarray(shadow_price_per_kw, dtype=float)
    return JointResult(status=status, objective=float(total), bound=bound, gap=gap, iterations=int(iterations),
                       wall_time=float(wall_time), trace=_as_trace(trace, info), seed=seed, method=str(method),
                       capacity_kw=capacity_kw, flows=flows, investment_cost=float(check["investment_cost"]),
                       assignment_cost=float(check["assignment_cost"]), utilisation=utilisation, violation=violation,
                       shadow_price_per_kw=shadow, info=info, zone_ids=tuple(instance.zone_ids), instance=instance)

