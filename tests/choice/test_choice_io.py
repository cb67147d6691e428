"""The HM14 and Trois-Rivieres readers in evcore.io: round trips, and bad files refused with file:line."""

import json
from pathlib import Path

import numpy as np
import pytest

from evcore.choice import hm14_instance, random_hm14, read_hm14, solve
from evcore.errors import InputError
from evcore.io import hm14

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def test_hm14_round_trip_and_blocks(tmp_path):
    first = random_hm14(customers=30, candidates=7, competitors=2, seed=1)
    second = random_hm14(customers=20, candidates=5, competitors=1, seed=2)
    path = hm14.write(tmp_path / "two.data", [first, second])
    assert hm14.count_blocks(path) == 2
    back = hm14.read(path, block=1)
    np.testing.assert_array_equal(back.candidate, second.candidate)
    np.testing.assert_array_equal(back.competitor, second.competitor)
    np.testing.assert_array_equal(back.weights, second.weights)
    instance = read_hm14(path, beta=2.0, alpha=0.1)
    direct = hm14_instance(first, beta=2.0, alpha=0.1)
    np.testing.assert_array_equal(instance.attraction, direct.attraction)
    np.testing.assert_array_equal(instance.opt_out, direct.opt_out)
    assert instance.site_ids[:2] == ("L1", "L2")


@pytest.mark.parametrize(("text", "where", "what"), [
    ("49.5 25 1\n", ":1", "expected an integer"),
    ("2 2 1\n1 1\n-1 -2\n-3\n", ":4", "ends early"),
    ("2 1 1\n1 nan\n-1 -2\n-3 -4\n", ":2", "finite"),
    ("2 1 1\n1 1e400\n-1 -2\n-3 -4\n", ":2", "finite"),
    ("2 1 1\n1 x\n-1 -2\n-3 -4\n", ":2", "expected a number"),
    ("0 3 1\n", ":1", "N >= 1"),
    ("", "", "empty"),
])
def test_hm14_bad_files_name_file_and_line(tmp_path, text, where, what):
    path = tmp_path / "bad.data"
    path.write_text(text)
    with pytest.raises(InputError, match=what) as info:
        hm14.read(path)
    assert str(path) + where in str(info.value)


def test_hm14_binary_utf16_missing_and_blocks(tmp_path):
    binary = tmp_path / "binary.data"
    binary.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(InputError, match="binary"):
        read_hm14(binary, 1.0, 0.1)
    utf16 = tmp_path / "utf16.data"
    utf16.write_bytes("2 1 1\n1 1\n-1 -2\n-3 -4\n".encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        read_hm14(utf16, 1.0, 0.1)
    with pytest.raises(InputError, match="Haase"):  # says where such files come from
        read_hm14(tmp_path / "HM14_800_25.data", 1.0, 0.1)
    good = hm14.write(tmp_path / "one.data", random_hm14(5, 3, seed=0))
    with pytest.raises(InputError, match="holds only 1"):
        hm14.read(good, block=1)
    for block in (-1, 1.5, True, "0"):
        with pytest.raises(InputError, match="block"):
            hm14.read(good, block=block)


def test_hm14_utilities_that_overflow_or_vanish_are_refused(tmp_path):
    data = random_hm14(5, 3, seed=0)
    with pytest.raises(InputError, match="beta"):
        hm14_instance(data, beta=-1000.0, alpha=0.1)  # exp(+large) overflows
    with pytest.raises(InputError, match="underflows"):
        hm14_instance(data, beta=1000.0, alpha=1.0)  # every competitor weight is 0
    for beta in (float("nan"), "2", None, 1 + 1j):
        with pytest.raises(InputError, match="beta"):
            hm14_instance(data, beta=beta, alpha=0.1)


def test_readme_example_runs_without_outside_files(tmp_path, monkeypatch):
    """The README's choice block, extracted and run as a user would in an empty folder (12.5)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in readme.split("```python\n")[1:]]
    block = next(b for b in blocks if b.startswith("from evcore.choice import"))
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(block, "README.md (choice)", "exec"), namespace)  # noqa: S102 - the README's own code
    result, plan = namespace["result"], namespace["plan"]
    assert result.status == "optimal" and result.bound >= result.objective
    assert len(result.open_site_ids) == 5 and all(s.startswith("L") for s in result.open_site_ids)
    assert plan.status == "optimal" and plan.model == "multi-stage"
    frame = plan.to_frame()
    assert {"site_id", "type_id", "group", "year"} <= set(frame.columns)
    assert (tmp_path / "hm14_200_25.data").is_file()


@pytest.mark.skipif(not (DATA / "trois-rivieres").is_dir(), reason="Trois-Rivieres data not found")
def test_trois_rivieres_reader_gives_plain_data_and_json_errors_name_the_line(tmp_path):
    from evcore.io import trois_rivieres

    raw = trois_rivieres.read(DATA / "trois-rivieres", "Distance", years=2)
    assert len(raw.locations) == 10 and raw.max_outlets == 6 and raw.population.shape == (317,)
    assert raw.shares.shape == (2,)
    for name in ("ListNodes.json", "Stations_Simple.json", "UserClasses_Simple.json", "GrowthFunction_Simple.txt"):
        (tmp_path / name).write_bytes((DATA / "trois-rivieres" / name).read_bytes())
    (tmp_path / "Stations_Simple.json").write_text('[\n{"Location": 1,\n "MaxOutlets": 6,,\n}]')
    with pytest.raises(InputError, match=r"Stations_Simple.json:3"):
        trois_rivieres.read(tmp_path)
    (tmp_path / "Stations_Simple.json").write_bytes(b"\x00\x00binary")
    with pytest.raises(InputError, match="binary"):
        trois_rivieres.read(tmp_path)
    stations = json.loads((DATA / "trois-rivieres" / "Stations_Simple.json").read_text())
    (tmp_path / "Stations_Simple.json").write_text(json.dumps(stations).replace("6", "NaN", 1))
    with pytest.raises(InputError):
        trois_rivieres.read(tmp_path)
    with pytest.raises(InputError, match="does not ship"):
        trois_rivieres.read(tmp_path / "nowhere")
