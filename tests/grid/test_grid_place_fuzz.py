"""Hostile inputs to PlacementInstance, PlacementInstance.from_csv, the Grid-ECO reader, place and
census_demand: only evcore errors escape, and nothing hostile is silently accepted."""

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fuzz import (assert_refused_or_valid, garbage_bytes, hostile_arrays, hostile_counts, hostile_scalars,
                   hostile_seeds, hostile_time_limits)
from _place_cases import demo_feeder
from evcore.grid import PlacementInstance, census_demand, place
from evcore.grid.placement._cli import DEMO_CANDIDATES_CSV
from evcore.io import grid_eco_csv

PART = "grid.place"
CANDS = ["n2", "l3", "n5"]
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])


def _instance(**over):
    kwargs = dict(min_chargers=[1, 1, 1], priority=[1.0, 0.5, 0.7], land_cost=[0.0, 1.0, 2.0])
    kwargs.update(over)
    max_chargers = kwargs.pop("max_chargers", [2, 2, 2])
    return PlacementInstance(demo_feeder(), kwargs.pop("candidates", CANDS), max_chargers, **kwargs)


def _finite_array(value):
    arr = np.asarray(value)
    return arr.dtype.kind in "iuf" and np.isfinite(arr).all()


ARRAY_FIELDS = ("max_chargers", "min_chargers", "land_cost", "latitude_deg", "longitude_deg", "census_demand",
                "priority")
SCALAR_FIELDS = ("demand", "rating_kw", "power_factor", "charger_cost", "budget", "service_radius_m", "vmin_pu",
                 "vmax_pu")


@FAST
@given(field=st.sampled_from(ARRAY_FIELDS), value=hostile_arrays((3,)))
def test_instance_arrays(field, value):
    over = {field: value}
    if field in ("latitude_deg", "longitude_deg"):
        other = "longitude_deg" if field == "latitude_deg" else "latitude_deg"
        over[other] = [47.6, 47.61, 47.62] if other == "latitude_deg" else [-122.3, -122.31, -122.32]

    def accept(inst):
        got = getattr(inst, field)
        return got is None or (_finite_array(got) and np.asarray(got).shape == (3,))

    assert_refused_or_valid(PART, _instance, accept=accept, **over)


@FAST
@given(field=st.sampled_from(SCALAR_FIELDS), value=hostile_scalars())
def test_instance_scalars(field, value):
    def accept(inst):
        got = getattr(inst, field)
        return got is None or (isinstance(got, (int, float)) and math.isfinite(got))

    assert_refused_or_valid(PART, _instance, accept=accept, **{field: value})


@FAST
@given(value=st.one_of(hostile_scalars(), st.lists(st.text(max_size=6), max_size=4),
                       st.sampled_from([["n2", "n2.9", "l3"], ["zz", "l3", "n5"], ["", "l3", "n5"], ["n2.1.1", "l3", "n5"],
                                        ["n2.x", "l3", "n5"], [1, 2, 3]])))
def test_instance_candidates(value):
    assert_refused_or_valid(PART, _instance, candidates=value)


@FAST
@given(value=st.one_of(hostile_scalars(), st.sampled_from([["wye", "wye"], ["star", "wye", "wye"], [None] * 3])))
def test_instance_connection(value):
    assert_refused_or_valid(PART, _instance, connection=value)


@FAST
@given(content=st.one_of(garbage_bytes(), st.sampled_from([
    DEMO_CANDIDATES_CSV.encode().replace(b"12,30000", b"-3,30000"),
    DEMO_CANDIDATES_CSV.encode().replace(b"47.6101", b"inf"),
    DEMO_CANDIDATES_CSV.encode().replace(b"47.6101", b"91"),
    DEMO_CANDIDATES_CSV.encode().replace(b",n2,", b",nowhere,"),
    DEMO_CANDIDATES_CSV.encode().replace(b"north_lot", b"lateral_3"),
    DEMO_CANDIDATES_CSV.encode().replace(b"LandCost", b"Cost"),
    DEMO_CANDIDATES_CSV.encode()[:-40],
    DEMO_CANDIDATES_CSV.encode().replace(b",2,6,12,", b",20,6,12,"),
    DEMO_CANDIDATES_CSV.encode().replace(b"2,6,12", b"2,6,1e400"),
    DEMO_CANDIDATES_CSV.encode().replace(b"\n", b"\r\n"),
])))
def test_reader_and_from_csv(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("csv") / "c.csv"
    path.write_bytes(content)
    data = assert_refused_or_valid(PART, grid_eco_csv.read, path)
    if data is not None:
        assert np.isfinite(data.latitude_deg).all() and (data.max_chargers >= 0).all()
    assert_refused_or_valid(PART, PlacementInstance.from_csv, demo_feeder(), path, priority=[1.0] * 5)


@FAST
@given(arg=st.sampled_from(["method", "time_limit", "max_iterations", "gap", "seed", "progress", "options"]),
       value=st.one_of(hostile_scalars(), hostile_time_limits(), hostile_seeds(), hostile_counts()))
def test_place_arguments(arg, value):
    inst = _INSTANCE
    kwargs = {"max_iterations": 3}
    if arg == "options":
        kwargs["margin"] = value
    elif arg == "method":
        kwargs["method"] = value
        kwargs["time_limit"] = 5
    else:
        kwargs[arg] = value
    assert_refused_or_valid(PART, place, inst, **kwargs)


def test_place_refuses_unknown_options_and_non_instances():
    for bad in (dict(foo=1), dict(bounds="tight")):
        assert assert_refused_or_valid(PART, place, _INSTANCE, **bad) is None
    for thing in (None, 3, "x", demo_feeder()):
        assert assert_refused_or_valid(PART, place, thing) is None


@FAST
@given(field=st.sampled_from(["demand_score", "equity_score", "capacity"]), value=hostile_arrays((3,)),
       total=st.one_of(st.integers(0, 6), hostile_counts()))
def test_census_demand(field, value, total):
    args = dict(demand_score=[0.5, 0.2, 0.1], equity_score=[0.1, 0.3, 0.9], capacity=[2, 3, 4])
    args[field] = value
    result = assert_refused_or_valid(PART, census_demand, args["demand_score"], args["equity_score"],
                                     args["capacity"], total)
    if result is not None:
        assert result.ports.sum() == int(total) and (result.ports >= 0).all()


_INSTANCE = _instance()
