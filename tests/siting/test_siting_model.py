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
from evcore.siting._changchun_data import TABLE9_DEMAND_VEHICLES_PER_DAY, TABLE13_PLAN
from evcore.siting.cases import CHANGCHUN_AREA_KM2

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
    # near zero the factor tends to 1/n (it used to divide by zero at 1e-17)
    assert capital_recovery_factor(1e-17, 20) == pytest.approx(0.05, rel=1e-12)
    assert capital_recovery_factor(5e-324, 20) == pytest.approx(0.05, rel=1e-9)
    assert capital_recovery_factor(1e300, 20) == pytest.approx(1e300)


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
    # round(A Q) slow piles: 6 -> 2 + 4, 13 -> 4 + 9, 11 -> 3 + 8, 7 -> 2 + 5, 9 -> 3 + 6
    slow, fast = p.split([6, 13, 11, 7, 14, 9])
    assert slow.tolist() == [2, 4, 3, 2, 4, 3] and fast.tolist() == [4, 9, 8, 5, 10, 6]


def test_what_the_docs_say_about_table_13():
    """Table 13 (typed from the paper): 110 fast + 40 slow piles; round(A Q) fits 11 of its 15
    stations, not the four 9-pile ones (2 slow + 7 fast); its counts give 11,741 kVA while the
    paper's 11,544 kVA is eq. 22 with the shares."""
    p = SitingParameters()
    fast = np.array([row[2] for row in TABLE13_PLAN])
    slow = np.array([row[3] for row in TABLE13_PLAN])
    assert fast.sum() == 110 and slow.sum() == 40 and len(TABLE13_PLAN) == 15
    rounded, _ = p.split(fast + slow)
    mismatched = [row[0] for row, r in zip(TABLE13_PLAN, rounded) if r != row[3]]
    assert mismatched == [16, 23, 28, 30] and all(fast[k] + slow[k] == 9 for k in (4, 6, 8, 9))
    kva = (slow.sum() * p.slow_pile_kw + fast.sum() * p.fast_pile_kw) * p.kva_per_kw
    assert round(kva) == 11741 and round(capacity_kva(150)) == 11544
    served = sorted([row[0] for row in TABLE13_PLAN] + [i for row in TABLE13_PLAN for i in row[1]])
    assert served == list(range(1, 51))  # every demand point has a station


def test_the_papers_demand_cannot_be_served_by_its_plan():
    """changchun_case's statement: 79,625 pile-hours a day needed, 3,000 offered (any queue model)."""
    p = SitingParameters()
    demand = sum(TABLE9_DEMAND_VEHICLES_PER_DAY)
    need = demand * (p.slow_share * p.slow_charge_hours + p.fast_share * p.fast_charge_hours)
    assert demand == 33177 and round(need) == 79625
    assert 150 * p.operating_hours_per_day == 3000
    assert "79,625 pile-hours" in changchun_case.__doc__ and "3,000" in changchun_case.__doc__


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


def test_changchun_case_works_without_any_file():
    case = changchun_case(seed=0)
    assert case.num_points == case.num_sites == 50
    assert case.demand_per_day.tolist() == list(TABLE9_DEMAND_VEHICLES_PER_DAY)
    assert case.site_names == tuple(str(k) for k in range(1, 51))
    lon, lat = case.lonlat(case.site_xy_km).mean(axis=0)
    assert 124.9 < lon < 125.8 and 43.5 < lat < 44.3  # the generated layout sits on Changchun


@needs_data
def test_embedded_table_9_equals_the_shared_file():
    with DEMAND_FILE.open() as handle:
        table = [float(row["daily_charging_demand_vehicles"]) for row in csv.DictReader(handle)]
    assert list(TABLE9_DEMAND_VEHICLES_PER_DAY) == table
    assert changchun_case(demand_path=DEMAND_FILE).demand_per_day.tolist() == table


def test_changchun_case_layout():
    case = changchun_case(seed=0)
    side = np.sqrt(CHANGCHUN_AREA_KM2)
    assert np.all((case.point_xy_km >= 0) & (case.point_xy_km <= side))
    assert np.array_equal(changchun_case(seed=0).point_xy_km, case.point_xy_km)
    assert not np.array_equal(changchun_case(seed=1).point_xy_km, case.point_xy_km)


def test_changchun_case_missing_or_bad_file_is_explained(tmp_path):
    with pytest.raises(InputError, match="no such demand table"):
        changchun_case(demand_path=tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("point,daily_charging_demand_vehicles\n1,12\n2,nan\n")
    with pytest.raises(InputError, match="bad.csv:3"):
        changchun_case(demand_path=bad)
    good = tmp_path / "good.csv"
    good.write_text("point,daily_charging_demand_vehicles\nA,12\nB,3.5\n")
    case = changchun_case(demand_path=good)
    assert case.point_names == ("A", "B") and case.demand_per_day.tolist() == [12.0, 3.5]
