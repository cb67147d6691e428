"""Grid-impact sensitivity sweeps: VI-, CI- and GI-indices and prioritisation weights.

For every candidate phase node one charger (``rating_kw`` at power factor ``power_factor``,
constant power, wye to ground) is added to the base case and the feeder re-solved. Then, following
seed 002 §II-C:

* eq. (4): net voltage deviation of node ``i``:
  ``dV_i = | |V_i'| - |V_i| | + penalty * (max(0, vmin - |V_i'|) + max(0, |V_i'| - vmax))`` (pu);
* eq. (3): ``VI = sum_i dV_i`` over all nodes and phases (the normalisation is eq. 7);
* eq. (6): net current deviation of transformer phase ``t`` (first winding, every transformer and
  regulator): ``dI_t = | |I_t'| - |I_t| | / I_rated + penalty * max(0, |I_t'| - I_rated) / I_rated``
  (per unit of its rating, so that transformers of different sizes add up);
* eq. (5): ``CI = sum_t dI_t``;
* eq. (7): ``GI = w_V * VI / max(VI) + w_C * CI / max(CI)``;
* eq. (8): ``w_V = sum(VI) / (sum(VI) + sum(CI))``, ``w_C = 1 - w_V``: both indices are sums of
  per-unit deviations (voltage pu, current per unit of rating), so the impact that is larger overall
  dominates the index. (Weights from the *normalised* sums would hand the index to the other impact
  whenever one candidate is an outlier, e.g. a wye charger on an ungrounded delta.)
* eq. (9): priority weights ``exp(-GI / temperature) / sum exp(-GI / temperature)`` (negative softmax).

The seed's numeric parameters (charger rating, power factor, penalty factor) are not legible in the
text we have; they are parameters here with documented defaults.

Two engines:

``"exact"``
    A full non-linear re-solve per candidate to the power-flow tolerance, warm-started from the base
    solution and iterating with the base case's factorised Jacobian plus the charger's own 2x2
    Jacobian (rank-2 Woodbury update), i.e. chord Newton that follows the charger exactly and leaves
    only the other loads' second-order response: two steps for a typical candidate, the second from
    the mismatch evaluated branch by branch (after the first step the admittance part cancels), then
    one true-mismatch evaluation that confirms convergence. Entirely in C++
    (``evcore.grid._native.sweep``, twin ``_reference.sweep``); a candidate that does not contract
    falls back to full Newton. Candidates run in ``workers`` threads.
``"linear"``
    One factorised Jacobian at the base case; every perturbation is one right-hand side: a single
    Newton step from the base solution with the charger's own 2x2 Jacobian added by a rank-2
    (Woodbury) update, i.e. the first-order response to the charger.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._validate import as_scalar, check_in_range, check_limits, check_positive, check_threads
from ..errors import InputError
from ..progress import progress_reporter
from ..results import OPTIMAL, TIME_LIMIT, Result, TraceRecorder
from ._kernel import feeder_cache, transformer_monitor
from .model import Feeder
from .powerflow import NonConvergenceError, _interleave, _native, _system, power_flow

__all__ = ["SensitivityResult", "sensitivity_sweep", "grid_impact_index", "compare_engines", "candidate_nodes"]


@dataclass(frozen=True, eq=False, kw_only=True)
class SensitivityResult(Result):
    """Outcome of a sensitivity sweep (K candidates, n nodes, T monitored transformer phases); extends
    :class:`evcore.results.Result`.

    ``status`` is ``"optimal"`` when every candidate was solved to the power-flow tolerance (exact engine;
    the linear engine's first-order answers are what it promises, also ``"optimal"``), ``"time_limit"``
    when the time limit stopped the sweep (the candidates done by then, indices normalised over them).
    ``objective`` is ``nan`` (nothing is optimised); ``iterations`` the chord iterations over all
    candidates; ``trace`` one row per chunk of candidates (columns ``candidates_done``, ``seconds``);
    ``wall_time`` seconds (base case included; ``seconds`` is the earlier name). Tables
    (:meth:`to_frame`): ``"candidates"`` (GI table, one row per candidate node id), ``"voltages"``
    (candidate x node, long form) and ``"transformer_currents"``.

    Attributes
    ----------
    candidates : tuple of str, shape (K,)
        Candidate node ids (``"632.1"``).
    node_names : tuple of str, shape (n,)
        Node ids of the columns of ``voltage_pu``.
    voltage_pu : array, shape (K, n)
        Node voltage magnitudes with the charger at each candidate, pu.
    base_voltage_pu : array, shape (n,)
    transformer_current_a : array, shape (K, T)
    base_transformer_current_a : array, shape (T,)
    transformer_labels : tuple of str, shape (T,)
        ``"<element>.<phase>"`` of each monitored transformer phase.
    vi, ci : arrays, shape (K,)
        Voltage and current impact indices, eqs. (3) and (5).
    vi_normalised, ci_normalised : arrays, shape (K,)
    weight_voltage, weight_current : float
        Eq. (8).
    gi : array, shape (K,)
        Grid impact index, eq. (7).
    priority : array, shape (K,)
        Negative-softmax prioritisation weights, eq. (9), summing to 1.
    engine : str
    candidate_iterations : array of int, shape (K,)
        Iterations per candidate (0 for the linear engine).
    threads : int
        Threads the exact engine used.
    """

    candidates: tuple
    node_names: tuple = ()
    voltage_pu: np.ndarray
    base_voltage_pu: np.ndarray
    transformer_current_a: np.ndarray
    base_transformer_current_a: np.ndarray
    transformer_labels: tuple
    vi: np.ndarray
    ci: np.ndarray
    vi_normalised: np.ndarray
    ci_normalised: np.ndarray
    weight_voltage: float
    weight_current: float
    gi: np.ndarray
    priority: np.ndarray
    engine: str
    candidate_iterations: np.ndarray
    threads: int = 1
    _feeder: Feeder = field(repr=False, default=None)

    seconds = property(lambda self: self.wall_time, doc="``wall_time`` (the earlier name), s.")

    def rows(self) -> list:
        """One table row per candidate (the ``"candidates"`` table as a list of dicts)."""
        return [dict(candidate=c, vi=float(self.vi[k]), ci=float(self.ci[k]), gi=float(self.gi[k]),
                     priority=float(self.priority[k]), min_voltage_pu=float(self.voltage_pu[k].min()),
                     iterations=int(self.candidate_iterations[k]))
                for k, c in enumerate(self.candidates)]

    def _frames(self) -> dict:
        def candidates():
            bus, _, phase = zip(*(c.rpartition(".") for c in self.candidates)) if self.candidates else ((), (), ())
            out = {"candidate": list(self.candidates), "bus": list(bus), "phase": [int(p) for p in phase],
                   "vi_pu": self.vi, "ci_pu": self.ci, "vi_normalised": self.vi_normalised,
                   "ci_normalised": self.ci_normalised, "gi": self.gi, "priority": self.priority,
                   "min_voltage_pu": self.voltage_pu.min(axis=1) if self.voltage_pu.size else np.zeros(0),
                   "max_voltage_pu": self.voltage_pu.max(axis=1) if self.voltage_pu.size else np.zeros(0),
                   "iterations": self.candidate_iterations}
            if self._feeder is not None and self._feeder.coordinates is not None:
                lookup = self._feeder._node_lookup
                rows = [lookup[c] for c in self.candidates]
                for key, values in self._feeder.node_coordinate_columns().items():
                    out[key] = values[rows]
            return out

        def voltages():
            k, n = self.voltage_pu.shape
            return {"candidate": np.repeat(np.array(self.candidates, dtype=object), n),
                    "node": np.tile(np.array(self.node_names, dtype=object), k),
                    "voltage_pu": self.voltage_pu.ravel(), "base_voltage_pu": np.tile(self.base_voltage_pu, k)}

        def transformer_currents():
            k, t = self.transformer_current_a.shape
            return {"candidate": np.repeat(np.array(self.candidates, dtype=object), t),
                    "transformer_phase": np.tile(np.array(self.transformer_labels, dtype=object), k),
                    "current_a": self.transformer_current_a.ravel(),
                    "base_current_a": np.tile(self.base_transformer_current_a, k)}

        return {"candidates": candidates, "voltages": voltages, "transformer_currents": transformer_currents}

    def _summary_extra(self) -> dict:
        if not len(self.candidates):
            return {"engine": self.engine, "candidates": 0}
        best, worst = int(np.argmin(self.gi)), int(np.argmax(self.gi))
        return {"engine": self.engine, "candidates": len(self.candidates), "threads": self.threads,
                "weight_voltage": self.weight_voltage, "weight_current": self.weight_current,
                "lowest_impact_candidate": self.candidates[best], "highest_impact_candidate": self.candidates[worst]}


def candidate_nodes(feeder: Feeder, candidates=None) -> tuple:
    """Phase nodes to sweep: ``None`` = every node except the source bus; bus names expand to their phases."""
    return _candidates(feeder, candidates)[0]


def _candidates(feeder: Feeder, candidates=None):
    """``(names, node indices)`` of :func:`candidate_nodes` (dictionary look-ups: no scan per candidate)."""
    slot = feeder_cache(feeder)
    cached = slot.get("candidate_lookup")
    if cached is None:
        buses = feeder.node_bus
        source_bus = buses[feeder.source_nodes[0]]
        every = tuple(i for i, b in enumerate(buses) if b != source_bus)
        cached = slot["candidate_lookup"] = (source_bus, every)
    source_bus, every = cached
    names = feeder.node_names
    if candidates is None:
        return tuple(names[i] for i in every), np.array(every, dtype=np.int64)
    if isinstance(candidates, (str, bytes)) or not hasattr(candidates, "__iter__"):
        raise InputError("candidates", f"must be a sequence of node or bus names, got {candidates!r}")
    lookup = feeder._node_lookup
    by_bus = feeder._bus_nodes
    src = set(feeder.source_nodes.tolist())
    out = []
    for c in candidates:
        if not isinstance(c, str):
            raise InputError("candidates", f"must be node ('632.1') or bus names, got {c!r}")
        c = c.strip().lower()
        i = lookup.get(c)
        if i is not None:
            found = [i]
        elif c in by_bus:
            found = by_bus[c]
        else:
            raise InputError("candidates", f"{c!r} is neither a node ('632.1') nor a bus of the feeder")
        if any(j in src for j in found):
            raise InputError("candidates", f"{c!r} is a source node: a charger there changes nothing the sweep "
                                           "measures")
        out.extend(found)
    nodes = list(dict.fromkeys(out))
    if not nodes:
        raise InputError("candidates", "is empty")
    return tuple(names[i] for i in nodes), np.array(nodes, dtype=np.int64)


def grid_impact_index(voltage_pu, base_voltage_pu, current_a, base_current_a, rated_current_a, *,
                      vmin_pu=0.95, vmax_pu=1.05, penalty=10.0, temperature=1.0, penalty_mode="perturbed"):
    """VI, CI, GI and priority weights from perturbed and base magnitudes (eqs. 3-9).

    Parameters
    ----------
    voltage_pu : array, shape (K, n)
    base_voltage_pu : array, shape (n,)
    current_a : array, shape (K, T)
    base_current_a : array, shape (T,)
    rated_current_a : array, shape (T,)   (nan: no rating, no penalty and deviations in A / 1 A)
    penalty_mode : {"perturbed", "increase"}
        ``"perturbed"`` (the seed's wording): penalise every violation of the perturbed state, including
        those already present in the base case; ``"increase"``: penalise only the growth of violations
        over the base case, so that existing violations do not add the same offset to every candidate.

    Returns
    -------
    dict with ``vi, ci, vi_normalised, ci_normalised, weight_voltage, weight_current, gi, priority``.
    """
    if penalty_mode not in ("perturbed", "increase"):
        raise InputError("penalty_mode", f"must be 'perturbed' or 'increase', got {penalty_mode!r}")

    def v_violation(v):
        low = np.subtract(vmin_pu, v)
        np.maximum(low, 0.0, out=low)
        high = np.subtract(v, vmax_pu)
        np.maximum(high, 0.0, out=high)
        low += high  # at most one of the two is non-zero: the sum is exact
        return low

    rating = np.where(np.isnan(rated_current_a), 1.0, rated_current_a)

    def i_violation(i):
        return np.where(np.isnan(rated_current_a), 0.0, np.maximum(0.0, i - rating))

    voltage_pu = np.asarray(voltage_pu, dtype=float)
    base_voltage_pu = np.asarray(base_voltage_pu, dtype=float)
    base_pen = v_violation(base_voltage_pu) if penalty_mode == "increase" else None
    # VI row by row in blocks that stay in cache (a sweep's K x n magnitudes are tens of MB; whole-array
    # temporaries would stream them through memory five times); each row's sum is the same as in one piece
    vi = np.empty(voltage_pu.shape[0])
    block = max(1, 2 ** 18 // max(1, voltage_pu.shape[1]))
    for start in range(0, voltage_pu.shape[0], block):
        v = voltage_pu[start:start + block]
        v_pen = v_violation(v)
        if base_pen is not None:
            v_pen -= base_pen
            np.maximum(v_pen, 0.0, out=v_pen)
        dv = np.subtract(v, base_voltage_pu)
        np.abs(dv, out=dv)
        v_pen *= penalty
        dv += v_pen
        vi[start:start + block] = dv.sum(axis=1)
    over = i_violation(current_a)
    if penalty_mode == "increase":
        over = np.maximum(0.0, over - i_violation(base_current_a))
    di = (np.abs(current_a - base_current_a) + penalty * over) / rating
    ci = di.sum(axis=1) if di.size else np.zeros(voltage_pu.shape[0])
    vi_n = vi / vi.max() if vi.size and vi.max() > 0 else np.zeros_like(vi)
    ci_n = ci / ci.max() if ci.size and ci.max() > 0 else np.zeros_like(ci)
    total = vi.sum() + ci.sum()
    w_v = float(vi.sum() / total) if total > 0 else 0.5
    w_c = 1.0 - w_v
    gi = w_v * vi_n + w_c * ci_n
    z = -gi / temperature
    z = np.exp(z - z.max()) if z.size else z
    return dict(vi=vi, ci=ci, vi_normalised=vi_n, ci_normalised=ci_n, weight_voltage=w_v, weight_current=w_c,
                gi=gi, priority=z / z.sum())


class _Perturbation:
    """The base system plus one charger branch whose node changes per candidate (own arrays per thread)."""

    def __init__(self, sysm, charger_va):
        self.sysm = sysm
        s = sysm
        self.branch_from = np.concatenate([s.branch_from, [0]])
        self.branch_to = np.concatenate([s.branch_to, [-1]])
        self.power_va = np.concatenate([s.power_va, [charger_va]])
        self.load_base_v = np.concatenate([s.load_base_v, [1.0]])
        self.model = np.concatenate([s.model, [1]])
        self.vmin = np.concatenate([s.vmin, [0.95]])
        self.vmax = np.concatenate([s.vmax, [1.05]])
        self.vlow = np.concatenate([s.vlow, [0.5]])
        self.zipv = np.vstack([s.zipv, np.zeros((1, 7))])
        self.cvr = np.vstack([s.cvr, [[1.0, 2.0]]])
        self.jac_pos = np.vstack([s.jac_pos, -np.ones((1, 16), dtype=np.int64)])
        self.mismatch = np.empty(s.n, dtype=complex)
        self.jac = np.empty(s.nnz)
        self.current = np.empty(len(self.branch_from), dtype=complex)
        # positions of every node's diagonal 2x2 block in the Jacobian data
        n2 = 2 * s.n
        keys = np.repeat(np.arange(n2), np.diff(s.jac_indptr)).astype(np.int64) * n2 + s.jac_indices
        diag = []
        for dr, dc in ((0, 0), (0, 1), (1, 0), (1, 1)):
            want = (2 * np.arange(s.n) + dr).astype(np.int64) * n2 + 2 * np.arange(s.n) + dc
            diag.append(np.searchsorted(keys, want))
        self.diag_pos = np.stack(diag, axis=1)

    def place(self, node):
        self.branch_from[-1] = node
        self.load_base_v[-1] = self.sysm.base_v[node]
        self.jac_pos[-1, :4] = self.diag_pos[node]

    def assemble(self, v):
        s = self.sysm
        _native().assemble(v, s.y_indptr, s.y_indices, s.y_data, s.i_source, self.branch_from, self.branch_to,
                           self.power_va, self.load_base_v, self.model, self.vmin, self.vmax, self.vlow,
                           self.zipv, self.cvr, s.jac_base, self.jac_pos, self.mismatch, self.jac, self.current)
        return self.mismatch

    def jacobian(self):
        s = self.sysm
        return sp.csr_matrix((self.jac.copy(), s.jac_indices, s.jac_indptr), shape=(2 * s.n, 2 * s.n))


def _newton_candidates(sysm, nodes, charger_va, v_base, tolerance_pu, base_kva, max_iterations=50):
    """Full Newton (Jacobian refactorised every step) for candidates the C++ chord iterations gave up on."""
    pert = _Perturbation(sysm, charger_va)
    current_base = base_kva * 1000.0 / sysm.base_v
    out_v = np.empty((len(nodes), sysm.n), dtype=complex)
    iters = np.zeros(len(nodes), dtype=np.int64)
    for k, node in enumerate(nodes):
        pert.place(node)
        v = v_base.copy()
        for it in range(max_iterations + 1):
            mismatch = pert.assemble(v)
            scaled = np.abs(mismatch) / current_base
            allowance = sysm.roundoff_allowance(v) / current_base
            if (scaled <= np.maximum(tolerance_pu, allowance)).all():
                break
            if it == max_iterations:
                raise NonConvergenceError(
                    f"candidate {sysm.feeder.node_names[node]}: power flow did not converge (largest mismatch "
                    f"{scaled.max():.3e} pu at {sysm.feeder.node_names[int(scaled.argmax())]})", "max_iterations")
            dx = spla.splu(pert.jacobian().tocsc()).solve(-_interleave(mismatch))
            v = v + dx[0::2] + 1j * dx[1::2]
        out_v[k] = v
        iters[k] = it
    return out_v, iters


def sensitivity_sweep(feeder: Feeder, candidates=None, *, rating_kw: float = 7.2, power_factor: float = 0.95,
                      engine: str = "exact", vmin_pu: float = 0.95, vmax_pu: float = 1.05,
                      penalty: float = 10.0, temperature: float = 1.0, tolerance_pu: float = 1e-9,
                      base_kva: float = 1000.0, workers: int | None = None, max_chord_iterations: int = 20,
                      penalty_mode: str = "perturbed", time_limit: float | None = None,
                      progress: bool = False) -> SensitivityResult:
    """Grid-impact sweep over candidate phase nodes (seed 002 §II-C, eqs. 3-9).

    Parameters
    ----------
    feeder : Feeder
    candidates : sequence of str, optional
        Phase nodes (``"632.1"``) or buses (all their phases); default every node but the source bus.
    rating_kw : float
        Active power of one charger, kW (> 0).
    power_factor : float
        Lagging power factor of the charger, in (0, 1].
    engine : {"exact", "linear"}
    vmin_pu, vmax_pu : float
        Voltage limits of the penalty, eq. (4).
    penalty : float
        Penalty factor of limit violations, eqs. (4) and (6).
    penalty_mode : {"perturbed", "increase"}
        See :func:`grid_impact_index`.
    temperature : float
        Softmax temperature of eq. (9).
    tolerance_pu, base_kva : float
        Power-flow tolerance and its power base (see :func:`evcore.grid.power_flow`).
    workers : int, optional
        Threads of the exact engine; default: the cores free now (:func:`sweep_threads`).
    max_chord_iterations : int
        Chord iterations before a candidate falls back to full Newton.
    time_limit : float, optional
        Seconds; checked between chunks of candidates. When it is reached the result holds the
        candidates evaluated so far (indices normalised over them) and ``status == "time_limit"``.
    progress : bool or callable
        ``True``: a line on stderr per chunk of candidates (at most one a second); a callable gets
        :class:`evcore.progress.ProgressRecord` s (see :mod:`evcore.progress`).

    Returns
    -------
    SensitivityResult
    """
    rating_kw = as_scalar("rating_kw", rating_kw, float)
    check_positive("rating_kw", np.asarray(rating_kw))
    power_factor = as_scalar("power_factor", power_factor, float)
    check_in_range("power_factor", np.asarray(power_factor), 1e-6, 1.0)
    penalty = as_scalar("penalty", penalty, float)
    check_in_range("penalty", np.asarray(penalty), 0.0, np.inf)
    vmin_pu, vmax_pu = _voltage_limits(vmin_pu, vmax_pu)
    check_positive("temperature", np.asarray(as_scalar("temperature", temperature, float)))
    check_positive("tolerance_pu", np.asarray(as_scalar("tolerance_pu", tolerance_pu, float)))
    max_chord_iterations = check_limits(None, max_chord_iterations)[1]
    workers = check_threads(workers, "workers")
    if engine not in ("exact", "linear"):
        raise InputError("engine", f"must be 'exact' or 'linear', got {engine!r}")
    time_limit, _ = check_limits(time_limit, None)
    if penalty_mode not in ("perturbed", "increase"):
        raise InputError("penalty_mode", f"must be 'perturbed' or 'increase', got {penalty_mode!r}")
    started = time.perf_counter()
    report = progress_reporter(progress, "grid.sensitivity", time_limit=time_limit, started=started)
    names, nodes = _candidates(feeder, candidates)
    charger_va = rating_kw * 1000.0 * complex(1.0, math.tan(math.acos(power_factor)))

    base = power_flow(feeder, tolerance_pu=tolerance_pu, base_kva=base_kva)
    sysm = _system(feeder)
    v_base = base.voltage_v
    _, J0, _ = sysm.assemble(v_base)
    lu = sysm.factorise(J0)
    T, rating, labels = transformer_monitor(feeder)

    # C++ (evcore.grid._native.sweep): per candidate, from the base solution with the base Jacobian's
    # factors and the charger's own Jacobian added by a rank-2 Woodbury update. Exact: chord Newton to
    # the tolerance (full Newton in Python for a candidate that stalls). Linear: one such step, the
    # first-order response to the charger.
    factors = sysm.factor_args(lu)
    iters = np.zeros(len(nodes), dtype=np.int64)
    converged = np.zeros(len(nodes), dtype=bool)
    args = sysm.network_args(base_kva)
    charger_base = np.ascontiguousarray(sysm.base_v[nodes])
    threads = sweep_threads(workers, len(nodes) * sysm.n) if engine == "exact" else 1
    trace = TraceRecorder(("candidates_done", "seconds"))
    # Candidates go to C++ in chunks: the time limit and progress reports apply between them, and each
    # chunk's complex voltages live in one reused buffer that stays in cache while its magnitudes and
    # transformer currents are taken (the whole K x n complex array of a large sweep is 16 bytes a value,
    # page-faulted afresh on every call). Every candidate is solved on its own: chunks change no answer.
    chunk = min(max(64, 16 * threads), max(len(nodes), 1))
    buffer = np.empty((chunk, sysm.n), dtype=complex)
    vm = np.empty((len(nodes), sysm.n))
    gather = T.shape[0] and (np.diff(T.indptr) > 0).all()
    im = np.empty((len(nodes), T.shape[0]))
    done = 0
    stalled_total = 0
    status = OPTIMAL
    while done < len(nodes):
        if time_limit is not None and time.perf_counter() - started > time_limit:
            status = TIME_LIMIT
            break
        sl = slice(done, min(len(nodes), done + chunk))
        v_chunk = buffer[:sl.stop - sl.start]
        _native().sweep(v_base, *args, *factors, nodes[sl], charger_va, charger_base[sl], tolerance_pu,
                        max_chord_iterations, threads, engine == "linear", v_chunk, iters[sl], converged[sl])
        if engine != "linear":
            stalled = np.flatnonzero(~converged[sl])
            if stalled.size:  # full Newton for the candidates the chord iterations gave up on
                stalled_total += stalled.size
                v_fix, it_fix = _newton_candidates(sysm, nodes[sl][stalled], charger_va, v_base, tolerance_pu,
                                                   base_kva)
                v_chunk[stalled] = v_fix
                iters[sl][stalled] += it_fix
        np.abs(v_chunk, out=vm[sl])
        vm[sl] /= sysm.base_v
        if gather:
            # gather-multiply-reduce over T's entries (every row has some): no BLAS call, whose threads
            # can spin for milliseconds on a busy machine for a product this small
            im[sl] = np.abs(np.add.reduceat(v_chunk[:, T.indices] * T.data, T.indptr[:-1], axis=1))
        elif T.shape[0]:
            im[sl] = np.abs((T @ v_chunk.T).T)
        done = sl.stop
        trace.append(candidates_done=done, seconds=time.perf_counter() - started)
        report.report(done, message=f"{done}/{len(nodes)} candidates")
    if stalled_total:
        report.report(done, message=f"{stalled_total} candidates solved by full Newton", force=True)
    if done < len(nodes):  # keep the candidates evaluated before the limit
        names, nodes, vm, im, iters = names[:done], nodes[:done], vm[:done], im[:done], iters[:done]
    if engine == "linear":
        iters[:] = 0
    base_im = np.abs(T @ v_base)
    idx = grid_impact_index(vm, base.magnitude_pu, im, base_im, rating, vmin_pu=vmin_pu, vmax_pu=vmax_pu,
                            penalty=penalty, temperature=temperature, penalty_mode=penalty_mode)
    wall = time.perf_counter() - started
    report.report(done, message=f"{done}/{len(nodes) if status == OPTIMAL else 'some'} candidates", final=True)
    return SensitivityResult(
        status=status, iterations=int(iters.sum()), wall_time=wall, trace=trace.array(), method="grid.sensitivity",
        candidates=names, node_names=feeder.node_names, voltage_pu=vm, base_voltage_pu=base.magnitude_pu,
        transformer_current_a=im, base_transformer_current_a=base_im, transformer_labels=labels, engine=engine,
        candidate_iterations=iters, threads=threads, _feeder=feeder, **idx)


def _voltage_limits(vmin_pu, vmax_pu):
    vmin_pu = as_scalar("vmin_pu", vmin_pu, float)
    vmax_pu = as_scalar("vmax_pu", vmax_pu, float)
    for name, value in (("vmin_pu", vmin_pu), ("vmax_pu", vmax_pu)):
        if not math.isfinite(value) or value < 0:
            raise InputError(name, f"must be a finite non-negative voltage (pu), got {value!r}")
    if not vmin_pu < vmax_pu:
        raise InputError("vmin_pu", f"must be below vmax_pu, got vmin_pu={vmin_pu!r} >= vmax_pu={vmax_pu!r}")
    return vmin_pu, vmax_pu


def sweep_threads(workers, work):
    """Threads for the C++ sweep: ``workers`` when given (capped at the usable cores), else the cores free now.

    Uses evcore's shared thread policy (:func:`evcore._threads.available_threads`) where present; otherwise
    counts usable cores minus the load of other processes (1-minute load average less this process).
    Candidates are handed out dynamically, so a thread on a busy core takes fewer of them.
    """
    try:
        from .._threads import available_threads
    except ImportError:
        available_threads = None
    if available_threads is not None:
        return available_threads(workers, work=work, min_parallel_work=_MIN_PARALLEL_WORK)
    import os

    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    if workers is not None:
        return max(1, min(workers, usable))
    if usable == 1 or work < _MIN_PARALLEL_WORK:
        return 1
    try:
        busy = max(0.0, os.getloadavg()[0] - 1.0)
    except OSError:
        busy = 0.0
    return int(max(1, min(usable, math.floor(usable - busy + 0.15))))


#: Candidate x node products below which one thread does the sweep (thread start-up costs more).
_MIN_PARALLEL_WORK = 200_000


def compare_engines(exact: SensitivityResult, linear: SensitivityResult) -> dict:
    """How far the linearised sweep is from the exact one."""
    if exact.candidates != linear.candidates:
        raise InputError("linear", "the two sweeps must cover the same candidates")
    from scipy.stats import spearmanr

    rho = spearmanr(exact.gi, linear.gi).statistic if len(exact.gi) > 2 else float("nan")
    return dict(
        max_voltage_difference_pu=float(np.abs(exact.voltage_pu - linear.voltage_pu).max()),
        max_gi_difference=float(np.abs(exact.gi - linear.gi).max()),
        max_priority_difference=float(np.abs(exact.priority - linear.priority).max()),
        gi_rank_correlation=float(rho),
        same_best_candidate=bool(np.argmin(exact.gi) == np.argmin(linear.gi)),
    )
