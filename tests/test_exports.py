"""Spreadsheet, GIS and KML exports opened with real readers, in English and French; a hostile
post name stays inert text in every format; every export carries its record."""

from __future__ import annotations

import json
import zipfile
from html import escape

import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from conftest import plain
from openpyxl import load_workbook

from mapping.cli import main
from mapping.exports.bundle import build_bundle
from mapping.exports.errors import ExportError
from mapping.exports.reproduce import read_record
from mapping.exports.write import export_download, write_export
from mapping.layers.importing import import_file
from mapping.layers.user_store import open_store
from mapping.scoring.profile import load_profile, profile_from_dict

EVIL = '=HYPERLINK("http://x","y")<b>x</b>'
EVIL_POST = "MRT-KOB"
BUDGET = 500_000.0


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The demo store with one post renamed to a formula wrapped in HTML."""
    folder = tmp_path_factory.mktemp("store")
    store = open_store(folder / "store.gpkg")
    posts = store.read("posts")
    posts.loc[posts["post_id"] == EVIL_POST, "name"] = EVIL
    posts.to_file(folder / "posts.gpkg")
    assert import_file(folder / "posts.gpkg", "posts", store, user="test").version is not None
    return store


@pytest.fixture(scope="module")
def bundles(store):
    return {lang: build_bundle(store, load_profile(), lang, budget=BUDGET, samples=200)
            for lang in ("en", "fr")}


def test_csv_in_english_with_the_hxl_row(bundles, tmp_path):
    path = write_export(bundles["en"], tmp_path / "ranking.csv", hxl=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel shows accents
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    tags = table.iloc[0]
    assert tags["Post id"] == "#loc+code" and tags["Post"] == "#loc+name"
    assert tags["Country"] == "#country+code" and tags["Latitude"] == "#geo+lat"
    assert tags["Rehabilitation cost (USD)"] == "#value+cost+usd"
    assert tags["people within 20 km"] == "#indicator+pop_20km+num"
    rows = table.iloc[1:].set_index("Post id")
    assert rows.loc[EVIL_POST, "Post"] == "'" + EVIL  # inert in Excel, the text kept whole
    assert list(rows["Rank"].astype(int)) == list(range(1, len(rows) + 1))
    assert float(rows.iloc[0]["Score"]) == pytest.approx(bundles["en"].posts["score"].iloc[0], abs=1e-4)
    assert set(rows["Shortlisted"]) == {"yes", "no"}
    record = json.loads((tmp_path / "ranking.record.json").read_text(encoding="utf-8"))
    assert record["ranks"] == bundles["en"].record.ranks


def test_csv_in_french_uses_semicolons_and_decimal_commas(bundles, tmp_path):
    path = write_export(bundles["fr"], tmp_path / "classement.csv")
    text = path.read_text(encoding="utf-8-sig")
    header = text.splitlines()[0].split(";")
    assert header[:8] == ["Identifiant du poste", "Poste", "Pays", "Statut", "Latitude", "Longitude",
                          "Rang", "Score"]
    table = pd.read_csv(path, encoding="utf-8-sig", sep=";", decimal=",")
    assert table["Score"].dtype == float and table["Latitude"].between(8, 28).all()
    assert ";0," in text  # scores with a decimal comma
    assert table.loc[table["Identifiant du poste"] == EVIL_POST, "Poste"].item() == "'" + EVIL
    assert "dégradé" in set(table["Statut"])  # values in French too


@pytest.mark.parametrize(("lang", "sheets", "ranking"), [
    ("en", ["Shortlist", "Full ranking", "Per country", "Per border", "Method and weights", "Sensitivity",
            "Data sources"], "Full ranking"),
    ("fr", ["Liste retenue", "Classement complet", "Par pays", "Par frontière", "Méthode et poids",
            "Sensibilité", "Sources des données"], "Classement complet"),
])
def test_xlsx_sheets_formats_and_budget_arithmetic(bundles, tmp_path, lang, sheets, ranking):
    bundle = bundles[lang]
    path = write_export(bundle, tmp_path / "export.xlsx")
    book = load_workbook(path)
    visible = [s.title for s in book.worksheets if s.sheet_state == "visible"]
    assert visible == sheets
    for title in sheets:
        sheet = book[title]
        assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    full = book[ranking]
    header = [c.value for c in full[1]]
    score_col = header.index("Score") + 1
    assert full.cell(2, score_col).number_format == "#,##0.000"
    cost_title = "Coût de réhabilitation (USD)" if lang == "fr" else "Rehabilitation cost (USD)"
    cost_col = header.index(cost_title) + 1
    assert full.cell(2, cost_col).number_format == "#,##0"
    assert full.column_dimensions["L"].width > 20  # the explanation column is widened
    names = {row[0].value: row[1].value for row in full.iter_rows(min_row=2)}
    assert names[EVIL_POST] == "'" + EVIL
    assert all(not str(c.value).startswith("=") for row in full.iter_rows() for c in row if c.value)

    short = pd.read_excel(path, sheet_name=sheets[0])
    cost, total, left = short.columns[5], short.columns[6], short.columns[7]
    assert list(short.iloc[:, 1]) == bundle.shortlist.selected
    assert list(short[total]) == pytest.approx(list(short[cost].cumsum()))
    assert list(short[left]) == pytest.approx([BUDGET - v for v in short[total]])
    assert short[left].iloc[-1] == pytest.approx(bundle.shortlist.budget_left)
    assert (short[left] >= 0).all()

    method = pd.read_excel(path, sheet_name=sheets[4])
    assert method.iloc[:7, 3].sum() == pytest.approx(1.0)  # the weights
    assert read_record(path).ranks == bundle.record.ranks


def test_xlsx_method_sheet_shows_the_ahp_consistency_ratio(store, tmp_path):
    profile = profile_from_dict({
        "criteria": [{"indicator": "pop_20km", "weight": 1}, {"indicator": "unofficial_20km", "weight": 1},
                     {"indicator": "road_km", "direction": "cost", "weight": 1}],
        "ahp": {"matrix": [[1, 3, 5], ["1/3", 1, 3], ["1/5", "1/3", 1]]}})
    bundle = build_bundle(store, profile, "fr", samples=50)
    path = write_export(bundle, tmp_path / "ahp.xlsx")
    rows = list(load_workbook(path)["Méthode et poids"].iter_rows())
    ratio = next(row[1] for row in rows
                 if row[0].value and str(row[0].value).startswith("Ratio de cohérence AHP"))
    assert ratio.value == pytest.approx(profile.ahp.consistency_ratio)  # a number, with its own precision
    assert ratio.number_format == "0.0000"
    assert "Liste retenue" not in load_workbook(path).sheetnames  # no budget, no shortlist sheet


@pytest.mark.parametrize("suffix", ["gpkg", "geojson"])
def test_gis_files_carry_every_indicator_and_the_record(bundles, tmp_path, suffix):
    bundle = bundles["fr"]
    path = write_export(bundle, tmp_path / f"posts.{suffix}")
    frame = pyogrio.read_dataframe(path, layer="ranked_posts" if suffix == "gpkg" else None)
    assert frame.crs.to_epsg() == 4326 and len(frame) == len(bundle.posts)
    expected = {"post_id", "score", "rank", "explanation", "shortlisted", *bundle.indicators.attrs["units"]}
    assert expected <= set(frame.columns)
    assert list(frame["rank"]) == list(range(1, len(frame) + 1))
    assert frame.loc[frame["post_id"] == EVIL_POST, "name"].item() == EVIL  # text, unchanged
    assert frame["explanation"].iloc[0].startswith("1er")
    assert set(frame.loc[frame["shortlisted"], "post_id"]) == set(bundle.shortlist.selected)
    assert read_record(path).shortlist == bundle.shortlist.selected


@pytest.mark.parametrize("suffix", ["kml", "kmz"])
def test_kml_placemarks_are_coloured_by_rank_and_escape_names(bundles, tmp_path, suffix):
    bundle = bundles["fr"]
    path = write_export(bundle, tmp_path / f"posts.{suffix}")
    frame = pd.concat([pyogrio.read_dataframe(path, layer=name) for name, _ in pyogrio.list_layers(path)],
                      ignore_index=True)  # one layer per rank class (KML folders)
    assert len(frame) == len(bundle.posts)
    assert frame["Name"].iloc[0] == f"1. {bundle.posts['name'].iloc[0]}"
    evil = frame[frame["Name"].str.endswith(EVIL)]
    assert len(evil) == 1  # the name is text in the KML, not markup
    description = evil["description"].item()
    assert "&lt;b&gt;x&lt;/b&gt;" in description and "<b>x</b>" not in description
    assert "habitants à moins de 20 km" in description and "," in plain(description)  # French numbers
    raw = (zipfile.ZipFile(path).read("doc.kml") if suffix == "kmz" else path.read_bytes()).decode()
    assert "<b>x</b>" not in raw
    assert raw.count("<styleUrl>#rank1</styleUrl>") == 10  # the first fifth of 48 ranked posts
    assert "<color>ff2600a5</color>" in raw  # #a50026 as KML aabbggrr
    assert read_record(path).lang == "fr"


def test_html_and_pdf_reports_carry_a_readable_record(bundles, tmp_path):
    for suffix in ("html", "pdf"):
        path = write_export(bundles["en"], tmp_path / f"report.{suffix}")
        assert read_record(path).ranks == bundles["en"].record.ranks


def test_unknown_format_and_file_without_record_are_explained(bundles, tmp_path):
    with pytest.raises(ExportError) as refused:
        write_export(bundles["en"], tmp_path / "ranking.docx")
    assert "csv, xlsx" in refused.value.message("en") and "utilisez" in refused.value.message("fr")
    plain_csv = tmp_path / "plain.csv"
    plain_csv.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ExportError) as missing:
        read_record(plain_csv)
    assert "carries no bordermap record" in missing.value.message("en")
    assert "ne contient pas d’enregistrement" in missing.value.message("fr")


def test_cli_export_in_french(store, tmp_path):
    out = tmp_path / "liste.xlsx"
    result = CliRunner().invoke(main, ["export", "--store", str(store.path), "--lang", "fr", "--budget",
                                       "400000", "--top", "3", "--min-per-country", "MLI=1",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "postes classés" in result.output and "retenus" in result.output
    record = read_record(out)
    assert record.budget == 400000 and record.top_n == 3 and record.min_per_country == {"MLI": 1}
    short = pd.read_excel(out, sheet_name="Liste retenue")
    assert len(short) <= 3 and "MLI" in set(short["Pays"])
    assert short["Total cumulé (USD)"].iloc[-1] <= 400000


def test_cli_refuses_to_export_over_the_store(store):
    result = CliRunner().invoke(main, ["export", "--store", str(store.path), "--format", "gpkg",
                                       "--out", str(store.path)])
    assert result.exit_code == 1 and "choose another file" in result.output


def test_posts_without_a_cost_are_named_where_the_shortlist_is(tmp_path):
    store = open_store(tmp_path / "store.gpkg")
    posts = store.read("posts")
    ranking = build_bundle(store, load_profile(), "fr", samples=20).ranking.table
    top = ranking.index[0]  # the most urgent post, which any budget would take first
    posts.loc[posts["post_id"] == top, "rehab_cost_usd"] = None
    posts.to_file(tmp_path / "posts.gpkg")
    assert import_file(tmp_path / "posts.gpkg", "posts", store, user="test").committed
    bundle = build_bundle(store, load_profile(), "fr", budget=600_000, samples=20)
    assert top in bundle.shortlist.excluded_missing_cost and top not in bundle.shortlist.selected
    book = load_workbook(write_export(bundle, tmp_path / "liste.xlsx"))
    rows = {plain(row[0]): row[1] for row in book["Méthode et poids"].iter_rows(values_only=True) if row[0]}
    assert rows["Écartés de la liste retenue : sans coût de réhabilitation"] == top
    html = write_export(bundle, tmp_path / "rapport.html").read_text(encoding="utf-8")
    name = posts.loc[posts["post_id"] == top, "name"].item()
    assert "n’ont pas pu être retenus" in html
    assert escape(name) in html.split("n’ont pas pu être retenus")[1][:300]  # N'Djamena, escaped


def test_a_download_from_the_app_is_the_same_file_and_a_csv_travels_with_its_record(bundles, tmp_path):
    name, content, media_type = export_download(bundles["fr"], "bordermap-fr", "csv")
    assert (name, media_type) == ("bordermap-fr-csv.zip", "application/zip")
    archive = tmp_path / name
    archive.write_bytes(content)
    with zipfile.ZipFile(archive) as files:
        assert sorted(files.namelist()) == ["bordermap-fr.csv", "bordermap-fr.record.json"]
    name, content, media_type = export_download(bundles["en"], "bordermap-en", "xlsx")
    assert name == "bordermap-en.xlsx" and content[:2] == b"PK" and media_type.endswith("spreadsheetml.sheet")
