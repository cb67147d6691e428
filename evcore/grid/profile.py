"""Power flow over a load profile (a day in 15-minute steps, say) without rebuilding the model.

Every step scales the feeder's loads by that step's multipliers and re-solves: the network arrays,
the Jacobian pattern and the factorised chord Jacobian of the feeder are built once and reused, and each
step starts from the previous step's solution (a warm start: one or two chord steps when consecutive
steps differ by a few percent). The answer of every step is the power flow of the scaled feeder to the
same tolerance (``tests/grid/test_grid_profile.py`` compares against rebuilding the scaled feeder and
solving from scratch).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._validate import as_array, check_finite, check_limits, check_nonnegative
from ..errors import InputError
from ..progress import progress_reporter
from ..results import OPTIMAL, Result, make_trace
from .model import Feeder
from .powerflow import (NonConvergenceError, PowerFlowResult, _check_operating_point, _native, _positive_scalar,
                        _system, newton)

__all__ = ["power_flow_profile", "PowerFlowProfileResult"]

#: Trace columns of a profile: one row per step.
PROFILE_TRACE_COLUMNS = ("step", "iterations", "mismatch_pu", "seconds")


@dataclass(frozen=True, eq=False, kw_only=True)
class PowerFlowProfileResult(Result):
    """Power flows of ``T`` load steps (extends :class:`evcore.results.Result`).

    ``status`` is ``"optimal"`` (every step solved to ``tolerance_pu``; a step that cannot be solved raises
    :class:`~evcore.grid.NonConvergenceError` naming the step); ``objective`` is ``nan``; ``iterations``
    the chord/Newton steps over all steps; ``trace`` one row per step (columns
    :data:`PROFILE_TRACE_COLUMNS`). Tables (:meth:`to_frame`): ``"steps"`` and ``"voltages"`` (step x node,
    long form, node ids).

    Attributes
    ----------
    node_names : tuple of str, shape (n,)
    load_names : tuple of str, shape (L,)
    multipliers : array, shape (T, L)
        The factor applied to each load's nominal power at each step.
    voltage : complex array, shape (T, n)
        Node voltages per unit of the node bases.
    step_iterations : int array, shape (T,)
    mismatch_pu : array, shape (T,)
        Largest current mismatch of each step's solution.
    tolerance_pu, base_kva : float
    """

    node_names: tuple
    load_names: tuple
    multipliers: np.ndarray
    voltage: np.ndarray
    step_iterations: np.ndarray
    mismatch_pu: np.ndarray
    tolerance_pu: float = 1e-9
    base_kva: float = 1000.0
    _feeder: Feeder = field(repr=False, default=None)

    @property
    def magnitude_pu(self) -> np.ndarray:
        """Voltage magnitudes, pu, shape (T, n)."""
        return np.abs(self.voltage)

    def step(self, t: int) -> PowerFlowResult:
        """Step ``t`` as a :class:`PowerFlowResult` of the scaled feeder (losses, currents, powers)."""
        steps = self.voltage.shape[0]
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not -steps <= t < steps:
            raise InputError("t", f"must be a step in [0, {steps}), got {t!r}")
        feeder = self._feeder.scaled_loads(self.multipliers[t])
        base_v = feeder.node_base_v
        return PowerFlowResult._make(node_names=self.node_names, voltage=self.voltage[t], voltage_v=self.voltage[t] * base_v,
                                     iterations=int(self.step_iterations[t]), mismatch_pu=float(self.mismatch_pu[t]),
                                     status=OPTIMAL, wall_time=0.0, trace=make_trace(("iteration", "mismatch_pu")),
                                     tolerance_pu=self.tolerance_pu, base_kva=self.base_kva, engine="native",
                                     _feeder=feeder)

    def _frames(self) -> dict:
        def steps():
            vm = self.magnitude_pu
            low = np.argmin(vm, axis=1)
            return {"step": np.arange(vm.shape[0]), "mean_multiplier": self.multipliers.mean(axis=1),
                    "min_voltage_pu": vm.min(axis=1), "min_voltage_node": [self.node_names[i] for i in low],
                    "max_voltage_pu": vm.max(axis=1), "iterations": self.step_iterations,
                    "mismatch_pu": self.mismatch_pu}

        def voltages():
            t, n = self.voltage.shape
            return {"step": np.repeat(np.arange(t), n), "node": np.tile(np.array(self.node_names, dtype=object), t),
                    "voltage_pu": np.abs(self.voltage).ravel(),
                    "angle_deg": np.degrees(np.angle(self.voltage)).ravel()}

        return {"steps": steps, "voltages": voltages}

    def _summary_extra(self) -> dict:
        vm = self.magnitude_pu
        t, i = np.unravel_index(int(np.argmin(vm)), vm.shape)
        return {"steps": int(vm.shape[0]), "min_voltage_pu": float(vm[t, i]), "min_voltage_step": int(t),
                "min_voltage_node": self.node_names[i], "max_voltage_pu": float(vm.max())}


def _multipliers(feeder, multipliers):
    loads = len(feeder.load_names)
    m = as_array("multipliers", multipliers, float)
    if m.ndim == 1:
        if m.shape[0] == 0:
            raise InputError("multipliers", "needs at least one step")
        m = np.repeat(m[:, None], loads, axis=1)
    elif m.ndim != 2 or m.shape[1] != loads or m.shape[0] == 0:
        raise InputError("multipliers", f"must have shape (T,) or (T, {loads}) (one column per load), got "
                                        f"{np.shape(multipliers)}")
    check_nonnegative("multipliers", check_finite("multipliers", m))
    return m


def power_flow_profile(feeder: Feeder, multipliers, *, tolerance_pu: float = 1e-9, max_iterations: int = 30,
                       base_kva: float = 1000.0, warm_start: bool = True, progress=False) -> PowerFlowProfileResult:
    """Power flow of ``feeder`` at every step of a load profile, reusing the model between steps.

    Parameters
    ----------
    feeder : Feeder
    multipliers : array, shape (T,) or (T, L)
        Factor on every load's nominal power per step (one column per load in :attr:`Feeder.load_names`
        order, or one factor for all loads); finite and non-negative. A day in 15-minute steps is T = 96.
    tolerance_pu, max_iterations, base_kva :
        As in :func:`evcore.grid.power_flow` (per step).
    warm_start : bool
        Start each step from the previous step's solution (default) instead of the feeder's own start.
    progress : bool or callable
        See :mod:`evcore.progress` (one report per step).

    Returns
    -------
    PowerFlowProfileResult
    """
    if not isinstance(feeder, Feeder):
        raise InputError("feeder", f"must be an evcore.grid.Feeder, got {type(feeder).__name__}")
    m = _multipliers(feeder, multipliers)
    tolerance_pu = _positive_scalar("tolerance_pu", tolerance_pu)
    _, max_iterations = check_limits(None, max_iterations)
    base_kva = _positive_scalar("base_kva", base_kva)
    if not isinstance(warm_start, (bool, np.bool_)):
        raise InputError("warm_start", f"must be True or False, got {warm_start!r}")
    started = time.perf_counter()
    report = progress_reporter(progress, "grid.profile", max_iterations=None, started=started)
    sysm = _system(feeder)
    k = sysm.arrays
    start, _, factors = sysm.chord_start()
    # one mutable power array the chord system reads through (it keeps a view, no copy)
    nominal = k.power_va.copy()
    power = k.power_va.copy()
    chord = _native().ChordSystem(*sysm.network_args(base_kva, power_va=power), *factors)
    steps = m.shape[0]
    volts = np.empty((steps, sysm.n), dtype=complex)
    iterations = np.zeros(steps, dtype=np.int64)
    worst = np.zeros(steps)
    rows = np.empty((steps, len(PROFILE_TRACE_COLUMNS)))
    buf = np.empty(max_iterations + 1)
    v = start.copy()
    load_of_branch = feeder.load_branch_load[k.branch_load]  # the load each kernel branch belongs to
    for t in range(steps):
        np.multiply(nominal, m[t][load_of_branch], out=power)
        if not warm_start or t == 0:
            v = start.copy()
        it, converged, w, _, _ = chord.solve_traced(v, tolerance_pu, max_iterations, buf)
        if not converged:
            try:
                v, extra, w, _ = newton(sysm, v, tolerance_pu, max_iterations, base_kva, "native", power_va=power)
            except NonConvergenceError as exc:
                raise NonConvergenceError(f"step {t}: {exc.message}", exc.status) from None
            it += extra
        _check_operating_point(feeder, sysm, v)
        volts[t] = v
        iterations[t] = it
        worst[t] = w
        rows[t] = (t, it, w, time.perf_counter() - started)
        report.report(t + 1, message=f"step {t + 1}/{steps}")
    report.report(steps, final=True)
    return PowerFlowProfileResult(
        status=OPTIMAL, iterations=int(iterations.sum()), wall_time=time.perf_counter() - started,
        trace=make_trace(PROFILE_TRACE_COLUMNS, rows), method="grid.profile", node_names=feeder.node_names,
        load_names=feeder.load_names, multipliers=m, voltage=volts / sysm.base_v, step_iterations=iterations,
        mismatch_pu=worst, tolerance_pu=tolerance_pu, base_kva=base_kva, _feeder=feeder)
