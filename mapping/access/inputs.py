"""What travel times are computed from: the layers (EPSG:4326) and the population raster."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd


@dataclass
class AccessInputs:
    """The layers travel times are computed from (EPSG:4326) and the population raster."""

    posts: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None = None
    rivers: gpd.GeoDataFrame | None = None
    lakes: gpd.GeoDataFrame | None = None
    countries: gpd.GeoDataFrame | None = None
    crossings: gpd.GeoDataFrame | None = None
    settlements: gpd.GeoDataFrame | None = None
    population: str | Path | None = None

    def placed_posts(self) -> gpd.GeoDataFrame:
        geoms = self.posts.geometry
        return self.posts[(geoms.notna() & ~geoms.is_empty).to_numpy()].reset_index(drop=True)
