"""GridLAB-D feeder models (``.glm``): read a file into an evcore feeder document and an import report.

``read(path)`` returns plain data: the feeder as an evcore feeder document (the JSON format of
:mod:`evcore.grid`, every element as its primitive admittance computed as GridLAB-D's Newton-Raphson solver
computes it, loads branch by branch, the SWING bus as an ideal source) and a report of what the reader did:
objects skipped (class, name, file:line and why), id clashes between classes, the regulator taps used,
child objects merged into their parent bus, lines whose impedance has a negative resistance (GridLAB-D warns
about the same ones), and the file's ``complex_assert`` values. :meth:`evcore.grid.Feeder.from_glm` builds
the model from it.

Supported: ``node``, ``meter``, ``load`` (constant power, current and impedance parts per phase, wye and
delta, ZIP through ``base_power``), ``triplex_node``/``triplex_meter``/``triplex_load`` (legs 1, 2 and 12),
``capacitor`` (switch states held), ``overhead_line``/``underground_line`` with ``line_configuration``,
``line_spacing``, ``overhead_line_conductor``, ``underground_line_conductor`` (concentric-neutral and
tape-shield cables), ``triplex_line`` with its configuration and conductors, ``transformer`` (WYE_WYE,
DELTA_DELTA, DELTA_GWYE, SINGLE_PHASE, SINGLE_PHASE_CENTER_TAPPED), ``regulator`` (WYE_WYE, taps fixed:
given, or the file's ``tap_pos``), ``switch``, ``fuse``, ``recloser``, ``sectionalizer`` (open or closed
as stated), ``series_reactor``; ``parent`` relations; references by name and by ``class:id``.

Skipped and listed: ``clock``, ``module`` other than powerflow, ``#set``/``#define``, ``class`` and
``schedule`` blocks, recorders, dumps, asserts (their values are in the report). Refused with an
:class:`~evcore.errors.InputError` naming the object and line: objects that would change the answer
(``house``, ``inverter``, ``solar``, a ``player`` attached to an object, ...), unknown classes and
properties, dangling references, missing configurations, syntax errors, truncated files.

Reference: GridLAB-D 6 powerflow module (PNNL); W. H. Kersting, Distribution System Modeling and Analysis.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from ..errors import InputError
from ._glm_build import build_document
from ._glm_parse import GlmModel, GlmObject, parse_glm

__all__ = ["read", "parse", "GlmFeeder", "GlmModel", "GlmObject"]


class GlmFeeder(NamedTuple):
    """What :func:`read` returns."""

    document: dict
    report: dict


def parse(path) -> GlmModel:
    """The file's objects, modules and directives (syntax only), with file:line for every property."""
    return parse_glm(path)


def read(path, *, regulator_taps=None, name=None) -> GlmFeeder:
    """Read a GridLAB-D ``.glm`` file into ``(document, report)``.

    Parameters
    ----------
    path : str or Path
    regulator_taps : dict, optional
        Regulator name -> tap step: an int (all phases), three ints (A, B, C) or ``{"A": .., "B": ..}``.
        Regulators not named keep the taps the file gives them (``tap_A`` on the regulator, else
        ``tap_pos_A`` of its configuration). Controls are never simulated: taps are fixed.
    name : str, optional
        Feeder name (default: the file name without extension).

    Returns
    -------
    GlmFeeder
        ``document`` (evcore feeder JSON document, a dict) and ``report`` (a dict).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InputError("path", f"must be a path to a .glm file, got {type(path).__name__}")
    if regulator_taps is not None and not isinstance(regulator_taps, dict):
        raise InputError("regulator_taps", f"must be a dict of regulator name -> taps, got "
                                           f"{type(regulator_taps).__name__}")
    model = parse_glm(path)
    doc, report = build_document(model, regulator_taps=regulator_taps, name=name)
    return GlmFeeder(doc, report)
