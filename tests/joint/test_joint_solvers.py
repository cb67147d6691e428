"""The decompositions against the central optimum on small instances."""

import numpy as np
import pytest

from evcore.errors import InfeasibleError, InputError
from evcore.joint import solve

from _joint_data import random_instance, two_zone_instance

CASES = [dict(seed=0), dict(seed=1, delays=True), dict(seed=2, cap=np.full(6, 900.0)), dict(seed=3, budget=None)]


def _instance(case):
    case = dict(case)
    budget = case.pop("budget", 1e12)
    instance = random_instance(zones=6, slots=8, **case)
    if budget is None:  # a binding budget: 0.5% above the smallest that serves every EV
        from evcore.joint import minimum_budget

        needed = minimum_budget(instance)
        free = solve(instance, "highs").investment_cost
        instance = instance.replace(budget=needed + 0.5 * (free - needed))
    return instance


@pytest.mark.parametrize("case", CASES, ids=["plain", "delays", "caps", "budget"])
def test_admm_certified_gap_and_valid_bound(case):
    instance = _instance(case)
    central = solve(instance, "highs")
    result = solve(instance, "admm", gap=1e-3, max_iterations=200_000)
    assert result.status == "gap_reached"
    assert result.gap <= 1e-3
    assert result.lower_bound <= central.total_cost * (1 + 1e-9)  # the certificate is a real lower bound
    assert result.total_cost >= central.total_cost * (1 - 1e-9)
    assert (result.total_cost - central.total_cost) / central.total_cost <= 1e-3
    assert result.violation["capacity_kw"] <= 1e-6 and result.violation["supply_ev"] <= 1e-9
    assert result.violation["budget"] <= 1e-6 and result.violation["bounds"] <= 1e-6


def test_admm_limits_return_best_plan_with_status():
    instance = random_instance(1, zones=6, slots=8)
    result = solve(instance, "admm", gap=0.0, max_iterations=80)
    assert result.status == "iteration_limit" and result.iterations == 80
    assert result.violation["capacity_kw"] <= 1e-6
    assert result.lower_bound <= result.total_cost
    timed = solve(instance, "admm", gap=0.0, time_limit=1e-9)  # the contract: a time limit is > 0
    assert timed.status == "time_limit"


def test_admm_progress_lines(capsys):
    solve(random_instance(2, zones=5, slots=4), "admm", progress=True, max_iterations=80)
    err = capsys.readouterr().err
    assert "gap" in err and "lower" in err and "upper" in err


def test_admm_solves_hand_instance_and_reports_budget_shortfall():
    result = solve(two_zone_instance(), "admm")
    assert result.total_cost == pytest.approx(5010.0, rel=1e-3)
    with pytest.raises(InfeasibleError, match="short by"):
        solve(two_zone_instance(budget=4000.0), "admm")


@pytest.mark.parametrize("seed", [0, 1])
def test_paper_admm_gives_feasible_plan_and_reports_gap(seed):
    instance = random_instance(seed, zones=6, slots=8, delays=seed == 1)
    central = solve(instance, "highs")
    result = solve(instance, "paper-admm")
    assert result.status in ("feasible", "iteration_limit")
    assert result.violation["capacity_kw"] <= 1e-6 and result.violation["supply_ev"] <= 1e-9
    assert result.total_cost >= central.total_cost * (1 - 1e-9)
    assert result.lower_bound <= central.total_cost * (1 + 1e-9)
    errors = list(zip(result.trace["primal_error_kw"], result.trace["dual_error_kw"]))
    assert len(errors) == result.iterations
    if result.status == "feasible":
        assert max(errors[-1]) <= 1e-4


def test_solve_rejects_bad_arguments():
    instance = two_zone_instance()
    with pytest.raises(InputError):
        solve(instance, "gurobi")
    with pytest.raises(InputError):
        solve(instance, "admm", backend="mpi")
    with pytest.raises(InputError):
        solve(instance, "highs", backend="ray")


def test_recovered_flows_are_optimal_for_fixed_capacities():
    """Per-slot flow LPs against HiGHS solving the whole joint LP with the capacities fixed."""
    from evcore.joint import build_lp, recover_flows
    from evcore.solvers import Model, solve as solve_model

    instance = random_instance(8, zones=6, slots=8)
    rough = solve(instance, "admm", gap=5e-2)
    flows = recover_flows(instance, rough.capacity_kw)
    check = instance.evaluate(rough.capacity_kw, flows)
    assert check["capacity_kw"] <= 1e-6 and check["supply_ev"] <= 1e-9
    lp = build_lp(instance)
    upper = lp.col_upper.copy()
    lower = lp.col_lower.copy()
    upper[:instance.zones] = lower[:instance.zones] = rough.capacity_kw
    fixed = solve_model(Model(objective=lp.objective, constraint_matrix=lp.constraint_matrix, row_lower=lp.row_lower,
                              row_upper=lp.row_upper, col_lower=lower, col_upper=upper))
    assert check["total_cost"] == pytest.approx(fixed.objective, rel=1e-9)
    polished = solve(instance, "admm", gap=5e-2, polish=True)
    assert polished.total_cost <= rough.total_cost + 1e-6
    assert polished.violation["capacity_kw"] <= 1e-6


@pytest.mark.parametrize("scheme", ["average", "halpern"])
def test_splitting_schemes_reach_the_certified_gap(scheme):
    instance = random_instance(5, zones=8, slots=12)
    central = solve(instance, "highs")
    result = solve(instance, "admm", gap=1e-3, scheme=scheme, max_iterations=200_000)
    assert result.status == "gap_reached" and result.gap <= 1e-3
    assert result.lower_bound <= central.total_cost * (1 + 1e-9) <= result.total_cost * (1 + 2e-9)
    assert result.violation["capacity_kw"] <= 1e-6 and result.violation["supply_ev"] <= 1e-9


def test_certify_gives_a_valid_bound_and_a_feasible_plan():
    from evcore.joint._blocks import BlockLayout, certify
    from evcore.joint.splitting import SplittingProblem

    instance = random_instance(9, zones=7, slots=10)
    optimum = solve(instance, "highs").total_cost
    problem = SplittingProblem.from_instance(instance)
    layout = BlockLayout(problem, 2)
    capacity = 1.05 * problem.demand_kw.max(axis=0)  # serves every slot without flows
    lower, upper, parts = certify(problem, layout, np.zeros((problem.slots, problem.zones)), capacity)
    assert lower <= optimum * (1 + 1e-9) <= upper * (1 + 2e-9)
    plan_capacity = np.concatenate([p[0] for p in parts])
    flows = np.concatenate([p[1] for p in parts], axis=1)
    load = problem.demand_kw.copy()
    np.add.at(load, (slice(None), problem.origin), -flows)
    np.add.at(load, (slice(None), problem.destination), flows)
    assert np.all(load <= plan_capacity[None, :] + 1e-6) and np.all(plan_capacity <= capacity + 1e-9)
    assert np.isclose(upper, problem.cost_per_kw @ plan_capacity + problem.flow_cost(flows))
