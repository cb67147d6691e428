"""Writing results as JSON and CSV (shared by the command line and the demos)."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np

__all__ = ["to_jsonable", "write_json", "rows_to_csv", "write_csv"]


def to_jsonable(value):
    """Convert numpy scalars/arrays and non-finite floats into plain JSON values.

    ``inf`` becomes the string ``"inf"`` (JSON has no infinity) so nothing is lost.
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def write_json(data, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(data), indent=2) + "\n")
    return path


def rows_to_csv(rows: list[dict]) -> str:
    """CSV text with a header from the first row's keys."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(to_jsonable(row))
    return buffer.getvalue()


def write_csv(rows: list[dict], path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rows_to_csv(rows))
    return path


def emit(payload: dict, rows: list[dict], output_format: str, output=None) -> int:
    """Write a command's result: ``payload`` as JSON or ``rows`` as CSV, to a file or stdout.

    Returns the exit code 0, so command handlers can ``return emit(...)``.
    """
    import sys

    text = json.dumps(to_jsonable(payload), indent=2) + "\n" if output_format == "json" else rows_to_csv(rows)
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0
