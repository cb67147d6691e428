"""The count, number, id and interval checks of evcore._validate (added for the assign generators)."""

import math

import numpy as np
import pytest

from evcore._validate import check_count, check_ids, check_interval, check_number
from evcore.errors import InputError


@pytest.mark.parametrize("bad", [-1, 2.5, "4", True, None, math.nan, 1 + 0j, [3], 10**13])
def test_check_count_refuses(bad):
    with pytest.raises(InputError, match="n"):
        check_count("n", bad, minimum=0, maximum=10**12)


def test_check_count_accepts_integral_values():
    assert check_count("n", 3) == 3 and check_count("n", np.int32(4)) == 4 and check_count("n", 5.0) == 5


@pytest.mark.parametrize("bad, kwargs", [(math.nan, {}), (math.inf, {}), ("1", {}), (True, {}), (-1, {"minimum": 0}),
                                         (0, {"minimum": 0, "strict": True}), (2, {"maximum": 1}), ([1.0], {})])
def test_check_number_refuses(bad, kwargs):
    with pytest.raises(InputError, match="x"):
        check_number("x", bad, **kwargs)


def test_check_number_inf_only_when_allowed():
    assert check_number("x", math.inf, allow_inf=True) == math.inf
    assert check_number("x", 3) == 3.0 and isinstance(check_number("x", 3), float)


@pytest.mark.parametrize("ids, message", [(["a", "a"], "unique"), ([1, 2, 3], "expected 2"), ("ab", "sequence"),
                                          ([1.5, 2], "string or an integer"), ([True, 2], "string or an integer"),
                                          (["", "b"], "empty"), (None, "sequence")])
def test_check_ids_refuses(ids, message):
    with pytest.raises(InputError, match=message):
        check_ids("ids", ids, 2)


def test_check_ids_keeps_types():
    assert check_ids("ids", np.array([3, 4]), 2) == (3, 4)
    assert check_ids("ids", ("s1", 7), 2) == ("s1", 7)


@pytest.mark.parametrize("bad", [(3, 1), (1,), "ab", (1, math.nan), (-1, 2), 5, None])
def test_check_interval_refuses(bad):
    with pytest.raises(InputError, match="r"):
        check_interval("r", bad, minimum=0)


def test_check_interval_integer():
    assert check_interval("r", (1, 4), minimum=1, integer=True) == (1, 4)
    with pytest.raises(InputError):
        check_interval("r", (1.5, 4), integer=True)
