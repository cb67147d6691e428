"""Online dispatch of charging requests over a day (seed 003's state transition and queueing model).

- :mod:`.city`: :class:`City` (stations, destinations, speeds, cost weights) and :func:`generate_city`;
- :mod:`.requests`: :class:`ChargeRequest`, the allocation radius, seeded trips and requests;
- :mod:`.dispatcher`: :class:`Dispatcher` (batches, M/M/c/c availability, the remaining-time
  rule, GAP batch solves) with its embedding API for simulators (feedback calls,
  :attr:`~Dispatcher.next_decision_h`, decisions as a table, picklable);
- :mod:`.decisions`: :class:`Assignment` (one decision), :class:`Batch` and the decisions table;
- :mod:`.simulator`: :func:`simulate_day`, a self-contained day with background EVs.

Figures of a simulated day live in :mod:`evcore.assign.analysis`.
"""

from .city import City, generate_city
from .decisions import Assignment, Batch, decisions_frame, decisions_table
from .dispatcher import (
    BLOCKED_BATCH_FULL,
    BLOCKED_LATE,
    BLOCKED_LIKELY_FULL,
    BLOCKED_NO_PILE,
    BLOCKED_NO_WALKABLE_STATION,
    BLOCKED_OUT_OF_RANGE,
    ConstantRate,
    Dispatcher,
)
from .requests import (
    ChargeRequest,
    Trips,
    allocation_radius_km,
    daily_profile,
    generate_requests,
    generate_trips,
    requests_from_trips,
)
from .simulator import DaySimulation, simulate_day

__all__ = [
    "City",
    "generate_city",
    "ChargeRequest",
    "Trips",
    "daily_profile",
    "allocation_radius_km",
    "generate_trips",
    "requests_from_trips",
    "generate_requests",
    "Assignment",
    "Batch",
    "ConstantRate",
    "Dispatcher",
    "decisions_table",
    "decisions_frame",
    "DaySimulation",
    "simulate_day",
    "BLOCKED_OUT_OF_RANGE",
    "BLOCKED_NO_WALKABLE_STATION",
    "BLOCKED_LIKELY_FULL",
    "BLOCKED_LATE",
    "BLOCKED_NO_PILE",
    "BLOCKED_BATCH_FULL",
]
