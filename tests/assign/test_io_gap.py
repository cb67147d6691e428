"""OR-Library GAP files: both layouts, the writer's round trip, and refusals naming file:line."""

import numpy as np
import pytest

from evcore.assign import (
    GAPInstance,
    random_ev_instance,
    random_gap_instance,
    read_orlib_gap,
    read_orlib_gaps,
    solve,
    write_orlib_gap,
)
from evcore.errors import InfeasibleError, InputError
from evcore.io import gap as gap_io

from _data import GAP_DATA, needs_gap_data

# OR-Library's own layout (gap1.txt ... gap12.txt): the problem count alone on the first line,
# then each problem, with rows wrapped over several lines as in the published files.
TWO_PROBLEMS = """ 2
 2 3
 5 6 7
 8 9 10
 1 2 3 2 2 2
 4 4
 1 2
 3
 4
 1 1
 2
"""


def test_multi_problem_files_are_read(tmp_path):
    path = tmp_path / "gap0.txt"
    path.write_text(TWO_PROBLEMS)
    first, second = read_orlib_gaps(path)
    assert first.cost.tolist() == [[5, 6, 7], [8, 9, 10]] and first.resource.tolist() == [[1, 2, 3], [2, 2, 2]]
    assert first.capacity.tolist() == [4, 4] and first.name == "gap0.txt:1"
    assert second.cost.tolist() == [[3, 4]] and second.capacity.tolist() == [2] and second.name == "gap0.txt:2"
    assert read_orlib_gap(path, problem=2).cost.tolist() == [[3, 4]]
    with pytest.raises(InputError, match="holds 2 problems; pass problem=1 .. 2"):
        read_orlib_gap(path)
    with pytest.raises(InputError, match="problem: must be at most 2"):
        read_orlib_gap(path, problem=3)
    with pytest.raises(InputError, match="problem"):
        read_orlib_gap(path, problem=1.5)


@pytest.mark.parametrize("kind", ["A", "B", "C", "D", "E"])
def test_writer_round_trips(tmp_path, kind):
    instance = random_gap_instance(4, 30, kind, seed=3)
    path = write_orlib_gap(instance, tmp_path / "one")
    again = read_orlib_gap(path)
    for field in ("cost", "resource", "capacity", "allowed"):
        np.testing.assert_array_equal(getattr(again, field), getattr(instance, field))
    several = write_orlib_gap([instance, random_gap_instance(3, 8, kind, seed=4)], tmp_path / "two")
    assert [g.jobs for g in read_orlib_gaps(several)] == [30, 8]
    assert several.read_text().splitlines()[0] == "2"


def test_forbidden_pairs_stay_forbidden(tmp_path):
    ev = random_ev_instance(25, 5, seed=8, spare_piles=1.1, city_km=150.0)
    gap = ev.to_gap()
    assert not gap.allowed.all()  # some EVs cannot reach some stations
    again = read_orlib_gap(write_orlib_gap(ev, tmp_path / "ev.gap"))
    np.testing.assert_array_equal(again.allowed, gap.allowed)
    np.testing.assert_array_equal(again.cost[gap.allowed], gap.cost[gap.allowed])
    assert solve(again, "exact").objective == pytest.approx(solve(gap, "exact").objective)


def test_readme_example_runs_from_a_fresh_install(tmp_path):
    # The README's OR-Library example writes its own file (no data set needed).
    path = write_orlib_gap(random_gap_instance(10, 60, "C", seed=4), tmp_path / "c1060.txt")
    result = solve(read_orlib_gap(path), method="hasp", seed=3, max_iterations=200)
    assert result.feasible and result.to_frame().columns[:2].tolist() == ["job_id", "agent_id"]


@pytest.mark.parametrize("content, message", [
    (b"\x00\x01binary", "binary"),
    ("2 3\n".encode("utf-16"), "UTF-16"),
    (b"", "empty"),
    (b"nan 3\n1", "expected an integer"),
    (b"2 inf\n", "expected an integer"),
    (b"49.5 25\n", "expected an integer"),
    (b"1 2\n1e400 1\n1 1\n5\n", "expected a finite number"),
    (b"1 2\nnan 1\n1 1\n5\n", "expected a finite number"),
    (b"1 2\n1 1\n1 1\n5\n7\n", "unexpected numbers after the end"),
    (b"1 2\n1 1\n1 1\n", "found 6"),
    (b"0 2\n", "at least 1"),
    (b"100000 100000\n1\n", "exceeds the limit"),
    (b"3\n1 1\n1\n1\n1\n", "bad.txt:5: agents \\(m\\): the file ends early"),
    (b"1 2\n1 1\n1 -1\n5\n", "resource"),
])
def test_bad_files_are_refused_naming_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_orlib_gaps(path)
    assert "bad.txt" in str(info.value)


def test_unreadable_paths(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_orlib_gap(tmp_path / "missing")
    with pytest.raises(InputError, match="folder"):
        read_orlib_gap(tmp_path)
    with pytest.raises(InputError, match="path"):
        read_orlib_gap(3)
    with pytest.raises(InputError, match="cannot be written"):
        write_orlib_gap(random_gap_instance(2, 3, seed=0), tmp_path / "no" / "such" / "dir" / "x")


def test_a_job_that_fits_nowhere_names_the_file(tmp_path):
    path = tmp_path / "tight.txt"
    path.write_text("1 2\n1 1\n1 9\n5\n")
    with pytest.raises(InfeasibleError, match="tight.txt"):
        read_orlib_gap(path)


def test_io_returns_plain_data(tmp_path):
    path = tmp_path / "x"
    path.write_text(TWO_PROBLEMS)
    problems = gap_io.read(path)
    assert all(isinstance(p, gap_io.GAPData) and isinstance(p.cost, np.ndarray) for p in problems)
    assert [p.line for p in problems] == [2, 7]


@needs_gap_data
def test_every_published_file_reads_and_round_trips(tmp_path):
    files = sorted((GAP_DATA / "cattrysse1994").glob("gap*")) + sorted((GAP_DATA / "chu1997").glob("*"))
    assert len(files) == 78
    for path in files:
        instance = read_orlib_gap(path)
        numbers = np.array(path.read_text().split(), float)
        assert numbers[0] == instance.agents and numbers[1] == instance.jobs
        np.testing.assert_array_equal(instance.capacity, numbers[-instance.agents:])
    back = read_orlib_gap(write_orlib_gap(instance, tmp_path / "copy"))
    np.testing.assert_array_equal(back.cost, instance.cost)


@needs_gap_data
def test_generator_reproduces_published_capacity_rules():
    for name, kind in (("a05100", "A"), ("b10200", "B"), ("c20100", "C")):
        published = read_orlib_gap(GAP_DATA / "chu1997" / name)
        generated = random_gap_instance(published.agents, published.jobs, kind, seed=1)
        # Same families: same ranges of r and c, and capacities from the same rule.
        assert (generated.resource.min(), generated.resource.max()) == (5, 25)
        assert (generated.cost.min(), generated.cost.max()) == (10, 50)
        ratio = published.capacity.sum() / published.resource.sum() * published.agents
        generated_ratio = generated.capacity.sum() / generated.resource.sum() * generated.agents
        assert generated_ratio == pytest.approx(ratio, rel=0.1)
    assert isinstance(GAPInstance, type)
