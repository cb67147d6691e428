"""Location blocks of the splitting, and the driver that runs them in-process or on Ray actors.

A block owns locations ``z0..z1-1``: the flows leaving them (pairs ``out_start[z0]:out_start[z1]``), their
prices and running averages. One iteration is two exchanges:

1. flow phase: with the prices of remote destinations (boundary prices), update the active own flows and
   send the extrapolated flows ``2 z' - z`` of arcs that leave the block (boundary flows);
2. price phase: with the boundary flows arriving from other blocks, update the own prices and send those
   that other blocks' arcs arrive at.

Certificates, restarts and the primal weight are decided by the driver from per-block partial sums
(see :mod:`evcore.joint.splitting`). The driver snapshots the state at every restart (the last
consensus state); when a block's process dies the run resumes from that snapshot, deterministically.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from . import _kernels

__all__ = ["Block", "BlockLayout", "LocalExecutor", "run_blocks", "certify", "restart_due", "balanced_primal_weight",
           "stop_status"]


class BlockLayout:
    """Which block owns what, and who must send what to whom."""

    def __init__(self, problem, blocks: int):
        zones = problem.zones
        blocks = max(1, min(int(blocks), zones))
        # Contiguous ranges with about the same number of arcs each.
        weight = np.diff(problem.out_start).astype(float) + 1.0
        cuts = np.searchsorted(np.cumsum(weight), np.linspace(0, weight.sum(), blocks + 1)[1:-1])
        bounds = np.unique(np.concatenate([[0], cuts, [zones]]))
        self.ranges = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        owner = np.zeros(zones, dtype=np.int64)
        for b, (z0, z1) in enumerate(self.ranges):
            owner[z0:z1] = b
        self.zone_owner = owner
        pair_owner = owner[problem.origin]
        dest_owner = owner[problem.destination]
        crossing = pair_owner != dest_owner
        #: per block: own pairs whose destination is remote (sent after the flow phase)
        self.send_pairs = [np.flatnonzero(crossing & (pair_owner == b)) for b in range(len(self.ranges))]
        #: per block: remote pairs arriving at own locations (received before the price phase)
        self.receive_pairs = [np.flatnonzero(crossing & (dest_owner == b)) for b in range(len(self.ranges))]
        #: per block: own locations that remote arcs arrive at (their prices are sent)
        self.send_zones = [np.unique(problem.destination[crossing & (dest_owner == b)])
                           for b in range(len(self.ranges))]
        #: per block: remote locations its arcs arrive at (their prices are received)
        self.receive_zones = [np.unique(problem.destination[crossing & (pair_owner == b)])
                              for b in range(len(self.ranges))]
        # Global columns of the exchanged pieces, for routing.
        self._pair_slot = np.full(problem.pairs, -1, dtype=np.int64)
        offset = 0
        for b, pairs in enumerate(self.send_pairs):
            self._pair_slot[pairs] = offset + np.arange(pairs.size)
            offset += pairs.size
        self._zone_slot = np.full(zones, -1, dtype=np.int64)
        offset = 0
        for b, zs in enumerate(self.send_zones):
            self._zone_slot[zs] = offset + np.arange(zs.size)
            offset += zs.size

    @property
    def count(self):
        return len(self.ranges)

    def route_flows(self, sent):
        """From each block's sent boundary flows to each block's received ones."""
        allsent = np.concatenate(sent, axis=1) if sent else None
        return [allsent[:, self._pair_slot[p]] for p in self.receive_pairs]

    def route_prices(self, sent):
        allsent = np.concatenate(sent, axis=1) if sent else None
        return [allsent[:, self._zone_slot[z]] for z in self.receive_zones]


class Block:
    """The state and updates of one location block (plain numpy arrays, Numba kernels)."""

    def __init__(self, problem, z0, z1, send_pairs, receive_pairs, send_zones, receive_zones, scheme="average"):
        self.problem = problem
        #: "average": PDHG with running averages; "halpern": reflected Halpern iteration anchored at the last
        #: restart point (``flow_sum``/``price_sum`` then hold the anchor, ``flow_new``/``price_new`` T(z))
        self.halpern = scheme == "halpern"
        self.z0, self.z1 = int(z0), int(z1)
        self.p0, self.p1 = int(problem.out_start[z0]), int(problem.out_start[z1])
        self.send_pairs, self.receive_pairs = send_pairs, np.ascontiguousarray(receive_pairs, dtype=np.int64)
        # Without travel delays a slot's loads come from that slot's flows only: scatter from active blocks.
        self.scatter = not np.any(problem.delay)
        self.degree = np.maximum(problem.row_norm - 1.0, 1.0)  # Pock-Chambolle: price step eta omega / degree
        self.moved = None  # K dz of a tentative adaptive step (allocated on first use)
        self.send_zones, self.receive_zones = send_zones, receive_zones
        shape_f = (problem.slots, problem.pairs)
        shape_p = (problem.slots, problem.zones)
        self.flow = np.zeros(shape_f)
        self.flow_new = np.zeros(shape_f)
        self.flow_sum = None  # running sum or Halpern anchor, on first use (see _flow_buffer)
        self.flow_bar = None  # extrapolated flows of the fixed-step path, on first use
        self.iterate_load = None  # D + K z of the current flows (adaptive path), kept up to date by K dz
        self.price = np.zeros(shape_p)
        self.price_new = np.zeros(shape_p)
        self.price_sum = np.zeros(shape_p)
        self.load = np.zeros(shape_p)
        self.active = np.zeros(shape_p, dtype=np.bool_)
        self.count = 0
        self.restart_flow = self.flow[:, self.p0:self.p1].copy()
        self.restart_price = self.price[:, self.z0:self.z1].copy()
        self.best = None
        self.candidate = None

    # --- state ------------------------------------------------------------------------------
    def load_state(self, flow_own, price_own, boundary_prices):
        """Start from a (restart) state: own flows and prices, and the remote prices this block reads."""
        self.flow[:] = 0.0
        self.flow_new[:] = 0.0
        self.flow[:, self.p0:self.p1] = flow_own
        self.price[:, self.z0:self.z1] = price_own
        if boundary_prices is not None:
            self.price[:, self.receive_zones] = boundary_prices
        self.active[:] = False
        self._reset_average()
        return True

    def own_state(self):
        return self.flow[:, self.p0:self.p1].copy(), self.price[:, self.z0:self.z1].copy()

    def _flow_buffer(self, name):
        """``flow_sum`` or ``flow_bar``, allocated on first use: the in-process adaptive path needs neither,
        which keeps its memory to three flow arrays."""
        buffer = getattr(self, name)
        if buffer is None:
            buffer = np.zeros((self.problem.slots, self.problem.pairs))
            setattr(self, name, buffer)
        return buffer

    def _reset_average(self):
        self.iterate_load = None
        if self.halpern:
            self._flow_buffer("flow_sum")[:] = self.flow
            self.price_sum[:] = self.price
        else:
            if self.flow_sum is not None:
                self.flow_sum[:] = 0.0
            self.price_sum[:] = 0.0
        self.count = 0
        self.restart_flow = self.flow[:, self.p0:self.p1].copy()
        self.restart_price = self.price[:, self.z0:self.z1].copy()

    def refresh_active(self):
        """Recompute the active (slot, origin) blocks; a block leaving the set is cleared in every buffer."""
        pr = self.problem
        new = np.zeros_like(self.active)
        anchor = self._flow_buffer("flow_sum") if self.halpern else self.flow
        _kernels.block_active(self.flow, anchor, self.price, pr.recurrences, pr.flow_cost_per_kw, pr.destination,
                              pr.delay, pr.out_start, self.z0, self.z1, new)
        dropped = self.active & ~new
        if dropped.any():
            _kernels.clear_blocks(self.flow, dropped, pr.out_start)
            _kernels.clear_blocks(self.flow_new, dropped, pr.out_start)
            if self.flow_bar is not None:
                _kernels.clear_blocks(self.flow_bar, dropped, pr.out_start)
        self.active = new

    # --- one iteration ----------------------------------------------------------------------
    def flow_phase(self, boundary_prices, refresh, step):
        pr = self.problem
        if boundary_prices is not None:
            self.price[:, self.receive_zones] = boundary_prices
        if refresh:
            self.refresh_active()
        self._flow_buffer("flow_sum")
        self._flow_buffer("flow_bar")
        if self.halpern:
            weight = (self.count + 1.0) / (self.count + 2.0)
            _kernels.block_flow_step(self.flow, self.price, pr.recurrences, pr.flow_cost_per_kw, pr.destination,
                                     pr.delay, pr.out_start, pr.demand_kw, self.active, self.z0, self.z1, step,
                                     self.flow_new, self.flow_sum, self.flow_bar, weight)
        else:
            _kernels.block_flow_step(self.flow, self.price, pr.recurrences, pr.flow_cost_per_kw, pr.destination,
                                     pr.delay, pr.out_start, pr.demand_kw, self.active, self.z0, self.z1, step,
                                     self.flow_new, self.flow_sum, self.flow_bar)
        return self.flow_bar[:, self.send_pairs].copy()

    def price_phase(self, boundary_flows, sigma):
        pr = self.problem
        if boundary_flows is not None:
            self.flow_bar[:, self.receive_pairs] = boundary_flows
        if self.scatter:
            _kernels.block_loads_active(self.flow_bar, pr.demand_kw, pr.out_start, pr.destination, self.active,
                                        self.receive_pairs, self.z0, self.z1, self.load)
        else:
            _kernels.block_loads(self.flow_bar, pr.demand_kw, pr.out_start, pr.in_order, pr.in_start, pr.delay,
                                 self.z0, self.z1, self.load)
        if self.halpern:  # z was already moved in place; prices likewise, T(mu) kept in price_new
            weight = (self.count + 1.0) / (self.count + 2.0)
            _kernels.project_price_columns(self.price, self.load, sigma, pr.cost_per_kw, self.z0, self.z1,
                                           self.price_new, self.price_sum, weight)
            self.count += 1
            return self.price[:, self.send_zones].copy()
        _kernels.project_price_columns(self.price, self.load, sigma, pr.cost_per_kw, self.z0, self.z1,
                                       self.price_new, self.price_sum)
        return self._swap()

    def tentative_step(self, step, sigma, first):
        """One block holding every location, no delays: a tentative step into flow_new/price_new, returning
        (sum dz^2, sum degree dmu^2, dmu^T K dz). The first attempt of an iteration adds the current
        iterate to the running sums (so the average is over the iterates since the restart)."""
        pr = self.problem
        if self.moved is None:
            self.moved = np.zeros_like(self.load)
        if self.iterate_load is None:
            self.iterate_load = np.zeros_like(self.load)
            self.exact_iterate_load()
        sums = self._flow_buffer("flow_sum") if first else self.moved  # moved: a placeholder, not written
        flow_sq = _kernels.block_flow_step_measured(self.flow, self.price, pr.recurrences, pr.flow_cost_per_kw,
                                                    pr.destination, pr.delay, pr.out_start, pr.demand_kw, self.active,
                                                    step, first, self.flow_new, sums, self.moved)
        # loads of the extrapolation 2 z' - z = z + 2 dz, without a pass over the flows
        np.multiply(self.moved, 2.0, out=self.load)
        self.load += self.iterate_load
        price_sq, cross = _kernels.project_price_columns_measured(self.price, self.load, sigma, pr.cost_per_kw, first,
                                                                  self.moved, self.degree, self.price_new,
                                                                  self.price_sum)
        return flow_sq, price_sq, cross

    def exact_iterate_load(self):
        """Recompute ``iterate_load`` = D + K z from the flows (active blocks; the others are zero)."""
        pr = self.problem
        _kernels.block_loads_active(self.flow, pr.demand_kw, pr.out_start, pr.destination, self.active,
                                    self.receive_pairs, self.z0, self.z1, self.iterate_load)

    def _swap(self):
        self.flow, self.flow_new = self.flow_new, self.flow
        # Only own price columns were written; keep the remote ones the block last received.
        self.price_new[:, self.receive_zones] = self.price[:, self.receive_zones]
        self.price, self.price_new = self.price_new, self.price
        self.count += 1
        return self.price[:, self.send_zones].copy()

    def run_local(self, iterations, refresh_every, first_iteration, eta, omega, adaptive=False, averages=True):
        """Several iterations of a block that has no neighbours (one block holding every location).

        The steps are ``eta / (2 omega)`` for the flows and ``eta omega / degree`` for the prices. With
        ``adaptive``, PDLP's adaptive step rule: a step is kept only if eta <= ||dz||^2_omega /
        (2 |dmu^T K dz|) (norms in the preconditioned variables), and eta follows that local bound.
        Returns the eta to use next.
        """
        attempts = first_iteration
        for k in range(iterations):
            refresh = (first_iteration + k) % refresh_every == 0 or self.count == 0
            if not adaptive:
                self.flow_phase(None, refresh, eta / (2.0 * omega))
                self.price_phase(None, eta * omega / self.degree)
                continue
            if refresh:
                self.refresh_active()
                if self.iterate_load is not None:
                    self.exact_iterate_load()  # no drift from the running updates
            first = averages  # add the iterate to the running sums once per iteration
            while True:
                attempts += 1
                flow_sq, price_sq, cross = self.tentative_step(eta / (2.0 * omega), eta * omega / self.degree, first)
                first = False
                weighted = 2.0 * omega * flow_sq + price_sq / omega
                limit = weighted / (2.0 * abs(cross)) if cross != 0.0 else np.inf
                accepted = eta <= limit
                eta = min((1.0 - (attempts + 1) ** -0.3) * limit, (1.0 + (attempts + 1) ** -0.6) * eta)
                if accepted:
                    self.iterate_load += self.moved
                    self._swap()
                    break
        return eta

    # --- certificates and restarts ----------------------------------------------------------
    def candidate_prepare(self, which):
        if which == "current" and self.halpern:  # T(z), the feasible point of the last step
            flow, price = self.flow_new.copy(), self.price_new.copy()
        elif which == "current":  # one block: read only until the next iteration, no copy of the flows
            flow = self.flow if self.receive_pairs.size == 0 else self.flow.copy()
            price = self.price.copy()
        else:
            n = max(self.count, 1)
            flow, price = self._flow_buffer("flow_sum") / n, self.price_sum / n
            price[:, self.receive_zones] = 0.0
        self.candidate = (flow, price)
        return flow[:, self.send_pairs].copy(), price[:, self.send_zones].copy()

    def candidate_finish(self, boundary_flows, boundary_prices):
        pr = self.problem
        flow, price = self.candidate
        if boundary_flows is not None:
            flow[:, self.receive_pairs] = boundary_flows
        if boundary_prices is not None:
            price[:, self.receive_zones] = boundary_prices
        _kernels.block_loads(flow, pr.demand_kw, pr.out_start, pr.in_order, pr.in_start, pr.delay, self.z0, self.z1,
                             self.load)
        capacity = np.maximum(self.load[:, self.z0:self.z1].max(axis=0), 0.0)
        own_flow = flow[:, self.p0:self.p1]
        upper = float(pr.cost_per_kw[self.z0:self.z1] @ capacity)
        if self.p1 > self.p0:
            upper += float(pr.recurrences @ own_flow @ pr.flow_cost_per_kw[self.p0:self.p1])
        lower = float(_kernels.block_bound(price, pr.demand_kw, pr.recurrences, pr.flow_cost_per_kw, pr.destination,
                                           pr.delay, pr.out_start, self.z0, self.z1))
        self.candidate = (flow, price, capacity)
        return lower, upper, float(pr.cost_per_kw[self.z0:self.z1] @ capacity)

    def candidate_capacity(self):
        """Own capacities of the last evaluated candidate (its peak loads)."""
        return self.candidate[2].copy()

    def keep_candidate(self):
        flow, _, capacity = self.candidate
        self.best = (capacity.copy(), flow[:, self.p0:self.p1].copy())
        return True

    def best_plan(self):
        return self.best

    def restart_to_candidate(self):
        """Make the candidate the new state; returns squared distances to the previous restart point."""
        flow, price, _ = self.candidate
        own_flow = flow[:, self.p0:self.p1]
        own_price = price[:, self.z0:self.z1]
        dx = float(np.sum((own_flow - self.restart_flow) ** 2))
        dy = float(np.sum((own_price - self.restart_price) ** 2))
        self.flow[:, self.p0:self.p1] = own_flow
        self.price[:, self.z0:self.z1] = own_price
        self.price[:, self.receive_zones] = price[:, self.receive_zones]
        self._reset_average()
        return dx, dy

    def price_columns(self):
        return self.price[:, self.z0:self.z1].copy()


class LocalExecutor:
    """Blocks held in this process (the default backend)."""

    def __init__(self, problem, layout, scheme="average"):
        self.layout = layout
        self.scheme = scheme
        self.blocks = [Block(problem, z0, z1, layout.send_pairs[b], layout.receive_pairs[b], layout.send_zones[b],
                             layout.receive_zones[b], scheme) for b, (z0, z1) in enumerate(layout.ranges)]

    def call(self, name, args_per_block=None):
        args_per_block = args_per_block or [()] * len(self.blocks)
        return [getattr(block, name)(*args) for block, args in zip(self.blocks, args_per_block)]

    def recover(self, snapshot):  # pragma: no cover - an in-process block cannot die on its own
        raise RuntimeError("local blocks cannot be recovered")

    def close(self):
        self.blocks = []  # free the iterates before the result is built


def certify(problem, layout, prices, capacity, sweeps=1):
    """Sharpen both sides of the certificate from the current state.

    Lower: ``sweeps`` sweeps of exact per-location dual ascent from ``prices`` (closed form, never
    lowers the Lagrangian bound). Upper (without travel delays): keep ``capacity`` (the capacities
    of the latest plan), solve every slot's flow problem exactly
    (:func:`evcore.joint.central.slot_flows_kw`) and lower each capacity to its new peak load.
    Returns (lower, upper, plan parts per block; upper is inf and parts None when not computed).
    """
    from .central import slot_flows_kw

    price = np.array(prices, dtype=float)
    for _ in range(sweeps):
        _kernels.dual_ascent_sweep(price, problem.demand_kw, problem.recurrences, problem.flow_cost_per_kw,
                                   problem.origin, problem.destination, problem.delay, problem.out_start,
                                   problem.in_order, problem.in_start, problem.cost_per_kw)
    lower = float(_kernels.block_bound(price, problem.demand_kw, problem.recurrences, problem.flow_cost_per_kw,
                                       problem.destination, problem.delay, problem.out_start, 0, problem.zones))
    if np.any(problem.delay):
        return lower, np.inf, None
    flows = slot_flows_kw(problem.demand_kw, problem.flow_cost_per_kw, problem.recurrences, problem.origin,
                          problem.destination, capacity)
    load = np.empty_like(problem.demand_kw)
    _kernels.block_loads(flows, problem.demand_kw, problem.out_start, problem.in_order, problem.in_start,
                         problem.delay, 0, problem.zones, load)
    capacity = np.minimum(capacity, np.maximum(load.max(axis=0), 0.0))
    upper = float(problem.cost_per_kw @ capacity) + problem.flow_cost(flows)
    if len(layout.ranges) == 1:  # the plan owns these flows: no copy
        return lower, upper, [(capacity, flows)]
    parts = [(capacity[z0:z1].copy(), flows[:, problem.out_start[z0]:problem.out_start[z1]].copy())
             for z0, z1 in layout.ranges]
    return lower, upper, parts


def run_blocks(problem, executor, *, gap, time_limit, max_iterations, check_every, progress, started,
               refresh_every=10, max_recoveries=3, fault_hook=None, label="admm", eta=None,
               restart_beta=(0.2, 0.8, 0.36), certify_within=2.5, certify_every=3, adaptive_steps=True,
               averages=False):
    """The splitting over location blocks (capacity eliminated). Returns a dict with the best plan,
    the best lower bound, status, iterations, trace, omega and the recoveries made.

    Once the certified gap is within ``certify_within`` times the target, :func:`certify` sharpens
    it at every ``certify_every``-th check (a rule on iterations, so runs are deterministic). ``adaptive_steps`` uses PDLP's adaptive step
    rule (:meth:`Block.run_local`) when one in-process block holds every location and the scheme
    averages; otherwise the steps are the fixed, provably convergent ones. On that adaptive path the
    restart candidate is the current iterate only unless ``averages`` (the running average never won a
    restart on the synthetic cities, and skipping it saves a pass over the flows per iteration)."""
    layout = executor.layout
    cost_norm = math.sqrt(float(problem.cost_per_kw @ problem.cost_per_kw)
                          + float(np.sum((problem.recurrences[:, None] * problem.flow_cost_per_kw[None, :]) ** 2)))
    omega = cost_norm / max(float(np.linalg.norm(problem.demand_kw)), 1e-12)
    single = layout.count == 1
    # Halpern's iterate is not a plan; its T(z) is. PDHG also tries the running average.
    candidates = ("current",) if getattr(executor, "scheme", "average") == "halpern" else ("current", "average")
    eta = step_scale(problem) if eta is None else eta
    adaptive = bool(adaptive_steps) and single and candidates == ("current", "average") and isinstance(
        executor, LocalExecutor) and not np.any(problem.delay)
    if adaptive and not averages:
        candidates = ("current",)
    driver = dict(iterations=0, since_restart=0, merit_at_restart=np.inf, last_merit=np.inf, omega=omega, eta=eta,
                  best_upper=np.inf, best_lower=-np.inf, best_plan=None, trace=[], boundary_prices=None)
    snapshot = None
    recoveries = 0

    def take_snapshot():
        if isinstance(executor, LocalExecutor):  # in-process blocks cannot die: nothing to resume from
            return dict(driver=_copy_driver(driver), states=None)
        states = executor.call("own_state")
        return dict(driver=_copy_driver(driver), states=states)

    def restore(snap):
        driver.clear()
        driver.update(_copy_driver(snap["driver"]))
        executor.recover(snap)

    def exchange_candidate(which):
        sent = executor.call("candidate_prepare", [(which,)] * layout.count)
        flows = layout.route_flows([s[0] for s in sent]) if not single else [None]
        prices = layout.route_prices([s[1] for s in sent]) if not single else [None]
        parts = executor.call("candidate_finish", list(zip(flows, prices)))
        upper = sum(p[1] for p in parts)
        if sum(p[2] for p in parts) > problem.budget * (1 + 1e-12):  # over budget: not a feasible plan
            upper = np.inf
        return sum(p[0] for p in parts), upper, prices

    status = "iteration_limit"
    snapshot = take_snapshot()
    while driver["iterations"] < max_iterations:
        try:
            if fault_hook is not None:
                fault_hook(driver["iterations"], executor)
            omega = driver["omega"]
            step = eta / (omega * 2.0)
            sigma = eta * omega / np.maximum(problem.row_norm - 1.0, 1.0)
            count = min(check_every, max_iterations - driver["iterations"])
            if single:
                driver["eta"] = executor.call("run_local", [(count, refresh_every, driver["iterations"], driver["eta"],
                                                             omega, adaptive, averages)])[0]
            else:
                for k in range(count):
                    it = driver["iterations"] + k
                    refresh = it % refresh_every == 0 or k == 0 and driver["since_restart"] == 0
                    boundary = driver["boundary_prices"] or [None] * layout.count
                    sent = executor.call("flow_phase", [(boundary[b], refresh, step) for b in range(layout.count)])
                    received = layout.route_flows(sent)
                    sent = executor.call("price_phase", [(received[b], sigma) for b in range(layout.count)])
                    driver["boundary_prices"] = layout.route_prices(sent)
            driver["iterations"] += count
            driver["since_restart"] += count
            merits = []
            evaluated = []
            plan_upper, plan_capacity = np.inf, None
            for which in candidates:
                lower, upper, prices = exchange_candidate(which)
                if certify_within and upper < plan_upper:  # the capacities the certificate would polish
                    plan_upper, plan_capacity = upper, np.concatenate(executor.call("candidate_capacity"))
                if lower > driver["best_lower"]:
                    driver["best_lower"] = lower
                if upper < driver["best_upper"]:
                    driver["best_upper"] = upper
                    executor.call("keep_candidate")
                    driver["best_plan"] = executor.call("best_plan")
                merits.append(_relative_gap(upper, lower))
                evaluated.append(prices)
            certified = _relative_gap(driver["best_upper"], driver["best_lower"])
            checks = driver["iterations"] // max(check_every, 1)
            if (plan_capacity is not None and certified <= certify_within * gap and certified > gap
                    and checks - driver.get("certified_at", -certify_every) >= certify_every):
                lower, upper, parts = certify(problem, layout, np.concatenate(executor.call("price_columns"), axis=1),
                                              plan_capacity)
                driver["best_lower"] = max(driver["best_lower"], lower)
                if upper < driver["best_upper"]:
                    driver["best_upper"], driver["best_plan"] = upper, parts
                driver["certified_at"] = checks
                certified = _relative_gap(driver["best_upper"], driver["best_lower"])
            seconds = time.perf_counter() - started
            driver["trace"].append(dict(iteration=driver["iterations"], seconds=seconds, upper=driver["best_upper"],
                                        lower=driver["best_lower"], gap=certified, omega=omega, eta=driver["eta"],
                                        violation=float("nan")))
            if progress:
                print(f"[joint {label}] it {driver['iterations']:6d}  {seconds:7.2f}s  upper {driver['best_upper']:.8g}"
                      f"  lower {driver['best_lower']:.8g}  gap {certified:.2e}  omega {omega:.3g}", file=sys.stderr,
                      flush=True)
            stop = stop_status(certified, gap, seconds, time_limit)
            if stop:
                status = stop
                break
            pick = int(np.argmin(merits))
            merit = merits[pick]
            if restart_due(merit, driver["merit_at_restart"], driver["last_merit"], driver["since_restart"],
                           driver["iterations"], restart_beta):
                if pick == 0:  # the last evaluated candidate is the average; evaluate the current again
                    _, _, evaluated[0] = exchange_candidate("current")
                dists = executor.call("restart_to_candidate")
                driver["omega"] = balanced_primal_weight(omega, math.sqrt(sum(d[0] for d in dists)),
                                                         math.sqrt(sum(d[1] for d in dists)))
                driver["boundary_prices"] = None if single else evaluated[pick]
                driver["trace"][-1]["restart"] = candidates[pick]
                driver["merit_at_restart"] = merit
                driver["since_restart"] = 0
                driver["last_merit"] = merit
                snapshot = take_snapshot()
            else:
                driver["last_merit"] = merit
        except Exception as exc:  # a dead block (Ray actor): resume from the last consensus state
            if not _is_worker_failure(exc):
                raise
            if recoveries >= max_recoveries:
                from ..errors import SolverError

                raise SolverError(f"a worker of the distributed splitting failed {recoveries + 1} times; stopped at "
                                  f"iteration {driver['iterations']} (last consensus state at iteration "
                                  f"{snapshot['driver']['iterations']})", type(exc).__name__) from exc
            recoveries += 1
            if progress:
                print(f"[joint {label}] worker lost ({type(exc).__name__}); resuming from the consensus state of "
                      f"iteration {snapshot['driver']['iterations']}", file=sys.stderr, flush=True)
            restore(snapshot)
    prices = np.concatenate(executor.call("price_columns"), axis=1)
    return dict(driver, status=status, recoveries=recoveries, prices=prices)


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


def balanced_primal_weight(omega, primal_move, dual_move):
    """PDLP's primal weight after a restart: halfway (in logs) towards dual move / primal move."""
    if primal_move > 1e-10 and dual_move > 1e-10:
        return math.exp(0.5 * math.log(dual_move / primal_move) + 0.5 * math.log(omega))
    return omega


def step_scale(problem, iterations=60, seed=0):
    """0.95 / ||diag(deg)^-1/2 K / sqrt(2)||, by power iteration, for the eliminated splitting.

    K maps flows to loads (-1 at the origin's row, +1 at the destination's arrival row). Pock and
    Chambolle's diagonal steps (1/2 per flow, 1/deg per row) guarantee that norm <= 1; it is often
    smaller, and scaling both steps by its inverse keeps PDHG convergent with longer steps.
    """
    import scipy.sparse as sp

    pairs, zones = problem.pairs, problem.zones
    # Without delays K is block diagonal over slots, every block the same: one slot is enough.
    slots = problem.slots if np.any(problem.delay) else 1
    if pairs == 0:
        return 0.99
    t = np.repeat(np.arange(slots), pairs)
    p = np.tile(np.arange(pairs), slots)
    arrive = (t + problem.delay[p]) % slots
    rows = np.concatenate([t * zones + problem.origin[p], arrive * zones + problem.destination[p]])
    cols = np.concatenate([t * pairs + p, t * pairs + p])
    vals = np.concatenate([-np.ones(t.size), np.ones(t.size)])
    scale = np.tile(1.0 / np.sqrt(np.maximum(problem.row_norm - 1.0, 1.0)), slots)
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


def _copy_driver(driver):
    out = dict(driver)
    out["trace"] = list(driver["trace"])
    return out


def _relative_gap(upper, lower):
    if not np.isfinite(upper) or not np.isfinite(lower):
        return float("inf")
    return max(upper - lower, 0.0) / max(abs(upper), 1e-12)


def _is_worker_failure(exc) -> bool:
    try:
        import ray.exceptions as rex
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (rex.RayActorError, rex.WorkerCrashedError, rex.ActorDiedError)) if hasattr(
        rex, "ActorDiedError") else isinstance(exc, (rex.RayActorError, rex.WorkerCrashedError))
