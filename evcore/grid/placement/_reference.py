"""Plain Python/numpy twins of the C++ kernels in ``csrc/grid_place.cpp`` (``evcore.grid.placement._native``).

The tests require both to give identical results.
"""

from __future__ import annotations

import numpy as np

__all__ = ["propagate_rows", "mccormick_rows"]


def propagate_rows(indptr, indices, data, rhs, rows, lo, hi, rounds):
    """Interval propagation of the equality rows ``rows`` (``data @ z = rhs[r]``), bounds tightened in place.

    For each row and each of its columns, ``v_c z_c = rhs - (sum of the others)``; where the others' interval is
    finite it bounds ``z_c`` (relative slack 1e-9). Returns the number of bound changes.
    """
    changes = 0
    for _ in range(rounds):
        for r in rows:
            s, e = indptr[r], indptr[r + 1]
            cols, vals = indices[s:e], data[s:e]
            tlo = np.where(vals > 0, vals * lo[cols], vals * hi[cols])
            thi = np.where(vals > 0, vals * hi[cols], vals * lo[cols])
            fin_lo = np.isfinite(tlo)
            fin_hi = np.isfinite(thi)
            # sequential sums, the C++ kernel's order
            sum_lo = 0.0
            sum_hi = 0.0
            for k in range(len(cols)):
                if fin_lo[k]:
                    sum_lo += tlo[k]
                if fin_hi[k]:
                    sum_hi += thi[k]
            inf_lo = int((~fin_lo).sum())
            inf_hi = int((~fin_hi).sum())
            for k, c in enumerate(cols):
                if inf_lo - (0 if fin_lo[k] else 1) > 0 or inf_hi - (0 if fin_hi[k] else 1) > 0:
                    continue
                rest_lo = sum_lo - tlo[k] if fin_lo[k] else sum_lo
                rest_hi = sum_hi - thi[k] if fin_hi[k] else sum_hi
                x = (rhs[r] - rest_hi) / vals[k]
                y = (rhs[r] - rest_lo) / vals[k]
                new_lo, new_hi = min(x, y), max(x, y)
                slack = 1e-9 * max(1.0, abs(new_lo), abs(new_hi))
                if new_lo - slack > lo[c]:
                    lo[c] = new_lo - slack
                    changes += 1
                if new_hi + slack < hi[c]:
                    hi[c] = new_hi + slack
                    changes += 1
    return changes


def mccormick_rows(products, lo, hi):
    """McCormick envelope rows of ``z[w] = z[a] z[b]`` (see the C++ kernel); ``(rows, cols, vals, rlo, rhi, count)``."""
    rows, cols, vals, rlo, rhi = [], [], [], [], []
    r = 0
    for w, a, b in np.asarray(products, dtype=np.int64):
        la, ua, lb, ub = lo[a], hi[a], lo[b], hi[b]
        if not (np.isfinite(la) and np.isfinite(ua) and np.isfinite(lb) and np.isfinite(ub)):
            continue
        if a == b:
            m = 0.5 * (la + ua)
            for t in (la, ua, m):
                rows += [r, r]
                cols += [w, a]
                vals += [1.0, -2.0 * t]
                rlo.append(-t * t)
                rhi.append(np.inf)
                r += 1
            rows += [r, r]
            cols += [w, a]
            vals += [1.0, -(la + ua)]
            rlo.append(-np.inf)
            rhi.append(-la * ua)
            r += 1
            continue
        for j, (cx, cy, cst) in enumerate(((lb, la, la * lb), (ub, ua, ua * ub), (lb, ua, ua * lb), (ub, la, la * ub))):
            rows += [r, r, r]
            cols += [w, a, b]
            vals += [1.0, -cx, -cy]
            if j < 2:
                rlo.append(-cst)
                rhi.append(np.inf)
            else:
                rlo.append(-np.inf)
                rhi.append(-cst)
            r += 1
    return (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(vals, dtype=float),
            np.array(rlo, dtype=float), np.array(rhi, dtype=float), r)
