"""Compatibility names for the OpenDSS engine wrapper, which lives in :mod:`evcore.io.opendss`.

``feeder_from_opendss`` is :meth:`evcore.grid.Feeder.from_opendss`; ``opendss_solve`` and ``opendss_sweep``
are :func:`evcore.io.opendss.solve` and :func:`evcore.io.opendss.sweep`.
"""

from __future__ import annotations

from ..io.opendss import MAX_TAP_STEPS, TAP_STEP_PU, _compile, engine as opendss_engine  # noqa: F401
from ..io.opendss import solve as opendss_solve, sweep as opendss_sweep

__all__ = ["feeder_from_opendss", "opendss_engine", "opendss_solve", "opendss_sweep", "TAP_STEP_PU", "MAX_TAP_STEPS"]


def feeder_from_opendss(path, regulator_taps=None, **kwargs):
    """:meth:`evcore.grid.Feeder.from_opendss`."""
    from .model import Feeder

    return Feeder.from_opendss(path, regulator_taps=regulator_taps, **kwargs)
