"""Grid-aware charger placement solved to a certified global optimum (seed 002 §II-B, §III, §IV, §V).

- :class:`PlacementInstance`: candidates (bus, phases, parking limits, land cost, coordinates), the feeder,
  voltage and transformer limits, demand, budget, service radius, priorities (eqs. 10-25);
  :meth:`PlacementInstance.from_csv` reads the Grid-ECO candidate files.
- :func:`place`: ``method="exact"`` (evcore's certified branch and bound with Krawczyk enclosures of the
  power flow), ``"paper"`` (the seed's McCormick relaxation, bound tightening and spatial branch and
  bound), ``"scip"`` (the bilinear model in SCIP). Every answer is re-checked by evcore's power flow.
- :func:`census_demand`: eq. (1), ports per census block.
"""

from ._census import CensusDemandResult, census_demand
from ._instance import EARTH_RADIUS_M, PlacementInstance, haversine_m
from ._result import PlacementResult
from ._solve import METHODS, place
from ._verify import check_placement

__all__ = ["PlacementInstance", "PlacementResult", "place", "METHODS", "census_demand", "CensusDemandResult",
           "check_placement", "haversine_m", "EARTH_RADIUS_M"]
