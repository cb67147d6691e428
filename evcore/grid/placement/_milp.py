"""The siting MILP of seed 002 (eqs. 10, 20, 21, 24, 25) over a box of charger counts, plus linear grid cuts.

Variables: ``n`` (K, integer chargers), ``x`` (K, binary stations) and, for cuts that bound a quantity
pointwise around a centre, ``t = |n - centre|`` (modelled exactly with one binary per candidate). Rows: ``Nmin x <= n <= Nmax x``,
``sum n >= demand``, ``sum(land x + cost n) <= budget``, ``x_a + x_b <= 1`` for conflicting pairs, and the
given cuts ``lower <= A_n n + A_t t <= upper``. Objective ``max priority @ n``. Solved by HiGHS through
:mod:`evcore.solvers` (the only place HiGHS is driven).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ...errors import InfeasibleError, SolverError
from ...solvers import Model, SolverOptions, solve

__all__ = ["SitingMilp"]


class SitingMilp:
    """Static rows of an instance's siting MILP; :meth:`solve` adds a box and cuts."""

    def __init__(self, instance, *, mip_rel_gap: float = 1e-9):
        inst = instance
        K = inst.n_candidates
        self.K = K
        self.priority = np.asarray(inst.priority, dtype=float)
        self.nmin = np.asarray(inst.min_chargers, dtype=float)
        self.nmax = np.asarray(inst.max_chargers, dtype=float)
        rows, lower, upper = [], [], []
        eye = sp.identity(K, format="csr")
        zero = sp.csr_matrix((K, K))
        # n - Nmax x <= 0 ; n - Nmin x >= 0
        rows.append(sp.hstack([eye, -sp.diags(self.nmax), zero]))
        lower.append(np.full(K, -np.inf))
        upper.append(np.zeros(K))
        rows.append(sp.hstack([eye, -sp.diags(self.nmin), zero]))
        lower.append(np.zeros(K))
        upper.append(np.full(K, np.inf))
        if inst.demand > 0:
            rows.append(sp.csr_matrix(np.concatenate([np.ones(K), np.zeros(2 * K)])[None, :]))
            lower.append(np.array([float(inst.demand)]))
            upper.append(np.array([np.inf]))
        if inst.budget is not None:
            rows.append(sp.csr_matrix(np.concatenate([np.full(K, inst.charger_cost), inst.land_cost,
                                                      np.zeros(K)])[None, :]))
            lower.append(np.array([-np.inf]))
            upper.append(np.array([inst.budget]))
        conflicts = inst.conflicts
        if len(conflicts):
            P = len(conflicts)
            data = np.ones(2 * P)
            r = np.repeat(np.arange(P), 2)
            c = K + conflicts.ravel()
            rows.append(sp.csr_matrix((data, (r, c)), shape=(P, 3 * K)))
            lower.append(np.full(P, -np.inf))
            upper.append(np.ones(P))
        self.static = sp.vstack(rows).tocsr()
        self.static_lower = np.concatenate(lower)
        self.static_upper = np.concatenate(upper)
        self.options = SolverOptions(mip_rel_gap=mip_rel_gap, threads=1)

    def solve(self, lo, hi, *, cuts=None, center=None, time_limit=None, lazy=False, first_rows=24):
        """Like :meth:`solve_all`, with the cut rows added lazily: the MILP is solved with the rows tightest at
        the centre (or the box's middle), every row is checked at its solution, the violated ones are added and
        it is solved again, until the solution meets every row. The subset's bound bounds the full problem (a
        relaxation) and the final solution is feasible for it, so the answer is the full problem's."""
        if not lazy or cuts is None or cuts[0].shape[0] <= first_rows:
            return self.solve_all(lo, hi, cuts=cuts, center=center, time_limit=time_limit)
        A_n, A_t, c_lo, c_hi = cuts
        lo = np.asarray(lo, dtype=float)
        hi = np.asarray(hi, dtype=float)
        ref = np.asarray(center, dtype=float) if center is not None else np.round((lo + hi) / 2.0)
        c_ref = ref if center is not None else None

        def violation(n):
            t = np.abs(n - c_ref) if c_ref is not None else np.zeros_like(n)
            act = A_n @ n + A_t @ t
            return np.maximum(c_lo - act, act - c_hi)

        # start with the rows nearest to binding at the reference point
        order = np.argsort(-violation(ref))
        active = np.zeros(A_n.shape[0], dtype=bool)
        active[order[:first_rows]] = True
        while True:
            idx = np.flatnonzero(active)
            res = self.solve_all(lo, hi, cuts=(A_n[idx], A_t[idx], c_lo[idx], c_hi[idx]), center=center,
                                 time_limit=time_limit)
            if res is None or res["n"] is None:
                return res
            viol = violation(res["n"])
            scale = np.maximum(1.0, np.maximum(np.abs(np.where(np.isfinite(c_lo), c_lo, 0.0)),
                                               np.abs(np.where(np.isfinite(c_hi), c_hi, 0.0))))
            new = (viol > 1e-9 * scale) & ~active
            if not new.any():
                return res
            # add the violated rows, worst first (at most a few dozen per round)
            cand = np.flatnonzero(new)
            cand = cand[np.argsort(-viol[cand])][:48]
            active[cand] = True

    def solve_all(self, lo, hi, *, cuts=None, center=None, time_limit=None, blocks=None):
        """The MILP with every cut row at once. ``blocks`` generalises ``(cuts, center)`` to several
        centres, each with its own exact ``t = |n - center|`` variables."""
        K = self.K
        lo = np.asarray(lo, dtype=float)
        hi = np.asarray(hi, dtype=float)
        x_lo = (lo >= 1).astype(float)
        x_hi = np.where(hi >= np.maximum(self.nmin, 1.0), 1.0, 0.0)
        if (x_lo > x_hi).any():
            return None
        if blocks is None:
            blocks = [(cuts, center)] if (cuts is not None or center is not None) else []
        nb = len([b for b in blocks if b[1] is not None])
        nvar = 2 * K + 3 * K * nb
        col_lower = [lo, x_lo]
        col_upper = [hi, x_hi]
        integrality = [np.ones(2 * K, dtype=bool)]
        static = self.static[:, :2 * K]
        if nb:
            static = sp.hstack([static, sp.csr_matrix((static.shape[0], 3 * K * nb))])
        rows = [static]
        lower = [self.static_lower]
        upper = [self.static_upper]
        eye = sp.identity(K, format="csr")
        zero = sp.csr_matrix((K, K))
        offset = 2 * K
        for blk_cuts, blk_center in blocks:
            if blk_center is None:
                if blk_cuts is not None and blk_cuts[0].shape[0]:
                    A_n, _, c_lo, c_hi = blk_cuts
                    rows.append(sp.hstack([sp.csr_matrix(A_n), sp.csr_matrix((A_n.shape[0], nvar - K))]))
                    lower.append(c_lo)
                    upper.append(c_hi)
                continue
            c = np.asarray(blk_center, dtype=float)
            wp = np.maximum(hi - c, 0.0)
            wm = np.maximum(c - lo, 0.0)
            col_lower += [np.zeros(3 * K)]
            col_upper += [wp, wm, np.ones(K)]
            integrality += [np.zeros(2 * K, dtype=bool), np.ones(K, dtype=bool)]
            left = sp.csr_matrix((K, offset - K)) if offset > K else None

            def place_cols(n_part, t_part, z_part, count):
                pieces = [n_part, sp.csr_matrix((count, offset - K)), t_part, z_part,
                          sp.csr_matrix((count, nvar - offset - 3 * K))]
                return sp.hstack([p for p in pieces if p.shape[1] > 0])

            if blk_cuts is not None and blk_cuts[0].shape[0]:
                A_n, A_t, c_lo, c_hi = blk_cuts
                R = A_n.shape[0]
                rows.append(place_cols(sp.csr_matrix(A_n), sp.csr_matrix(np.hstack([A_t, A_t])),
                                       sp.csr_matrix((R, K)), R))
                lower.append(c_lo)
                upper.append(c_hi)
            rows.append(place_cols(eye, sp.hstack([-eye, eye]), zero, K))  # n - p + m = c
            lower.append(c)
            upper.append(c)
            rows.append(place_cols(zero, sp.hstack([eye, zero]), -sp.diags(wp), K))  # p - w+ z <= 0
            lower.append(np.full(K, -np.inf))
            upper.append(np.zeros(K))
            rows.append(place_cols(zero, sp.hstack([zero, eye]), sp.diags(wm), K))  # m + w- z <= w-
            lower.append(np.full(K, -np.inf))
            upper.append(wm)
            del left
            offset += 3 * K
        A = sp.vstack(rows).tocsr()
        model = Model(objective=np.concatenate([self.priority, np.zeros(nvar - K)]), constraint_matrix=A,
                      row_lower=np.concatenate(lower), row_upper=np.concatenate(upper),
                      col_lower=np.concatenate(col_lower), col_upper=np.concatenate(col_upper),
                      integrality=np.concatenate(integrality), sense="max")
        options = self.options
        if time_limit is not None:
            options = SolverOptions(mip_rel_gap=options.mip_rel_gap, threads=1, time_limit=max(time_limit, 0.01))
        try:
            res = solve(model, options)
        except InfeasibleError:
            return None
        except SolverError as exc:
            return dict(n=None, objective=-np.inf, bound=np.inf, status="failed", message=str(exc))
        n = np.round(res.x[:K])
        bound = res.mip_bound if res.mip_bound is not None and np.isfinite(res.mip_bound) else np.inf
        return dict(n=n, objective=float(self.priority @ n), bound=float(max(bound, res.objective)),
                    status=res.status)
