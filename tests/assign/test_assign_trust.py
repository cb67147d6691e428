"""Issue 12's reproducers for evcore.assign and their siblings: no hang, no raw exception, no
silent acceptance; infeasible is reported as infeasible; the CLI says so with its exit code."""

import json
import math

import numpy as np
import pytest

from evcore.assign import (
    Dispatcher,
    EVInstance,
    GAPInstance,
    generate_city,
    generate_requests,
    random_ev_instance,
    random_gap_instance,
    simulate_day,
    solve,
)
from evcore.assign.online import allocation_radius_km, generate_trips
from evcore.cli import main
from evcore.errors import InfeasibleError, InputError

HEURISTICS = ("hasp", "tabu", "bees", "de")
#: 3 unit jobs, room for 2: infeasible, and the LP relaxation proves it.
THREE_JOBS_ROOM_FOR_TWO = GAPInstance(np.ones((2, 3)), np.ones((2, 3)), np.ones(2))


@pytest.mark.parametrize("option", [{"arrival_noise_h": math.nan}, {"radius_options": {"base_radius_km": math.nan}},
                                    {"arrival_noise_h": math.inf}, {"radius_options": {"range_share": -1}},
                                    {"radius_options": {"bogus": 1}}, {"step_h": 1e-300}, {"hours": math.nan},
                                    {"background_session_h": 0}, {"evs": -1}, {"seed": 2.5}, {"bogus": 1},
                                    {"time_limit": -1}, {"solver_options": {"bogus": 1}}, {"method": "magic"}])
def test_simulate_day_refuses_what_used_to_hang_or_crash(option):
    with pytest.raises(InputError):
        simulate_day(generate_city(4, 2, seed=1), **{"evs": 5, "method": "exact", **option})


@pytest.mark.parametrize("method", HEURISTICS + ("exact",))
def test_proven_infeasible_gap_raises(method):
    with pytest.raises(InfeasibleError, match="capacity"):
        solve(THREE_JOBS_ROOM_FOR_TWO, method, seed=0, max_iterations=50)


@pytest.mark.parametrize("method", HEURISTICS)
def test_nothing_found_without_proof_is_status_infeasible(method):
    # Feasible for the LP (each agent holds 1.5 jobs), not for the GAP (4 jobs of size 2, room 3 each).
    result = solve(GAPInstance(np.ones((3, 4)), np.full((3, 4), 2.0), np.full(3, 3.0)), method, seed=0,
                   max_iterations=30)
    assert result.status == "infeasible" and not result.feasible and result.objective == math.inf
    json.dumps(result.to_dict())


@pytest.mark.parametrize("call", [
    lambda: random_ev_instance(-1, 3), lambda: random_ev_instance(5, 0), lambda: random_ev_instance(2.5, 3),
    lambda: random_ev_instance(10**9, 10**9), lambda: random_ev_instance(5, 3, seed=-1),
    lambda: random_ev_instance(5, 3, seed=2**70), lambda: random_ev_instance(5, 3, seed=2.5),
    lambda: random_ev_instance(5, 3, city_km=math.nan), lambda: random_gap_instance(0, 5),
    lambda: random_gap_instance(3, 5, "Z"), lambda: random_gap_instance(3, 5, seed="1"),
    lambda: generate_city(0, 2), lambda: generate_city(3, -1), lambda: generate_city(3, 2, seed=-1),
    lambda: generate_city(3, 2, piles=(5, 2)), lambda: generate_city(3, 2, bogus=1),
    lambda: generate_trips(generate_city(3, 2), -1), lambda: generate_requests(generate_city(3, 2), 3, seed=2**70),
    lambda: generate_requests(generate_city(3, 2), 3, bogus=2),
    lambda: allocation_radius_km(generate_city(3, 2), [0], [1.0], [0, 0, 0], base_radius_km=-1),
    lambda: allocation_radius_km(generate_city(3, 2), [5], [1.0], [0, 0, 0]),
])
def test_generators_refuse_bad_sizes_seeds_and_options(call):
    with pytest.raises(InputError):
        call()


@pytest.mark.parametrize("kwargs", [{"seed": 2.5}, {"seed": -1}, {"seed": 2**70}, {"seed": True}, {"seed": "1"},
                                    {"time_limit": 0}, {"time_limit": math.nan}, {"time_limit": "x"},
                                    {"max_iterations": 0}, {"max_iterations": 2.5}, {"bogus": 1},
                                    {"progress": "yes"}])
@pytest.mark.parametrize("method", HEURISTICS)
def test_solve_refuses_bad_run_arguments(method, kwargs):
    with pytest.raises(InputError):
        solve(random_gap_instance(3, 8, seed=1), method, **kwargs)


def test_exact_refuses_unknown_options_and_bad_seeds():
    with pytest.raises(InputError, match="unknown option"):
        solve(random_gap_instance(3, 8, seed=1), "exact", population_size=3)
    with pytest.raises(InputError, match="seed"):
        solve(random_gap_instance(3, 8, seed=1), "exact", seed=-1)


@pytest.mark.parametrize("kwargs", [{"seed": -1}, {"seed": 2**70}, {"time_limit": -1}, {"method": "x"},
                                    {"solver_options": {"bogus": 1}}, {"batch_window_h": math.nan},
                                    {"arrival_rate_per_hour": [1.0, 2.0]}, {"feedback": "yes"},
                                    {"min_free_probability": 2}])
def test_dispatcher_refuses_bad_settings(kwargs):
    with pytest.raises(InputError):
        Dispatcher(generate_city(3, 2, seed=0), **kwargs)


def test_ev_instance_refuses_no_evs_and_bad_ids():
    with pytest.raises(InputError, match="at least one EV"):
        EVInstance(driving_km=np.zeros((0, 2)), walking_km=[[1.0], [1.0]], destination=[], remaining_kwh=[],
                   consumption_kwh_per_km=[], charging_time_h=[], piles=[1, 1], price_per_hour=[1, 1])
    base = random_ev_instance(4, 2, seed=0)
    fields = {name: getattr(base, name) for name in ("driving_km", "walking_km", "destination", "remaining_kwh",
                                                     "consumption_kwh_per_km", "charging_time_h", "piles",
                                                     "price_per_hour")}
    for ids, message in (([1, 2, 3], "expected 4 ids"), (["a", "b", "a", "c"], "unique"),
                         ([1.5, 2, 3, 4], "string or an integer"), ([True, 2, 3, 4], "string or an integer")):
        with pytest.raises(InputError, match=message):
            EVInstance(**fields, ev_ids=ids)


# --- the command line -----------------------------------------------------------------------------


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("argv, message", [
    (["--evs", "-1"], "evs: must be at least 1"), (["--stations", "0"], "stations: must be at least 1"),
    (["--seed", "-1"], "seed"), (["--time-limit", "-1"], "time_limit"), (["--max-iterations", "0"], "max_iterations"),
    (["--time-limit", "nan"], "time_limit"), (["--problem", "2"], "needs an instance file"),
])
def test_cli_bad_flags_exit_2_with_one_line(argv, message, capsys):
    code, out, err = run(["assign", "--method", "hasp", *argv], capsys)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_cli_bad_files_exit_2(tmp_path, capsys):
    for content in (b"\x00\xff\x00", "1 2\n".encode("utf-16"), b"2 2 nan", b"1 1 1 1 1e400", b""):
        path = tmp_path / "bad.txt"
        path.write_bytes(content)
        code, out, err = run(["assign", str(path)], capsys)
        assert code == 2 and out == "" and "bad.txt" in err and len(err.strip().splitlines()) == 1
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"driving_km": [[1.0]], "bogus": 1}')
    code, _, err = run(["assign", str(bad_json)], capsys)
    assert code == 2 and "bogus" in err


def test_cli_unwritable_output_exits_2(tmp_path, capsys):
    code, out, err = run(["assign", "--evs", "6", "--stations", "2", "--method", "exact", "-o",
                          str(tmp_path / "no" / "dir" / "x.json")], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_cli_infeasible_instance_exits_3(tmp_path, capsys):
    path = tmp_path / "tight.txt"
    path.write_text("2 3\n1 1 1\n1 1 1\n1 1 1\n1 1 1\n1 1\n")  # 3 unit jobs, room for 2
    for method in HEURISTICS + ("exact",):
        code, out, err = run(["assign", str(path), "--method", method, "--max-iterations", "20"], capsys)
        assert code == 3 and out == "" and "capacit" in err


def test_cli_nothing_found_exits_3_with_the_result(tmp_path, capsys):
    path = tmp_path / "lp-feasible.txt"
    path.write_text("3 4\n" + "1 1 1 1\n" * 3 + "2 2 2 2\n" * 3 + "3 3 3\n")
    code, out, err = run(["assign", str(path), "--method", "hasp", "--max-iterations", "20"], capsys)
    assert code == 3 and json.loads(out)["status"] == "infeasible" and "found no feasible" in err


def test_cli_multi_problem_file_and_ids(tmp_path, capsys):
    path = tmp_path / "gapx.txt"
    path.write_text("2\n1 2\n3 4\n1 1\n5\n2 2\n1 2 3 4\n1 1 1 1\n2 2\n")
    code, out, err = run(["assign", str(path)], capsys)
    assert code == 2 and "problem=1 .. 2" in err
    code, out, _ = run(["assign", str(path), "--problem", "2", "--method", "exact", "--format", "csv"], capsys)
    assert code == 0 and out.splitlines()[0] == "job_id,agent_id,cost" and len(out.splitlines()) == 3
    code, out, _ = run(["assign", "--evs", "5", "--stations", "2", "--method", "exact"], capsys)
    payload = json.loads(out)
    assert code == 0 and payload["assigned"]["ev_id"] == [1, 2, 3, 4, 5]
    assert set(payload["assigned"]["station_id"]) <= {1, 2} and payload["status"] == "optimal"
