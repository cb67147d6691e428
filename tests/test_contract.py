"""The shared result contract, progress reporting and run-limit checks."""

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest

import evcore
from evcore._validate import check_limits, check_options, check_seed, check_threads
from evcore.errors import InputError
from evcore.progress import ProgressRecord, progress_reporter
from evcore.results import STATUSES, Result, TraceRecorder, make_trace, relative_gap


@dataclass(frozen=True, eq=False)
class _Plan(Result):
    sense = "max"
    sites: np.ndarray

    def _frames(self):
        return {"sites": lambda: {"site_id": [f"s{i}" for i in self.sites], "chargers": np.ones(len(self.sites))}}


def test_result_round_trips_to_json_and_frames():
    trace = make_trace(("seconds", "objective"), [(0.1, 1.0), (0.2, math.inf)])
    result = _Plan(status="optimal", objective=3.0, bound=3.0, gap=0.0, iterations=2, wall_time=0.3,
                   trace=trace, seed=None, method="demo", sites=np.array([1, 4]))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["status"] == "optimal" and data["sites"] == [1, 4]
    assert data["trace"] == {"seconds": [0.1, 0.2], "objective": [1.0, "inf"]}
    assert result.frames() == ("sites",)
    frame = result.to_frame()
    assert list(frame.columns) == ["site_id", "chargers"]
    assert result.to_frame("trace")["seconds"].tolist() == [0.1, 0.2]
    with pytest.raises(InputError, match="table"):
        result.to_frame("nope")
    assert result.feasible and result.summary()["objective"] == 3.0


def test_status_vocabulary_is_enforced():
    assert STATUSES == ("optimal", "gap_reached", "feasible", "time_limit", "iteration_limit", "infeasible")
    with pytest.raises(InputError, match="status"):
        Result(status="converged")


def test_relative_gap_for_both_senses():
    assert relative_gap(10.0, 9.0, "min") == pytest.approx(0.1)
    assert relative_gap(9.0, 10.0, "max") == pytest.approx(1 / 9)
    assert relative_gap(10.0, None) is None
    assert relative_gap(math.inf, 3.0) == math.inf
    assert relative_gap(10.0, 10.5, "min") == 0.0


def test_trace_recorder_fills_missing_columns_with_nan():
    trace = TraceRecorder(("iteration", "seconds", "bound"))
    trace.append(iteration=1, seconds=0.5)
    row = trace.array()[0]
    assert row["iteration"] == 1 and math.isnan(row["bound"])


def test_progress_callable_receives_typed_records():
    records = []
    reporter = progress_reporter(records.append, "demo", time_limit=10.0)
    reporter.report(5, objective=2.0, bound=1.0, gap=0.5)
    reporter.report(6, objective=1.5, final=True)
    assert all(isinstance(r, ProgressRecord) for r in records)
    assert records[0].remaining_s <= 10.0 and records[1].final and records[1].remaining_s is None
    assert "gap" in records[0].line()


def test_progress_true_writes_stderr_only(capsys):
    reporter = progress_reporter(True, "demo", max_iterations=100)
    reporter.report(10, objective=1.0, force=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "[demo]" in captured.err


@pytest.mark.parametrize("bad", ["yes", 3, 0.5])
def test_progress_rejects_non_bool_non_callable(bad):
    with pytest.raises(InputError, match="progress"):
        progress_reporter(bad, "demo")


@pytest.mark.parametrize("time_limit", [-1, 0, float("nan"), "x", True, 1 + 1j])
def test_bad_time_limits(time_limit):
    with pytest.raises(InputError, match="time_limit"):
        check_limits(time_limit=time_limit)


@pytest.mark.parametrize("max_iterations", [-1, 0, 2.5, "3", 2**70])
def test_bad_iteration_limits(max_iterations):
    with pytest.raises(InputError, match="max_iterations"):
        check_limits(max_iterations=max_iterations)


def test_good_limits():
    assert check_limits(None, None) == (None, None)
    assert check_limits(float("inf"), 3.0) == (None, 3)
    assert check_limits(2, 10) == (2.0, 10)


@pytest.mark.parametrize("seed", [2.5, -1, 2**70, True, "1", 3.0])
def test_bad_seeds(seed):
    with pytest.raises(InputError, match="seed"):
        check_seed(seed)


def test_seed_defaults_and_generators():
    assert check_seed(None) == 0 and check_seed(np.int64(7)) == 7
    generator = np.random.default_rng(1)
    assert check_seed(generator, allow_generator=True) is generator


@pytest.mark.parametrize("threads", [0, -1, 2.5, 10**6])
def test_bad_threads(threads):
    with pytest.raises(InputError, match="threads"):
        check_threads(threads)


def test_unknown_options_are_named():
    with pytest.raises(InputError, match="colour"):
        check_options("best", {"colour": 1}, ("gap",))


@pytest.mark.parametrize("value", ["3", [True, False], [1 + 1j], [[1], [1, 2]], [1, None]])
def test_arrays_refuse_meaning_changing_conversions(value):
    from evcore._validate import as_array

    with pytest.raises(InputError):
        as_array("x", value)


def test_every_subpackage_is_an_attribute():
    for name in ("joint", "choice", "grid", "assign", "siting", "results", "progress", "io", "solvers", "queueing"):
        assert getattr(evcore, name).__name__ == f"evcore.{name}"
