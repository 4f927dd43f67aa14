"""Hostile values and coordinates, through the command line as a GIS officer runs it.

Each file is made here, then checked with ``bordermap layers validate`` and imported with
``bordermap layers import`` in English and in French: the exit code, the finding in words,
no traceback, and a refused import leaves the store byte for byte as it was.
"""

from __future__ import annotations

import csv
import io
import math
import time
import warnings
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import openpyxl
import pyproj
import pytest
from click.testing import CliRunner, Result
from conftest import plain, sha256_of

from mapping.cli import main
from mapping.geo import geodesic_m
from mapping.layers.schema import KINDS
from mapping.layers.user_store import open_store
from mapping.layers.validate import validate_layer

LANGS = ("en", "fr")
EXIT_OK, EXIT_ERRORS = 0, 1


@pytest.fixture
def store(store_copy: Path) -> Path:
    return store_copy


sha256 = sha256_of


def cli(store: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, [*args, "--store", str(store)])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def validate(store: Path, file: Path, lang: str) -> Result:
    return cli(store, "layers", "validate", str(file), "--kind", "posts", "--lang", lang)


def imported(store: Path, file: Path, lang: str, *extra: str) -> Result:
    return cli(store, "layers", "import", str(file), "--kind", "posts", "--lang", lang,
               "--user", "test", *extra)


def refused(store: Path, file: Path, lang: str, *extra: str) -> Result:
    """Import ``file``; it must be refused with the store unchanged byte for byte."""
    before = sha256(store)
    result = imported(store, file, lang, *extra)
    assert result.exit_code == EXIT_ERRORS, result.output
    assert sha256(store) == before
    return result


def posts(lon: list[float], lat: list[float], crs: object = "EPSG:4326", **columns: list) -> gpd.GeoDataFrame:
    """Border posts at (lon, lat) in ``crs`` with every required value; override any column."""
    n = len(lon)
    data: dict[str, list] = {"post_id": [f"T-{i + 1}" for i in range(n)],
                             "name": [f"Poste {i + 1}" for i in range(n)],
                             "iso3": ["MRT"] * n, "status": ["operational"] * n}
    data.update(columns)
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(lon, lat), crs=crs)


# ------------------------------------------------------------------ absurd numbers
@pytest.mark.parametrize("lang", LANGS)
def test_an_absurd_cost_and_staff_are_refused_with_the_bound_named(tmp_path, store, lang):
    file = tmp_path / "posts.csv"
    file.write_text("post_id,name,iso3,status,lat,lon,rehab_cost_usd,staff\n"
                    "T-1,Kobenni,MRT,operational,15.9,-9.42,1e30,12\n"
                    "T-2,Gogui,MLI,degraded,15.36,-9.35,250000,1e30\n", encoding="utf-8")
    result = validate(store, file, lang)
    assert result.exit_code == EXIT_ERRORS
    text = plain(result.output)
    assert text.count("implausible_value") == 2
    if lang == "en":
        assert "1E30 in column “rehab_cost_usd” is more than 1,000,000,000" in text
        assert "more than 10,000" in text and "hundreds of millions of US dollars" in text
    else:
        assert "1E30 dans la colonne « rehab_cost_usd » dépasse 1 000 000 000" in text
        assert "dépasse 10 000" in text and "centaines de millions de dollars US" in text
    refused(store, file, lang)


def test_the_largest_plausible_cost_is_accepted(tmp_path, store):
    file = tmp_path / "posts.gpkg"
    posts([-9.42], [15.9], rehab_cost_usd=[1e9], staff=[10_000]).to_file(file)
    assert validate(store, file, "en").exit_code == EXIT_OK


# ------------------------------------------------------------------ coordinates and CRS
UTM_28N = "EPSG:32628"
# Kobenni, Gogui, Adel Bagrou: longitudes and latitudes, in degrees
LON, LAT = [-9.42, -9.35, -7.53], [15.90, 15.36, 15.54]


def shapefile(folder: Path, layer: gpd.GeoDataFrame, prj: str) -> Path:
    """``layer`` written as a shapefile whose .prj says ``prj``, whatever its coordinates are."""
    path = folder / "posts.shp"
    layer.set_crs(None, allow_override=True).to_file(path)
    path.with_suffix(".prj").write_text(prj, encoding="ascii")
    return path


def degrees_declared_utm(folder: Path, fmt: str) -> Path:
    if fmt == "shp":
        return shapefile(folder, posts(LON, LAT), pyproj.CRS(UTM_28N).to_wkt("WKT1_ESRI"))
    path = folder / "posts.gpkg"
    posts(LON, LAT).set_crs(UTM_28N, allow_override=True).to_file(path)
    return path


@pytest.mark.parametrize("fmt", ["gpkg", "shp"])
@pytest.mark.parametrize("lang", LANGS)
def test_degrees_in_a_file_that_declares_utm_are_refused_with_the_cause(tmp_path, store, lang, fmt):
    file = degrees_declared_utm(tmp_path, fmt)
    result = validate(store, file, lang)
    assert result.exit_code == EXIT_ERRORS
    text = plain(result.output)
    assert text.count("degrees_in_projected_crs") == 3
    if lang == "en":
        assert "The coordinates (x -9.42, y 15.9) look like degrees (longitude/latitude)" in text
        assert "the file declares EPSG:32628 (WGS 84 / UTM zone 28N), in metres" in text
        assert "(its .prj) is probably wrong: remove it or declare EPSG:4326" in text
    else:
        assert "Les coordonnées (x -9,42 ; y 15,9) ressemblent à des degrés" in text
        assert "le fichier déclare EPSG:32628 (WGS 84 / UTM zone 28N), en mètres" in text
        assert "supprimez-le ou déclarez EPSG:4326" in text
    assert "outside_study_area" not in text  # the cause is named once, not as a far position
    refused(store, file, lang, "--update")
    refused(store, file, lang, "--update", "--fix")  # nothing to fix by guessing


def test_a_true_utm_file_of_the_demo_posts_imports_to_the_same_positions(tmp_path, store):
    demo = open_store(store).read("posts")
    utm = demo.to_crs(UTM_28N)
    utm["source"] = "re-surveyed in UTM 28N"  # every post changes, so the import commits them
    file = tmp_path / "posts_utm.gpkg"
    utm.to_file(file)
    assert validate(store, file, "en").exit_code == EXIT_OK
    result = imported(store, file, "fr")
    assert result.exit_code == EXIT_OK, result.output
    stored = open_store(store).read("posts").set_index("post_id").loc[demo["post_id"]]
    assert (stored["source"] == "re-surveyed in UTM 28N").all()
    moved = geodesic_m(demo.geometry.x.to_numpy(), demo.geometry.y.to_numpy(),
                       stored.geometry.x.to_numpy(), stored.geometry.y.to_numpy())
    assert moved.max() < 1.0


NOT_ON_EARTH = {
    "local_cs": ('LOCAL_CS["x",UNIT["metre",1]]', "crs_local",
                 "x is a local (engineering) coordinate system", "x est un système local"),
    "mars": (pyproj.CRS("IAU_2015:49900").to_wkt("WKT1_ESRI"), "crs_other_body",
             "is a coordinate system of another celestial body (Mars",
             "est un système de coordonnées d’un autre corps céleste (Mars"),
}


@pytest.mark.parametrize("case", NOT_ON_EARTH)
@pytest.mark.parametrize("lang", LANGS)
def test_a_prj_of_no_place_on_earth_is_a_finding_not_a_traceback(tmp_path, store, lang, case):
    prj, code, english, french = NOT_ON_EARTH[case]
    file = shapefile(tmp_path, posts(LON, LAT), prj)
    result = validate(store, file, lang)
    assert result.exit_code == EXIT_ERRORS
    text = plain(result.output)
    assert code in text
    assert (english if lang == "en" else french) in text
    assert ("cannot be converted to longitude/latitude on Earth" if lang == "en"
            else "ne peut pas être converti en longitude/latitude sur la Terre") in text
    refused(store, file, lang, "--update")
    refused(store, file, lang, "--update", "--fix")


@pytest.mark.parametrize("crs", ["IAU_2015:49900", 'ENGCRS["site",EDATUM["local"],CS[Cartesian,2],'
                                 'AXIS["x",east,ORDER[1],LENGTHUNIT["metre",1]],'
                                 'AXIS["y",north,ORDER[2],LENGTHUNIT["metre",1]]]'])
def test_a_geopackage_of_no_place_on_earth_is_refused(tmp_path, store, crs):
    file = tmp_path / "posts.gpkg"
    posts(LON, LAT, crs=pyproj.CRS(crs)).to_file(file)
    result = validate(store, file, "en")
    assert result.exit_code == EXIT_ERRORS
    assert "cannot be converted to longitude/latitude on Earth" in result.output
    refused(store, file, "en", "--update", "--fix")


# ------------------------------------------------------------------ huge coordinates
HUGE = [1e27, 1e308, math.inf, -math.inf, math.nan]


def huge_file(folder: Path, fmt: str) -> Path:
    """Five posts whose x is huge, infinite or not a number, and a sixth at Kobenni."""
    lon, lat = [*HUGE, -9.42], [15.0, 1e308, 15.0, 15.0, 15.0, 15.9]
    if fmt == "geojson":  # JSON has no infinity: the numbers a file can hold
        path = folder / "posts.geojson"
        posts([1e27, 1e308, -1e308, -9.42], [15.0, 1e308, 15.0, 15.9]).to_file(path)
        return path
    if fmt == "csv":
        path = folder / "posts.csv"
        rows = "".join(f"H-{i},Poste {i},MRT,closed,{y},{x}\n"
                       for i, (x, y) in enumerate(zip(lon, lat, strict=True)))
        path.write_text("post_id,name,iso3,status,lat,lon\n" + rows, encoding="utf-8")
        return path
    path = folder / f"posts_{fmt}.gpkg"
    posts(lon, lat).set_crs(UTM_28N if fmt == "utm" else "EPSG:4326", allow_override=True).to_file(path)
    return path


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no overflow or NaN warning on the way
@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg", "utm"])
@pytest.mark.parametrize("lang", LANGS)
def test_every_huge_coordinate_gets_a_finding(tmp_path, store, lang, fmt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL warns as it writes infinite coordinates
        file = huge_file(tmp_path, fmt)
    result = validate(store, file, lang)
    assert result.exit_code == EXIT_ERRORS
    lines = [line for line in plain(result.output).splitlines() if line.startswith(("ERROR", "ERREUR"))]
    flagged = {line.split()[1] for line in lines}
    expected = {"T-1", "T-2", "T-3"} if fmt == "geojson" else (
        {f"H-{i}" for i in range(5)} if fmt == "csv" else {f"T-{i}" for i in range(1, 6)})
    if fmt == "utm":
        expected.add("T-6")  # Kobenni's degrees, read as metres of UTM 28N
    assert flagged == expected, lines
    if fmt == "utm":
        assert ("(x 1E27, y 15) cannot be a position in EPSG:32628" if lang == "en"
                else "(x 1E27 ; y 15) ne peuvent pas être une position dans EPSG:32628") in lines[0]
    refused(store, file, lang, "--update")
    refused(store, file, lang, "--update", "--fix")


def test_checking_a_file_of_huge_coordinates_is_as_quick_as_a_valid_file():
    n = 5_000
    rng = np.random.default_rng(1)
    valid = posts(list(rng.uniform(-12, -4, n)), list(rng.uniform(13, 18, n)))
    hostile = posts(list(rng.choice(HUGE, n)), list(rng.choice([15.0, *HUGE], n)), crs=UTM_28N,
                    rehab_cost_usd=list(rng.choice([1e30, *HUGE], n)))
    at_one_place = posts([-9.42] * n, [15.9] * n)  # a form sent n times from one office

    def seconds(layer: gpd.GeoDataFrame) -> float:
        start = time.perf_counter()
        validate_layer(layer, KINDS["posts"])
        return time.perf_counter() - start

    baseline = seconds(valid)
    assert seconds(hostile) < 2 * baseline + 1
    assert seconds(at_one_place) < 2 * baseline + 1


# ------------------------------------------------------------------ control characters
def control_csv(folder: Path) -> Path:
    path = folder / "posts.csv"
    path.write_bytes(b"post_id,Nom,iso3,status,lat,lon\n"
                     b"T-1,Kob\x00enni,MRT,operational,15.9,-9.42\n"
                     b"T-2,Go\x1bgui\x01,MLI,operational,15.36,-9.35\n"
                     b"T-3,Adel\tBagrou,MRT,closed,15.54,-7.53\n")
    return path


@pytest.mark.parametrize("lang", LANGS)
def test_a_nul_in_a_name_is_an_error_and_the_fix_removes_it(tmp_path, store, lang):
    file = control_csv(tmp_path)
    result = validate(store, file, lang)
    assert result.exit_code == EXIT_ERRORS
    text = plain(result.output)
    assert text.count("nul_character") == 1 and text.count("control_characters") == 1  # a tab is text
    if lang == "en":
        assert "The text “Kob␀enni” in column “name” contains a NUL character (U+0000, shown as ␀)" in text
        assert "the text would be cut there, to “Kob”" in text
        assert "(U+001B ␛, U+0001 ␁). It is kept as it is, but" in text
    else:
        assert "Le texte « Kob␀enni » de la colonne « name » contient un caractère NUL" in text
        assert "le texte serait coupé à cet endroit, en « Kob »" in text
    refused(store, file, lang, "--update")
    result = imported(store, file, lang, "--update", "--fix")
    assert result.exit_code == EXIT_OK, result.output
    assert ("Invisible control characters removed from the text of T-1." if lang == "en"
            else "Caractères de contrôle invisibles retirés du texte de T-1.") in plain(result.output)
    names = open_store(store).read("posts").set_index("post_id")["name"]
    assert list(names[["T-1", "T-2", "T-3"]]) == ["Kobenni", "Gogui", "Adel\tBagrou"]
    history = cli(store, "layers", "history", "--kind", "posts", "--format", "json")
    assert "control_characters:T-1" in history.output  # the fix is recorded with the version


def test_terminal_escapes_in_names_are_kept_with_a_warning_and_left_out_of_kml(tmp_path, store):
    file = tmp_path / "escapes.csv"
    file.write_text("post_id,name,iso3,status,lat,lon\n"
                    "E-1,\x1b]0;owned\x07Kobenni,MRT,operational,15.7,-9.0\n"
                    "E-2,\x1b[2JNioro,MLI,degraded,15.2,-8.0\n", encoding="utf-8")
    result = imported(store, file, "en", "--update")
    assert result.exit_code == EXIT_OK, result.output
    assert result.output.count("control_characters") == 2
    assert "\x1b" not in result.output  # the terminal is shown ␛, never obeys it
    assert open_store(store).read("posts").set_index("post_id").at["E-1", "name"] == "\x1b]0;owned\x07Kobenni"
    kml = tmp_path / "ranking.kml"
    assert cli(store, "export", "--out", str(kml)).exit_code == EXIT_OK
    names = [element.text for element in ElementTree.parse(kml).iter() if element.tag.endswith("name")]
    assert any("]0;owned" in (name or "") for name in names)  # valid XML, the name without its controls


# ------------------------------------------------------------------ text a spreadsheet would run
FORMULAS = ['=HYPERLINK("http://evil.example","clic")', "+cmd|' /C calc'!A0", "@SUM(1)"]


def cells(path: Path) -> list[object]:
    """Every cell of a CSV (as text) or of every sheet of a workbook (with formulas as such)."""
    if path.suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;")  # ";" in French
        return [cell for row in csv.reader(io.StringIO(text, newline=""), dialect) for cell in row]
    book = openpyxl.load_workbook(path)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("lang", LANGS)
def test_names_a_spreadsheet_would_run_are_imported_with_a_warning_and_exported_as_text(
        tmp_path, store, lang):
    file = tmp_path / "posts.gpkg"
    layer = posts([-9.0, -8.0, -10.5], [15.7, 15.2, 16.0], name=FORMULAS,
                  status=["operational", "degraded", "closed"], rehab_cost_usd=[1e5, 2e5, 3e5])
    layer.to_file(file)
    result = imported(store, file, lang, "--update")
    assert result.exit_code == EXIT_OK, result.output
    text = plain(result.output)
    assert text.count("formula_text") == 3
    assert ("every export writes it as text, with a leading apostrophe in CSV and Excel files" if lang == "en"
            else "chaque export l’écrit comme texte, précédé d’une apostrophe dans les fichiers CSV et Excel"
            ) in text
    written = []
    for args in (["export", "--out", "ranking.csv"], ["export", "--out", "ranking.csv", "--hxl"],
                 ["export", "--out", "ranking.xlsx"], ["score", "--out", "scores.xlsx"],
                 ["score", "--out", "scores.csv"], ["shortlist", "--top", "100", "--out", "short.xlsx"],
                 ["shortlist", "--budget", "1e7", "--out", "short.csv"],
                 ["sensitivity", "--samples", "20", "--out", "ranks.xlsx"]):
        args = [str(tmp_path / a) if a.endswith((".csv", ".xlsx")) else a for a in args]
        assert cli(store, *args, "--lang", lang).exit_code == EXIT_OK
        written += [Path(a) for a in args if a.endswith((".csv", ".xlsx"))]
    for path in written:
        found = cells(path)
        if path.suffix == ".xlsx":
            assert not [c for c in found if c.data_type == "f"], path  # no formula cell at all
            found = [c.value for c in found]
        assert not [c for c in found if isinstance(c, str) and c[:1] in ("=", "+", "@")], path
        names = [c for c in found if isinstance(c, str) and any(f in c for f in FORMULAS)]
        assert names, path  # the posts are in the table...
        assert all(c.startswith("'") for c in names), (path, names)  # ...as text a spreadsheet keeps


def test_degrees_are_told_from_metres_by_where_each_reading_puts_them():
    kind = KINDS["posts"]

    def found(layer: gpd.GeoDataFrame) -> set[str]:
        return {f.code for f in validate_layer(layer, kind).findings}

    # Web Mercator (world-wide): degrees land at 0° 0°, far from the study area
    assert "degrees_in_projected_crs" in found(posts(LON, LAT, crs="EPSG:3857"))
    # a northing of 1e200 m is sent to the pole by the projection, and does not come back
    assert "not_in_crs" in found(posts([-1_000_000.0], [1e200], crs="EPSG:3857"))
    # metres a few tens of metres from the origin of a projection centred on the study area:
    # both readings are in the study area, so the declared CRS is believed
    local = pyproj.CRS.from_proj4("+proj=laea +lat_0=15.5 +lon_0=-9.4 +datum=WGS84 +units=m")
    near_origin = posts([-9.4, 12.0], [15.5, -30.0], crs=local)
    assert not {"degrees_in_projected_crs", "not_in_crs"} & found(near_origin)
    # a true UTM 28N file of the Mauritania–Mali border, east of its zone as such files often are
    utm = posts(LON, LAT).to_crs(UTM_28N)
    assert validate_layer(utm, kind).ok


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("position", [(1e308, 1e308), (math.nan, 15.0), (math.inf, 15.0)])
def test_moving_a_stored_post_to_a_huge_position_is_refused_quietly(tmp_path, store, position):
    stored = open_store(store).read("posts").iloc[[0]]
    layer = stored.copy()
    layer.geometry = gpd.points_from_xy([position[0]], [position[1]], crs="EPSG:4326")
    file = tmp_path / "moved.gpkg"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        layer.to_file(file)
    for command in ("diff", "import"):
        result = cli(store, "layers", command, str(file), "--kind", "posts", "--update")
        assert result.exit_code == EXIT_ERRORS, result.output
    refused(store, file, "fr", "--update", "--fix")


@pytest.mark.parametrize("lang", LANGS)
def test_a_file_of_headers_only_is_an_error_when_checked_not_only_when_imported(tmp_path, store, lang):
    file = tmp_path / "posts.csv"
    file.write_text("post_id,name,iso3,status,lat,lon\n", encoding="utf-8")
    result = validate(store, file, lang)
    assert result.exit_code == EXIT_ERRORS
    assert result.output.count("no_features") == 1
    assert refused(store, file, lang).output.count("no_features") == 1  # once, not twice
