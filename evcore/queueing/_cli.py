"""``evcore queue`` and the queueing part of ``evcore demo``."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .._output import emit, write_csv, write_json
from ._erlang_api import erlang_b, min_servers, mmc
from ._loss import free_server_probability, loss_table


class _OneLineParser(argparse.ArgumentParser):
    """Bad flags give one line on stderr (no usage block) and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def one_line_errors(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make ``parser`` report a bad flag in one line (exit code 2), like :class:`_OneLineParser`."""
    parser.error = lambda message: _OneLineParser.error(parser, message)
    return parser


def _number_list(text: str, kind=float):
    what = "integers" if kind is int else "numbers"
    parts = text.split(",")
    if not text.strip() or any(not part.strip() for part in parts):
        raise argparse.ArgumentTypeError(f"expected comma-separated {what}, got {text!r}")
    try:
        return [kind(part) for part in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated {what}, got {text!r}") from None


def _int_list(text: str):
    return _number_list(text, int)


def register(subparsers, name: str) -> None:
    queue = one_line_errors(subparsers.add_parser(
        name,
        help="M/M/c and M/M/c/c figures (Erlang B/C, waits, transients)",
        description="Queueing figures for charging stations. Rates are per unit time (e.g. per hour); "
        "waits come back in the same unit. Servers are limited to evcore.queueing.MAX_SERVERS (10^7).",
    ))
    kinds = queue.add_subparsers(dest="queue_kind", metavar="KIND", required=True, parser_class=_OneLineParser)

    waiting = kinds.add_parser("mmc", help="M/M/c steady state: wait, queue length, P(wait), utilisation")
    waiting.add_argument("--servers", "-c", type=_int_list, required=True, help="servers, e.g. 4 or 2,4,8")
    waiting.add_argument("--arrival-rate", type=float, required=True, help="arrivals per unit time")
    waiting.add_argument("--service-rate", type=float, required=True, help="services per server per unit time")
    waiting.add_argument("--wait-limit", type=float, default=None,
                         help="also report the service level P(wait <= limit)")
    waiting.add_argument("--target-wait", type=float, default=None,
                         help="also report the smallest c with mean wait <= target")
    waiting.add_argument("--time-unit", default="", help="name of the rates' time unit (e.g. h): added to the "
                         "column names of time quantities (wait_h); nothing is converted")
    waiting.add_argument("--format", choices=("json", "csv"), default="json")
    waiting.add_argument("--output", "-o", default=None, help="file to write (default: standard output)")
    waiting.set_defaults(handler=_run_mmc)

    loss = kinds.add_parser("loss", help="M/M/c/c transient: state law and free-server probability over time")
    loss.add_argument("--servers", "-c", type=int, required=True)
    loss.add_argument("--arrival-rate", type=float, required=True)
    loss.add_argument("--service-rate", type=float, required=True)
    loss.add_argument("--times", type=_number_list, required=True, help="comma-separated times, e.g. 0,0.25,1")
    loss.add_argument("--initial-state", type=int, default=0, help="busy servers at time 0 (default 0)")
    loss.add_argument("--time-unit", default="", help="name of the rates' time unit (e.g. h), for column names")
    loss.add_argument("--format", choices=("json", "csv"), default="json")
    loss.add_argument("--output", "-o", default=None)
    loss.set_defaults(handler=_run_loss)


def _rows(columns: dict) -> list[dict]:
    """A result table (column name -> array) as a list of row dicts."""
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*(np.ravel(columns[n]).tolist() for n in names))]


def _run_mmc(args) -> int:
    result = mmc(np.array(args.servers), args.arrival_rate, args.service_rate, time_unit=args.time_unit)
    columns = result._frames()["queues"]()
    if args.wait_limit is not None:
        columns["service_level"] = np.ravel(result.service_level(args.wait_limit))
    rows = _rows(columns)
    payload = {"model": "M/M/c", **result.summary(), "results": rows}
    if args.target_wait is not None:
        payload["min_servers_for_target_wait"] = min_servers(args.arrival_rate, args.service_rate, args.target_wait)
    return emit(payload, rows, args.format, args.output)


def _run_loss(args) -> int:
    table = loss_table(args.servers, args.arrival_rate, args.service_rate, args.times, args.initial_state,
                       time_unit=args.time_unit)
    rows = _rows(table._frames()["times"]())
    payload = {"model": "M/M/c/c", **table.summary(), "initial_state": table.initial_state, "results": rows}
    return emit(payload, rows, args.format, args.output)


def demo(out_dir: Path) -> dict:
    """Size a fast-charging hub and show its short-term availability (embedded default data).

    A DC fast charger serves an EV in 30 minutes on average (service rate 2 per hour);
    arrivals range over 2..40 EVs per hour; the target mean wait is 5 minutes.
    """
    from ..plotting import new_figure, save_figure

    out_dir = Path(out_dir)
    service_rate = 2.0  # EVs per charger per hour (30-minute sessions)
    target_wait_h = 5.0 / 60.0
    arrival_rates = np.arange(2.0, 41.0, 2.0)
    chargers = min_servers(arrival_rates, service_rate, target_wait_h)
    figures = mmc(chargers, arrival_rates, service_rate)
    sizing = [
        {
            "arrivals_per_hour": float(rate),
            "chargers": int(c),
            "utilization": float(u),
            "p_wait": float(p),
            "mean_wait_min": float(w * 60.0),
            "p_wait_over_10_min": float(1.0 - s),
        }
        for rate, c, u, p, w, s in zip(arrival_rates, chargers, figures.utilization, figures.p_wait,
                                        figures.wait, figures.service_level(10.0 / 60.0))
    ]
    piles, arrivals = 8, 12.0
    minutes = np.linspace(0.0, 90.0, 91)
    occupancies = np.array([0, 4, 8])
    free = free_server_probability(piles, arrivals, service_rate, minutes / 60.0, occupancies)
    availability = [
        {"minutes_ahead": float(m), **{f"p_free_if_{k}_busy": float(free[i, j]) for j, k in enumerate(occupancies)}}
        for i, m in enumerate(minutes)
    ]
    long_run_free = 1.0 - erlang_b(piles, arrivals / service_rate)

    files = [
        write_csv(sizing, out_dir / "station_sizing.csv"),
        write_csv(availability, out_dir / "pile_availability.csv"),
    ]
    fig, ax = new_figure()
    steps = ax.step(arrival_rates, chargers, where="mid", label="chargers needed (mean wait <= 5 min)")
    ax.set_xlabel("arrival rate (EVs/h)")
    ax.set_ylabel("chargers (count)")
    ax.grid(alpha=0.3)
    twin = ax.twinx()
    line = twin.plot(arrival_rates, figures.utilization, color="tab:orange", marker=".", label="utilisation")
    twin.set_ylabel("utilisation (fraction of charger time)")
    ax.legend(handles=steps + line, loc="upper left")
    ax.set_title("Fast-charging hub sizing (M/M/c, 30-min sessions)")
    files.append(save_figure(fig, out_dir / "station_sizing.png"))
    fig, ax = new_figure()
    for j, k in enumerate(occupancies):
        ax.plot(minutes, free[:, j], label=f"{k} of {piles} piles busy now")
    ax.axhline(long_run_free, color="grey", linestyle="--", label="long run (1 - Erlang B)")
    ax.set_xlabel("time ahead (min)")
    ax.set_ylabel("P(at least one free pile) (probability)")
    ax.set_ylim(0, 1.02)
    ax.legend()
    ax.grid(alpha=0.3)
    ax.set_title(f"Pile availability, M/M/{piles}/{piles}, {arrivals:g} arrivals/h")
    files.append(save_figure(fig, out_dir / "pile_availability.png"))
    summary = {
        "target_mean_wait_min": 5.0,
        "sizing": sizing,
        "availability_station": {"piles": piles, "arrivals_per_hour": arrivals, "service_rate_per_hour": service_rate,
                                 "long_run_p_free": long_run_free},
    }
    files.append(write_json(summary, out_dir / "queueing.json"))
    return {
        "headline": f"hub sizing for 2..40 EVs/h needs {int(chargers[0])}..{int(chargers[-1])} fast chargers "
        "for a 5-min mean wait",
        "lines": [
            f"8-pile station at {arrivals:g} EVs/h: P(free pile in 15 min | full now) = "
            f"{free[15, 2]:.3f}, long run {long_run_free:.3f}",
        ],
        "files": [str(f) for f in files],
    }
