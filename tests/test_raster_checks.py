"""Population rasters bordermap cannot use are refused before they reach the store, in words a
GIS officer understands, in English and French; one already in a store makes ``score``,
``export`` and the map say why instead of running out of memory or printing a traceback."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from conftest import plain
from rasterio.transform import Affine, from_origin

from mapping.cli import main
from mapping.layers import raster_checks
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.importing import import_file
from mapping.layers.raster_checks import RasterError, check_raster
from mapping.layers.store import CommitInfo
from mapping.layers.user_store import demo_dir, open_store
from mapping.raster_overlay import population_overlay
from mapping.scoring import population
from mapping.scoring.population import population_within

ROOT = Path(__file__).resolve().parents[1]
DEMO_RASTER = demo_dir() / "population.tif"
# the demo's extent: the Mauritania–Mali border, where the demo posts are
DEMO_TRANSFORM = from_origin(-13.0, 18.0, 0.05, 0.05)
ENGINEERING_CRS = ('ENGCRS["site grid",EDATUM["site"],CS[Cartesian,2],AXIS["x",east,LENGTHUNIT["metre",1]],'
                   'AXIS["y",north,LENGTHUNIT["metre",1]]]')


# -- crafting bad rasters -------------------------------------------------------------------


def write(path: Path, data: np.ndarray, crs: str | None = "EPSG:4326", transform: Affine = DEMO_TRANSFORM,
          nodata: float | None = -9999.0, **options) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=data.dtype, crs=crs, transform=transform, nodata=nodata, **options) as dst:
        dst.write(data, 1)
    return path


def people(value: float = 3.0) -> np.ndarray:
    return np.full((100, 200), value, dtype="float32")


def huge_header(path: Path) -> Path:
    """A few tens of KB claiming 1,000,000 × 500,000 float32 pixels: tiled, compressed and sparse
    (GDAL writes no block that holds only nodata), over the whole Sahel at ~3 m."""
    with rasterio.open(path, "w", driver="GTiff", width=1_000_000, height=500_000, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(-20, 25, 0.00003, 0.00003), nodata=-9999,
                       tiled=True, blockxsize=8192, blockysize=8192, compress="deflate", sparse_ok=True):
        pass
    assert path.stat().st_size < 100_000
    return path


def _tag_offset(data: bytes, tag: int) -> int:
    """Where the values of a tag of a little-endian classic TIFF's first IFD are."""
    assert data[:4] == b"II*\x00"
    (ifd,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd)
    for i in range(count):
        code, _, _, value = struct.unpack_from("<HHII", data, ifd + 2 + 12 * i)
        if code == tag:
            return value
    raise KeyError(tag)


def zero_pixel(path: Path) -> Path:
    """Pixel width 0 with a CRS: GDAL writes a zero pixel scale as no georeferencing at all, so
    the file's ModelTransformationTag (written for a rotated raster) is edited instead."""
    write(path, people(), transform=Affine(0.05, 0.001, -13.0, 0.001, -0.05, 18.0))
    data = bytearray(path.read_bytes())
    offset = _tag_offset(data, 34264)  # ModelTransformationTag: 16 doubles, row-major
    matrix = list(struct.unpack_from("<16d", data, offset))
    matrix[0] = matrix[1] = matrix[4] = 0.0  # x = 0·col + 0·row + c; y = 0·col − 0.05·row + f
    struct.pack_into("<16d", data, offset, *matrix)
    path.write_bytes(bytes(data))
    with rasterio.open(path) as src:
        assert src.crs is not None and src.transform.a == 0
    return path


BAD_RASTERS: dict[str, tuple[Callable[[Path], Path], str, str, str]] = {
    # name: (craft, code, words in English, words in French)
    "huge_header": (huge_header, "raster_too_large",
                    "claims 1,000,000 × 500,000 pixels (500,000,000,000 cells, 2,000 GB as float32)",
                    "annonce 1 000 000 × 500 000 pixels (500 000 000 000 cellules, 2 000 Go en float32)"),
    "zero_pixel": (zero_pixel, "raster_pixel_size_zero", "pixel size is 0",
                   "taille de pixel du raster est nulle"),
    "all_nan": (lambda p: write(p, people(np.nan), nodata=None), "raster_all_nodata",
                "None of the 20,000 cells", "Aucune des 20 000 cellules"),
    "all_nodata": (lambda p: write(p, people(-9999.0)), "raster_all_nodata",
                   "None of the 20,000 cells", "Aucune des 20 000 cellules"),
    "negative": (lambda p: write(p, people(-5e30)), "raster_negative",
                 "lowest -5E30 persons per cell", "au plus bas -5E30 personnes par cellule"),
    "infinite": (lambda p: write(p, people(np.inf)), "raster_not_finite",
                 "hold an infinite value", "ont une valeur infinie"),
    "implausible": (lambda p: write(p, people(5e30)), "raster_implausible",
                    "more than 1,000,000,000 persons", "plus de 1 000 000 000 personnes"),
    "engineering_crs": (lambda p: write(p, people(), crs=ENGINEERING_CRS,
                                        transform=from_origin(0, 1000, 10, 10)),
                        "raster_crs_local", "local or engineering CRS", "SCR local ou d’ingénierie"),
    "mars": (lambda p: write(p, people(), crs="IAU_2015:49900"), "raster_crs_not_earth",
             "radius 3,396.19 km, not on the Earth", "astre de 3 396,19 km de rayon"),
    "rotated": (lambda p: write(p, people(), transform=Affine(0.05, 0.01, -13.0, 0.01, -0.05, 18.0)),
                "raster_rotated", "rotated or sheared", "tourné ou cisaillé"),
    "tiny_pixels": (lambda p: write(p, people(), transform=from_origin(-9.5, 15.5, 1e-9, 1e-9)),
                    "raster_pixel_too_small", "less than the 1 m", "moins que les 1 m"),
    "elsewhere": (lambda p: write(p, people(), transform=from_origin(30.0, 15.0, 0.05, 0.05)),
                  "raster_covers_no_post", "covers none of the 53 posts", "ne couvre aucun des 53 postes"),
    "not_on_earth": (lambda p: write(p, people(), transform=from_origin(-13.0, 180.0, 0.05, 0.05)),
                     "raster_not_on_earth", "does not fall on the Earth", "ne tombe pas sur la Terre"),
}


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> GeoPackageStore:
    return open_store(tmp_path_factory.mktemp("demo") / "store.gpkg")


@pytest.fixture
def store(demo_store, tmp_path) -> GeoPackageStore:
    """A store seeded from the demo (its posts, its population raster): a copy of one seeded once."""
    shutil.copyfile(demo_store.path, tmp_path / "store.gpkg")
    shutil.copytree(demo_store.raster_dir, tmp_path / "store-rasters")
    return open_store(tmp_path / "store.gpkg")


def state(store: GeoPackageStore) -> list[tuple[str, str]]:
    """SHA-256 of the store's GeoPackage and of every file in its raster folder."""
    files = [store.path, *sorted(store.raster_dir.glob("*"))]
    return [(f.name, hashlib.sha256(f.read_bytes()).hexdigest()) for f in files]


def run(store: GeoPackageStore, *args: str, lang: str = "en"):
    result = CliRunner().invoke(main, [*args, "--store", str(store.path), "--lang", lang])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


# -- refused before the store ----------------------------------------------------------------


@pytest.mark.parametrize("name", list(BAD_RASTERS))
def test_a_bad_raster_is_refused_and_the_store_is_unchanged(name, store, tmp_path):
    craft, code, english, _ = BAD_RASTERS[name]
    path = craft(tmp_path / f"{name}.tif")
    before = state(store)
    result = import_file(path, "population", store, user="test")
    errors = {f.code: f for f in result.findings if f.severity == "error"}
    assert not result.committed and code in errors
    assert english in errors[code].message("en")
    assert state(store) == before


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("name", list(BAD_RASTERS))
def test_the_cli_explains_a_bad_raster_in_english_and_french(name, lang, store, tmp_path):
    craft, code, english, french = BAD_RASTERS[name]
    path = craft(tmp_path / f"{name}.tif")
    words = english if lang == "en" else french
    before = state(store)
    checked = run(store, "layers", "validate", str(path), "--kind", "population", lang=lang)
    assert checked.exit_code == 1 and code in checked.output
    assert words in plain(checked.output)
    imported = run(store, "layers", "import", str(path), "--kind", "population", "--user", "test", lang=lang)
    assert imported.exit_code == 1 and words in plain(imported.output)
    assert state(store) == before


def test_the_huge_header_is_checked_in_bounded_memory(tmp_path):
    """Under a 2 GiB address-space limit, checking, scoring and drawing the 1,000,000 × 500,000
    header end with the finding, not a MemoryError (it would need 2 TB)."""
    path = huge_header(tmp_path / "huge.tif")
    script = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, resource.getrlimit(resource.RLIMIT_AS)[1]))
        from mapping.layers.raster_checks import RasterError, check_raster
        from mapping.raster_overlay import population_overlay
        from mapping.scoring.population import population_within
        print(*[f.code for f in check_raster({str(path)!r})])
        for read in (lambda: population_within({str(path)!r}, [-10.0], [15.0], 20_000.0),
                     lambda: population_overlay({str(path)!r})):
            try:
                read()
            except RasterError as error:
                print(error.problems[0].code)
    """)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["raster_too_large"] * 3


def test_blocks_too_large_to_decompress_are_refused(tmp_path):
    path = tmp_path / "one_strip.tif"
    with rasterio.open(path, "w", driver="GTiff", width=20_000, height=10_000, count=1, dtype="float64",
                       crs="EPSG:4326", transform=from_origin(-13, 18, 0.0005, 0.0005), nodata=-9999,
                       blockysize=10_000, compress="deflate", sparse_ok=True):
        pass  # one strip of 20,000 × 10,000 float64: 1.6 GB to decompress for any cell
    codes = {f.code for f in check_raster(path)}
    assert codes == {"raster_block_too_large"}


def test_values_are_sampled_in_windows_with_nodata_honoured(tmp_path):
    """A raster larger than the sample is read in windows (at most 1,048,576 cells); an undeclared
    nodata value filling its western half is found; the declared nodata is not a value."""
    data = np.full((1500, 2000), 12.5, dtype="float32")
    data[:, :1000] = -99999.0
    data[:10, :] = -9999.0  # declared nodata
    path = write(tmp_path / "half.tif", data, transform=from_origin(-13, 18, 0.005, 0.005),
                 tiled=True, blockxsize=256, blockysize=256)
    findings = {f.code: f for f in check_raster(path)}
    negative = findings["raster_negative"]
    assert set(findings) == {"raster_negative"}
    assert negative.params["sampled"] <= 32**4 and negative.params["minimum"] == -99999.0
    assert 0.3 < negative.params["count"] / negative.params["sampled"] < 0.7


# -- what stays accepted ------------------------------------------------------------------------


def test_the_demo_raster_imports_and_scores(store, tmp_path):
    assert check_raster(DEMO_RASTER, store.read("posts")) == []
    result = import_file(DEMO_RASTER, "population", store, user="test")
    assert result.committed and result.findings == []
    scored = run(store, "score", "--out", str(tmp_path / "ranking.csv"))
    assert scored.exit_code == 0, scored.output
    assert (tmp_path / "ranking.csv").exists()


def test_posts_outside_a_partial_raster_are_named_as_a_warning(store, tmp_path):
    path = write(tmp_path / "east.tif", people()[:, :60], transform=from_origin(-7.0, 18.0, 0.05, 0.05))
    result = import_file(path, "population", store, user="test")
    outside = [f for f in result.findings if f.code == "raster_posts_outside"]
    assert result.committed and len(outside) == 1 and outside[0].severity == "warning"
    assert "MRT-" in outside[0].message("fr") and "hors du raster" in outside[0].message("fr")


# -- a raster already in the store ---------------------------------------------------------------

STORED = ["huge_header", "zero_pixel", "engineering_crs", "mars"]


@pytest.mark.parametrize("name", STORED)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_score_and_export_say_why_a_stored_raster_is_unusable(name, lang, store, tmp_path):
    """A raster committed before these checks (or copied into the store by hand)."""
    craft, _, english, french = BAD_RASTERS[name]
    store.commit_raster("population", craft(tmp_path / f"{name}.tif"), CommitInfo("old bordermap"))
    unusable = {"en": "The population raster in the store", "fr": "Le raster de population de la base"}[lang]
    for args in (["score"], ["export", "--out", str(tmp_path / "ranking.csv")]):
        result = run(store, *args, lang=lang)
        assert result.exit_code == 1, result.output
        text = plain(result.output)
        assert unusable in text and (english if lang == "en" else french) in text
    assert not (tmp_path / "ranking.csv").exists()


@pytest.mark.parametrize("name", STORED)
def test_the_map_overlay_refuses_an_unusable_raster_in_words(name, tmp_path):
    craft, code, _, _ = BAD_RASTERS[name]
    with pytest.raises(RasterError) as raised:
        population_overlay(craft(tmp_path / f"{name}.tif"))
    assert raised.value.problems[0].code == code
    assert "raster" in raised.value.message("fr")


def test_the_map_overlay_of_a_large_raster_is_read_reduced(monkeypatch):
    full = population_overlay(DEMO_RASTER)
    monkeypatch.setattr("mapping.raster_overlay.MAX_READ", 50)  # the demo is 200 × 100 cells
    reduced = population_overlay(DEMO_RASTER)
    assert reduced.bounds == full.bounds and reduced.url != full.url


# -- bounded windows for the indicators ----------------------------------------------------------


def test_posts_spread_wider_than_one_window_are_summed_in_groups(store, monkeypatch):
    posts = store.read("posts")
    lon = np.append(posts.geometry.x.to_numpy(), np.nan)
    lat = np.append(posts.geometry.y.to_numpy(), 15.0)
    whole = population_within(DEMO_RASTER, lon, lat, 20_000.0)
    windows: list[int] = []
    read = population._within_window
    monkeypatch.setattr(population, "_within_window",
                        lambda src, x, y, r: windows.append(x.size) or read(src, x, y, r))
    monkeypatch.setattr(population, "MAX_WINDOW_CELLS", 200)  # a few 20 km circles at 0.05°
    grouped = population_within(DEMO_RASTER, lon, lat, 20_000.0)
    assert len(windows) > 3 and sum(windows) == len(posts)
    np.testing.assert_allclose(grouped, whole, rtol=1e-9)
    assert np.isnan(grouped[-1])


def test_a_circle_larger_than_a_window_is_refused_in_words(monkeypatch):
    monkeypatch.setattr(population, "MAX_WINDOW_CELLS", 10)
    with pytest.raises(RasterError) as raised:
        population_within(DEMO_RASTER, [-10.0], [15.0], 20_000.0)
    assert "too fine for this radius" in raised.value.message("en")
    assert "trop fin pour ce rayon" in raised.value.message("fr")


def test_limits_admit_a_g5_raster_at_100_m():
    """55,000 × 22,000 cells (the G5 Sahel at 100 m) pass; the Mauritania–Mali border at 100 m
    (11,112 × 5,556) fits one window of the indicators."""
    assert 55_000 * 22_000 <= raster_checks.MAX_RASTER_CELLS
    assert 11_112 * 5_556 <= raster_checks.MAX_WINDOW_CELLS
    assert raster_checks.MAX_WINDOW_CELLS * raster_checks.BYTES_PER_WINDOW_CELL <= 768 * 2**20


# -- the app ---------------------------------------------------------------------------------------

APP = str(ROOT / "app.py")


def test_the_app_says_why_a_stored_raster_is_unusable_and_still_opens_its_layers(store, tmp_path,
                                                                                  monkeypatch):
    from streamlit.testing.v1 import AppTest

    store.commit_raster("population", huge_header(tmp_path / "huge.tif"), CommitInfo("old bordermap"))
    monkeypatch.setenv("BORDERMAP_STORE", str(store.path))
    app = AppTest.from_file(APP, default_timeout=120).run()  # the map page, in French
    assert not app.exception, [e.message for e in app.exception]
    shown = plain(" ".join(e.value for e in app.error)).replace("\\", "")
    assert "Le raster de population de la base" in shown and "1 000 000 × 500 000 pixels" in shown
    app.switch_page("app_pages/layers.py")
    app.run()
    assert not app.exception, [e.message for e in app.exception]


def test_the_app_refuses_an_uploaded_huge_header(store, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("BORDERMAP_STORE", str(store.path))
    app = AppTest.from_file(APP, default_timeout=120).run()
    app.switch_page("app_pages/layers.py")
    app.run()
    before = state(store)  # after the first load, which keeps its derived data in the store
    upload = huge_header(tmp_path / "huge.tif").read_bytes()
    app.file_uploader(key="upload_file").set_value(("huge.tif", upload, "image/tiff"))
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    messages = [str(m) for tb in app.table if "Message" in tb.value.columns for m in tb.value["Message"]]
    assert any("1 000 000 × 500 000 pixels" in plain(m).replace("\\", "") for m in messages), messages
    assert app.error and state(store) == before
