import numpy as np
import pytest

from evcore.errors import InputError
from evcore.joint import read_trips, synthetic_city, trips_to_model_data
from evcore.joint import _kernels, _reference
from evcore.joint.trips import haversine_km

CENTROIDS = np.array([[30.60, 104.00], [30.60, 104.05], [30.65, 104.00]])


def _table():
    # Monday 2016-11-21 00:00 is slot 0; 15-minute slots; 96 per day.
    return {
        "origin_lat": np.array([30.601, 30.600, 30.649, 30.60, np.nan, 30.60, 95.0]),
        "origin_lon": np.array([104.001, 104.049, 104.0, 104.05, 104.0, 104.0, 104.0]),
        "dest_lat": np.array([30.60, 30.60, 30.60, 30.601, 30.6, 30.6, 30.6]),
        "dest_lon": np.array([104.05, 104.001, 104.0, 104.0, 104.0, 104.0, 104.0]),
        "start_time": np.array(["2016-11-21 00:05", "2016-11-21 00:20", "2016-11-27 23:59", "2016-11-28 00:01",
                                "2016-11-21 01:00", "not a time", "2016-11-21 01:00"], dtype=object),
        "distance_km": np.array([6.0, 4.0, 7.0, 5.0, 1.0, 1.0, 1.0]),
    }


def test_hand_made_table_counts_slots_distances_and_reports_bad_rows():
    pytest.importorskip("pandas", reason="text date-times are parsed by pandas (evcore[trips])")
    with pytest.warns(UserWarning, match="3 bad rows"):
        data = trips_to_model_data(_table(), CENTROIDS)
    flow = data.traffic_flow
    assert flow.shape == (3, 672)
    assert flow[0, 0] == 1 and flow[1, 1] == 1 and flow[2, 671] == 1
    assert flow[1, 0] == 1  # the next Monday 00:01 wraps to slot 0 of the weekly cycle
    assert flow.sum() == 4
    # zones 0 and 1: trips of 6, 4 and 5 km in either direction -> mean 5 km
    assert data.distance_km[0, 1] == pytest.approx(5.0) and data.distance_km[1, 0] == pytest.approx(5.0)
    assert data.distance_km[0, 2] == pytest.approx(7.0) and data.observed[0, 2]
    # zones 1 and 2: no trip, haversine x 1.3
    fallback = 1.3 * haversine_km(*CENTROIDS[1], *CENTROIDS[2])
    assert not data.observed[1, 2] and data.distance_km[1, 2] == pytest.approx(fallback)
    report = data.report
    assert (report.rows, report.used, report.bad) == (7, 4, 3)
    assert report.reasons == {"start_time missing or not a date-time": 1, "origin coordinates missing": 1,
                              "origin coordinates out of range": 1}
    assert [row for row, _ in report.examples] == [4, 5, 6]


def test_bad_rows_can_raise():
    pytest.importorskip("pandas", reason="text date-times are parsed by pandas (evcore[trips])")
    with pytest.raises(InputError) as info:
        trips_to_model_data(_table(), CENTROIDS, on_bad="raise")
    assert info.value.index == 4


def test_zone_id_columns_and_slot_length():
    pytest.importorskip("pandas", reason="text date-times are parsed by pandas (evcore[trips])")
    table = {"origin_zone": [0, 1, 1, 5], "dest_zone": [1, 0, 1, 0], "distance_km": [2.0, 4.0, 0.5, 1.0],
             "start_time": ["2016-11-22 10:00"] * 4}
    with pytest.warns(UserWarning, match="origin_zone"):
        data = trips_to_model_data(table, zones=2, slot_minutes=60)
    assert data.traffic_flow.shape == (2, 168)
    assert data.traffic_flow[:, 24 + 10].tolist() == [1.0, 2.0]
    assert data.distance_km[0, 1] == pytest.approx(3.0)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_read_csv_and_parquet(tmp_path, suffix):
    pd = pytest.importorskip("pandas")
    if suffix == ".parquet":
        pytest.importorskip("pyarrow", reason="pyarrow reads Parquet")
    frame = pd.DataFrame({k: v for k, v in _table().items()})
    path = tmp_path / f"trips{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.astype({"start_time": str}).to_parquet(path)
    with pytest.warns(UserWarning):
        data = trips_to_model_data(read_trips(path), CENTROIDS)
    assert data.traffic_flow.sum() == 4 and data.report.bad == 3


def test_counting_kernels_match_reference():
    rng = np.random.default_rng(0)
    zone = rng.integers(0, 5, 1000)
    dest = rng.integers(0, 5, 1000)
    slot = rng.integers(0, 7, 1000)
    valid = rng.uniform(size=1000) > 0.1
    km = rng.uniform(0, 9, 1000)
    counts = np.zeros((5, 7))
    _kernels.count_trips(zone, slot, valid, counts)
    assert np.array_equal(counts, _reference.count_trips(zone, slot, valid, 5, 7))
    total, trips = np.zeros((5, 5)), np.zeros((5, 5))
    _kernels.accumulate_pair_distance(zone, dest, km, valid, total, trips)
    ref_total, ref_trips = _reference.accumulate_pair_distance(zone, dest, km, valid, 5)
    assert np.allclose(total, ref_total) and np.array_equal(trips, ref_trips)


def test_synthetic_city_is_deterministic_and_chengdu_like():
    city = synthetic_city(zones=20, slots=168, seed=4, return_city=True)
    again = synthetic_city(zones=20, slots=168, seed=4)
    assert np.array_equal(city.instance.traffic_flow, again.traffic_flow)
    assert np.array_equal(city.instance.charging_share, again.charging_share)
    flow = city.instance.traffic_flow
    assert flow.sum() == pytest.approx(round(1_500_000 / 201 * 20))
    weekday_peak = flow[:, :120].sum(axis=0).max()
    weekend_morning = flow[:, 5 * 24 + 8]  # Saturday 08:00
    assert weekday_peak > 1.5 * weekend_morning.sum()  # commuting peaks only on weekdays
    assert set(np.unique(city.zone_type)) <= {0, 1, 2}
    cost = city.instance.location_cost_per_kw
    # pi decays with distance from the centre
    centre_dist = haversine_km(city.zone_centroids[:, 0], city.zone_centroids[:, 1], 30.6570, 104.0817)
    assert np.all(np.diff(cost[np.argsort(centre_dist)]) <= 1e-12)
    share = city.instance.charging_share
    assert abs(share.mean() - 0.1) < 0.01


@pytest.mark.parametrize("chunk", [1, 2, 3, 5])
def test_chunked_pipeline_gives_the_same_data_and_report(chunk):
    pytest.importorskip("pandas", reason="text date-times are parsed by pandas (evcore[trips])")
    with pytest.warns(UserWarning):
        whole = trips_to_model_data(_table(), CENTROIDS)
    with pytest.warns(UserWarning):
        parts = trips_to_model_data(_table(), CENTROIDS, chunk_rows=chunk)
    assert np.array_equal(whole.traffic_flow, parts.traffic_flow)
    assert np.allclose(whole.distance_km, parts.distance_km, rtol=1e-14)
    assert np.array_equal(whole.observed, parts.observed)
    assert (parts.report.rows, parts.report.used, parts.report.bad) == (whole.report.rows, whole.report.used,
                                                                        whole.report.bad)
    assert parts.report.reasons == whole.report.reasons and parts.report.examples == whole.report.examples
    with pytest.raises(InputError) as info:
        trips_to_model_data(_table(), CENTROIDS, chunk_rows=chunk, on_bad="raise")
    assert info.value.index == 4  # the first bad row, whatever chunk it falls in


# --- the reader (evcore.io.trips): a file that is not a table is refused, naming the file ----------------------

GARBAGE_CSV = {
    "empty.csv": (b"", "is empty"),
    "ragged_long.csv": (b"a,b\n1,2,3\n", r"ragged_long.csv:2: 3 fields, the header has 2"),
    "ragged_short.csv": (b"a,b\n1,2\n3\n", r"ragged_short.csv:3: 1 fields"),
    "duplicate.csv": (b"a,a\n1,2\n", "duplicate column name"),
    "binary.csv": (b"\x00\x01\x02abc", "binary"),
    "utf16.csv": ("a,b\n1,2\n".encode("utf-16"), "UTF-16"),
    "latin1.csv": ("a,b\n1,\xe9\n".encode("latin-1"), "UTF-8"),
    "quote.csv": (b'a,b\n1,"unterminated\n', "CSV"),
    "noname.csv": (b"a,,c\n1,2,3\n", "no name"),
    "trips.txt": (b"a,b\n1,2\n", "unknown trip file type"),
}


@pytest.mark.parametrize("name", sorted(GARBAGE_CSV))
def test_garbage_csv_files_are_refused_with_the_file_named(tmp_path, name):
    content, problem = GARBAGE_CSV[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=problem) as info:
        read_trips(path)
    assert name in str(info.value)


def test_truncated_and_fake_parquet_and_compressed_csv(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow", reason="pyarrow reads Parquet")
    import gzip

    frame = pd.DataFrame({"a": [1.0, 2.0], "start_time": ["2016-11-21 08:00", "2016-11-21 09:00"]})
    good = tmp_path / "good.parquet"
    frame.to_parquet(good)
    (tmp_path / "half.parquet").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "text.parquet").write_text("not parquet")
    for name in ("half.parquet", "text.parquet"):
        with pytest.raises(InputError, match="Parquet") as info:
            read_trips(tmp_path / name)
        assert name in str(info.value)
    with pytest.raises(InputError, match="good.parquet"):
        read_trips(good, columns=["missing"])
    packed = gzip.compress(b"a,b\n1,2\n")
    (tmp_path / "cut.csv.gz").write_bytes(packed[:-6])
    with pytest.raises(InputError, match="cut.csv.gz"):
        read_trips(tmp_path / "cut.csv.gz")
    (tmp_path / "fine.csv.gz").write_bytes(packed)
    assert read_trips(tmp_path / "fine.csv.gz")["b"].tolist() == [2.0]


def test_reader_returns_plain_columns_and_local_clock_times(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow", reason="pyarrow reads Parquet")
    stamps = pd.to_datetime(["2016-11-21 08:05", "2016-11-27 23:59"]).tz_localize("Asia/Shanghai")
    pd.DataFrame({"start_time": stamps, "x": [1, 2], "name": ["a", None]}).to_parquet(tmp_path / "t.parquet")
    table = read_trips(tmp_path / "t.parquet")
    assert set(table) == {"start_time", "x", "name"} and all(isinstance(v, np.ndarray) for v in table.values())
    assert table["start_time"].dtype == np.dtype("datetime64[ns]")
    assert str(table["start_time"][0]) == "2016-11-21T08:05:00.000000000"  # the clock time, not UTC
    assert table["x"].dtype == np.float64 and table["name"].tolist() == ["a", None]


def test_header_only_or_all_bad_tables_are_refused(tmp_path):
    pytest.importorskip("pandas")
    path = tmp_path / "header.csv"
    path.write_text("origin_lat,origin_lon,dest_lat,dest_lon,start_time\n")
    with pytest.raises(InputError, match="no rows"):
        trips_to_model_data(read_trips(path), CENTROIDS)
    table = dict(_table(), start_time=np.array(["never"] * 7, dtype=object))
    with pytest.raises(InputError, match="no usable trip"):
        trips_to_model_data(table, CENTROIDS)


def test_text_in_a_numeric_column_is_a_bad_row_even_when_raising():
    pytest.importorskip("pandas")
    table = dict(_table())
    table["origin_lat"] = np.array(["30.601", "north", 30.649, "30.60", None, 30.6, 95.0], dtype=object)
    with pytest.raises(InputError, match="not numbers") as info:
        trips_to_model_data(table, CENTROIDS, on_bad="raise")
    assert info.value.index == 1
    with pytest.warns(UserWarning):
        data = trips_to_model_data(table, CENTROIDS)
    assert data.report.reasons["origin coordinates not numbers"] == 1
    assert data.traffic_flow.sum() == 3  # "30.601" and "30.60" are numbers written as text (as CSV cells are)


@pytest.mark.parametrize("times,problem", [
    (["2016-11-21 08:00+08:00", "2016-11-21 09:00+01:00"], "mixes UTC offsets"),
    (["2016-11-21 08:00", "2016-11-21 09:00+01:00"], "with a UTC offset"),
    (["2016-11-21T08:00:00Z", "2016-11-21 09:00"], "with a UTC offset"),
])
def test_mixed_time_zones_are_refused(times, problem):
    pytest.importorskip("pandas")
    table = {"origin_zone": [0, 1], "dest_zone": [1, 0], "start_time": np.array(times, dtype=object)}
    with pytest.raises(InputError, match=problem):
        trips_to_model_data(table, zones=2)
    with pytest.raises(InputError, match=problem):  # also across chunks
        trips_to_model_data(table, zones=2, chunk_rows=1)


def test_one_offset_gives_local_clock_slots():
    pytest.importorskip("pandas")
    table = {"origin_zone": [0, 1], "dest_zone": [1, 0],
             "start_time": np.array(["2016-11-21 08:00+08:00", "2016-11-21T09:00:00+0800"], dtype=object)}
    data = trips_to_model_data(table, zones=2, slot_minutes=60)
    assert data.traffic_flow[0, 8] == 1 and data.traffic_flow[1, 9] == 1


@pytest.mark.parametrize("kwargs,field", [
    (dict(zone_centroids=np.zeros((0, 2))), "zone_centroids"),
    (dict(zone_centroids=[[95.0, 104.0]]), "zone_centroids"),
    (dict(zone_centroids=CENTROIDS, slot_minutes=11), "slot_minutes"),
    (dict(zone_centroids=CENTROIDS, detour_factor=0.0), "detour_factor"),
    (dict(zone_centroids=CENTROIDS, weeks=float("nan")), "weeks"),
    (dict(zone_centroids=CENTROIDS, on_bad="ignore"), "on_bad"),
    (dict(zone_centroids=CENTROIDS, max_examples=-1), "max_examples"),
    (dict(zone_centroids=CENTROIDS, chunk_rows=0), "chunk_rows"),
    (dict(zone_centroids=CENTROIDS, columns={"colour": "x"}), "columns"),
    (dict(zone_centroids=CENTROIDS, max_zone_distance_km=-1.0), "max_zone_distance_km"),
    (dict(zone_centroids=CENTROIDS, zones=5), "zones"),
])
def test_bad_pipeline_parameters(kwargs, field):
    pytest.importorskip("pandas")
    with pytest.raises(InputError) as info:
        trips_to_model_data(_table(), **kwargs)
    assert info.value.field == field


def test_ragged_or_foreign_tables_are_refused():
    table = dict(_table(), origin_lat=np.array([30.6]))
    with pytest.raises(InputError, match="different lengths"):
        trips_to_model_data(table, CENTROIDS)
    with pytest.raises(InputError, match="DataFrame or a mapping"):
        trips_to_model_data([[1, 2]], CENTROIDS)
    with pytest.raises(InputError, match="missing column"):
        trips_to_model_data({"start_time": ["2016-11-21 08:00"]}, CENTROIDS)


def test_zone_ids_from_a_centroid_file_name_the_zones(tmp_path):
    pytest.importorskip("pandas")
    from evcore.joint import read_centroids

    path = tmp_path / "zones.csv"
    path.write_text("zone_id,lat,lon\nA1,30.60,104.00\nB2,30.60,104.05\nC3,30.65,104.00\n")
    centroids = read_centroids(path)
    assert centroids.zone_id == ("A1", "B2", "C3")
    table = {"origin_zone": ["A1", "B2", "C3", "Z9"], "dest_zone": ["B2", "A1", "A1", "A1"],
             "start_time": np.array(["2016-11-21 00:05"] * 4, dtype=object), "distance_km": [2.0, 4.0, 1.0, 1.0]}
    with pytest.warns(UserWarning, match="origin_zone not a zone id"):
        data = trips_to_model_data(table, centroids)
    assert data.zone_ids == ("A1", "B2", "C3") and data.traffic_flow[:, 0].tolist() == [1, 1, 1]
    assert data.distance_km[0, 1] == pytest.approx(3.0)


@pytest.mark.parametrize("content,problem", [
    ("", "empty"), ("zone_id,lat,lon\n", "no zone"), ("zone_id,x,y\n1,2,3\n", "needs a column"),
    ("zone_id,lat,lon\n1,30.6,104.0\n1,30.7,104.1\n", "duplicate zone_id"),
    ("zone_id,lat,lon\n1,nan,104.0\n", "finite"), ("zone_id,lat,lon\n1,95,104.0\n", r"\[-90, 90\]"),
    ("zone_id,lat,lon\n1,30.6\n", "fields"), ("zone_id,lat,lon\n,30.6,104.0\n", "empty"),
    ("zone_id,lat,lon\n1,north,104.0\n", "expected a number"),
])
def test_bad_centroid_files(tmp_path, content, problem):
    from evcore.joint import read_centroids

    path = tmp_path / "zones.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=problem):
        read_centroids(path)


def test_centroids_round_trip(tmp_path):
    from evcore.io.trips import Centroids, read_centroids, write_centroids

    original = Centroids((1, "b"), np.array([30.6, 30.7]), np.array([104.0, 104.1]))
    again = read_centroids(write_centroids(original, tmp_path / "z.csv"))
    assert again.zone_id == (1, "b") and np.array_equal(again.latitude_deg, original.latitude_deg)


@pytest.mark.parametrize("kwargs", [dict(zones=1), dict(zones=-1), dict(zones=2.5), dict(zones=10**6),
                                    dict(zones="4"), dict(zones=True), dict(slots=11), dict(slots=0),
                                    dict(seed=-1), dict(seed=2.5), dict(trips=0), dict(trips=-5),
                                    dict(budget=-1.0), dict(range_km=float("nan")), dict(decay_km=0.0),
                                    dict(peak_cost_per_kw=-1.0), dict(colour="red")])
def test_synthetic_city_refuses_bad_sizes_and_options(kwargs):
    arguments = dict(zones=4, slots=24)
    arguments.update(kwargs)
    with pytest.raises(InputError):
        synthetic_city(**arguments)


@pytest.mark.parametrize("kwargs", [dict(a=0.0), dict(b=-1.0), dict(a=float("nan")), dict(zones=0), dict(slots=-1),
                                    dict(seed=-1), dict(seed="1")])
def test_charging_share_sampler_refuses_bad_parameters(kwargs):
    from evcore.joint import sample_charging_share

    arguments = dict(zones=3, slots=4)
    arguments.update(kwargs)
    with pytest.raises(InputError):
        sample_charging_share(**arguments)


def test_haversine_refuses_what_is_not_degrees():
    assert haversine_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.195, rel=1e-4)
    for bad in (np.nan, "30", 95.0):
        with pytest.raises(InputError):
            haversine_km(bad, 0.0, 0.0, 1.0)
    with pytest.raises(InputError):
        haversine_km([1.0, 2.0], [1.0, 2.0, 3.0], 0.0, 0.0)
