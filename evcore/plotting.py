"""Shared figure helpers. Figures are drawn with matplotlib's Agg backend (no screen needed)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["new_figure", "save_figure"]


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
