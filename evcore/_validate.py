"""The only place input checks are written.

Every helper raises :class:`evcore.errors.InputError` naming the field, the first offending
index and the problem; none of them clips, drops or replaces a value. Helpers return the
converted numpy array so that callers can chain them::

    rate = check_nonnegative("arrival_rate", as_array("arrival_rate", rate))
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .errors import InputError

__all__ = [
    "as_array",
    "as_scalar",
    "check_shape",
    "check_finite",
    "check_nonnegative",
    "check_positive",
    "check_probability",
    "check_distribution",
    "check_integer",
    "check_in_range",
    "first_index",
    "freeze_fields",
    "frozen_array",
]


def first_index(mask: np.ndarray):
    """Index of the first ``True`` entry of ``mask`` (C order): an int for 1-D, a tuple of ints
    for n-D, ``None`` for a 0-d (scalar) mask."""
    flat = int(np.flatnonzero(np.ravel(mask))[0])
    if mask.ndim == 0:
        return None
    if mask.ndim == 1:
        return flat
    return tuple(int(i) for i in np.unravel_index(flat, mask.shape))


def _entry(arr: np.ndarray, index):
    """The offending value as a plain Python scalar (its repr reads well in messages)."""
    value = arr.reshape(-1)[0] if index is None else arr[index]
    return value.item() if isinstance(value, np.generic) else value


def as_array(field: str, value, dtype=float, *, ndim: int | None = None,
             shape: Sequence[int | None] | None = None) -> np.ndarray:
    """Convert ``value`` to a numpy array of ``dtype`` and check its dimensions.

    Parameters
    ----------
    field : str
        Name used in error messages.
    value : array_like
        The input.
    dtype : numpy dtype
        Target dtype (``float`` by default). Conversion that would lose information, such as
        a string to a float, raises :class:`InputError`.
    ndim : int, optional
        Required number of dimensions.
    shape : sequence of int or None, optional
        Required shape; ``None`` entries are free.

    Returns
    -------
    numpy.ndarray
    """
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise InputError(field, f"cannot be read as an array of {np.dtype(dtype).name}: {exc}") from None
    if ndim is not None and arr.ndim != ndim:
        raise InputError(field, f"must have {ndim} dimension(s), got {arr.ndim} (shape {arr.shape})")
    if shape is not None:
        check_shape(field, arr, shape)
    return arr


def as_scalar(field: str, value, dtype=float):
    """Convert ``value`` to a Python scalar of ``dtype`` (``float`` or ``int``).

    An integer field given a non-integral number (``2.5``) raises :class:`InputError`.
    """
    if isinstance(value, (bool, np.bool_)) and dtype is not bool:
        raise InputError(field, f"must be a number, got a boolean ({value!r})")
    if dtype is int:
        if isinstance(value, numbers.Integral):
            return int(value)
        arr = check_integer(field, as_array(field, value, ndim=0))
        return int(arr)
    arr = as_array(field, value, dtype=dtype, ndim=0)
    return arr.item()


def check_shape(field: str, arr: np.ndarray, shape: Sequence[int | None]) -> np.ndarray:
    """Require ``arr.shape`` to match ``shape`` (``None`` entries are free)."""
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
        parts = ["any" if s is None else str(s) for s in shape]
        wanted = "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        raise InputError(field, f"expected shape {wanted}, got {arr.shape}")
    return arr


def check_finite(field: str, arr: np.ndarray) -> np.ndarray:
    """Require every entry to be finite (no NaN, no infinity)."""
    bad = ~np.isfinite(arr)
    if bad.any():
        index = first_index(bad)
        raise InputError(field, f"must be finite, got {_entry(arr, index)!r}", index)
    return arr


def _check_not_nan(field: str, arr: np.ndarray) -> None:
    bad = np.isnan(arr)
    if bad.any():
        raise InputError(field, "must be a number, got nan", first_index(bad))


def check_nonnegative(field: str, arr: np.ndarray, *, allow_inf: bool = False) -> np.ndarray:
    """Require every entry to be ``>= 0`` (and finite unless ``allow_inf``)."""
    if allow_inf:
        _check_not_nan(field, arr)
    else:
        check_finite(field, arr)
    bad = arr < 0
    if bad.any():
        index = first_index(bad)
        raise InputError(field, f"must be non-negative, got {_entry(arr, index)!r}", index)
    return arr


def check_positive(field: str, arr: np.ndarray, *, allow_inf: bool = False) -> np.ndarray:
    """Require every entry to be ``> 0`` (and finite unless ``allow_inf``)."""
    if allow_inf:
        _check_not_nan(field, arr)
    else:
        check_finite(field, arr)
    bad = arr <= 0
    if bad.any():
        index = first_index(bad)
        raise InputError(field, f"must be positive, got {_entry(arr, index)!r}", index)
    return arr


def check_in_range(field: str, arr: np.ndarray, low: float, high: float) -> np.ndarray:
    """Require ``low <= arr <= high`` everywhere (bounds included, NaN rejected)."""
    _check_not_nan(field, arr)
    bad = (arr < low) | (arr > high)
    if bad.any():
        index = first_index(bad)
        raise InputError(field, f"must lie in [{low}, {high}], got {_entry(arr, index)!r}", index)
    return arr


def check_probability(field: str, arr: np.ndarray) -> np.ndarray:
    """Require every entry to be a probability, in ``[0, 1]``."""
    return check_in_range(field, arr, 0.0, 1.0)


def check_distribution(field: str, arr: np.ndarray, *, atol: float = 1e-9) -> np.ndarray:
    """Require a probability vector: entries in ``[0, 1]`` summing to 1 within ``atol``."""
    check_probability(field, arr)
    total = float(np.sum(arr))
    if abs(total - 1.0) > atol:
        raise InputError(field, f"must sum to 1 (a probability distribution), sums to {total!r}")
    return arr


def check_integer(field: str, arr: np.ndarray, *, minimum: int | None = None) -> np.ndarray:
    """Require integral values (``3.0`` is fine, ``3.5`` is not); return them as ``int64``.

    Parameters
    ----------
    minimum : int, optional
        Smallest allowed value.
    """
    arr = np.asarray(arr)
    if arr.dtype.kind == "b":
        raise InputError(field, "must be integers, got booleans")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind != "f":
            arr = as_array(field, arr, float)
        check_finite(field, arr)
        bad = arr != np.round(arr)
        if bad.any():
            index = first_index(bad)
            raise InputError(field, f"must be an integer, got {_entry(arr, index)!r}", index)
        if np.any(np.abs(arr) > 2.0**62):
            index = first_index(np.abs(arr) > 2.0**62)
            raise InputError(field, f"integer too large, got {_entry(arr, index)!r}", index)
    out = arr.astype(np.int64)
    if minimum is not None:
        bad = out < minimum
        if bad.any():
            index = first_index(bad)
            raise InputError(field, f"must be at least {minimum}, got {_entry(out, index)!r}", index)
    return out


def frozen_array(value) -> np.ndarray:
    """A C-contiguous, read-only copy (or view) of ``value``."""
    value = np.ascontiguousarray(value)
    value.setflags(write=False)
    return value


def freeze_fields(instance, **values) -> None:
    """Store validated values on a frozen dataclass; arrays become C-contiguous and read-only.

    Instances are validated once, in ``__post_init__``, and then trusted by kernels: making
    their arrays read-only keeps them from being changed behind the validation's back.
    ``None`` and non-array values are stored as they are.
    """
    for name, value in values.items():
        object.__setattr__(instance, name, frozen_array(value) if isinstance(value, np.ndarray) else value)
