"""evcore.queueing at its edges: documented size limits, result tables, the CLI, the figures."""

import importlib.util
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

from _figures import assert_readable, capture_figures
from evcore import queueing
from evcore.cli import main
from evcore.errors import InputError
from evcore.queueing import (
    MAX_SERVERS,
    LossTable,
    MMCResult,
    erlang_b,
    erlang_c,
    free_server_probability,
    loss_stationary,
    loss_table,
    loss_transient,
    min_servers,
    mmc,
    transient,
)
from evcore.results import Result

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("call", [
    lambda: erlang_b(10**12, 2.0),
    lambda: erlang_c(10**12, 2.0),
    lambda: mmc(10**12, 2.0, 1.0),
    lambda: erlang_b(MAX_SERVERS + 1, 2.0),
    lambda: erlang_b([3, 10**12], 2.0),
    lambda: erlang_b(2**70, 1.0),
    lambda: min_servers(1e12, 1, 1),
    lambda: min_servers(1e300, 1.0, 1.0),
    lambda: min_servers(9.99e6, 1.0, 1e-300),
    lambda: loss_transient(10**7, 1, 1, [1]),
    lambda: free_server_probability(10**7, 1, 1, [1.0]),
    lambda: loss_stationary(10**8, 1.0),
    lambda: transient([[-1, 1], [2, -2]], [1, 0], [1e9]),
    lambda: loss_transient(3, 1e308, 1e308, [0.0]),
], ids=["erlang_b", "erlang_c", "mmc", "just_past", "array", "2**70", "min_servers", "min_servers_1e300",
        "min_servers_tiny_target", "loss_transient", "free_server", "loss_stationary", "transient", "rate_overflow"])
def test_sizes_past_the_documented_limits_are_refused_at_once(call):
    started = time.perf_counter()
    with pytest.raises(InputError, match="MAX_|too large|overflows"):
        call()
    assert time.perf_counter() - started < 5.0


def test_the_limits_themselves_still_run():
    assert erlang_b(MAX_SERVERS, 0.5 * MAX_SERVERS) == 0.0  # underflows honestly
    assert min_servers(5.0, 1.0, 5e-324) > 5  # the walk ends where the wait underflows
    assert 0 < erlang_c(MAX_SERVERS, MAX_SERVERS - 1.0) < 1


@pytest.mark.parametrize("bad", ["3", b"3", True, 1 + 0j, None, [1, "2"], np.array(["3"])])
def test_every_entry_refuses_text_booleans_complex(bad):
    for call in (lambda: erlang_b(bad, 2.0), lambda: erlang_b(3, bad), lambda: erlang_c(bad, 2.0),
                 lambda: mmc(3, bad, 1.0), lambda: min_servers(bad, 1.0, 1.0),
                 lambda: loss_transient(3, bad, 1.0, [1.0]), lambda: loss_stationary(bad, 1.0)):
        with pytest.raises(InputError):
            call()


def test_fast_scalar_path_equals_the_array_path():
    for c, a in [(0, 1.0), (1, 0.0), (5, 3.0), (1024, 1000.0), (1025, 2000.0), (10**6, 9.9e5)]:
        assert erlang_b(c, a) == erlang_b(np.array([c]), np.array([a]))[0]
        if c:
            assert erlang_c(c, a) == erlang_c(np.array([c]), np.array([a]))[0]
    for c, arrival, service in [(1, 0.0, 1.0), (5, 3.0, 1.0), (10, 7.5, 0.5), (10, 30.0, 2.0), (3, 1e-300, 1e-300)]:
        one, many = mmc(c, arrival, service), mmc(np.array([c]), np.array([arrival]), np.array([service]))
        for name in ("servers", "wait", "queue_length", "p_wait", "utilization"):
            value = getattr(one, name)
            assert type(value) in (int, float) and value == getattr(many, name)[0], name
    for arrival, service, target in [(0.0, 1.0, 0.1), (7.5, 1.0, 0.1), (30.0, 2.0, 1e-3), (1.0, 3.0, 10.0)]:
        assert min_servers(arrival, service, target) == min_servers([arrival], [service], [target])[0]
    # the fast path refuses exactly what the array path refuses
    for bad in (float("nan"), float("inf"), -1.0, 0.0):
        with pytest.raises(InputError, match="service_rate"):
            mmc(3, 1.0, bad)
        with pytest.raises(InputError, match="target_wait"):
            min_servers(1.0, 1.0, bad)


def test_mmc_result_follows_the_contract():
    result = mmc([3, 4, 2], 2.5, 1.0, time_unit="h")
    assert isinstance(result, Result) and isinstance(result, MMCResult)
    assert result.status == "optimal" and result.method == "mmc"
    data = json.loads(json.dumps(result.to_dict()))
    assert data["wait"][2] == "inf" and data["servers"] == [3, 4, 2]
    frame = result.to_frame()
    assert list(frame.columns) == ["servers", "arrival_rate_per_h", "service_rate_per_h", "utilization", "p_wait",
                                   "wait_h", "queue_length", "sojourn_time_h", "system_length"]
    assert frame["wait_h"].iloc[0] == pytest.approx(result.wait[0])
    assert math.isinf(frame["wait_h"].iloc[2])
    scalar = mmc(3, 2.0, 1.0)
    assert len(scalar.to_frame()) == 1 and "wait" in scalar.to_frame().columns
    assert result.summary()["unstable"] == 1


def test_loss_table_follows_the_contract():
    table = loss_table(5, 3.0, 1.0, [0.0, 1.0, 50.0], initial_state=5, time_unit="h")
    assert isinstance(table, LossTable) and table.status == "optimal"
    assert table.p_all_busy[0] == 1.0
    assert table.p_all_busy[2] == pytest.approx(erlang_b(5, 3.0), abs=1e-12)
    assert np.array_equal(table.law, loss_transient(5, 3.0, 1.0, [0.0, 1.0, 50.0], 5))
    json.dumps(table.to_dict())
    assert list(table.to_frame().columns) == ["time_h", "p_all_busy", "p_free_server", "mean_busy"]
    law = table.to_frame("law")
    assert len(law) == 3 * 6 and law.groupby("time_h")["probability"].sum().tolist() == pytest.approx([1, 1, 1])
    assert loss_table(2, 1.0, 0.0, [1.0]).stationary_blocking is None


@pytest.mark.parametrize("argv, needle", [
    (["queue", "mmc", "-c", "", "--arrival-rate", "1", "--service-rate", "1"], "expected comma-separated integers"),
    (["queue", "mmc", "-c", "4,,5", "--arrival-rate", "1", "--service-rate", "1"], "expected comma-separated"),
    (["queue", "loss", "-c", "3", "--arrival-rate", "1", "--service-rate", "1", "--times", ""], "expected comma"),
    (["queue", "mmc", "-c", "4", "--arrival-rate", "x", "--service-rate", "1"], "invalid float value"),
])
def test_cli_bad_flags_are_one_line_and_exit_2(argv, needle, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2 and needle in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, needle", [
    (["queue", "mmc", "-c", "1000000000000", "--arrival-rate", "1", "--service-rate", "1"], "MAX_SERVERS"),
    (["queue", "mmc", "-c", "3", "--arrival-rate", "nan", "--service-rate", "1"], "arrival_rate"),
    (["queue", "mmc", "-c", "3", "--arrival-rate", "1", "--service-rate", "1", "--target-wait", "-1"],
     "target_wait"),
    (["queue", "loss", "-c", "3", "--arrival-rate", "1", "--service-rate", "0", "--times", "1e12"],
     "MAX_TRANSIENT_WORK"),
    (["queue", "loss", "-c", "1000000000000", "--arrival-rate", "1", "--service-rate", "1", "--times", "1"],
     "MAX_SERVERS"),
])
def test_cli_bad_values_are_one_line_and_exit_2(argv, needle, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and needle in captured.err and len(captured.err.strip().splitlines()) == 1


def test_cli_tables_come_from_the_result_types(capsys):
    assert main(["queue", "loss", "-c", "3", "--arrival-rate", "1", "--service-rate", "1", "--times", "0,1",
                 "--time-unit", "h"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["status"] == "optimal" and payload["method"] == "loss_transient"
    assert list(payload["results"][0]) == ["time_h", "p_all_busy", "p_free_server", "mean_busy"]


def test_demo_and_example_figures_are_readable(tmp_path, monkeypatch):
    from evcore.queueing._cli import demo

    figures = capture_figures(monkeypatch)
    demo(tmp_path / "demo")
    for k, figure in enumerate(figures):
        assert_readable(figure, f"demo figure {k}")
    spec = importlib.util.spec_from_file_location("hub_example", ROOT / "examples" / "queueing_fast_charging_hub.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    assert len(figures) == 2
    figures = capture_figures(monkeypatch, example)
    monkeypatch.setattr("sys.argv", ["hub", "--out", str(tmp_path / "hub")])
    example.main()
    assert len(figures) == 1
    for k, figure in enumerate(figures):
        assert_readable(figure, f"figure {k}")


def test_public_names():
    for name in ("MAX_SERVERS", "MAX_TRANSIENT_WORK", "MAX_TABLE_ENTRIES", "loss_table", "LossTable"):
        assert name in queueing.__all__
