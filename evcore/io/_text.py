"""The one tokenizer of evcore's readers: safe text loading and strict number parsing.

Every reader in :mod:`evcore.io` loads its file with :func:`read_text` (binary, UTF-16 and
undecodable files are refused with the path) and parses numbers with :func:`parse_float` and
:func:`parse_int` (no NaN, no infinity, no overflow to infinity, no silent truncation), so every
error names the file, the line and what was expected there.

>>> tokens = Tokens("3 2\\n1.5 2.5 4\\n", source="demo.txt")
>>> tokens.int("jobs"), tokens.int("agents"), tokens.floats(3, "cost").tolist()
(3, 2, [1.5, 2.5, 4.0])
>>> tokens.expect_end()
>>> parse_int("49.5", source="demo.txt", line=1, field="customers")
Traceback (most recent call last):
...
evcore.errors.InputError: demo.txt:1: customers: expected an integer, got '49.5'
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path

from ..errors import InputError

__all__ = ["read_text", "parse_float", "parse_int", "Tokens", "where"]

#: Files larger than this are refused before reading (a wrong path to a huge binary, say).
MAX_TEXT_BYTES = 2 * 1024**3


def where(source, line: int | None) -> str:
    """``"path:line"`` (or the path alone) for messages."""
    return f"{source}:{line}" if line is not None else str(source)


def read_text(path, *, what: str = "file", origin: str | None = None) -> str:
    """Read a text file as UTF-8 (a UTF-8 byte-order mark is skipped).

    Raises :class:`InputError` (field: the path) when the path is not a path, the file is
    missing, a folder, not a regular file (a device such as ``/dev/zero`` or a pipe, which
    would never end), unreadable, larger than :data:`MAX_TEXT_BYTES`, binary (NUL bytes),
    UTF-16/32, or not valid UTF-8. An empty file gives ``""`` (the reader says what it expected;
    :class:`Tokens` says the file is empty). ``origin`` tells a user whose file is missing where such
    files come from (added to that message).
    """
    source = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not isinstance(source, str):
        raise InputError(what, f"must be a path (str or os.PathLike), got {type(path).__name__}")
    if "\x00" in source:
        raise InputError(what, f"is not a valid path (it contains a NUL character): {source!r}")
    try:
        status = os.stat(source)
    except FileNotFoundError:
        raise InputError(source, f"no such {what}" + (f" ({origin})" if origin else "")) from None
    except (OSError, ValueError) as exc:
        raise InputError(source, f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    if stat.S_ISDIR(status.st_mode):
        raise InputError(source, f"is a folder, expected a {what}")
    if not stat.S_ISREG(status.st_mode):
        raise InputError(source, f"is not a regular file (a device, pipe or socket), expected a {what}")
    if status.st_size > MAX_TEXT_BYTES:
        raise InputError(source, f"is {status.st_size} bytes; a {what} of at most {MAX_TEXT_BYTES} bytes is expected")
    try:
        with open(source, "rb") as handle:
            data = handle.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise InputError(source, f"cannot be read: {exc.strerror or exc}") from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00"):
        raise InputError(source, f"is UTF-16/UTF-32 encoded; save the {what} as UTF-8 text")
    nul = data.find(b"\x00")
    if nul >= 0:
        head = data[:512]
        if len(head) >= 4 and (head[1::2].count(0) >= len(head) // 4 or head[0::2].count(0) >= len(head) // 4) \
                and nul < 4:
            raise InputError(source, f"looks UTF-16 encoded (no byte-order mark); save the {what} as UTF-8 text")
        line = data[:nul].count(b"\n") + 1
        raise InputError(where(source, line), f"is a binary file (NUL byte at {nul}), not a text {what}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(where(source, line), f"is not valid UTF-8 text (byte {exc.start})") from None
    return text[1:] if text.startswith("\ufeff") else text


# ASCII only: Python's float() and int() also read "1_000", "\u0663" (Arabic-Indic 3) and
# full-width digits, none of which belongs in a data file.
_INT = re.compile(r"[+-]?[0-9]+\Z")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
_NONFINITE = re.compile(r"[+-]?(nan|inf|infinity)\Z", re.IGNORECASE)
#: Longest number token read (longer ones are refused rather than parsed: a corrupted file).
MAX_TOKEN_CHARS = 400
#: Integers read from files fit a signed 64-bit integer (every size and index evcore stores).
_INT_LIMIT = 2**63


def _shown(token) -> str:
    text = repr(token)
    return text if len(text) <= 60 else f"{text[:40]}...{text[-10:]} ({len(token)} characters)"


def parse_float(token: str, *, source="input", line: int | None = None, field: str = "value") -> float:
    """A finite float from ``token`` (text, surrounding blanks ignored).

    NaN, infinity, overflow (``1e400``), hexadecimal, ``1_000``, non-ASCII digits, tokens
    longer than :data:`MAX_TOKEN_CHARS` and anything but a string are refused.

    >>> parse_float("2.5e3")
    2500.0
    >>> parse_float("1e400", source="a.txt", line=3, field="cost")
    Traceback (most recent call last):
    ...
    evcore.errors.InputError: a.txt:3: cost: expected a finite number, got '1e400'
    """
    text = token.strip() if isinstance(token, str) else None
    if text is None or len(text) > MAX_TOKEN_CHARS or not (_FLOAT.match(text) or _NONFINITE.match(text)):
        raise InputError(where(source, line), f"{field}: expected a number, got {_shown(token)}")
    value = float(text)
    if not math.isfinite(value):
        raise InputError(where(source, line), f"{field}: expected a finite number, got {_shown(token)}")
    return value


def parse_int(token: str, *, source="input", line: int | None = None, field: str = "value") -> int:
    """An integer from ``token`` (``"49.5"`` and ``"4e1"`` are refused: no silent truncation),
    within a signed 64-bit integer.

    >>> parse_int(" 42 ")
    42
    """
    text = token.strip() if isinstance(token, str) else None
    if text is None or len(text) > MAX_TOKEN_CHARS or not _INT.match(text):
        raise InputError(where(source, line), f"{field}: expected an integer, got {_shown(token)}")
    value = int(text)
    if not -_INT_LIMIT <= value < _INT_LIMIT:
        raise InputError(where(source, line), f"{field}: integer out of range (|value| < 2**63), got {_shown(token)}")
    return value


class Tokens:
    """Whitespace-separated tokens of a text with their line numbers, read in order.

    >>> tokens = Tokens("2 3\\n1.5 2.5", source="demo.txt")
    >>> tokens.ints(2, "size"), tokens.floats(2, "cost").tolist()
    ([2, 3], [1.5, 2.5])
    """

    def __init__(self, text: str, source="input", *, comment: str | None = None):
        if not isinstance(text, str):
            raise InputError(str(source), f"the text to read must be a str (decoded), got {type(text).__name__}")
        if comment is not None and (not isinstance(comment, str) or not comment):
            raise InputError("comment", f"must be a non-empty string or None, got {comment!r}")
        self.source = source
        items = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if comment is not None:
                raw = raw.split(comment, 1)[0]
            items.extend((token, number) for token in raw.split())
        self._items = items
        self._next = 0

    def __len__(self) -> int:
        return len(self._items) - self._next

    @property
    def line(self) -> int | None:
        """Line of the next token (of the last one at the end)."""
        if not self._items:
            return None
        return self._items[min(self._next, len(self._items) - 1)][1]

    def _take(self, field: str):
        if not self._items:
            raise InputError(str(self.source), f"{field}: the file is empty (no data)")
        if self._next >= len(self._items):
            raise InputError(where(self.source, self.line), f"{field}: the file ends early (truncated?)")
        token, line = self._items[self._next]
        self._next += 1
        return token, line

    def int(self, field: str) -> int:
        """The next token as an integer (see :func:`parse_int`)."""
        token, line = self._take(field)
        return parse_int(token, source=self.source, line=line, field=field)

    def float(self, field: str) -> float:
        """The next token as a finite float (see :func:`parse_float`)."""
        token, line = self._take(field)
        return parse_float(token, source=self.source, line=line, field=field)

    def _count(self, count, field: str) -> int:
        import numbers

        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 0:
            raise InputError(where(self.source, self.line), f"{field}: cannot read {count!r} values "
                                                            "(a count must be an integer >= 0)")
        if count > len(self):  # the header promises more than the file holds: read up to the end, which says so
            return len(self) + 1
        return int(count)

    def ints(self, count: int, field: str) -> list:
        """The next ``count`` tokens as integers."""
        return [self.int(field) for _ in range(self._count(count, field))]

    def floats(self, count: int, field: str):
        """The next ``count`` tokens as a float64 array."""
        import numpy as np

        return np.array([self.float(field) for _ in range(self._count(count, field))], dtype=float)

    def expect_end(self, what: str = "data") -> None:
        """Refuse anything left after the data (a file with more than its header announced)."""
        if self._next < len(self._items):
            token, line = self._items[self._next]
            raise InputError(where(self.source, line), f"unexpected {what} after the end: {token!r}")
