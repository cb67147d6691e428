"""Shared pieces of evcore's property-based (hypothesis) fuzz tests.

Each part's ``tests/<part>/test_<part>_fuzz.py`` feeds its public constructors, solver entries
and readers with hostile values and asserts two things:

- only evcore's own exceptions (:class:`evcore.errors.EvcoreError`) escape a public call;
- nothing hostile is silently accepted: when a call does return, the caller's ``accept`` check
  (a predicate on the input and the result) must hold.

Every probe is counted (:data:`PROBES`); ``tests/conftest.py`` prints the total at the end of
the run, so a closing note can say how many distinct inputs were tried.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from collections import Counter

import numpy as np
from hypothesis import strategies as st

from evcore.errors import EvcoreError

__all__ = [
    "PROBES",
    "HOSTILE_SCALARS",
    "hostile_scalars",
    "hostile_counts",
    "hostile_seeds",
    "hostile_time_limits",
    "hostile_arrays",
    "garbage_bytes",
    "assert_refused_or_valid",
    "run_in_subprocess",
]

#: part -> number of distinct inputs probed in this run.
PROBES: Counter = Counter()
_SEEN: dict = {}

#: Values no numeric field should take silently (each public field gets all of them).
HOSTILE_SCALARS = (math.nan, math.inf, -math.inf, -1, -1.5, 0, 1e300, -1e300, 2**70, True, False, "3", "x", None,
                   1 + 2j, [], [1, 2], 2.5)


def hostile_scalars():
    """Scalars of every awkward kind (floats at the corners, ints, bools, text, complex, None, lists)."""
    return st.one_of(st.sampled_from(HOSTILE_SCALARS), st.floats(allow_nan=True, allow_infinity=True),
                     st.integers(min_value=-(2**70), max_value=2**70), st.text(max_size=4),
                     st.complex_numbers(max_magnitude=1e6))


def hostile_counts():
    """Counts (sizes, numbers of stations...): zero, negative, fractional, huge, odd types."""
    return st.one_of(st.sampled_from([0, -1, 2.5, 10**12, 2**70, True, "4", None, math.nan, 1 + 0j]),
                     st.integers(min_value=-5, max_value=0))


def hostile_seeds():
    return st.sampled_from([2.5, -1, 2**70, 2**63, True, "1", None, math.nan, 1 + 0j, [1], 3.0])


def hostile_time_limits():
    return st.sampled_from([0, -1, -0.5, math.nan, "x", True, 1 + 1j, [1], -math.inf])


def hostile_arrays(shape=(3,)):
    """Arrays of the right or wrong shape with NaN, inf, negatives, text, bools, complex, ragged lists."""
    size = int(np.prod(shape)) if shape else 1
    good = st.lists(st.floats(min_value=0.1, max_value=10), min_size=size, max_size=size).map(
        lambda xs: np.reshape(np.asarray(xs), shape))
    poison = st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 1e308])

    def poisoned(values_and_bad):
        values, bad, index = values_and_bad
        out = np.array(values, dtype=float).reshape(-1)
        out[index % out.size] = bad
        return out.reshape(shape)

    return st.one_of(
        st.tuples(good, poison, st.integers(0, 10**6)).map(poisoned),
        st.just(np.zeros((0,))), st.just(np.ones(shape + (2,))), st.just(np.ones((size + 1,))),
        st.just([[1.0], [1.0, 2.0]]), st.just(["1"] * size), st.just([True] * size),
        st.just(np.ones(shape, dtype=complex) * (1 + 1j)), st.just(None), st.just("abc"),
    )


def garbage_bytes():
    """File contents a reader must refuse with a clear error: binary, UTF-16, empty, truncated text."""
    return st.one_of(st.binary(min_size=0, max_size=64), st.just(b""), st.just("12 3\n".encode("utf-16")),
                     st.just(b"\x00\x01\x02"), st.just(b"1 2\n3"), st.just(b"nan nan nan\n"),
                     st.just(b"1e400 2 3\n"), st.just(b"49.5 25 1\n"))


def _key(value):
    try:
        return repr(value) if not isinstance(value, np.ndarray) else (value.dtype.str, value.shape, value.tobytes())
    except Exception:  # pragma: no cover - exotic reprs
        return id(value)


def assert_refused_or_valid(part: str, call, *args, accept=None, **kwargs):
    """Call ``call(*args, **kwargs)``: an evcore error is fine; any other exception fails the test;
    a returned value must satisfy ``accept(result)`` when given (e.g. "the NaN was not kept").

    Returns the result, or ``None`` when evcore refused the input.
    """
    key = (part, getattr(call, "__qualname__", repr(call)), _key(args), _key(tuple(sorted(kwargs.items(), key=str))))
    if key not in _SEEN:
        _SEEN[key] = True
        PROBES[part] += 1
    try:
        result = call(*args, **kwargs)
    except EvcoreError:
        return None
    except Exception as exc:  # noqa: BLE001 - the point is to catch everything else
        raise AssertionError(f"{getattr(call, '__qualname__', call)} let {type(exc).__name__} escape: {exc}\n"
                             f"args={args!r} kwargs={kwargs!r}") from exc
    if accept is not None:
        assert accept(result), f"{getattr(call, '__qualname__', call)} silently accepted args={args!r} " \
                               f"kwargs={kwargs!r}, returned {result!r}"
    return result


def run_in_subprocess(code: str, *, env: dict | None = None, timeout: float = 300) -> object:
    """Run ``code`` in a fresh interpreter (same ``PYTHONPATH``) and return the JSON it prints last.

    For determinism across thread counts: ``env={"NUMBA_NUM_THREADS": "1"}`` vs ``"2"``.
    """
    environment = dict(os.environ)
    environment.update(env or {})
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                               env=environment, timeout=timeout)
    if completed.returncode != 0:
        raise AssertionError(f"subprocess failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])
