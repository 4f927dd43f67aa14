"""Generate realistic-scale synthetic inputs for the benchmarks (Mauritania–Mali border area).

    python bench/generate.py --out bench/data [--seed 0]
    python bench/generate.py --out bench/data_g5 --region g5 [--density 1.0]   # bench/generate_g5.py

Writes, in EPSG:4326 (longitude, latitude in degrees):

- ``population_100m.tif``: persons per cell on a 0.0009° grid (about 100 m) over lon −13 to
  −3, lat 13 to 18 (11,112 × 5,556 cells), float32, nodata −9999 on stylised lakes, deflate,
  256 × 256 tiles. Settlement populations spread over a few cells plus a rural background
  that thins out northwards, with log-normal noise.
- ``bench.gpkg``: layers ``borders`` (one jagged MRT–MLI line), ``posts`` (1,000),
  ``crossings`` (5,000 unofficial), ``roads`` (50,000 segments), ``settlements`` (100,000),
  with exactly the columns and types of ``mapping.layers.schema``.

Everything is synthetic and drawn from generators seeded with ``--seed`` and the name of
what they draw, so a seed always gives the same data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import zlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin
from scipy import ndimage
from scipy.spatial import cKDTree

from mapping.geo import GEOD, MR_ML_BOUNDS, study_crs
from mapping.layers.schema import CONDITION_SCORES, KINDS, MODES, STORAGE_CRS, with_schema_types

RASTER_NAME = "population_100m.tif"
GPKG_NAME = "bench.gpkg"


def data_parser(doc: str) -> argparse.ArgumentParser:
    """A benchmark's arguments: ``--data``, the folder this script writes (default bench/data)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    return parser


def data_files(folder: Path) -> tuple[Path, Path]:
    """The generated GeoPackage and population raster in ``folder``."""
    return folder / GPKG_NAME, folder / RASTER_NAME
CELL_DEG = 0.0009
NODATA = -9999.0
SOURCE = "synthetic (bench/generate.py)"

N_POSTS, N_CROSSINGS, N_ROADS, N_SETTLEMENTS = 1_000, 5_000, 50_000, 100_000
N_TOWNS = 3_000  # cluster centres the settlements gather around
BORDER_LON = (-12.3, -5.3)
BORDER_LAT = (15.0, 16.5)
POST_OFFSET_M, CROSSING_OFFSET_M = 3_000.0, 8_000.0  # how far from the line they may lie
SETTLEMENT_LOG_MEAN, SETTLEMENT_LOG_SD = np.log(80.0), 1.2  # persons
RURAL_PER_KM2 = (4.0, 0.5)  # rural background at lat 13 and at lat 18, persons per km²
# stylised lakes (nodata): centre lon, lat and semi-axes in degrees
LAKES = ((-4.0, 16.7, 0.25, 0.08), (-11.0, 16.9, 0.12, 0.05), (-5.6, 15.2, 0.06, 0.04))
DATE_WINDOW = (dt.date(2023, 1, 1), dt.date(2025, 6, 30))


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """A generator seeded from ``seed`` and the name of what it draws."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def log(message: str, start: float) -> None:
    print(f"[{time.perf_counter() - start:6.1f} s] {message}", flush=True)


def _choice(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    p = np.array(list(weights.values()))
    return rng.choice(list(weights), size=n, p=p / p.sum())


def _dates(rng: np.random.Generator, n: int) -> list[dt.date]:
    days = rng.integers(0, (DATE_WINDOW[1] - DATE_WINDOW[0]).days + 1, n)
    return [DATE_WINDOW[0] + dt.timedelta(days=int(d)) for d in days]


def _layer(frame: pd.DataFrame, geometry, kind: str) -> gpd.GeoDataFrame:
    return with_schema_types(gpd.GeoDataFrame(frame, geometry=geometry, crs=STORAGE_CRS), KINDS[kind])


# ------------------------------------------------------------------ border, posts, crossings
def border_line(seed: int) -> shapely.LineString:
    """A jagged line from lon −12.3 to −5.3 wandering between lat 15 and 16.5 (degrees)."""
    rng = rng_for(seed, "border")
    lon = np.linspace(*BORDER_LON, 700)
    swing = 0.55 * np.sin(np.linspace(0, 2.6 * np.pi, lon.size) + 0.7)
    walk = np.cumsum(rng.normal(0, 0.012, lon.size))
    walk -= np.linspace(walk[0], walk[-1], lon.size)
    lat = np.clip(15.75 + swing + walk, *BORDER_LAT)
    lon = lon + rng.normal(0, 0.004, lon.size)  # small zigzags along the line
    return shapely.LineString(np.column_stack([np.sort(lon), lat]))


def borders_layer(line: shapely.LineString) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({"border_id": ["MLI-MRT-1"], "iso3_a": ["MLI"], "iso3_b": ["MRT"],
                          "length_km": [GEOD.geometry_length(line) / 1000], "source": [SOURCE]})
    return _layer(frame, [line], "borders")


def near_border(line: shapely.LineString, rng: np.random.Generator, n: int,
                max_offset_m: float) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points spread along ``line`` and offset across it by up to ``max_offset_m``:
    their lon/lat geometries and ISO3 of the side they fall on (MRT north, MLI south)."""
    crs = study_crs(MR_ML_BOUNDS)
    metric = gpd.GeoSeries([line], crs=STORAGE_CRS).to_crs(crs).iloc[0]
    at = np.sort(rng.uniform(0, metric.length, n))
    base = shapely.get_coordinates(shapely.line_interpolate_point(metric, at))
    ahead = shapely.get_coordinates(shapely.line_interpolate_point(metric, at + 50.0))
    tangent = ahead - base
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]]) / np.hypot(*tangent.T)[:, None]
    offset = rng.uniform(-1, 1, n) * max_offset_m
    xy = base + normal * offset[:, None]
    lon, lat = Transformer.from_crs(crs, STORAGE_CRS, always_xy=True).transform(*xy.T)
    return shapely.points(lon, lat), np.where(offset > 0, "MRT", "MLI")  # normal points north


def posts_layer(line: shapely.LineString, seed: int) -> gpd.GeoDataFrame:
    rng = rng_for(seed, "posts")
    points, iso3 = near_border(line, rng, N_POSTS, POST_OFFSET_M)
    status = _choice(rng, {"operational": 0.5, "degraded": 0.3, "closed": 0.1, "planned": 0.1}, N_POSTS)
    ids = np.array([f"{c}-P{i:04d}" for i, c in enumerate(iso3, start=1)])
    facing = np.roll(ids, -1)  # each post faces the next one along the line when across it
    scores = {name: np.where(rng.random(N_POSTS) < 0.05, np.nan, rng.integers(0, 5, N_POSTS))
              for name in CONDITION_SCORES}
    frame = pd.DataFrame({
        "post_id": ids, "name": [f"Poste {i}" for i in range(1, N_POSTS + 1)], "iso3": iso3,
        "status": status, "agencies": _choice(rng, {"customs;police": 3, "police": 2, "customs": 1,
                                                    "customs;police;health": 1}, N_POSTS),
        "facing_post_id": np.where(np.roll(iso3, -1) != iso3, facing, None), "crossing_id": None,
        **scores, "staff": rng.integers(0, 25, N_POSTS), "last_assessed": _dates(rng, N_POSTS),
        "rehab_cost_usd": np.round(rng.lognormal(np.log(150_000), 0.6, N_POSTS), -3), "source": SOURCE,
    })
    return _layer(frame, points, "posts")


def crossings_layer(line: shapely.LineString, seed: int) -> gpd.GeoDataFrame:
    rng = rng_for(seed, "crossings")
    points, _ = near_border(line, rng, N_CROSSINGS, CROSSING_OFFSET_M)
    used = rng.random((N_CROSSINGS, len(MODES))) < np.array([0.9, 0.6, 0.3, 0.4])
    used[~used.any(axis=1), 0] = True
    frame = pd.DataFrame({
        "crossing_id": [f"XU-{i:05d}" for i in range(1, N_CROSSINGS + 1)], "name": None,
        "kind": "unofficial", "iso3_a": "MLI", "iso3_b": "MRT",
        "modes": [";".join(m for m, u in zip(MODES, row, strict=True) if u) for row in used],
        "season": _choice(rng, {"all_year": 5, "dry": 4, "wet": 1}, N_CROSSINGS),
        "est_daily_crossings": np.round(rng.lognormal(np.log(40), 1.0, N_CROSSINGS)),
        "confidence": _choice(rng, {"high": 1, "medium": 3, "low": 4}, N_CROSSINGS),
        "last_observed": _dates(rng, N_CROSSINGS), "source": SOURCE,
    })
    return _layer(frame, points, "crossings")


# ------------------------------------------------------------------ settlements and roads
def settlement_points(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lon, lat (degrees) and population (persons) of settlements clustered around towns,
    denser in the south and along the border."""
    rng = rng_for(seed, "settlements")
    west, south, east, north = MR_ML_BOUNDS
    lon = rng.uniform(west, east, 8 * N_TOWNS)
    lat = south + (north - south) * rng.beta(1.3, 2.2, 8 * N_TOWNS)  # more towns in the south
    towns = rng.choice(lon.size, N_TOWNS, replace=False)
    town_lon, town_lat = lon[towns], lat[towns]
    which = rng.integers(0, N_TOWNS, N_SETTLEMENTS)
    spread = rng.gamma(2.0, 0.04, N_TOWNS)[which]  # cluster radius, degrees
    s_lon = np.clip(town_lon[which] + rng.normal(0, 1, N_SETTLEMENTS) * spread, west, east - 1e-6)
    s_lat = np.clip(town_lat[which] + rng.normal(0, 1, N_SETTLEMENTS) * spread, south, north - 1e-6)
    people = np.round(rng.lognormal(SETTLEMENT_LOG_MEAN, SETTLEMENT_LOG_SD, N_SETTLEMENTS))
    people[rng.choice(N_SETTLEMENTS, N_TOWNS // 10, replace=False)] *= 40  # a few towns
    return s_lon, s_lat, people


def settlements_layer(s_lon: np.ndarray, s_lat: np.ndarray, people: np.ndarray,
                      line: shapely.LineString, seed: int) -> gpd.GeoDataFrame:
    rng = rng_for(seed, "settlement attributes")
    border_lat = np.interp(s_lon, *shapely.get_coordinates(line).T)
    missing = rng.random(people.size) < 0.03  # some places without a population figure
    frame = pd.DataFrame({
        "settlement_id": [f"S{i:06d}" for i in range(1, people.size + 1)],
        "name": [f"Localité {i}" for i in range(1, people.size + 1)],
        "iso3": np.where(s_lat > border_lat, "MRT", "MLI"),
        "admin1": [f"A{int((x + 13) // 2):02d}" for x in s_lon],
        "population": pd.array(np.where(missing, np.nan, people), dtype="Float64").astype("Int64"),
        "population_year": 2020, "source": SOURCE,
    })
    return _layer(frame, shapely.points(s_lon, s_lat), "settlements")


def roads_layer(s_lon: np.ndarray, s_lat: np.ndarray, people: np.ndarray, seed: int,
                n_roads: int = N_ROADS) -> gpd.GeoDataFrame:
    """``n_roads`` segments from settlements to one of their 4 nearest neighbours, bent by a
    jittered midpoint; the class follows the larger population at either end."""
    rng = rng_for(seed, "roads")
    xy = np.column_stack([s_lon * np.cos(np.radians(15.5)), s_lat])
    _, neighbours = cKDTree(xy).query(xy, k=5)
    start = rng.choice(s_lon.size, n_roads, replace=False)
    end = neighbours[start, rng.integers(1, 5, n_roads)]
    mid_lon = (s_lon[start] + s_lon[end]) / 2 + rng.normal(0, 0.004, n_roads)
    mid_lat = (s_lat[start] + s_lat[end]) / 2 + rng.normal(0, 0.004, n_roads)
    coords = np.stack([np.column_stack([s_lon[start], s_lat[start]]), np.column_stack([mid_lon, mid_lat]),
                       np.column_stack([s_lon[end], s_lat[end]])], axis=1)
    size = np.maximum(people[start], people[end])
    road_class = np.select([size > 3000, size > 1000, size > 400, size > 150],
                           ["trunk", "primary", "secondary", "tertiary"], "track")
    paved = np.isin(road_class, ["trunk", "primary"])
    paved |= (road_class == "secondary") & (rng.random(n_roads) < 0.3)
    surface = np.where(paved, "paved", _choice(rng, {"laterite": 3, "unpaved": 3, "sand": 2, "unknown": 1},
                                                n_roads))
    all_season = paved | ((surface == "laterite") & (rng.random(n_roads) < 0.7))
    frame = pd.DataFrame({
        "road_id": [f"R{i:06d}" for i in range(1, n_roads + 1)],
        "ref": np.where(road_class == "trunk", [f"N{1 + i % 12}" for i in range(n_roads)], None),
        "name": None, "road_class": road_class, "surface": surface, "all_season": all_season,
        "source": SOURCE,
    })
    return _layer(frame, shapely.linestrings(coords), "roads")


# ------------------------------------------------------------------ population raster
def raster_shape() -> tuple[int, int]:
    west, south, east, north = MR_ML_BOUNDS
    return int(np.ceil((north - south) / CELL_DEG)), int(np.ceil((east - west) / CELL_DEG))


def population_surface(s_lon: np.ndarray, s_lat: np.ndarray, people: np.ndarray,
                       seed: int) -> np.ndarray:
    """Persons per cell (float32, NaN on lakes): settlements spread over about 300 m, plus
    a rural background of ``RURAL_PER_KM2`` with log-normal noise correlated over ~10 km."""
    rng = rng_for(seed, "raster")
    west, _, _, north = MR_ML_BOUNDS
    height, width = raster_shape()
    rows = ((north - s_lat) / CELL_DEG).astype(np.int64)
    cols = ((s_lon - west) / CELL_DEG).astype(np.int64)
    grid = np.bincount(rows * width + cols, weights=people, minlength=height * width)
    grid = ndimage.gaussian_filter(grid.reshape(height, width).astype(np.float32), sigma=1.5)
    lat = north - (np.arange(height) + 0.5) * CELL_DEG
    km2 = (CELL_DEG * 111.32) ** 2 * np.cos(np.radians(lat))
    density = np.interp(lat, [13.0, 18.0], RURAL_PER_KM2)
    noise = ndimage.zoom(rng.normal(0, 0.8, (height // 100 + 2, width // 100 + 2)), 100, order=1)
    rural = (density * km2)[:, None] * np.exp(noise[:height, :width] - 0.32)
    grid += rural.astype(np.float32) * rng.lognormal(0, 0.5, (height, width)).astype(np.float32)
    for lon0, lat0, a, b in LAKES:
        r0, r1 = int((north - lat0 - b) / CELL_DEG), int((north - lat0 + b) / CELL_DEG) + 1
        c0, c1 = int((lon0 - a - west) / CELL_DEG), int((lon0 + a - west) / CELL_DEG) + 1
        yy = (north - (np.arange(r0, r1) + 0.5) * CELL_DEG - lat0)[:, None] / b
        xx = (west + (np.arange(c0, c1) + 0.5) * CELL_DEG - lon0)[None, :] / a
        grid[r0:r1, c0:c1][xx**2 + yy**2 <= 1] = np.nan
    return grid


def write_raster(grid: np.ndarray, path: Path) -> None:
    west, _, _, north = MR_ML_BOUNDS
    profile = {"driver": "GTiff", "height": grid.shape[0], "width": grid.shape[1], "count": 1,
               "dtype": "float32", "crs": STORAGE_CRS, "nodata": NODATA,
               "transform": from_origin(west, north, CELL_DEG, CELL_DEG), "compress": "deflate",
               "tiled": True, "blockxsize": 256, "blockysize": 256, "num_threads": "all_cpus"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.where(np.isnan(grid), np.float32(NODATA), grid), 1)
        dst.update_tags(UNITS="persons per cell", SOURCE=SOURCE)


def write_layers(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    path.unlink(missing_ok=True)
    for name, layer in layers.items():
        layer = layer.copy()
        for column in KINDS[name].columns:
            if column.dtype == "date":
                layer[column.name] = [None if pd.isna(v) else v.date() for v in layer[column.name]]
        pyogrio.write_dataframe(layer, path, layer=name, driver="GPKG")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--region", choices=["mr-ml", "g5"], default="mr-ml",
                        help="mr-ml: the Mauritania–Mali set (default); g5: every border of the G5 "
                             "countries at its density, with a sparse raster (bench/generate_g5.py)")
    parser.add_argument("--density", type=float, default=1.0,
                        help="g5: posts, crossings and settlements per km as a share of the mr-ml set's")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.region == "g5":
        import generate_g5

        generate_g5.main(args.out, args.seed, args.density)
        return
    start = time.perf_counter()
    line = border_line(args.seed)
    s_lon, s_lat, people = settlement_points(args.seed)
    layers = {"borders": borders_layer(line), "posts": posts_layer(line, args.seed),
              "crossings": crossings_layer(line, args.seed)}
    log("border, posts, crossings", start)
    layers["settlements"] = settlements_layer(s_lon, s_lat, people, line, args.seed)
    layers["roads"] = roads_layer(s_lon, s_lat, people, args.seed)
    log("settlements, roads", start)
    write_layers(layers, args.out / GPKG_NAME)
    log(f"wrote {args.out / GPKG_NAME}: " + ", ".join(f"{k} {len(v):,}" for k, v in layers.items()), start)
    grid = population_surface(s_lon, s_lat, people, args.seed)
    log(f"population surface {grid.shape[1]:,} x {grid.shape[0]:,} cells, "
        f"{np.nansum(grid, dtype=np.float64):,.0f} persons", start)
    write_raster(grid, args.out / RASTER_NAME)
    log(f"wrote {args.out / RASTER_NAME}", start)


if __name__ == "__main__":
    main()
