import numpy as np
import pytest
from scipy.optimize import linprog

from evcore.errors import InfeasibleError
from evcore.joint import build_lp, minimum_budget, solve

from _joint_data import random_instance, two_zone_instance


def test_hand_solved_two_zones():
    result = solve(two_zone_instance(), "highs")
    assert result.status == "optimal"
    assert result.total_cost == pytest.approx(5010.0)
    assert result.investment_cost == pytest.approx(5000.0)
    assert result.assignment_cost == pytest.approx(10.0)
    assert result.capacity_kw == pytest.approx([0.0, 10.0], abs=1e-7)
    assert result.lower_bound == pytest.approx(result.total_cost)
    # Shadow prices of the capacity rows: one more kW of demand at B costs its 500 per kW once
    # spread over the slots where B is at its peak (both slots here); together they sum to 500.
    assert result.shadow_price_per_kw[1].sum() == pytest.approx(500.0)
    assert result.utilisation[1].max() == pytest.approx(1.0)


def test_without_assignment_range_is_the_base_model():
    result = solve(two_zone_instance().with_range(0.0), "highs")
    assert result.total_cost == pytest.approx(15000.0)


def test_budget_too_small_says_by_how_much():
    with pytest.raises(InfeasibleError, match=r"short by 1000\b"):
        solve(two_zone_instance(budget=4000.0), "highs")
    assert minimum_budget(two_zone_instance()) == pytest.approx(5000.0)


def test_caps_that_cannot_serve_demand_are_infeasible():
    instance = two_zone_instance().replace(max_capacity_kw=[4.0, 4.0])
    with pytest.raises(InfeasibleError, match="max_capacity_kw"):
        solve(instance, "highs")


def _linprog_reference(instance):
    """The joint LP written independently with Python loops over (t, i, j), solved by linprog."""
    zones, slots = instance.zones, instance.slots
    beta = instance.power_per_ev_kw
    a = instance.demand_ev
    arcs = [(i, j) for i in range(zones) for j in range(zones)
            if i != j and instance.distance_km[i, j] <= instance.range_km]
    n = zones + slots * len(arcs)
    col = {(t, i, j): zones + t * len(arcs) + k for t in range(slots) for k, (i, j) in enumerate(arcs)}
    cost = np.zeros(n)
    cost[:zones] = instance.base_cost_per_kw + instance.location_cost_per_kw
    for (t, i, j), c in col.items():
        cost[c] = instance.recurrences[t] * instance.cost_per_ev_km * instance.distance_km[i, j]
    rows, rhs = [], []
    rows.append(np.concatenate([cost[:zones], np.zeros(n - zones)]))
    rhs.append(instance.budget)
    for t in range(slots):
        for i in range(zones):
            supply = np.zeros(n)
            capacity = np.zeros(n)
            capacity[i] = -1.0
            for (tt, o, d), c in col.items():
                if o == i and tt == t:
                    supply[c] = 1.0
                    capacity[c] -= beta
                if d == i and (tt + instance.travel_delay_slots[o, d]) % slots == t:
                    capacity[c] += beta
            rows += [supply, capacity]
            rhs += [a[i, t], -beta * a[i, t]]
    bounds = [(0, None if np.isinf(u) else u) for u in instance.max_capacity_kw] + [(0, None)] * (n - zones)
    return linprog(cost, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")


@pytest.mark.parametrize("seed,delays", [(0, False), (1, True), (2, True)])
def test_against_scipy_linprog(seed, delays):
    instance = random_instance(seed, zones=5, slots=6, delays=delays, cap=np.full(5, 2000.0) if seed == 2 else None)
    reference = _linprog_reference(instance)
    assert reference.status == 0
    result = solve(instance, "highs", solver="simplex")
    assert result.total_cost == pytest.approx(reference.fun, rel=1e-8)
    assert max(result.violation.values()) <= 1e-6


def test_lp_is_assembled_in_bulk_with_expected_size():
    instance = random_instance(4, zones=6, slots=5)
    model = build_lp(instance)
    pairs = instance.pairs.count
    assert model.num_cols == 6 + 5 * pairs
    assert model.num_rows == 2 * 6 * 5 + 1
    assert model.constraint_matrix.nnz == 6 * 5 + 3 * 5 * pairs + 6


@pytest.mark.parametrize("solver", ["ipm"])
def test_selectable_highs_solvers_agree(solver):
    instance = random_instance(5, zones=5, slots=4)
    exact = solve(instance, "highs", solver="simplex")
    other = solve(instance, "highs", solver=solver)
    assert other.total_cost == pytest.approx(exact.total_cost, rel=1e-3 if solver == "pdlp" else 1e-6)
