"""Old home of the online dispatcher, kept so that existing imports keep working.

Everything now lives in :mod:`evcore.assign.online` (city, requests, dispatcher, simulator)
and the figures in :mod:`evcore.assign.analysis`.
"""

from .analysis import plot_occupancy, plot_summary
from .online import *  # noqa: F401,F403 - the old public names
from .online import __all__ as _online_all

__all__ = [*_online_all, "plot_occupancy", "plot_summary", "hasp_available"]


def hasp_available() -> bool:
    """True: HASP (:mod:`evcore.assign.search`) ships with evcore (kept for old callers)."""
    return True
