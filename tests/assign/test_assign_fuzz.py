"""Property-based fuzzing of every public constructor, solver entry and reader of evcore.assign.

Each probe feeds hostile values (NaN, inf, negatives, empty and wrongly shaped arrays, ragged
lists, booleans, complex numbers, text, odd seeds and limits, garbage files) and requires that
only evcore's own errors escape and that a call which returns did not keep the bad value.
"""

import json
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fuzz import (
    assert_refused_or_valid,
    garbage_bytes,
    hostile_arrays,
    hostile_counts,
    hostile_scalars,
    hostile_seeds,
    hostile_time_limits,
)
from evcore.assign import (
    ChargeRequest,
    City,
    Dispatcher,
    EVInstance,
    GAPInstance,
    GAPResult,
    generate_city,
    generate_requests,
    random_ev_instance,
    random_gap_instance,
    read_orlib_gap,
    read_orlib_gaps,
    simulate_day,
    solve,
    write_orlib_gap,
)
from evcore.assign.online import allocation_radius_km, generate_trips
from evcore.results import STATUSES

PART = "assign"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

AGENTS, JOBS = 3, 5
GOOD_GAP = {"cost": np.arange(15.0).reshape(3, 5) + 1, "resource": np.ones((3, 5)), "capacity": np.full(3, 4.0)}
EV = random_ev_instance(5, 3, seed=0)
EV_FIELDS = {name: getattr(EV, name) for name in ("driving_km", "walking_km", "destination", "remaining_kwh",
                                                   "consumption_kwh_per_km", "charging_time_h", "piles",
                                                   "price_per_hour")}
CITY = generate_city(3, 2, seed=0)
CITY_FIELDS = {"station_xy": CITY.station_xy, "piles": CITY.piles, "price_per_hour": CITY.price_per_hour,
               "destination_xy": CITY.destination_xy}


def sane_gap(instance) -> bool:
    return (not np.isnan(instance.cost).any() and not np.isneginf(instance.cost).any()
            and np.isfinite(instance.resource).all() and (instance.resource >= 0).all()
            and np.isfinite(instance.capacity).all() and (instance.capacity >= 0).all())


def sane_result(result) -> bool:
    json.dumps(result.to_dict())
    return isinstance(result, GAPResult) and result.status in STATUSES and (
        not result.feasible or math.isfinite(result.objective))


@FUZZ
@given(field=st.sampled_from(sorted(GOOD_GAP)), bad=st.data())
def test_gap_instance(field, bad):
    shape = GOOD_GAP[field].shape
    value = bad.draw(hostile_arrays(shape))
    assert_refused_or_valid(PART, GAPInstance, **{**GOOD_GAP, field: value}, accept=sane_gap)


@FUZZ
@given(ids=st.one_of(hostile_scalars(), st.lists(hostile_scalars(), max_size=6)), which=st.sampled_from(
    ["job_ids", "agent_ids"]))
def test_gap_instance_ids(ids, which):
    def accept(instance):
        values = getattr(instance, which)
        return len(set(values)) == len(values) and all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                                       for v in values)

    assert_refused_or_valid(PART, GAPInstance, **GOOD_GAP, **{which: ids}, accept=accept)


@FUZZ
@given(field=st.sampled_from(sorted(EV_FIELDS)), bad=st.data())
def test_ev_instance(field, bad):
    value = bad.draw(hostile_arrays(np.shape(EV_FIELDS[field])))

    def accept(instance):
        return (np.isfinite(instance.driving_km).all() and (instance.consumption_kwh_per_km > 0).all()
                and np.isfinite(instance.remaining_kwh).all() and (instance.piles >= 0).all())

    assert_refused_or_valid(PART, EVInstance, **{**EV_FIELDS, field: value}, accept=accept)


@FUZZ
@given(name=st.sampled_from(["driving_cost_per_km", "walking_cost_per_km"]), value=hostile_scalars())
def test_ev_instance_scalars(name, value):
    assert_refused_or_valid(PART, EVInstance, **EV_FIELDS, **{name: value},
                            accept=lambda inst: math.isfinite(getattr(inst, name)) and getattr(inst, name) >= 0)


@FUZZ
@given(evs=hostile_counts(), stations=hostile_counts(), seed=hostile_seeds())
def test_generators(evs, stations, seed):
    assert_refused_or_valid(PART, random_ev_instance, evs, stations, seed=seed)
    assert_refused_or_valid(PART, random_gap_instance, evs, stations, seed=seed)
    assert_refused_or_valid(PART, generate_city, stations, evs, seed=seed)
    assert_refused_or_valid(PART, generate_trips, CITY, evs, seed=seed)
    assert_refused_or_valid(PART, generate_requests, CITY, evs, seed=seed)


@FUZZ
@given(name=st.sampled_from(["city_km", "detour_factor", "spare_piles", "driving_cost_per_km"]),
       value=hostile_scalars())
def test_generator_options(name, value):
    assert_refused_or_valid(PART, random_ev_instance, 4, 2, **{name: value},
                            accept=lambda inst: np.isfinite(inst.driving_km).all())


@FUZZ
@given(field=st.sampled_from(sorted(CITY_FIELDS)), bad=st.data())
def test_city(field, bad):
    value = bad.draw(hostile_arrays(np.shape(CITY_FIELDS[field])))
    assert_refused_or_valid(PART, City, **{**CITY_FIELDS, field: value},
                            accept=lambda c: np.isfinite(c.station_xy).all() and (c.piles >= 1).all())


@FUZZ
@given(name=st.sampled_from(["driving_speed_kmh", "walking_speed_kmh", "detour_factor", "max_walking_time_h",
                             "walking_cost_per_km"]), value=hostile_scalars())
def test_city_scalars(name, value):
    assert_refused_or_valid(PART, City, **CITY_FIELDS, **{name: value},
                            accept=lambda c: math.isfinite(getattr(c, name)) and getattr(c, name) >= 0)


@FUZZ
@given(method=st.sampled_from(["hasp", "tabu", "bees", "de", "exact"]), time_limit=hostile_time_limits(),
       seed=hostile_seeds(), iterations=hostile_counts())
def test_solve_limits_and_seeds(method, time_limit, seed, iterations):
    instance = random_gap_instance(3, 6, seed=1)
    assert_refused_or_valid(PART, solve, instance, method, time_limit=time_limit, max_iterations=20, accept=sane_result)
    assert_refused_or_valid(PART, solve, instance, method, seed=seed, max_iterations=20, accept=sane_result)
    assert_refused_or_valid(PART, solve, instance, method, max_iterations=iterations, time_limit=0.3,
                            accept=sane_result)


@FUZZ
@given(method=st.sampled_from(["hasp", "tabu", "bees", "de"]), data=st.data())
def test_method_options(method, data):
    from evcore.assign import method_options

    name = data.draw(st.sampled_from(list(method_options(method)) + ["bogus", "generations"]))
    value = data.draw(hostile_scalars())
    options = {name: value}
    if name.startswith(("max_", "stall_")):
        options["time_limit"] = 0.3  # a huge but valid budget must not make the probe slow
    assert_refused_or_valid(PART, solve, random_gap_instance(3, 6, seed=2), method, max_iterations=15, **options,
                            accept=sane_result)


@FUZZ
@given(instance=st.sampled_from([None, "x", 3, np.ones((2, 2)), [[1.0]], EV_FIELDS]))
def test_solve_instance_type(instance):
    assert_refused_or_valid(PART, solve, instance, "hasp", max_iterations=5)


@FUZZ
@given(content=garbage_bytes())
def test_readers(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("gap") / "file.txt"
    path.write_bytes(content)
    assert_refused_or_valid(PART, read_orlib_gap, path, accept=sane_gap)
    assert_refused_or_valid(PART, read_orlib_gaps, path, accept=lambda problems: all(sane_gap(p) for p in problems))


@FUZZ
@given(problem=hostile_counts(), path=st.sampled_from([None, 3, b"x", "", "/nonexistent/x"]))
def test_reader_arguments(tmp_path_factory, problem, path):
    good = write_orlib_gap(random_gap_instance(2, 3, seed=0), tmp_path_factory.mktemp("gap") / "good.txt")
    assert_refused_or_valid(PART, read_orlib_gap, good, problem)
    assert_refused_or_valid(PART, read_orlib_gap, path)
    assert_refused_or_valid(PART, write_orlib_gap, path, good)


@FUZZ
@given(name=st.sampled_from(["arrival_rate_per_hour", "service_rate_per_hour", "batch_window_h",
                             "min_free_probability", "turned_away_cost", "lateness_cost_per_h", "time_limit", "seed",
                             "start_time_h", "solver_options", "method", "feedback"]), value=hostile_scalars())
def test_dispatcher_settings(name, value):
    assert_refused_or_valid(PART, Dispatcher, CITY, **{"method": "exact", name: value})


REQUEST = dict(ev=1, time_h=0.0, position_km=(1.0, 1.0), destination=0, remaining_kwh=20.0,
               consumption_kwh_per_km=0.2, charging_time_h=1.0)


@FUZZ
@given(name=st.sampled_from(sorted(REQUEST) + ["congestion_delay_h", "time_budget_h"]), value=hostile_scalars(),
       time=hostile_scalars())
def test_dispatcher_step_and_feedback(name, value, time):
    dispatcher = Dispatcher(CITY, method="exact", batch_window_h=0.0, feedback=True)
    request = ChargeRequest(**{**REQUEST, name: value})
    decisions = assert_refused_or_valid(PART, dispatcher.step, 0.0, [request])
    assert_refused_or_valid(PART, dispatcher.step, time)
    assert_refused_or_valid(PART, dispatcher.arrived, value, time)
    assert_refused_or_valid(PART, dispatcher.charge_ended, 1, time)
    assert_refused_or_valid(PART, dispatcher.pile_outage, value, time)
    assert_refused_or_valid(PART, dispatcher.step, 1.0, value, observed_busy=value)
    if decisions:  # the request was valid (any integer is an EV id): one decision for it
        assert len(decisions) == 1 and decisions[0].ev == request.ev


@FUZZ
@given(name=st.sampled_from(["evs", "hours", "step_h", "batch_window_h", "background_utilization",
                             "background_session_h", "arrival_noise_h", "seed", "method", "radius_options",
                             "min_free_probability", "bogus"]), value=hostile_scalars())
def test_simulate_day(name, value):
    options = {"evs": 3, "hours": 2.0, "method": "exact", name: value}
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if number and ((name == "step_h" and 0 < value < 1e-2) or (name in ("evs", "hours") and value > 50)):
        return  # legal but long days (up to a million EVs or steps) are refused only past the documented limits
    assert_refused_or_valid(PART, simulate_day, CITY, **options,
                            accept=lambda day: len(day.decisions) == len(day.requests))


@FUZZ
@given(data=st.data(), name=st.sampled_from(["destination", "range_km", "busy", "base_radius_km", "occupancy_gain",
                                             "range_share"]))
def test_allocation_radius(data, name):
    arguments = {"destination": [0, 1], "range_km": [5.0, 10.0], "busy": [0, 1, 0]}
    if name in arguments:
        arguments[name] = data.draw(hostile_arrays((len(arguments[name]),)))
        options = {}
    else:
        options = {name: data.draw(hostile_scalars())}
    assert_refused_or_valid(PART, allocation_radius_km, CITY, arguments["destination"], arguments["range_km"],
                            arguments["busy"], **options, accept=lambda r: np.isfinite(r).all() and (r >= 0).all())
