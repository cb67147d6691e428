"""The placement instance of seed 002 §III (eqs. 10-25): candidates, limits, costs, demand, priorities.

The reading fixed here where our copy of the paper lost its formulas (the issue's reading, stated once):

* candidate ``k`` is a bus and a set of its phases; ``n_k`` chargers (integer) and a station flag
  ``x_k`` (binary) with ``Nmin_k x_k <= n_k <= Nmax_k x_k`` (eq. 21);
* each charger is a constant-power load of ``rating_kw`` at ``power_factor`` (lagging), split evenly
  over the candidate's phases (eqs. 22-23): ``connection="wye"`` puts one branch per phase to ground,
  ``"delta"`` one branch between each pair of phases (a single 240 V branch on a split-phase
  secondary); ``"auto"`` takes delta on a bus of exactly two nodes whose base-case voltages are more
  than 150 degrees apart (a centre-tapped secondary), wye otherwise;
* the AC network of the feeder with its loads as their own models (eqs. 11-17);
* voltage magnitude limits ``vmin_pu..vmax_pu`` on every monitored node (eq. 18) and the first-winding
  phase currents of every transformer and regulator with a rating at most the rating (eq. 19). A
  quantity already outside its limit in the base case (no chargers) is held to its base-case value
  (plus 1e-6 of it, so that the base case itself stays feasible) and listed in :attr:`relaxed_limits`;
  nothing is dropped;
* operating condition: a charger in operation, and every load branch of pure constant power (evcore's
  model 0, GridLAB-D's ``constant_power``), sees at least ``terminal_vmin_pu`` (default 0.8; an EVSE's
  undervoltage trip) of its base-case terminal voltage (phase-to-ground, or phase-to-phase for a delta or
  240 V branch); a placement whose power flow breaks it is not feasible. It never binds at a normal
  operating point (the node limits are far tighter), but it rules out the degenerate power-flow solutions
  (a phase-to-phase voltage collapsed under a constant power, currents without bound) that no limit on
  node voltages excludes by itself: every operating point meeting the limits then draws bounded currents,
  which the exact method's certificate needs (see :mod:`._enclosure`);
* ``sum n_k >= demand`` (eq. 20), by default the sum of the distinct census-block demands;
* budget ``sum(land_cost_k x_k + charger_cost n_k) <= budget`` (eq. 24);
* anti-clustering ``x_a + x_b <= 1`` when the haversine distance (eqs. 26-28, Earth radius 6,371 km) is
  below twice the service radius (eq. 25);
* objective ``max sum priority_k n_k`` (eq. 10); priorities from the sensitivity sweep (eq. 9) summed
  over the candidate's phases, or given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..._validate import as_array, as_scalar, check_in_range, check_integer, check_nonnegative, check_positive
from ...errors import InputError
from ..model import Feeder

__all__ = ["PlacementInstance", "haversine_m", "EARTH_RADIUS_M"]

#: Mean Earth radius of the haversine distance, m (seed 002, eq. 28).
EARTH_RADIUS_M = 6_371_000.0

CONNECTIONS = ("auto", "wye", "delta")


def haversine_m(lat1, lon1, lat2, lon2):
    """Great-circle distance between points given in degrees (WGS84), m (eqs. 26-28)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlam = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _strings(field_name, values, count):
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise InputError(field_name, f"must be a sequence of {count} strings, got {type(values).__name__}")
    out = []
    for i, v in enumerate(values):
        if not isinstance(v, (str, np.str_)):
            raise InputError(field_name, f"must be a string, got {v!r}", i)
        s = str(v).strip()
        if not s:
            raise InputError(field_name, "must not be empty", i)
        out.append(s)
    if len(out) != count:
        raise InputError(field_name, f"needs {count} entries, got {len(out)}")
    return tuple(out)


def _vector(field_name, value, count, default=None, *, integer=False, allow_nan=False):
    if value is None:
        if default is None:
            return None
        return np.full(count, default, dtype=np.int64 if integer else float)
    arr = as_array(field_name, value, float, ndim=1, shape=(count,))
    if allow_nan:
        bad = np.isinf(arr)
    else:
        bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(field_name, f"must be finite, got {arr[i]!r}", i)
    if integer:
        arr = check_integer(field_name, arr)
    return arr


@dataclass(frozen=True)
class PlacementInstance:
    """Grid-aware charger placement (seed 002 §III), validated on creation.

    Parameters
    ----------
    feeder : evcore.grid.Feeder
    candidates : sequence of str, shape (K,)
        Where each candidate connects: a bus (``"675"``: every phase node of it) or a bus with phases
        (``"675.1.2"``), as in OpenDSS.
    max_chargers : int array, shape (K,)
        ``Nmax_k``, chargers (>= ``min_chargers``).
    min_chargers : int array, shape (K,), optional
        ``Nmin_k``, chargers of a built station (>= 0; default 1).
    ids : sequence of str, shape (K,), optional
        Candidate ids (default: ``candidates``); unique.
    land_cost : array, shape (K,), optional
        Cost of building station ``k`` (land acquisition), $ (>= 0; default 0).
    latitude_deg, longitude_deg : arrays, shape (K,), optional
        WGS84 coordinates, degrees. Needed for ``service_radius_m > 0`` and for maps.
    census_demand : int array, shape (K,), optional
        Charger demand of each candidate's census block (repeated on every candidate of a block).
    census_block : sequence of str, shape (K,), optional
        Census block of each candidate; ``None`` = every candidate its own block.
    demand : int, optional
        Chargers the feeder needs (eq. 20); default the sum of the distinct census-block demands (0
        without ``census_demand``).
    priority : array, shape (K,), optional
        Objective weight per charger at each candidate (> 0); default from the sensitivity sweep (eq. 9).
    rating_kw : float
        Active power of one charger, kW (default 7.2).
    power_factor : float
        Lagging power factor of a charger, (0, 1] (default 0.95).
    charger_cost : float
        Installed cost per charger, $ (default 8,600).
    budget : float, optional
        $ (eq. 24); ``None`` = no budget.
    service_radius_m : float
        m; candidates closer than twice the radius exclude each other (eq. 25). 0 = no exclusion.
    vmin_pu, vmax_pu : float
        Voltage limits of monitored nodes, pu of each node's base (default 0.95, 1.05).
    monitored_nodes : sequence of str, optional
        Nodes (``"632.1"``) or buses whose voltage is limited; default every node of the feeder.
    monitor_transformers : bool
        Limit transformer and regulator currents (default True).
    connection : str or sequence of str
        ``"auto"``, ``"wye"`` or ``"delta"`` per candidate (or one for all).
    terminal_vmin_pu : float
        Lowest terminal voltage of a charger in operation and of a constant-power load, as a fraction of its
        base-case terminal voltage, (0, 1] (default 0.8).
    name : str

    Notes
    -----
    The objective's unit is the priority's (dimensionless softmax weights by default) times chargers.
    """

    feeder: Feeder
    candidates: tuple
    max_chargers: np.ndarray
    min_chargers: np.ndarray = None
    ids: tuple = None
    land_cost: np.ndarray = None
    latitude_deg: np.ndarray = None
    longitude_deg: np.ndarray = None
    census_demand: np.ndarray = None
    census_block: tuple = None
    demand: int = None
    priority: np.ndarray = None
    rating_kw: float = 7.2
    power_factor: float = 0.95
    charger_cost: float = 8600.0
    budget: float = None
    service_radius_m: float = 0.0
    vmin_pu: float = 0.95
    vmax_pu: float = 1.05
    monitored_nodes: tuple = None
    monitor_transformers: bool = True
    connection: object = "auto"
    terminal_vmin_pu: float = 0.8
    name: str = "placement"
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.feeder, Feeder):
            raise InputError("feeder", f"must be an evcore.grid.Feeder, got {type(self.feeder).__name__}")
        feeder = self.feeder
        if isinstance(self.candidates, (str, bytes)) or not hasattr(self.candidates, "__len__"):
            raise InputError("candidates", "must be a sequence of bus specifications ('675' or '675.1.2')")
        K = len(self.candidates)
        if K == 0:
            raise InputError("candidates", "needs at least one candidate")
        cands = _strings("candidates", self.candidates, K)
        ids = cands if self.ids is None else _strings("ids", self.ids, K)
        if len(set(ids)) != K:
            dup = next(i for i, s in enumerate(ids) if ids.count(s) > 1)
            raise InputError("ids", f"{ids[dup]!r} appears more than once", dup)
        if self.max_chargers is None:
            raise InputError("max_chargers", f"is required: the parking limit Nmax of each of the {K} candidates")
        nmax = _vector("max_chargers", self.max_chargers, K, integer=True)
        nmin = _vector("min_chargers", self.min_chargers, K, 1, integer=True)
        if (nmin < 0).any():
            i = int(np.flatnonzero(nmin < 0)[0])
            raise InputError("min_chargers", f"must be >= 0, got {nmin[i]}", i)
        if (nmax < nmin).any():
            i = int(np.flatnonzero(nmax < nmin)[0])
            raise InputError("max_chargers", f"must be >= min_chargers[{i}] = {nmin[i]}, got {nmax[i]}", i)
        if (nmax > 10 ** 6).any():
            i = int(np.flatnonzero(nmax > 10 ** 6)[0])
            raise InputError("max_chargers", f"must be at most 1,000,000 per candidate, got {nmax[i]}", i)
        land = check_nonnegative("land_cost", _vector("land_cost", self.land_cost, K, 0.0))
        lat = _vector("latitude_deg", self.latitude_deg, K)
        lon = _vector("longitude_deg", self.longitude_deg, K)
        if (lat is None) != (lon is None):
            raise InputError("longitude_deg" if lon is None else "latitude_deg",
                             "latitude_deg and longitude_deg go together")
        if lat is not None:
            check_in_range("latitude_deg", lat, -90.0, 90.0)
            check_in_range("longitude_deg", lon, -180.0, 180.0)
        census = _vector("census_demand", self.census_demand, K, integer=True)
        if census is not None and (census < 0).any():
            i = int(np.flatnonzero(census < 0)[0])
            raise InputError("census_demand", f"must be >= 0, got {census[i]}", i)
        blocks = None if self.census_block is None else _strings("census_block", self.census_block, K)
        if blocks is not None and census is not None:
            for b in set(blocks):
                vals = {int(census[i]) for i in range(K) if blocks[i] == b}
                if len(vals) > 1:
                    i = next(i for i in range(K) if blocks[i] == b)
                    raise InputError("census_demand", f"census block {b!r} has different demands {sorted(vals)}", i)
        if self.demand is None:
            if census is None:
                demand = 0
            elif blocks is None:
                demand = int(census.sum())
            else:
                demand = int(sum({blocks[i]: int(census[i]) for i in range(K)}.values()))
        else:
            demand = as_scalar("demand", self.demand, int)
            if demand < 0:
                raise InputError("demand", f"must be >= 0, got {demand}")
        rating = check_positive("rating_kw", np.asarray(as_scalar("rating_kw", self.rating_kw, float)))
        pf = as_scalar("power_factor", self.power_factor, float)
        check_in_range("power_factor", np.asarray(pf), 1e-6, 1.0)
        ccost = check_nonnegative("charger_cost", np.asarray(as_scalar("charger_cost", self.charger_cost, float)))
        budget = None
        if self.budget is not None:
            budget = as_scalar("budget", self.budget, float)
            check_nonnegative("budget", np.asarray(budget), allow_inf=True)
            budget = None if math.isinf(budget) else float(budget)
        radius = as_scalar("service_radius_m", self.service_radius_m, float)
        check_nonnegative("service_radius_m", np.asarray(radius))
        if radius > 0 and lat is None:
            raise InputError("service_radius_m", "needs latitude_deg and longitude_deg of the candidates")
        vmin = as_scalar("vmin_pu", self.vmin_pu, float)
        vmax = as_scalar("vmax_pu", self.vmax_pu, float)
        check_in_range("vmin_pu", np.asarray(vmin), 0.0, 10.0)
        check_in_range("vmax_pu", np.asarray(vmax), 0.0, 10.0)
        if not vmin < vmax:
            raise InputError("vmax_pu", f"must be above vmin_pu = {vmin}, got {vmax}")
        if not isinstance(self.monitor_transformers, (bool, np.bool_)):
            raise InputError("monitor_transformers", f"must be true or false, got {self.monitor_transformers!r}")
        if isinstance(self.connection, str):
            conn = (self.connection,) * K
        else:
            conn = _strings("connection", self.connection, K)
        for i, c in enumerate(conn):
            if c not in CONNECTIONS:
                raise InputError("connection", f"must be one of {list(CONNECTIONS)}, got {c!r}", i)
        terminal_vmin = as_scalar("terminal_vmin_pu", self.terminal_vmin_pu, float)
        if not 0.0 < terminal_vmin <= 1.0:
            raise InputError("terminal_vmin_pu", f"must be in (0, 1], got {terminal_vmin!r}")
        if not isinstance(self.name, str):
            raise InputError("name", f"must be a string, got {type(self.name).__name__}")

        for name, value in dict(candidates=cands, ids=ids, max_chargers=nmax, min_chargers=nmin, land_cost=land,
                                latitude_deg=lat, longitude_deg=lon, census_demand=census, census_block=blocks,
                                demand=demand, rating_kw=float(rating), power_factor=float(pf),
                                charger_cost=float(ccost), budget=budget, service_radius_m=float(radius),
                                vmin_pu=float(vmin), vmax_pu=float(vmax),
                                monitor_transformers=bool(self.monitor_transformers), connection=conn,
                                terminal_vmin_pu=float(terminal_vmin)).items():
            if isinstance(value, np.ndarray):
                value = np.array(value)
                value.setflags(write=False)
            object.__setattr__(self, name, value)

        self._build_branches()
        self._build_monitors()
        if self.priority is None:
            priority = self._sensitivity_priority()
        else:
            priority = _vector("priority", self.priority, K)
            check_positive("priority", priority)
            priority = np.array(priority)
        priority.setflags(write=False)
        object.__setattr__(self, "priority", priority)
        d = self._derived
        d["conflicts"] = self._conflicts()

    # ------------------------------------------------------------------ derived data
    def _bus_nodes(self, spec, k):
        feeder = self.feeder
        parts = spec.lower().split(".")
        bus = parts[0]
        lookup = self._derived.setdefault("bus_nodes", _bus_lookup(feeder))
        if bus not in lookup:
            raise InputError("candidates", f"bus {bus!r} is not in the feeder", k)
        nodes = lookup[bus]
        if len(parts) == 1:
            return bus, [i for _, i in nodes]
        try:
            phases = [int(p) for p in parts[1:]]
        except ValueError:
            raise InputError("candidates", f"phases must be integers in {spec!r}", k) from None
        have = dict(nodes)
        out = []
        for p in phases:
            if p not in have:
                raise InputError("candidates", f"bus {bus!r} has no phase {p} (has {sorted(have)})", k)
            out.append(have[p])
        if len(set(out)) != len(out):
            raise InputError("candidates", f"a phase is repeated in {spec!r}", k)
        return bus, out

    def _build_branches(self):
        from ..powerflow import power_flow

        feeder = self.feeder
        base = power_flow(feeder)
        self._derived["base"] = base
        unit_va = self.rating_kw * 1000.0 * complex(1.0, math.tan(math.acos(self.power_factor)))
        b_from, b_to, unit, owner, buses, phases = [], [], [], [], [], []
        for k, spec in enumerate(self.candidates):
            bus, nodes = self._bus_nodes(spec, k)
            buses.append(bus)
            phases.append(tuple(int(feeder.node_phase[i]) for i in nodes))
            conn = self.connection[k]
            if conn == "auto":
                conn = "wye"
                if len(nodes) == 2:
                    a = np.angle(base.voltage[nodes[0]] / base.voltage[nodes[1]], deg=True)
                    if abs(a) > 150.0:
                        conn = "delta"
            if conn == "wye" or len(nodes) == 1:
                pairs = [(i, -1) for i in nodes]
            elif len(nodes) == 2:
                pairs = [(nodes[0], nodes[1])]
            else:
                pairs = [(nodes[j], nodes[(j + 1) % len(nodes)]) for j in range(len(nodes))]
            for a, b in pairs:
                b_from.append(a)
                b_to.append(b)
                unit.append(unit_va / len(pairs))
                owner.append(k)
        d = self._derived
        d["charger_from"] = np.array(b_from, dtype=np.int64)
        d["charger_to"] = np.array(b_to, dtype=np.int64)
        d["charger_unit_va"] = np.array(unit, dtype=complex)
        vb = np.asarray(base.voltage_v, dtype=complex)
        terminal = np.abs(vb[d["charger_from"]] - np.where(d["charger_to"] >= 0, vb[d["charger_to"]], 0.0))
        d["charger_vmin_v"] = self.terminal_vmin_pu * terminal
        lf, lt = np.asarray(feeder.load_branch_from), np.asarray(feeder.load_branch_to)
        load_terminal = np.abs(vb[lf] - np.where(lt >= 0, vb[np.maximum(lt, 0)], 0.0))
        d["load_vmin_v"] = np.where(np.asarray(feeder.load_branch_model) == 0, self.terminal_vmin_pu * load_terminal,
                                    0.0)
        d["charger_candidate"] = np.array(owner, dtype=np.int64)
        d["buses"] = tuple(buses)
        d["phases"] = tuple(phases)

    def _build_monitors(self):
        feeder = self.feeder
        base = self._derived["base"]
        if self.monitored_nodes is None:
            nodes = np.arange(feeder.n_nodes)
        else:
            if isinstance(self.monitored_nodes, (str, bytes)) or not hasattr(self.monitored_nodes, "__len__"):
                raise InputError("monitored_nodes", "must be a sequence of node or bus names")
            lookup = self._derived.setdefault("bus_nodes", _bus_lookup(feeder))
            picked = []
            for i, name in enumerate(self.monitored_nodes):
                if not isinstance(name, (str, np.str_)):
                    raise InputError("monitored_nodes", f"must be a string, got {name!r}", i)
                key = str(name).lower()
                if key in lookup:
                    picked.extend(j for _, j in lookup[key])
                else:
                    try:
                        picked.append(feeder.node_index(key))
                    except InputError:
                        raise InputError("monitored_nodes", f"{name!r} is neither a node nor a bus of the feeder",
                                         i) from None
            nodes = np.array(sorted(set(picked)), dtype=np.int64)
        rows, cols, vals, ratings, labels = [], [], [], [], []
        if self.monitor_transformers:
            r = 0
            for e in feeder.transformer_elements():
                rating = feeder.element_rated_current_a[e]
                if not np.isfinite(rating):
                    continue
                y = feeder.element_yprim(e)
                enodes = feeder.element_nodes(e)
                per_terminal = len(enodes) // int(feeder.element_terminals[e])
                live = enodes >= 0
                for c in range(per_terminal):
                    if enodes[c] < 0:
                        continue
                    rows.extend([r] * int(live.sum()))
                    cols.extend(enodes[live].tolist())
                    vals.extend(y[c, live].tolist())
                    ratings.append(rating)
                    labels.append(f"current {feeder.element_names[e]}:{feeder.node_names[enodes[c]]}")
                    r += 1
            T = sp.csr_matrix((np.array(vals, dtype=complex), (rows, cols)), shape=(r, feeder.n_nodes))
        else:
            T = sp.csr_matrix((0, feeder.n_nodes), dtype=complex)
        base_v = np.abs(base.voltage[nodes])
        base_i = np.abs(T @ base.voltage_v) if T.shape[0] else np.zeros(0)
        lower = np.concatenate([np.full(len(nodes), self.vmin_pu), np.zeros(T.shape[0])])
        upper = np.concatenate([np.full(len(nodes), self.vmax_pu), np.array(ratings, dtype=float)])
        labels = [f"voltage {feeder.node_names[i]}" for i in nodes] + labels
        values = np.concatenate([base_v, base_i])
        relaxed = []
        for i in np.flatnonzero(values > upper):
            relaxed.append(dict(limit=labels[i], side="upper", limit_value=float(upper[i]),
                                base_value=float(values[i])))
            upper[i] = values[i] * (1.0 + 1e-6)
        for i in np.flatnonzero(values < lower):
            relaxed.append(dict(limit=labels[i], side="lower", limit_value=float(lower[i]),
                                base_value=float(values[i])))
            lower[i] = values[i] * (1.0 - 1e-6)
        d = self._derived
        d["monitor_nodes"] = nodes
        d["monitor_current"] = T
        d["limit_lower"] = lower
        d["limit_upper"] = upper
        d["limit_labels"] = tuple(labels)
        d["relaxed"] = tuple(relaxed)
        d["base_values"] = values

    def _sensitivity_priority(self):
        from ..sensitivity import sensitivity_sweep

        names = sorted({self.feeder.node_names[i] for k, spec in enumerate(self.candidates)
                        for i in self._bus_nodes(spec, k)[1]})
        sweep = sensitivity_sweep(self.feeder, names, rating_kw=self.rating_kw, power_factor=self.power_factor,
                                  vmin_pu=self.vmin_pu, vmax_pu=self.vmax_pu)
        node_weight = dict(zip(sweep.candidates, sweep.priority))
        out = np.zeros(len(self.candidates))
        for k, spec in enumerate(self.candidates):
            _, nodes = self._bus_nodes(spec, k)
            out[k] = sum(node_weight[self.feeder.node_names[i]] for i in nodes)
        self._derived["sensitivity"] = sweep
        return out

    def _conflicts(self):
        if self.service_radius_m <= 0 or self.latitude_deg is None:
            return np.zeros((0, 2), dtype=np.int64)
        lat, lon = self.latitude_deg, self.longitude_deg
        d = haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        a, b = np.nonzero(np.triu(d < 2.0 * self.service_radius_m, 1))
        return np.column_stack([a, b]).astype(np.int64)

    # ------------------------------------------------------------------ public views
    @property
    def n_candidates(self) -> int:
        return len(self.candidates)

    @property
    def buses(self) -> tuple:
        """Bus of every candidate, shape (K,)."""
        return self._derived["buses"]

    @property
    def phases(self) -> tuple:
        """Phase numbers every candidate's chargers connect to, shape (K,) of tuples."""
        return self._derived["phases"]

    @property
    def conflicts(self) -> np.ndarray:
        """Pairs of candidates closer than twice the service radius (eq. 25), shape (P, 2)."""
        return self._derived["conflicts"]

    @property
    def relaxed_limits(self) -> tuple:
        """Limits the base case already violates, held to their base-case values (dicts)."""
        return self._derived["relaxed"]

    @property
    def base_power_flow(self):
        """Power flow of the feeder without chargers."""
        return self._derived["base"]

    @property
    def limit_labels(self) -> tuple:
        """Names of the limited quantities: voltages (pu) first, then currents (A)."""
        return self._derived["limit_labels"]

    @property
    def n_monitored_voltages(self) -> int:
        return len(self._derived["monitor_nodes"])

    @property
    def upper_limits(self) -> np.ndarray:
        return self._derived["limit_upper"]

    @property
    def lower_limits(self) -> np.ndarray:
        return self._derived["limit_lower"]

    def cost(self, chargers) -> float:
        """Land plus charger cost of a placement, $."""
        n = np.asarray(chargers, dtype=float)
        return float((self.land_cost * (n > 0)).sum() + self.charger_cost * n.sum())

    def siting_violations(self, chargers) -> list:
        """Which non-grid constraints a placement breaks (parking limits, demand, budget, clustering)."""
        n = np.asarray(chargers, dtype=float)
        out = []
        for k in range(self.n_candidates):
            if n[k] != round(n[k]):
                out.append(f"{self.ids[k]}: {n[k]} chargers is not an integer")
            elif n[k] != 0 and not self.min_chargers[k] <= n[k] <= self.max_chargers[k]:
                out.append(f"{self.ids[k]}: {int(n[k])} chargers outside {self.min_chargers[k]}..{self.max_chargers[k]}")
        if n.sum() < self.demand:
            out.append(f"{int(n.sum())} chargers below the demand {self.demand}")
        if self.budget is not None and self.cost(n) > self.budget * (1 + 1e-12):
            out.append(f"cost {self.cost(n):,.0f} above the budget {self.budget:,.0f}")
        for a, b in self.conflicts:
            if n[a] > 0 and n[b] > 0:
                out.append(f"{self.ids[a]} and {self.ids[b]} are closer than twice the service radius")
        return out

    # private views used by the methods
    _charger_from = property(lambda self: self._derived["charger_from"])
    _charger_to = property(lambda self: self._derived["charger_to"])
    _charger_unit_va = property(lambda self: self._derived["charger_unit_va"])
    _charger_candidate = property(lambda self: self._derived["charger_candidate"])
    _charger_vmin_v = property(lambda self: self._derived["charger_vmin_v"])
    _load_vmin_v = property(lambda self: self._derived["load_vmin_v"])
    _monitor_nodes = property(lambda self: self._derived["monitor_nodes"])
    _monitor_current = property(lambda self: self._derived["monitor_current"])
    _limit_lower = property(lambda self: self._derived["limit_lower"])
    _limit_upper = property(lambda self: self._derived["limit_upper"])
    _limit_labels = property(lambda self: self._derived["limit_labels"])

    @classmethod
    def from_csv(cls, feeder, path, **options) -> "PlacementInstance":
        """An instance from a Grid-ECO candidate CSV (columns StationName, Node, MinParkCapacity,
        MaxParkCapacity, CensusBlockDemand, LandCost or InvestmentCost, Lat, Long; optional Phase,
        CensusBlockID). Keyword ``options`` are the other fields (``budget``, ``service_radius_m``, ...).

        The ``Node`` of a row names a bus of the feeder (all its phases; with a ``Phase`` column of
        A/B/C, that phase). Census-block ids written in spreadsheet scientific notation
        (``5.3033E+14``) carry no information: every row is then its own census block.
        """
        from ...io.grid_eco_csv import read

        data = read(path)
        cands = []
        for node, phase in zip(data.node, data.phase):
            cands.append(node if not phase else f"{node}.{phase}")
        kwargs = dict(ids=data.station, min_chargers=data.min_chargers, land_cost=data.land_cost,
                      latitude_deg=data.latitude_deg, longitude_deg=data.longitude_deg,
                      census_demand=data.census_demand,
                      census_block=data.census_block if data.census_block_valid else None)
        kwargs.update(options)
        return cls(feeder, tuple(cands), data.max_chargers, **kwargs)


def _bus_lookup(feeder):
    out = {}
    for i, (bus, ph) in enumerate(zip(feeder.node_bus, feeder.node_phase)):
        out.setdefault(bus, []).append((int(ph), i))
    return out
