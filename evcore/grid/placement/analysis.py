"""Figures and tables of a placement (seed 002 §V, Figs. 7-8): sites on a map, voltages before and after,
transformer loading."""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ...plotting import new_figure, save_figure
from ._result import PlacementResult

__all__ = ["plot_sites", "plot_voltage_change", "plot_transformer_loading", "placement_rows"]


def placement_rows(result: PlacementResult) -> list:
    """One row per candidate: id, bus, phases, chargers, station flag, priority, coordinates (degrees)."""
    rows = []
    for k, cid in enumerate(result.candidate_ids):
        row = dict(candidate_id=cid, bus=result.buses[k], phases=".".join(str(p) for p in result.phases[k]),
                   chargers=int(result.chargers[k]), station=bool(result.stations[k]),
                   priority=float(result.priority[k]))
        if result.latitude_deg is not None:
            row.update(latitude_deg=float(result.latitude_deg[k]), longitude_deg=float(result.longitude_deg[k]))
        rows.append(row)
    return rows


def plot_sites(result: PlacementResult, path, *, title=None):
    """Candidates (hollow) and chosen stations (filled, labelled with their charger counts) by longitude and
    latitude (degrees, WGS84)."""
    if result.latitude_deg is None:
        raise InputError("latitude_deg", "the instance has no coordinates: no map")
    fig, ax = new_figure(6.4, 5.4)
    lat, lon = np.asarray(result.latitude_deg), np.asarray(result.longitude_deg)
    built = np.asarray(result.stations, dtype=bool)
    ax.scatter(lon[~built], lat[~built], s=40, facecolors="none", edgecolors="C0", label="candidate location")
    if built.any():
        sizes = 40 + 6 * np.asarray(result.chargers)[built]
        ax.scatter(lon[built], lat[built], s=sizes, color="C3", alpha=0.8,
                   label=f"selected station ({result.n_stations} stations, {result.total_chargers} chargers)")
        for k in np.flatnonzero(built):
            ax.annotate(str(int(result.chargers[k])), (lon[k], lat[k]), textcoords="offset points", xytext=(6, 6),
                        fontsize=8)
    ax.ticklabel_format(useOffset=False)
    ax.set_xlabel("longitude (degrees)")
    ax.set_ylabel("latitude (degrees)")
    ax.set_title(title or f"charger placement ({result.method}, {result.status})")
    ax.legend(fontsize=8, loc="best")
    return save_figure(fig, path)


def plot_voltage_change(result: PlacementResult, feeder, path, *, vmin_pu=0.95, vmax_pu=1.05, title=None):
    """Node voltage magnitudes without and with the chargers against distance from the substation (km)."""
    fig, ax = new_figure(8.0, 4.5)
    dist = feeder.node_distance_km()
    ok = np.isfinite(dist)
    before = np.asarray(result.base_voltage_pu)
    after = np.asarray(result.voltage_pu)
    ax.scatter(dist[ok], before[ok], s=10, color="0.6", label="before (no chargers)")
    ax.scatter(dist[ok], after[ok], s=10, color="C3", label="after (placement)")
    ax.axhline(vmin_pu, color="0.3", ls="--", lw=0.8, label=f"limits {vmin_pu:.2f} / {vmax_pu:.2f} pu")
    ax.axhline(vmax_pu, color="0.3", ls="--", lw=0.8)
    ax.set_xlabel("distance from substation (km)")
    ax.set_ylabel("voltage magnitude (pu)")
    ax.set_title(title or "voltage profile before and after the placement")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_transformer_loading(result: PlacementResult, path, *, base_current_a=None, top: int = 30, title=None):
    """Loading (current over its limit) of the most loaded transformer phases, with the chargers and, if
    ``base_current_a`` is given, without."""
    loading = np.asarray(result.transformer_loading, dtype=float)
    if loading.size == 0:
        raise InputError("transformer_loading", "the instance limits no transformer current")
    order = np.argsort(-np.nan_to_num(loading))[:top]
    fig, ax = new_figure(max(6.0, 0.22 * len(order) + 2.0), 4.5)
    x = np.arange(len(order))
    width = 0.4 if base_current_a is not None else 0.7
    if base_current_a is not None:
        before = np.asarray(base_current_a, float) / np.asarray(result.transformer_rating_a, float)
        ax.bar(x - width / 2, before[order], width=width, color="0.6", label="before (no chargers)")
        ax.bar(x + width / 2, loading[order], width=width, color="C0", label="after (placement)")
    else:
        ax.bar(x, loading[order], width=width, color="C0", label="after (placement)")
    ax.axhline(1.0, color="C3", ls="--", lw=1.0, label="limit (rating)")
    ax.set_xticks(x, [result.transformer_labels[k].replace("current ", "") for k in order], rotation=90, fontsize=6)
    ax.set_ylabel("loading (current / limit, pu)")
    ax.set_xlabel("transformer winding phase")
    ax.set_title(title or "transformer loading")
    ax.legend(fontsize=8)
    return save_figure(fig, path)
