"""Valid inequalities for the revenue rate h_i, built so that floating point cannot make them invalid.

For user node i and a plan x over the (site, type) pairs m, with r̄ = max_k r_k, weights
v_im >= 0 and v0_i > 0, ``D = v0 + sum_m v_m x_m`` and ``P = sum_m (r̄ - r_m) v_m x_m²``,

    h(x) = r̄ - (r̄ v0 + P) / D = sum_m v_m x_m (r_m x_m + r̄ (1 - x_m)) / D,

which equals the logit revenue rate ``sum_m r_m v_m x_m / D`` at binary x and is concave on the
cube (r̄ - h is a sum of quadratic-over-linear functions). Hence every tangent plane
``theta <= h(x̂) + g(x̂) . (x - x̂)``, at binary or fractional x̂, holds at every point of the
cube (seed 001, Theorem 2, restated in the issue). The gradient

    g_m = (v_m / D) (r̄ v0 / D + P / D) - 2 (r̄ - r_m) (v_m / D) x̂_m

is evaluated in ratio form (no D², which under- or overflows when utilities span 78 orders of
magnitude).

From a plane to a row HiGHS (or SCIP) may be given, :func:`safe_rows`

1. raises every negative coefficient of a binary column to ``upper - maxact`` when below it
   (exact coefficient tightening: with that column at 1 the row cannot bind, at 0 nothing
   changes), which bounds every coefficient by about the range of theta;
2. drops coefficients whose whole swing is below ``drop`` times the range of theta, moving
   their worst case into the right-hand side (a relaxation);
3. adds to the right-hand side a margin covering the rounding error of the computed h, g and
   right-hand side (a relaxation by about 1e-13 of the row's magnitude).

So every row handed on holds, in exact arithmetic, at every binary plan with theta = h(plan),
whatever the spread of the utilities; the randomized tests check it by enumeration.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

#: Unit roundoff of float64.
EPS = np.finfo(float).eps


class PlaneData(NamedTuple):
    """What every plane of one instance needs, computed once (kernel input).

    Attributes
    ----------
    weights : numpy.ndarray, shape (users, pairs)
        v[i, m], (site, type) pairs site-major.
    weights_t : numpy.ndarray, shape (pairs, users)
        The same, transposed and contiguous (for ``plans @ weights_t``).
    opt_out : numpy.ndarray, shape (users,)
        v0[i] > 0.
    revenue : numpy.ndarray, shape (pairs,)
        r_m.
    best : float
        r̄ = max_m r_m.
    shortfall : numpy.ndarray, shape (pairs,)
        r̄ - r_m >= 0.
    equal : bool
        All revenues equal (the revenue is then submodular in the open set).
    """

    weights: np.ndarray
    weights_t: np.ndarray
    opt_out: np.ndarray
    revenue: np.ndarray
    best: float
    shortfall: np.ndarray
    equal: bool


def plane_data(instance) -> PlaneData:
    """The :class:`PlaneData` of a :class:`~evcore.choice.ChoiceInstance`."""
    weights = np.ascontiguousarray(instance.attraction.reshape(instance.nodes, -1))
    revenue = np.tile(np.asarray(instance.revenue, float), instance.sites)
    best = float(instance.revenue.max())
    return PlaneData(weights=weights, weights_t=np.ascontiguousarray(weights.T), opt_out=np.asarray(instance.opt_out, float), revenue=revenue, best=best,
                     shortfall=best - revenue, equal=bool(np.ptp(instance.revenue) == 0.0))


def revenue_rate(data: PlaneData, x: np.ndarray) -> np.ndarray:
    """h_i(x) for every user node (the logit revenue rate at binary x). Shape (users,).

    ``x`` has shape (pairs,) or (points, pairs); the result then (points, users).
    """
    x = np.asarray(x, float)
    denominator = data.opt_out + x @ data.weights_t
    # sum_m v_m x_m (r_m x_m + r̄ (1 - x_m)): non-negative terms, no cancellation.
    numerator = (x * (data.revenue * x + data.best * (1.0 - x))) @ data.weights_t
    return numerator / denominator


def tangent_planes(data: PlaneData, x_hat: np.ndarray):
    """h_i(x̂) and its gradient for every user node (x̂ binary or fractional, shape (pairs,)).

    Returns
    -------
    value : numpy.ndarray, shape (users,)
    gradient : numpy.ndarray, shape (users, pairs)
    scale : numpy.ndarray, shape (users, pairs)
        Magnitude of the terms each gradient entry was computed from (for error bounds).
    """
    x_hat = np.asarray(x_hat, float)
    weights = data.weights
    denominator = data.opt_out + weights @ x_hat
    ratio = weights / denominator[:, None]  # v_m / D, finite (D >= v0 > 0)
    share_out = data.opt_out / denominator  # v0 / D <= 1
    penalty = ratio @ (data.shortfall * x_hat * x_hat)  # P / D
    value = revenue_rate(data, x_hat)
    first = ratio * (data.best * share_out + penalty)[:, None]
    second = ratio * (2.0 * data.shortfall * x_hat)[None, :]
    return value, first - second, first + second


def submodular_planes(data: PlaneData, x_hat: np.ndarray):
    """Nemhauser-Wolsey cut at a binary point, for equal revenues r (valid at binary x only).

    ``f(S) = r V_S / (V_S + v0)`` is submodular and nondecreasing in the open set S, so
    ``f(S) <= f(Ŝ) + sum_{m not in Ŝ} ρ_m(Ŝ) x_m - sum_{m in Ŝ} ρ_m(N - m) (1 - x_m)`` with the
    marginal gains ``ρ_m(A) = f(A + m) - f(A)``, evaluated without cancellation as
    ``r v0 v_m / ((V_A + v0)(V_A + v_m + v0))``.

    Returns
    -------
    value : numpy.ndarray, shape (users,)
    slope : numpy.ndarray, shape (users, pairs)
        The cut reads ``theta <= value + slope . (x - x̂)``.
    scale : numpy.ndarray, shape (users, pairs)
        Magnitude of each slope entry (for error bounds).
    """
    x_hat = np.asarray(x_hat, float)
    weights, opt_out, r = data.weights, data.opt_out[:, None], data.best
    total = (weights @ x_hat)[:, None] + opt_out  # V_Ŝ + v0
    # V_{N - m} as a sum of the other entries (prefix plus suffix sums): E - v_m would cancel
    # catastrophically when v_m dominates, and overstate the loss without bound.
    zero = np.zeros((weights.shape[0], 1))
    prefix = np.concatenate([zero, np.cumsum(weights, axis=1)[:, :-1]], axis=1)  # sum_{l < m}
    suffix = np.concatenate([np.cumsum(weights[:, ::-1], axis=1)[:, -2::-1], zero], axis=1)  # sum_{l > m}
    without = prefix + suffix + opt_out  # V_{N - m} + v0
    gain = r * (opt_out / total) * (weights / (total + weights))
    loss = r * (opt_out / (without + weights)) * (weights / without)
    slope = np.where(x_hat[None, :] > 0.5, loss, gain)
    return revenue_rate(data, x_hat), slope, np.abs(slope)


class PlaneRows(NamedTuple):
    """Rows ``theta_col - sum_m coef x_col <= rhs`` ready for a solver (CSR over all columns)."""

    matrix: sp.csr_array
    upper: np.ndarray
    kept: np.ndarray  # indices of the input planes these rows come from (redundant ones are left out)


def safe_rows(value, slope, scale, x_hat, theta_cols, x_cols, theta_upper, num_cols, *,
              drop: float = 1e-9, terms: int = 1) -> PlaneRows:
    """Planes ``theta_i <= value_i + slope_i . (x - x̂)`` as rows that stay valid in floating point.

    Parameters
    ----------
    value : numpy.ndarray, shape (k,)
    slope, scale : numpy.ndarray, shape (k, pairs)
        Gradient (or submodular slope) and the magnitude of the terms it came from.
    x_hat : numpy.ndarray, shape (pairs,)
        The anchor (the same for every row).
    theta_cols : numpy.ndarray of int, shape (k,)
        Column of each row's theta.
    x_cols : numpy.ndarray of int, shape (pairs,)
        Columns of x (binary, bounds [0, 1]).
    theta_upper : numpy.ndarray, shape (k,)
        Upper bound of each theta (its lower bound is 0).
    drop : float
        Coefficients below ``drop * theta_upper`` in magnitude are dropped into the right-hand side.
    terms : int
        Planes that are sums of this many planes (aggregated users) carry that many more
        rounding steps.

    Returns
    -------
    PlaneRows
        Rows that are redundant (their theta bound already implies them) are left out.
    """
    k, pairs = slope.shape
    x_hat = np.asarray(x_hat, float)
    coefficient = -slope  # row: theta + coefficient . x <= rhs
    rhs = value - slope @ x_hat
    # Rounding: value, each slope entry and the products with x̂ carry relative errors of a few
    # (pairs + 8) unit roundoffs of the magnitudes they were computed from.
    steps = (pairs + terms + 16) * 4 * EPS
    error = steps * (np.abs(value) + np.abs(slope * x_hat[None, :]).sum(axis=1)
                                      + (scale * np.abs(x_hat)[None, :]).sum(axis=1))
    # Coefficient tightening on the binary x (exact): the row's largest activity with every
    # negative coefficient at x = 0 is theta_upper + sum of positive coefficients.
    positive = np.where(coefficient > 0, coefficient, 0.0).sum(axis=1)
    floor = (rhs - theta_upper - positive)[:, None]  # upper - maxact (<= 0 when the row can bind)
    tightened = np.where(coefficient < floor, np.minimum(floor, 0.0), coefficient)
    # A kept coefficient (not replaced by the floor) carries its own rounding error into the
    # plane wherever x_m differs from x̂_m (|x - x̂| <= 1).
    kept = tightened == coefficient
    error = error + steps * np.where(kept, scale + np.abs(coefficient), 0.0).sum(axis=1)
    rhs = rhs + error
    # Drop tiny coefficients: a negative one relaxes the row by |a| (x_m = 1 is its worst case).
    tiny = np.abs(tightened) < drop * theta_upper[:, None]
    rhs = rhs + np.where(tiny & (tightened < 0), -tightened, 0.0).sum(axis=1)
    tightened = np.where(tiny, 0.0, tightened)
    # Redundant rows: the plane's smallest value over the cube reaches theta's bound.
    smallest = rhs - np.where(tightened > 0, tightened, 0.0).sum(axis=1)
    useful = np.flatnonzero(smallest < theta_upper)
    tightened = tightened[useful]
    rhs = rhs[useful]
    nonzero = tightened != 0.0
    counts = nonzero.sum(axis=1)
    indptr = np.concatenate([[0], np.cumsum(counts + 1)])
    cols = np.empty(indptr[-1], dtype=np.int64)
    vals = np.empty(indptr[-1], dtype=float)
    starts = indptr[:-1]
    cols[starts] = theta_cols[useful]
    vals[starts] = 1.0
    mask = np.ones(indptr[-1], dtype=bool)
    mask[starts] = False
    cols[mask] = np.broadcast_to(x_cols, tightened.shape)[nonzero]
    vals[mask] = tightened[nonzero]
    matrix = sp.csr_array((vals, cols, indptr), shape=(useful.size, num_cols))
    matrix.sort_indices()
    return PlaneRows(matrix=matrix, upper=rhs, kept=useful)
