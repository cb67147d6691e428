"""Shared GAP evaluation and move kernels against their plain-Python twins."""

import numpy as np
import pytest

from evcore.assign import _kernels as k
from evcore.assign import _reference as ref


def random_state(seed, agents=6, jobs=25):
    rng = np.random.default_rng(seed)
    cost = rng.integers(5, 50, (agents, jobs)).astype(float)
    resource = rng.integers(1, 20, (agents, jobs)).astype(float)
    capacity = resource.sum(axis=1) / agents * rng.uniform(0.6, 1.2, agents)
    penalty = rng.uniform(1.0, 30.0, agents)
    assignment = rng.integers(0, agents, jobs).astype(np.int64)
    return cost, resource, capacity, penalty, assignment


@pytest.mark.parametrize("seed", range(5))
def test_evaluation_matches_twin(seed):
    cost, resource, capacity, penalty, assignment = random_state(seed)
    loads = np.empty(cost.shape[0])
    assert k.total_cost(cost, assignment) == pytest.approx(ref.total_cost_reference(cost, assignment), rel=1e-14)
    k.compute_loads(resource, assignment, loads)
    np.testing.assert_allclose(loads, ref.loads_reference(resource, assignment, cost.shape[0]), rtol=1e-14)
    allowed = np.ones(cost.shape, dtype=np.bool_)
    assert k.is_feasible(resource, capacity, allowed, assignment, loads) == ref.is_feasible_reference(
        resource, capacity, allowed, assignment)
    value = k.penalized_value(cost, resource, capacity, penalty, assignment, loads)
    assert value == pytest.approx(ref.penalized_value_reference(cost, resource, capacity, penalty, assignment),
                                  rel=1e-13)


@pytest.mark.parametrize("seed", range(5))
def test_move_deltas_match_full_reevaluation(seed):
    cost, resource, capacity, penalty, assignment = random_state(seed)
    agents, jobs = cost.shape
    loads = np.empty(agents)
    k.compute_loads(resource, assignment, loads)
    rng = np.random.default_rng(100 + seed)
    for _ in range(200):
        job, other = rng.integers(0, jobs, 2)
        to_agent = int(rng.integers(0, agents))
        delta = k.shift_delta(cost, resource, capacity, penalty, loads, assignment, job, to_agent)
        expected = ref.shift_delta_reference(cost, resource, capacity, penalty, list(assignment), job, to_agent)
        assert delta == pytest.approx(expected, abs=1e-9)
        delta = k.swap_delta(cost, resource, capacity, penalty, loads, assignment, job, other)
        expected = ref.swap_delta_reference(cost, resource, capacity, penalty, list(assignment), job, other)
        assert delta == pytest.approx(expected, abs=1e-9)
        # Apply one of the two moves and check the incremental loads stay exact.
        if rng.uniform() < 0.5:
            k.apply_shift(resource, loads, assignment, job, to_agent)
        else:
            k.apply_swap(resource, loads, assignment, job, other)
        np.testing.assert_allclose(loads, ref.loads_reference(resource, assignment, agents), atol=1e-9)
