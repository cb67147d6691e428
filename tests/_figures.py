"""Checks that a figure evcore writes can be read: labelled axes with units, honest legends.

Use :func:`capture_figures` to collect the figures a function saves (it wraps ``save_figure``
in the given modules), then :func:`assert_readable` on each.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["capture_figures", "assert_readable"]

_UNIT = re.compile(r"\([^()]*\)\s*$")


def capture_figures(monkeypatch, *modules) -> list:
    """Collect every figure passed to ``save_figure`` in ``modules`` (the files are still written)."""
    import evcore.plotting

    figures = []
    original = evcore.plotting.save_figure

    def keep(figure, path):
        figures.append(figure)
        return original(figure, path)

    for module in (evcore.plotting, *modules):
        if hasattr(module, "save_figure"):
            monkeypatch.setattr(module, "save_figure", keep)
    return figures


def _has_finite_data(artist) -> bool:
    data = None
    if hasattr(artist, "get_xydata"):
        data = artist.get_xydata()
    elif hasattr(artist, "get_offsets"):
        data = artist.get_offsets()
    elif hasattr(artist, "patches"):  # a bar container
        data = np.array([[p.get_x(), p.get_height()] for p in artist.patches])
    if data is None:
        return True
    data = np.asarray(data, dtype=float)
    return data.size > 0 and bool(np.isfinite(data).all(axis=-1).any())


def _labelled(axes) -> dict:
    artists = list(axes.lines) + list(axes.collections) + list(axes.containers)
    return {a.get_label(): a for a in artists if a.get_label() and not a.get_label().startswith("_")}


def assert_readable(figure, name: str = "figure") -> None:
    """Every axes with data has an x and a y label ending in a unit in parentheses (a twin axes
    may share its partner's x label); every labelled line appears in a legend and every legend
    entry belongs to a line with finite data."""
    axes_with_data = [a for a in figure.axes if a.has_data()]
    assert axes_with_data, f"{name}: no data drawn"
    x_labels = [a.get_xlabel() for a in figure.axes if a.get_xlabel()]
    labelled, legend_texts = {}, set()
    for axes in axes_with_data:
        y_label = axes.get_ylabel()
        assert _UNIT.search(y_label or ""), f"{name}: y axis label {y_label!r} has no unit in parentheses"
        x_label = axes.get_xlabel() or (x_labels[0] if x_labels else "")
        assert _UNIT.search(x_label), f"{name}: x axis label {x_label!r} has no unit in parentheses"
        labelled.update(_labelled(axes))
    for axes in figure.axes:
        legend = axes.get_legend()
        if legend is not None:
            legend_texts.update(t.get_text() for t in legend.get_texts())
    missing = set(labelled) - legend_texts
    assert not missing, f"{name}: labelled lines missing from the legend: {sorted(missing)}"
    orphans = legend_texts - set(labelled)
    assert not orphans, f"{name}: legend entries without a line: {sorted(orphans)}"
    for label, artist in labelled.items():
        assert _has_finite_data(artist), f"{name}: legend entry {label!r} has no finite data"
