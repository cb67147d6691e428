"""Seeded benchmark cities for the joint investment / assignment LP (seed 000), and a separate tuning set.

Every city is :func:`evcore.joint.synthetic_city` (the Chengdu-like generator: residential, office and
recreational zones, a week of 15-minute slots, location costs falling from the centre) with one of
these variations on top, all deterministic functions of the spec:

- ``range_km``: the assignment range R (1-11 km; more arcs with larger R);
- ``caps``: capacity caps ``Cmax_i = 0.75 * beta max_t a_ti`` on the quarter of zones with the highest
  location cost (the centre), so that part of their peak must be assigned elsewhere;
- ``budget="binding"``: ``B`` halfway between the smallest investment that serves every EV and the
  investment of the budget-free optimum (both found by evcore's splitting), rounded to 3 significant
  digits (up), so that the budget binds and the optimum changes;
- ``delays``: travel delays ``tau_ij = round(d_ij / 20 km/h / 15 min)`` slots (EVs sent to a zone 4 km
  away arrive one slot later), wrapping around the week.

``REPORT`` is the set the benchmark reports on (median and worst over it); ``TUNING`` is the set engine
defaults were chosen on (other seeds, smaller cities). Nothing was tuned on ``REPORT``.

    python benchmarks/joint_cities.py            # list both sets with their sizes
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np

__all__ = ["CitySpec", "REPORT", "TUNING", "make_city", "by_name"]


@dataclass(frozen=True)
class CitySpec:
    """One benchmark city (see the module docstring for what each field does)."""

    name: str
    zones: int
    seed: int
    range_km: float = 3.0
    caps: bool = False
    budget: str = "free"      # "free" (the paper's 20 billion: cannot bind) or "binding"
    delays: bool = False
    slots: int = 672


#: The cities the benchmark reports on: 80 to 2000 zones, several seeds, ranges 1-11 km, caps, a binding
#: budget and travel delays. Seeds 11-19 appear nowhere else.
REPORT = (
    CitySpec("c80-r3", 80, 11, 3.0),
    CitySpec("c80-r7-caps", 80, 12, 7.0, caps=True),
    CitySpec("c201-r3-budget", 201, 13, 3.0, budget="binding"),
    CitySpec("c201-r5-delays", 201, 14, 5.0, delays=True),
    CitySpec("c201-r1", 201, 15, 1.0),
    CitySpec("c201-r11", 201, 16, 11.0),
    CitySpec("c500-r3-caps", 500, 17, 3.0, caps=True),
    CitySpec("c500-r4-delays", 500, 18, 4.0, delays=True),
    CitySpec("c1000-r3", 1000, 19, 3.0),
    CitySpec("c2000-r2", 2000, 20, 2.0),
)

#: The cities defaults were tuned on (seeds 101-110; none of them is in REPORT).
TUNING = (
    CitySpec("t40-r3", 40, 101, 3.0),
    CitySpec("t40-r6-caps", 40, 102, 6.0, caps=True),
    CitySpec("t60-r3-budget", 60, 103, 3.0, budget="binding"),
    CitySpec("t60-r4-delays", 60, 104, 4.0, delays=True),
    CitySpec("t80-r2", 80, 105, 2.0),
    CitySpec("t80-r9", 80, 106, 9.0),
    CitySpec("t120-r3", 120, 107, 3.0),
    CitySpec("t120-r5-caps", 120, 108, 5.0, caps=True),
)


def by_name(name: str) -> CitySpec:
    for spec in REPORT + TUNING:
        if spec.name == name:
            return spec
    raise KeyError(name)


def make_city(spec: CitySpec):
    """The :class:`~evcore.joint.JointInstance` of ``spec`` (deterministic)."""
    from evcore.joint import synthetic_city

    instance = synthetic_city(zones=spec.zones, slots=spec.slots, seed=spec.seed, range_km=spec.range_km)
    changes = {}
    if spec.caps:
        peak_kw = instance.power_per_ev_kw * instance.demand_ev.max(axis=1)
        central = instance.location_cost_per_kw >= np.quantile(instance.location_cost_per_kw, 0.75)
        changes["max_capacity_kw"] = np.where(central, 0.75 * peak_kw, np.inf)
    if spec.delays:
        slot_hours = 7 * 24 / spec.slots
        distance = np.where(np.isfinite(instance.distance_km), instance.distance_km, 0.0)
        changes["travel_delay_slots"] = np.rint(distance / 20.0 / slot_hours).astype(np.int64)
    if changes:
        instance = instance.replace(**changes)
    if spec.budget == "binding":
        from evcore.joint.splitting import solve_splitting

        free = solve_splitting(instance, gap=1e-3).investment_cost
        # the smallest investment serving every EV (assignment free of charge); its plan is feasible, so
        # its cost is at least the true minimum
        needed = solve_splitting(instance.replace(cost_per_ev_km=0.0), gap=1e-2).total_cost
        # rounded up to 3 significant digits, so that the city does not move with the splitting's exact plans
        # (a better plan at the same certified gap would otherwise make another budget, another city)
        budget = needed + 0.5 * max(free - needed, 0.0)
        unit = 10.0 ** (math.floor(math.log10(budget)) - 2)
        instance = instance.replace(budget=math.ceil(budget / unit) * unit)
    return instance


def main():
    from evcore.joint._arrays import kernel_arrays

    for title, cities in (("REPORT", REPORT), ("TUNING", TUNING)):
        print(title)
        for spec in cities:
            a = kernel_arrays(make_city(spec))
            print(f"  {spec.name:16s} zones {a.zones:5d}  pairs {a.pairs:7d}  flow variables {a.pairs * a.slots:>11,d}"
                  f"  capped {int(np.isfinite(a.max_capacity_kw).sum()):4d}  budget binds {a.budget_binds}"
                  f"  delays {a.has_delays}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
