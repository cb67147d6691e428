"""``evcore grid place`` and the Grid-ECO CSV reader."""

import json

import numpy as np
import pytest

from evcore.cli import main
from evcore.errors import InputError
from evcore.grid import PlacementInstance
from evcore.grid.placement._cli import DEMO_CANDIDATES_CSV
from evcore.io import grid_eco_csv

from _place_cases import DEMO, demo_feeder


def test_cli_place_json_and_figures(tmp_path, capsys):
    csv_path = tmp_path / "cands.csv"
    csv_path.write_text(DEMO_CANDIDATES_CSV)
    out = tmp_path / "out.json"
    code = main(["grid", "place", str(DEMO), str(csv_path), "--rating-kw", "30", "--budget", "400000",
                 "--plots", str(tmp_path / "fig"), "--geojson", str(tmp_path / "sites.geojson"), "-o", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["status"] == "optimal" and data["verified"] is True
    assert len(data["candidates"]) == 5
    assert {"candidate_id", "chargers", "station", "latitude_deg", "longitude_deg"} <= set(data["candidates"][0])
    geo = json.loads((tmp_path / "sites.geojson").read_text())
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 5
    assert (tmp_path / "fig" / "sites.png").is_file()


def test_cli_place_bad_csv_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("StationName,Node\nx,n2\n")
    assert main(["grid", "place", str(DEMO), str(bad)]) == 2
    assert "missing column" in capsys.readouterr().err


def test_reader_round_trip_and_errors(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(DEMO_CANDIDATES_CSV)
    data = grid_eco_csv.read(path)
    assert data.station[0] == "north_lot" and data.census_block_valid
    again = tmp_path / "d.csv"
    grid_eco_csv.write(data, again)
    back = grid_eco_csv.read(again)
    assert back.station == data.station and np.array_equal(back.max_chargers, data.max_chargers)
    assert np.allclose(back.latitude_deg, data.latitude_deg)
    text = DEMO_CANDIDATES_CSV.replace(",12,30000", ",12.5,30000")
    path.write_text(text)
    with pytest.raises(InputError, match="MaxParkCapacity"):
        grid_eco_csv.read(path)
    path.write_text(DEMO_CANDIDATES_CSV.replace("47.6101", "nan"))
    with pytest.raises(InputError, match="Lat"):
        grid_eco_csv.read(path)
    path.write_text(DEMO_CANDIDATES_CSV.splitlines()[0] + "\nx,1,b,n2,,1,0\n")
    with pytest.raises(InputError, match="fields"):
        grid_eco_csv.read(path)


def test_census_demand_of_damaged_block_ids(tmp_path):
    text = DEMO_CANDIDATES_CSV.replace("block_a", "5.3033E+14").replace("block_b", "5.3033E+14").replace(
        "block_c", "5.3033E+14")
    path = tmp_path / "c.csv"
    path.write_text(text)
    inst = PlacementInstance.from_csv(demo_feeder(), path, priority=[1.0] * 5)
    assert inst.demand == 6 + 6 + 4 + 4 + 3  # every row its own block
    path.write_text(DEMO_CANDIDATES_CSV)
    inst = PlacementInstance.from_csv(demo_feeder(), path, priority=[1.0] * 5)
    assert inst.demand == 6 + 4 + 3  # distinct blocks


def test_census_demand_milp():
    from evcore.grid import census_demand

    res = census_demand([0.9, 0.2, 0.5], [0.1, 0.9, 0.4], [3, 5, 2], 6)
    score = 0.85 * np.array([0.9, 0.2, 0.5]) + 0.15 * np.array([0.1, 0.9, 0.4])
    assert res.status == "optimal" and res.ports.sum() == 6
    assert res.ports.tolist() == [3, 1, 2]
    assert res.objective == pytest.approx(score @ res.ports)
    assert res.demand_of(["0", "2"]) == 5
