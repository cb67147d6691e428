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
