"""The only place input checks are written.

Every helper raises :class:`evcore.errors.InputError` naming the field, the first offending
index and the problem; none of them clips, drops or replaces a value. Helpers return the
converted numpy array so that callers can chain them::

    rate = check_nonnegative("arrival_rate", as_array("arrival_rate", rate))
"""

from __future__ import annotations

import math
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
    "check_at_most",
    "check_binary",
    "first_index",
    "freeze_fields",
    "frozen_array",
    "check_limits",
    "check_seed",
    "check_threads",
    "check_gap",
    "check_choice",
    "check_options",
    "check_flag",
    "check_count",
    "check_number",
    "check_ids",
    "check_interval",
    "as_flags",
    "MAX_THREADS",
]

#: Largest thread count evcore accepts (HiGHS and Numba spin up that many workers).
MAX_THREADS = 256


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


def _reject_kind(field: str, raw: np.ndarray, target: np.dtype, allow_bool: bool = False) -> None:
    """Refuse inputs whose conversion would change their meaning: text parsed as numbers,
    booleans taken as 0/1, complex numbers losing their imaginary part."""
    kind = raw.dtype.kind
    if kind in "USV" and target.kind not in "USV":
        raise InputError(field, f"must be numbers, got text ({_preview(raw)})")
    if kind == "b" and target.kind != "b" and not allow_bool:
        raise InputError(field, f"must be numbers, got booleans ({_preview(raw)})")
    if kind == "c" and target.kind != "c":
        raise InputError(field, f"must be real numbers, got complex values ({_preview(raw)})")
    if kind == "M" or kind == "m":
        raise InputError(field, f"must be numbers, got dates or durations ({_preview(raw)})")
    if kind == "O":
        for position, item in enumerate(raw.reshape(-1)):
            if isinstance(item, (str, bytes)) or item is None or (
                    isinstance(item, (bool, np.bool_)) and not allow_bool) or (
                    isinstance(item, (complex, np.complexfloating)) and target.kind != "c"):
                index = None if raw.ndim == 0 else (
                    position if raw.ndim == 1 else tuple(int(i) for i in np.unravel_index(position, raw.shape)))
                raise InputError(field, f"must be a number, got {item!r}", index)


def _preview(raw: np.ndarray) -> str:
    text = repr(raw.reshape(-1)[:3].tolist())
    return text if raw.size <= 3 else text[:-1] + ", ...]"


def as_array(field: str, value, dtype=float, *, ndim: int | None = None,
             shape: Sequence[int | None] | None = None, allow_bool: bool = False) -> np.ndarray:
    """Convert ``value`` to a numpy array of ``dtype`` and check its dimensions.

    Parameters
    ----------
    field : str
        Name used in error messages.
    value : array_like
        The input.
    dtype : numpy dtype
        Target dtype (``float`` by default). A conversion that would change the meaning of
        the data raises :class:`InputError`: text (``"3"``), booleans, complex numbers into a
        real dtype, ragged nested lists, and non-integral or out-of-range numbers into an
        integer dtype.
    ndim : int, optional
        Required number of dimensions.
    shape : sequence of int or None, optional
        Required shape; ``None`` entries are free.
    allow_bool : bool
        Take booleans as 0/1 (decision vectors, masks); refused by default.

    Returns
    -------
    numpy.ndarray
    """
    try:
        raw = value if isinstance(value, np.ndarray) else np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InputError(field, f"cannot be read as an array (ragged or mixed?): {exc}") from None
    if dtype is None:  # keep the input's own dtype (the caller checks it)
        target = raw.dtype
    else:
        target = np.dtype(dtype)
        _reject_kind(field, raw, target, allow_bool)
    if target.kind in "iu":
        if raw.dtype.kind not in "iu":
            raw = check_integer(field, raw)
        if target.kind == "u" and raw.size and raw.min() < 0:
            index = first_index(raw < 0)
            raise InputError(field, f"must be non-negative, got {_entry(raw, index)!r}", index)
        if raw.size:  # numpy would wrap around (300 as int8 is 44, -1 as uint8 is 255)
            info = np.iinfo(target)
            bad = (raw < info.min) | (raw > info.max)
            if bad.any():
                index = first_index(bad)
                raise InputError(field, f"must lie in [{info.min}, {info.max}] ({target.name}), "
                                        f"got {_entry(raw, index)!r}", index)
    try:
        with np.errstate(over="raise", invalid="ignore"):
            arr = np.asarray(raw, dtype=target)
    except (TypeError, ValueError, OverflowError, FloatingPointError) as exc:
        raise InputError(field, f"cannot be read as an array of {target.name}: {exc}") from None
    if ndim is not None and arr.ndim != ndim:
        raise InputError(field, f"must have {ndim} dimension(s), got {arr.ndim} (shape {arr.shape})")
    if shape is not None:
        check_shape(field, arr, shape)
    return arr


def as_scalar(field: str, value, dtype=float):
    """Convert ``value`` to a Python scalar of ``dtype`` (``float`` or ``int``).

    An integer field given a non-integral number (``2.5``) raises :class:`InputError`; so does
    text (``"3"``), a boolean, a complex number or a sequence.
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
    """Require ``low <= arr <= high`` everywhere (bounds included, NaN rejected).

    The range itself must make sense (``low <= high``, neither NaN): with a NaN bound every
    comparison is false and every value would pass.
    """
    if not low <= high:
        raise InputError(field, f"cannot be checked against the range [{low!r}, {high!r}]")
    _check_not_nan(field, arr)
    bad = (arr < low) | (arr > high)
    if bad.any():
        index = first_index(bad)
        raise InputError(field, f"must lie in [{low}, {high}], got {_entry(arr, index)!r}", index)
    return arr


def check_at_most(field: str, arr, limit: float, why: str = "") -> np.ndarray:
    """Require every entry to be ``<= limit``: sizes and amounts of work past a documented limit
    (servers, states, uniformization steps) are refused rather than run without bound.

    ``why`` (e.g. ``"evcore.queueing.MAX_SERVERS"``) is appended to the message so that the
    user learns where the limit is documented.
    """
    arr = np.asarray(arr)
    bad = arr > limit
    if bad.any():
        index = first_index(bad)
        reason = f" ({why})" if why else ""
        raise InputError(field, f"must be at most {limit:.6g}{reason}, got {_entry(arr, index)!r}", index)
    return arr


def check_binary(field: str, value, *, shape: Sequence[int | None] | None = None) -> np.ndarray:
    """A 0/1 decision vector or mask as ``int8``: booleans or the numbers 0 and 1 only.

    ``0.5``, ``-1``, ``2``, NaN, text and complex entries raise :class:`InputError` naming the
    first offending index (nothing is rounded or thresholded).
    """
    arr = as_array(field, value, dtype=float, allow_bool=True, shape=shape)
    bad = ~((arr == 0.0) | (arr == 1.0))
    if bad.any():
        index = first_index(bad)
        raise InputError(field, f"must be 0 or 1 (or a boolean), got {_entry(arr, index)!r}", index)
    return arr.astype(np.int8)


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


def check_limits(time_limit=None, max_iterations=None):
    """Validate the run limits every ``solve`` takes.

    Parameters
    ----------
    time_limit : float or None
        Seconds, ``> 0``; ``None`` or ``inf`` for none.
    max_iterations : int or None
        ``>= 1``; ``None`` for none.

    Returns
    -------
    (float or None, int or None)
    """
    if time_limit is not None:
        time_limit = as_scalar("time_limit", time_limit)
        if time_limit != time_limit:
            raise InputError("time_limit", "must be a number of seconds, got nan")
        if time_limit <= 0:
            raise InputError("time_limit", f"must be positive (seconds), got {time_limit!r}")
        if time_limit == float("inf"):
            time_limit = None
    if max_iterations is not None:
        max_iterations = as_scalar("max_iterations", max_iterations, int)
        if max_iterations < 1:
            raise InputError("max_iterations", f"must be at least 1, got {max_iterations!r}")
        if max_iterations > 2**62:
            raise InputError("max_iterations", f"must be at most 2**62, got {max_iterations!r}")
    return time_limit, max_iterations


def check_seed(seed, *, default: int = 0, allow_generator: bool = False):
    """A seed: an integer in ``[0, 2**63)``; ``None`` means ``default``.

    Floats (even ``3.0``), booleans, negative numbers and numbers of 2**63 or more raise
    :class:`InputError`. A ``numpy.random.Generator`` passes through when ``allow_generator``.
    """
    if seed is None:
        return default
    if allow_generator and isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise InputError("seed", f"must be an integer in [0, 2**63), got {seed!r}")
    seed = int(seed)
    if not 0 <= seed < 2**63:
        raise InputError("seed", f"must be an integer in [0, 2**63), got {seed!r}")
    return seed


def check_threads(threads, field: str = "threads"):
    """A thread count: ``None`` (automatic) or an integer in ``[1, MAX_THREADS]``."""
    if threads is None:
        return None
    threads = as_scalar(field, threads, int)
    if not 1 <= threads <= MAX_THREADS:
        raise InputError(field, f"must be an integer in [1, {MAX_THREADS}], got {threads!r}")
    return threads


def check_gap(gap, field: str = "gap"):
    """A relative optimality gap: a finite number ``>= 0``."""
    gap = as_scalar(field, gap)
    if not (gap >= 0 and gap < float("inf")):
        raise InputError(field, f"must be a finite number >= 0, got {gap!r}")
    return gap


def check_choice(field: str, value, choices):
    """``value`` must be one of ``choices`` (compared as given; the message lists them)."""
    try:
        ok = value in choices
    except TypeError:
        ok = False
    if not ok:
        raise InputError(field, f"must be one of {list(choices)}, got {value!r}")
    return value


def check_options(method: str, options: dict, allowed) -> dict:
    """Refuse keyword options that ``method`` does not know (instead of a bare ``TypeError``)."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        known = ", ".join(sorted(allowed)) or "none"
        raise InputError("options", f"unknown option(s) {unknown} for method {method!r}; it takes: {known}")
    return options


def check_flag(field: str, value) -> bool:
    """A real boolean (``True``/``False``, numpy bools too); ``"no"``, ``0.5`` or ``None`` are refused."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    raise InputError(field, f"must be true or false, got {value!r}")


def check_count(field: str, value, *, minimum: int = 0, maximum: int | None = None) -> int:
    """A count (a size, a number of EVs or stations): an integer in ``[minimum, maximum]``.

    ``2.5``, ``"4"``, booleans, NaN and ``None`` raise :class:`InputError`; so do counts past
    ``maximum`` (the documented limit of the caller, which keeps a typo from asking for
    unbounded work or memory).
    """
    count = as_scalar(field, value, int)
    if count < minimum:
        raise InputError(field, f"must be at least {minimum}, got {count!r}")
    if maximum is not None and count > maximum:
        raise InputError(field, f"must be at most {maximum}, got {count!r}")
    return count


def check_number(field: str, value, *, minimum: float | None = None, maximum: float | None = None,
                 strict: bool = False, allow_inf: bool = False) -> float:
    """A real number (a float) within ``[minimum, maximum]`` (``(minimum, ...`` when ``strict``).

    NaN always raises; infinity raises unless ``allow_inf``; text, booleans, complex numbers
    and sequences raise (see :func:`as_scalar`).
    """
    number = float(as_scalar(field, value))
    if number != number:
        raise InputError(field, "must be a number, got nan")
    if not allow_inf and number in (float("inf"), float("-inf")):
        raise InputError(field, f"must be finite, got {number!r}")
    if minimum is not None and (number < minimum or (strict and number == minimum)):
        relation = ">" if strict else ">="
        raise InputError(field, f"must be {relation} {minimum!r}, got {number!r}")
    if maximum is not None and number > maximum:
        raise InputError(field, f"must be <= {maximum!r}, got {number!r}")
    return number


def check_ids(field: str, ids, count: int) -> tuple:
    """Identifiers of ``count`` items: each a string or an integer (not a bool), all different.

    Returns them as a tuple of Python ``str``/``int`` (numpy scalars are converted).
    """
    if isinstance(ids, (str, bytes)) or not isinstance(ids, (Sequence, np.ndarray)):
        raise InputError(field, f"must be a sequence of {count} ids (strings or integers), got {type(ids).__name__}")
    values = list(ids.tolist() if isinstance(ids, np.ndarray) else ids)
    if len(values) != count:
        raise InputError(field, f"expected {count} ids, got {len(values)}")
    out = []
    for index, item in enumerate(values):
        if isinstance(item, np.generic):
            item = item.item()
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise InputError(field, f"an id must be a string or an integer, got {item!r}", index)
        if isinstance(item, str) and not item.strip():
            raise InputError(field, "an id must not be empty", index)
        out.append(item)
    seen: dict = {}
    for index, item in enumerate(out):
        if item in seen:
            raise InputError(field, f"ids must be unique: {item!r} repeats entry {seen[item]}", index)
        seen[item] = index
    return tuple(out)


def check_interval(field: str, value, *, minimum: float | None = None, maximum: float | None = None,
                   integer: bool = False) -> tuple:
    """A ``(low, high)`` range with ``low <= high``, both finite (integers when ``integer``),
    within ``[minimum, maximum]``; returned as a tuple of two Python numbers."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) or len(value) != 2:
        raise InputError(field, f"must be a pair (low, high), got {value!r}")
    if integer:
        low, high = (check_count(f"{field}[{k}]", v, minimum=-(2**62) if minimum is None else int(math.ceil(minimum)),
                                 maximum=maximum) for k, v in enumerate(value))
    else:
        low, high = (check_number(f"{field}[{k}]", v, minimum=minimum, maximum=maximum) for k, v in enumerate(value))
    if low > high:
        raise InputError(field, f"low must not exceed high, got ({low!r}, {high!r})")
    return low, high


def as_flags(field: str, value, *, shape: Sequence[int | None] | None = None) -> np.ndarray:
    """A boolean array from booleans or the numbers 0 and 1 only.

    ``0.5``, ``2``, ``nan``, ``"yes"`` (anything but true/false, 0/1) raise
    :class:`InputError` naming the first offending entry; nothing is rounded or cast.
    """
    raw = value if isinstance(value, np.ndarray) else None
    if raw is None:
        try:
            raw = np.asarray(value)
        except (TypeError, ValueError) as exc:
            raise InputError(field, f"cannot be read as an array (ragged or mixed?): {exc}") from None
    if raw.dtype.kind == "b":
        arr = raw.astype(bool)
    else:
        if raw.dtype.kind in "USVOcmM":
            _reject_kind(field, raw, np.dtype(float))
        numbers_ = as_array(field, raw, dtype=float)
        bad = ~((numbers_ == 0.0) | (numbers_ == 1.0))
        if bad.any():
            index = first_index(bad)
            raise InputError(field, f"must be true/false (or 0/1), got {_entry(numbers_, index)!r}", index)
        arr = numbers_ == 1.0
    if shape is not None:
        check_shape(field, arr, shape)
    return arr
