"""Three-phase unbalanced distribution feeders: model, power flow and grid-impact sensitivity.

Feeder model (:class:`Feeder`): phase nodes, primitive element admittances (lines, switches,
transformers, regulators at fixed taps, capacitors), ZIP / wye / delta loads and a Thevenin source;
read from OpenDSS through the OpenDSS engine (:meth:`Feeder.from_opendss`, optional extra
``evcore[opendss]``) or from evcore's own JSON format (:meth:`Feeder.from_json`).

Power flow (:func:`power_flow`): Newton-Raphson in current-injection form with rectangular voltages,
C++ mismatch and Jacobian assembly, OpenDSS's load models.

Charger placement (:func:`place`, :class:`PlacementInstance`): grid-aware siting solved to a certified
global optimum (:mod:`evcore.grid.placement`).

Reference: seed 002 (Grid-ECO), §II-C (grid-impact index, eqs. 3-9) and §III-B (eqs. 11-15).
"""

from .model import ELEMENT_KINDS, LOAD_MODELS, BusCoordinates, Feeder
from .powerflow import NonConvergenceError, PowerFlowResult, power_flow
from .sensitivity import SensitivityResult, compare_engines, grid_impact_index, sensitivity_sweep
from .placement import CensusDemandResult, PlacementInstance, PlacementResult, census_demand, place

__all__ = [
    "Feeder",
    "BusCoordinates",
    "LOAD_MODELS",
    "ELEMENT_KINDS",
    "power_flow",
    "PowerFlowResult",
    "NonConvergenceError",
    "sensitivity_sweep",
    "SensitivityResult",
    "grid_impact_index",
    "compare_engines",
    "PlacementInstance",
    "PlacementResult",
    "place",
    "census_demand",
    "CensusDemandResult",
]
