"""Location blocks of the splitting: the state one worker holds, and the in-process executor.

A block owns locations ``z0..z1-1``: the flows leaving them (pairs ``out_start[z0]:out_start[z1]``), their
prices and running averages. One iteration is two exchanges:

1. flow phase: with the prices of remote destinations (boundary prices), step the own flows and send the
   extrapolated flows ``2 z' - z`` of arcs that leave the block (boundary flows);
2. price phase: with the boundary flows arriving from other blocks, step the own prices and send those
   that other blocks' arcs arrive at.

A block holding every location runs whole batches of iterations itself (:meth:`Block.run_local`), with
PDLP's adaptive step rule when asked. Certificates, restarts and the primal weight are decided by the one
driver (:mod:`evcore.joint._driver`) from per-block parts; an executor maps a :class:`Block` method over
the blocks, here (:class:`LocalExecutor`) or on Ray actors (:mod:`evcore.joint._ray`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _splitting_kernels as kernels

__all__ = ["Block", "BlockLayout", "LocalExecutor", "CandidatePart", "Settings"]


class Settings(NamedTuple):
    """What every block of one run is told (the same for all blocks)."""

    halpern: bool             # reflected Halpern iteration instead of PDHG with running averages
    cap_kw: np.ndarray        # (zones,) capacity caps the iterates aim at (Cmax shrunk by the run's margin)
    budget: float             # the budget the iterates aim at (inf: it cannot bind)


class CandidatePart(NamedTuple):
    """One block's share of a candidate plan and of its Lagrangian bound."""

    bound_part: float          # sum over own origins of D min(mu, cheapest arc) (no capacity part)
    flow_cost: float           # assignment cost of the own flows (currency)
    capacity_kw: np.ndarray    # own peak loads max(0, max_t load) (kW)
    price_total: np.ndarray    # own sum_t mu_ti (currency per kW)


class BlockLayout:
    """Which block owns what, and who must send what to whom."""

    def __init__(self, a, blocks: int):
        zones = a.zones
        blocks = max(1, min(int(blocks), zones))
        # Contiguous ranges with about the same number of arcs each.
        weight = np.diff(a.out_start).astype(float) + 1.0
        cuts = np.searchsorted(np.cumsum(weight), np.linspace(0, weight.sum(), blocks + 1)[1:-1])
        bounds = np.unique(np.concatenate([[0], cuts, [zones]]))
        self.ranges = [(int(x), int(y)) for x, y in zip(bounds[:-1], bounds[1:]) if y > x]
        owner = np.zeros(zones, dtype=np.int64)
        for b, (z0, z1) in enumerate(self.ranges):
            owner[z0:z1] = b
        pair_owner = owner[a.origin]
        dest_owner = owner[a.destination]
        crossing = pair_owner != dest_owner
        count = len(self.ranges)
        self.out_start = np.asarray(a.out_start)
        #: per block: own pairs whose destination is remote (sent after the flow phase)
        self.send_pairs = [np.flatnonzero(crossing & (pair_owner == b)) for b in range(count)]
        #: per block: remote pairs arriving at own locations (received before the price phase)
        self.receive_pairs = [np.flatnonzero(crossing & (dest_owner == b)) for b in range(count)]
        #: per block: own locations that remote arcs arrive at (their prices are sent)
        self.send_zones = [np.unique(a.destination[crossing & (dest_owner == b)]) for b in range(count)]
        #: per block: remote locations its arcs arrive at (their prices are received)
        self.receive_zones = [np.unique(a.destination[crossing & (pair_owner == b)]) for b in range(count)]
        self._pair_slot = np.full(a.pairs, -1, dtype=np.int64)
        offset = 0
        for pairs in self.send_pairs:
            self._pair_slot[pairs] = offset + np.arange(pairs.size)
            offset += pairs.size
        self._zone_slot = np.full(zones, -1, dtype=np.int64)
        offset = 0
        for zs in self.send_zones:
            self._zone_slot[zs] = offset + np.arange(zs.size)
            offset += zs.size

    @property
    def count(self) -> int:
        return len(self.ranges)

    def block_args(self, b):
        """Constructor arguments of block ``b`` after the instance arrays and settings."""
        z0, z1 = self.ranges[b]
        return z0, z1, self.send_pairs[b], self.receive_pairs[b], self.send_zones[b], self.receive_zones[b]

    def route_flows(self, sent):
        """From each block's sent boundary flows to each block's received ones."""
        if self.count == 1:
            return [None]
        allsent = np.concatenate(sent, axis=1)
        return [allsent[:, self._pair_slot[p]] for p in self.receive_pairs]

    def route_prices(self, sent):
        if self.count == 1:
            return [None]
        allsent = np.concatenate(sent, axis=1)
        return [allsent[:, self._zone_slot[z]] for z in self.receive_zones]


class _Buffer:
    """A flow buffer (slots, pairs) and its flags (slots, zones): which (slot, origin) blocks may be non-zero."""

    __slots__ = ("values", "nz")

    def __init__(self, shape_flow, shape_blocks):
        self.values = np.zeros(shape_flow)
        self.nz = np.zeros(shape_blocks, dtype=np.bool_)


class Block:
    """The state and updates of one location block (numpy arrays, Numba kernels)."""

    def __init__(self, a, settings, z0, z1, send_pairs, receive_pairs, send_zones, receive_zones):
        self.a = a
        self.settings = settings
        self.z0, self.z1 = int(z0), int(z1)
        self.p0, self.p1 = int(a.out_start[z0]), int(a.out_start[z1])
        self.send_pairs = send_pairs
        self.receive_pairs = np.ascontiguousarray(receive_pairs, dtype=np.int64)
        self.send_zones, self.receive_zones = send_zones, receive_zones
        self.whole = self.z0 == 0 and self.z1 == a.zones  # holds every location: no neighbours
        self.cap_kw = np.ascontiguousarray(settings.cap_kw, dtype=float)
        self.cost = np.ascontiguousarray(a.cost_per_kw, dtype=float)
        self.cost_eff = self.cost.copy()  # k_i (1 + lam) with the budget's multiplier lam
        self.lam = 0.0
        self.binding_budget = bool(np.isfinite(settings.budget))
        self._budget_work = None
        shape_f, shape_p = (a.slots, a.pairs), (a.slots, a.zones)
        self.flow = _Buffer(shape_f, shape_p)
        self.flow_new = _Buffer(shape_f, shape_p)
        self._bar = None   # extrapolated flows (fixed-step path), on first use
        self._sum = None   # running sum or Halpern anchor, on first use
        self.price = np.zeros(shape_p)
        self.price_new = np.zeros(shape_p)
        self.price_sum = np.zeros(shape_p)
        self.load = np.zeros(shape_p)
        self.moved = None          # K dz of a tentative adaptive step
        self.iterate_load = None   # D + K z of the current flows (adaptive path), kept up to date by K dz
        self.count = 0
        self.restart_flow = self.flow.values[:, self.p0:self.p1].copy()
        self.restart_price = self.price[:, self.z0:self.z1].copy()
        self.best = None
        self.candidate = None

    # --- buffers -----------------------------------------------------------------------------
    @property
    def bar(self):
        if self._bar is None:
            self._bar = _Buffer((self.a.slots, self.a.pairs), (self.a.slots, self.a.zones))
        return self._bar

    @property
    def sum(self):
        """Running sum of the flows (PDHG) or the Halpern anchor; the in-process adaptive path without
        averages never needs it, which keeps its memory to two flow arrays."""
        if self._sum is None:
            self._sum = _Buffer((self.a.slots, self.a.pairs), (self.a.slots, self.a.zones))
            if self.settings.halpern:
                self._sum.values[:] = self.flow.values
                self._sum.nz[:] = self.flow.nz
        return self._sum

    def _flag(self, buffer):
        kernels.nonzero_blocks(self.a, buffer.values, self.z0, self.z1, buffer.nz)

    # --- state -------------------------------------------------------------------------------
    def load_state(self, flow_own, price_own, boundary_prices):
        """Start from a (restart) state: own flows and prices, and the remote prices this block reads."""
        for buffer in (self.flow, self.flow_new, self._bar):
            if buffer is not None:
                buffer.values[:] = 0.0
                buffer.nz[:] = False
        self.flow.values[:, self.p0:self.p1] = flow_own
        self._flag(self.flow)
        self.price[:, self.z0:self.z1] = price_own
        if boundary_prices is not None:
            self.price[:, self.receive_zones] = boundary_prices
        self._reset_average()
        return True

    def own_state(self):
        return self.flow.values[:, self.p0:self.p1].copy(), self.price[:, self.z0:self.z1].copy()

    def _reset_average(self):
        self.iterate_load = None
        if self.settings.halpern:
            self.sum.values[:] = self.flow.values
            self.sum.nz[:] = self.flow.nz
            self.price_sum[:] = self.price
        else:
            if self._sum is not None:
                self._sum.values[:] = 0.0
                self._sum.nz[:] = False
            self.price_sum[:] = 0.0
        self.count = 0
        self.restart_flow = self.flow.values[:, self.p0:self.p1].copy()
        self.restart_price = self.price[:, self.z0:self.z1].copy()

    # --- one iteration (fixed steps) ----------------------------------------------------------
    def flow_phase(self, boundary_prices, step):
        if boundary_prices is not None:
            self.price[:, self.receive_zones] = boundary_prices
        weight = (self.count + 1.0) / (self.count + 2.0) if self.settings.halpern else -1.0
        bar, total = self.bar, self.sum
        kernels.flow_step(self.a, self.flow.values, self.price, self.z0, self.z1, step, weight, self.flow_new.values,
                          bar.values, total.values, self.flow.nz, self.flow_new.nz, bar.nz, total.nz)
        return bar.values[:, self.send_pairs].copy()

    def price_phase(self, boundary_flows, sigma):
        a = self.a
        bar = self.bar
        if boundary_flows is not None:
            bar.values[:, self.receive_pairs] = boundary_flows
        if a.has_delays:
            kernels.loads(a, bar.values, self.z0, self.z1, self.load)
        else:
            kernels.loads_scatter(a, bar.values, bar.nz, self.receive_pairs, self.z0, self.z1, self.load)
        if self.binding_budget:  # one block holds every location (checked by the driver)
            self._budget_multiplier(self.load, np.zeros_like(self.load), sigma)
        max_shift = sigma * self.cap_kw
        if self.settings.halpern:  # z was already moved in place; prices likewise, T(mu) kept in price_new
            weight = (self.count + 1.0) / (self.count + 2.0)
            kernels.price_step(self.price, self.load, sigma, self.cost_eff, max_shift, self.z0, self.z1, weight,
                               self.price_new, self.price_sum)
            self.count += 1
            return self.price[:, self.send_zones].copy()
        kernels.price_step(self.price, self.load, sigma, self.cost_eff, max_shift, self.z0, self.z1, -1.0,
                           self.price_new, self.price_sum)
        return self._swap()

    def _budget_multiplier(self, load, moved, sigma):
        s = self.settings
        if self._budget_work is None:  # sorted values, prefix sums, counts: kept between iterations
            zones, slots = self.a.zones, self.a.slots
            self._budget_work = (np.empty((zones, slots)), np.empty((zones, slots)), np.empty(zones, np.int64))
        self.lam = kernels.budget_multiplier(self.price, load, moved, sigma, self.cost, self.cap_kw, s.budget,
                                             self.lam, *self._budget_work)
        np.multiply(self.cost, 1.0 + self.lam, out=self.cost_eff)

    def _swap(self):
        self.flow, self.flow_new = self.flow_new, self.flow
        # Only own price columns were written; keep the remote ones the block last received.
        self.price_new[:, self.receive_zones] = self.price[:, self.receive_zones]
        self.price, self.price_new = self.price_new, self.price
        self.count += 1
        return self.price[:, self.send_zones].copy()

    # --- whole batches (a block holding every location) ---------------------------------------
    def run_local(self, iterations, eta, omega, adaptive, averages):
        """Several iterations of a block that has no neighbours.

        The steps are ``eta / (2 omega)`` for the flows and ``eta omega / degree`` for the prices. With
        ``adaptive``, PDLP's adaptive step rule: a step is kept only if eta <= ||dz||^2_omega /
        (2 |dmu^T K dz|) (norms in the preconditioned variables), and eta follows that local bound (its
        attempt counter restarts with every batch, so a batch's steps depend only on the state).
        Returns the eta to use next.
        """
        degree = self.a.degree
        if not adaptive:
            for _ in range(iterations):
                self.flow_phase(None, eta / (2.0 * omega))
                self.price_phase(None, eta * omega / degree)
            return eta
        attempts = 0
        for _ in range(iterations):
            first = averages  # add the iterate to the running sums once per iteration
            while True:
                attempts += 1
                flow_sq, price_sq, cross = self.tentative_step(eta / (2.0 * omega), eta * omega / degree, first)
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

    def tentative_step(self, step, sigma, first):
        """A tentative step into flow_new/price_new; returns (sum dz^2, sum degree dmu^2, dmu^T K dz)."""
        a = self.a
        if self.moved is None:
            self.moved = np.zeros_like(self.load)
            self._flow_sq = np.zeros(a.slots)
            groups = (a.zones + kernels.PRICE_GROUP - 1) // kernels.PRICE_GROUP
            self._price_sq = np.zeros(groups)
            self._cross = np.zeros(groups)
        if self.iterate_load is None:
            self.iterate_load = np.zeros_like(self.load)
            self.exact_iterate_load()
        total = self.sum if first else self.flow_new  # flow_new: a placeholder, not written
        kernels.flow_step_measured(a, self.flow.values, self.price, step, first, self.flow_new.values, total.values,
                                   self.moved, self.flow.nz, self.flow_new.nz, total.nz, self._flow_sq)
        if a.has_delays:
            kernels.load_change(a, self.flow_new.values, self.flow.values, self.moved)
        if self.binding_budget:
            self._budget_multiplier(self.iterate_load, self.moved, sigma)
        kernels.price_step_measured(self.price, self.iterate_load, self.moved, sigma, self.cost_eff,
                                    sigma * self.cap_kw, first, a.degree, self.price_new, self.price_sum,
                                    self._price_sq, self._cross)
        return float(np.sum(self._flow_sq)), float(np.sum(self._price_sq)), float(np.sum(self._cross))

    def exact_iterate_load(self):
        """Recompute ``iterate_load`` = D + K z from the flows (no drift from the running updates)."""
        if self.iterate_load is None:
            return True
        a = self.a
        if a.has_delays:
            kernels.loads(a, self.flow.values, 0, a.zones, self.iterate_load)
        else:
            kernels.loads_scatter(a, self.flow.values, self.flow.nz, self.receive_pairs, 0, a.zones,
                                  self.iterate_load)
        return True

    # --- certificates and restarts -------------------------------------------------------------
    def candidate_prepare(self, which):
        """Take the "current" iterate or the running "average" as the candidate; returns its boundary
        (flows of own arcs leaving the block, prices of own locations remote arcs reach)."""
        if which == "current" and self.settings.halpern:  # T(z), the feasible point of the last step
            flow, price = self.flow_new.values.copy(), self.price_new.copy()
        elif which == "current":  # one block: read only until the next iteration, no copy of the flows
            flow = self.flow.values if self.whole else self.flow.values.copy()
            price = self.price.copy()
        else:
            n = max(self.count, 1)
            flow, price = self.sum.values / n, self.price_sum / n
            price[:, self.receive_zones] = 0.0
        self.candidate = (flow, price)
        return flow[:, self.send_pairs].copy(), price[:, self.send_zones].copy()

    def candidate_finish(self, boundary_flows, boundary_prices):
        a = self.a
        flow, price = self.candidate
        if boundary_flows is not None:
            flow[:, self.receive_pairs] = boundary_flows
        if boundary_prices is not None:
            price[:, self.receive_zones] = boundary_prices
        kernels.loads(a, flow, self.z0, self.z1, self.load)
        capacity = np.maximum(self.load[:, self.z0:self.z1].max(axis=0), 0.0)
        flow_cost = 0.0
        if self.p1 > self.p0:
            flow_cost = float(a.recurrences @ flow[:, self.p0:self.p1] @ a.flow_cost_per_kw[self.p0:self.p1])
        per_slot = np.zeros(a.slots)
        kernels.bound_parts(a, price, self.z0, self.z1, per_slot)
        self.candidate = (flow, price, capacity)
        return CandidatePart(float(np.sum(per_slot)), flow_cost, capacity, price[:, self.z0:self.z1].sum(axis=0))

    def candidate_flows(self):
        """Own flows (slots, own pairs) of the last evaluated candidate."""
        flow = self.candidate[0]
        return flow if self.whole else flow[:, self.p0:self.p1].copy()

    def keep_candidate(self):
        """Remember the candidate as the best plan's share of this block."""
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
        if flow is not self.flow.values:
            self.flow.values[:, self.p0:self.p1] = own_flow
        self._flag(self.flow)
        self.price[:, self.z0:self.z1] = own_price
        self.price[:, self.receive_zones] = price[:, self.receive_zones]
        self._reset_average()
        return dx, dy

    def price_columns(self):
        return self.price[:, self.z0:self.z1].copy()

    def sync(self):
        """Recompute derived state exactly (the adaptive path's running loads); called at checks."""
        return self.exact_iterate_load()


class LocalExecutor:
    """Blocks held in this process (the default backend): ``map`` calls a :class:`Block` method on each."""

    def __init__(self, a, settings, layout):
        self.layout = layout
        self.settings = settings
        self.blocks = [Block(a, settings, *layout.block_args(b)) for b in range(layout.count)]

    def map(self, method, args_per_block=None):
        """``[method(block, *args) for each block]`` (``method`` is a :class:`Block` method)."""
        args_per_block = args_per_block or [()] * len(self.blocks)
        return [method(block, *args) for block, args in zip(self.blocks, args_per_block)]

    @property
    def in_process(self) -> bool:
        return True

    def recover(self, snapshot):  # pragma: no cover - an in-process block cannot die on its own
        raise RuntimeError("local blocks cannot be recovered")

    def close(self):
        self.blocks = []  # free the iterates before the result is built
