"""The embedding API a simulator needs: a Dispatcher driven from a SimPy loop, feedback calls,
the next decision time, decisions as a table, pickling."""

import math
import pickle

import numpy as np
import pytest

from evcore.assign import Dispatcher, generate_city, generate_requests
from evcore.assign.online import ChargeRequest, decisions_table
from evcore.errors import InputError

simpy = pytest.importorskip("simpy", reason="SimPy drives the dispatcher as a user's simulation would")


def run_simpy_day(method="exact", evs=40, seed=2, outage=True):
    """A SimPy model: requests arrive, the dispatcher decides when its batch closes, EVs drive,
    charge or are turned away, one pile breaks for a while; every outcome is reported back."""
    city = generate_city(6, 4, seed=seed)
    requests = generate_requests(city, evs, seed=seed)
    env = simpy.Environment(initial_time=0.0)
    dispatcher = Dispatcher(city, method=method, batch_window_h=0.1, feedback=True, arrival_rate_per_hour=0.2)
    in_service = city.piles.copy()
    busy = np.zeros(city.stations, int)
    inbox, log = [], {"charged": 0, "turned_away": 0, "max_over": 0}
    wake = {"event": env.event()}

    def source():
        for request in requests:
            yield env.timeout(max(request.time_h - env.now, 0.0))
            inbox.append(request)
            if not wake["event"].triggered:
                wake["event"].succeed()

    def ev(decision):
        yield env.timeout(max(decision.arrival_time_h - env.now, 0.0))
        station = decision.station
        if busy[station] < in_service[station]:
            busy[station] += 1
            dispatcher.arrived(decision.ev, env.now)
            log["charged"] += 1
            yield env.timeout(decision.charging_time_h)
            busy[station] -= 1
            dispatcher.charge_ended(decision.ev, env.now)
        else:
            dispatcher.turned_away(decision.ev, env.now)
            log["turned_away"] += 1

    def breakdown():
        station_id = city.station_ids[0]
        yield env.timeout(9.0)
        dispatcher.pile_outage(station_id, env.now)
        in_service[0] -= 1
        yield env.timeout(3.0)
        dispatcher.pile_restored(station_id, env.now)
        in_service[0] += 1

    def control():
        delivered = 0
        while delivered < len(requests) or dispatcher.pending:
            wait = dispatcher.next_decision_h - env.now
            timer = env.timeout(wait) if math.isfinite(wait) else env.event()
            yield timer | wake["event"]
            if wake["event"].triggered:
                wake["event"] = env.event()
            new, inbox[:] = list(inbox), []
            delivered += len(new)
            done = delivered == len(requests)
            for decision in dispatcher.step(env.now, new, observed_busy=np.minimum(busy, city.piles),
                                            force=done and not math.isfinite(wait)):
                if not decision.blocked:
                    env.process(ev(decision))
            # The dispatcher's promises never exceed the piles in service.
            taken, en_route = dispatcher.station_state()
            log["max_over"] = max(log["max_over"], int(np.max(en_route - dispatcher.in_service)))
        if dispatcher.pending:
            for decision in dispatcher.flush(env.now):
                if not decision.blocked:
                    env.process(ev(decision))

    env.process(source())
    env.process(control())
    if outage:
        env.process(breakdown())
    env.run()
    return city, requests, dispatcher, log


def test_a_simpy_day_reports_every_outcome_and_ends_with_no_open_session():
    city, requests, dispatcher, log = run_simpy_day()
    decisions = dispatcher.decisions
    assert sorted(d.ev for d in decisions) == sorted(r.ev for r in requests)
    assigned = [d for d in decisions if not d.blocked]
    assert log["charged"] + log["turned_away"] == len(assigned) and log["charged"] > 0
    assert log["max_over"] <= 0
    for d in assigned:
        assert d.charge_end_h == pytest.approx(d.arrival_time_h + d.charging_time_h)
        assert d.station_id == city.station_ids[d.station]
        assert not dispatcher.has_session(d.ev)  # every session was reported over
    assert dispatcher.next_decision_h == math.inf and dispatcher.pending == ()
    frame = dispatcher.to_frame()
    assert list(frame.columns[:2]) == ["ev_id", "station_id"] and len(frame) == len(requests)
    assert frame["charging_time_h"].notna().all()
    assert set(frame.loc[~frame["blocked"], "station_id"]) <= set(city.station_ids)


def test_simpy_day_is_repeatable():
    first = run_simpy_day(method="hasp", evs=25, seed=3)[2].to_frame()
    second = run_simpy_day(method="hasp", evs=25, seed=3)[2].to_frame()
    assert first.equals(second)


def test_next_decision_time_replaces_polling():
    city = generate_city(4, 2, seed=1)
    d = Dispatcher(city, method="exact", batch_window_h=0.25)
    assert d.next_decision_h == math.inf
    request = generate_requests(city, 3, seed=1)[0]
    assert d.step(request.time_h, [request]) == []
    assert d.next_decision_h == pytest.approx(request.time_h + 0.25)
    assert d.step(d.next_decision_h - 1e-9) == []  # not yet
    decided = d.step(d.next_decision_h)
    assert [a.ev for a in decided] == [request.ev] and d.next_decision_h == math.inf


def test_outage_takes_piles_out_of_the_offer_and_feedback_is_checked():
    city = generate_city(3, 2, seed=4, piles=(1, 1))
    d = Dispatcher(city, method="exact", batch_window_h=0.0, min_free_probability=0.0, feedback=True)
    for station_id in city.station_ids:
        assert d.pile_outage(station_id, 0.0) == 0
    request = ChargeRequest(ev=7, time_h=0.0, position_km=tuple(city.destination_xy[0]), destination=0,
                            remaining_kwh=30.0, consumption_kwh_per_km=0.2, charging_time_h=1.0, time_budget_h=5.0)
    blocked = d.step(0.0, [request])[0]
    assert blocked.blocked and d.last_batch.in_service.tolist() == [0, 0, 0]
    for station_id in city.station_ids:
        assert d.pile_restored(station_id, 0.1) == 1
    again = d.step(0.1, [ChargeRequest(**{**request.__dict__, "ev": 8, "time_h": 0.1})])[0]
    assert not again.blocked and d.has_session(8)
    station = again.station
    with pytest.raises(InputError, match="no open session"):
        d.arrived(99, 0.2)
    with pytest.raises(InputError, match="precedes"):
        d.arrived(8, 0.05)
    d.arrived(8, 0.2)
    busy = d.station_state()[0]  # charging now (feedback mode, no observation)
    assert busy[station] == 1 and busy.sum() == 1
    d.step(5.0)
    assert d.has_session(8)  # feedback=True: held until charge_ended, however long it takes
    d.charge_ended(8, 5.5)
    assert not d.has_session(8)
    with pytest.raises(InputError, match="no station has id"):
        d.pile_outage("nope", 1.0)
    with pytest.raises(InputError, match="cannot restore"):
        d.pile_restored(city.station_ids[0], 6.0, piles=2)


def test_without_feedback_sessions_end_at_their_predicted_end():
    city = generate_city(3, 2, seed=4)
    d = Dispatcher(city, method="exact", batch_window_h=0.0, min_free_probability=0.0)
    request = ChargeRequest(ev=1, time_h=0.0, position_km=tuple(city.destination_xy[0]), destination=0,
                            remaining_kwh=30.0, consumption_kwh_per_km=0.2, charging_time_h=1.0, time_budget_h=5.0)
    decision = d.step(0.0, [request])[0]
    d.arrived(1, decision.arrival_time_h + 0.5)  # late: the expected end moves with it
    d.step(decision.arrival_time_h + 1.2)
    assert d.has_session(1)
    d.step(decision.arrival_time_h + 1.6)
    assert not d.has_session(1)


def test_dispatcher_pickles_and_resumes_identically():
    city = generate_city(6, 3, seed=5)
    requests = generate_requests(city, 30, seed=5)
    d = Dispatcher(city, method="hasp", batch_window_h=0.2, arrival_rate_per_hour=0.5, seed=9)
    half = len(requests) // 2
    previous = 0.0
    for r in requests[:half]:
        d.step(max(r.time_h, previous), [r])
        previous = max(r.time_h, previous)
    clone = pickle.loads(pickle.dumps(d))
    out_a, out_b = [], []
    for r in requests[half:]:
        t = max(r.time_h, previous)
        out_a += d.step(t, [r])
        out_b += clone.step(t, [r])
        previous = t
    out_a += d.flush()
    out_b += clone.flush()
    assert [repr(x) for x in out_a] == [repr(x) for x in out_b]
    assert decisions_table(d.decisions) == decisions_table(clone.decisions) or \
        d.to_frame().equals(clone.to_frame())
