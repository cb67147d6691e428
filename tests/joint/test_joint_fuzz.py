"""Hostile inputs for every public entry of evcore.joint: only evcore errors escape, nothing bad is kept.

Constructors (JointInstance, synthetic_city, sample_charging_share, location_cost_by_distance), the
solve entry (limits, seeds, threads, method options), recover_flows, range_sweep, the trip pipeline
(trips_to_model_data with poisoned columns) and the readers (read_trips, read_centroids) with garbage
files. Determinism: the synthetic city and the Beta shares are the same for a seed, whatever the
Numba thread count.
"""

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fuzz import (HOSTILE_SCALARS, assert_refused_or_valid, garbage_bytes, hostile_arrays, hostile_counts,
                   hostile_scalars, hostile_seeds, hostile_time_limits, run_in_subprocess)
from _joint_data import random_instance
from evcore import joint
from evcore.joint import JointInstance
from evcore.results import STATUSES

PART = "joint"
#: Examples per property (EVCORE_FUZZ_EXAMPLES raises it for a longer hunt).
EXAMPLES = int(os.environ.get("EVCORE_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
ZONES, SLOTS = 3, 4
GOOD = dict(traffic_flow=np.ones((ZONES, SLOTS)), charging_share=np.full((ZONES, SLOTS), 0.1),
            distance_km=np.ones((ZONES, ZONES)), location_cost_per_kw=np.zeros(ZONES), budget=1e6)
SHAPES = dict(traffic_flow=(ZONES, SLOTS), charging_share=(ZONES, SLOTS), distance_km=(ZONES, ZONES),
              location_cost_per_kw=(ZONES,), recurrences=(SLOTS,), max_capacity_kw=(ZONES,),
              travel_delay_slots=(ZONES, ZONES), zone_centroids=(ZONES, 2))
SCALARS = ("budget", "base_cost_per_kw", "power_per_ev_kw", "cost_per_ev_km", "range_km", "recurrences")


def _is_real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _instance_is_sound(instance):
    """What a returned instance must satisfy whatever it was given."""
    arrays = (instance.traffic_flow, instance.charging_share, instance.location_cost_per_kw, instance.recurrences)
    return (all(np.isfinite(a).all() and (a >= 0).all() for a in arrays)
            and ((instance.charging_share >= 0) & (instance.charging_share <= 1)).all()
            and not np.isnan(instance.distance_km).any() and (instance.distance_km >= 0).all()
            and instance.budget > 0 and instance.power_per_ev_kw > 0 and math.isfinite(instance.power_per_ev_kw)
            and instance.range_km >= 0 and not np.isnan(instance.max_capacity_kw).any()
            and (instance.cost_per_kw > 0).all() and len(instance.zone_ids) == instance.zones)


@FUZZ
@given(field=st.sampled_from(sorted(SHAPES)), data=st.data())
def test_instance_arrays(field, data):
    value = data.draw(hostile_arrays(SHAPES[field]))
    assert_refused_or_valid(PART, JointInstance, **dict(GOOD, **{field: value}), accept=_instance_is_sound)


@FUZZ
@given(field=st.sampled_from(SCALARS), value=hostile_scalars())
def test_instance_scalars(field, value):
    def accept(instance):
        kept = getattr(instance, field)
        kept = float(np.unique(kept)[0]) if isinstance(kept, np.ndarray) else kept
        return _instance_is_sound(instance) and _is_real(value) and kept == float(value)

    assert_refused_or_valid(PART, JointInstance, **dict(GOOD, **{field: value}), accept=accept)


@FUZZ
@given(ids=st.one_of(st.lists(st.one_of(st.text(max_size=3), st.integers(-5, 5), st.floats(), st.booleans(),
                                        st.none()), min_size=0, max_size=4), st.sampled_from(HOSTILE_SCALARS)))
def test_instance_zone_ids(ids):
    def accept(instance):
        return (len(set(instance.zone_ids)) == ZONES and all(
            isinstance(z, (str, int)) and not isinstance(z, bool) for z in instance.zone_ids)
            and all(isinstance(z, int) or z.strip() for z in instance.zone_ids))

    assert_refused_or_valid(PART, JointInstance, **dict(GOOD, zone_ids=ids), accept=accept)


@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None)
@given(zones=st.one_of(hostile_counts(), st.integers(2, 4)), slots=st.one_of(hostile_counts(), st.sampled_from([24])),
       seed=st.one_of(hostile_seeds(), st.integers(0, 3)))
def test_synthetic_city_sizes_and_seeds(zones, slots, seed):
    def accept(instance):
        return (_is_real(zones) and int(zones) == zones == instance.zones and _is_real(slots) and slots == instance.slots
                and (seed is None or _is_real(seed) and int(seed) == seed) and _instance_is_sound(instance))

    assert_refused_or_valid(PART, joint.synthetic_city, zones=zones, slots=slots, seed=seed, trips=400,
                            accept=accept)


@FUZZ
@given(zones=st.one_of(hostile_counts(), st.integers(1, 3)), seed=st.one_of(hostile_seeds(), st.integers(0, 9)),
       a=st.one_of(hostile_scalars(), st.floats(0.1, 50)), b=st.one_of(hostile_scalars(), st.floats(0.1, 50)))
def test_charging_share_sampler(zones, seed, a, b):
    def accept(share):
        return (all(_is_real(v) for v in (zones, a, b)) and (seed is None or _is_real(seed)) and a > 0 and b > 0
                and share.shape == (zones, 5)
                and ((share >= 0) & (share <= 1)).all())

    assert_refused_or_valid(PART, joint.sample_charging_share, zones, 5, seed, a, b, accept=accept)


@FUZZ
@given(centroids=hostile_arrays((3, 2)), peak=hostile_scalars(), decay=hostile_scalars())
def test_location_cost(centroids, peak, decay):
    def accept(cost):
        return _is_real(peak) and _is_real(decay) and peak >= 0 and decay > 0 and np.isfinite(cost).all()

    assert_refused_or_valid(PART, joint.location_cost_by_distance, centroids, peak_cost_per_kw=peak,
                            decay_km=decay, accept=accept)


@pytest.fixture(scope="module")
def tiny():
    return random_instance(3, zones=3, slots=3)


def _limits_kept(time_limit, max_iterations):
    def accept(result):
        ok_time = time_limit is None or (_is_real(time_limit) and time_limit > 0)
        ok_iterations = max_iterations is None or (_is_real(max_iterations) and max_iterations >= 1
                                                   and int(max_iterations) == max_iterations)
        return ok_time and ok_iterations and result.status in STATUSES
    return accept


@FUZZ
@given(method=st.sampled_from(["highs", "admm", "paper-admm"]), time_limit=st.one_of(hostile_time_limits(),
                                                                                   st.just(None)),
       max_iterations=st.one_of(st.sampled_from([None, 0, -1, 2.5, "3", True, math.nan, 2**70]), st.integers(1, 50)),
       seed=st.one_of(hostile_seeds(), st.just(None)))
def test_solve_limits_and_seeds(tiny, method, time_limit, max_iterations, seed):
    kwargs = dict(time_limit=time_limit, seed=seed)
    if method != "highs":
        kwargs["max_iterations"] = max_iterations

    def accept(result):
        return (_limits_kept(time_limit, kwargs.get("max_iterations"))(result)
                and (seed is None or (_is_real(seed) and isinstance(seed, (int, np.integer)) and seed >= 0)))

    assert_refused_or_valid(PART, joint.solve, tiny, method, accept=accept, **kwargs)


OPTIONS = {"highs": ("solver", "threads", "verbose"), "admm": ("gap", "threads", "check_every", "scheme", "polish",
                                                              "backend", "colour"),
           "paper-admm": ("rho", "threshold", "threads", "gap")}


@FUZZ
@given(method=st.sampled_from(sorted(OPTIONS)), data=st.data(), value=st.one_of(hostile_scalars(),
                                                                                  st.sampled_from(["average", "ipm"])))
def test_solve_method_options(tiny, method, data, value):
    name = data.draw(st.sampled_from(OPTIONS[method]))

    def accept(result):
        if name == "threads" and value is None:
            return True  # automatic
        if name in ("threads", "check_every"):
            return _is_real(value) and int(value) == value and value >= 1
        if name in ("gap", "threshold"):
            return _is_real(value) and 0 <= value < math.inf
        if name == "rho":
            return _is_real(value) and 0 < value < math.inf
        if name in ("verbose", "polish"):
            return value in (0, 1, True, False) and not isinstance(value, float)
        if name == "scheme":
            return value in ("average", "halpern")
        if name == "solver":
            return value in ("choose", "simplex", "ipm", "pdlp")
        return False  # backend (local is the default, hostile values are not) and unknown options

    assert_refused_or_valid(PART, joint.solve, tiny, method, accept=accept, **{name: value})


@FUZZ
@given(capacity=hostile_arrays((3,)))
def test_recover_flows(tiny, capacity):
    def accept(flows):
        arr = np.asarray(capacity, dtype=float)
        return arr.shape == (3,) and np.isfinite(arr).all() and (arr >= 0).all() and np.isfinite(flows).all()

    assert_refused_or_valid(PART, joint.recover_flows, tiny, capacity, accept=accept)


@settings(max_examples=max(EXAMPLES // 4, 10), deadline=None)
@given(ranges=st.one_of(hostile_arrays((2,)), st.sampled_from([[], "x", None, [0, "1"], [True]])))
def test_range_sweep(tiny, ranges):
    from evcore.joint.analysis import range_sweep

    def accept(out):
        arr = np.asarray(ranges, dtype=float)
        return arr.ndim == 1 and arr.size and not np.isnan(arr).any() and (arr >= 0).all()

    assert_refused_or_valid(PART, range_sweep, tiny, ranges, accept=accept)


CENTROIDS = np.array([[30.60, 104.00], [30.60, 104.05], [30.65, 104.00]])
COLUMNS = ("origin_lat", "origin_lon", "dest_lat", "dest_lon", "start_time", "distance_km")


def _trip_table():
    return {"origin_lat": np.array([30.601, 30.60, 30.649]), "origin_lon": np.array([104.001, 104.049, 104.0]),
            "dest_lat": np.array([30.60, 30.60, 30.60]), "dest_lon": np.array([104.05, 104.001, 104.0]),
            "start_time": np.array(["2016-11-21 00:05", "2016-11-21 00:20", "2016-11-27 23:59"], dtype=object),
            "distance_km": np.array([6.0, 4.0, 7.0])}


@FUZZ
@given(column=st.sampled_from(COLUMNS), values=st.one_of(
    hostile_arrays((3,)), st.lists(hostile_scalars(), min_size=3, max_size=3).map(lambda v: np.array(v, dtype=object)),
    st.lists(st.text(max_size=20), min_size=3, max_size=3).map(lambda v: np.array(v, dtype=object))),
    on_bad=st.sampled_from(["report", "raise"]))
def test_trip_pipeline_with_poisoned_columns(column, values, on_bad):
    import warnings

    table = dict(_trip_table(), **{column: values})

    def accept(data):
        # Whatever was kept is numbers, and every row is either counted or reported as bad.
        report = data.report
        return (np.isfinite(data.traffic_flow).all() and report.used + report.bad == report.rows
                and data.traffic_flow.sum() == report.used and (on_bad == "report" or report.bad == 0)
                and np.all(data.distance_km[data.observed] >= 0))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert_refused_or_valid(PART, joint.trips_to_model_data, table, CENTROIDS, on_bad=on_bad, accept=accept)


@FUZZ
@given(content=garbage_bytes(), suffix=st.sampled_from([".csv", ".parquet", ".csv.gz"]))
def test_trip_readers_with_garbage_files(tmp_path_factory, content, suffix):
    folder = tmp_path_factory.mktemp("garbage")
    path = folder / f"trips{suffix}"
    path.write_bytes(content)

    def accept(table):  # a readable table: columns of one length
        return isinstance(table, dict) and len({len(v) for v in table.values()}) <= 1

    table = assert_refused_or_valid(PART, joint.read_trips, path, accept=accept)
    if table is not None:
        assert_refused_or_valid(PART, joint.trips_to_model_data, table, CENTROIDS)
    centroids = folder / "zones.csv"
    centroids.write_bytes(content)
    assert_refused_or_valid(PART, joint.read_centroids, centroids,
                            accept=lambda c: len(c.zone_id) >= 1 and np.isfinite(c.latitude_deg).all())


def test_randomised_generators_are_deterministic_across_numba_threads():
    code = """
        import hashlib, json
        import numpy as np
        from evcore.joint import sample_charging_share, synthetic_city

        city = synthetic_city(zones=12, slots=48, seed=5, return_city=True)
        inst = city.instance
        digest = hashlib.sha256()
        for array in (inst.traffic_flow, inst.charging_share, inst.distance_km, inst.location_cost_per_kw,
                      sample_charging_share(7, 9, seed=11, a=2.0, b=3.0)):
            digest.update(np.ascontiguousarray(array).tobytes())
        print(json.dumps(digest.hexdigest()))
    """
    one = run_in_subprocess(code, env={"NUMBA_NUM_THREADS": "1"})
    two = run_in_subprocess(code, env={"NUMBA_NUM_THREADS": "2"})
    here = run_in_subprocess(code)
    assert one == two == here


@FUZZ
@given(capacity=hostile_arrays((3,)), flows=st.one_of(hostile_arrays((3, 6)), st.just(np.zeros((3, 6)))))
def test_evaluate_a_plan(tiny, capacity, flows):
    pairs = tiny.pairs.count
    flows = np.zeros((3, pairs)) if isinstance(flows, np.ndarray) and flows.shape == (3, 6) and pairs != 6 and \
        not np.any(flows) else flows

    def accept(check):
        return all(math.isfinite(v) for v in check.values()) and np.isfinite(np.asarray(capacity, float)).all()

    assert_refused_or_valid(PART, tiny.evaluate, capacity, flows, accept=accept)
    assert_refused_or_valid(PART, tiny.load_ev, flows, accept=lambda load: np.isfinite(load).all())


@FUZZ
@given(price=st.one_of(hostile_arrays((3, 3)), st.just(None)))
def test_lagrangian_bound_prices(tiny, price):
    optimum = joint.solve(tiny, "highs").objective

    def accept(bound):
        return bound == -math.inf or (math.isfinite(bound) and bound <= optimum * (1 + 1e-9))

    assert_refused_or_valid(PART, joint.lagrangian_bound, tiny, price, accept=accept)


@FUZZ
@given(slots=hostile_scalars(), day=hostile_scalars(), first=hostile_scalars(), last=hostile_scalars())
def test_period_slots(slots, day, first, last):
    from evcore.joint.analysis import period_slots

    def accept(out):
        return (all(_is_real(v) for v in (slots, day, first, last)) and 0 <= day <= 6 and 0 <= first < last <= 24
                and out.size >= 1 and out.min() >= 0 and out.max() < slots)

    assert_refused_or_valid(PART, period_slots, slots, day, first, last, accept=accept)


@settings(max_examples=20, deadline=None)
@given(thing=st.sampled_from([None, 3, "result", [1, 2], {"capacity_kw": [1]}]))
def test_figures_refuse_what_is_not_a_result(tiny, thing, tmp_path_factory):
    from evcore.joint.analysis import plot_capacity, plot_flows, plot_residuals

    path = tmp_path_factory.mktemp("figures") / "f.png"
    good = joint.solve(tiny, "highs")
    for call, args in ((plot_capacity, (tiny, thing, good, path)), (plot_capacity, (thing, good, good, path)),
                       (plot_flows, (tiny, thing, path)), (plot_residuals, (thing, path)),
                       (plot_residuals, (good, path, thing))):
        if thing is None and call is plot_residuals and len(args) == 3:
            continue  # no splitting result is allowed
        assert_refused_or_valid(PART, call, *args, accept=lambda out: False)


@FUZZ
@given(objective=st.one_of(hostile_scalars(), st.sampled_from(["total", "investment", "cost"])),
       with_budget=hostile_scalars())
def test_build_lp_arguments(tiny, objective, with_budget):
    def accept(model):
        return objective in ("total", "investment") and with_budget in (0, 1) and not isinstance(with_budget, float)

    assert_refused_or_valid(PART, joint.build_lp, tiny, objective=objective, with_budget=with_budget, accept=accept)
