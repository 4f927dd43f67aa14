"""Travel-time results as files for GIS staff (EPSG:4326 vectors, the grid's own CRS for
rasters), each written whole or not at all (:func:`mapping.outputs.replacing`).

- GeoPackage: ``access_posts`` (each post with its travel-time indicators), ``isochrones``
  (each post's bands of travel time: ``minutes`` is the band's upper limit) and
  ``quickest_areas`` (the area from which each post is the quickest, with its people).
- GeoTIFF: band 1 the minutes to the quickest post (nodata −1), band 2 that post's number
  (1-based, in the order of the ``POST_IDS`` tag; nodata 0), in the grid's conformal CRS.
- A table (.csv or .xlsx): the indicators, one row per post.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio

from ..errors import BordermapError
from ..outputs import read_back, replacing
from ..tables import inert_table, write_table
from .catchments import isochrones, quickest_areas
from .settings import TravelSettings
from .surface import Surface

GPKG_VERSION = "1.2"
TABLE_SUFFIXES = (".csv", ".xlsx")  # the indicators only: no travel-time area or raster
SUFFIXES = (".gpkg", ".tif", ".tiff", *TABLE_SUFFIXES)


def write_access(path: Path, surface: Surface, settings: TravelSettings, table: pd.DataFrame,
                 posts: gpd.GeoDataFrame, lang: str, progress: Callable[[int], None] | None = None) -> Path:
    """Write the travel-time results of ``surface`` to ``path`` (its suffix picks the format)."""
    suffix = access_format(path)
    if suffix in TABLE_SUFFIXES:
        return write_table(table, path, lang)
    if suffix in (".tif", ".tiff"):
        return _write_raster(path, surface, settings)
    return _write_gpkg(path, surface, settings, table, posts, progress)


def access_format(path: Path) -> str:
    """The suffix of ``path`` (lower case) when travel-time results can be written to it, else
    ``BordermapError`` ``access_format``."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BordermapError("access_format", suffix=path.suffix or "-", allowed=", ".join(SUFFIXES))
    return suffix


def _write_gpkg(path: Path, surface: Surface, settings: TravelSettings, table: pd.DataFrame,
                posts: gpd.GeoDataFrame, progress: Callable[[int], None] | None) -> Path:
    placed = posts.set_index(posts["post_id"].astype(str))
    points = gpd.GeoDataFrame(inert_table(table.reset_index()), crs="EPSG:4326",
                              geometry=placed.geometry.reindex(table.index.astype(str)).to_numpy())
    bands = []
    for post_id in surface.post_ids:
        bands.append(isochrones(surface, str(post_id), settings))
        if progress:
            progress(1)
    bands = [b for b in bands if len(b)]
    rings = gpd.GeoDataFrame(pd.concat(bands, ignore_index=True), crs="EPSG:4326") if bands else \
        gpd.GeoDataFrame({"post_id": [], "minutes": []}, geometry=[], crs="EPSG:4326")
    areas = quickest_areas(surface, float(max(settings.minutes)))
    metadata = {"mode": surface.mode, "settings": json.dumps(
        {"minutes": list(settings.minutes), "season": settings.season, "cell_m": settings.cell_m})}
    with replacing(path, read_back(len(points), "access_posts")) as partial:
        for name, frame in (("access_posts", points), ("isochrones", rings), ("quickest_areas", areas)):
            first = name == "access_posts"
            pyogrio.write_dataframe(frame, partial, layer=name, driver="GPKG", append=not first,
                                    promote_to_multi=True, layer_metadata=metadata,
                                    dataset_options={"VERSION": GPKG_VERSION} if first else None)
    return path


def _write_raster(path: Path, surface: Surface, settings: TravelSettings) -> Path:
    minutes = np.where(np.isfinite(surface.minutes), surface.minutes, -1).astype(np.float32)
    number = np.where(surface.nearest >= 0, surface.nearest + 1, 0).astype(np.int32)
    profile = {"driver": "GTiff", "width": surface.grid.shape[1], "height": surface.grid.shape[0], "count": 2,
               "dtype": "float32", "crs": surface.grid.crs, "transform": surface.grid.transform,
               "compress": "deflate", "tiled": True, "nodata": -1}
    with replacing(path) as partial, rasterio.open(partial, "w", **profile) as out:
        out.write(minutes, 1)
        out.write(number.astype(np.float32), 2)
        out.set_band_description(1, f"minutes to the quickest post ({surface.mode})")
        out.set_band_description(2, "quickest post (number in POST_IDS, 0 = none)")
        out.update_tags(MODE=surface.mode, SEASON=settings.season, UNITS="minutes",
                        POST_IDS=json.dumps([str(p) for p in surface.post_ids]))
    return path
