"""The command line's promises, checked on every subcommand in a real process.

- stdout holds only the result: JSON that parses, or CSV whose first line is its header, or
  nothing with ``-o`` (HiGHS's banner, progress and notes go to stderr);
- a user's mistake (missing or binary file, bad flag value, unwritable output, missing optional
  engine) gives a short message on stderr, no traceback, and the documented exit code.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FEEDER = str(Path(__file__).resolve().parents[1] / "evcore" / "grid" / "data" / "demo_feeder.json")

#: (id, arguments) of small runs of every subcommand; each must print a parseable result.
RESULT_CASES = [
    ("queue-mmc", ["queue", "mmc", "-c", "2,3", "--arrival-rate", "2", "--service-rate", "1"]),
    ("queue-loss", ["queue", "loss", "-c", "3", "--arrival-rate", "2", "--service-rate", "1", "--times", "0,1"]),
    ("assign-exact", ["assign", "--evs", "12", "--stations", "3", "--method", "exact"]),
    ("assign-best", ["assign", "--evs", "12", "--stations", "3", "--method", "best", "--time-limit", "1",
                     "--progress"]),
    ("choice", ["choice", "--users", "12", "--sites", "5", "--stations", "2"]),
    ("siting", ["siting", "--points", "10", "--method", "exact"]),
    ("grid-pf", ["grid", "pf", FEEDER]),
    ("grid-sensitivity", ["grid", "sensitivity", FEEDER]),
    ("joint", ["joint", "--zones", "6", "--slots", "24", "--method", "highs"]),
]


def evcore(*args, env=None, timeout=600):
    environment = dict(os.environ)
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "evcore", *args], capture_output=True, text=True,
                          env=environment, timeout=timeout)


def no_traceback(completed):
    assert "Traceback" not in completed.stderr, completed.stderr
    assert len(completed.stderr.strip().splitlines()) <= 20, completed.stderr


@pytest.mark.parametrize("name, args", RESULT_CASES, ids=[c[0] for c in RESULT_CASES])
def test_stdout_is_only_the_result(name, args, tmp_path, capsys):
    # a real process: compiled code (HiGHS's banner) writes to file descriptor 1 itself
    completed = evcore(*args)
    assert completed.returncode == 0, completed.stderr
    no_traceback(completed)
    json.loads(completed.stdout)  # nothing but the JSON document
    code, out, err = in_process([*args, "--format", "csv"], capsys)
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows and all(len(row) == len(rows[0]) for row in rows), out[:500]
    assert not any("HiGHS" in cell for cell in rows[0])
    target = tmp_path / "result.json"
    code, out, err = in_process([*args, "-o", str(target)], capsys)
    assert code == 0 and out == "", out[:300]
    json.loads(target.read_text())


def in_process(argv, capsys):
    from evcore.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _binary(tmp_path):
    path = tmp_path / "binary.dat"
    path.write_bytes(bytes(range(256)) * 4)
    return str(path)


#: (id, arguments builder, expected exit code).
MISTAKES = [
    ("assign-missing-file", lambda t: ["assign", str(t / "missing.txt")], 2),
    ("assign-binary-file", lambda t: ["assign", _binary(t)], 2),
    ("assign-negative-evs", lambda t: ["assign", "--evs", "-1"], 2),
    ("assign-zero-stations", lambda t: ["assign", "--evs", "5", "--stations", "0"], 2),
    ("assign-negative-seed", lambda t: ["assign", "--evs", "5", "--seed", "-1"], 2),
    ("assign-negative-time-limit", lambda t: ["assign", "--evs", "5", "--time-limit", "-1"], 2),
    ("assign-unwritable-output", lambda t: ["assign", "--evs", "5", "-o", "/dev/null/x/out.json"], 2),
    ("queue-huge-servers", lambda t: ["queue", "mmc", "-c", "1000000000000", "--arrival-rate", "1",
                                      "--service-rate", "1"], 2),
    ("queue-empty-servers", lambda t: ["queue", "mmc", "-c", "", "--arrival-rate", "1", "--service-rate", "1"], 2),
    ("queue-empty-times", lambda t: ["queue", "loss", "-c", "2", "--arrival-rate", "1", "--service-rate", "1",
                                     "--times", ""], 2),
    ("choice-zero-years", lambda t: ["choice", "--users", "10", "--sites", "4", "--years", "0"], 2),
    ("choice-missing-hm14", lambda t: ["choice", "--hm14", str(t / "missing.data")], 2),
    ("choice-binary-hm14", lambda t: ["choice", "--hm14", _binary(t)], 2),
    ("siting-negative-points", lambda t: ["siting", "--points", "-3"], 2),
    ("grid-missing-feeder", lambda t: ["grid", "pf", str(t / "missing.dss")], 2),
    ("grid-binary-feeder", lambda t: ["grid", "pf", _binary(t) + ".json"], 2),
    ("grid-unwritable-plot", lambda t: ["grid", "pf", FEEDER, "--plot", "/dev/null/x/profile.png"], 2),
    ("joint-bad-config", lambda t: ["joint", "--config", _write(t / "bad.json", "{not json")], 2),
    ("joint-negative-time-limit", lambda t: ["joint", "--zones", "6", "--slots", "24", "--time-limit", "-1"], 2),
    ("demo-unwritable-out", lambda t: ["demo", "--out", "/dev/null/x"], 2),
    ("unknown-flag", lambda t: ["assign", "--no-such-flag"], 2),
]


def _write(path, text):
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name, build, code", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_user_mistakes_get_a_message_and_the_documented_exit_code(name, build, code, tmp_path, capsys):
    args = build(tmp_path)
    if name == "grid-binary-feeder":
        Path(args[2]).write_bytes(bytes(range(256)))
    returned, out, err = in_process(args, capsys)
    assert "Traceback" not in err and "internal error" not in err, err
    assert returned == code, (returned, err)
    assert out == ""
    assert err.strip(), "a mistake must be explained"


def test_missing_optional_engine_is_one_line_naming_the_extra(tmp_path):
    blocked = tmp_path / "blocked"
    (blocked / "dss").mkdir(parents=True)
    (blocked / "dss" / "__init__.py").write_text("raise ImportError('dss-python is not installed (test)')\n")
    feeder = tmp_path / "feeder.dss"
    feeder.write_text("clear\nnew circuit.x basekv=12.47\n")
    path = os.pathsep.join([str(blocked), os.environ.get("PYTHONPATH", "")])
    completed = evcore("grid", "pf", str(feeder), env={"PYTHONPATH": path})
    no_traceback(completed)
    assert completed.returncode == 2, completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1 and "evcore[opendss]" in completed.stderr


@pytest.mark.parametrize("argv, origin", [
    (["assign", "{tmp}/gap1.txt"], "OR-Library"),
    (["choice", "--hm14", "{tmp}/hm14.data", "--stations", "2"], "Haase"),
    (["grid", "pf", "{tmp}/feeder.glm"], "github.com/gridlab-d"),
    (["grid", "pf", "{tmp}/feeder.json"], "Feeder.to_json"),
], ids=["gap", "hm14", "glm", "feeder-json"])
def test_a_missing_outside_file_says_where_such_files_come_from(argv, origin, tmp_path, capsys):
    """Issue 12.5: paths for what evcore may not ship, with an error that says where such files come from."""
    returned, _, err = in_process([a.format(tmp=tmp_path) for a in argv], capsys)
    assert returned == 2 and origin in err and "Traceback" not in err, err
