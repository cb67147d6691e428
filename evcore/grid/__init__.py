"""Three-phase unbalanced distribution feeders: model, power flow and grid-impact sensitivity.

Feeder model (:class:`Feeder`): phase nodes, primitive element admittances (lines, switches,
transformers, regulators at fixed taps, capacitors), ZIP / wye / delta loads and a Thevenin or ideal source.
Readers (each returns the model; the plain data with an import report comes from :mod:`evcore.io`):

* :meth:`Feeder.from_glm` -- GridLAB-D models, with GridLAB-D's own Newton-Raphson element models
  (:func:`evcore.io.glm.read` gives the document and the report: skipped objects, id clashes, regulator
  taps used, merged children, negative-resistance cables, the file's asserts). No engine needed.
* :meth:`Feeder.from_opendss` -- through the OpenDSS engine (extra ``evcore[opendss]``;
  :func:`evcore.io.opendss.read`).
* :meth:`Feeder.from_json` / :meth:`Feeder.to_json` -- evcore's own format (:mod:`evcore.io.feeder_json`),
  lossless for every reader's feeders.

Power flow (:func:`power_flow`): Newton-Raphson in current-injection form with rectangular voltages,
C++ mismatch and Jacobian assembly, OpenDSS's and GridLAB-D's load models. :func:`power_flow_profile`
solves a load profile (e.g. a day in 15-minute steps) reusing the model between steps.
Sensitivity (:func:`sensitivity_sweep`): the grid-impact (GI) index of candidate charger nodes.

Charger placement (:func:`place`, :class:`PlacementInstance`): grid-aware siting solved to a certified
global optimum (:mod:`evcore.grid.placement`).

Reference: seed 002 (Grid-ECO), §II-C (grid-impact index, eqs. 3-9) and §III-B (eqs. 11-15).

API changes of issue 13/14 (the earlier fields and calls keep working):

* ``Feeder`` gains ``source_ideal`` (a GridLAB-D SWING bus: voltages held, no Thevenin impedance) and
  ``coordinates`` (:class:`BusCoordinates`: buses, ``xy``, ``unit``, ``system``), both defaulted; load model 9
  (GridLAB-D's constant current: fixed magnitude, angle following the voltage); ``with_loads(loads)``,
  ``scaled_loads(factor)``, ``node_coordinate_columns()``, ``load_index(name)``, ``bus_nodes``;
  ``from_document``/``to_document``. The per-feeder caches are no longer a ``Feeder._cache`` dict written
  from outside: :func:`evcore.grid._kernel.kernel_arrays` gives one cached, read-only named tuple of kernel
  inputs per feeder (``FeederArrays``).
* ``PowerFlowResult`` extends :class:`evcore.results.Result`: ``status`` is ``"optimal"`` (was
  ``"converged"``), ``objective`` nan, ``iterations``, ``wall_time`` (``solve_seconds`` kept as an alias),
  ``trace`` (columns ``iteration``, ``mismatch_pu``), ``to_dict()``/``to_frame()`` with tables ``nodes``
  (``node``, ``voltage_pu``, ``angle_deg``, ...), ``elements``, ``loads``. A solution with nodes at about
  0 V, islands, isolated buses and open switches that cut nodes off are :class:`~evcore.errors.InputError`
  naming where.
* ``SensitivityResult`` extends :class:`evcore.results.Result`: ``status`` ``"optimal"`` (was
  ``"complete"``) or ``"time_limit"``; ``iterations`` is now the total over candidates and
  ``candidate_iterations`` the per-candidate array (it was ``iterations``); ``seconds`` is ``wall_time``;
  ``node_names``, ``threads``; tables ``candidates``, ``voltages``, ``transformer_currents``.
  ``workers=None`` (new default) picks the threads from the cores free; ``progress`` follows
  :mod:`evcore.progress`.
* Node tables (CLI, :func:`evcore.grid.analysis.voltage_rows`): ``voltage_pu`` (was ``magnitude_pu``) and
  coordinates with their unit in the column name.
"""

from .model import ELEMENT_KINDS, LOAD_MODELS, BusCoordinates, Feeder
from .powerflow import NonConvergenceError, PowerFlowResult, power_flow
from .profile import PowerFlowProfileResult, power_flow_profile
from .sensitivity import SensitivityResult, compare_engines, grid_impact_index, sensitivity_sweep
from .placement import CensusDemandResult, PlacementInstance, PlacementResult, census_demand, place

#: The grid package's optimisation under the contract's name: ``evcore.grid.solve(instance, method=...)`` is
#: :func:`place` (every method package has a ``solve``; power flow and the sweep are analyses, not solves).
solve = place

__all__ = [
    "solve",
    "Feeder",
    "BusCoordinates",
    "LOAD_MODELS",
    "ELEMENT_KINDS",
    "power_flow",
    "PowerFlowResult",
    "NonConvergenceError",
    "power_flow_profile",
    "PowerFlowProfileResult",
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
