"""GridLAB-D itself as the outside truth for evcore's GLM reader (PyPI ``gridlabd``, extra ``evcore[gridlabd]``).

``gridlabd_voltages(path, taps, tmp)`` writes a temporary copy of a ``.glm`` file prepared for one
fixed-tap, single-timestep Newton-Raphson solve (regulators on MANUAL at the given taps, the NR tolerance
tightened to 1e-10 of nominal, object ids that clash across classes renumbered so that GridLAB-D accepts
the file, a ``voltdump`` in RECT mode), runs GridLAB-D and returns every node's phase voltages by node name.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from evcore.io import glm


def need_gridlabd():
    return pytest.importorskip("gridlabd", reason="GridLAB-D (PyPI gridlabd, extra evcore[gridlabd]) not installed")


def oracle_copy(path, out_dir, taps=None, max_voltage_error=1e-10):
    """Write the prepared copy of ``path`` into ``out_dir``; return ``(glm path, csv path)``.

    ``taps``: regulator_configuration name -> (A, B, C) tap positions (Control set to MANUAL).
    """
    path = Path(path)
    text = path.read_text()
    model = glm.parse(path)
    # ids unique over all classes (GridLAB-D's object keys are global)
    seen, clash = {}, []
    for obj in model.objects:
        if obj.id is None:
            continue
        if obj.id in seen:
            clash.append(obj)
        seen.setdefault(obj.id, obj)
    next_id = max(seen, default=0) + 100000
    for obj in clash:
        old = f"object {obj.cls}:{obj.id}"
        new = f"object {obj.cls}:{next_id}"
        text = re.sub(rf"\b{re.escape(old)}(\s*\{{)", new + r"\1", text, count=1)
        text = re.sub(rf"(?<![\w:]){re.escape(obj.cls)}:{obj.id}(?![\d])(?=\s*;)", f"{obj.cls}:{next_id}", text)
        next_id += 1
    for name, values in (taps or {}).items():
        m = re.search(rf"object regulator_configuration(:\d+)?\s*\{{[^}}]*?name\s+{re.escape(name)}\s*;[^}}]*\}}", text)
        if m is None:
            raise KeyError(f"no regulator_configuration {name} in {path}")
        block = m.group(0)
        block = re.sub(r"Control\s+[A-Z_]+\s*;", "Control MANUAL;", block)
        if "Control" not in block:
            block = block[:-1] + " Control MANUAL;\n}"
        for p, t in zip("ABC", values):
            if re.search(rf"tap_pos_{p}\s", block):
                block = re.sub(rf"tap_pos_{p}\s+-?\d+\s*;", f"tap_pos_{p} {int(t)};", block)
            else:
                block = block[:-1] + f" tap_pos_{p} {int(t)};\n}}"
        text = text[:m.start()] + block + text[m.end():]
    text = re.sub(r"object\s+(voltdump|recorder|multi_recorder|collector)\s*\{[^}]*\}\s*;?", "", text)
    # one timestep: the fixed-tap operating point (the residential file's clock runs an hour)
    text = re.sub(r"(clock\s*\{[^}]*?)stoptime\s+'[^']*'\s*;",
                  lambda m: m.group(1) + f"stoptime '{_clock_start(m.group(1))}';", text, count=1)
    text = re.sub(r"default_maximum_voltage_error\s+[^;]+;", f"default_maximum_voltage_error {max_voltage_error};",
                  text)
    if "default_maximum_voltage_error" not in text:
        text = re.sub(r"module\s+powerflow\s*\{", f"module powerflow {{\n default_maximum_voltage_error "
                                                  f"{max_voltage_error};", text, count=1)
    out_dir = Path(out_dir)
    out_csv = out_dir / f"{path.stem}_voltdump.csv"
    text += f"\nobject voltdump {{ filename {out_csv.name}; mode RECT; }}\n"
    out_glm = out_dir / f"{path.stem}_oracle.glm"
    out_glm.write_text(text)
    return out_glm, out_csv


def _clock_start(clock_text):
    m = re.search(r"(?:timestamp|starttime)\s+'([^']*)'", clock_text)
    if m is None:
        raise KeyError("the clock has no timestamp")
    import datetime

    start = datetime.datetime.strptime(m.group(1).strip(), "%Y-%m-%d %H:%M:%S")
    return (start + datetime.timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")


def run_gridlabd(glm_path):
    """Load and run ``glm_path`` in GridLAB-D (its own working folder); returns the messages."""
    import os

    import gridlabd

    cwd = os.getcwd()
    os.chdir(Path(glm_path).parent)
    try:
        g = gridlabd.GridLabD()
        rc = g.load(str(glm_path))
        if rc != 0:
            raise RuntimeError(f"GridLAB-D could not load {glm_path}: {g.get_messages()[-5:]}")
        rc = g.run()
        if rc != 0:
            raise RuntimeError(f"GridLAB-D run failed on {glm_path}: {g.get_messages()[-5:]}")
        return g.get_messages()
    finally:
        os.chdir(cwd)


def read_voltdump(csv_path):
    """``{node name: (vA, vB, vC)}`` complex volts from a RECT voltdump."""
    out = {}
    with open(csv_path) as fh:
        lines = [ln for ln in fh if not ln.startswith("#")]
    for row in csv.DictReader(lines):
        v = [complex(float(row[f"volt{p}_real"]), float(row[f"volt{p}_imag"])) for p in "ABC"]
        out[row["node_name"]] = v
    return out


def gridlabd_voltages(path, tmp, taps=None):
    glm_path, csv_path = oracle_copy(path, tmp, taps)
    messages = run_gridlabd(glm_path)
    return read_voltdump(csv_path), messages


def compare(feeder, result, report, dump):
    """Per-node differences ``|V_evcore - V_gridlabd| / V_base`` (pu) for every node GridLAB-D reports.

    Children are looked up through the report's aliases; a triplex node's ``.2`` is ``-voltage_2``.
    Returns ``(max difference, node of the max, number of node phases compared)``.
    """
    index = {s: i for i, s in enumerate(feeder.node_names)}
    worst, where, count = 0.0, None, 0
    aliases = {k.lower(): v for k, v in report["aliases"].items()}
    triplex_buses = set(report["triplex_buses"])
    for name, volts in dump.items():
        bus = aliases.get(name.lower(), name.lower())
        triplex = bus in triplex_buses
        for ph in (1, 2, 3):
            key = f"{bus}.{ph}"
            if key not in index:
                continue
            ref = volts[ph - 1]
            if triplex and ph == 2:
                ref = -ref
            i = index[key]
            d = abs(result.voltage_v[i] - ref) / feeder.node_base_v[i]
            count += 1
            if d > worst:
                worst, where = d, key
    return worst, where, count


def max_magnitude_difference(values, refs):
    return float(np.max(np.abs(np.abs(values) - np.abs(refs))))
