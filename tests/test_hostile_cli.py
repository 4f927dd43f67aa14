"""The `bordermap` command line against hostile values, stores and outputs: a clear message in
the chosen language, the right exit code, nothing lost, nothing half-written."""

from __future__ import annotations

import csv
import errno
import gc
import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from conftest import sha256_of

from mapping.cli import main
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.store import CommitInfo
from mapping.layers.user_store import DEMO_RASTER, demo_dir

LANGS = ("en", "fr")
NOT_A_STORE = {"en": "is not a bordermap store", "fr": "n’est pas une base bordermap"}
STORE_BLAMED = {"en": "The store", "fr": "La base"}
DISK_FULL = {"en": "the disk is full", "fr": "le disque est plein"}
INCOMPLETE = {"en": "could not be written completely", "fr": "n’a pas pu être écrit entièrement"}
NO_FOLDER = {"en": "does not exist", "fr": "n’existe pas"}
IS_STORE = {"en": "is the store itself", "fr": "est la base elle-même"}
INVALID = {"en": "invalid value for", "fr": "valeur non valable pour"}
HOSTILE_NAMES = {0: '=HYPERLINK("http://example.org/x","clic")', 1: "+cmd|' /C calc'!A0", 2: "@SUM(1)",
                 3: "-2+3"}
ESCAPES = "\x1b]0;pwned\x07Poste\x1b[2J\x1b[31m"


sha = sha256_of


@pytest.fixture
def store(store_copy: Path) -> Path:
    return store_copy


@pytest.fixture
def unraisable(monkeypatch) -> list:
    """Errors Python would print as "Exception ignored in …" (e.g. a ZIP closed on a full disk)."""
    seen: list = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


def run(store: Path, *args: str, lang: str = "en", unraisable: list | None = None):
    """Run ``bordermap ARGS --store STORE --lang LANG`` (``--lang`` last: it must still be known
    when the values before it are checked) and check that no traceback reaches the user."""
    result = CliRunner().invoke(main, [*args, "--store", str(store), "--lang", lang])
    gc.collect()  # a writer left half-closed would complain now
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "Exception ignored" not in result.output, result.output
    assert not unraisable, unraisable
    return result


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# ------------------------------------------------------------------ 1. option values
OUT = "OUT"  # replaced by a file in the test's folder
REFUSED_VALUES = [
    (["shortlist", "--budget", "inf", "--out", OUT], "--budget",
     {"en": "not a finite number", "fr": "n’est pas un nombre fini"}),
    (["shortlist", "--budget", "1e29", "--out", OUT], "--budget",
     {"en": "at most 1,000,000,000,000 USD",
      "fr": "au plus égale à 1\u202f000\u202f000\u202f000\u202f000 USD"}),
    (["shortlist", "--budget", "0", "--out", OUT], "--budget",
     {"en": "more than 0", "fr": "supérieure à 0"}),
    (["shortlist", "--budget", "-5", "--out", OUT], "--budget", {"en": "not -5", "fr": "non -5"}),
    (["shortlist", "--budget", "beaucoup", "--out", OUT], "--budget",
     {"en": "is not a number", "fr": "n’est pas un nombre"}),
    (["shortlist", "--budget", "1e6", "--min-per-country", "MLI=x", "--out", OUT], "--min-per-country",
     {"en": "is not ISO3=N", "fr": "n’est pas de la forme ISO3=N"}),
    (["export", "--budget", "1e40", "--out", OUT], "--budget", {"en": "at most", "fr": "au plus"}),
    (["export", "--top", "0", "--out", OUT], "--top", {"en": "from 1 to", "fr": "entre 1 et"}),
    (["sensitivity", "--samples", "0"], "--samples", {"en": "from 1 to 1,000,000, not 0",
                                                     "fr": "entre 1 et 1\u202f000\u202f000, et non 0"}),
    (["sensitivity", "--samples", "-1"], "--samples", {"en": "not -1", "fr": "non -1"}),
    (["sensitivity", "--samples", "2.5"], "--samples",
     {"en": "not a whole number", "fr": "pas un nombre entier"}),
    (["sensitivity", "--concentration", "0"], "--concentration",
     {"en": "from 0.001 to", "fr": "entre 0,001 et"}),
    (["sensitivity", "--concentration", "nan"], "--concentration",
     {"en": "not a finite number", "fr": "pas un nombre fini"}),
    (["sensitivity", "--concentration", "-inf"], "--concentration",
     {"en": "not a finite number", "fr": "pas un nombre fini"}),
    (["sensitivity", "--seed", "-3"], "--seed", {"en": "not -3", "fr": "non -3"}),
    (["score", "--top", "-1"], "--top", {"en": "not -1", "fr": "non -1"}),
    (["layers", "rollback", "10^30"], "VERSION", {"en": "not a whole number", "fr": "pas un nombre entier"}),
    (["layers", "rollback", "1" + "0" * 30], "VERSION",
     {"en": "from 1 to 9223372036854775807", "fr": "entre 1 et 9223372036854775807"}),
    (["layers", "rollback", "0"], "VERSION", {"en": "not 0", "fr": "non 0"}),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("args,option,words", REFUSED_VALUES,
                         ids=[" ".join(a[:3]) for a, _, _ in REFUSED_VALUES])
def test_a_refused_option_value_is_told_in_the_chosen_language(store, tmp_path, unraisable, lang,
                                                                args, option, words):
    out = tmp_path / "out.csv"
    before = sha(store)
    result = run(store, *[str(out) if a == OUT else a for a in args], lang=lang, unraisable=unraisable)
    assert result.exit_code == 1, result.output
    text = result.output
    assert INVALID[lang] in text and option in text and words[lang] in text, text
    assert "--help" in text
    assert not out.exists() and sha(store) == before


def test_the_language_of_a_refused_value_also_comes_from_the_environment(store, monkeypatch):
    monkeypatch.setenv("BORDERMAP_LANG", "fr")
    result = CliRunner().invoke(main, ["sensitivity", "--samples", "0", "--store", str(store)])
    assert result.exit_code == 1 and "valeur non valable pour --samples" in result.output


@pytest.mark.parametrize("lang,budget", [("en", "1e6"), ("en", "1,000,000"), ("fr", "1 000 000"),
                                         ("fr", "1000000,5"), ("en", "1_000_000")])
def test_budgets_as_people_write_them_are_accepted(store, tmp_path, unraisable, lang, budget):
    out = tmp_path / "short.csv"
    result = run(store, "shortlist", "--budget", budget, "--out", str(out), lang=lang,
                 unraisable=unraisable)
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_a_valid_sensitivity_is_not_degenerate(store, unraisable):
    result = run(store, "sensitivity", "--samples", "200", "--concentration", "2", "--top", "3",
                 unraisable=unraisable)
    assert result.exit_code == 0, result.output
    assert "rank 1 to 1, in the top in 100 %" not in result.output.splitlines()[-1]


# ------------------------------------------------------------------ 2. a damaged store
def damage_history(store: Path, kind: str = "posts", column: str = "added") -> int:
    """Write a value that is not JSON in the ``column`` of ``kind``'s last version; its number."""
    version = GeoPackageStore(store).history(kind)[-1].version
    with sqlite3.connect(store) as db:
        db.execute(f"UPDATE bordermap_versions SET {column} = 'not json {{' WHERE version = ?", (version,))
    return version


DAMAGED = {"en": "Version {v} in the store's history is damaged",
           "fr": "La version {v} de l’historique de la base est abîmée"}
COMMANDS_ON_A_DAMAGED_STORE = [
    ["layers", "list"], ["layers", "list", "--format", "json"], ["layers", "history"],
    ["layers", "history", "--kind", "roads"], ["score", "--top", "3"], ["export", "--out", OUT],
    ["shortlist", "--budget", "500000", "--out", OUT], ["sensitivity", "--samples", "20"],
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("args", COMMANDS_ON_A_DAMAGED_STORE, ids=" ".join)
def test_a_damaged_history_row_is_reported_and_the_rest_works(store, tmp_path, unraisable, lang, args):
    version = damage_history(store)
    before = sha(store)
    out = tmp_path / "out.csv"
    result = run(store, *[str(out) if a == OUT else a for a in args], lang=lang, unraisable=unraisable)
    assert result.exit_code == 0, result.output
    assert DAMAGED[lang].format(v=version) in result.output
    assert "added" in result.output  # the column that cannot be read
    if OUT in args:  # an export writes one record in the audit log, and nothing else
        assert out.exists() and len(GeoPackageStore(store).records("audit")) == 1
        assert GeoPackageStore(store).damaged_versions() == {version: "added"}
    else:
        assert sha(store) == before


@pytest.mark.parametrize("lang", LANGS)
def test_a_damaged_version_is_not_restored_and_another_is(store, unraisable, lang):
    opened = GeoPackageStore(store)
    first_roads = opened.history("roads")[-1].version
    opened.commit_layer("roads", opened.read("roads").iloc[:-1], CommitInfo("test", action="update"))
    version = damage_history(store)
    before = sha(store)
    result = run(store, "layers", "rollback", str(version), lang=lang, unraisable=unraisable)
    assert result.exit_code == 1
    said = {"en": f"Version {version} is damaged", "fr": f"La version {version} est abîmée"}[lang]
    assert said in result.output
    assert sha(store) == before
    result = run(store, "layers", "rollback", str(first_roads), lang=lang, unraisable=unraisable)
    assert result.exit_code == 0, result.output
    assert len(opened.read("roads")) == len(opened.history("roads")[0].added)


def test_the_layer_of_a_damaged_version_is_still_listed(store, unraisable):
    damage_history(store)
    result = run(store, "layers", "list", unraisable=unraisable)
    assert result.exit_code == 0
    assert any(line.startswith("border posts") and "v?" in line for line in result.output.splitlines())


def test_a_raster_named_outside_the_raster_folder_is_damage_not_a_path(store, unraisable):
    version = GeoPackageStore(store).history("population")[-1].version
    with sqlite3.connect(store) as db:
        db.execute("UPDATE bordermap_versions SET stored_file = '../../../etc/passwd' WHERE version = ?",
                   (version,))
    assert GeoPackageStore(store).raster_source() is None
    assert version in GeoPackageStore(store).damaged_versions()


def not_a_store(folder: Path, what: str) -> Path:
    path = folder / "bad.gpkg"
    if what == "empty":
        path.write_bytes(b"")
    elif what == "sqlite":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (text TEXT)")
        db.close()
    else:
        path.write_text("post_id,name\nMRT-KOB,Kobenni\n", encoding="utf-8")
    return path


BAD_STORE_COMMANDS = [["layers", "list"], ["layers", "history"], ["layers", "rollback", "1"],
                      ["score"], ["export", "--out", OUT], ["shortlist", "--budget", "1e6", "--out", OUT],
                      ["sensitivity", "--samples", "10"],
                      ["layers", "import", "RASTER", "--kind", "population"],
                      ["layers", "export", "posts", "--to", OUT], ["layers", "clear", "posts", "--yes"],
                      ["project", "show"], ["project", "set", "--name", "G5"]]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("what", ["empty", "sqlite", "text"])
@pytest.mark.parametrize("args", BAD_STORE_COMMANDS, ids=" ".join)
def test_a_file_that_is_not_a_geopackage_is_refused_as_a_store(tmp_path, unraisable, lang, what, args):
    bad = not_a_store(tmp_path, what)
    before = sha(bad)
    out = tmp_path / "out" / "out.csv"
    out.parent.mkdir()
    raster = demo_dir() / DEMO_RASTER
    result = run(bad, *[str(out) if a == OUT else str(raster) if a == "RASTER" else a for a in args],
                 lang=lang, unraisable=unraisable)
    assert result.exit_code == 2, result.output
    assert NOT_A_STORE[lang] in result.output
    assert sha(bad) == before
    assert files_in(tmp_path) == {"bad.gpkg", "out"} and not files_in(out.parent)  # no rasters folder


# ------------------------------------------------------------------ 3. outputs
OUTPUT_COMMANDS = {
    "score": ["score", "--out", OUT],
    "shortlist": ["shortlist", "--budget", "1e6", "--out", OUT],
    "sensitivity": ["sensitivity", "--samples", "10", "--out", OUT],
    "layers export": ["layers", "export", "posts", "--to", OUT],
    "export": ["export", "--out", OUT],
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
@pytest.mark.parametrize("command", list(OUTPUT_COMMANDS))
def test_a_missing_output_folder_is_not_blamed_on_the_store(store, tmp_path, unraisable, lang, suffix,
                                                            command):
    out = tmp_path / "no such folder" / f"out.{suffix}"
    before = sha(store)
    result = run(store, *[str(out) if a == OUT else a for a in OUTPUT_COMMANDS[command]], lang=lang,
                 unraisable=unraisable)
    assert result.exit_code == 2, result.output
    assert str(out) in result.output and NO_FOLDER[lang] in result.output
    assert STORE_BLAMED[lang] not in result.output
    assert sha(store) == before and not out.parent.exists()


def disk_fills(monkeypatch, at: int = 100) -> None:
    """Every write of more than ``at`` bytes to a file writes ``at`` bytes, then fails as on a
    full disk (ENOSPC), whoever writes: pandas, openpyxl's ZIP, ``Path.write_bytes``, shutil."""
    real_open = open

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            if len(data) > at:
                self.handle.write(data[:at])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.handle.write(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def __iter__(self):
            return iter(self.handle)

    def full_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        return Full(handle) if any(m in mode for m in "wax") else handle

    import builtins
    import io

    monkeypatch.setattr(builtins, "open", full_open)
    monkeypatch.setattr(io, "open", full_open)

    def full_copy(src, dst, *args, **kwargs):
        with real_open(dst, "wb") as sink:
            sink.write(b"\0" * at)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(shutil, "copyfile", full_copy)

    def full_gdal(frame, path, *args, **kwargs):
        Path(path).write_bytes(b"\0" * at)
        raise pyogrio.errors.DataSourceError(f"Failed to write features to dataset {path}; "
                                             "No space left on device")

    monkeypatch.setattr(pyogrio, "write_dataframe", full_gdal)


FULL_DISK_CASES = [("score", "csv"), ("score", "xlsx"), ("shortlist", "csv"), ("shortlist", "xlsx"),
                   ("sensitivity", "xlsx"), ("layers export", "csv"), ("layers export", "xlsx"),
                   ("layers export", "gpkg"), ("layers export", "geojson"), ("export", "csv"),
                   ("export", "xlsx"), ("export", "kmz"), ("export", "gpkg"), ("export", "geojson"),
                   ("population", "tif")]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("command,suffix", FULL_DISK_CASES, ids=[f"{c} {s}" for c, s in FULL_DISK_CASES])
def test_a_full_disk_leaves_the_previous_file_and_no_partial_one(store, tmp_path, monkeypatch, unraisable,
                                                                 lang, command, suffix):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / f"out.{suffix}"
    out.write_bytes(b"the previous file")
    before = sha(store)
    args = (["layers", "export", "population", "--to", OUT] if command == "population"
            else OUTPUT_COMMANDS[command])
    if command == "export":  # build the export in memory first, so only the write meets the full disk
        monkeypatch.setattr("mapping.cli.export.write_export", _write_export_on_full_disk(monkeypatch))
    else:
        disk_fills(monkeypatch)
    result = run(store, *[str(out) if a == OUT else a for a in args], lang=lang, unraisable=unraisable)
    assert result.exit_code == 2, result.output
    assert str(out) in result.output and DISK_FULL[lang] in result.output, result.output
    assert STORE_BLAMED[lang] not in result.output
    assert out.read_bytes() == b"the previous file"
    assert files_in(folder) == {out.name}  # no partial file, no record beside it
    assert sha(store) == before


def _write_export_on_full_disk(monkeypatch):
    from mapping.exports import write

    def write_export(*args, **kwargs):
        disk_fills(monkeypatch)
        return write.write_export(*args, **kwargs)

    return write_export


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("suffix", ["csv", "kml"])
def test_a_gis_file_that_gdal_truncated_silently_is_not_kept(store, tmp_path, monkeypatch, unraisable,
                                                            lang, suffix):
    """GDAL's CSV and KML drivers say nothing when the disk fills: the file is read back."""
    real = pyogrio.write_dataframe

    def truncating(frame, path, *args, **kwargs):
        real(frame, path, *args, **kwargs)
        data = Path(path).read_bytes()
        Path(path).write_bytes(data[: len(data) // 3])

    monkeypatch.setattr(pyogrio, "write_dataframe", truncating)
    out = tmp_path / f"posts.{suffix}"
    result = run(store, "layers", "export", "posts", "--to", str(out), lang=lang, unraisable=unraisable)
    assert result.exit_code == 2, result.output
    assert INCOMPLETE[lang] in result.output and str(out) in result.output
    assert files_in(tmp_path) == {"store"}


def test_an_unwritable_output_names_the_file_and_the_permission(store, tmp_path, monkeypatch, unraisable):
    def refused(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(os, "replace", refused)
    out = tmp_path / "ranking.csv"
    result = run(store, "score", "--out", str(out), lang="fr", unraisable=unraisable)
    assert result.exit_code == 2
    assert "permission refusée" in result.output and str(out) in result.output
    assert files_in(tmp_path) == {"store"}


# ------------------------------------------------------------------ 4. the store as an output
def links_to_the_store(store: Path, tmp_path: Path, suffix: str) -> list[Path]:
    hard = tmp_path / f"hard.{suffix}"
    os.link(store, hard)
    soft = tmp_path / f"soft.{suffix}"
    soft.symlink_to(store)
    return [store, hard, soft, store.with_name(f"{store.name}-wal")]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("command,suffix", [("export", "gpkg"), ("export", "csv"), ("score", "csv"),
                                            ("shortlist", "xlsx"), ("layers export", "gpkg"),
                                            ("layers export", "csv"), ("sensitivity", "csv")])
def test_the_store_its_files_and_links_to_it_are_refused_as_outputs(store, tmp_path, unraisable, lang,
                                                                   command, suffix):
    before = sha(store)
    for target in links_to_the_store(store, tmp_path, suffix):
        args = [str(target) if a == OUT else a for a in OUTPUT_COMMANDS[command]]
        result = run(store, *args, lang=lang, unraisable=unraisable)
        assert result.exit_code == 1, (target, result.output)
        assert IS_STORE[lang] in result.output, result.output
        assert sha(store) == before
    assert not store.with_name(f"{store.name}-wal").exists()


def test_a_stored_raster_is_refused_as_an_output(store, unraisable):
    raster = Path(GeoPackageStore(store).raster_source())
    before = sha(raster)
    result = run(store, "layers", "export", "population", "--to", str(raster), unraisable=unraisable)
    assert result.exit_code == 1 and IS_STORE["en"] in result.output
    assert sha(raster) == before


# ------------------------------------------------------------------ 5. formulas in layer exports
def with_hostile_names(store: Path) -> list[str]:
    opened = GeoPackageStore(store)
    posts = opened.read("posts")
    for row, name in HOSTILE_NAMES.items():
        posts.loc[posts.index[row], "name"] = name
    posts.loc[posts.index[4], "name"] = ESCAPES
    opened.commit_layer("posts", posts, CommitInfo("test"))
    return list(posts["post_id"])


@pytest.mark.parametrize("lang", LANGS)
def test_layer_export_to_csv_neutralises_formulas(store, tmp_path, unraisable, lang):
    ids = with_hostile_names(store)
    out = tmp_path / "posts.csv"
    assert run(store, "layers", "export", "posts", "--to", str(out), lang=lang,
               unraisable=unraisable).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["post_id"]: row for row in csv.DictReader(handle)}
    for index, name in HOSTILE_NAMES.items():
        assert rows[ids[index]]["name"] == "'" + name
    texts = [value for row in rows.values() for key, value in row.items() if key not in ("X", "Y")]
    assert not [text for text in texts if text.startswith(("=", "+", "-", "@"))]
    assert "\x1b" not in out.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("lang", LANGS)
def test_layer_export_to_xlsx_neutralises_formulas_and_reads_back(store, tmp_path, unraisable, lang):
    ids = with_hostile_names(store)
    out = tmp_path / "posts.xlsx"
    assert run(store, "layers", "export", "posts", "--to", str(out), lang=lang,
               unraisable=unraisable).exit_code == 0
    sheet = openpyxl.load_workbook(out).active
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["X", "Y"]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    names = {row[header.index("post_id")]: row[header.index("name")]
             for row in sheet.iter_rows(min_row=2, values_only=True)}
    for index, name in HOSTILE_NAMES.items():
        assert names[ids[index]] == "'" + name
    assert "\x1b" not in names[ids[4]]
    frame = pd.read_excel(out)
    assert len(frame) == len(ids) and frame["X"].notna().all()


def test_layer_export_to_a_gis_format_keeps_names_as_they_are(store, tmp_path, unraisable):
    ids = with_hostile_names(store)
    out = tmp_path / "posts.geojson"
    assert run(store, "layers", "export", "posts", "--to", str(out), unraisable=unraisable).exit_code == 0
    names = pyogrio.read_dataframe(out).set_index("post_id")["name"]
    for index, name in HOSTILE_NAMES.items():
        assert names[ids[index]] == name


# ------------------------------------------------------------------ 6. terminal escapes
@pytest.mark.parametrize("lang", LANGS)
def test_escape_sequences_in_names_are_shown_not_obeyed(store, tmp_path, unraisable, lang):
    with_hostile_names(store)
    for args in (["score", "--top", "20"], ["sensitivity", "--samples", "10", "--top", "20"],
                 ["shortlist", "--budget", "1e7", "--out", str(tmp_path / "s.csv")]):
        result = run(store, *args, lang=lang, unraisable=unraisable)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\u001b]0;pwned\\u0007Poste\\u001b[2J" in run(store, "score", "--top", "100").output


def test_escape_sequences_in_a_refused_value_are_shown_not_obeyed(store, unraisable):
    result = run(store, "shortlist", "--budget", "\x1b[2J", "--out", "x.csv", unraisable=unraisable)
    assert result.exit_code == 1 and "\x1b" not in result.output and "\\u001b[2J" in result.output


def test_json_output_keeps_a_name_with_control_characters_as_valid_json(store, unraisable):
    with_hostile_names(store)
    opened = GeoPackageStore(store)
    posts = opened.read("posts")
    posts.loc[posts.index[5], "name"] = "Poste\x7f\x9b\u202eesrever"
    opened.commit_layer("posts", posts, CommitInfo("t\x1b[2Jester\x9b"))
    result = run(store, "layers", "history", "--format", "json", unraisable=unraisable)
    assert result.exit_code == 0
    assert not {"\x1b", "\x7f", "\x9b", "\u202e"} & set(result.output)
    assert json.loads(result.output)[-1]["user"] == "t\x1b[2Jester\x9b"
