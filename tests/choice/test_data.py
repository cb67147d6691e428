"""Reader for the Trois-Rivières charging-station data (evcore.choice.data)."""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from evcore.choice.data import describe_trois_rivieres, growth_shares, read_trois_rivieres
from evcore.errors import InputError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "trois-rivieres"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"Trois-Rivieres data not found at {DATA}")
TINY = 1e-12  # ChoiceInstance requires attraction > 0; sites outside a choice set get this


@pytest.fixture(scope="module")
def simple():
    return read_trois_rivieres(DATA, "Simple", outside_weight=TINY)


@pytest.fixture(scope="module")
def distance():
    return read_trois_rivieres(DATA, "Distance", outside_weight=TINY)


def raw_classes(variant):
    return json.loads((DATA / f"UserClasses_{variant}.json").read_text())


@needs_data
def test_shapes(simple, distance):
    for instance in (simple, distance):
        assert (instance.nodes, instance.sites, instance.types, instance.periods) == (317, 10, 6, 4)
        assert not instance.existing.any()
        np.testing.assert_array_equal(instance.revenue, np.ones(6))


@needs_data
@pytest.mark.parametrize("variant", ["Simple", "Distance"])
def test_one_class_by_hand(variant, simple, distance):
    instance = simple if variant == "Simple" else distance
    user = raw_classes(variant)[0]  # node 24370017, choice set [0, 1, 2, 3, 4]
    assert user["StationChoiceSet"] == [0, 1, 2, 3, 4]
    for j in range(10):
        for outlets in range(1, 7):
            expected = (math.exp(user["StationConstants"][j] + user["StationCoefficients"][str(j)][outlets])
                        if j in user["StationChoiceSet"] else TINY)
            assert instance.attraction[0, j, outlets - 1] == pytest.approx(expected, rel=1e-12)
    assert instance.opt_out[0] == pytest.approx(math.exp(4.5), rel=1e-12)
    assert user["OptOutConstants"] == {"0": 4.5}


@needs_data
def test_costs_budgets_and_demand(simple):
    np.testing.assert_allclose(simple.cost, np.tile([150, 200, 250, 300, 350, 400], (10, 1)))
    np.testing.assert_allclose(simple.budget, [550, 300, 250, 500])
    population = np.array(list(json.loads((DATA / "ListNodes.json").read_text()).values()))
    shares = [0.03169839989505618, 0.07553047640197193, 0.12419926165271496, 0.17519798057420563]
    np.testing.assert_allclose(simple.demand, population[:, None] * np.array(shares)[None, :], rtol=1e-12)
    custom = read_trois_rivieres(DATA, years=2, budgets=[1000, 0], station_cost=10, outlet_cost=1,
                                 outside_weight=TINY)
    np.testing.assert_allclose(custom.cost[3], [11, 12, 13, 14, 15, 16])
    np.testing.assert_allclose(custom.demand, simple.demand[:, :2])


@needs_data
def test_growth_shares_are_the_segment_end_points():
    for name in ("GrowthFunction_Simple.txt", "GrowthFunction_Distance_FixedSolution.txt"):
        segments = json.loads((DATA / name).read_text())
        ends = [segments[str(s)]["Endpoint"] for s in range(4)]
        np.testing.assert_allclose(growth_shares(DATA / name, 4), ends, rtol=1e-12)
        # The last segment is the identity: later years stay at the year-4 share.
        np.testing.assert_allclose(growth_shares(DATA / name, 6)[4:], ends[-1], rtol=1e-12)


@needs_data
def test_simple_and_distance_differ_only_in_station_constants(simple, distance):
    np.testing.assert_array_equal(simple.opt_out, distance.opt_out)
    np.testing.assert_array_equal(simple.cost, distance.cost)
    outside = simple.attraction == TINY
    np.testing.assert_array_equal(outside, distance.attraction == TINY)
    assert not np.allclose(simple.attraction[~outside], distance.attraction[~outside])
    # Same outlet effect: the ratio between outlet counts is the same in both variants.
    ratio = simple.attraction[~outside].reshape(-1, 6) / distance.attraction[~outside].reshape(-1, 6)
    np.testing.assert_allclose(ratio, ratio[:, :1] * np.ones((1, 6)), rtol=1e-9)
    # The growth functions differ: Distance adopts more slowly.
    assert (distance.demand.sum(axis=0) < simple.demand.sum(axis=0)).all()


@needs_data
def test_describe():
    facts = describe_trois_rivieres(DATA, "Distance")
    assert (facts["nodes"], facts["sites"], facts["types"]) == (317, 10, 6)
    assert facts["population"] == 181624.0
    assert facts["empty_choice_sets"] == 26
    assert sum(facts["choice_set_sizes"].values()) == 317
    assert max(facts["choice_set_sizes"]) < 10  # no class considers every site


@needs_data
def test_zero_outside_weight_is_reported_while_choice_instance_needs_positive_attraction():
    try:
        instance = read_trois_rivieres(DATA)
    except InputError as error:
        assert error.field == "UserClasses_Simple.json:StationChoiceSet"
        assert "outside_weight" in str(error)
    else:  # ChoiceInstance accepts zero attraction: the exact model
        assert (instance.attraction == 0).any()


@needs_data
def test_bad_arguments():
    with pytest.raises(InputError, match="variant"):
        read_trois_rivieres(DATA, "LongSpan")
    with pytest.raises(InputError, match="budgets"):
        read_trois_rivieres(DATA, budgets=(1, 2, 3), outside_weight=TINY)
    with pytest.raises(InputError, match="years"):
        read_trois_rivieres(DATA, years=0)
    with pytest.raises(InputError, match="outside_weight"):
        read_trois_rivieres(DATA, outside_weight=-1.0)


@needs_data
def test_bad_files_name_file_and_field(tmp_path):
    for name in ("ListNodes.json", "Stations_Simple.json", "UserClasses_Simple.json", "GrowthFunction_Simple.txt"):
        shutil.copy(DATA / name, tmp_path / name)
    classes = raw_classes("Simple")
    del classes[5]["StationConstants"]
    (tmp_path / "UserClasses_Simple.json").write_text(json.dumps(classes))
    with pytest.raises(InputError) as info:
        read_trois_rivieres(tmp_path, outside_weight=TINY)
    assert info.value.field == "UserClasses_Simple.json:StationConstants" and info.value.index == 5

    classes[5]["StationConstants"] = [0.0] * 9
    (tmp_path / "UserClasses_Simple.json").write_text(json.dumps(classes))
    with pytest.raises(InputError, match=r"UserClasses_Simple.json:StationConstants\[5\]"):
        read_trois_rivieres(tmp_path, outside_weight=TINY)

    shutil.copy(DATA / "UserClasses_Simple.json", tmp_path / "UserClasses_Simple.json")
    segments = json.loads((DATA / "GrowthFunction_Simple.txt").read_text())
    segments["2"]["Slope"] = "steep"
    (tmp_path / "GrowthFunction_Simple.txt").write_text(json.dumps(segments))
    with pytest.raises(InputError, match=r"GrowthFunction_Simple.txt:Slope\[2\]"):
        read_trois_rivieres(tmp_path, outside_weight=TINY)

    (tmp_path / "GrowthFunction_Simple.txt").unlink()
    with pytest.raises(InputError, match="GrowthFunction_Simple.txt: cannot read"):
        read_trois_rivieres(tmp_path, outside_weight=TINY)
    with pytest.raises(InputError, match="Stations_Distance.json"):
        read_trois_rivieres(tmp_path, "Distance", outside_weight=TINY)


@needs_data
def test_tables_iii_to_v_on_the_data():
    """TS <= MS <= perfect information on every row of the Trois-Rivieres tables (tiny tree)."""
    pytest.importorskip("pyscipopt", reason="the tables run with method 'scip-lazy' (extra evcore[scip])")
    from evcore.choice.analysis import trois_rivieres_tables

    tables = trois_rivieres_tables(DATA, years=2, branching=(2,), growth_sds=(0.096, 0.3), subcentre_extra=(0.0, 0.5),
                                   method="scip-lazy")
    assert [r["growth_sd"] for r in tables["table_iii"]] == [0.096, 0.3]
    assert [r["variant"] for r in tables["table_iv"]] == ["Simple", "Distance"]
    assert [r["subcentre_extra_growth"] for r in tables["table_v"]] == [0.0, 0.5]
    assert tables["subcentre_users"] > 0
    for row in tables["table_iii"] + tables["table_iv"] + tables["table_v"]:
        assert row["two_stage_status"] == row["multi_stage_status"] == "optimal"
        tolerance = 1e-6 * row["multi_stage"]
        assert row["two_stage"] <= row["multi_stage"] + tolerance <= row["perfect_information"] + 2 * tolerance
        assert row["vms_percent"] >= -1e-4 and row["evpi_percent"] >= -1e-4
