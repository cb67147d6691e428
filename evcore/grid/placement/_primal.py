"""Primal heuristic of the exact method: a linearised dive with the reduced power flow as its judge.

Why a second heuristic: the enclosure-based sequential linearisation in :mod:`._exact` prices every step at a
point enclosure (about 10 s on the IEEE 8500-node feeder, ``M`` = 2,400 branches), and proposes nothing while
its linear model is far from the truth. Here each round costs one siting MILP, one reduced power flow (chord
iterations with the reference's preconditioner) and one product ``C h``:

1. the MILP of the siting rows plus every cut collected so far proposes ``n``;
2. the reduced power flow at ``n`` gives every limited magnitude ``|q_i(n)|`` (to ~1e-13);
3. limits violated, or within ``buffer`` of their limit, get a cut ``|q_i(n)| + g_i (n' - n) <= limit - buffer``
   (``g_i``: gradient of ``|q_i|`` at ``n``, from the reference's approximate inverse of the Jacobian);
4. when every limit holds with the buffer, ``n`` is offered to the search, which certifies it (point
   enclosure) and re-checks it with the full power flow before it becomes the incumbent.

Nothing here is a certificate: the cuts are linearisations (not valid bounds) and only cut proposals; a
point becomes the incumbent only through :meth:`._exact._Search.offer`. An infeasible cut MILP means the
heuristic gives up, not that the instance is infeasible.
"""

from __future__ import annotations

import logging

import numpy as np

from ...errors import SolverError
from ._enclosure import charger_current_matrix

__all__ = ["linearised_dive"]

log = logging.getLogger(__name__)


def magnitude_gradients(red, ref, u, n, rows):
    """Magnitudes ``|q_i|`` and their gradients in the charger counts at ``(u, n)`` for ``rows``.

    ``du/dn = -J^-1 W Hc`` with ``J^-1`` approximated by the reference's ``R`` (one correction step with the
    true Jacobian at ``u``): accurate enough to steer a heuristic, not a bound. Returns ``(q_abs (R,),
    grad (R, K))``."""
    nb = red.n_base
    K = red.K
    h = red.currents(u, n)
    hc = charger_current_matrix(red, u)
    onehot = np.zeros((len(hc), K))
    onehot[np.arange(len(hc)), red.charger_candidate] = 1.0
    Hc = np.zeros((red.M, K), dtype=complex)
    Hc[nb:] = hc[:, None] * onehot
    b = -(red.W @ Hc)  # right-hand side of J du = -W Hc (complex form)
    D = red.jacobian_blocks(u, n)

    def apply_R(z):
        x = np.empty((2 * red.M, K))
        x[0::2], x[1::2] = z.real, z.imag
        y = ref.R @ x
        return y[0::2] + 1j * y[1::2]

    def apply_D(z):
        re = D[:, 0, 0, None] * z.real + D[:, 0, 1, None] * z.imag
        im = D[:, 1, 0, None] * z.real + D[:, 1, 1, None] * z.imag
        return re + 1j * im

    du = apply_R(b)
    # one defect-correction step: J du = du + W D du
    du = du + apply_R(b - (du + red.W @ apply_D(du)))
    dh = apply_D(du) + Hc
    C = red.C[rows]
    q = red.q0[rows] - C @ h
    dq = -(C @ dh)
    q_abs = np.abs(q)
    phase = np.where(q_abs > 0, np.conj(q) / np.where(q_abs > 0, q_abs, 1.0), 1.0)
    return q_abs, (phase[:, None] * dq).real


def linearised_dive(search, lo, hi, ref, *, rounds=25, buffer_pu=2e-6, chunk=2048):
    """Look for a certified, verified placement in the box ``[lo, hi]`` (see the module docstring).

    ``search`` is the exact method's :class:`._exact._Search` (its reduction, siting MILP, limits, margins,
    :meth:`offer`). The first MILP already carries the linearisation at the reference point of every limit
    the box could reach (``|q_i| +- |g_i| (hi - n_r)`` crosses the limit): without them the MILP jumps to
    points where the linearisation is poor. Returns the last point tried (or ``None``) and the reference;
    the incumbent, if one is found, is set on ``search`` by :meth:`offer`."""
    red = search.red
    K = red.K
    q_lo, q_hi = search.q_lower, search.q_upper
    scale = search.row_scale
    # the buffer in each quantity's unit (pu for voltages, a fraction of the rating for currents)
    buffer = buffer_pu / scale + 10.0 * search.q_margin
    limited = np.union1d(np.flatnonzero(np.isfinite(q_hi)), np.flatnonzero(q_lo > 0))
    is_up = np.isfinite(q_hi)
    is_low = q_lo > 0
    cuts_A, cuts_lo, cuts_up = [], [], []

    def add_cuts(rows, q_r, g, n, up, low):
        for j, r in enumerate(rows):
            s = scale[r]
            if up[j]:
                cuts_A.append(g[j] * s)
                cuts_lo.append(-np.inf)
                cuts_up.append((q_hi[r] - buffer[r] - q_r[j] + g[j] @ n) * s)
            if low[j]:
                cuts_A.append(g[j] * s)
                cuts_lo.append((q_lo[r] + buffer[r] - q_r[j] + g[j] @ n) * s)
                cuts_up.append(np.inf)

    # linearisation at the reference point of every limit the box may reach
    n0 = np.asarray(ref.n, dtype=float)
    reach = np.asarray(hi, float) - np.minimum(n0, np.asarray(lo, float))
    at_risk = []
    for c0 in range(0, len(limited), chunk):
        rows = limited[c0:c0 + chunk]
        q_r, g = magnitude_gradients(red, ref, ref.u, n0, rows)
        move = np.abs(g) @ np.maximum(reach, np.asarray(hi, float) - n0)
        risky_up = (q_r + move > q_hi[rows] - buffer[rows]) & is_up[rows]
        risky_low = (q_r - move < q_lo[rows] + buffer[rows]) & is_low[rows]
        risky = risky_up | risky_low
        if risky.any():
            add_cuts(rows[risky], q_r[risky], g[risky], n0, risky_up[risky], risky_low[risky])
            at_risk.extend(rows[risky].tolist())
    log.info("dive: %d of %d limited quantities may bind in the box (%d cuts)", len(at_risk), len(limited),
             len(cuts_A))
    up_rows = np.flatnonzero(is_up)
    low_rows = np.flatnonzero(is_low)
    n_last = None
    u_start = ref.u
    for round_ in range(rounds):
        if search.time_limit is not None and search.elapsed() > search.time_limit:
            break
        cuts = None
        if cuts_A:
            A = np.vstack(cuts_A)
            cuts = search._without_tiny(A, np.zeros_like(A), np.array(cuts_lo), np.array(cuts_up), relax=False)
        res = search.milp.solve(lo, hi, cuts=cuts)
        search.milps += 1
        if res is None or res["n"] is None:
            log.info("dive: the cut MILP is infeasible after %d rounds (%d cuts)", round_, len(cuts_A))
            return n_last, ref
        n = res["n"]
        n_last = n
        try:
            u = red.solve(n, u_start, ref)
        except SolverError:
            # no power flow found near: cut the point's total off (a heuristic no-good)
            cuts_A.append(np.ones(K))
            cuts_lo.append(-np.inf)
            cuts_up.append(float(n.sum()) - 1.0)
            continue
        u_start = u
        q = np.abs(red.monitored(u, n))
        bad_up = up_rows[q[up_rows] > q_hi[up_rows] - buffer[up_rows]]
        bad_low = low_rows[q[low_rows] < q_lo[low_rows] + buffer[low_rows]]
        log.info("dive round %d: objective %.6g, %d + %d limits within the buffer or violated", round_,
                 res["objective"], len(bad_up), len(bad_low))
        if not len(bad_up) and not len(bad_low):
            status = search.offer(n, ref, up_rows, low_rows)
            log.info("dive: offered a point of objective %.6g: %s", res["objective"], status)
            if status == "feasible" or status is None:
                return n, ref
            # not certified (a limit within the certificate's reach): leave more room and go on
            buffer = buffer * 4.0
            bad_up = up_rows[q[up_rows] > q_hi[up_rows] - buffer[up_rows]]
            bad_low = low_rows[q[low_rows] < q_lo[low_rows] + buffer[low_rows]]
            if not len(bad_up) and not len(bad_low):
                return n, ref
        # a cut at n (gradient at n) for every limit violated or within the buffer there
        rows = np.union1d(bad_up, bad_low)
        for c0 in range(0, len(rows), chunk):
            part = rows[c0:c0 + chunk]
            q_r, g = magnitude_gradients(red, ref, u, n, part)
            add_cuts(part, q_r, g, n, np.isin(part, bad_up), np.isin(part, bad_low))
    return n_last, ref
