"""OR-Library generalized assignment problems (Beasley's OR-Library, ``gap1.txt`` ... ``gapd.txt``).

Two layouts, whitespace-separated (line breaks inside a problem are not significant):

- one problem per file: ``m n``, then the m x n cost matrix, the m x n resource matrix and the
  m capacities (the layout of the per-problem files ``gap1-0``, ``c10100``, ...);
- OR-Library's own files: a first line holding only the number of problems ``P``, then ``P``
  problems in the layout above.

:func:`read` tells them apart by the first line (one token: a problem count) and returns
plain data, a list of :class:`GAPData`; ``evcore.assign.read_orlib_gap`` builds the instances.
Every number goes through the shared tokenizer: NaN, infinity, ``1e400``, ``49.5`` for a size,
text, a short file or trailing data raise :class:`~evcore.errors.InputError` naming file:line.

:func:`write` writes the one-problem layout for one problem and OR-Library's layout for several,
so ``read(write(...))`` gives back the same numbers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import InputError
from ._text import Tokens, read_text, where

__all__ = ["GAPData", "read", "write", "MAX_PAIRS"]

#: Where GAP files come from (said when one is missing).
ORIGIN = ("OR-Library's GAP files: people.brunel.ac.uk/~mastjjb/jeb/orlib/gapinfo.html; "
          "evcore.io.gap.write or evcore.assign.write_orlib_gap writes one")

#: Largest agents x jobs a file may declare (the largest public GAP sets have 80 x 1,600).
MAX_PAIRS = 10**8


class GAPData(NamedTuple):
    """One problem as read from a file (minimise ``cost`` subject to ``resource`` and ``capacity``).

    Attributes
    ----------
    cost : numpy.ndarray, shape (agents, jobs)
    resource : numpy.ndarray, shape (agents, jobs)
    capacity : numpy.ndarray, shape (agents,)
    name : str
        The file name, with ``:k`` (1-based problem number) for a multi-problem file.
    line : int
        Line of the file where the problem starts (for messages).
    """

    cost: np.ndarray
    resource: np.ndarray
    capacity: np.ndarray
    name: str
    line: int


def _problem(tokens: Tokens, source, name: str) -> GAPData:
    line = tokens.line or 1
    agents = tokens.int("agents (m)")
    if agents < 1:
        raise InputError(where(source, tokens.line), f"agents (m): must be at least 1, got {agents}")
    jobs = tokens.int("jobs (n)")
    if jobs < 1:
        raise InputError(where(source, tokens.line), f"jobs (n): must be at least 1, got {jobs}")
    pairs = agents * jobs
    if pairs > MAX_PAIRS:
        raise InputError(where(source, line), f"m x n = {agents} x {jobs} exceeds the limit of {MAX_PAIRS} pairs")
    needed = 2 * pairs + agents
    if len(tokens) < needed:
        raise InputError(where(source, line), f"'m n' = {agents} {jobs} needs {needed + 2} numbers, found "
                                              f"{len(tokens) + 2} (truncated?)")
    cost = tokens.floats(pairs, "cost").reshape(agents, jobs)
    resource = tokens.floats(pairs, "resource").reshape(agents, jobs)
    capacity = tokens.floats(agents, "capacity")
    return GAPData(cost, resource, capacity, name, line)


def read(path) -> list[GAPData]:
    """Every problem of an OR-Library GAP file (either layout, see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    list of GAPData
        One entry for a one-problem file.

    Raises
    ------
    InputError
        Unreadable, binary or UTF-16 file; a token that is not a finite number; sizes that are
        not positive integers; too few or too many numbers (file:line named).
    """
    text = read_text(path, what="file", origin=ORIGIN)
    source = os.fspath(path)
    name = Path(source).name
    tokens = Tokens(text, source)
    if len(tokens) == 0:
        raise InputError(source, "is empty; expected 'm n' or a problem count")
    first_line = next((line for line in text.splitlines() if line.split()), "")
    if len(first_line.split()) == 1:  # OR-Library's layout: the problem count alone
        count = tokens.int("number of problems")
        if count < 1:
            raise InputError(where(source, 1), f"number of problems: must be at least 1, got {count}")
        problems = [_problem(tokens, source, f"{name}:{k}") for k in range(1, count + 1)]
    else:
        problems = [_problem(tokens, source, name)]
    tokens.expect_end("numbers")
    return problems


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))


def write(path, problems) -> Path:
    """Write problems in OR-Library's layout (one problem: ``m n`` first; several: their count first).

    Parameters
    ----------
    path : str or os.PathLike
    problems : GAPData or sequence of GAPData (or of ``(cost, resource, capacity)``)
        Finite numbers only (write forbidden pairs as over-capacity resources).

    Returns
    -------
    pathlib.Path
    """
    if isinstance(problems, tuple) and not isinstance(problems, GAPData) and len(problems) == 3 \
            and isinstance(problems[0], np.ndarray):
        problems = [problems]
    elif isinstance(problems, GAPData):
        problems = [problems]
    problems = list(problems)
    if not problems:
        raise InputError("problems", "needs at least one problem")
    lines = [str(len(problems))] if len(problems) > 1 else []
    for k, problem in enumerate(problems):
        cost, resource, capacity = (np.asarray(problem[0], float), np.asarray(problem[1], float),
                                    np.asarray(problem[2], float))
        for field, values in (("cost", cost), ("resource", resource), ("capacity", capacity)):
            bad = ~np.isfinite(values)
            if bad.any():
                index = tuple(int(i) for i in np.argwhere(bad)[0])
                raise InputError(f"problems[{k}].{field}", f"must be finite to be written, got {values[index]!r}",
                                 index)
        agents, jobs = cost.shape
        lines.append(f"{agents} {jobs}")
        for matrix in (cost, resource):
            lines.extend(" ".join(_number(v) for v in row) for row in matrix)
        lines.append(" ".join(_number(v) for v in capacity))
    if not isinstance(path, (str, os.PathLike)):
        raise InputError("path", f"must be a path (str or os.PathLike), got {type(path).__name__}")
    target = Path(path)
    try:
        target.write_text("\n".join(lines) + "\n")
    except OSError as exc:
        raise InputError(os.fspath(path), f"cannot be written: {exc.strerror or exc}") from None
    return target
