"""Property-based fuzzing of every public function of evcore.queueing and the ``evcore queue`` CLI.

Every probe feeds hostile values (NaN, inf, negatives, sizes past the documented limits, empty
and wrongly shaped arrays, ragged lists, booleans, complex numbers, text, None) and requires
that only evcore's own errors escape and that a call which returns was given valid input and
returned finite figures (or the documented inf of an unstable queue).
"""

import json
import math
import numbers

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _fuzz import assert_refused_or_valid, hostile_arrays, hostile_counts, hostile_scalars
from evcore import queueing
from evcore.cli import main
from evcore.queueing import MAX_SERVERS

PART = "queueing"
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def as_plain_floats(value):
    """``value`` as floats if every entry is a plain real number (no bool, text, complex, None,
    ragged lists), else None: what evcore must take as numbers."""
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - ragged input
        return None
    if arr.dtype.kind == "O":
        if not all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in arr.reshape(-1)):
            return None
    elif arr.dtype.kind not in "iuf":
        return None
    try:
        with np.errstate(all="ignore"):
            return arr.astype(float)
    except (OverflowError, ValueError, TypeError):
        return None


def good_real(value, *, positive=False) -> bool:
    """A finite real (>= 0, or > 0) every entry point must accept as a number."""
    arr = as_plain_floats(value)
    return arr is not None and bool(np.isfinite(arr).all() and ((arr > 0).all() if positive else (arr >= 0).all()))


def good_count(value, minimum: int) -> bool:
    arr = as_plain_floats(value)
    return arr is not None and bool(np.isfinite(arr).all() and (arr == np.round(arr)).all()
                                    and (arr >= minimum).all() and (arr <= MAX_SERVERS).all())


def finite_or_inf(result) -> bool:
    values = np.asarray(result, dtype=float)
    return not np.isnan(values).any()


def values():
    return st.one_of(hostile_scalars(), hostile_counts(), hostile_arrays((3,)),
                     st.integers(0, 50), st.floats(0, 60), st.sampled_from([MAX_SERVERS + 1, 10**12, 3.0, 7]))


@FUZZ
@given(c=values(), a=values(), which=st.sampled_from(["erlang_b", "erlang_c"]))
def test_erlang(c, a, which):
    call = getattr(queueing, which)
    minimum = 0 if which == "erlang_b" else 1
    result = assert_refused_or_valid(PART, call, c, a, accept=finite_or_inf)
    if result is not None:
        assert good_count(c, minimum) and good_real(a), (c, a)
        assert ((0 <= np.asarray(result)) & (np.asarray(result) <= 1)).all()


@FUZZ
@given(c=values(), arrival=values(), service=values(), unit=st.one_of(st.just("h"), hostile_scalars()))
def test_mmc(c, arrival, service, unit):
    result = assert_refused_or_valid(PART, queueing.mmc, c, arrival, service, time_unit=unit)
    if result is not None:
        assert good_count(c, 1) and good_real(arrival) and good_real(service, positive=True) and isinstance(unit, str)
        assert not np.isnan(np.asarray(result.wait, dtype=float)).any()
        json.dumps(result.to_dict())


@FUZZ
@given(t=values())
def test_service_level(t):
    result = queueing.mmc([3, 4, 5], 3.5, 1.0)
    level = assert_refused_or_valid(PART, result.service_level, t, accept=finite_or_inf)
    if level is not None:
        arr = as_plain_floats(t)
        assert arr is not None and not np.isnan(arr).any() and (arr >= 0).all()


@FUZZ
@given(arrival=values(), service=values(), target=values())
def test_min_servers(arrival, service, target):
    answer = assert_refused_or_valid(PART, queueing.min_servers, arrival, service, target)
    if answer is not None:
        assert good_real(arrival) and good_real(service, positive=True) and good_real(target, positive=True)
        assert (np.asarray(answer) >= 1).all() and (np.asarray(answer) <= MAX_SERVERS).all()


def times():
    return st.one_of(hostile_arrays((3,)), hostile_scalars(), st.just([]), st.just([0.0, 0.5, 2.0]),
                     st.just([1e9]), st.just([[1.0]]))


@FUZZ
@given(c=values(), arrival=values(), service=values(), at=times(), start=st.one_of(st.just(0), hostile_scalars()),
       truncation=st.one_of(st.just(1e-16), hostile_scalars()),
       which=st.sampled_from(["loss_transient", "free_server_probability", "loss_table"]))
def test_loss_transients(c, arrival, service, at, start, truncation, which):
    call = getattr(queueing, which)
    out = assert_refused_or_valid(PART, call, c, arrival, service, at, start, truncation=truncation)
    if out is not None:
        assert isinstance(c, numbers.Real) and not isinstance(c, bool) and good_count(c, 1)
        assert good_real(arrival) and good_real(service) and 0 < truncation < 1
        law = out.law if which == "loss_table" else out
        assert not np.isnan(law).any() and (law >= -1e-12).all() and (law <= 1 + 1e-12).all()


@FUZZ
@given(c=values(), a=values())
def test_loss_stationary(c, a):
    law = assert_refused_or_valid(PART, queueing.loss_stationary, c, a)
    if law is not None:
        assert good_count(c, 1) and good_real(a) and np.isclose(law.sum(), 1.0)


def generators():
    good = np.array([[-1.0, 1.0], [2.0, -2.0]])
    return st.one_of(hostile_arrays((2, 2)), st.just(good), st.just(good.tolist()), st.just([[0.0]]),
                     st.just(np.array([[-1.0, 2.0], [1.0, -1.0]])), st.just([[1.0, -1.0], [0.0, 0.0]]))


@FUZZ
@given(generator=generators(), initial=st.one_of(st.just([1.0, 0.0]), hostile_arrays((2,))), at=times())
def test_transient(generator, initial, at):
    out = assert_refused_or_valid(PART, queueing.transient, generator, initial, at)
    if out is not None:
        q = np.asarray(generator, dtype=float)
        assert np.isfinite(q).all() and np.allclose(q.sum(axis=1), 0) and good_real(initial)
        assert not np.isnan(out).any()


CLI_VALUES = ["", "x", "nan", "-1", "1e400", "0", "3", "1,2", "4,,5", "1000000000000", "2.5", "inf", " "]


FLAGS = {"mmc": ["-c", "--arrival-rate", "--service-rate", "--target-wait", "--wait-limit"],
         "loss": ["-c", "--arrival-rate", "--service-rate", "--times", "--initial-state"]}


@FUZZ
@given(kind_flag=st.sampled_from([(k, f) for k, flags in FLAGS.items() for f in flags]),
       value=st.sampled_from(CLI_VALUES))
def test_cli(kind_flag, value, capsys):
    kind, flag = kind_flag
    argv = {"mmc": ["queue", "mmc", "-c", "3", "--arrival-rate", "2", "--service-rate", "1"],
            "loss": ["queue", "loss", "-c", "3", "--arrival-rate", "2", "--service-rate", "1", "--times", "0,1"]}[kind]
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv = argv + [flag, value]
    try:
        code = assert_refused_or_valid(PART, main, argv)
    except SystemExit as exit_:  # argparse: a bad flag
        code = exit_.code
    captured = capsys.readouterr()
    assert code in (0, 2), (argv, code, captured.err)
    if code == 2:
        assert captured.out == "" and len(captured.err.strip().splitlines()) == 1, captured.err
    else:
        json.loads(captured.out)


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, True, "3", 1 + 1j, None, 10**400])
def test_every_fast_path_refuses(value):
    for call in (lambda: queueing.erlang_b(value, 1.0), lambda: queueing.erlang_b(3, value),
                 lambda: queueing.erlang_c(value, 1.0), lambda: queueing.erlang_c(3, value)):
        assert assert_refused_or_valid(PART, call) is None
