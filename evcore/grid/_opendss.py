"""OpenDSS import and reference solves through the real OpenDSS engine (``dss-python``).

The network part of a feeder is read element by element as OpenDSS's own primitive admittance
matrices (``Yprim``) with their node connections, so lines, transformers (any connection),
regulators at their taps, switches and capacitors are exactly OpenDSS's models. Loads and the
source are read as data (nominal power, voltage base, model, thresholds; EMF and impedance) and
applied by evcore's power flow.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from ..errors import InputError
from ._elements import load_base_v, load_branch_pairs

__all__ = ["feeder_from_opendss", "opendss_engine", "opendss_solve", "TAP_STEP_PU", "MAX_TAP_STEPS"]

#: Regulator tap step and range (the usual 32-step, +-10 % regulator).
TAP_STEP_PU = 0.00625
MAX_TAP_STEPS = 16

_UNIT_TO_KM = {0: 1.0, 1: 1.609344, 2: 0.3048, 3: 1.0, 4: 1e-3, 5: 0.0003048, 6: 2.54e-5, 7: 1e-5, 8: 1e-6}


def opendss_engine():
    """The OpenDSS engine object of ``dss-python`` (import error explains the extra to install)."""
    try:
        from dss import DSS
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("reading OpenDSS files needs the optional engine: pip install 'evcore[opendss]' "
                          "(dss-python)") from exc
    return DSS


def _compile(path, regulator_taps, tolerance=None, max_iterations=None):
    """Compile ``path``, fix the regulator taps if given, and solve a snapshot; return the engine.

    OpenDSS's ``compile`` moves the process's working directory to the file's folder; it is put back.
    """
    cwd = os.getcwd()
    try:
        return _compile_in(path, regulator_taps, tolerance, max_iterations)
    finally:
        os.chdir(cwd)


def _compile_in(path, regulator_taps, tolerance, max_iterations):
    path = Path(path).resolve()
    if not path.is_file():
        raise InputError("path", f"no OpenDSS file at {str(path)!r}")
    dss = opendss_engine()
    dss.Text.Command = "clear"
    try:
        dss.Text.Command = f'compile "{path}"'
    except Exception as exc:
        raise InputError("path", f"OpenDSS could not compile {path.name}: {exc}") from exc
    circuit = dss.ActiveCircuit
    if regulator_taps is not None:
        names = {n.lower() for n in circuit.Transformers.AllNames}
        for name, step in regulator_taps.items():
            key = str(name).lower()
            if key not in names:
                raise InputError("regulator_taps", f"no transformer named {name!r} in {path.name}")
            if int(step) != step or abs(int(step)) > MAX_TAP_STEPS:
                raise InputError("regulator_taps", f"tap of {name!r} must be an integer in "
                                 f"[-{MAX_TAP_STEPS}, {MAX_TAP_STEPS}], got {step!r}")
            dss.Text.Command = f"Transformer.{key}.wdg=2 tap={1.0 + TAP_STEP_PU * int(step)!r}"
        dss.Text.Command = "set controlmode=off"
    if tolerance is not None:
        dss.Text.Command = f"set tolerance={tolerance!r}"
    if max_iterations is not None:
        dss.Text.Command = f"set maxiterations={int(max_iterations)}"
    circuit.Solution.Solve()
    if not circuit.Solution.Converged:
        raise InputError("path", f"OpenDSS did not converge on {path.name} while settling its controls")
    return dss


def opendss_solve(path, regulator_taps=None, tolerance=1e-10, max_iterations=100):
    """Solve ``path`` with OpenDSS itself; return ``(node_names, voltage_v, base_v)``.

    Used as the outside truth in tests and benchmarks. ``voltage_v`` is complex line-to-ground
    voltage in volts per node (OpenDSS's ``YNodeOrder``), ``base_v`` each node's base in volts.
    """
    dss = _compile(path, regulator_taps, tolerance=tolerance, max_iterations=max_iterations)
    circuit = dss.ActiveCircuit
    names = [s.lower() for s in circuit.YNodeOrder]
    volts = np.asarray(circuit.YNodeVarray, dtype=float).view(complex)
    base = _node_bases(circuit, names)
    return names, volts, base


def _node_bases(circuit, node_names):
    bases = {}
    for bus in circuit.AllBusNames:
        circuit.SetActiveBus(bus)
        bases[bus.lower()] = circuit.ActiveBus.kVBase * 1000.0
    return np.array([bases[s.rsplit(".", 1)[0]] for s in node_names])


def feeder_from_opendss(path, regulator_taps=None):
    """Build a :class:`~evcore.grid.model.Feeder` from an OpenDSS master file (see ``Feeder.from_opendss``)."""
    from .model import Feeder

    dss = _compile(path, regulator_taps)
    circuit = dss.ActiveCircuit
    element = circuit.ActiveCktElement
    node_names = [s.lower() for s in circuit.YNodeOrder]
    base_v = _node_bases(circuit, node_names)
    if (base_v <= 0).any():
        bad = node_names[int(np.flatnonzero(base_v <= 0)[0])]
        raise InputError("path", f"node {bad} has no voltage base: add it to `Set VoltageBases` and run "
                         "`CalcVoltageBases` in the OpenDSS file")

    regulated = set()
    rc = circuit.RegControls
    i = rc.First
    while i > 0:
        regulated.add(rc.Transformer.lower())
        i = rc.Next

    names, kinds, terminals, counts, nodes, yprims, lengths, ratings = [], [], [], [], [], [], [], []
    i = circuit.FirstPDElement()
    while i > 0:
        full = element.Name
        cls, short = full.split(".", 1)
        cls = cls.lower()
        if element.Enabled:
            nc = element.NumConductors * element.NumTerminals
            y = np.asarray(element.Yprim, dtype=float).view(complex).reshape(nc, nc)
            kind, length_km, rating = "other", 0.0, float("nan")
            if cls == "line":
                circuit.Lines.Name = short
                kind = "switch" if circuit.Lines.IsSwitch else "line"
                length_km = circuit.Lines.Length * _UNIT_TO_KM.get(circuit.Lines.Units, 1.0)
                amps = element.NormalAmps
                rating = amps if amps > 0 else float("nan")
            elif cls == "transformer":
                kind = "regulator" if short.lower() in regulated else "transformer"
                tr = circuit.Transformers
                tr.Name = short
                tr.Wdg = 1
                kva, kv = tr.kVA, tr.kV
                rating = kva / (math.sqrt(3.0) * kv) if element.NumPhases > 1 else kva / kv
            elif cls in ("capacitor", "reactor"):
                kind = cls
            names.append(full.lower())
            kinds.append(kind)
            terminals.append(element.NumTerminals)
            counts.append(nc)
            nodes.append(np.asarray(element.NodeRef, dtype=np.int64) - 1)
            yprims.append(y.ravel())
            lengths.append(length_km)
            ratings.append(rating)
        i = circuit.NextPDElement()

    # Power-conversion elements: loads and one voltage source are supported.
    source = None
    i = circuit.FirstPCElement()
    while i > 0:
        cls = element.Name.split(".", 1)[0].lower()
        if element.Enabled and cls not in ("load", "vsource"):
            raise InputError("path", f"{element.Name} ({cls}) is not supported by evcore.grid; disable it")
        if element.Enabled and cls == "vsource":
            if source is not None:
                raise InputError("path", "more than one voltage source: evcore.grid supports one")
            source = _read_source(circuit, element)
        i = circuit.NextPCElement()
    if source is None:
        vs = circuit.Vsources
        vs.First
        circuit.SetActiveElement(f"Vsource.{vs.Name}")
        source = _read_source(circuit, element)

    loads = _read_loads(circuit, element)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return Feeder(
        node_names=node_names,
        node_base_kv=base_v / 1000.0,
        element_names=names,
        element_kinds=kinds,
        element_terminals=np.array(terminals),
        element_offsets=offsets,
        conductor_nodes=np.concatenate(nodes),
        yprim=np.concatenate(yprims),
        element_length_km=np.array(lengths),
        element_rated_current_a=np.array(ratings),
        frequency_hz=circuit.Solution.Frequency,
        name=circuit.Name,
        **source,
        **loads,
    )


def _read_source(circuit, element):
    name = element.Name
    vs = circuit.Vsources
    vs.Name = name.split(".", 1)[1]
    nph = vs.Phases
    nc = element.NumConductors
    refs = np.asarray(element.NodeRef, dtype=np.int64) - 1
    if (refs[nc:] >= 0).any():
        raise InputError("path", f"{name}: evcore.grid needs the source's second terminal grounded")
    y = np.asarray(element.Yprim, dtype=float).view(complex).reshape(2 * nc, 2 * nc)[:nph, :nph]
    vmag = vs.BasekV * vs.pu * 1000.0 * (1.0 if nph == 1 else 1.0 / (2.0 * math.sin(math.pi / nph)))
    angles = np.deg2rad(vs.AngleDeg - np.arange(nph) * 360.0 / nph)
    return dict(source_nodes=refs[:nph], source_emf_v=vmag * np.exp(1j * angles), source_yprim=y,
                source_name=name.lower())


def _read_loads(circuit, element):
    loads = circuit.Loads
    mult = circuit.Solution.LoadMult
    names, owner, b_from, b_to, power, base, model = [], [], [], [], [], [], []
    vmin, vmax, vlow, zipv, cvr = [], [], [], [], []
    i = loads.First
    while i > 0:
        circuit.SetActiveElement(f"Load.{loads.Name}")
        if element.Enabled:
            k = len(names)
            names.append(loads.Name.lower())
            nph = loads.Phases
            delta = loads.IsDelta
            refs = np.asarray(element.NodeRef, dtype=np.int64) - 1
            m = int(loads.Model)
            if m not in (1, 2, 3, 4, 5, 8):
                raise InputError("path", f"Load.{loads.Name}: load model {m} is not supported by evcore.grid")
            kv = loads.kV
            vb = load_base_v(kv, nph, delta)
            status_factor = 1.0 if loads.Status in (1, 2) else mult
            s_phase = complex(loads.kW, loads.kvar) * 1000.0 * status_factor / nph
            vl = float(element.Properties("vlowpu").Val)
            zz = np.zeros(7)
            if m == 8:
                z = np.asarray(loads.ZIPV, dtype=float)
                if z.size != 7:
                    raise InputError("path", f"Load.{loads.Name}: model 8 needs 7 ZIPV values")
                zz = z
            for a, b in load_branch_pairs(list(refs), nph, delta):
                if a < 0:  # orient the branch so that its first node is a real node (g is odd in v)
                    a, b = b, a
                if a < 0:
                    continue
                owner.append(k)
                b_from.append(a)
                b_to.append(b)
                power.append(s_phase)
                base.append(vb)
                model.append(m)
                vmin.append(loads.Vminpu)
                vmax.append(loads.Vmaxpu)
                vlow.append(vl)
                zipv.append(zz)
                cvr.append((loads.CVRwatts, loads.CVRvars))
        i = loads.Next
    nb = len(owner)
    return dict(
        load_names=names,
        load_branch_load=np.array(owner, dtype=np.int64),
        load_branch_from=np.array(b_from, dtype=np.int64),
        load_branch_to=np.array(b_to, dtype=np.int64),
        load_branch_power_va=np.array(power, dtype=complex),
        load_branch_base_v=np.array(base, dtype=float),
        load_branch_model=np.array(model, dtype=np.int64),
        load_branch_vmin_pu=np.array(vmin, dtype=float),
        load_branch_vmax_pu=np.array(vmax, dtype=float),
        load_branch_vlow_pu=np.array(vlow, dtype=float),
        load_branch_zipv=np.array(zipv, dtype=float).reshape(nb, 7),
        load_branch_cvr=np.array(cvr, dtype=float).reshape(nb, 2),
    )


def opendss_sweep(path, candidates, *, regulator_taps=None, rating_kw=7.2, power_factor=0.95, tolerance=1e-10,
                  progress=False, timings=None):
    """The sensitivity sweep driven through OpenDSS: one charger load moved node to node, one solve each.

    The yardstick of :func:`evcore.grid.sensitivity_sweep`: the base case is solved first (settling
    the regulators when ``regulator_taps`` is None), controls are then switched off so that every
    perturbation sees the same taps, and a constant-power (model 1) single-phase load of
    ``rating_kw`` at ``power_factor`` is placed on each candidate node in turn.

    Returns ``(node_names, magnitude_pu)`` with ``magnitude_pu`` of shape (K, n). When ``timings`` is
    a dict, ``timings["sweep_seconds"]`` receives the time of the candidate loop alone (compile and
    base solve excluded).
    """
    dss = _compile(path, regulator_taps, tolerance=tolerance, max_iterations=100)
    circuit = dss.ActiveCircuit
    dss.Text.Command = "set controlmode=off"
    names = [s.lower() for s in circuit.YNodeOrder]
    base = _node_bases(circuit, names)
    kvar = rating_kw * math.tan(math.acos(power_factor))
    first = str(candidates[0])
    dss.Text.Command = (f"New Load.evcore_charger bus1={first} phases=1 conn=wye model=1 "
                        f"kV={float(base[names.index(first)]) / 1000.0!r} kW={float(rating_kw)!r} kvar={float(kvar)!r}")
    out = np.empty((len(candidates), len(names)))
    started = time.perf_counter()
    for k, node in enumerate(candidates):
        kv = float(base[names.index(str(node).lower())]) / 1000.0
        dss.Text.Command = f"Load.evcore_charger.bus1={node} kV={kv!r}"
        circuit.Solution.Solve()
        if not circuit.Solution.Converged:
            raise InputError("candidates", f"OpenDSS did not converge with the charger at {node}")
        volts = np.asarray(circuit.YNodeVarray, dtype=float).view(complex)
        out[k] = np.abs(volts) / base
        if progress and (k + 1) % 50 == 0:
            print(f"[opendss sweep] {k + 1}/{len(candidates)}")
    if timings is not None:
        timings["sweep_seconds"] = time.perf_counter() - started
    return names, out
