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


_WARMED: set[str] = set()


def ensure_compiled(kernel_module) -> None:
    """Run ``kernel_module.warm_up()`` once per process.

    Solvers call this before starting their clock, so a time limit measures the search and
    not Numba's compilation (first use on a machine) or cache loading (first use in a process).
    """
    name = kernel_module.__name__
    if name not in _WARMED:
        kernel_module.warm_up()
        _WARMED.add(name)
