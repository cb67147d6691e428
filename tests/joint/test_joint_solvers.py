"""The decompositions against the central optimum on small instances."""

import numpy as np
import pytest

from evcore.errors import InfeasibleError, InputError
from evcore.joint import solve

from _joint_data import random_instance, two_zone_instance

CASES = [dict(seed=0), dict(seed=1, delays=True), dict(seed=2, cap=np.full(6, 900.0)), dict(seed=3, budget=None),
         dict(seed=4, delays=True, cap=np.full(6, 900.0)), dict(seed=5, delays=True, budget=None)]


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


@pytest.mark.parametrize("case", CASES, ids=["plain", "delays", "caps", "budget", "caps-delays", "budget-delays"])
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
    assert "gap" in err and "bound" in err and "objective" in err


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
    from evcore.joint._arrays import kernel_arrays
    from evcore.joint._blocks import BlockLayout
    from evcore.joint._driver import certify

    instance = random_instance(9, zones=7, slots=10)
    optimum = solve(instance, "highs").total_cost
    a = kernel_arrays(instance)
    layout = BlockLayout(a, 2)
    capacity = 1.05 * a.demand_kw.max(axis=0)  # serves every slot without flows
    lower, upper, plan = certify(a, np.zeros((a.slots, a.zones)), capacity, layout)
    assert lower <= optimum * (1 + 1e-9) <= upper * (1 + 2e-9)
    flows = np.concatenate(plan.flow_parts, axis=1)
    load = a.demand_kw.copy()
    np.add.at(load, (slice(None), a.origin), -flows)
    np.add.at(load, (slice(None), a.destination), flows)
    assert np.all(load <= plan.capacity_kw[None, :] + 1e-6) and np.all(plan.capacity_kw <= capacity + 1e-9)
    assert np.isclose(upper, a.cost_per_kw @ plan.capacity_kw + a.flow_cost(flows))


@pytest.mark.parametrize("delays", [False, True])
def test_restricted_plan_is_feasible_and_no_worse_than_the_optimum(delays):
    """The repair LP near an optimal plan: exactly within caps and budget, and optimal again."""
    from evcore.joint._arrays import kernel_arrays
    from evcore.joint._repair import restricted_plan

    instance = _instance(dict(seed=3, budget=None, delays=delays))
    central = solve(instance, "highs")
    a = kernel_arrays(instance)
    perturbed = central.flows * instance.power_per_ev_kw * (1 - 1e-5)  # less flow: a little beyond the budget
    capacity, flows, cost = restricted_plan(a, perturbed)
    check = instance.evaluate(capacity, flows / instance.power_per_ev_kw)
    assert check["budget"] <= 1e-6 * instance.budget and check["capacity_kw"] <= 1e-6
    assert cost >= central.total_cost * (1 - 1e-9)
    assert cost == pytest.approx(check["total_cost"], rel=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("max_columns", [10**9, 60, 0])
def test_certify_from_flows_is_feasible_and_above_the_optimum(seed, max_columns, monkeypatch):
    """Uncapped instances: the restricted LP near perturbed flows (whole, shrunk to fewer slots, or too large
    and skipped) then the slots' exact flows give a feasible plan that costs at least the optimum."""
    from evcore.joint import _driver, _repair
    from evcore.joint._arrays import kernel_arrays
    from evcore.joint._blocks import BlockLayout

    instance = random_instance(seed, zones=7, slots=12)
    central = solve(instance, "highs")
    a = kernel_arrays(instance)
    assert not (a.capped or a.budget_binds or a.has_delays)
    rng = np.random.default_rng(seed)
    flows = central.flows * instance.power_per_ev_kw * rng.uniform(0.9, 1.0, central.flows.shape)
    original = _repair.restricted_plan
    monkeypatch.setattr(_driver, "restricted_plan", lambda a, f, **kw: original(a, f, **{**kw, "max_columns": max_columns}))
    capacity = 1.05 * a.demand_kw.max(axis=0)
    lower, upper, plan = _driver.certify(a, None, capacity, BlockLayout(a, 1), flows)
    assert lower == -np.inf
    assert upper >= central.total_cost * (1 - 1e-9)
    plan_flows = np.concatenate(plan.flow_parts, axis=1) / instance.power_per_ev_kw
    check = instance.evaluate(plan.capacity_kw, plan_flows)
    assert check["capacity_kw"] <= 1e-6 and check["total_cost"] == pytest.approx(upper, rel=1e-9)


@pytest.mark.parametrize("options, field", [(dict(check_every=0), "check_every"), (dict(check_every=2.5), "check_every"),
                                            (dict(scheme="newton"), "scheme"), (dict(eta=-1.0), "eta"),
                                            (dict(eta=float("nan")), "eta"), (dict(certify_every=0), "certify_every"),
                                            (dict(restart_beta=(0.9, 0.2, 0.3)), "restart_beta"),
                                            (dict(certify_within=float("inf")), "certify_within"),
                                            (dict(adaptive_steps="yes"), "adaptive_steps"), (dict(blocks=0), "blocks"),
                                            (dict(feasibility_margin=0.7), "feasibility_margin"),
                                            (dict(max_iterations=-1), "max_iterations"),
                                            (dict(time_limit=float("nan")), "time_limit"), (dict(gap=-1.0), "gap"),
                                            (dict(threads=0), "threads")])
def test_bad_engine_options_are_refused(options, field):
    from evcore.joint.splitting import solve_splitting

    with pytest.raises(InputError, match=field):
        solve_splitting(random_instance(1, zones=4, slots=4), **options)


def test_budget_that_binds_needs_one_block():
    from evcore.joint.splitting import solve_splitting

    with pytest.raises(InputError, match="blocks"):
        solve_splitting(_instance(dict(seed=3, budget=None)), blocks=2, max_iterations=20)


def test_same_answer_for_any_thread_count():
    """Stopped at an iteration limit, the splitting gives bit-for-bit the same plan and bound with 1 and 2
    Numba threads (fixed-order reductions everywhere)."""
    from _fuzz import run_in_subprocess

    code = """
        import json, sys
        sys.path.insert(0, {path!r})
        from _joint_data import random_instance
        from evcore.joint import synthetic_city
        from evcore.joint.splitting import solve_splitting
        out = []
        for instance in (synthetic_city(zones=12, slots=96, seed=3), random_instance(2, zones=6, slots=8, delays=True)):
            r = solve_splitting(instance, gap=0.0, max_iterations=400, check_every=40, threads={threads})
            out.append([r.total_cost, r.lower_bound, float(r.flows.sum()), r.capacity_kw.tolist()])
        print(json.dumps(out))
    """
    import os

    here = os.path.dirname(__file__)
    runs = [run_in_subprocess(code.format(path=here, threads=n), env={"NUMBA_NUM_THREADS": str(n)}) for n in (1, 2)]
    assert runs[0] == runs[1]


def test_adaptive_and_fixed_steps_both_certify():
    instance = random_instance(13, zones=8, slots=12)
    optimum = solve(instance, "highs").total_cost
    for adaptive in (True, False):
        result = solve(instance, "admm", gap=1e-3, adaptive_steps=adaptive)
        assert result.status == "gap_reached"
        assert result.lower_bound <= optimum * (1 + 1e-9) <= result.total_cost * (1 + 2e-9)
        assert "eta" in result.trace.dtype.names


def test_free_assignment_terminates_and_certifies():
    """Zero assignment cost (every arc ties): Michelot's projection must not cycle on rounding."""
    instance = random_instance(1, zones=6, slots=8).replace(cost_per_ev_km=0.0)
    result = solve(instance, "admm", gap=1e-3, max_iterations=20_000)
    assert result.status == "gap_reached"
    assert result.lower_bound <= solve(instance, "highs").total_cost * (1 + 1e-9)
