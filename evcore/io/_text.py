"""The one tokenizer of evcore's readers: safe text loading and strict number parsing.

Every reader in :mod:`evcore.io` loads its file with :func:`read_text` (binary, UTF-16 and
undecodable files are refused with the path) and parses numbers with :func:`parse_float` and
:func:`parse_int` (no NaN, no infinity, no overflow to infinity, no silent truncation), so every
error names the file, the line and what was expected there.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from ..errors import InputError

__all__ = ["read_text", "parse_float", "parse_int", "Tokens", "where"]

#: Files larger than this are refused before reading (a wrong path to a huge binary, say).
MAX_TEXT_BYTES = 2 * 1024**3


def where(source, line: int | None) -> str:
    """``"path:line"`` (or the path alone) for messages."""
    return f"{source}:{line}" if line is not None else str(source)


def read_text(path, *, what: str = "file") -> str:
    """Read a text file as UTF-8 (a UTF-8 byte-order mark is skipped).

    Raises :class:`InputError` (field: the path) when the file is missing, a folder, empty of
    bytes where text is expected, binary (NUL bytes), UTF-16/32, or not valid UTF-8.
    """
    source = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if source is None:
        raise InputError(what, f"must be a path (str or os.PathLike), got {type(path).__name__}")
    file = Path(source)
    if not file.exists():
        raise InputError(source, f"no such {what}")
    if file.is_dir():
        raise InputError(source, f"is a folder, expected a {what}")
    try:
        size = file.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise InputError(source, f"is {size} bytes; a {what} of at most {MAX_TEXT_BYTES} bytes is expected")
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(source, f"cannot be read: {exc.strerror or exc}") from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00"):
        raise InputError(source, f"is UTF-16/UTF-32 encoded; save the {what} as UTF-8 text")
    if b"\x00" in data[:65536]:
        raise InputError(source, f"is a binary file, not a text {what}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(where(source, line), f"is not valid UTF-8 text (byte {exc.start})") from None
    return text[1:] if text.startswith("\ufeff") else text


_INT = re.compile(r"[+-]?\d+\Z")


def parse_float(token: str, *, source="input", line: int | None = None, field: str = "value") -> float:
    """A finite float from ``token``; NaN, infinity and overflow (``1e400``) are refused."""
    try:
        value = float(token)
    except (TypeError, ValueError):
        raise InputError(where(source, line), f"{field}: expected a number, got {token!r}") from None
    if not math.isfinite(value):
        raise InputError(where(source, line), f"{field}: expected a finite number, got {token!r}")
    return value


def parse_int(token: str, *, source="input", line: int | None = None, field: str = "value") -> int:
    """An integer from ``token`` (``"49.5"`` and ``"4e1"`` are refused: no silent truncation)."""
    if not isinstance(token, str) or not _INT.match(token.strip()):
        raise InputError(where(source, line), f"{field}: expected an integer, got {token!r}")
    return int(token)


class Tokens:
    """Whitespace-separated tokens of a text with their line numbers, read in order.

    >>> tokens = Tokens("2 3\\n1.5 2.5", source="demo.txt")
    >>> tokens.ints(2, "size"), tokens.floats(2, "cost").tolist()
    ([2, 3], [1.5, 2.5])
    """

    def __init__(self, text: str, source="input", *, comment: str | None = None):
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
        if self._next >= len(self._items):
            raise InputError(where(self.source, self.line), f"{field}: the file ends early (truncated?)")
        token, line = self._items[self._next]
        self._next += 1
        return token, line

    def int(self, field: str) -> int:
        token, line = self._take(field)
        return parse_int(token, source=self.source, line=line, field=field)

    def float(self, field: str) -> float:
        token, line = self._take(field)
        return parse_float(token, source=self.source, line=line, field=field)

    def ints(self, count: int, field: str) -> list:
        return [self.int(field) for _ in range(count)]

    def floats(self, count: int, field: str):
        import numpy as np

        return np.array([self.float(field) for _ in range(count)], dtype=float)

    def expect_end(self, what: str = "data") -> None:
        if self._next < len(self._items):
            token, line = self._items[self._next]
            raise InputError(where(self.source, line), f"unexpected {what} after the end: {token!r}")
