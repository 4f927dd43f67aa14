"""The report and the workbook summarise per country and per border (posts, shortlisted, cost),
with one map per border; opened in their programs (pdftotext, LibreOffice); the whole G5 on
the real reference data."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
from conftest import plain
from openpyxl import load_workbook

from mapping.exports.bundle import build_bundle
from mapping.exports.report_content import Image, Section, Table, report_content
from mapping.exports.summary import summary
from mapping.exports.write import write_export
from mapping.i18n import t
from mapping.layers.borders import served_borders
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.importing import import_file
from mapping.scoring.indicators import compute_indicators
from mapping.scoring.pipeline import indicator_params, layers_from_layers
from mapping.scoring.profile import load_profile
from mapping.scoring.selection import Selection
from mapping.scoring.shortlist import ShortlistInfeasible

BUDGET = 1_500_000
G5_BORDERS = ("BFA-MLI", "BFA-NER", "MLI-MRT", "MLI-NER", "NER-TCD")
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None,
                                   reason="LibreOffice (soffice) is not installed")


@pytest.fixture(scope="module")
def store(demo_store_folder) -> GeoPackageStore:
    return GeoPackageStore(demo_store_folder / "store.gpkg")


@pytest.fixture(scope="module")
def bundles(store):
    return {lang: build_bundle(store, load_profile(), lang, budget=BUDGET, samples=50,
                               max_per_border={"MLI-MRT": 1}) for lang in ("en", "fr")}


def section(content, key: str, lang: str) -> Section:
    return next(s for s in content.sections if s.title == t(key, lang))


def test_the_summaries_count_posts_and_costs_per_country_and_per_border(bundles, store):
    bundle = bundles["en"]
    posts = store.read("posts")
    border = served_borders(posts, store.read("borders")).set_axis(posts["post_id"])
    by_border = summary(bundle, "border_id").set_index("code")
    ranked = bundle.posts
    for code, row in by_border.iterrows():
        mine = ranked[ranked["border_id"] == code]
        assert row["posts"] == len(mine) and set(mine.index) <= set(border.index[border == code])
        assert row["cost_usd"] == pytest.approx(mine["rehab_cost_usd"].sum())
        chosen = mine[mine.index.isin(bundle.shortlist.selected)]
        assert row["shortlisted_posts"] == len(chosen) == bundle.shortlist.per_border[code]
        assert row["shortlist_cost_usd"] == pytest.approx(chosen["rehab_cost_usd"].sum())
    assert by_border.loc["MLI-MRT", "shortlisted_posts"] == 1  # the limit holds (2 without it)
    assert by_border.loc["MLI-MRT", "label"] == "Mali – Mauritania"
    by_country = summary(bundle, "iso3").set_index("code")
    assert by_country["posts"].sum() == len(ranked) == by_border["posts"].sum()
    assert by_country["shortlist_cost_usd"].sum() == pytest.approx(bundle.shortlist.total_cost)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_report_has_the_tables_and_one_map_per_border(bundles, lang):
    bundle = bundles[lang]
    content = report_content(bundle)
    tables = [b for b in section(content, "report.summary.title", lang).blocks if isinstance(b, Table)]
    assert len(tables) == 2
    countries, borders = tables
    assert countries.headers[0] == t("report.col.country", lang)
    assert borders.headers[0] == t("report.col.border", lang)
    served = sorted(set(bundle.posts["border_id"].dropna()))
    assert len(borders.rows) == len(served) + 1  # one row per border and the total
    assert borders.rows[-1][0] == t("report.summary.total", lang)
    total = plain(borders.rows[-1][2])
    expected = bundle.posts["rehab_cost_usd"].sum()
    assert total == (f"{expected:,.0f}" if lang == "en" else f"{expected:,.0f}".replace(",", " "))
    maps = [b for b in section(content, "report.borders.title", lang).blocks if isinstance(b, Image)]
    assert len(maps) == len(served) >= 10  # every border of the G5 demo that has posts
    assert all(m.png.startswith(b"\x89PNG") for m in maps)
    assert all(f"({code})" in m.caption for code, m in zip(served, maps, strict=True))
    assert len({m.png for m in maps}) == len(maps)  # each fitted to its own posts
    shortlist = section(content, "report.shortlist.title", lang)
    limits = plain(" ".join(b for b in shortlist.blocks if isinstance(b, str)))
    assert "(MLI-MRT)" in limits and "1" in limits
    assert t("report.selection", lang, selection=t("selection.all", lang)) in content.intro


@needs_pdftotext
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_pdf_report_shows_the_tables_per_border(bundles, tmp_path, lang):
    out = write_export(bundles[lang], tmp_path / "report.pdf")
    text = plain(subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                                check=True).stdout)
    for key in ("report.summary.title", "report.summary.countries", "report.summary.borders",
                "report.borders.title", "export.col.shortlist_cost_usd"):
        assert plain(t(key, lang)) in text, key
    assert ("Mali – Mauritanie (MLI-MRT)" if lang == "fr" else "Mali – Mauritania (MLI-MRT)") in text


def test_a_selection_is_said_in_the_report_and_ranks_only_its_posts(store):
    chosen = Selection.of([], ["NER-TCD"])
    bundle = build_bundle(store, load_profile(), "fr", top_n=1, samples=20, selection=chosen)
    assert list(bundle.posts.index) == ["NER-NGG"] and bundle.record.borders == ["NER-TCD"]
    content = report_content(bundle)
    assert any("Niger – Tchad (NER-TCD)" in line for line in content.intro)
    method = " ".join(b for b in section(content, "report.method.title", "fr").blocks if isinstance(b, str))
    assert "remis à l’échelle sur ces seuls postes" in method


@needs_soffice
def test_the_workbook_has_sheets_per_country_and_per_border_and_opens_in_libreoffice(bundles, tmp_path):
    for lang in ("en", "fr"):
        path = write_export(bundles[lang], tmp_path / f"workbook-{lang}.xlsx")
        book = load_workbook(path)
        sheet = book[t("export.sheet.borders", lang)]
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert rows[0][:3] == [t(f"export.col.{c}", lang) for c in ("code", "label", "posts")]
        assert [r[0] for r in rows[1:]] == sorted(set(bundles[lang].posts["border_id"].dropna()))
        assert sheet.cell(2, 4).number_format == "#,##0"  # the cost, shown in the reader's own separators
        assert t("export.sheet.countries", lang) in book.sheetnames
    folder = tmp_path / "pdf"
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                    str(tmp_path / "workbook-fr.xlsx")], check=True, capture_output=True, timeout=180)
    text = plain(subprocess.run(["pdftotext", "-layout", str(folder / "workbook-fr.pdf"), "-"],
                                capture_output=True, text=True, check=True).stdout)
    assert "Par frontière" in text and "Mali – Mauritanie" in text and "Coût de la liste restreinte" in text


def g5_store(shared_data: Path, folder: Path) -> GeoPackageStore:
    """A store of the real G5 countries and border lines, with a hypothetical post at each real
    road–border intersection (in the first country of the pair; costs made up, seeded)."""
    reference = shared_data / "sahel_reference.gpkg"
    store = GeoPackageStore(folder / "g5.gpkg")
    for layer, kind in (("countries", "countries"), ("boundary_lines", "borders")):
        assert import_file(reference, kind, store, user="test", layer=layer).committed
    crossings = pyogrio.read_dataframe(reference, layer="road_border_intersections")
    rng = np.random.default_rng(13)
    posts = gpd.GeoDataFrame({
        "post_id": crossings["crossing_id"], "name": "Post " + crossings["crossing_id"],
        "iso3": crossings["iso3_a"], "status": "operational",
        "building": rng.integers(0, 5, len(crossings)).astype(float),
        "rehab_cost_usd": rng.integers(50, 400, len(crossings)) * 1000.0,
    }, geometry=crossings.geometry.values, crs=crossings.crs)
    posts.to_file(folder / "posts.gpkg", layer="posts")
    assert import_file(folder / "posts.gpkg", "posts", store, user="test").committed
    return store


@pytest.mark.shared_data
def test_the_whole_g5_on_real_places_one_map_per_border(shared_data, tmp_path):
    store = g5_store(shared_data, tmp_path)
    layers = {kind: store.read(kind) for kind in store.kinds()}
    posts, profile = layers["posts"], load_profile()
    indicators = compute_indicators(layers_from_layers(layers, store), indicator_params(profile))
    border = served_borders(posts, layers["borders"])

    def bundle(**request):
        return build_bundle(store, profile, "en", samples=20, layers=layers, indicators=indicators, **request)

    crossed = [b for b in G5_BORDERS if (border == b).any()]  # borders with a road crossing in the data
    assert len(crossed) >= 4
    for absent in set(G5_BORDERS) - set(crossed):  # a zero limit is accepted, a minimum refused by name
        assert bundle(top_n=3, max_per_border={absent: 0}).shortlist.selected
        with pytest.raises(ShortlistInfeasible, match=absent):
            bundle(top_n=3, min_per_border={absent: 1})
    g5 = bundle(budget=1_500_000, min_per_border=dict.fromkeys(crossed, 1))
    by_border = summary(g5, "border_id").set_index("code")
    assert all(by_border.loc[b, "shortlisted_posts"] >= 1 for b in crossed)
    assert by_border["posts"].sum() == len(g5.posts) == len(posts)
    served = sorted(set(border.dropna()))
    maps = [b for b in section(report_content(g5), "report.borders.title", "en").blocks
            if isinstance(b, Image)]
    assert len(maps) == len(served) and len(served) > len(G5_BORDERS)
    one = bundle(top_n=3, selection=Selection.of([], ["MLI-NER"]))
    assert set(one.posts.index) == set(posts.loc[border == "MLI-NER", "post_id"])
    assert one.posts["border_id"].eq("MLI-NER").all()
