"""Hostile inputs for every public entry of evcore.choice: only evcore errors escape, nothing bad is kept.

Constructors (ChoiceInstance, ScenarioTree, growth_tree, path_tree, synthetic_city, random_hm14,
hm14_instance), the model functions (captured_revenue, ChoiceInstance.objective), the solve
entries (solve with limits, seeds, methods, models and options; perfect_information_bound) and
the readers (evcore.io.hm14 read/count_blocks, read_hm14, evcore.io.trois_rivieres) with
garbage files. Determinism: generators and solves give the same answer for a seed, whatever the
Numba thread count (subprocesses with NUMBA_NUM_THREADS=1 and 2).
"""

import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fuzz import (HOSTILE_SCALARS, assert_refused_or_valid, garbage_bytes, hostile_arrays, hostile_counts,
                   hostile_scalars, hostile_seeds, hostile_time_limits, run_in_subprocess)
from evcore import choice
from evcore.choice import ChoiceInstance, ScenarioTree
from evcore.io import hm14 as hm14_io
from evcore.results import STATUSES

PART = "choice"
#: Examples per property (EVCORE_FUZZ_EXAMPLES raises it for a longer hunt).
EXAMPLES = int(os.environ.get("EVCORE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FEW = settings(max_examples=max(EXAMPLES // 3, 10), deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NODES, SITES, TYPES, PERIODS = 3, 2, 2, 2
GOOD = dict(demand=np.ones((NODES, PERIODS)), attraction=np.ones((NODES, SITES, TYPES)), opt_out=np.ones(NODES),
            revenue=np.ones(TYPES), cost=np.ones((SITES, TYPES)), budget=np.full(PERIODS, 5.0))
SHAPES = dict(demand=(NODES, PERIODS), attraction=(NODES, SITES, TYPES), opt_out=(NODES,), revenue=(TYPES,),
              cost=(SITES, TYPES), budget=(PERIODS,))
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "trois-rivieres"


def _is_real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _is_count(value):
    return _is_real(value) and float(value).is_integer()


def _instance_is_sound(instance):
    arrays = (instance.demand, instance.attraction, instance.opt_out, instance.revenue, instance.cost)
    return (all(a.dtype == np.float64 and np.isfinite(a).all() and (a >= 0).all() for a in arrays)
            and (instance.opt_out > 0).all()
            and (instance.budget is None or (np.isfinite(instance.budget).all() and (instance.budget >= 0).all()))
            and instance.existing.dtype == bool
            and len(instance.site_ids) == instance.sites and len(instance.type_ids) == instance.types)


def _tree_is_sound(tree):
    return (np.isfinite(tree.demand).all() and (tree.demand >= 0).all() and tree.stages >= 1
            and abs(tree.probability[tree.scenarios].sum() - 1.0) < 1e-9)


def _result_is_sound(result):
    return (result.status in STATUSES and math.isfinite(result.objective)
            and (result.bound is None or result.bound >= result.objective)
            and (result.status != "optimal" or result.gap <= choice.OPTIMALITY_GAP)
            and result.plan is not None and result.plan.dtype == bool)


# -- constructors -------------------------------------------------------------------------------
@FUZZ
@given(field=st.sampled_from(sorted(SHAPES)), data=st.data())
def test_instance_arrays(field, data):
    value = data.draw(hostile_arrays(SHAPES[field]))
    assert_refused_or_valid(PART, ChoiceInstance, **dict(GOOD, **{field: value}), accept=_instance_is_sound)


@FUZZ
@given(value=st.one_of(
    st.sampled_from([[[0.5, 0]] * SITES, [[math.nan, 0]] * SITES, [["yes", 0]] * SITES, [[2, 0]] * SITES,
                     [[-1, 0]] * SITES, [[1 + 1j, 0]] * SITES, [[1, 0], [0]], "yes", 1, None, [[True, True]] * SITES,
                     np.ones((SITES, TYPES + 1)), np.ones((SITES + 1, TYPES)), np.zeros((0,))]),
    st.lists(st.lists(st.one_of(st.integers(-2, 2), st.floats(), st.booleans(), st.text(max_size=2)),
                      min_size=TYPES, max_size=TYPES), min_size=SITES, max_size=SITES)))
def test_existing_flags(value):
    """12.8c: ``existing=[[0.5], [0], [0]]``, NaN, "yes", 2 never become True."""
    def accept(instance):
        if value is None:  # the default: nothing standing
            return not instance.existing.any()
        raw = np.asarray(value, dtype=object)
        exact = all(isinstance(v, (bool, np.bool_)) or (_is_real(v) and v in (0, 1)) for v in raw.reshape(-1))
        return (exact and _instance_is_sound(instance) and raw.shape == (SITES, TYPES)
                and np.array_equal(instance.existing, raw.astype(float) == 1.0)
                and (instance.existing.sum(axis=1) <= 1).all())

    assert_refused_or_valid(PART, ChoiceInstance, **GOOD, existing=value, accept=accept)


@FUZZ
@given(field=st.sampled_from(["site_ids", "type_ids"]),
       ids=st.one_of(st.lists(st.one_of(st.text(max_size=3), st.integers(-5, 5), st.floats(), st.booleans(),
                                        st.none()), min_size=0, max_size=3), st.sampled_from(HOSTILE_SCALARS)))
def test_instance_ids(field, ids):
    def accept(instance):
        labels = getattr(instance, field)
        return len(set(labels)) == len(labels) and all(isinstance(s, str) and s.strip() for s in labels)

    assert_refused_or_valid(PART, ChoiceInstance, **GOOD, **{field: ids}, accept=accept)


@FUZZ
@given(name=st.one_of(hostile_scalars(), st.text(max_size=5)), tree=st.sampled_from([None, 3, "tree", np.ones(3)]))
def test_instance_name_and_tree(name, tree):
    assert_refused_or_valid(PART, ChoiceInstance, **GOOD, name=name, tree=tree,
                            accept=lambda instance: isinstance(name, str) and tree is None)


TREE = dict(stage=[0, 1, 1], parent=[-1, 0, 0], probability=[1.0, 0.5, 0.5], demand=np.ones((3, NODES)))


@FUZZ
@given(field=st.sampled_from(sorted(TREE)), data=st.data())
def test_scenario_tree_fields(field, data):
    shape = np.shape(TREE[field])
    value = data.draw(st.one_of(hostile_arrays(shape), st.sampled_from(
        [[0, 0, 1], [-1, -1, 0], [0, 1, 2], [1.0, 0.7, 0.3], [1.0, 0.5, 0.6], [0.5, 1, 1], [-1, 0, 5]])))

    def accept(tree):
        return _tree_is_sound(tree) and _is_real(np.asarray(value).reshape(-1)[0])

    assert_refused_or_valid(PART, ScenarioTree, **dict(TREE, **{field: value}), accept=accept)


@FUZZ
@given(base=st.one_of(hostile_arrays((NODES,)), st.just(np.ones(NODES))),
       branching=st.one_of(st.sampled_from([(2,), (2, 2), (0,), (-1,), (1.5,), ("2",), (True,), (), (10**6, 10**6),
                                            None, "2,2", 2]), st.lists(st.integers(-1, 3), max_size=3)),
       mean=st.one_of(hostile_scalars(), st.just(0.4)), sd=st.one_of(hostile_scalars(), st.just(0.1)),
       seed=st.one_of(hostile_seeds(), st.integers(0, 3)))
def test_growth_tree(base, branching, mean, sd, seed):
    def accept(tree):
        return (_tree_is_sound(tree) and _is_real(mean) and _is_real(sd) and sd >= 0
                and (seed is None or _is_count(seed)) and tree.demand.shape[1] == np.size(base))

    assert_refused_or_valid(PART, choice.growth_tree, base, branching, growth_mean=mean, growth_sd=sd, seed=seed,
                            accept=accept)


@FUZZ
@given(demand=hostile_arrays((NODES, PERIODS)))
def test_path_tree(demand):
    assert_refused_or_valid(PART, choice.path_tree, demand, accept=_tree_is_sound)


@FEW
@given(users=st.one_of(hostile_counts(), st.integers(1, 6)), sites=st.one_of(hostile_counts(), st.integers(1, 4)),
       types=st.one_of(hostile_counts(), st.integers(1, 3)), years=st.one_of(hostile_counts(), st.integers(1, 3)),
       seed=st.one_of(hostile_seeds(), st.integers(0, 3)))
def test_synthetic_city_sizes_and_seeds(users, sites, types, years, seed):
    def accept(city):
        instance = city.instance
        return (all(_is_count(v) for v in (users, sites, types, years)) and (seed is None or _is_count(seed))
                and (instance.nodes, instance.sites, instance.types, instance.periods) == (users, sites, types, years)
                and _instance_is_sound(instance))

    assert_refused_or_valid(PART, choice.synthetic_city, users, sites, types, years, seed=seed, accept=accept)


@FEW
@given(field=st.sampled_from(["city_km", "distance_coefficient", "station_cost", "outlet_cost", "budget",
                              "growth_mean", "growth_sd", "subcentre", "branching"]),
       value=st.one_of(hostile_scalars(), st.sampled_from([(2, 2), (2,), (0, 2), "2,2"])))
def test_synthetic_city_options(field, value):
    def accept(city):
        if field == "subcentre":
            return isinstance(value, (bool, np.bool_))
        if field == "branching":
            return _instance_is_sound(city.instance)
        return _is_real(value) and math.isfinite(value) and _instance_is_sound(city.instance)

    assert_refused_or_valid(PART, choice.synthetic_city, 5, 3, 2, 3, **{field: value}, accept=accept)


@FEW
@given(customers=st.one_of(hostile_counts(), st.integers(1, 5)), candidates=st.one_of(hostile_counts(),
                                                                                      st.integers(1, 4)),
       competitors=st.one_of(hostile_counts(), st.integers(1, 2)), seed=st.one_of(hostile_seeds(), st.integers(0, 3)),
       square=st.one_of(hostile_scalars(), st.just(10.0)))
def test_random_hm14(customers, candidates, competitors, seed, square):
    def accept(data):
        return (all(_is_count(v) and v >= 1 for v in (customers, candidates, competitors)) and _is_real(square)
                and square > 0 and math.isfinite(square) and data.candidate.shape == (candidates, customers)
                and np.isfinite(data.candidate).all())

    assert_refused_or_valid(PART, choice.random_hm14, customers, candidates, competitors, seed=seed, square=square,
                            accept=accept)


@FUZZ
@given(beta=st.one_of(hostile_scalars(), st.floats(-5, 50)), alpha=st.one_of(hostile_scalars(), st.floats(-2, 2)))
def test_hm14_instance_utilities(beta, alpha):
    data = choice.random_hm14(6, 4, 2, seed=0)
    assert_refused_or_valid(PART, choice.hm14_instance, data, beta, alpha,
                            accept=lambda inst: _is_real(beta) and _is_real(alpha) and _instance_is_sound(inst))


# -- model functions ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def instance():
    return choice.synthetic_city(6, 3, 2, 3, branching=(2, 2), seed=1).instance


@FUZZ
@given(data=st.data())
def test_captured_revenue_and_objective(instance, data):
    stations = data.draw(st.one_of(hostile_arrays((instance.sites, instance.types)),
                                   st.just(np.full((instance.sites, instance.types), 0.5)),
                                   st.just(np.ones((instance.sites, instance.types)))))
    assert_refused_or_valid(PART, choice.captured_revenue, instance, stations,
                            accept=lambda rate: rate.shape == (instance.nodes,) and np.isfinite(rate).all()
                            and (rate >= 0).all() and np.all((np.asarray(stations) >= 0) & (np.asarray(stations) <= 1)))
    plan = data.draw(st.one_of(hostile_arrays((instance.sites, instance.types, instance.periods)),
                               st.just(np.full((instance.sites, instance.types, instance.periods), 0.5))))
    assert_refused_or_valid(PART, instance.objective, plan, accept=lambda value: math.isfinite(value) and np.all(
        np.isin(np.asarray(plan, dtype=float), (0.0, 1.0))))


# -- solve entries ------------------------------------------------------------------------------
@FEW
@given(time_limit=st.one_of(hostile_time_limits(), st.just(None)), seed=st.one_of(hostile_seeds(), st.just(0)),
       max_iterations=st.one_of(hostile_counts(), st.just(None), st.just(3)))
def test_solve_limits_and_seeds(instance, time_limit, seed, max_iterations):
    def accept(result):
        return (time_limit is None and (seed is None or _is_count(seed))
                and (max_iterations is None or _is_count(max_iterations)) and _result_is_sound(result))

    assert_refused_or_valid(PART, choice.solve, instance, time_limit=time_limit, seed=seed,
                            max_iterations=max_iterations, accept=accept)


@FEW
@given(method=st.one_of(st.sampled_from(["best", "search", "branch-and-cut", "sgi", "r1", "r4", "submodular",
                                         "nope", "", None, 3, True]), hostile_scalars()),
       model=st.one_of(st.sampled_from(["deterministic", "two-stage", "multi-stage", "stochastic", ""]),
                       hostile_scalars()),
       option=st.sampled_from(["stations", "gap", "clusters", "max_options", "lp_rounds", "r4_scale", "bogus",
                               "max_rounds", "verbose"]),
       value=st.one_of(hostile_scalars(), st.sampled_from([1, 2, 1e-6])))
def test_solve_methods_models_options(instance, method, model, option, value):
    def accept(result):
        return (isinstance(method, str) and method in choice.AVAILABLE_METHODS and isinstance(model, str)
                and model in choice.AVAILABLE_MODELS and option != "bogus" and _result_is_sound(result))

    assert_refused_or_valid(PART, choice.solve, instance, method, model=model, time_limit=20, **{option: value},
                            accept=accept)


@FEW
@given(args=st.sampled_from([(), (2,), (2, "multi-stage"), (1.5,), ("x",), (None, "two-stage", "sgi", 5.0),
                             (2, "deterministic", "best", -1), (2, 3, 4, 5, 6)]))
def test_solve_old_positional_order(instance, args):
    assert_refused_or_valid(PART, choice.solve, instance, *args, accept=_result_is_sound)


@FEW
@given(stations=st.one_of(hostile_counts(), st.just(None), st.just(1)), gap=st.one_of(hostile_scalars(),
                                                                                   st.just(1e-6)))
def test_perfect_information_bound(instance, stations, gap):
    def accept(bound):
        return _is_real(gap) and gap >= 1e-9 and math.isfinite(bound) and (stations is None or _is_count(stations))

    assert_refused_or_valid(PART, choice.perfect_information_bound, instance, stations=stations, gap=gap,
                            accept=accept)


def test_bad_instance_types_are_refused():
    for bad in (None, 3, "instance", np.ones(3), choice.synthetic_city(3, 2, 1, 2, seed=0)):
        assert_refused_or_valid(PART, choice.solve, bad, accept=lambda r: False)
        assert_refused_or_valid(PART, choice.perfect_information_bound, bad, accept=lambda r: False)
    no_tree = ChoiceInstance(**GOOD)
    assert_refused_or_valid(PART, choice.solve, no_tree, model="multi-stage", accept=lambda r: False)
    assert_refused_or_valid(PART, choice.perfect_information_bound, no_tree, accept=lambda r: False)


# -- readers ------------------------------------------------------------------------------------
@FUZZ
@given(content=st.one_of(garbage_bytes(), st.sampled_from([b"1 1 1\n1\n-1\n", b"2 1 1\n1 1\n-1 -2\n-3\n",
                                                            b"1 1 1\n1 -1 -2 3\n", b"1 1 1\n1\n-1\n-2\n1 1 1\n"])),
       block=st.one_of(st.sampled_from([0, 1, -1, 1.5, True, "0", None]), st.integers(0, 2)))
def test_hm14_reader_on_garbage(tmp_path_factory, content, block):
    path = tmp_path_factory.mktemp("hm14") / "case.data"
    path.write_bytes(content)

    def accept(data):
        return (_is_count(block) and np.isfinite(data.candidate).all() and np.isfinite(data.competitor).all()
                and data.weights.shape[0] == data.candidate.shape[1])

    assert_refused_or_valid(PART, hm14_io.read, path, block=block, accept=accept)
    assert_refused_or_valid(PART, hm14_io.count_blocks, path, accept=lambda n: isinstance(n, int) and n >= 0)
    assert_refused_or_valid(PART, choice.read_hm14, path, 1.0, 0.1, accept=_instance_is_sound)


@FEW
@given(path=st.sampled_from(["", "/nonexistent/x.data", "/dev/null", "/", 3, None, b"\x00"]))
def test_hm14_reader_on_odd_paths(path):
    assert_refused_or_valid(PART, hm14_io.read, path, accept=lambda data: False)


@pytest.mark.skipif(not DATA.is_dir(), reason="Trois-Rivieres data not found (../shared/data/trois-rivieres)")
@FEW
@given(name=st.sampled_from(["ListNodes.json", "Stations_Simple.json", "UserClasses_Simple.json",
                             "GrowthFunction_Simple.txt"]),
       content=st.one_of(garbage_bytes(), st.sampled_from([b"[]", b"{}", b"null", b"[1, 2", b'{"0": {}}',
                                                          b'[{"Location": "x"}]', b"NaN", b"1e400"])),
       years=st.one_of(st.sampled_from([1, 4, 0, -1, 2.5, True, "4"]), st.integers(1, 6)))
def test_trois_rivieres_reader_on_garbage(tmp_path_factory, name, content, years):
    from evcore.io import trois_rivieres

    folder = tmp_path_factory.mktemp("tr")
    for part in ("ListNodes.json", "Stations_Simple.json", "UserClasses_Simple.json", "GrowthFunction_Simple.txt"):
        shutil.copyfile(DATA / part, folder / part)  # into a temporary folder, never into the project
    (folder / name).write_bytes(content)
    assert_refused_or_valid(PART, trois_rivieres.read, folder, "Simple", years=years, accept=lambda raw: False)
    assert_refused_or_valid(PART, choice.read_trois_rivieres, folder, "Simple", years=years,
                            accept=lambda inst: False)


@FEW
@given(variant=st.one_of(st.sampled_from(["Simple", "Distance", "simple", "", None, 3]), hostile_scalars()),
       years=st.one_of(hostile_counts(), st.sampled_from([1, 4])), budgets=hostile_arrays((4,)))
def test_trois_rivieres_arguments(tmp_path_factory, variant, years, budgets):
    folder = DATA if DATA.is_dir() else tmp_path_factory.mktemp("empty")

    def accept(instance):
        return (DATA.is_dir() and variant in ("Simple", "Distance") and _is_count(years) and years == 4
                and _instance_is_sound(instance))

    assert_refused_or_valid(PART, choice.read_trois_rivieres, folder, variant, years=years, budgets=budgets,
                            accept=accept)


# -- determinism across Numba thread counts ----------------------------------------------------
DETERMINISM = """
import json
import numpy as np
from evcore.choice import growth_tree, random_hm14, hm14_instance, solve, synthetic_city
city = synthetic_city(10, 4, 2, 3, branching=(2, 2), seed=7)
tree = growth_tree(np.arange(1.0, 6.0), (3, 2), seed=4, growth_sd=0.2)
data = random_hm14(40, 9, 2, seed=3)
out = {"attraction": city.instance.attraction.sum(), "tree": tree.demand.sum(),
       "hm14": float(data.candidate.sum())}
for method in ("best", "branch-and-cut"):  # an iteration limit, not a time limit: both repeatable
    r = solve(city.instance, method, model="multi-stage", max_iterations=300)
    out[method] = [r.status, r.objective, r.bound, r.plan.astype(int).tolist(), r.iterations]
r = solve(hm14_instance(data, 5.0, 0.1), "best", stations=4)
out["hm14 best"] = [r.objective, r.bound, r.open_site_ids]
print(json.dumps(out, default=float))
"""


@pytest.mark.slow
def test_same_answer_with_one_and_two_numba_threads():
    one = run_in_subprocess(DETERMINISM, env={"NUMBA_NUM_THREADS": "1"})
    two = run_in_subprocess(DETERMINISM, env={"NUMBA_NUM_THREADS": "2"})
    again = run_in_subprocess(DETERMINISM, env={"NUMBA_NUM_THREADS": "2"})
    assert one == two == again
