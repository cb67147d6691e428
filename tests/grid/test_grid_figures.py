"""Every grid figure has labelled axes with units and a legend that matches what is drawn (issue 12.7)."""

import numpy as np
import pytest

import evcore.grid.analysis as analysis
from evcore.grid import Feeder, power_flow, sensitivity_sweep
from evcore.grid._cli import DEMO_FEEDER
from evcore.plotting import figure_problems


@pytest.fixture
def saved(monkeypatch):
    """Figures the analysis functions save, checked by evcore.plotting.figure_problems."""
    figures = []
    original = analysis.save_figure

    def keep(figure, path):
        figures.append(figure)
        return original(figure, path)

    monkeypatch.setattr(analysis, "save_figure", keep)
    return figures


def _legend_texts(figure):
    return [t.get_text() for ax in figure.get_axes() if ax.get_legend() for t in ax.get_legend().get_texts()]


def test_voltage_profile_figure(saved, tmp_path):
    feeder = Feeder.from_json(DEMO_FEEDER)
    analysis.plot_voltage_profile(feeder, power_flow(feeder), tmp_path / "profile.png")
    (figure,) = saved
    assert figure_problems(figure) == []
    texts = _legend_texts(figure)
    assert any(t.startswith("phase 1") for t in texts) and any("limits" in t for t in texts)
    assert any("hollow" in t for t in texts)  # the demo feeder has 480 V and 208 V nodes
    ax = figure.get_axes()[0]
    assert "(km)" in ax.get_xlabel() and "(pu" in ax.get_ylabel()


def test_grid_impact_figure_has_both_axes_in_its_legend(saved, tmp_path):
    feeder = Feeder.from_json(DEMO_FEEDER)
    result = sensitivity_sweep(feeder, rating_kw=50.0)
    analysis.plot_grid_impact(result, tmp_path / "gi.png", top=10)
    (figure,) = saved
    assert figure_problems(figure) == []
    texts = _legend_texts(figure)
    assert any("voltage part" in t for t in texts) and any("current part" in t for t in texts)
    assert any("priority weight" in t for t in texts)  # the twin axis's line is in the legend too
    main, twin = figure.get_axes()
    assert main.get_xlabel() and "(" in main.get_ylabel() and "(" in twin.get_ylabel()
    assert np.isfinite(result.priority).all()
