"""evcore's feeder JSON format: read a file (or take a parsed dict) and write one.

The format itself (buses, source, lines, switches, transformers, regulators, capacitors, primitives,
loads, coordinates) is described in :mod:`evcore.grid._format`, which turns a document into a
:class:`~evcore.grid.Feeder`. This module only moves documents between files and dicts, strictly: binary
and UTF-16 files, invalid JSON (with its line and column), ``NaN``/``Infinity`` literals and numbers that
overflow (``1e400``) are refused with an :class:`~evcore.errors.InputError`.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ..errors import InputError
from ._text import read_text

__all__ = ["read", "write", "FORMAT_NAME"]

FORMAT_NAME = "evcore-feeder"


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text!r} is not finite")
    return value


def _no_constant(name):
    raise ValueError(f"{name} is not allowed (JSON numbers must be finite)")


def read(path_or_dict) -> dict:
    """The feeder document of a JSON file (or a dict passed through after a type check)."""
    if isinstance(path_or_dict, dict):
        return path_or_dict
    if not isinstance(path_or_dict, (str, os.PathLike)):
        raise InputError("path", f"must be a path to a feeder JSON file or a dict, got {type(path_or_dict).__name__}")
    source = os.fspath(path_or_dict)
    if not Path(source).exists():
        raise InputError(source, "no feeder file there (evcore's feeder JSON: Feeder.to_json writes one from a "
                                 "GLM or OpenDSS feeder; evcore ships a demo feeder, evcore/grid/data/demo_feeder.json)")
    text = read_text(source, what="feeder JSON file")
    try:
        doc = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}:{exc.lineno}", f"is not valid JSON (column {exc.colno}: {exc.msg})") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(source, f"is not a valid feeder document: {exc}") from None
    if not isinstance(doc, dict):
        raise InputError(source, f"must hold a JSON object, got {type(doc).__name__}")
    return doc


def _plain(value):
    """numpy arrays and scalars (the readers' matrices) as JSON lists and numbers."""
    import numpy as np

    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.tolist()
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def write(document: dict, path) -> Path:
    """Write ``document`` to ``path`` as JSON (non-finite numbers refused); returns the path."""
    if not isinstance(document, dict):
        raise InputError("document", f"must be a dict, got {type(document).__name__}")
    try:
        text = json.dumps(document, indent=1, allow_nan=False, default=_plain)
    except (TypeError, ValueError) as exc:
        raise InputError("document", f"cannot be written as JSON: {exc}") from None
    path = Path(path)
    try:
        path.write_text(text)
    except OSError as exc:
        raise InputError(str(path), f"cannot be written: {exc.strerror or exc}") from None
    return path
