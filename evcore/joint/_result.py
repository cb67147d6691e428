"""The answer of every joint solver."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["JointResult"]


@dataclass(frozen=True, eq=False)
class JointResult:
    """A capacity plan with its assignment flows, costs and optimality certificate.

    Attributes
    ----------
    total_cost, investment_cost, assignment_cost : float
        Objective (8) and its two parts (currency) of the returned plan.
    capacity_kw : numpy.ndarray, shape (zones,)
        Capacities ``c_i`` (kW).
    flows : numpy.ndarray, shape (slots, pairs)
        ``z[t, p]`` (EVs) on the arcs of ``instance.pairs``.
    lower_bound : float
        A valid lower bound on the optimum (for ``"highs"`` the optimum itself; for the
        splitting methods the Lagrangian dual bound of the capacity-row prices).
    gap : float
        ``(total_cost - lower_bound) / total_cost`` (certified when ``lower_bound`` is valid).
    status : str
        ``"optimal"`` (HiGHS), ``"gap_reached"``, ``"converged"`` (paper's residual threshold),
        ``"iteration_limit"``, ``"time_limit"``, ``"infeasible_plan"`` (no feasible plan found).
    iterations : int
    method : str
    wall_time : float
        Seconds (after compilation of kernels).
    shadow_price_per_kw : numpy.ndarray, shape (zones, slots), or None
        Dual of each capacity row (4): cost of one more kW of demand at (i, t).
    utilisation : numpy.ndarray, shape (zones, slots)
        Charging load / capacity (0 where capacity is 0).
    violation : dict
        Largest violations of the returned plan (see ``JointInstance.evaluate``).
    trace : list of dict
        Per logged iteration: iteration, seconds, residuals, objective, bound, gap.
    info : dict
        Method-specific extras (HiGHS solver and status, step sizes, ...).
    """

    total_cost: float
    investment_cost: float
    assignment_cost: float
    capacity_kw: np.ndarray
    flows: np.ndarray
    lower_bound: float
    gap: float
    status: str
    iterations: int
    method: str
    wall_time: float
    shadow_price_per_kw: np.ndarray | None
    utilisation: np.ndarray
    violation: dict
    trace: list = field(default_factory=list)
    info: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Scalars of the result (JSON-friendly)."""
        return dict(method=self.method, status=self.status, total_cost=self.total_cost,
                    investment_cost=self.investment_cost, assignment_cost=self.assignment_cost,
                    lower_bound=self.lower_bound, gap=self.gap, iterations=self.iterations,
                    seconds=self.wall_time, max_violation=self.violation,
                    capacity_total_kw=float(np.sum(self.capacity_kw)))


def relative_gap(upper: float, lower: float) -> float:
    if not np.isfinite(upper) or not np.isfinite(lower):
        return float("inf")
    return max(upper - lower, 0.0) / max(abs(upper), 1e-12)


def make_result(instance, capacity_kw, flows, *, lower_bound, status, iterations, method, wall_time,
                shadow_price_per_kw=None, trace=None, info=None) -> JointResult:
    """Evaluate a plan on ``instance`` and wrap it in a :class:`JointResult`."""
    check = instance.evaluate(capacity_kw, flows)
    load_kw = instance.power_per_ev_kw * instance.load_ev(flows)
    utilisation = np.divide(load_kw, capacity_kw[:, None], out=np.zeros_like(load_kw),
                            where=capacity_kw[:, None] > 0)
    violation = {k: check[k] for k in ("capacity_kw", "supply_ev", "budget", "bounds")}
    total = check["total_cost"]
    return JointResult(total_cost=total, investment_cost=check["investment_cost"],
                       assignment_cost=check["assignment_cost"], capacity_kw=np.asarray(capacity_kw, float),
                       flows=np.asarray(flows, float), lower_bound=float(lower_bound),
                       gap=relative_gap(total, lower_bound), status=status, iterations=int(iterations),
                       method=method, wall_time=float(wall_time), shadow_price_per_kw=shadow_price_per_kw,
                       utilisation=utilisation, violation=violation, trace=list(trace or []), info=dict(info or {}))
