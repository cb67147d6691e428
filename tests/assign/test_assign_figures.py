"""Every assign figure has labelled axes (with units) and a legend whose entries draw something."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from evcore.assign import generate_city, random_ev_instance, simulate_day, solve
from evcore.assign.analysis import plot_assignment, plot_occupancy, plot_station_loads, plot_summary
from evcore.plotting import figure_problems


@pytest.fixture()
def inspected(monkeypatch):
    """path -> problems found by figure_problems at save time."""
    found = {}
    original = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        found[str(fname)] = figure_problems(self)
        return original(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return found


def test_every_assign_figure_is_labelled(tmp_path, inspected):
    day = simulate_day(generate_city(6, 3, seed=1), evs=30, seed=2, hours=10.0, method="exact")
    plot_occupancy(day, tmp_path / "occupancy.png")
    plot_summary(day, tmp_path / "summary.png")
    ev = random_ev_instance(20, 4, seed=3)
    result = solve(ev, "exact")
    rng = np.random.default_rng(0)
    plot_assignment(result.assignment, rng.uniform(0, 5, (4, 2)), rng.uniform(0, 5, (20, 2)),
                    tmp_path / "map.png")
    plot_station_loads(ev.to_gap(), {"exact": result.assignment}, tmp_path / "loads.png")
    assert len(inspected) == 4
    assert {path: problems for path, problems in inspected.items() if problems} == {}
