"""evcore's certified placement against brute-force enumeration (one power flow per count vector).

Random small instances whose limits bind (tight voltage limits, large chargers, transformer ratings) on the
embedded demo feeder (always) and on IEEE 13 (shared data): the certified optimum equals the enumeration's,
every returned placement passes the power flow, infeasible instances raise InfeasibleError, and limits
return the best verified placement with its proven gap.
"""

import math

import numpy as np
import pytest

from evcore.errors import InfeasibleError
from evcore.grid import place
from evcore.grid.placement import check_placement

from _place_cases import brute_force, demo_feeder, ieee13_feeder, random_instance


def _agree(inst):
    best, best_n = brute_force(inst)
    if best is None:
        with pytest.raises(InfeasibleError):
            place(inst)
        return None
    result = place(inst, gap=0.0)
    assert result.status == "optimal", (result.status, result.certificate)
    assert result.verified
    assert math.isclose(result.objective, best, rel_tol=1e-12, abs_tol=1e-12), (result.chargers, best_n)
    assert check_placement(inst, result.chargers)["ok"]
    assert result.gap is not None and result.gap <= 1e-12
    return result


@pytest.mark.parametrize("seed", range(14))
def test_exact_equals_enumeration_demo_feeder(seed):
    _agree(random_instance(demo_feeder(), seed))


@pytest.mark.parametrize("seed", range(100, 104))
def test_exact_equals_enumeration_ieee13(seed):
    _agree(random_instance(ieee13_feeder(), seed, max_count=5))


def test_enumeration_cases_bind_a_grid_limit():
    """The random cases are not siting-only problems: in most of them a grid limit cuts the siting optimum."""
    from evcore.grid.placement._milp import SitingMilp

    cut = 0
    for seed in range(14):
        inst = random_instance(demo_feeder(), seed)
        siting = SitingMilp(inst).solve(np.zeros(inst.n_candidates), inst.max_chargers.astype(float))
        if siting is not None and not check_placement(inst, siting["n"])["ok"]:
            cut += 1
    assert cut >= 5


def test_node_limit_returns_best_verified_with_gap():
    limited = 0
    for seed in range(12):
        inst = random_instance(demo_feeder(), seed, max_count=12)
        try:
            result = place(inst, max_iterations=2)
        except InfeasibleError:
            continue
        assert result.status in ("iteration_limit", "optimal")
        limited += result.status == "iteration_limit"
        if math.isfinite(result.objective):
            assert result.verified
            assert result.bound >= result.objective
            assert result.gap == pytest.approx((result.bound - result.objective) / max(abs(result.objective), 1e-12))
    assert limited >= 1


def test_progress_reports_nodes_incumbent_bound_gap():
    records = []
    inst = random_instance(demo_feeder(), 5)
    place(inst, progress=records.append)
    assert records and records[-1].final
    assert any(r.bound is not None for r in records)
    assert "nodes" in records[0].message or records[-1].final


def test_result_contract():
    import json

    inst = random_instance(demo_feeder(), 1)
    try:
        result = place(inst)
    except InfeasibleError:
        pytest.skip("instance infeasible")
    json.dumps(result.to_dict())
    frame = result.to_frame()
    assert {"candidate_id", "bus", "phases", "chargers", "station"} <= set(frame.columns)
    assert set(result.frames()) >= {"placement", "voltages", "transformers"}
    assert result.sense == "max"
    assert result.stations.dtype == bool and (result.stations == (result.chargers > 0)).all()
    assert len(result.transformer_loading) == len(result.transformer_labels)
