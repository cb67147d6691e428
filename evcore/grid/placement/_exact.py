"""evcore's certified method (``method="exact"``): branch and bound over boxes of charger counts.

Every node of the search is a box ``lo <= n <= hi`` of integer charger counts. For a box:

0. its upper bounds are lowered to the power-transfer caps (:func:`._enclosure.transfer_caps`: no solution
   meeting the voltage limits can carry more chargers at a candidate), which also prunes boxes beyond voltage
   collapse, where no enclosure exists;
1. the reduced power flow is solved at a centre (an integer point of the box, the parent's best point) and a
   Krawczyk enclosure (:mod:`._enclosure`) proves that every ``n`` of the box has exactly one power-flow
   solution near the centre's and bounds every limited magnitude by affine functions of ``n`` and
   ``|n - centre|`` (exact at the centre); quantities proven within their limits over the whole box are dropped
   for its descendants; a box proven to violate a limit everywhere is pruned;
2. the *outer* MILP (siting rows plus every limit written with the enclosure's lower/upper bound: a relaxation,
   with ``|n - centre|`` modelled exactly by binaries) gives a proven upper bound of the box; while its optimum
   fails, an enclosure centred at that optimum adds its own cuts (valid over the same box) and the MILP is
   solved again (up to three centres) before the box is split;
3. each outer optimum is checked point-wise (an enclosure of the single point, width ~1e-12): if every limit
   holds with the certificate margin it is a certified placement; the *inner* MILP (every limit written with
   the pointwise upper bound: a restriction) proposes another;
4. every new incumbent is re-checked by the full power flow (:mod:`._verify`); the first one comes from a
   linearised dive judged by the reduced power flow (:mod:`._primal`), or, if it finds none, from sequential
   linearisation on point enclosures;
5. boxes whose bound does not beat the incumbent by the gap are pruned, the others split (the candidate whose
   width times impact on the critical limits is largest, at its midpoint; ``{0}`` vs ``[Nmin, hi]`` first).

Where Krawczyk's conditions fail (wide boxes), an *outer-only* enclosure still bounds every operating point that
meets the voltage limits (an a-priori radius from bounded branch currents, refined by the same fixed-point
bound): it gives valid outer cuts and prunes, but proves no limit safe and certifies no point. A box where no
enclosure at all can be proven keeps its parent's bound and is split; a single point that cannot be
decided (a limit within the margin) stays an open leaf. ``status="optimal"`` only when no open box's bound
exceeds the incumbent by more than the gap: then every leaf was certified infeasible, dominated, or solved.

What is certified, precisely. The operating point of a placement is the power-flow solution evcore's power flow
finds (the high-voltage branch, continuous in the charger counts). Each box's enclosure proves, for every ``n``
in the box, a unique solution within a disc product around the centre's solution, so (by continuity and
uniqueness) it is the operating point wherever the centre's is. The Krawczyk and remainder bounds are computed
from non-negative terms with every floating-point error bounded (``gamma_k`` factors, a 1e-12 relative
inflation). The reduced network (``W = A^T Y^-1 A``) is computed by sparse LU with iterative refinement in
extended precision; its error is estimated a posteriori (~1e-12 relative on the feeders here) rather than
proven, and covered by the certificate margin: limits are met with a margin (default 1e-8 pu of the node base
for voltages, 1e-8 of the rating for currents), outer cuts relaxed by it and inner cuts tightened by it. The
bounds of the small MILPs are HiGHS's (dual bound at ``mip_rel_gap`` 1e-9, feasibility tolerance 1e-7 on rows
scaled to pu).

(A little past 600 lines, on purpose: this docstring states what the certificate rests on, and the node loop,
its bounding steps and the incumbent checks read as one argument.)
"""

from __future__ import annotations

import heapq
import logging
import math
import time

import numpy as np

from ...results import TraceRecorder, relative_gap
from ._blas import blas_threads
from ._enclosure import enclose
from ._milp import SitingMilp
from ._network import Reduction, Reference
from ._primal import linearised_dive
from ._verify import check_placement

__all__ = ["solve_exact", "DEFAULT_MARGIN"]

log = logging.getLogger(__name__)

#: Default certificate margin (pu of node base for voltages; fraction of the limit for currents).
DEFAULT_MARGIN = 1e-8


class _Node:
    __slots__ = ("lo", "hi", "bound", "hint", "up_rows", "low_rows", "depth", "ref", "prior")

    def __init__(self, lo, hi, bound, hint, up_rows, low_rows, depth, ref, prior=None):
        self.lo, self.hi, self.bound, self.hint = lo, hi, bound, hint
        self.up_rows, self.low_rows, self.depth, self.ref = up_rows, low_rows, depth, ref
        # (u, radius): a disc holding every operating point that meets the limits, for every n of the box
        self.prior = prior


def build_reduction(instance):
    inst = instance
    red = inst._derived.get("reduction")
    if red is None:
        red = Reduction(inst.feeder, inst._charger_from, inst._charger_to, inst._charger_unit_va,
                        inst._charger_candidate, inst.n_candidates, inst._monitor_nodes, inst._monitor_current)
        inst._derived["reduction"] = red
    return red


class _Search:
    def __init__(self, instance, *, margin, gap, time_limit, max_nodes, reporter, max_references=64):
        self.inst = instance
        t0 = time.perf_counter()
        self.red = build_reduction(instance)
        self.reduction_seconds = time.perf_counter() - t0
        self.first_incumbent_seconds = None
        self.milp = SitingMilp(instance)
        self.margin = margin
        self.gap = gap
        self.time_limit = time_limit
        self.max_nodes = max_nodes
        self.reporter = reporter
        self.started = time.perf_counter()
        red = self.red
        lo_lim = np.asarray(instance.lower_limits, dtype=float)
        hi_lim = np.asarray(instance.upper_limits, dtype=float)
        self.q_lower = lo_lim
        self.q_upper = hi_lim
        nv = red.n_voltage
        # margins in the quantity's unit: pu for voltages, fraction of the limit for currents
        scale = np.concatenate([np.ones(nv), np.where(np.isfinite(hi_lim[nv:]), hi_lim[nv:], 1.0)])
        self.q_margin = margin * scale
        self.row_scale = 1.0 / scale
        # voltage-magnitude bounds of every branch under the limits (for the power-transfer caps)
        feeder = instance.feeder
        node_lo = np.zeros(feeder.n_nodes)
        node_hi = np.full(feeder.n_nodes, np.inf)
        mon = red.monitor_nodes
        node_lo[mon] = np.maximum(lo_lim[:nv] - margin, 0.0) * feeder.node_base_v[mon]
        node_hi[mon] = (hi_lim[:nv] + margin) * feeder.node_base_v[mon]
        a, b = red.branch_from, red.branch_to
        wye = b < 0
        self.branch_lo_v = np.where(wye, node_lo[a], 0.0)
        # operating condition of the instance (checked by the power flow): chargers in operation and
        # constant-power loads keep terminal_vmin_pu of their base-case terminal voltage; at n_k = 0 a charger
        # branch carries no current
        nb = red.n_base
        self.branch_lo_v[nb:] = np.maximum(self.branch_lo_v[nb:], instance._charger_vmin_v * (1.0 - margin))
        self.branch_lo_v[:nb] = np.maximum(self.branch_lo_v[:nb], instance._load_vmin_v * (1.0 - margin))
        self.branch_hi_v = np.where(wye, node_hi[a], node_hi[a] + node_hi[np.maximum(b, 0)])
        self.references = []
        self.max_references = max_references
        self.incumbent = None
        self.incumbent_value = -math.inf
        self.incumbent_check = None
        self.nodes = 0
        self.enclosures = 0
        self.enclosure_failures = 0
        self.milps = 0
        self.unresolved = []
        self.trace = TraceRecorder(("seconds", "nodes", "objective", "bound", "gap", "open"))
        self.point_cache = {}
        self.center_rounds = 3

    # ------------------------------------------------------------------ helpers
    def elapsed(self):
        return time.perf_counter() - self.started

    def reference_for(self, n, u=None):
        """The reference nearest to ``n`` (in charger counts), or a new one at ``n``."""
        if self.references:
            d = [np.abs(r.n - n).sum() for r in self.references]
            return self.references[int(np.argmin(d))]
        return self.new_reference(n, u)

    def may_add_reference(self):
        """A new preconditioner costs O(M^3): a few hundred of them for a few hundred branches, only a handful
        (one per ~20 nodes) for thousands."""
        M = self.red.M
        if M <= 600:
            return True
        return len(self.references) < 2 + self.nodes // 20

    def new_reference(self, n, u=None):
        red = self.red
        start = self.references[0].u if self.references else red.u0
        ref0 = self.references[0] if self.references else None
        if u is None:
            u = red.solve(n, start, ref0)
        ref = Reference(red, u, n)
        self.references.append(ref)
        if len(self.references) > self.max_references:
            self.references.pop(1)
        return ref

    def solve_point(self, n, ref):
        key = tuple(np.asarray(n, dtype=float).tolist())
        u = self.point_cache.get(key)
        if u is None:
            u = self.red.solve(n, ref.u, ref)
            if len(self.point_cache) > 20000:
                self.point_cache.clear()
            self.point_cache[key] = u
        return u

    def enclosure(self, lo, hi, center, rows, ref, need_all=False, prior=None):
        """Enclosure over the box (:func:`._enclosure.enclose` with the voltage limits as hypothesis), retrying
        once with a reference at the centre when Krawczyk fails. With ``need_all`` the enclosure returned (if
        any) bounds every operating point that meets the limits (``all_solutions``): Krawczyk's when every
        such point is its unique solution, else an outer-only one."""
        from ...errors import SolverError

        hyp = (self.branch_lo_v, self.branch_hi_v)
        best = None
        for attempt in range(2):
            solved = True
            try:
                u_c = self.solve_point(center, ref)
            except SolverError:
                solved = False
                # no power flow at the centre (beyond collapse, or none nearby): the outer radius and its bounds
                # hold about any state, not only a solution (the residual enters them), so a reference's state
                # still gives an outer-only enclosure that can exclude the box
                u_c = ref.u if need_all else None
            enc = None if u_c is None else enclose(self.red, ref, lo, hi, center, u_c, rows, hypothesis=hyp,
                                                   need_all=need_all, prior=prior)
            self.enclosures += 1
            if enc is not None and enc.krawczyk and (enc.all_solutions or not need_all):
                return enc, ref
            self.enclosure_failures += 1
            if best is None or (enc is not None and enc.krawczyk):
                best = enc if enc is not None else best
            if attempt == 0 and solved and np.abs(ref.n - center).sum() > 0 and self.may_add_reference():
                # Krawczyk (and the uniqueness of the operating point) may hold with a preconditioner at the centre
                ref = self.new_reference(center, u_c)
            else:
                break
        return best, ref

    def classify_point(self, n, rows_up, rows_low, ref, prior=None):
        """``"feasible"``, ``"infeasible"`` or ``"undecided"`` for the integer point ``n`` (rigorous).

        Feasible: Krawczyk's enclosure (a solution exists, is unique near the centre's) meets every limit
        with the margin (the power-flow check follows). Infeasible: an enclosure valid for every solution
        meeting the voltage limits (``all_solutions``) violates a limit by more than the margin."""
        rows = np.union1d(rows_up, rows_low)
        enc, ref = self.enclosure(n, n, n, rows, ref, prior=prior)
        pos = {r: i for i, r in enumerate(rows)}
        iu = np.array([pos[r] for r in rows_up], dtype=np.int64)
        il = np.array([pos[r] for r in rows_low], dtype=np.int64)
        if enc is not None:
            up_ok = enc.upper0[iu] <= self.q_upper[rows_up] - self.q_margin[rows_up]
            low_ok = enc.lower0[il] >= self.q_lower[rows_low] + self.q_margin[rows_low]
            if enc.existence and up_ok.all() and low_ok.all() and self.operating_condition(enc, n) == "met":
                return "feasible", enc
        if enc is None or not enc.all_solutions:
            enc, ref = self.enclosure(n, n, n, rows, ref, need_all=True, prior=prior)
            if enc is None:
                return "undecided", None
        if self.operating_condition(enc, n) == "broken":
            # every solution meeting the hypothesis (which includes the operating condition) lies in the disc,
            # and no point of the disc meets the condition: no such solution exists
            return "infeasible", np.zeros(0, dtype=np.int64)
        up_bad = enc.lower0[iu] > self.q_upper[rows_up] + self.q_margin[rows_up]
        low_bad = enc.upper0[il] < self.q_lower[rows_low] - self.q_margin[rows_low]
        if up_bad.any() or low_bad.any():
            viol = np.concatenate([np.asarray(rows_up)[up_bad], np.asarray(rows_low)[low_bad]])
            return "infeasible", viol
        return "undecided", None

    def operating_condition(self, enc, n):
        """The instance's operating condition (chargers in operation and constant-power loads keep
        ``terminal_vmin_pu`` of their base-case terminal voltage) over the enclosure's disc at the point ``n``:
        ``"met"`` when every point of the disc meets it with the margin, ``"broken"`` when no point of the disc
        meets it for some branch, else ``"open"``. Branch voltages are the reduced model's variables."""
        red = self.red
        nb = red.n_base
        need = np.concatenate([np.asarray(self.inst._load_vmin_v, float), np.asarray(self.inst._charger_vmin_v, float)])
        active = need > 0
        active[nb:] &= np.asarray(n, dtype=float)[red.charger_candidate] > 0
        if not active.any():
            return "met"
        m = np.abs(enc.u_c)[active]
        r = np.asarray(enc.radius, dtype=float)[active] * (1.0 + 1e-12)
        need = need[active]
        if np.any(m + r < need * (1.0 - self.margin)):
            return "broken"
        if np.all(m - r >= need * (1.0 + self.margin)):
            return "met"
        return "open"

    def offer(self, n, ref, rows_up, rows_low, prior=None):
        """Check a candidate point; make it the incumbent if certified, verified and better."""
        value = float(self.milp.priority @ n)
        if value <= self.incumbent_value:
            return None
        if self.inst.siting_violations(n):
            return "siting"
        status, info = self.classify_point(n, rows_up, rows_low, ref, prior)
        if status != "feasible":
            return status
        check = check_placement(self.inst, n)
        if not check["ok"]:
            log.warning("certified point failed the power-flow check: %s", check["violations"][:3])
            return "check_failed"
        if self.incumbent is None:
            self.first_incumbent_seconds = self.elapsed()
        self.incumbent = n.copy()
        self.incumbent_value = value
        self.incumbent_check = check
        return "feasible"

    def cuts(self, enc, up_rows, low_rows, inner):
        """Rows ``(A_n, A_t, lower, upper)`` of the limits over the box (scaled per quantity), with
        ``t = |n - centre|``. Inner rows hold an upper bound of the quantity below its upper limit (a
        restriction); outer rows a lower bound below the upper limit (a relaxation). Both are pointwise:
        exact at the centre, looser with ``|n - centre|``."""
        pos = {r: i for i, r in enumerate(enc.rows)}
        iu = np.array([pos[r] for r in up_rows], dtype=np.int64)
        il = np.array([pos[r] for r in low_rows], dtype=np.int64)
        c = enc.center
        blocks_n, blocks_t, lows, ups = [], [], [], []
        up_rows = np.asarray(up_rows, dtype=np.int64)
        low_rows = np.asarray(low_rows, dtype=np.int64)
        if len(iu):
            s = self.row_scale[up_rows][:, None]
            if inner:  # upper0 + ug dn + ut t <= qmax - margin
                An, At, base, slack = enc.upper_grad[iu], enc.upper_t[iu], enc.upper0[iu], -self.q_margin[up_rows]
            else:  # lower0 + g dn - lt t <= qmax + margin
                An, At, base, slack = enc.grad[iu], -enc.lower_t[iu], enc.lower0[iu], self.q_margin[up_rows]
            blocks_n.append(An * s)
            blocks_t.append(At * s)
            lows.append(np.full(len(iu), -np.inf))
            ups.append((self.q_upper[up_rows] + slack - base + An @ c) * s[:, 0])
        if len(il):
            s = self.row_scale[low_rows][:, None]
            if inner:  # lower0 + g dn - lt t >= qmin + margin
                An, At, base, slack = enc.grad[il], -enc.lower_t[il], enc.lower0[il], self.q_margin[low_rows]
            else:  # upper0 + ug dn + ut t >= qmin - margin
                An, At, base, slack = enc.upper_grad[il], enc.upper_t[il], enc.upper0[il], -self.q_margin[low_rows]
            blocks_n.append(An * s)
            blocks_t.append(At * s)
            lows.append((self.q_lower[low_rows] + slack - base + An @ c) * s[:, 0])
            ups.append(np.full(len(il), np.inf))
        if not blocks_n:
            return None
        return self._without_tiny(np.vstack(blocks_n), np.vstack(blocks_t), np.concatenate(lows),
                                  np.concatenate(ups), relax=not inner)

    #: HiGHS treats matrix entries of magnitude <= small_matrix_value (1e-9) as 0; with counts in the hundreds
    #: that shifts a row by more than the certificate margin, so such entries are removed here with their
    #: largest effect over the counts (``0 <= n, t <= Nmax``) moved into the row's bound.
    TINY = 1e-8

    def _without_tiny(self, A_n, A_t, lows, ups, relax):
        nmax = np.asarray(self.inst.max_chargers, dtype=float)
        tiny_n = np.abs(A_n) <= self.TINY
        tiny_t = np.abs(A_t) <= self.TINY
        if not (tiny_n.any() or tiny_t.any()):
            return A_n, A_t, lows, ups
        # t = |n - c| enters the MILP twice (t = p + m, both in [0, Nmax]): its entries count twice
        shift = (np.where(tiny_n, np.abs(A_n), 0.0) @ nmax + 2.0 * (np.where(tiny_t, np.abs(A_t), 0.0) @ nmax))
        shift *= 1.0 + 1e-12
        A_n = np.where(tiny_n, 0.0, A_n)
        A_t = np.where(tiny_t, 0.0, A_t)
        sign = 1.0 if relax else -1.0  # outer rows relaxed (a relaxation stays one), inner rows tightened
        lows = np.where(np.isfinite(lows), lows - sign * shift, lows)
        ups = np.where(np.isfinite(ups), ups + sign * shift, ups)
        return A_n, A_t, lows, ups

    def split(self, node, enc, critical, hi=None):
        lo = node.lo
        hi = node.hi if hi is None else hi
        inst = self.inst
        width = hi - lo
        nmin = np.maximum(np.asarray(inst.min_chargers, dtype=float), 1.0)
        # station first: a box that holds 0 and [Nmin, hi] splits there
        gapped = (lo == 0) & (hi >= nmin) & (nmin > 1)
        if enc is not None and critical is not None and len(critical):
            pos = {r: i for i, r in enumerate(enc.rows)}
            idx = [pos[r] for r in critical if r in pos]
            impact = np.abs(enc.grad[idx]).sum(axis=0) if idx else np.ones(len(lo))
            score = (width * (impact + 1e-12 * impact.max() + 1e-300))
        else:
            score = width.astype(float)
        score = np.where(width > 0, score, -1.0)
        k = int(np.argmax(score))
        if score[k] < 0:
            return []
        if gapped[k]:
            left_hi, right_lo = 0.0, nmin[k]
        else:
            mid = math.floor((lo[k] + hi[k]) / 2.0)
            left_hi, right_lo = float(mid), float(mid + 1)
        a_hi = hi.copy()
        a_hi[k] = left_hi
        b_lo = lo.copy()
        b_lo[k] = right_lo
        return [(lo.copy(), a_hi), (b_lo, hi.copy())]

    # ------------------------------------------------------------------ the search
    def run(self):
        inst = self.inst
        red = self.red
        K = inst.n_candidates
        lo = np.zeros(K)
        hi = self.tighten(lo, np.asarray(inst.max_chargers, dtype=float), rounds=5)
        if hi is None:
            return self.finish(infeasible_siting=False)
        self.root_hi = hi.copy()
        up_rows = np.flatnonzero(np.isfinite(self.q_upper))
        low_rows = np.flatnonzero(self.q_lower > 0)
        # root bound from the siting rows alone
        root = self.milp.solve(lo, hi)
        self.milps += 1
        if root is None:
            return self.finish(infeasible_siting=True)
        ref = self.new_reference(np.zeros(K))
        # a first incumbent: a linearised dive judged by the reduced power flow (cheap per round), then, if
        # it found none, sequential linearisation on point enclosures from the siting optimum
        hint, ref = linearised_dive(self, lo, hi, ref)
        if self.incumbent is None:
            hint, ref = self.primal_heuristic(lo, hi, up_rows, low_rows, ref, np.zeros(K))
        if self.incumbent is not None:
            hint = self.incumbent.copy()
        try:
            ref = self.new_reference(hint)
        except Exception:  # noqa: BLE001 - a bad hint only costs time
            pass
        heap = []
        counter = 0
        first = _Node(lo, hi, root["bound"], hint if hint is not None else root["n"], up_rows, low_rows, 0, ref)
        heapq.heappush(heap, (-first.bound, counter, first))
        status = None
        while heap:
            bound = -heap[0][0]
            if self.closed(bound):
                break
            if self.time_limit is not None and self.elapsed() > self.time_limit:
                status = "time_limit"
                break
            if self.max_nodes is not None and self.nodes >= self.max_nodes:
                status = "iteration_limit"
                break
            _, _, node = heapq.heappop(heap)
            if node.bound <= self.incumbent_value + self.tolerance():
                continue
            self.nodes += 1
            for child in self.process(node):
                counter += 1
                heapq.heappush(heap, (-child.bound, counter, child))
            if self.nodes % 10 == 0 or not heap:
                self.report(heap)
        open_bound = max([-h[0] for h in heap] + [-math.inf])
        return self.finish(status=status, open_bound=open_bound)

    def tolerance(self):
        return self.gap * max(abs(self.incumbent_value), 1e-12) if math.isfinite(self.incumbent_value) else 0.0

    def closed(self, bound):
        return math.isfinite(self.incumbent_value) and bound <= self.incumbent_value + self.tolerance()

    def report(self, heap):
        bound = max([-h[0] for h in heap] + [self.incumbent_value])
        gap = relative_gap(self.incumbent_value, bound, "max") if math.isfinite(self.incumbent_value) else None
        self.trace.append(seconds=self.elapsed(), nodes=self.nodes,
                          objective=self.incumbent_value if math.isfinite(self.incumbent_value) else None,
                          bound=bound, gap=gap, open=len(heap))
        if self.reporter is not None:
            self.reporter.report(self.nodes, objective=self.incumbent_value if math.isfinite(self.incumbent_value)
                                 else None, bound=bound, gap=gap,
                                 message=f"nodes {self.nodes}, open {len(heap)}, enclosures {self.enclosures}")

    def linear_model(self, n, rows, ref):
        """Magnitudes and gradients of the limited quantities at the point ``n`` (a point enclosure)."""
        enc, ref = self.enclosure(n, n, n, rows, ref)
        return enc, ref

    def primal_heuristic(self, lo, hi, up_rows, low_rows, ref, start, rounds=15):
        """Kelley-style sequential linearisation: the MILP with every limit linearised at every point visited
        so far (a heuristic: these cuts are not valid bounds), each point checked rigorously and the best
        certified one offered as incumbent. Returns the last point and reference."""
        rows = np.union1d(up_rows, low_rows)
        n = np.clip(np.round(start), lo, hi)
        cut_A, cut_lo, cut_up = [], [], []
        for _ in range(rounds):
            if self.time_limit is not None and self.elapsed() > self.time_limit:
                break
            enc, ref = self.linear_model(n, rows, ref)
            if enc is None:
                break
            pos = {r: i for i, r in enumerate(enc.rows)}
            iu = np.array([pos[r] for r in up_rows], dtype=np.int64)
            il = np.array([pos[r] for r in low_rows], dtype=np.int64)
            over = enc.upper0[iu] - (self.q_upper[up_rows] - self.q_margin[up_rows])
            under = (self.q_lower[low_rows] + self.q_margin[low_rows]) - enc.lower0[il]
            if (over <= 0).all() and (under <= 0).all():
                if self.offer(n, ref, up_rows, low_rows) == "feasible":
                    break  # the linearised optimum is feasible: no better point for the heuristic
            # cuts at n for the limits that are violated or close (within 20 % of their distance from the base)
            cut_A.append(enc.grad[iu] * self.row_scale[up_rows][:, None])
            cut_up.append((self.q_upper[up_rows] - self.q_margin[up_rows] - enc.q_abs[iu] + enc.grad[iu] @ n)
                          * self.row_scale[up_rows])
            cut_lo.append(np.full(len(iu), -np.inf))
            cut_A.append(enc.grad[il] * self.row_scale[low_rows][:, None])
            cut_lo.append((self.q_lower[low_rows] + self.q_margin[low_rows] - enc.q_abs[il] + enc.grad[il] @ n)
                          * self.row_scale[low_rows])
            cut_up.append(np.full(len(il), np.inf))
            A = np.vstack(cut_A)
            res = self.milp.solve(lo, hi, cuts=self._without_tiny(A, np.zeros_like(A), np.concatenate(cut_lo),
                                                                  np.concatenate(cut_up), relax=False))
            self.milps += 1
            if res is None or res["n"] is None or np.array_equal(res["n"], n):
                break
            n = res["n"]
        return n, ref

    def tighten(self, lo, hi, rounds=1):
        """Upper bounds of the box lowered to the power-transfer caps (valid for every feasible point);
        ``None`` when the box holds no feasible point."""
        from ._enclosure import transfer_caps

        hi = hi.copy()
        for _ in range(rounds):
            caps = transfer_caps(self.red, lo, hi, self.branch_lo_v, self.branch_hi_v)
            new_hi = np.minimum(hi, np.floor(caps))
            if (lo > new_hi).any():
                return None
            if np.array_equal(new_hi, hi):
                break
            hi = new_hi
        return hi

    def process(self, node):
        lo = node.lo
        hi = self.tighten(lo, node.hi)
        if hi is None:
            return []
        center = np.clip(np.round(node.hint), lo, hi)
        ref = self.reference_for(center)
        rows = np.union1d(node.up_rows, node.low_rows)
        if (lo == hi).all():
            status = self.offer(lo.copy(), ref, node.up_rows, node.low_rows, node.prior)
            if status in ("undecided", "check_failed"):
                self.unresolved.append(dict(n=lo.copy(), bound=node.bound, reason=status))
            return []
        enc, ref = self.enclosure(lo, hi, center, rows, ref, need_all=True, prior=node.prior)
        if enc is None:
            res = self.milp.solve(lo, hi)
            self.milps += 1
            if res is None:
                return []
            bound = min(node.bound, res["bound"])
            children = []
            for clo, chi in self.split(node, None, None, hi):
                children.append(_Node(clo, chi, bound, center, node.up_rows, node.low_rows, node.depth + 1, ref,
                                      node.prior))
            return children
        # every operating point meeting the limits, for every n of the box, lies within enc.radius of enc.u_c
        prior = (enc.u_c, enc.radius) if enc.all_solutions else node.prior
        # drop limits proven safe over the box; prune boxes proven infeasible
        pos = {r: i for i, r in enumerate(enc.rows)}
        low_q, high_q = enc.range_over_box()
        up_rows = np.asarray(node.up_rows, dtype=np.int64)
        low_rows = np.asarray(node.low_rows, dtype=np.int64)
        iu = np.array([pos[r] for r in up_rows], dtype=np.int64)
        il = np.array([pos[r] for r in low_rows], dtype=np.int64)
        if len(iu) and (low_q[iu] > self.q_upper[up_rows] + self.q_margin[up_rows]).any():
            return []
        if len(il) and (high_q[il] < self.q_lower[low_rows] - self.q_margin[low_rows]).any():
            return []
        if enc.existence:
            keep_up = up_rows[high_q[iu] > self.q_upper[up_rows] - self.q_margin[up_rows]] if len(iu) else up_rows
            keep_low = low_rows[low_q[il] < self.q_lower[low_rows] + self.q_margin[low_rows]] if len(il) else low_rows
        else:
            # an outer-only enclosure assumes the voltage limits: it proves no limit safe
            keep_up, keep_low = up_rows, low_rows
        # outer MILP; while its optimum fails, add the cuts of an enclosure centred at that optimum (valid over the
        # same box, exact at their centre) and solve again: fewer splits
        blocks = [(self.cuts(enc, keep_up, keep_low, inner=False), enc.center)]
        centers = [enc.center]
        outer = None
        bound = node.bound
        for round_ in range(self.center_rounds):
            outer = self.milp.solve_all(lo, hi, blocks=blocks)
            self.milps += 1
            if outer is None:
                return []
            bound = min(bound, outer["bound"])
            if bound <= self.incumbent_value + self.tolerance():
                return []
            n_out = outer["n"]
            if n_out is None:
                break
            self.offer(n_out, ref, keep_up, keep_low, prior)
            if bound <= self.incumbent_value + self.tolerance():
                return []
            if round_ + 1 == self.center_rounds or any(np.array_equal(n_out, c) for c in centers):
                break
            extra, ref = self.enclosure(lo, hi, n_out, np.union1d(keep_up, keep_low), ref, need_all=True,
                                        prior=prior)
            if extra is None:
                break
            blocks.append((self.cuts(extra, keep_up, keep_low, inner=False), extra.center))
            centers.append(extra.center)
        n_out = outer["n"] if outer is not None else None
        critical = None
        if self.inner_pays(bound):
            inner = self.milp.solve(lo, hi, cuts=self.cuts(enc, keep_up, keep_low, inner=True), center=enc.center)
            self.milps += 1
            if inner is not None and inner["n"] is not None:
                self.offer(inner["n"], ref, keep_up, keep_low, prior)
                if bound <= self.incumbent_value + self.tolerance():
                    return []
        # critical limits: the outer cuts tight at the outer optimum
        if n_out is not None:
            dn = n_out - enc.center
            iu = np.array([pos[r] for r in keep_up], dtype=np.int64)
            il = np.array([pos[r] for r in keep_low], dtype=np.int64)
            crit = []
            if len(iu):
                val = enc.upper0[iu] + enc.upper_grad[iu] @ dn + enc.upper_t[iu] @ np.abs(dn)
                crit.extend(np.asarray(keep_up)[val > self.q_upper[keep_up] - self.q_margin[keep_up]].tolist())
            if len(il):
                val = enc.lower0[il] + enc.grad[il] @ dn - enc.lower_t[il] @ np.abs(dn)
                crit.extend(np.asarray(keep_low)[val < self.q_lower[keep_low] + self.q_margin[keep_low]].tolist())
            critical = np.array(crit, dtype=np.int64)
        hint = n_out if n_out is not None else center
        children = []
        for clo, chi in self.split(node, enc, critical, hi):
            children.append(_Node(clo, chi, bound, hint, keep_up, keep_low, node.depth + 1, ref, prior))
        return children

    def inner_pays(self, bound):
        return True

    def finish(self, status=None, open_bound=-math.inf, infeasible_siting=False):
        unresolved_bound = max([u["bound"] for u in self.unresolved] + [-math.inf])
        bound = max(open_bound, unresolved_bound, self.incumbent_value)
        found = self.incumbent is not None
        if infeasible_siting:
            bound = -math.inf
        gap = relative_gap(self.incumbent_value, bound, "max") if found else None
        if status is None:
            if not found:
                status = "infeasible"
            elif gap is not None and gap <= self.gap:
                status = "optimal"
            else:
                status = "feasible"
        self.report([])
        proven_infeasible = (not found) and status == "infeasible" and not self.unresolved
        reason = ("no placement meets the siting rows (parking limits, demand, budget, anti-clustering)"
                  if infeasible_siting else "no placement meets the siting rows and every grid limit (every box "
                  "of charger counts was proven infeasible)")
        return dict(status=status, chargers=self.incumbent, proven_infeasible=proven_infeasible, reason=reason, objective=self.incumbent_value, bound=bound, gap=gap,
                    nodes=self.nodes, check=self.incumbent_check, unresolved=self.unresolved,
                    enclosures=self.enclosures, enclosure_failures=self.enclosure_failures, milps=self.milps,
                    references=len(self.references), trace=self.trace.array(),
                    error_estimate=self.red.error_estimate_relative, infeasible_siting=infeasible_siting,
                    reduction_seconds=self.reduction_seconds, first_incumbent_seconds=self.first_incumbent_seconds)


def solve_exact(instance, *, margin=DEFAULT_MARGIN, gap=1e-4, time_limit=None, max_nodes=None, reporter=None):
    # the dense products are small: one BLAS thread (see _blas)
    with blas_threads(1):
        search = _Search(instance, margin=margin, gap=gap, time_limit=time_limit, max_nodes=max_nodes,
                         reporter=reporter)
        return search.run()
