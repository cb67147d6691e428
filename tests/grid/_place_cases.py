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
