"""Numba kernels of the siting model: station design, plan evaluation, moves and the searches.

A plan is a 0/1 vector ``is_open`` over candidate sites. Everything else follows from it:
each point goes to its nearest open site within the anxiety range (``site_order[i]`` lists the
eligible sites of point ``i`` nearest first), each open station gets the cheapest pile design
for its load (:func:`station_design`), and the weighted objective adds up fixed site costs,
station costs, users' travel costs and penalties for violated constraints.

Search state (all preallocated, updated in place): ``assigned_site`` (points,), -1 when a point
has no open site in range; ``station_load`` (sites,) vehicles/day; ``station_cost`` (sites,) the
weighted cost of each open station (fixed part + design); ``totals = [objective, violations,
open count, spacing violations]``. A flip of one site touches only the points that list it
(CSR ``near_start``/``near_points``), so a move costs work proportional to those points.

Station designs are memoised per integral load in ``design_cost`` (NaN = not computed yet),
which is exact: demands that are whole vehicles give whole loads. Plain twins of the
definitions live in :mod:`evcore.siting._reference`.

Parameters packed in ``design_parameters`` (float64 array, see :data:`DESIGN_FIELDS`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..heuristics._kernels import (
    geometric_temperature,
    metropolis_accept,
    random_index,
    roulette_select,
    seed_rng,
    tournament_select,
    uniform_crossover,
)
from ..heuristics.clock import now_jit
from ..queueing.jit import erlang_b_next, mmc_wait_from_b

#: Order of the entries of ``design_parameters``.
DESIGN_FIELDS = (
    "investment_weight", "slow_share", "fast_share", "slow_pile_annual", "fast_pile_annual",
    "queue_cost_per_vehicle_hour", "operating_hours_per_day", "slow_charge_hours",
    "fast_charge_hours", "max_wait_hours", "min_piles", "max_piles", "optimise_split",
    "slow_pile_kva", "fast_pile_kva", "max_station_kva",
)
(W_INVEST, SLOW_SHARE, FAST_SHARE, SLOW_ANNUAL, FAST_ANNUAL, QUEUE_COST, HOURS, T_SLOW, T_FAST,
 MAX_WAIT, MIN_PILES, MAX_PILES, OPTIMISE_SPLIT, SLOW_KVA, FAST_KVA, MAX_KVA) = range(len(DESIGN_FIELDS))

# totals[] layout: objective, violation count, open stations, spacing violations, total demand
# (vehicles/day, at least 1), required open count (-1 = free)
OBJECTIVE, VIOLATIONS, OPEN_COUNT, SPACING, TOTAL_DEMAND, REQUIRED = 0, 1, 2, 3, 4, 5


# --------------------------------------------------------------------------- station design

@njit(cache=True)
def _fill_waits(waits, blocking, filled, upto, share, arrivals_per_hour, service_hours):
    """Extend ``waits[c] = share * Wq(c servers)`` for ``c <= upto``; returns the new fill mark.

    ``blocking[0]`` carries Erlang B at the last filled count, so each new count costs O(1).
    """
    load = arrivals_per_hour * service_hours
    for c in range(filled + 1, upto + 1):
        if c == 0:
            blocking[0] = 1.0
        else:
            blocking[0] = erlang_b_next(c, load, blocking[0])
        waits[c] = share * mmc_wait_from_b(c, arrivals_per_hour, 1.0 / service_hours, blocking[0])
    return max(filled, upto)


@njit(cache=True)
def station_design(load, p, out):
    """Cheapest pile design of a station serving ``load`` vehicles/day.

    Minimises ``w (n_slow c_slow + n_fast c_fast) + (1 - w) 365 C_t W L`` over pile counts with
    ``min_piles <= n_slow + n_fast <= max_piles``, installed kVA at most ``max_station_kva`` and
    mean wait ``W = A W_slow + B W_fast <= max_wait`` (eqs. 9-17), either along the fixed split ``n_slow = round(A Q)`` or over all
    splits. Scans stop once pile cost alone reaches the best cost, which is exact because the
    queue term is non-negative and pile cost grows with the count. Waits come from Erlang B
    stepped one server at a time (:func:`evcore.queueing.jit.erlang_b_next`).

    Parameters
    ----------
    load : float
        Vehicles per day.
    p : numpy.ndarray, shape (len(DESIGN_FIELDS),)
    out : numpy.ndarray, shape (4,)
        Overwritten with (cost, n_slow, n_fast, mean wait h); cost ``inf`` and counts -1 when
        no design meets the wait limit.
    """
    w = p[W_INVEST]
    share_s = p[SLOW_SHARE]
    share_f = p[FAST_SHARE]
    lam_s = share_s * load / p[HOURS]
    lam_f = share_f * load / p[HOURS]
    queue_coef = (1.0 - w) * p[QUEUE_COST] * load
    min_piles = int(p[MIN_PILES])
    max_piles = int(p[MAX_PILES])
    slow_waits = np.zeros(max_piles + 1)
    fast_waits = np.zeros(max_piles + 1)
    slow_b = np.ones(1)
    fast_b = np.ones(1)
    slow_filled = -1
    fast_filled = -1
    best = math.inf
    best_s = -1
    best_f = -1
    best_wait = math.inf
    if p[OPTIMISE_SPLIT] == 0.0:
        for piles in range(min_piles, max_piles + 1):
            n_s = int(math.floor(share_s * piles + 0.5))
            n_f = piles - n_s
            pile_cost = w * (n_s * p[SLOW_ANNUAL] + n_f * p[FAST_ANNUAL])
            if pile_cost >= best or n_s * p[SLOW_KVA] + n_f * p[FAST_KVA] > p[MAX_KVA]:
                break  # both grow with the pile count
            wait = 0.0
            if lam_s > 0.0:
                slow_filled = _fill_waits(slow_waits, slow_b, slow_filled, n_s, share_s, lam_s, p[T_SLOW])
                wait += slow_waits[n_s]
            if lam_f > 0.0:
                fast_filled = _fill_waits(fast_waits, fast_b, fast_filled, n_f, share_f, lam_f, p[T_FAST])
                wait += fast_waits[n_f]
            if not wait <= p[MAX_WAIT]:
                continue
            cost = pile_cost + queue_coef * wait
            if cost < best:
                best, best_s, best_f, best_wait = cost, n_s, n_f, wait
    else:
        # the smallest stable counts; fewer piles of a type with arrivals give an infinite wait
        s_low = 0 if lam_s == 0.0 else int(math.floor(lam_s * p[T_SLOW])) + 1
        f_low = 0 if lam_f == 0.0 else int(math.floor(lam_f * p[T_FAST])) + 1
        for n_s in range(s_low, max_piles + 1):
            slow_cost = w * n_s * p[SLOW_ANNUAL]
            if slow_cost + w * f_low * p[FAST_ANNUAL] >= best or n_s * p[SLOW_KVA] + f_low * p[FAST_KVA] > p[MAX_KVA]:
                break
            slow_wait = 0.0
            if lam_s > 0.0:
                slow_filled = _fill_waits(slow_waits, slow_b, slow_filled, n_s, share_s, lam_s, p[T_SLOW])
                slow_wait = slow_waits[n_s]
            if not slow_wait <= p[MAX_WAIT]:
                continue
            for n_f in range(max(f_low, min_piles - n_s), max_piles - n_s + 1):
                pile_cost = slow_cost + w * n_f * p[FAST_ANNUAL]
                if pile_cost >= best or n_s * p[SLOW_KVA] + n_f * p[FAST_KVA] > p[MAX_KVA]:
                    break
                fast_wait = 0.0
                if lam_f > 0.0:
                    fast_filled = _fill_waits(fast_waits, fast_b, fast_filled, n_f, share_f, lam_f, p[T_FAST])
                    fast_wait = fast_waits[n_f]
                wait = slow_wait + fast_wait
                if not wait <= p[MAX_WAIT]:
                    continue
                cost = pile_cost + queue_coef * wait
                if cost < best:
                    best, best_s, best_f, best_wait = cost, n_s, n_f, wait
    out[0] = best
    out[1] = best_s
    out[2] = best_f
    out[3] = best_wait


@njit(cache=True)
def design_cost(load, p, memo, scratch):
    """Weighted cost of the best design for ``load``, memoised in ``memo`` for integral loads."""
    index = int(load)
    if index == load and index < memo.shape[0]:
        value = memo[index]
        if math.isnan(value):
            station_design(load, p, scratch)
            value = scratch[0]
            memo[index] = value
        return value
    station_design(load, p, scratch)
    return scratch[0]


@njit(cache=True)
def station_term(site, load, site_fixed, penalty, total_demand, p, memo, scratch):
    """Objective contribution of an open station and its violation count (0 or 1).

    A load no design can serve within the wait limit costs ``penalty`` scaled up with the
    load's share of total demand, so that the search still prefers splitting it.
    """
    value = design_cost(load, p, memo, scratch)
    if math.isinf(value):
        return site_fixed[site] + penalty * (1.0 + load / total_demand), 1
    return site_fixed[site] + value, 0


@njit(cache=True)
def unserved_term(point, demand, penalty, total_demand):
    """Penalty of a demand point with no open station in range."""
    return penalty * (1.0 + demand[point] / total_demand)


# --------------------------------------------------------------------------- spacing

@njit(cache=True)
def spacing_violations(is_open, site_distance, service_range):
    """Pairs of open stations closer than ``r`` plus open stations whose nearest open
    neighbour is farther than ``2 r`` (§2.3); 0 when ``service_range <= 0`` (switched off)."""
    if service_range <= 0.0:
        return 0
    m = is_open.shape[0]
    count = 0
    opened = 0
    for a in range(m):
        if is_open[a]:
            opened += 1
    for a in range(m):
        if not is_open[a]:
            continue
        nearest = math.inf
        for b in range(m):
            if b != a and is_open[b]:
                d = site_distance[a, b]
                if d < nearest:
                    nearest = d
                if b > a and d < service_range:
                    count += 1
        if opened > 1 and nearest > 2.0 * service_range:
            count += 1
    return count


# --------------------------------------------------------------------------- full evaluation

@njit(cache=True)
def evaluate_plan(is_open, demand, site_order, order_length, assign_cost, site_fixed, fixed_network,
                  penalty, required_open, site_distance, service_range, p, memo, scratch,
                  assigned_site, station_load, station_cost, totals):
    """Evaluate ``is_open`` from scratch, filling the search state.

    Parameters
    ----------
    is_open : numpy.ndarray of int8, shape (sites,)
    demand : numpy.ndarray, shape (points,)
    site_order : numpy.ndarray of int64, shape (points, sites)
    order_length : numpy.ndarray of int64, shape (points,)
    assign_cost : numpy.ndarray, shape (points, sites)
        Weighted annual travel cost of serving point ``i`` at site ``j``.
    site_fixed : numpy.ndarray, shape (sites,)
        Weighted annualised land and facilities cost of opening ``j``.
    fixed_network : float
        Weighted cost added once when any station is open (``epsilon``).
    penalty : float
    required_open : int
        Required number of open stations, -1 for free.
    site_distance : numpy.ndarray, shape (sites, sites)
    service_range : float
        ``<= 0`` switches spacing off.
    p, memo, scratch
        Design parameters, memo table, scratch of 4.
    assigned_site, station_load, station_cost, totals
        Outputs (see module docstring).
    """
    n = demand.shape[0]
    m = is_open.shape[0]
    total_demand = max(demand.sum(), 1.0)
    objective = 0.0
    violations = 0
    opened = 0
    for j in range(m):
        station_load[j] = 0.0
        station_cost[j] = 0.0
        if is_open[j]:
            opened += 1
    for i in range(n):
        chosen = -1
        for r in range(order_length[i]):
            if is_open[site_order[i, r]]:
                chosen = site_order[i, r]
                break
        assigned_site[i] = chosen
        if chosen < 0:
            objective += unserved_term(i, demand, penalty, total_demand)
            violations += 1
        else:
            station_load[chosen] += demand[i]
            objective += assign_cost[i, chosen]
    for j in range(m):
        if is_open[j]:
            value, bad = station_term(j, station_load[j], site_fixed, penalty, total_demand, p, memo, scratch)
            station_cost[j] = value
            objective += value
            violations += bad
    if opened > 0:
        objective += fixed_network
    if required_open >= 0 and opened != required_open:
        objective += penalty * abs(opened - required_open)
        violations += abs(opened - required_open)
    spacing = spacing_violations(is_open, site_distance, service_range)
    objective += penalty * spacing
    violations += spacing
    totals[OBJECTIVE] = objective
    totals[VIOLATIONS] = violations
    totals[OPEN_COUNT] = opened
    totals[SPACING] = spacing


# --------------------------------------------------------------------------- incremental flip

@njit(cache=True)
def flip_delta(site, is_open, demand, site_order, order_length, site_rank, near_start, near_points,
               assign_cost, site_fixed, fixed_network, penalty, site_distance, service_range, p, memo,
               scratch, assigned_site, station_load, station_cost, totals,
               moved_point, moved_to, touched, load_change, touched_cost, counts):
    """Objective change of opening/closing ``site``, without changing the state.

    Fills the move description for :func:`apply_flip`: ``moved_point[:counts[0]]`` go to
    ``moved_to`` (-1 = unserved); ``touched[:counts[1]]`` stations get load change
    ``load_change[t]`` (sites-indexed, reset by ``apply_flip``/``discard_flip``) and new cost
    ``touched_cost[k]``; ``counts[2]`` is the change in violations and ``counts[3]`` the new
    spacing count. Work is proportional to the points listing ``site`` plus, with spacing on,
    the open sites.
    """
    total_demand = totals[TOTAL_DEMAND]
    opening = is_open[site] == 0
    delta = 0.0
    dviol = 0
    moves = 0
    for k in range(near_start[site], near_start[site + 1]):
        i = near_points[k]
        current = assigned_site[i]
        if opening:
            if current < 0 or site_rank[i, site] < site_rank[i, current]:
                moved_point[moves] = i
                moved_to[moves] = site
                moves += 1
        elif current == site:
            chosen = -1
            for r in range(site_rank[i, site] + 1, order_length[i]):
                s = site_order[i, r]
                if is_open[s]:
                    chosen = s
                    break
            moved_point[moves] = i
            moved_to[moves] = chosen
            moves += 1
    n_touched = 1
    touched[0] = site
    for k in range(moves):
        i = moved_point[k]
        old = assigned_site[i]
        new = moved_to[k]
        if old < 0:
            delta -= unserved_term(i, demand, penalty, total_demand)
            dviol -= 1
        else:
            delta -= assign_cost[i, old]
            if load_change[old] == 0.0 and old != site:
                seen = False
                for t in range(n_touched):
                    if touched[t] == old:
                        seen = True
                        break
                if not seen:
                    touched[n_touched] = old
                    n_touched += 1
            load_change[old] -= demand[i]
        if new < 0:
            delta += unserved_term(i, demand, penalty, total_demand)
            dviol += 1
        else:
            delta += assign_cost[i, new]
            if load_change[new] == 0.0 and new != site:
                seen = False
                for t in range(n_touched):
                    if touched[t] == new:
                        seen = True
                        break
                if not seen:
                    touched[n_touched] = new
                    n_touched += 1
            load_change[new] += demand[i]
    for t in range(n_touched):
        s = touched[t]
        old_value = station_cost[s]
        old_bad = 0
        if is_open[s] and math.isinf(design_cost(station_load[s], p, memo, scratch)):
            old_bad = 1
        if s == site and not opening:
            new_value = 0.0
            new_bad = 0
        else:
            new_value, new_bad = station_term(s, station_load[s] + load_change[s], site_fixed, penalty,
                                              total_demand, p, memo, scratch)
        touched_cost[t] = new_value
        delta += new_value - old_value
        dviol += new_bad - old_bad
    opened = int(totals[OPEN_COUNT])
    new_open = opened + 1 if opening else opened - 1
    if opened == 0 and new_open == 1:
        delta += fixed_network
    elif opened == 1 and new_open == 0:
        delta -= fixed_network
    required = int(totals[REQUIRED])
    if required >= 0:
        delta += penalty * (abs(new_open - required) - abs(opened - required))
        dviol += abs(new_open - required) - abs(opened - required)
    new_spacing = 0
    if service_range > 0.0:
        is_open[site] = 1 - is_open[site]
        new_spacing = spacing_violations(is_open, site_distance, service_range)
        is_open[site] = 1 - is_open[site]
        delta += penalty * (new_spacing - totals[SPACING])
        dviol += new_spacing - int(totals[SPACING])
    counts[0] = moves
    counts[1] = n_touched
    counts[2] = dviol
    counts[3] = new_spacing
    return delta


@njit(cache=True)
def apply_flip(site, delta, is_open, demand, station_load, station_cost, assigned_site, totals,
               moved_point, moved_to, touched, load_change, touched_cost, counts):
    """Commit the move :func:`flip_delta` described."""
    for k in range(counts[0]):
        assigned_site[moved_point[k]] = moved_to[k]
    for t in range(counts[1]):
        s = touched[t]
        station_load[s] += load_change[s]
        load_change[s] = 0.0
        station_cost[s] = touched_cost[t]
    opening = is_open[site] == 0
    is_open[site] = 1 if opening else 0
    if not opening:
        station_load[site] = 0.0
    totals[OBJECTIVE] += delta
    totals[VIOLATIONS] += counts[2]
    totals[OPEN_COUNT] += 1 if opening else -1
    totals[SPACING] = counts[3]


@njit(cache=True)
def discard_flip(load_change, touched, counts):
    """Forget a move :func:`flip_delta` described (resets the sparse load changes)."""
    for t in range(counts[1]):
        load_change[touched[t]] = 0.0


# --------------------------------------------------------------------------- problem bundle
# Kernels below take the problem as one tuple ``prob`` (built by evcore.siting.solve) so that
# signatures stay readable:
# (demand, site_order, order_length, site_rank, near_start, near_points, assign_cost,
#  site_fixed, fixed_network, penalty, site_distance, service_range, p, memo)


@njit(cache=True)
def _new_state(prob):
    n = prob[0].shape[0]
    m = prob[6].shape[1]
    is_open = np.zeros(m, np.int8)
    assigned = np.full(n, -1, np.int64)
    load = np.zeros(m)
    cost = np.zeros(m)
    totals = np.zeros(6)
    work = (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(m + 1, np.int64), np.zeros(m),
            np.empty(m + 1), np.zeros(4, np.int64), np.empty(4))
    return is_open, assigned, load, cost, totals, work


@njit(cache=True)
def _evaluate(prob, required, is_open, assigned, load, cost, totals, work):
    evaluate_plan(is_open, prob[0], prob[1], prob[2], prob[6], prob[7], prob[8], prob[9], required,
                  prob[10], prob[11], prob[12], prob[13], work[6], assigned, load, cost, totals)
    totals[TOTAL_DEMAND] = max(prob[0].sum(), 1.0)
    totals[REQUIRED] = required


@njit(cache=True)
def _delta(prob, site, is_open, assigned, load, cost, totals, work):
    return flip_delta(site, is_open, prob[0], prob[1], prob[2], prob[3], prob[4], prob[5], prob[6],
                      prob[7], prob[8], prob[9], prob[10], prob[11], prob[12], prob[13], work[6],
                      assigned, load, cost, totals, work[0], work[1], work[2], work[3], work[4], work[5])


@njit(cache=True)
def _apply(prob, site, delta, is_open, assigned, load, cost, totals, work):
    apply_flip(site, delta, is_open, prob[0], load, cost, assigned, totals, work[0], work[1], work[2],
               work[3], work[4], work[5])


@njit(cache=True)
def _flip(prob, site, is_open, assigned, load, cost, totals, work):
    delta = _delta(prob, site, is_open, assigned, load, cost, totals, work)
    _apply(prob, site, delta, is_open, assigned, load, cost, totals, work)
    return delta


@njit(cache=True)
def _random_site(is_open, want_open, count):
    """A uniformly drawn site that is open (``want_open``) or closed, among ``count`` such sites."""
    target = random_index(count)
    for j in range(is_open.shape[0]):
        if (is_open[j] == 1) == want_open:
            if target == 0:
                return j
            target -= 1
    return -1


@njit(cache=True)
def _random_plan(is_open, required):
    """Open ``required`` sites uniformly at random (a random half when free, at least one)."""
    m = is_open.shape[0]
    is_open[:] = 0
    k = required if required >= 0 else max(1, m // 2)
    for _ in range(k):
        j = _random_site(is_open, False, m - int(is_open.sum()))
        is_open[j] = 1


@njit(cache=True)
def _try_swap(prob, close_site, open_site, temperature, is_open, assigned, load, cost, totals, work):
    """Close one site and open another as one move; keep it if Metropolis accepts."""
    first = _flip(prob, close_site, is_open, assigned, load, cost, totals, work)
    second = _delta(prob, open_site, is_open, assigned, load, cost, totals, work)
    if metropolis_accept(first + second, temperature):
        _apply(prob, open_site, second, is_open, assigned, load, cost, totals, work)
        return True
    discard_flip(work[3], work[2], work[5])
    _flip(prob, close_site, is_open, assigned, load, cost, totals, work)
    return False


@njit(cache=True)
def _move(prob, required, temperature, is_open, assigned, load, cost, totals, work):
    """One random move: a flip (free station count) or a swap; returns whether accepted."""
    m = is_open.shape[0]
    opened = int(totals[OPEN_COUNT])
    if required < 0 and (np.random.random() < 0.5 or opened == 0 or opened == m):
        site = random_index(m)
        delta = _delta(prob, site, is_open, assigned, load, cost, totals, work)
        if metropolis_accept(delta, temperature):
            _apply(prob, site, delta, is_open, assigned, load, cost, totals, work)
            return True
        discard_flip(work[3], work[2], work[5])
        return False
    if opened == 0 or opened == m:
        return False
    close_site = _random_site(is_open, True, opened)
    open_site = _random_site(is_open, False, m - opened)
    return _try_swap(prob, close_site, open_site, temperature, is_open, assigned, load, cost, totals, work)


@njit(cache=True)
def local_descent(prob, required, is_open, assigned, load, cost, totals, work, deadline):
    """Best-improvement descent over flips (free count) and swaps until no move improves."""
    m = is_open.shape[0]
    improved = True
    while improved and now_jit() < deadline:
        improved = False
        best_gain = -1e-9 * max(1.0, abs(totals[OBJECTIVE]))
        best_a = -1
        best_b = -1
        if required < 0:
            for j in range(m):
                delta = _delta(prob, j, is_open, assigned, load, cost, totals, work)
                discard_flip(work[3], work[2], work[5])
                if delta < best_gain:
                    best_gain, best_a, best_b = delta, j, -1
        for a in range(m):
            if not is_open[a]:
                continue
            first = _flip(prob, a, is_open, assigned, load, cost, totals, work)
            for b in range(m):
                if is_open[b] or b == a:
                    continue
                second = _delta(prob, b, is_open, assigned, load, cost, totals, work)
                discard_flip(work[3], work[2], work[5])
                if first + second < best_gain:
                    best_gain, best_a, best_b = first + second, a, b
            _flip(prob, a, is_open, assigned, load, cost, totals, work)
        if best_a >= 0:
            _flip(prob, best_a, is_open, assigned, load, cost, totals, work)
            if best_b >= 0:
                _flip(prob, best_b, is_open, assigned, load, cost, totals, work)
            improved = True


@njit(cache=True)
def _polish(prob, required, best, best_open, is_open, assigned, load, cost, totals, work, deadline, trace,
            rows, start):
    """Local descent from the best plan; returns the (possibly improved) best and trace rows."""
    is_open[:] = best_open
    _evaluate(prob, required, is_open, assigned, load, cost, totals, work)
    local_descent(prob, required, is_open, assigned, load, cost, totals, work, deadline)
    if totals[OBJECTIVE] < best:
        best = totals[OBJECTIVE]
        best_open[:] = is_open
        rows = _record(trace, rows, start, best)
    return best, rows


@njit(cache=True)
def _end_of_iteration(trace, rows, start, best, deadline):
    """Record the best value in the trace; returns (rows, whether the deadline has passed)."""
    return _record(trace, rows, start, best), now_jit() >= deadline


@njit(cache=True)
def _record(trace, row, start, value):
    if row < trace.shape[0]:
        trace[row, 0] = now_jit() - start
        trace[row, 1] = value
        return row + 1
    return row


# --------------------------------------------------------------------------- simulated annealing

@njit(cache=True)
def anneal(prob, required, seed, initial_temperature, cooling, temperature_steps, moves_per_step,
           polish, deadline, best_open, trace):
    """Simulated annealing (§3.3.3): geometric cooling, Metropolis acceptance of flip/swap moves.

    Returns (best objective, moves evaluated, temperature steps done, stopped by time, trace rows).
    ``best_open`` receives the best plan; with ``polish`` a final descent runs on it.
    """
    start = now_jit()
    seed_rng(seed)
    is_open, assigned, load, cost, totals, work = _new_state(prob)
    _random_plan(is_open, required)
    _evaluate(prob, required, is_open, assigned, load, cost, totals, work)
    best = totals[OBJECTIVE]
    best_open[:] = is_open
    rows = _record(trace, 0, start, best)
    moves = 0
    steps = 0
    timed_out = False
    for step in range(temperature_steps):
        temperature = geometric_temperature(initial_temperature, cooling, step)
        for _ in range(moves_per_step):
            _move(prob, required, temperature, is_open, assigned, load, cost, totals, work)
            moves += 1
            if totals[OBJECTIVE] < best - 1e-12 * abs(best):
                best = totals[OBJECTIVE]
                best_open[:] = is_open
        steps += 1
        rows, timed_out = _end_of_iteration(trace, rows, start, best, deadline)
        if timed_out:
            break
    if polish:
        best, rows = _polish(prob, required, best, best_open, is_open, assigned, load, cost, totals, work,
                             deadline, trace, rows, start)
    return best, moves, steps, timed_out, rows


# --------------------------------------------------------------------------- genetic algorithm

@njit(cache=True)
def _repair_count(plan, required):
    """Open or close random sites until exactly ``required`` are open (no-op when free)."""
    m = plan.shape[0]
    opened = int(plan.sum())
    if required < 0:
        if opened == 0:
            plan[random_index(m)] = 1
        return
    while opened > required:
        plan[_random_site(plan, True, opened)] = 0
        opened -= 1
    while opened < required:
        plan[_random_site(plan, False, m - opened)] = 1
        opened += 1


@njit(cache=True)
def _mutate(plan, required):
    """Flip one random site (free count) or swap an open and a closed site."""
    m = plan.shape[0]
    opened = int(plan.sum())
    if required < 0 or opened == 0 or opened == m:
        plan[random_index(m)] ^= 1
        return
    to_open = _random_site(plan, False, m - opened)
    to_close = _random_site(plan, True, opened)
    plan[to_close] = 0
    plan[to_open] = 1


@njit(cache=True)
def genetic(prob, required, seed, population_size, generations, elite_count, crossover_rate,
            mutation_rate, polish, deadline, best_open, trace):
    """Generational GA (§3.3.1): elitism, tournament parents, uniform crossover, flip/swap mutation.

    Returns (best objective, evaluations, generations done, stopped by time, trace rows).
    """
    start = now_jit()
    seed_rng(seed)
    m = prob[6].shape[1]
    is_open, assigned, load, cost, totals, work = _new_state(prob)
    population = np.zeros((population_size, m), np.int8)
    offspring = np.zeros((population_size, m), np.int8)
    values = np.empty(population_size)
    child = np.empty(m, np.int64)
    parent_a = np.empty(m, np.int64)
    parent_b = np.empty(m, np.int64)
    evaluations = 0
    for k in range(population_size):
        _random_plan(population[k], required)
        _evaluate(prob, required, population[k], assigned, load, cost, totals, work)
        values[k] = totals[OBJECTIVE]
        evaluations += 1
    best_index = int(np.argmin(values))
    best = values[best_index]
    best_open[:] = population[best_index]
    rows = _record(trace, 0, start, best)
    done = 0
    timed_out = False
    elite_count = min(elite_count, population_size)
    for _ in range(generations):
        ranking = np.argsort(values, kind="mergesort")  # stable: ties keep index order
        for k in range(elite_count):
            offspring[k] = population[ranking[k]]
        for k in range(elite_count, population_size):
            a = tournament_select(values, 2)
            if np.random.random() < crossover_rate:
                b = tournament_select(values, 2)
                parent_a[:] = population[a]
                parent_b[:] = population[b]
                uniform_crossover(parent_a, parent_b, child)
                for j in range(m):
                    offspring[k, j] = child[j]
            else:
                offspring[k] = population[a]
            if np.random.random() < mutation_rate:
                _mutate(offspring[k], required)
            _repair_count(offspring[k], required)
        population, offspring = offspring, population
        for k in range(population_size):
            values[k] = _value_of(prob, required, population[k], assigned, load, cost, totals, work)
            evaluations += 1
            if values[k] < best:
                best = values[k]
                best_open[:] = population[k]
        done += 1
        rows, timed_out = _end_of_iteration(trace, rows, start, best, deadline)
        if timed_out:
            break
    if polish:
        best, rows = _polish(prob, required, best, best_open, is_open, assigned, load, cost, totals, work,
                             deadline, trace, rows, start)
    return best, evaluations, done, timed_out, rows


@njit(cache=True)
def _value_of(prob, required, plan, assigned, load, cost, totals, work):
    _evaluate(prob, required, plan, assigned, load, cost, totals, work)
    return totals[OBJECTIVE]


# --------------------------------------------------------------------------- ant colony

@njit(cache=True)
def _construct(pheromone_open, pheromone_closed, exploit_probability, required, plan):
    """One ant's plan from the pheromone trails (pseudo-random proportional rule of ACS)."""
    m = plan.shape[0]
    plan[:] = 0
    if required < 0:
        for j in range(m):
            if np.random.random() < exploit_probability:
                plan[j] = 1 if pheromone_open[j] > pheromone_closed[j] else 0
            else:
                total = pheromone_open[j] + pheromone_closed[j]
                plan[j] = 1 if np.random.random() * total < pheromone_open[j] else 0
        if plan.sum() == 0:
            plan[random_index(m)] = 1
        return
    weights = np.empty(m)
    for _ in range(required):
        for j in range(m):
            weights[j] = 0.0 if plan[j] else pheromone_open[j]
        if np.random.random() < exploit_probability:
            pick = int(np.argmax(weights))
        else:
            pick = roulette_select(weights)
        plan[pick] = 1


@njit(cache=True)
def ant_colony(prob, required, seed, ants, iterations, evaporation, initial_pheromone,
               exploit_probability, min_pheromone, polish, deadline, best_open, trace):
    """Binary ant colony (§3.3.2): ants open sites by pheromone, the iteration's best ant is
    improved by local descent, and the best-so-far plan deposits pheromone after evaporation.

    Returns (best objective, evaluations, iterations done, stopped by time, trace rows).
    """
    start = now_jit()
    seed_rng(seed)
    m = prob[6].shape[1]
    is_open, assigned, load, cost, totals, work = _new_state(prob)
    pheromone_open = np.full(m, initial_pheromone)
    pheromone_closed = np.full(m, initial_pheromone)
    colony = np.zeros((ants, m), np.int8)
    values = np.empty(ants)
    round_best = np.zeros(m, np.int8)
    best = math.inf
    rows = 0
    evaluations = 0
    done = 0
    timed_out = False
    for _ in range(iterations):
        for ant in range(ants):  # construction draws in order; evaluation in parallel
            _construct(pheromone_open, pheromone_closed, exploit_probability, required, colony[ant])
        evaluate_many(prob, required, colony, values)
        evaluations += ants
        round_value = math.inf
        for ant in range(ants):
            if values[ant] < round_value:
                round_value = values[ant]
                round_best[:] = colony[ant]
        if polish:
            is_open[:] = round_best
            _evaluate(prob, required, is_open, assigned, load, cost, totals, work)
            local_descent(prob, required, is_open, assigned, load, cost, totals, work, deadline)
            round_value = totals[OBJECTIVE]
            round_best[:] = is_open
        if round_value < best:
            best = round_value
            best_open[:] = round_best
        for j in range(m):
            pheromone_open[j] = max(min_pheromone, (1.0 - evaporation) * pheromone_open[j] + best_open[j])
            pheromone_closed[j] = max(min_pheromone, (1.0 - evaporation) * pheromone_closed[j] + 1 - best_open[j])
        done += 1
        rows, timed_out = _end_of_iteration(trace, rows, start, best, deadline)
        if timed_out:
            break
    return best, evaluations, done, timed_out, rows


# --------------------------------------------------------------------------- exact enumeration

@njit(cache=True)
def enumerate_plans(prob, required, deadline, best_open):
    """Every plan in Gray-code order, one incremental flip per plan; best plan without violations.

    Returns (best objective, plans visited, stopped by time); ``inf`` when no plan is free of
    violations. The state is re-evaluated from scratch at the best plan by the caller.
    """
    m = prob[6].shape[1]
    is_open, assigned, load, cost, totals, work = _new_state(prob)
    _evaluate(prob, required, is_open, assigned, load, cost, totals, work)
    best = math.inf
    count = 1 << m
    visited = 1
    for k in range(1, count):
        site = 0
        bits = k
        while bits & 1 == 0:
            bits >>= 1
            site += 1
        _flip(prob, site, is_open, assigned, load, cost, totals, work)
        visited += 1
        if totals[VIOLATIONS] == 0 and totals[OBJECTIVE] < best:
            best = totals[OBJECTIVE]
            best_open[:] = is_open
        if (k & 0xFFFF) == 0 and now_jit() >= deadline:
            return best, visited, True
    return best, visited, False


#: Plans per block when a batch is evaluated in parallel: blocks are fixed (not per thread), so
#: results never depend on the thread count.
BATCH_BLOCKS = 8


@njit(cache=True, parallel=True)
def evaluate_many(prob, required, plans, out):
    """:func:`evaluate_batch` in parallel over fixed blocks of rows, one search state per block.

    Station designs found on the way are memoised by whichever thread finds them first; every
    thread would write the same value.
    """
    count = plans.shape[0]
    blocks = min(BATCH_BLOCKS, count)
    for block in prange(blocks):
        is_open, assigned, load, cost, totals, work = _new_state(prob)
        for k in range(block * count // blocks, (block + 1) * count // blocks):
            _evaluate(prob, required, plans[k], assigned, load, cost, totals, work)
            out[k] = totals[OBJECTIVE]


@njit(cache=True)
def evaluate_batch(prob, required, plans, out):
    """Objective of every row of ``plans`` (int8, shape (k, sites)) into ``out`` (k,)."""
    is_open, assigned, load, cost, totals, work = _new_state(prob)
    for k in range(plans.shape[0]):
        _evaluate(prob, required, plans[k], assigned, load, cost, totals, work)
        out[k] = totals[OBJECTIVE]


# --------------------------------------------------------------------------- move throughput

@njit(cache=True)
def move_throughput(prob, required, seed, moves, incremental):
    """Evaluate ``moves`` random flips at temperature 0 (none accepted unless improving).

    ``incremental``: with :func:`flip_delta`; otherwise each move re-evaluates the plan from
    scratch. Returns seconds spent (for the benchmark).
    """
    seed_rng(seed)
    is_open, assigned, load, cost, totals, work = _new_state(prob)
    _random_plan(is_open, required)
    _evaluate(prob, required, is_open, assigned, load, cost, totals, work)
    m = is_open.shape[0]
    start = now_jit()
    for _ in range(moves):
        site = random_index(m)
        if incremental:
            delta = _delta(prob, site, is_open, assigned, load, cost, totals, work)
            discard_flip(work[3], work[2], work[5])
        else:
            before = totals[OBJECTIVE]
            is_open[site] ^= 1
            _evaluate(prob, required, is_open, assigned, load, cost, totals, work)
            delta = totals[OBJECTIVE] - before
            is_open[site] ^= 1
            _evaluate(prob, required, is_open, assigned, load, cost, totals, work)
        if delta < 0.0:
            if incremental:
                _flip(prob, site, is_open, assigned, load, cost, totals, work)
            else:
                is_open[site] ^= 1
                _evaluate(prob, required, is_open, assigned, load, cost, totals, work)
    return now_jit() - start


def warm_up():
    """Compile every kernel on a two-site problem (the types ``evcore.siting.solve`` passes)."""
    demand = np.array([10.0, 20.0])
    distance = np.array([[0.0, 1.0], [1.0, 0.0]])
    design = np.array([0.5, 0.28, 0.72, 1.0, 2.0, 0.7, 20.0, 6.0, 1.0, 0.5, 5.0, 50.0, 0.0, 6.1, 104.5, math.inf])
    prob = (demand, np.array([[0, 1], [1, 0]], np.int64), np.array([2, 2], np.int64),
            np.array([[0, 1], [1, 0]], np.int64), np.array([0, 2, 4], np.int64), np.array([0, 1, 0, 1], np.int64),
            distance * 1.0, np.array([1.0, 1.0]), 1.0, 5.0e7, np.zeros((1, 1)), 0.0, design, np.full(31, np.nan))
    best_open = np.zeros(2, np.int8)
    trace = np.zeros((8, 2))
    anneal(prob, -1, 0, 10.0, 0.9, 2, 4, True, math.inf, best_open, trace)
    genetic(prob, 1, 0, 4, 2, 1, 0.5, 0.5, True, math.inf, best_open, trace)
    ant_colony(prob, -1, 0, 3, 2, 0.5, 1.0, 0.5, 0.05, True, math.inf, best_open, trace)
    enumerate_plans(prob, -1, math.inf, best_open)
    evaluate_batch(prob, -1, np.ones((2, 2), np.int8), np.empty(2))
    evaluate_many(prob, -1, np.ones((2, 2), np.int8), np.empty(2))
    move_throughput(prob, -1, 0, 4, True)
    move_throughput(prob, -1, 0, 4, False)
    out = np.empty(4)
    station_design(15.0, design, out)
    design[OPTIMISE_SPLIT] = 1.0
    station_design(15.0, design, out)
