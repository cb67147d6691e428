"""Hostile inputs for every public entry of the shared rooms: only evcore errors escape, nothing bad is kept.

- ``evcore.solvers``: Model, SolverOptions (fields and raw HiGHS ``extra`` options), solve (with starts
  and progress), Resolver.solve, cut_loop with separators returning poisoned rows, Cuts;
- ``evcore._validate``: every helper, with scalars and arrays of every awkward kind;
- ``evcore.io._text``: read_text on garbage bytes (binary, UTF-16 with and without a byte-order
  mark, truncated, huge tokens), parse_float/parse_int on arbitrary text, Tokens;
- ``evcore.results``: Result's contract fields, relative_gap, make_trace, TraceRecorder, to_jsonable
  on nested odd values (whatever it returns must go through ``json.dumps(allow_nan=False)``);
- ``evcore.progress``: progress_reporter with odd sinks and limits, report with odd values;
- the command line's parser: any argv either parses or is refused with one line and exit code 2.

Each "accept" predicate is an independent oracle: when a call returns, the input must have been
valid by a check written here without evcore's helpers, and the output must hold its promises.
Examples per property: ``EVCORE_FUZZ_EXAMPLES`` (default 60); the run is derandomized so CI sees the
same inputs every time (set ``EVCORE_FUZZ_RANDOM=1`` for a fresh hunt).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fuzz import (HOSTILE_SCALARS, assert_refused_or_valid, garbage_bytes, hostile_arrays, hostile_counts,
                   hostile_scalars, hostile_seeds, hostile_time_limits)
from evcore import _validate as v
from evcore.errors import EvcoreError, InputError
from evcore.io import _text
from evcore.progress import Progress, ProgressRecord, progress_reporter
from evcore.results import Result, TraceRecorder, make_trace, relative_gap, to_jsonable
from evcore.solvers import (LIMIT_OUTCOMES, SOLVER_CAPABILITIES, Cuts, Model, Resolver, SolverOptions,
                            available_solvers, cut_loop, solve)

PART = "shared"
EXAMPLES = int(os.environ.get("EVCORE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("EVCORE_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])

N, M = 3, 2  # columns and rows of the fuzzed models
GOOD_MODEL = dict(objective=[1.0, -1.0, 0.5], constraint_matrix=[[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]],
                  row_lower=[-np.inf, 0.5], row_upper=[2.0, 3.0], col_lower=[0.0, 0.0, 0.0],
                  col_upper=[1.0, 2.0, 3.0])
VECTOR_FIELDS = {"objective": (N,), "row_lower": (M,), "row_upper": (M,), "col_lower": (N,), "col_upper": (N,),
                 "integrality": (N,), "constraint_matrix": (M, N), "hessian": (N, N)}


# --- oracles written without evcore's helpers ---------------------------------------------------
def _real_array(value, shape):
    """``value`` as a float array of ``shape`` if it is plainly numbers (no text, bools, complex,
    None, ragged lists), else None."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        return None
    if raw.dtype.kind not in "iuf" or raw.shape != tuple(shape):
        return None
    return raw.astype(float)


def _is_real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _plain_numbers(value) -> bool:
    """Numbers only (Python ints past int64 included: numpy holds them as objects), nested lists
    of equal lengths; no text, bools, complex, None."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        return False
    if raw.dtype.kind in "iuf":
        return True
    return raw.dtype.kind == "O" and all(_is_real(x) for x in raw.reshape(-1))


def _model_is_sound(model):
    arrays_ok = (np.isfinite(model.objective).all() and not np.isnan(model.row_lower).any()
                 and not np.isnan(model.row_upper).any() and not np.isnan(model.col_lower).any()
                 and not np.isnan(model.col_upper).any() and (model.row_lower <= model.row_upper).all()
                 and (model.col_lower <= model.col_upper).all() and np.isfinite(model.constraint_matrix.data).all()
                 and model.constraint_matrix.dtype == np.float64)
    lower_inf = (model.col_lower == np.inf).any() or (model.row_lower == np.inf).any()
    upper_inf = (model.col_upper == -np.inf).any() or (model.row_upper == -np.inf).any()
    integrality = model.integrality is None or model.integrality.dtype == bool
    return arrays_ok and not lower_inf and not upper_inf and integrality and model.sense in ("min", "max") and \
        math.isfinite(model.objective_offset)


def _result_is_sound(result):
    return (result.status == "optimal" or result.status in LIMIT_OUTCOMES) and math.isfinite(result.objective) \
        and np.isfinite(result.x).all()


def _json_ready(value):
    json.dumps(value, allow_nan=False)
    return True


# --- evcore.solvers ----------------------------------------------------------------------------
@FUZZ
@given(field=st.sampled_from(sorted(VECTOR_FIELDS)), data=st.data())
def test_model_fields(field, data):
    value = data.draw(hostile_arrays(VECTOR_FIELDS[field]))
    model = assert_refused_or_valid(PART, Model, **dict(GOOD_MODEL, **{field: value}), accept=_model_is_sound)
    if model is not None:
        # an accepted model was plainly numbers of the right shape (booleans only as integrality;
        # None is the documented default of every field but the objective)
        raw = np.asarray(value)
        assert (value is None and field != "objective") or raw.dtype.kind in "iuf" or (
            field == "integrality" and raw.dtype.kind == "b"), value
        assert_refused_or_valid(PART, solve, model, SolverOptions(time_limit=5.0), accept=_result_is_sound)


@FUZZ
@given(field=st.sampled_from(["sense", "objective_offset"]), value=hostile_scalars())
def test_model_scalars(field, value):
    model = assert_refused_or_valid(PART, Model, **dict(GOOD_MODEL, **{field: value}), accept=_model_is_sound)
    if model is not None:
        assert (value in ("min", "max")) if field == "sense" else (_is_real(value) and math.isfinite(value))


@FUZZ
@given(data=st.data())
def test_sparse_matrices_of_odd_dtypes(data):
    dtype = data.draw(st.sampled_from([np.float64, np.float32, np.int64, np.int8, bool, np.complex128, object]))
    values = data.draw(st.lists(st.sampled_from([0.0, 1.0, -2.0, np.nan, np.inf, 1e16, 1e-12]), min_size=6,
                                max_size=6))
    dense = np.array(values).reshape(M, N)
    try:
        with np.errstate(invalid="ignore"):
            cast = dense.astype(dtype)  # NaN into an integer dtype is numpy's garbage integer
        matrix = sp.csr_array(cast)
    except (TypeError, ValueError):
        return
    model = assert_refused_or_valid(PART, Model, **dict(GOOD_MODEL, constraint_matrix=matrix), accept=_model_is_sound)
    if model is not None:
        assert np.dtype(dtype).kind in "iuf" and np.isfinite(cast.astype(float)).all()
        assert_refused_or_valid(PART, solve, model, accept=_result_is_sound)


OPTION_FIELDS = ("time_limit", "threads", "solver", "verbose", "mip_rel_gap", "presolve")


def _options_are_sound(options):
    return ((options.time_limit is None or (isinstance(options.time_limit, float) and options.time_limit >= 0))
            and (options.threads is None or (type(options.threads) is int and 1 <= options.threads <= v.MAX_THREADS))
            and options.solver in available_solvers() and type(options.verbose) is bool
            and type(options.mip_rel_gap) is float and 0 <= options.mip_rel_gap < math.inf
            and options.presolve in ("choose", "on", "off")
            and all(type(x) in (bool, int, float, str) and x == x for x in options.extra.values()))


@FUZZ
@given(field=st.sampled_from(OPTION_FIELDS),
       value=st.one_of(hostile_scalars(), st.sampled_from(sorted(SOLVER_CAPABILITIES) + ["on", "off", "MIN", ""]),
                       st.integers(-3, 10**7)))
def test_solver_options_fields(field, value):
    options = assert_refused_or_valid(PART, SolverOptions, **{field: value}, accept=_options_are_sound)
    if options is not None and field == "threads":
        assert value is None or (_is_real(value) and 1 <= value <= 256)


OPTION_NAMES = ["random_seed", "mip_max_nodes", "simplex_iteration_limit", "primal_feasibility_tolerance",
                "mip_feasibility_tolerance", "log_to_console", "write_model_file", "objective_bound",
                "infinite_cost", "small_matrix_value", "mip_heuristic_effort", "no_such_option", "threads",
                "time_limit", ""]


@FUZZ
@given(name=st.one_of(st.sampled_from(OPTION_NAMES), st.text(max_size=8), st.integers()),
       value=st.one_of(hostile_scalars(), st.sampled_from([np.int64(3), np.float32(0.5), np.bool_(True), "1e-6",
                                                           "off", 1e-7, 10, 0.0])))
def test_solver_options_extra(name, value):
    options = assert_refused_or_valid(PART, SolverOptions, extra={name: value}, accept=_options_are_sound)
    if options is not None:
        stored = options.extra[name]
        # no text parsed as a number, no bool taken as a number or a number as a bool
        assert isinstance(value, (str, np.str_)) == isinstance(stored, str)
        assert isinstance(value, (bool, np.bool_)) == isinstance(stored, bool)
        assert_refused_or_valid(PART, solve, Model(**GOOD_MODEL), options)


@FUZZ
@given(start=hostile_arrays((N,)), progress=st.one_of(st.sampled_from([True, False, None, "yes", 1, 0.5]),
                                                      st.just(lambda record: None)))
def test_solve_start_and_progress(start, progress):
    with contextlib.redirect_stderr(io.StringIO()):
        result = assert_refused_or_valid(PART, solve, Model(**GOOD_MODEL), start=start, progress=progress,
                                         accept=_result_is_sound)
    if result is not None and start is not None:
        raw = _real_array(start, (N,))
        assert raw is not None and np.isfinite(raw).all() and (raw >= 0).all()
        assert progress in (True, False, None) or callable(progress)


@FUZZ
@given(field=st.sampled_from(["objective", "row_lower", "row_upper"]), data=st.data())
def test_resolver_vectors(field, data):
    resolver = Resolver(Model(**GOOD_MODEL))
    size = N if field == "objective" else M
    value = data.draw(st.one_of(hostile_arrays((size,)), hostile_arrays((size + 1,)), hostile_scalars()))
    result = assert_refused_or_valid(PART, resolver.solve, **{field: value})
    if result is not None and value is not None:  # None keeps the current vector
        raw = _real_array(value, (size,))
        assert raw is not None, value  # the wrong length solved a different model before
        if field == "objective":
            assert np.isfinite(raw).all() and math.isfinite(result.objective)
        else:
            assert not np.isnan(raw).any()
            other = GOOD_MODEL["row_upper" if field == "row_lower" else "row_lower"]
            lower, upper = (raw, np.asarray(other)) if field == "row_lower" else (np.asarray(other), raw)
            assert (lower <= upper).all()
    if result is None:  # refused, or a valid member without a solution: ask a fresh resolver which
        try:
            Resolver(Model(**GOOD_MODEL)).solve(**{field: value})
        except InputError:  # a refusal changed nothing: the resolver still solves its kept model
            assert resolver.solve().status == "optimal"
        except EvcoreError:  # an infeasible or unbounded member stays the current one
            pass


def _poisoned_cuts(data):
    rows = data.draw(st.integers(0, 2))
    width = data.draw(st.sampled_from([N, N, N + 1, N - 1]))
    matrix = data.draw(st.one_of(hostile_arrays((max(rows, 1), width)), st.just(np.ones((rows, N)))))
    lower = data.draw(st.one_of(hostile_arrays((max(rows, 1),)), st.just(np.full(rows, -np.inf)),
                                st.sampled_from([None, [np.inf] * rows, "x"])))
    upper = data.draw(st.one_of(hostile_arrays((max(rows, 1),)), st.just(np.full(rows, 0.5))))
    shape = data.draw(st.sampled_from(["triple", "cuts", "list", "pair", "none", "array"]))
    if shape == "triple":
        return (matrix, lower, upper)
    if shape == "list":
        return [matrix, lower, upper]
    if shape == "pair":
        return (matrix, lower)
    if shape == "none":
        return None
    if shape == "array":
        return np.ones(3)
    try:
        return Cuts(matrix, lower, upper)
    except EvcoreError:
        return None


@FUZZ
@given(data=st.data())
def test_cut_loop_separators(data):
    returned = _poisoned_cuts(data)

    def separate(x):
        return returned

    result = assert_refused_or_valid(PART, cut_loop, Model(**GOOD_MODEL), separate, max_rounds=3)
    if result is not None:
        assert np.isfinite(result.x).all() and math.isfinite(result.objective)
        if isinstance(returned, (tuple, list)) and len(returned) == 3:
            matrix = _real_array(returned[0], np.shape(returned[0]))
            assert matrix is not None and (matrix.size == 0 or (matrix.ndim == 2 and matrix.shape[1] == N))
            assert matrix.size == 0 or np.isfinite(matrix).all()


@FUZZ
@given(kwargs=st.fixed_dictionaries({"max_rounds": st.one_of(hostile_counts(), st.just(2)),
                                     "time_limit": st.one_of(hostile_time_limits(), st.just(None)),
                                     "tolerance": st.one_of(hostile_scalars(), st.just(1e-7))}))
def test_cut_loop_arguments(kwargs):
    result = assert_refused_or_valid(PART, cut_loop, Model(**GOOD_MODEL), lambda x: None, **kwargs)
    if result is not None:
        assert type(kwargs["max_rounds"]) is int and kwargs["max_rounds"] >= 1
        assert _is_real(kwargs["tolerance"]) and 0 <= kwargs["tolerance"] < math.inf


# --- evcore._validate ----------------------------------------------------------------------
ARRAY_CHECKS = {
    "check_finite": lambda a: np.isfinite(a).all(),
    "check_nonnegative": lambda a: np.isfinite(a).all() and (a >= 0).all(),
    "check_positive": lambda a: np.isfinite(a).all() and (a > 0).all(),
    "check_probability": lambda a: ((a >= 0) & (a <= 1)).all(),
    "check_distribution": lambda a: ((a >= 0) & (a <= 1)).all() and abs(a.sum() - 1) <= 1e-9,
    "check_integer": lambda a: a.dtype == np.int64,
}


@FUZZ
@given(check=st.sampled_from(sorted(ARRAY_CHECKS)), value=st.one_of(hostile_arrays((3,)), hostile_scalars(),
                                                                     st.just(np.array([0.2, 0.3, 0.5]))))
def test_validate_array_checks(check, value):
    def run(value):
        return getattr(v, check)("x", v.as_array("x", value))

    out = assert_refused_or_valid(PART, run, value, accept=ARRAY_CHECKS[check])
    if out is not None:
        assert _plain_numbers(value), value


@FUZZ
@given(value=st.one_of(hostile_scalars(), hostile_arrays((2,))),
       dtype=st.sampled_from([float, int, np.uint8, np.int32, None]), allow_bool=st.booleans())
def test_validate_as_array(value, dtype, allow_bool):
    out = assert_refused_or_valid(PART, v.as_array, "x", value, dtype=dtype, allow_bool=allow_bool)
    if out is not None and dtype is not None:
        raw = np.asarray(value, dtype=object).reshape(-1)
        for item in raw:
            assert not isinstance(item, (str, bytes, complex)) and item is not None
            assert allow_bool or not isinstance(item, (bool, np.bool_))
        if np.dtype(dtype).kind in "iu":
            assert np.array_equal(out.astype(float), np.asarray(value, dtype=float))  # nothing truncated


@FUZZ
@given(value=hostile_scalars(), dtype=st.sampled_from([float, int]))
def test_validate_as_scalar(value, dtype):
    out = assert_refused_or_valid(PART, v.as_scalar, "x", value, dtype)
    if out is not None:
        assert _is_real(value) or (isinstance(value, np.ndarray) and value.ndim == 0)
        assert out == (float(value) if dtype is float else value) or (out != out and value != value)


@FUZZ
@given(time_limit=st.one_of(hostile_time_limits(), hostile_scalars()),
       max_iterations=st.one_of(hostile_counts(), hostile_scalars()))
def test_validate_limits(time_limit, max_iterations):
    out = assert_refused_or_valid(PART, v.check_limits, time_limit, max_iterations)
    if out is not None:
        limit, iterations = out
        assert limit is None or (type(limit) is float and 0 < limit < math.inf)
        assert iterations is None or (type(iterations) is int and iterations >= 1)
        assert time_limit is None or _is_real(time_limit)


@FUZZ
@given(seed=st.one_of(hostile_seeds(), hostile_scalars()), threads=st.one_of(hostile_counts(), hostile_scalars()),
       gap=hostile_scalars(), flag=hostile_scalars())
def test_validate_seed_threads_gap_flag(seed, threads, gap, flag):
    out = assert_refused_or_valid(PART, v.check_seed, seed)
    if out is not None:
        assert type(out) is int and 0 <= out < 2**63 and (seed is None or not isinstance(seed, float))
    out = assert_refused_or_valid(PART, v.check_threads, threads)
    if out is not None:
        assert type(out) is int and 1 <= out <= v.MAX_THREADS
    out = assert_refused_or_valid(PART, v.check_gap, gap)
    if out is not None:
        assert 0 <= out < math.inf and _is_real(gap)
    out = assert_refused_or_valid(PART, v.check_flag, "flag", flag)
    if out is not None:
        assert type(out) is bool and (isinstance(flag, (bool, np.bool_)) or flag in (0, 1))


@FUZZ
@given(value=hostile_scalars(), options=st.dictionaries(st.text(max_size=4), st.integers(), max_size=3))
def test_validate_choice_and_options(value, options):
    out = assert_refused_or_valid(PART, v.check_choice, "x", value, ("a", "b", 3))
    if out is not None:
        assert out in ("a", "b", 3)
    out = assert_refused_or_valid(PART, v.check_options, "demo", options, ("gap", "seed"))
    if out is not None:
        assert set(out) <= {"gap", "seed"}


@FUZZ
@given(value=hostile_arrays((3,)), low=hostile_scalars(), high=hostile_scalars())
def test_validate_in_range(value, low, high):
    def run(value, low, high):
        return v.check_in_range("x", v.as_array("x", value), v.as_scalar("low", low), v.as_scalar("high", high))

    out = assert_refused_or_valid(PART, run, value, low, high)
    if out is not None:
        assert (out >= float(low)).all() and (out <= float(high)).all() and not np.isnan(out).any()


# --- evcore.io._text -------------------------------------------------------------------------
def _read(content: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.txt")
        with open(path, "wb") as handle:
            handle.write(content)
        return _text.read_text(path)


UTF16_NO_BOM = "12 3\n4 5\n".encode("utf-16-le")


@FUZZ
@given(content=st.one_of(garbage_bytes(), st.just(UTF16_NO_BOM), st.just("1 2\n".encode("utf-32")),
                         st.text(max_size=40).map(lambda t: t.encode("utf-8")),
                         st.text(max_size=20).map(lambda t: t.encode("latin-1", "replace")),
                         st.just(b"\xef\xbb\xbf1 2\n"), st.just(b"9" * 100_000)))
def test_read_text_on_garbage_bytes(content):
    text = assert_refused_or_valid(PART, _read, content)
    if text is not None:
        assert b"\x00" not in content and content[:2] not in (b"\xff\xfe", b"\xfe\xff")
        assert text == content.decode("utf-8").removeprefix("\ufeff")


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null", "/no/such/file", "", "a\x00b", "x" * 5000, 3, None,
                                  b"/etc/hostname", "/"])
def test_read_text_on_odd_paths(path):
    # /dev/zero would never end; a NUL or a 5000-character name made Path.exists() raise
    assert assert_refused_or_valid(PART, _text.read_text, path) is None


NUMBER_TOKENS = st.one_of(st.text(max_size=12), st.from_regex(r"\A[+-]?[0-9]{1,5}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,3})?\Z"),
                          st.sampled_from(["nan", "-inf", "Infinity", "1e400", "1_000", "\u0663", "\uff11", "0x10",
                                           "49.5", " 7 ", "", "+", "-.5", "5.", "1e", "9" * 500, "9" * 19, "-" + "9" * 18,
                                           "1e-400", "4e1", "٣"]),
                          st.floats().map(repr), st.integers().map(str))


@FUZZ
@given(token=st.one_of(NUMBER_TOKENS, st.sampled_from([b"1.5", 3, 2.5, None, True])))
def test_parse_float_and_int(token):
    out = assert_refused_or_valid(PART, _text.parse_float, token, source="f.txt", line=2, field="cost")
    if out is not None:
        text = token.strip()
        assert isinstance(token, str) and text.isascii() and "_" not in text and not text.lower().startswith("0x")
        assert math.isfinite(out) and out == float(text)
    out = assert_refused_or_valid(PART, _text.parse_int, token, source="f.txt", line=2, field="count")
    if out is not None:
        text = token.strip().lstrip("+-")
        assert isinstance(token, str) and text.isascii() and text.isdigit() and -(2**63) <= out < 2**63
        assert out == int(token)


@FUZZ
@given(text=st.one_of(st.text(max_size=30), st.sampled_from(["", "   \n", "1 2\n3", "2 3\n1.5 nan", "1\x002"])),
       count=st.one_of(st.integers(-2, 6), st.sampled_from([2.5, True, None, 10**12])),
       comment=st.sampled_from([None, "#", "", 3]))
def test_tokens(text, count, comment):
    def run(text, count, comment):
        tokens = _text.Tokens(text, source="f.txt", comment=comment)
        out = (tokens.ints(count, "n"), tokens.floats(count, "x"))
        tokens.expect_end()
        return out

    out = assert_refused_or_valid(PART, run, text, count, comment)
    if out is not None:
        ints, floats = out
        assert type(count) is int and count >= 0 and len(ints) == len(floats) == count
        assert np.isfinite(floats).all()
    assert_refused_or_valid(PART, _text.Tokens, text.encode("utf-8"))  # bytes are not text


# --- evcore.results ----------------------------------------------------------------------------
RESULT_FIELDS = ("status", "objective", "bound", "gap", "iterations", "wall_time", "seed", "method", "trace")


@FUZZ
@given(field=st.sampled_from(RESULT_FIELDS),
       value=st.one_of(hostile_scalars(), st.sampled_from(["optimal", "converged", np.float64(2.0), np.int64(3),
                                                           np.zeros(2), make_trace(("seconds",))])))
def test_result_fields(field, value):
    result = assert_refused_or_valid(PART, Result, **dict(dict(status="feasible", objective=1.0), **{field: value}),
                                     accept=lambda r: _json_ready(r.to_dict()) and _json_ready(r.summary()))
    if result is not None and field in ("bound", "gap"):
        assert value is None or (_is_real(value) and value == value)
    if result is not None and field == "iterations":
        assert _is_real(value) and value >= 0 and float(value).is_integer()


@FUZZ
@given(objective=hostile_scalars(), bound=hostile_scalars(), sense=st.sampled_from(["min", "max", "MIN", None, 1]))
def test_relative_gap(objective, bound, sense):
    out = assert_refused_or_valid(PART, relative_gap, objective, bound, sense)
    if out is not None:
        assert out >= 0 and sense in ("min", "max")


@FUZZ
@given(columns=st.one_of(st.sampled_from([("seconds", "objective"), ("seconds",), (), ("a", "a"), "ab", None]),
                         st.lists(st.text(max_size=3), max_size=3)),
       rows=st.one_of(hostile_arrays((2, 2)), hostile_arrays((2,)), st.lists(st.tuples(hostile_scalars()), max_size=3),
                      st.just([(1.0, 2.0), (3.0,)])))
def test_make_trace(columns, rows):
    out = assert_refused_or_valid(PART, make_trace, columns, rows)
    if out is not None:
        assert out.dtype.names and all(out.dtype[name] == np.float64 for name in out.dtype.names)
        flat = np.asarray(rows, dtype=object).reshape(-1) if out.size else []
        assert all(_is_real(x) or isinstance(x, (bool, np.bool_)) for x in flat)
        assert out.size * len(out.dtype.names) == len(flat)  # nothing dropped or invented


@FUZZ
@given(values=st.dictionaries(st.sampled_from(["iteration", "seconds", "objective", "objectiv", ""]),
                              hostile_scalars(), max_size=4))
def test_trace_recorder(values):
    trace = TraceRecorder(("iteration", "seconds", "objective"))
    out = assert_refused_or_valid(PART, trace.append, **values)
    if len(trace):
        assert set(values) <= {"iteration", "seconds", "objective"}
        assert all(value is None or _is_real(value) for value in values.values())
        assert out is None and trace.array().shape == (1,)


def _odd_leaves():
    import datetime
    import enum
    import pathlib
    from decimal import Decimal
    from fractions import Fraction

    class Colour(enum.Enum):
        RED = "red"

    return st.one_of(hostile_scalars(), st.sampled_from([
        np.float32(1.5), np.int16(-3), np.bool_(False), np.datetime64("2024-01-01"), np.timedelta64(5, "ms"),
        np.array([1 + 2j]), np.array([np.nan, np.inf]), make_trace(("s",), [1.0]), b"bytes", b"\xff\xfe",
        bytearray(b"ok"), pathlib.Path("/tmp/a"), datetime.date(2024, 1, 1), Colour.RED, Decimal("1.5"),
        Decimal("NaN"), Fraction(1, 3), object(), {1, 2}, frozenset(), range(3), np.str_("s"), Ellipsis]))


@FUZZ
@given(value=st.recursive(_odd_leaves(), lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner),
    st.dictionaries(st.one_of(st.text(max_size=3), st.integers(), st.none(), st.floats(), st.tuples(st.integers())),
                    inner, max_size=3)), max_leaves=8))
def test_to_jsonable_never_leaves_json_to_fail(value):
    assert_refused_or_valid(PART, to_jsonable, value, accept=_json_ready)


# --- evcore.progress ------------------------------------------------------------------------
@FUZZ
@given(sink=st.one_of(hostile_scalars(), st.sampled_from([lambda: None, lambda r: None, lambda *a: None, len,
                                                          lambda a, b: None, np.bool_(True), print])),
       method=st.one_of(st.text(max_size=5), hostile_scalars()),
       time_limit=st.one_of(hostile_time_limits(), st.just(None), st.just(2.0)),
       max_iterations=st.one_of(hostile_counts(), st.just(None), st.just(5)),
       interval_s=st.one_of(hostile_scalars(), st.just(1.0)))
def test_progress_reporter(sink, method, time_limit, max_iterations, interval_s):
    reporter = assert_refused_or_valid(PART, progress_reporter, sink, method, time_limit=time_limit,
                                       max_iterations=max_iterations, interval_s=interval_s)
    if reporter is not None:
        assert isinstance(reporter, Progress) and isinstance(method, str)
        assert sink is None or sink is False or sink is True or isinstance(sink, np.bool_) or callable(sink)
        assert time_limit is None or (_is_real(time_limit) and time_limit >= 0)


@FUZZ
@given(iteration=hostile_scalars(), objective=hostile_scalars(), gap=hostile_scalars(),
       message=st.one_of(st.text(max_size=5), hostile_scalars()))
def test_progress_report_values(iteration, objective, gap, message):
    records = []
    reporter = progress_reporter(records.append, "demo", time_limit=1.0, max_iterations=10)
    assert_refused_or_valid(PART, reporter.report, iteration, objective=objective, gap=gap, message=message)
    if records:
        record = records[0]
        assert isinstance(record, ProgressRecord) and type(record.iteration) is int
        assert _is_real(iteration) and float(iteration).is_integer()
        assert objective is None or _is_real(objective)
        record.line()  # formats whatever was accepted


# --- the command line's parser -------------------------------------------------------------
ARGV_WORDS = ["queue", "mmc", "loss", "assign", "choice", "siting", "grid", "pf", "sensitivity", "joint", "demo",
              "-c", "2,3", "--arrival-rate", "1", "--service-rate", "x", "--evs", "-1", "--method", "exact",
              "--format", "xml", "csv", "-o", "--seed", "2.5", "-q", "-v", "--nope", "stray", "", "--time-limit",
              "--times", "0,1", "--stations", "--users", "--points"]


@FUZZ
@given(argv=st.lists(st.sampled_from(ARGV_WORDS), max_size=6))
def test_cli_parser_refuses_in_one_line(argv):
    from evcore.cli import build_parser

    stderr = io.StringIO()

    def parse(argv):
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            try:
                return build_parser().parse_args(argv)
            except SystemExit as exc:
                return exc.code

    out = assert_refused_or_valid(PART, parse, argv)
    if isinstance(out, int):
        lines = stderr.getvalue().strip().splitlines()
        assert out == 2 and len(lines) == 1, stderr.getvalue()
        assert lines[0].startswith("evcore") and "error:" in lines[0] and "--help" in lines[0]
