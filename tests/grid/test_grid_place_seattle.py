"""The Seattle downtown case of seed 002 (GridLAB-D feeder, published candidates): certified and verified."""

import pytest

from evcore.errors import InfeasibleError
from evcore.grid import Feeder, PlacementInstance, place

from _place_cases import shared_data


@pytest.fixture(scope="module")
def downtown():
    data = shared_data() / "grid-eco"
    feeder = Feeder.from_glm(data / "downtown_node_R3-12.47-2.glm", regulator_taps={"R3-12-47-2_reg_1": 6})
    return feeder, data / "evcs_seattle_downtown.csv"


def test_downtown_voltage_limits_certified(downtown):
    feeder, csv = downtown
    inst = PlacementInstance.from_csv(feeder, csv, budget=2.5e6, service_radius_m=100.0, monitor_transformers=False)
    assert inst.demand == 71 and inst.n_candidates == 27
    result = place(inst)
    assert result.status == "optimal" and result.verified and result.gap <= 1e-4
    assert result.total_chargers >= inst.demand and result.cost_usd <= 2.5e6
    assert result.min_voltage_pu >= 0.95 - 1e-9


def test_downtown_with_transformer_ratings_cannot_meet_the_demand(downtown):
    """With every service transformer held to its rating the published demand of 71 chargers is out of reach
    (proven); without the demand the certified optimum keeps every transformer within its rating."""
    feeder, csv = downtown
    inst = PlacementInstance.from_csv(feeder, csv, budget=2.5e6)
    with pytest.raises(InfeasibleError):
        place(inst)
    inst = PlacementInstance.from_csv(feeder, csv, budget=2.5e6, demand=0)
    result = place(inst)
    assert result.status == "optimal" and result.verified
    assert (result.transformer_loading <= 1.0 + 1e-9).all() or inst.relaxed_limits
