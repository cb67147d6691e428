import numpy as np
import pytest

from evcore.errors import InputError
from evcore.joint import JointInstance

from _joint_data import random_instance, two_zone_instance


def _args(**changes):
    args = dict(traffic_flow=np.ones((3, 4)), charging_share=np.full((3, 4), 0.1), distance_km=np.ones((3, 3)),
                location_cost_per_kw=np.zeros(3), budget=1e6)
    args.update(changes)
    return args


@pytest.mark.parametrize("field,value,index", [
    ("traffic_flow", np.array([[1.0, -1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]), (0, 1)),
    ("charging_share", np.array([[0.1] * 4, [0.1, 0.1, 1.5, 0.1], [0.1] * 4]), (1, 2)),
    ("distance_km", np.array([[0, 1, 1], [1, 0, -2.0], [1, 1, 0]]), (1, 2)),
    ("location_cost_per_kw", np.array([0, np.nan, 0]), 1),
    ("traffic_flow", np.array([[1.0, np.inf, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]), (0, 1)),
])
def test_bad_entries_name_field_and_index(field, value, index):
    with pytest.raises(InputError) as info:
        JointInstance(**_args(**{field: value}))
    assert info.value.field == field and info.value.index == index


@pytest.mark.parametrize("changes,field", [
    (dict(charging_share=np.ones((3, 5))), "charging_share"),
    (dict(distance_km=np.ones((2, 3))), "distance_km"),
    (dict(location_cost_per_kw=np.zeros(4)), "location_cost_per_kw"),
    (dict(budget=0.0), "budget"),
    (dict(range_km=-1.0), "range_km"),
    (dict(power_per_ev_kw=0.0), "power_per_ev_kw"),
    (dict(recurrences=np.ones(3)), "recurrences"),
    (dict(travel_delay_slots=np.full((3, 3), 1.5)), "travel_delay_slots"),
    (dict(max_capacity_kw=-np.ones(3)), "max_capacity_kw"),
])
def test_bad_fields(changes, field):
    with pytest.raises(InputError) as info:
        JointInstance(**_args(**changes))
    assert info.value.field == field


def test_pairs_only_within_range_and_off_diagonal():
    instance = random_instance(3, zones=7)
    pairs = instance.pairs
    d = instance.distance_km
    expected = {(i, j) for i in range(7) for j in range(7) if i != j and d[i, j] <= instance.range_km}
    assert set(zip(pairs.origin.tolist(), pairs.destination.tolist())) == expected
    assert np.allclose(pairs.cost_per_ev, 0.2 * d[pairs.origin, pairs.destination])
    for j in range(7):
        arriving = pairs.in_order[pairs.in_start[j]:pairs.in_start[j + 1]]
        assert np.all(pairs.destination[arriving] == j)
    assert instance.with_range(0.0).pairs.count == 0


def test_arrays_are_read_only_copies():
    flow = np.ones((3, 4))
    instance = JointInstance(**_args(traffic_flow=flow))
    flow[0, 0] = 99
    assert instance.traffic_flow[0, 0] == 1
    with pytest.raises(ValueError):
        instance.traffic_flow[0, 0] = 2


def test_evaluate_hand_plan_and_wrapping_delay():
    instance = two_zone_instance()
    flows = np.zeros((2, instance.pairs.count))
    a_to_b = int(np.flatnonzero(instance.pairs.origin == 0)[0])
    flows[0, a_to_b] = 10.0
    check = instance.evaluate(np.array([0.0, 10.0]), flows)
    assert check["total_cost"] == pytest.approx(5010.0)
    assert check["capacity_kw"] == 0.0
    delayed = instance.replace(travel_delay_slots=[[0, 1], [1, 0]])
    # sent in slot 0 arrives in slot 1 at B; sent in slot 1 arrives in slot 0 (the week wraps)
    load = delayed.load_ev(flows)
    assert load[1].tolist() == [0.0, 20.0]
    flows[:] = 0
    flows[1, a_to_b] = 1.0
    load = delayed.load_ev(flows)
    assert load[1, 0] == 0.0 + 1.0  # arrives in slot 0 of the next week
    assert load[0, 1] == 0.0 - 1.0 or load[0, 1] == -1.0


@pytest.mark.parametrize("zone_ids,problem", [
    (["a", "b"], "expected 3 ids"), (["a", "b", "a"], "duplicate"), (["a", 1.5, "c"], "str or an int"),
    (["a", True, "c"], "str or an int"), (["a", "", "c"], "empty"), ("abc", "sequence"), ([1, 2, None], "str or an int"),
])
def test_zone_ids_are_checked(zone_ids, problem):
    with pytest.raises(InputError, match=problem) as info:
        JointInstance(**_args(zone_ids=zone_ids))
    assert info.value.field == "zone_ids"


@pytest.mark.parametrize("centroids,index", [
    ([[30.0, 104.0], [30.0, 104.0], [95.0, 104.0]], (2, 0)), ([[30.0, 104.0], [30.0, 190.0], [30.0, 104.0]], (1, 1)),
    ([[30.0, 104.0], [np.nan, 104.0], [30.0, 104.0]], (1, 0)),
])
def test_zone_centroids_are_degrees(centroids, index):
    with pytest.raises(InputError) as info:
        JointInstance(**_args(zone_centroids=centroids))
    assert info.value.field == "zone_centroids" and info.value.index == index
    with pytest.raises(InputError, match="zone_centroids"):
        JointInstance(**_args(zone_centroids=[[30.0, 104.0]]))


def test_zone_ids_and_centroids_travel_with_the_instance():
    instance = JointInstance(**_args(zone_ids=["north", 7, "south"], zone_centroids=[[30.0, 104.0], [30.1, 104.1],
                                                                                      [30.2, 104.2]]))
    assert instance.zone_ids == ("north", 7, "south") and instance.zone_index(np.int64(7)) == 1
    again = instance.with_range(1.0)
    assert again.zone_ids == instance.zone_ids and np.array_equal(again.zone_centroids, instance.zone_centroids)
    with pytest.raises(InputError, match="zone_id"):
        instance.zone_index("east")
    collection = instance.to_geojson()
    assert [f["properties"]["zone_id"] for f in collection["features"]] == ["north", 7, "south"]
    assert collection["features"][2]["geometry"]["coordinates"] == [104.2, 30.2]
    assert JointInstance(**_args()).zone_ids == (0, 1, 2)
    with pytest.raises(InputError, match="zone_centroids"):
        JointInstance(**_args()).to_geojson()


def test_shared_helpers_stay_importable_from_their_old_homes():
    from evcore.joint import _lp, central, model

    for name in ("build_lp", "minimum_budget", "check_budget", "recover_flows", "slot_flows_kw", "no_assignment_plan"):
        assert getattr(central, name) is getattr(_lp, name)
    assert central.no_assignment_plan is model.no_assignment_plan
    instance = two_zone_instance()
    assert model.no_assignment_plan(instance).tolist() == [10.0, 10.0]
