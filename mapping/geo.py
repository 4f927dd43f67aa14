"""CRS choice and geodesic helpers.

Layers are stored in EPSG:4326. Distances and buffers are never computed in
degrees: ``study_crs`` gives a Lambert azimuthal equal-area projection (metres)
centred on the area of interest, and ``geodesic_m`` the WGS84 ellipsoidal
distance for values shown to users.
"""

from __future__ import annotations

import math

import numpy as np
from pyproj import CRS, Geod, Proj

GEOD = Geod(ellps="WGS84")

# lon_min, lat_min, lon_max, lat_max (degrees): the G5 Sahel countries and their neighbours
SAHEL_BOUNDS = (-18.0, 8.0, 25.0, 28.0)
# the Mauritania–Mali border area
MR_ML_BOUNDS = (-13.0, 13.0, -3.0, 18.0)
# Conservative metres per degree for widening lon/lat bounds by a distance: the fewest
# metres per degree of latitude (at the equator, WGS84) and a·π/180 for longitude, which a
# degree of longitude at latitude φ spans at least times cos(φ) (N ≥ a).
_M_PER_DEG_LAT_MIN = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_319.5


def study_crs(bounds: tuple[float, float, float, float]) -> CRS:
    """Lambert azimuthal equal-area CRS (metres, WGS84) centred on ``bounds`` (lon/lat degrees)."""
    lon0 = (bounds[0] + bounds[2]) / 2
    lat0 = (bounds[1] + bounds[3]) / 2
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat0:.4f} +lon_0={lon0:.4f} +datum=WGS84 +units=m +no_defs"
    )


def max_scale_distortion(crs: CRS, bounds: tuple[float, float, float, float]) -> float:
    """Largest relative error of a distance measured in ``crs`` over ``bounds`` (lon/lat degrees).

    The maximum over a 21 x 21 grid (its corners included) of |a - 1| and |b - 1|, where a and
    b are the semi-axes of Tissot's indicatrix: the largest and smallest scale factor in any
    direction at that point (not only along meridians and parallels, which miss the angular
    distortion of an oblique projection). 0.01 means distances are off by at most 1 %. For
    ``study_crs`` the scale error grows with the distance from the projection's centre, and the
    point of a lon/lat box farthest from any centre is one of its corners, which the grid holds.
    """
    lons, lats = np.meshgrid(np.linspace(bounds[0], bounds[2], 21),
                             np.linspace(bounds[1], bounds[3], 21))
    return float(np.max(_tissot_error(crs, lons.ravel(), lats.ravel())))


def scale_distortion_around(crs: CRS, lon: np.ndarray, lat: np.ndarray,
                            radius_m: np.ndarray) -> np.ndarray:
    """For each point (lon/lat degrees), the largest relative distance error of ``crs`` over
    its box widened by ``radius_m`` metres (:func:`widen_bounds`), on a 5 x 5 grid of the box
    (corners included, see :func:`max_scale_distortion`); ``inf`` when the box reaches a pole
    or spans half the globe in longitude, where a box no longer bounds the ball."""
    lon, lat, radius_m = (np.asarray(v, dtype=float) for v in (lon, lat, radius_m))
    dlat = radius_m / _M_PER_DEG_LAT_MIN
    south, north = lat - dlat, lat + dlat
    coslat = np.cos(np.radians(np.minimum(np.maximum(np.abs(south), np.abs(north)), 89.9)))
    dlon = radius_m / (_M_PER_DEG_LON_EQUATOR * coslat)
    steps = np.linspace(-1.0, 1.0, 5)
    grid_lon = lon[:, None, None] + dlon[:, None, None] * steps[None, None, :]
    grid_lat = lat[:, None, None] + dlat[:, None, None] * steps[None, :, None]
    grid_lon, grid_lat = np.broadcast_arrays(grid_lon, grid_lat)
    error = _tissot_error(crs, grid_lon.ravel(), np.clip(grid_lat.ravel(), -90, 90))
    worst = error.reshape(len(lon), -1).max(axis=1)
    return np.where((south <= -90) | (north >= 90) | (dlon >= 90), np.inf, worst)


def _tissot_error(crs: CRS, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """max(|a − 1|, |b − 1|) at each point, a and b the semi-axes of Tissot's indicatrix."""
    factors = Proj(crs).get_factors(lon, lat)
    error = np.maximum(np.abs(np.asarray(factors.tissot_semimajor) - 1.0),
                       np.abs(np.asarray(factors.tissot_semiminor) - 1.0))
    return np.where(np.isfinite(error), error, np.inf)


def widen_bounds(bounds: tuple[float, float, float, float],
                 margin_m: float) -> tuple[float, float, float, float]:
    """Lon/lat ``bounds`` widened by at least ``margin_m`` metres on every side (degrees): every
    point within ``margin_m`` (geodesic, WGS84) of a point of ``bounds`` lies inside."""
    west, south, east, north = bounds
    dlat = margin_m / _M_PER_DEG_LAT_MIN
    south, north = max(south - dlat, -90.0), min(north + dlat, 90.0)
    coslat = math.cos(math.radians(min(max(abs(south), abs(north)), 89.9)))
    dlon = margin_m / (_M_PER_DEG_LON_EQUATOR * coslat)
    return west - dlon, south, east + dlon, north


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres on the WGS84 ellipsoid (arrays or scalars, degrees)."""
    _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)
