"""Discrete-event simulation (Ciw) of M/M/c and M/M/c/c against the formulas.

Marked slow: each run simulates tens of thousands of customers. They still run in CI.
"""

import numpy as np
import pytest

from evcore.queueing import erlang_b, loss_transient, mmc

ciw = pytest.importorskip("ciw", reason="Ciw (discrete-event simulation) is in the 'test' extra")

pytestmark = pytest.mark.slow


def exponential_network(servers, arrival, service, *, loss=False):
    """Ciw network of an M/M/c queue, or an M/M/c/c loss system when ``loss``."""
    return ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=arrival)],
        service_distributions=[ciw.dists.Exponential(rate=service)],
        number_of_servers=[servers],
        **({"queue_capacities": [0]} if loss else {}),
    )


def replications(network, horizon, warm_up, runs, measure):
    values = []
    for seed in range(runs):
        ciw.seed(seed)
        simulation = ciw.Simulation(network)
        simulation.simulate_until_max_time(horizon)
        records = [r for r in simulation.get_all_records() if r.arrival_date > warm_up]
        values.append(measure(records))
    values = np.array(values)
    half_width = 3.0 * values.std(ddof=1) / np.sqrt(runs)  # ~99.7% interval on the mean
    return values.mean(), half_width


def test_mmc_wait_and_service_level_match_simulation():
    c, arrival, service = 4, 3.2, 1.0
    network = exponential_network(c, arrival, service)
    theory = mmc(c, arrival, service)
    mean_wait, half = replications(network, 4000.0, 200.0, 8, lambda rs: np.mean([r.waiting_time for r in rs]))
    assert abs(mean_wait - theory.wait) <= half
    p_wait, half = replications(network, 4000.0, 200.0, 8, lambda rs: np.mean([r.waiting_time > 0 for r in rs]))
    assert abs(p_wait - theory.p_wait) <= half
    level, half = replications(network, 4000.0, 200.0, 8, lambda rs: np.mean([r.waiting_time <= 0.5 for r in rs]))
    assert abs(level - theory.service_level(0.5)) <= half


def test_loss_system_blocking_matches_simulation():
    c, arrival, service = 5, 3.0, 1.0
    network = exponential_network(c, arrival, service, loss=True)
    blocked, half = replications(
        network, 6000.0, 100.0, 8, lambda rs: np.mean([r.record_type == "rejection" for r in rs])
    )
    assert abs(blocked - erlang_b(c, arrival / service)) <= half


def test_loss_transient_matches_simulated_occupancy():
    """P(all c busy at time t | empty at 0), estimated over many short independent runs."""
    c, arrival, service, t = 3, 4.0, 1.0, 0.6
    network = exponential_network(c, arrival, service, loss=True)
    runs = 3000
    full = 0
    for seed in range(runs):
        ciw.seed(seed)
        simulation = ciw.Simulation(network)
        simulation.simulate_until_max_time(t)
        busy = sum(1 for server in simulation.nodes[1].servers if server.busy)
        full += busy == c
    estimate = full / runs
    theory = loss_transient(c, arrival, service, [t], 0)[0, -1]
    half = 3.0 * np.sqrt(theory * (1 - theory) / runs)
    assert abs(estimate - theory) <= half
