"""Compiled kernels against their numpy twins and against outside solvers."""

import numpy as np
import pytest

from evcore.joint import _kernels, _reference
from evcore.joint import _splitting_kernels as split
from evcore.joint._arrays import kernel_arrays
from evcore.joint._driver import lagrangian_bound
from evcore.solvers import Model, solve as solve_model

from _joint_data import random_instance


@pytest.fixture(scope="module", params=[False, True], ids=["same-slot", "delays"])
def arrays(request):
    return kernel_arrays(random_instance(7, zones=6, slots=5, delays=request.param))


def _flags(a, flow):
    nz = np.zeros((a.slots, a.zones), dtype=bool)
    split.nonzero_blocks(a, flow, 0, a.zones, nz)
    return nz


def test_kernel_arrays_are_cached_and_read_only():
    instance = random_instance(7, zones=6, slots=5)
    a = kernel_arrays(instance)
    assert kernel_arrays(instance) is a
    assert not a.demand_kw.flags.writeable and not a.origin.flags.writeable
    assert a.slots == 5 and a.zones == 6 and a.pairs == instance.pairs.count


def test_capped_simplex_projection_matches_bisection():
    rng = np.random.default_rng(1)
    for _ in range(50):
        values = rng.normal(0, 3, 7)
        cap = rng.uniform(0, 5)
        out = values.copy()
        _kernels._capped_simplex_project(out, 0, 7, cap)
        assert np.allclose(out, _reference.capped_simplex_project(values, cap), atol=1e-9)


def test_bounded_projection_matches_bisection():
    """The capacity prox: the capped simplex with the shift stopped at step * Cmax."""
    rng = np.random.default_rng(1)
    for _ in range(80):
        values = rng.normal(1, 3, 9)
        cap = rng.uniform(0, 6)
        max_shift = rng.choice([np.inf, 0.0, rng.uniform(0, 2)])
        out = values.copy()
        theta = split._project_bounded.py_func(out, 0, 9, cap, max_shift)
        want, want_theta = _reference.project_bounded(values, cap, max_shift)
        assert np.allclose(out, want, atol=1e-9) and theta == pytest.approx(want_theta, abs=1e-9)


def test_flow_steps_match_reference(arrays):
    a = arrays
    rng = np.random.default_rng(2)
    flow = rng.uniform(0, 50, (a.slots, a.pairs)) * (rng.uniform(size=(a.slots, a.pairs)) < 0.5)
    price = rng.uniform(0, 30, (a.slots, a.zones)) * (rng.uniform(size=(a.slots, a.zones)) < 0.5)
    want = _reference.flow_step(a, flow, price, 0.7)
    # PDHG: T(z), 2 T(z) - z, running sum; skipped blocks come out exactly zero
    out, bar, total = np.full_like(flow, 9.0), np.full_like(flow, 9.0), np.ones_like(flow)
    nz_out, nz_bar, nz_sum = (np.ones((a.slots, a.zones), bool) for _ in range(3))
    split.flow_step(a, flow.copy(), price, 0, a.zones, 0.7, -1.0, out, bar, total, _flags(a, flow), nz_out, nz_bar,
                    nz_sum)
    assert np.allclose(out, want, atol=1e-9) and np.allclose(bar, 2 * want - flow) and np.allclose(total, 1 + want)
    assert np.array_equal(nz_out, _flags(a, want)) and np.array_equal(nz_bar, _flags(a, 2 * want - flow))
    # reflected Halpern: the iterate moves to w (2 T(z) - z) + (1 - w) anchor
    anchor = rng.uniform(0, 5, flow.shape)
    iterate = flow.copy()
    nz = _flags(a, flow)
    split.flow_step(a, iterate, price, 0, a.zones, 0.7, 0.75, out, bar, anchor, nz, nz_out, nz_bar, _flags(a, anchor))
    assert np.allclose(out, want) and np.allclose(iterate, 0.75 * (2 * want - flow) + 0.25 * anchor)
    assert np.array_equal(nz, _flags(a, iterate))


def test_measured_flow_step_matches_reference_and_its_measures(arrays):
    a = arrays
    rng = np.random.default_rng(8)
    flow = rng.uniform(0, 20, (a.slots, a.pairs))
    price = rng.uniform(0, 30, (a.slots, a.zones))
    out, total, moved = np.zeros_like(flow), np.ones_like(flow), np.zeros((a.slots, a.zones))
    flow_sq = np.zeros(a.slots)
    split.flow_step_measured(a, flow, price, 0.6, True, out, total, moved, _flags(a, flow),
                             np.ones((a.slots, a.zones), bool), np.ones((a.slots, a.zones), bool), flow_sq)
    if a.has_delays:
        split.load_change(a, out, flow, moved)
    want = _reference.flow_step(a, flow, price, 0.6)
    assert np.allclose(out, want) and np.allclose(total, 1 + flow)
    assert np.isclose(flow_sq.sum(), np.sum((want - flow) ** 2))
    k_dz = _reference.loads(a._replace(demand_kw=np.zeros_like(a.demand_kw)), want - flow)
    assert np.allclose(moved, k_dz)


def test_loads_match_reference(arrays):
    a = arrays
    rng = np.random.default_rng(6)
    flow = rng.uniform(0, 20, (a.slots, a.pairs)) * (rng.uniform(size=(a.slots, a.pairs)) < 0.4)
    load = np.zeros((a.slots, a.zones))
    split.loads(a, flow, 0, a.zones, load)
    assert np.allclose(load, _reference.loads(a, flow))
    if not a.has_delays:
        scattered = np.zeros_like(load)
        split.loads_scatter(a, flow, _flags(a, flow), np.zeros(0, np.int64), 0, a.zones, scattered)
        assert np.allclose(scattered, load)


@pytest.mark.parametrize("capped", [False, True])
def test_price_steps_match_reference(arrays, capped):
    a = arrays
    rng = np.random.default_rng(4)
    price = rng.uniform(0, 300, (a.slots, a.zones))
    load = rng.normal(0, 500, (a.slots, a.zones))
    step = rng.uniform(0.1, 1, a.zones)
    cost = rng.uniform(200, 800, a.zones)
    max_shift = step * (rng.uniform(0, 300, a.zones) if capped else np.full(a.zones, np.inf))
    want = _reference.price_prox(price, load, step, cost, max_shift)
    out, total = np.zeros_like(price), np.ones_like(price)
    split.price_step(price, load, step, cost, max_shift, 0, a.zones, -1.0, out, total)
    assert np.allclose(out, want) and np.allclose(total, 1 + want)
    mu, anchor = price.copy(), rng.uniform(0, 3, price.shape)
    split.price_step(mu, load, step, cost, max_shift, 0, a.zones, 0.75, out, anchor)
    assert np.allclose(out, want) and np.allclose(mu, 0.75 * (2 * want - price) + 0.25 * anchor)
    # the measured step at the extrapolation iterate_load + 2 moved, and its measures
    moved = rng.normal(0, 50, load.shape)
    degree = rng.uniform(1, 4, a.zones)
    groups = (a.zones + split.PRICE_GROUP - 1) // split.PRICE_GROUP
    price_sq, cross, total = np.zeros(groups), np.zeros(groups), np.zeros_like(price)
    split.price_step_measured(price, load, moved, step, cost, max_shift, True, degree, out, total, price_sq, cross)
    want = _reference.price_prox(price, load + 2 * moved, step, cost, max_shift)
    assert np.allclose(out, want) and np.allclose(total, price)
    assert np.isclose(price_sq.sum(), np.sum(degree[None, :] * (want - price) ** 2))
    assert np.isclose(cross.sum(), np.sum((want - price) * moved))


def test_shift_from_sorted_values_matches_reference():
    """The budget prox's shift by binary search in sorted values and prefix sums equals Michelot's theta
    of the plain projection, also with ties, zeros, negative entries, cap 0 and a binding max_shift."""
    rng = np.random.default_rng(3)
    for trial in range(300):
        slots, zones = int(rng.integers(1, 12)), 3
        values = rng.normal(0, 4, (slots, zones))
        if trial % 3 == 0:
            values = np.round(values)  # ties
        step = np.ones(zones)
        descending, prefix = np.empty((zones, slots)), np.empty((zones, slots))
        positive = np.empty(zones, dtype=np.int64)
        split._budget_prepare(values, np.zeros_like(values), np.zeros_like(values), step, descending, prefix, positive)
        for i in range(zones):
            cap = [0.0, rng.uniform(0, 10), 1e9][trial % 3 if i else 1]
            max_shift = rng.choice([np.inf, rng.uniform(0, 3)])
            got = split._shift_sorted(descending[i], prefix[i], positive[i], cap, max_shift)
            _, want = _reference.project_bounded(values[:, i], cap, max_shift)
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("ties", [False, True])
def test_budget_multiplier_matches_bisection(ties):
    rng = np.random.default_rng(0)
    for trial in range(20):
        slots, zones = 6, 5
        price = rng.uniform(0, 3, (slots, zones))
        load = rng.normal(0, 5, (slots, zones))
        moved = rng.normal(0, 1, (slots, zones))
        if ties:
            price, load, moved = np.round(price), np.round(load), np.zeros_like(moved)
        step = rng.uniform(0.2, 1, zones)
        cost = rng.uniform(1, 3, zones)
        cap = np.where(rng.uniform(size=zones) < 0.5, np.inf, rng.uniform(0, 5, zones))
        budget = rng.uniform(0.5, 20)
        work = (np.empty((zones, slots)), np.empty((zones, slots)), np.empty(zones, np.int64))
        lam = split.budget_multiplier(price, load, moved, step, cost, cap, budget, rng.uniform(0, 5), *work)
        values = price + step * (load + 2 * moved)
        assert lam == pytest.approx(_reference.budget_multiplier(values, step, cost, cap, budget), rel=1e-7, abs=1e-9)
        spend = sum(cost[i] * _reference.project_bounded(values[:, i], cost[i] * (1 + lam), step[i] * cap[i])[1]
                    / step[i] for i in range(zones))
        assert spend <= budget * (1 + 1e-9) and (lam == 0 or spend == pytest.approx(budget, rel=1e-9))


@pytest.mark.parametrize("budget", [None, "binding"])
def test_lagrangian_bound_matches_linprog_reference(budget):
    instance = random_instance(4, zones=6, slots=5, cap=np.full(6, 900.0))
    if budget:
        instance = instance.replace(budget=0.3 * float(instance.cost_per_kw @ (250 * instance.demand_ev.max(axis=1))))
    a = kernel_arrays(instance)
    assert a.budget_binds == bool(budget)
    price = np.random.default_rng(4).uniform(0, 300, (a.slots, a.zones))
    assert lagrangian_bound(a, price) == pytest.approx(_reference.lagrangian_bound(a, price), rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_shed_minimum_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    slots = 9
    breakpoints = rng.uniform(0, 100, slots)
    shed_cost = rng.uniform(0, 5, slots)
    linear, rho, anchor = rng.uniform(-10, 20), 0.1 * (1 + seed), rng.uniform(0, 120)
    lower, upper = rng.uniform(0, 20), rng.uniform(60, 150)
    got = _kernels.shed_capacity_minimum(breakpoints, shed_cost, linear, rho, anchor, lower, upper)
    want = _reference.shed_capacity_minimum(breakpoints, shed_cost, linear, rho, anchor, lower, upper)
    assert got == pytest.approx(want, abs=1e-5)


def test_paper_location_subproblem_matches_highs_qp():
    """Sub-problem (11) of location i, solved by HiGHS as a QP over (c, shed_1..T), against the closed form."""
    rng = np.random.default_rng(11)
    slots = 6
    demand = rng.uniform(0, 300, (slots, 1))
    inflow = rng.uniform(0, 100, (slots, 1))
    recurrences = rng.uniform(100, 600, slots)
    cost_per_kw, multiplier, rho, anchor, cheapest = np.array([700.0]), np.array([35.0]), 0.1, 250.0, 0.002
    capacity, shed = np.zeros(1), np.zeros((slots, 1))
    _kernels.paper_location_step(np.array([anchor]), multiplier, inflow, demand, cost_per_kw, recurrences,
                                 np.array([cheapest]), np.array([True]), np.array([1e9]), rho, capacity, shed)
    # variables x = (c, s_1..s_T): min (k - lambda) c + sum E_t L s_t + rho/2 (c - anchor)^2
    # s.t. D_t + in_t - s_t <= c, s_t <= D_t
    objective = np.concatenate([[cost_per_kw[0] - multiplier[0] - rho * anchor], recurrences * cheapest])
    matrix = np.hstack([-np.ones((slots, 1)), -np.eye(slots)])
    hessian = np.zeros((slots + 1, slots + 1))
    hessian[0, 0] = rho
    qp = solve_model(Model(objective=objective, constraint_matrix=matrix,
                           row_upper=-(demand[:, 0] + inflow[:, 0]),
                           col_lower=np.concatenate([[inflow[:, 0].max()], np.zeros(slots)]),
                           col_upper=np.concatenate([[1e9], demand[:, 0]]), hessian=hessian))
    assert capacity[0] == pytest.approx(qp.x[0], abs=1e-4)
    assert shed[:, 0] == pytest.approx(qp.x[1:], abs=1e-4)


def _prices_in_simplices(a, rng):
    price = rng.uniform(0, 1, (a.slots, a.zones)) * (rng.uniform(size=(a.slots, a.zones)) < 0.6)
    return price * (a.cost_per_kw / np.maximum(price.sum(axis=0), 1e-12))[None, :] * rng.uniform(0.5, 1.0)


@pytest.mark.parametrize("delays", [False, True])
@pytest.mark.parametrize("cap", [None, 900.0])
def test_dual_ascent_sweep_matches_reference_and_never_lowers_the_bound(delays, cap):
    instance = random_instance(11, zones=7, slots=6, delays=delays, cap=None if cap is None else np.full(7, cap))
    a = kernel_arrays(instance)
    rng = np.random.default_rng(5)
    for _ in range(5):
        price = _prices_in_simplices(a, rng)
        before = lagrangian_bound(a, price)
        got = price.copy()
        split.dual_ascent_sweep(a, got)
        want = _reference.dual_ascent_sweep(a, price)
        assert np.allclose(got, want, atol=1e-9)
        assert np.all(got >= 0)
        if cap is None:
            assert np.all(got.sum(axis=0) <= a.cost_per_kw * (1 + 1e-12))
        after = lagrangian_bound(a, got)
        assert after >= before - 1e-9 * abs(before)
        assert after == pytest.approx(_reference.lagrangian_bound(a, got), rel=1e-9)


@pytest.mark.parametrize("cap", [None, 900.0])
def test_dual_ascent_lower_bound_stays_below_the_optimum(cap):
    from evcore.joint import solve

    instance = random_instance(4, zones=6, slots=8, cap=None if cap is None else np.full(6, cap))
    a = kernel_arrays(instance)
    optimum = solve(instance, "highs").total_cost
    price = _prices_in_simplices(a, np.random.default_rng(0))
    for _ in range(6):
        split.dual_ascent_sweep(a, price)
        assert lagrangian_bound(a, price) <= optimum * (1 + 1e-9)
