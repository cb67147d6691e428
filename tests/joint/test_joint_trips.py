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
