"""The shared validation helpers and the exception types."""

import pickle

import numpy as np
import pytest

from evcore import _validate as v
from evcore.errors import InfeasibleError, InputError, SolverError, UnboundedError


def test_input_error_is_a_value_error_naming_field_index_problem():
    error = InputError("capacity_kw", "must be non-negative, got -1.0", (2, 3))
    assert isinstance(error, ValueError)
    assert str(error) == "capacity_kw[2, 3]: must be non-negative, got -1.0"
    assert (error.field, error.index) == ("capacity_kw", (2, 3))
    assert str(InputError("budget", "must be positive")) == "budget: must be positive"


@pytest.mark.parametrize(
    "error",
    [
        InputError("x", "bad", 4),
        InfeasibleError("demand at zone 3 cannot be served", "Infeasible"),
        UnboundedError("cost can decrease forever", "Unbounded"),
        SolverError("HiGHS failed", "Solve error"),
    ],
)
def test_errors_survive_pickling(error):
    """Errors raised in worker processes (Ray, multiprocessing) must arrive intact."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)


def test_solver_and_infeasible_errors_carry_status():
    assert SolverError("HiGHS failed", "Solve error").status == "Solve error"
    error = InfeasibleError("budget short by 1200.0", "Infeasible")
    assert error.reason == "budget short by 1200.0" and "Infeasible" in str(error)


def test_first_offending_index_is_reported():
    with pytest.raises(InputError, match=r"rates\[1, 2\]: must be non-negative, got -3.0"):
        v.check_nonnegative("rates", np.array([[1.0, 2.0, 3.0], [4.0, 5.0, -3.0]]))
    with pytest.raises(InputError, match=r"share\[1\]: must lie in \[0.0, 1.0\], got 1.5"):
        v.check_probability("share", np.array([0.2, 1.5]))
    with pytest.raises(InputError, match=r"flow\[0\]: must be finite, got inf"):
        v.check_finite("flow", np.array([np.inf]))
    with pytest.raises(InputError, match=r"count\[2\]: must be an integer, got 2.5"):
        v.check_integer("count", np.array([1.0, 2.0, 2.5]))
    with pytest.raises(InputError, match=r"piles\[0\]: must be at least 1, got 0"):
        v.check_integer("piles", np.array([0, 3]), minimum=1)
    with pytest.raises(InputError, match=r"rate: must be positive, got 0.0"):
        v.check_positive("rate", np.array(0.0))


def test_nan_is_never_accepted():
    for check in (v.check_nonnegative, v.check_positive, v.check_probability):
        with pytest.raises(InputError, match="nan"):
            check("x", np.array([0.5, np.nan]))
    with pytest.raises(InputError, match="must be a number"):
        v.check_nonnegative("x", np.array([np.nan]), allow_inf=True)
    assert np.isinf(v.check_nonnegative("x", np.array([np.inf]), allow_inf=True)).all()


def test_shapes_and_conversion():
    assert v.as_array("x", [[1, 2], [3, 4]], shape=(2, None)).shape == (2, 2)
    with pytest.raises(InputError, match=r"x: expected shape \(3, any\), got \(2, 2\)"):
        v.as_array("x", [[1, 2], [3, 4]], shape=(3, None))
    with pytest.raises(InputError, match="must have 1 dimension"):
        v.as_array("x", [[1.0]], ndim=1)
    with pytest.raises(InputError, match="got text"):
        v.as_array("x", ["a", "b"])
    with pytest.raises(InputError, match="sum to 1"):
        v.check_distribution("p", np.array([0.5, 0.6]))
    assert v.as_scalar("n", 3.0, int) == 3 and isinstance(v.as_scalar("n", 3.0, int), int)
    with pytest.raises(InputError, match="boolean"):
        v.as_scalar("n", True, int)
    with pytest.raises(InputError, match="booleans"):
        v.check_integer("n", np.array([True, False]))
    assert v.check_integer("n", np.array([2.0, 3.0])).dtype == np.int64


def test_nothing_is_modified_or_clipped():
    data = np.array([0.0, 0.5, 1.0])
    out = v.check_probability("p", data)
    assert out is data and list(out) == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("value, dtype, text", [
    (-1, np.uint8, "non-negative"), (300, np.int8, r"\[-128, 127\]"), ([1, 2**40], np.int32, "int32"),
    (np.array([2**64 - 1], dtype=np.uint64), np.int64, "int64"), (2.5, np.int64, "integer"),
])
def test_integers_never_wrap_around(value, dtype, text):
    with pytest.raises(InputError, match=text):
        v.as_array("x", value, dtype=dtype)
    assert v.as_array("x", [0, 127], dtype=np.int8).tolist() == [0, 127]


@pytest.mark.parametrize("low, high", [(np.nan, 1.0), (0.0, np.nan), (2.0, 1.0)])
def test_a_range_that_lets_everything_pass_is_refused(low, high):
    with pytest.raises(InputError, match="range"):
        v.check_in_range("x", np.array([0.5]), low, high)


# --- evcore.io._text: the one tokenizer ---------------------------------------------------------
from evcore.io._text import Tokens, parse_float, parse_int, read_text  # noqa: E402


@pytest.mark.parametrize("content, text", [
    (b"\x00\x01binary", "binary"), (b"1 2\n3 4\x00", r":2: is a binary file"),
    ("2 3\n".encode("utf-16"), "UTF-16"), ("2 3\n".encode("utf-16-le"), "looks UTF-16"),
    ("2 3\n".encode("utf-32"), "UTF-16/UTF-32"), (b"1 2\n\xff\n", r":2: is not valid UTF-8"),
])
def test_read_text_refuses_what_is_not_utf8_text(tmp_path, content, text):
    path = tmp_path / "data.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=text) as info:
        read_text(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("path, text", [("/dev/zero", "not a regular file"), ("/no/such", "no such file"),
                                        ("a\x00b", "NUL"), ("x" * 5000, "cannot be read"), (3, "must be a path"),
                                        (b"/etc/hostname", "must be a path")])
def test_read_text_refuses_odd_paths(tmp_path, path, text):
    with pytest.raises(InputError, match=text):
        read_text(path)
    with pytest.raises(InputError, match="is a folder"):
        read_text(tmp_path)


def test_read_text_keeps_good_text(tmp_path):
    path = tmp_path / "ok.txt"
    path.write_bytes("\ufeff1 2\n€ 3\n".encode("utf-8"))
    assert read_text(path) == "1 2\n€ 3\n"
    (tmp_path / "empty.txt").write_bytes(b"")
    assert read_text(tmp_path / "empty.txt") == ""
    with pytest.raises(InputError, match="empty"):
        Tokens(read_text(tmp_path / "empty.txt"), source="empty.txt").int("n")


@pytest.mark.parametrize("token", ["nan", "inf", "-Infinity", "1e400", "1_000", "\u0663", "\uff11", "0x10", "",
                                   "1e", "+", "9" * 500, "1.5.2", "1,5", None, 1.5, b"1.5", True])
def test_parse_float_refuses(token):
    with pytest.raises(InputError, match="f.txt:3: cost"):
        parse_float(token, source="f.txt", line=3, field="cost")


@pytest.mark.parametrize("token", ["49.5", "4e1", "1_0", "\u0663", "9" * 19, "-" + "9" * 19, "", " ", None, 3, "0x1"])
def test_parse_int_refuses(token):
    with pytest.raises(InputError, match="f.txt:3: count"):
        parse_int(token, source="f.txt", line=3, field="count")


def test_parsers_accept_plain_numbers():
    assert [parse_float(t) for t in ("2", "-.5", "5.", "+1e-3", " 7 ", "1E2")] == [2.0, -0.5, 5.0, 1e-3, 7.0, 100.0]
    assert [parse_int(t) for t in ("0", "-12", "+3", " 9 ", str(2**63 - 1))] == [0, -12, 3, 9, 2**63 - 1]


def test_tokens_refuse_odd_counts_and_bytes():
    tokens = Tokens("1 2 3", source="f.txt")
    for count in (-1, 2.5, True, None):
        with pytest.raises(InputError, match="count must be an integer"):
            tokens.ints(count, "n")
    with pytest.raises(InputError, match=r"f.txt:1: n: the file ends early"):
        tokens.ints(10**12, "n")
    with pytest.raises(InputError, match="must be a str"):
        Tokens(b"1 2", source="f.txt")
    with pytest.raises(InputError, match=r"f.txt:2: unexpected data after the end: '4'"):
        t = Tokens("1\n4", source="f.txt")
        t.int("n")
        t.expect_end()
