"""HM14 maximum-capture files (the Haase & Müller 2014 benchmark family): reader and writer.

Layout of one instance (a file may hold several, one after another)::

    N D E                      customers, candidate locations, competitor facilities (integers)
    w_1 ... w_N                customer weights
    E lines of N values        competitors: minus the cost of customer n to reach facility e
    D lines of N values        candidates: minus the cost of customer n to reach location d

Values are whitespace-separated and may wrap over lines; only their order matters. The reader
returns the file's numbers as they are (:class:`HM14Data`); turning costs into logit weights
(``exp(beta * value)``) is the method package's business (:func:`evcore.choice.read_hm14`).

The files themselves come with the HM14 benchmark (Haase & Müller, "A comparison of linear
reformulations for multinomial logit choice probabilities in facility location models",
EJOR 2014); evcore does not ship them. :func:`write` writes a file of the same layout, for
instance from :func:`evcore.choice.random_hm14`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import InputError
from ._text import Tokens, read_text, where

__all__ = ["HM14Data", "read", "write", "count_blocks"]

#: Largest N * (1 + D + E) the reader accepts (a wrong header must not allocate terabytes).
MAX_VALUES = 50_000_000


class HM14Data(NamedTuple):
    """One HM14 instance as stored in the file.

    Attributes
    ----------
    weights : numpy.ndarray, shape (customers,)
        Customer weights (demand).
    competitor : numpy.ndarray, shape (competitors, customers)
        File values of the competitors' facilities (minus a cost).
    candidate : numpy.ndarray, shape (candidates, customers)
        File values of the candidate locations (minus a cost).
    """

    weights: np.ndarray
    competitor: np.ndarray
    candidate: np.ndarray

    @property
    def customers(self) -> int:
        return int(self.weights.shape[0])

    @property
    def candidates(self) -> int:
        return int(self.candidate.shape[0])

    @property
    def competitors(self) -> int:
        return int(self.competitor.shape[0])


def _header(tokens: Tokens, source, index: int):
    line = tokens.line
    customers = tokens.int(f"block {index} header: customers N")
    candidates = tokens.int(f"block {index} header: candidate locations D")
    competitors = tokens.int(f"block {index} header: competitors E")
    if customers < 1 or candidates < 1 or competitors < 0:
        raise InputError(where(source, line), f"block {index} header '{customers} {candidates} {competitors}': "
                                              "needs N >= 1 customers, D >= 1 candidates and E >= 0 competitors")
    if customers * (1 + candidates + competitors) > MAX_VALUES:
        raise InputError(where(source, line), f"block {index} header '{customers} {candidates} {competitors}' "
                                              f"announces more than {MAX_VALUES} values")
    return customers, candidates, competitors


def read(path, *, block: int = 0) -> HM14Data:
    """Read instance ``block`` (0-based) of an HM14 file.

    Raises
    ------
    InputError
        The file is missing, binary, UTF-16 or not UTF-8, a header is not three integers
        (``49.5`` is refused, not truncated), a value is not a finite number, the file ends
        before the block does, or it holds fewer blocks than asked; the message names
        ``file:line``.
    """
    if isinstance(block, (bool, np.bool_)) or not isinstance(block, (int, np.integer)) or block < 0:
        raise InputError("block", f"must be an integer >= 0, got {block!r}")
    source = os.fspath(path) if isinstance(path, (str, os.PathLike)) else path
    if isinstance(source, str) and not Path(source).exists():
        raise InputError(source, "no such HM14 file (HM14 instances come with Haase & Mueller, EJOR 2014; "
                                 "evcore.choice.random_hm14 and evcore.io.hm14.write make one of the same layout)")
    text = read_text(path, what="HM14 file")
    tokens = Tokens(text, source=source)
    if len(tokens) == 0:
        raise InputError(str(source), "is empty; an HM14 file starts with a header 'N D E'")
    for index in range(block + 1):
        if len(tokens) == 0:
            raise InputError(str(source), f"holds only {index} instance(s), asked for block {block}")
        customers, candidates, competitors = _header(tokens, source, index)
        if index < block:
            for _ in range(customers * (1 + competitors + candidates)):
                tokens.float(f"block {index} values")
            continue
        weights = tokens.floats(customers, f"block {index}: customer weights")
        rows = tokens.floats(customers * (competitors + candidates), f"block {index}: cost values")
        rows = rows.reshape(competitors + candidates, customers)
        return HM14Data(weights=weights, competitor=rows[:competitors], candidate=rows[competitors:])
    raise AssertionError("unreachable")  # pragma: no cover


def count_blocks(path) -> int:
    """Number of instances in an HM14 file (each is checked as :func:`read` does)."""
    source = os.fspath(path) if isinstance(path, (str, os.PathLike)) else path
    tokens = Tokens(read_text(path, what="HM14 file"), source=source)
    count = 0
    while len(tokens):
        customers, candidates, competitors = _header(tokens, source, count)
        for _ in range(customers * (1 + competitors + candidates)):
            tokens.float(f"block {count} values")
        count += 1
    return count


def write(path, data, *, digits: int = 17) -> Path:
    """Write one :class:`HM14Data` (or a sequence of them, as consecutive blocks) to ``path``.

    ``digits`` significant digits per value (17 round-trips float64 exactly).
    """
    blocks = [data] if isinstance(data, HM14Data) else list(data)
    if not blocks or not all(isinstance(b, HM14Data) for b in blocks):
        raise InputError("data", "must be an HM14Data or a non-empty sequence of them")
    lines = []
    for b in blocks:
        weights = np.asarray(b.weights, float)
        competitor = np.asarray(b.competitor, float).reshape(-1, weights.size)
        candidate = np.asarray(b.candidate, float).reshape(-1, weights.size)
        for name, values in (("weights", weights), ("competitor", competitor), ("candidate", candidate)):
            if not np.all(np.isfinite(values)):
                raise InputError(name, "must be finite to be written")
        lines.append(f"{weights.size} {candidate.shape[0]} {competitor.shape[0]}")
        for row in (weights, *competitor, *candidate):
            lines.append(" ".join(f"{v:.{digits}g}" for v in row))
    path = Path(path)
    try:
        path.write_text("\n".join(lines) + "\n")
    except OSError as exc:
        raise InputError(str(path), f"cannot be written: {exc.strerror or exc}") from None
    return path
