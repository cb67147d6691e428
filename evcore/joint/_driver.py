"""The one driver of joint's splitting, for every backend: iterations, certificates, restarts, limits.

It runs location blocks through an executor (in-process :class:`~evcore.joint._blocks.LocalExecutor` or
Ray actors, :mod:`evcore.joint._ray`) that maps :class:`~evcore.joint._blocks.Block` methods over the
blocks. Every ``check_every`` iterations it evaluates the candidates (the current iterate and, for PDHG
with averages, the running average): a plan from the flows (capacities = peak loads) is an upper bound
when it respects the caps and the budget, and the Lagrangian dual function of the prices is a lower
bound. Near the target :func:`certify` sharpens both. Restarts and the primal weight follow PDLP.
The whole decision state is one :class:`DriverState`; at each restart the driver keeps a snapshot, from
which a Ray run resumes when an actor dies (deterministically: the same answer as without the failure).
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .._validate import as_scalar, check_choice, check_flag
from ..errors import InputError
from . import _splitting_kernels as kernels
from ._blocks import Block
from ._repair import plan_fits, restricted_plan

__all__ = ["EngineOptions", "DriverState", "Outcome", "run", "certify", "lagrangian_bound", "capacity_term",
           "step_scale", "restart_due", "balanced_primal_weight", "stop_status", "initial_omega"]


@dataclass(frozen=True)
class EngineOptions:
    """Options of the splitting engine (validated on creation; bad values raise InputError).

    check_every : int >= 1
        Iterations between certificate evaluations, restart decisions and thread re-measurements.
    scheme : {"average", "halpern"}
        Restarted PDHG with running averages (PDLP's scheme) or the reflected Halpern iteration
        anchored at the last restart point (fixed steps).
    adaptive_steps : bool
        PDLP's adaptive step rule when one in-process block holds every location and the scheme is
        "average"; otherwise (and when False) the fixed, provably convergent steps.
    averages : bool
        On the adaptive path, also try the running average as a restart candidate.
    eta : float > 0, optional
        Fixed step scale (default: 0.95 / the norm of the preconditioned operator, by power iteration).
    restart_beta : (sufficient, necessary, artificial)
        PDLP's restart factors, 0 < sufficient <= necessary < 1, artificial > 0.
    certify_within : float >= 0
        Sharpen the certificate (:func:`certify`) once the gap is within this many times the target
        (0: never).
    certify_every : int >= 1
        ... at every ``certify_every``-th check.
    feasibility_margin : float in [0, 0.5), optional
        The iterates aim at caps and budget shrunk by this share, so that a plan from them respects
        the true ones before the iterates have fully converged (default 0: a shrunk problem can be
        infeasible when the budget is the smallest that serves every EV; plans near the iterates come
        from :func:`evcore.joint._repair.restricted_plan` instead).
    max_recoveries : int >= 0
        Worker failures a Ray run survives by resuming from the last consensus state.
    """

    check_every: int = 80
    scheme: str = "average"
    adaptive_steps: bool = True
    averages: bool = False
    eta: float | None = None
    restart_beta: tuple = (0.2, 0.8, 0.36)
    certify_within: float = 2.5
    certify_every: int = 3
    feasibility_margin: float | None = None
    max_recoveries: int = 3

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("check_every", _integer("check_every", self.check_every, 1))
        set_("scheme", check_choice("scheme", self.scheme, ("average", "halpern")))
        set_("adaptive_steps", check_flag("adaptive_steps", self.adaptive_steps))
        set_("averages", check_flag("averages", self.averages))
        if self.eta is not None:
            set_("eta", _positive("eta", self.eta))
        beta = self.restart_beta
        if not isinstance(beta, (tuple, list)) or len(beta) != 3:
            raise InputError("restart_beta", f"must be three numbers (sufficient, necessary, artificial), got {beta!r}")
        beta = tuple(_positive("restart_beta", b) for b in beta)
        if not beta[0] <= beta[1] < 1.0:
            raise InputError("restart_beta", f"needs 0 < sufficient <= necessary < 1, got {beta!r}")
        set_("restart_beta", beta)
        certify_within = as_scalar("certify_within", self.certify_within)
        if not 0.0 <= certify_within < math.inf:
            raise InputError("certify_within", f"must be a finite number >= 0, got {certify_within!r}")
        set_("certify_within", certify_within)
        set_("certify_every", _integer("certify_every", self.certify_every, 1))
        if self.feasibility_margin is not None:
            margin = as_scalar("feasibility_margin", self.feasibility_margin)
            if not 0.0 <= margin < 0.5:
                raise InputError("feasibility_margin", f"must be in [0, 0.5), got {margin!r}")
            set_("feasibility_margin", margin)
        set_("max_recoveries", _integer("max_recoveries", self.max_recoveries, 0))

    def margin(self, gap: float) -> float:
        return 0.0 if self.feasibility_margin is None else self.feasibility_margin


def _integer(name, value, minimum):
    value = as_scalar(name, value, int)
    if value < minimum:
        raise InputError(name, f"must be an integer >= {minimum}, got {value!r}")
    if value > 2**62:
        raise InputError(name, f"must be at most 2**62, got {value!r}")
    return value


def _positive(name, value):
    value = as_scalar(name, value)
    if not 0.0 < value < math.inf:
        raise InputError(name, f"must be a finite number > 0, got {value!r}")
    return value


class Plan(NamedTuple):
    """A feasible plan: capacities (zones,) kW and the flows (slots, pairs) kW in per-block parts."""

    capacity_kw: np.ndarray
    flow_parts: list


class Candidate(NamedTuple):
    lower: float              # Lagrangian bound of the candidate's prices
    upper: float              # cost of its plan, inf when the plan breaks a cap or the budget
    nominal: float            # cost of its plan regardless
    excess: float             # cost of what breaks caps and budget (currency)
    capacity_kw: np.ndarray   # its plan's capacities (peak loads)
    boundary_prices: list     # routed boundary prices (multi-block restarts start from them)

    @property
    def merit(self) -> float:
        """Relative gap of the plan regardless of feasibility, plus its relative excess (PDLP restarts)."""
        if not (math.isfinite(self.nominal) and math.isfinite(self.lower)):
            return math.inf
        scale = max(abs(self.nominal), 1e-12)
        return max(self.nominal - self.lower, 0.0) / scale + self.excess / scale


@dataclass
class DriverState:
    """Everything the driver decides from (copied whole into each snapshot)."""

    omega: float
    eta: float
    omega0: float
    iterations: int = 0
    since_restart: int = 0
    merit_at_restart: float = math.inf
    last_merit: float = math.inf
    best_upper: float = math.inf
    best_lower: float = -math.inf
    best_plan: Plan | None = None
    boundary_prices: list | None = None
    certified_at: int | None = None
    upper_misses: int = 0     # consecutive plan sharpenings that did not lower the best plan's cost
    upper_wait: int = 0       # sharpenings to run lower-side only before the next plan sharpening
    trace: list = field(default_factory=list)


class Outcome(NamedTuple):
    plan: Plan | None
    lower: float
    status: str
    iterations: int
    trace: list
    omega: float
    recoveries: int
    prices: np.ndarray


def initial_omega(a) -> float:
    """Primal weight from the scales of costs and demands (PDLP's default)."""
    cost_norm = math.sqrt(float(a.cost_per_kw @ a.cost_per_kw)
                          + float(np.sum((a.recurrences[:, None] * a.flow_cost_per_kw[None, :]) ** 2)))
    return cost_norm / max(float(np.linalg.norm(a.demand_kw)), 1e-12)


def run(a, executor, options: EngineOptions, *, gap, time_limit, max_iterations, reporter, governor, started,
        fault_hook=None) -> Outcome:
    """Run the splitting over ``executor``'s blocks until the certified gap, a limit or the iteration cap."""
    layout = executor.layout
    single = layout.count == 1
    halpern = executor.settings.halpern
    if np.isfinite(executor.settings.budget) and not single:
        raise InputError("blocks", "a budget that can bind needs one block (blocks=1, backend='local')")
    candidates = ("current",) if halpern else ("current", "average")
    adaptive = options.adaptive_steps and single and not halpern and executor.in_process
    if adaptive and not options.averages:
        candidates = ("current",)
    omega = initial_omega(a)
    state = DriverState(omega=omega, eta=step_scale(a) if options.eta is None else options.eta, omega0=omega)
    recoveries = 0

    def take_snapshot():
        if executor.in_process:  # in-process blocks cannot die: nothing to resume from
            return None
        return _copy(state), executor.map(Block.own_state)

    def evaluate(which) -> Candidate:
        sent = executor.map(Block.candidate_prepare, [(which,)] * layout.count)
        flows = layout.route_flows([s[0] for s in sent])
        prices = layout.route_prices([s[1] for s in sent])
        parts = executor.map(Block.candidate_finish, list(zip(flows, prices)))
        capacity = np.concatenate([p.capacity_kw for p in parts])
        lower = sum(p.bound_part for p in parts) + capacity_term(a, np.concatenate([p.price_total for p in parts]))
        investment = float(a.cost_per_kw @ capacity)
        nominal = investment + sum(p.flow_cost for p in parts)
        over = np.maximum(capacity - a.max_capacity_kw, 0.0)
        excess = float(a.cost_per_kw @ over) + max(investment - a.budget, 0.0)
        feasible = plan_fits(a, capacity)
        return Candidate(lower, nominal if feasible else math.inf, nominal, excess, capacity, prices)

    status = "iteration_limit"
    ceiling = plan_cost_ceiling(a)
    snapshot = take_snapshot()
    while state.iterations < max_iterations:
        try:
            if fault_hook is not None:
                fault_hook(state.iterations, executor)
            threads = governor.update()
            omega = state.omega
            count = min(options.check_every, max_iterations - state.iterations)
            if single:
                state.eta = executor.map(Block.run_local, [(count, state.eta, omega, adaptive, options.averages)])[0]
            else:
                step = state.eta / (2.0 * omega)
                sigma = state.eta * omega / a.degree
                for _ in range(count):
                    boundary = state.boundary_prices or [None] * layout.count
                    sent = executor.map(Block.flow_phase, [(boundary[b], step) for b in range(layout.count)])
                    received = layout.route_flows(sent)
                    sent = executor.map(Block.price_phase, [(received[b], sigma) for b in range(layout.count)])
                    state.boundary_prices = layout.route_prices(sent)
            executor.map(Block.sync)
            state.iterations += count
            state.since_restart += count
            evaluated = []
            for which in candidates:
                candidate = evaluate(which)
                evaluated.append(candidate)
                state.best_lower = max(state.best_lower, candidate.lower)
                if candidate.upper < state.best_upper:
                    state.best_upper = candidate.upper
                    executor.map(Block.keep_candidate)
                    state.best_plan = Plan(candidate.capacity_kw, [p[1] for p in executor.map(Block.best_plan)])
            if state.best_lower > ceiling * (1 + 1e-9):
                from ..errors import InfeasibleError

                raise InfeasibleError(f"the capacity caps and the budget cannot serve every EV: the Lagrangian bound "
                                      f"{state.best_lower:.6g} of the prices at iteration {state.iterations} exceeds "
                                      f"{ceiling:.6g}, more than any plan can cost")
            pick = int(np.argmin([c.merit for c in evaluated]))
            merit = evaluated[pick].merit
            certified = _relative_gap(state.best_upper, state.best_lower)
            checks = state.iterations // options.check_every
            due = state.certified_at is None or checks - state.certified_at >= options.certify_every
            if (options.certify_within > 0 and due and certified > gap
                    and min(certified, merit) <= options.certify_within * gap):
                chosen = int(np.argmin([c.nominal + c.excess for c in evaluated]))
                if chosen != len(evaluated) - 1:  # the blocks hold the last candidate; take this one again
                    evaluated[chosen] = evaluate(candidates[chosen])
                prices = np.concatenate(executor.map(Block.price_columns), axis=1)
                lower = certify(a, prices, None, layout)[0]
                state.best_lower = max(state.best_lower, lower)
                # The plan side costs many small LPs (about a third of a run when done at every sharpening)
                # and once near the optimum it seldom moves while the bound creeps up: after a sharpening
                # that did not lower the best plan's cost by a tenth of the target, skip 1, 3, then 4 of
                # them (never more, as a late plan can still be the one the bound certifies).
                if _relative_gap(state.best_upper, state.best_lower) > gap and state.upper_wait == 0:
                    parts = executor.map(Block.candidate_flows)  # the repair re-optimises around them
                    flows = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
                    _, upper, plan = certify(a, None, evaluated[chosen].capacity_kw, layout, flows)
                    improved = upper < state.best_upper - 0.1 * gap * abs(state.best_upper)
                    if upper < state.best_upper:
                        state.best_upper, state.best_plan = upper, plan
                    state.upper_misses = 0 if improved else state.upper_misses + 1
                    state.upper_wait = min(2 ** state.upper_misses - 1, 4)
                elif state.upper_wait > 0:
                    state.upper_wait -= 1
                state.certified_at = checks
                certified = _relative_gap(state.best_upper, state.best_lower)
            seconds = time.perf_counter() - started
            state.trace.append(dict(iteration=state.iterations, seconds=seconds, upper=state.best_upper,
                                    lower=state.best_lower, gap=certified, omega=omega, eta=state.eta,
                                    violation=evaluated[0].excess / max(abs(evaluated[0].nominal), 1e-12),
                                    threads=threads))
            reporter.report(state.iterations, objective=state.best_upper if math.isfinite(state.best_upper) else None,
                            bound=state.best_lower if math.isfinite(state.best_lower) else None,
                            gap=certified if math.isfinite(certified) else None,
                            message=f"omega {omega:.3g}, eta {state.eta:.3g}, {threads} thread(s)")
            stop = stop_status(certified, gap, seconds, time_limit)
            if stop:
                status = stop
                break
            if restart_due(merit, state.merit_at_restart, state.last_merit, state.since_restart, state.iterations,
                           options.restart_beta):
                if pick == 0 and len(evaluated) > 1:  # the blocks hold the last candidate; take the current again
                    evaluated[0] = evaluate("current")
                dists = executor.map(Block.restart_to_candidate)
                state.omega = balanced_primal_weight(omega, math.sqrt(sum(d[0] for d in dists)),
                                                     math.sqrt(sum(d[1] for d in dists)), state.omega0)
                state.boundary_prices = None if single else evaluated[pick].boundary_prices
                state.trace[-1]["restart"] = candidates[pick]
                state.merit_at_restart = merit
                state.since_restart = 0
                state.last_merit = merit
                snapshot = take_snapshot()
            else:
                state.last_merit = merit
        except Exception as exc:  # a dead block (Ray actor): resume from the last consensus state
            if not _is_worker_failure(exc):
                raise
            if recoveries >= options.max_recoveries:
                from ..errors import SolverError

                raise SolverError(f"a worker of the distributed splitting failed {recoveries + 1} times; stopped at "
                                  f"iteration {state.iterations} (last consensus state at iteration "
                                  f"{snapshot[0].iterations})", type(exc).__name__) from exc
            recoveries += 1
            reporter.report(state.iterations, message=f"worker lost ({type(exc).__name__}); resuming from the "
                                                      f"consensus state of iteration {snapshot[0].iterations}",
                            force=True)
            state = _copy(snapshot[0])
            executor.recover(snapshot[1], state.boundary_prices)
    prices = np.concatenate(executor.map(Block.price_columns), axis=1)
    return Outcome(state.best_plan, state.best_lower, status, state.iterations, state.trace, state.omega,
                   recoveries, prices)


def plan_cost_ceiling(a) -> float:
    """More than an optimal plan can cost, if one exists: every capacity at its bound ``upper_kw`` and every
    EV sent along the dearest arc of its zone. A Lagrangian bound above it proves the instance infeasible."""
    dearest = np.zeros(a.zones)
    if a.pairs:
        np.maximum.at(dearest, a.origin, a.flow_cost_per_kw)
    return float(a.cost_per_kw @ a.upper_kw) + float(a.recurrences @ a.demand_kw @ dearest)


def capacity_term(a, price_total) -> float:
    """min over {0 <= c <= upper, k c <= B} of sum_i c_i (k_i - sum_t mu_ti): the capacity part of the
    Lagrangian bound (``price_total`` = sum over slots of the prices, per location)."""
    gain = a.cost_per_kw - price_total
    if a.budget_binds:
        from ._kernels import knapsack_minimum

        value, _ = knapsack_minimum(np.ascontiguousarray(gain), np.ascontiguousarray(a.cost_per_kw),
                                    np.ascontiguousarray(a.upper_kw), a.budget)
        return float(value)
    return float(np.sum(a.upper_kw * np.minimum(gain, 0.0)))


def lagrangian_bound(a, price) -> float:
    """The Lagrangian dual function q(mu) of the joint LP for capacity-row prices ``price >= 0``
    (slots, zones): a valid lower bound on the optimum for any such prices."""
    per_slot = np.zeros(a.slots)
    kernels.bound_parts(a, price, 0, a.zones, per_slot)
    return float(np.sum(per_slot)) + capacity_term(a, price.sum(axis=0))


def certify(a, prices, capacity, layout, flows=None, sweeps=1):
    """Sharpen both sides of the certificate from the current state.

    Lower: ``sweeps`` sweeps of exact per-location dual ascent from ``prices`` (budget that cannot bind;
    never lowers the bound; not computed, -inf, when ``prices`` is None). Upper (not computed when
    ``capacity`` is None): with ``flows``, the plan of :func:`evcore.joint._repair.restricted_plan` around
    them (capacities re-optimised with the flows of the slots near a peak); when that fails and there are
    no caps, binding budget or travel delays, the latest plan's ``capacity`` with every slot's flows solved
    exactly (:func:`evcore.joint.central.slot_flows_kw`), each capacity then lowered to its new peak load.
    Returns (lower, upper, plan); upper is inf and plan None when not computed or not feasible.
    """
    from ..errors import InfeasibleError
    from .central import slot_flows_kw

    lower = -math.inf
    if prices is not None:
        price = np.array(prices, dtype=float)
        if not a.budget_binds:
            for _ in range(sweeps):
                kernels.dual_ascent_sweep(a, price)
        lower = lagrangian_bound(a, price)
    if capacity is None:
        return lower, math.inf, None
    best = (math.inf, None)
    if flows is not None:
        # Without caps or a binding budget the restricted LP is an option, not a need: kept to a quarter
        # of the flow variables it re-optimises the capacities near the iterate in seconds (the iterate's
        # peak loads overshoot the optimal capacities by the iterate's error; measured on c80-r3 the plan
        # went from 0.068 % to 0.016 % above the optimum), and the slots' exact flows under those
        # capacities below then remove the flows' own error.
        needed = a.capped or a.budget_binds
        repaired = restricted_plan(a, flows, max_columns=2_000_000 if needed else a.slots * a.pairs // 4)
        if repaired is not None:
            capacity, flows, upper = repaired
            best = (upper, _plan(capacity, flows, layout))
        if needed or repaired is None and a.has_delays:
            return lower, best[0], best[1]
    if a.has_delays or a.pairs == 0:
        return lower, best[0], best[1]
    try:
        flows = slot_flows_kw(a.demand_kw, a.flow_cost_per_kw, a.recurrences, a.origin, a.destination, capacity)
    except InfeasibleError:
        return lower, best[0], best[1]
    load = np.empty_like(a.demand_kw)
    kernels.loads(a, flows, 0, a.zones, load)
    capacity = np.minimum(capacity, np.maximum(load.max(axis=0), 0.0))
    upper = float(a.cost_per_kw @ capacity) + a.flow_cost(flows)
    return (lower, upper, _plan(capacity, flows, layout)) if upper < best[0] else (lower, best[0], best[1])


def _plan(capacity, flows, layout):
    if len(layout.ranges) == 1:  # the plan owns these flows: no copy
        return Plan(capacity, [flows])
    out_start = layout.out_start
    return Plan(capacity, [flows[:, out_start[z0]:out_start[z1]].copy() for z0, z1 in layout.ranges])


def stop_status(certified, gap, seconds, time_limit):
    """"gap_reached", "time_limit" or None (go on)."""
    if certified <= gap:
        return "gap_reached"
    if time_limit is not None and seconds >= time_limit:
        return "time_limit"
    return None


def restart_due(merit, merit_at_restart, last_merit, since_restart, iterations, beta=(0.2, 0.8, 0.36)):
    """PDLP's adaptive restart test: the merit fell by the sufficient factor, or by the necessary one and
    stopped falling, or the run went ``beta[2]`` of its iterations without a restart."""
    sufficient, necessary, artificial = beta
    return (merit <= sufficient * merit_at_restart or (merit <= necessary * merit_at_restart and merit > last_merit)
            or since_restart >= artificial * iterations)


def balanced_primal_weight(omega, primal_move, dual_move, omega0=None):
    """PDLP's primal weight after a restart: halfway (in logs) towards dual move / primal move, kept within
    1e-4..1e4 times the initial weight ``omega0`` (one side that has stopped moving must not drive the
    weight to 0 or infinity, which would freeze the other)."""
    if not (primal_move > 1e-10 and dual_move > 1e-10):
        return omega
    value = math.exp(0.5 * math.log(dual_move / primal_move) + 0.5 * math.log(omega))
    if omega0 is not None:
        value = min(max(value, omega0 * 1e-4), omega0 * 1e4)
    return value


def step_scale(a, iterations=60, seed=0):
    """0.95 / ||diag(deg)^-1/2 K / sqrt(2)||, by power iteration (a fixed seed: deterministic).

    K maps flows to loads (-1 at the origin's row, +1 at the destination's arrival row). Pock and
    Chambolle's diagonal steps (1/2 per flow, 1/deg per row) guarantee that norm <= 1; it is often
    smaller, and scaling both steps by its inverse keeps PDHG convergent with longer steps.
    """
    import scipy.sparse as sp

    pairs, zones = a.pairs, a.zones
    if pairs == 0:
        return 0.99
    # Without delays K is block diagonal over slots, every block the same: one slot is enough.
    slots = a.slots if a.has_delays else 1
    t = np.repeat(np.arange(slots), pairs)
    p = np.tile(np.arange(pairs), slots)
    arrive = (t + a.delay[p]) % slots
    rows = np.concatenate([t * zones + a.origin[p], arrive * zones + a.destination[p]])
    cols = np.concatenate([t * pairs + p, t * pairs + p])
    vals = np.concatenate([-np.ones(t.size), np.ones(t.size)])
    scale = np.tile(1.0 / np.sqrt(a.degree), slots)
    matrix = sp.csr_array((vals * scale[rows] / np.sqrt(2.0), (rows, cols)), shape=(slots * zones, slots * pairs))
    x = np.random.default_rng(seed).standard_normal(slots * pairs)
    norm = 0.0
    for _ in range(iterations):
        y = matrix.T @ (matrix @ x)
        norm = float(np.linalg.norm(y))
        if norm == 0.0:
            return 0.99
        x = y / norm
    return 0.95 / max(np.sqrt(norm), 1e-12)


def _copy(state: DriverState) -> DriverState:
    """A snapshot of the driver state (arrays are replaced, never changed in place: a shallow copy)."""
    out = copy.copy(state)
    out.trace = list(state.trace)
    return out


def _relative_gap(upper, lower):
    if not (math.isfinite(upper) and math.isfinite(lower)):
        return math.inf
    return max(upper - lower, 0.0) / max(abs(upper), 1e-12)


def _is_worker_failure(exc) -> bool:
    try:
        import ray.exceptions as rex
    except ImportError:  # pragma: no cover
        return False
    kinds = [rex.RayActorError, rex.WorkerCrashedError]
    if hasattr(rex, "ActorDiedError"):
        kinds.append(rex.ActorDiedError)
    return isinstance(exc, tuple(kinds))
