"""OpenDSS feeders through the OpenDSS engine (``dss-python``, extra ``evcore[opendss]``).

``read(path)`` compiles a master file with OpenDSS itself and returns plain data: an evcore feeder document
whose network part is OpenDSS's own primitive admittance matrices (``Yprim``) with their node connections
(lines, transformers of any connection, regulators at their taps, switches, capacitors: exactly OpenDSS's
models), loads as data (nominal power, voltage base, model, thresholds) and the Vsource as its EMF and
impedance; plus a report (control iterations OpenDSS needed, taps, what was refused or changed).

``solve`` (a reference solve) and ``sweep`` (a charger moved node to node, one OpenDSS solve each) are the
outside truths of evcore's tests and benchmarks.

Refused with an :class:`~evcore.errors.InputError`: a second Vsource, power-conversion elements evcore does
not model (generators, PV systems, storage, ...), bus names OpenDSS accepted but that cannot be intended (a
space, ``=`` or a parenthesis in a bus name: an unbalanced parenthesis in ``Bus1=`` makes OpenDSS swallow the
rest of the line and default the element's values), nodes without a voltage base, and control loops that do
not settle even after raising OpenDSS's iteration limits (its power-flow iterations per solution,
``MaxIterations``, and its control iterations; IEEE 8500 needs the first raised: the report says so).
"""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import InputError, require

__all__ = ["read", "solve", "sweep", "engine", "OpenDSSFeeder", "TAP_STEP_PU", "MAX_TAP_STEPS",
           "DEFAULT_MAX_CONTROL_ITERATIONS", "DEFAULT_MAX_ITERATIONS"]

#: Regulator tap step and range (the usual 32-step, +-10 % regulator).
TAP_STEP_PU = 0.00625
MAX_TAP_STEPS = 16
#: Limits the reader raises OpenDSS's to when a snapshot with the file's own limits does not converge:
#: control iterations (OpenDSS's default 10) and power-flow iterations per solution (``MaxIterations``, 15).
DEFAULT_MAX_CONTROL_ITERATIONS = 100
DEFAULT_MAX_ITERATIONS = 100

_UNIT_TO_KM = {0: 1.0, 1: 1.609344, 2: 0.3048, 3: 1.0, 4: 1e-3, 5: 0.0003048, 6: 2.54e-5, 7: 1e-5, 8: 1e-6}
_BAD_BUS = re.compile(r"[\s=()\[\]]")


class OpenDSSFeeder(NamedTuple):
    """What :func:`read` returns."""

    document: dict
    report: dict


def engine():
    """The OpenDSS engine object of ``dss-python`` (:class:`MissingDependencyError` naming the extra)."""
    dss = require("dss", "opendss", "reading OpenDSS files")
    return dss.DSS


def _check_path(path):
    if not isinstance(path, (str, os.PathLike)):
        raise InputError("path", f"must be a path to an OpenDSS master file, got {type(path).__name__}")
    path = Path(path).resolve()
    if not path.is_file():
        raise InputError(str(path), "no OpenDSS file there (the IEEE test feeders ship with OpenDSS: "
                                    "github.com/dss-extensions/electricdss-tst, sourceforge.net/projects/electricdss)")
    return path


def _compile(path, regulator_taps, tolerance=None, max_iterations=None, max_control_iterations=None, report=None):
    """Compile ``path``, fix the regulator taps if given, and solve a snapshot; return the engine.

    OpenDSS's ``compile`` moves the process's working directory to the file's folder; it is put back.
    """
    cwd = os.getcwd()
    try:
        return _compile_in(path, regulator_taps, tolerance, max_iterations, max_control_iterations, report)
    finally:
        os.chdir(cwd)


def _compile_circuit(path, regulator_taps, tolerance, max_iterations, max_control_iterations):
    """Compile ``path``, fix the taps and set the solution limits; return the engine (not solved yet)."""
    dss = engine()
    dss.Text.Command = "clear"
    try:
        dss.Text.Command = f'compile "{path}"'
    except Exception as exc:  # dss-python raises its own DSSException
        raise InputError(str(path), f"OpenDSS could not compile it: {exc}") from exc
    circuit = dss.ActiveCircuit
    try:
        empty = circuit is None or circuit.NumNodes == 0
    except Exception:  # dss-python: "There is no active circuit"
        empty = True
    if empty:
        raise InputError(str(path), "OpenDSS compiled no circuit (is it a master file with 'New Circuit'?)")
    _check_bus_names(circuit, path)
    if regulator_taps is not None:
        if not isinstance(regulator_taps, dict):
            raise InputError("regulator_taps", f"must be a dict of transformer name -> tap step, got "
                                               f"{type(regulator_taps).__name__}")
        names = {n.lower() for n in circuit.Transformers.AllNames}
        for name, step in regulator_taps.items():
            key = str(name).lower()
            if key not in names:
                raise InputError("regulator_taps", f"no transformer named {name!r} in {path.name}")
            if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or abs(int(step)) > MAX_TAP_STEPS:
                raise InputError("regulator_taps", f"tap of {name!r} must be an integer in "
                                                   f"[-{MAX_TAP_STEPS}, {MAX_TAP_STEPS}], got {step!r}")
            dss.Text.Command = f"Transformer.{key}.wdg=2 tap={1.0 + TAP_STEP_PU * int(step)!r}"
        dss.Text.Command = "set controlmode=off"
    if tolerance is not None:
        dss.Text.Command = f"set tolerance={tolerance!r}"
    solution = circuit.Solution
    if max_iterations is not None:
        solution.MaxIterations = _positive_int(max_iterations, "max_iterations")
    if max_control_iterations is not None:
        solution.MaxControlIterations = _positive_int(max_control_iterations, "max_control_iterations")
    return dss


def _positive_int(value, field):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(field, f"must be a positive integer, got {value!r}")
    return int(value)


def _compile_in(path, regulator_taps, tolerance, max_iterations, max_control_iterations, report):
    path = _check_path(path)
    dss = _compile_circuit(path, regulator_taps, tolerance, max_iterations, max_control_iterations)
    solution = dss.ActiveCircuit.Solution
    solution.Solve()
    raised = None
    if not solution.Converged and max_iterations is None and max_control_iterations is None:
        # The file's limits were too low. In a snapshot OpenDSS runs up to MaxControlIterations control steps
        # (default 10), each a power flow of up to MaxIterations iterations (default 15); IEEE 8500 stops at
        # its second control step because that power flow needs more than 15 (its own Run_8500Node.dss sets
        # MaxIterations=20). Raise both and compile again, so that the controls settle from the file's
        # initial state as OpenDSS would with the higher limits (a re-solve would continue from the
        # half-settled taps of the failed run).
        raised = dict(max_iterations=solution.MaxIterations, max_control_iterations=solution.MaxControlIterations,
                      control_iterations=solution.ControlIterations, iterations=solution.Iterations)
        dss = _compile_circuit(path, regulator_taps, tolerance, DEFAULT_MAX_ITERATIONS,
                               DEFAULT_MAX_CONTROL_ITERATIONS)
        solution = dss.ActiveCircuit.Solution
        solution.Solve()
    if not solution.Converged:
        raise InputError(str(path), f"OpenDSS did not converge while settling its controls (stopped at control "
                                    f"iteration {solution.ControlIterations} of at most "
                                    f"{solution.MaxControlIterations}, {solution.Iterations} power-flow iterations "
                                    f"with at most {solution.MaxIterations} per solution); fix the taps "
                                    "(regulator_taps=) or raise max_iterations / max_control_iterations")
    if report is not None:
        report["control_iterations"] = int(solution.ControlIterations)
        report["max_control_iterations"] = int(solution.MaxControlIterations)
        report["iterations"] = int(solution.Iterations)
        report["max_iterations"] = int(solution.MaxIterations)
        if raised is not None:
            report["raised_limits"] = dict(raised, raised_to=dict(max_iterations=int(solution.MaxIterations),
                                           max_control_iterations=int(solution.MaxControlIterations)))
            report["notes"].append(
                f"OpenDSS did not converge with the file's limits (MaxIterations {raised['max_iterations']} "
                f"power-flow iterations per solution, control-iteration limit {raised['max_control_iterations']}): "
                f"it stopped at control iteration {raised['control_iterations']} after {raised['iterations']} "
                f"power-flow iterations. Raised to MaxIterations {solution.MaxIterations} and control-iteration "
                f"limit {solution.MaxControlIterations} and compiled again: the controls settled in "
                f"{solution.ControlIterations} control iterations ({solution.Iterations} power-flow iterations)")
    return dss


def _check_bus_names(circuit, path):
    element = circuit.ActiveCktElement
    for name in circuit.AllElementNames:
        circuit.SetActiveElement(name)
        for bus in element.BusNames:
            if _BAD_BUS.search(bus.strip()):
                raise InputError(str(path), f"{name}: OpenDSS read the bus as {bus!r} (an unbalanced parenthesis or "
                                            "quote in Bus1=/Bus2=?) and defaulted the rest of the element; fix the line")


def _node_bases(circuit, node_names):
    bases = {}
    for bus in circuit.AllBusNames:
        circuit.SetActiveBus(bus)
        bases[bus.lower()] = circuit.ActiveBus.kVBase * 1000.0
    return np.array([bases[s.rsplit(".", 1)[0]] for s in node_names])


def solve(path, regulator_taps=None, tolerance=1e-10, max_iterations=100, max_control_iterations=None):
    """Solve ``path`` with OpenDSS itself; return ``(node_names, voltage_v, base_v)``.

    ``voltage_v`` is complex line-to-ground voltage in volts per node (OpenDSS's ``YNodeOrder``), ``base_v``
    each node's base in volts.
    """
    dss = _compile(path, regulator_taps, tolerance=tolerance, max_iterations=max_iterations,
                   max_control_iterations=max_control_iterations)
    circuit = dss.ActiveCircuit
    names = [s.lower() for s in circuit.YNodeOrder]
    volts = np.asarray(circuit.YNodeVarray, dtype=float).view(complex)
    return names, volts, _node_bases(circuit, names)


def read(path, regulator_taps=None, *, max_iterations=None, max_control_iterations=None) -> OpenDSSFeeder:
    """Compile an OpenDSS master file and return ``(document, report)`` (see the module docstring).

    ``max_iterations`` (OpenDSS's power-flow iterations per solution) and ``max_control_iterations`` set
    OpenDSS's limits for the snapshot that settles the controls. Left ``None``, the file's own limits are used
    and, if the snapshot does not converge with them, both are raised to 100 and the file compiled again; the
    report's ``notes`` and ``raised_limits`` say so (``iterations``/``control_iterations`` what it took).

    The compile runs in a forked child process: OpenDSS's C library aborts the whole process on some
    malformed files (``free(): invalid pointer`` on a line such as ``... lengtnand.ld1 ...``), and a user's
    typo must end in an :class:`InputError`, not in a dead interpreter.
    """
    engine()  # a missing extra is reported here, in this process
    _check_path(path)
    return _isolated(_read, path, regulator_taps, max_iterations, max_control_iterations)


def _isolated(function, *args):
    """``function(*args)`` in a forked child; its result or exception comes back; a crash is an InputError."""
    import multiprocessing
    import pickle
    import signal

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: run in process
        return function(*args)
    receive, send = context.Pipe(duplex=False)

    def child():
        receive.close()
        import faulthandler

        faulthandler.disable()  # a crash here is reported by the parent; no Python stack dump on stderr
        try:
            payload = ("ok", function(*args))
        except BaseException as exc:  # noqa: BLE001 - every outcome goes back to the parent
            payload = ("error", exc)
        try:
            send.send_bytes(pickle.dumps(payload))
        except Exception as exc:  # an exception that does not pickle
            send.send_bytes(pickle.dumps(("error", RuntimeError(f"{type(payload[1]).__name__}: {exc}"))))
        send.close()
        os._exit(0)

    process = context.Process(target=child, daemon=True)
    process.start()
    send.close()
    try:
        data = receive.recv_bytes()
    except EOFError:
        data = None
    finally:
        receive.close()
        process.join()
    if data is None:
        code = process.exitcode
        why = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        raise InputError(str(args[0]), f"OpenDSS crashed while compiling it ({why}): check the file's syntax "
                                        "near the last line OpenDSS reported above")
    kind, value = pickle.loads(data)
    if kind == "error":
        if type(value).__module__.startswith("dss"):  # the engine's own error on this file, at any stage
            raise InputError(str(args[0]), f"OpenDSS failed on it: {value}") from value
        raise value
    return value


def _read(path, regulator_taps=None, max_iterations=None, max_control_iterations=None) -> OpenDSSFeeder:
    report = dict(source=str(path), notes=[], regulated_transformers=[], refused=[])
    dss = _compile(path, regulator_taps, max_iterations=max_iterations,
                   max_control_iterations=max_control_iterations, report=report)
    circuit = dss.ActiveCircuit
    element = circuit.ActiveCktElement
    node_names = [s.lower() for s in circuit.YNodeOrder]
    base_v = _node_bases(circuit, node_names)
    if (base_v <= 0).any():
        bad = node_names[int(np.flatnonzero(base_v <= 0)[0])]
        raise InputError(str(path), f"node {bad} has no voltage base: add it to `Set VoltageBases` and run "
                                    "`CalcVoltageBases` in the OpenDSS file")

    regulated = set()
    rc = circuit.RegControls
    i = rc.First
    while i > 0:
        regulated.add(rc.Transformer.lower())
        i = rc.Next
    report["regulated_transformers"] = sorted(regulated)
    if regulator_taps is not None:
        report["regulator_taps"] = {str(k): int(v) for k, v in regulator_taps.items()}

    def node(ref):
        return "0" if ref <= 0 else node_names[ref - 1]

    primitives = []
    i = circuit.FirstPDElement()
    while i > 0:
        full = element.Name
        cls, short = full.split(".", 1)
        cls = cls.lower()
        if element.Enabled:
            nc = element.NumConductors * element.NumTerminals
            y = np.asarray(element.Yprim, dtype=float).view(complex).reshape(nc, nc)
            kind, length_km, rating = "other", 0.0, None
            if cls == "line":
                circuit.Lines.Name = short
                kind = "switch" if circuit.Lines.IsSwitch else "line"
                length_km = circuit.Lines.Length * _UNIT_TO_KM.get(circuit.Lines.Units, 1.0)
                amps = element.NormalAmps
                rating = amps if amps > 0 else None
            elif cls == "transformer":
                kind = "regulator" if short.lower() in regulated else "transformer"
                tr = circuit.Transformers
                tr.Name = short
                tr.Wdg = 1
                kva, kv = tr.kVA, tr.kV
                rating = kva / (math.sqrt(3.0) * kv) if element.NumPhases > 1 else kva / kv
            elif cls in ("capacitor", "reactor"):
                kind = cls
            refs = np.asarray(element.NodeRef, dtype=np.int64)
            primitives.append(dict(name=full.lower(), kind=kind, terminals=int(element.NumTerminals),
                                   nodes=[node(int(r)) for r in refs], yprim_re=np.ascontiguousarray(y.real),
                                   yprim_im=np.ascontiguousarray(y.imag), length_km=float(length_km),
                                   rated_current_a=None if rating is None else float(rating)))
        i = circuit.NextPDElement()

    # power-conversion elements: loads only (Vsources are listed apart)
    i = circuit.FirstPCElement()
    while i > 0:
        cls = element.Name.split(".", 1)[0].lower()
        if element.Enabled and cls not in ("load",):
            raise InputError(str(path), f"{element.Name} ({cls}) is not supported by evcore.grid; disable it")
        i = circuit.NextPCElement()
    sources = []
    vs = circuit.Vsources
    i = vs.First
    while i > 0:
        circuit.SetActiveElement(f"Vsource.{vs.Name}")
        if element.Enabled:
            sources.append(vs.Name)
        i = vs.Next
    if len(sources) != 1:
        raise InputError(str(path), f"{len(sources)} voltage sources ({', '.join(sources) or 'none'}): evcore.grid "
                                    "supports exactly one (a second Vsource is not ignored, it is refused)")
    circuit.SetActiveElement(f"Vsource.{sources[0]}")
    source = _read_source(circuit, element, node, path)
    loads = _read_loads(circuit, element, node, path)

    buses = {}
    for name, b in zip(node_names, base_v):
        buses.setdefault(name.rsplit(".", 1)[0], {"base_kv_ll": float(b) * math.sqrt(3.0) / 1000.0})
    doc = dict(format="evcore-feeder", version=1, name=circuit.Name, frequency_hz=float(circuit.Solution.Frequency),
               buses=buses, nodes=node_names, source=source, primitives=primitives, loads=loads)
    coords = _coordinates(circuit)
    if coords is not None:
        doc["coordinates"] = coords
    return OpenDSSFeeder(doc, report)


def _coordinates(circuit):
    pts = {}
    for bus in circuit.AllBusNames:
        circuit.SetActiveBus(bus)
        b = circuit.ActiveBus
        if b.Coorddefined:
            pts[bus.lower()] = [float(b.x), float(b.y)]
    if not pts:
        return None
    return dict(unit="unknown", system="local x, y as in the OpenDSS Buscoords file (OpenDSS gives no unit)",
                buses=pts)


def _read_source(circuit, element, node, path):
    name = element.Name
    vs = circuit.Vsources
    vs.Name = name.split(".", 1)[1]
    nph = vs.Phases
    nc = element.NumConductors
    refs = np.asarray(element.NodeRef, dtype=np.int64)
    if (refs[nc:] > 0).any():
        raise InputError(str(path), f"{name}: evcore.grid needs the source's second terminal grounded")
    y = np.asarray(element.Yprim, dtype=float).view(complex).reshape(2 * nc, 2 * nc)[:nph, :nph]
    vmag = vs.BasekV * vs.pu * 1000.0 * (1.0 if nph == 1 else 1.0 / (2.0 * math.sin(math.pi / nph)))
    angles = np.deg2rad(vs.AngleDeg - np.arange(nph) * 360.0 / nph)
    nominal = vmag * np.exp(1j * angles)
    # The EMF OpenDSS itself uses: its source currents are Yprim (V - E), so E = V - Yprim^-1 I from the
    # snapshot just solved (exact to rounding whatever the convergence). It differs from basekV * pu at
    # the nominal angles by up to ~4e-10 (OpenDSS builds it with its own constants), which would otherwise
    # offset every node by that much.
    emf = nominal
    try:
        v_term = np.asarray(element.Voltages, dtype=float).view(complex)[:nph]
        i_term = np.asarray(element.Currents, dtype=float).view(complex)[:nph]
        recovered = v_term - np.linalg.solve(y, i_term)
        if np.isfinite(recovered).all() and (np.abs(recovered - nominal) <= 1e-6 * np.abs(nominal)).all():
            emf = recovered
    except (np.linalg.LinAlgError, ValueError):
        pass
    return dict(name=name.lower(), nodes=[node(int(r)) for r in refs[:nph]],
                emf_v=[[float(z.real), float(z.imag)] for z in emf], yprim_re=np.ascontiguousarray(y.real),
                yprim_im=np.ascontiguousarray(y.imag))


def _read_loads(circuit, element, node, path):
    loads = circuit.Loads
    mult = circuit.Solution.LoadMult
    out = []
    i = loads.First
    while i > 0:
        circuit.SetActiveElement(f"Load.{loads.Name}")
        if element.Enabled:
            nph = loads.Phases
            delta = loads.IsDelta
            refs = list(np.asarray(element.NodeRef, dtype=np.int64))
            m = int(loads.Model)
            if m not in (1, 2, 3, 4, 5, 8):
                raise InputError(str(path), f"Load.{loads.Name}: load model {m} is not supported by evcore.grid")
            kv = loads.kV
            vb = kv * 1000.0 if (delta or nph not in (2, 3)) else kv * 1000.0 / math.sqrt(3.0)
            status_factor = 1.0 if loads.Status in (1, 2) else mult
            s_phase = complex(loads.kW, loads.kvar) * 1000.0 * status_factor / nph
            zipv = [0.0] * 7
            if m == 8:
                z = list(np.asarray(loads.ZIPV, dtype=float))
                if len(z) != 7:
                    raise InputError(str(path), f"Load.{loads.Name}: model 8 needs 7 ZIPV values")
                zipv = z
            branches = []
            n = len(refs)
            for p in range(nph):
                a, b = refs[p], (refs[p + 1 if p + 1 < n else 0] if delta else refs[n - 1])
                if a <= 0:  # orient the branch so that its first node is a real node (g is odd in v)
                    a, b = b, a
                if a <= 0:
                    continue
                branches.append({"from": node(int(a)), "to": node(int(b)), "power_va": [s_phase.real, s_phase.imag],
                                 "base_v": vb})
            if branches:
                out.append(dict(name=loads.Name.lower(), model=m, vminpu=loads.Vminpu, vmaxpu=loads.Vmaxpu,
                                vlowpu=float(element.Properties("vlowpu").Val), zipv=zipv,
                                cvr=[loads.CVRwatts, loads.CVRvars], branches=branches))
        i = loads.Next
    return out


def sweep(path, candidates, *, regulator_taps=None, rating_kw=7.2, power_factor=0.95, tolerance=1e-10,
          max_control_iterations=None, progress=None, timings=None):
    """The sensitivity sweep driven through OpenDSS: one charger load moved node to node, one solve each.

    The yardstick of :func:`evcore.grid.sensitivity_sweep`: the base case is solved first (settling the
    regulators when ``regulator_taps`` is None), controls are then switched off so that every perturbation
    sees the same taps, and a constant-power (model 1) single-phase load of ``rating_kw`` at ``power_factor``
    is placed on each candidate node in turn.

    Returns ``(node_names, magnitude_pu)`` with ``magnitude_pu`` of shape (K, n). When ``timings`` is a
    dict, ``timings["sweep_seconds"]`` receives the time of the candidate loop alone (compile and base solve
    excluded). ``progress`` is a callable ``progress(done, total)`` or None.
    """
    dss = _compile(path, regulator_taps, tolerance=tolerance, max_iterations=100,
                   max_control_iterations=max_control_iterations)
    circuit = dss.ActiveCircuit
    dss.Text.Command = "set controlmode=off"
    names = [s.lower() for s in circuit.YNodeOrder]
    index = {s: i for i, s in enumerate(names)}
    base = _node_bases(circuit, names)
    kvar = rating_kw * math.tan(math.acos(power_factor))
    first = str(candidates[0]).lower()
    if first not in index:
        raise InputError("candidates", f"{first!r} is not a node of {path}")
    dss.Text.Command = (f"New Load.evcore_charger bus1={first} phases=1 conn=wye model=1 "
                        f"kV={float(base[index[first]]) / 1000.0!r} kW={float(rating_kw)!r} kvar={float(kvar)!r}")
    out = np.empty((len(candidates), len(names)))
    started = time.perf_counter()
    for k, cand in enumerate(candidates):
        key = str(cand).lower()
        if key not in index:
            raise InputError("candidates", f"{cand!r} is not a node of {path}")
        dss.Text.Command = f"Load.evcore_charger.bus1={key} kV={float(base[index[key]]) / 1000.0!r}"
        circuit.Solution.Solve()
        if not circuit.Solution.Converged:
            raise InputError("candidates", f"OpenDSS did not converge with the charger at {cand}")
        volts = np.asarray(circuit.YNodeVarray, dtype=float).view(complex)
        out[k] = np.abs(volts) / base
        if progress is not None:
            progress(k + 1, len(candidates))
    if timings is not None:
        timings["sweep_seconds"] = time.perf_counter() - started
    return names, out
