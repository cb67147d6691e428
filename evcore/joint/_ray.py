"""The splitting on Ray: one stateful actor per block of locations (optional extra ``evcore[ray]``).

Actors exchange only boundary data each iteration (the extrapolated flows on arcs between blocks and
the prices of locations those arcs reach); the one driver (:mod:`evcore.joint._driver`) routes them and
decides certificates and restarts from per-block parts, exactly as the in-process run with the same
blocks does (the same iterates, bit for bit). At every restart the driver keeps the consensus state;
when an actor dies the run rebuilds the actors from that state and continues (deterministically, so the
answer is the one an uninterrupted run gives), up to ``max_recoveries`` times, then stops with a
SolverError.

Attach to a cluster with ``solve(..., backend="ray", ray_address="ray://head:10001")`` (or call
``ray.init(address=...)`` yourself first).
"""

from __future__ import annotations

from ._blocks import Block, BlockLayout

__all__ = ["RayExecutor", "solve_splitting_ray"]


class _BlockActor(Block):
    def __init__(self, *args, threads=1):
        import numba

        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
        super().__init__(*args)

    def call(self, name, *args):
        """Run the :class:`Block` method ``name`` (the executor passes ``method.__name__``)."""
        return getattr(Block, name)(self, *args)


class RayExecutor:
    """Blocks held by Ray actors; ``map`` calls a :class:`Block` method on each actor."""

    def __init__(self, a, settings, layout, address=None, threads_per_actor=1):
        from ..errors import require

        ray = require("ray", "ray", 'the Ray backend of joint (backend="ray")')
        self.ray = ray
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)
        self.layout = layout
        self.settings = settings
        self.arrays_ref = ray.put(a)
        self.threads = threads_per_actor
        self.actor_class = ray.remote(num_cpus=1, max_restarts=0)(_BlockActor)
        self.actors = [self._make(b) for b in range(layout.count)]

    @property
    def in_process(self) -> bool:
        return False

    def _make(self, b):
        return self.actor_class.remote(self.arrays_ref, self.settings, *self.layout.block_args(b),
                                       threads=self.threads)

    def map(self, method, args_per_block=None):
        """``[method(block, *args) for each actor's block]`` (``method`` is a :class:`Block` method)."""
        args_per_block = args_per_block or [()] * len(self.actors)
        return self.ray.get([actor.call.remote(method.__name__, *args)
                             for actor, args in zip(self.actors, args_per_block)])

    def recover(self, states, boundary_prices):
        """Replace every actor and load the consensus ``states`` (own flows and prices per block)."""
        for actor in self.actors:
            try:
                self.ray.kill(actor)
            except Exception:  # already dead
                pass
        self.actors = [self._make(b) for b in range(self.layout.count)]
        boundary = boundary_prices or [None] * self.layout.count
        self.map(Block.load_state, [(flow, price, boundary[b]) for b, (flow, price) in enumerate(states)])

    def close(self):
        for actor in self.actors:
            try:
                self.ray.kill(actor)
            except Exception:
                pass


def solve_splitting_ray(instance, *, gap=1e-3, time_limit=None, max_iterations=None, progress=False, threads=None,
                        blocks=2, address=None, max_recoveries=3, fault_hook=None, threads_per_actor=1,
                        check_every=80, scheme="average", eta=None, restart_beta=(0.2, 0.8, 0.36),
                        certify_within=2.5, certify_every=3, feasibility_margin=None):
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
    threads, threads_per_actor : int, optional
        Numba threads of the driver process (certificates) and of each actor.

    The other options are those of :func:`~evcore.joint.splitting.solve_splitting` (the steps are the
    fixed, provably convergent ones). A budget that can bind needs ``backend="local"`` (its multiplier
    couples every location at every iteration): such instances raise InputError.
    """
    from ..errors import InputError
    from .splitting import _setup, execute

    run_setup = _setup(instance, gap, time_limit, max_iterations, progress, threads, blocks, False, dict(
        check_every=check_every, scheme=scheme, adaptive_steps=False, eta=eta, restart_beta=restart_beta,
        certify_within=certify_within, certify_every=certify_every, feasibility_margin=feasibility_margin,
        max_recoveries=max_recoveries))
    if not isinstance(run_setup, tuple):
        return run_setup
    a, options, settings, limits, reporter, started = run_setup
    if a.budget_binds:
        raise InputError("backend", 'backend="ray" needs a budget that cannot bind (it covers the no-assignment '
                                    'plan); use backend="local"')
    executor = RayExecutor(a, settings, BlockLayout(a, limits["blocks"]), address=address,
                           threads_per_actor=threads_per_actor)
    return execute(instance, a, executor, options, limits, reporter, started, fault_hook=fault_hook)
