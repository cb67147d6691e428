"""evcore.io: readers (and writers) of outside formats.

Each format is one module; every reader loads text through the one tokenizer
(:mod:`evcore.io._text`) and returns plain data (named tuples of numpy arrays); the method
packages build their instances from it. Imports point one way: methods use ``io``, ``io``
never imports a method.
"""

from __future__ import annotations

from ._text import Tokens, parse_float, parse_int, read_text

__all__ = ["read_text", "parse_float", "parse_int", "Tokens"]
