"""The splitting on Ray actors: same answer as in-process, and surviving a killed worker."""

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="the Ray backend needs the optional extra evcore[ray]")

from evcore.errors import SolverError  # noqa: E402
from evcore.joint import solve, synthetic_city  # noqa: E402
from evcore.joint._arrays import kernel_arrays  # noqa: E402
from evcore.joint._blocks import BlockLayout  # noqa: E402
from evcore.joint._ray import solve_splitting_ray  # noqa: E402
from evcore.joint.splitting import solve_splitting  # noqa: E402

ITERATIONS = 60
# Several blocks take the fixed, provably convergent steps; one in-process block would otherwise adapt them.
CHECK = dict(check_every=20)


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def instance():
    return synthetic_city(zones=10, slots=24, seed=1)


@pytest.fixture(scope="module")
def local(instance):
    """Two in-process blocks: the same iterates as two Ray actors."""
    return solve_splitting(instance, gap=0.0, max_iterations=ITERATIONS, blocks=2, **CHECK)


def test_blocks_in_process_match_one_block(instance, local):
    layout = BlockLayout(kernel_arrays(instance), 3)
    assert layout.count == 3 and sum(p.size for p in layout.send_pairs) > 0  # arcs really cross blocks
    one = solve_splitting(instance, gap=0.0, max_iterations=ITERATIONS, adaptive_steps=False, **CHECK)
    split = solve_splitting(instance, gap=0.0, max_iterations=ITERATIONS, blocks=3, **CHECK)
    assert split.total_cost == pytest.approx(one.total_cost, rel=1e-12)
    assert np.allclose(split.capacity_kw, one.capacity_kw, rtol=1e-10, atol=1e-8)
    assert split.total_cost == pytest.approx(local.total_cost, rel=1e-12)


@pytest.mark.slow
def test_ray_matches_local_and_survives_a_killed_worker(cluster, instance, local):
    on_ray = solve(instance, "admm", gap=0.0, max_iterations=ITERATIONS, backend="ray", blocks=2, **CHECK)
    assert on_ray.iterations == local.iterations and on_ray.status == local.status
    # the same blocks in-process and on Ray: the same iterates, bit for bit
    assert on_ray.total_cost == local.total_cost and on_ray.lower_bound == local.lower_bound
    assert np.array_equal(on_ray.capacity_kw, local.capacity_kw) and np.array_equal(on_ray.flows, local.flows)

    killed = []

    def kill_once(iteration, executor):
        if iteration >= 40 and not killed:
            killed.append(iteration)
            ray.kill(executor.actors[0])

    recovered = solve_splitting_ray(instance, gap=0.0, max_iterations=ITERATIONS, blocks=2, fault_hook=kill_once,
                                    **CHECK)
    assert killed and recovered.info["recoveries"] == 1
    # resumed from the last consensus state and replayed deterministically: the uninterrupted answer
    assert recovered.total_cost == local.total_cost
    assert np.array_equal(recovered.capacity_kw, local.capacity_kw)

    def kill_always(iteration, executor):
        if iteration >= 20:
            ray.kill(executor.actors[1])

    with pytest.raises(SolverError, match="worker of the distributed splitting failed"):
        solve_splitting_ray(instance, gap=0.0, max_iterations=ITERATIONS, blocks=2, fault_hook=kill_always,
                            max_recoveries=1, **CHECK)
