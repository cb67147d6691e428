"""Checks that a figure evcore writes can be read: labelled axes with units, honest legends.

Use :func:`capture_figures` to collect the figures a function saves (it wraps ``save_figure``
in the given modules), then :func:`assert_readable` on each.
"""

from __future__ import annotations

import re

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


def _labelled(axes) -> dict:
    artists = list(axes.lines) + list(axes.collections) + list(axes.containers)
    return {a.get_label(): a for a in artists if a.get_label() and not a.get_label().startswith("_")}


def assert_readable(figure, name: str = "figure") -> None:
    """:func:`evcore.plotting.figure_problems` finds nothing, and more strictly: every axes label
    ends in a unit in parentheses and every labelled line appears in a legend."""
    from evcore.plotting import figure_problems

    problems = figure_problems(figure)
    assert not problems, f"{name}: {'; '.join(problems)}"
    labelled, legend_texts = {}, set()
    for axes in figure.axes:
        if not axes.has_data():
            continue
        x_labels = [a.get_xlabel() for a in axes.get_shared_x_axes().get_siblings(axes) if a.get_xlabel()]
        y_labels = [a.get_ylabel() for a in axes.get_shared_y_axes().get_siblings(axes) if a.get_ylabel()]
        for axis, labels in (("x", x_labels), ("y", y_labels)):
            assert labels and all(_UNIT.search(label) for label in labels), \
                f"{name}: {axis} axis label {labels!r} has no unit in parentheses"
        labelled.update(_labelled(axes))
    for axes in figure.axes:
        legend = axes.get_legend()
        if legend is not None:
            legend_texts.update(t.get_text() for t in legend.get_texts())
    missing = set(labelled) - legend_texts
    assert not missing, f"{name}: labelled lines missing from the legend: {sorted(missing)}"
