"""Dynamic dispatch (seed 003's state transition and queueing model): stepping API, availability,
the remaining-time rule and a short simulated day."""

import importlib.util
import math

import numpy as np
import pytest

from evcore.assign.dispatch import (
    BLOCKED_BATCH_FULL,
    BLOCKED_LATE,
    BLOCKED_LIKELY_FULL,
    BLOCKED_NO_PILE,
    BLOCKED_OUT_OF_RANGE,
    ChargeRequest,
    City,
    Dispatcher,
    generate_city,
    generate_requests,
    plot_occupancy,
    simulate_day,
)
from evcore.errors import InputError
from evcore.queueing import free_server_probability

HAS_HASP = importlib.util.find_spec("evcore.assign.search") is not None
METHOD = "exact"  # HiGHS: deterministic, available whatever heuristics are built


def line_city(piles=(1, 1), price=(1.0, 2.5), **kwargs) -> City:
    """Destination at the origin; station A 1.2 km east (cheap, long walk), B 0.2 km west."""
    return City(station_xy=[[1.2, 0.0], [-0.2, 0.0]], piles=list(piles), price_per_hour=list(price),
                destination_xy=[[0.0, 0.0]], **kwargs)


def request(ev, time_h=0.0, x=3.0, **kwargs) -> ChargeRequest:
    fields = dict(position_km=(x, 0.0), destination=0, remaining_kwh=20.0, consumption_kwh_per_km=0.2,
                  charging_time_h=2.0)
    fields.update(kwargs)
    return ChargeRequest(ev=ev, time_h=time_h, **fields)


def dispatcher(city=None, **kwargs) -> Dispatcher:
    kwargs.setdefault("method", METHOD)
    kwargs.setdefault("batch_window_h", 0.0)
    return Dispatcher(city or line_city(), **kwargs)


# ---------------------------------------------------------------- stepping API
def test_time_must_not_go_backwards():
    d = dispatcher()
    d.step(1.0)
    with pytest.raises(InputError) as info:
        d.step(0.5)
    assert info.value.field == "time_h"
    assert d.time_h == 1.0


def test_requests_from_the_future_or_before_the_previous_step_are_rejected():
    d = dispatcher()
    d.step(1.0)
    with pytest.raises(InputError, match="after the step time") as info:
        d.step(1.5, [request(0, 1.2), request(1, 1.6)])
    assert (info.value.field, info.value.index) == ("new_requests.time_h", 1)
    with pytest.raises(InputError, match="precedes the previous step") as info:
        d.step(1.5, [request(0, 0.9)])
    assert info.value.index == 0
    assert d.time_h == 1.0 and d.pending == ()  # a rejected step changes nothing


def test_bad_request_fields_and_duplicates_name_the_request():
    d = dispatcher()
    with pytest.raises(InputError) as info:
        d.step(0.0, [request(0), request(1, remaining_kwh=-1.0)])
    assert (info.value.field, info.value.index) == ("new_requests.remaining_kwh", 1)
    with pytest.raises(InputError, match="must be below 1"):
        d.step(0.0, [request(0, destination=3)])
    with pytest.raises(InputError, match="already has an open request"):
        d.step(0.0, [request(7), request(7)])
    d.step(0.0, [request(7)])  # assigned, now on its way
    with pytest.raises(InputError, match="already has an open request or a station"):
        d.step(0.1, [request(7, 0.1)])
    with pytest.raises(InputError, match="exceeds the station's 1 piles"):
        d.step(0.1, observed_busy=[2, 0])


def test_batch_window_holds_requests_until_it_closes():
    d = dispatcher(batch_window_h=0.1)
    assert d.step(0.05, [request(0, 0.0), request(1, 0.04)]) == []
    assert len(d.pending) == 2
    decisions = d.step(0.1)
    assert [a.ev for a in decisions] == [0, 1] and d.pending == ()
    assert all(a.decided_at_h == 0.1 for a in decisions)
    d.step(0.12, [request(2, 0.11)])
    assert [a.ev for a in d.flush()] == [2]


def test_capacity_is_respected_within_a_batch_and_piles_are_released():
    city = line_city(piles=(1, 1))
    d = dispatcher(city, min_free_probability=0.0)  # only the pile count decides here
    decisions = d.step(0.0, [request(0), request(1), request(2)])
    stations = sorted(a.station for a in decisions)
    assert stations == [-1, 0, 1]  # one pile each: the third EV is reported, not dropped
    blocked = next(a for a in decisions if a.blocked)
    assert blocked.reason == BLOCKED_BATCH_FULL and math.isnan(blocked.cost)
    # While both EVs drive or charge, nothing is free.
    later = d.step(0.5, [request(3, 0.5)])
    assert later[0].blocked and later[0].reason == BLOCKED_NO_PILE
    # Charging lasts 2 h after arrival: afterwards the piles are free again.
    busy, en_route = d.station_state()
    assert busy.sum() + en_route.sum() == 2
    again = d.step(3.0, [request(4, 3.0)])
    assert not again[0].blocked
    assert d.station_state()[0].sum() + d.station_state()[1].sum() == 1


def test_out_of_range_is_reported():
    d = dispatcher()
    decisions = d.step(0.0, [request(0, remaining_kwh=0.1)])
    assert decisions[0].reason == BLOCKED_OUT_OF_RANGE


# ---------------------------------------------------------------- availability
def test_availability_is_the_loss_transient_from_the_current_occupancy():
    city = line_city(piles=(3, 2), price=(1.0, 1.0))
    rate, mu = np.array([4.0, 1.5]), np.array([1.0, 2.0])
    d = dispatcher(city, arrival_rate_per_hour=rate, service_rate_per_hour=mu, min_free_probability=0.0)
    decisions = d.step(0.0, [request(0, x=3.0), request(1, x=-2.0, congestion_delay_h=0.05)],
                       observed_busy=[2, 1])
    batch = d.last_batch
    np.testing.assert_array_equal(batch.committed, [2, 1])
    for i in range(2):
        expected = free_server_probability(city.piles[i], rate[i], mu[i], batch.tau_h[:, i], 2 - i)
        np.testing.assert_allclose(batch.p_free[:, i], expected, rtol=0, atol=1e-14)
    for a in decisions:
        tau = a.arrival_time_h - a.decided_at_h
        expected = free_server_probability(city.piles[a.station], rate[a.station], mu[a.station], [tau],
                                           batch.committed[a.station])[0]
        assert a.p_free == pytest.approx(expected, abs=1e-12)
    # Travel time includes the congestion allowance.
    km = city.driving_km([[-2.0, 0.0]])[0]
    np.testing.assert_allclose(batch.tau_h[1], km / city.driving_speed_kmh + 0.05)


def test_stations_likely_full_on_arrival_are_not_offered():
    city = line_city(piles=(2, 2))
    # Heavy background traffic: a station that is full now stays full for a while.
    d = dispatcher(city, arrival_rate_per_hour=2.0, service_rate_per_hour=0.5, min_free_probability=0.5)
    decisions = d.step(0.0, [request(0)], observed_busy=[2, 2])
    assert decisions[0].reason == BLOCKED_LIKELY_FULL
    assert not d.last_batch.offered.any() and np.all(d.last_batch.p_free < 0.5)
    # Observed occupancy drops: the station is offered again and the EV is served.
    assert not d.step(0.1, [request(1, 0.1)], observed_busy=[0, 0])[0].blocked


# ---------------------------------------------------------------- remaining-time rule
def test_remaining_time_rule_steers_hurried_drivers_towards_the_destination():
    city = line_city()
    hurried = request(0, x=3.0)                       # no slack: R < T_w at both stations
    relaxed = request(0, x=3.0, time_budget_h=1.0)    # an hour to spare: R >= T_w
    cheap, near = 0, 1

    chosen = dispatcher(city).step(0.0, [hurried])[0]
    assert chosen.station == near and chosen.remaining_time_h < city.max_walking_time_h
    assert dispatcher(city).step(0.0, [relaxed])[0].station == cheap
    assert dispatcher(city, lateness_cost_per_h=0.0).step(0.0, [hurried])[0].station == cheap
    # lateness_cost_per_h=inf: a late pair is not even offered. Without slack every station
    # is late (R <= driving time from the station to the destination < walking time) ...
    strict = dispatcher(city, lateness_cost_per_h=np.inf)
    assert strict.step(0.0, [hurried])[0].reason == BLOCKED_LATE
    # ... with 0.06 h of slack the near station fits, the cheap one does not.
    t_star = city.detour_factor * 3.0 / city.driving_speed_kmh
    assert strict.step(0.1, [request(1, 0.1, x=3.0, time_budget_h=t_star + 0.06)])[0].station == near
    batch = strict.last_batch
    walk_h = city.walking_km[:, 0] / city.walking_speed_kmh
    np.testing.assert_array_equal(batch.offered[0], walk_h <= batch.remaining_time_h[0])
    # R = t*(O, F) - t(O, P) - dT.
    np.testing.assert_allclose(batch.remaining_time_h[0], t_star + 0.06 - batch.tau_h[0])
    assert batch.offered[0].tolist() == [False, True]


def same(decisions, others) -> bool:
    """Equal decisions (repr: NaN fields of blocked requests compare equal)."""
    return [repr(a) for a in decisions] == [repr(a) for a in others]


# ---------------------------------------------------------------- stand-alone requests
def test_generated_requests_are_seeded_and_can_drive_a_dispatcher():
    city = generate_city(8, 4, seed=3)
    first, second = generate_requests(city, 40, seed=5), generate_requests(city, 40, seed=5)
    assert first == second and first != generate_requests(city, 40, seed=6)
    d = dispatcher(city, batch_window_h=0.25, arrival_rate_per_hour=0.5)
    answered = []
    previous = -np.inf
    for t in np.arange(0.25, 25.0, 0.25):  # a traffic simulator's clock
        answered += d.step(t, [r for r in first if previous < r.time_h <= t])
        previous = t
    answered += d.flush()
    assert sorted(a.ev for a in answered) == sorted(r.ev for r in first)


# ---------------------------------------------------------------- simulated day
@pytest.fixture(scope="module")
def day():
    return simulate_day(generate_city(12, 6, seed=2), evs=120, seed=4, method=METHOD)


def test_day_counts_add_up_and_capacity_holds(day):
    summary = day.summary()
    assert summary["requests"] == 120 == len(day.decisions) == len(day.outcome)
    assert summary["charged"] + summary["blocked_at_dispatch"] + summary["turned_away_on_arrival"] == 120
    assert summary["assigned"] == summary["charged"] + summary["turned_away_on_arrival"]
    assert sum(summary["blocked_reasons"].values()) == summary["blocked_at_dispatch"]
    assert all(a.reason for a in day.decisions if a.blocked)
    assert np.all(day.occupancy >= 0) and np.all(day.occupancy <= day.city.piles[None, :])
    assert day.times_h[-1] >= 24.0 and np.all(np.diff(day.times_h) > 0)
    assert 0.0 < summary["mean_walking_km"] <= day.city.max_walking_km
    assert np.isfinite(summary["mean_cost"]) and 0.0 < summary["mean_p_free"] <= 1.0
    assert summary["background_arrivals"] > summary["background_blocked"] >= 0
    assert 0.0 <= summary["blocked_share"] < 0.6


def test_day_is_deterministic_with_a_seed(day):
    again = simulate_day(generate_city(12, 6, seed=2), evs=120, seed=4, method=METHOD)
    np.testing.assert_array_equal(again.occupancy, day.occupancy)
    assert same(again.decisions, day.decisions) and again.summary() == day.summary()
    other = simulate_day(generate_city(12, 6, seed=2), evs=120, seed=5, method=METHOD)
    assert not np.array_equal(other.occupancy, day.occupancy)


def test_occupancy_plot_is_written(day, tmp_path):
    path = plot_occupancy(day, tmp_path / "occupancy.png")
    assert path.stat().st_size > 10_000


@pytest.mark.skipif(not HAS_HASP, reason="evcore.assign.search (HASP) is not available")
def test_hasp_batches_are_seeded():
    city = generate_city(12, 6, seed=2)
    first = simulate_day(city, evs=80, seed=1, method="hasp", hours=12.0)
    second = simulate_day(city, evs=80, seed=1, method="hasp", hours=12.0)
    assert same(first.decisions, second.decisions)
    summary = first.summary()
    assert summary["charged"] + summary["blocked"] == summary["requests"] == 80
