"""The siting model's coefficients and instances (evcore.siting.model)."""

import csv
from pathlib import Path

import numpy as np
import pytest

from evcore.errors import InputError
from evcore.siting import (
    SitingInstance,
    SitingParameters,
    capacity_kva,
    capital_recovery_factor,
    changchun_case,
    random_case,
)
from evcore.siting.model import CHANGCHUN_AREA_KM2

DEMAND_FILE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "changchun_demand_points.csv"
needs_data = pytest.mark.skipif(not DEMAND_FILE.exists(), reason=f"Changchun demand table not found at {DEMAND_FILE}")


def test_capacity_of_the_papers_plan():
    # §3.4: the optimal 150 piles need 11,544 kVA: (0.28*7 + 0.72*120) * 150 * 0.9 * 0.9 / 0.93
    assert capacity_kva(150) == pytest.approx(11544, abs=0.5)
    assert capacity_kva([0, 150]).tolist() == pytest.approx([0.0, 11543.806], abs=1e-3)
    with pytest.raises(InputError, match="piles"):
        capacity_kva([-1])


def test_capital_recovery_factor_closed_form():
    # annuity of 1 over n years: sum_k (1+r)^-k * S = 1
    crf = capital_recovery_factor(0.08, 20)
    assert sum(crf / 1.08 ** k for k in range(1, 21)) == pytest.approx(1.0, rel=1e-14)
    assert capital_recovery_factor(0.0, 20) == pytest.approx(0.05)
    with pytest.raises(InputError, match="discount_rate"):
        capital_recovery_factor(-0.1, 20)


def test_paper_readings_of_ambiguous_coefficients():
    p = SitingParameters()
    # A s + a e + b c with the paper's a = 0.5472, b = 0.1728 (shares of all users)
    assert p.energy_price == pytest.approx(0.28 * 0.83 + 0.5472 * 1.26 + 0.1728 * 1.52, rel=1e-12)
    # 365 tau (q price + Ct / V) per daily vehicle-km, in 10^4 yuan
    expected = 365 * 1.723 * (0.15 * p.energy_price + 21.25 / 40) / 1e4
    assert p.user_cost_per_vehicle_km == pytest.approx(expected, rel=1e-12)
    slow_op, fast_op = p.operating_cost_per_pile
    assert slow_op == pytest.approx(365 * 20 * 100 * 0.15 / 1e4)
    assert fast_op == pytest.approx(365 * 20 * 100 * 0.13 / 1e4)
    # Table 13's plans follow round(A Q) slow piles: 6 -> 2 + 4, 13 -> 4 + 9, 11 -> 3 + 8, 7 -> 2 + 5
    slow, fast = p.split([6, 13, 11, 7, 14])
    assert slow.tolist() == [2, 4, 3, 2, 4] and fast.tolist() == [4, 9, 8, 5, 10]


def test_parameter_validation_names_the_field():
    with pytest.raises(InputError, match="fast_share"):
        SitingParameters(slow_share=0.3)
    with pytest.raises(InputError, match="investment_weight"):
        SitingParameters(investment_weight=1.5)
    with pytest.raises(InputError, match="max_piles"):
        SitingParameters(min_piles=5, max_piles=4)
    with pytest.raises(InputError, match="value_of_time"):
        SitingParameters(value_of_time=float("nan"))


def test_instance_validation_names_field_and_index():
    good = dict(demand_per_day=[10, 20], distance_km=[[0, 1], [1, 0]], land_cost=[1, 1])
    SitingInstance(**good)
    with pytest.raises(InputError, match=r"demand_per_day.*\[1\]|demand_per_day.*index 1"):
        SitingInstance(**{**good, "demand_per_day": [10, -1]})
    with pytest.raises(InputError, match="distance_km"):
        SitingInstance(**{**good, "distance_km": [[0, 1]]})
    with pytest.raises(InputError, match="stations"):
        SitingInstance(**good, stations=3)
    with pytest.raises(InputError, match="site_xy_km"):
        SitingInstance(**good, service_range_km=2.0)
    with pytest.raises(InputError, match="split"):
        SitingInstance(**good, split="both")
    instance = SitingInstance(**good)
    with pytest.raises(ValueError):  # arrays are frozen once validated
        instance.demand_per_day[0] = 5


def test_random_case_is_deterministic_and_clustered():
    a, b = random_case(20, seed=3), random_case(20, seed=3)
    assert np.array_equal(a.demand_per_day, b.demand_per_day) and np.array_equal(a.distance_km, b.distance_km)
    assert not np.array_equal(random_case(20, seed=4).demand_per_day, a.demand_per_day)
    assert a.distance_km.shape == (20, 20) and np.allclose(np.diag(a.distance_km), 0)
    assert np.all((a.demand_per_day >= 50) & (a.demand_per_day <= 400))
    smaller = random_case(10, seed=1, sites=4)
    assert smaller.distance_km.shape == (10, 4)


@needs_data
def test_changchun_case_reads_table_9():
    with DEMAND_FILE.open() as handle:
        table = [float(row["daily_charging_demand_vehicles"]) for row in csv.DictReader(handle)]
    case = changchun_case(seed=0)
    assert case.num_points == case.num_sites == 50
    assert case.demand_per_day.tolist() == table
    side = np.sqrt(CHANGCHUN_AREA_KM2)
    assert np.all((case.point_xy_km >= 0) & (case.point_xy_km <= side))
    assert np.array_equal(changchun_case(seed=0).point_xy_km, case.point_xy_km)
    assert not np.array_equal(changchun_case(seed=1).point_xy_km, case.point_xy_km)


def test_changchun_case_missing_file_is_explained(tmp_path):
    with pytest.raises(InputError, match="demand_path"):
        changchun_case(demand_path=tmp_path / "nope.csv")
