"""Thread count of the BLAS that numpy and scipy load (OpenBLAS), for the dense kernels of the placement.

The enclosures run many small dense products (matrices of a few hundred rows). OpenBLAS's threads make
those 10-30 times slower on a busy 2-core machine (measured here: a 262 x 262 inverse 0.44 s with the default
threads and a load average of 10, 0.017 s on one thread), so the search runs them on one thread unless the
matrices are large. Found through the process's own memory map; a platform without OpenBLAS keeps its
defaults (nothing is changed, nothing fails).
"""

from __future__ import annotations

import ctypes
from contextlib import contextmanager

__all__ = ["blas_threads"]

_LIBS = None


def _openblas_libs():
    global _LIBS
    if _LIBS is not None:
        return _LIBS
    found = []
    try:
        with open("/proc/self/maps") as fh:
            paths = sorted({line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line})
    except OSError:
        paths = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas_", "openblas_", ""):
            for suffix in ("64_", ""):
                try:
                    setter = getattr(lib, f"{prefix}set_num_threads{suffix}")
                    getter = getattr(lib, f"{prefix}get_num_threads{suffix}")
                except AttributeError:
                    continue
                setter.argtypes = [ctypes.c_int]
                getter.restype = ctypes.c_int
                found.append((setter, getter))
                break
            else:
                continue
            break
    _LIBS = found
    return found


@contextmanager
def blas_threads(count: int):
    """Run the block with ``count`` BLAS threads (OpenBLAS), restoring the previous counts afterwards."""
    import numpy.linalg  # noqa: F401 - make sure numpy's BLAS is loaded before looking for it
    import scipy.linalg  # noqa: F401

    libs = _openblas_libs()
    previous = []
    for setter, getter in libs:
        try:
            previous.append(getter())
            setter(int(count))
        except Exception:  # noqa: BLE001 - never fail a solve over a thread count
            previous.append(None)
    try:
        yield
    finally:
        for (setter, _), old in zip(libs, previous):
            if old is not None:
                setter(int(old))
