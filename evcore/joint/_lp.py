"""The joint LP and the instance-level helpers built on it (shared by every joint method).

- :func:`build_lp`: the LP as an :class:`evcore.solvers.Model` (vectorised assembly).
- :func:`minimum_budget` / :func:`check_budget`: the smallest budget serving every EV, and a
  clear :class:`~evcore.errors.InfeasibleError` when the instance's budget is short.
- :func:`recover_flows` / :func:`slot_flows_kw`: cheapest flows for fixed capacities, slot by slot.

Columns: ``c_i`` (zones) then ``z[t, p]`` at ``zones + t * pairs + p``. Rows: supply (3) at
``t * zones + i``, capacity (4) written ``c_i + beta out_ti - beta in_ti >= beta a_ti`` (kW) at
``zones * slots + t * zones + i``, then the budget (1) (when finite). Arrivals wrap around the
week: ``z[t, j -> i]`` loads ``i`` in slot ``(t + tau_ji) mod T``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validate import as_array, check_choice, check_flag, check_nonnegative, check_threads
from ..errors import InfeasibleError, InputError
from ..solvers import Model, SolverOptions, solve as solve_model
from .model import no_assignment_plan

__all__ = ["build_lp", "minimum_budget", "check_budget", "no_assignment_plan", "recover_flows", "slot_flows_kw",
           "check_instance"]


def check_instance(instance, field: str = "instance"):
    """Refuse anything but a :class:`~evcore.joint.JointInstance`."""
    from .model import JointInstance

    if not isinstance(instance, JointInstance):
        raise InputError(field, f"must be a JointInstance, got {type(instance).__name__}")
    return instance


def _options(options):
    if options is not None and not isinstance(options, SolverOptions):
        raise InputError("options", f"must be an evcore.solvers.SolverOptions, got {type(options).__name__}")
    return options


def build_lp(instance, *, objective="total", with_budget=True) -> Model:
    """The joint LP as an :class:`evcore.solvers.Model` (vectorised COO -> CSR assembly).

    Parameters
    ----------
    instance : JointInstance
    objective : {"total", "investment"}
        ``"investment"`` minimises investment only (used to find the smallest budget).
    with_budget : bool
        Include the budget row (1) (when the budget is finite).

    Reference: seed 000, objective (8) and constraints (1)-(7).
    """
    check_instance(instance)
    check_choice("objective", objective, ("total", "investment"))
    with_budget = check_flag("with_budget", with_budget)
    zones, slots = instance.zones, instance.slots
    pairs = instance.pairs
    n_pairs = pairs.count
    beta = instance.power_per_ev_kw
    columns = zones + slots * n_pairs
    supply0, capacity0 = 0, zones * slots
    budget_row = 2 * zones * slots
    has_budget = with_budget and np.isfinite(instance.budget)

    t = np.repeat(np.arange(slots, dtype=np.int64), n_pairs)
    p = np.tile(np.arange(n_pairs, dtype=np.int64), slots)
    z_col = zones + t * n_pairs + p
    origin, destination = pairs.origin[p], pairs.destination[p]
    arrive = (t + pairs.delay_slots[p]) % slots
    c_rows = capacity0 + (np.arange(slots)[:, None] * zones + np.arange(zones)[None, :]).ravel()
    c_cols = np.tile(np.arange(zones, dtype=np.int64), slots)
    rows = [c_rows, supply0 + t * zones + origin, capacity0 + t * zones + origin,
            capacity0 + arrive * zones + destination]
    cols = [c_cols, z_col, z_col, z_col]
    vals = [np.ones(zones * slots), np.ones(t.size), np.full(t.size, beta), np.full(t.size, -beta)]
    if has_budget:
        rows.append(np.full(zones, budget_row))
        cols.append(np.arange(zones))
        vals.append(instance.cost_per_kw)
    n_rows = budget_row + int(has_budget)
    matrix = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(n_rows, columns))
    demand = instance.demand_ev.T.ravel()  # slot-major
    row_lower = np.concatenate([np.full(zones * slots, -np.inf), beta * demand] + ([[-np.inf]] if has_budget else []))
    row_upper = np.concatenate([demand, np.full(zones * slots, np.inf)] + ([[instance.budget]] if has_budget else []))
    cost = np.zeros(columns)
    cost[:zones] = instance.cost_per_kw
    if objective == "total":
        cost[zones:] = (instance.recurrences[:, None] * pairs.cost_per_ev[None, :]).ravel()
    col_upper = np.concatenate([instance.max_capacity_kw, np.full(slots * n_pairs, np.inf)])
    return Model(objective=cost, constraint_matrix=matrix, row_lower=row_lower, row_upper=row_upper,
                 col_lower=np.zeros(columns), col_upper=col_upper)


def minimum_budget(instance, options: SolverOptions | None = None) -> float:
    """Smallest budget with which every EV can be served (currency), by the LP minimising investment.

    Raises
    ------
    InfeasibleError
        When the capacity caps ``max_capacity_kw`` leave demand unserved whatever the budget.
    """
    options = _options(options)
    try:
        result = solve_model(build_lp(instance, objective="investment", with_budget=False), options)
    except InfeasibleError as exc:
        raise InfeasibleError("demand cannot be served within max_capacity_kw, even with assignment and an "
                              "unlimited budget", exc.status) from None
    return float(result.objective)


def check_budget(instance, options=None):
    """Raise :class:`InfeasibleError` stating the shortfall when the budget cannot serve demand."""
    check_instance(instance)
    base = float(instance.cost_per_kw @ no_assignment_plan(instance))
    caps_ok = bool(np.all(no_assignment_plan(instance) <= instance.max_capacity_kw))
    if base <= instance.budget and caps_ok:
        return
    needed = minimum_budget(instance, options)
    if needed > instance.budget * (1 + 1e-9):
        raise InfeasibleError(f"budget {instance.budget:.6g} is short by {needed - instance.budget:.6g}: serving "
                              f"every EV needs an investment of at least {needed:.6g}")


def recover_flows(instance, capacity_kw, *, threads=None):
    """Cheapest flows for fixed capacities: one small LP per slot on HiGHS (slots are independent
    given c when there are no travel delays).

    Slots whose demand fits the capacities everywhere keep zero flows (optimal: flows only cost).
    The others are solved by warm-started dual simplex (:class:`evcore.solvers.Resolver`), spread
    over ``threads`` worker threads (HiGHS releases the GIL).

    Parameters
    ----------
    capacity_kw : array_like, shape (zones,)
        Capacities (kW) under which every slot must be served.
    threads : int, optional
        Worker threads (default: the cores other processes leave free, :mod:`evcore._threads`; at most 8).

    Returns
    -------
    numpy.ndarray, shape (slots, pairs)
        Flows z[t, p] (EVs) meeting (3) and (4) exactly for ``capacity_kw``.

    Raises
    ------
    InfeasibleError
        Some slot cannot be served with these capacities (the message names it).
    InputError
        The instance has travel delays (the slots are then coupled).
    """
    check_instance(instance)
    if instance.has_delays:
        raise InputError("travel_delay_slots", "flows per slot need independent slots (no travel delays)")
    capacity_kw = check_nonnegative("capacity_kw", as_array("capacity_kw", capacity_kw, ndim=1,
                                                            shape=(instance.zones,)))
    threads = check_threads(threads)
    pairs = instance.pairs
    beta = instance.power_per_ev_kw
    flows_kw = slot_flows_kw(beta * instance.demand_ev.T, pairs.cost_per_ev / beta, instance.recurrences,
                             pairs.origin, pairs.destination, capacity_kw, threads=threads)
    return flows_kw / beta


def slot_flows_kw(demand_kw, flow_cost_per_kw, recurrences, origin, destination, capacity_kw, *, threads=None,
                  with_prices=False):
    """:func:`recover_flows` on plain arrays in kW: ``demand_kw`` (slots, zones), arc costs per kW
    (pairs,), recurrences (slots,), arc ends (pairs,), capacities (zones,); returns flows (slots, pairs) kW,
    and with ``with_prices`` also the capacity rows' duals (slots, zones), the price of a kW of c_i in slot t
    (a subgradient of the total flow cost is minus their sum over slots)."""
    from concurrent.futures import ThreadPoolExecutor

    from .._threads import available_threads
    from ..solvers import Resolver

    slots, zones = demand_kw.shape
    n = origin.shape[0]
    flows = np.zeros((slots, n))
    prices = np.zeros((slots, zones))
    busy = np.flatnonzero((demand_kw > capacity_kw[None, :] * (1 + 1e-12) + 1e-9).any(axis=1)) if n else []
    if len(busy) == 0:
        return (flows, prices) if with_prices else flows
    arcs = np.arange(n)
    # rows: supply (zones) then capacity (zones): out - in >= demand - c
    matrix = sp.csr_array((np.concatenate([np.ones(n), np.ones(n), -np.ones(n)]),
                           (np.concatenate([origin, zones + origin, zones + destination]),
                            np.concatenate([arcs, arcs, arcs]))), shape=(2 * zones, n))
    free = np.full(zones, np.inf)

    def solve_slots(part):
        resolver = Resolver(Model(objective=flow_cost_per_kw, constraint_matrix=matrix,
                                  row_lower=np.full(2 * zones, -np.inf), row_upper=np.concatenate([free, free])),
                            SolverOptions(threads=1, solver="simplex"))
        for t in part:
            try:
                result = resolver.solve(objective=recurrences[t] * flow_cost_per_kw,
                                        row_lower=np.concatenate([-free, demand_kw[t] - capacity_kw]),
                                        row_upper=np.concatenate([demand_kw[t], free]))
                flows[t] = result.x
                if with_prices:
                    prices[t] = np.maximum(result.row_duals[zones:], 0.0)
            except InfeasibleError as exc:
                raise InfeasibleError(f"slot {t} cannot be served with these capacities", exc.status) from None

    workers = max(1, min(available_threads(threads, work=busy.size * n), 8, busy.size))
    if workers == 1:
        solve_slots(busy)
    else:
        with ThreadPoolExecutor(workers) as pool:
            for future in [pool.submit(solve_slots, part) for part in np.array_split(busy, workers)]:
                future.result()
    return (flows, prices) if with_prices else flows
