"""Small placement instances for the tests: random ones on the embedded demo feeder (always available) and on
the IEEE 13-node feeder (shared data), and brute-force enumeration with one power flow per count vector."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import numpy as np

import evcore.grid
from evcore.grid import Feeder, PlacementInstance
from evcore.grid.placement import check_placement

DEMO = Path(evcore.grid.__file__).resolve().parent / "data" / "demo_feeder.json"


@functools.lru_cache(maxsize=None)
def demo_feeder() -> Feeder:
    return Feeder.from_json(DEMO)


def shared_data():
    """The shared reference-data folder (``../shared/data`` from the project, also from a worktree), or skip."""
    import pytest

    root = Path(__file__).resolve().parents[2]
    for parent in root.parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    pytest.skip("shared reference data (../shared/data) not found")


@functools.lru_cache(maxsize=None)
def ieee13_feeder():
    import pytest

    from _grid_feeders import CASES

    pytest.importorskip("dss", reason="OpenDSS engine (dss-python, extra evcore[opendss]) not installed")
    path, taps = CASES["ieee13"]
    return Feeder.from_opendss(shared_data() / "feeders" / path, regulator_taps=taps)


def candidate_buses(feeder) -> list:
    source_bus = feeder.node_bus[feeder.source_nodes[0]]
    buses = sorted(set(feeder.node_bus[i] for i in range(feeder.n_nodes)) - {source_bus})
    return buses


def random_instance(feeder, seed, *, max_count=6, extreme=False) -> PlacementInstance:
    """A random small instance whose limits bind: 2-3 candidates, up to ``max_count`` chargers each, charger
    ratings from 7.2 to 120 kW, tight random voltage limits, random budget, demand and priorities.

    ``extreme``: one candidate with a huge maximum, tighter limits and large chargers."""
    rng = np.random.default_rng(seed)
    buses = candidate_buses(feeder)
    K = int(rng.integers(2, 4))
    cands = [str(b) for b in rng.choice(buses, K, replace=False)]
    nmax = rng.integers(1, max_count + 1, K)
    nmin = np.array([rng.integers(1, m + 1) for m in nmax])
    if extreme:
        nmax[0] = max_count * 40
    rating = float(rng.choice([7.2, 30.0, 60.0, 120.0]))
    land = rng.uniform(0.0, 2e4, K).round(0)
    budget = None
    if rng.random() < 0.5:
        full = land.sum() + 8600.0 * nmax.sum()
        budget = float(rng.uniform(0.3, 0.9) * full)
    demand = int(rng.integers(0, max(1, nmin.sum())))
    kwargs = dict(min_chargers=nmin, land_cost=land, budget=budget, demand=demand, rating_kw=rating,
                  priority=rng.uniform(0.1, 1.0, K).round(4),
                  vmin_pu=float(rng.uniform(0.9, 0.975)), vmax_pu=float(rng.uniform(1.02, 1.06)),
                  connection=str(rng.choice(["auto", "wye", "delta"])))
    if extreme:
        kwargs.update(vmin_pu=0.97, vmax_pu=1.03)
    return PlacementInstance(feeder, cands, nmax, **kwargs)


def domains(inst):
    return [[0] + list(range(max(int(inst.min_chargers[k]), 1), int(inst.max_chargers[k]) + 1))
            for k in range(inst.n_candidates)]


def brute_force(inst):
    """Best objective and placement over every count vector (one power flow each), or ``(None, None)``."""
    best, best_n = None, None
    points = []
    for n in itertools.product(*domains(inst)):
        n = np.array(n, dtype=float)
        if inst.siting_violations(n):
            continue
        points.append((float(inst.priority @ n), n))
    points.sort(key=lambda p: -p[0])
    for value, n in points:  # best first: the first point that passes is the optimum
        if check_placement(inst, n)["ok"]:
            return value, n
    return best, best_n


def random_feeder(base, rng, *, constant_power=True, ratings=True):
    """A random variant of ``base``: every load scaled by U(0.2, 1.1) (its own factor, also its power factor
    nudged), some loads switched to evcore's pure constant power (model 0: the operating condition's corner),
    and every rated transformer's rating set to U(0.9, 1.4) times its largest base-case phase current (below 1:
    a limit already violated, held to its base-case value; above: a limit that binds after a few chargers).
    """
    import dataclasses

    L = len(base.load_names)
    scale = rng.uniform(0.2, 1.1, L)[base.load_branch_load]
    tilt = np.exp(1j * rng.uniform(-0.15, 0.15, L))[base.load_branch_load]
    power = base.load_branch_power_va * scale * tilt
    model = np.asarray(base.load_branch_model).copy()
    if constant_power:
        switch = (rng.random(L) < 0.3)[base.load_branch_load]
        model = np.where(switch, 0, model)
    feeder = dataclasses.replace(base, load_branch_power_va=power, load_branch_model=model,
                                 name=f"{base.name} (random variant)")
    if not ratings:
        return feeder
    from evcore.grid import power_flow

    v = power_flow(feeder).voltage_v
    rating = np.asarray(feeder.element_rated_current_a, dtype=float).copy()
    for e in feeder.transformer_elements():
        if not np.isfinite(rating[e]):
            continue
        y = feeder.element_yprim(e)
        nodes = feeder.element_nodes(e)
        live = nodes >= 0
        per_terminal = len(nodes) // int(feeder.element_terminals[e])
        cur = np.abs(y[:per_terminal][:, live] @ v[nodes[live]])
        rating[e] = max(float(cur.max()), 1e-3) * (rng.uniform(0.9, 1.0) if rng.random() < 0.15 else rng.uniform(1.0, 1.5))
    return dataclasses.replace(feeder, element_rated_current_a=rating)


def random_corner_instance(base, seed, *, max_points=1500):
    """A random small instance at the corners the certificate must survive: random feeder variant
    (:func:`random_feeder`), 2-4 candidates (whole buses or single phases), charger ratings from 0.5 to 400 kW
    at power factors 0.8-1, tight voltage limits, tight budgets, demands, anti-clustering (service radius on
    random coordinates within 400 m), random priorities (some ties). The product of the count domains is kept
    below ``max_points`` (brute force stays cheap)."""
    rng = np.random.default_rng(seed)
    feeder = random_feeder(base, rng)
    buses = candidate_buses(feeder)
    K = int(rng.integers(2, 5))
    cands = []
    for b in rng.choice(buses, K, replace=False):
        nodes = [feeder.node_names[i] for i in range(feeder.n_nodes) if feeder.node_bus[i] == b]
        if len(nodes) > 1 and rng.random() < 0.4:
            cands.append(str(rng.choice(nodes)))
        else:
            cands.append(str(b))
    rating = float(rng.choice([0.5, 7.2, 7.2, 22.0, 50.0, 150.0, 400.0]))
    cap = int(max(2, min(12, round(max_points ** (1.0 / K)))))
    nmax = rng.integers(1, cap, K)
    nmin = np.array([rng.integers(1, m + 1) for m in nmax])
    land = rng.uniform(0.0, 3e4, K).round(0)
    budget = None
    if rng.random() < 0.6:
        full = land.sum() + 8600.0 * nmax.sum()
        budget = float(rng.uniform(0.25, 0.8) * full)
    demand = int(rng.integers(0, max(1, nmin.sum() // 2 + 1))) if rng.random() < 0.5 else 0
    priority = rng.choice([0.5, 1.0], K) if rng.random() < 0.3 else rng.uniform(0.1, 1.0, K).round(4)
    kwargs = dict(min_chargers=nmin, land_cost=land, budget=budget, demand=demand, rating_kw=rating,
                  power_factor=float(rng.choice([1.0, 0.95, 0.8])), priority=priority,
                  vmin_pu=float(rng.uniform(0.9, 0.98)), vmax_pu=float(rng.uniform(1.0, 1.06) if rng.random() < 0.2
                                                                     else rng.uniform(1.05, 1.09)),
                  connection=str(rng.choice(["auto", "wye", "delta"])),
                  terminal_vmin_pu=float(rng.choice([0.8, 0.9, 0.97])))
    if rng.random() < 0.5:
        lat = 47.6 + rng.uniform(0, 400, K) / 111_000.0
        lon = -122.33 + rng.uniform(0, 400, K) / 75_000.0
        kwargs.update(latitude_deg=lat, longitude_deg=lon, service_radius_m=float(rng.uniform(20, 150)))
    return PlacementInstance(feeder, cands, nmax, **kwargs)
