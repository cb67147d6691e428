"""Importing evcore's compiled extensions with a message a user can act on."""

from __future__ import annotations

import importlib


def import_extension(name: str):
    """Import the compiled module ``name`` or explain how to build it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"evcore's compiled extension {name} is missing or broken ({exc}). If you are running "
            "from a source checkout, build it with `pip install -e .` (or run from another folder "
            "so that the installed evcore is imported)."
        ) from exc
