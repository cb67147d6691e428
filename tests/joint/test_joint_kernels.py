"""Compiled kernels against their numpy twins and against outside solvers."""

import numpy as np
import pytest

from evcore.joint import _kernels, _reference
from evcore.joint.splitting import SplittingProblem
from evcore.solvers import Model, solve as solve_model

from _joint_data import random_instance


@pytest.fixture(scope="module")
def problem():
    return SplittingProblem.from_instance(random_instance(7, zones=6, slots=5, delays=True))


def test_capped_simplex_projection_matches_bisection():
    rng = np.random.default_rng(1)
    for _ in range(50):
        values = rng.normal(0, 3, 7)
        cap = rng.uniform(0, 5)
        out = values.copy()
        _kernels._capped_simplex_project(out, 0, 7, cap)
        assert np.allclose(out, _reference.capped_simplex_project(values, cap), atol=1e-9)


def test_flow_and_price_steps_match_reference(problem):
    rng = np.random.default_rng(2)
    flow = rng.uniform(0, 50, (problem.slots, problem.pairs))
    price = rng.uniform(0, 30, (problem.slots, problem.zones))
    args = (problem.recurrences, problem.flow_cost_per_kw, problem.origin, problem.destination, problem.delay,
            problem.out_start, problem.demand_kw)
    out = np.zeros_like(flow)
    _kernels.flow_step(flow, price, *args, 0.7, out)
    assert np.allclose(out, _reference.flow_step(flow, price, *args, 0.7))
    capacity = rng.uniform(0, 500, problem.zones)
    step = rng.uniform(0.1, 1, problem.zones)
    got, load = np.zeros_like(price), np.zeros_like(price)
    _kernels.price_step(price, capacity, flow, problem.demand_kw, problem.origin, problem.destination, problem.delay,
                        step, got, load)
    want = _reference.price_step(price, capacity, flow, problem.demand_kw, problem.origin, problem.destination,
                                 problem.delay, step)
    assert np.allclose(got, want)
    _kernels.capped_price_step(price, flow, problem.demand_kw, problem.origin, problem.destination, problem.delay,
                               step, problem.cost_per_kw, got, load)
    moved = price + step[None, :] * _reference.slot_loads(flow, problem.demand_kw, problem.origin,
                                                          problem.destination, problem.delay)
    for i in range(problem.zones):
        assert np.allclose(got[:, i], _reference.capped_simplex_project(moved[:, i], problem.cost_per_kw[i]))


def test_capacity_projection_matches_reference():
    rng = np.random.default_rng(3)
    for budget in (1e9, 500.0, 50.0):
        values = rng.normal(5, 5, 8)
        cost = rng.uniform(1, 3, 8)
        upper = rng.uniform(2, 10, 8)
        got = _kernels.capacity_projection(values, cost, upper, budget)
        assert np.allclose(got, _reference.capacity_projection(values, cost, upper, budget), atol=1e-7)
        assert cost @ got <= budget * (1 + 1e-9)


def test_lagrangian_bound_matches_linprog_reference(problem):
    rng = np.random.default_rng(4)
    price = rng.uniform(0, 60, (problem.slots, problem.zones))
    args = (problem.demand_kw, problem.flow_cost_per_kw, problem.recurrences, problem.origin, problem.destination,
            problem.delay, problem.out_start, problem.cost_per_kw, problem.upper_kw)
    for budget in (problem.budget, 2e4):
        got, _ = _kernels.lagrangian_bound(price, *args, budget)
        want, _ = _reference.lagrangian_bound(price, *args, budget)
        assert got == pytest.approx(want, rel=1e-9)


def test_slot_loads_match_reference(problem):
    flow = np.random.default_rng(5).uniform(0, 5, (problem.slots, problem.pairs))
    load = np.zeros((problem.slots, problem.zones))
    _kernels.slot_loads(flow, problem.demand_kw, problem.origin, problem.destination, problem.delay, load)
    assert np.allclose(load, _reference.slot_loads(flow, problem.demand_kw, problem.origin, problem.destination,
                                                   problem.delay))


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


def _prices_in_simplices(problem, rng):
    price = rng.uniform(0, 1, (problem.slots, problem.zones)) * (rng.uniform(size=(problem.slots, problem.zones)) < 0.6)
    return price * (problem.cost_per_kw / np.maximum(price.sum(axis=0), 1e-12))[None, :] * rng.uniform(0.5, 1.0)


@pytest.mark.parametrize("delays", [False, True])
def test_dual_ascent_sweep_matches_reference_and_never_lowers_the_bound(delays):
    problem = SplittingProblem.from_instance(random_instance(11, zones=7, slots=6, delays=delays))
    rng = np.random.default_rng(5)
    args = (problem.demand_kw, problem.flow_cost_per_kw, problem.recurrences, problem.origin, problem.destination,
            problem.delay)
    for _ in range(5):
        price = _prices_in_simplices(problem, rng)
        before = _reference.lagrangian_bound_eliminated(price, *args)
        got = price.copy()
        _kernels.dual_ascent_sweep(got, problem.demand_kw, problem.recurrences, problem.flow_cost_per_kw,
                                   problem.origin, problem.destination, problem.delay, problem.out_start,
                                   problem.in_order, problem.in_start, problem.cost_per_kw)
        want = _reference.dual_ascent_sweep(price, problem.demand_kw, problem.recurrences, problem.flow_cost_per_kw,
                                            problem.origin, problem.destination, problem.delay, problem.cost_per_kw)
        assert np.allclose(got, want, atol=1e-9)
        assert np.all(got >= 0) and np.all(got.sum(axis=0) <= problem.cost_per_kw * (1 + 1e-12))
        after = _reference.lagrangian_bound_eliminated(got, *args)
        assert after >= before - 1e-9 * abs(before)
        # the kernel's own bound agrees with the plain one
        assert np.isclose(_kernels.block_bound(got, problem.demand_kw, problem.recurrences, problem.flow_cost_per_kw,
                                               problem.destination, problem.delay, problem.out_start, 0,
                                               problem.zones), after)


def test_dual_ascent_lower_bound_stays_below_the_optimum():
    from evcore.joint import solve

    instance = random_instance(4, zones=6, slots=8)
    problem = SplittingProblem.from_instance(instance)
    optimum = solve(instance, "highs").total_cost
    rng = np.random.default_rng(0)
    price = _prices_in_simplices(problem, rng)
    for _ in range(6):
        _kernels.dual_ascent_sweep(price, problem.demand_kw, problem.recurrences, problem.flow_cost_per_kw,
                                   problem.origin, problem.destination, problem.delay, problem.out_start,
                                   problem.in_order, problem.in_start, problem.cost_per_kw)
        bound = _reference.lagrangian_bound_eliminated(price, problem.demand_kw, problem.flow_cost_per_kw,
                                                       problem.recurrences, problem.origin, problem.destination,
                                                       problem.delay)
        assert bound <= optimum * (1 + 1e-9)


def test_active_block_loads_and_halpern_steps_match_reference():
    problem = SplittingProblem.from_instance(random_instance(8, zones=6, slots=5))
    rng = np.random.default_rng(6)
    active = rng.uniform(size=(problem.slots, problem.zones)) < 0.6
    flow = rng.uniform(0, 20, (problem.slots, problem.pairs))
    _kernels.clear_blocks(flow, ~active, problem.out_start)
    load = np.zeros((problem.slots, problem.zones))
    _kernels.block_loads_active(flow, problem.demand_kw, problem.out_start, problem.destination, active,
                                np.zeros(0, np.int64), 0, problem.zones, load)
    want = _reference.slot_loads(flow, problem.demand_kw, problem.origin, problem.destination, problem.delay)
    assert np.allclose(load, want)
    # reflected Halpern: T(z) is the plain flow step, the iterate moves to w (2 T(z) - z) + (1 - w) anchor
    price = rng.uniform(0, 30, (problem.slots, problem.zones))
    anchor = rng.uniform(0, 5, flow.shape)
    everywhere = np.ones_like(active)
    iterate, t_of, bar = flow.copy(), np.zeros_like(flow), np.zeros_like(flow)
    _kernels.block_flow_step(iterate, price, problem.recurrences, problem.flow_cost_per_kw, problem.destination,
                             problem.delay, problem.out_start, problem.demand_kw, everywhere, 0, problem.zones, 0.7,
                             t_of, anchor, bar, 0.75)
    plain = _reference.flow_step(flow, price, problem.recurrences, problem.flow_cost_per_kw, problem.origin,
                                 problem.destination, problem.delay, problem.out_start, problem.demand_kw, 0.7)
    assert np.allclose(t_of, plain) and np.allclose(bar, 2 * plain - flow)
    assert np.allclose(iterate, 0.75 * (2 * plain - flow) + 0.25 * anchor)
    step = rng.uniform(0.1, 1, problem.zones)
    mu, t_mu = price.copy(), np.zeros_like(price)
    anchor_price = rng.uniform(0, 3, price.shape)
    _kernels.project_price_columns(mu, want, step, problem.cost_per_kw, 0, problem.zones, t_mu, anchor_price, 0.75)
    for i in range(problem.zones):
        projected = _reference.capped_simplex_project(price[:, i] + step[i] * want[:, i], problem.cost_per_kw[i])
        assert np.allclose(t_mu[:, i], projected)
        assert np.allclose(mu[:, i], 0.75 * (2 * projected - price[:, i]) + 0.25 * anchor_price[:, i])


def test_measured_steps_match_reference_and_their_measures():
    """The tentative steps of PDLP's adaptive rule: same steps as the plain twins, and the measures
    sum dz^2, sum degree dmu^2 and dmu^T K dz computed in numpy."""
    problem = SplittingProblem.from_instance(random_instance(12, zones=7, slots=6))
    rng = np.random.default_rng(8)
    flow = rng.uniform(0, 20, (problem.slots, problem.pairs))
    price = rng.uniform(0, 30, (problem.slots, problem.zones))
    active = np.ones((problem.slots, problem.zones), dtype=bool)
    out, total, bar, moved = (np.zeros_like(flow), np.ones_like(flow), np.zeros_like(flow),
                              np.zeros((problem.slots, problem.zones)))
    flow_sq = _kernels.block_flow_step_measured(flow, price, problem.recurrences, problem.flow_cost_per_kw,
                                                problem.destination, problem.delay, problem.out_start,
                                                problem.demand_kw, active, 0.6, True, out, total, moved)
    want = _reference.flow_step(flow, price, problem.recurrences, problem.flow_cost_per_kw, problem.origin,
                                problem.destination, problem.delay, problem.out_start, problem.demand_kw, 0.6)
    dz = want - flow
    bar = 2 * want - flow
    assert np.allclose(out, want) and np.allclose(total, 1 + flow)
    assert np.isclose(flow_sq, np.sum(dz ** 2))
    k_dz = _reference.slot_loads(dz, np.zeros_like(problem.demand_kw), problem.origin, problem.destination,
                                 problem.delay)
    assert np.allclose(moved, k_dz)
    load = _reference.slot_loads(bar, problem.demand_kw, problem.origin, problem.destination, problem.delay)
    degree = rng.uniform(1, 4, problem.zones)
    step = rng.uniform(0.1, 1, problem.zones)
    new, price_total = np.zeros_like(price), np.zeros_like(price)
    price_sq, cross = _kernels.project_price_columns_measured(price, load, step, problem.cost_per_kw, True, moved,
                                                              degree, new, price_total)
    for i in range(problem.zones):
        assert np.allclose(new[:, i], _reference.capped_simplex_project(price[:, i] + step[i] * load[:, i],
                                                                        problem.cost_per_kw[i]))
    assert np.allclose(price_total, price)
    assert np.isclose(price_sq, np.sum(degree[None, :] * (new - price) ** 2))
    assert np.isclose(cross, np.sum((new - price) * k_dz))


def test_adaptive_and_fixed_steps_both_certify():
    from evcore.joint import solve

    instance = random_instance(13, zones=8, slots=12)
    optimum = solve(instance, "highs").total_cost
    for adaptive in (True, False):
        result = solve(instance, "admm", gap=1e-3, block_options=dict(adaptive_steps=adaptive))
        assert result.status == "gap_reached"
        assert result.lower_bound <= optimum * (1 + 1e-9) <= result.total_cost * (1 + 2e-9)
        assert "eta" in result.trace.dtype.names
