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


# --- the docstring examples are tests too -----------------------------------------------
DOCTESTED = ["evcore.results", "evcore.progress", "evcore.io._text", "evcore.errors", "evcore.solvers",
             "evcore.solvers._options", "evcore.solvers._model", "evcore.solvers._highs", "evcore.solvers._cut_loop"]


@pytest.mark.parametrize("module_name", DOCTESTED)
def test_docstring_examples_run(module_name):
    import doctest
    import importlib

    module = importlib.import_module(module_name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert tried > 0, f"{module_name} has no examples"
    assert failures == 0


# --- Result, traces and JSON --------------------------------------------------------------
@pytest.mark.parametrize("kwargs, field", [
    (dict(status=["optimal"]), "status"),
    (dict(objective="3"), "objective"),
    (dict(objective=1 + 2j), "objective"),
    (dict(objective=True), "objective"),
    (dict(bound=math.nan), "bound"),
    (dict(bound="x"), "bound"),
    (dict(gap=-0.1), "gap"),
    (dict(gap=math.nan), "gap"),
    (dict(iterations=-1), "iterations"),
    (dict(iterations=2.5), "iterations"),
    (dict(iterations=math.inf), "iterations"),
    (dict(wall_time=math.nan), "wall_time"),
    (dict(wall_time=-1.0), "wall_time"),
    (dict(trace=np.zeros(3)), "trace"),
    (dict(trace=[1, 2]), "trace"),
    (dict(seed=2.5), "seed"),
    (dict(seed=True), "seed"),
    (dict(method=None), "method"),
])
def test_result_refuses_malformed_contract_fields(kwargs, field):
    arguments = dict(status="feasible", objective=1.0) | kwargs
    with pytest.raises(InputError) as info:
        Result(**arguments)
    assert info.value.field == field


def test_result_stores_plain_python_numbers():
    result = Result(status="optimal", objective=np.float64(2.0), bound=np.float32(2.0), gap=np.float64(0.0),
                    iterations=np.int64(3), wall_time=np.float64(0.5), seed=np.int64(7))
    assert [type(v) for v in (result.objective, result.bound, result.gap, result.iterations, result.wall_time,
                              result.seed)] == [float, float, float, int, float, int]
    assert result.gap == 0.0 and json.loads(result.to_json())["iterations"] == 3
    for table in (["trace"], None, 3):
        if table is None:
            continue
        with pytest.raises(InputError, match="table"):
            result.to_frame(table)


def test_relative_gap_refuses_odd_values():
    with pytest.raises(InputError, match="sense"):
        relative_gap(1.0, 0.5, "minimise")
    with pytest.raises(InputError, match="objective"):
        relative_gap("1", 0.5)
    assert relative_gap(math.nan, 1.0) == math.inf


@pytest.mark.parametrize("columns, rows, field", [
    (("seconds", "objective"), [(1.0, 2.0, 3.0)], "rows"),
    (("seconds", "objective"), [(1.0,), (2.0,)], "rows"),
    (("seconds", "objective"), [(1.0, 2.0), (3.0,)], "rows"),
    (("seconds", "objective"), [("a", "b")], "rows"),
    (("seconds", "objective"), [(1j, 2.0)], "rows"),
    (("seconds", "objective"), [1.0, 2.0], "rows"),  # flat: which column is which?
    (("seconds", "objective"), 3.0, "rows"),
    (("seconds", "seconds"), [], "columns"),
    ((), [], "columns"),
    ("seconds", [], "columns"),
    (("seconds", 3), [], "columns"),
])
def test_make_trace_refuses_rows_that_do_not_fit(columns, rows, field):
    with pytest.raises(InputError) as info:
        make_trace(columns, rows)
    assert info.value.field == field


def test_make_trace_takes_generators_flat_single_columns_and_arrays():
    assert make_trace(("seconds",), (x / 2 for x in range(3)))["seconds"].tolist() == [0.0, 0.5, 1.0]
    assert make_trace(("a", "b"), np.ones((2, 2))).shape == (2,)
    assert make_trace(("a", "b")).shape == (0,) and make_trace(("a", "b"), np.empty((0, 2))).shape == (0,)


def test_trace_recorder_refuses_typos_and_text():
    trace = TraceRecorder(("iteration", "seconds"))
    with pytest.raises(InputError, match="secnds: not a column"):
        trace.append(iteration=1, secnds=0.5)
    with pytest.raises(InputError, match="seconds"):
        trace.append(iteration=1, seconds="0.5")
    trace.append(iteration=np.int64(2), seconds=np.float32(0.25))
    assert trace.array().tolist() == [(2.0, 0.25)] and len(trace) == 1


def test_to_jsonable_writes_everything_json_holds_and_names_what_it_cannot(tmp_path):
    import datetime
    import enum
    from decimal import Decimal
    from fractions import Fraction
    from pathlib import Path

    from evcore.results import to_jsonable

    class Colour(enum.Enum):
        RED = "red"

    data = {"path": Path("/tmp/x.json"), "when": datetime.datetime(2024, 5, 1, 12, 0), "colour": Colour.RED,
            "fraction": Fraction(1, 4), "decimal": Decimal("0.5"), "set": {3, 1}, "bytes": b"ok",
            "stamp": np.datetime64("2024-05-01T12:00:00.000000000"), "span": np.timedelta64(90, "s"),
            "stamps": np.array(["2024-05-01T12:00"], dtype="datetime64[ns]"), 1: "one", (0, 1): "pos",
            None: "none", "inf": -math.inf, "complex": np.array([1 + 1j]), "nested": [np.int8(1), (np.float16(0.5),)]}
    out = to_jsonable(data)
    text = json.dumps(out, allow_nan=False)
    assert json.loads(text)["stamps"] == ["2024-05-01T12:00:00.000000000"] and out["span"] == 90.0
    assert out["set"] == [1, 3] and out["1"] == "one" and out["(0, 1)"] == "pos" and out["null"] == "none"
    for bad, where in [({"a": object()}, "value['a']"), ([1, b"\xff"], "value[1]"), ({"k": {frozenset(): 1}}, "value['k']")]:
        with pytest.raises(InputError) as info:
            to_jsonable(bad)
        assert info.value.field == where
    loop = []
    loop.append(loop)
    with pytest.raises(InputError, match="contains itself"):
        to_jsonable(loop)


# --- progress: odd sinks, the quiet switch, a callable that raises ----------------------
@pytest.mark.parametrize("bad", [lambda: None, lambda a, b: None, 1, np.array([True]), "yes", [print]])
def test_progress_refuses_sinks_that_cannot_take_a_record(bad):
    with pytest.raises(InputError, match="progress"):
        progress_reporter(bad, "demo")
    for fine in (len, lambda record, extra=None: None, lambda *records: None):
        assert progress_reporter(fine, "demo").enabled


@pytest.mark.parametrize("kwargs, field", [
    (dict(time_limit=math.nan), "time_limit"), (dict(time_limit=-1.0), "time_limit"), (dict(time_limit="x"), "time_limit"),
    (dict(max_iterations=2.5), "max_iterations"), (dict(max_iterations=-1), "max_iterations"),
    (dict(interval_s=math.inf), "interval_s"), (dict(interval_s=None), "interval_s"), (dict(started="now"), "started"),
])
def test_progress_reporter_checks_its_limits(kwargs, field):
    with pytest.raises(InputError) as info:
        progress_reporter(True, "demo", **kwargs)
    assert info.value.field == field


def test_progress_numpy_bools_and_odd_report_values():
    assert progress_reporter(np.bool_(True), "demo").enabled and not progress_reporter(np.bool_(False), "demo").enabled
    reporter = progress_reporter(lambda record: None, "demo")
    for kwargs, field in [(dict(iteration=2.5), "iteration"), (dict(iteration=None), "iteration"),
                          (dict(iteration=1, objective="x"), "objective"), (dict(iteration=1, gap=1j), "gap")]:
        with pytest.raises(InputError) as info:
            reporter.report(**kwargs)
        assert info.value.field == field


def test_an_exception_in_a_progress_callable_propagates_with_a_note():
    class Abandon(Exception):
        pass

    def observer(record):
        if record.iteration == 3:
            raise Abandon("enough")

    reporter = progress_reporter(observer, "demo.method")
    reporter.report(1)
    with pytest.raises(Abandon, match="enough") as info:
        reporter.report(3)
    assert any("progress callable of demo.method" in note for note in info.value.__notes__)


def test_quiet_silences_lines_not_callables(capsys):
    from evcore import progress

    records = []
    previous = progress.set_quiet(True)
    try:
        line = progress_reporter(True, "demo")
        assert not line.enabled
        line.report(1, force=True, final=True)
        progress.write_line("a note")
        progress_reporter(records.append, "demo").report(1)
    finally:
        progress.set_quiet(previous)
    assert capsys.readouterr().err == "" and len(records) == 1
    with pytest.raises(InputError, match="quiet"):
        progress.set_quiet("yes")


# --- the command line: one line per argparse mistake -------------------------------------
ARGPARSE_MISTAKES = [
    ["stray"], ["--bogus"], ["assign", "--nope"], ["assign", "--evs", "x"], ["assign", "stray", "more"],
    ["queue"], ["queue", "mmc"], ["queue", "mmc", "-c", "x", "--arrival-rate", "1", "--service-rate", "1"],
    ["queue", "mmc", "-c", "2", "--arrival-rate", "1", "--service-rate", "1", "extra"], ["grid"], ["grid", "pf"],
    ["grid", "nope"], ["siting", "--method"], ["choice", "--users"], ["demo", "stray"], ["-q", "-v", "demo"],
]


@pytest.mark.parametrize("argv", ARGPARSE_MISTAKES, ids=lambda a: " ".join(a) or "nothing")
def test_every_argparse_error_is_one_line_with_a_hint(argv, capsys):
    from evcore.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1, captured.err
    assert lines[0].startswith("evcore") and "error:" in lines[0] and "--help" in lines[0]
    command = argv[:1] if not argv[0].startswith("-") else []
    if command and command[0] in ("assign", "queue", "grid", "siting", "choice", "demo"):
        assert f"evcore {command[0]}" in lines[0]  # the hint names the subcommand that complained


def test_no_command_prints_help_on_stderr(capsys):
    from evcore.cli import main

    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "usage: evcore" in captured.err


def test_quiet_flag_silences_progress_and_is_restored(capsys):
    from evcore import progress
    from evcore.cli import main

    assert main(["-q", "queue", "mmc", "-c", "2", "--arrival-rate", "1", "--service-rate", "1"]) == 0
    assert not progress.is_quiet()  # a library user in the same process gets lines again
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("package", ["joint", "choice", "grid", "assign", "siting"])
def test_every_method_package_has_the_one_solve_shape(package):
    """``solve(instance, method=..., *, time_limit, max_iterations, seed, progress, **options)`` (issue 13.2)."""
    import importlib
    import inspect

    solve = importlib.import_module(f"evcore.{package}").solve
    params = inspect.signature(solve).parameters
    names = list(params)
    assert names[:2] == ["instance", "method"]
    for keyword in ("time_limit", "max_iterations", "seed", "progress"):
        assert params[keyword].kind is inspect.Parameter.KEYWORD_ONLY and params[keyword].default in (None, False)
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
