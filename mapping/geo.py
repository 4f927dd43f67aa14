"""CRS choice and geodesic helpers.

Layers are stored in EPSG:4326. Distances and buffers are never computed in
degrees: ``study_crs`` gives a Lambert azimuthal equal-area projection (metres)
centred on the area of interest, and ``geodesic_m`` the WGS84 ellipsoidal
distance for values shown to users.
"""

from __future__ import annotations

import numpy as np
from pyproj import CRS, Geod, Proj

GEOD = Geod(ellps="WGS84")

# lon_min, lat_min, lon_max, lat_max (degrees): the G5 Sahel countries and their neighbours
SAHEL_BOUNDS = (-18.0, 8.0, 25.0, 28.0)
# the Mauritania–Mali border area
MR_ML_BOUNDS = (-13.0, 13.0, -3.0, 18.0)


def study_crs(bounds: tuple[float, float, float, float]) -> CRS:
    """Lambert azimuthal equal-area CRS (metres, WGS84) centred on ``bounds`` (lon/lat degrees)."""
    lon0 = (bounds[0] + bounds[2]) / 2
    lat0 = (bounds[1] + bounds[3]) / 2
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat0:.4f} +lon_0={lon0:.4f} +datum=WGS84 +units=m +no_defs"
    )


def max_scale_distortion(crs: CRS, bounds: tuple[float, float, float, float]) -> float:
    """Largest relative error of a distance measured in ``crs`` over ``bounds``.

    The maximum over a 21 x 21 grid of |k - 1| for the meridional and parallel
    scale factors; 0.01 means distances are off by at most 1 %.
    """
    lons, lats = np.meshgrid(np.linspace(bounds[0], bounds[2], 21),
                             np.linspace(bounds[1], bounds[3], 21))
    factors = Proj(crs).get_factors(lons.ravel(), lats.ravel())
    scales = np.concatenate([factors.meridional_scale, factors.parallel_scale])
    return float(np.max(np.abs(scales - 1.0)))


def geodesic_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres on the WGS84 ellipsoid (arrays or scalars, degrees)."""
    _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)
