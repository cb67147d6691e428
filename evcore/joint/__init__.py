"""Joint charging-capacity investment and spatio-temporal EV assignment (seed 000).

- :class:`JointInstance` (the model of §3.3, validated; zones named by ``zone_ids``, with
  optional lat/lon ``zone_centroids``) and the trip pipeline (:func:`read_trips`,
  :func:`read_centroids`, :func:`trips_to_model_data`) with §5.1's parameters
  (:func:`location_cost_by_distance`, :func:`sample_charging_share`) and a Chengdu-like
  :func:`synthetic_city`.
- :func:`solve` with ``method="highs"`` (the LP centrally, :mod:`.central`), ``"admm"``
  (evcore's convergent primal-dual splitting with a certified gap, :mod:`.splitting`; Ray
  backend in :mod:`._ray`) or ``"paper-admm"`` (the seed's Algorithm 1, :mod:`.paper_admm`);
  every method returns a :class:`JointResult` (the :class:`evcore.results.Result` contract).
- :mod:`.analysis`: Table 1 sweep over the assignment range and the paper's figures.
"""

from ._lp import build_lp, check_budget, minimum_budget, recover_flows
from ._result import JointResult
from .central import lagrangian_bound, solve_central
from .model import JointInstance, PairTable, no_assignment_plan
from .paper_admm import solve_paper_admm
from .solve import BACKENDS, METHODS, known_options, solve
from .splitting import solve_splitting
from .synthetic import (SyntheticCity, location_cost_by_distance, sample_charging_share, synthetic_city,
                        synthetic_trips, write_sample_trips)
from .trips import TripData, TripReport, haversine_km, read_centroids, read_trips, trips_to_model_data

__all__ = ["JointInstance", "PairTable", "JointResult", "solve", "METHODS", "BACKENDS", "known_options",
           "solve_central", "solve_splitting", "solve_paper_admm", "build_lp", "minimum_budget", "check_budget",
           "no_assignment_plan", "recover_flows", "lagrangian_bound", "synthetic_city", "synthetic_trips",
           "SyntheticCity", "write_sample_trips", "location_cost_by_distance", "sample_charging_share", "TripData", "TripReport",
           "read_trips", "read_centroids", "trips_to_model_data", "haversine_km"]
