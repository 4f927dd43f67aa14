"""Hostile and awkward files, each made here by a few lines of code, through the readers and
through ``bordermap layers validate`` / ``import`` in English and French: a clear message in
words (the broken line's number, the duplicated columns, the limit passed), no traceback, no
library warning, and the store unchanged when the import is refused; a Shapefile's cut
field names restored; a workbook bomb refused in bounded memory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from conftest import plain, sha256_of
from shapely.geometry import Point

from mapping.cli import main
from mapping.layers import readers
from mapping.layers.findings import LayerReadError
from mapping.layers.readers import read_notes, read_vector
from mapping.layers.user_store import open_store

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "fr")
HEADER = "post_id,name,iso3,status,latitude,longitude"
ROWS = ["MLI-101,Gogui,MLI,operational,15.36,-9.35", "MRT-101,Kobenni,MRT,degraded,15.90,-9.42",
        "MLI-102,Nioro,MLI,closed,15.23,-9.59"]
LIBRARY_NOISE = re.compile(r"\w+Warning\b|site-packages|warnings\.warn|Traceback")


# ------------------------------------------------------------------ store and command line
@pytest.fixture
def store(store_copy: Path) -> Path:
    return store_copy


digest = sha256_of


def cli(store: Path, command: str, path: Path, lang: str, *options: str, kind: str = "posts"):
    """``bordermap layers COMMAND PATH --kind KIND --lang LANG``: no traceback, no library
    warning raised (they would be printed) nor written."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = CliRunner().invoke(main, ["layers", command, str(path), "--kind", kind, "--lang", lang,
                                           "--store", str(store), *options])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert not LIBRARY_NOISE.search(result.output), result.output
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
    return result


def refused(store: Path, path: Path, lang: str, *words: str, kind: str = "posts") -> None:
    """Validation and import both fail on ``path`` with a message holding ``words``, and the
    import leaves the store byte for byte as it was."""
    before = digest(store)
    for command in ("validate", "import"):
        result = cli(store, command, path, lang, kind=kind)
        assert result.exit_code != 0, result.output
        for word in words:
            assert word in plain(result.output), (word, result.output)
    assert digest(store) == before


def read_error(path: Path, code: str, **params: object) -> LayerReadError:
    """``read_vector(path)`` fails with ``code`` (and these parameters), in words in both languages."""
    with pytest.raises(LayerReadError) as info:
        read_vector(path, kind="posts")
    assert info.value.code == code, (info.value.code, info.value.params)
    for key, value in params.items():
        assert info.value.params[key] == value, info.value.params
    for lang in LANGS:
        assert info.value.message(lang)
    return info.value


def posts_csv(tmp_path: Path, rows: list[str], name: str = "posts.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def posts_frame() -> gpd.GeoDataFrame:
    table = pd.DataFrame([row.split(",") for row in ROWS], columns=HEADER.split(","))
    return gpd.GeoDataFrame(table.drop(columns=["latitude", "longitude"]),
                            geometry=gpd.points_from_xy(table["longitude"].astype(float),
                                                        table["latitude"].astype(float)), crs=4326)


# ------------------------------------------------------------------ 1. Shapefile field names
@pytest.mark.parametrize("lang", LANGS)
def test_a_shapefile_keeps_the_columns_whose_names_dbf_cut_to_10_characters(store, tmp_path, lang):
    stored = open_store(store).read("posts")
    post = stored.iloc[[0]].copy()
    other, crossing = stored["post_id"].iloc[1], open_store(store).read("crossings")["crossing_id"].iloc[0]
    post["facing_post_id"], post["crossing_id"] = other, crossing
    post["communications"], post["connectivity"] = 3.0, 1.0
    post["last_assessed"] = pd.Timestamp("2025-02-03")
    post["remarks_by_team"] = "seen from the road"  # no column of posts: named in a note
    folder = tmp_path / "shp"
    folder.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL says it cuts the names: that is the point
        post.to_file(folder / "posts.shp", engine="pyogrio")
    assert "facing_pos" in pyogrio.read_info(folder / "posts.shp")["fields"]
    archive = tmp_path / "posts.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in folder.iterdir():
            zipped.write(part, part.name)

    frame = read_vector(archive, kind="posts")
    assert {"facing_post_id", "crossing_id", "communications", "connectivity", "last_assessed",
            "rehab_cost"} <= set(frame.columns)  # rehab_cost: a name of rehab_cost_usd already
    notes = read_notes(frame)
    assert [n.code for n in notes] == ["unused_columns"] and "remarks_by" in notes[0].message(lang)

    result = cli(store, "import", archive, lang, "--update")
    assert result.exit_code == 0, result.output
    assert "unused_columns" in result.output and "remarks_by" in result.output
    row = open_store(store).read("posts").set_index("post_id").loc[post["post_id"].iloc[0]]
    assert (row["facing_post_id"], row["crossing_id"]) == (other, crossing)
    assert (row["communications"], row["connectivity"]) == (3.0, 1.0)
    assert str(row["last_assessed"])[:10] == "2025-02-03"


def test_gdal_s_second_cut_name_is_restored_when_the_first_is_in_the_file(tmp_path):
    layer = gpd.GeoDataFrame({"settlement_id": ["S1"], "name": ["Néma"], "population": [5000],
                              "population_year": [2020]}, geometry=[Point(-7.25, 16.6)], crs=4326)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer.to_file(tmp_path / "settlements.shp", engine="pyogrio")
    fields = pyogrio.read_info(tmp_path / "settlements.shp")["fields"].tolist()
    assert fields == ["settlement", "name", "population", "populati_1"]  # "settlement" is a name too
    for kind in ("settlements", None):
        frame = read_vector(tmp_path / "settlements.shp", kind=kind)
        assert frame[["settlement_id", "name", "population", "population_year"]].iloc[0].tolist() == [
            "S1", "Néma", 5000, 2020]
        assert read_notes(frame) == []


# ------------------------------------------------------------------ 2. duplicate columns
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_two_columns_of_the_same_name_are_an_error_naming_them(store, tmp_path, lang, fmt):
    header = "post_id,name,name,iso3,status,latitude,longitude,latitude"
    rows = [",".join([*row.split(",")[:2], "Autre", *row.split(",")[2:], "0"]) for row in ROWS]
    path = posts_csv(tmp_path, rows, header=header)
    if fmt == "xlsx":
        book = openpyxl.Workbook()
        for line in [header, *rows]:
            book.active.append(line.split(","))
        path = tmp_path / "posts.xlsx"
        book.save(path)
    read_error(path, "duplicate_columns", columns="name, latitude")
    refused(store, path, lang, "name, latitude", {"en": "same name", "fr": "même nom"}[lang])


# ------------------------------------------------------------------ 3. a malformed CSV row
MALFORMED = {  # rows after the header, the error, the line it names
    "unquoted comma": ([ROWS[0], "MLI-103,Kayes, Mali,MLI,operational,14.45,-11.44", ROWS[1]],
                       "csv_bad_row", 3),
    "unterminated quote": ([ROWS[0], 'MLI-103,"Kayes,MLI,operational,14.45,-11.44', ROWS[1]],
                           "csv_open_quote", 3),
    "truncated last line": ([ROWS[0], ROWS[1], "MLI-102,Nioro,MLI,clo"], "csv_bad_row", 4),
    "text after a quote": ([ROWS[0], 'MLI-103,"Kayes" ville,MLI,operational,14.45,-11.44'],
                           "csv_bad_quote", 3),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_csv_row_is_named_by_its_line(store, tmp_path, lang, case):
    rows, code, line = MALFORMED[case]
    path = posts_csv(tmp_path, rows)
    read_error(path, code, line=line)
    refused(store, path, lang, {"en": f"ine {line} ", "fr": f"ligne {line} "}[lang])
    output = cli(store, "validate", path, lang).output
    assert "No coordinates" not in output and "Aucune coordonnée" not in output


def test_a_semicolon_file_with_a_bad_row_is_still_split_on_semicolons(tmp_path):
    rows = [row.replace(",", ";") for row in ROWS[:2]] + ["MLI-103;Kayes;MLI;operational;14,4"]
    path = posts_csv(tmp_path, rows, header=HEADER.replace(",", ";"))
    err = read_error(path, "csv_bad_row", line=4, found=5, expected=6)
    assert "semicolon" in err.message("en") and "point-virgule" in err.message("fr")


def test_trailing_separators_and_unnamed_columns_are_not_errors(tmp_path):
    path = posts_csv(tmp_path, [ROWS[0] + ",,", ROWS[1]], header=HEADER + ",")
    frame = read_vector(path)
    assert frame["post_id"].tolist() == ["MLI-101", "MRT-101"] and "Unnamed: 6" in frame.columns


# ------------------------------------------------------------------ 4. encodings and separators
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig", "cp1252"])
def test_excel_unicode_text_and_other_encodings_are_decoded(store, tmp_path, lang, encoding):
    """Excel's "Unicode text" is UTF-16 LE with a byte-order mark, tab-separated, CRLF."""
    separator = "\t" if encoding.startswith("utf-16") else ";"
    lines = [HEADER, "MLI-103,Sélibabi,MLI,dégradé,15.16,-12.18", "MRT-103,Néma,MRT,fermé,16.6,-7.25"]
    text = "\r\n".join(line.replace(",", separator) for line in lines) + "\r\n"
    path = tmp_path / "postes.txt"
    path.write_bytes(text.encode(encoding))
    frame = read_vector(path)
    assert list(frame.columns) == [*HEADER.split(","), "geometry"]
    assert frame["name"].tolist() == ["Sélibabi", "Néma"]
    assert frame.geometry.iloc[1].equals(Point(-7.25, 16.6))
    result = cli(store, "validate", path, lang)
    assert result.exit_code == 0, result.output
    assert "\x00" not in result.output and "ÿþ" not in result.output


# ------------------------------------------------------------------ 5. content against name
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("real", ["geojson", "xlsx", "gpkg"])
def test_a_layer_named_csv_is_read_as_what_it_is(store, tmp_path, lang, real):
    path = tmp_path / "posts.csv"
    if real == "xlsx":
        pd.DataFrame([row.split(",") for row in ROWS], columns=HEADER.split(",")).to_excel(
            path, index=False, engine="openpyxl")
    else:
        posts_frame().to_file(path, driver={"geojson": "GeoJSON", "gpkg": "GPKG"}[real], engine="pyogrio",
                              layer="posts")
    frame = read_vector(path, kind="posts")
    assert frame.crs.to_epsg() == 4326 and frame["post_id"].tolist() == ["MLI-101", "MRT-101", "MLI-102"]
    result = cli(store, "validate", path, lang)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("lang", LANGS)
def test_a_shp_renamed_csv_is_refused_naming_what_it_is(store, tmp_path, lang):
    posts_frame().to_file(tmp_path / "posts.shp", engine="pyogrio")
    path = tmp_path / "posts.csv"
    (tmp_path / "posts.shp").rename(path)
    read_error(path, "shapefile_renamed", suffix=".csv")
    refused(store, path, lang, ".shp", ".csv")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
@pytest.mark.parametrize("lang", LANGS)
def test_a_named_pipe_is_refused_without_being_opened(store, tmp_path, lang):
    path = tmp_path / "posts.csv"
    os.mkfifo(path)
    codes: list[str] = []

    def read() -> None:
        try:
            read_vector(path)
        except LayerReadError as err:
            codes.append(err.code)

    reader = threading.Thread(target=read, daemon=True)  # opening a pipe would wait for a writer
    reader.start()
    reader.join(timeout=30)
    assert codes == ["not_regular_file"]
    refused(store, path, lang, {"en": "not an ordinary file", "fr": "pas un fichier ordinaire"}[lang])


@pytest.mark.parametrize("lang", LANGS)
def test_a_folder_is_refused_in_the_chosen_language(store, tmp_path, lang):
    path = tmp_path / "posts.csv"
    path.mkdir()
    read_error(path, "is_directory")
    refused(store, path, lang, {"en": "is a folder", "fr": "est un dossier"}[lang])
    assert "Usage:" not in cli(store, "validate", path, lang).output


def gdal_warning_geojson(tmp_path: Path) -> Path:
    """A point with five coordinates: GDAL warns that it keeps three."""
    features = [{"type": "Feature", "properties": dict(zip(HEADER.split(",")[:4], row.split(",")[:4],
                                                            strict=True)),
                 "geometry": {"type": "Point", "coordinates": [float(row.split(",")[5]),
                                                               float(row.split(",")[4]), 0, 0, 0]}}
                for row in ROWS]
    path = tmp_path / "posts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def openpyxl_warning_xlsx(tmp_path: Path) -> Path:
    """A date cell whose serial number is no date: openpyxl warns and reads an error."""
    book = openpyxl.Workbook()
    book.active.append([*HEADER.split(","), "last_assessed"])
    for row in ROWS:
        values = row.split(",")
        book.active.append([*values[:4], float(values[4]), float(values[5]), 1e12])
    for cell in book.active["G"][1:]:
        cell.number_format = "yyyy-mm-dd"
    path = tmp_path / "posts.xlsx"
    book.save(path)
    return path


def huge_polygons_geojson(tmp_path: Path) -> Path:
    """Self-crossing polygons with coordinates of 1e308: numpy overflows in GEOS's checks."""
    big = 1e308
    ring = [[-big, -big], [big, big], [big, -big], [-big, big], [-big, -big]]
    features = [{"type": "Feature", "properties": {"post_id": f"X{i}", "name": "x", "iso3": "MLI",
                                                   "status": "closed"},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}} for i in range(3)]
    features.append({"type": "Feature", "properties": {"post_id": "X9"},
                     "geometry": {"type": "Point", "coordinates": [big, -big]}})
    path = tmp_path / "posts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


WARNING_FILES: dict[str, Callable[[Path], Path]] = {
    "gdal": gdal_warning_geojson, "openpyxl": openpyxl_warning_xlsx, "numpy": huge_polygons_geojson}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("source", WARNING_FILES)
def test_library_warnings_are_not_shown(store, tmp_path, lang, source):
    path = WARNING_FILES[source](tmp_path)
    started = time.monotonic()
    commands = (("validate", ()), ("diff", ("--fix",)), ("import", ()), ("import", ("--fix",)))
    for kind in ("posts", "countries"):  # polygons of 1e308 repaired with --fix: overflows in the diff
        for command, options in commands:
            cli(store, command, path, lang, *options, kind=kind)  # no warning raised or written
    assert time.monotonic() - started < 120  # coordinates of 1e308: seconds, not minutes


@pytest.mark.parametrize("source", WARNING_FILES)
def test_library_warnings_are_not_printed_by_the_command(store, tmp_path, source):
    """The real command in its own process, where nothing captures warnings (pytest does)."""
    path = WARNING_FILES[source](tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", "from mapping.cli import main; main()", "layers", "validate", str(path),
         "--kind", "posts", "--store", str(store), "--lang", "fr"],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    assert not LIBRARY_NOISE.search(done.stdout + done.stderr), done.stdout + done.stderr


@pytest.mark.parametrize("lang", LANGS)
def test_a_header_only_csv_is_an_error_of_validation_too(store, tmp_path, lang):
    path = posts_csv(tmp_path, [])
    assert read_vector(path).empty
    refused(store, path, lang, "no_features")


# ------------------------------------------------------------------ 6. limits
@pytest.mark.parametrize("lang", LANGS)
def test_a_csv_above_the_byte_limit_is_refused_before_it_is_read(store, tmp_path, lang):
    path = tmp_path / "posts.csv"
    with path.open("wb") as handle:  # 629 MB, sparse: nothing is written to the disk
        handle.write(f"{HEADER}\n".encode())
        handle.truncate(629 * 1024**2)
    started = time.monotonic()
    read_error(path, "too_large", size_mb=629.0, limit_mb=100.0)
    refused(store, path, lang, "629", "100")
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("lang", LANGS)
def test_rows_and_cells_past_the_limits_stop_the_reading(store, tmp_path, lang, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 40)
    rows = [f"MLI-{i},Poste {i},MLI,operational,15.{i},-9.{i}" for i in range(100, 160)]
    path = posts_csv(tmp_path, rows)
    read_error(path, "too_many_rows", row=42, limit=40)
    refused(store, path, lang, "42", "40")
    monkeypatch.setattr(readers, "MAX_CELLS", 100)
    read_error(path, "too_many_cells", limit=100)
    refused(store, path, lang, "100")


@pytest.mark.parametrize("fmt", ["gpkg", "kml", "shp"])
def test_a_layer_of_more_features_than_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch, fmt):
    monkeypatch.setattr(readers, "MAX_ROWS", 2)
    path = tmp_path / f"posts.{fmt}"
    posts_frame().to_file(path, driver={"gpkg": "GPKG", "kml": "KML", "shp": "ESRI Shapefile"}[fmt],
                          engine="pyogrio")
    read_error(path, "too_many_features", count=3, limit=2)


def xlsx_bomb(tmp_path: Path, cells: list[str]) -> Path:
    """A workbook of a few KB with values in ``cells`` (``XFD1048576``: the sheet's last cell)."""
    book = openpyxl.Workbook()
    for cell in cells:
        book.active[cell] = 1
    path = tmp_path / "posts.xlsx"
    book.save(path)
    assert path.stat().st_size < 10_000
    return path


@pytest.mark.parametrize("lang", LANGS)
def test_an_xlsx_bomb_is_refused_in_bounded_memory(tmp_path, lang):
    """The read runs in a process that may not use more than 2 GiB (it took 7.8 GB)."""
    path = xlsx_bomb(tmp_path, ["A1", "XFD1048576"])
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))\n"
        "from mapping.layers.readers import read_vector\n"
        "from mapping.layers.findings import LayerReadError\n"
        "try:\n"
        "    read_vector(sys.argv[1])\n"
        "except LayerReadError as err:\n"
        "    print(err.code)\n"
        "    print(err.message(sys.argv[2]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", script, str(path), lang], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    code, message = done.stdout.splitlines()[:2]
    assert code == "too_many_rows" and "MemoryError" not in done.stdout + done.stderr
    assert {"en": "1,048,576", "fr": "1 048 576"}[lang] in plain(message) and "100" in message


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("cells", "code", "number"), [
    (["A1", "XFD1048576"], "too_many_rows", 1048576),  # a value in the sheet's last row
    ([f"{c}{r}" for c in ("A", "XFD") for r in range(1, 200)], "too_many_cells", 16384),  # its last column
])
def test_xlsx_bombs_are_refused_by_the_command(store, tmp_path, lang, cells, code, number):
    path = xlsx_bomb(tmp_path, cells)
    read_error(path, code)
    refused(store, path, lang, f"{number:,}".replace(",", {"en": ",", "fr": " "}[lang]))
