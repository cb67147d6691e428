"""The plain arrays joint's kernels read, built once per instance: :func:`kernel_arrays`.

Slot-major and in kW: ``demand_kw[t, i] = beta a[i, t]``, flows ``flow_kw[t, p] = beta z[t, p]``,
prices ``price[t, i]`` (currency per kW). Pairs are sorted by origin (``out_start``), arrivals
listed by ``in_order``/``in_start``, ``delay[p]`` in slots (wrapping around the week).
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np

__all__ = ["KernelArrays", "kernel_arrays", "capacity_upper_bound"]


class KernelArrays(NamedTuple):
    """Everything the splitting's kernels read about an instance (read-only arrays, kW units).

    Passed whole to the Numba kernels (a typed named tuple), so their signatures stay short.
    """

    demand_kw: np.ndarray         # (slots, zones) beta a
    flow_cost_per_kw: np.ndarray  # (pairs,) L_p / beta
    recurrences: np.ndarray       # (slots,) E_t
    origin: np.ndarray            # (pairs,) int64
    destination: np.ndarray       # (pairs,) int64
    delay: np.ndarray             # (pairs,) int64, in [0, slots)
    out_start: np.ndarray         # (zones + 1,) int64
    in_order: np.ndarray          # (pairs,) int64
    in_start: np.ndarray          # (zones + 1,) int64
    cost_per_kw: np.ndarray       # (zones,) k_i = pi0 + pi_i
    max_capacity_kw: np.ndarray   # (zones,) Cmax_i (inf: no cap)
    upper_kw: np.ndarray          # (zones,) min(Cmax_i, U_i): no optimal plan has more
    cheapest_arc_per_kw: np.ndarray  # (zones,) min over arcs leaving i of L_p / beta (inf: none)
    degree: np.ndarray            # (zones,) max(1, arcs leaving + arriving): Pock-Chambolle row norm
    budget: float                 # B (inf: none)
    budget_binds: bool            # the budget may bind (else it is implied by the other constraints)
    has_delays: bool

    @property
    def slots(self) -> int:
        return self.demand_kw.shape[0]

    @property
    def zones(self) -> int:
        return self.demand_kw.shape[1]

    @property
    def pairs(self) -> int:
        return self.origin.shape[0]

    @property
    def capped(self) -> bool:
        """Some location has a finite cap."""
        return bool(np.isfinite(self.max_capacity_kw).any())

    @classmethod
    def from_instance(cls, instance) -> "KernelArrays":
        """Same as :func:`kernel_arrays` (kept for callers of the old ``SplittingProblem``)."""
        return kernel_arrays(instance)

    def flow_cost(self, flow_kw) -> float:
        """Assignment cost (currency) of flows (slots, pairs) in kW."""
        return float(self.recurrences @ flow_kw @ self.flow_cost_per_kw) if self.pairs else 0.0

    def bound(self, price) -> float:
        """The Lagrangian lower bound q(price) of the joint LP (see :func:`evcore.joint._driver.lagrangian_bound`)."""
        from ._driver import lagrangian_bound

        return lagrangian_bound(self, np.ascontiguousarray(price, dtype=float))


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def kernel_arrays(instance) -> KernelArrays:
    """The :class:`KernelArrays` of ``instance``, built on first use and cached with the instance
    (instances are immutable; the cache holds no reference that would keep one alive)."""
    arrays = _CACHE.get(instance)
    if arrays is None:
        arrays = _build(instance)
        _CACHE[instance] = arrays
    return arrays


def _readonly(array, dtype=float):
    out = np.array(array, dtype=dtype, order="C")  # a copy the kernels own
    out.setflags(write=False)
    return out


def _build(instance) -> KernelArrays:
    pairs = instance.pairs
    beta = instance.power_per_ev_kw
    zones, slots = instance.zones, instance.slots
    demand_kw = beta * instance.demand_ev.T
    flow_cost = pairs.cost_per_ev / beta
    cap = np.asarray(instance.max_capacity_kw, float)
    upper = np.minimum(cap, capacity_upper_bound(instance))
    cheapest = np.full(zones, np.inf)
    if pairs.count:
        np.minimum.at(cheapest, pairs.origin, flow_cost)
    degree = (np.bincount(pairs.origin, minlength=zones) + np.bincount(pairs.destination, minlength=zones))
    cost = np.asarray(instance.cost_per_kw, float)
    budget = float(instance.budget)
    # The budget cannot bind when it covers the largest investment an optimal plan can make, or the
    # no-assignment plan is feasible and within it (the optimum then costs, and invests, no more).
    no_assignment = beta * instance.demand_ev.max(axis=1)
    slack = float(cost @ upper) <= budget or (bool(np.all(no_assignment <= cap)) and float(cost @ no_assignment)
                                              <= budget)
    budget_binds = bool(np.isfinite(budget) and not slack)
    i64 = np.int64
    return KernelArrays(
        demand_kw=_readonly(demand_kw), flow_cost_per_kw=_readonly(flow_cost),
        recurrences=_readonly(instance.recurrences), origin=_readonly(pairs.origin, i64),
        destination=_readonly(pairs.destination, i64), delay=_readonly(pairs.delay_slots % slots, i64),
        out_start=_readonly(pairs.out_start, i64), in_order=_readonly(pairs.in_order, i64),
        in_start=_readonly(pairs.in_start, i64), cost_per_kw=_readonly(cost), max_capacity_kw=_readonly(cap),
        upper_kw=_readonly(upper), cheapest_arc_per_kw=_readonly(cheapest),
        degree=_readonly(np.maximum(degree, 1).astype(float)), budget=budget, budget_binds=budget_binds,
        has_delays=bool(pairs.count and np.any(pairs.delay_slots % slots)))


def capacity_upper_bound(instance):
    """U_i = beta max_t (a_ti + sum over arcs j -> i of a_{t - tau}, j) (kW): no plan loads i more,
    so every optimal plan (which has c_i = max(0, max_t load_ti), as k_i > 0) has c_i <= U_i."""
    pairs = instance.pairs
    slots = instance.slots
    demand = instance.demand_ev
    most = np.array(demand, dtype=float)
    if pairs.count and np.any(pairs.delay_slots % slots):
        arrive = (np.arange(slots)[None, :] + pairs.delay_slots[:, None]) % slots
        np.add.at(most, (pairs.destination[:, None], arrive), demand[pairs.origin])
    elif pairs.count:  # same-slot arrivals: one sparse product, no (pairs, slots) temporaries
        import scipy.sparse as sp

        arcs = sp.csr_array((np.ones(pairs.count), (pairs.destination, pairs.origin)),
                            shape=(instance.zones, instance.zones))
        most += arcs @ demand
    return instance.power_per_ev_kw * most.max(axis=1)
