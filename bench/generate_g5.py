"""The G5 region for the benchmarks (``python bench/generate.py --region g5``): posts on every
border of the G5 Sahel countries at the density of the Mauritania–Mali set, and a sparse 100 m
population raster holding only the tiles the posts need.

Borders: ``../shared/data/sahel_reference.gpkg`` layer ``boundary_lines`` when present, else
the demo's ``borders`` layer (``data/geo/demo.gpkg``); every border with a G5 country on one
side (26 with the reference data, 20,372 km). Along each border, per km of line, as many posts
(within 3 km of it) and unofficial crossings (within 8 km) as the Mauritania–Mali set has
along its line (1,000 and 5,000 along 1,173 km); settlements (clustered around towns) within
``BAND_M`` of the line at that set's density per km² (100,000 on 592,000 km²), and half as many
road segments. A post or settlement lies in the country on its side of the line
(``iso3_left`` / ``iso3_right``; else ``iso3_a`` on the left).

Raster: one GeoTIFF in EPSG:4326 over the borders' extent, 0.0009° cells (about 100 m), tiled
256 × 256 and sparse (``SPARSE_OK``): only the tiles within ``TILE_REACH_M`` of a border are
written, the others are not stored and read as nodata, so ``population_within`` reads it
exactly like a full raster. All synthetic and seeded.
"""

from __future__ import annotations

import time
from pathlib import Path

import generate as mr
import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin
from rasterio.windows import Window
from scipy import ndimage

from mapping.geo import GEOD, study_crs
from mapping.layers.schema import CONDITION_SCORES, STORAGE_CRS

G5 = ("BFA", "MLI", "MRT", "NER", "TCD")
ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "data" / "sahel_reference.gpkg"
DEMO = ROOT / "data" / "geo" / "demo.gpkg"
MR_ML_LINE_KM = 1173.2  # length of generate.border_line(0), whose 1,000 posts set the density
MR_ML_AREA_KM2 = 592_000.0  # generate.MR_ML_BOUNDS, where its 100,000 settlements lie
BAND_M = 40_000.0  # settlements within this distance of a border
TILE_REACH_M = 35_000.0  # raster tiles written within this distance of a border (20 km + 3 km + margin)
TILE = 256
QUANTUM = 256  # values are whole multiples of 1/256 person: the file compresses under the 500 MB import limit


def g5_borders(source: Path | None = None) -> gpd.GeoDataFrame:
    """Borders with a G5 country on one side (schema columns plus ``iso3_left``/``iso3_right``),
    from the reference data when present, else from the demo."""
    path = source or (REFERENCE if REFERENCE.exists() else DEMO)
    layer = "boundary_lines" if path.name == REFERENCE.name else "borders"
    borders = gpd.read_file(path, layer=layer).to_crs(STORAGE_CRS)
    borders = borders[borders["iso3_a"].isin(G5) | borders["iso3_b"].isin(G5)].reset_index(drop=True)
    for side, fallback in (("iso3_left", "iso3_a"), ("iso3_right", "iso3_b")):
        if side not in borders:
            borders[side] = borders[fallback]
    borders["length_km"] = [GEOD.geometry_length(g) / 1000 for g in borders.geometry]
    borders = borders[borders["length_km"] > 1.0].reset_index(drop=True)  # slivers at tripoints
    borders.attrs["source_file"] = str(path)
    return borders


def parts(line) -> list[shapely.LineString]:
    """The pieces of a border line, merged where they touch."""
    return list(shapely.get_parts(shapely.line_merge(line)))


def along(piece: shapely.LineString, rng: np.random.Generator, n: int, max_offset_m: float,
          left: str, right: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points spread along ``piece`` and offset across it by up to ``max_offset_m`` in a
    projection local to the piece: lon, lat (degrees) and ISO3 of the side each falls on."""
    crs = study_crs(tuple(piece.bounds))
    to_metric = Transformer.from_crs(STORAGE_CRS, crs, always_xy=True)
    metric = shapely.transform(piece, lambda xy: np.column_stack(to_metric.transform(*xy.T)))
    at = np.sort(rng.uniform(0, metric.length, n))
    base = shapely.get_coordinates(shapely.line_interpolate_point(metric, at))
    step = 50.0  # metres either side, for the direction of the line
    point_at = shapely.line_interpolate_point
    ahead = shapely.get_coordinates(point_at(metric, np.minimum(at + step, metric.length)))
    behind = shapely.get_coordinates(point_at(metric, np.maximum(at - step, 0.0)))
    tangent = ahead - behind
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]]) / np.hypot(*tangent.T)[:, None]
    offset = rng.uniform(-1, 1, n) * max_offset_m
    xy = base + normal * offset[:, None]
    lon, lat = Transformer.from_crs(crs, STORAGE_CRS, always_xy=True).transform(*xy.T)
    return np.asarray(lon), np.asarray(lat), np.where(offset > 0, left, right)  # the normal points left


def _spread(borders: gpd.GeoDataFrame, seed: int, stream: str, per_km: float, max_offset_m: float):
    """Points along every border at ``per_km``: lon, lat, iso3 and the border's index."""
    out: list[tuple[np.ndarray, ...]] = []
    for i, row in borders.iterrows():
        rng = mr.rng_for(seed, f"{stream} {row['border_id']}")
        for piece in parts(row.geometry):
            n = round(per_km * GEOD.geometry_length(piece) / 1000)
            if n:
                lon, lat, iso3 = along(piece, rng, n, max_offset_m, row["iso3_left"], row["iso3_right"])
                out.append((lon, lat, iso3, np.full(n, i)))
    return tuple(np.concatenate(column) for column in zip(*out, strict=True))


def posts_layer(borders: gpd.GeoDataFrame, seed: int, density: float) -> gpd.GeoDataFrame:
    lon, lat, iso3, border = _spread(borders, seed, "posts", density * mr.N_POSTS / MR_ML_LINE_KM,
                                     mr.POST_OFFSET_M)
    n = lon.size
    rng = mr.rng_for(seed, "post attributes")
    ids = np.array([f"{c}-P{i:05d}" for i, c in enumerate(iso3, start=1)])
    facing = np.roll(ids, -1)
    across = (np.roll(iso3, -1) != iso3) & (np.roll(border, -1) == border)
    scores = {name: np.where(rng.random(n) < 0.05, np.nan, rng.integers(0, 5, n))
              for name in CONDITION_SCORES}
    frame = pd.DataFrame({
        "post_id": ids, "name": [f"Poste {i}" for i in range(1, n + 1)], "iso3": iso3,
        "status": mr._choice(rng, {"operational": 0.5, "degraded": 0.3, "closed": 0.1, "planned": 0.1}, n),
        "agencies": mr._choice(rng, {"customs;police": 3, "police": 2, "customs": 1,
                                     "customs;police;health": 1}, n),
        "facing_post_id": np.where(across, facing, None), "crossing_id": None, **scores,
        "staff": rng.integers(0, 25, n), "last_assessed": mr._dates(rng, n),
        "rehab_cost_usd": np.round(rng.lognormal(np.log(150_000), 0.6, n), -3), "source": mr.SOURCE,
    })
    return mr._layer(frame, shapely.points(lon, lat), "posts")


def crossings_layer(borders: gpd.GeoDataFrame, seed: int, density: float) -> gpd.GeoDataFrame:
    lon, lat, _, border = _spread(borders, seed, "crossings", density * mr.N_CROSSINGS / MR_ML_LINE_KM,
                                  mr.CROSSING_OFFSET_M)
    n = lon.size
    rng = mr.rng_for(seed, "crossing attributes")
    used = rng.random((n, len(mr.MODES))) < np.array([0.9, 0.6, 0.3, 0.4])
    used[~used.any(axis=1), 0] = True
    frame = pd.DataFrame({
        "crossing_id": [f"XU-{i:06d}" for i in range(1, n + 1)], "name": None, "kind": "unofficial",
        "iso3_a": borders["iso3_a"].to_numpy()[border], "iso3_b": borders["iso3_b"].to_numpy()[border],
        "modes": [";".join(m for m, u in zip(mr.MODES, row, strict=True) if u) for row in used],
        "season": mr._choice(rng, {"all_year": 5, "dry": 4, "wet": 1}, n),
        "est_daily_crossings": np.round(rng.lognormal(np.log(40), 1.0, n)),
        "confidence": mr._choice(rng, {"high": 1, "medium": 3, "low": 4}, n),
        "last_observed": mr._dates(rng, n), "source": mr.SOURCE,
    })
    return mr._layer(frame, shapely.points(lon, lat), "crossings")


def settlement_points(borders: gpd.GeoDataFrame, seed: int, density: float):
    """Lon, lat (degrees), population (persons) and ISO3 of settlements clustered around towns
    within ``BAND_M`` of the borders, at the Mauritania–Mali set's density per km²."""
    per_km = density * mr.N_SETTLEMENTS / MR_ML_AREA_KM2 * 2 * BAND_M / 1000  # settlements per km of line
    towns_per_km = per_km * mr.N_TOWNS / mr.N_SETTLEMENTS
    t_lon, t_lat, t_iso, _ = _spread(borders, seed, "towns", towns_per_km, BAND_M)
    rng = mr.rng_for(seed, "settlements")
    n = round(t_lon.size * mr.N_SETTLEMENTS / mr.N_TOWNS)
    which = rng.integers(0, t_lon.size, n)
    spread = rng.gamma(2.0, 0.04, t_lon.size)[which]
    s_lon = t_lon[which] + rng.normal(0, 1, n) * spread
    s_lat = t_lat[which] + rng.normal(0, 1, n) * spread
    people = np.round(rng.lognormal(mr.SETTLEMENT_LOG_MEAN, mr.SETTLEMENT_LOG_SD, n))
    people[rng.choice(n, max(1, t_lon.size // 10), replace=False)] *= 40
    return s_lon, s_lat, people, t_iso[which]


def settlements_layer(s_lon, s_lat, people, iso3, seed: int) -> gpd.GeoDataFrame:
    rng = mr.rng_for(seed, "settlement attributes")
    missing = rng.random(people.size) < 0.03
    frame = pd.DataFrame({
        "settlement_id": [f"S{i:07d}" for i in range(1, people.size + 1)],
        "name": [f"Localité {i}" for i in range(1, people.size + 1)], "iso3": iso3,
        "admin1": [f"A{int((x + 20) // 2):02d}" for x in s_lon],
        "population": pd.array(np.where(missing, np.nan, people), dtype="Float64").astype("Int64"),
        "population_year": 2020, "source": mr.SOURCE,
    })
    return mr._layer(frame, shapely.points(s_lon, s_lat), "settlements")


def borders_layer(borders: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({"border_id": borders["border_id"], "iso3_a": borders["iso3_a"],
                          "iso3_b": borders["iso3_b"], "length_km": borders["length_km"],
                          "source": f"{Path(borders.attrs['source_file']).name} (G5 borders)"})
    return mr._layer(frame, borders.geometry.to_numpy(), "borders")


# ------------------------------------------------------------------ sparse population raster
def raster_grid(borders: gpd.GeoDataFrame) -> tuple[float, float, int, int]:
    """West, north (degrees) and the height, width in cells of the raster over the borders,
    widened by ``TILE_REACH_M`` (about 0.35°) and aligned on whole tiles."""
    margin = TILE_REACH_M / 100_000 + 0.05
    west, south, east, north = borders.total_bounds
    west, south, east, north = west - margin, south - margin, east + margin, north + margin
    height = int(np.ceil((north - south) / mr.CELL_DEG / TILE)) * TILE
    width = int(np.ceil((east - west) / mr.CELL_DEG / TILE)) * TILE
    return west, north, height, width


def needed_tiles(borders: gpd.GeoDataFrame, west: float, north: float, height: int, width: int) -> np.ndarray:
    """(tile row, tile column) of every tile within ``TILE_REACH_M`` of a border."""
    reach = shapely.union_all([
        gpd.GeoSeries([g], crs=STORAGE_CRS).to_crs(study_crs(tuple(g.bounds))).buffer(TILE_REACH_M)
        .to_crs(STORAGE_CRS).iloc[0] for g in borders.geometry])
    shapely.prepare(reach)
    rows, cols = np.meshgrid(np.arange(height // TILE), np.arange(width // TILE), indexing="ij")
    size = TILE * mr.CELL_DEG
    boxes = shapely.box(west + cols * size, north - (rows + 1) * size, west + (cols + 1) * size,
                        north - rows * size)
    hit = shapely.intersects(boxes, reach)
    return np.column_stack([rows[hit], cols[hit]])


def write_sparse_raster(path: Path, borders: gpd.GeoDataFrame, s_lon, s_lat, people, seed: int,
                        start: float) -> tuple[int, int, int]:
    """The population raster (persons per cell, float32, nodata −9999) with only the needed tiles
    written; settlements spread over about 300 m plus a rural background of
    ``generate.RURAL_PER_KM2`` (by latitude, clipped) with log-normal noise correlated over ~10 km,
    rounded to 1/``QUANTUM`` person. Returns (tiles written, height, width)."""
    west, north, height, width = raster_grid(borders)
    tiles = needed_tiles(borders, west, north, height, width)
    mr.log(f"raster {width:,} x {height:,} cells, {len(tiles):,} of {(height // TILE) * (width // TILE):,} "
           "tiles to write", start)
    rng = mr.rng_for(seed, "raster")
    coarse = rng.normal(0, 0.8, (height // 100 + 3, width // 100 + 3))  # noise, one value per ~10 km
    rows = ((north - s_lat) / mr.CELL_DEG).astype(np.int64)
    cols = ((s_lon - west) / mr.CELL_DEG).astype(np.int64)
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    rows, cols, weights = rows[inside], cols[inside], people[inside]
    order = np.lexsort((cols, rows // TILE))
    rows, cols, weights = rows[order], cols[order], weights[order]
    band_starts = np.searchsorted(rows // TILE, np.arange(height // TILE + 1))
    pad = 8  # cells around a tile whose settlements spill into it (σ 1.5 cells, truncated at 4σ)
    profile = {"driver": "GTiff", "height": height, "width": width, "count": 1, "dtype": "float32",
               "crs": STORAGE_CRS, "nodata": mr.NODATA, "compress": "deflate", "tiled": True,
               "blockxsize": TILE, "blockysize": TILE, "sparse_ok": True,
               "transform": from_origin(west, north, mr.CELL_DEG, mr.CELL_DEG)}
    noise_rng = mr.rng_for(seed, "raster cells")
    with rasterio.open(path, "w", **profile) as dst:
        for tr, tc in tiles.tolist():
            r0, c0 = tr * TILE, tc * TILE
            lo = band_starts[max(tr - 1, 0)]
            hi = band_starts[min(tr + 2, height // TILE)]
            rr, cc, ww = rows[lo:hi], cols[lo:hi], weights[lo:hi]
            near = (rr >= r0 - pad) & (rr < r0 + TILE + pad) & (cc >= c0 - pad) & (cc < c0 + TILE + pad)
            size = TILE + 2 * pad
            grid = np.bincount((rr[near] - r0 + pad) * size + (cc[near] - c0 + pad), weights=ww[near],
                               minlength=size * size).reshape(size, size).astype(np.float32)
            grid = ndimage.gaussian_filter(grid, sigma=1.5)[pad:-pad, pad:-pad]
            lat = north - (r0 + np.arange(TILE) + 0.5) * mr.CELL_DEG
            km2 = (mr.CELL_DEG * 111.32) ** 2 * np.cos(np.radians(lat))
            density = np.interp(lat, [13.0, 18.0], mr.RURAL_PER_KM2)
            yy, xx = np.meshgrid((r0 + np.arange(TILE)) / 100, (c0 + np.arange(TILE)) / 100, indexing="ij")
            noise = ndimage.map_coordinates(coarse, [yy, xx], order=1)
            rural = (density * km2)[:, None] * np.exp(noise - 0.32)
            grid += (rural * noise_rng.lognormal(0, 0.5, (TILE, TILE))).astype(np.float32)
            dst.write(np.round(grid * QUANTUM) / QUANTUM, 1, window=Window(c0, r0, TILE, TILE))
        dst.update_tags(UNITS="persons per cell", SOURCE=mr.SOURCE)
    return len(tiles), height, width


def main(out: Path, seed: int, density: float) -> None:
    """Write ``bench.gpkg`` and ``population_100m.tif`` for the G5 region into ``out``."""
    start = time.perf_counter()
    borders = g5_borders()
    mr.log(f"{len(borders)} borders of G5 countries, {borders['length_km'].sum():,.0f} km, "
           f"from {borders.attrs['source_file']}", start)
    layers = {"borders": borders_layer(borders), "posts": posts_layer(borders, seed, density),
              "crossings": crossings_layer(borders, seed, density)}
    mr.log("posts, crossings", start)
    s_lon, s_lat, people, iso3 = settlement_points(borders, seed, density)
    layers["settlements"] = settlements_layer(s_lon, s_lat, people, iso3, seed)
    n_roads = round(people.size * mr.N_ROADS / mr.N_SETTLEMENTS)
    layers["roads"] = mr.roads_layer(s_lon, s_lat, people, seed, n_roads)
    mr.log("settlements, roads", start)
    mr.write_layers(layers, out / mr.GPKG_NAME)
    mr.log(f"wrote {out / mr.GPKG_NAME}: " + ", ".join(f"{k} {len(v):,}" for k, v in layers.items()), start)
    written, _, _ = write_sparse_raster(out / mr.RASTER_NAME, borders, s_lon, s_lat, people, seed,
                                        start)
    mr.log(f"wrote {out / mr.RASTER_NAME}: {written:,} tiles of {TILE} x {TILE} cells", start)
