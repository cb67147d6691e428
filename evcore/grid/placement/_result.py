"""The result of :func:`evcore.grid.place` (the contract's :class:`~evcore.results.Result`, maximising)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...results import Result

__all__ = ["PlacementResult"]


@dataclass(frozen=True, eq=False, kw_only=True)
class PlacementResult(Result):
    """A charger placement with its certificate and the power-flow check.

    Attributes
    ----------
    objective : float
        ``sum priority_k n_k`` of the returned placement (the priority's unit times chargers); ``-inf``
        when none was found.
    bound : float or None
        Proven upper bound of the optimum (``None`` when the method proves none).
    candidate_ids, buses : tuple of str, shape (K,)
    phases : tuple of tuples of int, shape (K,)
    chargers : int array, shape (K,)
        Chargers per candidate (0: no station).
    stations : bool array, shape (K,)
        Station built (``chargers > 0``).
    latitude_deg, longitude_deg : arrays, shape (K,), or None
    priority : array, shape (K,)
    cost_usd : float
        Land plus charger cost, $.
    demand : int
        Chargers the feeder needed (eq. 20).
    min_voltage_pu, max_voltage_pu : float
        Extremes of the monitored node voltages in the checking power flow, pu.
    transformer_labels : tuple of str, shape (T,)
    transformer_current_a, transformer_rating_a : arrays, shape (T,)
    transformer_loading : array, shape (T,)
        Current over the limit (rating, or the base-case current of a transformer already over it).
    node_names : tuple of str, shape (n,)
    voltage_pu, base_voltage_pu : arrays, shape (n,)
        Node voltage magnitudes with and without the chargers (checking power flow), pu.
    nodes : int
        Branch-and-bound nodes (0 for methods without a search).
    verified : bool
        The returned placement passed evcore's own power flow (mismatch 1e-9 pu) with every limit met to
        1e-9, and every siting constraint.
    violations : tuple of str
        What the check found violated (empty when ``verified``).
    binding_limits : tuple of str
        Limits within 0.1 % of their value at the placement.
    relaxed_limits : tuple of dict
        Limits the base case already violated, held to their base-case value.
    method_status : str
        What the method itself claimed (e.g. SCIP's ``"optimal"``) before evcore's check.
    certificate : dict
        How the status was established (exact: margin, enclosures, references, unresolved leaves, error
        estimate of the network reduction; paper/SCIP: their solver's report).
    """

    sense = "max"

    candidate_ids: tuple = ()
    buses: tuple = ()
    phases: tuple = ()
    chargers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stations: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    latitude_deg: np.ndarray | None = None
    longitude_deg: np.ndarray | None = None
    priority: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cost_usd: float = 0.0
    demand: int = 0
    min_voltage_pu: float = float("nan")
    max_voltage_pu: float = float("nan")
    transformer_labels: tuple = ()
    transformer_current_a: np.ndarray = field(default_factory=lambda: np.zeros(0))
    transformer_rating_a: np.ndarray = field(default_factory=lambda: np.zeros(0))
    transformer_loading: np.ndarray = field(default_factory=lambda: np.zeros(0))
    node_names: tuple = ()
    voltage_pu: np.ndarray = field(default_factory=lambda: np.zeros(0))
    base_voltage_pu: np.ndarray = field(default_factory=lambda: np.zeros(0))
    nodes: int = 0
    verified: bool = False
    violations: tuple = ()
    binding_limits: tuple = ()
    relaxed_limits: tuple = ()
    method_status: str = ""
    certificate: dict = field(default_factory=dict)

    @property
    def n_stations(self) -> int:
        return int(np.count_nonzero(self.stations))

    @property
    def total_chargers(self) -> int:
        return int(np.sum(self.chargers))

    def _summary_extra(self) -> dict:
        return {"stations": self.n_stations, "chargers": self.total_chargers, "cost_usd": self.cost_usd,
                "min_voltage_pu": self.min_voltage_pu, "max_voltage_pu": self.max_voltage_pu,
                "max_transformer_loading": float(np.max(self.transformer_loading)) if len(self.transformer_loading)
                else None, "nodes": int(self.nodes), "verified": bool(self.verified)}

    def _dict_extra(self) -> dict:
        return {"stations_built": self.n_stations, "total_chargers": self.total_chargers,
                "sites": [dict(candidate_id=c, bus=b, chargers=int(n)) for c, b, n in
                          zip(self.candidate_ids, self.buses, self.chargers) if n > 0]}

    def _frames(self) -> dict:
        def placement():
            out = {"candidate_id": list(self.candidate_ids), "bus": list(self.buses),
                   "phases": [".".join(str(p) for p in ph) for ph in self.phases],
                   "chargers": np.asarray(self.chargers, dtype=np.int64), "station": np.asarray(self.stations),
                   "priority": np.asarray(self.priority)}
            if self.latitude_deg is not None:
                out["latitude_deg"] = np.asarray(self.latitude_deg)
                out["longitude_deg"] = np.asarray(self.longitude_deg)
            return out

        def voltages():
            return {"node": list(self.node_names), "before_pu": np.asarray(self.base_voltage_pu),
                    "after_pu": np.asarray(self.voltage_pu)}

        def transformers():
            return {"transformer_phase": list(self.transformer_labels),
                    "current_a": np.asarray(self.transformer_current_a),
                    "limit_a": np.asarray(self.transformer_rating_a),
                    "loading_pu": np.asarray(self.transformer_loading)}

        return {"placement": placement, "voltages": voltages, "transformers": transformers}

    def to_geojson(self, path=None) -> dict:
        """Candidates as GeoJSON points (longitude, latitude in degrees WGS84) with chargers and station flag.

        Writes the file when ``path`` is given; returns the FeatureCollection.
        """
        from ...errors import InputError
        from ...io import geojson

        if self.latitude_deg is None:
            raise InputError("latitude_deg", "the instance has no coordinates: no GeoJSON")
        collection = geojson.point_collection(
            self.latitude_deg, self.longitude_deg,
            {"candidate_id": list(self.candidate_ids), "bus": list(self.buses),
             "phases": [".".join(str(p) for p in ph) for ph in self.phases],
             "chargers": [int(c) for c in self.chargers], "station": [bool(x) for x in self.stations],
             "priority": [float(p) for p in self.priority]})
        if path is not None:
            geojson.write(collection, path)
        return collection
