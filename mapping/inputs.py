"""What the indicators and travel times are computed from: the store's vector layers
(EPSG:4326) and the population raster's path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd


@dataclass
class Layers:
    """Vector layers (EPSG:4326; any but the posts may be missing) and the population raster.
    Rivers, lakes and countries are the barriers and the land of travel times."""

    posts: gpd.GeoDataFrame
    crossings: gpd.GeoDataFrame | None = None
    borders: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    settlements: gpd.GeoDataFrame | None = None
    flows: gpd.GeoDataFrame | None = None
    incidents: gpd.GeoDataFrame | None = None
    population: str | Path | None = None  # a GeoTIFF of persons per cell
    rivers: gpd.GeoDataFrame | None = None
    lakes: gpd.GeoDataFrame | None = None
    countries: gpd.GeoDataFrame | None = None

    def placed_posts(self) -> gpd.GeoDataFrame:
        """The posts that have a position."""
        geoms = self.posts.geometry
        return self.posts[(geoms.notna() & ~geoms.is_empty).to_numpy()].reset_index(drop=True)
