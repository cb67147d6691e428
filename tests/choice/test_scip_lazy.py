"""SGI as lazy constraints in SCIP (method "scip-lazy"): against enumeration, SGI and published optima."""

import dataclasses
import sys

import numpy as np
import pytest

from evcore.choice import ChoiceInstance, read_hm14, solve
from evcore.choice._sgi import SGISeparator, base_model, layout_for
from evcore.errors import InfeasibleError, InputError

# Helpers of the neighbouring test modules (pytest puts this folder on sys.path).
from test_sgi import MNL, enumerate_plans, needs_mnl, published_optima, random_instance
from test_stochastic import enumerate_multi_stage, tree_instance

pytest.importorskip("pyscipopt", reason="method 'scip-lazy' needs the optional extra evcore[scip] (pyscipopt)")


def assert_same_answer(lazy, reference, exact=None):
    """scip-lazy's plan is SGI's (or the enumeration's optimum), proven by SCIP's bound."""
    assert lazy.method == "scip-lazy" and lazy.status == "optimal"
    assert lazy.objective == pytest.approx(reference.objective, rel=1e-6)
    if exact is not None:
        assert lazy.objective == pytest.approx(exact, rel=1e-6)
    np.testing.assert_array_equal(lazy.plan, reference.plan)
    np.testing.assert_array_equal(lazy.open_sites, reference.open_sites)
    assert lazy.bound >= lazy.objective
    assert lazy.bound <= lazy.objective * (1 + 1e-5)
    assert lazy.cuts > 0 and lazy.rounds > 0
    assert lazy.size == reference.size  # the same master as SGI


@pytest.mark.parametrize("seed", range(4))
def test_deterministic_with_types_periods_and_budgets_equals_enumeration(seed):
    instance = random_instance(seed)
    lazy = solve(instance, method="scip-lazy", gap=1e-9)
    assert_same_answer(lazy, solve(instance, method="sgi", gap=1e-9), enumerate_plans(instance))
    assert instance.objective(lazy.plan) == pytest.approx(lazy.objective, rel=1e-12)


@pytest.mark.parametrize("seed", range(2))
def test_equal_revenues_use_submodular_cuts_and_equal_enumeration(seed):
    instance = random_instance(seed + 10, sites=5, types=1, periods=2)
    equal = dataclasses.replace(instance, revenue=np.array([1.5]))
    lazy = solve(equal, method="scip-lazy", gap=1e-9)
    # The submodular cut loop has the same master (and cuts) as scip-lazy here.
    assert_same_answer(lazy, solve(equal, method="submodular", gap=1e-9), enumerate_plans(equal))


def test_fixed_number_of_stations_without_budget():
    instance = random_instance(5, sites=6, types=1, periods=1, budget=False)
    lazy = solve(instance, stations=2, method="scip-lazy", gap=1e-9)
    assert_same_answer(lazy, solve(instance, stations=2, method="sgi", gap=1e-9))
    assert lazy.open_sites.size == 2


@pytest.mark.parametrize("seed", range(2))
def test_multi_stage_equals_enumeration(seed):
    instance = tree_instance(seed, branching=(2,), sites=4)
    lazy = solve(instance, model="multi-stage", method="scip-lazy", gap=1e-9)
    assert_same_answer(lazy, solve(instance, model="multi-stage", method="sgi", gap=1e-9),
                       enumerate_multi_stage(instance))


@pytest.mark.parametrize(("seed", "model", "types", "branching"),
                         [(0, "two-stage", 1, (2, 2)), (1, "two-stage", 2, (2, 2)), (2, "multi-stage", 2, (3,))])
def test_stochastic_models_with_several_types_equal_sgi(seed, model, types, branching):
    instance = tree_instance(seed, types=types, branching=branching)
    lazy = solve(instance, model=model, method="scip-lazy", gap=1e-9)
    assert_same_answer(lazy, solve(instance, model=model, method="sgi", gap=1e-9))


@needs_mnl
@pytest.mark.slow
@pytest.mark.parametrize("index", [4, 30, 45, 60])
def test_hm14_published_optima(index):
    """Case 30 needs dual reductions and symmetry handling off, case 45 (beta = 5, utilities down
    to 1e-79) the coefficient tightening: without either SCIP "proved" a far worse plan optimal."""
    row = published_optima()[index]
    instance = read_hm14(MNL / "HM14_800_25.data", float(row["beta"]), float(row["alpha"]))
    lazy = solve(instance, stations=int(row["r"]), method="scip-lazy", time_limit=120)
    assert lazy.status == "optimal"
    assert lazy.objective == pytest.approx(float(row["Z_opt"]), rel=1e-6)
    assert lazy.open_sites.tolist() == [int(s) for s in row["open_locations_0based"].split()]
    assert lazy.bound >= lazy.objective
    # SCIP's own bound certifies the plan (not only the published value).
    assert lazy.gap <= 1e-5


def test_infeasible_planning_rows_raise():
    instance = random_instance(0, sites=4, types=1, periods=1, budget=False)
    existing = np.zeros((4, 1), bool)
    existing[:3] = True  # three stations already stand: exactly two cannot be
    instance = dataclasses.replace(instance, existing=existing)
    with pytest.raises(InfeasibleError):
        solve(instance, stations=2, method="scip-lazy")


def test_missing_pyscipopt_is_a_missing_dependency_error(monkeypatch):
    from evcore.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "pyscipopt", None)  # import pyscipopt now fails
    instance = ChoiceInstance(demand=np.ones((2, 1)), attraction=np.ones((2, 2, 1)), opt_out=np.ones(2),
                              revenue=[1.0])
    with pytest.raises(MissingDependencyError, match=r"evcore\[scip\]"):
        solve(instance, method="scip-lazy")


def test_scip_output_only_with_progress_and_never_on_stdout(capfd):
    instance = random_instance(1)
    quiet = solve(instance, method="scip-lazy", gap=1e-9)
    assert capfd.readouterr() == ("", "")
    loud = solve(instance, method="scip-lazy", gap=1e-9, progress=True)
    captured = capfd.readouterr()
    assert captured.out == ""  # stdout belongs to the CLI's result
    assert "[choice.scip-lazy]" in captured.err and "planes added" in captured.err
    verbose = solve(instance, method="scip-lazy", gap=1e-9, verbose=True)  # SCIP's own log, asked for
    assert "SCIP Status" in capfd.readouterr().out
    assert loud.objective == quiet.objective == verbose.objective  # SCIP is deterministic


def test_tightened_planes_are_valid_at_every_binary_point_and_exact_at_their_anchor():
    """Brute force over every binary x: a tightened plane holds at theta = h(x) (the largest
    revenue x allows) and still cuts off theta above h(x̂) at its anchor x̂; coefficients stay
    within [1e-9, 10] although the raw planes reach far beyond 1e6."""
    import itertools

    from evcore.choice._scip import tighten_rows
    from evcore.choice._sgi import tangent_planes, theta_scale

    rng = np.random.default_rng(4)
    users, sites = 6, 5
    instance = ChoiceInstance(demand=np.ones((users, 1)), attraction=np.exp(rng.normal(0, 8, (users, sites, 2))),
                              opt_out=np.exp(rng.normal(-20, 5, users)), revenue=[1.0, 1.6])
    layout = layout_for(instance, "deterministic")
    milp = base_model(instance, layout, None)
    separator = SGISeparator(instance, layout, gap=1e-9)
    plans = [np.array(bits, float) for bits in itertools.product((0, 1), repeat=layout.num_x)]
    scale = theta_scale(instance, layout)  # the masters hold theta / scale in [0, 1]
    revenue = {i: tangent_planes(instance, x)[0] / scale for i, x in enumerate(plans)}  # h(x) = R(x), per user
    largest = 0.0  # of the raw tangent planes (the rows handed on are safe already)
    for index in range(0, len(plans), 37):
        anchor = plans[index]
        point = np.concatenate([anchor, np.ones(users)])  # theta at its bound violates every plane
        matrix, upper = separator.violated_cuts(point, layout.plan(point))
        assert matrix.shape[0] >= 1  # users whose h is below r̄ at the anchor
        tight, right = tighten_rows(matrix, upper, milp.col_lower, milp.col_upper, np.asarray(milp.integrality, bool))
        largest = max(largest, float(np.abs(tangent_planes(instance, anchor)[1]).max()))
        assert np.abs(tight.data).max() <= 10.0 and np.abs(tight.data).min() >= 1e-9
        for i, x in enumerate(plans):
            assert np.all(tight @ np.concatenate([x, revenue[i]]) <= right + 1e-8)
        above = np.concatenate([anchor, revenue[index] + 1e-6])
        assert np.all(tight @ above > right + 5e-7)
    assert largest > 1e6  # the instance does produce the ill-scaled planes the tightening is for
