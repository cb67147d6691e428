"""Instances of the EV-to-station assignment problem and of the general GAP behind it.

Every solver in :mod:`evcore.assign` works on the generalized assignment problem (GAP):
agents ``i`` (charging stations) with capacities, jobs ``j`` (EVs), each job assigned to
exactly one agent, minimising total cost subject to each agent's resource capacity. The EV
model of seed 003 maps onto it with :meth:`EVInstance.to_gap`; outside benchmarks (OR-Library)
load with :func:`read_orlib_gap`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow

from .._validate import (
    as_array,
    check_choice,
    check_count,
    check_ids,
    check_integer,
    check_nonnegative,
    check_number,
    check_positive,
    check_seed,
    first_index,
    freeze_fields,
)
from ..errors import InfeasibleError, InputError
from ..io import gap as gap_io

__all__ = ["GAPInstance", "EVInstance", "as_gap_instance", "read_orlib_gap", "read_orlib_gaps", "write_orlib_gap",
           "random_ev_instance", "random_gap_instance", "GAP_TYPES", "MAX_GENERATED_PAIRS"]

#: Largest agents x jobs (stations x EVs) the generators make (a typo must not ask for terabytes).
MAX_GENERATED_PAIRS = 10**7


@dataclass(frozen=True, eq=False)
class GAPInstance:
    """A generalized assignment problem (minimisation), validated on creation.

    Parameters
    ----------
    cost : array_like, shape (agents, jobs)
        Cost of giving job ``j`` to agent ``i``; ``+inf`` forbids the pair.
    resource : array_like, shape (agents, jobs)
        Capacity job ``j`` uses at agent ``i`` (``>= 0``, finite).
    capacity : array_like, shape (agents,)
        Capacity of each agent (``>= 0``, finite).
    name : str
        Label used in reports.
    job_ids, agent_ids : sequence of str or int, optional
        Ids of the jobs (EVs) and agents (stations) used in every output (tables, JSON, CSV);
        default ``1 .. jobs`` and ``1 .. agents``. Inside, jobs and agents are 0-based positions.
    job_label, agent_label : str
        What a job and an agent are, for column names (``"job"``/``"agent"``; an EV instance
        uses ``"ev"``/``"station"``): tables have columns ``<job_label>_id`` and ``<agent_label>_id``.

    Attributes
    ----------
    allowed : numpy.ndarray of bool, shape (agents, jobs)
        Pairs that may be used: finite cost and ``resource <= capacity``.

    Raises
    ------
    InputError
        Bad shapes or values (NaN, negative resource or capacity, ``-inf`` cost).
    InfeasibleError
        A job has no allowed agent (the message lists such jobs).
    """

    cost: np.ndarray
    resource: np.ndarray
    capacity: np.ndarray
    name: str = ""
    job_ids: tuple | None = None
    agent_ids: tuple | None = None
    job_label: str = "job"
    agent_label: str = "agent"
    allowed: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        cost = as_array("cost", self.cost, ndim=2)
        agents, jobs = cost.shape
        if agents < 1 or jobs < 1:
            raise InputError("cost", f"needs at least one agent and one job, got shape {cost.shape}")
        if np.isnan(cost).any():
            raise InputError("cost", "must be a number, got nan", first_index(np.isnan(cost)))
        if np.isneginf(cost).any():
            raise InputError("cost", "must not be -inf", first_index(np.isneginf(cost)))
        resource = check_nonnegative("resource", as_array("resource", self.resource, shape=(agents, jobs)))
        capacity = check_nonnegative("capacity", as_array("capacity", self.capacity, shape=(agents,)))
        if not isinstance(self.name, str):
            raise InputError("name", f"must be a string, got {type(self.name).__name__}")
        for label in ("job_label", "agent_label"):
            value = getattr(self, label)
            if not (isinstance(value, str) and value.isidentifier()):
                raise InputError(label, f"must be a word usable in a column name, got {value!r}")
        job_ids = tuple(range(1, jobs + 1)) if self.job_ids is None else check_ids("job_ids", self.job_ids, jobs)
        agent_ids = (tuple(range(1, agents + 1)) if self.agent_ids is None
                     else check_ids("agent_ids", self.agent_ids, agents))
        allowed = np.isfinite(cost) & (resource <= capacity[:, None])
        orphans = np.flatnonzero(~allowed.any(axis=0))
        if orphans.size:
            raise InfeasibleError(f"{orphans.size} {self.job_label}(s) fit no {self.agent_label} (forbidden or over "
                                  f"capacity everywhere): {self.job_label} ids {_list(orphans, job_ids)}")
        freeze_fields(self, cost=cost, resource=resource, capacity=capacity, allowed=allowed, job_ids=job_ids,
                      agent_ids=agent_ids)

    @property
    def agents(self) -> int:
        """Number of agents (stations)."""
        return int(self.cost.shape[0])

    @property
    def jobs(self) -> int:
        """Number of jobs (EVs)."""
        return int(self.cost.shape[1])

    def kernel_cost(self) -> np.ndarray:
        """Cost with forbidden pairs set to a large finite penalty, for compiled kernels.

        Kernels never choose forbidden pairs (they consult :attr:`allowed`); the finite value
        only keeps arithmetic free of infinities.
        """
        finite = np.where(self.allowed, self.cost, 0.0)
        penalty = 1.0 + 10.0 * (np.abs(finite).sum() + 1.0)
        return np.ascontiguousarray(np.where(self.allowed, self.cost, penalty))

    def evaluate(self, assignment) -> tuple[float, np.ndarray]:
        """Objective and agent loads of an assignment.

        Parameters
        ----------
        assignment : array_like of int, shape (jobs,)
            0-based agent of each job.

        Returns
        -------
        objective : float
            Total cost (``inf`` if a forbidden pair is used).
        loads : numpy.ndarray, shape (agents,)
            Resource used at each agent.
        """
        assignment = self.check_assignment(assignment)
        jobs = np.arange(self.jobs)
        loads = np.bincount(assignment, weights=self.resource[assignment, jobs], minlength=self.agents)
        return float(self.cost[assignment, jobs].sum()), loads

    def is_feasible(self, assignment, *, tolerance: float = 1e-9) -> bool:
        """True when every pair is allowed and no agent exceeds its capacity."""
        assignment = self.check_assignment(assignment)
        objective, loads = self.evaluate(assignment)
        return bool(np.isfinite(objective) and np.all(loads <= self.capacity + tolerance)
                    and self.allowed[assignment, np.arange(self.jobs)].all())

    def check_assignment(self, assignment) -> np.ndarray:
        """Validate an assignment vector (shape, integral, agent indices in range)."""
        assignment = check_integer("assignment", as_array("assignment", assignment, dtype=None, shape=(self.jobs,)),
                                   minimum=0)
        if np.any(assignment >= self.agents):
            j = first_index(assignment >= self.agents)
            raise InputError("assignment", f"agent index must be below {self.agents}, got {assignment[j]}", j)
        return assignment


def _instance_from_data(data: gap_io.GAPData, source) -> GAPInstance:
    """A GAPInstance from what :func:`evcore.io.gap.read` returned; errors name the file."""
    try:
        return GAPInstance(data.cost, data.resource, data.capacity, name=data.name)
    except InputError as exc:
        place = exc.field if exc.index is None else f"{exc.field}[{exc.index}]"
        raise InputError(f"{os.fspath(source)}:{data.line}", f"problem {data.name}: {place}: {exc.problem}") from None
    except InfeasibleError as exc:
        raise InfeasibleError(f"{data.name}: {exc.reason}") from None


def read_orlib_gaps(path) -> list[GAPInstance]:
    """Every problem of an OR-Library GAP file, one-problem or OR-Library's multi-problem layout.

    Parameters
    ----------
    path : str or os.PathLike
        E.g. OR-Library's ``gap12.txt`` (5 problems) or a one-problem file such as ``c10100``.

    Returns
    -------
    list of GAPInstance
        Named ``<file>`` (one problem) or ``<file>:<k>`` (k = 1, 2, ... in file order).
    """
    return [_instance_from_data(data, path) for data in gap_io.read(path)]


def read_orlib_gap(path, problem: int | None = None) -> GAPInstance:
    """Read one GAP problem in OR-Library's layout (see :mod:`evcore.io.gap`). Costs are minimised.

    Parameters
    ----------
    path : str or os.PathLike
    problem : int, optional
        1-based problem number in a multi-problem file (OR-Library's ``gap1.txt`` ... hold
        five); required there, and must be 1 (or omitted) for a one-problem file.

    Returns
    -------
    GAPInstance
        Named after the file (``<file>:<problem>`` in a multi-problem file).

    Raises
    ------
    InputError
        Unreadable, binary or malformed file (file:line named), or a bad ``problem``.
    InfeasibleError
        A job fits no agent.

    Notes
    -----
    OR-Library states gap1-gap12 as maximisation problems (profits); evcore minimises, so read
    as costs they have the minimisation optima published with the data sets (fontanf's
    ``data.csv``), not OR-Library's own maximisation values.
    """
    problems = gap_io.read(path)
    if problem is None:
        if len(problems) > 1:
            raise InputError("problem", f"{os.fspath(path)} holds {len(problems)} problems; pass problem=1 .. "
                                        f"{len(problems)} (or use read_orlib_gaps)")
        problem = 1
    problem = check_count("problem", problem, minimum=1, maximum=len(problems))
    return _instance_from_data(problems[problem - 1], path)


def write_orlib_gap(instances, path):
    """Write one GAP (``m n`` layout) or several (OR-Library's layout, count first) to ``path``.

    Forbidden pairs (cost ``inf``) are written with the largest finite cost of the instance and
    a resource one above the agent's capacity, so they stay forbidden when read back; every
    allowed pair round-trips exactly. Ids are not part of the format.

    Parameters
    ----------
    instances : GAPInstance, EVInstance or sequence of them
    path : str or os.PathLike

    Returns
    -------
    pathlib.Path
    """
    if isinstance(instances, (GAPInstance, EVInstance)):
        instances = [instances]
    if isinstance(instances, (str, bytes)) or not hasattr(instances, "__iter__"):
        raise InputError("instances", f"must be a GAPInstance, an EVInstance or a sequence of them, got "
                                      f"{type(instances).__name__}")
    instances = list(instances)
    if not instances:
        raise InputError("instances", "needs at least one instance")
    problems = []
    for k, instance in enumerate(instances):
        if isinstance(instance, EVInstance):
            instance = instance.to_gap()
        if not isinstance(instance, GAPInstance):
            raise InputError("instances", f"must hold GAPInstance or EVInstance objects, got "
                                          f"{type(instance).__name__}", k)
        allowed = instance.allowed
        worst = float(instance.cost[allowed].max())
        cost = np.where(allowed, instance.cost, worst)
        resource = np.where(allowed, instance.resource, instance.capacity[:, None] + 1.0)
        problems.append(gap_io.GAPData(cost, resource, instance.capacity, instance.name, 1))
    return gap_io.write(path, problems)


@dataclass(frozen=True, eq=False)
class EVInstance:
    """EVs to be assigned to charging stations (seed 003's model), validated on creation.

    Cost of sending EV ``k`` to station ``i``:
    ``C_D * D[k, i] + C_W * W[i, dest(k)] + C_i * T_k``. The paper writes the walking term
    as a sum over destinations; we read it as the walk from station ``i`` to EV ``k``'s own
    destination (the only reading in which the term depends on the EV at all).

    Parameters
    ----------
    driving_km : array_like, shape (evs, stations)
        Driving distance D from each EV to each station (km).
    walking_km : array_like, shape (stations, destinations)
        Walking distance W from each station to each destination (km).
    destination : array_like of int, shape (evs,)
        0-based destination of each EV.
    remaining_kwh : array_like, shape (evs,)
        Remaining battery energy Q_k (kWh).
    consumption_kwh_per_km : array_like, shape (evs,)
        Energy use per km Delta E_k (kWh/km), ``> 0``.
    charging_time_h : array_like, shape (evs,)
        Required charging time T_k (hours).
    piles : array_like of int, shape (stations,)
        Free charging piles N_i at each station (each EV occupies one).
    price_per_hour : array_like, shape (stations,)
        Charging price per unit charging time C_i (currency/hour).
    driving_cost_per_km : float
        C_D (currency/km).
    walking_cost_per_km : float
        C_W (currency/km).
    ev_ids, station_ids : sequence of str or int, optional
        Ids used in every output (default ``1 .. evs`` and ``1 .. stations``).

    Raises
    ------
    InputError
        Bad shapes or values.
    InfeasibleError
        Some EVs cannot all get a pile within their range; the message names them.
    """

    driving_km: np.ndarray
    walking_km: np.ndarray
    destination: np.ndarray
    remaining_kwh: np.ndarray
    consumption_kwh_per_km: np.ndarray
    charging_time_h: np.ndarray
    piles: np.ndarray
    price_per_hour: np.ndarray
    driving_cost_per_km: float = 1.0
    walking_cost_per_km: float = 2.0
    ev_ids: tuple | None = None
    station_ids: tuple | None = None

    def __post_init__(self):
        driving = check_nonnegative("driving_km", as_array("driving_km", self.driving_km, ndim=2))
        evs, stations = driving.shape
        if evs < 1 or stations < 1:
            raise InputError("driving_km", f"needs at least one EV (row) and one station (column), got shape "
                                           f"{driving.shape}")
        walking = check_nonnegative("walking_km", as_array("walking_km", self.walking_km, ndim=2,
                                                           shape=(stations, None)))
        destinations = walking.shape[1]
        destination = check_integer("destination", as_array("destination", self.destination, dtype=None,
                                                            shape=(evs,)), minimum=0)
        if np.any(destination >= destinations):
            k = first_index(destination >= destinations)
            raise InputError("destination", f"must be below {destinations} (columns of walking_km), "
                                            f"got {destination[k]}", k)
        values = {
            "remaining_kwh": check_nonnegative("remaining_kwh", as_array("remaining_kwh", self.remaining_kwh,
                                                                         shape=(evs,))),
            "consumption_kwh_per_km": check_positive("consumption_kwh_per_km", as_array(
                "consumption_kwh_per_km", self.consumption_kwh_per_km, shape=(evs,))),
            "charging_time_h": check_nonnegative("charging_time_h", as_array("charging_time_h",
                                                                             self.charging_time_h, shape=(evs,))),
            "piles": check_integer("piles", as_array("piles", self.piles, dtype=None, shape=(stations,)), minimum=0),
            "price_per_hour": check_nonnegative("price_per_hour", as_array("price_per_hour", self.price_per_hour,
                                                                          shape=(stations,))),
        }
        for name in ("driving_cost_per_km", "walking_cost_per_km"):
            object.__setattr__(self, name, check_number(name, getattr(self, name), minimum=0.0))
        values["ev_ids"] = tuple(range(1, evs + 1)) if self.ev_ids is None else check_ids("ev_ids", self.ev_ids, evs)
        values["station_ids"] = (tuple(range(1, stations + 1)) if self.station_ids is None
                                 else check_ids("station_ids", self.station_ids, stations))
        freeze_fields(self, driving_km=driving, walking_km=walking, destination=destination, **values)
        self._check_feasible()

    @property
    def evs(self) -> int:
        return int(self.driving_km.shape[0])

    @property
    def stations(self) -> int:
        return int(self.driving_km.shape[1])

    @property
    def reachable(self) -> np.ndarray:
        """(evs, stations) bool: the station is within the EV's range, Q_k / Delta E_k >= D[k, i]."""
        range_km = self.remaining_kwh / self.consumption_kwh_per_km
        return (self.driving_km <= range_km[:, None]) & (self.piles[None, :] > 0)

    def cost_matrix(self) -> np.ndarray:
        """(evs, stations) cost of each EV-station pair; ``inf`` where out of range."""
        walk = self.walking_km[:, self.destination].T  # (evs, stations): W[i, dest(k)]
        cost = (self.driving_cost_per_km * self.driving_km + self.walking_cost_per_km * walk
                + self.charging_time_h[:, None] * self.price_per_hour[None, :])
        return np.where(self.reachable, cost, np.inf)

    def to_gap(self) -> GAPInstance:
        """The GAP: agents = stations (capacity = piles), jobs = EVs (one pile each)."""
        cost = self.cost_matrix().T
        return GAPInstance(cost, np.ones_like(cost), self.piles.astype(float), name="ev", job_ids=self.ev_ids,
                           agent_ids=self.station_ids, job_label="ev", agent_label="station")

    def _check_feasible(self) -> None:
        """Every EV needs its own pile within range: a bipartite b-matching (max flow) test."""
        reachable = self.reachable
        stranded = np.flatnonzero(~reachable.any(axis=1))
        if stranded.size:
            raise InfeasibleError(f"{stranded.size} EV(s) reach no station with a free pile: EVs "
                                  + _list(stranded, self.ev_ids))
        evs, stations = reachable.shape
        # Nodes: source 0, EVs 1..evs, stations evs+1..evs+stations, sink last.
        sink = evs + stations + 1
        ev_nodes = np.arange(1, evs + 1)
        rows_k, cols_i = np.nonzero(reachable)
        tails = np.concatenate([np.zeros(evs, int), rows_k + 1, evs + 1 + np.arange(stations)])
        heads = np.concatenate([ev_nodes, evs + 1 + cols_i, np.full(stations, sink)])
        capacities = np.concatenate([np.ones(evs, int), np.ones(rows_k.size, int), self.piles.astype(int)])
        graph = csr_array((capacities.astype(np.int32), (tails, heads)), shape=(sink + 1, sink + 1))
        flow = maximum_flow(graph, 0, sink)
        if flow.flow_value < evs:
            served = flow.flow.tocsr()[[0], :].toarray().ravel()[ev_nodes] > 0
            unserved = np.flatnonzero(~served)
            raise InfeasibleError(f"only {flow.flow_value} of {evs} EVs can get a pile within range at once; "
                                  f"for example EVs {_list(unserved, self.ev_ids)} compete for too few piles")


def as_gap_instance(instance, field: str = "instance") -> GAPInstance:
    """``instance`` as a :class:`GAPInstance` (an :class:`EVInstance` is converted); anything else
    is an :class:`~evcore.errors.InputError` naming ``field``."""
    if isinstance(instance, EVInstance):
        return instance.to_gap()
    if not isinstance(instance, GAPInstance):
        raise InputError(field, f"must be a GAPInstance or EVInstance, got {type(instance).__name__}")
    return instance


def _list(indices: np.ndarray, ids, limit: int = 20) -> str:
    """The ids at ``indices`` (at most ``limit`` of them) for messages."""
    return ", ".join(str(ids[int(k)]) for k in indices[:limit]) + (" ..." if indices.size > limit else "")


def random_ev_instance(evs: int, stations: int, *, seed=0, destinations: int | None = None,
                       city_km: float = 10.0, detour_factor: float = 1.3, spare_piles: float = 1.5,
                       driving_cost_per_km: float = 1.0, walking_cost_per_km: float = 2.0) -> EVInstance:
    """A random city of EVs, stations and destinations (seed 003's test scenarios).

    Stations and destinations are uniform in a ``city_km`` square; EVs start uniform too and
    head to a random destination. Driving distance is Euclidean times ``detour_factor``,
    walking distance is Euclidean. Piles total about ``spare_piles`` × EVs; batteries hold
    8–40 kWh at 0.12–0.22 kWh/km; charging needs 0.5–4 h at 1–3 per hour.

    Parameters
    ----------
    evs, stations : int
        Sizes (seed 003's scenarios: 10–50 EVs / 5–25 stations, 100–200 / 5–20, 100–400 / 5–40).
    seed : int or numpy.random.Generator
        Same seed, same instance.

    Returns
    -------
    EVInstance
        Feasible by construction: batteries reach at least the two nearest stations and each
        station has at least as many piles as EVs for which it is the nearest.

    Raises
    ------
    InputError
        Sizes below 1 or past :data:`MAX_GENERATED_PAIRS` pairs, bad seed, bad geometry.
    """
    evs = check_count("evs", evs, minimum=1, maximum=MAX_GENERATED_PAIRS)
    stations = check_count("stations", stations, minimum=1, maximum=MAX_GENERATED_PAIRS // evs)
    destinations = max(2, stations) if destinations is None else check_count(
        "destinations", destinations, minimum=1, maximum=MAX_GENERATED_PAIRS // stations)
    city_km = check_number("city_km", city_km, minimum=0.0, strict=True, maximum=1e5)
    detour_factor = check_number("detour_factor", detour_factor, minimum=1.0)
    spare_piles = check_number("spare_piles", spare_piles, minimum=0.0, strict=True, maximum=1e6)
    rng = np.random.default_rng(check_seed(seed, allow_generator=True))
    station_xy = rng.uniform(0, city_km, (stations, 2))
    destination_xy = rng.uniform(0, city_km, (destinations, 2))
    ev_xy = rng.uniform(0, city_km, (evs, 2))
    destination = rng.integers(0, destinations, evs)
    driving = detour_factor * np.linalg.norm(ev_xy[:, None, :] - station_xy[None, :, :], axis=2)
    walking = np.linalg.norm(station_xy[:, None, :] - destination_xy[None, :, :], axis=2)
    consumption = rng.uniform(0.12, 0.22, evs)
    remaining = rng.uniform(8.0, 40.0, evs)
    # Make sure each EV reaches at least its two nearest stations (the paper's instances are feasible).
    second_nearest = np.sort(driving, axis=1)[:, min(1, stations - 1)]
    remaining = np.maximum(remaining, 1.05 * second_nearest * consumption)
    share = rng.dirichlet(np.ones(stations))
    piles = np.maximum(1, np.round(share * spare_piles * evs)).astype(int)
    # Feasible by construction: each station has at least as many piles as EVs for which it
    # is the nearest station, so "everyone to the nearest station" is always an assignment.
    nearest_counts = np.bincount(np.argmin(driving, axis=1), minlength=stations)
    piles = np.maximum(piles, nearest_counts)
    return EVInstance(
        driving_km=driving, walking_km=walking, destination=destination, remaining_kwh=remaining,
        consumption_kwh_per_km=consumption, charging_time_h=rng.uniform(0.5, 4.0, evs), piles=piles,
        price_per_hour=rng.uniform(1.0, 3.0, stations), driving_cost_per_km=driving_cost_per_km,
        walking_cost_per_km=walking_cost_per_km,
    )


#: Instance types of :func:`random_gap_instance` (Chu and Beasley 1997; Laguna et al. 1995 for D, E).
GAP_TYPES = ("A", "B", "C", "D", "E")


def random_gap_instance(agents: int, jobs: int, kind: str = "C", *, seed=0) -> GAPInstance:
    """A random GAP of OR-Library's families (Chu and Beasley 1997, types A-E), minimisation.

    Integers drawn uniformly (``U[a, b]`` inclusive) as the families are defined:

    - A: ``r_ij ~ U[5, 25]``, ``c_ij ~ U[10, 50]``,
      ``b_i = floor(0.6 (n/m) 15 + 0.4 max_i sum_{j: i = argmin_k c_kj} r_ij)`` (the same for every agent);
    - B: as A with ``b_i = floor(0.7 b_A)``;
    - C: as A with ``b_i = floor(0.8 sum_j r_ij / m)`` (the sets of seed 003's comparison and
      Yagiura's type C of 400-1,600 jobs);
    - D: ``r_ij ~ U[1, 100]``, ``c_ij = 111 - r_ij + U[-10, 10]``, ``b_i`` as C (costs fall as
      resources grow: tight and hard);
    - E: ``r_ij = 1 - floor(10 ln U(0, 1])``, ``c_ij = floor(1000 / r_ij - 10 U[0, 1))``,
      ``b_i`` as C.

    Checked against the published files: the A, B and C capacity rules reproduce every
    capacity of OR-Library's a/b/c 05100-20200 from their own r and c.

    Parameters
    ----------
    agents, jobs : int
        m and n (``m >= 1``, ``n >= 1``).
    kind : {"A", "B", "C", "D", "E"}
    seed : int or numpy.random.Generator

    Returns
    -------
    GAPInstance
        Named ``<kind><m:02d><n>-s<seed>`` (like OR-Library's ``c10400``). A type A/B instance
        can be infeasible for a job whose every resource exceeds the capacity (then
        :class:`~evcore.errors.InfeasibleError`); types C-E are feasible in practice.
    """
    agents = check_count("agents", agents, minimum=1, maximum=MAX_GENERATED_PAIRS)
    jobs = check_count("jobs", jobs, minimum=1, maximum=MAX_GENERATED_PAIRS // agents)
    kind = check_choice("kind", kind, GAP_TYPES)
    seed_value = check_seed(seed, allow_generator=True)
    rng = np.random.default_rng(seed_value)
    if kind in ("A", "B", "C"):
        resource = rng.integers(5, 26, (agents, jobs)).astype(float)
        cost = rng.integers(10, 51, (agents, jobs)).astype(float)
    elif kind == "D":
        resource = rng.integers(1, 101, (agents, jobs)).astype(float)
        cost = 111.0 - resource + rng.integers(-10, 11, (agents, jobs))
    else:
        uniform = 1.0 - rng.random((agents, jobs))  # (0, 1]
        resource = 1.0 - np.floor(10.0 * np.log(uniform))
        cost = np.floor(1000.0 / resource - 10.0 * rng.random((agents, jobs)))
    if kind in ("A", "B"):
        cheapest = np.argmin(cost, axis=0)
        heaviest = max(float(resource[i, cheapest == i].sum()) for i in range(agents))
        level = 0.6 * (jobs / agents) * 15.0 + 0.4 * heaviest
        capacity = np.full(agents, np.floor(level if kind == "A" else 0.7 * np.floor(level)))
    else:
        capacity = np.floor(0.8 * resource.sum(axis=1) / agents)
    label = seed_value if isinstance(seed_value, int) else "g"
    return GAPInstance(cost, resource, capacity, name=f"{kind.lower()}{agents:02d}{jobs}-s{label}")
