"""Figures and tables of the grid method: voltage profiles and grid-impact indices (seed 002 §II-C, Fig. 3)."""

from __future__ import annotations

import numpy as np

from ..plotting import new_figure, save_figure
from .model import Feeder
from .powerflow import PowerFlowResult
from .sensitivity import SensitivityResult

__all__ = ["voltage_rows", "plot_voltage_profile", "plot_grid_impact"]

_PHASE_COLOURS = {1: "C0", 2: "C1", 3: "C2"}


def voltage_rows(feeder: Feeder, result: PowerFlowResult) -> list:
    """One row per node: id (``"632.1"``), bus, phase, magnitude ``voltage_pu``, ``angle_deg``, distance from the
    source bus (km) and, when the feeder has bus coordinates, the bus's coordinates in their unit (see
    :meth:`Feeder.node_coordinate_columns`; the coordinate system is ``feeder.coordinates.system``)."""
    dist = feeder.node_distance_km()
    coords = feeder.node_coordinate_columns()
    rows = []
    for i, (n, b, p, m, a, d) in enumerate(zip(result.node_names, feeder.node_bus, feeder.node_phase,
                                               result.magnitude_pu, result.angle_deg, dist)):
        row = dict(node=n, bus=b, phase=int(p), voltage_pu=float(m), angle_deg=float(a), distance_km=float(d))
        for key, values in coords.items():
            row[key] = None if np.isnan(values[i]) else float(values[i])
        rows.append(row)
    return rows


def plot_voltage_profile(feeder: Feeder, result: PowerFlowResult, path, *, vmin_pu=0.95, vmax_pu=1.05,
                         title=None):
    """Per-phase voltage magnitude against distance from the substation, lines drawn along lines.

    Nodes behind transformers to another voltage level are drawn with hollow markers.
    """
    fig, ax = new_figure(8.0, 4.5)
    dist = feeder.node_distance_km()
    phase = feeder.node_phase
    vm = result.magnitude_pu
    kinds = np.array(feeder.element_kinds)
    for e in np.flatnonzero(np.isin(kinds, ("line", "switch"))):
        nodes = feeder.element_nodes(e)
        half = len(nodes) // 2
        for a, b in zip(nodes[:half], nodes[half:]):
            if a >= 0 and b >= 0 and phase[a] in _PHASE_COLOURS:
                ax.plot([dist[a], dist[b]], [vm[a], vm[b]], color=_PHASE_COLOURS[phase[a]], lw=1.0, alpha=0.8)
    main_kv = np.median(feeder.node_base_kv)
    for p, colour in _PHASE_COLOURS.items():
        sel = phase == p
        same = sel & np.isclose(feeder.node_base_kv, main_kv, rtol=0.05)
        other = sel & ~same
        ax.scatter(dist[same], vm[same], s=12, color=colour, label=f"phase {p}")
        if other.any():
            ax.scatter(dist[other], vm[other], s=18, facecolors="none", edgecolors=colour)
    ax.axhline(vmin_pu, color="0.4", ls="--", lw=0.8)
    ax.axhline(vmax_pu, color="0.4", ls="--", lw=0.8)
    ax.set_xlabel("distance from substation (km)")
    ax.set_ylabel("voltage magnitude (pu)")
    ax.set_title(title or f"{feeder.name}: voltage profile")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_grid_impact(result: SensitivityResult, path, *, top: int = 60, title=None):
    """GI-index per candidate (stacked weighted VI and CI parts), lowest impact first, and priority weights."""
    order = np.argsort(result.gi)[:top]
    fig, ax = new_figure(max(6.0, 0.16 * len(order) + 2.0), 4.5)
    x = np.arange(len(order))
    v_part = result.weight_voltage * result.vi_normalised[order]
    c_part = result.weight_current * result.ci_normalised[order]
    ax.bar(x, v_part, color="C0", label=f"voltage part (w_V = {result.weight_voltage:.2f})")
    ax.bar(x, c_part, bottom=v_part, color="C3", label=f"current part (w_C = {result.weight_current:.2f})")
    ax.set_xticks(x, [result.candidates[k] for k in order], rotation=90, fontsize=6)
    ax.set_ylabel("GI-index")
    twin = ax.twinx()
    twin.plot(x, result.priority[order], color="k", marker=".", lw=0.8, label="priority weight")
    twin.set_ylabel("priority weight (negative softmax)")
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(title or f"grid impact per candidate ({result.engine} engine, {len(result.candidates)} candidates)")
    return save_figure(fig, path)
