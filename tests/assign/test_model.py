"""GAP and EV instances: reading, validation, the EV-to-GAP mapping and infeasibility reports."""

import itertools

import numpy as np
import pytest

from evcore.assign import EVInstance, GAPInstance, random_ev_instance, read_orlib_gap
from evcore.errors import InfeasibleError, InputError

from _data import GAP_DATA, needs_gap_data


@needs_gap_data
def test_reader_matches_the_file_layout():
    instance = read_orlib_gap(GAP_DATA / "cattrysse1994" / "gap1-0")
    assert (instance.agents, instance.jobs) == (5, 15)
    assert instance.cost[0, :3].tolist() == [17, 21, 22]
    tokens = (GAP_DATA / "cattrysse1994" / "gap1-0").read_text().split()
    numbers = np.array(tokens, float)
    np.testing.assert_array_equal(instance.capacity, numbers[-5:])
    np.testing.assert_array_equal(instance.resource[-1], numbers[2 + 75 + 60 : 2 + 150])


def test_reader_rejects_truncated_files(tmp_path):
    path = tmp_path / "bad"
    path.write_text("2 3\n1 2 3 4 5 6\n1 1 1\n")
    with pytest.raises(InputError, match="needs 16 numbers, found 11"):
        read_orlib_gap(path)
    path.write_text("2 3 x 1 1 1 1 1 1 1 1 1 1 1 1 1")
    with pytest.raises(InputError, match="expected a number"):
        read_orlib_gap(path)


def test_validation_names_field_and_index():
    with pytest.raises(InputError) as info:
        GAPInstance([[1.0, 2.0]], [[1.0, -1.0]], [3.0])
    assert info.value.field == "resource" and info.value.index == (0, 1)
    with pytest.raises(InputError, match=r"capacity: expected shape \(1,\)"):
        GAPInstance([[1.0, 2.0]], [[1.0, 1.0]], [3.0, 4.0])
    with pytest.raises(InputError, match="nan"):
        GAPInstance([[1.0, np.nan]], [[1.0, 1.0]], [3.0])


def test_job_that_fits_nowhere_is_reported():
    # Job 1 (0-based), whose id is 2 (default ids are 1-based), or the id the caller gave.
    with pytest.raises(InfeasibleError, match="job ids 2$"):
        GAPInstance([[1.0, np.inf], [1.0, 5.0]], [[1.0, 1.0], [1.0, 9.0]], [3.0, 4.0])
    with pytest.raises(InfeasibleError, match="job ids EV-b"):
        GAPInstance([[1.0, np.inf], [1.0, 5.0]], [[1.0, 1.0], [1.0, 9.0]], [3.0, 4.0], job_ids=["EV-a", "EV-b"])


def brute_force(instance: GAPInstance) -> float:
    best = np.inf
    for assignment in itertools.product(range(instance.agents), repeat=instance.jobs):
        if instance.is_feasible(assignment):
            best = min(best, instance.evaluate(assignment)[0])
    return best


def test_ev_cost_follows_the_paper_with_own_destination_walk():
    instance = EVInstance(
        driving_km=[[1.0, 4.0], [2.0, 30.0]], walking_km=[[0.5, 3.0], [0.2, 1.0]], destination=[1, 0],
        remaining_kwh=[10.0, 3.0], consumption_kwh_per_km=[0.2, 0.2], charging_time_h=[2.0, 1.0],
        piles=[1, 1], price_per_hour=[1.5, 2.5], driving_cost_per_km=1.0, walking_cost_per_km=2.0)
    cost = instance.cost_matrix()
    # EV 0 -> station 1: 1*4 + 2*W[1, dest 1] + 2.5*2 = 4 + 2 + 5
    assert cost[0, 1] == pytest.approx(11.0)
    assert cost[0, 0] == pytest.approx(1.0 + 2 * 3.0 + 1.5 * 2.0)
    # EV 1 has a 15 km range: station 1 at 30 km is out of reach.
    assert np.isinf(cost[1, 1])
    gap = instance.to_gap()
    assert gap.cost.shape == (2, 2) and gap.capacity.tolist() == [1.0, 1.0]


def test_ev_infeasibility_names_the_evs():
    with pytest.raises(InfeasibleError, match="EVs 2$"):  # EV ids default to 1 .. evs
        EVInstance(driving_km=[[1.0], [50.0]], walking_km=[[1.0]], destination=[0, 0], remaining_kwh=[10, 2],
                   consumption_kwh_per_km=[0.2, 0.2], charging_time_h=[1, 1], piles=[5], price_per_hour=[1])
    # Both EVs reach only station 0, which has one pile: a matching (max-flow) argument.
    with pytest.raises(InfeasibleError, match="only 1 of 2 EVs"):
        EVInstance(driving_km=[[1.0, 90.0], [1.0, 90.0]], walking_km=[[1.0], [1.0]], destination=[0, 0],
                   remaining_kwh=[10, 10], consumption_kwh_per_km=[0.2, 0.2], charging_time_h=[1, 1],
                   piles=[1, 3], price_per_hour=[1, 1])


@pytest.mark.parametrize("seed", range(3))
def test_random_ev_instances_are_feasible_and_reproducible(seed):
    first = random_ev_instance(40, 8, seed=seed)
    second = random_ev_instance(40, 8, seed=seed)
    np.testing.assert_array_equal(first.cost_matrix(), second.cost_matrix())
    gap = first.to_gap()
    nearest = np.argmin(first.driving_km, axis=1)
    assert gap.is_feasible(nearest)


def test_small_instance_optimum_by_enumeration():
    from evcore.assign import solve_exact

    rng = np.random.default_rng(9)
    for _ in range(4):
        cost = rng.integers(1, 30, (3, 6)).astype(float)
        resource = rng.integers(1, 8, (3, 6)).astype(float)
        capacity = np.full(3, resource.sum() / 3 * 0.8)
        instance = GAPInstance(cost, resource, capacity)
        truth = brute_force(instance)
        if np.isinf(truth):
            with pytest.raises(InfeasibleError):
                solve_exact(instance)
        else:
            assert solve_exact(instance).objective == pytest.approx(truth)
