"""Shared figure helpers. Figures are drawn with matplotlib's Agg backend (no screen needed)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["new_figure", "save_figure", "figure_problems"]


def new_figure(width: float = 6.4, height: float = 4.0):
    """A (figure, axes) pair on the Agg backend, whatever backend the session had."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    # A bare Figure (not pyplot) keeps no global state and is safe in threads and workers.
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.add_subplot()
    return figure, axes


def save_figure(figure, path) -> Path:
    """Write ``figure`` as PNG to ``path`` (parents created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return path


def figure_problems(figure) -> list[str]:
    """What would mislead a reader of ``figure``: axes without labels, legend entries without a
    visible line (all-NaN data), lines missing from the legend when there is one.

    Every figure evcore writes is checked by the test suite with this function. Returns a list
    of sentences (empty when the figure is fine).
    """
    import numpy as np

    problems = []
    for number, axes in enumerate(figure.get_axes()):
        if not axes.get_visible() or not axes.axison:
            continue
        if _is_colorbar(axes):
            if not (axes.get_ylabel() or axes.get_xlabel()):
                problems.append(f"axes {number}: colour bar without a label")
            continue
        name = axes.get_title() or f"axes {number}"
        # a twin (twinx/twiny) shows the label of the axes it shares that axis with
        x_labels = [a.get_xlabel() for a in axes.get_shared_x_axes().get_siblings(axes)]
        y_labels = [a.get_ylabel() for a in axes.get_shared_y_axes().get_siblings(axes)]
        if not any(label.strip() for label in x_labels):
            problems.append(f"{name}: x axis has no label")
        if not any(label.strip() for label in y_labels):
            problems.append(f"{name}: y axis has no label")
        legend = axes.get_legend()
        if legend is not None:
            for handle, text in zip(legend.legend_handles, legend.get_texts()):
                label = text.get_text()
                artist = _artist_for(axes, label)
                if artist is not None and hasattr(artist, "get_ydata"):
                    y = np.asarray(artist.get_ydata(), dtype=float)
                    x = np.asarray(artist.get_xdata(), dtype=float)
                    if y.size and not np.isfinite(x + y).any():
                        problems.append(f"{name}: legend entry {label!r} has no finite point to draw")
    return problems


def _is_colorbar(axes) -> bool:
    return getattr(axes, "_colorbar", None) is not None or axes.get_label() == "<colorbar>"


def _artist_for(axes, label):
    for artist in list(axes.get_lines()) + list(axes.collections) + list(axes.patches) + list(axes.containers):
        get = getattr(artist, "get_label", None)
        if get is not None and get() == label:
            return artist
    return None
