"""Seeded generators of the GAP benchmark families C, D and E (minimisation).

The published instance files of these families (OR-Library's ``gapc/gapd/gape`` of 100-200
jobs and Yagiura's larger sets of 400-1,600 jobs) are not shipped with evcore; this module
draws *new instances of the same families*, with the published recipes, so that every figure
in ``bench_gap.py`` is a median and a worst case over instances nobody tuned on. They are not
the published files: their optima and best-known values are unknown, and ``bench_gap.py``
measures against a certified lower bound and the best value any run found.

Recipes (Chu & Beasley 1997 for C and D; Laguna, Kelly, Gonzalez-Velarde & Glover 1995 for E,
as used by Yagiura, Ibaraki & Glover 2004/2006). ``m`` agents, ``n`` jobs, all draws
independent; integer draws are uniform on the closed range:

- **C**: ``r_ij ~ U{5..25}``, ``c_ij ~ U{10..50}``, ``b_i = floor(0.8 * sum_j r_ij / m)``.
- **D**: ``r_ij ~ U{1..100}``, ``c_ij = 111 - r_ij + e_ij`` with ``e_ij ~ U{-10..10}``,
  ``b_i = floor(0.8 * sum_j r_ij / m)`` (costs and resources inversely correlated: the hard one).
- **E**: ``r_ij = floor(1 - 10 ln u_ij)`` with ``u_ij ~ U(0, 1]``,
  ``c_ij = floor(1000 / r_ij - 10 v_ij)`` with ``v_ij ~ U[0, 1]``,
  ``b_i = floor(0.8 * sum_j r_ij / m)``.

The integer rounding (floor of the capacities; truncation of E's resources and costs) matches
the published files (e.g. OR-Library's type C capacities are ``floor(0.8 sum_j r_ij / m)``
exactly, and E's costs for ``r = 3`` span 323..333). A type E job so large that it fits no
agent is possible in principle for small ``n / m`` (``r_ij > b_i`` for every ``i``); such
pairs are forbidden by :class:`~evcore.assign.GAPInstance` and the generator redraws the
instance (with the next sub-seed) if a job fits nowhere, so every instance is well posed.

Sizes (:data:`SIZES`): OR-Library's 5/10/20 agents x 100/200 jobs and Yagiura's
10/20/40 x 400, 15/30/60 x 900, 20/40/80 x 1,600.

Instance sets: :func:`gap_set` with ``"tune"`` (seed family 1) is what the method's defaults
were tuned on; ``"report"`` (seed family 2, and 3, 4... for more) is what the figures report.
"""

from __future__ import annotations

import numpy as np

from evcore.assign import GAPInstance
from evcore.errors import InfeasibleError

__all__ = ["SIZES", "TYPES", "SET_SEEDS", "gap_instance", "gap_set"]

#: (agents, jobs) of OR-Library's C/D/E sets and of Yagiura's larger ones.
SIZES = ((5, 100), (10, 100), (20, 100), (5, 200), (10, 200), (20, 200),
         (10, 400), (20, 400), (40, 400), (15, 900), (30, 900), (60, 900),
         (20, 1600), (40, 1600), (80, 1600))
TYPES = ("C", "D", "E")
#: Seed family of each named set.
SET_SEEDS = {"tune": 1, "report": 2}


def _draw(kind: str, agents: int, jobs: int, rng: np.random.Generator):
    if kind == "C":
        resource = rng.integers(5, 26, (agents, jobs)).astype(float)
        cost = rng.integers(10, 51, (agents, jobs)).astype(float)
    elif kind == "D":
        resource = rng.integers(1, 101, (agents, jobs)).astype(float)
        cost = 111.0 - resource + rng.integers(-10, 11, (agents, jobs))
    elif kind == "E":
        u = 1.0 - rng.random((agents, jobs))  # (0, 1]
        resource = np.floor(1.0 - 10.0 * np.log(u))
        cost = np.floor(1000.0 / resource - 10.0 * rng.random((agents, jobs)))
    else:
        raise ValueError(f"unknown type {kind!r}; choose among {TYPES}")
    capacity = np.floor(0.8 * resource.sum(axis=1) / agents)
    return cost, resource, capacity


def gap_instance(kind: str, agents: int, jobs: int, seed: int) -> GAPInstance:
    """One instance of type ``kind`` ("C", "D" or "E") with ``agents`` x ``jobs``; same seed, same instance."""
    for attempt in range(100):
        rng = np.random.default_rng([int(seed), "CDE".index(kind), agents, jobs, attempt])
        cost, resource, capacity = _draw(kind, agents, jobs, rng)
        try:
            return GAPInstance(cost, resource, capacity, name=f"{kind.lower()}{agents:02d}{jobs}-s{seed}")
        except InfeasibleError:
            continue
    raise RuntimeError("no well-posed instance in 100 draws")  # unreachable for the published sizes


def gap_set(name: str = "report", *, types=TYPES, sizes=SIZES, per_size: int = 1, family: int | None = None):
    """The instances of a named set: ``[(label, instance), ...]`` by type, then size.

    Parameters
    ----------
    name : {"tune", "report"}
        Which seed family (:data:`SET_SEEDS`); ``family`` overrides it.
    types, sizes : sequences
        Subsets of :data:`TYPES` and :data:`SIZES`.
    per_size : int
        Instances per type and size (sub-seeds ``family * 1000 + k``).
    """
    family = SET_SEEDS[name] if family is None else int(family)
    out = []
    for kind in types:
        for agents, jobs in sizes:
            for k in range(per_size):
                instance = gap_instance(kind, agents, jobs, family * 1000 + k)
                out.append((instance.name, instance))
    return out
