"""The exact method's linearised dive (:mod:`evcore.grid.placement._primal`) against brute-force enumeration.

The dive only proposes: whatever it makes the incumbent must be certified, pass the power flow and be no
better than the enumerated optimum; on these small instances it should find a placement in most feasible
ones, and its gradients must match finite differences of the reduced power flow.
"""

import numpy as np
import pytest

from evcore.grid.placement import check_placement
from evcore.grid.placement._exact import DEFAULT_MARGIN, _Search
from evcore.grid.placement._primal import linearised_dive, magnitude_gradients

from _place_cases import brute_force, demo_feeder, ieee13_feeder, random_instance


def _dive(inst):
    search = _Search(inst, margin=DEFAULT_MARGIN, gap=1e-4, time_limit=None, max_nodes=None, reporter=None)
    K = inst.n_candidates
    lo = np.zeros(K)
    hi = search.tighten(lo, np.asarray(inst.max_chargers, dtype=float), rounds=5)
    if hi is None:
        return search
    ref = search.new_reference(np.zeros(K))
    linearised_dive(search, lo, hi, ref)
    return search


def test_dive_incumbents_are_verified_and_never_beat_the_optimum():
    found = feasible = 0
    for seed in range(14):
        inst = random_instance(demo_feeder(), seed)
        best, _ = brute_force(inst)
        search = _dive(inst)
        if best is not None:
            feasible += 1
        if search.incumbent is None:
            continue
        found += 1
        assert best is not None
        assert check_placement(inst, search.incumbent)["ok"]
        assert search.incumbent_value <= best + 1e-12
        assert not inst.siting_violations(search.incumbent)
    assert feasible >= 5
    assert found >= feasible // 2, (found, feasible)


def test_dive_on_ieee13():
    for seed in range(100, 104):
        inst = random_instance(ieee13_feeder(), seed, max_count=5)
        best, _ = brute_force(inst)
        search = _dive(inst)
        if search.incumbent is not None:
            assert best is not None and search.incumbent_value <= best + 1e-12
            assert check_placement(inst, search.incumbent)["ok"]


def test_magnitude_gradients_match_finite_differences():
    inst = random_instance(demo_feeder(), 3)
    search = _Search(inst, margin=DEFAULT_MARGIN, gap=1e-4, time_limit=None, max_nodes=None, reporter=None)
    red = search.red
    K = inst.n_candidates
    n = np.minimum(np.asarray(inst.max_chargers, float), 1.0)
    ref = search.new_reference(n)
    rows = np.arange(len(red.q0))
    q, g = magnitude_gradients(red, ref, ref.u, n, rows)
    h = 1e-4
    for k in range(K):
        step = n.copy()
        step[k] += h
        u = red.solve(step, ref.u, ref)
        fd = (np.abs(red.monitored(u, step)) - q) / h
        assert np.allclose(g[:, k], fd, rtol=1e-3, atol=1e-3 * (np.abs(fd).max() + 1e-12)), k
