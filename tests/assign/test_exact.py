"""The exact GAP MIP on HiGHS against published optima and scipy's milp."""

import numpy as np
import pytest
from scipy.optimize import LinearConstraint, milp

from evcore.assign import GAPInstance, lp_bound, read_orlib_gap, solve_exact, solve_gap
from evcore.errors import InputError

from _data import GAP_DATA, gap_optima, needs_gap_data


@needs_gap_data
@pytest.mark.parametrize("name", ["cattrysse1994/gap1-0", "cattrysse1994/gap8-3", "cattrysse1994/gap12-4",
                                  "chu1997/a10200", "chu1997/b10100"])
def test_published_optima(name):
    instance = read_orlib_gap(GAP_DATA / name)
    result = solve_gap(instance, method="exact", time_limit=60)
    assert result.status == "optimal" and result.feasible
    assert result.objective == gap_optima()[name]
    assert result.bound <= result.objective + 1e-6
    assert lp_bound(instance) <= result.objective + 1e-6


def test_against_scipy_milp():
    rng = np.random.default_rng(4)
    for _ in range(5):
        agents, jobs = 4, 12
        cost = rng.integers(5, 40, (agents, jobs)).astype(float)
        resource = rng.integers(2, 10, (agents, jobs)).astype(float)
        capacity = resource.sum(axis=1) / agents * 1.2
        instance = GAPInstance(cost, resource, capacity)
        n = agents * jobs  # x[i, j] flattened row-major
        assign = np.zeros((jobs, n))
        for j in range(jobs):
            assign[j, j::jobs] = 1.0
        load = np.zeros((agents, n))
        for i in range(agents):
            load[i, i * jobs : (i + 1) * jobs] = resource[i]
        reference = milp(cost.ravel(), constraints=[LinearConstraint(assign, 1, 1), LinearConstraint(load, -np.inf,
                         capacity)], integrality=np.ones(n), bounds=(0, 1))
        result = solve_exact(instance)
        assert result.objective == pytest.approx(reference.fun, abs=1e-6)
        assert instance.is_feasible(result.assignment)


def test_start_and_unknown_method():
    instance = GAPInstance([[1.0, 2.0], [2.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]], [1.0, 1.0])
    assert solve_exact(instance, start=[1, 0]).objective == 2.0
    with pytest.raises(InputError, match="unknown method"):
        solve_gap(instance, method="magic")
    with pytest.raises(InputError, match="time_limit"):
        solve_gap(instance, method="exact", time_limit=0)


def test_loose_gap_is_reported_as_gap_reached():
    from evcore.assign import random_gap_instance

    instance = random_gap_instance(10, 100, "D", seed=2)
    result = solve_gap(instance, method="exact", mip_rel_gap=0.05, time_limit=60)
    assert result.status in ("gap_reached", "optimal") and result.gap <= 0.05 + 1e-12
    if result.gap > 1e-9:
        assert result.status == "gap_reached"
