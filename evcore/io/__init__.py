"""evcore.io: readers (and writers) of outside formats.

Each format is one module; every reader loads text through the one tokenizer
(:mod:`evcore.io._text`) and returns plain data (named tuples of numpy arrays); the method
packages build their instances from it. Imports point one way: methods use ``io``, ``io``
never imports a method.
"""

from __future__ import annotations

from .._output import write_csv, write_json
from ._text import Tokens, parse_float, parse_int, read_text

# write_json / write_csv: results (``result.to_dict()``, ``result.to_frame()`` rows) to files, the way
# evcore's own CLI writes them (numpy values made JSON-ready, parent folders created).
__all__ = ["read_text", "parse_float", "parse_int", "Tokens", "write_json", "write_csv"]
