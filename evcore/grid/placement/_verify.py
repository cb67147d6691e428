"""The independent check of every returned placement: evcore's own power flow on the feeder with the chargers.

The placement's chargers are added to the feeder as constant-power load branches (evcore's model 0: no
switch to impedance at any voltage), the feeder is solved by :func:`evcore.grid.power_flow` to a current
mismatch of 1e-9 pu, and every limited quantity is compared with its limit with a tolerance of 1e-9 (pu of
the node base for voltages, of the limit for currents). Nothing of the placement method is reused here
except the instance's definitions of branches and limits. Chargers in operation and constant-power loads
must also see at least ``terminal_vmin_pu`` of their base-case terminal voltage (the instance's operating
condition).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..powerflow import power_flow
from ...errors import SolverError

__all__ = ["feeder_with_chargers", "check_placement", "CHECK_TOLERANCE"]

#: Tolerance of the check, pu of the node base (voltages) or of the limit (currents).
CHECK_TOLERANCE = 1e-9


def feeder_with_chargers(feeder, branch_from, branch_to, power_va, branch_owner_names):
    """A copy of ``feeder`` with extra constant-power load branches (one load per name).

    Parameters
    ----------
    branch_from, branch_to : int arrays, shape (B,)
        Nodes of each branch (``to = -1``: ground).
    power_va : complex array, shape (B,)
        Power of each branch, W + j var (branches with zero power are left out).
    branch_owner_names : sequence of str, shape (B,)
        Name of the load each branch belongs to (branches of one name form one load).
    """
    power_va = np.asarray(power_va, dtype=complex)
    keep = power_va != 0
    if not keep.any():
        return feeder
    names = [str(s) for s, k in zip(branch_owner_names, keep) if k]
    unique = list(dict.fromkeys(names))
    owner = np.array([len(feeder.load_names) + unique.index(s) for s in names], dtype=np.int64)
    b_from = np.asarray(branch_from, dtype=np.int64)[keep]
    b_to = np.asarray(branch_to, dtype=np.int64)[keep]
    nb = len(b_from)
    base = feeder.node_base_v[b_from]
    f = feeder
    return dataclasses.replace(
        f,
        load_names=tuple(f.load_names) + tuple(unique),
        load_branch_load=np.concatenate([f.load_branch_load, owner]),
        load_branch_from=np.concatenate([f.load_branch_from, b_from]),
        load_branch_to=np.concatenate([f.load_branch_to, b_to]),
        load_branch_power_va=np.concatenate([f.load_branch_power_va, power_va[keep]]),
        load_branch_base_v=np.concatenate([f.load_branch_base_v, base]),
        load_branch_model=np.concatenate([f.load_branch_model, np.zeros(nb, dtype=np.int64)]),
        load_branch_vmin_pu=np.concatenate([f.load_branch_vmin_pu, np.full(nb, 0.95)]),
        load_branch_vmax_pu=np.concatenate([f.load_branch_vmax_pu, np.full(nb, 1.05)]),
        load_branch_vlow_pu=np.concatenate([f.load_branch_vlow_pu, np.full(nb, 0.5)]),
        load_branch_zipv=np.vstack([f.load_branch_zipv, np.zeros((nb, 7))]),
        load_branch_cvr=np.vstack([f.load_branch_cvr, np.tile([1.0, 2.0], (nb, 1))]),
        name=f"{f.name} + chargers",
    )


def check_placement(instance, chargers, *, tolerance_pu: float = 1e-9):
    """Power flow of ``instance.feeder`` with ``chargers`` (per candidate) and the limit check.

    Returns
    -------
    dict
        ``ok`` (bool: converged and every limit met within :data:`CHECK_TOLERANCE`), ``voltage_pu``
        (node magnitudes, shape (n,)), ``monitored`` (magnitudes of the limited quantities: voltages pu,
        then currents A), ``violations`` (list of ``(label, value, limit)``), ``mismatch_pu``,
        ``power_flow`` (the :class:`~evcore.grid.PowerFlowResult`, or ``None`` if it failed),
        ``message``.
    """
    chargers = np.asarray(chargers, dtype=float)
    s = instance._charger_unit_va * chargers[instance._charger_candidate]
    names = [f"evcs_{instance.ids[k]}" for k in instance._charger_candidate]
    feeder = feeder_with_chargers(instance.feeder, instance._charger_from, instance._charger_to, s, names)
    try:
        pf = power_flow(feeder, tolerance_pu=tolerance_pu)
    except SolverError as exc:
        return dict(ok=False, voltage_pu=None, monitored=None, violations=[("power flow", np.nan, np.nan)],
                    mismatch_pu=np.nan, power_flow=None, message=f"power flow failed: {exc}")
    v = pf.voltage_v
    mon = instance._monitor_nodes
    vm = np.abs(v[mon]) / instance.feeder.node_base_v[mon]
    im = np.abs(instance._monitor_current @ v) if instance._monitor_current.shape[0] else np.zeros(0)
    values = np.concatenate([vm, im])
    lo, hi = instance._limit_lower, instance._limit_upper
    scale = np.concatenate([np.ones(len(vm)), np.where(np.isfinite(hi[len(vm):]), hi[len(vm):], 1.0)])
    bad_hi = values > hi + CHECK_TOLERANCE * scale
    bad_lo = values < lo - CHECK_TOLERANCE * scale
    violations = [(instance._limit_labels[i], float(values[i]), float(hi[i] if bad_hi[i] else lo[i]))
                  for i in np.flatnonzero(bad_hi | bad_lo)]
    # operating condition: chargers in operation and constant-power loads keep terminal_vmin_pu of their
    # base-case terminal voltage (volts)
    names = instance.feeder.node_names

    def terminal_check(b_from, b_to, need_v, active, label):
        terminal = np.abs(v[b_from] - np.where(b_to >= 0, v[np.maximum(b_to, 0)], 0.0))
        for j in np.flatnonzero(active & (terminal < need_v * (1.0 - CHECK_TOLERANCE))):
            where = names[b_from[j]] + ("-" + names[b_to[j]] if b_to[j] >= 0 else "")
            violations.append((f"{label(j)} terminal voltage ({where}), V", float(terminal[j]), float(need_v[j])))

    terminal_check(instance._charger_from, instance._charger_to, instance._charger_vmin_v,
                   chargers[instance._charger_candidate] > 0,
                   lambda j: f"charger {instance.ids[instance._charger_candidate[j]]}")
    f = instance.feeder
    terminal_check(np.asarray(f.load_branch_from), np.asarray(f.load_branch_to), instance._load_vmin_v,
                   instance._load_vmin_v > 0, lambda j: f"load {f.load_names[f.load_branch_load[j]]}")
    return dict(ok=not violations, voltage_pu=pf.magnitude_pu, monitored=values, violations=violations,
                mismatch_pu=pf.mismatch_pu, power_flow=pf,
                message="every limit met" if not violations else f"{len(violations)} limits violated")
