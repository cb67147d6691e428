"""The splitting on Ray: one stateful actor per block of locations (optional extra ``evcore[ray]``).

Actors exchange only boundary data each iteration (the extrapolated flows on arcs between blocks and
the prices of locations those arcs reach); the driver routes them and decides certificates and
restarts from per-block partial sums, exactly as the in-process run does (same iterates up to
floating-point summation order). At every restart the driver keeps the consensus state; when an actor
dies the run rebuilds the actors from that state and continues (deterministically, so the answer is
the one an uninterrupted run gives), up to ``max_recoveries`` times, then stops with a SolverError.

Attach to a cluster with ``solve(..., backend="ray", ray_address="ray://head:10001")`` (or call
``ray.init(address=...)`` yourself first).
"""

from __future__ import annotations

import time

from .._compiled import ensure_compiled
from . import _kernels
from ._blocks import Block, BlockLayout, run_blocks

__all__ = ["RayExecutor", "solve_splitting_ray"]


class _BlockActor(Block):
    def __init__(self, *args, threads=1):
        import numba

        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
        super().__init__(*args)


class RayExecutor:
    """Blocks held by Ray actors."""

    def __init__(self, problem, layout, address=None, threads_per_actor=1, scheme="average"):
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError('backend="ray" needs Ray: pip install "evcore[ray]"') from exc
        self.ray = ray
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
        self.layout = layout
        self.scheme = scheme
        self.problem_ref = ray.put(problem)
        self.threads = threads_per_actor
        self.actor_class = ray.remote(num_cpus=1, max_restarts=0)(_BlockActor)
        self.actors = [self._make(b) for b in range(layout.count)]

    def _make(self, b):
        layout = self.layout
        z0, z1 = layout.ranges[b]
        return self.actor_class.remote(self.problem_ref, z0, z1, layout.send_pairs[b], layout.receive_pairs[b],
                                       layout.send_zones[b], layout.receive_zones[b], self.scheme,
                                       threads=self.threads)

    def call(self, name, args_per_block=None):
        args_per_block = args_per_block or [()] * len(self.actors)
        return self.ray.get([getattr(actor, name).remote(*args) for actor, args in zip(self.actors, args_per_block)])

    def recover(self, snapshot):
        """Replace every actor and load the consensus state of ``snapshot``."""
        for actor in self.actors:
            try:
                self.ray.kill(actor)
            except Exception:  # already dead
                pass
        self.actors = [self._make(b) for b in range(self.layout.count)]
        boundary = snapshot["driver"]["boundary_prices"] or [None] * self.layout.count
        self.call("load_state", [(flow, price, boundary[b]) for b, (flow, price) in enumerate(snapshot["states"])])

    def close(self):
        for actor in self.actors:
            try:
                self.ray.kill(actor)
            except Exception:
                pass


def solve_splitting_ray(instance, *, gap=1e-3, time_limit=None, max_iterations=100_000, check_every=80,
                        progress=False, blocks=2, address=None, max_recoveries=3, fault_hook=None,
                        threads_per_actor=1, block_options=None):
    """:func:`evcore.joint.splitting.solve_splitting` with location blocks on Ray actors.

    Parameters
    ----------
    blocks : int
        Number of location blocks (actors).
    address : str, optional
        Ray cluster address (``"auto"``, ``"ray://host:10001"``); ``None`` uses the running Ray or starts
        a local one.
    max_recoveries : int
        Actor failures survived by resuming from the last consensus state; one more stops the run with
        :class:`~evcore.errors.SolverError`.
    fault_hook : callable, optional
        ``fault_hook(iteration, executor)`` called before each batch of iterations (tests kill an actor).
    block_options : dict, optional
        Passed to :func:`evcore.joint._blocks.run_blocks`.

    Only instances without capacity caps and with a budget covering the no-assignment plan (the budget
    cannot bind) run on Ray; others raise InputError.
    """
    import numpy as np

    from ..errors import InputError
    from .central import check_budget, no_assignment_plan
    from .splitting import SplittingProblem, _blocks_result

    ensure_compiled(_kernels)
    check_budget(instance)
    if np.isfinite(instance.max_capacity_kw).any() or float(instance.cost_per_kw @ no_assignment_plan(instance)) > \
            instance.budget:
        raise InputError("backend", 'backend="ray" needs an instance without capacity caps whose budget covers the '
                                    'no-assignment plan; use backend="local"')
    started = time.perf_counter()
    problem = SplittingProblem.from_instance(instance)
    executor = RayExecutor(problem, BlockLayout(problem, blocks), address=address, threads_per_actor=threads_per_actor)
    try:
        out = run_blocks(problem, executor, gap=gap, time_limit=time_limit, max_iterations=max_iterations,
                         check_every=check_every, progress=progress, started=started, max_recoveries=max_recoveries,
                         fault_hook=fault_hook, label="admm/ray", **(block_options or {}))
    finally:
        executor.close()
    return _blocks_result(instance, problem, executor.layout, out, started)
