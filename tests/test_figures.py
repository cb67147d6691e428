"""Every figure evcore writes has labelled axes and a legend that matches what is drawn."""

import numpy as np
import pytest

from evcore.plotting import figure_problems, new_figure


def test_demo_figures_are_labelled(demo_run):
    assert demo_run["code"] == 0
    assert demo_run["figures"], "the demo wrote no figure"
    bad = {path: problems for path, problems in demo_run["figures"].items() if problems}
    assert not bad, "\n".join(f"{path}: {'; '.join(problems)}" for path, problems in sorted(bad.items()))


def test_checker_finds_missing_labels_and_empty_legend_entries():
    figure, axes = new_figure()
    axes.plot([0, 1], [np.nan, np.nan], label="relative violation")
    axes.plot([0, 1], [1, 2], label="objective")
    axes.legend()
    problems = figure_problems(figure)
    assert any("x axis has no label" in p for p in problems)
    assert any("y axis has no label" in p for p in problems)
    assert any("relative violation" in p for p in problems)
    axes.set_xlabel("iteration")
    axes.set_ylabel("cost (currency)")
    assert [p for p in figure_problems(figure) if "label" in p and "legend" not in p] == []


@pytest.mark.parametrize("twin", [False, True])
def test_checker_accepts_a_good_figure(twin):
    figure, axes = new_figure()
    axes.plot([0, 1], [1, 2], label="a")
    axes.legend()
    axes.set_xlabel("time (h)")
    axes.set_ylabel("load (kW)")
    if twin:
        other = axes.twinx()
        other.plot([0, 1], [3, 4])
        other.set_ylabel("price (currency/kWh)")
        other.set_xlabel("time (h)")
    assert figure_problems(figure) == []
