"""evcore's convergent decomposition of the joint LP: a restarted, diagonally preconditioned
primal-dual splitting (linearised ADMM / PDHG) with a certified optimality gap.

The capacity rows (4) are the only coupling between locations and slots. Each is priced by a
multiplier ``mu[t, i] >= 0`` (currency per kW) held by location i. One iteration is

1. capacities (per location):  ``c <- P_C(c - tau_c (k - sum_t mu_t))``, C = {0 <= c <= U,
   k c <= B}: a box clip plus a continuous-knapsack projection for the budget (1);
2. flows (per slot and origin, in parallel): ``z <- P(z - tau_z (E_t L / beta - mu_origin +
   mu_destination))``: a projection onto the capped simplex {z >= 0, sum_j z_ij <= a_ti} (3);
3. prices (per slot and location, in parallel): ``mu <- max(0, mu + sigma_i (load(2z' - z) -
   (2c' - c)))`` with ``load = D - out + in`` (4).

Without capacity caps and with a budget that cannot bind (it covers the no-assignment plan, which
costs at least the optimum), c is eliminated: its dual constraint ``sum_t mu_ti <= k_i`` turns step
3 into a projection of each location's week of prices onto a capped simplex, and steps 1-3 become
two phases over location blocks (:mod:`evcore.joint._blocks`: flows of a block's origins, then its
prices), the unit the Ray backend distributes. Only (slot, origin) blocks with an arc of negative
reduced cost (or flow) are updated; the others would stay at zero.

This is linearised ADMM on the splitting of (4) from the simple sets, equivalently the
Chambolle-Pock / PDHG method, which converges for any LP with the Pock-Chambolle diagonal steps
(tau_j = 1 / col-norm, sigma_i = 1 / row-norm). PDLP's adaptive restarts to the running average,
primal-weight balancing and (in-process, one block) its adaptive step rule make it fast in practice.

Certificate. For any ``mu >= 0`` the Lagrangian dual function q(mu) is a closed form (a
continuous knapsack in c and the cheapest arc per (slot, origin)), so ``q(mu)`` is a valid
lower bound. Near the target (capacity eliminated), :func:`evcore.joint._blocks.certify` sharpens
both sides: exact per-location dual ascent on q (a greedy over each location's week, in Numba) and,
for the upper side, the latest plan's capacities with every slot's flows solved exactly. An exactly feasible plan is recovered from the flows alone: z stays feasible for
(3) by projection, and ``c_i = max_t load_ti`` makes (4) hold exactly; its cost is an upper
bound. The run stops when (upper - lower) / upper <= gap. Capacities are kept below
``U_i = max_t (D_ti + sum of neighbours' demand)``, a bound every optimal plan satisfies (the
optimum has c_i = max_t load_ti), so the bound stays valid.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

import numpy as np

from .._compiled import ensure_compiled
from . import _kernels
from ._blocks import balanced_primal_weight, restart_due, stop_status
from ._result import JointResult, make_result, relative_gap

__all__ = ["solve_splitting", "SplittingProblem", "capacity_upper_bound"]


@dataclass
class SplittingProblem:
    """Plain arrays the kernels use (slot-major, kW units)."""

    demand_kw: np.ndarray        # (slots, zones) beta a
    flow_cost_per_kw: np.ndarray  # (pairs,) L_p / beta
    recurrences: np.ndarray      # (slots,)
    origin: np.ndarray
    destination: np.ndarray
    delay: np.ndarray
    out_start: np.ndarray
    in_order: np.ndarray
    in_start: np.ndarray
    cost_per_kw: np.ndarray      # (zones,) k_i
    upper_kw: np.ndarray         # (zones,) min(Cmax, U)
    budget: float
    row_norm: np.ndarray         # (zones,) 1 + out-degree + in-degree

    @classmethod
    def from_instance(cls, instance):
        pairs = instance.pairs
        beta = instance.power_per_ev_kw
        demand_kw = np.ascontiguousarray(beta * instance.demand_ev.T)
        upper = np.minimum(instance.max_capacity_kw, capacity_upper_bound(instance))
        degree = np.bincount(pairs.origin, minlength=instance.zones) + np.bincount(pairs.destination,
                                                                                   minlength=instance.zones)
        return cls(demand_kw=demand_kw, flow_cost_per_kw=pairs.cost_per_ev / beta,
                   recurrences=np.asarray(instance.recurrences, float), origin=pairs.origin,
                   destination=pairs.destination, delay=pairs.delay_slots % instance.slots, out_start=pairs.out_start,
                   in_order=pairs.in_order, in_start=pairs.in_start,
                   cost_per_kw=np.asarray(instance.cost_per_kw, float), upper_kw=upper,
                   budget=float(instance.budget), row_norm=1.0 + degree.astype(float))

    @property
    def slots(self):
        return self.demand_kw.shape[0]

    @property
    def zones(self):
        return self.demand_kw.shape[1]

    @property
    def pairs(self):
        return self.origin.shape[0]

    def flow_cost(self, flow_kw):
        return float(self.recurrences @ flow_kw @ self.flow_cost_per_kw) if self.pairs else 0.0

    def bound(self, price):
        value, _ = _kernels.lagrangian_bound(price, self.demand_kw, self.flow_cost_per_kw, self.recurrences,
                                             self.origin, self.destination, self.delay, self.out_start,
                                             self.cost_per_kw, self.upper_kw, self.budget)
        return float(value)

    def feasible_plan(self, flow_kw, load_kw):
        """Capacities making (4) hold exactly for these flows, the plan's cost and whether it
        respects the caps and the budget."""
        _kernels.slot_loads(flow_kw, self.demand_kw, self.origin, self.destination, self.delay, load_kw)
        capacity = np.maximum(load_kw.max(axis=0), 0.0)
        investment = float(self.cost_per_kw @ capacity)
        ok = bool(np.all(capacity <= self.upper_kw * (1 + 1e-12) + 1e-9)) and investment <= self.budget * (1 + 1e-12)
        return capacity, investment + self.flow_cost(flow_kw), ok


def _blocks_result(instance, problem, layout, out, started):
    if out["best_plan"] is None:
        from .central import no_assignment_plan

        capacity = no_assignment_plan(instance)
        flows_kw = np.zeros((problem.slots, problem.pairs))
    else:
        capacity = np.concatenate([plan[0] for plan in out["best_plan"]])
        parts = [plan[1] for plan in out["best_plan"]]
        flows_kw = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)  # the run's own copy
        if not flows_kw.flags.writeable:  # e.g. an array Ray handed over read-only
            flows_kw = flows_kw.copy()
    flows_kw /= instance.power_per_ev_kw  # now EVs, in place
    return make_result(instance, capacity, flows_kw, lower_bound=out["best_lower"],
                       status=out["status"], iterations=out["iterations"], method="admm",
                       wall_time=time.perf_counter() - started, trace=out["trace"],
                       shadow_price_per_kw=np.ascontiguousarray(out["prices"].T),
                       info=dict(omega=out["omega"], blocks=layout.count, recoveries=out["recoveries"]))


def polish_result(instance, result, started):
    """Keep the capacities and re-solve the flows per slot exactly (HiGHS); the plan stays exactly
    feasible and costs no more (the splitting's flows are feasible for these capacities)."""
    from .central import recover_flows

    if instance.has_delays or instance.pairs.count == 0:
        return result
    flows = recover_flows(instance, result.capacity_kw)
    polished = make_result(instance, result.capacity_kw, flows, lower_bound=result.lower_bound, status=result.status,
                           iterations=result.iterations, method=result.method,
                           wall_time=time.perf_counter() - started, shadow_price_per_kw=result.shadow_price_per_kw,
                           trace=result.trace, info=dict(result.info, polished_from=result.total_cost))
    return polished if polished.total_cost <= result.total_cost else result


def capacity_upper_bound(instance):
    """U_i = beta max_t (a_ti + sum over arcs j -> i of a_{t - tau}, j) (kW): no plan loads i more."""
    pairs = instance.pairs
    slots = instance.slots
    demand = instance.demand_ev
    most = demand.copy()
    if pairs.count and instance.has_delays:
        arrive = (np.arange(slots)[None, :] + pairs.delay_slots[:, None]) % slots
        np.add.at(most, (pairs.destination[:, None], arrive), demand[pairs.origin])
    elif pairs.count:  # same-slot arrivals: one sparse product, no (pairs, slots) temporaries
        import scipy.sparse as sp

        arcs = sp.csr_array((np.ones(pairs.count), (pairs.destination, pairs.origin)),
                            shape=(instance.zones, instance.zones))
        most += arcs @ demand
    return instance.power_per_ev_kw * most.max(axis=1)


class _State:
    """Iterates of the splitting and their running averages since the last restart."""

    def __init__(self, capacity, flow, price):
        self.capacity, self.flow, self.price = capacity, flow, price
        self.reset_average()

    def reset_average(self):
        self.sum_capacity = np.zeros_like(self.capacity)
        self.sum_flow = np.zeros_like(self.flow)
        self.sum_price = np.zeros_like(self.price)
        self.count = 0

    def accumulate(self):
        self.sum_capacity += self.capacity
        self.sum_flow += self.flow
        self.sum_price += self.price
        self.count += 1

    def average(self):
        n = max(self.count, 1)
        return self.sum_capacity / n, self.sum_flow / n, self.sum_price / n


def apply_operator(problem, capacity, flow, price, omega, eliminate, flow_out, price_out, load):
    """One primal-dual (PDHG) step T from (capacity, flow, price); writes flow_out, price_out and returns the
    new capacity (None when capacity is eliminated). Kernels run in parallel over slots and locations."""
    eta = 0.99
    tau_z = eta / (omega * 2.0)
    _kernels.flow_step(flow, price, problem.recurrences, problem.flow_cost_per_kw, problem.origin,
                       problem.destination, problem.delay, problem.out_start, problem.demand_kw, tau_z, flow_out)
    flow_bar = 2.0 * flow_out - flow
    if eliminate:
        sigma = eta * omega / (problem.row_norm - 1.0).clip(min=1.0)
        _kernels.capped_price_step(price, flow_bar, problem.demand_kw, problem.origin, problem.destination,
                                   problem.delay, sigma, problem.cost_per_kw, price_out, load)
        return capacity
    tau_c = eta / (omega * problem.slots)
    sigma = eta * omega / problem.row_norm
    gain = problem.cost_per_kw - price.sum(axis=0)
    capacity_new = _kernels.capacity_projection(capacity - tau_c * gain, problem.cost_per_kw, problem.upper_kw,
                                                problem.budget)
    _kernels.price_step(price, 2.0 * capacity_new - capacity, flow_bar, problem.demand_kw, problem.origin,
                        problem.destination, problem.delay, sigma, price_out, load)
    return capacity_new


def run_iterations(problem, state, count, omega, scratch, eliminate=False, halpern=None):
    """``count`` iterations in place on ``state``.

    Without ``halpern``: plain PDHG, z <- T(z), with running averages. With ``halpern`` (a dict
    holding the anchor z0 and the counter k): reflected Halpern, z <- (k+1)/(k+2) (2 T(z) - z) +
    1/(k+2) z0; ``state.current`` keeps T(z), the point evaluated for certificates.
    """
    flow_new, price_new, load = scratch[:3]
    for _ in range(count):
        capacity_new = apply_operator(problem, state.capacity, state.flow, state.price, omega, eliminate, flow_new,
                                      price_new, load)
        if halpern is None:
            state.capacity = capacity_new
            state.flow, flow_new = flow_new, state.flow
            state.price, price_new = price_new, state.price
            state.accumulate()
            continue
        k = halpern["k"]
        weight = (k + 1.0) / (k + 2.0)
        anchor_capacity, anchor_flow, anchor_price = halpern["anchor"]
        state.current = (capacity_new.copy(), flow_new.copy(), price_new.copy())
        state.capacity = weight * (2.0 * capacity_new - state.capacity) + (1.0 - weight) * anchor_capacity
        state.flow = weight * (2.0 * flow_new - state.flow) + (1.0 - weight) * anchor_flow
        state.price = weight * (2.0 * price_new - state.price) + (1.0 - weight) * anchor_price
        halpern["k"] = k + 1
    scratch[0], scratch[1] = flow_new, price_new


class ActiveSet:
    """(slot, origin) blocks whose flows are updated; the others hold zero flows in both buffers and a
    flow step would leave them at zero (no arc with a negative reduced cost). Refreshed every few
    iterations; the certificate always prices every arc, so it stays exact."""

    def __init__(self, problem):
        self.mask = np.zeros((problem.slots, problem.zones), dtype=np.bool_)
        self.count = 0

    def refresh(self, problem, state, other_buffer):
        new = np.empty_like(self.mask)
        self.count = _kernels.block_active(state.flow, state.flow, state.price, problem.recurrences,
                                           problem.flow_cost_per_kw, problem.destination, problem.delay,
                                           problem.out_start, 0, problem.zones, new)
        dropped = self.mask & ~new
        if dropped.any():
            _kernels.clear_blocks(state.flow, dropped, problem.out_start)
            _kernels.clear_blocks(other_buffer, dropped, problem.out_start)
        self.mask = new


def run_active_iterations(problem, state, count, omega, scratch, active, refresh_every=10):
    """Eliminated-capacity PDHG iterations over the active blocks only, with fused kernels."""
    eta = 0.99
    tau_z = eta / (omega * 2.0)
    sigma = eta * omega / (problem.row_norm - 1.0).clip(min=1.0)
    flow_new, price_new, load = scratch[:3]
    flow_bar = scratch[3]  # written by the flow step; these prices take 2 z' - z from the two buffers
    for k in range(count):
        if k % refresh_every == 0:
            active.refresh(problem, state, flow_new)
        _kernels.block_flow_step(state.flow, state.price, problem.recurrences, problem.flow_cost_per_kw,
                                 problem.destination, problem.delay, problem.out_start, problem.demand_kw,
                                 active.mask, 0, problem.zones, tau_z, flow_new, state.sum_flow, flow_bar)
        _kernels.fused_capped_price_step(state.price, flow_new, state.flow, problem.demand_kw, problem.origin,
                                         problem.destination, problem.delay, active.mask, sigma, problem.cost_per_kw,
                                         price_new, state.sum_price, load)
        state.flow, flow_new = flow_new, state.flow
        state.price, price_new = price_new, state.price
        state.count += 1
    scratch[0], scratch[1] = flow_new, price_new


def solve_splitting(instance, *, gap=1e-3, time_limit=None, max_iterations=100_000, check_every=80,
                    progress=False, initial=None, eliminate_capacity=None, scheme="average", executor=None,
                    block_options=None, polish=False) -> JointResult:
    """Solve the joint LP by evcore's restarted primal-dual splitting to a certified gap.

    Parameters
    ----------
    instance : JointInstance
    gap : float
        Target certified relative gap (upper - lower) / upper.
    time_limit : float, optional
        Seconds (after kernel compilation).
    max_iterations : int
    check_every : int
        Iterations between certificate evaluations (and restart decisions).
    progress : bool
        Print iteration, residual, objective, bound and gap to stderr at each check.
    initial : tuple (capacity_kw, flows_kw, price), optional
        Warm start (e.g. the last consensus state of an interrupted run).
    scheme : {"average", "halpern"}
        Restarted PDHG with running averages (PDLP's scheme, the default) or the reflected
        Halpern iteration anchored at the last restart point.
    block_options : dict, optional
        Passed to :func:`evcore.joint._blocks.run_blocks` (``certify_within``: certify once the
        gap is within this many times ``gap``, 0 turns it off; ``refresh_every``; ``eta``).
    polish : bool
        Re-solve the final plan's flows per slot exactly with its capacities fixed.

    Returns
    -------
    JointResult
        The best feasible plan found, ``lower_bound`` = best Lagrangian bound, status
        ``"gap_reached"``, ``"iteration_limit"`` or ``"time_limit"``.

    Reference: seed 000 model (8), (1)-(7); the splitting is evcore's (see module docstring).
    """
    from .central import check_budget

    ensure_compiled(_kernels)
    check_budget(instance)
    started = time.perf_counter()
    problem = SplittingProblem.from_instance(instance)
    if problem.pairs == 0:  # no arc within range: every EV charges where it is, c_i = max_t D_ti is optimal
        from .central import no_assignment_plan

        capacity = no_assignment_plan(instance)
        optimum = float(instance.cost_per_kw @ capacity)
        return make_result(instance, capacity, np.zeros((problem.slots, 0)), lower_bound=optimum, status="optimal",
                           iterations=0, method="admm", wall_time=time.perf_counter() - started)
    if initial is None:
        state = _State(np.minimum(problem.demand_kw.max(axis=0), problem.upper_kw),
                       np.zeros((problem.slots, problem.pairs)), np.zeros((problem.slots, problem.zones)))
    else:
        state = _State(*(np.array(a, dtype=float) for a in initial))
    # Without capacity caps the capacity column has dual k_i - sum_t mu_ti >= 0: c is eliminated and the
    # prices of a location live on a capped simplex (better conditioned: no column of 672 entries).
    # The budget cannot bind when it covers the no-assignment plan (the optimum costs at most that much).
    from .central import no_assignment_plan

    slack_budget = float(instance.cost_per_kw @ no_assignment_plan(instance)) <= instance.budget
    eliminate = (bool(np.all(np.isinf(instance.max_capacity_kw))) and slack_budget if eliminate_capacity is None
                 else eliminate_capacity)
    if eliminate and initial is None:
        from ._blocks import BlockLayout, LocalExecutor, run_blocks

        executor = LocalExecutor(problem, BlockLayout(problem, 1), scheme) if executor is None else executor
        try:
            out = run_blocks(problem, executor, gap=gap, time_limit=time_limit, max_iterations=max_iterations,
                             check_every=check_every, progress=progress, started=started, **(block_options or {}))
        finally:
            executor.close()
        result = _blocks_result(instance, problem, executor.layout, out, started)
        return polish_result(instance, result, started) if polish else result
    cost_norm = math.sqrt(float(problem.cost_per_kw @ problem.cost_per_kw)
                          + float(np.sum((problem.recurrences[:, None] * problem.flow_cost_per_kw[None, :]) ** 2)))
    omega = cost_norm / max(float(np.linalg.norm(problem.demand_kw)), 1e-12)
    active = ActiveSet(problem)
    halpern = None if scheme == "average" else dict(k=0, anchor=(state.capacity.copy(), state.flow.copy(),
                                                                  state.price.copy()))
    scratch = [np.zeros_like(state.flow), np.zeros_like(state.price), np.zeros_like(state.price),
               np.zeros_like(state.flow) if eliminate and halpern is None else None]
    load = np.zeros_like(state.price)
    best_upper, best_plan, best_lower = np.inf, None, -np.inf
    restart_point = (state.capacity.copy(), state.flow.copy(), state.price.copy())
    merit_at_restart = np.inf
    last_merit = np.inf
    since_restart = 0
    iterations = 0
    trace = []
    status = "iteration_limit"
    while iterations < max_iterations:
        step = min(check_every, max_iterations - iterations)
        if eliminate and halpern is None:
            run_active_iterations(problem, state, step, omega, scratch, active)
        else:
            run_iterations(problem, state, step, omega, scratch, eliminate, halpern)
        iterations += step
        since_restart += step
        if halpern is None:
            candidates = [(state.capacity, state.flow, state.price), state.average()]
        else:
            candidates = [state.current]
        merits = []
        for capacity, flow, price in candidates:
            lower = problem.bound(price)
            plan_capacity, upper, ok = problem.feasible_plan(flow, load)
            if lower > best_lower:
                best_lower = lower
            if ok and upper < best_upper:
                best_upper, best_plan = upper, (plan_capacity, flow.copy())
            merits.append(relative_gap(upper, lower) if ok else np.inf)
        violation = (float(np.max(load - state.capacity[None, :], initial=0.0))
                     / max(float(problem.demand_kw.max()), 1e-12))
        certified = relative_gap(best_upper, best_lower)
        seconds = time.perf_counter() - started
        trace.append(dict(iteration=iterations, seconds=seconds, violation=violation, upper=best_upper,
                          lower=best_lower, gap=certified, omega=omega))
        if progress:
            print(f"[joint admm] it {iterations:6d}  {seconds:7.2f}s  viol {violation:.2e}  upper {best_upper:.8g}  "
                  f"lower {best_lower:.8g}  gap {certified:.2e}  omega {omega:.3g}", file=sys.stderr, flush=True)
        stop = stop_status(certified, gap, seconds, time_limit)
        if stop:
            status = stop
            break
        # Adaptive restart (PDLP): to the better of current and average when its merit fell enough.
        pick = int(np.argmin(merits))
        merit = merits[pick]
        if restart_due(merit, merit_at_restart, last_merit, since_restart, iterations):
            capacity, flow, price = (np.array(a) for a in candidates[pick])
            dx = math.sqrt(float((not eliminate) * np.sum((capacity - restart_point[0]) ** 2)
                                 + np.sum((flow - restart_point[1]) ** 2)))
            omega = balanced_primal_weight(omega, dx, float(np.linalg.norm(price - restart_point[2])))
            state.capacity, state.flow, state.price = capacity, flow, price
            state.reset_average()
            active.refresh(problem, state, scratch[0])
            if halpern is not None:
                halpern.update(k=0, anchor=(capacity.copy(), flow.copy(), price.copy()))
            restart_point = (capacity.copy(), flow.copy(), price.copy())
            merit_at_restart = merit
            since_restart = 0
        last_merit = merit
    if best_plan is None:  # no feasible plan yet: fall back to the no-assignment plan
        from .central import no_assignment_plan

        capacity, flows_kw, status = no_assignment_plan(instance), np.zeros((problem.slots, problem.pairs)), status
        best_upper = float(problem.cost_per_kw @ capacity)
    else:
        capacity, flows_kw = best_plan
    return make_result(instance, capacity, flows_kw / instance.power_per_ev_kw, lower_bound=best_lower, status=status,
                       iterations=iterations, method="admm", wall_time=time.perf_counter() - started,
                       shadow_price_per_kw=np.ascontiguousarray(state.price.T), trace=trace,
                       info=dict(omega=omega, final_state=(state.capacity, state.flow, state.price)))
