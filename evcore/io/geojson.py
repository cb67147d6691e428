"""GeoJSON (RFC 7946) writer for point data: sites, zones, stations with their properties.

Coordinates are WGS84 degrees; GeoJSON orders them ``[longitude, latitude]``. Properties are
made JSON-ready (numpy scalars to Python numbers, non-finite floats to ``"inf"``/``"nan"``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._validate import as_array, check_finite
from ..errors import InputError
from ..results import to_jsonable

__all__ = ["point_collection", "write"]


def point_collection(latitude_deg, longitude_deg, properties: dict | None = None) -> dict:
    """A GeoJSON ``FeatureCollection`` of points.

    Parameters
    ----------
    latitude_deg, longitude_deg : array_like, shape (n,)
        WGS84 degrees (latitudes in [-90, 90], longitudes in [-180, 180]).
    properties : dict of str to sequence of length n, optional
        One entry per property (ids first, by convention); feature ``k`` gets the ``k``-th value
        of each.

    Returns
    -------
    dict
        JSON-ready (``json.dumps`` works).
    """
    lat = check_finite("latitude_deg", as_array("latitude_deg", latitude_deg, ndim=1))
    lon = check_finite("longitude_deg", as_array("longitude_deg", longitude_deg, ndim=1, shape=(lat.shape[0],)))
    for name, values, limit in (("latitude_deg", lat, 90.0), ("longitude_deg", lon, 180.0)):
        bad = np.abs(values) > limit
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(name, f"must lie in [-{limit:g}, {limit:g}] degrees, got {float(values[i])!r}", i)
    columns = {}
    for name, values in (properties or {}).items():
        values = list(values)
        if len(values) != lat.shape[0]:
            raise InputError(f"properties[{name!r}]", f"expected {lat.shape[0]} values (one per point), "
                                                       f"got {len(values)}")
        columns[str(name)] = values
    features = []
    for k in range(lat.shape[0]):
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(lon[k]), float(lat[k])]},
            "properties": to_jsonable({name: values[k] for name, values in columns.items()}),
        })
    return {"type": "FeatureCollection", "features": features}


def write(collection: dict, path) -> Path:
    """Write a GeoJSON mapping to ``path`` (parents created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(collection)) + "\n")
    return path
