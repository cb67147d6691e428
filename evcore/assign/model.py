"""Instances of the EV-to-station assignment problem and of the general GAP behind it.

Every solver in :mod:`evcore.assign` works on the generalized assignment problem (GAP):
agents ``i`` (charging stations) with capacities, jobs ``j`` (EVs), each job assigned to
exactly one agent, minimising total cost subject to each agent's resource capacity. The EV
model of seed 003 maps onto it with :meth:`EVInstance.to_gap`; outside benchmarks (OR-Library)
load with :func:`read_orlib_gap`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow

from .._validate import (
    as_array,
    check_finite,
    check_integer,
    check_nonnegative,
    check_positive,
    first_index,
    freeze_fields,
)
from ..errors import InfeasibleError, InputError

__all__ = ["GAPInstance", "EVInstance", "read_orlib_gap", "random_ev_instance"]


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
        allowed = np.isfinite(cost) & (resource <= capacity[:, None])
        orphans = np.flatnonzero(~allowed.any(axis=0))
        if orphans.size:
            shown = ", ".join(str(j) for j in orphans[:20]) + (" ..." if orphans.size > 20 else "")
            raise InfeasibleError(f"{orphans.size} job(s) fit no agent (forbidden or over capacity everywhere): "
                                  f"jobs {shown}")
        freeze_fields(self, cost=cost, resource=resource, capacity=capacity, allowed=allowed)

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


def read_orlib_gap(path) -> GAPInstance:
    """Read one GAP problem in OR-Library's layout (one problem per file).

    The file holds ``m n``, then the m×n cost matrix, the m×n resource matrix and the m
    capacities, whitespace-separated (line breaks are not significant). Costs are minimised.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    GAPInstance
        Named after the file.
    """
    path = Path(path)
    try:
        tokens = path.read_text().split()
    except OSError as exc:
        raise InputError("path", f"cannot read {path}: {exc}") from None
    try:
        numbers = np.array(tokens, dtype=float)
    except ValueError:
        raise InputError("path", f"{path} holds a token that is not a number") from None
    if numbers.size < 2:
        raise InputError("path", f"{path} is too short to hold 'm n'")
    agents, jobs = int(numbers[0]), int(numbers[1])
    expected = 2 + 2 * agents * jobs + agents
    if numbers.size != expected:
        raise InputError("path", f"{path}: 'm n' = {agents} {jobs} needs {expected} numbers, found {numbers.size}")
    body = numbers[2:]
    cost = body[: agents * jobs].reshape(agents, jobs)
    resource = body[agents * jobs : 2 * agents * jobs].reshape(agents, jobs)
    capacity = body[2 * agents * jobs :]
    return GAPInstance(cost, resource, capacity, name=path.name)


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

    def __post_init__(self):
        driving = check_nonnegative("driving_km", as_array("driving_km", self.driving_km, ndim=2))
        evs, stations = driving.shape
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
            value = as_array(name, getattr(self, name), ndim=0)
            check_nonnegative(name, value)
            object.__setattr__(self, name, float(value))
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
        return GAPInstance(cost, np.ones_like(cost), self.piles.astype(float), name="ev")

    def _check_feasible(self) -> None:
        """Every EV needs its own pile within range: a bipartite b-matching (max flow) test."""
        reachable = self.reachable
        stranded = np.flatnonzero(~reachable.any(axis=1))
        if stranded.size:
            raise InfeasibleError(f"{stranded.size} EV(s) reach no station with a free pile: EVs "
                                  + _list(stranded))
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
                                  f"for example EVs {_list(unserved)} compete for too few piles")


def _list(indices: np.ndarray, limit: int = 20) -> str:
    return ", ".join(str(int(k)) for k in indices[:limit]) + (" ..." if indices.size > limit else "")


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
    """
    rng = np.random.default_rng(seed)
    destinations = destinations or max(2, stations)
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
