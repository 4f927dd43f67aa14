"""The printable report: pages, language, escaping of names from data, offline HTML, embedded record."""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import shapely
from pypdf import PdfReader

from mapping.escape import script_json
from mapping.exports.bundle import build_bundle
from mapping.exports.record import ExportRecord
from mapping.exports.report import write_report
from mapping.i18n import format_number, format_percent, t
from mapping.layers.importing import import_file
from mapping.layers.user_store import open_store
from mapping.scoring.explain import label
from mapping.scoring.profile import load_profile

HOSTILE_NAME = "<img src=x onerror=alert(1)>=SUM(A1)"
CONDITIONS = ("building", "equipment", "power", "water", "communications", "connectivity")
BUDGET = 3_000_000
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """The demo store plus a post in ruins (so it is shortlisted) with a hostile name."""
    folder = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BORDERMAP_STORE", str(folder / "store.gpkg"))
        store = open_store()
    posts = store.read("posts")
    hostile = posts.iloc[[0]].assign(post_id="MRT-XSS", name=HOSTILE_NAME, facing_post_id=None,
                                     crossing_id=None, geometry=[shapely.Point(-10.1, 15.8)],
                                     **dict.fromkeys(CONDITIONS, 0.0))
    path = folder / "posts.gpkg"
    pd.concat([posts, hostile]).to_file(path, layer="posts")
    assert import_file(path, "posts", store, user="test").committed
    return store


@pytest.fixture(scope="module")
def french(store):
    bundle = build_bundle(store, load_profile(), "fr", budget=BUDGET, samples=200)
    assert "MRT-XSS" in bundle.shortlist.selected
    return bundle


def pdf_text(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def plain_spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


class Tags(HTMLParser):
    """Every start tag with its attributes, the text shown, and the record script's content."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.record = ""
        self._in_record = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_record = tag == "script" and dict(attrs).get("id") == "bordermap-record"

    def handle_endtag(self, tag):
        self._in_record = False

    def handle_data(self, data):
        if self._in_record:
            self.record += data
        else:
            self.text.append(data)


def test_french_pdf_has_overview_pages_then_one_page_per_shortlisted_post(french, tmp_path):
    path = write_report(french, tmp_path / "rapport.pdf", "pdf")
    OUTPUT.mkdir(exist_ok=True)
    shutil.copy(path, OUTPUT / "report-fr.pdf")
    reader = PdfReader(path)
    pages = pdf_text(reader)
    selected = french.shortlist.selected
    overview = len(pages) - len(selected)
    assert overview >= 1
    for page, post_id in zip(pages[overview:], selected, strict=True):
        post = french.posts.loc[post_id]
        assert f"{int(post['rank'])}. {post['name']}" in page
    front = plain_spaces("\n".join(pages[:overview]))
    assert t("report.shortlist.title", "fr") == "Liste restreinte"
    assert "Liste restreinte" in front and "Méthode" in front and "Sensibilité aux poids" in front
    assert "3 000 000" in front and "Coût total" in front  # grouped with no-break spaces, on one line
    assert label("pop_20km", "fr") in front and "Shortlist" not in front
    hostile_page = pages[overview + selected.index("MRT-XSS")]
    assert HOSTILE_NAME in hostile_page


def test_pdf_carries_title_author_subject_and_the_record(french, tmp_path):
    reader = PdfReader(write_report(french, tmp_path / "rapport.pdf", "pdf"))
    meta = reader.metadata
    assert meta.title == t("report.title", "fr") and meta.subject == t("report.subject", "fr")
    assert meta.author == "bordermap"
    record = ExportRecord.from_json(str(meta["/BordermapRecord"]))
    assert record == french.record
    assert record.shortlist == french.shortlist.selected and record.lang == "fr"


def test_english_pdf_is_in_english(store, tmp_path):
    bundle = build_bundle(store, load_profile(), "en", budget=BUDGET, samples=200)
    pages = pdf_text(PdfReader(write_report(bundle, tmp_path / "report.pdf", "pdf")))
    text = "\n".join(pages)
    assert "Shortlist" in text and "Liste restreinte" not in text
    assert "3,000,000" in text and "Sensitivity to the weights" in text
    assert len(pages) > len(bundle.shortlist.selected)


def test_html_is_self_contained_escaped_and_carries_the_record(french, tmp_path):
    path = write_report(french, tmp_path / "rapport.html", "html")
    OUTPUT.mkdir(exist_ok=True)
    shutil.copy(path, OUTPUT / "report-fr.html")
    page = path.read_text(encoding="utf-8")
    parsed = Tags()
    parsed.feed(page)
    assert HOSTILE_NAME not in page  # only ever escaped
    assert any(HOSTILE_NAME in text for text in parsed.text)  # and shown as text
    images = [attrs for tag, attrs in parsed.tags if tag == "img"]
    borders = french.posts["border_id"].nunique()
    assert len(images) == 1 + borders + len(french.shortlist.selected)  # study area, borders, insets
    assert all(attrs["src"].startswith("data:image/png;base64,") for attrs in images)
    assert not any(name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "url(" not in page and "@import" not in page
    assert ExportRecord.from_json(parsed.record) == french.record
    assert page.count('class="page"') == 1 + len(french.shortlist.selected)  # the border maps, the posts
    assert "Liste restreinte" in page and format_number(BUDGET, "fr", 0) in page


def test_record_json_cannot_end_its_script():
    text = json.dumps({"name": "</script><!-- <script>&"})
    safe = script_json(text)
    assert "<" not in safe and ">" not in safe and "&" not in safe
    assert json.loads(safe) == json.loads(text)


def test_without_shortlist_the_report_lists_the_top_posts(store, tmp_path):
    bundle = build_bundle(store, load_profile(), "en", samples=200)
    page = write_report(bundle, tmp_path / "report.html", "html").read_text(encoding="utf-8")
    top_n = bundle.profile.top_n
    assert t("report.shortlist.top_title", "en", count=top_n) in page
    assert page.count('class="page"') == 1 + top_n


def test_the_method_states_the_measured_scale_error(store, tmp_path):
    bundle = build_bundle(store, load_profile(), "en", samples=200)
    measured = bundle.indicators.attrs["max_scale_distortion"]
    page = write_report(bundle, tmp_path / "report.html", "html").read_text(encoding="utf-8")
    sentence = t("report.method.distortion", "en", percent=format_percent(measured, "en", 2, fixed=True),
                 radius=20.0)
    assert html.escape(sentence, quote=False) in page


def test_ahp_consistency_ratio_is_reported(store, tmp_path):
    profile = tmp_path / "ahp.toml"
    profile.write_text("""
method = "wsum"
[[criteria]]
indicator = "condition_need"
direction = "benefit"
weight = 1
[[criteria]]
indicator = "pop_20km"
direction = "benefit"
weight = 1
[[criteria]]
indicator = "road_km"
direction = "cost"
weight = 1
[ahp]
matrix = [[1, 3, 5], ["1/3", 1, 3], ["1/5", "1/3", 1]]
""", encoding="utf-8")
    loaded = load_profile(profile)
    bundle = build_bundle(store, loaded, "fr", top_n=3, samples=200)
    page = write_report(bundle, tmp_path / "rapport.html", "html").read_text(encoding="utf-8")
    ratio = format_number(loaded.ahp.consistency_ratio, "fr", 3)
    assert f"ratio de cohérence {ratio}" in page


def test_unknown_format_is_refused(french, tmp_path):
    with pytest.raises(ValueError):
        write_report(french, tmp_path / "report.docx", "docx")
