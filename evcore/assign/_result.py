"""The result every GAP solver returns, and the one function that builds it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..results import INFEASIBLE, STATUSES, Result, make_trace, relative_gap

__all__ = ["GAPResult", "gap_result"]


@dataclass(frozen=True, eq=False, kw_only=True)
class GAPResult(Result):
    """Best assignment a GAP solver found (extends :class:`evcore.results.Result`).

    Attributes
    ----------
    assignment : numpy.ndarray of int64, shape (jobs,)
        0-based agent (station) of each job (EV): the inside view. Outputs use ids:
        :meth:`to_frame` (tables ``"assignment"``, ``"agents"``, ``"trace"``) and
        :meth:`to_dict` (``assigned``: the assignment table as columns).
    job_ids, agent_ids : tuple
        The instance's ids (:attr:`GAPInstance.job_ids`, ``agent_ids``).
    job_label, agent_label : str
        ``"job"``/``"agent"``, or ``"ev"``/``"station"`` for an EV instance: the id columns are
        ``<label>_id``.
    job_cost : numpy.ndarray, shape (jobs,)
        Cost of each job at its agent (``inf`` on a forbidden pair).
    agent_load, agent_capacity : numpy.ndarray, shape (agents,)
        Resource used at each agent and its capacity.

    Notes
    -----
    ``objective`` is the total cost (minimised; ``inf`` when nothing feasible was found), in the
    unit of the costs (currency for an EV instance). ``status``: ``optimal`` only when a bound
    proves it (the exact method; ``best`` when the objective meets its LP bound); a heuristic
    that used its own budget reports ``feasible``; ``time_limit``/``iteration_limit`` when the
    caller's limit stopped it; ``infeasible`` when it found no feasible assignment (then the
    returned assignment violates capacities). A proven infeasible instance raises
    :class:`~evcore.errors.InfeasibleError` instead. ``trace`` columns: ``iteration``,
    ``seconds``, ``objective`` (improvements of the best feasible objective).
    """

    assignment: np.ndarray
    job_ids: tuple = field(default=(), repr=False)
    agent_ids: tuple = field(default=(), repr=False)
    job_label: str = field(default="job", repr=False)
    agent_label: str = field(default="agent", repr=False)
    job_cost: np.ndarray = field(default=None, repr=False)
    agent_load: np.ndarray = field(default=None, repr=False)
    agent_capacity: np.ndarray = field(default=None, repr=False)

    def _assignment_table(self) -> dict:
        agent_ids = np.array(self.agent_ids, dtype=object)
        return {f"{self.job_label}_id": list(self.job_ids),
                f"{self.agent_label}_id": agent_ids[self.assignment].tolist(),
                "cost": self.job_cost}

    def _agent_table(self) -> dict:
        counts = np.bincount(self.assignment, minlength=len(self.agent_ids))
        return {f"{self.agent_label}_id": list(self.agent_ids), "load": self.agent_load,
                "capacity": self.agent_capacity, f"{self.job_label}s_assigned": counts}

    def _frames(self) -> dict:
        return {"assignment": self._assignment_table, "agents": self._agent_table}

    def _dict_extra(self) -> dict:
        return {"feasible": self.feasible, "assigned": self._assignment_table()}

    def _summary_extra(self) -> dict:
        return {"jobs": len(self.job_ids), "agents": len(self.agent_ids), "feasible": self.feasible}


#: Old status names (before the shared contract) and their contract names.
_LEGACY_STATUS = {"no_feasible": INFEASIBLE, "completed": "feasible", "complete": "feasible"}


def _structured_trace(trace) -> np.ndarray:
    """The contract's trace from a structured array or a legacy (k, 2) array of (seconds, objective)."""
    if trace is None:
        return make_trace(("iteration", "seconds", "objective"))
    trace = np.asarray(trace)
    if trace.dtype.names:
        return trace
    trace = trace.reshape(-1, trace.shape[-1] if trace.ndim == 2 else 2)
    if trace.shape[1] == 2:
        return make_trace(("seconds", "objective"), trace)
    return make_trace(("iteration", "seconds", "objective"), trace[:, :3])


def gap_result(instance, assignment, *, method: str, status: str, bound=None, iterations: int = 0,
               wall_time: float = 0.0, trace=None, seed=None, **legacy) -> GAPResult:
    """The :class:`GAPResult` of ``assignment`` on ``instance``, re-evaluated from scratch.

    Objective, per-job costs and loads come from the instance (never from the solver's own
    bookkeeping). A status meaning "answer found" on an assignment that is not feasible is a
    solver bug and raises ``AssertionError``. ``gap`` is computed from ``bound``.

    Parameters
    ----------
    instance : GAPInstance
    assignment : array_like of int, shape (jobs,)
        0-based agents.
    method, status : str
        ``status`` from :data:`evcore.results.STATUSES` (``"no_feasible"`` is read as
        ``"infeasible"``).
    bound : float, optional
        Proven lower bound on the optimum.
    legacy
        ``objective``, ``feasible`` and ``gap`` of older callers are accepted and ignored
        (they are recomputed).
    """
    unknown = set(legacy) - {"objective", "feasible", "gap"}
    if unknown:
        raise TypeError(f"gap_result() got unexpected keyword arguments {sorted(unknown)}")
    status = _LEGACY_STATUS.get(status, status)
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    assignment = np.ascontiguousarray(instance.check_assignment(assignment), dtype=np.int64)
    jobs = np.arange(instance.jobs)
    job_cost = instance.cost[assignment, jobs]
    objective, loads = instance.evaluate(assignment)
    feasible = instance.is_feasible(assignment)
    if status in ("optimal", "gap_reached", "feasible") and not feasible:
        raise AssertionError(f"{method} reported {status!r} for an infeasible assignment")
    if not feasible:
        objective = math.inf
        if status != INFEASIBLE and status not in ("time_limit", "iteration_limit"):
            status = INFEASIBLE
    bound = None if bound is None or not math.isfinite(float(bound)) else float(bound)
    return GAPResult(
        status=status, objective=float(objective), bound=bound,
        gap=relative_gap(objective, bound) if bound is not None else None, iterations=int(iterations),
        wall_time=float(wall_time), trace=_structured_trace(trace), seed=seed, method=method,
        assignment=assignment, job_ids=tuple(instance.job_ids), agent_ids=tuple(instance.agent_ids),
        job_label=instance.job_label, agent_label=instance.agent_label,
        job_cost=job_cost.astype(float), agent_load=np.asarray(loads, float),
        agent_capacity=np.asarray(instance.capacity, float))
