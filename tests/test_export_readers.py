"""Exports opened by the programs (or the reference libraries) their users open them with:
libhxl for HXL, openpyxl for the workbook's print setup, fonts and cell types, pypdf for the
PDF's fonts and text, the HTML as text, LibreOffice and pdftoppm when installed.

The shortlist here binds: a USD 1.5 million budget leaves out posts the ranking would take,
Mali must have at least 3 posts (the unconstrained optimum has 2) and Mauritania at most 6
(it has 7), so the constraints change the selection.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import hxl
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from mapping.cli import main
from mapping.exports.bundle import build_bundle
from mapping.exports.write import write_export
from mapping.layers.user_store import open_store
from mapping.palette import RANK_COLOURS, label_colour
from mapping.scoring.profile import load_profile

BUDGET = 1_500_000.0
MINIMUM, MAXIMUM = {"MLI": 3}, {"TCD": 2}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return open_store(tmp_path_factory.mktemp("store") / "store.gpkg")


@pytest.fixture(scope="module")
def bundles(store):
    return {lang: build_bundle(store, load_profile(), lang, budget=BUDGET, min_per_country=MINIMUM,
                               max_per_country=MAXIMUM, samples=200) for lang in ("en", "fr")}


@pytest.fixture(scope="module")
def files(bundles, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    return {(lang, fmt): write_export(bundles[lang], folder / f"export_{lang}.{fmt}", hxl=fmt == "csv")
            for lang in ("en", "fr") for fmt in ("csv", "xlsx", "pdf", "html")}


def test_the_constraints_bind(store, bundles):
    free = build_bundle(store, load_profile(), "en", budget=BUDGET, samples=50).shortlist
    chosen = bundles["en"].shortlist
    countries = bundles["en"].posts["iso3"]
    assert free is not None and chosen is not None
    before, after = countries[free.selected].value_counts(), countries[chosen.selected].value_counts()
    assert before["MLI"] < 3 <= after["MLI"] and before["TCD"] > 2 >= after["TCD"]
    assert chosen.total_cost <= BUDGET < bundles["en"].posts["rehab_cost_usd"].sum()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_hxl_is_valid_hxl_in_every_language(files, bundles, lang):
    findings: list = []
    source = hxl.data(str(files[lang, "csv"]), hxl.InputOptions(allow_local=True))
    hxl.schema(callback=findings.append).validate(source)
    assert [f.message for f in findings if f.rule.severity != "info"] == []
    data = hxl.data(str(files[lang, "csv"]), hxl.InputOptions(allow_local=True))
    tags = [column.display_tag for column in data.columns]
    rows = list(data.values)
    posts = bundles[lang].posts
    lat, score, rank = (tags.index(tag) for tag in ("#geo+lat", "#meta+score", "#meta+rank"))
    assert [float(row[lat]) for row in rows] == pytest.approx(list(posts.geometry.y), abs=1e-6)
    assert [float(row[score]) for row in rows] == pytest.approx(list(posts["score"]), abs=1e-4)
    assert [int(row[rank]) for row in rows] == list(range(1, len(posts) + 1))
    if lang == "fr":  # the words stay French
        assert "Identifiant du poste" in files[lang, "csv"].read_text(encoding="utf-8-sig")


def test_french_workbook_prints_and_reads_as_people_expect(files, bundles):
    book = load_workbook(files["fr", "xlsx"])
    properties = book.properties
    assert properties.title and properties.creator == "bordermap" and properties.language == "fr"
    for name in ("Liste retenue", "Classement complet", "Méthode et poids"):
        sheet = book[name]
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToHeight == 0 and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"
        assert "&P" in sheet.oddFooter.right.text and sheet.oddHeader.center.text
        assert all(cell.font.name == "Calibri" and cell.font.b for cell in sheet[1] if cell.value)
        assert sheet.row_dimensions[1].height >= 15
    assert book["Liste retenue"].page_setup.fitToWidth == book["Méthode et poids"].page_setup.fitToWidth == 1
    ranking = book["Classement complet"]  # 30 columns: a few pages wide, id and name on each
    assert ranking.page_setup.fitToWidth >= 2 and ranking.print_title_cols == "$A:$B"
    titles = {cell.value: cell.column for cell in ranking[1]}
    assert "habitants à moins de 20 km" in titles  # the unit is in the label: not repeated
    assert not any(str(t).endswith("(habitants)") for t in titles)
    why = titles["Pourquoi"]
    assert ranking.column_dimensions[ranking.cell(1, why).column_letter].width <= 62
    assert all(ranking.cell(r, why).alignment.wrap_text for r in range(2, ranking.max_row + 1)
               if len(str(ranking.cell(r, why).value or "")) > 60)
    counts = ranking.cell(2, titles["points de passage non officiels à moins de 20 km"])
    assert isinstance(counts.value, int | float) and counts.number_format == "#,##0"
    assert {ranking.cell(r, titles["poste en face de l’autre côté de la frontière"]).value
            for r in range(2, ranking.max_row + 1)} <= {"oui", "non", None}
    roads = {ranking.cell(r, titles["classe de cette route"]).value for r in range(2, ranking.max_row + 1)}
    assert roads and not roads & {"trunk", "primary", "secondary", "tertiary", "track"}
    scores = [ranking.cell(r, titles["Score"]) for r in range(2, ranking.max_row + 1)]
    assert {c.number_format for c in scores} == {"#,##0.000"}
    method = {row[0].value: row[1] for row in book["Méthode et poids"].iter_rows() if row[0].value}
    chosen = bundles["fr"].shortlist
    assert method["Budget (USD)"].value == BUDGET and method["Budget (USD)"].number_format == "#,##0"
    assert method["Coût total de la liste retenue (USD)"].value == chosen.total_cost
    assert isinstance(method["Date de référence"].value, dt.datetime)
    assert method["Date de référence"].number_format == "dd/mm/yyyy"
    sources = book["Sources des données"]
    times = [row[3] for row in sources.iter_rows(min_row=2) if row[3].value is not None]
    assert times and all(isinstance(c.value, dt.datetime) and c.number_format.startswith("dd/mm/yyyy")
                         for c in times)


def _pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pdf_embeds_every_font(files, lang):
    reader = PdfReader(files[lang, "pdf"])
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            assert "Helvetica" not in str(font["/BaseFont"])
            descendants = font.get("/DescendantFonts")
            described = descendants[0].get_object() if descendants else font
            descriptor = described["/FontDescriptor"].get_object()
            embedded = ("/FontFile", "/FontFile2", "/FontFile3")
            assert any(key in descriptor for key in embedded), font["/BaseFont"]


@pytest.mark.parametrize(("lang", "words"), [
    ("en", {"source": "position: GeoNames (CC BY 4.0)", "illustrative": "illustrative (293 features)",
            "minimum": "Mali: at least 3 posts", "maximum": "Chad: at most 2 posts"}),
    ("fr", {"source": "position : GeoNames (CC BY 4.0)", "illustrative": "illustratif (293 entités)",
            "minimum": "Mali : au moins 3 postes", "maximum": "Tchad : au plus 2 postes"}),
])
def test_report_states_sources_and_constraints(files, bundles, lang, words):
    html = files[lang, "html"].read_text(encoding="utf-8")
    pdf = re.sub(r"\s+", " ", _pdf_text(files[lang, "pdf"]))
    for text in (re.sub(r"\s+", " ", html.replace("\u00a0", " ").replace("\u202f", " ")),
                 pdf.replace("\u00a0", " ").replace("\u202f", " ")):
        for expected in words.values():
            assert expected in text, expected
        assert "illustrative, illustrative" not in text
    if lang == "fr":
        assert "Natural Earth 10 m admin 0 countries" not in html  # demo sources in French


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_report_numbers_have_one_precision_per_quantity(files, bundles, lang):
    pdf = _pdf_text(files[lang, "pdf"])
    decimal = "." if lang == "en" else ","
    posts = bundles[lang].posts
    for score in posts.loc[bundles[lang].shortlist.selected, "score"]:
        assert f"{score:.3f}".replace(".", decimal) in pdf  # 0.450, never 0.45
    html = files[lang, "html"].read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))
    if lang == "en":  # 20%, 90%
        assert re.search(r"\d%", text) and not re.search(r"\d[\u00a0\u202f ]%", text)
    else:  # 20 %, 90 % (narrow no-break space)
        assert re.search(r"\d\u202f%", text) and not re.search(r"\d%", text)


def test_pdf_sources_table_keeps_dates_and_checksums_whole(files, bundles):
    lines = _pdf_text(files["fr", "pdf"]).splitlines()
    for version in bundles["fr"].versions:
        assert any(version.sha256[:12] in line for line in lines), version.kind
    day = dt.datetime.fromisoformat(bundles["fr"].versions[0].time).strftime("%d/%m/%Y")
    assert any(day in line for line in lines)
    assert any("Version" in line.split() for line in lines)


def test_rank_numbers_contrast_with_their_markers():
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for fill in RANK_COLOURS:
        light, dark = sorted((luminance(fill), luminance(label_colour(fill))))
        assert (dark + 0.05) / (light + 0.05) >= 4.5, fill  # WCAG AA for small text
    assert label_colour("#a50026") == "#ffffff" and label_colour("#fdae61") == "#000000"


def test_shortlist_command_writes_rounded_numbers(store, tmp_path):
    out = tmp_path / "shortlist.csv"
    result = CliRunner().invoke(main, ["shortlist", "--lang", "fr", "--store", str(store.path),
                                       "--budget", "1500000", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert not re.search(r"\d[.,]\d{5,}", text), text[:500]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pdf_pages_render(files, tmp_path):
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "2", "-png", str(files["fr", "pdf"]),
                    str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 2
    for page in pages:
        colours = Image.open(page).convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours and len(colours) > 50  # a map and text, not a blank page


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_workbook_prints_one_page_wide_in_libreoffice(files, tmp_path):
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(files["fr", "xlsx"])], check=True, timeout=300, capture_output=True)
    pages = PdfReader(tmp_path / "export_fr.pdf").pages
    assert all(float(page.mediabox.width) > float(page.mediabox.height) for page in pages)  # landscape
    assert len(pages) <= 25  # 53 posts (21 pages); 16 posts took 22–23 portrait pages


def test_a_geopackage_with_a_qgis_style_reads_as_one_layer(bundles, tmp_path):
    """QGIS keeps styles in a ``layer_styles`` table: bordermap's own export, or any GeoPackage
    a GIS officer saved a style into, still reads as its one data layer."""
    from mapping.layers.readers import read_vector

    path = write_export(bundles["en"], tmp_path / "ranked.gpkg")
    frame = read_vector(path)
    assert len(frame) == len(bundles["en"].posts) and "rank" in frame
