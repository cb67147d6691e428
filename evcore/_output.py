"""Writing results as JSON and CSV (shared by the command line and the demos).

The command line sets the stream its result goes to (:func:`set_result_stream`); everything
else (notes, progress) goes to stderr through :func:`note`.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from .results import to_jsonable

__all__ = ["to_jsonable", "write_json", "rows_to_csv", "write_csv", "emit", "note", "set_result_stream"]

#: Where the command line's result goes (None: sys.stdout); set by :func:`evcore.cli.main`.
_RESULT_STREAM = None
#: ``--quiet``: :func:`note` prints nothing.
QUIET = False


def set_result_stream(stream) -> None:
    global _RESULT_STREAM, QUIET
    _RESULT_STREAM = stream
    if stream is None:
        QUIET = False


def note(text: str) -> None:
    """A line for the person at the terminal (stderr; nothing with ``--quiet``)."""
    if not QUIET:
        print(text, file=sys.stderr, flush=True)


def write_json(data, path) -> Path:
    """Write ``data`` (dicts, lists, numpy arrays and scalars) as indented JSON; return the path."""
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
    """Write a list of dicts (one per row, same keys) as CSV with a header; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rows_to_csv(rows))
    return path


def emit(payload: dict, rows: list[dict], output_format: str, output=None) -> int:
    """Write a command's result: ``payload`` as JSON or ``rows`` as CSV, to a file or stdout.

    Returns the exit code 0, so command handlers can ``return emit(...)``.
    """
    text = json.dumps(to_jsonable(payload), indent=2) + "\n" if output_format == "json" else rows_to_csv(rows)
    if output:
        Path(output).write_text(text)
    else:
        stream = _RESULT_STREAM or sys.stdout
        stream.write(text)
        stream.flush()
    return 0
